//! The class register (班级通讯录): every alumnus of a class with masked contact data.

use super::org::{Crumb, trail};
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use xiaoyou_core::ContactKind;
use xiaoyou_store::{org, orgtree, people};

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
    crumbs: Vec<Crumb>,
    csrf: String,
    /// May edit the class's details and contacts (its school, college or liaison).
    may_edit: bool,
    /// May delete the class (its school's or college's administrators).
    may_delete: bool,
    /// The head teacher's and the liaison's phones, masked.
    head_teacher_phone: String,
    liaison_phone: String,
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
        Some(college) => org::get_college(db, college).await?,
        None => None,
    };
    let entries = people::class_register(db, class.id).await?;
    let contacts = orgtree::class_contacts(db, class.id).await?;
    let liaison = contacts
        .liaison_name
        .clone()
        .or_else(|| {
            class
                .liaison
                .and_then(|p| entries.iter().find(|e| e.person == p))
                .map(|e| e.name.clone())
        })
        .unwrap_or_default();
    let mask = |phone: Option<&str>| {
        phone
            .map(|p| ContactKind::Mobile.mask(p))
            .unwrap_or_default()
    };
    let edit = signed.actor().scope(xiaoyou_core::Action::Edit);
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
        crumbs: trail(&state, &school, college.as_ref(), Some(&class)).await?,
        csrf: signed.session.csrf_token.clone(),
        may_edit: college.is_some() && edit.covers_class(class.school, class.college, class.id),
        may_delete: college
            .as_ref()
            .is_some_and(|c| edit.covers_college(c.school, c.id)),
        head_teacher_phone: mask(contacts.head_teacher_phone.as_deref()),
        liaison_phone: mask(contacts.liaison_phone.as_deref()),
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
