//! Page handlers: each takes the signed-in actor, checks the object against the actor's scope
//! (an object outside it is answered exactly like one that does not exist), loads what its
//! template needs through the store and renders it.

pub mod account;
pub mod admin;
pub mod class;
pub mod college;
pub mod home;
pub mod login;
pub mod person;
pub mod school;

use crate::AppState;
use crate::error::WebError;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use xiaoyou_core::{Action, Actor, ClassId, CollegeId, PersonId};
use xiaoyou_store::org::{self, Class, College, School};
use xiaoyou_store::people;

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
    let missing = || WebError::NotFound("该学校");
    let school = org::get_school(state.db(), xiaoyou_core::SchoolId(id))
        .await?
        .ok_or_else(missing)?;
    if actor.scope(Action::View).covers_school(school.id) {
        Ok(school)
    } else {
        Err(missing())
    }
}

pub async fn visible_college(
    state: &AppState,
    actor: &Actor,
    id: i64,
) -> Result<College, WebError> {
    let missing = || WebError::NotFound("该学院");
    let college = org::get_college(state.db(), CollegeId(id))
        .await?
        .ok_or_else(missing)?;
    if actor
        .scope(Action::View)
        .covers_college(college.school, college.id)
    {
        Ok(college)
    } else {
        Err(missing())
    }
}

pub async fn visible_class(state: &AppState, actor: &Actor, id: i64) -> Result<Class, WebError> {
    let missing = || WebError::NotFound("该班级");
    let class = org::get_class(state.db(), ClassId(id))
        .await?
        .ok_or_else(missing)?;
    if actor
        .scope(Action::View)
        .covers_class(class.school, class.college, class.id)
    {
        Ok(class)
    } else {
        Err(missing())
    }
}

/// Whether a person lies in the actor's scope for an action: the person themself, or a study
/// record in a covered school, college or class.
pub async fn person_in_scope(
    state: &AppState,
    actor: &Actor,
    action: Action,
    person: PersonId,
) -> Result<bool, WebError> {
    let scope = actor.scope(action);
    if scope.all || scope.persons.contains(&person) {
        return Ok(true);
    }
    if scope.is_empty() {
        return Ok(false);
    }
    let records = people::study_records_of_person(state.db(), person).await?;
    Ok(records.iter().any(|r| match r.class {
        Some(class) => scope.covers_class(r.school, r.college, class),
        None => r.college.map_or(scope.covers_school(r.school), |c| {
            scope.covers_college(r.school, c)
        }),
    }))
}
