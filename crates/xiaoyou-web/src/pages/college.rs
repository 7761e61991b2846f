//! A college: its dashboard, its majors and classes (newest first, with their sizes), the way
//! to its history page (学院简史), and what the actor may change.

use super::org::{Crumb, DashView, dashboard, trail};
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use std::collections::HashMap;
use xiaoyou_app::orgtree as manage;
use xiaoyou_store::dashboard::Node;
use xiaoyou_store::{org, orgtree, stats};

struct ClassLine {
    id: i64,
    name: String,
    enrolment: String,
    graduation: String,
    head_teacher: String,
    size: i64,
}

#[derive(Template)]
#[template(path = "college.html")]
struct CollegePage {
    nav: Option<Nav>,
    crumbs: Vec<Crumb>,
    csrf: String,
    college_id: i64,
    school_name: String,
    college_name: String,
    /// May change the college's name and history, add majors and classes.
    may_edit: bool,
    /// May delete the college (its school's administrators).
    may_delete: bool,
    dash: DashView,
    majors: Vec<(i64, String)>,
    classes: Vec<ClassLine>,
}

fn year(value: Option<i32>) -> String {
    value
        .map(|y| y.to_string())
        .unwrap_or_else(|| "—".to_owned())
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let college = super::visible_college(&state, signed.actor(), id).await?;
    let school = org::get_school(db, college.school)
        .await?
        .ok_or(WebError::NotFound("该学校"))?;
    let sizes: HashMap<_, _> = stats::class_sizes(db, college.id)
        .await?
        .into_iter()
        .collect();
    let classes = org::list_classes_of_college(db, college.id)
        .await?
        .into_iter()
        .map(|class| ClassLine {
            id: class.id.get(),
            size: sizes.get(&class.id).copied().unwrap_or(0),
            enrolment: year(class.enrolment_year),
            graduation: year(class.graduation_year),
            head_teacher: match (&class.head_teacher, &class.head_teacher_role) {
                (Some(name), Some(role)) => format!("{name}（{role}）"),
                (Some(name), None) => name.clone(),
                _ => "—".to_owned(),
            },
            name: class.name,
        })
        .collect();
    let majors = orgtree::list_majors_of_college(db, college.id)
        .await?
        .into_iter()
        .map(|(id, name)| (id.get(), name))
        .collect();
    let dash = dashboard(
        &state,
        Node::College(college.id),
        &format!("{}各届校友人数", college.name),
    )
    .await?;
    let page = CollegePage {
        nav: Some(Nav::of(&signed)),
        crumbs: trail(&state, &school, Some(&college), None).await?,
        csrf: signed.session.csrf_token.clone(),
        college_id: college.id.get(),
        may_edit: manage::may_shape_college(signed.actor(), &college),
        may_delete: manage::may_shape_school(signed.actor(), college.school),
        school_name: school.name,
        college_name: college.name,
        dash,
        majors,
        classes,
    };
    Ok(Html(page.render()?))
}
