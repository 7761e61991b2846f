//! Introspection of the live schema in one portable shape, so the two backends' migrations can
//! be compared (and an operator can see what a database holds).

use crate::db::Db;
use crate::error::{StoreError, StoreResult};

/// One column, with its type in PostgreSQL's vocabulary.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct ColumnShape {
    pub table: String,
    pub column: String,
    pub data_type: String,
    pub not_null: bool,
    pub primary_key: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct SchemaShape {
    pub columns: Vec<ColumnShape>,
    /// Explicitly created indexes (`idx_*`, and `uq_*` for constraints), as `table.index`.
    pub indexes: Vec<String>,
}

pub async fn describe(db: &Db) -> StoreResult<SchemaShape> {
    let fail = StoreError::query("读取数据库结构", "数据库结构");
    let mut shape = SchemaShape::default();
    match db {
        Db::Sqlite(pool) => {
            let tables: Vec<String> = sqlx::query_scalar(
                "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
            )
            .fetch_all(pool)
            .await
            .map_err(fail)?;
            for table in tables {
                let rows: Vec<(String, String, bool, i64)> =
                    sqlx::query_as("SELECT name, type, \"notnull\", pk FROM pragma_table_info($1)")
                        .bind(&table)
                        .fetch_all(pool)
                        .await
                        .map_err(StoreError::query("读取数据库结构", "数据库结构"))?;
                for (column, declared, not_null, pk) in rows {
                    let primary_key = pk > 0;
                    shape.columns.push(ColumnShape {
                        table: table.clone(),
                        column,
                        data_type: sqlite_type_in_postgres_terms(&declared, primary_key),
                        // SQLite does not imply NOT NULL for primary keys; PostgreSQL does.
                        not_null: not_null || primary_key,
                        primary_key,
                    });
                }
            }
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT tbl_name, name FROM sqlite_master WHERE type = 'index' AND (name LIKE 'idx_%' OR name LIKE 'uq_%')",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取数据库结构", "数据库结构"))?;
            shape.indexes = indexes
                .into_iter()
                .map(|(t, i)| format!("{t}.{i}"))
                .collect();
        }
        Db::Postgres(pool) => {
            let rows: Vec<(String, String, String, String, bool)> = sqlx::query_as(
                "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text,
                        EXISTS (
                            SELECT 1 FROM information_schema.table_constraints tc
                            JOIN information_schema.key_column_usage k
                              ON k.constraint_name = tc.constraint_name AND k.table_schema = tc.table_schema
                            WHERE tc.constraint_type = 'PRIMARY KEY' AND tc.table_schema = c.table_schema
                              AND tc.table_name = c.table_name AND k.column_name = c.column_name)
                 FROM information_schema.columns c
                 WHERE c.table_schema = current_schema()",
            )
            .fetch_all(pool)
            .await
            .map_err(fail)?;
            shape.columns = rows
                .into_iter()
                .map(
                    |(table, column, data_type, nullable, primary_key)| ColumnShape {
                        table,
                        column,
                        data_type,
                        not_null: nullable == "NO",
                        primary_key,
                    },
                )
                .collect();
            let indexes: Vec<(String, String)> = sqlx::query_as(
                "SELECT tablename::text, indexname::text FROM pg_indexes
                 WHERE schemaname = current_schema() AND (indexname LIKE 'idx_%' OR indexname LIKE 'uq_%')",
            )
            .fetch_all(pool)
            .await
            .map_err(StoreError::query("读取数据库结构", "数据库结构"))?;
            shape.indexes = indexes
                .into_iter()
                .map(|(t, i)| format!("{t}.{i}"))
                .collect();
        }
    }
    shape.columns.sort();
    shape.indexes.sort();
    Ok(shape)
}

/// SQLite keeps the declared type text; the migrations declare PostgreSQL's names, except
/// `INTEGER PRIMARY KEY` (SQLite's rowid alias) standing for an identity `BIGINT` (natural integer keys are declared `INT PRIMARY KEY`,
/// which is not a rowid alias) and `BLOB`
/// standing for `BYTEA`.
fn sqlite_type_in_postgres_terms(declared: &str, primary_key: bool) -> String {
    match declared.to_ascii_uppercase().as_str() {
        "INTEGER" if primary_key => "bigint".to_owned(),
        "INTEGER" | "INT" => "integer".to_owned(),
        "BIGINT" => "bigint".to_owned(),
        "TEXT" => "text".to_owned(),
        "BLOB" => "bytea".to_owned(),
        "BOOLEAN" => "boolean".to_owned(),
        "DATE" => "date".to_owned(),
        "TIMESTAMPTZ" => "timestamp with time zone".to_owned(),
        other => other.to_ascii_lowercase(),
    }
}
