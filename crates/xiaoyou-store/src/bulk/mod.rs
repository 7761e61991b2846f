//! Bulk loading for generators and large imports, with person ids assigned by the caller so
//! that rows referring to them can be built before anything is written. On SQLite a batch is
//! lent to SQLite as virtual tables ([`lent`]) and goes in through one `INSERT … SELECT` per
//! table on the raw connection ([`sqlite`]); on PostgreSQL through one `COPY` per table and
//! batch ([`postgres`]).

mod lent;
mod postgres;
mod sqlite;

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use crate::people::StoredIdCard;
use chrono::{DateTime, NaiveDate, SubsecRound, Utc};
use std::collections::HashMap;
use xiaoyou_core::{
    ClassId, CollegeId, ConsentAudience, ContactKind, EnterpriseId, Gender, MajorId, PersonId,
    PersonName, RegionCode, SchoolId, SourceId, StudyLevel,
};

/// Keys per lookup on PostgreSQL.
const KEYS_PER_LOOKUP: usize = 1000;

/// What identifies a roster row's content, so that importing it again changes nothing: the
/// first 8 bytes of a SHA-256 digest over its normalised fields, read as a signed big-endian
/// integer. Two different rows of one school share one with a chance of about n²/2⁶⁵ (3 in
/// 100 million for a million alumni), and the unique index every imported row passes through
/// compares integers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct RowFingerprint(i64);

impl RowFingerprint {
    /// The fingerprint of a row whose fields hashed to `digest`.
    pub fn from_digest(digest: &[u8; 32]) -> RowFingerprint {
        let mut leading = [0u8; 8];
        leading.copy_from_slice(&digest[..8]);
        RowFingerprint(i64::from_be_bytes(leading))
    }

    /// The value stored in `study_records.row_fingerprint`.
    pub fn get(self) -> i64 {
        self.0
    }
}

#[derive(Debug, Clone)]
pub struct BulkPerson {
    pub id: PersonId,
    pub name: PersonName,
    /// The name's matching key ([`xiaoyou_text::name_key`]), computed by whoever has the name
    /// first (an import's reading thread already needs it for the row's fingerprint).
    pub name_key: String,
    pub gender: Option<Gender>,
    pub birth_date: Option<NaiveDate>,
    pub id_card: Option<StoredIdCard>,
    pub native_region: Option<RegionCode>,
    pub current_city: Option<String>,
}

#[derive(Debug, Clone)]
pub struct BulkStudyRecord {
    pub person: PersonId,
    pub school: SchoolId,
    pub college: Option<CollegeId>,
    pub major: Option<MajorId>,
    pub class: Option<ClassId>,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub student_no: Option<String>,
    pub name_as_reported: String,
    pub source: SourceId,
    pub source_ref: Option<String>,
    /// For imported rows: the fingerprint that makes re-imports change nothing.
    pub row_fingerprint: Option<RowFingerprint>,
}

#[derive(Debug, Clone)]
pub struct BulkContact {
    pub person: PersonId,
    pub kind: ContactKind,
    pub value: String,
    pub source: SourceId,
    pub observed_on: Option<NaiveDate>,
    pub verified: bool,
}

#[derive(Debug, Clone)]
pub struct BulkEmployment {
    pub person: PersonId,
    pub enterprise: Option<EnterpriseId>,
    pub employer_name: String,
    pub title: Option<String>,
    pub city: Option<String>,
    pub start_year: Option<i32>,
    pub end_year: Option<i32>,
    pub is_current: bool,
    pub source: SourceId,
}

#[derive(Debug, Clone)]
pub struct BulkConsent {
    pub person: PersonId,
    pub audience: ConsentAudience,
    pub granted: bool,
    pub source: String,
}

/// Everything one batch writes, in dependency order.
#[derive(Debug, Clone, Default)]
pub struct Batch {
    pub persons: Vec<BulkPerson>,
    pub study_records: Vec<BulkStudyRecord>,
    pub contacts: Vec<BulkContact>,
    pub employments: Vec<BulkEmployment>,
    pub consents: Vec<BulkConsent>,
}

impl Batch {
    pub fn row_count(&self) -> usize {
        self.persons.len()
            + self.study_records.len()
            + self.contacts.len()
            + self.employments.len()
            + self.consents.len()
    }
}

/// `count` fresh person ids for rows written with explicit ids. On PostgreSQL they come from
/// the identity sequence, so concurrent writers never collide; SQLite has a single writer.
pub async fn reserve_person_ids(tx: &mut Tx, count: usize) -> StoreResult<Vec<PersonId>> {
    if count == 0 {
        return Ok(Vec::new());
    }
    let fail = || StoreError::query("分配校友编号", "校友");
    match tx {
        Tx::Postgres(pg) => {
            let ids: Vec<i64> = sqlx::query_scalar(
                "SELECT nextval(pg_get_serial_sequence('persons', 'id')) FROM generate_series(1, $1)",
            )
            .bind(i64::try_from(count).unwrap_or(i64::MAX))
            .fetch_all(&mut **pg)
            .await
            .map_err(fail())?;
            Ok(ids.into_iter().map(PersonId).collect())
        }
        Tx::Sqlite(_) => {
            let first = next_person_id_in(tx).await?.get();
            Ok((first..first + count as i64).map(PersonId).collect())
        }
    }
}

/// The first free person id, read inside the transaction that will use it.
pub async fn next_person_id_in(tx: &mut Tx) -> StoreResult<PersonId> {
    let max: Option<i64> = on_tx!(tx, |conn| sqlx::query_scalar("SELECT MAX(id) FROM persons")
        .fetch_one(&mut *conn)
        .await
        .map_err(StoreError::query("读取最大校友编号", "校友"))?);
    Ok(PersonId(max.unwrap_or(0) + 1))
}

/// The fingerprints among `fingerprints` that the school's study records already carry, each
/// with the source that brought it (an earlier import, or the running one).
pub async fn known_fingerprints(
    tx: &mut Tx,
    school: SchoolId,
    fingerprints: &[RowFingerprint],
) -> StoreResult<HashMap<RowFingerprint, SourceId>> {
    let conn = match tx {
        Tx::Sqlite(conn) => return sqlite::known_fingerprints(conn, school, fingerprints).await,
        Tx::Postgres(conn) => conn,
    };
    let mut known = HashMap::new();
    for chunk in fingerprints.chunks(KEYS_PER_LOOKUP) {
        let prints: Vec<i64> = chunk.iter().map(|print| print.get()).collect();
        let found: Vec<(i64, i64)> = sqlx::query_as(
            "SELECT row_fingerprint, source_id FROM study_records
             WHERE school_id = $1 AND row_fingerprint = ANY($2)",
        )
        .bind(school.get())
        .bind(prints)
        .fetch_all(&mut **conn)
        .await
        .map_err(StoreError::query("查找已导入的行", "学籍记录"))?;
        known.extend(
            found
                .into_iter()
                .map(|(print, source)| (RowFingerprint(print), SourceId(source))),
        );
    }
    Ok(known)
}

/// Persons holding the given ID-number hashes.
pub async fn persons_by_id_card_hashes(
    tx: &mut Tx,
    hashes: &[String],
) -> StoreResult<HashMap<String, PersonId>> {
    let conn = match tx {
        Tx::Sqlite(conn) => return sqlite::persons_by_id_card_hashes(conn, hashes).await,
        Tx::Postgres(conn) => conn,
    };
    let mut found = HashMap::new();
    for chunk in hashes.chunks(KEYS_PER_LOOKUP) {
        let rows: Vec<(String, i64)> = sqlx::query_as(
            "SELECT id_card_hash, id FROM persons
             WHERE id_card_hash = ANY($1) AND id_card_hash IS NOT NULL",
        )
        .bind(chunk)
        .fetch_all(&mut **conn)
        .await
        .map_err(StoreError::query("按身份证号查找校友", "校友"))?;
        found.extend(rows.into_iter().map(|(hash, id)| (hash, PersonId(id))));
    }
    Ok(found)
}

/// The first free person id; the caller numbers new persons from here.
pub async fn next_person_id(db: &Db) -> StoreResult<PersonId> {
    let max: Option<i64> = on_db!(db, |pool| sqlx::query_scalar("SELECT MAX(id) FROM persons")
        .fetch_one(pool)
        .await
        .map_err(StoreError::query("读取最大校友编号", "校友"))?);
    Ok(PersonId(max.unwrap_or(0) + 1))
}

/// Frees `value` on a blocking thread when running on a multi-threaded runtime, at once
/// otherwise. A written batch holds a few strings per row, mostly allocated by an import's
/// reading thread; freeing them one by one on the writing thread took it about a tenth of its
/// time, and the writer is what bounds an import.
pub fn free_elsewhere<T: Send + 'static>(value: T) {
    if on_multi_threaded_runtime() {
        drop(tokio::task::spawn_blocking(move || drop(value)));
    } else {
        drop(value);
    }
}

/// Whether the caller runs on a multi-threaded tokio runtime, where blocking work can move
/// off the task's thread.
fn on_multi_threaded_runtime() -> bool {
    tokio::runtime::Handle::try_current()
        .is_ok_and(|handle| handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread)
}

fn region_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

/// What each table's rows are called in error messages.
const PERSONS: &str = "校友";
const STUDY_RECORDS: &str = "学籍记录";
const CONTACTS: &str = "联系方式";
const CONSENTS: &str = "授权记录";
const EMPLOYMENTS: &str = "工作经历";

/// When a batch is written, to the second: every row of a batch carries it (six times per
/// roster row), and on SQLite a timestamp with its nanoseconds takes 35 characters against 25.
/// A time to the second sorts correctly among times with fractions (`…:51+00:00` before
/// `…:51.2+00:00`), which is how sqlx writes them.
fn time_of_writing() -> DateTime<Utc> {
    Utc::now().trunc_subsecs(0)
}

/// Writes a batch inside the given transaction, consuming it.
pub async fn write_batch(tx: &mut Tx, batch: Batch) -> StoreResult<()> {
    let now = time_of_writing();
    match tx {
        Tx::Sqlite(conn) => sqlite::write_batch(conn, batch, now).await,
        Tx::Postgres(conn) => postgres::write_batch(conn, batch, now).await,
    }
}

/// What [`write_batch_of_new_rows`] did with a batch.
#[derive(Debug)]
pub enum NewRowsWritten {
    /// Every row of the batch is stored.
    All,
    /// Nothing of the batch is stored: the study records at these positions have a
    /// fingerprint their school has stored already. The batch is handed back.
    Refused { batch: Batch, positions: Vec<usize> },
}

/// Writes a batch whose study records are expected to be new to their school, unless one of
/// their fingerprints is stored already; then nothing of it is written.
///
/// On SQLite nothing is looked up beforehand: the study records go in first and the
/// fingerprint index refuses a stored one as it is inserted, which spares every row a search of
/// that index. After a refusal the batch's study records are taken out again. This needs the
/// foreign keys of the transaction unchecked or deferred, as in [`Db::begin_bulk_load`]; they
/// are deferred here otherwise. PostgreSQL checks a study record's person as it arrives, so
/// there the fingerprints are looked up before anything is written.
pub async fn write_batch_of_new_rows(tx: &mut Tx, batch: Batch) -> StoreResult<NewRowsWritten> {
    let now = time_of_writing();
    match tx {
        Tx::Sqlite(conn) => sqlite::write_batch_of_new_rows(conn, batch, now).await,
        Tx::Postgres(_) => {
            let positions = stored_positions(tx, &batch.study_records).await?;
            if !positions.is_empty() {
                return Ok(NewRowsWritten::Refused { batch, positions });
            }
            write_batch(tx, batch).await?;
            Ok(NewRowsWritten::All)
        }
    }
}

/// The positions of the records whose fingerprint their school has stored.
async fn stored_positions(tx: &mut Tx, records: &[BulkStudyRecord]) -> StoreResult<Vec<usize>> {
    let mut schools: Vec<SchoolId> = records.iter().map(|r| r.school).collect();
    schools.sort();
    schools.dedup();
    let mut positions = Vec::new();
    for school in schools {
        let prints: Vec<RowFingerprint> = records
            .iter()
            .filter(|r| r.school == school)
            .filter_map(|r| r.row_fingerprint)
            .collect();
        let known = known_fingerprints(tx, school, &prints).await?;
        positions.extend(records.iter().enumerate().filter_map(|(at, record)| {
            let print = record.row_fingerprint.filter(|_| record.school == school)?;
            known.contains_key(&print).then_some(at)
        }));
    }
    positions.sort_unstable();
    Ok(positions)
}

/// After rows were written with explicit ids, moves PostgreSQL's identity sequences past
/// them (SQLite needs nothing: its rowid continues from the maximum).
pub async fn sync_sequences(db: &Db) -> StoreResult<()> {
    if let Db::Postgres(pool) = db {
        sqlx::query(
            "SELECT setval(pg_get_serial_sequence('persons', 'id'), COALESCE((SELECT MAX(id) FROM persons), 0) + 1, false)",
        )
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("同步编号序列", "校友"))?;
    }
    Ok(())
}

/// Refreshes the query planner's statistics after a large load.
pub async fn analyze(db: &Db) -> StoreResult<()> {
    on_db!(db, |pool| sqlx::query("ANALYZE")
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .map(|_| ())
        .map_err(StoreError::query("更新统计信息", "数据库")))
}

/// Secondary indexes dropped for a bulk load, to be rebuilt in one pass afterwards (building
/// an index once is several times faster than maintaining it row by row).
#[derive(Debug, Clone, Default)]
pub struct SuspendedIndexes {
    definitions: Vec<(String, String)>,
}

impl SuspendedIndexes {
    pub fn len(&self) -> usize {
        self.definitions.len()
    }

    /// Takes the definition of the index `name` out, to be rebuilt on its own.
    pub fn take(&mut self, name: &str) -> Option<SuspendedIndex> {
        let at = self.definitions.iter().position(|(n, _)| n == name)?;
        let (_, definition) = self.definitions.remove(at);
        Some(SuspendedIndex { definition })
    }

    pub fn is_empty(&self) -> bool {
        self.definitions.is_empty()
    }
}

/// One index taken out of [`SuspendedIndexes`].
#[derive(Debug, Clone)]
pub struct SuspendedIndex {
    definition: String,
}

/// The unique index that makes a school's row fingerprints, and so re-imports, unique.
pub const FINGERPRINT_INDEX: &str = "idx_study_records_fingerprint";

/// What [`restore_fingerprint_index_in`] removed before the index could be built.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RepeatsRemoved {
    /// Study records that repeated an earlier record of their school.
    pub rows: usize,
    /// The persons those records named and no other record does, removed with their contact
    /// points and employments.
    pub persons: Vec<PersonId>,
}

/// Builds [`FINGERPRINT_INDEX`] again after a load that wrote study records of `school` with
/// it dropped. Records of the load (ids above `after_study_record`) that repeat an earlier
/// record of the school, which the index would have refused, are removed first, with every
/// person they name that no remaining record names, and those persons' contact points,
/// employments and consents.
///
/// For loads in which every row created a person of its own: a person shared by a repeated
/// row and a kept one stays, and so does whatever the repeated row added to him.
///
/// On SQLite the index is built straight away and the repeats are looked for only if it
/// fails; PostgreSQL aborts a transaction on a failed statement, so there they are looked
/// for first.
pub async fn restore_fingerprint_index_in(
    tx: &mut Tx,
    index: SuspendedIndex,
    school: SchoolId,
    after_study_record: i64,
) -> StoreResult<RepeatsRemoved> {
    let create = || sqlx::AssertSqlSafe(index.definition.clone());
    if let Tx::Sqlite(conn) = tx {
        match sqlx::raw_sql(create()).execute(&mut **conn).await {
            Ok(_) => return Ok(RepeatsRemoved::default()),
            Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {}
            Err(source) => {
                return Err(StoreError::Query {
                    context: "重建唯一索引",
                    source,
                });
            }
        }
    }
    let removed = remove_repeated_records(tx, school, after_study_record).await?;
    on_tx!(&mut *tx, |conn| sqlx::raw_sql(create())
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("重建唯一索引", "学籍记录"))?);
    Ok(removed)
}

/// See [`restore_fingerprint_index_in`]. Runs without the indexes of the load's tables, so each
/// step is one pass over a table rather than a search per removed row.
async fn remove_repeated_records(
    tx: &mut Tx,
    school: SchoolId,
    after_study_record: i64,
) -> StoreResult<RepeatsRemoved> {
    let fail = || StoreError::query("删除重复导入的行", "学籍记录");
    // The first record of each fingerprint stays; later ones are repeats.
    on_tx!(&mut *tx, |conn| sqlx::query(
        "CREATE TEMP TABLE repeated_records AS
         SELECT id, person_id FROM (
             SELECT id, person_id,
                    ROW_NUMBER() OVER (PARTITION BY row_fingerprint ORDER BY id) AS nth
             FROM study_records WHERE school_id = $1 AND row_fingerprint IS NOT NULL
         ) AS numbered
         WHERE nth > 1 AND id > $2"
    )
    .bind(school.get())
    .bind(after_study_record)
    .execute(&mut *conn)
    .await
    .map(|done| done.rows_affected())
    .map_err(fail())?);
    let rows = execute(
        tx,
        "DELETE FROM study_records WHERE id IN (SELECT id FROM repeated_records)",
    )
    .await?;
    execute(
        tx,
        "CREATE TEMP TABLE orphaned_persons AS
         SELECT DISTINCT person_id AS id FROM repeated_records
         WHERE person_id NOT IN (
             SELECT person_id FROM study_records
             WHERE person_id IN (SELECT person_id FROM repeated_records)
         )",
    )
    .await?;
    let persons: Vec<i64> = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT id FROM orphaned_persons ORDER BY id"
    )
    .fetch_all(&mut *conn)
    .await
    .map_err(fail())?);
    for sql in [
        "DELETE FROM contact_points WHERE person_id IN (SELECT id FROM orphaned_persons)",
        "DELETE FROM employments WHERE person_id IN (SELECT id FROM orphaned_persons)",
        "DELETE FROM consents WHERE person_id IN (SELECT id FROM orphaned_persons)",
        "DELETE FROM persons WHERE id IN (SELECT id FROM orphaned_persons)",
        "DROP TABLE orphaned_persons",
        "DROP TABLE repeated_records",
    ] {
        execute(tx, sql).await?;
    }
    Ok(RepeatsRemoved {
        rows: usize::try_from(rows).unwrap_or(usize::MAX),
        persons: persons.into_iter().map(PersonId).collect(),
    })
}

/// Runs a statement without parameters (a step of [`remove_repeated_records`]); returns the
/// rows it affected.
async fn execute(tx: &mut Tx, sql: &'static str) -> StoreResult<u64> {
    Ok(on_tx!(&mut *tx, |conn| sqlx::query(sql)
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query(
            "删除重复导入的行",
            "学籍记录"
        ))?))
}

/// Drops the `idx_*` indexes of the given tables and returns their definitions.
pub async fn suspend_indexes(db: &Db, tables: &[&str]) -> StoreResult<SuspendedIndexes> {
    let mut tx = db.begin().await?;
    let suspended = suspend_indexes_in(&mut tx, tables, &[]).await?;
    tx.commit().await?;
    Ok(suspended)
}

/// Rebuilds indexes dropped by [`suspend_indexes`].
pub async fn restore_indexes(db: &Db, suspended: SuspendedIndexes) -> StoreResult<()> {
    let mut tx = db.begin().await?;
    restore_indexes_in(&mut tx, suspended).await?;
    tx.commit().await?;
    Ok(())
}

/// Drops the `idx_*` indexes of the given tables but those in `keep`, inside a transaction
/// (rolled back with it), and returns their definitions.
pub async fn suspend_indexes_in(
    tx: &mut Tx,
    tables: &[&str],
    keep: &[&str],
) -> StoreResult<SuspendedIndexes> {
    let fail = || StoreError::query("暂停索引", "索引");
    let mut definitions: Vec<(String, String)> = Vec::new();
    for table in tables {
        let rows: Vec<(String, String)> = match tx {
            Tx::Sqlite(conn) => sqlx::query_as(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = $1
                 AND name LIKE 'idx_%' AND sql IS NOT NULL ORDER BY name",
            )
            .bind(table)
            .fetch_all(&mut **conn)
            .await
            .map_err(fail())?,
            Tx::Postgres(conn) => sqlx::query_as(
                "SELECT indexname::text, indexdef::text FROM pg_indexes
                 WHERE schemaname = current_schema() AND tablename = $1 AND indexname LIKE 'idx_%'
                 ORDER BY indexname",
            )
            .bind(table)
            .fetch_all(&mut **conn)
            .await
            .map_err(fail())?,
        };
        definitions.extend(
            rows.into_iter()
                .filter(|(name, _)| !keep.contains(&name.as_str())),
        );
    }
    for (name, _) in &definitions {
        // Index names come from the catalogue and match `idx_[a-z_]+`; nothing user-supplied.
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Corrupt {
                table: "indexes",
                id: 0,
                detail: format!("意外的索引名 {name}"),
            });
        }
        let statement = format!("DROP INDEX {name}");
        on_tx!(&mut *tx, |conn| sqlx::query(sqlx::AssertSqlSafe(
            statement.clone()
        ))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(fail())?);
    }
    Ok(SuspendedIndexes { definitions })
}

/// Rebuilds indexes dropped by [`suspend_indexes_in`], inside the same transaction.
pub async fn restore_indexes_in(tx: &mut Tx, suspended: SuspendedIndexes) -> StoreResult<()> {
    // A pooled SQLite connection may hold the schema as it was before another connection
    // dropped the indexes, and would refuse to create them ("already exists"). Reading the
    // catalogue inside the transaction makes it reload the schema first.
    if let Tx::Sqlite(conn) = tx {
        let _: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM sqlite_master WHERE type = 'index'")
            .fetch_one(&mut **conn)
            .await
            .map_err(StoreError::query("重建索引", "索引"))?;
    }
    for (_, definition) in suspended.definitions {
        on_tx!(&mut *tx, |conn| sqlx::raw_sql(sqlx::AssertSqlSafe(
            definition.clone()
        ))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("重建索引", "索引"))?);
    }
    Ok(())
}

/// The search feed's per-row insert triggers of the tables a bulk load fills, dropped inside
/// the load's transaction (a rollback brings them back). On SQLite each trigger is one more
/// row inserted per row loaded; instead, [`restore_feed_triggers_in`] writes one feed entry per
/// new study record in a single statement. Every row such a load inserts belongs to a person
/// with a new study record, so the feed misses nothing. PostgreSQL's feed triggers already run
/// once per statement and are left alone.
#[derive(Debug, Clone)]
pub struct SuspendedFeed {
    definitions: Vec<String>,
    /// Study records with a greater id are the load's own.
    after_study_record: i64,
}

/// Drops the feed's insert triggers on `tables` (SQLite only; `None` on PostgreSQL).
pub async fn suspend_feed_triggers_in(
    tx: &mut Tx,
    tables: &[&str],
) -> StoreResult<Option<SuspendedFeed>> {
    let Tx::Sqlite(conn) = tx else {
        return Ok(None);
    };
    let fail = || StoreError::query("暂停搜索变更触发器", "触发器");
    let mut triggers: Vec<(String, String)> = Vec::new();
    for table in tables {
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = $1
             AND name = 'search_feed_' || tbl_name || '_ins' AND sql IS NOT NULL",
        )
        .bind(table)
        .fetch_all(&mut **conn)
        .await
        .map_err(fail())?;
        triggers.extend(rows);
    }
    let after_study_record: Option<i64> = sqlx::query_scalar("SELECT MAX(id) FROM study_records")
        .fetch_one(&mut **conn)
        .await
        .map_err(fail())?;
    for (name, _) in &triggers {
        // Trigger names come from the catalogue and match `search_feed_[a-z_]+`.
        if !name.bytes().all(|b| b.is_ascii_lowercase() || b == b'_') {
            return Err(StoreError::Corrupt {
                table: "triggers",
                id: 0,
                detail: format!("意外的触发器名 {name}"),
            });
        }
        let statement = format!("DROP TRIGGER {name}");
        sqlx::query(sqlx::AssertSqlSafe(statement))
            .execute(&mut **conn)
            .await
            .map_err(fail())?;
    }
    Ok(Some(SuspendedFeed {
        definitions: triggers.into_iter().map(|(_, sql)| sql).collect(),
        after_study_record: after_study_record.unwrap_or(0),
    }))
}

/// Recreates the triggers dropped by [`suspend_feed_triggers_in`] and writes the feed entries
/// they would have written: one per study record the load added.
pub async fn restore_feed_triggers_in(tx: &mut Tx, suspended: SuspendedFeed) -> StoreResult<()> {
    let Tx::Sqlite(conn) = tx else {
        return Ok(());
    };
    let fail = || StoreError::query("恢复搜索变更触发器", "触发器");
    sqlx::query(
        "INSERT INTO search_changes (entity, entity_id)
         SELECT 'person', person_id FROM study_records WHERE id > $1 ORDER BY id",
    )
    .bind(suspended.after_study_record)
    .execute(&mut **conn)
    .await
    .map_err(fail())?;
    for definition in suspended.definitions {
        sqlx::raw_sql(sqlx::AssertSqlSafe(definition))
            .execute(&mut **conn)
            .await
            .map_err(fail())?;
    }
    Ok(())
}

/// Whether the school has any study record.
pub async fn school_has_study_records(tx: &mut Tx, school: SchoolId) -> StoreResult<bool> {
    let any: bool = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM study_records WHERE school_id = $1)"
    )
    .bind(school.get())
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("查找学校的学籍记录", "学籍记录"))?);
    Ok(any)
}

/// Roughly how many study records exist (the highest id: instant, unlike a count).
pub async fn study_records_estimate(tx: &mut Tx) -> StoreResult<i64> {
    let max: Option<i64> = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT MAX(id) FROM study_records"
    )
    .fetch_one(&mut *conn)
    .await
    .map_err(StoreError::query("估算学籍记录数", "学籍记录"))?);
    Ok(max.unwrap_or(0))
}

/// Refreshes PostgreSQL's statistics of tables growing inside a bulk transaction. Its planner
/// plans from statistics taken before the transaction began: as a table grows from nothing
/// inside it, every lookup by fingerprint or ID hash would scan it whole. ANALYZE run inside
/// the transaction counts the transaction's own rows. SQLite needs nothing.
pub async fn refresh_statistics(tx: &mut Tx) -> StoreResult<()> {
    if let Tx::Postgres(conn) = tx {
        sqlx::query("ANALYZE persons, study_records, contact_points, employments")
            .execute(&mut **conn)
            .await
            .map_err(StoreError::query("更新统计信息", "数据库"))?;
    }
    Ok(())
}
