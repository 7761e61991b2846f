//! Search pages: the search box with suggestions as you type, facet filters, results with
//! highlights and paging; saved segments (人群) to list, re-run, rename, delete and export.
//! Every form works without scripts; `/assets/search.js` only adds the suggestions.

use crate::AppState;
use crate::error::WebError;
use crate::pages::files::{XLSX, download};
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use std::sync::Arc;
use xiaoyou_app::export::ExportFormat;
use xiaoyou_app::search::{self as use_case, PER_PAGE, Query};
use xiaoyou_core::Action;
use xiaoyou_search::{Dim, SearchIndex, SearchResults, Target};

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/search", get(show))
        .route("/search/suggest", get(suggest))
        .route("/assets/search.js", get(script))
        .route("/segments", get(list).post(create))
        .route("/segments/{id}", get(run))
        .route("/segments/{id}/rename", post(rename))
        .route("/segments/{id}/delete", post(delete))
        .route("/segments/{id}/export.xlsx", get(export_xlsx))
}

const SCRIPT: &str = include_str!("../../assets/search.js");

async fn script() -> impl IntoResponse {
    (
        [
            (header::CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (header::CACHE_CONTROL, "public, max-age=3600"),
        ],
        SCRIPT,
    )
}

pub(crate) fn index(state: &AppState) -> Result<&Arc<SearchIndex>, WebError> {
    state
        .search()
        .ok_or(WebError::Unavailable("搜索索引尚未就绪，请稍后再试"))
}

/// Percent-encodes a query-string component.
pub(crate) fn encode(text: &str) -> String {
    url::form_urlencoded::byte_serialize(text.as_bytes()).collect()
}

/// Pairs of a query string or form body.
pub(crate) fn pairs(raw: &[u8]) -> Vec<(String, String)> {
    url::form_urlencoded::parse(raw).into_owned().collect()
}

/// The search a request asks for: `q`, repeated `f=dim:value`, `page`, `target`.
pub(crate) fn read_query(pairs: &[(String, String)]) -> (Query, usize) {
    let mut query = Query::default();
    let mut page = 1;
    for (key, value) in pairs {
        match key.as_str() {
            "q" => query.text = value.clone(),
            "f" => {
                if let Some(filter) = Query::parse_filter(value)
                    && !query.filters.contains(&filter)
                    && query.filters.len() < 20
                {
                    query.filters.push(filter);
                }
            }
            "page" => page = value.parse().unwrap_or(1),
            "target" if value == "enterprises" => query.target = Target::Enterprises,
            _ => {}
        }
    }
    (query, page.max(1))
}

fn href(query: &Query, filters: &[(Dim, String)], page: usize) -> String {
    let mut out = format!("/search?q={}", encode(&query.text));
    for (dim, value) in filters {
        out.push_str("&f=");
        out.push_str(&encode(&format!("{}:{value}", dim.code())));
    }
    if query.target == Target::Enterprises {
        out.push_str("&target=enterprises");
    }
    if page > 1 {
        out.push_str(&format!("&page={page}"));
    }
    out
}

struct Chip {
    label: String,
    remove: String,
}

struct FacetLink {
    label: String,
    count: u64,
    href: String,
    selected: bool,
}

struct FacetGroup {
    label: &'static str,
    values: Vec<FacetLink>,
}

struct HitView {
    href: Option<String>,
    name_html: String,
    study_html: String,
    work_html: String,
    years: String,
    talent: String,
    mobile: String,
}

struct SegmentView {
    id: i64,
    name: String,
    owner_name: String,
    mine: bool,
    search_href: String,
}

#[derive(Template)]
#[template(path = "search.html")]
struct SearchPage {
    nav: Option<Nav>,
    q: String,
    enterprises: bool,
    enterprise_tab: bool,
    records_href: String,
    enterprises_href: String,
    chips: Vec<Chip>,
    filter_values: Vec<String>,
    facets: Vec<FacetGroup>,
    hits: Vec<HitView>,
    total: usize,
    /// The total and the facet counts are estimated from a sample (shown as 约 N).
    estimate: bool,
    page: usize,
    pages: usize,
    prev: Option<String>,
    next: Option<String>,
    csrf: String,
    can_save: bool,
    segment: Option<SegmentView>,
}

const FACET_VALUES: usize = 12;

fn page_of(
    signed: &Signed,
    query: &Query,
    results: SearchResults,
    page: usize,
    segment: Option<SegmentView>,
) -> SearchPage {
    let base = Query {
        filters: Vec::new(),
        ..query.clone()
    };
    let chips = query
        .filters
        .iter()
        .map(|(dim, value)| {
            let rest: Vec<(Dim, String)> = query
                .filters
                .iter()
                .filter(|f| !(f.0 == *dim && &f.1 == value))
                .cloned()
                .collect();
            Chip {
                label: format!(
                    "{}：{}",
                    dim.label(),
                    xiaoyou_search::schema::facet_label(value)
                ),
                remove: href(&base, &rest, 1),
            }
        })
        .collect();
    let facets = results
        .facets
        .dims
        .iter()
        .filter(|(_, values)| !values.is_empty())
        .map(|(dim, values)| FacetGroup {
            label: dim.label(),
            values: values
                .iter()
                .take(FACET_VALUES)
                .map(|v| {
                    let selected = query.filters.iter().any(|f| f.0 == *dim && f.1 == v.value);
                    let filters: Vec<(Dim, String)> = if selected {
                        query
                            .filters
                            .iter()
                            .filter(|f| !(f.0 == *dim && f.1 == v.value))
                            .cloned()
                            .collect()
                    } else {
                        let mut f = query.filters.clone();
                        f.push((*dim, v.value.clone()));
                        f
                    };
                    FacetLink {
                        label: v.label.clone(),
                        count: v.count,
                        href: href(&base, &filters, 1),
                        selected,
                    }
                })
                .collect(),
        })
        .collect();
    let pages = results.total.div_ceil(PER_PAGE).clamp(1, 500);
    let hits = results
        .hits
        .into_iter()
        .map(|h| HitView {
            href: h.person.map(|p| format!("/persons/{p}")),
            name_html: h.name_html,
            study_html: h.study_html,
            work_html: h.work_html,
            years: if h.kind == "enterprise" {
                h.alumni
                    .map(|n| format!("在职校友 {n} 人"))
                    .unwrap_or_default()
            } else {
                h.years
            },
            talent: h.talent,
            mobile: h.mobile.unwrap_or_default(),
        })
        .collect();
    let actor = signed.actor();
    SearchPage {
        nav: Some(Nav::of(signed)),
        q: query.text.clone(),
        enterprises: query.target == Target::Enterprises,
        enterprise_tab: use_case::sees_enterprises(actor),
        records_href: href(
            &Query {
                target: Target::Records,
                ..base.clone()
            },
            &[],
            1,
        ),
        enterprises_href: href(
            &Query {
                target: Target::Enterprises,
                ..base.clone()
            },
            &[],
            1,
        ),
        chips,
        filter_values: query.filter_strings(),
        facets,
        hits,
        total: results.total,
        estimate: results.total_is_estimate,
        page,
        pages,
        prev: (page > 1).then(|| href(query, &query.filters, page - 1)),
        next: (page < pages).then(|| href(query, &query.filters, page + 1)),
        csrf: signed.session.csrf_token.clone(),
        can_save: query.target == Target::Records,
        segment,
    }
}

async fn show(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    signed.require(Action::View)?;
    let (query, page) = read_query(&pairs(raw.unwrap_or_default().as_bytes()));
    let results = use_case::search(index(&state)?, signed.actor(), &query, page, PER_PAGE)?;
    let page = page_of(&signed, &query, results, page, None);
    Ok(Html(page.render()?))
}

async fn suggest(
    State(state): State<AppState>,
    signed: Signed,
    RawQuery(raw): RawQuery,
) -> Result<Response, WebError> {
    signed.require(Action::View)?;
    let (query, _) = read_query(&pairs(raw.unwrap_or_default().as_bytes()));
    let suggestions = use_case::suggest(index(&state)?, signed.actor(), &query.text, 8)?;
    Ok(axum::Json(suggestions).into_response())
}

struct SegmentLine {
    id: i64,
    name: String,
    summary: String,
    updated: String,
}

#[derive(Template)]
#[template(path = "segments.html")]
struct SegmentsPage {
    nav: Option<Nav>,
    csrf: String,
    segments: Vec<SegmentLine>,
}

fn summary(query: &Query) -> String {
    let mut parts = Vec::new();
    if !query.text.trim().is_empty() {
        parts.push(format!("“{}”", query.text.trim()));
    }
    for (dim, value) in &query.filters {
        parts.push(format!(
            "{}：{}",
            dim.label(),
            xiaoyou_search::schema::facet_label(value)
        ));
    }
    if parts.is_empty() {
        "全部校友".to_owned()
    } else {
        parts.join("；")
    }
}

async fn list(State(state): State<AppState>, signed: Signed) -> Result<Html<String>, WebError> {
    signed.require(Action::View)?;
    let segments = use_case::my_segments(state.db(), signed.actor()).await?;
    let page = SegmentsPage {
        nav: Some(Nav::of(&signed)),
        csrf: signed.session.csrf_token.clone(),
        segments: segments
            .into_iter()
            .map(|s| {
                let query = Query::from_segment(&s);
                SegmentLine {
                    id: s.id,
                    name: s.name,
                    summary: summary(&query),
                    updated: s.updated_at.format("%Y-%m-%d %H:%M").to_string(),
                }
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}

fn form_value<'a>(pairs: &'a [(String, String)], key: &str) -> &'a str {
    pairs
        .iter()
        .find(|(k, _)| k == key)
        .map_or("", |(_, v)| v.as_str())
}

async fn create(
    State(state): State<AppState>,
    signed: Signed,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = pairs(&body);
    signed.check_csrf(form_value(&form, "csrf"))?;
    let (query, _) = read_query(&form);
    let segment = use_case::save_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        form_value(&form, "name"),
        &query,
    )
    .await?;
    Ok(Redirect::to(&format!("/segments/{}", segment.id)).into_response())
}

async fn run(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, WebError> {
    let (segment, query) = use_case::segment(state.db(), signed.actor(), id).await?;
    let (_, page) = read_query(&pairs(raw.unwrap_or_default().as_bytes()));
    let results = use_case::search(index(&state)?, signed.actor(), &query, page, PER_PAGE)?;
    let view = SegmentView {
        id: segment.id,
        mine: segment.owner == signed.actor().user.get(),
        name: segment.name,
        owner_name: segment.owner_name,
        search_href: href(&query, &query.filters, 1),
    };
    let mut page_view = page_of(&signed, &query, results, page, Some(view));
    // Paging stays on the segment.
    let paged = |p: usize| format!("/segments/{id}?page={p}");
    page_view.prev = (page > 1).then(|| paged(page - 1));
    page_view.next = (page < page_view.pages).then(|| paged(page + 1));
    Ok(Html(page_view.render()?))
}

async fn rename(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = pairs(&body);
    signed.check_csrf(form_value(&form, "csrf"))?;
    use_case::rename_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
        form_value(&form, "name"),
    )
    .await?;
    Ok(Redirect::to(&format!("/segments/{id}")).into_response())
}

async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    body: Bytes,
) -> Result<Response, WebError> {
    let form = pairs(&body);
    signed.check_csrf(form_value(&form, "csrf"))?;
    use_case::delete_segment(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
    )
    .await?;
    Ok(Redirect::to("/segments").into_response())
}

async fn export_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
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
