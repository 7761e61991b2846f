//! A person's record: study records, contact points with source and date, employment.
//! Personal data is masked; unmasking is an explicit, audited action.

use super::login::CsrfForm;
use super::person_in_scope;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Html;
use xiaoyou_app::access;
use xiaoyou_app::audit::{self, Event};
use xiaoyou_core::{Action, Actor, ConsentAudience, PersonId};
use xiaoyou_store::{consents, people};

struct RecordLine {
    id: i64,
    school: String,
    college: String,
    class_id: Option<i64>,
    class: String,
    level: &'static str,
    years: String,
    source: String,
}

struct ContactLine {
    kind: &'static str,
    value: String,
    source: String,
    date: String,
    verified: &'static str,
}

struct JobLine {
    employer: String,
    title: String,
    city: String,
    years: String,
}

struct ConsentLine {
    code: &'static str,
    label: &'static str,
    granted: bool,
    detail: String,
}

#[derive(Template)]
#[template(path = "person.html")]
struct PersonPage {
    shared: bool,
    is_self: bool,
    consents: Vec<ConsentLine>,
    nav: Option<Nav>,
    nav_csrf: String,
    id: i64,
    name: String,
    gender: &'static str,
    birth: String,
    city: String,
    id_card: String,
    unmasked: bool,
    may_unmask: bool,
    records: Vec<RecordLine>,
    contacts: Vec<ContactLine>,
    jobs: Vec<JobLine>,
    /// May merge, undo and split (editing scope over all of the person's records).
    may_decide: bool,
    merges: Vec<MergeLine>,
}

/// A merge in the person's history.
struct MergeLine {
    id: i64,
    when: String,
    other: i64,
    how: &'static str,
    reasons: String,
    undone: bool,
}

fn span(from: Option<i32>, to: Option<i32>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => format!("{from}–{to}"),
        (Some(from), None) => format!("{from}–"),
        (None, Some(to)) => format!("–{to}"),
        (None, None) => String::new(),
    }
}

/// Whether the person's contact details may be shown (masked or not) to this actor.
pub async fn details_shared(
    state: &AppState,
    actor: &Actor,
    person: PersonId,
) -> Result<bool, WebError> {
    Ok(access::details_shared(state.db(), actor, person).await?)
}

async fn render(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    unmasked_id: Option<String>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let missing = || WebError::NotFound("该校友");
    if !person_in_scope(state, signed.actor(), Action::View, person).await? {
        return Err(missing());
    }
    let record = people::get_person(db, person).await?.ok_or_else(missing)?;
    let unmasked = unmasked_id.is_some();
    // The audience and the person's statements are read once; sharing follows from them.
    let audience = access::audience_for(state.db(), signed.actor(), person).await?;
    let is_self = audience.is_none();
    let current = consents::current(db, person).await?;
    let shared = audience.is_none_or(|audience| {
        current
            .iter()
            .find(|c| c.audience == audience)
            .map_or(audience.default_granted(), |c| c.granted)
    });
    let consent_lines = ConsentAudience::ALL
        .iter()
        .map(|audience| {
            let stated = current.iter().find(|c| c.audience == *audience);
            ConsentLine {
                code: audience.code(),
                label: audience.label(),
                granted: stated.map_or(audience.default_granted(), |c| c.granted),
                detail: stated.map_or_else(
                    || "未表态（默认）".to_owned(),
                    |c| {
                        format!(
                            "{} · {}",
                            c.source,
                            (c.recorded_at + chrono::Duration::hours(8)).format("%Y-%m-%d")
                        )
                    },
                ),
            }
        })
        .collect();
    let records = people::study_records_of_person(db, person)
        .await?
        .into_iter()
        .map(|r| RecordLine {
            id: r.id.get(),
            school: r.school_name,
            college: [r.college_name, r.major_name]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" / "),
            class_id: r.class.map(|c| c.get()),
            class: r.class_name.unwrap_or_default(),
            level: r.level.label(),
            years: span(r.enrolment_year, r.graduation_year),
            source: r.source_ref.unwrap_or(r.source_label),
        })
        .collect();
    let contacts = people::contacts_of_person(db, person)
        .await?
        .into_iter()
        .filter(|_| shared)
        .map(|c| ContactLine {
            kind: c.kind.label(),
            value: if unmasked {
                c.value.clone()
            } else {
                c.kind.mask(&c.value)
            },
            source: c.source_label,
            date: c.observed_on.map(|d| d.to_string()).unwrap_or_default(),
            verified: if c.verified { "是" } else { "否" },
        })
        .collect();
    let jobs = people::employments_of_person(db, person)
        .await?
        .into_iter()
        .map(|j| JobLine {
            employer: j.employer_name,
            title: j.title.unwrap_or_default(),
            city: j.city.unwrap_or_default(),
            years: if j.is_current {
                format!("{}至今", span(j.start_year, None))
            } else {
                span(j.start_year, j.end_year)
            },
        })
        .collect();
    let may_unmask =
        shared && person_in_scope(state, signed.actor(), Action::Unmask, person).await?;
    let may_decide =
        xiaoyou_app::identity::apply::may_decide(db, signed.actor(), &[person.get()]).await?;
    let merges = xiaoyou_store::identity::merges_of(db, person.get())
        .await?
        .into_iter()
        .filter(|m| m.survivor == person.get())
        .map(|m| MergeLine {
            id: m.id,
            when: (m.created_at + chrono::Duration::hours(8))
                .format("%Y-%m-%d %H:%M")
                .to_string(),
            other: m.merged,
            how: if m.kind == "manual" {
                "人工核对"
            } else {
                "自动识别"
            },
            reasons: m.reasons.unwrap_or_default(),
            undone: m.undone_at.is_some(),
        })
        .collect();
    let page = PersonPage {
        shared,
        is_self,
        consents: consent_lines,
        nav: Some(Nav::of(signed)),
        nav_csrf: signed.session.csrf_token.clone(),
        id: person.get(),
        name: record.name,
        gender: record.gender.map_or("", |g| g.label()),
        birth: record
            .birth_date
            .map(|d| d.format("%Y年%m月").to_string())
            .unwrap_or_default(),
        city: record.current_city.unwrap_or_default(),
        id_card: unmasked_id
            .or(record.id_card_masked)
            .unwrap_or_else(|| "未登记".to_owned()),
        unmasked,
        may_unmask,
        records,
        contacts,
        jobs,
        may_decide,
        merges,
    };
    Ok(Html(page.render()?))
}

/// The audited reveal of a person's full details (see `xiaoyou_app::access::reveal`).
pub async fn reveal(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
) -> Result<Option<String>, WebError> {
    Ok(access::reveal(
        state.db(),
        state.clock(),
        state.key(),
        &signed.audit_context(),
        signed.actor(),
        person,
    )
    .await?)
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<axum::response::Response, WebError> {
    use axum::response::IntoResponse;
    // A person merged into another is shown as the person they are now.
    if let Some(live) = xiaoyou_store::identity::live_person(state.db(), id).await?
        && live != id
        && person_in_scope(&state, signed.actor(), Action::View, PersonId(live)).await?
    {
        return Ok(axum::response::Redirect::to(&format!("/persons/{live}")).into_response());
    }
    Ok(render(&state, &signed, PersonId(id), None)
        .await?
        .into_response())
}

/// Shows the full ID number and contacts once, and writes an audit row before anything is shown.
pub async fn unmask(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Html<String>, WebError> {
    signed.check_csrf(&form.csrf)?;
    let person = PersonId(id);
    let id_card = reveal(&state, &signed, person).await?;
    render(
        &state,
        &signed,
        person,
        Some(id_card.unwrap_or_else(|| "未登记".to_owned())),
    )
    .await
}

/// The person's own consent choices, one checkbox per audience.
pub async fn update_consents(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<Vec<(String, String)>>,
) -> Result<Html<String>, WebError> {
    let person = PersonId(id);
    let csrf = form
        .iter()
        .find(|(k, _)| k == "csrf")
        .map(|(_, v)| v.as_str())
        .unwrap_or("");
    signed.check_csrf(csrf)?;
    if !person_in_scope(&state, signed.actor(), Action::View, person).await? {
        return Err(WebError::NotFound("该校友"));
    }
    if access::audience_for(state.db(), signed.actor(), person)
        .await?
        .is_some()
    {
        return Err(WebError::Forbidden);
    }
    let chosen: Vec<&str> = form
        .iter()
        .filter(|(k, _)| k == "share")
        .map(|(_, v)| v.as_str())
        .collect();
    let now = state.clock().now();
    let current = consents::current(state.db(), person).await?;
    let mut tx = state.db().begin().await?;
    let mut changed = Vec::new();
    for audience in ConsentAudience::ALL {
        let wanted = chosen.contains(&audience.code());
        let before = current
            .iter()
            .find(|c| c.audience == *audience)
            .map_or(audience.default_granted(), |c| c.granted);
        if wanted != before || current.iter().all(|c| c.audience != *audience) {
            consents::record(&mut tx, person, *audience, wanted, "校友本人（网页）", now).await?;
            changed.push(format!("\"{}\":[{before},{wanted}]", audience.code()));
        }
    }
    let event = Event {
        action: "update",
        target_kind: "consent",
        target_id: Some(person.to_string()),
        school: None,
        changes: Some(format!("{{{}}}", changed.join(","))),
    };
    audit::write(&mut tx, &signed.audit_context(), event, now).await?;
    tx.commit().await?;
    render(&state, &signed, person, None).await
}
