//! The start page: the provincial overview for the province-wide roles, and a workbench of
//! the nodes granted to everyone else.

use super::province_name;
use crate::AppState;
use crate::error::WebError;
use crate::session::{Nav, Signed};
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use std::collections::HashMap;
use xiaoyou_core::Action;
use xiaoyou_store::stats::Totals;
use xiaoyou_store::{org, people, regions};

struct SchoolLine {
    id: i64,
    name: String,
    kind: &'static str,
    records: i64,
}

struct CityBlock {
    name: String,
    records: i64,
    schools: Vec<SchoolLine>,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    nav: Option<Nav>,
    /// Province-level roles add schools.
    may_add_school: bool,
    province_name: String,
    totals: Totals,
    /// When the figures were counted (Beijing time).
    counted_at: String,
    cities: Vec<CityBlock>,
}

#[derive(Template)]
#[template(path = "workbench.html")]
struct Workbench {
    nav: Option<Nav>,
    greeting: String,
    schools: Vec<SchoolLine>,
    colleges: Vec<(i64, String)>,
    classes: Vec<(i64, String)>,
    persons: Vec<(i64, String)>,
}

pub async fn show(State(state): State<AppState>, signed: Signed) -> Result<Html<String>, WebError> {
    let db = state.db();
    let scope = signed.actor().scope(Action::View).clone();
    let schools = org::list_schools(db).await?;
    // The whole province's counts for the overview; one indexed count per school otherwise.
    let province = if scope.all {
        Some(super::org::province_figures(&state).await?)
    } else {
        None
    };
    let counts: HashMap<_, _> = if let Some((_, figures)) = &province {
        figures.1.clone()
    } else {
        let mut counts = HashMap::new();
        for school in schools.iter().filter(|s| scope.covers_school(s.id)) {
            counts.insert(
                school.id,
                xiaoyou_store::dashboard::records_of_school(db, school.id).await?,
            );
        }
        counts
    };
    let line = |s: &org::School| SchoolLine {
        id: s.id.get(),
        name: s.name.clone(),
        kind: s.kind.label(),
        records: counts.get(&s.id).copied().unwrap_or(0),
    };
    if let Some((counted_at, figures)) = province {
        let mut cities: Vec<CityBlock> = Vec::new();
        for city in regions::children(db, state.province()).await? {
            let schools: Vec<SchoolLine> = schools
                .iter()
                .filter(|s| s.city == city.code)
                .map(line)
                .collect();
            cities.push(CityBlock {
                name: city.name,
                records: schools.iter().map(|s| s.records).sum(),
                schools,
            });
        }
        let page = HomePage {
            nav: Some(Nav::of(&signed)),
            may_add_school: signed.actor().is_province_admin(),
            province_name: province_name(&state).await?,
            totals: figures.0,
            counted_at,
            cities,
        };
        return Ok(Html(page.render()?));
    }
    let school_name = |id| {
        schools
            .iter()
            .find(|s| s.id == id)
            .map(|s| s.name.clone())
            .unwrap_or_default()
    };
    let mut colleges = Vec::new();
    for id in &scope.colleges {
        if let Some(college) = org::get_college(db, *id).await? {
            colleges.push((
                college.id.get(),
                format!("{} · {}", school_name(college.school), college.name),
            ));
        }
    }
    let mut classes = Vec::new();
    for id in &scope.classes {
        if let Some(class) = org::get_class(db, *id).await? {
            classes.push((
                class.id.get(),
                format!("{} · {}", school_name(class.school), class.name),
            ));
        }
    }
    let mut persons = Vec::new();
    for id in &scope.persons {
        if let Some(person) = people::get_person(db, *id).await? {
            persons.push((person.id.get(), person.name));
        }
    }
    let page = Workbench {
        nav: Some(Nav::of(&signed)),
        greeting: format!(
            "{}，欢迎使用校友经济大数据平台。",
            signed.actor().display_name
        ),
        schools: schools
            .iter()
            .filter(|s| scope.covers_school(s.id))
            .map(line)
            .collect(),
        colleges,
        classes,
        persons,
    };
    Ok(Html(page.render()?))
}
