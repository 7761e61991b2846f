//! Both backends' migrations must produce the same tables, columns, types, nullability,
//! primary keys and indexes.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use xiaoyou_store::{Db, migrate, schema};
use xiaoyou_testkit::{TestDb, postgres_test};

async fn compare_schemas() {
    let sqlite = TestDb::sqlite().await;
    let postgres = TestDb::postgres().await;
    let left = schema::describe(&sqlite.db).await.expect("describe sqlite");
    let right = schema::describe(&postgres.db)
        .await
        .expect("describe postgres");
    assert!(!left.columns.is_empty());
    let only_sqlite: Vec<_> = left
        .columns
        .iter()
        .filter(|c| !right.columns.contains(c))
        .collect();
    let only_postgres: Vec<_> = right
        .columns
        .iter()
        .filter(|c| !left.columns.contains(c))
        .collect();
    assert!(
        only_sqlite.is_empty() && only_postgres.is_empty(),
        "columns differ\nonly in SQLite: {only_sqlite:#?}\nonly in PostgreSQL: {only_postgres:#?}"
    );
    assert_eq!(left.indexes, right.indexes, "indexes differ");
    assert_eq!(
        migrate::current_version(&sqlite.db).await.unwrap(),
        migrate::current_version(&postgres.db).await.unwrap()
    );
}

postgres_test!(sqlite_and_postgres_schemas_match => compare_schemas);

/// An ID number belongs to one person, and only persons who have one are entered in the index
/// that says so: most rosters carry none, and an import would otherwise write an empty entry
/// per person. No other index covers the column.
async fn id_numbers_are_unique_only_where_present(t: &TestDb) {
    let indexes: Vec<(String, String)> = match &t.db {
        Db::Sqlite(pool) => sqlx::query_as(
            "SELECT l.name, CASE WHEN l.\"unique\" = 1 AND l.partial = 1
                 THEN 'unique, partial' ELSE l.origin END
             FROM pragma_index_list('persons') AS l, pragma_index_info(l.name) AS i
             WHERE i.name = 'id_card_hash'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
        Db::Postgres(pool) => sqlx::query_as(
            "SELECT indexname::text,
                 CASE WHEN indexdef LIKE 'CREATE UNIQUE INDEX%WHERE (id_card_hash IS NOT NULL)'
                 THEN 'unique, partial' ELSE indexdef END
             FROM pg_indexes WHERE tablename = 'persons' AND indexdef LIKE '%id_card_hash%'",
        )
        .fetch_all(pool)
        .await
        .unwrap(),
    };
    assert_eq!(
        indexes,
        vec![(
            "uq_persons_id_card_hash".to_owned(),
            "unique, partial".to_owned()
        )]
    );
}

xiaoyou_testkit::backend_tests!(id_numbers_are_unique_only_where_present);

#[tokio::test]
async fn sqlite_runs_in_wal_mode_with_foreign_keys() {
    let test_db = TestDb::sqlite().await;
    let Db::Sqlite(pool) = &test_db.db else {
        panic!("expected SQLite");
    };
    let mode: String = sqlx::query_scalar("PRAGMA journal_mode")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(mode, "wal");
    let foreign_keys: i64 = sqlx::query_scalar("PRAGMA foreign_keys")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(foreign_keys, 1);
}

#[tokio::test]
async fn a_new_sqlite_database_has_16_kib_pages() {
    let test_db = TestDb::sqlite().await;
    let Db::Sqlite(pool) = &test_db.db else {
        panic!("expected SQLite");
    };
    let page_size: i64 = sqlx::query_scalar("PRAGMA page_size")
        .fetch_one(pool)
        .await
        .unwrap();
    assert_eq!(page_size, i64::from(xiaoyou_store::db::SQLITE_PAGE_SIZE));
    assert_eq!(page_size, 16 * 1024);
}

#[tokio::test]
async fn every_table_of_the_model_exists_on_sqlite() {
    let test_db = TestDb::sqlite().await;
    let shape = schema::describe(&test_db.db).await.unwrap();
    for table in [
        "regions",
        "industry_chains",
        "departments",
        "schools",
        "colleges",
        "majors",
        "classes",
        "sources",
        "persons",
        "study_records",
        "contact_points",
        "enterprises",
        "enterprise_tags",
        "employments",
        "talent_profiles",
        "talent_profile_chains",
        "appointments",
        "instance_settings",
        "schema_migrations",
    ] {
        assert!(
            shape.columns.iter().any(|c| c.table == table),
            "missing table {table}"
        );
    }
}
