//! Page handlers: each loads what its template needs through the store and renders it.

pub mod class;
pub mod college;
pub mod home;
pub mod school;

use crate::AppState;
use crate::error::WebError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;

/// Liveness and database reachability, for load balancers and `xiaoyou healthcheck`.
pub async fn health(State(state): State<AppState>) -> impl IntoResponse {
    match state.db().ping().await {
        Ok(()) => (StatusCode::OK, "ok"),
        Err(error) => {
            tracing::error!(%error, "健康检查：数据库不可用");
            (StatusCode::SERVICE_UNAVAILABLE, "database unavailable")
        }
    }
}

pub async fn not_found() -> WebError {
    WebError::NotFound("该页面")
}

/// The province's name for breadcrumbs.
pub async fn province_name(state: &AppState) -> Result<String, WebError> {
    Ok(xiaoyou_store::regions::get(state.db(), state.province())
        .await?
        .map(|r| r.name)
        .unwrap_or_else(|| "全省".to_owned()))
}
