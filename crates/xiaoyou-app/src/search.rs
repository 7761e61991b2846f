//! Searching alumni and enterprises, and saved segments (人群): the actor's scope goes into
//! the index query, phones leave masked and only to roles that may see them, enterprises only
//! to provincial roles, and exports are audited.

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use crate::export::{ExportFile, ExportFormat, ExportTable};
use serde::Serialize;
use xiaoyou_core::{Action, Actor, Clock, Role};
use xiaoyou_search::{Dim, Hit, SearchIndex, SearchRequest, SearchResults, Target};
use xiaoyou_store::Db;
use xiaoyou_store::segments::{self, Segment};

/// Results per page.
pub const PER_PAGE: usize = 20;
/// The most rows one export writes.
pub const EXPORT_LIMIT: usize = 100_000;
const NAME_LIMIT: usize = 60;
const QUERY_LIMIT: usize = 200;

/// A search as a user asks it: the words, the facet filters, which page.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Query {
    pub text: String,
    pub filters: Vec<(Dim, String)>,
    pub target: Target,
}

impl Query {
    /// Reads `dim:value` filter strings, ignoring unknown dimensions.
    pub fn parse_filter(raw: &str) -> Option<(Dim, String)> {
        let (dim, value) = raw.split_once(':')?;
        let value = value.trim();
        if value.is_empty() || value.chars().count() > 200 {
            return None;
        }
        Some((Dim::parse(dim.trim())?, value.to_owned()))
    }

    pub fn filter_strings(&self) -> Vec<String> {
        self.filters
            .iter()
            .map(|(d, v)| format!("{}:{v}", d.code()))
            .collect()
    }

    fn filters_json(&self) -> String {
        serde_json::Value::from(self.filter_strings()).to_string()
    }

    /// The search a saved segment holds.
    pub fn from_segment(segment: &Segment) -> Query {
        let filters: Vec<String> = serde_json::from_str(&segment.filters).unwrap_or_default();
        Query {
            text: segment.query.clone(),
            filters: filters
                .iter()
                .filter_map(|f| Query::parse_filter(f))
                .collect(),
            target: Target::Records,
        }
    }
}

/// Whether the actor may search enterprises (the provincial enterprise list).
pub fn sees_enterprises(actor: &Actor) -> bool {
    actor.grants.iter().any(|g| {
        matches!(
            g.role,
            Role::ProvinceAdmin | Role::Specialist | Role::DepartmentViewer | Role::CityViewer
        )
    })
}

/// Whether (masked) phones appear in the actor's results and exports.
pub fn sees_phones(actor: &Actor) -> bool {
    actor.may(Action::Unmask)
}

fn check(actor: &Actor, query: &Query) -> AppResult<()> {
    if actor.scope(Action::View).is_empty() && !actor.may(Action::View) {
        return Err(AppError::Forbidden);
    }
    if query.target == Target::Enterprises && !sees_enterprises(actor) {
        return Err(AppError::Forbidden);
    }
    if query.text.chars().count() > QUERY_LIMIT {
        return Err(AppError::Invalid {
            field: "搜索内容",
            reason: format!("不能超过 {QUERY_LIMIT} 个字"),
        });
    }
    Ok(())
}

fn masked(actor: &Actor, mut results: SearchResults) -> SearchResults {
    if !sees_phones(actor) {
        for hit in &mut results.hits {
            hit.mobile = None;
        }
    }
    results
}

/// One page of results (from 1) with facet counts, within the actor's scope.
pub fn search(
    index: &SearchIndex,
    actor: &Actor,
    query: &Query,
    page: usize,
    per_page: usize,
) -> AppResult<SearchResults> {
    check(actor, query)?;
    let per_page = per_page.clamp(1, 100);
    let page = page.clamp(1, 500);
    let results = index
        .search(
            &SearchRequest {
                target: query.target,
                text: query.text.clone(),
                filters: query.filters.clone(),
                offset: (page - 1) * per_page,
                limit: per_page,
                facets: true,
                exact: false,
            },
            actor.scope(Action::View),
        )
        .map_err(search_error)?;
    Ok(masked(actor, results))
}

fn search_error(error: xiaoyou_search::SearchError) -> AppError {
    tracing::error!(%error, "检索失败");
    AppError::Background("检索暂时不可用，请稍后重试".to_owned())
}

/// A suggestion as the user types: a name, school, employer or city found in scope.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Suggestion {
    pub kind: &'static str,
    pub label: String,
}

/// Up to `limit` suggestions for what has been typed so far, from documents in scope.
pub fn suggest(
    index: &SearchIndex,
    actor: &Actor,
    text: &str,
    limit: usize,
) -> AppResult<Vec<Suggestion>> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 40 {
        return Ok(Vec::new());
    }
    let query = Query {
        text: text.to_owned(),
        ..Query::default()
    };
    check(actor, &query)?;
    let results = index
        .search(
            &SearchRequest {
                text: text.to_owned(),
                limit: 50,
                ..SearchRequest::default()
            },
            actor.scope(Action::View),
        )
        .map_err(search_error)?;
    let folded = xiaoyou_search::analysis::fold(text);
    let mut out: Vec<Suggestion> = Vec::new();
    let mut push = |kind: &'static str, label: &str| {
        if !label.is_empty()
            && out.len() < limit
            && !out.iter().any(|s| s.kind == kind && s.label == label)
        {
            out.push(Suggestion {
                kind,
                label: label.to_owned(),
            });
        }
    };
    let contains = |value: &str| xiaoyou_search::analysis::fold(value).contains(&folded);
    for hit in &results.hits {
        if contains(&hit.name) || hit.name_html.starts_with("<mark>") {
            push("姓名", &hit.name);
        }
    }
    for hit in &results.hits {
        for (kind, value) in [
            ("学校", &hit.school),
            ("工作单位", &hit.employer),
            ("城市", &hit.city),
        ] {
            if contains(value) {
                push(kind, value);
            }
        }
    }
    Ok(out)
}

fn clean_name(name: &str) -> AppResult<String> {
    let name = xiaoyou_text::clean_cell(name);
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: "人群名称",
            reason: "不能为空".into(),
        });
    }
    if name.chars().count() > NAME_LIMIT {
        return Err(AppError::Invalid {
            field: "人群名称",
            reason: format!("不能超过 {NAME_LIMIT} 个字"),
        });
    }
    Ok(name)
}

/// Saves a search as a segment owned by the actor.
pub async fn save_segment(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    name: &str,
    query: &Query,
) -> AppResult<Segment> {
    check(actor, query)?;
    if query.target != Target::Records {
        return Err(AppError::Invalid {
            field: "人群",
            reason: "只能保存校友的搜索".into(),
        });
    }
    let name = clean_name(name)?;
    let mut tx = db.begin().await?;
    let id = segments::insert(
        &mut tx,
        actor.user.get(),
        &name,
        query.text.trim(),
        &query.filters_json(),
        clock.now(),
    )
    .await?;
    let event = Event {
        action: "create",
        target_kind: "segment",
        target_id: Some(id.to_string()),
        school: None,
        changes: Some(serde_json::json!({ "name": [null, name] }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    segments::get(db, id)
        .await?
        .ok_or(AppError::NotFound("该人群"))
}

/// The actor's own segments.
pub async fn my_segments(db: &Db, actor: &Actor) -> AppResult<Vec<Segment>> {
    Ok(segments::list_of_owner(db, actor.user.get()).await?)
}

/// A segment anyone who may search can open (it runs within their own scope).
pub async fn segment(db: &Db, actor: &Actor, id: i64) -> AppResult<(Segment, Query)> {
    if !actor.may(Action::View) {
        return Err(AppError::NotFound("该人群"));
    }
    let segment = segments::get(db, id)
        .await?
        .ok_or(AppError::NotFound("该人群"))?;
    let query = Query::from_segment(&segment);
    Ok((segment, query))
}

async fn owned(db: &Db, actor: &Actor, id: i64) -> AppResult<Segment> {
    let (segment, _) = segment(db, actor, id).await?;
    if segment.owner != actor.user.get() {
        return Err(AppError::Forbidden);
    }
    Ok(segment)
}

pub async fn rename_segment(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    id: i64,
    name: &str,
) -> AppResult<()> {
    let segment = owned(db, actor, id).await?;
    let name = clean_name(name)?;
    let mut tx = db.begin().await?;
    segments::rename(&mut tx, id, &name, clock.now()).await?;
    let event = Event {
        action: "update",
        target_kind: "segment",
        target_id: Some(id.to_string()),
        school: None,
        changes: Some(serde_json::json!({ "name": [segment.name, name] }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

pub async fn delete_segment(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    id: i64,
) -> AppResult<()> {
    let segment = owned(db, actor, id).await?;
    let mut tx = db.begin().await?;
    segments::delete(&mut tx, id).await?;
    let event = Event {
        action: "delete",
        target_kind: "segment",
        target_id: Some(id.to_string()),
        school: None,
        changes: Some(serde_json::json!({ "name": [segment.name, null] }).to_string()),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(())
}

const EXPORT_HEADERS: [&str; 12] = [
    "姓名",
    "学校",
    "学院",
    "专业",
    "班级",
    "学历与年级",
    "工作单位",
    "职务",
    "所在城市",
    "产业链",
    "人才类别",
    "手机",
];

fn export_row(hit: &Hit) -> Vec<String> {
    vec![
        hit.name.clone(),
        hit.school.clone(),
        hit.college.clone(),
        hit.major.clone(),
        hit.class_name.clone(),
        hit.years.clone(),
        hit.employer.clone(),
        hit.title.clone(),
        hit.city.clone(),
        hit.industry.clone(),
        hit.talent.clone(),
        hit.mobile.clone().unwrap_or_default(),
    ]
}

/// Exports a segment's results as the actor sees them (their scope, phones masked or left
/// out), audited.
#[allow(clippy::too_many_arguments)]
pub async fn export_segment(
    index: &SearchIndex,
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    actor: &Actor,
    id: i64,
    format: ExportFormat,
) -> AppResult<ExportFile> {
    if !actor.may(Action::Export) {
        return Err(AppError::Forbidden);
    }
    let (segment, query) = segment(db, actor, id).await?;
    check(actor, &query)?;
    let results = index
        .search(
            &SearchRequest {
                target: Target::Records,
                text: query.text.clone(),
                filters: query.filters.clone(),
                offset: 0,
                limit: EXPORT_LIMIT,
                facets: false,
                // An export lists real rows, not a sample: every hit is ranked.
                exact: true,
            },
            actor.scope(Action::Export),
        )
        .map_err(search_error)?;
    let results = masked(actor, results);
    let table = ExportTable {
        title: format!("人群：{}", segment.name),
        headers: EXPORT_HEADERS.iter().map(|h| (*h).to_owned()).collect(),
        rows: results.hits.iter().map(export_row).collect(),
    };
    let bytes = table.render(format)?;
    let mut tx = db.begin().await?;
    let event = Event {
        action: "export",
        target_kind: "segment",
        target_id: Some(segment.id.to_string()),
        school: None,
        changes: Some(
            serde_json::json!({ "rows": table.rows.len(), "masked": true, "name": segment.name })
                .to_string(),
        ),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    let extension = match format {
        ExportFormat::Xlsx => "xlsx",
        ExportFormat::Csv => "csv",
    };
    Ok(ExportFile {
        file_name: format!("{}.{extension}", segment.name),
        bytes,
    })
}
