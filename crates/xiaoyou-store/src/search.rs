//! What the search projection reads: the change feed its followers walk, and the documents it
//! indexes (one per study record of a live person, one per enterprise), read in pages for a
//! rebuild or by person for an update.

use crate::db::Db;
use crate::error::{StoreError, StoreResult};
use sqlx::{QueryBuilder, Row};

/// Ids per `IN (…)` list.
const IDS_PER_STATEMENT: usize = 1000;

/// One entry of the change feed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Change {
    pub seq: i64,
    /// `person`, `enterprise`, `school`, `college`, `major` or `class`.
    pub entity: String,
    pub entity_id: i64,
}

/// Feed entries after `after`, plus any inside the given inclusive ranges (numbers a follower
/// has seen skipped, whose transactions may still commit), in sequence order.
pub async fn changes_since(
    db: &Db,
    after: i64,
    gaps: &[(i64, i64)],
    limit: i64,
) -> StoreResult<Vec<Change>> {
    let rows: Vec<(i64, String, i64)> = on_db!(db, |pool| {
        let mut builder =
            QueryBuilder::new("SELECT seq, entity, entity_id FROM search_changes WHERE seq > ");
        builder.push_bind(after);
        for (low, high) in gaps {
            builder
                .push(" OR (seq >= ")
                .push_bind(*low)
                .push(" AND seq <= ")
                .push_bind(*high)
                .push(")");
        }
        builder.push(" ORDER BY seq LIMIT ").push_bind(limit);
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取变更记录", "变更记录"))?
    });
    Ok(rows
        .into_iter()
        .map(|(seq, entity, entity_id)| Change {
            seq,
            entity,
            entity_id,
        })
        .collect())
}

/// The lowest and highest sequence numbers still in the feed (`None` when it is empty).
pub async fn change_bounds(db: &Db) -> StoreResult<Option<(i64, i64)>> {
    let (low, high): (Option<i64>, Option<i64>) = on_db!(db, |pool| sqlx::query_as(
        "SELECT MIN(seq), MAX(seq) FROM search_changes"
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("读取变更记录", "变更记录"))?);
    Ok(low.zip(high))
}

/// Keeps only the newest `keep` sequence numbers of the feed. Returns how many were removed.
pub async fn prune_changes(db: &Db, keep: i64) -> StoreResult<u64> {
    on_db!(db, |pool| sqlx::query(
        "DELETE FROM search_changes WHERE seq < (SELECT MAX(seq) FROM search_changes) - $1"
    )
    .bind(keep)
    .execute(pool)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("清理变更记录", "变更记录")))
}

/// The persons whose documents show the named organisation node or enterprise.
pub async fn persons_of(db: &Db, entity: &str, ids: &[i64]) -> StoreResult<Vec<i64>> {
    let (table, column) = match entity {
        "school" => ("study_records", "school_id"),
        "college" => ("study_records", "college_id"),
        "major" => ("study_records", "major_id"),
        "class" => ("study_records", "class_id"),
        "enterprise" => ("employments", "enterprise_id"),
        _ => return Ok(Vec::new()),
    };
    let mut persons = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let found: Vec<i64> = on_db!(db, |pool| {
            // Table and column come from the fixed list above, never from input.
            let mut builder = QueryBuilder::new(format!(
                "SELECT DISTINCT person_id FROM {table} WHERE {column} IN ("
            ));
            let mut list = builder.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            builder.push(")");
            builder
                .build_query_scalar()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("查找受影响的校友", "校友"))?
        });
        persons.extend(found);
    }
    persons.sort_unstable();
    persons.dedup();
    Ok(persons)
}

/// One study record of a live person with everything its search document shows.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RecordDoc {
    pub record: i64,
    pub person: i64,
    pub school: i64,
    pub college: Option<i64>,
    pub major: Option<i64>,
    pub class: Option<i64>,
    pub level: String,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub name: String,
    pub gender: Option<String>,
    pub school_name: String,
    pub college_name: Option<String>,
    pub major_name: Option<String>,
    pub class_name: Option<String>,
    pub employer: Option<String>,
    pub title: Option<String>,
    /// The current job's city, else where the person lives.
    pub city: Option<String>,
    /// The industry chain of the current employer.
    pub industry: Option<String>,
    /// Talent category code.
    pub talent: Option<String>,
    /// The newest mobile number, as stored (the index keeps only its masked form).
    pub mobile: Option<String>,
}

const RECORD_DOCS: &str = "SELECT r.id, r.person_id, r.school_id, r.college_id, r.major_id, r.class_id,
        r.level, r.enrolment_year, r.graduation_year, p.name, p.gender, s.name, c.name, m.name,
        cl.name, e.employer_name, e.title, COALESCE(e.city, p.current_city), ch.name, t.category,
        (SELECT cp.value FROM contact_points cp WHERE cp.person_id = p.id AND cp.kind = 'mobile'
          ORDER BY cp.observed_on DESC, cp.id DESC LIMIT 1)
     FROM study_records r
     JOIN persons p ON p.id = r.person_id AND p.merged_into IS NULL
     JOIN schools s ON s.id = r.school_id
     LEFT JOIN colleges c ON c.id = r.college_id
     LEFT JOIN majors m ON m.id = r.major_id
     LEFT JOIN classes cl ON cl.id = r.class_id
     LEFT JOIN employments e ON e.id = (SELECT e2.id FROM employments e2
          WHERE e2.person_id = p.id AND e2.is_current ORDER BY e2.start_year DESC, e2.id DESC LIMIT 1)
     LEFT JOIN enterprises en ON en.id = e.enterprise_id
     LEFT JOIN industry_chains ch ON ch.id = en.industry_chain_id
     LEFT JOIN talent_profiles t ON t.person_id = p.id
     WHERE ";

macro_rules! record_doc {
    ($row:expr) => {{
        let row = $row;
        let get = |e| StoreError::Query {
            context: "读取检索文档",
            source: e,
        };
        RecordDoc {
            record: row.try_get(0).map_err(get)?,
            person: row.try_get(1).map_err(get)?,
            school: row.try_get(2).map_err(get)?,
            college: row.try_get(3).map_err(get)?,
            major: row.try_get(4).map_err(get)?,
            class: row.try_get(5).map_err(get)?,
            level: row.try_get(6).map_err(get)?,
            enrolment_year: row.try_get(7).map_err(get)?,
            graduation_year: row.try_get(8).map_err(get)?,
            name: row.try_get(9).map_err(get)?,
            gender: row.try_get(10).map_err(get)?,
            school_name: row.try_get(11).map_err(get)?,
            college_name: row.try_get(12).map_err(get)?,
            major_name: row.try_get(13).map_err(get)?,
            class_name: row.try_get(14).map_err(get)?,
            employer: row.try_get(15).map_err(get)?,
            title: row.try_get(16).map_err(get)?,
            city: row.try_get(17).map_err(get)?,
            industry: row.try_get(18).map_err(get)?,
            talent: row.try_get(19).map_err(get)?,
            mobile: row.try_get(20).map_err(get)?,
        }
    }};
}

/// Documents of study records with id above `after`, by id, at most `limit`.
pub async fn record_docs_after(db: &Db, after: i64, limit: i64) -> StoreResult<Vec<RecordDoc>> {
    on_db!(db, |pool| {
        let mut builder = QueryBuilder::new(RECORD_DOCS);
        builder
            .push("r.id > ")
            .push_bind(after)
            .push(" ORDER BY r.id LIMIT ")
            .push_bind(limit);
        let rows = builder
            .build()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取检索文档", "学籍记录"))?;
        let mut docs = Vec::with_capacity(rows.len());
        for row in &rows {
            docs.push(record_doc!(row));
        }
        Ok(docs)
    })
}

/// Documents of every study record of the given persons (none for merged or deleted persons).
pub async fn record_docs_of_persons(db: &Db, persons: &[i64]) -> StoreResult<Vec<RecordDoc>> {
    let mut docs = Vec::new();
    for chunk in persons.chunks(IDS_PER_STATEMENT) {
        on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(RECORD_DOCS);
            builder.push("r.person_id IN (");
            let mut list = builder.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            builder.push(") ORDER BY r.id");
            let rows = builder
                .build()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取检索文档", "学籍记录"))?;
            for row in &rows {
                docs.push(record_doc!(row));
            }
        });
    }
    Ok(docs)
}

/// How many study records of live persons there are (the size of a rebuild).
pub async fn count_record_docs(db: &Db) -> StoreResult<i64> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM study_records r JOIN persons p ON p.id = r.person_id
         WHERE p.merged_into IS NULL"
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("统计学籍记录", "学籍记录")))
}

/// An enterprise as its search document shows it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct EnterpriseDoc {
    pub id: i64,
    pub name: String,
    pub credit_code: Option<String>,
    pub city: Option<String>,
    pub chain: Option<String>,
    /// Tag codes, comma-separated.
    pub tags: Option<String>,
    /// Alumni currently working there.
    pub alumni: i64,
}

const ENTERPRISE_DOCS: &str = "SELECT en.id, en.name, en.credit_code, en.city, ch.name,
        (SELECT STRING_AGG(tg.tag, ',') FROM enterprise_tags tg WHERE tg.enterprise_id = en.id),
        (SELECT COUNT(DISTINCT e.person_id) FROM employments e WHERE e.enterprise_id = en.id AND e.is_current)
     FROM enterprises en
     LEFT JOIN industry_chains ch ON ch.id = en.industry_chain_id
     WHERE ";

type EnterpriseRow = (
    i64,
    String,
    Option<String>,
    Option<String>,
    Option<String>,
    Option<String>,
    i64,
);

fn enterprise_doc(row: EnterpriseRow) -> EnterpriseDoc {
    let (id, name, credit_code, city, chain, tags, alumni) = row;
    EnterpriseDoc {
        id,
        name,
        credit_code,
        city,
        chain,
        tags,
        alumni,
    }
}

/// Enterprises with id above `after`, by id, at most `limit`.
pub async fn enterprise_docs_after(
    db: &Db,
    after: i64,
    limit: i64,
) -> StoreResult<Vec<EnterpriseDoc>> {
    let rows: Vec<EnterpriseRow> = on_db!(db, |pool| {
        let mut builder = QueryBuilder::new(ENTERPRISE_DOCS);
        builder
            .push("en.id > ")
            .push_bind(after)
            .push(" ORDER BY en.id LIMIT ")
            .push_bind(limit);
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取检索文档", "企业"))?
    });
    Ok(rows.into_iter().map(enterprise_doc).collect())
}

/// The given enterprises (missing ones are simply absent).
pub async fn enterprise_docs(db: &Db, ids: &[i64]) -> StoreResult<Vec<EnterpriseDoc>> {
    let mut docs = Vec::new();
    for chunk in ids.chunks(IDS_PER_STATEMENT) {
        let rows: Vec<EnterpriseRow> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(ENTERPRISE_DOCS);
            builder.push("en.id IN (");
            let mut list = builder.separated(", ");
            for id in chunk {
                list.push_bind(*id);
            }
            builder.push(")");
            builder
                .build_query_as()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取检索文档", "企业"))?
        });
        docs.extend(rows.into_iter().map(enterprise_doc));
    }
    Ok(docs)
}
