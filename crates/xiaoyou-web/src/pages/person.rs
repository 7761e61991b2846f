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
use xiaoyou_store::{alumni, consents, people, talent};

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
    id: i64,
    employer: String,
    title: String,
    city: String,
    years: String,
    current: bool,
}

struct PhotoLine {
    id: i64,
    kind: &'static str,
    school: String,
    /// May the actor delete it (an editor of its school).
    removable: bool,
}

struct MarkLine {
    school: String,
    achievements: String,
    date: String,
}

struct AppointmentLine {
    kind: &'static str,
    school: String,
    dates: String,
    note: String,
}

struct TalentLine {
    category: &'static str,
    honours: String,
    expertise: String,
    summary: String,
    chains: String,
}

/// What the page offers beyond reading, and a problem with the last photo upload.
#[derive(Default)]
pub struct Extras {
    pub photo_error: Option<String>,
    pub achievements_error: Option<String>,
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
    /// The first study record the actor may edit (the edit link), if any.
    edit_record: Option<i64>,
    may_edit: bool,
    talent: Option<TalentLine>,
    appointments: Vec<AppointmentLine>,
    marks: Vec<MarkLine>,
    /// The achievements in the actor's own school file, for the form.
    own_achievements: String,
    photos: Vec<PhotoLine>,
    photo_kinds: Vec<(&'static str, &'static str)>,
    extras: Extras,
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
    render_with(state, signed, person, unmasked_id, Extras::default()).await
}

/// The person page, with a problem of the last form shown next to its field.
pub async fn render_with(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    unmasked_id: Option<String>,
    extras: Extras,
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
    // The page's lists do not depend on each other: read them at once (on PostgreSQL each is
    // a round trip of its own).
    let (
        record_rows,
        contact_rows,
        job_rows,
        merge_rows,
        schools,
        profile,
        appointment_rows,
        marks_found,
        photo_rows,
    ) = tokio::try_join!(
        people::study_records_of_person(db, person),
        people::contacts_of_person(db, person),
        people::employments_of_person(db, person),
        xiaoyou_store::identity::merges_of(db, person.get()),
        xiaoyou_store::org::list_schools(db),
        talent::get_profile(db, person),
        talent::appointments_of_person(db, person),
        alumni::marks_of_person(db, person),
        alumni::photos_of_person(db, person),
    )?;
    let records = record_rows
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
    let contacts = contact_rows
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
    let jobs = job_rows
        .into_iter()
        .map(|j| JobLine {
            id: j.id.get(),
            current: j.is_current,
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
    let merges = merge_rows
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
    let editable = match xiaoyou_app::alumni::editable_records(db, signed.actor(), person).await {
        Ok(records) => records,
        Err(xiaoyou_app::AppError::Forbidden) => Vec::new(),
        Err(e) => return Err(e.into()),
    };
    let edit_schools: Vec<_> = editable.iter().map(|r| r.school).collect();
    let school_name = |id: xiaoyou_core::SchoolId| {
        schools
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let talent = match profile {
        Some(profile) => {
            let chains = xiaoyou_store::chains::list(db, state.province()).await?;
            Some(TalentLine {
                category: profile.category.label(),
                honours: profile.honours.unwrap_or_default(),
                expertise: profile.expertise.unwrap_or_default(),
                summary: profile.summary.unwrap_or_default(),
                chains: chains
                    .iter()
                    .filter(|c| profile.chains.contains(&c.id))
                    .map(|c| c.name.clone())
                    .collect::<Vec<_>>()
                    .join("、"),
            })
        }
        None => None,
    };
    let appointments = appointment_rows
        .into_iter()
        .map(|a| AppointmentLine {
            kind: a.kind.label(),
            school: school_name(a.school),
            dates: match (a.start_date, a.end_date) {
                (Some(from), Some(to)) => format!("{from} 至 {to}"),
                (Some(from), None) => format!("{from} 起"),
                (None, Some(to)) => format!("至 {to}"),
                (None, None) => String::new(),
            },
            note: a.note.unwrap_or_default(),
        })
        .collect();
    let own_achievements = marks_found
        .iter()
        .find(|m| edit_schools.first() == Some(&m.school))
        .map(|m| m.achievements.clone())
        .unwrap_or_default();
    let marks = marks_found
        .into_iter()
        .map(|m| MarkLine {
            school: m.school_name,
            achievements: m.achievements,
            date: (m.updated_at + chrono::Duration::hours(8))
                .format("%Y-%m-%d")
                .to_string(),
        })
        .collect();
    let photos = photo_rows
        .into_iter()
        .map(|p| PhotoLine {
            id: p.id,
            kind: p.kind.label(),
            school: school_name(p.school),
            removable: edit_schools.contains(&p.school),
        })
        .collect();
    let page = PersonPage {
        edit_record: editable.first().map(|r| r.id.get()),
        may_edit: !editable.is_empty(),
        talent,
        appointments,
        marks,
        own_achievements,
        photos,
        photo_kinds: alumni::PhotoKind::ALL
            .iter()
            .map(|k| (k.code(), k.label()))
            .collect(),
        extras,
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
