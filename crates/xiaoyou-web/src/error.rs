//! One error type at the web edge: a status, a stable code and a Chinese message, rendered as
//! an error page.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use thiserror::Error;

#[derive(Debug, Error)]
pub enum WebError {
    #[error("找不到{0}")]
    NotFound(&'static str),
    #[error(transparent)]
    Store(#[from] xiaoyou_store::StoreError),
    #[error("页面渲染失败")]
    Render(#[from] askama::Error),
    #[error("表单已过期或来源不明，请刷新页面后重试")]
    Csrf,
    #[error("没有权限执行此操作")]
    Forbidden,
    #[error("上传的内容不完整或格式不正确，请重新选择文件上传")]
    BadUpload,
    #[error("服务器未配置个人信息密钥，无法显示完整身份证号")]
    KeyMissing,
    #[error("个人信息密钥与数据不匹配，无法解密")]
    KeyMismatch,
    #[error("{0}")]
    App(xiaoyou_app::AppError),
    #[error("{0}")]
    Storage(String),
    #[error("{0}")]
    Unavailable(&'static str),
}

impl From<xiaoyou_app::AppError> for WebError {
    fn from(error: xiaoyou_app::AppError) -> Self {
        match error {
            xiaoyou_app::AppError::Store(store) => WebError::Store(store),
            xiaoyou_app::AppError::Forbidden => WebError::Forbidden,
            xiaoyou_app::AppError::NotFound(what) => WebError::NotFound(what),
            xiaoyou_app::AppError::KeyMissing => WebError::KeyMissing,
            xiaoyou_app::AppError::KeyMismatch => WebError::KeyMismatch,
            other => WebError::App(other),
        }
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    nav: Option<crate::session::Nav>,
    heading: &'a str,
    message: String,
}

impl WebError {
    pub fn status(&self) -> StatusCode {
        match self {
            WebError::NotFound(_) => StatusCode::NOT_FOUND,
            WebError::Csrf | WebError::Forbidden => StatusCode::FORBIDDEN,
            WebError::BadUpload => StatusCode::BAD_REQUEST,
            WebError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            WebError::App(xiaoyou_app::AppError::Invalid { .. }) => {
                StatusCode::UNPROCESSABLE_ENTITY
            }
            WebError::Store(_)
            | WebError::Render(_)
            | WebError::App(_)
            | WebError::Storage(_)
            | WebError::KeyMissing
            | WebError::KeyMismatch => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }

    pub fn code(&self) -> &'static str {
        match self {
            WebError::NotFound(_) => "not_found",
            WebError::Store(_) => "storage",
            WebError::Render(_) => "render",
            WebError::Csrf => "csrf",
            WebError::Forbidden => "forbidden",
            WebError::BadUpload => "bad_upload",
            WebError::App(_) => "invalid",
            WebError::Storage(_) => "file_storage",
            WebError::Unavailable(_) => "unavailable",
            WebError::KeyMissing | WebError::KeyMismatch => "data_key",
        }
    }
}

impl IntoResponse for WebError {
    fn into_response(self) -> Response {
        let status = self.status();
        let (heading, message) = match &self {
            WebError::NotFound(_) => (
                "页面不存在",
                format!("{self}，它可能已被删除，或链接有误。"),
            ),
            WebError::Forbidden => (
                "没有权限",
                "您的账号没有执行此操作的权限。如需开通，请联系本单位管理员。".to_owned(),
            ),
            WebError::Csrf
            | WebError::BadUpload
            | WebError::Unavailable(_)
            | WebError::App(xiaoyou_app::AppError::Invalid { .. }) => {
                ("请求未完成", self.to_string())
            }
            _ => {
                tracing::error!(code = self.code(), error = %self, "请求处理失败");
                (
                    "服务器出错了",
                    "处理请求时出现问题，已记录。请稍后重试。".to_owned(),
                )
            }
        };
        let page = ErrorPage {
            nav: None,
            heading,
            message,
        };
        let body = page
            .render()
            .unwrap_or_else(|_| format!("<!DOCTYPE html><meta charset=utf-8><h1>{heading}</h1>"));
        (status, Html(body)).into_response()
    }
}

/// The answer when a handler panics: the Chinese 500 page, as for any other internal error.
/// The panic's own message is left to the panic hook; it is not repeated into the page.
pub fn panic_page(_panic: Box<dyn std::any::Any + Send + 'static>) -> Response {
    tracing::error!(code = "panic", "请求处理失败：处理程序异常终止");
    let page = ErrorPage {
        nav: None,
        heading: "服务器出错了",
        message: "处理请求时出现问题，已记录。请稍后重试。".to_owned(),
    };
    let body = page
        .render()
        .unwrap_or_else(|_| "<!DOCTYPE html><meta charset=utf-8><h1>服务器出错了</h1>".to_owned());
    (StatusCode::INTERNAL_SERVER_ERROR, Html(body)).into_response()
}
