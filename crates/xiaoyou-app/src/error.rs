//! Errors of the use-case layer. Messages are shown to users, in Chinese.

use thiserror::Error;
use xiaoyou_store::StoreError;

#[derive(Debug, Error)]
pub enum AppError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("{field}：{reason}")]
    Invalid { field: &'static str, reason: String },
    #[error("第{line}行：{reason}")]
    ReferenceRow { line: usize, reason: String },
    #[error("找不到{what}“{name}”")]
    UnknownName { what: &'static str, name: String },
    #[error("学校“{name}”已存在（编号 {id}，登记名称“{existing}”）")]
    SchoolExists {
        name: String,
        id: i64,
        existing: String,
    },
    #[error("没有权限执行此操作")]
    Forbidden,
    #[error("找不到{0}")]
    NotFound(&'static str),
    #[error("服务器未配置个人信息密钥，无法显示完整身份证号")]
    KeyMissing,
    #[error("个人信息密钥与数据不匹配，无法解密")]
    KeyMismatch,
    #[error("后台任务失败：{0}")]
    Background(String),
    #[error("学校“{name}”与已有学校名称相近：{}。如确为不同学校，请确认后再添加", .candidates.join("、"))]
    SchoolSimilar {
        name: String,
        candidates: Vec<String>,
    },
}

pub type AppResult<T> = Result<T, AppError>;
