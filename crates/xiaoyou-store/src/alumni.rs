//! What a school's alumni office works with day to day: filtered lists of alumni within a
//! scope, the outstanding-alumni file (优秀校友档案) with its photos, the per-region contact
//! list (分地区通讯录), and deleting a study record or a person without leaving orphans.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use sqlx::QueryBuilder;
use xiaoyou_core::{
    ClassId, CollegeId, Gender, MajorId, PersonId, SchoolId, Scope, StudyRecordId, UserId,
};

/// At most this many ids of one kind go into a scope condition (a grant list is small).
const SCOPE_IDS: usize = 5_000;

/// What an alumni list is narrowed to, besides the actor's scope.
#[derive(Debug, Clone, Default)]
pub struct AlumniFilter {
    pub school: Option<SchoolId>,
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub class: Option<ClassId>,
    pub graduation_year: Option<i32>,
    /// The start of the city where the alumnus lives now ("长沙" finds "长沙市").
    pub city: Option<String>,
    /// Part of the name.
    pub name: Option<String>,
    /// Keyset paging: only records with a smaller id (the list runs newest first).
    pub before: Option<StudyRecordId>,
    pub limit: i64,
}

/// One line of an alumni list: one study record with its person.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AlumnusLine {
    pub record: StudyRecordId,
    pub person: PersonId,
    pub name: String,
    pub gender: Option<Gender>,
    pub school_name: String,
    pub college_name: Option<String>,
    pub major_name: Option<String>,
    pub class: Option<ClassId>,
    pub class_name: Option<String>,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub city: Option<String>,
}

type LineRow = (
    i64,
    i64,
    String,
    Option<String>,
    String,
    Option<String>,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<String>,
);

fn like_pattern(text: &str, prefix_only: bool) -> String {
    let escaped = text
        .trim()
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    if prefix_only {
        format!("{escaped}%")
    } else {
        format!("%{escaped}%")
    }
}

/// Pushes ` AND (<the scope's records>)` for the study record alias `r`; nothing for the whole
/// province. An empty scope matches nothing.
macro_rules! push_scope {
    ($builder:expr, $scope:expr) => {{
        let scope: &Scope = $scope;
        if !scope.all {
            // A single condition stays a plain `IN` so the database uses that column's index.
            let parts: Vec<(&str, Vec<i64>)> = [
                (
                    "r.school_id",
                    scope
                        .schools
                        .iter()
                        .take(SCOPE_IDS)
                        .map(|s| s.get())
                        .collect(),
                ),
                (
                    "r.college_id",
                    scope
                        .colleges
                        .iter()
                        .take(SCOPE_IDS)
                        .map(|c| c.get())
                        .collect(),
                ),
                (
                    "r.class_id",
                    scope
                        .classes
                        .iter()
                        .take(SCOPE_IDS)
                        .map(|c| c.get())
                        .collect(),
                ),
                (
                    "r.person_id",
                    scope
                        .persons
                        .iter()
                        .take(SCOPE_IDS)
                        .map(|p| p.get())
                        .collect(),
                ),
            ]
            .into_iter()
            .filter(|(_, ids): &(&str, Vec<i64>)| !ids.is_empty())
            .collect();
            if parts.is_empty() {
                $builder.push(" AND 1 = 0");
            } else {
                $builder.push(" AND (");
                for (i, (column, ids)) in parts.into_iter().enumerate() {
                    if i > 0 {
                        $builder.push(" OR ");
                    }
                    $builder.push(format!("{column} IN ("));
                    let mut separated = $builder.separated(", ");
                    for id in ids {
                        separated.push_bind(id);
                    }
                    $builder.push(")");
                }
                $builder.push(")");
            }
        }
    }};
}

/// The alumni (study records) within the scope that match the filter, newest record first,
/// at most `limit` (keyset paging with `before`).
pub async fn list(db: &Db, scope: &Scope, filter: &AlumniFilter) -> StoreResult<Vec<AlumnusLine>> {
    macro_rules! build {
        () => {{
            // Left joins (every record has its person and school) keep the records table
            // first, so pages walk an index in id order instead of sorting the whole scope.
            let mut builder = QueryBuilder::new(
                "SELECT r.id, r.person_id, p.name, p.gender, s.name, c.name, m.name, r.class_id,
                        k.name, r.enrolment_year, r.graduation_year, p.current_city
                 FROM study_records r
                 LEFT JOIN persons p ON p.id = r.person_id
                 LEFT JOIN schools s ON s.id = r.school_id
                 LEFT JOIN colleges c ON c.id = r.college_id
                 LEFT JOIN majors m ON m.id = r.major_id
                 LEFT JOIN classes k ON k.id = r.class_id
                 WHERE 1 = 1",
            );
            push_scope!(builder, scope);
            if let Some(school) = filter.school {
                builder.push(" AND r.school_id = ").push_bind(school.get());
            }
            if let Some(college) = filter.college {
                builder
                    .push(" AND r.college_id = ")
                    .push_bind(college.get());
            }
            if let Some(major) = filter.major {
                builder.push(" AND r.major_id = ").push_bind(major.get());
            }
            if let Some(class) = filter.class {
                builder.push(" AND r.class_id = ").push_bind(class.get());
            }
            if let Some(year) = filter.graduation_year {
                builder.push(" AND r.graduation_year = ").push_bind(year);
            }
            if let Some(city) = filter.city.as_deref().filter(|c| !c.trim().is_empty()) {
                builder
                    .push(" AND p.current_city LIKE ")
                    .push_bind(like_pattern(city, true))
                    .push(" ESCAPE '\\'");
            }
            if let Some(name) = filter.name.as_deref().filter(|n| !n.trim().is_empty()) {
                let narrow = !scope.all
                    || filter.school.is_some()
                    || filter.college.is_some()
                    || filter.class.is_some();
                if narrow {
                    // Within a school, college or class: check the names of its records.
                    builder
                        .push(" AND p.name LIKE ")
                        .push_bind(like_pattern(name, false))
                        .push(" ESCAPE '\\'");
                } else {
                    // Across the province: match the names first (one pass over persons),
                    // then look up their records.
                    builder
                        .push(" AND r.person_id IN (SELECT n.id FROM persons n WHERE n.name LIKE ")
                        .push_bind(like_pattern(name, false))
                        .push(" ESCAPE '\\')");
                }
            }
            if let Some(before) = filter.before {
                builder.push(" AND r.id < ").push_bind(before.get());
            }
            builder
                .push(" ORDER BY r.id DESC LIMIT ")
                .push_bind(filter.limit.clamp(1, 500));
            builder
        }};
    }
    let rows: Vec<LineRow> = on_db!(db, |pool| {
        let mut builder = build!();
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("查询校友列表", "校友"))?
    });
    rows.into_iter()
        .map(|row| {
            let (
                record,
                person,
                name,
                gender,
                school_name,
                college_name,
                major_name,
                class,
                class_name,
                enrolment_year,
                graduation_year,
                city,
            ) = row;
            Ok(AlumnusLine {
                record: StudyRecordId(record),
                person: PersonId(person),
                name,
                gender: parse_gender(gender, person)?,
                school_name,
                college_name,
                major_name,
                class: class.map(ClassId),
                class_name,
                enrolment_year,
                graduation_year,
                city,
            })
        })
        .collect()
}

fn parse_gender(raw: Option<String>, id: i64) -> StoreResult<Option<Gender>> {
    raw.map(|g| {
        Gender::parse(&g).map_err(|e| StoreError::Corrupt {
            table: "persons",
            id,
            detail: e.to_string(),
        })
    })
    .transpose()
}

// ---------------------------------------------------------------- regions

/// Where an alumnus is now: the city they live in, else the city of their current job.
const REGION_SQL: &str = "COALESCE(NULLIF(TRIM(p.current_city), ''),
      (SELECT e.city FROM employments e WHERE e.person_id = p.id AND e.is_current
        ORDER BY e.start_year DESC, e.id DESC LIMIT 1), '')";

/// How many alumni of the school (within the scope) are in each region, largest first. An
/// alumnus with several records at the school counts once.
pub async fn region_counts(
    db: &Db,
    scope: &Scope,
    school: SchoolId,
) -> StoreResult<Vec<(String, i64)>> {
    macro_rules! build {
        () => {{
            let mut builder = QueryBuilder::new(format!(
                "SELECT region, COUNT(*) FROM (SELECT DISTINCT p.id, {REGION_SQL} AS region
                 FROM study_records r JOIN persons p ON p.id = r.person_id
                 WHERE r.school_id = "
            ));
            builder.push_bind(school.get());
            push_scope!(builder, scope);
            builder.push(") AS located GROUP BY region ORDER BY COUNT(*) DESC, region");
            builder
        }};
    }
    on_db!(db, |pool| {
        let mut builder = build!();
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("统计分地区校友", "校友"))
    })
}

/// One alumnus in the regional contact list. The phone is in clear: the caller masks it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionEntry {
    pub region: String,
    pub person: PersonId,
    pub name: String,
    pub college_name: Option<String>,
    pub class_name: Option<String>,
    pub graduation_year: Option<i32>,
    pub mobile: Option<String>,
    pub employer: Option<String>,
    pub title: Option<String>,
}

type RegionRow = (
    String,
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<String>,
);

/// The alumni of the school (within the scope) by region and name; one region or all, at
/// most `limit` lines. A person with several records at the school appears once (their
/// latest record).
pub async fn region_entries(
    db: &Db,
    scope: &Scope,
    school: SchoolId,
    region: Option<&str>,
    limit: i64,
) -> StoreResult<Vec<RegionEntry>> {
    macro_rules! build {
        () => {{
            // The page of people is chosen first; their phone and job are looked up for
            // that page only.
            let mut builder = QueryBuilder::new(format!(
                "SELECT page.region, p.id, p.name, c.name, k.name, r.graduation_year,
                    (SELECT cp.value FROM contact_points cp WHERE cp.person_id = p.id AND cp.kind = 'mobile'
                      ORDER BY cp.observed_on DESC, cp.id DESC LIMIT 1),
                    e.employer_name, e.title
                 FROM (SELECT located.person_id, located.record_id, located.region, q.name_key
                       FROM (SELECT p.id AS person_id, MAX(r.id) AS record_id, {REGION_SQL} AS region
                             FROM study_records r JOIN persons p ON p.id = r.person_id
                             WHERE r.school_id = "
            ));
            builder.push_bind(school.get());
            push_scope!(builder, scope);
            if let Some(region) = region {
                builder
                    .push(format!(" AND {REGION_SQL} = "))
                    .push_bind(region.to_owned());
            }
            builder.push(
                " GROUP BY p.id, p.current_city) AS located
                       JOIN persons q ON q.id = located.person_id
                       ORDER BY located.region, q.name_key, located.person_id LIMIT ",
            );
            builder.push_bind(limit.clamp(1, 100_000));
            builder.push(
                ") AS page
                 JOIN persons p ON p.id = page.person_id
                 JOIN study_records r ON r.id = page.record_id
                 LEFT JOIN colleges c ON c.id = r.college_id
                 LEFT JOIN classes k ON k.id = r.class_id
                 LEFT JOIN employments e ON e.id = (SELECT e2.id FROM employments e2
                      WHERE e2.person_id = p.id AND e2.is_current ORDER BY e2.start_year DESC, e2.id DESC LIMIT 1)
                 ORDER BY page.region, page.name_key, p.id",
            );
            builder
        }};
    }
    let rows: Vec<RegionRow> = on_db!(db, |pool| {
        let mut builder = build!();
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取分地区通讯录", "校友"))?
    });
    Ok(rows
        .into_iter()
        .map(
            |(
                region,
                person,
                name,
                college_name,
                class_name,
                graduation_year,
                mobile,
                employer,
                title,
            )| {
                RegionEntry {
                    region,
                    person: PersonId(person),
                    name,
                    college_name,
                    class_name,
                    graduation_year,
                    mobile,
                    employer,
                    title,
                }
            },
        )
        .collect())
}

// ---------------------------------------------------------------- outstanding alumni

/// A school's outstanding-alumni mark on a person, with the achievements it records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutstandingMark {
    pub school: SchoolId,
    pub school_name: String,
    pub achievements: String,
    pub updated_at: DateTime<Utc>,
}

pub async fn marks_of_person(db: &Db, person: PersonId) -> StoreResult<Vec<OutstandingMark>> {
    let rows: Vec<(i64, String, String, DateTime<Utc>)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT o.school_id, s.name, o.achievements, o.updated_at FROM outstanding_alumni o
         JOIN schools s ON s.id = o.school_id WHERE o.person_id = $1 ORDER BY s.id"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取优秀校友档案", "优秀校友档案"))?);
    Ok(rows
        .into_iter()
        .map(
            |(school, school_name, achievements, updated_at)| OutstandingMark {
                school: SchoolId(school),
                school_name,
                achievements,
                updated_at,
            },
        )
        .collect())
}

/// Marks the person outstanding at the school (or updates the achievements).
pub async fn set_outstanding(
    tx: &mut Tx,
    person: PersonId,
    school: SchoolId,
    achievements: &str,
    by: Option<UserId>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    on_tx!(tx, |conn| sqlx::query(
        "INSERT INTO outstanding_alumni (person_id, school_id, achievements, marked_by, updated_at)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (person_id, school_id) DO UPDATE SET achievements = excluded.achievements,
             marked_by = excluded.marked_by, updated_at = excluded.updated_at"
    )
    .bind(person.get())
    .bind(school.get())
    .bind(achievements)
    .bind(by.map(UserId::get))
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("保存优秀校友档案", "校友或学校"))?);
    Ok(())
}

/// Removes the mark; whether there was one.
pub async fn clear_outstanding(
    tx: &mut Tx,
    person: PersonId,
    school: SchoolId,
) -> StoreResult<bool> {
    let removed = on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM outstanding_alumni WHERE person_id = $1 AND school_id = $2"
    )
    .bind(person.get())
    .bind(school.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("取消优秀校友", "优秀校友档案"))?);
    Ok(removed > 0)
}

/// One outstanding alumnus of a school, as the school's list shows them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutstandingLine {
    pub person: PersonId,
    pub name: String,
    pub achievements: String,
    pub college_name: Option<String>,
    pub major_name: Option<String>,
    pub class_name: Option<String>,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub employer: Option<String>,
    pub title: Option<String>,
    /// The newest personal photo of the file, if any.
    pub photo: Option<i64>,
}

type OutstandingRow = (
    i64,
    String,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<i64>,
);

/// The school's outstanding alumni within the scope, by name.
pub async fn outstanding_of_school(
    db: &Db,
    scope: &Scope,
    school: SchoolId,
) -> StoreResult<Vec<OutstandingLine>> {
    macro_rules! build {
        () => {{
            let mut builder = QueryBuilder::new(
                "SELECT p.id, p.name, o.achievements, c.name, m.name, k.name, r.enrolment_year,
                        r.graduation_year, e.employer_name, e.title,
                        (SELECT ph.id FROM person_photos ph WHERE ph.person_id = p.id
                           AND ph.school_id = o.school_id AND ph.kind = 'personal'
                         ORDER BY ph.id DESC LIMIT 1)
                 FROM outstanding_alumni o
                 JOIN persons p ON p.id = o.person_id
                 JOIN study_records r ON r.id = (SELECT MAX(r.id) FROM study_records r
                      WHERE r.person_id = o.person_id AND r.school_id = o.school_id",
            );
            push_scope!(builder, scope);
            builder.push(
                ")
                 LEFT JOIN colleges c ON c.id = r.college_id
                 LEFT JOIN majors m ON m.id = r.major_id
                 LEFT JOIN classes k ON k.id = r.class_id
                 LEFT JOIN employments e ON e.id = (SELECT e2.id FROM employments e2
                      WHERE e2.person_id = p.id AND e2.is_current ORDER BY e2.start_year DESC, e2.id DESC LIMIT 1)
                 WHERE o.school_id = ",
            );
            builder.push_bind(school.get());
            builder.push(" ORDER BY p.name_key, p.id LIMIT 5000");
            builder
        }};
    }
    let rows: Vec<OutstandingRow> = on_db!(db, |pool| {
        let mut builder = build!();
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取优秀校友名单", "优秀校友"))?
    });
    Ok(rows
        .into_iter()
        .map(|row| {
            let (
                person,
                name,
                achievements,
                college_name,
                major_name,
                class_name,
                enrolment_year,
                graduation_year,
                employer,
                title,
                photo,
            ) = row;
            OutstandingLine {
                person: PersonId(person),
                name,
                achievements,
                college_name,
                major_name,
                class_name,
                enrolment_year,
                graduation_year,
                employer,
                title,
                photo,
            }
        })
        .collect())
}

// ---------------------------------------------------------------- photos

/// The three kinds of photo an outstanding-alumni file keeps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum PhotoKind {
    /// 个人照
    Personal,
    /// 集体军训照
    Military,
    /// 班级毕业照
    Graduation,
}

impl PhotoKind {
    pub const ALL: [PhotoKind; 3] = [
        PhotoKind::Personal,
        PhotoKind::Military,
        PhotoKind::Graduation,
    ];

    pub fn code(self) -> &'static str {
        match self {
            PhotoKind::Personal => "personal",
            PhotoKind::Military => "military",
            PhotoKind::Graduation => "graduation",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            PhotoKind::Personal => "个人照",
            PhotoKind::Military => "军训照",
            PhotoKind::Graduation => "毕业照",
        }
    }

    pub fn parse(raw: &str) -> Option<PhotoKind> {
        PhotoKind::ALL.into_iter().find(|k| k.code() == raw)
    }
}

#[derive(Debug, Clone)]
pub struct NewPhoto<'a> {
    pub person: PersonId,
    pub school: SchoolId,
    pub kind: PhotoKind,
    pub content_type: &'a str,
    pub bytes: &'a [u8],
    pub uploaded_by: Option<UserId>,
}

/// A photo without its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PhotoMeta {
    pub id: i64,
    pub person: PersonId,
    pub school: SchoolId,
    pub kind: PhotoKind,
    pub content_type: String,
    pub byte_size: i32,
    pub created_at: DateTime<Utc>,
}

pub async fn insert_photo(tx: &mut Tx, photo: &NewPhoto<'_>) -> StoreResult<i64> {
    let size = i32::try_from(photo.bytes.len()).unwrap_or(i32::MAX);
    on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO person_photos (person_id, school_id, kind, content_type, byte_size, bytes,
             uploaded_by, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id"
    )
    .bind(photo.person.get())
    .bind(photo.school.get())
    .bind(photo.kind.code())
    .bind(photo.content_type)
    .bind(size)
    .bind(photo.bytes)
    .bind(photo.uploaded_by.map(UserId::get))
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("保存照片", "校友或学校")))
}

type PhotoRow = (i64, i64, i64, String, String, i32, DateTime<Utc>);

fn photo_meta(row: PhotoRow) -> StoreResult<PhotoMeta> {
    let (id, person, school, kind, content_type, byte_size, created_at) = row;
    Ok(PhotoMeta {
        id,
        person: PersonId(person),
        school: SchoolId(school),
        kind: PhotoKind::parse(&kind).ok_or_else(|| StoreError::Corrupt {
            table: "person_photos",
            id,
            detail: format!("未知照片类型 {kind}"),
        })?,
        content_type,
        byte_size,
        created_at,
    })
}

pub async fn photos_of_person(db: &Db, person: PersonId) -> StoreResult<Vec<PhotoMeta>> {
    let rows: Vec<PhotoRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, person_id, school_id, kind, content_type, byte_size, created_at
         FROM person_photos WHERE person_id = $1 ORDER BY kind, id"
    )
    .bind(person.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取照片", "照片"))?);
    rows.into_iter().map(photo_meta).collect()
}

pub async fn get_photo(db: &Db, id: i64) -> StoreResult<Option<PhotoMeta>> {
    let row: Option<PhotoRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, person_id, school_id, kind, content_type, byte_size, created_at
         FROM person_photos WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取照片", "照片"))?);
    row.map(photo_meta).transpose()
}

pub async fn photo_bytes(db: &Db, id: i64) -> StoreResult<Option<Vec<u8>>> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT bytes FROM person_photos WHERE id = $1"
    )
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取照片", "照片")))
}

pub async fn delete_photo(tx: &mut Tx, id: i64) -> StoreResult<bool> {
    let removed = on_tx!(tx, |conn| sqlx::query(
        "DELETE FROM person_photos WHERE id = $1"
    )
    .bind(id)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("删除照片", "照片"))?);
    Ok(removed > 0)
}

// ---------------------------------------------------------------- deleting

async fn execute(tx: &mut Tx, sql: &'static str, id: i64) -> StoreResult<u64> {
    on_tx!(tx, |conn| sqlx::query(sql)
        .bind(id)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("删除校友记录", "校友记录")))
}

/// Deletes one study record and what hangs on it: review-queue pairs naming it, merge
/// history entries that moved it; and when the person keeps no other record at that school,
/// the school's outstanding-alumni file, photos and appointments of the person. The person
/// stays (see [`delete_person`]). Whether the record existed.
pub async fn delete_study_record(tx: &mut Tx, record: StudyRecordId) -> StoreResult<bool> {
    let found: Option<(i64, i64)> = on_tx!(&mut *tx, |conn| sqlx::query_as(
        "SELECT person_id, school_id FROM study_records WHERE id = $1"
    )
    .bind(record.get())
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::query("删除学籍记录", "学籍记录"))?);
    let Some((person, school)) = found else {
        return Ok(false);
    };
    let id = record.get();
    execute(
        tx,
        "DELETE FROM identity_reviews WHERE record_a = $1 OR record_b = $1",
        id,
    )
    .await?;
    execute(
        tx,
        "DELETE FROM person_merge_moves WHERE table_name = 'study_records' AND row_id = $1",
        id,
    )
    .await?;
    execute(tx, "DELETE FROM study_records WHERE id = $1", id).await?;
    let left_at_school: i64 = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM study_records WHERE person_id = $1 AND school_id = $2"
    )
    .bind(person)
    .bind(school)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("删除学籍记录", "学籍记录"))?);
    if left_at_school == 0 {
        for sql in [
            "DELETE FROM outstanding_alumni WHERE person_id = $1 AND school_id = $2",
            "DELETE FROM person_photos WHERE person_id = $1 AND school_id = $2",
            "DELETE FROM appointments WHERE person_id = $1 AND school_id = $2",
        ] {
            on_tx!(&mut *tx, |conn| sqlx::query(sql)
                .bind(person)
                .bind(school)
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(StoreError::query("删除学籍记录", "校友档案"))?);
        }
    }
    Ok(true)
}

pub async fn study_record_count(tx: &mut Tx, person: PersonId) -> StoreResult<i64> {
    on_tx!(tx, |conn| sqlx::query_scalar(
        "SELECT COUNT(*) FROM study_records WHERE person_id = $1"
    )
    .bind(person.get())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("统计学籍记录", "学籍记录")))
}

/// Every row about the person, in an order the foreign keys allow.
const PERSON_ROWS: [&str; 14] = [
    "DELETE FROM contact_points WHERE person_id = $1",
    "DELETE FROM employments WHERE person_id = $1",
    "DELETE FROM talent_profile_chains WHERE person_id = $1",
    "DELETE FROM talent_profiles WHERE person_id = $1",
    "DELETE FROM appointments WHERE person_id = $1",
    "DELETE FROM consents WHERE person_id = $1",
    "DELETE FROM person_photos WHERE person_id = $1",
    "DELETE FROM outstanding_alumni WHERE person_id = $1",
    "DELETE FROM identity_distinct WHERE person_a = $1 OR person_b = $1",
    "DELETE FROM person_merge_moves WHERE merge_id IN
         (SELECT id FROM person_merges WHERE survivor_id = $1 OR merged_id = $1)",
    "DELETE FROM person_merges WHERE survivor_id = $1 OR merged_id = $1",
    "UPDATE classes SET liaison_person_id = NULL WHERE liaison_person_id = $1",
    "DELETE FROM grants WHERE node_kind = 'person' AND node_id = $1",
    "DELETE FROM persons WHERE id = $1",
];

/// Deletes a person who has no study record left, with everything recorded about them, and
/// the empty person rows once merged into them. Refused (false) while a study record remains.
pub async fn delete_person(tx: &mut Tx, person: PersonId) -> StoreResult<bool> {
    if study_record_count(tx, person).await? > 0 {
        return Ok(false);
    }
    // Persons merged into this one (directly or down a chain) are shells without records of
    // their own; one that somehow has records again becomes live instead.
    let mut doomed = vec![person.get()];
    let mut frontier = vec![person.get()];
    while let Some(next) = frontier.pop() {
        let shells: Vec<(i64, i64)> = on_tx!(&mut *tx, |conn| sqlx::query_as(
            "SELECT p.id, (SELECT COUNT(*) FROM study_records r WHERE r.person_id = p.id)
             FROM persons p WHERE p.merged_into = $1"
        )
        .bind(next)
        .fetch_all(&mut *conn)
        .await
        .map_err(StoreError::query("删除校友", "校友"))?);
        for (shell, records) in shells {
            if records > 0 {
                execute(
                    tx,
                    "UPDATE persons SET merged_into = NULL WHERE id = $1",
                    shell,
                )
                .await?;
            } else if !doomed.contains(&shell) {
                doomed.push(shell);
                frontier.push(shell);
            }
        }
    }
    // Shells first: each points at the one before it.
    for id in doomed.iter().rev() {
        for sql in PERSON_ROWS {
            execute(tx, sql, *id).await?;
        }
    }
    Ok(true)
}
