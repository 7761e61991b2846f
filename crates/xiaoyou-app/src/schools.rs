//! Adding schools to the organisation tree without creating the same school twice.

use crate::audit::{self, AuditContext, Event};
use crate::error::{AppError, AppResult};
use xiaoyou_core::{Clock, RegionCode, SchoolKind};
use xiaoyou_store::org::{self, NewSchool, School};
use xiaoyou_store::{Db, regions};

/// Names at least this similar to an existing school are refused unless confirmed.
pub const SIMILAR_THRESHOLD: f64 = 0.8;

#[derive(Debug, Clone)]
pub struct SchoolRequest<'a> {
    pub name: &'a str,
    pub kind: SchoolKind,
    /// A city name (`长沙`, `长沙市`, `湘西州`) or its GB/T 2260 code.
    pub city: &'a str,
    /// Confirms that a similarly named school is a different one.
    pub allow_similar: bool,
}

/// Resolves a city given by name or code within a province.
pub async fn resolve_city(db: &Db, province: RegionCode, city: &str) -> AppResult<RegionCode> {
    if let Ok(code) = RegionCode::parse(city)
        && regions::get(db, code).await?.is_some()
    {
        return Ok(code);
    }
    regions::find_city_by_name(db, province, city)
        .await?
        .map(|region| region.code)
        .ok_or_else(|| AppError::UnknownName {
            what: "市州",
            name: city.trim().to_owned(),
        })
}

/// Adds a school. The same name in another spelling (traditional characters, full-width
/// brackets, spaces) is refused with the existing school; a merely similar name is refused
/// with the candidates unless `allow_similar` confirms it.
pub async fn add_school(
    db: &Db,
    clock: &dyn Clock,
    context: &AuditContext,
    province: RegionCode,
    request: &SchoolRequest<'_>,
) -> AppResult<School> {
    let name = xiaoyou_text::clean_cell(request.name);
    if name.is_empty() {
        return Err(AppError::Invalid {
            field: "学校名称",
            reason: "不能为空".into(),
        });
    }
    if let Some(existing) = org::find_school_by_name(db, &name).await? {
        return Err(AppError::SchoolExists {
            name,
            id: existing.id.get(),
            existing: existing.name,
        });
    }
    let schools = org::list_schools(db).await?;
    // An abbreviation or a province prefix is still the same school (长沙市一中, 湖南师大附中).
    let alias = xiaoyou_text::org_alias_key(&name);
    if let Some(existing) = schools
        .iter()
        .find(|s| xiaoyou_text::org_alias_key(&s.name) == alias)
    {
        return Err(AppError::SchoolExists {
            name,
            id: existing.id.get(),
            existing: existing.name.clone(),
        });
    }
    if !request.allow_similar {
        let similar = xiaoyou_text::close_matches(
            &name,
            schools.iter().map(|s| s.name.as_str()),
            SIMILAR_THRESHOLD,
            5,
        );
        if !similar.is_empty() {
            return Err(AppError::SchoolSimilar {
                name,
                candidates: similar.into_iter().map(|(n, _)| n.to_owned()).collect(),
            });
        }
    }
    let city = resolve_city(db, province, request.city).await?;
    let mut tx = db.begin().await?;
    let school = org::insert_school(
        &mut tx,
        &NewSchool {
            name: &name,
            kind: request.kind,
            city,
            department: None,
        },
    )
    .await?;
    let event = Event {
        action: "create",
        target_kind: "school",
        target_id: Some(school.id.to_string()),
        school: Some(school.id),
        changes: Some(
            serde_json::json!({
                "name": [null, school.name],
                "kind": [null, school.kind.code()],
                "city": [null, school.city.get()],
            })
            .to_string(),
        ),
    };
    audit::write(&mut tx, context, event, clock.now()).await?;
    tx.commit().await?;
    Ok(school)
}
