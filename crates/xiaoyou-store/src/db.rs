//! Opening the database: an embedded SQLite file in the data directory, or PostgreSQL when a
//! `postgres://` URL is given.

use crate::error::{StoreError, StoreResult};
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{ConnectOptions, Connection, PgPool, Postgres, Sqlite, SqlitePool};
use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

/// The SQLite file's name inside the data directory.
pub const SQLITE_FILE: &str = "xiaoyou.db";

/// Which database to open.
#[derive(Clone, PartialEq, Eq)]
pub enum DatabaseTarget {
    SqliteFile(PathBuf),
    Postgres(String),
}

impl std::fmt::Debug for DatabaseTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}", self.describe())
    }
}

impl DatabaseTarget {
    /// `url` wins when given (`postgres://…`, `postgresql://…` or `sqlite://PATH`); otherwise
    /// the SQLite file inside `data_dir`.
    pub fn resolve(url: Option<&str>, data_dir: &Path) -> StoreResult<Self> {
        let Some(url) = url.map(str::trim).filter(|u| !u.is_empty()) else {
            return Ok(DatabaseTarget::SqliteFile(data_dir.join(SQLITE_FILE)));
        };
        let scheme = url.split_once("://").map(|(s, _)| s).unwrap_or(url);
        match scheme {
            "postgres" | "postgresql" => {
                PgConnectOptions::from_str(url).map_err(|e| StoreError::BadUrl(e.to_string()))?;
                Ok(DatabaseTarget::Postgres(url.to_owned()))
            }
            "sqlite" => {
                let path = url.trim_start_matches("sqlite://");
                if path.is_empty() {
                    return Err(StoreError::BadUrl("sqlite:// 后需要文件路径".to_owned()));
                }
                Ok(DatabaseTarget::SqliteFile(PathBuf::from(path)))
            }
            other => Err(StoreError::UnsupportedScheme {
                scheme: other.to_owned(),
            }),
        }
    }

    /// A description safe for logs and messages: passwords are never shown.
    pub fn describe(&self) -> String {
        match self {
            DatabaseTarget::SqliteFile(path) => format!("SQLite {}", path.display()),
            DatabaseTarget::Postgres(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    if parsed.password().is_some() {
                        let _ = parsed.set_password(Some("***"));
                    }
                    format!("PostgreSQL {parsed}")
                }
                Err(_) => "PostgreSQL".to_owned(),
            },
        }
    }
}

/// Which backend a [`Db`] runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A connection pool on one of the two backends.
#[derive(Debug, Clone)]
pub enum Db {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// An open transaction on one of the two backends. Dropped without `commit`, it rolls back.
pub enum Tx {
    Sqlite(sqlx::Transaction<'static, Sqlite>),
    Postgres(sqlx::Transaction<'static, Postgres>),
}

/// The page size of SQLite databases this program creates.
pub const SQLITE_PAGE_SIZE: u32 = 16 * 1024;

impl Db {
    /// Opens (and for SQLite creates) the database. Does not migrate.
    pub async fn connect(target: &DatabaseTarget) -> StoreResult<Db> {
        match target {
            DatabaseTarget::SqliteFile(path) => Self::connect_sqlite(path).await,
            DatabaseTarget::Postgres(url) => {
                let options = PgConnectOptions::from_str(url)
                    .map_err(|e| StoreError::BadUrl(e.to_string()))?;
                let pool = PgPoolOptions::new()
                    .max_connections(16)
                    .acquire_timeout(Duration::from_secs(5))
                    .connect_with(options)
                    .await
                    .map_err(|source| StoreError::Connect {
                        target: target.describe(),
                        source,
                    })?;
                Ok(Db::Postgres(pool))
            }
        }
    }

    async fn connect_sqlite(path: &Path) -> StoreResult<Db> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            ensure_writable_dir(dir)?;
        }
        let options = SqliteConnectOptions::new()
            .filename(path)
            .create_if_missing(true)
            // Applies when the file is created; an existing database keeps its page size.
            // With 16 KiB pages instead of SQLite's 4 KiB, SQLite alone stores an import's
            // million roster rows in a quarter less time (fewer pages to split, log and scan
            // when the indexes are built again), and point reads stay single-page.
            .page_size(SQLITE_PAGE_SIZE)
            .journal_mode(SqliteJournalMode::Wal)
            .synchronous(SqliteSynchronous::Normal)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10))
            .pragma("cache_size", "-65536");
        let pool = SqlitePoolOptions::new()
            .max_connections(8)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with(options)
            .await
            .map_err(|source| StoreError::Connect {
                target: format!("SQLite {}", path.display()),
                source,
            })?;
        Ok(Db::Sqlite(pool))
    }

    pub fn backend(&self) -> Backend {
        match self {
            Db::Sqlite(_) => Backend::Sqlite,
            Db::Postgres(_) => Backend::Postgres,
        }
    }

    /// Starts a transaction. On SQLite it takes the write lock at once (`BEGIN IMMEDIATE`):
    /// a deferred transaction that reads first (the audit chain's last hash) and writes later
    /// fails with "database is locked" at once, without waiting, when another writer got there
    /// in between; an immediate one waits its turn (the busy timeout).
    pub async fn begin(&self) -> StoreResult<Tx> {
        let context = "开始事务";
        Ok(match self {
            Db::Sqlite(pool) => Tx::Sqlite(
                pool.begin_with("BEGIN IMMEDIATE")
                    .await
                    .map_err(|source| StoreError::Query { context, source })?,
            ),
            Db::Postgres(pool) => Tx::Postgres(
                pool.begin()
                    .await
                    .map_err(|source| StoreError::Query { context, source })?,
            ),
        })
    }

    /// Starts the transaction of a bulk load, which inserts rows whose references it has just
    /// read or written itself. On SQLite it runs on a connection of its own with foreign-key
    /// enforcement off: checking a foreign key means looking up the parent row of every row
    /// inserted. The connection is closed with the transaction, so the setting never reaches
    /// the shared pool.
    /// PostgreSQL checks references cheaply and keeps checking them.
    ///
    /// The SQLite connection does not checkpoint when it commits: a large load's commit would
    /// otherwise copy every page it wrote from the write-ahead log into the database file
    /// before returning. Call [`Db::checkpoint_in_background`] once the load has committed.
    pub async fn begin_bulk_load(&self) -> StoreResult<Tx> {
        match self {
            Db::Sqlite(pool) => {
                let options = (*pool.connect_options())
                    .clone()
                    .foreign_keys(false)
                    .pragma("wal_autocheckpoint", "0");
                own_sqlite_transaction(options, "开始批量导入事务").await
            }
            Db::Postgres(_) => self.begin().await,
        }
    }

    /// Starts the transaction of a schema migration. On SQLite it runs, as SQLite prescribes
    /// for changes that rebuild a table, on a connection of its own with foreign-key
    /// enforcement off: with it on, dropping a table that others reference would first delete
    /// its rows. Whoever commits checks the references first (`PRAGMA foreign_key_check`).
    /// PostgreSQL changes a referenced table in place and keeps checking.
    pub async fn begin_schema_change(&self) -> StoreResult<Tx> {
        match self {
            Db::Sqlite(pool) => {
                let options = (*pool.connect_options()).clone().foreign_keys(false);
                own_sqlite_transaction(options, "开始数据库迁移事务").await
            }
            Db::Postgres(_) => self.begin().await,
        }
    }

    /// Copies what SQLite's write-ahead log holds into the database file, on a task and a
    /// connection of its own, without blocking readers or writers meanwhile (a passive
    /// checkpoint). Committed data is already safe and visible in the log; the copy keeps the
    /// log from growing and readers from searching it. The connection is not the pool's, so
    /// the seconds a large checkpoint takes do not hold one of the connections pages wait for.
    /// PostgreSQL checkpoints by itself.
    pub fn checkpoint_in_background(&self) {
        let Db::Sqlite(pool) = self else {
            return;
        };
        let options = (*pool.connect_options()).clone();
        tokio::spawn(async move {
            let started = std::time::Instant::now();
            let checkpoint = async {
                let mut conn = options.connect().await?;
                sqlx::raw_sql("PRAGMA wal_checkpoint(PASSIVE)")
                    .execute(&mut conn)
                    .await?;
                conn.close().await
            };
            match checkpoint.await {
                Ok(()) => tracing::debug!(
                    seconds = started.elapsed().as_secs_f64(),
                    "写前日志已并入数据库文件"
                ),
                Err(error) => tracing::warn!(%error, "写前日志并入数据库文件失败"),
            }
        });
    }

    /// Copies what SQLite's write-ahead log holds into the database file and empties the log,
    /// first waiting for a checkpoint already under way, such as the one
    /// [`Db::checkpoint_in_background`] started (SQLite answers "busy" at once while one
    /// runs). For callers about to remove the database file. PostgreSQL needs nothing.
    pub async fn checkpoint_now(&self) -> StoreResult<()> {
        let Db::Sqlite(pool) = self else {
            return Ok(());
        };
        let started = std::time::Instant::now();
        loop {
            let (busy, _, _): (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(TRUNCATE)")
                .fetch_one(pool)
                .await
                .map_err(StoreError::query("并入写前日志", "数据库"))?;
            if busy == 0 {
                return Ok(());
            }
            const PATIENCE: Duration = Duration::from_secs(600);
            if started.elapsed() > PATIENCE {
                return Err(StoreError::CheckpointTimeout {
                    seconds: PATIENCE.as_secs(),
                });
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// A cheap round trip, for health checks.
    pub async fn ping(&self) -> StoreResult<()> {
        on_db!(self, |pool| sqlx::query("SELECT 1")
            .execute(pool)
            .await
            .map(|done| done.rows_affected())
            .map(|_| ())
            .map_err(|source| StoreError::Query {
                context: "健康检查",
                source
            }))
    }

    pub async fn close(&self) {
        on_db!(self, |pool| pool.close().await)
    }
}

impl Tx {
    pub async fn commit(self) -> StoreResult<()> {
        let context = "提交事务";
        match self {
            Tx::Sqlite(tx) => tx.commit().await,
            Tx::Postgres(tx) => tx.commit().await,
        }
        .map_err(|source| StoreError::Query { context, source })
    }

    pub async fn rollback(self) -> StoreResult<()> {
        let context = "回滚事务";
        match self {
            Tx::Sqlite(tx) => tx.rollback().await,
            Tx::Postgres(tx) => tx.rollback().await,
        }
        .map_err(|source| StoreError::Query { context, source })
    }
}

/// A transaction on a SQLite connection opened with `options` outside the pool, so that its
/// settings never reach the pool's connections: the connection closes once the transaction
/// hands it back.
async fn own_sqlite_transaction(
    options: SqliteConnectOptions,
    context: &'static str,
) -> StoreResult<Tx> {
    let own = SqlitePoolOptions::new()
        .max_connections(1)
        .acquire_timeout(Duration::from_secs(10))
        .connect_with(options)
        .await
        .map_err(|source| StoreError::Query { context, source })?;
    let tx = own
        .begin_with("BEGIN IMMEDIATE")
        .await
        .map_err(|source| StoreError::Query { context, source })?;
    Ok(Tx::Sqlite(tx))
}

/// Creates the directory if needed and proves it is writable, so a read-only data directory
/// is reported as such rather than as an obscure SQLite error.
pub fn ensure_writable_dir(dir: &Path) -> StoreResult<()> {
    let fail = |source| StoreError::DataDir {
        path: dir.display().to_string(),
        source,
    };
    std::fs::create_dir_all(dir).map_err(fail)?;
    let probe = dir.join(".xiaoyou-write-test");
    std::fs::write(&probe, b"ok").map_err(fail)?;
    std::fs::remove_file(&probe).map_err(fail)?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resolves_targets() -> StoreResult<()> {
        let dir = Path::new("data");
        assert_eq!(
            DatabaseTarget::resolve(None, dir)?,
            DatabaseTarget::SqliteFile(dir.join(SQLITE_FILE))
        );
        assert!(matches!(
            DatabaseTarget::resolve(Some("postgres://u:secret@localhost/x"), dir)?,
            DatabaseTarget::Postgres(_)
        ));
        assert!(
            !DatabaseTarget::resolve(Some("postgres://u:secret@localhost/x"), dir)?
                .describe()
                .contains("secret")
        );
        assert!(matches!(
            DatabaseTarget::resolve(Some("mysql://localhost/x"), dir),
            Err(StoreError::UnsupportedScheme { scheme }) if scheme == "mysql"
        ));
        Ok(())
    }
}
