//! Documents: one per study record of a live person (person-level data copied onto each, so
//! that scope and facets work per study record), one per enterprise.

use crate::analysis::{Folder, fold, folded_name_pinyin};
use crate::schema::{Dim, Fields, KIND_ENTERPRISE, KIND_RECORD};
use tantivy::TantivyDocument;
use xiaoyou_core::{ContactKind, EnterpriseTag, StudyLevel, TalentCategory};
use xiaoyou_store::search::{EnterpriseDoc, RecordDoc};

/// The label of a talent category code (the code itself if unknown).
pub fn talent_label(code: &str) -> String {
    TalentCategory::parse(code)
        .map(|t| t.label().to_owned())
        .unwrap_or_else(|_| code.to_owned())
}

fn years(doc: &RecordDoc) -> String {
    let level = StudyLevel::parse(&doc.level)
        .map(|l| l.label())
        .unwrap_or("");
    let span = match (doc.enrolment_year, doc.graduation_year) {
        (Some(from), Some(to)) => format!("{from}级 · {to}届"),
        (Some(from), None) => format!("{from}级"),
        (None, Some(to)) => format!("{to}届"),
        (None, None) => String::new(),
    };
    match (level.is_empty(), span.is_empty()) {
        (false, false) => format!("{level} · {span}"),
        (false, true) => level.to_owned(),
        _ => span,
    }
}

fn facet_value(id: i64, name: &str) -> String {
    format!("{id}|{name}")
}

fn city_label(city: &str) -> String {
    let city = xiaoyou_text::clean_cell(city);
    let trimmed = city.trim_end_matches('市');
    if trimmed.chars().count() >= 2 {
        trimmed.to_owned()
    } else {
        city
    }
}

/// Builds a study record's document. `folder` caches folding of repeated names.
pub fn record(fields: &Fields, folder: &mut Folder, doc: &RecordDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    let facet = |dim: Dim| fields.facet(dim);
    d.add_text(fields.kind, KIND_RECORD);
    d.add_u64(fields.person, doc.person.max(0) as u64);
    d.add_u64(fields.record, doc.record.max(0) as u64);
    d.add_u64(fields.school_id, doc.school.max(0) as u64);
    if let Some(college) = doc.college {
        d.add_u64(fields.college_id, college.max(0) as u64);
    }
    if let Some(class) = doc.class {
        d.add_u64(fields.class_id, class.max(0) as u64);
    }

    let name = fold(&doc.name);
    d.add_text(fields.name_gram, &name);
    d.add_text(fields.name_bi, &name);
    d.add_text(fields.name_word, &name);
    d.add_text(fields.name_py, folded_name_pinyin(&name));
    d.add_text(fields.name, &doc.name);

    // Each value is a value of its own in the text fields: tantivy leaves a position free
    // between values, so a phrase never spans two of them, and the token cache of the
    // indexing thread sees the repeated value (a school, an employer) whole.
    let mut text = |value: &str| {
        let folded = folder.fold(value);
        d.add_text(fields.text_gram, &folded);
        d.add_text(fields.text_bi, &folded);
    };
    text(&doc.school_name);
    if let Some(name) = &doc.college_name {
        text(name);
    }
    if let Some(name) = &doc.major_name {
        text(name);
    }
    if let Some(name) = &doc.class_name {
        text(name);
    }
    if let Some(name) = &doc.employer {
        text(name);
    }
    if let Some(name) = &doc.title {
        text(name);
    }
    let city = doc
        .city
        .as_deref()
        .map(city_label)
        .filter(|c| !c.is_empty());
    if let Some(city) = &city {
        text(city);
    }
    if let Some(name) = &doc.industry {
        text(name);
    }
    let talent = doc.talent.as_deref().map(talent_label);
    if let Some(label) = &talent {
        text(label);
    }
    if let Some(year) = doc.graduation_year {
        text(&format!("{year}届"));
    }

    if let Some(f) = facet(Dim::School) {
        d.add_text(f, facet_value(doc.school, &doc.school_name));
    }
    if let (Some(f), Some(id), Some(name)) = (facet(Dim::College), doc.college, &doc.college_name) {
        d.add_text(f, facet_value(id, name));
    }
    if let (Some(f), Some(id), Some(name)) = (facet(Dim::Major), doc.major, &doc.major_name) {
        d.add_text(f, facet_value(id, name));
    }
    if let (Some(f), Some(year)) = (facet(Dim::Year), doc.graduation_year) {
        d.add_text(f, year.to_string());
    }
    if let (Some(f), Some(city)) = (facet(Dim::City), &city) {
        d.add_text(f, city);
    }
    if let (Some(f), Some(industry)) = (facet(Dim::Industry), &doc.industry) {
        d.add_text(f, industry);
    }
    if let (Some(f), Some(talent)) = (facet(Dim::Talent), &talent) {
        d.add_text(f, talent);
    }

    d.add_text(fields.school_name, &doc.school_name);
    if let Some(v) = &doc.college_name {
        d.add_text(fields.college_name, v);
    }
    if let Some(v) = &doc.major_name {
        d.add_text(fields.major_name, v);
    }
    if let Some(v) = &doc.class_name {
        d.add_text(fields.class_name, v);
    }
    d.add_text(fields.years, years(doc));
    if let Some(v) = &doc.employer {
        d.add_text(fields.employer, v);
    }
    if let Some(v) = &doc.title {
        d.add_text(fields.title, v);
    }
    if let Some(v) = &city {
        d.add_text(fields.city, v);
    }
    if let Some(v) = &doc.industry {
        d.add_text(fields.industry, v);
    }
    if let Some(v) = &talent {
        d.add_text(fields.talent, v);
    }
    // Only the masked form of a phone ever reaches the index.
    if let Some(mobile) = &doc.mobile {
        d.add_text(fields.mobile, ContactKind::Mobile.mask(mobile));
    }
    d
}

/// Builds an enterprise's document.
pub fn enterprise(fields: &Fields, doc: &EnterpriseDoc) -> TantivyDocument {
    let mut d = TantivyDocument::new();
    d.add_text(fields.kind, KIND_ENTERPRISE);
    d.add_u64(fields.enterprise, doc.id.max(0) as u64);
    let name = fold(&doc.name);
    d.add_text(fields.name_gram, &name);
    d.add_text(fields.name_bi, &name);
    d.add_text(fields.name_word, &name);
    d.add_text(fields.name, &doc.name);
    let tags: Vec<String> = doc
        .tags
        .as_deref()
        .unwrap_or("")
        .split(',')
        .filter(|t| !t.is_empty())
        .map(|t| {
            EnterpriseTag::parse(t)
                .map(|tag| tag.label().to_owned())
                .unwrap_or_else(|_| t.to_owned())
        })
        .collect();
    let city = doc
        .city
        .as_deref()
        .map(city_label)
        .filter(|c| !c.is_empty());
    let values: Vec<String> = [doc.credit_code.clone(), city.clone(), doc.chain.clone()]
        .into_iter()
        .flatten()
        .chain(tags.iter().cloned())
        .map(|v| fold(&v))
        .collect();
    for value in &values {
        d.add_text(fields.text_gram, value);
        d.add_text(fields.text_bi, value);
    }
    if let Some(v) = &doc.credit_code {
        d.add_text(fields.credit_code, v);
    }
    if let Some(v) = &city {
        d.add_text(fields.city, v);
        if let Some(f) = fields.facet(Dim::City) {
            d.add_text(f, v);
        }
    }
    if let Some(v) = &doc.chain {
        d.add_text(fields.industry, v);
        if let Some(f) = fields.facet(Dim::Industry) {
            d.add_text(f, v);
        }
    }
    if !tags.is_empty() {
        d.add_text(fields.tags, tags.join("、"));
    }
    d.add_u64(fields.alumni, doc.alumni.max(0) as u64);
    d
}
