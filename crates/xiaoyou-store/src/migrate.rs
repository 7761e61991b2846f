//! Embedded migrations. Each version carries its SQLite and its PostgreSQL text side by side,
//! so the two backends can never drift apart in versions; a test compares the resulting schemas.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use chrono::Utc;

pub struct Migration {
    pub version: i64,
    pub name: &'static str,
    sqlite: &'static str,
    postgres: &'static str,
}

pub const MIGRATIONS: &[Migration] = &[
    Migration {
        version: 1,
        name: "foundation",
        sqlite: include_str!("../migrations/sqlite/0001_foundation.sql"),
        postgres: include_str!("../migrations/postgres/0001_foundation.sql"),
    },
    Migration {
        version: 2,
        name: "accounts",
        sqlite: include_str!("../migrations/sqlite/0002_accounts.sql"),
        postgres: include_str!("../migrations/postgres/0002_accounts.sql"),
    },
    Migration {
        version: 3,
        name: "import",
        sqlite: include_str!("../migrations/sqlite/0003_import.sql"),
        postgres: include_str!("../migrations/postgres/0003_import.sql"),
    },
    Migration {
        version: 4,
        name: "import_runs",
        sqlite: include_str!("../migrations/sqlite/0004_import_runs.sql"),
        postgres: include_str!("../migrations/postgres/0004_import_runs.sql"),
    },
    Migration {
        version: 5,
        name: "import_jobs",
        sqlite: include_str!("../migrations/sqlite/0005_import_jobs.sql"),
        postgres: include_str!("../migrations/postgres/0005_import_jobs.sql"),
    },
    Migration {
        version: 6,
        name: "identity",
        sqlite: include_str!("../migrations/sqlite/0006_identity.sql"),
        postgres: include_str!("../migrations/postgres/0006_identity.sql"),
    },
    Migration {
        version: 7,
        name: "change_feed",
        sqlite: include_str!("../migrations/sqlite/0007_change_feed.sql"),
        postgres: include_str!("../migrations/postgres/0007_change_feed.sql"),
    },
    Migration {
        version: 8,
        name: "org_management",
        sqlite: include_str!("../migrations/sqlite/0008_org_management.sql"),
        postgres: include_str!("../migrations/postgres/0008_org_management.sql"),
    },
    Migration {
        version: 9,
        name: "alumni_files",
        sqlite: include_str!("../migrations/sqlite/0009_alumni_files.sql"),
        postgres: include_str!("../migrations/postgres/0009_alumni_files.sql"),
    },
    Migration {
        version: 10,
        name: "row_fingerprint_bytes",
        sqlite: include_str!("../migrations/sqlite/0010_row_fingerprint_bytes.sql"),
        postgres: include_str!("../migrations/postgres/0010_row_fingerprint_bytes.sql"),
    },
    Migration {
        version: 11,
        name: "sparse_indexes",
        sqlite: include_str!("../migrations/sqlite/0011_sparse_indexes.sql"),
        postgres: include_str!("../migrations/postgres/0011_sparse_indexes.sql"),
    },
    Migration {
        version: 12,
        name: "id_card_hash_16_bytes",
        sqlite: include_str!("../migrations/sqlite/0012_id_card_hash_16_bytes.sql"),
        postgres: include_str!("../migrations/postgres/0012_id_card_hash_16_bytes.sql"),
    },
    Migration {
        version: 13,
        name: "id_card_hash_unique_when_present",
        sqlite: include_str!("../migrations/sqlite/0013_id_card_hash_unique_when_present.sql"),
        postgres: include_str!("../migrations/postgres/0013_id_card_hash_unique_when_present.sql"),
    },
    Migration {
        version: 14,
        name: "row_fingerprint_integer",
        sqlite: include_str!("../migrations/sqlite/0014_row_fingerprint_integer.sql"),
        postgres: include_str!("../migrations/postgres/0014_row_fingerprint_integer.sql"),
    },
    Migration {
        version: 15,
        name: "contact_key_first",
        sqlite: include_str!("../migrations/sqlite/0015_contact_key_first.sql"),
        postgres: include_str!("../migrations/postgres/0015_contact_key_first.sql"),
    },
];

const CREATE_LEDGER: &str = "CREATE TABLE IF NOT EXISTS schema_migrations (
    version BIGINT PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at TIMESTAMPTZ NOT NULL
)";

/// The newest version this build knows.
pub fn latest_version() -> i64 {
    MIGRATIONS.last().map_or(0, |m| m.version)
}

/// Applies every pending migration, each in its own transaction ([`Db::begin_schema_change`]).
/// On PostgreSQL an advisory lock keeps several instances starting at once from racing; on
/// SQLite every reference must still hold before a migration commits.
/// Returns the versions applied by this call.
pub async fn migrate(db: &Db) -> StoreResult<Vec<i64>> {
    let ledger_error = |source| StoreError::Migration { version: 0, source };
    on_db!(db, |pool| sqlx::raw_sql(CREATE_LEDGER)
        .execute(pool)
        .await
        .map(|done| done.rows_affected())
        .map_err(ledger_error))?;
    let recorded: Vec<i64> = on_db!(db, |pool| sqlx::query_scalar(
        "SELECT version FROM schema_migrations"
    )
    .fetch_all(pool)
    .await
    .map_err(ledger_error))?;
    let mut applied = Vec::new();
    for migration in MIGRATIONS.iter().filter(|m| !recorded.contains(&m.version)) {
        let mut tx = db.begin_schema_change().await?;
        let fail = |source| StoreError::Migration {
            version: migration.version,
            source,
        };
        if let Tx::Postgres(pg) = &mut tx {
            sqlx::query("SELECT pg_advisory_xact_lock(724070001)")
                .execute(&mut **pg)
                .await
                .map(|done| done.rows_affected())
                .map_err(fail)?;
        }
        // Another instance may have applied it since the ledger was read above.
        let done: Option<i64> = on_tx!(&mut tx, |conn| sqlx::query_scalar(
            "SELECT version FROM schema_migrations WHERE version = $1"
        )
        .bind(migration.version)
        .fetch_optional(&mut *conn)
        .await
        .map_err(fail))?;
        if done.is_some() {
            tx.rollback().await?;
            continue;
        }
        let script = match db {
            Db::Sqlite(_) => migration.sqlite,
            Db::Postgres(_) => migration.postgres,
        };
        on_tx!(&mut tx, |conn| {
            sqlx::raw_sql(script)
                .execute(&mut *conn)
                .await
                .map(|done| done.rows_affected())
                .map_err(fail)?;
            sqlx::query(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
            )
            .bind(migration.version)
            .bind(migration.name)
            .bind(Utc::now())
            .execute(&mut *conn)
            .await
            .map(|done| done.rows_affected())
            .map_err(fail)?;
        });
        if let Tx::Sqlite(conn) = &mut tx {
            check_references(conn, migration.version).await?;
        }
        tx.commit().await?;
        tracing::info!(
            version = migration.version,
            name = migration.name,
            "数据库迁移已应用"
        );
        applied.push(migration.version);
    }
    let current = current_version(db).await?;
    if current > latest_version() {
        return Err(StoreError::SchemaTooNew {
            found: current,
            known: latest_version(),
        });
    }
    Ok(applied)
}

/// Fails unless every reference in the database finds its row. SQLite migrations run with
/// foreign-key enforcement off, so this is where a migration that broke one is caught.
async fn check_references(conn: &mut sqlx::SqliteConnection, version: i64) -> StoreResult<()> {
    let broken: Vec<(String, Option<i64>, String)> =
        sqlx::query_as("SELECT \"table\", rowid, parent FROM pragma_foreign_key_check")
            .fetch_all(&mut *conn)
            .await
            .map_err(|source| StoreError::Migration { version, source })?;
    match broken.first() {
        None => Ok(()),
        Some((table, row, parent)) => Err(StoreError::MigrationBrokeReferences {
            version,
            detail: format!(
                "{table} 的第 {row} 行引用的 {parent} 记录不存在（共 {count} 处）",
                row = row.map_or_else(|| "?".to_owned(), |r| r.to_string()),
                count = broken.len()
            ),
        }),
    }
}

/// The highest applied version, 0 for an empty database.
pub async fn current_version(db: &Db) -> StoreResult<i64> {
    let fail = StoreError::query("读取迁移版本", "迁移记录");
    let exists: bool = match db {
        Db::Sqlite(pool) => sqlx::query_scalar::<_, i64>(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'",
        )
        .fetch_one(pool)
        .await
        .map(|n| n > 0),
        Db::Postgres(pool) => sqlx::query_scalar::<_, bool>(
            "SELECT to_regclass('schema_migrations') IS NOT NULL",
        )
        .fetch_one(pool)
        .await,
    }
    .map_err(StoreError::query("读取迁移版本", "迁移记录"))?;
    if !exists {
        return Ok(0);
    }
    on_db!(db, |pool| sqlx::query_scalar::<_, Option<i64>>(
        "SELECT MAX(version) FROM schema_migrations"
    )
    .fetch_one(pool)
    .await
    .map(|v| v.unwrap_or(0))
    .map_err(fail))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use sqlx::Connection;

    #[tokio::test]
    async fn a_reference_left_without_its_row_stops_a_migration() {
        let mut conn = sqlx::SqliteConnection::connect("sqlite::memory:")
            .await
            .unwrap();
        sqlx::raw_sql(
            "CREATE TABLE parents (id INTEGER PRIMARY KEY);
             CREATE TABLE children (id INTEGER PRIMARY KEY, parent BIGINT REFERENCES parents (id));
             INSERT INTO parents (id) VALUES (1);
             INSERT INTO children (id, parent) VALUES (7, 1);",
        )
        .execute(&mut conn)
        .await
        .unwrap();
        check_references(&mut conn, 99).await.unwrap();

        sqlx::raw_sql("PRAGMA foreign_keys = OFF; DELETE FROM parents;")
            .execute(&mut conn)
            .await
            .unwrap();
        let refused = check_references(&mut conn, 99).await;
        let Err(StoreError::MigrationBrokeReferences { version, detail }) = refused else {
            panic!("expected a broken reference, got {refused:?}");
        };
        assert_eq!(version, 99);
        assert!(detail.contains("children 的第 7 行"), "{detail}");
        assert!(detail.contains("parents"), "{detail}");
    }
}
