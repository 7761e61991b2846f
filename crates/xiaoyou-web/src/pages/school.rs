//! A school: its dashboard (alumni by graduation year, major and city, recent changes), its
//! colleges, and what the actor may do with them.

use super::org::{Crumb, DashView, dashboard, trail};
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use std::collections::HashMap;
use xiaoyou_core::Action;
use xiaoyou_store::dashboard::Node;
use xiaoyou_store::org::{self, School};
use xiaoyou_store::{orgtree, regions};

struct CollegeLine {
    id: i64,
    name: String,
    majors: String,
    classes: i64,
    records: i64,
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    nav: Option<Nav>,
    crumbs: Vec<Crumb>,
    may_import: bool,
    may_add_college: bool,
    may_edit_school: bool,
    school: School,
    city_name: String,
    department: Option<String>,
    dash: DashView,
    colleges: Vec<CollegeLine>,
    major_count: usize,
    class_count: i64,
}

pub async fn show(
    State(state): State<AppState>,
    signed: Signed,
    Path(id): Path<i64>,
) -> Result<Html<String>, WebError> {
    let db = state.db();
    let school = super::visible_school(&state, signed.actor(), id).await?;
    let city_name = regions::get(db, school.city)
        .await?
        .map(|r| r.name)
        .unwrap_or_default();
    let department = match school.department {
        Some(department) => org::list_departments(db)
            .await?
            .into_iter()
            .find(|d| d.id == department)
            .map(|d| d.name),
        None => None,
    };
    let dash = dashboard(
        &state,
        Node::School(school.id),
        &format!("{}各届校友人数", school.name),
    )
    .await?;
    let per_college: HashMap<_, _> = dash.by_college.iter().copied().collect();
    let classes: HashMap<_, _> = orgtree::class_counts(db, school.id)
        .await?
        .into_iter()
        .collect();
    let majors = org::list_majors_of_school(db, school.id).await?;
    let colleges = org::list_colleges(db, school.id)
        .await?
        .into_iter()
        .map(|college| CollegeLine {
            id: college.id.get(),
            majors: majors
                .iter()
                .filter(|m| m.college == college.id)
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            classes: classes.get(&college.id).copied().unwrap_or(0),
            records: per_college.get(&college.id).copied().unwrap_or(0),
            name: college.name,
        })
        .collect();
    let edit = signed.actor().scope(Action::Edit);
    let page = SchoolPage {
        nav: Some(Nav::of(&signed)),
        crumbs: trail(&state, &school, None, None).await?,
        may_import: edit.covers_school(school.id),
        may_add_college: edit.covers_school(school.id),
        may_edit_school: signed.actor().is_province_admin(),
        class_count: classes.values().sum(),
        major_count: majors.len(),
        school,
        city_name,
        department,
        dash,
        colleges,
    };
    Ok(Html(page.render()?))
}
