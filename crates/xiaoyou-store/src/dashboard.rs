//! The figures on a school's or a college's dashboard: alumni by graduation year, by major, by
//! the city they live in now, and the records changed most recently. Each is one indexed
//! query over the node's study records (`study_records` by school or college).

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::{CollegeId, PersonId, SchoolId};

/// The node a dashboard is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Node {
    School(SchoolId),
    College(CollegeId),
}

/// The same statement filtered by the school or by the college column (sqlx takes only
/// static SQL text).
macro_rules! per_node {
    ($node:expr, $before:literal, $after:literal) => {
        match $node {
            Node::School(_) => concat!($before, "school_id", $after),
            Node::College(_) => concat!($before, "college_id", $after),
        }
    };
}

impl Node {
    fn id(self) -> i64 {
        match self {
            Node::School(id) => id.get(),
            Node::College(id) => id.get(),
        }
    }
}

/// A person whose record changed lately.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Changed {
    pub person: PersonId,
    pub name: String,
    pub updated_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Dashboard {
    pub study_records: i64,
    pub by_graduation_year: Vec<(i32, i64)>,
    /// Largest first, at most `top`.
    pub by_major: Vec<(String, i64)>,
    /// Largest first, at most `top`.
    pub by_city: Vec<(String, i64)>,
    /// For a school: study records per college.
    pub by_college: Vec<(CollegeId, i64)>,
    pub recently_changed: Vec<Changed>,
}

pub async fn dashboard(db: &Db, node: Node, top: i64) -> StoreResult<Dashboard> {
    let fail = || StoreError::query("统计校友分布", "统计");
    let id = node.id();
    let by_year_sql = per_node!(
        node,
        "SELECT graduation_year, COUNT(*) FROM study_records WHERE ",
        " = $1 GROUP BY graduation_year ORDER BY graduation_year"
    );
    let by_year: Vec<(Option<i32>, i64)> = on_db!(db, |pool| sqlx::query_as(by_year_sql)
        .bind(id)
        .fetch_all(pool)
        .await
        .map_err(fail())?);
    let by_major_sql = per_node!(
        node,
        "SELECT m.name, COUNT(*) AS n FROM study_records r JOIN majors m ON m.id = r.major_id
         WHERE r.",
        " = $1 GROUP BY m.id, m.name ORDER BY n DESC, m.name LIMIT $2"
    );
    let by_major: Vec<(String, i64)> = on_db!(db, |pool| sqlx::query_as(by_major_sql)
        .bind(id)
        .bind(top)
        .fetch_all(pool)
        .await
        .map_err(fail())?);
    let by_city_sql = per_node!(
        node,
        "SELECT p.current_city, COUNT(*) AS n FROM study_records r
         JOIN persons p ON p.id = r.person_id WHERE r.",
        " = $1 AND p.current_city IS NOT NULL
         GROUP BY p.current_city ORDER BY n DESC, p.current_city LIMIT $2"
    );
    let by_city: Vec<(String, i64)> = on_db!(db, |pool| sqlx::query_as(by_city_sql)
        .bind(id)
        .bind(top)
        .fetch_all(pool)
        .await
        .map_err(fail())?);
    let recent_sql = per_node!(
        node,
        "SELECT p.id, p.name, p.updated_at FROM persons p
         WHERE p.merged_into IS NULL
           AND p.id IN (SELECT person_id FROM study_records WHERE ",
        " = $1) ORDER BY p.updated_at DESC, p.id DESC LIMIT $2"
    );
    let recent: Vec<(i64, String, DateTime<Utc>)> = on_db!(db, |pool| sqlx::query_as(recent_sql)
        .bind(id)
        .bind(top)
        .fetch_all(pool)
        .await
        .map_err(fail())?);
    let by_college: Vec<(Option<i64>, i64)> = match node {
        Node::School(school) => on_db!(db, |pool| sqlx::query_as(
            "SELECT college_id, COUNT(*) FROM study_records WHERE school_id = $1
             GROUP BY college_id"
        )
        .bind(school.get())
        .fetch_all(pool)
        .await
        .map_err(fail())?),
        Node::College(_) => Vec::new(),
    };
    Ok(Dashboard {
        study_records: by_year.iter().map(|(_, n)| n).sum(),
        by_graduation_year: by_year
            .into_iter()
            .filter_map(|(year, n)| year.map(|y| (y, n)))
            .collect(),
        by_major,
        by_city,
        by_college: by_college
            .into_iter()
            .filter_map(|(college, n)| college.map(|c| (CollegeId(c), n)))
            .collect(),
        recently_changed: recent
            .into_iter()
            .map(|(id, name, updated_at)| Changed {
                person: PersonId(id),
                name,
                updated_at,
            })
            .collect(),
    })
}

/// Study records of one school (an index-only count).
pub async fn records_of_school(db: &Db, school: SchoolId) -> StoreResult<i64> {
    Ok(on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM study_records WHERE school_id = $1"
    )
    .bind(school.get())
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("统计学校校友", "统计"))?))
}
