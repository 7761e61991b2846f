//! The index's fields. Bump [`SCHEMA_VERSION`] whenever fields or analysis change: an index
//! written by another version is rebuilt on start.

use crate::analysis::{BIGRAM, BIGRAM_CACHED, GRAM, GRAM_CACHED, PINYIN, WHOLE};
use tantivy::schema::{
    FAST, Field, INDEXED, IndexRecordOption, STORED, STRING, Schema, TextFieldIndexing, TextOptions,
};

pub const SCHEMA_VERSION: u32 = 4;

/// One facet dimension: a raw, fast string field whose values are `id|name` for organisation
/// nodes and the label itself otherwise.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Dim {
    School,
    College,
    Major,
    Year,
    City,
    Industry,
    Talent,
}

impl Dim {
    pub const ALL: [Dim; 7] = [
        Dim::School,
        Dim::College,
        Dim::Year,
        Dim::Major,
        Dim::City,
        Dim::Industry,
        Dim::Talent,
    ];

    pub fn code(self) -> &'static str {
        match self {
            Dim::School => "school",
            Dim::College => "college",
            Dim::Major => "major",
            Dim::Year => "year",
            Dim::City => "city",
            Dim::Industry => "industry",
            Dim::Talent => "talent",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Dim::School => "学校",
            Dim::College => "学院",
            Dim::Major => "专业",
            Dim::Year => "毕业年份",
            Dim::City => "所在城市",
            Dim::Industry => "产业链",
            Dim::Talent => "人才类别",
        }
    }

    pub fn parse(code: &str) -> Option<Dim> {
        Dim::ALL.into_iter().find(|d| d.code() == code)
    }

    fn field_name(self) -> &'static str {
        match self {
            Dim::School => "f_school",
            Dim::College => "f_college",
            Dim::Major => "f_major",
            Dim::Year => "f_year",
            Dim::City => "f_city",
            Dim::Industry => "f_industry",
            Dim::Talent => "f_talent",
        }
    }

    pub(crate) fn column(self) -> &'static str {
        self.field_name()
    }
}

/// The display label of a facet value (`12|机械工程学院` → `机械工程学院`).
pub fn facet_label(value: &str) -> &str {
    match value.split_once('|') {
        Some((id, label)) if id.chars().all(|c| c.is_ascii_digit()) => label,
        _ => value,
    }
}

#[derive(Debug, Clone)]
pub struct Fields {
    pub kind: Field,
    pub person: Field,
    pub record: Field,
    pub enterprise: Field,
    pub school_id: Field,
    pub college_id: Field,
    pub class_id: Field,
    pub facets: Vec<(Dim, Field)>,
    pub name_gram: Field,
    pub name_bi: Field,
    pub name_word: Field,
    pub name_py: Field,
    pub text_gram: Field,
    pub text_bi: Field,
    // Stored for display.
    pub name: Field,
    pub school_name: Field,
    pub college_name: Field,
    pub major_name: Field,
    pub class_name: Field,
    pub years: Field,
    pub employer: Field,
    pub title: Field,
    pub city: Field,
    pub industry: Field,
    pub talent: Field,
    pub mobile: Field,
    pub credit_code: Field,
    pub tags: Field,
    pub alumni: Field,
}

pub const KIND_RECORD: &str = "record";
pub const KIND_ENTERPRISE: &str = "enterprise";

pub fn build() -> (Schema, Fields) {
    let mut b = Schema::builder();
    let analysed = |tokenizer: &str, positions: bool| {
        TextOptions::default().set_indexing_options(
            TextFieldIndexing::default()
                .set_tokenizer(tokenizer)
                .set_index_option(if positions {
                    IndexRecordOption::WithFreqsAndPositions
                } else {
                    IndexRecordOption::WithFreqs
                }),
        )
    };
    let kind = b.add_text_field("kind", STRING);
    let person = b.add_u64_field("person", INDEXED | STORED | FAST);
    let record = b.add_u64_field("record", STORED);
    let enterprise = b.add_u64_field("enterprise", INDEXED | STORED);
    let school_id = b.add_u64_field("school_id", INDEXED);
    let college_id = b.add_u64_field("college_id", INDEXED);
    let class_id = b.add_u64_field("class_id", INDEXED);
    let facets = Dim::ALL
        .into_iter()
        .map(|dim| (dim, b.add_text_field(dim.field_name(), STRING | FAST)))
        .collect();
    let name_gram = b.add_text_field("name_gram", analysed(GRAM, true));
    let name_bi = b.add_text_field("name_bi", analysed(BIGRAM, true));
    let name_word = b.add_text_field("name_word", analysed(WHOLE, false));
    let name_py = b.add_text_field("name_py", analysed(PINYIN, false));
    let text_gram = b.add_text_field("text_gram", analysed(GRAM_CACHED, true));
    let text_bi = b.add_text_field("text_bi", analysed(BIGRAM_CACHED, true));
    let name = b.add_text_field("name", STORED);
    let school_name = b.add_text_field("school_name", STORED);
    let college_name = b.add_text_field("college_name", STORED);
    let major_name = b.add_text_field("major_name", STORED);
    let class_name = b.add_text_field("class_name", STORED);
    let years = b.add_text_field("years", STORED);
    let employer = b.add_text_field("employer", STORED);
    let title = b.add_text_field("title", STORED);
    let city = b.add_text_field("city", STORED);
    let industry = b.add_text_field("industry", STORED);
    let talent = b.add_text_field("talent", STORED);
    let mobile = b.add_text_field("mobile", STORED);
    let credit_code = b.add_text_field("credit_code", STORED);
    let tags = b.add_text_field("tags", STORED);
    let alumni = b.add_u64_field("alumni", STORED);
    let fields = Fields {
        kind,
        person,
        record,
        enterprise,
        school_id,
        college_id,
        class_id,
        facets,
        name_gram,
        name_bi,
        name_word,
        name_py,
        text_gram,
        text_bi,
        name,
        school_name,
        college_name,
        major_name,
        class_name,
        years,
        employer,
        title,
        city,
        industry,
        talent,
        mobile,
        credit_code,
        tags,
        alumni,
    };
    (b.build(), fields)
}

impl Fields {
    pub fn facet(&self, dim: Dim) -> Option<Field> {
        self.facets.iter().find(|(d, _)| *d == dim).map(|(_, f)| *f)
    }
}
