//! Test support: a fresh, migrated database per test on either backend, and a macro that runs
//! one test body on both.
//!
//! SQLite runs everywhere. PostgreSQL runs when `XIAOYOU_TEST_POSTGRES_URL` names a server
//! (each test creates its own database there and drops it afterwards); without it the
//! PostgreSQL variants are compiled as ignored, with the reason printed by the test runner.
//! When the variable is set and the server is unreachable, the tests fail.
//!
//! [`browser`] drives a headless Chromium for end-to-end tests of the pages.

// Test support fails loudly by design: a panic here is a failed test with its reason.
#![allow(clippy::panic, clippy::expect_used, clippy::unwrap_used)]

pub mod browser;

use sqlx::Connection;
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use xiaoyou_store::{DatabaseTarget, Db};

pub const POSTGRES_URL_VAR: &str = "XIAOYOU_TEST_POSTGRES_URL";

static COUNTER: AtomicU64 = AtomicU64::new(0);

fn unique_suffix() -> String {
    let n = COUNTER.fetch_add(1, Ordering::Relaxed);
    format!("{}_{}_{:08x}", std::process::id(), n, rand::random::<u32>())
}

/// A migrated database that removes itself when dropped.
pub struct TestDb {
    pub db: Db,
    cleanup: Cleanup,
}

enum Cleanup {
    SqliteDir(PathBuf),
    Postgres { admin_url: String, name: String },
}

impl TestDb {
    /// A fresh SQLite file in its own temporary directory.
    pub async fn sqlite() -> TestDb {
        let dir = std::env::temp_dir().join(format!("xiaoyou-test-{}", unique_suffix()));
        let target = DatabaseTarget::resolve(None, &dir).expect("sqlite target");
        let db = Db::connect(&target)
            .await
            .expect("open sqlite test database");
        xiaoyou_store::migrate::migrate(&db)
            .await
            .expect("migrate sqlite");
        TestDb {
            db,
            cleanup: Cleanup::SqliteDir(dir),
        }
    }

    /// A fresh database on the PostgreSQL server named by `XIAOYOU_TEST_POSTGRES_URL`.
    pub async fn postgres() -> TestDb {
        let admin_url = std::env::var(POSTGRES_URL_VAR).unwrap_or_else(|_| {
            panic!("{POSTGRES_URL_VAR} must name a PostgreSQL server for this test")
        });
        let name = format!("xiaoyou_test_{}", unique_suffix());
        let mut admin = sqlx::PgConnection::connect(&admin_url)
            .await
            .unwrap_or_else(|e| panic!("PostgreSQL at {POSTGRES_URL_VAR} is unreachable: {e}"));
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
            .execute(&mut admin)
            .await
            .expect("create test database");
        admin.close().await.ok();
        let url = with_database(&admin_url, &name);
        let target = DatabaseTarget::resolve(Some(&url), std::path::Path::new("."))
            .expect("postgres target");
        let db = Db::connect(&target)
            .await
            .expect("open postgres test database");
        xiaoyou_store::migrate::migrate(&db)
            .await
            .expect("migrate postgres");
        TestDb {
            db,
            cleanup: Cleanup::Postgres { admin_url, name },
        }
    }

    /// The database URL a child process (the CLI under test) should use, if not SQLite.
    pub fn postgres_url(&self) -> Option<String> {
        match &self.cleanup {
            Cleanup::Postgres { admin_url, name } => Some(with_database(admin_url, name)),
            Cleanup::SqliteDir(_) => None,
        }
    }

    /// The data directory of a SQLite test database.
    pub fn sqlite_dir(&self) -> Option<PathBuf> {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => Some(dir.clone()),
            Cleanup::Postgres { .. } => None,
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        match &self.cleanup {
            Cleanup::SqliteDir(dir) => {
                let _ = std::fs::remove_dir_all(dir);
            }
            Cleanup::Postgres { admin_url, name } => {
                let (admin_url, name, db) = (admin_url.clone(), name.clone(), self.db.clone());
                // Dropping a database needs async I/O; do it on a private runtime so that this
                // works whether or not the test's own runtime is still running.
                let _ = std::thread::spawn(move || {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()?;
                    runtime.block_on(async move {
                        db.close().await;
                        if let Ok(mut admin) = sqlx::PgConnection::connect(&admin_url).await {
                            let _ = sqlx::query(sqlx::AssertSqlSafe(format!(
                                "DROP DATABASE IF EXISTS {name} WITH (FORCE)"
                            )))
                            .execute(&mut admin)
                            .await;
                        }
                    });
                    Ok::<(), std::io::Error>(())
                })
                .join();
            }
        }
    }
}

/// Replaces the database name (the URL path) in a PostgreSQL URL.
pub fn with_database(url: &str, name: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let authority_start = base.find("://").map_or(0, |i| i + 3);
    let base = match base[authority_start..].find('/') {
        Some(slash) => &base[..authority_start + slash],
        None => base,
    };
    match query {
        Some(query) => format!("{base}/{name}?{query}"),
        None => format!("{base}/{name}"),
    }
}

/// Runs each named `async fn NAME(db: &Db)` on SQLite and on PostgreSQL:
/// `backend_tests!(schools_round_trip, classes_round_trip);` makes `schools_round_trip::sqlite`
/// and `schools_round_trip::postgres`.
#[cfg(xiaoyou_postgres_tests)]
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test_db = $crate::TestDb::sqlite().await;
                super::$name(&test_db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn postgres() {
                let test_db = $crate::TestDb::postgres().await;
                super::$name(&test_db).await;
            }
        }
    )*};
}

#[cfg(not(xiaoyou_postgres_tests))]
#[macro_export]
macro_rules! backend_tests {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let test_db = $crate::TestDb::sqlite().await;
                super::$name(&test_db).await;
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            #[ignore = "PostgreSQL variant: set XIAOYOU_TEST_POSTGRES_URL when building the tests to run it"]
            async fn postgres() {
                let test_db = $crate::TestDb::postgres().await;
                super::$name(&test_db).await;
            }
        }
    )*};
}

/// A test that needs PostgreSQL alone (for example, comparing it with SQLite):
/// `postgres_test!(schemas_match => compare_schemas);` runs `compare_schemas().await`.
#[cfg(xiaoyou_postgres_tests)]
#[macro_export]
macro_rules! postgres_test {
    ($name:ident => $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        async fn $name() {
            $body().await;
        }
    };
}

#[cfg(not(xiaoyou_postgres_tests))]
#[macro_export]
macro_rules! postgres_test {
    ($name:ident => $body:path) => {
        #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
        #[ignore = "needs PostgreSQL: set XIAOYOU_TEST_POSTGRES_URL when building the tests to run it"]
        async fn $name() {
            $body().await;
        }
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn replaces_database_in_urls() {
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432/ci", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://postgres@127.0.0.1:5432", "t1"),
            "postgres://postgres@127.0.0.1:5432/t1"
        );
        assert_eq!(
            with_database("postgres://u@h/ci?sslmode=disable", "t1"),
            "postgres://u@h/t1?sslmode=disable"
        );
    }
}
