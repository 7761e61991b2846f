//! Identity in the browser: the review queue of pairs that may be one person, a side-by-side
//! page to decide each (merge, or "not the same person", remembered), and on a person's page
//! the merge history with undo and the split of a study record.

use super::login::CsrfForm;
use crate::AppState;
use crate::error::WebError;
use crate::flash::{self, Flash};
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::{Html, IntoResponse, Response};
use xiaoyou_app::AppError;
use xiaoyou_app::identity::apply;
use xiaoyou_core::{Action, ContactKind, PersonId};
use xiaoyou_store::{identity, people};

/// One side of a pair: what a reviewer compares.
struct PersonCard {
    id: i64,
    name: String,
    gender: &'static str,
    birth: String,
    id_card: String,
    records: Vec<String>,
    phones: Vec<String>,
    jobs: Vec<String>,
}

struct QueueLine {
    id: i64,
    left: String,
    right: String,
    score: String,
    reasons: String,
}

#[derive(Template)]
#[template(path = "identity_reviews.html")]
struct QueuePage {
    nav: Option<Nav>,
    lines: Vec<QueueLine>,
    page: i64,
    more: bool,
}

#[derive(Template)]
#[template(path = "identity_review.html")]
struct ReviewPage {
    nav: Option<Nav>,
    csrf: String,
    id: i64,
    score: String,
    reasons: Vec<String>,
    decided: Option<&'static str>,
    /// The two persons compared, side by side.
    cards: Vec<PersonCard>,
    error: Option<String>,
}

const PAGE_SIZE: i64 = 30;

async fn card(state: &AppState, person: i64) -> Result<PersonCard, WebError> {
    let db = state.db();
    let found = people::get_person(db, PersonId(person))
        .await?
        .ok_or(WebError::NotFound("该校友"))?;
    let records = people::study_records_of_person(db, PersonId(person))
        .await?
        .into_iter()
        .map(|r| {
            let years = match (r.enrolment_year, r.graduation_year) {
                (Some(a), Some(b)) => format!("{a}–{b}"),
                (None, Some(b)) => format!("{b}届"),
                (Some(a), None) => format!("{a}级"),
                (None, None) => String::new(),
            };
            [
                Some(r.school_name),
                Some(r.level.label().to_owned()),
                r.class_name,
                Some(years),
                Some(format!("来源：{}", r.source_ref.unwrap_or(r.source_label))),
            ]
            .into_iter()
            .flatten()
            .filter(|p| !p.is_empty())
            .collect::<Vec<_>>()
            .join(" · ")
        })
        .collect();
    let phones = people::contacts_of_person(db, PersonId(person))
        .await?
        .into_iter()
        .filter(|c| c.kind == ContactKind::Mobile || c.kind == ContactKind::Email)
        .map(|c| format!("{}：{}", c.kind.label(), c.kind.mask(&c.value)))
        .collect();
    let jobs = people::employments_of_person(db, PersonId(person))
        .await?
        .into_iter()
        .map(|j| {
            [Some(j.employer_name), j.title, j.city]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · ")
        })
        .collect();
    Ok(PersonCard {
        id: person,
        name: found.name,
        gender: found.gender.map_or("未登记", |g| g.label()),
        birth: found
            .birth_date
            .map_or_else(|| "未登记".to_owned(), |d| d.format("%Y-%m-%d").to_string()),
        id_card: found.id_card_masked.unwrap_or_else(|| "未登记".to_owned()),
        records,
        phones,
        jobs,
    })
}

async fn person_name(state: &AppState, person: i64) -> Result<String, WebError> {
    Ok(people::get_person(state.db(), PersonId(person))
        .await?
        .map(|p| p.name)
        .unwrap_or_default())
}

/// The schools whose pairs the actor may see: `None` for everywhere.
/// The schools, colleges and classes whose records the actor may decide on; `None`: all.
fn reviewer_reach(signed: &Signed) -> Option<[Vec<i64>; 3]> {
    let scope = signed.actor().scope(Action::Edit);
    if scope.all {
        return None;
    }
    Some([
        scope.schools.iter().map(|s| s.get()).collect(),
        scope.colleges.iter().map(|c| c.get()).collect(),
        scope.classes.iter().map(|c| c.get()).collect(),
    ])
}

#[derive(serde::Deserialize)]
pub struct PageQuery {
    #[serde(default)]
    page: Option<i64>,
}

pub async fn queue(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<PageQuery>,
) -> Result<Html<String>, WebError> {
    if !signed.actor().may(Action::Edit) {
        return Err(WebError::Forbidden);
    }
    let page = query.page.unwrap_or(1).max(1);
    let reach = reviewer_reach(&signed);
    let reviews = identity::open_reviews(
        state.db(),
        reach
            .as_ref()
            .map(|[schools, colleges, classes]| identity::ReviewerReach {
                schools,
                colleges,
                classes,
            }),
        PAGE_SIZE + 1,
        (page - 1) * PAGE_SIZE,
    )
    .await?;
    let more = reviews.len() as i64 > PAGE_SIZE;
    let mut lines = Vec::new();
    for review in reviews.into_iter().take(PAGE_SIZE as usize) {
        // A pair reaching outside the actor's scope is not shown at all.
        if !apply::may_decide(
            state.db(),
            signed.actor(),
            &[review.person_a, review.person_b],
        )
        .await?
        {
            continue;
        }
        lines.push(QueueLine {
            id: review.id,
            left: person_name(&state, review.person_a).await?,
            right: person_name(&state, review.person_b).await?,
            score: format!("{:.0}", review.score * 100.0),
            reasons: review.reasons,
        });
    }
    let page = QueuePage {
        nav: Some(Nav::of(&signed)),
        lines,
        page,
        more,
    };
    Ok(Html(page.render()?))
}

async fn render_review(
    state: &AppState,
    signed: &Signed,
    id: i64,
    error: Option<String>,
) -> Result<Response, WebError> {
    let missing = || WebError::NotFound("该待核对记录");
    let review = identity::get_review(state.db(), id)
        .await?
        .ok_or_else(missing)?;
    if !apply::may_decide(
        state.db(),
        signed.actor(),
        &[review.person_a, review.person_b],
    )
    .await?
    {
        return Err(missing());
    }
    let decided = match review.status.as_str() {
        "merged" => Some("已合并为同一人"),
        "distinct" => Some("已确认不是同一人"),
        "stale" => Some("已过期（之后的识别已重新判断）"),
        _ if review.person_a == review.person_b => Some("两条记录已属于同一人"),
        _ => None,
    };
    let status = if error.is_some() {
        axum::http::StatusCode::UNPROCESSABLE_ENTITY
    } else {
        axum::http::StatusCode::OK
    };
    let page = ReviewPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        id,
        score: format!("{:.0}", review.score * 100.0),
        reasons: review.reasons.split('；').map(str::to_owned).collect(),
        decided,
        cards: vec![
            card(state, review.person_a).await?,
            card(state, review.person_b).await?,
        ],
        error,
    };
    Ok((status, Html(page.render()?)).into_response())
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    render_review(&state, &signed, id, None).await
}

pub async fn merge(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let outcome = apply::merge_pair(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
    )
    .await;
    match outcome {
        Ok(survivor) => Ok(flash::redirect(
            &format!("/persons/{survivor}"),
            Flash::success("已合并：两条记录现属于同一人，可在“合并记录”中撤销。"),
            state.secure_cookies(),
        )),
        Err(AppError::Invalid { reason, .. }) => {
            render_review(&state, &signed, id, Some(reason)).await
        }
        Err(other) => Err(other.into()),
    }
}

pub async fn distinct(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    apply::mark_distinct(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        id,
    )
    .await?;
    Ok(flash::redirect(
        "/identity/reviews",
        Flash::success("已记录：这两条记录不是同一人，今后不再提示。"),
        state.secure_cookies(),
    ))
}

pub async fn undo(
    State(state): State<AppState>,
    signed: Signed,
    Path((person, merge)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    apply::undo_merge(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        person,
        merge,
    )
    .await?;
    Ok(flash::redirect(
        &format!("/persons/{person}"),
        Flash::success("已撤销合并，被合并的人员及其记录已恢复。"),
        state.secure_cookies(),
    ))
}

pub async fn split(
    State(state): State<AppState>,
    signed: Signed,
    Path((person, record)): Path<(i64, i64)>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let created = apply::split_record(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        person,
        record,
    )
    .await?;
    Ok(flash::redirect(
        &format!("/persons/{created}"),
        Flash::success("已拆分：该学习记录现属于新建的人员。"),
        state.secure_cookies(),
    ))
}
