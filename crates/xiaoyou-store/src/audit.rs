//! The append-only audit log with its hash chain.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::{DateTime, Utc};
use xiaoyou_core::SchoolId;
use xiaoyou_core::audit::{AuditRecord, GENESIS_HASH};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub record: AuditRecord,
    pub prev_hash: String,
    pub row_hash: String,
}

/// Appends a row in the caller's transaction, chained to the last one. On PostgreSQL an
/// advisory lock orders concurrent appends; SQLite serialises writers anyway.
pub async fn append(tx: &mut Tx, record: &AuditRecord) -> StoreResult<i64> {
    let fail = || StoreError::query("写入审计日志", "审计日志");
    if let Tx::Postgres(pg) = &mut *tx {
        sqlx::query("SELECT pg_advisory_xact_lock(724070002)")
            .execute(&mut **pg)
            .await
            .map_err(fail())?;
    }
    let prev: Option<String> = on_tx!(&mut *tx, |conn| sqlx::query_scalar(
        "SELECT row_hash FROM audit_log ORDER BY id DESC LIMIT 1"
    )
    .fetch_optional(&mut *conn)
    .await
    .map_err(fail())?);
    let prev = prev.unwrap_or_else(|| GENESIS_HASH.to_owned());
    // Stored at microsecond precision on both backends; hash what will be read back.
    let mut record = record.clone();
    record.occurred_at = DateTime::from_timestamp_micros(record.occurred_at.timestamp_micros())
        .unwrap_or(record.occurred_at);
    let hash = record.chain_hash(&prev);
    let id: i64 = on_tx!(&mut *tx, |conn| {
        sqlx::query_scalar(
        "INSERT INTO audit_log (occurred_at, actor_user_id, actor_name, actor_role, scope, action, target_kind,
             target_id, school_id, changes, request_id, client_addr, prev_hash, row_hash)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id"
    )
    .bind(record.occurred_at)
    .bind(record.actor_user_id)
    .bind(&record.actor_name)
    .bind(&record.actor_role)
    .bind(&record.scope)
    .bind(&record.action)
    .bind(&record.target_kind)
    .bind(&record.target_id)
    .bind(record.school_id)
    .bind(&record.changes)
    .bind(&record.request_id)
    .bind(&record.client_addr)
    .bind(&prev)
    .bind(&hash)
    .fetch_one(&mut *conn)
    .await
    .map_err(fail())?
    });
    Ok(id)
}

type EntryRow = (
    i64,
    DateTime<Utc>,
    Option<i64>,
    String,
    Option<String>,
    Option<String>,
    String,
    String,
    Option<String>,
    Option<i64>,
    Option<String>,
    Option<String>,
    Option<String>,
    String,
    String,
);

macro_rules! select_entry {
    () => {
        "SELECT id, occurred_at, actor_user_id, actor_name, actor_role, scope, action, target_kind, target_id,
            school_id, changes, request_id, client_addr, prev_hash, row_hash FROM audit_log"
    };
}

fn decode(row: EntryRow) -> AuditEntry {
    let (
        id,
        occurred_at,
        actor_user_id,
        actor_name,
        actor_role,
        scope,
        action,
        target_kind,
        target_id,
        school_id,
        changes,
        request_id,
        client_addr,
        prev_hash,
        row_hash,
    ) = row;
    AuditEntry {
        id,
        record: AuditRecord {
            occurred_at,
            actor_user_id,
            actor_name,
            actor_role,
            scope,
            action,
            target_kind,
            target_id,
            school_id,
            changes,
            request_id,
            client_addr,
        },
        prev_hash,
        row_hash,
    }
}

/// Rows with an id above `after`, oldest first, at most `limit`.
pub async fn page(db: &Db, after: i64, limit: i64) -> StoreResult<Vec<AuditEntry>> {
    let rows: Vec<EntryRow> = on_db!(db, |pool| sqlx::query_as(concat!(
        select_entry!(),
        " WHERE id > $1 ORDER BY id LIMIT $2"
    ))
    .bind(after)
    .bind(limit)
    .fetch_all(pool)
    .await
    .map_err(StoreError::query("读取审计日志", "审计日志"))?);
    Ok(rows.into_iter().map(decode).collect())
}

/// The newest rows, optionally only those about the given schools (`None` = all).
pub async fn recent(
    db: &Db,
    schools: Option<&[SchoolId]>,
    limit: i64,
) -> StoreResult<Vec<AuditEntry>> {
    let rows: Vec<EntryRow> = match schools {
        None => on_db!(db, |pool| sqlx::query_as(concat!(
            select_entry!(),
            " ORDER BY id DESC LIMIT $1"
        ))
        .bind(limit)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取审计日志", "审计日志"))?),
        Some(schools) => {
            let ids: Vec<i64> = schools.iter().map(|s| s.get()).collect();
            let mut all = Vec::new();
            for chunk in ids.chunks(500) {
                let rows: Vec<EntryRow> = on_db!(db, |pool| {
                    let mut builder =
                        sqlx::QueryBuilder::new(concat!(select_entry!(), " WHERE school_id IN ("));
                    let mut separated = builder.separated(", ");
                    for id in chunk {
                        separated.push_bind(*id);
                    }
                    builder.push(") ORDER BY id DESC LIMIT ").push_bind(limit);
                    builder
                        .build_query_as()
                        .fetch_all(pool)
                        .await
                        .map_err(StoreError::query("读取审计日志", "审计日志"))?
                });
                all.extend(rows);
            }
            all.sort_by_key(|row| std::cmp::Reverse(row.0));
            all.truncate(usize::try_from(limit).unwrap_or(0));
            all
        }
    };
    Ok(rows.into_iter().map(decode).collect())
}

/// The outcome of checking the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChainReport {
    pub rows: u64,
    /// The first row whose content or link does not match, if any.
    pub first_broken: Option<i64>,
}

/// Walks the whole log in id order and recomputes every hash.
pub async fn verify(db: &Db) -> StoreResult<ChainReport> {
    let mut after = 0;
    let mut expected_prev = GENESIS_HASH.to_owned();
    let mut rows = 0;
    loop {
        let batch = page(db, after, 10_000).await?;
        if batch.is_empty() {
            return Ok(ChainReport {
                rows,
                first_broken: None,
            });
        }
        for entry in batch {
            rows += 1;
            if entry.prev_hash != expected_prev
                || entry.record.chain_hash(&entry.prev_hash) != entry.row_hash
            {
                return Ok(ChainReport {
                    rows,
                    first_broken: Some(entry.id),
                });
            }
            expected_prev = entry.row_hash;
            after = entry.id;
        }
    }
}

/// What to look for in the log. Empty fields match everything.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    /// Only rows about these schools; `None` for the whole province.
    pub schools: Option<Vec<SchoolId>>,
    /// Part of the actor's name.
    pub actor: Option<String>,
    pub action: Option<String>,
    pub target_kind: Option<String>,
    pub since: Option<DateTime<Utc>>,
    pub until: Option<DateTime<Utc>>,
    pub limit: i64,
}

/// The newest rows matching the filter.
pub async fn search(db: &Db, filter: &AuditFilter) -> StoreResult<Vec<AuditEntry>> {
    if filter.schools.as_ref().is_some_and(|s| s.is_empty()) {
        return Ok(Vec::new());
    }
    macro_rules! build {
        () => {{
            let mut builder = sqlx::QueryBuilder::new(concat!(select_entry!(), " WHERE 1 = 1"));
            if let Some(schools) = &filter.schools {
                builder.push(" AND school_id IN (");
                let mut separated = builder.separated(", ");
                for school in schools.iter().take(5_000) {
                    separated.push_bind(school.get());
                }
                builder.push(")");
            }
            if let Some(actor) = filter.actor.as_deref().filter(|a| !a.trim().is_empty()) {
                let escaped = actor
                    .trim()
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                builder
                    .push(" AND actor_name LIKE ")
                    .push_bind(format!("%{escaped}%"))
                    .push(" ESCAPE '\\'");
            }
            if let Some(action) = filter.action.as_deref().filter(|a| !a.is_empty()) {
                builder.push(" AND action = ").push_bind(action.to_owned());
            }
            if let Some(kind) = filter.target_kind.as_deref().filter(|k| !k.is_empty()) {
                builder
                    .push(" AND target_kind = ")
                    .push_bind(kind.to_owned());
            }
            if let Some(since) = filter.since {
                builder.push(" AND occurred_at >= ").push_bind(since);
            }
            if let Some(until) = filter.until {
                builder.push(" AND occurred_at < ").push_bind(until);
            }
            builder
                .push(" ORDER BY id DESC LIMIT ")
                .push_bind(filter.limit.clamp(1, 1_000));
            builder
        }};
    }
    let rows: Vec<EntryRow> = on_db!(db, |pool| {
        let mut builder = build!();
        builder
            .build_query_as()
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("检索审计日志", "审计日志"))?
    });
    Ok(rows.into_iter().map(decode).collect())
}
