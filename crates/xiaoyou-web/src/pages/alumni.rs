//! The alumni office's own pages about people: the filtered alumni list, adding, editing and
//! deleting an alumnus, employment, the outstanding-alumni file with photos, the school's
//! outstanding alumni and its per-region contact list.

use super::files::{XLSX, download};
use super::person::{Extras, render_with};
use crate::AppState;
use crate::error::WebError;
use crate::flash::{self, Flash};
use crate::session::{Nav, Signed};
use askama::Template;
use axum::Router;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::{StatusCode, header};
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use serde::Deserialize;
use xiaoyou_app::AppError;
use xiaoyou_app::alumni::{self as office, AlumnusForm, Created, FieldErrors, JobForm, Refused};
use xiaoyou_app::export::ExportFormat;
use xiaoyou_core::{
    Action, ClassId, CollegeId, ContactKind, EmploymentId, MajorId, PersonId, SchoolId, StudyLevel,
    StudyRecordId,
};
use xiaoyou_store::alumni::{self, AlumniFilter, PhotoKind};
use xiaoyou_store::{org, people};

/// The pages of this module, merged into the application's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/alumni", get(list))
        .route("/classes/{id}/alumni/new", get(new_form))
        .route("/classes/{id}/alumni", post(create))
        .route("/persons/{id}/edit", get(edit_form).post(update))
        .route("/persons/{id}/delete", post(delete))
        .route("/persons/{id}/jobs/new", get(new_job))
        .route("/persons/{id}/jobs", post(add_job))
        .route("/persons/{id}/jobs/{job}/edit", get(edit_job))
        .route("/persons/{id}/jobs/{job}", post(correct_job))
        .route("/persons/{id}/jobs/{job}/end", post(end_job))
        .route("/persons/{id}/jobs/{job}/delete", post(delete_job))
        .route("/persons/{id}/outstanding", post(outstanding))
        .route(
            "/persons/{id}/photos",
            post(upload_photo).layer(axum::extract::DefaultBodyLimit::max(
                office::MAX_PHOTO_BYTES * 3,
            )),
        )
        .route("/persons/{id}/photos/{photo}", get(photo))
        .route("/persons/{id}/photos/{photo}/delete", post(delete_photo))
        .route("/schools/{id}/outstanding", get(outstanding_list))
        .route("/schools/{id}/regions", get(regions))
        .route("/schools/{id}/regions.xlsx", get(regions_xlsx))
}

const PAGE: i64 = 50;

fn year_text(from: Option<i32>, to: Option<i32>) -> String {
    match (from, to) {
        (Some(from), Some(to)) => format!("{from}–{to}"),
        (Some(from), None) => format!("{from}–"),
        (None, Some(to)) => format!("–{to}"),
        (None, None) => String::new(),
    }
}

// ---------------------------------------------------------------- the list

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct ListQuery {
    school: String,
    college: String,
    major: String,
    class: String,
    year: String,
    city: String,
    name: String,
    before: String,
}

fn id_of(raw: &str) -> Option<i64> {
    raw.trim().parse().ok().filter(|id: &i64| *id > 0)
}

struct ListLine {
    person: i64,
    name: String,
    gender: &'static str,
    school: String,
    college: String,
    class_id: Option<i64>,
    class: String,
    years: String,
    city: String,
}

#[derive(Template)]
#[template(path = "alumni_list.html")]
struct ListPage {
    nav: Option<Nav>,
    schools: Vec<(i64, String)>,
    colleges: Vec<(i64, String)>,
    majors: Vec<(i64, String)>,
    school: Option<i64>,
    college: Option<i64>,
    major: Option<i64>,
    class: Option<(i64, String)>,
    year: String,
    city: String,
    name: String,
    lines: Vec<ListLine>,
    /// The query string of the next page, if there is one.
    next: Option<String>,
    first_page: bool,
    /// The query string of the first page (the filters alone).
    filters: String,
}

fn query_string(pairs: &[(&str, String)]) -> String {
    pairs
        .iter()
        .filter(|(_, v)| !v.is_empty())
        .map(|(k, v)| format!("{k}={}", url_encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

fn url_encode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// The alumni within the actor's scope, filtered, newest records first, fifty a page.
pub async fn list(
    State(state): State<AppState>,
    signed: Signed,
    Query(query): Query<ListQuery>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let actor = signed.actor();
    let scope = actor.scope(Action::View);
    let reached = office::schools_reached(db, scope).await?;
    let schools: Vec<(i64, String)> = org::list_schools(db)
        .await?
        .into_iter()
        .filter(|s| scope.all || reached.contains(&s.id))
        .map(|s| (s.id.get(), s.name))
        .collect();
    // A filter naming something outside the scope finds nothing; the scope is applied anyway.
    let school = id_of(&query.school).filter(|id| schools.iter().any(|(s, _)| s == id));
    let school = school.or_else(|| (schools.len() == 1).then(|| schools[0].0));
    let mut colleges = Vec::new();
    let mut majors = Vec::new();
    if let Some(school) = school {
        for college in org::list_colleges(db, SchoolId(school)).await? {
            if scope.covers_college(college.school, college.id) {
                colleges.push((college.id.get(), college.name));
            }
        }
        for major in org::list_majors_of_school(db, SchoolId(school)).await? {
            if colleges.iter().any(|(c, _)| *c == major.college.get()) {
                majors.push((major.id.get(), major.name));
            }
        }
    }
    let college = id_of(&query.college).filter(|id| colleges.iter().any(|(c, _)| c == id));
    let major = id_of(&query.major).filter(|id| majors.iter().any(|(m, _)| m == id));
    let class = match id_of(&query.class) {
        Some(id) => match xiaoyou_app::access::visible_class(db, actor, ClassId(id)).await {
            Ok(class) => Some((class.id.get(), class.name)),
            Err(AppError::NotFound(_)) => None,
            Err(e) => return Err(e.into()),
        },
        None => None,
    };
    let year = query.year.trim().parse::<i32>().ok();
    let filter = AlumniFilter {
        school: school.map(SchoolId),
        college: college.map(CollegeId),
        major: major.map(MajorId),
        class: class.as_ref().map(|(id, _)| ClassId(*id)),
        graduation_year: year,
        city: Some(query.city.trim().to_owned()).filter(|c| !c.is_empty()),
        name: Some(query.name.trim().to_owned()).filter(|n| !n.is_empty()),
        before: id_of(&query.before).map(StudyRecordId),
        limit: PAGE + 1,
    };
    let mut found = alumni::list(db, scope, &filter).await?;
    let more = found.len() > PAGE as usize;
    found.truncate(PAGE as usize);
    let filter_pairs = vec![
        ("school", school.map(|s| s.to_string()).unwrap_or_default()),
        (
            "college",
            college.map(|c| c.to_string()).unwrap_or_default(),
        ),
        ("major", major.map(|m| m.to_string()).unwrap_or_default()),
        (
            "class",
            class
                .as_ref()
                .map(|(c, _)| c.to_string())
                .unwrap_or_default(),
        ),
        ("year", year.map(|y| y.to_string()).unwrap_or_default()),
        ("city", query.city.trim().to_owned()),
        ("name", query.name.trim().to_owned()),
    ];
    let next = match (more, found.last()) {
        (true, Some(last)) => {
            let mut pairs = filter_pairs.clone();
            pairs.push(("before", last.record.get().to_string()));
            Some(query_string(&pairs))
        }
        _ => None,
    };
    let page = ListPage {
        nav: Some(Nav::of(&signed)),
        schools,
        colleges,
        majors,
        school,
        college,
        major,
        class,
        year: year.map(|y| y.to_string()).unwrap_or_default(),
        city: query.city.trim().to_owned(),
        name: query.name.trim().to_owned(),
        lines: found
            .into_iter()
            .map(|l| ListLine {
                person: l.person.get(),
                gender: l.gender.map_or("", |g| g.label()),
                school: l.school_name,
                college: [l.college_name, l.major_name]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" / "),
                class_id: l.class.map(|c| c.get()),
                class: l.class_name.unwrap_or_default(),
                years: year_text(l.enrolment_year, l.graduation_year),
                city: l.city.unwrap_or_default(),
                name: l.name,
            })
            .collect(),
        next,
        first_page: filter.before.is_none(),
        filters: query_string(&filter_pairs),
    };
    Ok(Html(page.render()?))
}

// ---------------------------------------------------------------- add and edit

#[derive(Template)]
#[template(path = "alumnus_form.html")]
struct FormPage {
    nav: Option<Nav>,
    csrf: String,
    heading: String,
    action: String,
    cancel: String,
    class_name: String,
    school_name: String,
    form: AlumnusForm,
    errors: FieldErrors,
    /// On edit: the masked ID number on record.
    id_card_on_record: Option<String>,
    /// A person with this ID number already exists: where to find them.
    exists: Option<(i64, String)>,
    levels: Vec<&'static str>,
    editing: bool,
}

impl FormPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn autofocus(&self, field: &str) -> bool {
        self.errors.first() == Some(field)
            || (self.errors.is_empty() && self.exists.is_some() && field == "id_card")
            || (self.errors.is_empty() && self.exists.is_none() && field == "name")
    }
}

fn levels() -> Vec<&'static str> {
    StudyLevel::ALL.iter().map(|l| l.label()).collect()
}

#[derive(Debug, Deserialize)]
pub struct Posted {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: AlumnusForm,
}

async fn class_form(
    state: &AppState,
    signed: &Signed,
    class: i64,
    form: AlumnusForm,
    errors: FieldErrors,
    exists: Option<(i64, String)>,
) -> Result<Html<String>, WebError> {
    let class = office::editable_class(state.db(), signed.actor(), ClassId(class)).await?;
    let school = org::get_school(state.db(), class.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    let page = FormPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        heading: format!("添加校友 · {}", class.name),
        action: format!("/classes/{}/alumni", class.id),
        cancel: format!("/classes/{}", class.id),
        class_name: class.name,
        school_name: school.name,
        form,
        errors,
        id_card_on_record: None,
        exists,
        levels: levels(),
        editing: false,
    };
    Ok(Html(page.render()?))
}

pub async fn new_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let class = office::editable_class(state.db(), signed.actor(), ClassId(id)).await?;
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
    let form = AlumnusForm {
        enrolment_year: year(class.enrolment_year),
        graduation_year: year(class.graduation_year),
        ..AlumnusForm::default()
    };
    class_form(&state, &signed, id, form, FieldErrors::default(), None).await
}

pub async fn create(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(posted): axum::Form<Posted>,
) -> Result<Response, WebError> {
    signed.check_csrf(&posted.csrf)?;
    let key = state.key().ok_or(WebError::KeyMissing)?;
    let outcome = office::create(
        state.db(),
        state.clock(),
        key,
        &signed.audit_context(),
        signed.actor(),
        ClassId(id),
        &posted.form,
    )
    .await?;
    if outcome.is_ok() {
        // The school and college dashboards list recently changed alumni.
        state.dashboards().clear();
    }
    match outcome {
        Ok(Created::New { person }) => Ok(flash::redirect(
            &format!("/persons/{person}"),
            Flash::success(format!("已添加校友“{}”", posted.form.name.trim())),
            state.secure_cookies(),
        )),
        Ok(Created::Linked { person }) => Ok(flash::redirect(
            &format!("/persons/{person}"),
            Flash::success(format!(
                "该身份证号的校友已在其他学校登记，已把本班学籍记录加入其名下：“{}”",
                posted.form.name.trim()
            )),
            state.secure_cookies(),
        )),
        Err(refused) => {
            let (errors, exists) = match refused {
                Refused::Invalid(errors) => (errors, None),
                Refused::Exists { person, name } => {
                    (FieldErrors::default(), Some((person.get(), name)))
                }
            };
            let page = class_form(&state, &signed, id, posted.form, errors, exists).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RecordQuery {
    record: String,
}

async fn edit_page(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    record: Option<i64>,
    form: Option<AlumnusForm>,
    errors: FieldErrors,
    exists: Option<(i64, String)>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let records = office::editable_records(db, signed.actor(), person).await?;
    let record = match record {
        Some(id) => records
            .into_iter()
            .find(|r| r.id.get() == id)
            .ok_or(WebError::NotFound("该学籍记录"))?,
        None => records
            .into_iter()
            .next()
            .ok_or(WebError::NotFound("该学籍记录"))?,
    };
    let form = match form {
        Some(form) => form,
        None => office::form_of(db, person, &record).await?,
    };
    let found = people::get_person(db, person)
        .await?
        .ok_or(WebError::NotFound("该校友"))?;
    let page = FormPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        heading: format!("编辑校友 · {}", found.name),
        action: format!("/persons/{person}/edit?record={}", record.id),
        cancel: format!("/persons/{person}"),
        class_name: record.class_name.clone().unwrap_or_default(),
        school_name: record.school_name.clone(),
        form,
        errors,
        id_card_on_record: found.id_card_masked,
        exists,
        levels: levels(),
        editing: true,
    };
    Ok(Html(page.render()?))
}

pub async fn edit_form(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<RecordQuery>,
) -> Result<Html<String>, WebError> {
    edit_page(
        &state,
        &signed,
        PersonId(id),
        id_of(&query.record),
        None,
        FieldErrors::default(),
        None,
    )
    .await
}

pub async fn update(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<RecordQuery>,
    axum::Form(posted): axum::Form<Posted>,
) -> Result<Response, WebError> {
    signed.check_csrf(&posted.csrf)?;
    let key = state.key().ok_or(WebError::KeyMissing)?;
    let person = PersonId(id);
    let record = match id_of(&query.record) {
        Some(record) => StudyRecordId(record),
        None => office::editable_records(state.db(), signed.actor(), person)
            .await?
            .first()
            .map(|r| r.id)
            .ok_or(WebError::NotFound("该学籍记录"))?,
    };
    let outcome = office::update(
        state.db(),
        state.clock(),
        key,
        &signed.audit_context(),
        signed.actor(),
        person,
        record,
        &posted.form,
    )
    .await?;
    if outcome.is_ok() {
        state.dashboards().clear();
    }
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/persons/{person}"),
            Flash::success(format!("已保存校友“{}”的信息", posted.form.name.trim())),
            state.secure_cookies(),
        )),
        Err(refused) => {
            let (errors, exists) = match refused {
                Refused::Invalid(errors) => (errors, None),
                Refused::Exists { person, name } => {
                    (FieldErrors::default(), Some((person.get(), name)))
                }
            };
            let page = edit_page(
                &state,
                &signed,
                person,
                Some(record.get()),
                Some(posted.form),
                errors,
                exists,
            )
            .await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

#[derive(Debug, Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

pub async fn delete(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let deleted = office::delete(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        PersonId(id),
    )
    .await?;
    state.dashboards().clear();
    let text = if deleted.person {
        format!("已删除校友“{}”及其全部信息", deleted.name)
    } else {
        format!(
            "已删除校友“{}”在您管理范围内的 {} 条学籍记录；其在其他学校的记录仍保留",
            deleted.name, deleted.records
        )
    };
    Ok(flash::redirect(
        &format!("/alumni?school={}", deleted.school),
        Flash::success(text),
        state.secure_cookies(),
    ))
}

// ---------------------------------------------------------------- employment

#[derive(Template)]
#[template(path = "job_form.html")]
struct JobPage {
    nav: Option<Nav>,
    csrf: String,
    person: i64,
    person_name: String,
    action: String,
    heading: &'static str,
    form: JobForm,
    errors: FieldErrors,
}

impl JobPage {
    fn error(&self, field: &str) -> Option<&str> {
        self.errors.get(field)
    }

    fn autofocus(&self, field: &str) -> bool {
        self.errors
            .first()
            .map_or(field == "employer", |f| f == field)
    }
}

async fn job_page(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    job: Option<EmploymentId>,
    form: Option<JobForm>,
    errors: FieldErrors,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    office::editable_records(db, signed.actor(), person).await?;
    let found = people::get_person(db, person)
        .await?
        .ok_or(WebError::NotFound("该校友"))?;
    let form = match (form, job) {
        (Some(form), _) => form,
        (None, Some(job)) => {
            let Some((owner, j)) = people::get_employment(db, job).await? else {
                return Err(WebError::NotFound("该工作经历"));
            };
            if owner != person {
                return Err(WebError::NotFound("该工作经历"));
            }
            let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
            JobForm {
                employer: j.employer_name,
                title: j.title.unwrap_or_default(),
                city: j.city.unwrap_or_default(),
                start_year: year(j.start_year),
                end_year: year(j.end_year),
                current: if j.is_current { "1" } else { "" }.to_owned(),
            }
        }
        (None, None) => JobForm {
            current: "1".to_owned(),
            ..JobForm::default()
        },
    };
    let page = JobPage {
        nav: Some(Nav::of(signed)),
        csrf: signed.session.csrf_token.clone(),
        person: person.get(),
        person_name: found.name,
        action: match job {
            Some(job) => format!("/persons/{person}/jobs/{job}"),
            None => format!("/persons/{person}/jobs"),
        },
        heading: if job.is_some() {
            "修改工作经历"
        } else {
            "添加工作经历"
        },
        form,
        errors,
    };
    Ok(Html(page.render()?))
}

pub async fn new_job(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    job_page(
        &state,
        &signed,
        PersonId(id),
        None,
        None,
        FieldErrors::default(),
    )
    .await
}

pub async fn edit_job(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, job)): Path<(i64, i64)>,
) -> Result<Html<String>, WebError> {
    job_page(
        &state,
        &signed,
        PersonId(id),
        Some(EmploymentId(job)),
        None,
        FieldErrors::default(),
    )
    .await
}

#[derive(Debug, Deserialize)]
pub struct PostedJob {
    #[serde(default)]
    csrf: String,
    #[serde(flatten)]
    form: JobForm,
}

async fn save_job(
    state: &AppState,
    signed: &Signed,
    person: PersonId,
    job: Option<EmploymentId>,
    posted: PostedJob,
) -> Result<Response, WebError> {
    signed.check_csrf(&posted.csrf)?;
    let outcome = office::save_job(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        person,
        job,
        &posted.form,
    )
    .await?;
    match outcome {
        Ok(()) => Ok(flash::redirect(
            &format!("/persons/{person}#jobs"),
            Flash::success(format!(
                "已{}工作经历：{}",
                if job.is_some() { "修改" } else { "添加" },
                posted.form.employer.trim()
            )),
            state.secure_cookies(),
        )),
        Err(errors) => {
            let page = job_page(state, signed, person, job, Some(posted.form), errors).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn add_job(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(posted): axum::Form<PostedJob>,
) -> Result<Response, WebError> {
    save_job(&state, &signed, PersonId(id), None, posted).await
}

pub async fn correct_job(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, job)): Path<(i64, i64)>,
    axum::Form(posted): axum::Form<PostedJob>,
) -> Result<Response, WebError> {
    save_job(
        &state,
        &signed,
        PersonId(id),
        Some(EmploymentId(job)),
        posted,
    )
    .await
}

async fn end_or_delete(
    state: &AppState,
    signed: &Signed,
    person: i64,
    job: i64,
    delete: bool,
) -> Result<Response, WebError> {
    let employer = office::end_or_delete_job(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        PersonId(person),
        EmploymentId(job),
        delete,
    )
    .await?;
    Ok(flash::redirect(
        &format!("/persons/{person}#jobs"),
        Flash::success(if delete {
            format!("已删除工作经历：{employer}")
        } else {
            format!("已记为离职：{employer}")
        }),
        state.secure_cookies(),
    ))
}

pub async fn end_job(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, job)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    end_or_delete(&state, &signed, id, job, false).await
}

pub async fn delete_job(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, job)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    end_or_delete(&state, &signed, id, job, true).await
}

// ---------------------------------------------------------------- outstanding file, photos

#[derive(Debug, Deserialize)]
pub struct AchievementsForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    achievements: String,
}

pub async fn outstanding(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    axum::Form(form): axum::Form<AchievementsForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let person = PersonId(id);
    let outcome = office::set_outstanding(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        person,
        &form.achievements,
    )
    .await?;
    match outcome {
        Ok(marked) => Ok(flash::redirect(
            &format!("/persons/{person}#outstanding"),
            Flash::success(if marked {
                "已保存优秀校友档案"
            } else {
                "已取消优秀校友"
            }),
            state.secure_cookies(),
        )),
        Err(errors) => {
            let extras = Extras {
                achievements_error: errors.get("achievements").map(str::to_owned),
                ..Extras::default()
            };
            let page = render_with(&state, &signed, person, None, extras).await?;
            Ok((StatusCode::UNPROCESSABLE_ENTITY, page).into_response())
        }
    }
}

pub async fn upload_photo(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Result<Response, WebError> {
    let person = PersonId(id);
    let mut csrf = String::new();
    let mut kind = PhotoKind::Personal;
    let mut bytes: Option<Vec<u8>> = None;
    let mut too_large = false;
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => break,
            // The body limit cuts a far too large upload short.
            Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                too_large = true;
                break;
            }
            Err(_) => return Err(WebError::BadUpload),
        };
        match field.name() {
            Some("csrf") => csrf = field.text().await.map_err(|_| WebError::BadUpload)?,
            Some("kind") => {
                let text = field.text().await.map_err(|_| WebError::BadUpload)?;
                kind = PhotoKind::parse(&text).unwrap_or(PhotoKind::Personal);
            }
            Some("file") => match field.bytes().await {
                Ok(data) => bytes = Some(data.to_vec()),
                Err(e) if e.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                    too_large = true;
                    break;
                }
                Err(_) => return Err(WebError::BadUpload),
            },
            _ => {}
        }
    }
    if !too_large {
        signed.check_csrf(&csrf)?;
    }
    let refused = if too_large {
        // Check the scope before saying anything about the person.
        office::editable_records(state.db(), signed.actor(), person).await?;
        Some(office::PhotoRefused::TooLarge)
    } else {
        office::upload_photo(
            state.db(),
            state.clock(),
            &signed.audit_context(),
            signed.actor(),
            person,
            kind,
            bytes.as_deref().unwrap_or_default(),
        )
        .await?
        .err()
    };
    match refused {
        None => Ok(flash::redirect(
            &format!("/persons/{person}#outstanding"),
            Flash::success(format!("已上传{}", kind.label())),
            state.secure_cookies(),
        )),
        Some(refused) => {
            let extras = Extras {
                photo_error: Some(refused.to_string()),
                ..Extras::default()
            };
            let page = render_with(&state, &signed, person, None, extras).await?;
            let status = match refused {
                office::PhotoRefused::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
                office::PhotoRefused::NotAnImage => StatusCode::UNSUPPORTED_MEDIA_TYPE,
                office::PhotoRefused::Empty => StatusCode::UNPROCESSABLE_ENTITY,
            };
            Ok((status, page).into_response())
        }
    }
}

/// A photo, to those who may see the person. Photos never change (a new one gets a new id),
/// so the browser keeps them; privately, as they are personal data.
pub async fn photo(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, photo)): Path<(i64, i64)>,
) -> Result<Response, WebError> {
    let (content_type, bytes) =
        office::photo_for(state.db(), signed.actor(), PersonId(id), photo).await?;
    Ok((
        [
            (header::CONTENT_TYPE, content_type),
            (
                header::CACHE_CONTROL,
                "private, max-age=86400, immutable".to_owned(),
            ),
            (
                header::CONTENT_DISPOSITION,
                format!("inline; filename=\"photo-{photo}\""),
            ),
        ],
        bytes,
    )
        .into_response())
}

pub async fn delete_photo(
    State(state): State<AppState>,
    signed: Signed,
    Path((id, photo)): Path<(i64, i64)>,
    axum::Form(form): axum::Form<CsrfOnly>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    office::delete_photo(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        PersonId(id),
        photo,
    )
    .await?;
    Ok(flash::redirect(
        &format!("/persons/{id}#outstanding"),
        Flash::success("已删除照片"),
        state.secure_cookies(),
    ))
}

// ---------------------------------------------------------------- lists of a school

struct OutstandingEntry {
    person: i64,
    name: String,
    achievements: String,
    study: String,
    job: String,
    photo: Option<i64>,
}

#[derive(Template)]
#[template(path = "outstanding.html")]
struct OutstandingPage {
    nav: Option<Nav>,
    school_id: i64,
    school_name: String,
    entries: Vec<OutstandingEntry>,
}

/// The school's outstanding alumni (优秀校友), within the actor's scope.
pub async fn outstanding_list(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let school = office::reached_school(db, signed.actor(), Action::View, SchoolId(id)).await?;
    let entries = alumni::outstanding_of_school(db, signed.actor().scope(Action::View), school.id)
        .await?
        .into_iter()
        .map(|o| OutstandingEntry {
            person: o.person.get(),
            study: [
                o.college_name,
                o.major_name,
                o.class_name,
                Some(year_text(o.enrolment_year, o.graduation_year)).filter(|y| !y.is_empty()),
            ]
            .into_iter()
            .flatten()
            .collect::<Vec<_>>()
            .join(" · "),
            job: [o.employer, o.title]
                .into_iter()
                .flatten()
                .collect::<Vec<_>>()
                .join(" · "),
            name: o.name,
            achievements: o.achievements,
            photo: o.photo,
        })
        .collect();
    let page = OutstandingPage {
        nav: Some(Nav::of(&signed)),
        school_id: school.id.get(),
        school_name: school.name,
        entries,
    };
    Ok(Html(page.render()?))
}

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct RegionQuery {
    region: Option<String>,
}

struct RegionCount {
    region: String,
    label: String,
    count: i64,
}

struct RegionLine {
    person: i64,
    name: String,
    study: String,
    mobile: String,
    job: String,
}

#[derive(Template)]
#[template(path = "regions.html")]
struct RegionsPage {
    nav: Option<Nav>,
    school_id: i64,
    school_name: String,
    counts: Vec<RegionCount>,
    total: i64,
    /// The region shown, with its people.
    selected: Option<(String, String)>,
    lines: Vec<RegionLine>,
    /// More alumni live in the region than the page shows.
    cut: bool,
    may_export: bool,
}

impl RegionsPage {
    fn link(&self, region: &str) -> String {
        format!(
            "/schools/{}/regions?region={}",
            self.school_id,
            url_encode(region)
        )
    }
}

/// Shown at most on one region's page; the export has everyone.
const REGION_PAGE_LINES: i64 = 200;

/// The per-region contact list (分地区通讯录): counts per city, one city's alumni with masked
/// phones, and the whole list as an audited, masked Excel export.
pub async fn regions(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Query(query): Query<RegionQuery>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let actor = signed.actor();
    let school = office::reached_school(db, actor, Action::View, SchoolId(id)).await?;
    let scope = actor.scope(Action::View);
    let counts: Vec<RegionCount> = state
        .dashboards()
        .region_counts(db, scope, school.id)
        .await?
        .iter()
        .map(|(region, count)| RegionCount {
            label: office::region_label(region).to_owned(),
            region: region.clone(),
            count: *count,
        })
        .collect();
    let total = counts.iter().map(|c| c.count).sum();
    let selected = query
        .region
        .as_deref()
        .and_then(|r| counts.iter().find(|c| c.region == r))
        .map(|c| (c.region.clone(), c.label.clone()));
    let lines = match &selected {
        Some((region, _)) => {
            alumni::region_entries(db, scope, school.id, Some(region), REGION_PAGE_LINES)
                .await?
                .into_iter()
                .map(|e| RegionLine {
                    person: e.person.get(),
                    name: e.name,
                    study: [
                        e.college_name,
                        e.class_name,
                        e.graduation_year.map(|y| format!("{y}届")),
                    ]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join(" · "),
                    mobile: e
                        .mobile
                        .as_deref()
                        .map(|m| ContactKind::Mobile.mask(m))
                        .unwrap_or_default(),
                    job: [e.employer, e.title]
                        .into_iter()
                        .flatten()
                        .collect::<Vec<_>>()
                        .join(" · "),
                })
                .collect()
        }
        None => Vec::new(),
    };
    let cut = selected.as_ref().is_some_and(|(region, _)| {
        counts
            .iter()
            .any(|c| &c.region == region && c.count > REGION_PAGE_LINES)
    });
    let may_export =
        office::scope_reaches_school(db, actor.scope(Action::Export), school.id).await?;
    let page = RegionsPage {
        nav: Some(Nav::of(&signed)),
        school_id: school.id.get(),
        school_name: school.name,
        counts,
        total,
        selected,
        lines,
        cut,
        may_export,
    };
    Ok(Html(page.render()?))
}

pub async fn regions_xlsx(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let file = office::region_export(
        state.db(),
        state.clock(),
        &signed.audit_context(),
        signed.actor(),
        SchoolId(id),
        ExportFormat::Xlsx,
    )
    .await?;
    Ok(download(file, XLSX))
}
