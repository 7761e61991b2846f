//! Page handlers: each takes the signed-in actor, checks the object against the actor's scope
//! (an object outside it is answered exactly like one that does not exist), loads what its
//! template needs through the store and renders it.

pub mod account;
pub mod admin;
pub mod alumni;
pub mod class;
pub mod college;
pub mod files;
pub mod home;
pub mod identity;
pub mod import;
pub mod import_job;
pub mod login;
pub mod org;
pub mod person;
pub mod school;
pub mod search;

use crate::AppState;
use crate::error::WebError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use xiaoyou_app::access;
use xiaoyou_core::{Action, Actor, ClassId, CollegeId, PersonId, SchoolId};
use xiaoyou_store::org::{Class, College, School};

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

pub async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    if uri.path().starts_with("/api/") {
        crate::api::not_found()
    } else {
        WebError::NotFound("该页面").into_response()
    }
}

/// The province's name for breadcrumbs.
pub async fn province_name(state: &AppState) -> Result<String, WebError> {
    Ok(xiaoyou_store::regions::get(state.db(), state.province())
        .await?
        .map(|r| r.name)
        .unwrap_or_else(|| "全省".to_owned()))
}

/// A school the actor may see as a whole; otherwise "not found".
pub async fn visible_school(state: &AppState, actor: &Actor, id: i64) -> Result<School, WebError> {
    Ok(access::visible_school(state.db(), actor, SchoolId(id)).await?)
}

pub async fn visible_college(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<College, WebError> {
    Ok(access::visible_college(state.db(), actor, CollegeId(id)).await?)
}

pub async fn visible_class(state: &AppState, actor: &Actor, id: i64) -> Result<Class, WebError> {
    Ok(access::visible_class(state.db(), actor, ClassId(id)).await?)
}

/// Whether a person lies in the actor's scope for an action.
pub async fn person_in_scope(
    state: &AppState,
    actor: &Actor,
    action: Action,
    person: PersonId,
) -> Result<bool, WebError> {
    Ok(access::person_in_scope(state.db(), actor, action, person).await?)
}
