//! Managing the organisation tree in the browser: schools (province-level roles), colleges and
//! their history page (学院简史), majors and classes, within the actor's scope. Forms are
//! checked by `xiaoyou_app::orgtree`; a form with problems comes back with each message next
//! to its field and nothing saved; a saved form redirects with a one-time message.

use super::login::CsrfForm;
use crate::AppState;
use crate::error::WebError;
use crate::flash::{self, Flash};
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Form, Router};
use serde::Deserialize;
use xiaoyou_app::audit::AuditContext;
use xiaoyou_app::orgtree::{
    self, ClassInput, Ctx, FieldErrors, HistoryInput, OrgError, SchoolInput,
};
use xiaoyou_core::{ClassId, CollegeId, ContactKind, MajorId, SchoolId, SchoolKind};
use xiaoyou_store::org::{Class, College, School};
use xiaoyou_store::{org, orgtree as tree, regions};

/// The routes of this module, merged into the application's router.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/schools/new", get(new_school).post(create_school))
        .route("/schools/{id}/edit", get(edit_school).post(update_school))
        .route(
            "/schools/{id}/colleges/new",
            get(new_college).post(create_college),
        )
        .route(
            "/colleges/{id}/edit",
            get(edit_college).post(rename_college),
        )
        .route("/colleges/{id}/delete", post(delete_college))
        .route("/colleges/{id}/history", get(history))
        .route(
            "/colleges/{id}/history/edit",
            get(edit_history).post(save_history),
        )
        .route(
            "/colleges/{id}/majors/new",
            get(new_major).post(create_major),
        )
        .route("/majors/{id}/edit", get(edit_major).post(rename_major))
        .route("/majors/{id}/delete", post(delete_major))
        .route(
            "/colleges/{id}/classes/new",
            get(new_class).post(create_class),
        )
        .route("/classes/{id}/edit", get(edit_class).post(update_class))
        .route("/classes/{id}/delete", post(delete_class))
}

// ---------------------------------------------------------------- breadcrumbs

/// One step of the breadcrumb trail; the last one is the current page.
#[derive(Debug, Clone)]
pub struct Crumb {
    pub href: String,
    pub label: String,
}

impl Crumb {
    pub fn link(href: impl Into<String>, label: impl Into<String>) -> Crumb {
        Crumb {
            href: href.into(),
            label: label.into(),
        }
    }

    pub fn here(label: impl Into<String>) -> Crumb {
        Crumb::link(String::new(), label)
    }
}

/// The trail down the organisation tree: province › city › school › college › class, each a
/// link (the city is plain text: it has no page of its own).
pub async fn trail(
    state: &AppState,
    school: &School,
    college: Option<&College>,
    class: Option<&Class>,
) -> Result<Vec<Crumb>, WebError> {
    let db = state.db();
    let mut crumbs = vec![Crumb::link("/", super::province_name(state).await?)];
    if let Some(city) = regions::get(db, school.city).await? {
        crumbs.push(Crumb::here(city.name));
    }
    crumbs.push(Crumb::link(
        format!("/schools/{}", school.id),
        school.name.clone(),
    ));
    if let Some(college) = college {
        crumbs.push(Crumb::link(
            format!("/colleges/{}", college.id),
            college.name.clone(),
        ));
    }
    if let Some(class) = class {
        crumbs.push(Crumb::link(
            format!("/classes/{}", class.id),
            class.name.clone(),
        ));
    }
    Ok(crumbs)
}

/// The trail ending in a page that is not a node (a form, the history page).
fn ending(mut crumbs: Vec<Crumb>, here: &str) -> Vec<Crumb> {
    crumbs.push(Crumb::here(here));
    crumbs
}

// ---------------------------------------------------------------- the form page

/// One field of a form, with its message when the last submission was refused.
pub struct Field {
    name: &'static str,
    label: &'static str,
    /// `text`, `tel`, `number`, `textarea`, `select` or `checkbox`.
    kind: &'static str,
    value: String,
    options: Vec<(String, String)>,
    hint: String,
    required: bool,
    error: Option<String>,
    /// The first field with a problem takes the focus.
    focus: bool,
    rows: usize,
}

impl Field {
    fn new(name: &'static str, label: &'static str, kind: &'static str, value: &str) -> Field {
        Field {
            name,
            label,
            kind,
            value: value.to_owned(),
            options: Vec::new(),
            hint: String::new(),
            required: false,
            error: None,
            focus: false,
            rows: 4,
        }
    }

    fn required(mut self) -> Field {
        self.required = true;
        self
    }

    fn hint(mut self, hint: impl Into<String>) -> Field {
        self.hint = hint.into();
        self
    }

    fn options(mut self, options: Vec<(String, String)>) -> Field {
        self.options = options;
        self
    }

    fn rows(mut self, rows: usize) -> Field {
        self.rows = rows;
        self
    }

    fn describedby(&self) -> String {
        let mut ids = Vec::new();
        if self.error.is_some() {
            ids.push(format!("e-{}", self.name));
        }
        if !self.hint.is_empty() {
            ids.push(format!("h-{}", self.name));
        }
        ids.join(" ")
    }
}

#[derive(Template)]
#[template(path = "org_form.html")]
struct FormPage {
    nav: Option<Nav>,
    crumbs: Vec<Crumb>,
    heading: String,
    intro: String,
    action: String,
    submit: &'static str,
    cancel: String,
    csrf: String,
    fields: Vec<Field>,
    error_count: usize,
}

struct FormSpec {
    crumbs: Vec<Crumb>,
    heading: String,
    intro: String,
    action: String,
    submit: &'static str,
    cancel: String,
}

fn render_form(
    signed: &Signed,
    spec: FormSpec,
    mut fields: Vec<Field>,
    errors: Option<&FieldErrors>,
) -> Result<Response, WebError> {
    let mut error_count = 0;
    if let Some(errors) = errors {
        for field in &mut fields {
            field.error = errors.get(field.name).map(str::to_owned);
            if field.error.is_some() {
                field.focus = error_count == 0;
                error_count += 1;
            }
        }
    }
    let page = FormPage {
        nav: Some(Nav::of(signed)),
        crumbs: spec.crumbs,
        heading: spec.heading,
        intro: spec.intro,
        action: spec.action,
        submit: spec.submit,
        cancel: spec.cancel,
        csrf: signed.session.csrf_token.clone(),
        fields,
        error_count,
    };
    let status = if errors.is_some() {
        StatusCode::UNPROCESSABLE_ENTITY
    } else {
        StatusCode::OK
    };
    Ok((status, Html(page.render()?)).into_response())
}

/// Who acts: the signed-in actor with the request's audit context.
struct Acting<'a> {
    state: &'a AppState,
    audit: AuditContext,
    signed: &'a Signed,
}

impl<'a> Acting<'a> {
    fn new(state: &'a AppState, signed: &'a Signed) -> Acting<'a> {
        Acting {
            state,
            audit: signed.audit_context(),
            signed,
        }
    }

    fn ctx(&self) -> Ctx<'_> {
        Ctx {
            db: self.state.db(),
            clock: self.state.clock(),
            audit: &self.audit,
            actor: self.signed.actor(),
        }
    }
}

/// What an [`OrgError`] other than a form problem answers.
fn refused(state: &AppState, error: OrgError, back: &str) -> Response {
    match error {
        OrgError::NotEmpty(message) => {
            flash::redirect(back, Flash::warning(message), state.secure_cookies())
        }
        OrgError::App(error) => WebError::from(error).into_response(),
        OrgError::Invalid(errors) => {
            let message = errors
                .iter()
                .map(|(_, m)| m.to_owned())
                .collect::<Vec<_>>()
                .join("；");
            flash::redirect(back, Flash::warning(message), state.secure_cookies())
        }
    }
}

fn saved(state: &AppState, to: &str, message: String) -> Response {
    state.dashboards().clear();
    flash::redirect(to, Flash::success(message), state.secure_cookies())
}

fn forbidden_unless(allowed: bool) -> Result<(), WebError> {
    if allowed {
        Ok(())
    } else {
        Err(WebError::Forbidden)
    }
}

/// Turns the app layer's refusal of an object into the page's answer.
fn org_error(error: OrgError) -> WebError {
    match error {
        OrgError::App(error) => WebError::from(error),
        OrgError::NotEmpty(message) => WebError::App(xiaoyou_app::AppError::Invalid {
            field: "删除",
            reason: message,
        }),
        OrgError::Invalid(_) => WebError::Forbidden,
    }
}

// ---------------------------------------------------------------- schools

#[derive(Debug, Default, Deserialize)]
pub struct SchoolForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    city: String,
    #[serde(default)]
    confirm_similar: Option<String>,
}

async fn school_fields(state: &AppState, form: &SchoolForm) -> Result<Vec<Field>, WebError> {
    let mut kinds = vec![(String::new(), "请选择".to_owned())];
    kinds.extend(
        SchoolKind::ALL
            .iter()
            .map(|k| (k.code().to_owned(), k.label().to_owned())),
    );
    let mut cities = vec![(String::new(), "请选择".to_owned())];
    cities.extend(
        regions::children(state.db(), state.province())
            .await?
            .into_iter()
            .map(|r| (r.code.get().to_string(), r.name)),
    );
    Ok(vec![
        Field::new("name", "学校名称", "text", &form.name).required(),
        Field::new("kind", "学校类型", "select", &form.kind)
            .required()
            .options(kinds),
        Field::new("city", "所在市州", "select", &form.city)
            .required()
            .options(cities),
        Field::new(
            "confirm_similar",
            "确认与名称相近的已有学校不是同一所",
            "checkbox",
            if form.confirm_similar.is_some() {
                "1"
            } else {
                ""
            },
        )
        .hint("名称与已有学校相近时才需要勾选。"),
    ])
}

fn province_crumbs(name: String) -> Vec<Crumb> {
    vec![Crumb::link("/", name)]
}

async fn new_school(State(state): State<AppState>, signed: Signed) -> Result<Response, WebError> {
    forbidden_unless(signed.actor().is_province_admin())?;
    let spec = FormSpec {
        crumbs: ending(
            province_crumbs(super::province_name(&state).await?),
            "新建学校",
        ),
        heading: "新建学校".to_owned(),
        intro: "同一所学校的不同写法（繁体、全角括号、简称）会被识别为已有学校。".to_owned(),
        action: "/schools/new".to_owned(),
        submit: "保存学校",
        cancel: "/".to_owned(),
    };
    let fields = school_fields(&state, &SchoolForm::default()).await?;
    render_form(&signed, spec, fields, None)
}

fn school_input(form: &SchoolForm) -> SchoolInput<'_> {
    SchoolInput {
        name: &form.name,
        kind: &form.kind,
        city: &form.city,
        confirm_similar: form.confirm_similar.is_some(),
    }
}

async fn create_school(
    State(state): State<AppState>,
    signed: Signed,
    Form(form): Form<SchoolForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::create_school(acting.ctx(), state.province(), &school_input(&form)).await {
        Ok(school) => Ok(saved(
            &state,
            &format!("/schools/{}", school.id),
            format!("已新建学校“{}”", school.name),
        )),
        Err(OrgError::Invalid(errors)) => {
            let spec = FormSpec {
                crumbs: ending(
                    province_crumbs(super::province_name(&state).await?),
                    "新建学校",
                ),
                heading: "新建学校".to_owned(),
                intro: String::new(),
                action: "/schools/new".to_owned(),
                submit: "保存学校",
                cancel: "/".to_owned(),
            };
            let fields = school_fields(&state, &form).await?;
            render_form(&signed, spec, fields, Some(&errors))
        }
        Err(other) => Ok(refused(&state, other, "/")),
    }
}

async fn edit_school_spec(state: &AppState, school: &School) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(trail(state, school, None, None).await?, "编辑学校"),
        heading: format!("编辑学校 · {}", school.name),
        intro: String::new(),
        action: format!("/schools/{}/edit", school.id),
        submit: "保存修改",
        cancel: format!("/schools/{}", school.id),
    })
}

async fn edit_school(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let school = super::visible_school(&state, signed.actor(), id).await?;
    forbidden_unless(signed.actor().is_province_admin())?;
    let form = SchoolForm {
        name: school.name.clone(),
        kind: school.kind.code().to_owned(),
        city: school.city.get().to_string(),
        ..SchoolForm::default()
    };
    let mut fields = school_fields(&state, &form).await?;
    fields.retain(|f| f.name != "confirm_similar");
    render_form(
        &signed,
        edit_school_spec(&state, &school).await?,
        fields,
        None,
    )
}

async fn update_school(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<SchoolForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let back = format!("/schools/{id}");
    match orgtree::update_school(
        acting.ctx(),
        state.province(),
        SchoolId(id),
        &school_input(&form),
    )
    .await
    {
        Ok(school) => Ok(saved(&state, &back, format!("已保存学校“{}”", school.name))),
        Err(OrgError::Invalid(errors)) => {
            let school = super::visible_school(&state, signed.actor(), id).await?;
            let mut fields = school_fields(&state, &form).await?;
            fields.retain(|f| f.name != "confirm_similar");
            render_form(
                &signed,
                edit_school_spec(&state, &school).await?,
                fields,
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

// ---------------------------------------------------------------- colleges

#[derive(Debug, Default, Deserialize)]
pub struct NameForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
}

async fn new_college_spec(state: &AppState, school: &School) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(trail(state, school, None, None).await?, "新建二级学院"),
        heading: format!("新建二级学院 · {}", school.name),
        intro: "建好学院后可在学院页面添加专业、班级，并编写学院简史。".to_owned(),
        action: format!("/schools/{}/colleges/new", school.id),
        submit: "保存学院",
        cancel: format!("/schools/{}", school.id),
    })
}

fn college_name_field(value: &str) -> Vec<Field> {
    vec![
        Field::new("name", "学院名称", "text", value)
            .required()
            .hint("如“土木工程学院”，同一学校内不能重名。"),
    ]
}

async fn new_college(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let school = orgtree::editable_school(acting.ctx(), SchoolId(id))
        .await
        .map_err(org_error)?;
    render_form(
        &signed,
        new_college_spec(&state, &school).await?,
        college_name_field(""),
        None,
    )
}

async fn create_college(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<NameForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::create_college(acting.ctx(), SchoolId(id), &form.name).await {
        Ok(college) => Ok(saved(
            &state,
            &format!("/colleges/{}", college.id),
            format!("已新建二级学院“{}”", college.name),
        )),
        Err(OrgError::Invalid(errors)) => {
            let school = orgtree::editable_school(acting.ctx(), SchoolId(id))
                .await
                .map_err(org_error)?;
            render_form(
                &signed,
                new_college_spec(&state, &school).await?,
                college_name_field(&form.name),
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &format!("/schools/{id}"))),
    }
}

async fn college_and_school(
    state: &AppState,
    acting: &Acting<'_>,
    id: i64,
) -> Result<(College, School), WebError> {
    let college = orgtree::editable_college(acting.ctx(), CollegeId(id))
        .await
        .map_err(org_error)?;
    let school = org::get_school(state.db(), college.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    Ok((college, school))
}

async fn edit_college_spec(
    state: &AppState,
    college: &College,
    school: &School,
) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(
            trail(state, school, Some(college), None).await?,
            "修改学院名称",
        ),
        heading: format!("修改学院名称 · {}", college.name),
        intro: String::new(),
        action: format!("/colleges/{}/edit", college.id),
        submit: "保存修改",
        cancel: format!("/colleges/{}", college.id),
    })
}

async fn edit_college(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let (college, school) = college_and_school(&state, &acting, id).await?;
    render_form(
        &signed,
        edit_college_spec(&state, &college, &school).await?,
        college_name_field(&college.name),
        None,
    )
}

async fn rename_college(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<NameForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let back = format!("/colleges/{id}");
    match orgtree::rename_college(acting.ctx(), CollegeId(id), &form.name).await {
        Ok(college) => Ok(saved(
            &state,
            &back,
            format!("已保存学院“{}”", college.name),
        )),
        Err(OrgError::Invalid(errors)) => {
            let (college, school) = college_and_school(&state, &acting, id).await?;
            render_form(
                &signed,
                edit_college_spec(&state, &college, &school).await?,
                college_name_field(&form.name),
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

async fn delete_college(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::delete_college(acting.ctx(), CollegeId(id)).await {
        Ok(college) => Ok(saved(
            &state,
            &format!("/schools/{}", college.school),
            format!("已删除二级学院“{}”", college.name),
        )),
        Err(other) => Ok(refused(&state, other, &format!("/colleges/{id}"))),
    }
}

// ---------------------------------------------------------------- 学院简史

/// A former name or a leader as a table row.
struct HistoryRow {
    period: String,
    name: String,
    title: String,
}

fn history_rows(entries: &[tree::HistoryEntry]) -> Vec<HistoryRow> {
    entries
        .iter()
        .map(|e| HistoryRow {
            period: match (e.from_year, e.to_year) {
                (Some(from), Some(to)) => format!("{from}—{to}年"),
                (Some(from), None) => format!("{from}年至今"),
                (None, _) => String::new(),
            },
            name: e.name.clone(),
            title: e.title.clone().unwrap_or_default(),
        })
        .collect()
}

#[derive(Template)]
#[template(path = "college_history.html")]
struct HistoryPage {
    nav: Option<Nav>,
    crumbs: Vec<Crumb>,
    college_id: i64,
    college_name: String,
    school_name: String,
    may_edit: bool,
    origins: Vec<String>,
    former_names: Vec<HistoryRow>,
    majors: Vec<String>,
    leaders: Vec<HistoryRow>,
    students: String,
    staff: String,
    achievements: Vec<String>,
    addresses: Vec<String>,
    updated: String,
    is_empty: bool,
}

fn paragraphs(text: &Option<String>) -> Vec<String> {
    text.as_deref()
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

async fn history(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let college = super::visible_college(&state, signed.actor(), id).await?;
    let school = org::get_school(db, college.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    let history = tree::college_history(db, college.id)
        .await?
        .unwrap_or_default();
    let majors: Vec<String> = tree::list_majors_of_college(db, college.id)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    let count = |n: Option<i32>| n.map(|n| format!("{n} 人")).unwrap_or_default();
    let page = HistoryPage {
        nav: Some(Nav::of(&signed)),
        crumbs: ending(
            trail(&state, &school, Some(&college), None).await?,
            "学院简史",
        ),
        college_id: college.id.get(),
        may_edit: signed
            .actor()
            .scope(xiaoyou_core::Action::Edit)
            .covers_college(college.school, college.id),
        is_empty: history.updated_at.is_none(),
        origins: paragraphs(&history.origins),
        former_names: history_rows(&history.former_names),
        leaders: history_rows(&history.leaders),
        students: count(history.students),
        staff: count(history.staff),
        achievements: paragraphs(&history.achievements),
        addresses: paragraphs(&history.addresses),
        updated: history.updated_at.map(beijing_date).unwrap_or_default(),
        majors,
        college_name: college.name,
        school_name: school.name,
    };
    Ok(Html(page.render()?))
}

/// A day as people in the province read it (UTC+8).
pub fn beijing_date(at: chrono::DateTime<chrono::Utc>) -> String {
    (at + chrono::Duration::hours(8))
        .format("%Y-%m-%d")
        .to_string()
}

#[derive(Debug, Default, Deserialize)]
pub struct HistoryForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    origins: String,
    #[serde(default)]
    former_names: String,
    #[serde(default)]
    leaders: String,
    #[serde(default)]
    students: String,
    #[serde(default)]
    staff: String,
    #[serde(default)]
    achievements: String,
    #[serde(default)]
    addresses: String,
}

fn history_fields(form: &HistoryForm) -> Vec<Field> {
    vec![
        Field::new("origins", "学院起源", "textarea", &form.origins)
            .rows(5)
            .hint("学院的由来与沿革，可分段填写。"),
        Field::new(
            "former_names",
            "历史名称（院系名称）",
            "textarea",
            &form.former_names,
        )
        .hint("每行一个：起止年份 名称，如“1958–1978 湖南某某专科学校”；至今仍用的写“2001–至今”。"),
        Field::new("leaders", "历任领导", "textarea", &form.leaders)
            .hint("每行一位：任职年份 姓名 职务，如“1998–2006 张三 院长”。"),
        Field::new("students", "在校学生人数", "number", &form.students),
        Field::new("staff", "教职工人数", "number", &form.staff),
        Field::new("achievements", "办学成就", "textarea", &form.achievements).rows(5),
        Field::new("addresses", "办学地址", "textarea", &form.addresses)
            .rows(3)
            .hint("每行一个地址；曾经的办学地址请注明年份。"),
    ]
}

async fn history_spec(
    state: &AppState,
    college: &College,
    school: &School,
) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(
            trail(state, school, Some(college), None).await?,
            "编辑学院简史",
        ),
        heading: format!("编辑学院简史 · {}", college.name),
        intro: "专业设置取自本学院的专业列表，可在学院页面增删。".to_owned(),
        action: format!("/colleges/{}/history/edit", college.id),
        submit: "保存学院简史",
        cancel: format!("/colleges/{}/history", college.id),
    })
}

async fn edit_history(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let (college, school) = college_and_school(&state, &acting, id).await?;
    let history = tree::college_history(state.db(), college.id)
        .await?
        .unwrap_or_default();
    let lines = |entries: &[tree::HistoryEntry]| {
        entries
            .iter()
            .map(orgtree::history_line)
            .collect::<Vec<_>>()
            .join("\n")
    };
    let form = HistoryForm {
        origins: history.origins.clone().unwrap_or_default(),
        former_names: lines(&history.former_names),
        leaders: lines(&history.leaders),
        students: history.students.map(|n| n.to_string()).unwrap_or_default(),
        staff: history.staff.map(|n| n.to_string()).unwrap_or_default(),
        achievements: history.achievements.clone().unwrap_or_default(),
        addresses: history.addresses.clone().unwrap_or_default(),
        ..HistoryForm::default()
    };
    render_form(
        &signed,
        history_spec(&state, &college, &school).await?,
        history_fields(&form),
        None,
    )
}

async fn save_history(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<HistoryForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let input = HistoryInput {
        origins: &form.origins,
        former_names: &form.former_names,
        leaders: &form.leaders,
        students: &form.students,
        staff: &form.staff,
        achievements: &form.achievements,
        addresses: &form.addresses,
    };
    let back = format!("/colleges/{id}/history");
    match orgtree::save_history(acting.ctx(), CollegeId(id), &input).await {
        Ok(_) => Ok(saved(&state, &back, "已保存学院简史".to_owned())),
        Err(OrgError::Invalid(errors)) => {
            let (college, school) = college_and_school(&state, &acting, id).await?;
            render_form(
                &signed,
                history_spec(&state, &college, &school).await?,
                history_fields(&form),
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

// ---------------------------------------------------------------- majors

#[derive(Debug, Default, Deserialize)]
pub struct MajorForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    major_name: String,
}

fn major_fields(value: &str) -> Vec<Field> {
    vec![Field::new("major_name", "专业名称", "text", value).required()]
}

async fn major_spec(
    state: &AppState,
    college: &College,
    school: &School,
    major: Option<(MajorId, &str)>,
) -> Result<FormSpec, WebError> {
    let crumbs = trail(state, school, Some(college), None).await?;
    Ok(match major {
        None => FormSpec {
            crumbs: ending(crumbs, "新建专业"),
            heading: format!("新建专业 · {}", college.name),
            intro: String::new(),
            action: format!("/colleges/{}/majors/new", college.id),
            submit: "保存专业",
            cancel: format!("/colleges/{}", college.id),
        },
        Some((id, name)) => FormSpec {
            crumbs: ending(crumbs, "修改专业"),
            heading: format!("修改专业 · {name}"),
            intro: String::new(),
            action: format!("/majors/{id}/edit"),
            submit: "保存修改",
            cancel: format!("/colleges/{}", college.id),
        },
    })
}

async fn new_major(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let (college, school) = college_and_school(&state, &acting, id).await?;
    render_form(
        &signed,
        major_spec(&state, &college, &school, None).await?,
        major_fields(""),
        None,
    )
}

async fn create_major(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<MajorForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let back = format!("/colleges/{id}");
    match orgtree::create_major(acting.ctx(), CollegeId(id), &form.major_name).await {
        Ok(_) => Ok(saved(
            &state,
            &back,
            format!("已新建专业“{}”", xiaoyou_text::clean_cell(&form.major_name)),
        )),
        Err(OrgError::Invalid(errors)) => {
            let (college, school) = college_and_school(&state, &acting, id).await?;
            render_form(
                &signed,
                major_spec(&state, &college, &school, None).await?,
                major_fields(&form.major_name),
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

async fn edit_major(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let (name, college) = orgtree::editable_major(acting.ctx(), MajorId(id))
        .await
        .map_err(org_error)?;
    let school = org::get_school(state.db(), college.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    render_form(
        &signed,
        major_spec(&state, &college, &school, Some((MajorId(id), &name))).await?,
        major_fields(&name),
        None,
    )
}

async fn rename_major(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<MajorForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::rename_major(acting.ctx(), MajorId(id), &form.major_name).await {
        Ok(college) => Ok(saved(
            &state,
            &format!("/colleges/{}", college.id),
            format!("已保存专业“{}”", xiaoyou_text::clean_cell(&form.major_name)),
        )),
        Err(OrgError::Invalid(errors)) => {
            let (name, college) = orgtree::editable_major(acting.ctx(), MajorId(id))
                .await
                .map_err(org_error)?;
            let school = org::get_school(state.db(), college.school)
                .await?
                .ok_or(WebError::NotFound("该学校"))?;
            render_form(
                &signed,
                major_spec(&state, &college, &school, Some((MajorId(id), &name))).await?,
                major_fields(&form.major_name),
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, "/")),
    }
}

async fn delete_major(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let back = match tree::get_major(state.db(), MajorId(id)).await? {
        Some((_, college, _)) => format!("/colleges/{college}"),
        None => "/".to_owned(),
    };
    match orgtree::delete_major(acting.ctx(), MajorId(id)).await {
        Ok((name, _)) => Ok(saved(&state, &back, format!("已删除专业“{name}”"))),
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

// ---------------------------------------------------------------- classes

#[derive(Debug, Default, Deserialize)]
pub struct ClassForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    major: String,
    #[serde(default)]
    enrolment_year: String,
    #[serde(default)]
    graduation_year: String,
    #[serde(default)]
    head_teacher: String,
    #[serde(default)]
    head_teacher_role: String,
    #[serde(default)]
    head_teacher_phone: String,
    #[serde(default)]
    clear_head_teacher_phone: Option<String>,
    #[serde(default)]
    liaison_name: String,
    #[serde(default)]
    liaison_phone: String,
    #[serde(default)]
    clear_liaison_phone: Option<String>,
}

impl ClassForm {
    fn input(&self) -> ClassInput<'_> {
        ClassInput {
            name: &self.name,
            major: &self.major,
            enrolment_year: &self.enrolment_year,
            graduation_year: &self.graduation_year,
            head_teacher: &self.head_teacher,
            head_teacher_role: &self.head_teacher_role,
            head_teacher_phone: &self.head_teacher_phone,
            clear_head_teacher_phone: self.clear_head_teacher_phone.is_some(),
            liaison_name: &self.liaison_name,
            liaison_phone: &self.liaison_phone,
            clear_liaison_phone: self.clear_liaison_phone.is_some(),
        }
    }
}

fn masked_phone(phone: Option<&str>) -> Option<String> {
    phone.map(|p| ContactKind::Mobile.mask(p))
}

/// The class form's fields. `contacts` are the stored ones when editing: their phones are shown
/// masked as hints and kept when the field is left blank.
async fn class_fields(
    state: &AppState,
    college: &College,
    form: &ClassForm,
    contacts: Option<&tree::ClassContacts>,
) -> Result<Vec<Field>, WebError> {
    let mut majors = vec![(String::new(), "（不指定）".to_owned())];
    majors.extend(
        tree::list_majors_of_college(state.db(), college.id)
            .await?
            .into_iter()
            .map(|(id, name)| (id.get().to_string(), name)),
    );
    let mut roles = vec![(String::new(), "（未填写）".to_owned())];
    roles.extend(
        orgtree::HEAD_TEACHER_ROLES
            .iter()
            .map(|r| ((*r).to_owned(), (*r).to_owned())),
    );
    let phone_hint = |stored: Option<&str>| match masked_phone(stored) {
        Some(masked) => format!("已登记 {masked}；留空则保持不变。"),
        None => "11 位手机号码，页面上脱敏显示。".to_owned(),
    };
    let mut fields = vec![
        Field::new("name", "班级名称", "text", &form.name)
            .required()
            .hint("如“2012级土木工程1班”，同一学校内不能重名。"),
        Field::new("major", "专业", "select", &form.major).options(majors),
        Field::new("enrolment_year", "入学年份", "number", &form.enrolment_year),
        Field::new(
            "graduation_year",
            "毕业年份",
            "number",
            &form.graduation_year,
        ),
        Field::new(
            "head_teacher",
            "班主任（辅导员）姓名",
            "text",
            &form.head_teacher,
        ),
        Field::new(
            "head_teacher_role",
            "职务",
            "select",
            &form.head_teacher_role,
        )
        .options(roles),
        Field::new(
            "head_teacher_phone",
            "班主任（辅导员）手机",
            "tel",
            &form.head_teacher_phone,
        )
        .hint(phone_hint(
            contacts.and_then(|c| c.head_teacher_phone.as_deref()),
        )),
    ];
    if contacts.is_some_and(|c| c.head_teacher_phone.is_some()) {
        fields.push(Field::new(
            "clear_head_teacher_phone",
            "删除已登记的班主任（辅导员）手机",
            "checkbox",
            if form.clear_head_teacher_phone.is_some() {
                "1"
            } else {
                ""
            },
        ));
    }
    fields.push(Field::new(
        "liaison_name",
        "班级联络员姓名",
        "text",
        &form.liaison_name,
    ));
    fields.push(
        Field::new(
            "liaison_phone",
            "班级联络员手机",
            "tel",
            &form.liaison_phone,
        )
        .hint(phone_hint(
            contacts.and_then(|c| c.liaison_phone.as_deref()),
        )),
    );
    if contacts.is_some_and(|c| c.liaison_phone.is_some()) {
        fields.push(Field::new(
            "clear_liaison_phone",
            "删除已登记的班级联络员手机",
            "checkbox",
            if form.clear_liaison_phone.is_some() {
                "1"
            } else {
                ""
            },
        ));
    }
    Ok(fields)
}

async fn new_class_spec(
    state: &AppState,
    college: &College,
    school: &School,
) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(trail(state, school, Some(college), None).await?, "新建班级"),
        heading: format!("新建班级 · {}", college.name),
        intro:
            "班级登记表：班主任（辅导员）与班级联络员的联系方式用于组织返校等活动，页面上脱敏显示。"
                .to_owned(),
        action: format!("/colleges/{}/classes/new", college.id),
        submit: "保存班级",
        cancel: format!("/colleges/{}", college.id),
    })
}

async fn new_class(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let (college, school) = college_and_school(&state, &acting, id).await?;
    let fields = class_fields(&state, &college, &ClassForm::default(), None).await?;
    render_form(
        &signed,
        new_class_spec(&state, &college, &school).await?,
        fields,
        None,
    )
}

async fn create_class(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<ClassForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::create_class(acting.ctx(), CollegeId(id), &form.input()).await {
        Ok((class, name)) => Ok(saved(
            &state,
            &format!("/classes/{class}"),
            format!("已新建班级“{name}”"),
        )),
        Err(OrgError::Invalid(errors)) => {
            let (college, school) = college_and_school(&state, &acting, id).await?;
            let fields = class_fields(&state, &college, &form, None).await?;
            render_form(
                &signed,
                new_class_spec(&state, &college, &school).await?,
                fields,
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &format!("/colleges/{id}"))),
    }
}

struct ClassContext {
    class: Class,
    college: College,
    school: School,
    contacts: tree::ClassContacts,
}

async fn class_context(
    state: &AppState,
    acting: &Acting<'_>,
    id: i64,
) -> Result<ClassContext, WebError> {
    let db = state.db();
    let class = orgtree::editable_class(acting.ctx(), ClassId(id))
        .await
        .map_err(org_error)?;
    let college = match class.college {
        Some(college) => org::get_college(db, college).await?,
        None => None,
    }
    .ok_or(WebError::NotFound("该班级所属学院"))?;
    let school = org::get_school(db, class.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    let contacts = tree::class_contacts(db, class.id).await?;
    Ok(ClassContext {
        class,
        college,
        school,
        contacts,
    })
}

async fn edit_class_spec(state: &AppState, context: &ClassContext) -> Result<FormSpec, WebError> {
    Ok(FormSpec {
        crumbs: ending(
            trail(
                state,
                &context.school,
                Some(&context.college),
                Some(&context.class),
            )
            .await?,
            "编辑班级",
        ),
        heading: format!("编辑班级 · {}", context.class.name),
        intro: String::new(),
        action: format!("/classes/{}/edit", context.class.id),
        submit: "保存修改",
        cancel: format!("/classes/{}", context.class.id),
    })
}

async fn edit_class(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Response, WebError> {
    let acting = Acting::new(&state, &signed);
    let context = class_context(&state, &acting, id).await?;
    let class = &context.class;
    let year = |y: Option<i32>| y.map(|y| y.to_string()).unwrap_or_default();
    let form = ClassForm {
        name: class.name.clone(),
        major: class.major.map(|m| m.get().to_string()).unwrap_or_default(),
        enrolment_year: year(class.enrolment_year),
        graduation_year: year(class.graduation_year),
        head_teacher: class.head_teacher.clone().unwrap_or_default(),
        head_teacher_role: class.head_teacher_role.clone().unwrap_or_default(),
        liaison_name: context.contacts.liaison_name.clone().unwrap_or_default(),
        ..ClassForm::default()
    };
    let fields = class_fields(&state, &context.college, &form, Some(&context.contacts)).await?;
    render_form(
        &signed,
        edit_class_spec(&state, &context).await?,
        fields,
        None,
    )
}

async fn update_class(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<ClassForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    let back = format!("/classes/{id}");
    match orgtree::update_class(acting.ctx(), ClassId(id), &form.input()).await {
        Ok((_, name)) => Ok(saved(&state, &back, format!("已保存班级“{name}”"))),
        Err(OrgError::Invalid(errors)) => {
            let context = class_context(&state, &acting, id).await?;
            let fields =
                class_fields(&state, &context.college, &form, Some(&context.contacts)).await?;
            render_form(
                &signed,
                edit_class_spec(&state, &context).await?,
                fields,
                Some(&errors),
            )
        }
        Err(other) => Ok(refused(&state, other, &back)),
    }
}

async fn delete_class(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
    Form(form): Form<CsrfForm>,
) -> Result<Response, WebError> {
    signed.check_csrf(&form.csrf)?;
    let acting = Acting::new(&state, &signed);
    match orgtree::delete_class(acting.ctx(), ClassId(id)).await {
        Ok((class, college)) => Ok(saved(
            &state,
            &format!("/colleges/{}", college.id),
            format!("已删除班级“{}”", class.name),
        )),
        Err(other) => Ok(refused(&state, other, &format!("/classes/{id}"))),
    }
}

// ---------------------------------------------------------------- dashboards

/// A school's or a college's dashboard, ready for `dashboard.html`.
pub struct DashView {
    /// When the figures were counted (Beijing time), shown under the dashboard.
    pub counted_at: String,
    pub total: i64,
    pub year_chart: String,
    /// (label, count, percent of the largest) for the bar lists.
    pub by_major: Vec<(String, i64, i64)>,
    pub by_city: Vec<(String, i64, i64)>,
    pub recent: Vec<(i64, String, String)>,
    pub by_college: Vec<(CollegeId, i64)>,
}

fn bars(rows: Vec<(String, i64)>) -> Vec<(String, i64, i64)> {
    let max = rows.iter().map(|(_, n)| *n).max().unwrap_or(1).max(1);
    rows.into_iter()
        .map(|(label, n)| (label, n, n * 100 / max))
        .collect()
}

/// How long a dashboard's figures are reused before they are counted again.
pub const DASHBOARD_TTL: std::time::Duration = std::time::Duration::from_secs(30);

/// Dashboard figures of recently shown schools and colleges, reused for [`DASHBOARD_TTL`] so
/// that a busy office's pages do not count the same records on every request. Changes to the
/// tree made through this instance clear it at once.
#[derive(Debug, Clone, Default)]
pub struct DashboardCache {
    province: std::sync::Arc<std::sync::Mutex<ProvinceSlot>>,
    entries: std::sync::Arc<std::sync::Mutex<NodeFigures>>,
    regions: std::sync::Arc<std::sync::Mutex<RegionFigures>>,
}

/// A school's alumni per region as one scope sees them (keyed by school and the scope's
/// description), with when they were counted.
type RegionFigures = std::collections::HashMap<
    (SchoolId, String),
    (std::time::Instant, std::sync::Arc<Vec<(String, i64)>>),
>;

/// Each node's figures with when they were taken.
type NodeFigures = std::collections::HashMap<
    xiaoyou_store::dashboard::Node,
    (
        std::time::Instant,
        chrono::DateTime<chrono::Utc>,
        std::sync::Arc<xiaoyou_store::dashboard::Dashboard>,
    ),
>;

/// The province overview's figures: totals and study records per school.
pub type ProvinceFigures = (
    xiaoyou_store::stats::Totals,
    std::collections::HashMap<SchoolId, i64>,
);

/// The province overview's figures with when they were counted.
type ProvinceSlot = Option<(
    std::time::Instant,
    chrono::DateTime<chrono::Utc>,
    std::sync::Arc<ProvinceFigures>,
)>;

type Counted = (
    chrono::DateTime<chrono::Utc>,
    std::sync::Arc<xiaoyou_store::dashboard::Dashboard>,
);

impl DashboardCache {
    fn fresh(&self, node: xiaoyou_store::dashboard::Node) -> Option<Counted> {
        let entries = self.entries.lock().ok()?;
        let (at, counted_at, figures) = entries.get(&node)?;
        (at.elapsed() < DASHBOARD_TTL).then(|| (*counted_at, figures.clone()))
    }

    fn keep(&self, node: xiaoyou_store::dashboard::Node, counted: Counted) {
        if let Ok(mut entries) = self.entries.lock() {
            // A province has a few thousand nodes at most; drop stale ones now and then.
            if entries.len() > 4096 {
                entries.retain(|_, (at, _, _)| at.elapsed() < DASHBOARD_TTL);
            }
            entries.insert(node, (std::time::Instant::now(), counted.0, counted.1));
        }
    }

    /// A school's alumni per region within `scope`, from the cache when fresh.
    pub async fn region_counts(
        &self,
        db: &xiaoyou_store::Db,
        scope: &xiaoyou_core::Scope,
        school: SchoolId,
    ) -> Result<std::sync::Arc<Vec<(String, i64)>>, WebError> {
        let key = (school, format!("{scope:?}"));
        let fresh = self.regions.lock().ok().and_then(|entries| {
            entries
                .get(&key)
                .filter(|(at, _)| at.elapsed() < DASHBOARD_TTL)
                .map(|(_, counts)| counts.clone())
        });
        if let Some(counts) = fresh {
            return Ok(counts);
        }
        let counts =
            std::sync::Arc::new(xiaoyou_store::alumni::region_counts(db, scope, school).await?);
        if let Ok(mut entries) = self.regions.lock() {
            if entries.len() > 4096 {
                entries.retain(|_, (at, _)| at.elapsed() < DASHBOARD_TTL);
            }
            entries.insert(key, (std::time::Instant::now(), counts.clone()));
        }
        Ok(counts)
    }

    /// Forgets every figure (after a change to the tree).
    pub fn clear(&self) {
        if let Ok(mut regions) = self.regions.lock() {
            regions.clear();
        }
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
        if let Ok(mut province) = self.province.lock() {
            *province = None;
        }
    }
}

/// The province overview's figures (totals, study records per school), from the cache when
/// fresh, with the Beijing time they were counted at.
pub async fn province_figures(
    state: &AppState,
) -> Result<(String, std::sync::Arc<ProvinceFigures>), WebError> {
    let cache = state.dashboards();
    let fresh = cache.province.lock().ok().and_then(|slot| {
        slot.as_ref()
            .filter(|(at, _, _)| at.elapsed() < DASHBOARD_TTL)
            .map(|(_, counted_at, figures)| (*counted_at, figures.clone()))
    });
    let (counted_at, figures) = match fresh {
        Some(counted) => counted,
        None => {
            let db = state.db();
            let figures = std::sync::Arc::new((
                xiaoyou_store::stats::totals(db).await?,
                xiaoyou_store::stats::records_per_school(db)
                    .await?
                    .into_iter()
                    .collect(),
            ));
            let now = state.clock().now();
            if let Ok(mut slot) = cache.province.lock() {
                *slot = Some((std::time::Instant::now(), now, figures.clone()));
            }
            (now, figures)
        }
    };
    Ok((
        (counted_at + chrono::Duration::hours(8))
            .format("%H:%M:%S")
            .to_string(),
        figures,
    ))
}

/// Loads the figures of a dashboard (ten of each list), from the cache when fresh, and draws
/// its chart.
pub async fn dashboard(
    state: &AppState,
    node: xiaoyou_store::dashboard::Node,
    caption: &str,
) -> Result<DashView, WebError> {
    let cache = state.dashboards();
    let (counted_at, figures) = match cache.fresh(node) {
        Some(counted) => counted,
        None => {
            let figures = xiaoyou_store::dashboard::dashboard(state.db(), node, 10).await?;
            let counted = (state.clock().now(), std::sync::Arc::new(figures));
            cache.keep(node, counted.clone());
            counted
        }
    };
    let figures = std::sync::Arc::unwrap_or_clone(figures);
    Ok(DashView {
        counted_at: (counted_at + chrono::Duration::hours(8))
            .format("%H:%M:%S")
            .to_string(),
        total: figures.study_records,
        year_chart: crate::chart::bars_by_year(&figures.by_graduation_year, caption),
        by_major: bars(figures.by_major),
        by_city: bars(figures.by_city),
        recent: figures
            .recently_changed
            .into_iter()
            .map(|c| (c.person.get(), c.name, beijing_date(c.updated_at)))
            .collect(),
        by_college: figures.by_college,
    })
}
