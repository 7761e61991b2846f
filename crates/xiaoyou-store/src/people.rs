//! Persons and what is recorded about them: study records, contact points, employment.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use xiaoyou_core::{
    ClassId, CollegeId, ContactId, ContactKind, EmploymentId, EnterpriseId, Gender, MajorId,
    PersonId, PersonName, RegionCode, SchoolId, SourceId, StudyLevel, StudyRecordId,
};
use xiaoyou_text::name_key;

/// An ID number as the store keeps it: never in clear.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredIdCard {
    pub hash: String,
    pub cipher: Vec<u8>,
    pub masked: String,
}

#[derive(Debug, Clone)]
pub struct NewPerson {
    pub name: PersonName,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_card: Option<StoredIdCard>,
    pub native_region: Option<RegionCode>,
    pub current_city: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub id: PersonId,
    pub name: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_card_masked: Option<String>,
    pub native_region: Option<RegionCode>,
    pub current_city: Option<String>,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewStudyRecord<'a> {
    pub person: PersonId,
    pub school: SchoolId,
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub class: Option<ClassId>,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub student_no: Option<&'a str>,
    pub name_as_reported: &'a str,
    pub source: SourceId,
    /// The row it came from, e.g. `2015届通讯录.xlsx#12 序号=10`.
    pub source_ref: Option<&'a str>,
}

/// A study record with the names of its school, college, major and class, for display.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StudyRecordView {
    pub id: StudyRecordId,
    pub school: SchoolId,
    pub school_name: String,
    pub college: Option<CollegeId>,
    pub college_name: Option<String>,
    pub major_name: Option<String>,
    pub class: Option<ClassId>,
    pub class_name: Option<String>,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub student_no: Option<String>,
    pub source_label: String,
    pub source_ref: Option<String>,
    pub reported_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewContact<'a> {
    pub person: PersonId,
    pub kind: ContactKind,
    pub value: &'a str,
    pub source: SourceId,
    pub observed_on: Option<NaiveDate>,
    pub verified: bool,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactPoint {
    pub id: ContactId,
    pub kind: ContactKind,
    pub value: String,
    pub source_label: String,
    pub observed_on: Option<NaiveDate>,
    pub verified: bool,
}

#[derive(Debug, Clone)]
pub struct NewEmployment<'a> {
    pub person: PersonId,
    pub enterprise: Option<EnterpriseId>,
    pub employer_name: &'a str,
    pub title: Option<&'a str>,
    pub city: Option<&'a str>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub is_current: bool,
    pub source: SourceId,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Employment {
    pub id: EmploymentId,
    pub enterprise: Option<EnterpriseId>,
    pub employer_name: String,
    pub title: Option<String>,
    pub city: Option<String>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub is_current: bool,
}

/// One line of a class register (班级通讯录). The phone is in clear here: the caller masks it
/// according to the actor's rights before it leaves the system.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegisterEntry {
    pub person: PersonId,
    pub name: String,
    pub gender: Option<Gender>,
    pub student_no: Option<String>,
    pub mobile: Option<String>,
    pub employer: Option<String>,
    pub title: Option<String>,
    pub city: Option<String>,
}

fn region_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

fn parse_gender(raw: Option<String>, table: &'static str, id: i64) -> StoreResult<Option<Gender>> {
    raw.map(|g| {
        Gender::parse(&g).map_err(|e| StoreError::Corrupt {
            table,
            id,
            detail: e.to_string(),
        })
    })
    .transpose()
}

// ---------------------------------------------------------------- persons

pub async fn insert_person(tx: &mut Tx, person: &NewPerson) -> StoreResult<PersonId> {
    let now = Utc::now();
    let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO persons (name, name_key, gender, birth_date, id_card_hash, id_card_cipher,
             id_card_masked, native_region_code, current_city, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $10) RETURNING id"
    )
    .bind(person.name.as_str())
    .bind(name_key(person.name.as_str()))
    .bind(person.gender.map(Gender::code))
    .bind(person.birth_date)
    .bind(person.id_card.as_ref().map(|c| c.hash.as_str()))
    .bind(person.id_card.as_ref().map(|c| c.cipher.as_slice()))
    .bind(person.id_card.as_ref().map(|c| c.masked.as_str()))
    .bind(person.native_region.map(region_param))
    .bind(person.current_city.as_deref())
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建校友", "身份证号相同的校友"))?);
    Ok(PersonId(id))
}

type PersonRow = (
    i64,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    Option<i32>,
    Option<String>,
    DateTime<Utc>,
);

pub async fn get_person(db: &Db, id: PersonId) -> StoreResult<Option<Person>> {
    let row: Option<PersonRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT id, name, gender, birth_date, id_card_masked, native_region_code, current_city, updated_at
         FROM persons WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取校友", "校友"))?
    });
    let Some((id, name, gender, birth_date, masked, native, city, updated_at)) = row else {
        return Ok(None);
    };
    Ok(Some(Person {
        id: PersonId(id),
        name,
        gender: parse_gender(gender, "persons", id)?,
        birth_date,
        id_card_masked: masked,
        native_region: native
            .and_then(|c| u32::try_from(c).ok())
            .and_then(|c| RegionCode::new(c).ok()),
        current_city: city,
        updated_at,
    }))
}

/// The person holding an ID number, found by its keyed hash.
pub async fn find_by_id_card_hash(db: &Db, hash: &str) -> StoreResult<Option<PersonId>> {
    let id: Option<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id FROM persons WHERE id_card_hash = $1"
    )
    .bind(hash)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("按身份证号查找校友", "校友"))?);
    Ok(id.map(PersonId))
}

/// The encrypted ID number of a person, for an audited unmasking.
pub async fn id_card_cipher(db: &Db, id: PersonId) -> StoreResult<Option<Vec<u8>>> {
    let cipher: Option<Option<Vec<u8>>> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id_card_cipher FROM persons WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取身份证号密文", "校友"))?);
    Ok(cipher.flatten())
}

pub async fn count_persons(db: &Db) -> StoreResult<i64> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM persons"
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("统计校友", "校友")))
}

// ---------------------------------------------------------------- study records

pub async fn insert_study_record(
    tx: &mut Tx,
    record: &NewStudyRecord<'_>,
) -> StoreResult<StudyRecordId> {
    let now = Utc::now();
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO study_records (person_id, school_id, college_id, major_id, class_id, level,
             enrolment_year, graduation_year, student_no, name_as_reported, source_id, source_ref,
             reported_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING id"
    )
    .bind(record.person.get())
    .bind(record.school.get())
    .bind(record.college.map(CollegeId::get))
    .bind(record.major.map(MajorId::get))
    .bind(record.class.map(ClassId::get))
    .bind(record.level.code())
    .bind(record.enrolment_year)
    .bind(record.graduation_year)
    .bind(record.student_no)
    .bind(record.name_as_reported)
    .bind(record.source.get())
    .bind(record.source_ref)
    .bind(now)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建学籍记录", "校友、学校或班级"))?
    });
    Ok(StudyRecordId(id))
}

type StudyRow = (
    i64,
    i64,
    String,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    String,
    Option<i32>,
    Option<i32>,
    Option<String>,
    String,
    Option<String>,
    DateTime<Utc>,
);

pub async fn study_records_of_person(
    db: &Db,
    person: PersonId,
) -> StoreResult<Vec<StudyRecordView>> {
    let rows: Vec<StudyRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT r.id, r.school_id, s.name, r.college_id, c.name, m.name, r.class_id, k.name, r.level,
                r.enrolment_year, r.graduation_year, r.student_no, src.label, r.source_ref, r.reported_at
         FROM study_records r
         JOIN schools s ON s.id = r.school_id
         JOIN sources src ON src.id = r.source_id
         LEFT JOIN colleges c ON c.id = r.college_id
         LEFT JOIN majors m ON m.id = r.major_id
         LEFT JOIN classes k ON k.id = r.class_id
         WHERE r.person_id = $1
         ORDER BY r.enrolment_year, r.id"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取学籍记录", "学籍记录"))?
    });
    rows.into_iter()
        .map(|row| {
            let (
                id,
                school,
                school_name,
                college,
                college_name,
                major_name,
                class,
                class_name,
                level,
                enrolment_year,
                graduation_year,
                student_no,
                source_label,
                source_ref,
                reported_at,
            ) = row;
            Ok(StudyRecordView {
                id: StudyRecordId(id),
                school: SchoolId(school),
                school_name,
                college: college.map(CollegeId),
                college_name,
                major_name,
                class: class.map(ClassId),
                class_name,
                level: StudyLevel::parse(&level).map_err(|e| StoreError::Corrupt {
                    table: "study_records",
                    id,
                    detail: e.to_string(),
                })?,
                enrolment_year,
                graduation_year,
                student_no,
                source_label,
                source_ref,
                reported_at,
            })
        })
        .collect()
}

/// The class register: every alumnus with a study record in the class, by name, with the
/// newest mobile number and current job.
pub async fn class_register(db: &Db, class: ClassId) -> StoreResult<Vec<RegisterEntry>> {
    let rows: Vec<RegisterRow> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT p.id, p.name, p.gender, r.student_no,
            (SELECT cp.value FROM contact_points cp WHERE cp.person_id = p.id AND cp.kind = 'mobile'
              ORDER BY cp.observed_on DESC, cp.id DESC LIMIT 1),
            e.employer_name, e.title, COALESCE(e.city, p.current_city)
         FROM study_records r
         JOIN persons p ON p.id = r.person_id
         LEFT JOIN employments e ON e.id = (SELECT e2.id FROM employments e2
              WHERE e2.person_id = p.id AND e2.is_current ORDER BY e2.start_year DESC, e2.id DESC LIMIT 1)
         WHERE r.class_id = $1
         ORDER BY r.student_no, p.name_key, p.id"
    )
    .bind(class.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取班级通讯录", "班级"))?
    });
    rows.into_iter()
        .map(
            |(id, name, gender, student_no, mobile, employer, title, city)| {
                Ok(RegisterEntry {
                    person: PersonId(id),
                    name,
                    gender: parse_gender(gender, "persons", id)?,
                    student_no,
                    mobile,
                    employer,
                    title,
                    city,
                })
            },
        )
        .collect()
}

type RegisterRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
);

// ---------------------------------------------------------------- contact points

/// The key contact values are matched on: digits only for phones, lower case otherwise.
pub fn contact_value_key(kind: ContactKind, value: &str) -> std::borrow::Cow<'_, str> {
    use std::borrow::Cow;
    match kind {
        ContactKind::Mobile if value.bytes().all(|b| b.is_ascii_digit()) => Cow::Borrowed(value),
        ContactKind::Mobile => Cow::Owned(value.chars().filter(char::is_ascii_digit).collect()),
        _ => {
            let trimmed = value.trim();
            let lower_ascii = trimmed
                .bytes()
                .all(|b| b.is_ascii() && !b.is_ascii_uppercase());
            if lower_ascii {
                Cow::Borrowed(trimmed)
            } else {
                Cow::Owned(trimmed.to_lowercase())
            }
        }
    }
}

pub async fn insert_contact(tx: &mut Tx, contact: &NewContact<'_>) -> StoreResult<ContactId> {
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO contact_points (person_id, kind, value, value_key, source_id, observed_on, verified, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(contact.person.get())
    .bind(contact.kind.code())
    .bind(contact.value)
    .bind(contact_value_key(contact.kind, contact.value))
    .bind(contact.source.get())
    .bind(contact.observed_on)
    .bind(contact.verified)
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建联系方式", "校友或数据来源"))?
    });
    Ok(ContactId(id))
}

pub async fn contacts_of_person(db: &Db, person: PersonId) -> StoreResult<Vec<ContactPoint>> {
    let rows: Vec<(i64, String, String, String, Option<NaiveDate>, bool)> =
        on_db!(db, |pool| sqlx::query_as(
            "SELECT cp.id, cp.kind, cp.value, s.label, cp.observed_on, cp.verified
         FROM contact_points cp JOIN sources s ON s.id = cp.source_id
         WHERE cp.person_id = $1 ORDER BY cp.kind, cp.observed_on DESC, cp.id DESC"
        )
        .bind(person.get())
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取联系方式", "联系方式"))?);
    rows.into_iter()
        .map(|(id, kind, value, source_label, observed_on, verified)| {
            Ok(ContactPoint {
                id: ContactId(id),
                kind: ContactKind::parse(&kind).map_err(|e| StoreError::Corrupt {
                    table: "contact_points",
                    id,
                    detail: e.to_string(),
                })?,
                value,
                source_label,
                observed_on,
                verified,
            })
        })
        .collect()
}

/// Persons holding a contact value (for identity matching: the same phone or email).
pub async fn persons_with_contact(
    db: &Db,
    kind: ContactKind,
    value: &str,
) -> StoreResult<Vec<PersonId>> {
    let ids: Vec<i64> = on_db!(db, |pool| {
        sqlx::query_scalar(
        "SELECT DISTINCT person_id FROM contact_points WHERE kind = $1 AND value_key = $2 ORDER BY person_id"
    )
    .bind(kind.code())
    .bind(contact_value_key(kind, value))
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("按联系方式查找校友", "校友"))?
    });
    Ok(ids.into_iter().map(PersonId).collect())
}

// ---------------------------------------------------------------- employment

pub async fn insert_employment(tx: &mut Tx, job: &NewEmployment<'_>) -> StoreResult<EmploymentId> {
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO employments (person_id, enterprise_id, employer_name, title, city, start_year,
             end_year, is_current, source_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(job.person.get())
    .bind(job.enterprise.map(EnterpriseId::get))
    .bind(job.employer_name.trim())
    .bind(job.title)
    .bind(job.city)
    .bind(job.start_year)
    .bind(job.end_year)
    .bind(job.is_current)
    .bind(job.source.get())
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建工作经历", "校友、企业或数据来源"))?
    });
    Ok(EmploymentId(id))
}

pub async fn employments_of_person(db: &Db, person: PersonId) -> StoreResult<Vec<Employment>> {
    type Row = (
        i64,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        Option<i32>,
        Option<i32>,
        bool,
    );
    let rows: Vec<Row> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, enterprise_id, employer_name, title, city, start_year, end_year, is_current
         FROM employments WHERE person_id = $1 ORDER BY is_current DESC, start_year DESC, id DESC"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取工作经历", "工作经历"))?);
    Ok(rows
        .into_iter()
        .map(
            |(id, enterprise, employer_name, title, city, start_year, end_year, is_current)| {
                Employment {
                    id: EmploymentId(id),
                    enterprise: enterprise.map(EnterpriseId),
                    employer_name,
                    title,
                    city,
                    start_year,
                    end_year,
                    is_current,
                }
            },
        )
        .collect())
}

// ---------------------------------------------------------------- changes from the office

/// What an edit does to the person's ID number.
#[derive(Debug, Clone)]
pub enum IdCardChange {
    Keep,
    Clear,
    Set(StoredIdCard),
}

/// A person's own fields as an edit form sets them.
#[derive(Debug, Clone)]
pub struct PersonUpdate {
    pub name: PersonName,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_card: IdCardChange,
    pub current_city: Option<String>,
}

pub async fn update_person(
    tx: &mut Tx,
    id: PersonId,
    update: &PersonUpdate,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let changed = on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE persons SET name = $2, name_key = $3, gender = $4, birth_date = $5,
             current_city = $6, updated_at = $7 WHERE id = $1"
    )
    .bind(id.get())
    .bind(update.name.as_str())
    .bind(name_key(update.name.as_str()))
    .bind(update.gender.map(Gender::code))
    .bind(update.birth_date)
    .bind(update.current_city.as_deref())
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改校友", "校友"))?);
    let card = match &update.id_card {
        IdCardChange::Keep => return Ok(changed > 0),
        IdCardChange::Clear => None,
        IdCardChange::Set(card) => Some(card),
    };
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "UPDATE persons SET id_card_hash = $2, id_card_cipher = $3, id_card_masked = $4 WHERE id = $1"
    )
    .bind(id.get())
    .bind(card.map(|c| c.hash.as_str()))
    .bind(card.map(|c| c.cipher.as_slice()))
    .bind(card.map(|c| c.masked.as_str()))
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("修改校友身份证号", "身份证号相同的校友"))?
    });
    Ok(changed > 0)
}

/// The keyed hash of the person's ID number, if one is on record.
pub async fn id_card_hash(db: &Db, id: PersonId) -> StoreResult<Option<String>> {
    let hash: Option<Option<String>> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT id_card_hash FROM persons WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取校友", "校友"))?);
    Ok(hash.flatten())
}

/// The fields of a study record an edit form sets.
#[derive(Debug, Clone)]
pub struct StudyRecordUpdate {
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub student_no: Option<String>,
    pub name_as_reported: String,
}

pub async fn update_study_record(
    tx: &mut Tx,
    id: StudyRecordId,
    update: &StudyRecordUpdate,
) -> StoreResult<bool> {
    let changed = on_tx!(tx, |conn| sqlx::query(
        "UPDATE study_records SET level = $2, enrolment_year = $3, graduation_year = $4,
             student_no = $5, name_as_reported = $6 WHERE id = $1"
    )
    .bind(id.get())
    .bind(update.level.code())
    .bind(update.enrolment_year)
    .bind(update.graduation_year)
    .bind(update.student_no.as_deref())
    .bind(update.name_as_reported.as_str())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改学籍记录", "学籍记录"))?);
    Ok(changed > 0)
}

/// The newest value of one kind of contact of a person (in clear: the caller masks it).
pub async fn latest_contact(
    db: &Db,
    person: PersonId,
    kind: ContactKind,
) -> StoreResult<Option<String>> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT value FROM contact_points WHERE person_id = $1 AND kind = $2
         ORDER BY observed_on DESC, id DESC LIMIT 1"
    )
    .bind(person.get())
    .bind(kind.code())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取联系方式", "联系方式")))
}

/// A job as it is corrected in a form.
#[derive(Debug, Clone)]
pub struct EmploymentUpdate {
    pub employer_name: String,
    pub title: Option<String>,
    pub city: Option<String>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub is_current: bool,
}

/// A job with the person it belongs to.
pub async fn get_employment(
    db: &Db,
    id: EmploymentId,
) -> StoreResult<Option<(PersonId, Employment)>> {
    type Row = (
        i64,
        i64,
        Option<i64>,
        String,
        Option<String>,
        Option<String>,
        Option<i32>,
        Option<i32>,
        bool,
    );
    let row: Option<Row> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, person_id, enterprise_id, employer_name, title, city, start_year, end_year,
             is_current FROM employments WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取工作经历", "工作经历"))?);
    Ok(row.map(
        |(id, person, enterprise, employer_name, title, city, start_year, end_year, is_current)| {
            (
                PersonId(person),
                Employment {
                    id: EmploymentId(id),
                    enterprise: enterprise.map(EnterpriseId),
                    employer_name,
                    title,
                    city,
                    start_year,
                    end_year,
                    is_current,
                },
            )
        },
    ))
}

/// Corrects a job; a changed employer name drops the link to a catalogued enterprise.
pub async fn update_employment(
    tx: &mut Tx,
    id: EmploymentId,
    update: &EmploymentUpdate,
) -> StoreResult<bool> {
    let changed = on_tx!(tx, |conn| sqlx::query(
        "UPDATE employments SET
             enterprise_id = CASE WHEN employer_name = $2 THEN enterprise_id ELSE NULL END,
             employer_name = $2, title = $3, city = $4, start_year = $5, end_year = $6,
             is_current = $7
         WHERE id = $1"
    )
    .bind(id.get())
    .bind(update.employer_name.trim())
    .bind(update.title.as_deref())
    .bind(update.city.as_deref())
    .bind(update.start_year)
    .bind(update.end_year)
    .bind(update.is_current)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改工作经历", "工作经历"))?);
    Ok(changed > 0)
}

pub async fn delete_employment(tx: &mut Tx, id: EmploymentId) -> StoreResult<bool> {
    let removed = on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM employments WHERE id = $1"
    )
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("删除工作经历", "工作经历"))?);
    Ok(removed > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::borrow::Cow;

    #[test]
    fn contact_keys_borrow_values_already_in_key_form() {
        let key = |kind, value| contact_value_key(kind, value);
        assert!(matches!(
            key(ContactKind::Mobile, "13800001111"),
            Cow::Borrowed("13800001111")
        ));
        assert_eq!(key(ContactKind::Mobile, "138-0000-1111"), "13800001111");
        assert!(matches!(
            key(ContactKind::Email, " wang@example.com "),
            Cow::Borrowed("wang@example.com")
        ));
        assert_eq!(
            key(ContactKind::Email, "Wang@Example.COM"),
            "wang@example.com"
        );
        assert_eq!(key(ContactKind::WeChat, "ＷＡＮＧ伟"), "ｗａｎｇ伟");
        assert_eq!(key(ContactKind::QQ, "12345"), "12345");
    }
}
