//! Errors of the storage layer, each with the context a person needs to act on it.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum StoreError {
    #[error("不支持的数据库地址“{scheme}”：请使用 postgres:// 或 sqlite://")]
    UnsupportedScheme { scheme: String },
    #[error("数据库地址无法解析：{0}")]
    BadUrl(String),
    #[error("无法连接数据库 {target}：{source}")]
    Connect {
        target: String,
        #[source]
        source: sqlx::Error,
    },
    #[error("数据目录 {path} 不可用：{source}")]
    DataDir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("数据库迁移 {version} 失败：{source}")]
    Migration {
        version: i64,
        #[source]
        source: sqlx::Error,
    },
    #[error("数据库迁移 {version} 会破坏数据之间的引用：{detail}")]
    MigrationBrokeReferences { version: i64, detail: String },
    #[error("数据库的结构版本 {found} 比本程序认识的 {known} 新，请升级程序")]
    SchemaTooNew { found: i64, known: i64 },
    #[error("{what}已存在")]
    Duplicate { what: &'static str },
    #[error("找不到{what}")]
    NotFound { what: &'static str },
    #[error("引用的{what}不存在")]
    MissingReference { what: &'static str },
    #[error("数据库中{table}的记录 {id} 含有无效值：{detail}")]
    Corrupt {
        table: &'static str,
        id: i64,
        detail: String,
    },
    #[error("数据库操作失败（{context}）：{source}")]
    Query {
        context: &'static str,
        #[source]
        source: sqlx::Error,
    },
    #[error("写前日志在 {seconds} 秒内未能并入数据库文件")]
    CheckpointTimeout { seconds: u64 },
    #[error("数据库批量写入失败（{context}）：{source}")]
    BulkWrite {
        context: &'static str,
        #[source]
        source: rusqlite::Error,
    },
}

impl StoreError {
    /// Wraps a sqlx error, recognising unique and foreign-key violations on both backends.
    pub fn query(
        context: &'static str,
        what: &'static str,
    ) -> impl FnOnce(sqlx::Error) -> StoreError {
        move |source| match &source {
            sqlx::Error::Database(db) if db.is_unique_violation() => StoreError::Duplicate { what },
            sqlx::Error::Database(db) if db.is_foreign_key_violation() => {
                StoreError::MissingReference { what }
            }
            sqlx::Error::RowNotFound => StoreError::NotFound { what },
            _ => StoreError::Query { context, source },
        }
    }

    /// Wraps an error of SQLite's bulk-writing path, recognising the same violations.
    pub fn bulk_write(
        context: &'static str,
        what: &'static str,
    ) -> impl FnOnce(rusqlite::Error) -> StoreError {
        move |source| {
            use rusqlite::ffi;
            match source.sqlite_error().map(|e| e.extended_code) {
                Some(ffi::SQLITE_CONSTRAINT_UNIQUE | ffi::SQLITE_CONSTRAINT_PRIMARYKEY) => {
                    StoreError::Duplicate { what }
                }
                Some(ffi::SQLITE_CONSTRAINT_FOREIGNKEY) => StoreError::MissingReference { what },
                _ => StoreError::BulkWrite { context, source },
            }
        }
    }
}

pub type StoreResult<T> = Result<T, StoreError>;
