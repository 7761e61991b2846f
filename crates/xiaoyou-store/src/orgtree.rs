//! Changing the organisation tree by hand: renaming schools, colleges, majors and classes, a
//! college's history (学院简史), the contacts of a class, and deleting what is empty.
//!
//! Every write here takes a transaction so that the caller can write its audit row in it.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{ClassId, CollegeId, MajorId, RegionCode, SchoolId, SchoolKind};
use xiaoyou_text::org_name_key;

/// One line of a college's history: a former name or a leader, with the years it held.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistoryEntry {
    pub from_year: Option<i32>,
    pub to_year: Option<i32>,
    pub name: String,
    /// A leader's post (院长, 党委书记); empty for former names.
    pub title: Option<String>,
}

/// A college's history page (学院简史) as stored.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CollegeHistory {
    pub origins: Option<String>,
    pub students: Option<i32>,
    pub staff: Option<i32>,
    pub achievements: Option<String>,
    pub addresses: Option<String>,
    pub updated_at: Option<DateTime<Utc>>,
    pub former_names: Vec<HistoryEntry>,
    pub leaders: Vec<HistoryEntry>,
}

/// The contacts of a class besides its register: the head teacher's phone and the class
/// liaison. Phones are stored as given (normalised) and masked on every page.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct ClassContacts {
    pub head_teacher_phone: Option<String>,
    pub liaison_name: Option<String>,
    pub liaison_phone: Option<String>,
}

/// Everything of a class that can be edited.
#[derive(Debug, Clone)]
pub struct ClassFields<'a> {
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub name: &'a str,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub head_teacher: Option<&'a str>,
    pub head_teacher_role: Option<&'a str>,
    pub contacts: ClassContacts,
}

/// What still hangs on a node, so it can only be deleted when all are zero.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Usage {
    pub majors: i64,
    pub classes: i64,
    pub study_records: i64,
    pub grants: i64,
}

impl Usage {
    pub fn is_empty(&self) -> bool {
        *self == Usage::default()
    }
}

fn region_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

// ---------------------------------------------------------------- schools

pub async fn update_school(
    tx: &mut Tx,
    id: SchoolId,
    name: &str,
    kind: SchoolKind,
    city: RegionCode,
) -> StoreResult<()> {
    let name = name.trim();
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE schools SET name = $1, name_key = $2, kind = $3, city_code = $4 WHERE id = $5"
    )
    .bind(name)
    .bind(org_name_key(name))
    .bind(kind.code())
    .bind(region_param(city))
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改学校", "同名学校"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "学校" });
    }
    Ok(())
}

// ---------------------------------------------------------------- colleges

pub async fn rename_college(tx: &mut Tx, id: CollegeId, name: &str) -> StoreResult<()> {
    let name = name.trim();
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE colleges SET name = $1, name_key = $2 WHERE id = $3"
    )
    .bind(name)
    .bind(org_name_key(name))
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改二级学院", "同名二级学院"))?);
    if done == 0 {
        return Err(StoreError::NotFound {
            what: "二级学院"
        });
    }
    Ok(())
}

type HistoryRow = (
    Option<String>,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<DateTime<Utc>>,
);

pub async fn college_history(db: &Db, id: CollegeId) -> StoreResult<Option<CollegeHistory>> {
    let fail = || StoreError::query("读取学院简史", "学院简史");
    let row: Option<HistoryRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT origins, students, staff, achievements, addresses, history_updated_at
         FROM colleges WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(fail())?);
    let Some((origins, students, staff, achievements, addresses, updated_at)) = row else {
        return Ok(None);
    };
    type EntryRow = (String, Option<i32>, Option<i32>, String, Option<String>);
    let entries: Vec<EntryRow> = on_db!(db, |pool| sqlx::query_as(
        "SELECT kind, from_year, to_year, name, title FROM college_history_entries
         WHERE college_id = $1 ORDER BY kind, position"
    )
    .bind(id.get())
    .fetch_all(pool)
    .await
    .map_err(fail())?);
    let mut history = CollegeHistory {
        origins,
        students,
        staff,
        achievements,
        addresses,
        updated_at,
        ..CollegeHistory::default()
    };
    for (kind, from_year, to_year, name, title) in entries {
        let entry = HistoryEntry {
            from_year,
            to_year,
            name,
            title,
        };
        if kind == "leader" {
            history.leaders.push(entry);
        } else {
            history.former_names.push(entry);
        }
    }
    Ok(Some(history))
}

/// Replaces a college's history with `history` (its `updated_at` is set to `at`).
pub async fn save_college_history(
    tx: &mut Tx,
    id: CollegeId,
    history: &CollegeHistory,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let fail = || StoreError::query("保存学院简史", "二级学院");
    let done = on_tx!(tx, |conn| {
        let done = sqlx::query(
            "UPDATE colleges SET origins = $1, students = $2, staff = $3, achievements = $4,
                 addresses = $5, history_updated_at = $6 WHERE id = $7",
        )
        .bind(history.origins.as_deref())
        .bind(history.students)
        .bind(history.staff)
        .bind(history.achievements.as_deref())
        .bind(history.addresses.as_deref())
        .bind(at)
        .bind(id.get())
        .execute(&mut *conn)
        .await
        .map_err(fail())?
        .rows_affected();
        sqlx::query("DELETE FROM college_history_entries WHERE college_id = $1")
            .bind(id.get())
            .execute(&mut *conn)
            .await
            .map_err(fail())?;
        let lists = [
            ("former_name", &history.former_names),
            ("leader", &history.leaders),
        ];
        for (kind, entries) in lists {
            for (position, entry) in entries.iter().enumerate() {
                sqlx::query(
                    "INSERT INTO college_history_entries
                         (college_id, kind, position, from_year, to_year, name, title)
                     VALUES ($1, $2, $3, $4, $5, $6, $7)",
                )
                .bind(id.get())
                .bind(kind)
                .bind(i32::try_from(position).unwrap_or(i32::MAX))
                .bind(entry.from_year)
                .bind(entry.to_year)
                .bind(&entry.name)
                .bind(entry.title.as_deref())
                .execute(&mut *conn)
                .await
                .map_err(fail())?;
            }
        }
        done
    });
    if done == 0 {
        return Err(StoreError::NotFound {
            what: "二级学院"
        });
    }
    Ok(())
}

pub async fn college_usage(db: &Db, id: CollegeId) -> StoreResult<Usage> {
    let row: (i64, i64, i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM majors WHERE college_id = $1),
                (SELECT COUNT(*) FROM classes WHERE college_id = $1),
                (SELECT COUNT(*) FROM study_records WHERE college_id = $1),
                (SELECT COUNT(*) FROM grants WHERE node_kind = 'college' AND node_id = $1)"
    )
    .bind(id.get())
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("检查二级学院", "二级学院"))?);
    Ok(Usage {
        majors: row.0,
        classes: row.1,
        study_records: row.2,
        grants: row.3,
    })
}

/// Deletes a college with its history. The caller has checked that it is empty.
pub async fn delete_college(tx: &mut Tx, id: CollegeId) -> StoreResult<()> {
    let fail = || StoreError::query("删除二级学院", "二级学院");
    let done = on_tx!(tx, |conn| {
        sqlx::query("DELETE FROM college_history_entries WHERE college_id = $1")
            .bind(id.get())
            .execute(&mut *conn)
            .await
            .map_err(fail())?;
        sqlx::query("DELETE FROM colleges WHERE id = $1")
            .bind(id.get())
            .execute(&mut *conn)
            .await
            .map_err(fail())?
            .rows_affected()
    });
    if done == 0 {
        return Err(StoreError::NotFound {
            what: "二级学院"
        });
    }
    Ok(())
}

// ---------------------------------------------------------------- majors

pub async fn get_major(db: &Db, id: MajorId) -> StoreResult<Option<(MajorId, CollegeId, String)>> {
    let row: Option<(i64, i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, college_id, name FROM majors WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取专业", "专业"))?);
    Ok(row.map(|(id, college, name)| (MajorId(id), CollegeId(college), name)))
}

pub async fn list_majors_of_college(
    db: &Db,
    college: CollegeId,
) -> StoreResult<Vec<(MajorId, String)>> {
    let rows: Vec<(i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, name FROM majors WHERE college_id = $1 ORDER BY id"
    )
    .bind(college.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取专业", "专业"))?);
    Ok(rows
        .into_iter()
        .map(|(id, name)| (MajorId(id), name))
        .collect())
}

pub async fn rename_major(tx: &mut Tx, id: MajorId, name: &str) -> StoreResult<()> {
    let name = name.trim();
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE majors SET name = $1, name_key = $2 WHERE id = $3"
    )
    .bind(name)
    .bind(org_name_key(name))
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改专业", "同名专业"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "专业" });
    }
    Ok(())
}

pub async fn major_usage(db: &Db, id: MajorId) -> StoreResult<Usage> {
    let row: (i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM classes WHERE major_id = $1),
                (SELECT COUNT(*) FROM study_records WHERE major_id = $1)"
    )
    .bind(id.get())
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("检查专业", "专业"))?);
    Ok(Usage {
        classes: row.0,
        study_records: row.1,
        ..Usage::default()
    })
}

pub async fn delete_major(tx: &mut Tx, id: MajorId) -> StoreResult<()> {
    let done = on_tx!(tx, |conn| sqlx::query("DELETE FROM majors WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("删除专业", "专业"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "专业" });
    }
    Ok(())
}

// ---------------------------------------------------------------- classes

pub async fn class_contacts(db: &Db, id: ClassId) -> StoreResult<ClassContacts> {
    let row: Option<(Option<String>, Option<String>, Option<String>)> = on_db!(db, |pool| {
        sqlx::query_as(
            "SELECT head_teacher_phone, liaison_name, liaison_phone FROM classes WHERE id = $1",
        )
        .bind(id.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取班级联系人", "班级"))?
    });
    let (head_teacher_phone, liaison_name, liaison_phone) =
        row.ok_or(StoreError::NotFound { what: "班级" })?;
    Ok(ClassContacts {
        head_teacher_phone,
        liaison_name,
        liaison_phone,
    })
}

/// Inserts a class with its contacts; a second class of the same name in the school is
/// refused as a duplicate.
pub async fn insert_class(
    tx: &mut Tx,
    school: SchoolId,
    fields: &ClassFields<'_>,
) -> StoreResult<ClassId> {
    let name = fields.name.trim();
    let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO classes (school_id, college_id, major_id, name, name_key, enrolment_year,
             graduation_year, head_teacher, head_teacher_role, head_teacher_phone, liaison_name,
             liaison_phone, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13) RETURNING id"
    )
    .bind(school.get())
    .bind(fields.college.map(CollegeId::get))
    .bind(fields.major.map(MajorId::get))
    .bind(name)
    .bind(org_name_key(name))
    .bind(fields.enrolment_year)
    .bind(fields.graduation_year)
    .bind(fields.head_teacher)
    .bind(fields.head_teacher_role)
    .bind(fields.contacts.head_teacher_phone.as_deref())
    .bind(fields.contacts.liaison_name.as_deref())
    .bind(fields.contacts.liaison_phone.as_deref())
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建班级", "同名班级"))?);
    Ok(ClassId(id))
}

pub async fn update_class(tx: &mut Tx, id: ClassId, fields: &ClassFields<'_>) -> StoreResult<()> {
    let name = fields.name.trim();
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE classes SET college_id = $1, major_id = $2, name = $3, name_key = $4,
             enrolment_year = $5, graduation_year = $6, head_teacher = $7,
             head_teacher_role = $8, head_teacher_phone = $9, liaison_name = $10,
             liaison_phone = $11
         WHERE id = $12"
    )
    .bind(fields.college.map(CollegeId::get))
    .bind(fields.major.map(MajorId::get))
    .bind(name)
    .bind(org_name_key(name))
    .bind(fields.enrolment_year)
    .bind(fields.graduation_year)
    .bind(fields.head_teacher)
    .bind(fields.head_teacher_role)
    .bind(fields.contacts.head_teacher_phone.as_deref())
    .bind(fields.contacts.liaison_name.as_deref())
    .bind(fields.contacts.liaison_phone.as_deref())
    .bind(id.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("修改班级", "同名班级"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "班级" });
    }
    Ok(())
}

pub async fn class_usage(db: &Db, id: ClassId) -> StoreResult<Usage> {
    let row: (i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM study_records WHERE class_id = $1),
                (SELECT COUNT(*) FROM grants WHERE node_kind = 'class' AND node_id = $1)"
    )
    .bind(id.get())
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("检查班级", "班级"))?);
    Ok(Usage {
        study_records: row.0,
        grants: row.1,
        ..Usage::default()
    })
}

pub async fn delete_class(tx: &mut Tx, id: ClassId) -> StoreResult<()> {
    let done = on_tx!(tx, |conn| sqlx::query("DELETE FROM classes WHERE id = $1")
        .bind(id.get())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("删除班级", "班级"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "班级" });
    }
    Ok(())
}

/// The id of the row named `name` (any spelling) under `parent`, by a fixed query of the form
/// `SELECT id FROM … WHERE <parent> = $1 AND name_key = $2`.
async fn named_under(
    db: &Db,
    query: &'static str,
    parent: i64,
    name: &str,
    (action, what): (&'static str, &'static str),
) -> StoreResult<Option<i64>> {
    on_db!(db, |pool| sqlx::query_scalar(query)
        .bind(parent)
        .bind(org_name_key(name))
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query(action, what)))
}

/// Whether a class of this name (any spelling) exists in the school, other than `except`.
pub async fn class_name_taken(
    db: &Db,
    school: SchoolId,
    name: &str,
    except: Option<ClassId>,
) -> StoreResult<bool> {
    let found = named_under(
        db,
        "SELECT id FROM classes WHERE school_id = $1 AND name_key = $2",
        school.get(),
        name,
        ("检查班级名称", "班级"),
    )
    .await?;
    Ok(found.is_some_and(|id| Some(ClassId(id)) != except))
}

/// Whether a college of this name (any spelling) exists in the school, other than `except`.
pub async fn college_name_taken(
    db: &Db,
    school: SchoolId,
    name: &str,
    except: Option<CollegeId>,
) -> StoreResult<bool> {
    let found = named_under(
        db,
        "SELECT id FROM colleges WHERE school_id = $1 AND name_key = $2",
        school.get(),
        name,
        ("检查二级学院名称", "二级学院"),
    )
    .await?;
    Ok(found.is_some_and(|id| Some(CollegeId(id)) != except))
}

/// Whether a major of this name (any spelling) exists in the college, other than `except`.
pub async fn major_name_taken(
    db: &Db,
    college: CollegeId,
    name: &str,
    except: Option<MajorId>,
) -> StoreResult<bool> {
    let found = named_under(
        db,
        "SELECT id FROM majors WHERE college_id = $1 AND name_key = $2",
        college.get(),
        name,
        ("检查专业名称", "专业"),
    )
    .await?;
    Ok(found.is_some_and(|id| Some(MajorId(id)) != except))
}

/// Classes per college of a school.
pub async fn class_counts(db: &Db, school: SchoolId) -> StoreResult<Vec<(CollegeId, i64)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT college_id, COUNT(*) FROM classes WHERE school_id = $1 AND college_id IS NOT NULL
         GROUP BY college_id"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("统计班级", "班级"))?
    });
    Ok(rows
        .into_iter()
        .map(|(college, n)| (CollegeId(college), n))
        .collect())
}
