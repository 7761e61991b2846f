//! Counts for overview pages. Each query is one indexed aggregate.

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use xiaoyou_core::{ClassId, CollegeId, SchoolId};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Totals {
    pub schools: i64,
    pub colleges: i64,
    pub classes: i64,
    pub persons: i64,
    pub study_records: i64,
    pub enterprises: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchoolBreakdown {
    pub study_records: i64,
    pub by_college: Vec<(CollegeId, i64)>,
    pub by_graduation_year: Vec<(i32, i64)>,
    pub top_cities: Vec<(String, i64)>,
}

pub async fn totals(db: &Db) -> StoreResult<Totals> {
    let row: (i64, i64, i64, i64, i64, i64) = on_db!(db, |pool| sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM schools), (SELECT COUNT(*) FROM colleges),
                (SELECT COUNT(*) FROM classes), (SELECT COUNT(*) FROM persons),
                (SELECT COUNT(*) FROM study_records), (SELECT COUNT(*) FROM enterprises)"
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("统计总数", "统计"))?);
    let (schools, colleges, classes, persons, study_records, enterprises) = row;
    Ok(Totals {
        schools,
        colleges,
        classes,
        persons,
        study_records,
        enterprises,
    })
}

/// Study records per school.
pub async fn records_per_school(db: &Db) -> StoreResult<Vec<(SchoolId, i64)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT school_id, COUNT(*) FROM study_records GROUP BY school_id ORDER BY school_id"
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("按学校统计校友", "统计"))?);
    Ok(rows.into_iter().map(|(id, n)| (SchoolId(id), n)).collect())
}

pub async fn school_breakdown(db: &Db, school: SchoolId, top: i64) -> StoreResult<SchoolBreakdown> {
    let fail = || StoreError::query("统计学校校友", "统计");
    let by_college: Vec<(Option<i64>, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT college_id, COUNT(*) FROM study_records WHERE school_id = $1 GROUP BY college_id"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(fail())?
    });
    let by_year: Vec<(Option<i32>, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT graduation_year, COUNT(*) FROM study_records WHERE school_id = $1
         GROUP BY graduation_year ORDER BY graduation_year"
    )
    .bind(school.get())
    .fetch_all(pool)
    .await
    .map_err(fail())?);
    let top_cities: Vec<(String, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT p.current_city, COUNT(*) AS n FROM study_records r JOIN persons p ON p.id = r.person_id
         WHERE r.school_id = $1 AND p.current_city IS NOT NULL
         GROUP BY p.current_city ORDER BY n DESC, p.current_city LIMIT $2"
    )
    .bind(school.get())
    .bind(top)
    .fetch_all(pool)
    .await
    .map_err(fail())?
    });
    Ok(SchoolBreakdown {
        study_records: by_college.iter().map(|(_, n)| n).sum(),
        by_college: by_college
            .into_iter()
            .filter_map(|(college, n)| college.map(|c| (CollegeId(c), n)))
            .collect(),
        by_graduation_year: by_year
            .into_iter()
            .filter_map(|(y, n)| y.map(|y| (y, n)))
            .collect(),
        top_cities,
    })
}

/// Study records per class of a college.
pub async fn class_sizes(db: &Db, college: CollegeId) -> StoreResult<Vec<(ClassId, i64)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, |pool| {
        sqlx::query_as(
        "SELECT class_id, COUNT(*) FROM study_records WHERE college_id = $1 AND class_id IS NOT NULL
         GROUP BY class_id"
    )
    .bind(college.get())
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("统计班级人数", "统计"))?
    });
    Ok(rows.into_iter().map(|(id, n)| (ClassId(id), n)).collect())
}
