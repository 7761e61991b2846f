//! A school: its figures, its alumni by graduation year and city, and its colleges.

use super::province_name;
use crate::AppState;
use crate::chart;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::{Path, State};
use axum::response::Html;
use std::collections::HashMap;
use xiaoyou_store::org::{self, School};
use xiaoyou_store::regions;
use xiaoyou_store::stats::{self, SchoolBreakdown};

struct CollegeLine {
    id: i64,
    name: String,
    majors: String,
    records: i64,
}

#[derive(Template)]
#[template(path = "school.html")]
struct SchoolPage {
    nav: Option<Nav>,
    may_import: bool,
    province_name: String,
    school: School,
    city_name: String,
    department: Option<String>,
    breakdown: SchoolBreakdown,
    colleges: Vec<CollegeLine>,
    class_count: usize,
    year_chart: String,
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
    let breakdown = stats::school_breakdown(db, school.id, 10).await?;
    let per_college: HashMap<_, _> = breakdown.by_college.iter().copied().collect();
    let majors = org::list_majors_of_school(db, school.id).await?;
    let mut class_count = 0;
    let mut colleges = Vec::new();
    for college in org::list_colleges(db, school.id).await? {
        class_count += org::list_classes_of_college(db, college.id).await?.len();
        colleges.push(CollegeLine {
            id: college.id.get(),
            majors: majors
                .iter()
                .filter(|m| m.college == college.id)
                .map(|m| m.name.as_str())
                .collect::<Vec<_>>()
                .join("、"),
            records: per_college.get(&college.id).copied().unwrap_or(0),
            name: college.name,
        });
    }
    let year_chart = chart::bars_by_year(
        &breakdown.by_graduation_year,
        &format!("{}各届校友人数", school.name),
    );
    let page = SchoolPage {
        nav: Some(Nav::of(&signed)),
        may_import: signed
            .actor()
            .scope(xiaoyou_core::Action::Edit)
            .covers_school(school.id),
        province_name: province_name(&state).await?,
        school,
        city_name,
        department,
        breakdown,
        colleges,
        class_count,
        year_chart,
    };
    Ok(Html(page.render()?))
}
