//! Search and saved segments through the JSON API: the same use cases, scope and masking as
//! the pages.

use super::{ApiError, Bearer};
use crate::AppState;
use crate::pages::files::{XLSX, download};
use crate::pages::search::{index, pairs, read_query};
use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use serde_json::json;
use xiaoyou_app::export::ExportFormat;
use xiaoyou_app::search::{self as use_case, Query};
use xiaoyou_search::{Hit, SearchResults};
use xiaoyou_store::segments::Segment;

type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/api/v1/search", get(search))
        .route("/api/v1/search/suggest", get(suggest))
        .route("/api/v1/segments", get(list).post(create))
        .route(
            "/api/v1/segments/{id}",
            get(show).patch(rename).delete(remove),
        )
        .route("/api/v1/segments/{id}/results", get(results))
        .route("/api/v1/segments/{id}/export.xlsx", get(export))
}

#[derive(Debug, Serialize)]
struct HitOut<'a> {
    kind: &'a str,
    person_id: Option<i64>,
    study_record_id: Option<i64>,
    enterprise_id: Option<i64>,
    name: &'a str,
    school: &'a str,
    college: &'a str,
    major: &'a str,
    class: &'a str,
    years: &'a str,
    employer: &'a str,
    title: &'a str,
    city: &'a str,
    industry: &'a str,
    talent_category: &'a str,
    /// Masked, and only for roles that may see phones.
    mobile: Option<&'a str>,
    credit_code: &'a str,
    tags: &'a str,
    alumni: Option<u64>,
}

fn hit_out(hit: &Hit) -> HitOut<'_> {
    HitOut {
        kind: hit.kind,
        person_id: hit.person,
        study_record_id: if hit.kind == "record" {
            hit.record
        } else {
            None
        },
        enterprise_id: hit.enterprise,
        name: &hit.name,
        school: &hit.school,
        college: &hit.college,
        major: &hit.major,
        class: &hit.class_name,
        years: &hit.years,
        employer: &hit.employer,
        title: &hit.title,
        city: &hit.city,
        industry: &hit.industry,
        talent_category: &hit.talent,
        mobile: hit.mobile.as_deref(),
        credit_code: &hit.credit_code,
        tags: &hit.tags,
        alumni: hit.alumni,
    }
}

fn results_json(results: &SearchResults, page: usize, per_page: usize) -> serde_json::Value {
    let facets: serde_json::Map<String, serde_json::Value> = results
        .facets
        .dims
        .iter()
        .map(|(dim, values)| (dim.code().to_owned(), json!(values)))
        .collect();
    json!({
        "total": results.total,
        "total_is_estimate": results.total_is_estimate,
        "page": page,
        "per_page": per_page,
        "hits": results.hits.iter().map(hit_out).collect::<Vec<_>>(),
        "facets": facets,
    })
}

fn per_page(raw: &[(String, String)]) -> usize {
    raw.iter()
        .find(|(k, _)| k == "per_page")
        .and_then(|(_, v)| v.parse().ok())
        .unwrap_or(use_case::PER_PAGE)
        .clamp(1, 100)
}

/// `GET /api/v1/search?q=…&f=dim:value&page=N&per_page=M&target=records|enterprises`
async fn search(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    RawQuery(raw): RawQuery,
) -> ApiResult<serde_json::Value> {
    let raw = pairs(raw.unwrap_or_default().as_bytes());
    let (query, page) = read_query(&raw);
    let per_page = per_page(&raw);
    let results = use_case::search(index(&state)?, signed.actor(), &query, page, per_page)?;
    Ok(Json(results_json(&results, page, per_page)))
}

async fn suggest(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    RawQuery(raw): RawQuery,
) -> ApiResult<Vec<use_case::Suggestion>> {
    let (query, _) = read_query(&pairs(raw.unwrap_or_default().as_bytes()));
    Ok(Json(use_case::suggest(
        index(&state)?,
        signed.actor(),
        &query.text,
        8,
    )?))
}

fn segment_json(segment: &Segment) -> serde_json::Value {
    let query = Query::from_segment(segment);
    json!({
        "id": segment.id,
        "name": segment.name,
        "owner": segment.owner_name,
        "query": segment.query,
        "filters": query.filter_strings(),
        "created_at": segment.created_at,
        "updated_at": segment.updated_at,
    })
}

async fn list(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
) -> ApiResult<Vec<serde_json::Value>> {
    let segments = use_case::my_segments(state.db(), signed.actor()).await?;
    Ok(Json(segments.iter().map(segment_json).collect()))
}

#[derive(Debug, Deserialize)]
struct NewSegment {
    name: String,
    #[serde(default)]
    query: String,
    /// `dim:value` strings, as in the search's `f` parameters.
    #[serde(default)]
    filters: Vec<String>,
}

async fn create(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Json(input): Json<NewSegment>,
) -> Result<Response, ApiError> {
    let query = Query {
        text: input.query,
        filters: input
            .filters
            .iter()
            .filter_map(|f| Query::parse_filter(f))
            .collect(),
        ..Query::default()
    };
    let segment = use_case::save_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        &input.name,
        &query,
    )
    .await?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(segment_json(&segment)),
    )
        .into_response())
}

async fn show(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    let (segment, _) = use_case::segment(state.db(), signed.actor(), id).await?;
    Ok(Json(segment_json(&segment)))
}

/// A segment re-run: within the scope of whoever asks.
async fn results(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> ApiResult<serde_json::Value> {
    let (_, query) = use_case::segment(state.db(), signed.actor(), id).await?;
    let raw = pairs(raw.unwrap_or_default().as_bytes());
    let (_, page) = read_query(&raw);
    let per_page = per_page(&raw);
    let results = use_case::search(index(&state)?, signed.actor(), &query, page, per_page)?;
    Ok(Json(results_json(&results, page, per_page)))
}

#[derive(Debug, Deserialize)]
struct Rename {
    name: String,
}

async fn rename(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
    Json(input): Json<Rename>,
) -> ApiResult<serde_json::Value> {
    use_case::rename_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
        &input.name,
    )
    .await?;
    let (segment, _) = use_case::segment(state.db(), signed.actor(), id).await?;
    Ok(Json(segment_json(&segment)))
}

async fn remove(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> ApiResult<serde_json::Value> {
    use_case::delete_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
    )
    .await?;
    Ok(Json(json!({ "deleted": id })))
}

async fn export(
    State(state): State<AppState>,
    Bearer(signed): Bearer,
    Path(id): Path<i64>,
) -> Result<Response, ApiError> {
    let file = use_case::export_segment(
        index(&state)?,
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
        ExportFormat::Xlsx,
    )
    .await?;
    Ok(download(file, XLSX))
}
