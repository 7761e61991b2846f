//! The alumni office's own changes to its records: adding an alumnus to a class, editing and
//! deleting them, their employment, the outstanding-alumni file with its photos, and the
//! per-region contact list. Every change is checked against the actor's scope (outside it is
//! "not found"), validated with the same rules as an import row, sealed like an import seals
//! ID numbers, and audited in the same transaction.

use crate::access;
use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use crate::export::{ExportFile, ExportFormat, ExportTable};
use crate::import::validate::{ValidRow, validate};
use chrono::{Datelike, NaiveDate};
use xiaoyou_core::{
    Action, Actor, ClassId, Clock, ContactKind, EmploymentId, PersonId, PersonalDataKey, SchoolId,
    Scope, StudyRecordId, UserId,
};
use xiaoyou_sheet::{Field, HeaderMap};
use xiaoyou_store::alumni::{self, NewPhoto, PhotoKind};
use xiaoyou_store::org::{self, Class, School};
use xiaoyou_store::people::{
    self, EmploymentUpdate, IdCardChange, NewContact, NewEmployment, NewPerson, NewStudyRecord,
    PersonUpdate, StoredIdCard, StudyRecordUpdate, StudyRecordView,
};
use xiaoyou_store::sources::{self, SourceKind};
use xiaoyou_store::{Db, StoreError, Tx};

/// The largest photo accepted.
pub const MAX_PHOTO_BYTES: usize = 5 * 1024 * 1024;

/// The fields of the alumnus form, as typed (kept to show the form again).
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct AlumnusForm {
    pub name: String,
    pub gender: String,
    pub id_card: String,
    pub birth_date: String,
    pub mobile: String,
    pub email: String,
    pub city: String,
    pub student_no: String,
    pub level: String,
    pub enrolment_year: String,
    pub graduation_year: String,
    pub employer: String,
    pub title: String,
}

/// The form's fields in the roster vocabulary the import validates.
const FORM_FIELDS: [Field; 13] = [
    Field::Name,
    Field::Gender,
    Field::IdCard,
    Field::BirthDate,
    Field::Mobile,
    Field::Email,
    Field::City,
    Field::StudentNo,
    Field::Level,
    Field::EnrolmentYear,
    Field::GraduationYear,
    Field::Employer,
    Field::Title,
];

impl AlumnusForm {
    fn cells(&self) -> Vec<String> {
        [
            &self.name,
            &self.gender,
            &self.id_card,
            &self.birth_date,
            &self.mobile,
            &self.email,
            &self.city,
            &self.student_no,
            &self.level,
            &self.enrolment_year,
            &self.graduation_year,
            &self.employer,
            &self.title,
        ]
        .into_iter()
        .map(|v| v.trim().to_owned())
        .collect()
    }
}

/// The form field a roster field is typed into.
pub fn form_name(field: Field) -> &'static str {
    match field {
        Field::Name => "name",
        Field::Gender => "gender",
        Field::IdCard => "id_card",
        Field::BirthDate => "birth_date",
        Field::Mobile => "mobile",
        Field::Email => "email",
        Field::City => "city",
        Field::StudentNo => "student_no",
        Field::Level => "level",
        Field::EnrolmentYear => "enrolment_year",
        Field::GraduationYear => "graduation_year",
        Field::Employer => "employer",
        Field::Title => "title",
        _ => "name",
    }
}

/// Problems by form field, in Chinese, shown next to the field.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FieldErrors(pub Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        if !self.0.iter().any(|(f, _)| *f == field) {
            self.0.push((field, message.into()));
        }
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The first field with a problem, to put the cursor in.
    pub fn first(&self) -> Option<&'static str> {
        self.0.first().map(|(f, _)| *f)
    }
}

/// Checks the form with the import's row rules (so a form and a roster row agree), plus what
/// only a form can get wrong (a birth date in the future).
pub fn check_form(
    form: &AlumnusForm,
    school: &School,
    today: NaiveDate,
) -> Result<ValidRow, FieldErrors> {
    let header = HeaderMap {
        header_row: 0,
        headers: FORM_FIELDS.iter().map(|f| f.code().to_owned()).collect(),
        columns: FORM_FIELDS.iter().map(|f| Some(*f)).collect(),
    };
    let outcome = validate(&header, &mut form.cells(), school.kind, today.year());
    let mut errors = FieldErrors::default();
    let row = match outcome {
        Ok(row) => Some(row),
        Err(problems) => {
            for problem in problems {
                let field = Field::from_code(&problem.column).unwrap_or(Field::Name);
                errors.add(form_name(field), problem.reason);
            }
            None
        }
    };
    if let Some(born) = row.as_ref().and_then(|r| r.birth_date)
        && born > today
    {
        errors.add("birth_date", "出生日期不能晚于今天");
    }
    match row {
        Some(row) if errors.is_empty() => Ok(row),
        _ => Err(errors),
    }
}

/// The ID number as the store keeps it: encrypted, with the keyed hash and the masked form.
pub fn seal_id_card(key: &PersonalDataKey, row: &ValidRow) -> Option<StoredIdCard> {
    row.id_card.as_ref().map(|id| {
        let sealed = key.seal(id.expose());
        StoredIdCard {
            hash: sealed.hash,
            cipher: sealed.ciphertext,
            masked: id.masked(),
        }
    })
}

fn opt(text: &Option<String>) -> Option<&str> {
    text.as_deref().map(str::trim).filter(|t| !t.is_empty())
}

/// A class the actor may add alumni to: visible, and editable.
pub async fn editable_class(db: &Db, actor: &Actor, class: ClassId) -> AppResult<Class> {
    let class = access::visible_class(db, actor, class).await?;
    if !actor
        .scope(Action::Edit)
        .covers_class(class.school, class.college, class.id)
    {
        return Err(AppError::Forbidden);
    }
    Ok(class)
}

fn record_in(scope: &Scope, record: &StudyRecordView) -> bool {
    match record.class {
        Some(class) => scope.covers_class(record.school, record.college, class),
        None => record
            .college
            .map_or(scope.covers_school(record.school), |c| {
                scope.covers_college(record.school, c)
            }),
    }
}

/// A person the actor may change: not visible is "not found", visible but not editable is
/// "forbidden". Returns the person's study records the actor may edit (through a grant on the
/// organisation tree).
pub async fn editable_records(
    db: &Db,
    actor: &Actor,
    person: PersonId,
) -> AppResult<Vec<StudyRecordView>> {
    if !access::person_in_scope(db, actor, Action::View, person).await? {
        return Err(AppError::NotFound("该校友"));
    }
    let scope = actor.scope(Action::Edit);
    let records: Vec<StudyRecordView> = people::study_records_of_person(db, person)
        .await?
        .into_iter()
        // The office's records only: an alumnus's grant on their own person lets them read
        // and set their consent, not change or delete what their schools keep.
        .filter(|r| scope.all || record_in(scope, r))
        .collect();
    if records.is_empty() {
        return Err(AppError::Forbidden);
    }
    Ok(records)
}

async fn manual_source(
    tx: &mut Tx,
    context: &AuditContext,
    school: SchoolId,
) -> AppResult<xiaoyou_store::sources::Source> {
    Ok(sources::insert(
        tx,
        SourceKind::Manual,
        &format!("校友办录入（{}）", context.actor_name),
        Some(school),
    )
    .await?)
}

/// What adding an alumnus came to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Created {
    /// A new person with a study record in the class.
    New { person: PersonId },
    /// The ID number belongs to a person the actor cannot see (known at another school): the
    /// study record was added to that person, as an import would.
    Linked { person: PersonId },
}

/// Why an alumnus was not added.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refused {
    Invalid(FieldErrors),
    /// A person with this ID number is already in the actor's view.
    Exists {
        person: PersonId,
        name: String,
    },
}

/// Adds an alumnus to a class: a person (or the known person with this ID number) and a study
/// record, with the phone and email as contact points of today and the current job.
#[allow(clippy::too_many_arguments)]
pub async fn create(
    db: &Db,
    clock: &dyn Clock,
    key: &PersonalDataKey,
    context: &AuditContext,
    actor: &Actor,
    class: ClassId,
    form: &AlumnusForm,
) -> AppResult<Result<Created, Refused>> {
    let class = editable_class(db, actor, class).await?;
    let school = org::get_school(db, class.school)
        .await?
        .ok_or(AppError::NotFound("该学校"))?;
    let today = (clock.now() + chrono::Duration::hours(8)).date_naive();
    let row = match check_form(form, &school, today) {
        Ok(row) => row,
        Err(errors) => return Ok(Err(Refused::Invalid(errors))),
    };
    let id_card = seal_id_card(key, &row);
    let existing = match &id_card {
        Some(card) => people::find_by_id_card_hash(db, &card.hash).await?,
        None => None,
    };
    if let Some(person) = existing
        && access::person_in_scope(db, actor, Action::View, person).await?
    {
        let name = people::get_person(db, person)
            .await?
            .map(|p| p.name)
            .unwrap_or_default();
        return Ok(Err(Refused::Exists { person, name }));
    }
    let mut tx = db.begin().await?;
    let source = manual_source(&mut tx, context, school.id).await?;
    let person = match existing {
        Some(person) => person,
        None => {
            let inserted = people::insert_person(
                &mut tx,
                &NewPerson {
                    name: row.name.clone(),
                    gender: row.gender,
                    birth_date: row.birth_date,
                    id_card: id_card.clone(),
                    native_region: None,
                    current_city: row.city.clone(),
                },
            )
            .await;
            match inserted {
                Ok(person) => person,
                // Someone saved the same ID number a moment ago.
                Err(StoreError::Duplicate { .. }) => {
                    let mut errors = FieldErrors::default();
                    errors.add("id_card", "该身份证号的校友已存在，请刷新后查找");
                    return Ok(Err(Refused::Invalid(errors)));
                }
                Err(e) => return Err(e.into()),
            }
        }
    };
    let record = people::insert_study_record(
        &mut tx,
        &NewStudyRecord {
            person,
            school: school.id,
            college: class.college,
            major: class.major,
            class: Some(class.id),
            level: row.level,
            enrolment_year: row.enrolment_year.or(class.enrolment_year),
            graduation_year: row.graduation_year.or(class.graduation_year),
            student_no: opt(&row.student_no),
            name_as_reported: row.name.as_str(),
            source: source.id,
            source_ref: None,
        },
    )
    .await?;
    add_contacts(&mut tx, person, &row, source.id, today, None).await?;
    if let Some(employer) = opt(&row.employer) {
        people::insert_employment(
            &mut tx,
            &NewEmployment {
                person,
                enterprise: None,
                employer_name: employer,
                title: opt(&row.title),
                city: opt(&row.city),
                start_year: None,
                end_year: None,
                is_current: true,
                source: source.id,
            },
        )
        .await?;
    }
    let changes = serde_json::json!({
        "record": record.get(),
        "class": class.id.get(),
        "name": row.name.masked(),
        "id_card": id_card.as_ref().map(|c| c.masked.clone()),
        "mobile": row.mobile.as_ref().map(|m| m.masked()),
        "linked_existing": existing.is_some(),
    });
    let event = Event {
        action: "create",
        target_kind: "person",
        target_id: Some(person.to_string()),
        school: Some(school.id),
        changes: Some(changes.to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    link_identity(db, clock, context, person).await;
    Ok(Ok(match existing {
        Some(_) => Created::Linked { person },
        None => Created::New { person },
    }))
}

/// New contact points for a phone or email that differs from the newest one on record.
async fn add_contacts(
    tx: &mut Tx,
    person: PersonId,
    row: &ValidRow,
    source: xiaoyou_core::SourceId,
    today: NaiveDate,
    current: Option<(Option<String>, Option<String>)>,
) -> AppResult<Vec<&'static str>> {
    let (current_mobile, current_email) = current.unwrap_or_default();
    let mut added = Vec::new();
    let mobile = row.mobile.as_ref().map(|m| m.expose().to_owned());
    let email = row.email.as_ref().map(|e| e.expose().to_owned());
    for (kind, value, before, label) in [
        (ContactKind::Mobile, mobile, current_mobile, "mobile"),
        (ContactKind::Email, email, current_email, "email"),
    ] {
        let Some(value) = value else { continue };
        let same = before.as_deref().is_some_and(|b| {
            people::contact_value_key(kind, b) == people::contact_value_key(kind, &value)
        });
        if same {
            continue;
        }
        people::insert_contact(
            tx,
            &NewContact {
                person,
                kind,
                value: &value,
                source,
                observed_on: Some(today),
                verified: false,
            },
        )
        .await?;
        added.push(label);
    }
    Ok(added)
}

/// After a person was created or changed, the identity engine looks at their neighbourhood;
/// its failure does not undo the change (a full run catches up).
async fn link_identity(db: &Db, clock: &dyn Clock, context: &AuditContext, person: PersonId) {
    if let Err(e) = crate::identity::run::run_incremental(
        db,
        clock,
        context,
        &crate::identity::Settings::default(),
        &[person.get()],
    )
    .await
    {
        tracing::warn!(person = person.get(), error = %e, "录入后身份识别失败，可稍后运行 xiaoyou identity run");
    }
}

/// The form as an existing alumnus fills it (the ID number is never put back in clear).
pub async fn form_of(
    db: &Db,
    person: PersonId,
    record: &StudyRecordView,
) -> AppResult<AlumnusForm> {
    let found = people::get_person(db, person)
        .await?
        .ok_or(AppError::NotFound("该校友"))?;
    let job = people::employments_of_person(db, person)
        .await?
        .into_iter()
        .find(|j| j.is_current);
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
    Ok(AlumnusForm {
        name: found.name,
        gender: found
            .gender
            .map(|g| g.label().to_owned())
            .unwrap_or_default(),
        id_card: String::new(),
        birth_date: found
            .birth_date
            .map(|d| d.format("%Y-%m-%d").to_string())
            .unwrap_or_default(),
        mobile: people::latest_contact(db, person, ContactKind::Mobile)
            .await?
            .unwrap_or_default(),
        email: people::latest_contact(db, person, ContactKind::Email)
            .await?
            .unwrap_or_default(),
        city: found.current_city.unwrap_or_default(),
        student_no: record.student_no.clone().unwrap_or_default(),
        level: record.level.label().to_owned(),
        enrolment_year: year(record.enrolment_year),
        graduation_year: year(record.graduation_year),
        employer: job
            .as_ref()
            .map(|j| j.employer_name.clone())
            .unwrap_or_default(),
        title: job.and_then(|j| j.title).unwrap_or_default(),
    })
}

/// Saves an edit of a person and one of their study records. An empty ID number field keeps
/// the number on record; a phone or email that changed becomes a new contact point of today.
#[allow(clippy::too_many_arguments)]
pub async fn update(
    db: &Db,
    clock: &dyn Clock,
    key: &PersonalDataKey,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    record: StudyRecordId,
    form: &AlumnusForm,
) -> AppResult<Result<(), Refused>> {
    let records = editable_records(db, actor, person).await?;
    let record = records
        .into_iter()
        .find(|r| r.id == record)
        .ok_or(AppError::NotFound("该学籍记录"))?;
    let school = org::get_school(db, record.school)
        .await?
        .ok_or(AppError::NotFound("该学校"))?;
    let today = (clock.now() + chrono::Duration::hours(8)).date_naive();
    let before = people::get_person(db, person)
        .await?
        .ok_or(AppError::NotFound("该校友"))?;
    let mut checked = form.clone();
    if checked.id_card.trim().is_empty() {
        // The kept number still constrains gender and birth date; without it in clear the
        // form's own fields are checked alone.
        checked.id_card.clear();
    }
    let row = match check_form(&checked, &school, today) {
        Ok(row) => row,
        Err(errors) => return Ok(Err(Refused::Invalid(errors))),
    };
    let id_card = match seal_id_card(key, &row) {
        Some(card) => {
            if let Some(holder) = people::find_by_id_card_hash(db, &card.hash).await?
                && holder != person
            {
                if access::person_in_scope(db, actor, Action::View, holder).await? {
                    let name = people::get_person(db, holder)
                        .await?
                        .map(|p| p.name)
                        .unwrap_or_default();
                    return Ok(Err(Refused::Exists {
                        person: holder,
                        name,
                    }));
                }
                let mut errors = FieldErrors::default();
                errors.add("id_card", "该身份证号已属于另一位校友，请核对");
                return Ok(Err(Refused::Invalid(errors)));
            }
            IdCardChange::Set(card)
        }
        None => IdCardChange::Keep,
    };
    let id_card_masked = match &id_card {
        IdCardChange::Set(card) => Some(card.masked.clone()),
        _ => None,
    };
    let current = (
        people::latest_contact(db, person, ContactKind::Mobile).await?,
        people::latest_contact(db, person, ContactKind::Email).await?,
    );
    let mut changed: Vec<&str> = Vec::new();
    if before.name != row.name.as_str() {
        changed.push("name");
    }
    if before.gender != row.gender {
        changed.push("gender");
    }
    if before.birth_date != row.birth_date {
        changed.push("birth_date");
    }
    if before.current_city.as_deref() != opt(&row.city) {
        changed.push("city");
    }
    if id_card_masked.is_some() {
        changed.push("id_card");
    }
    let mut tx = db.begin().await?;
    let now = clock.now();
    people::update_person(
        &mut tx,
        person,
        &PersonUpdate {
            name: row.name.clone(),
            gender: row.gender,
            birth_date: row.birth_date,
            id_card,
            current_city: opt(&row.city).map(str::to_owned),
        },
        now,
    )
    .await
    .map_err(|e| match e {
        StoreError::Duplicate { .. } => AppError::Invalid {
            field: "身份证号",
            reason: "该身份证号已属于另一位校友".into(),
        },
        other => other.into(),
    })?;
    people::update_study_record(
        &mut tx,
        record.id,
        &StudyRecordUpdate {
            level: row.level,
            enrolment_year: row.enrolment_year,
            graduation_year: row.graduation_year,
            student_no: opt(&row.student_no).map(str::to_owned),
            name_as_reported: row.name.as_str().to_owned(),
        },
    )
    .await?;
    if record.enrolment_year != row.enrolment_year
        || record.graduation_year != row.graduation_year
        || record.student_no.as_deref() != opt(&row.student_no)
        || record.level != row.level
    {
        changed.push("study_record");
    }
    let source = manual_source(&mut tx, context, school.id).await?;
    let added = add_contacts(&mut tx, person, &row, source.id, today, Some(current)).await?;
    changed.extend(added);
    let changes = serde_json::json!({
        "record": record.id.get(),
        "fields": changed,
        "id_card": id_card_masked,
    });
    let event = Event {
        action: "update",
        target_kind: "person",
        target_id: Some(person.to_string()),
        school: Some(school.id),
        changes: Some(changes.to_string()),
    };
    audit::write(&mut tx, context, event, now).await?;
    tx.commit().await?;
    link_identity(db, clock, context, person).await;
    Ok(Ok(()))
}

/// What a deletion removed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Deleted {
    pub name: String,
    pub records: usize,
    /// Whether the person went too (no record left anywhere).
    pub person: bool,
    /// The school to go back to.
    pub school: SchoolId,
}

/// Deletes the person's study records that lie in the actor's editing scope, and the person
/// with everything about them when no record remains (records at other schools keep them).
pub async fn delete(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
) -> AppResult<Deleted> {
    let records = editable_records(db, actor, person).await?;
    let name = people::get_person(db, person)
        .await?
        .map(|p| p.name)
        .unwrap_or_default();
    let school = records
        .first()
        .map(|r| r.school)
        .ok_or(AppError::NotFound("该校友"))?;
    let mut tx = db.begin().await?;
    for record in &records {
        alumni::delete_study_record(&mut tx, record.id).await?;
    }
    let person_gone = alumni::delete_person(&mut tx, person).await?;
    let changes = serde_json::json!({
        "records": records.iter().map(|r| r.id.get()).collect::<Vec<_>>(),
        "person_deleted": person_gone,
    });
    let event = Event {
        action: "delete",
        target_kind: "person",
        target_id: Some(person.to_string()),
        school: Some(school),
        changes: Some(changes.to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(Deleted {
        name,
        records: records.len(),
        person: person_gone,
        school,
    })
}

// ---------------------------------------------------------------- employment

/// A job as typed into the form.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct JobForm {
    pub employer: String,
    pub title: String,
    pub city: String,
    pub start_year: String,
    pub end_year: String,
    /// "1" when the job is held now.
    pub current: String,
}

fn check_job(form: &JobForm, this_year: i32) -> Result<EmploymentUpdate, FieldErrors> {
    let mut errors = FieldErrors::default();
    let employer = form.employer.trim();
    if employer.is_empty() {
        errors.add("employer", "请填写工作单位");
    } else if employer.chars().count() > 100 {
        errors.add("employer", "工作单位最多 100 个字");
    }
    let mut year = |field: &'static str, raw: &str| {
        let raw = raw.trim();
        if raw.is_empty() {
            return None;
        }
        match xiaoyou_sheet::values::parse_year(raw) {
            Some(y) if (1900..=this_year + 1).contains(&y) => Some(y),
            _ => {
                errors.add(field, format!("无法识别的年份“{raw}”"));
                None
            }
        }
    };
    let start_year = year("start_year", &form.start_year);
    let end_year = year("end_year", &form.end_year);
    let is_current = form.current == "1" && end_year.is_none();
    if let (Some(from), Some(to)) = (start_year, end_year)
        && to < from
    {
        errors.add("end_year", "离职年份不能早于入职年份");
    }
    for (field, value) in [("title", &form.title), ("city", &form.city)] {
        if value.trim().chars().count() > 50 {
            errors.add(field, "最多 50 个字");
        }
    }
    if !errors.is_empty() {
        return Err(errors);
    }
    let text = |t: &str| Some(t.trim().to_owned()).filter(|t| !t.is_empty());
    Ok(EmploymentUpdate {
        employer_name: employer.to_owned(),
        title: text(&form.title),
        city: text(&form.city),
        start_year,
        end_year,
        is_current,
    })
}

async fn job_event(
    tx: &mut Tx,
    clock: &dyn Clock,
    context: &AuditContext,
    person: PersonId,
    school: SchoolId,
    what: serde_json::Value,
) -> AppResult<()> {
    let event = Event {
        action: "update",
        target_kind: "employment",
        target_id: Some(person.to_string()),
        school: Some(school),
        changes: Some(what.to_string()),
    };
    audit::write(tx, context, event, clock.now()).await?;
    Ok(())
}

/// Adds a job (or, with `job`, corrects one of the person's jobs).
pub async fn save_job(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    job: Option<EmploymentId>,
    form: &JobForm,
) -> AppResult<Result<(), FieldErrors>> {
    let records = editable_records(db, actor, person).await?;
    let school = records
        .first()
        .map(|r| r.school)
        .ok_or(AppError::NotFound("该校友"))?;
    if let Some(job) = job {
        match people::get_employment(db, job).await? {
            Some((owner, _)) if owner == person => {}
            _ => return Err(AppError::NotFound("该工作经历")),
        }
    }
    let this_year = (clock.now() + chrono::Duration::hours(8)).year();
    let update = match check_job(form, this_year) {
        Ok(update) => update,
        Err(errors) => return Ok(Err(errors)),
    };
    let mut tx = db.begin().await?;
    let id = match job {
        Some(job) => {
            people::update_employment(&mut tx, job, &update).await?;
            job
        }
        None => {
            let source = manual_source(&mut tx, context, school).await?;
            people::insert_employment(
                &mut tx,
                &NewEmployment {
                    person,
                    enterprise: None,
                    employer_name: &update.employer_name,
                    title: update.title.as_deref(),
                    city: update.city.as_deref(),
                    start_year: update.start_year,
                    end_year: update.end_year,
                    is_current: update.is_current,
                    source: source.id,
                },
            )
            .await?
        }
    };
    let what = serde_json::json!({
        "employment": id.get(),
        "op": if job.is_some() { "correct" } else { "add" },
        "employer": update.employer_name,
        "title": update.title,
        "current": update.is_current,
    });
    job_event(&mut tx, clock, context, person, school, what).await?;
    tx.commit().await?;
    Ok(Ok(()))
}

/// Ends a current job in the given year (this year when none is given), or deletes it.
pub async fn end_or_delete_job(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    job: EmploymentId,
    delete: bool,
) -> AppResult<String> {
    let records = editable_records(db, actor, person).await?;
    let school = records
        .first()
        .map(|r| r.school)
        .ok_or(AppError::NotFound("该校友"))?;
    let Some((owner, found)) = people::get_employment(db, job).await? else {
        return Err(AppError::NotFound("该工作经历"));
    };
    if owner != person {
        return Err(AppError::NotFound("该工作经历"));
    }
    let this_year = (clock.now() + chrono::Duration::hours(8)).year();
    let mut tx = db.begin().await?;
    if delete {
        people::delete_employment(&mut tx, job).await?;
    } else {
        let update = EmploymentUpdate {
            employer_name: found.employer_name.clone(),
            title: found.title.clone(),
            city: found.city.clone(),
            start_year: found.start_year,
            end_year: Some(
                found
                    .end_year
                    .unwrap_or(this_year)
                    .max(found.start_year.unwrap_or(this_year)),
            ),
            is_current: false,
        };
        people::update_employment(&mut tx, job, &update).await?;
    }
    let what = serde_json::json!({
        "employment": job.get(),
        "op": if delete { "delete" } else { "end" },
    });
    job_event(&mut tx, clock, context, person, school, what).await?;
    tx.commit().await?;
    Ok(found.employer_name)
}

// ---------------------------------------------------------------- outstanding alumni and photos

/// Why a photo was refused, in Chinese.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhotoRefused {
    Empty,
    TooLarge,
    NotAnImage,
}

impl std::fmt::Display for PhotoRefused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            PhotoRefused::Empty => "请选择要上传的照片",
            PhotoRefused::TooLarge => "照片不能超过 5 MB，请压缩后再上传",
            PhotoRefused::NotAnImage => "只能上传 JPEG、PNG 或 WebP 格式的照片",
        })
    }
}

/// The image type of a file by its first bytes (never by its name).
pub fn sniff_image(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else if bytes.len() >= 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
        Some("image/webp")
    } else {
        None
    }
}

/// The school whose file a change goes into: the first of the person's schools the actor
/// edits.
async fn file_school(db: &Db, actor: &Actor, person: PersonId) -> AppResult<SchoolId> {
    editable_records(db, actor, person)
        .await?
        .first()
        .map(|r| r.school)
        .ok_or(AppError::Forbidden)
}

pub async fn upload_photo(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    kind: PhotoKind,
    bytes: &[u8],
) -> AppResult<Result<i64, PhotoRefused>> {
    let school = file_school(db, actor, person).await?;
    if bytes.is_empty() {
        return Ok(Err(PhotoRefused::Empty));
    }
    if bytes.len() > MAX_PHOTO_BYTES {
        return Ok(Err(PhotoRefused::TooLarge));
    }
    let Some(content_type) = sniff_image(bytes) else {
        return Ok(Err(PhotoRefused::NotAnImage));
    };
    let mut tx = db.begin().await?;
    let id = alumni::insert_photo(
        &mut tx,
        &NewPhoto {
            person,
            school,
            kind,
            content_type,
            bytes,
            uploaded_by: context.actor_user_id.map(UserId),
        },
    )
    .await?;
    let event = Event {
        action: "create",
        target_kind: "photo",
        target_id: Some(id.to_string()),
        school: Some(school),
        changes: Some(
            serde_json::json!({ "person": person.get(), "kind": kind.code(),
                "content_type": content_type, "bytes": bytes.len() })
            .to_string(),
        ),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(Ok(id))
}

/// A photo of the person, if the actor may see the person (otherwise "not found").
pub async fn photo_for(
    db: &Db,
    actor: &Actor,
    person: PersonId,
    photo: i64,
) -> AppResult<(String, Vec<u8>)> {
    let missing = || AppError::NotFound("该照片");
    if !access::person_in_scope(db, actor, Action::View, person).await? {
        return Err(missing());
    }
    let meta = alumni::get_photo(db, photo).await?.ok_or_else(missing)?;
    if meta.person != person {
        return Err(missing());
    }
    let bytes = alumni::photo_bytes(db, photo).await?.ok_or_else(missing)?;
    Ok((meta.content_type, bytes))
}

pub async fn delete_photo(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    photo: i64,
) -> AppResult<()> {
    let records = editable_records(db, actor, person).await?;
    let missing = || AppError::NotFound("该照片");
    let meta = alumni::get_photo(db, photo).await?.ok_or_else(missing)?;
    if meta.person != person || !records.iter().any(|r| r.school == meta.school) {
        return Err(missing());
    }
    let mut tx = db.begin().await?;
    alumni::delete_photo(&mut tx, photo).await?;
    let event = Event {
        action: "delete",
        target_kind: "photo",
        target_id: Some(photo.to_string()),
        school: Some(meta.school),
        changes: Some(serde_json::json!({ "person": person.get() }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

/// Marks the person outstanding in the actor's school file (empty achievements unmark).
pub async fn set_outstanding(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    person: PersonId,
    achievements: &str,
) -> AppResult<Result<bool, FieldErrors>> {
    let school = file_school(db, actor, person).await?;
    let achievements = achievements.trim();
    if achievements.chars().count() > 2_000 {
        let mut errors = FieldErrors::default();
        errors.add("achievements", "主要成就最多 2000 个字");
        return Ok(Err(errors));
    }
    let now = clock.now();
    let mut tx = db.begin().await?;
    let marked = if achievements.is_empty() {
        alumni::clear_outstanding(&mut tx, person, school).await?;
        false
    } else {
        alumni::set_outstanding(
            &mut tx,
            person,
            school,
            achievements,
            context.actor_user_id.map(UserId),
            now,
        )
        .await?;
        true
    };
    let event = Event {
        action: "update",
        target_kind: "outstanding",
        target_id: Some(person.to_string()),
        school: Some(school),
        changes: Some(serde_json::json!({ "outstanding": marked }).to_string()),
    };
    audit::write(&mut tx, context, event, now).await?;
    tx.commit().await?;
    Ok(Ok(marked))
}

// ---------------------------------------------------------------- lists of a school

/// Whether the scope reaches into the school at all (wholly, or a college or class of it).
pub async fn scope_reaches_school(db: &Db, scope: &Scope, school: SchoolId) -> AppResult<bool> {
    Ok(scope.covers_school(school) || schools_reached(db, scope).await?.contains(&school))
}

/// The schools whose colleges or classes the scope names (besides whole schools).
pub async fn schools_reached(
    db: &Db,
    scope: &Scope,
) -> AppResult<std::collections::BTreeSet<SchoolId>> {
    let mut schools = scope.schools.clone();
    for college in &scope.colleges {
        if let Some(found) = org::get_college(db, *college).await? {
            schools.insert(found.school);
        }
    }
    for class in &scope.classes {
        if let Some(found) = org::get_class(db, *class).await? {
            schools.insert(found.school);
        }
    }
    Ok(schools)
}

/// A school the actor reaches for an action; otherwise "not found".
pub async fn reached_school(
    db: &Db,
    actor: &Actor,
    action: Action,
    school: SchoolId,
) -> AppResult<School> {
    let missing = || AppError::NotFound("该学校");
    let found = org::get_school(db, school).await?.ok_or_else(missing)?;
    if !scope_reaches_school(db, actor.scope(Action::View), school).await? {
        return Err(missing());
    }
    if !scope_reaches_school(db, actor.scope(action), school).await? {
        return Err(AppError::Forbidden);
    }
    Ok(found)
}

const REGION_HEADERS: [&str; 7] = [
    "地区",
    "姓名",
    "学院",
    "班级",
    "毕业年份",
    "手机",
    "工作单位 / 职务",
];

/// The name a region is shown under.
pub fn region_label(region: &str) -> &str {
    if region.is_empty() {
        "未知地区"
    } else {
        region
    }
}

/// The per-region contact list (分地区通讯录) of a school, phones masked, audited.
pub async fn region_export(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    school: SchoolId,
    format: ExportFormat,
) -> AppResult<ExportFile> {
    let school = reached_school(db, actor, Action::Export, school).await?;
    let entries =
        alumni::region_entries(db, actor.scope(Action::Export), school.id, None, 100_000).await?;
    let rows: Vec<Vec<String>> = entries
        .into_iter()
        .map(|e| {
            let job = [e.employer, e.title]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / ");
            vec![
                region_label(&e.region).to_owned(),
                e.name,
                e.college_name.unwrap_or_default(),
                e.class_name.unwrap_or_default(),
                e.graduation_year.map(|y| y.to_string()).unwrap_or_default(),
                e.mobile
                    .as_deref()
                    .map(|m| ContactKind::Mobile.mask(m))
                    .unwrap_or_default(),
                job,
            ]
        })
        .collect();
    let table = ExportTable {
        title: format!("{} 分地区校友通讯录", school.name),
        headers: REGION_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows,
    };
    let bytes = table.render(format)?;
    let mut tx = db.begin().await?;
    let event = Event {
        action: "export",
        target_kind: "region_list",
        target_id: Some(school.id.to_string()),
        school: Some(school.id),
        changes: Some(serde_json::json!({ "rows": table.rows.len(), "masked": true }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    let extension = match format {
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Csv => "csv",
    };
    Ok(ExportFile {
        file_name: format!("{}分地区通讯录.{extension}", school.name),
        bytes,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Utc;
    use xiaoyou_core::{RegionCode, SchoolKind};

    fn school() -> School {
        School {
            id: SchoolId(1),
            name: "湖南城市学院".into(),
            kind: SchoolKind::University,
            city: RegionCode::new(430_900).unwrap_or_else(|_| unreachable!()),
            department: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_form_is_checked_like_a_roster_row() {
        let today = NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default();
        let form = AlumnusForm {
            name: "王小明".into(),
            id_card: "430104199001011234".into(),
            mobile: "1380000".into(),
            enrolment_year: "2012".into(),
            graduation_year: "2010".into(),
            ..AlumnusForm::default()
        };
        let errors = check_form(&form, &school(), today)
            .err()
            .unwrap_or_default();
        assert!(errors.get("id_card").is_some_and(|m| m.contains("校验位")));
        assert!(errors.get("mobile").is_some());
        assert!(errors.get("graduation_year").is_some());
        assert!(errors.get("name").is_none());

        let good = AlumnusForm {
            name: "王小明".into(),
            birth_date: "2099-01-01".into(),
            ..AlumnusForm::default()
        };
        let errors = check_form(&good, &school(), today)
            .err()
            .unwrap_or_default();
        assert!(errors.get("birth_date").is_some());
    }

    #[test]
    fn images_are_recognised_by_their_bytes() {
        assert_eq!(sniff_image(&[0xFF, 0xD8, 0xFF, 0xE0]), Some("image/jpeg"));
        assert_eq!(sniff_image(b"\x89PNG\r\n\x1a\n...."), Some("image/png"));
        assert_eq!(sniff_image(b"RIFF\0\0\0\0WEBPVP8 "), Some("image/webp"));
        assert_eq!(sniff_image(b"GIF89a"), None);
        assert_eq!(sniff_image(b"<svg"), None);
    }
}
