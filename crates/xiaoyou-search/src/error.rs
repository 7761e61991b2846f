//! Errors of the search projection. None is fatal to the application: a broken index is
//! rebuilt from the database.

use thiserror::Error;

#[derive(Debug, Error)]
pub enum SearchError {
    #[error("检索索引出错：{0}")]
    Index(#[from] tantivy::TantivyError),
    #[error(transparent)]
    Store(#[from] xiaoyou_store::StoreError),
    #[error("检索索引目录 {path} 不可用：{source}")]
    Dir {
        path: String,
        #[source]
        source: std::io::Error,
    },
    #[error("检索索引 {path} 正被另一个进程使用（例如正在运行的服务）")]
    Busy { path: String },
    #[error("检索索引的字段与本程序不一致")]
    SchemaMismatch,
    #[error("检索索引的写入器因先前的错误不可用")]
    Poisoned,
    #[error("读取重建索引数据的任务异常结束：{0}")]
    Task(String),
}

pub type SearchResult<T> = Result<T, SearchError>;
