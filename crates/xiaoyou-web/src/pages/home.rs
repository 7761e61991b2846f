//! The provincial overview: totals and the organisation tree by city.

use super::province_name;
use crate::AppState;
use crate::error::WebError;
use askama::Template;
use axum::extract::State;
use axum::response::Html;
use std::collections::HashMap;
use xiaoyou_store::stats::{self, Totals};
use xiaoyou_store::{org, regions};

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
    province_name: String,
    totals: Totals,
    cities: Vec<CityBlock>,
}

pub async fn show(State(state): State<AppState>) -> Result<Html<String>, WebError> {
    let db = state.db();
    let totals = stats::totals(db).await?;
    let counts: HashMap<_, _> = stats::records_per_school(db).await?.into_iter().collect();
    let schools = org::list_schools(db).await?;
    let mut cities: Vec<CityBlock> = Vec::new();
    for city in regions::children(db, state.province()).await? {
        let schools: Vec<SchoolLine> = schools
            .iter()
            .filter(|s| s.city == city.code)
            .map(|s| SchoolLine {
                id: s.id.get(),
                name: s.name.clone(),
                kind: s.kind.label(),
                records: counts.get(&s.id).copied().unwrap_or(0),
            })
            .collect();
        cities.push(CityBlock {
            name: city.name,
            records: schools.iter().map(|s| s.records).sum(),
            schools,
        });
    }
    let page = HomePage {
        province_name: province_name(&state).await?,
        totals,
        cities,
    };
    Ok(Html(page.render()?))
}
