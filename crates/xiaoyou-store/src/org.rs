//! The organisation tree below the regions: partner departments, schools, colleges, majors
//! and classes.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{
    ClassId, CollegeId, DepartmentId, MajorId, PersonId, RegionCode, SchoolId, SchoolKind,
};
use xiaoyou_text::org_name_key;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Department {
    pub id: DepartmentId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct School {
    pub id: SchoolId,
    pub name: String,
    pub kind: SchoolKind,
    pub city: RegionCode,
    pub department: Option<DepartmentId>,
    pub created_at: DateTime<Utc>,
}

#[derive(Debug, Clone)]
pub struct NewSchool<'a> {
    pub name: &'a str,
    pub kind: SchoolKind,
    pub city: RegionCode,
    pub department: Option<DepartmentId>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct College {
    pub id: CollegeId,
    pub school: SchoolId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Major {
    pub id: MajorId,
    pub college: CollegeId,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Class {
    pub id: ClassId,
    pub school: SchoolId,
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub name: String,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub head_teacher: Option<String>,
    /// 班主任 or 辅导员
    pub head_teacher_role: Option<String>,
    pub liaison: Option<PersonId>,
}

#[derive(Debug, Clone)]
pub struct NewClass<'a> {
    pub school: SchoolId,
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub name: &'a str,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub head_teacher: Option<&'a str>,
    pub head_teacher_role: Option<&'a str>,
}

fn region_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

// ---------------------------------------------------------------- departments

pub async fn insert_department(tx: &mut Tx, name: &str) -> StoreResult<Department> {
    let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO departments (name, created_at) VALUES ($1, $2) RETURNING id"
    )
    .bind(name.trim())
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建对口联系单位", "对口联系单位"))?);
    Ok(Department {
        id: DepartmentId(id),
        name: name.trim().to_owned(),
    })
}

pub async fn list_departments(db: &Db) -> StoreResult<Vec<Department>> {
    let rows: Vec<(i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, name FROM departments ORDER BY name"
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取对口联系单位", "对口联系单位"))?);
    Ok(rows
        .into_iter()
        .map(|(id, name)| Department {
            id: DepartmentId(id),
            name,
        })
        .collect())
}

// ---------------------------------------------------------------- schools

type SchoolRow = (i64, String, String, i32, Option<i64>, DateTime<Utc>);
macro_rules! select_school {
    () => {
        "SELECT id, name, kind, city_code, department_id, created_at FROM schools"
    };
}

fn decode_school(row: SchoolRow) -> StoreResult<School> {
    let (id, name, kind, city, department, created_at) = row;
    let corrupt = |detail: String| StoreError::Corrupt {
        table: "schools",
        id,
        detail,
    };
    Ok(School {
        id: SchoolId(id),
        name,
        kind: SchoolKind::parse(&kind).map_err(|e| corrupt(e.to_string()))?,
        city: u32::try_from(city)
            .map_err(|e| e.to_string())
            .and_then(|c| RegionCode::new(c).map_err(|e| e.to_string()))
            .map_err(corrupt)?,
        department: department.map(DepartmentId),
        created_at,
    })
}

/// Inserts a school. The normalised name is unique: a second spelling of the same name
/// (traditional characters, full-width brackets, spaces) is refused as a duplicate.
pub async fn insert_school(tx: &mut Tx, school: &NewSchool<'_>) -> StoreResult<School> {
    let name = school.name.trim();
    let created_at = Utc::now();
    let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO schools (name, name_key, kind, city_code, department_id, created_at)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING id"
    )
    .bind(name)
    .bind(org_name_key(name))
    .bind(school.kind.code())
    .bind(region_param(school.city))
    .bind(school.department.map(DepartmentId::get))
    .bind(created_at)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建学校", "学校"))?);
    Ok(School {
        id: SchoolId(id),
        name: name.to_owned(),
        kind: school.kind,
        city: school.city,
        department: school.department,
        created_at,
    })
}

pub async fn get_school(db: &Db, id: SchoolId) -> StoreResult<Option<School>> {
    let sql = concat!(select_school!(), " WHERE id = $1");
    let row: Option<SchoolRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取学校", "学校"))?);
    row.map(decode_school).transpose()
}

/// Finds a school by any spelling of its name (same normalised key).
pub async fn find_school_by_name(db: &Db, name: &str) -> StoreResult<Option<School>> {
    let sql = concat!(select_school!(), " WHERE name_key = $1");
    let row: Option<SchoolRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(org_name_key(name))
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取学校", "学校"))?);
    row.map(decode_school).transpose()
}

pub async fn list_schools(db: &Db) -> StoreResult<Vec<School>> {
    let sql = concat!(select_school!(), " ORDER BY city_code, id");
    let rows: Vec<SchoolRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取学校", "学校"))?);
    rows.into_iter().map(decode_school).collect()
}

pub async fn set_school_department(
    tx: &mut Tx,
    school: SchoolId,
    department: Option<DepartmentId>,
) -> StoreResult<()> {
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE schools SET department_id = $1 WHERE id = $2"
    )
    .bind(department.map(DepartmentId::get))
    .bind(school.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("设置对口联系单位", "对口联系单位"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "学校" });
    }
    Ok(())
}

// ---------------------------------------------------------------- colleges and majors

pub async fn insert_college(tx: &mut Tx, school: SchoolId, name: &str) -> StoreResult<College> {
    let name = name.trim();
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO colleges (school_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(school.get())
    .bind(name)
    .bind(org_name_key(name))
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建二级学院", "二级学院"))?
    });
    Ok(College {
        id: CollegeId(id),
        school,
        name: name.to_owned(),
    })
}

pub async fn list_colleges(db: &Db, school: SchoolId) -> StoreResult<Vec<College>> {
    let rows: Vec<(i64, i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, school_id, name FROM colleges WHERE school_id = $1 ORDER BY id"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取二级学院", "二级学院"))?);
    Ok(rows
        .into_iter()
        .map(|(id, school, name)| College {
            id: CollegeId(id),
            school: SchoolId(school),
            name,
        })
        .collect())
}

pub async fn get_college(db: &Db, id: CollegeId) -> StoreResult<Option<College>> {
    let row: Option<(i64, i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, school_id, name FROM colleges WHERE id = $1"
    )
    .bind(id.get())
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取二级学院", "二级学院"))?);
    Ok(row.map(|(id, school, name)| College {
        id: CollegeId(id),
        school: SchoolId(school),
        name,
    }))
}

pub async fn insert_major(tx: &mut Tx, college: CollegeId, name: &str) -> StoreResult<Major> {
    let name = name.trim();
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO majors (college_id, name, name_key, created_at) VALUES ($1, $2, $3, $4) RETURNING id"
    )
    .bind(college.get())
    .bind(name)
    .bind(org_name_key(name))
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建专业", "专业"))?
    });
    Ok(Major {
        id: MajorId(id),
        college,
        name: name.to_owned(),
    })
}

/// Majors of every college of a school.
pub async fn list_majors_of_school(db: &Db, school: SchoolId) -> StoreResult<Vec<Major>> {
    let rows: Vec<(i64, i64, String)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT m.id, m.college_id, m.name FROM majors m JOIN colleges c ON c.id = m.college_id
         WHERE c.school_id = $1 ORDER BY m.id"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取专业", "专业"))?);
    Ok(rows
        .into_iter()
        .map(|(id, college, name)| Major {
            id: MajorId(id),
            college: CollegeId(college),
            name,
        })
        .collect())
}

// ---------------------------------------------------------------- classes

type ClassRow = (
    i64,
    i64,
    Option<i64>,
    Option<i64>,
    String,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
    Option<i64>,
);
macro_rules! select_class {
    () => {
        "SELECT id, school_id, college_id, major_id, name, enrolment_year, graduation_year,
    head_teacher, head_teacher_role, liaison_person_id FROM classes"
    };
}

fn decode_class(row: ClassRow) -> Class {
    let (
        id,
        school,
        college,
        major,
        name,
        enrolment_year,
        graduation_year,
        head_teacher,
        role,
        liaison,
    ) = row;
    Class {
        id: ClassId(id),
        school: SchoolId(school),
        college: college.map(CollegeId),
        major: major.map(MajorId),
        name,
        enrolment_year,
        graduation_year,
        head_teacher,
        head_teacher_role: role,
        liaison: liaison.map(PersonId),
    }
}

pub async fn insert_class(tx: &mut Tx, class: &NewClass<'_>) -> StoreResult<Class> {
    let name = class.name.trim();
    let id: i64 = on_tx!(tx, |conn| sqlx::query_scalar(
        "INSERT INTO classes (school_id, college_id, major_id, name, name_key, enrolment_year,
             graduation_year, head_teacher, head_teacher_role, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id"
    )
    .bind(class.school.get())
    .bind(class.college.map(CollegeId::get))
    .bind(class.major.map(MajorId::get))
    .bind(name)
    .bind(org_name_key(name))
    .bind(class.enrolment_year)
    .bind(class.graduation_year)
    .bind(class.head_teacher)
    .bind(class.head_teacher_role)
    .bind(Utc::now())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("新建班级", "班级"))?);
    Ok(Class {
        id: ClassId(id),
        school: class.school,
        college: class.college,
        major: class.major,
        name: name.to_owned(),
        enrolment_year: class.enrolment_year,
        graduation_year: class.graduation_year,
        head_teacher: class.head_teacher.map(str::to_owned),
        head_teacher_role: class.head_teacher_role.map(str::to_owned),
        liaison: None,
    })
}

pub async fn get_class(db: &Db, id: ClassId) -> StoreResult<Option<Class>> {
    let sql = concat!(select_class!(), " WHERE id = $1");
    let row: Option<ClassRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(id.get())
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取班级", "班级"))?);
    Ok(row.map(decode_class))
}

pub async fn list_classes_of_college(db: &Db, college: CollegeId) -> StoreResult<Vec<Class>> {
    let sql = concat!(
        select_class!(),
        " WHERE college_id = $1 ORDER BY graduation_year DESC, name"
    );
    let rows: Vec<ClassRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(college.get())
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取班级", "班级"))?);
    Ok(rows.into_iter().map(decode_class).collect())
}

pub async fn set_class_liaison(
    tx: &mut Tx,
    class: ClassId,
    liaison: Option<PersonId>,
) -> StoreResult<()> {
    let done = on_tx!(tx, |conn| sqlx::query(
        "UPDATE classes SET liaison_person_id = $1 WHERE id = $2"
    )
    .bind(liaison.map(PersonId::get))
    .bind(class.get())
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("设置班级联络员", "校友"))?);
    if done == 0 {
        return Err(StoreError::NotFound { what: "班级" });
    }
    Ok(())
}

// ---------------------------------------------------------------- find or create (imports)

/// The college of that name in the school, created if missing.
pub async fn ensure_college(tx: &mut Tx, school: SchoolId, name: &str) -> StoreResult<CollegeId> {
    let name = name.trim();
    let key = org_name_key(name);
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO colleges (school_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (school_id, name_key) DO NOTHING",
        )
        .bind(school.get())
        .bind(name)
        .bind(&key)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::query("新建二级学院", "学校"))?;
        sqlx::query_scalar("SELECT id FROM colleges WHERE school_id = $1 AND name_key = $2")
            .bind(school.get())
            .bind(&key)
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::query("读取二级学院", "二级学院"))?
    });
    Ok(CollegeId(id))
}

/// The major of that name in the college, created if missing.
pub async fn ensure_major(tx: &mut Tx, college: CollegeId, name: &str) -> StoreResult<MajorId> {
    let name = name.trim();
    let key = org_name_key(name);
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO majors (college_id, name, name_key, created_at) VALUES ($1, $2, $3, $4)
             ON CONFLICT (college_id, name_key) DO NOTHING",
        )
        .bind(college.get())
        .bind(name)
        .bind(&key)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::query("新建专业", "二级学院"))?;
        sqlx::query_scalar("SELECT id FROM majors WHERE college_id = $1 AND name_key = $2")
            .bind(college.get())
            .bind(&key)
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::query("读取专业", "专业"))?
    });
    Ok(MajorId(id))
}

/// The class of that name in the school, created (with what the roster says about it) if
/// missing.
pub async fn ensure_class(tx: &mut Tx, class: &NewClass<'_>) -> StoreResult<ClassId> {
    let name = class.name.trim();
    let key = org_name_key(name);
    let id: i64 = on_tx!(tx, |conn| {
        sqlx::query(
            "INSERT INTO classes (school_id, college_id, major_id, name, name_key, enrolment_year,
                 graduation_year, head_teacher, head_teacher_role, created_at)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
             ON CONFLICT (school_id, name_key) DO NOTHING",
        )
        .bind(class.school.get())
        .bind(class.college.map(CollegeId::get))
        .bind(class.major.map(MajorId::get))
        .bind(name)
        .bind(&key)
        .bind(class.enrolment_year)
        .bind(class.graduation_year)
        .bind(class.head_teacher)
        .bind(class.head_teacher_role)
        .bind(Utc::now())
        .execute(&mut *conn)
        .await
        .map_err(StoreError::query("新建班级", "学校"))?;
        sqlx::query_scalar("SELECT id FROM classes WHERE school_id = $1 AND name_key = $2")
            .bind(class.school.get())
            .bind(&key)
            .fetch_one(&mut *conn)
            .await
            .map_err(StoreError::query("读取班级", "班级"))?
    });
    Ok(ClassId(id))
}
