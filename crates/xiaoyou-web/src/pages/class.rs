//! The class register (班级通讯录): every alumnus of a class with masked contact data.

use super::province_name;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use xiaoyou_core::ContactKind;
use xiaoyou_store::{org, people};

struct EntryLine {
    person: i64,
    student_no: String,
    name: String,
    gender: &'static str,
    mobile: String,
    employer: String,
    title: String,
    city: String,
}

#[derive(Template)]
#[template(path = "class.html")]
struct ClassPage {
    nav: Option<Nav>,
    class_id: i64,
    province_name: String,
    school_id: i64,
    school_name: String,
    college: Option<(i64, String)>,
    class_name: String,
    years: String,
    head_teacher: String,
    liaison: String,
    entries: Vec<EntryLine>,
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let class = super::visible_class(&state, signed.actor(), id).await?;
    let school = org::get_school(db, class.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    let college = match class.college {
        Some(college) => org::get_college(db, college)
            .await?
            .map(|c| (c.id.get(), c.name)),
        None => None,
    };
    let entries = people::class_register(db, class.id).await?;
    let liaison = class
        .liaison
        .and_then(|p| entries.iter().find(|e| e.person == p))
        .map(|e| e.name.clone())
        .unwrap_or_default();
    let years = match (class.enrolment_year, class.graduation_year) {
        (Some(from), Some(to)) => format!("{from}级 · {to}届"),
        (Some(from), None) => format!("{from}级"),
        (None, Some(to)) => format!("{to}届"),
        (None, None) => String::new(),
    };
    let head_teacher = match (&class.head_teacher, &class.head_teacher_role) {
        (Some(name), Some(role)) => format!("{role}：{name}"),
        (Some(name), None) => format!("班主任：{name}"),
        _ => String::new(),
    };
    let page = ClassPage {
        nav: Some(Nav::of(&signed)),
        class_id: class.id.get(),
        province_name: province_name(&state).await?,
        school_id: school.id.get(),
        school_name: school.name,
        college,
        class_name: class.name,
        years,
        head_teacher,
        liaison,
        entries: entries
            .into_iter()
            .map(|e| EntryLine {
                person: e.person.get(),
                student_no: e.student_no.unwrap_or_default(),
                gender: e.gender.map_or("", |g| g.label()),
                mobile: e
                    .mobile
                    .as_deref()
                    .map(|m| ContactKind::Mobile.mask(m))
                    .unwrap_or_default(),
                employer: e.employer.unwrap_or_default(),
                title: e.title.unwrap_or_default(),
                city: e.city.unwrap_or_default(),
                name: e.name,
            })
            .collect(),
    };
    Ok(Html(page.render()?))
}
