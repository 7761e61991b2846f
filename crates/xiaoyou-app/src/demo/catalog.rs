//! The demo's catalogue of real institutions and enterprises and of name statistics, shipped
//! in `reference/demo/` (see its README). Only generated persons are fictional.

use crate::error::{AppError, AppResult};
use xiaoyou_core::{EnterpriseTag, Gender, SchoolKind};

const SCHOOLS: &str = include_str!("../../../../reference/demo/schools.tsv");
const ENTERPRISES: &str = include_str!("../../../../reference/demo/enterprises.tsv");
const TITLES: &str = include_str!("../../../../reference/demo/titles.tsv");
const SURNAMES: &str = include_str!("../../../../reference/demo/surnames.tsv");
const GIVEN_CHARS: &str = include_str!("../../../../reference/demo/given_chars.tsv");
const CITIES_OUTSIDE: &str = include_str!("../../../../reference/demo/cities_outside.tsv");

#[derive(Debug, Clone)]
pub struct SchoolEntry {
    pub name: String,
    pub kind: SchoolKind,
    pub city_code: u32,
    pub colleges: Vec<(String, Vec<String>)>,
}

#[derive(Debug, Clone)]
pub struct EnterpriseEntry {
    pub name: String,
    pub chain: Option<String>,
    pub city_code: Option<u32>,
    pub tags: Vec<EnterpriseTag>,
}

#[derive(Debug, Clone)]
pub struct TitleEntry {
    pub title: String,
    pub weight: u64,
    pub min_age: i32,
}

#[derive(Debug, Clone)]
pub struct Catalog {
    pub schools: Vec<SchoolEntry>,
    pub enterprises: Vec<EnterpriseEntry>,
    pub titles: Vec<TitleEntry>,
    pub surnames: Vec<(String, u64)>,
    /// (character, gender or None for unisex, weight)
    pub given_chars: Vec<(char, Option<Gender>, u64)>,
    pub cities_outside: Vec<(String, u64)>,
}

fn rows(
    file: &'static str,
    text: &'static str,
    columns: usize,
) -> AppResult<Vec<(usize, Vec<&'static str>)>> {
    let mut out = Vec::new();
    for (index, line) in text.lines().enumerate().skip(1) {
        if line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split('\t').collect();
        if fields.len() != columns {
            return Err(AppError::ReferenceRow {
                line: index + 1,
                reason: format!("{file}：应有{columns}列，实际{}列", fields.len()),
            });
        }
        out.push((index + 1, fields));
    }
    Ok(out)
}

fn number<T: std::str::FromStr>(file: &str, line: usize, raw: &str) -> AppResult<T> {
    raw.trim().parse().map_err(|_| AppError::ReferenceRow {
        line,
        reason: format!("{file}：“{raw}”不是数字"),
    })
}

/// `学院(专业,专业);学院(专业)`
fn parse_colleges(raw: &str) -> Vec<(String, Vec<String>)> {
    raw.split(';')
        .filter(|part| !part.trim().is_empty())
        .map(|part| match part.split_once('(') {
            Some((college, majors)) => (
                college.trim().to_owned(),
                majors
                    .trim_end_matches(')')
                    .split(',')
                    .map(|m| m.trim().to_owned())
                    .filter(|m| !m.is_empty())
                    .collect(),
            ),
            None => (part.trim().to_owned(), Vec::new()),
        })
        .collect()
}

impl Catalog {
    pub fn load() -> AppResult<Catalog> {
        let schools = rows("schools.tsv", SCHOOLS, 4)?
            .into_iter()
            .map(|(line, f)| {
                Ok(SchoolEntry {
                    name: f[0].trim().to_owned(),
                    kind: SchoolKind::parse(f[1]).map_err(|e| AppError::ReferenceRow {
                        line,
                        reason: format!("schools.tsv：{e}"),
                    })?,
                    city_code: number("schools.tsv", line, f[2])?,
                    colleges: parse_colleges(f[3]),
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let enterprises = rows("enterprises.tsv", ENTERPRISES, 4)?
            .into_iter()
            .map(|(line, f)| {
                Ok(EnterpriseEntry {
                    name: f[0].trim().to_owned(),
                    chain: Some(f[1].trim().to_owned()).filter(|c| !c.is_empty()),
                    city_code: if f[2].trim().is_empty() {
                        None
                    } else {
                        Some(number("enterprises.tsv", line, f[2])?)
                    },
                    tags: f[3]
                        .split(';')
                        .filter(|t| !t.trim().is_empty())
                        .map(|t| {
                            EnterpriseTag::parse(t).map_err(|e| AppError::ReferenceRow {
                                line,
                                reason: format!("enterprises.tsv：{e}"),
                            })
                        })
                        .collect::<AppResult<Vec<_>>>()?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let titles = rows("titles.tsv", TITLES, 3)?
            .into_iter()
            .map(|(line, f)| {
                Ok(TitleEntry {
                    title: f[0].trim().to_owned(),
                    weight: number("titles.tsv", line, f[1])?,
                    min_age: number("titles.tsv", line, f[2])?,
                })
            })
            .collect::<AppResult<Vec<_>>>()?;
        let surnames = rows("surnames.tsv", SURNAMES, 2)?
            .into_iter()
            .map(|(line, f)| Ok((f[0].trim().to_owned(), number("surnames.tsv", line, f[1])?)))
            .collect::<AppResult<Vec<_>>>()?;
        let given_chars = rows("given_chars.tsv", GIVEN_CHARS, 3)?
            .into_iter()
            .filter_map(|(line, f)| {
                let c = f[0].trim().chars().next()?;
                let gender = match f[1].trim() {
                    "M" => Some(Gender::Male),
                    "F" => Some(Gender::Female),
                    _ => None,
                };
                Some(number("given_chars.tsv", line, f[2]).map(|w| (c, gender, w)))
            })
            .collect::<AppResult<Vec<_>>>()?;
        let cities_outside = rows("cities_outside.tsv", CITIES_OUTSIDE, 2)?
            .into_iter()
            .map(|(line, f)| {
                Ok((
                    f[0].trim().to_owned(),
                    number("cities_outside.tsv", line, f[1])?,
                ))
            })
            .collect::<AppResult<Vec<_>>>()?;
        Ok(Catalog {
            schools,
            enterprises,
            titles,
            surnames,
            given_chars,
            cities_outside,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catalogue_loads_with_the_seed_schools() -> AppResult<()> {
        let catalog = Catalog::load()?;
        for name in [
            "湖南城市学院",
            "湖南生物机电职业技术学院",
            "中南大学",
            "湖南大学",
            "湖南师范大学",
            "湘潭大学",
            "长沙理工大学",
            "湖南农业大学",
            "湖南科技大学",
            "长沙市第一中学",
            "雅礼中学",
            "长郡中学",
            "湖南师范大学附属中学",
        ] {
            assert!(catalog.schools.iter().any(|s| s.name == name), "{name}");
        }
        for kind in SchoolKind::ALL {
            assert!(catalog.schools.iter().any(|s| s.kind == *kind), "{kind}");
        }
        assert!(catalog.schools.iter().all(|s| !s.colleges.is_empty()));
        assert!(catalog.enterprises.len() > 50);
        assert!(catalog.surnames.len() > 100);
        assert!(catalog.given_chars.len() > 200);
        Ok(())
    }
}
