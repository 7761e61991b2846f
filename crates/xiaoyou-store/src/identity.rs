//! Identity resolution's storage: study records read for the engine, persons merged with
//! every moved row remembered (so a merge can be undone), pairs a person said are different,
//! the review queue, and the export of record → person.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, NaiveDate, Utc};
use sqlx::QueryBuilder;
use std::collections::{HashMap, HashSet};

/// One study record with what identity resolution compares.
#[derive(Debug, Clone, PartialEq)]
pub struct RecordRow {
    pub record: i64,
    pub person: i64,
    pub name: String,
    pub id_card_hash: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<String>,
    pub school: i64,
    pub level: String,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub class_key: Option<String>,
    /// Where the person lives now (所在地 / 现居住地), as last imported or edited.
    pub current_city: Option<String>,
}

type RecordTuple = (
    i64,
    i64,
    String,
    Option<String>,
    Option<NaiveDate>,
    Option<String>,
    i64,
    String,
    Option<i32>,
    Option<i32>,
    Option<String>,
    Option<String>,
);

/// The study records after `after` (by id), `limit` of them, with their person's fields.
pub async fn records_page(db: &Db, after: i64, limit: i64) -> StoreResult<Vec<RecordRow>> {
    let rows: Vec<RecordTuple> = on_db!(db, |pool| sqlx::query_as(
        "SELECT s.id, s.person_id, s.name_as_reported, p.id_card_hash, p.birth_date, p.gender,
             s.school_id, s.level, s.enrolment_year, s.graduation_year, c.name_key,
             p.current_city
         FROM study_records s
         JOIN persons p ON p.id = s.person_id
         LEFT JOIN classes c ON c.id = s.class_id
         WHERE s.id > $1 ORDER BY s.id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取学籍记录", "学籍记录"))?);
    Ok(rows.into_iter().map(record_row).collect())
}

fn record_row(row: RecordTuple) -> RecordRow {
    let (
        record,
        person,
        name,
        id_card_hash,
        birth_date,
        gender,
        school,
        level,
        enrolment_year,
        graduation_year,
        class_key,
        current_city,
    ) = row;
    RecordRow {
        record,
        person,
        name,
        id_card_hash,
        birth_date,
        gender,
        school,
        level,
        enrolment_year,
        graduation_year,
        class_key,
        current_city,
    }
}

/// The study records that identity resolution must look at after `persons` changed: theirs,
/// and those of persons sharing a name key or a phone or email with them (the blocks an
/// incremental run can join them to). Each step is a plain indexed lookup in chunks.
pub async fn records_near(db: &Db, persons: &[i64]) -> StoreResult<Vec<RecordRow>> {
    let mut near: HashSet<i64> = persons.iter().copied().collect();
    for chunk in persons.chunks(500) {
        let by_name: Vec<i64> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(
                "SELECT id FROM persons WHERE merged_into IS NULL AND name_key IN
                     (SELECT name_key FROM persons WHERE id IN (",
            );
            let mut list = builder.separated(", ");
            for person in chunk {
                list.push_bind(*person);
            }
            builder.push("))");
            builder
                .build_query_scalar()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取同名校友", "校友"))?
        });
        near.extend(by_name);
        let by_contact: Vec<i64> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(
                "SELECT DISTINCT c2.person_id FROM contact_points c1
                 JOIN contact_points c2 ON c2.kind = c1.kind AND c2.value_key = c1.value_key
                 WHERE c1.kind IN ('mobile', 'email') AND c1.person_id IN (",
            );
            let mut list = builder.separated(", ");
            for person in chunk {
                list.push_bind(*person);
            }
            builder.push(")");
            builder
                .build_query_scalar()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取同号码校友", "联系方式"))?
        });
        near.extend(by_contact);
    }
    let mut near: Vec<i64> = near.into_iter().collect();
    near.sort_unstable();
    let mut found: Vec<RecordRow> = Vec::new();
    for chunk in near.chunks(1_000) {
        let rows: Vec<RecordTuple> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(
                "SELECT s.id, s.person_id, s.name_as_reported, p.id_card_hash, p.birth_date,
                     p.gender, s.school_id, s.level, s.enrolment_year, s.graduation_year, c.name_key,
                     p.current_city
                 FROM study_records s
                 JOIN persons p ON p.id = s.person_id
                 LEFT JOIN classes c ON c.id = s.class_id
                 WHERE s.person_id IN (",
            );
            let mut list = builder.separated(", ");
            for person in chunk {
                list.push_bind(*person);
            }
            builder.push(")");
            builder
                .build_query_as()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取相关学籍记录", "学籍记录"))?
        });
        found.extend(rows.into_iter().map(record_row));
    }
    found.sort_by_key(|r| r.record);
    Ok(found)
}

/// Phones, emails and current employment of the given persons.
pub async fn signals_of(db: &Db, persons: &[i64]) -> StoreResult<HashMap<i64, PersonSignals>> {
    let mut signals: HashMap<i64, PersonSignals> = HashMap::new();
    for chunk in persons.chunks(1_000) {
        let contacts: Vec<(i64, String, String)> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(
                "SELECT person_id, kind, value_key FROM contact_points
                 WHERE kind IN ('mobile', 'email') AND person_id IN (",
            );
            let mut list = builder.separated(", ");
            for person in chunk {
                list.push_bind(*person);
            }
            builder.push(") ORDER BY id");
            builder
                .build_query_as()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取联系方式", "联系方式"))?
        });
        for (person, kind, value) in contacts {
            add_contact(signals.entry(person).or_default(), &kind, value);
        }
        let jobs: Vec<(i64, String, Option<String>)> = on_db!(db, |pool| {
            let mut builder = QueryBuilder::new(
                "SELECT person_id, employer_name, city FROM employments
                 WHERE is_current AND person_id IN (",
            );
            let mut list = builder.separated(", ");
            for person in chunk {
                list.push_bind(*person);
            }
            builder.push(") ORDER BY id");
            builder
                .build_query_as()
                .fetch_all(pool)
                .await
                .map_err(StoreError::query("读取工作经历", "工作经历"))?
        });
        for (person, employer, city) in jobs {
            add_job(signals.entry(person).or_default(), employer, city);
        }
    }
    Ok(signals)
}

fn add_contact(signals: &mut PersonSignals, kind: &str, value: String) {
    let list = if kind == "email" {
        &mut signals.emails
    } else {
        &mut signals.phones
    };
    if !list.contains(&value) {
        list.push(value);
    }
}

fn add_job(signals: &mut PersonSignals, employer: String, city: Option<String>) {
    signals.employer = Some(employer);
    if city.is_some() {
        signals.city = city;
    }
}

/// What identity resolution knows of a person beyond the study record: phones, emails, the
/// current employer and city.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PersonSignals {
    pub phones: Vec<String>,
    pub emails: Vec<String>,
    pub employer: Option<String>,
    pub city: Option<String>,
}

/// Phones, emails and current employment of every live person, read in pages.
pub async fn person_signals(db: &Db) -> StoreResult<HashMap<i64, PersonSignals>> {
    const PAGE: i64 = 50_000;
    let mut signals: HashMap<i64, PersonSignals> = HashMap::new();
    let mut after = 0i64;
    loop {
        // A plain walk along the primary key, the kinds filtered here: with `kind IN (…)` in
        // the query SQLite picks the (kind, value) index and sorts every remaining row of
        // those kinds again for each page.
        let rows: Vec<(i64, i64, String, String)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT id, person_id, kind, value_key FROM contact_points
             WHERE id > $1 ORDER BY id LIMIT $2"
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取联系方式", "联系方式"))?);
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, person, kind, value) in rows {
            if kind == "mobile" || kind == "email" {
                add_contact(signals.entry(person).or_default(), &kind, value);
            }
        }
    }
    let mut after = 0i64;
    loop {
        let rows: Vec<(i64, i64, String, Option<String>)> = on_db!(db, |pool| sqlx::query_as(
            "SELECT id, person_id, employer_name, city FROM employments
             WHERE id > $1 AND is_current ORDER BY id LIMIT $2"
        )
        .bind(after)
        .bind(PAGE)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取工作经历", "工作经历"))?);
        let Some(last) = rows.last() else { break };
        after = last.0;
        for (_, person, employer, city) in rows {
            add_job(signals.entry(person).or_default(), employer, city);
        }
    }
    Ok(signals)
}

/// Person pairs (smaller id first) a person said are different.
pub async fn distinct_pairs(db: &Db) -> StoreResult<HashSet<(i64, i64)>> {
    let rows: Vec<(i64, i64)> = on_db!(db, |pool| sqlx::query_as(
        "SELECT person_a, person_b FROM identity_distinct"
    )
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取“不是同一人”记录", "身份判定"))?);
    Ok(rows.into_iter().collect())
}

/// Remembers that two persons are different people.
pub async fn mark_distinct(
    tx: &mut Tx,
    a: i64,
    b: i64,
    decided_by: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<()> {
    let (low, high) = if a < b { (a, b) } else { (b, a) };
    on_tx!(&mut *tx, |conn| sqlx::query(
        "INSERT INTO identity_distinct (person_a, person_b, decided_by, created_at)
         VALUES ($1, $2, $3, $4) ON CONFLICT (person_a, person_b) DO NOTHING"
    )
    .bind(low)
    .bind(high)
    .bind(decided_by)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("记录“不是同一人”", "校友"))?);
    Ok(())
}

/// One person folded into another.
#[derive(Debug, Clone, PartialEq)]
pub struct PlannedMerge {
    pub survivor: i64,
    pub merged: i64,
    pub score: Option<f64>,
    pub reasons: String,
}

/// Who decided: the engine or a person.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MergeKind {
    Auto,
    Manual,
}

impl MergeKind {
    fn code(self) -> &'static str {
        match self {
            MergeKind::Auto => "auto",
            MergeKind::Manual => "manual",
        }
    }
}

/// Tables whose rows belong to a person and move with a merge.
const PERSON_TABLES: [&str; 6] = [
    "study_records",
    "contact_points",
    "employments",
    "appointments",
    "consents",
    "person_photos",
];

const MERGE: &str = "合并校友";

/// Merges persons as planned, set-based: each merged person's rows move to the survivor (and
/// are remembered, for undoing), the merged person stays as a pointer to the survivor. The
/// survivor must be live; a merged person that is already merged is skipped. Returns how many
/// merges were made.
pub async fn merge_persons(
    tx: &mut Tx,
    plan: &[PlannedMerge],
    kind: MergeKind,
    decided_by: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<u64> {
    if plan.is_empty() {
        return Ok(0);
    }
    on_tx!(&mut *tx, |conn| sqlx::query(
        "CREATE TEMP TABLE merge_plan (merged_id BIGINT PRIMARY KEY, survivor_id BIGINT NOT NULL,
             score DOUBLE PRECISION, reasons TEXT NOT NULL)"
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query(MERGE, "合并计划"))?);
    for chunk in plan.chunks(1_000) {
        on_tx!(&mut *tx, |conn| {
            let mut builder = QueryBuilder::new(
                "INSERT INTO merge_plan (merged_id, survivor_id, score, reasons) ",
            );
            builder.push_values(chunk, |mut row, m: &PlannedMerge| {
                row.push_bind(m.merged)
                    .push_bind(m.survivor)
                    .push_bind(m.score)
                    .push_bind(m.reasons.clone());
            });
            builder
                .build()
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(StoreError::query(MERGE, "合并计划"))?
        });
    }
    // Only live persons merge, into live persons.
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "DELETE FROM merge_plan WHERE merged_id IN (SELECT id FROM persons WHERE merged_into IS NOT NULL)
            OR survivor_id IN (SELECT id FROM persons WHERE merged_into IS NOT NULL)
            OR merged_id = survivor_id"
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query(MERGE, "合并计划"))?
    });
    let merged = on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "INSERT INTO person_merges (survivor_id, merged_id, kind, score, reasons, id_card_moved,
             decided_by, created_at)
         SELECT survivor_id, merged_id, $1, score, reasons, FALSE, $2, $3 FROM merge_plan"
    )
    .bind(kind.code())
    .bind(decided_by)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query(MERGE, "合并记录"))?
    });
    for table in PERSON_TABLES {
        // Table names come from the fixed list above, never from input.
        let remember = format!(
            "INSERT INTO person_merge_moves (merge_id, table_name, row_id)
             SELECT pm.id, '{table}', t.id FROM {table} t
             JOIN merge_plan p ON p.merged_id = t.person_id
             JOIN person_merges pm ON pm.merged_id = p.merged_id AND pm.undone_at IS NULL"
        );
        let moved = format!(
            "UPDATE {table} SET person_id =
                 (SELECT survivor_id FROM merge_plan WHERE merged_id = {table}.person_id)
             WHERE person_id IN (SELECT merged_id FROM merge_plan)"
        );
        for statement in [remember, moved] {
            on_tx!(&mut *tx, |conn| sqlx::query(sqlx::AssertSqlSafe(
                statement.clone()
            ))
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(StoreError::query(MERGE, "校友记录"))?);
        }
    }
    move_talent_profiles(tx).await?;
    move_outstanding_files(tx).await?;
    on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE persons SET merged_into =
             (SELECT survivor_id FROM merge_plan WHERE merged_id = persons.id), updated_at = $1
         WHERE id IN (SELECT merged_id FROM merge_plan)"
    )
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query(MERGE, "校友"))?);
    on_tx!(&mut *tx, |conn| sqlx::query("DROP TABLE merge_plan")
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(StoreError::query(MERGE, "合并计划"))?);
    Ok(merged)
}

/// Runs fixed statements in order inside the transaction.
async fn run_all(tx: &mut Tx, statements: &[&'static str], what: &'static str) -> StoreResult<()> {
    for statement in statements {
        on_tx!(&mut *tx, |conn| sqlx::query(*statement)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(StoreError::query(MERGE, what))?);
    }
    Ok(())
}

/// A person has one talent profile (keyed by the person), so it cannot simply be re-pointed
/// like the other rows: a merged person's profile is copied to a survivor that has none (the
/// first merged person's, when several with profiles merge into one survivor in a plan), its
/// industry chains follow, and the move is remembered for undoing. A survivor's own profile
/// is kept; a merged person's profile that did not move stays with that person and is there
/// again when the merge is undone.
async fn move_talent_profiles(tx: &mut Tx) -> StoreResult<()> {
    run_all(
        tx,
        &[
            "CREATE TEMP TABLE profile_moves (merged_id BIGINT PRIMARY KEY, survivor_id BIGINT NOT NULL)",
            "INSERT INTO profile_moves (merged_id, survivor_id)
             SELECT MIN(p.merged_id), p.survivor_id FROM merge_plan p
             JOIN talent_profiles t ON t.person_id = p.merged_id
             WHERE NOT EXISTS (SELECT 1 FROM talent_profiles s WHERE s.person_id = p.survivor_id)
             GROUP BY p.survivor_id",
            "INSERT INTO person_merge_moves (merge_id, table_name, row_id)
             SELECT pm.id, 'talent_profiles', m.merged_id FROM profile_moves m
             JOIN person_merges pm ON pm.merged_id = m.merged_id AND pm.undone_at IS NULL",
            "INSERT INTO talent_profiles (person_id, category, honours, expertise, summary, updated_at)
             SELECT m.survivor_id, t.category, t.honours, t.expertise, t.summary, t.updated_at
             FROM talent_profiles t JOIN profile_moves m ON m.merged_id = t.person_id",
            "UPDATE talent_profile_chains SET person_id =
                 (SELECT survivor_id FROM profile_moves WHERE merged_id = talent_profile_chains.person_id)
             WHERE person_id IN (SELECT merged_id FROM profile_moves)",
            "DELETE FROM talent_profiles WHERE person_id IN (SELECT merged_id FROM profile_moves)",
            "DROP TABLE profile_moves",
        ],
        "人才档案",
    )
    .await
}

/// A school keeps one outstanding-alumni file per person (keyed by person and school): a
/// merged person's file moves to the survivor for each school where the survivor has none,
/// and the move is remembered (by school) for undoing.
async fn move_outstanding_files(tx: &mut Tx) -> StoreResult<()> {
    run_all(
        tx,
        &[
            "INSERT INTO person_merge_moves (merge_id, table_name, row_id)
             SELECT pm.id, 'outstanding_alumni', o.school_id FROM outstanding_alumni o
             JOIN merge_plan p ON p.merged_id = o.person_id
             JOIN person_merges pm ON pm.merged_id = p.merged_id AND pm.undone_at IS NULL
             WHERE NOT EXISTS (SELECT 1 FROM outstanding_alumni s
                               WHERE s.person_id = p.survivor_id AND s.school_id = o.school_id)
               AND p.merged_id = (SELECT MIN(q.merged_id) FROM merge_plan q
                                  JOIN outstanding_alumni o2 ON o2.person_id = q.merged_id
                                  WHERE q.survivor_id = p.survivor_id AND o2.school_id = o.school_id)",
            "UPDATE outstanding_alumni SET person_id =
                 (SELECT survivor_id FROM merge_plan WHERE merged_id = outstanding_alumni.person_id)
             WHERE person_id IN (SELECT merged_id FROM merge_plan)
               AND EXISTS (SELECT 1 FROM person_merge_moves m
                           JOIN person_merges pm ON pm.id = m.merge_id
                           WHERE m.table_name = 'outstanding_alumni' AND pm.undone_at IS NULL
                             AND pm.merged_id = outstanding_alumni.person_id
                             AND m.row_id = outstanding_alumni.school_id)",
        ],
        "优秀校友档案",
    )
    .await
}

/// Gives a merged person back the outstanding-alumni files a merge moved to the survivor.
async fn return_outstanding_files(
    tx: &mut Tx,
    merge: i64,
    survivor: i64,
    merged: i64,
) -> StoreResult<()> {
    on_tx!(&mut *tx, |conn| {
        sqlx::query(
        "UPDATE outstanding_alumni SET person_id = $2 WHERE person_id = $1 AND school_id IN
             (SELECT row_id FROM person_merge_moves WHERE merge_id = $3 AND table_name = 'outstanding_alumni')"
    )
    .bind(survivor)
    .bind(merged)
    .bind(merge)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("撤销合并", "优秀校友档案"))?
    });
    Ok(())
}

/// Gives a merged person back the talent profile a merge moved to the survivor.
async fn return_talent_profile(
    tx: &mut Tx,
    merge: i64,
    survivor: i64,
    merged: i64,
) -> StoreResult<()> {
    let moved: Option<i64> = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
        "SELECT row_id FROM person_merge_moves WHERE merge_id = $1 AND table_name = 'talent_profiles'"
    )
    .bind(merge)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::query("撤销合并", "人才档案"))?
    });
    if moved.is_none() {
        return Ok(());
    }
    let statements = [
        "INSERT INTO talent_profiles (person_id, category, honours, expertise, summary, updated_at)
         SELECT $2, category, honours, expertise, summary, updated_at FROM talent_profiles
         WHERE person_id = $1",
        "UPDATE talent_profile_chains SET person_id = $2 WHERE person_id = $1",
        "DELETE FROM talent_profiles WHERE person_id = $1",
    ];
    for statement in statements {
        on_tx!(&mut *tx, |conn| sqlx::query(statement)
            .bind(survivor)
            .bind(merged)
            .execute(&mut *conn)
            .await
            .map(|_| ())
            .map_err(StoreError::query("撤销合并", "人才档案"))?);
    }
    Ok(())
}

/// A merge as history shows it.
#[derive(Debug, Clone, PartialEq)]
pub struct MergeRecord {
    pub id: i64,
    pub survivor: i64,
    pub merged: i64,
    pub kind: String,
    pub score: Option<f64>,
    pub reasons: Option<String>,
    pub created_at: DateTime<Utc>,
    pub undone_at: Option<DateTime<Utc>>,
}

type MergeTuple = (
    i64,
    i64,
    i64,
    String,
    Option<f64>,
    Option<String>,
    DateTime<Utc>,
    Option<DateTime<Utc>>,
);

fn merge_record(row: MergeTuple) -> MergeRecord {
    let (id, survivor, merged, kind, score, reasons, created_at, undone_at) = row;
    MergeRecord {
        id,
        survivor,
        merged,
        kind,
        score,
        reasons,
        created_at,
        undone_at,
    }
}

/// The merges a person took part in, newest first.
pub async fn merges_of(db: &Db, person: i64) -> StoreResult<Vec<MergeRecord>> {
    let rows: Vec<MergeTuple> = on_db!(db, |pool| sqlx::query_as(
        "SELECT id, survivor_id, merged_id, kind, score, reasons, created_at, undone_at
         FROM person_merges WHERE survivor_id = $1 OR merged_id = $1 ORDER BY id DESC"
    )
    .bind(person)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取合并历史", "合并记录"))?);
    Ok(rows.into_iter().map(merge_record).collect())
}

/// Undoes a merge: the moved rows go back, the merged person is live again. Refused (false)
/// when the merge was undone before, or the survivor has since been merged itself (undo that
/// first).
/// A merge as undo needs it: survivor, merged, when undone, where the survivor went since.
type UndoTuple = (i64, i64, Option<DateTime<Utc>>, Option<i64>);

pub async fn undo_merge(tx: &mut Tx, merge: i64, at: DateTime<Utc>) -> StoreResult<bool> {
    let found: Option<UndoTuple> = on_tx!(&mut *tx, |conn| sqlx::query_as(
        "SELECT pm.survivor_id, pm.merged_id, pm.undone_at, s.merged_into
             FROM person_merges pm JOIN persons s ON s.id = pm.survivor_id WHERE pm.id = $1"
    )
    .bind(merge)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::query("撤销合并", "合并记录"))?);
    let Some((survivor, merged, None, None)) = found else {
        return Ok(false);
    };
    return_talent_profile(tx, merge, survivor, merged).await?;
    return_outstanding_files(tx, merge, survivor, merged).await?;
    for table in PERSON_TABLES {
        let statement = format!(
            "UPDATE {table} SET person_id = $1 WHERE id IN
                 (SELECT row_id FROM person_merge_moves WHERE merge_id = $2 AND table_name = '{table}')"
        );
        on_tx!(&mut *tx, |conn| sqlx::query(sqlx::AssertSqlSafe(
            statement.clone()
        ))
        .bind(merged)
        .bind(merge)
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(StoreError::query("撤销合并", "校友记录"))?);
    }
    on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE persons SET merged_into = NULL, updated_at = $2 WHERE id = $1"
    )
    .bind(merged)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("撤销合并", "校友"))?);
    on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE person_merges SET undone_at = $2 WHERE id = $1"
    )
    .bind(merge)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("撤销合并", "合并记录"))?);
    Ok(true)
}

/// An uncertain pair for the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct NewReview {
    pub record_a: i64,
    pub record_b: i64,
    pub score: f64,
    pub reasons: String,
}

/// Replaces the open review queue with the pairs of the latest run.
pub async fn replace_open_reviews(
    tx: &mut Tx,
    reviews: &[NewReview],
    at: DateTime<Utc>,
) -> StoreResult<()> {
    on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE identity_reviews SET status = 'stale' WHERE status = 'open'"
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("更新待核对队列", "待核对"))?);
    for chunk in reviews.chunks(1_000) {
        on_tx!(&mut *tx, |conn| {
            let mut builder = QueryBuilder::new(
                "INSERT INTO identity_reviews (record_a, record_b, score, reasons, status, created_at) ",
            );
            builder.push_values(chunk, |mut row, r: &NewReview| {
                row.push_bind(r.record_a)
                    .push_bind(r.record_b)
                    .push_bind(r.score)
                    .push_bind(r.reasons.clone())
                    .push_bind("open")
                    .push_bind(at);
            });
            builder
                .build()
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(StoreError::query("更新待核对队列", "待核对"))?
        });
    }
    Ok(())
}

/// Adds pairs to the open review queue, skipping pairs already in it (set-based, through a
/// temporary table, so a large import's pairs cost a few statements).
pub async fn add_open_reviews(
    tx: &mut Tx,
    reviews: &[NewReview],
    at: DateTime<Utc>,
) -> StoreResult<usize> {
    if reviews.is_empty() {
        return Ok(0);
    }
    let fail = || StoreError::query("更新待核对队列", "待核对");
    on_tx!(&mut *tx, |conn| sqlx::query(
        "CREATE TEMP TABLE review_plan (record_a BIGINT NOT NULL, record_b BIGINT NOT NULL,
             score DOUBLE PRECISION NOT NULL, reasons TEXT NOT NULL)"
    )
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(fail())?);
    for chunk in reviews.chunks(1_000) {
        on_tx!(&mut *tx, |conn| {
            let mut builder =
                QueryBuilder::new("INSERT INTO review_plan (record_a, record_b, score, reasons) ");
            builder.push_values(chunk, |mut row, r: &NewReview| {
                row.push_bind(r.record_a)
                    .push_bind(r.record_b)
                    .push_bind(r.score)
                    .push_bind(r.reasons.clone());
            });
            builder
                .build()
                .execute(&mut *conn)
                .await
                .map(|_| ())
                .map_err(fail())?
        });
    }
    let added = on_tx!(&mut *tx, |conn| sqlx::query(
        "INSERT INTO identity_reviews (record_a, record_b, score, reasons, status, created_at)
         SELECT p.record_a, p.record_b, p.score, p.reasons, 'open', $1 FROM review_plan p
         WHERE NOT EXISTS (SELECT 1 FROM identity_reviews r
             WHERE r.status = 'open' AND r.record_a = p.record_a AND r.record_b = p.record_b)"
    )
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(fail())?);
    on_tx!(&mut *tx, |conn| sqlx::query("DROP TABLE review_plan")
        .execute(&mut *conn)
        .await
        .map(|_| ())
        .map_err(fail())?);
    Ok(usize::try_from(added).unwrap_or(usize::MAX))
}

/// Number of pairs waiting for review.
pub async fn open_review_count(db: &Db) -> StoreResult<i64> {
    on_db!(db, |pool| sqlx::query_scalar(
        "SELECT COUNT(*) FROM identity_reviews WHERE status = 'open'"
    )
    .fetch_one(pool)
    .await
    .map_err(StoreError::query("读取待核对队列", "待核对")))
}

/// One line of the record → person export: the row the record came from, its id, its person.
pub type ExportLine = (Option<String>, i64, i64);

/// The export in pages, by study record id.
pub async fn export_page(db: &Db, after: i64, limit: i64) -> StoreResult<Vec<ExportLine>> {
    on_db!(db, |pool| sqlx::query_as(
        "SELECT source_ref, id, person_id FROM study_records WHERE id > $1 ORDER BY id LIMIT $2"
    )
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("导出身份对应", "学籍记录")))
}

/// A pair waiting in (or decided from) the review queue.
#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub id: i64,
    pub record_a: i64,
    pub record_b: i64,
    pub person_a: i64,
    pub person_b: i64,
    pub score: f64,
    pub reasons: String,
    pub status: String,
    pub created_at: DateTime<Utc>,
}

type ReviewTuple = (i64, i64, i64, i64, i64, f64, String, String, DateTime<Utc>);

fn review(row: ReviewTuple) -> Review {
    let (id, record_a, record_b, person_a, person_b, score, reasons, status, created_at) = row;
    Review {
        id,
        record_a,
        record_b,
        person_a,
        person_b,
        score,
        reasons,
        status,
        created_at,
    }
}

macro_rules! select_review {
    () => {
        "SELECT r.id, r.record_a, r.record_b, a.person_id, b.person_id, r.score, r.reasons, r.status,
             r.created_at
         FROM identity_reviews r
         JOIN study_records a ON a.id = r.record_a
         JOIN study_records b ON b.id = r.record_b"
    };
}

pub async fn get_review(db: &Db, id: i64) -> StoreResult<Option<Review>> {
    let row: Option<ReviewTuple> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_review!(),
        " WHERE r.id = $1"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await
    .map_err(StoreError::query("读取待核对", "待核对"))?);
    Ok(row.map(review))
}

/// Where a reviewer works: study records at these schools, in these colleges or classes.
#[derive(Debug, Clone, Copy, Default)]
pub struct ReviewerReach<'a> {
    pub schools: &'a [i64],
    pub colleges: &'a [i64],
    pub classes: &'a [i64],
}

impl ReviewerReach<'_> {
    fn is_empty(&self) -> bool {
        self.schools.is_empty() && self.colleges.is_empty() && self.classes.is_empty()
    }
}

/// Open pairs whose two records both lie within `reach` (`None`: anywhere), best score
/// first. Pairs whose records now belong to one person are not listed.
pub async fn open_reviews(
    db: &Db,
    reach: Option<ReviewerReach<'_>>,
    limit: i64,
    offset: i64,
) -> StoreResult<Vec<Review>> {
    let rows: Vec<ReviewTuple> = on_db!(db, |pool| {
        let mut builder = QueryBuilder::new(concat!(
            select_review!(),
            " WHERE r.status = 'open' AND a.person_id <> b.person_id"
        ));
        if let Some(reach) = reach {
            if reach.is_empty() {
                return Ok(Vec::new());
            }
            for record in ["a", "b"] {
                builder.push(" AND (");
                let mut first = true;
                for (column, ids) in [
                    ("school_id", reach.schools),
                    ("college_id", reach.colleges),
                    ("class_id", reach.classes),
                ] {
                    if ids.is_empty() {
                        continue;
                    }
                    if !first {
                        builder.push(" OR ");
                    }
                    first = false;
                    builder.push(format!("{record}.{column} IN ("));
                    let mut list = builder.separated(", ");
                    for id in ids {
                        list.push_bind(*id);
                    }
                    builder.push(")");
                }
                builder.push(")");
            }
        }
        builder
            .push(" ORDER BY r.score DESC, r.id LIMIT ")
            .push_bind(limit)
            .push(" OFFSET ")
            .push_bind(offset);
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取待核对队列", "待核对"))?
    });
    Ok(rows.into_iter().map(review).collect())
}

/// Records the decision on a pair.
pub async fn decide_review(
    tx: &mut Tx,
    id: i64,
    status: &str,
    decided_by: Option<i64>,
    at: DateTime<Utc>,
) -> StoreResult<bool> {
    let done = on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE identity_reviews SET status = $2, decided_by = $3, decided_at = $4
         WHERE id = $1 AND status = 'open'"
    )
    .bind(id)
    .bind(status)
    .bind(decided_by)
    .bind(at)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(StoreError::query("记录核对结果", "待核对"))?);
    Ok(done == 1)
}

/// The person a merged person was folded into, following the chain to the live one.
pub async fn live_person(db: &Db, person: i64) -> StoreResult<Option<i64>> {
    let mut current = person;
    for _ in 0..64 {
        let next: Option<Option<i64>> = on_db!(db, |pool| sqlx::query_scalar(
            "SELECT merged_into FROM persons WHERE id = $1"
        )
        .bind(current)
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取校友", "校友"))?);
        match next {
            None => return Ok(None),
            Some(None) => return Ok(Some(current)),
            Some(Some(survivor)) => current = survivor,
        }
    }
    Ok(Some(current))
}

/// Splits a study record off its person into a new person with the same name, gender and
/// birth date (not the ID number: that stays with the person it was verified for). Returns
/// the new person's id.
pub async fn split_record(tx: &mut Tx, record: i64, at: DateTime<Utc>) -> StoreResult<Option<i64>> {
    let person: Option<i64> = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT person_id FROM study_records WHERE id = $1"
    )
    .bind(record)
    .fetch_optional(&mut *conn)
    .await
    .map_err(StoreError::query("拆分学籍记录", "学籍记录"))?);
    let Some(person) = person else {
        return Ok(None);
    };
    let created: i64 = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO persons (name, name_key, gender, birth_date, current_city, created_at, updated_at)
         SELECT s.name_as_reported, p.name_key, p.gender, p.birth_date, NULL, $2, $2
         FROM study_records s JOIN persons p ON p.id = s.person_id WHERE s.id = $1
         RETURNING id"
    )
    .bind(record)
    .bind(at)
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("拆分学籍记录", "校友"))?
    });
    on_tx!(&mut *tx, |conn| sqlx::query(
        "UPDATE study_records SET person_id = $2 WHERE id = $1 AND person_id = $3"
    )
    .bind(record)
    .bind(created)
    .bind(person)
    .execute(&mut *conn)
    .await
    .map(|_| ())
    .map_err(StoreError::query("拆分学籍记录", "学籍记录"))?);
    Ok(Some(created))
}
