//! GB/T 2260 regions: reference data, loaded per province.

use crate::db::{Db, Tx};
use crate::error::{StoreError, StoreResult};
use xiaoyou_core::{RegionCode, RegionLevel};

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Region {
    pub code: RegionCode,
    pub name: String,
    pub level: RegionLevel,
    pub parent: Option<RegionCode>,
}

type RegionRow = (i32, String, String, Option<i32>);

fn decode(row: RegionRow) -> StoreResult<Region> {
    let (code, name, level, parent) = row;
    let corrupt = |detail: String| StoreError::Corrupt {
        table: "regions",
        id: i64::from(code),
        detail,
    };
    let to_code = |raw: i32| {
        u32::try_from(raw)
            .map_err(|e| e.to_string())
            .and_then(|c| RegionCode::new(c).map_err(|e| e.to_string()))
    };
    Ok(Region {
        code: to_code(code).map_err(corrupt)?,
        name,
        level: RegionLevel::parse(&level).map_err(|e| corrupt(e.to_string()))?,
        parent: parent.map(to_code).transpose().map_err(corrupt)?,
    })
}

fn code_param(code: RegionCode) -> i32 {
    i32::try_from(code.get()).unwrap_or(i32::MAX)
}

/// Inserts or updates regions; parents must come before their children in `regions`.
pub async fn upsert(tx: &mut Tx, regions: &[Region]) -> StoreResult<usize> {
    for region in regions {
        on_tx!(&mut *tx, |conn| sqlx::query(
            "INSERT INTO regions (code, name, level, parent_code) VALUES ($1, $2, $3, $4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, level = excluded.level,
                 parent_code = excluded.parent_code"
        )
        .bind(code_param(region.code))
        .bind(&region.name)
        .bind(region.level.code())
        .bind(region.parent.map(code_param))
        .execute(&mut *conn)
        .await
        .map(|done| done.rows_affected())
        .map_err(StoreError::query("保存行政区划", "上级行政区划"))?);
    }
    Ok(regions.len())
}

macro_rules! select {
    () => {
        "SELECT code, name, level, parent_code FROM regions"
    };
}

pub async fn get(db: &Db, code: RegionCode) -> StoreResult<Option<Region>> {
    let sql = concat!(select!(), " WHERE code = $1");
    let row: Option<RegionRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(code_param(code))
        .fetch_optional(pool)
        .await
        .map_err(StoreError::query("读取行政区划", "行政区划"))?);
    row.map(decode).transpose()
}

pub async fn children(db: &Db, parent: RegionCode) -> StoreResult<Vec<Region>> {
    let sql = concat!(select!(), " WHERE parent_code = $1 ORDER BY code");
    let rows: Vec<RegionRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .bind(code_param(parent))
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取行政区划", "行政区划"))?);
    rows.into_iter().map(decode).collect()
}

pub async fn provinces(db: &Db) -> StoreResult<Vec<Region>> {
    let sql = concat!(select!(), " WHERE level = 'province' ORDER BY code");
    let rows: Vec<RegionRow> = on_db!(db, |pool| sqlx::query_as(sql)
        .fetch_all(pool)
        .await
        .map_err(StoreError::query("读取行政区划", "行政区划"))?);
    rows.into_iter().map(decode).collect()
}

/// Finds a city (市州) of a province by its name, with or without the 市/州 suffix.
pub async fn find_city_by_name(
    db: &Db,
    province: RegionCode,
    name: &str,
) -> StoreResult<Option<Region>> {
    let cities = children(db, province).await?;
    let wanted = name.trim();
    Ok(cities.into_iter().find(|city| {
        city.name == wanted
            || city.name.trim_end_matches(['市', '州']) == wanted.trim_end_matches(['市', '州'])
            || (wanted.chars().count() >= 2 && city.name.starts_with(wanted))
    }))
}
