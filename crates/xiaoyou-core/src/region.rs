//! GB/T 2260 administrative division codes: province `xx0000`, prefecture `xxxx00`, county `xxxxxx`.

use crate::error::ValueError;
use serde::{Deserialize, Serialize};

/// A six-digit GB/T 2260 code.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct RegionCode(u32);

/// The three levels the platform works with.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RegionLevel {
    /// 省、自治区、直辖市
    Province,
    /// 市、州（地级）
    City,
    /// 县、县级市、区
    County,
}

impl RegionLevel {
    pub fn code(self) -> &'static str {
        match self {
            RegionLevel::Province => "province",
            RegionLevel::City => "city",
            RegionLevel::County => "county",
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw.trim() {
            "province" | "省" => Ok(RegionLevel::Province),
            "city" | "市" | "市州" => Ok(RegionLevel::City),
            "county" | "县" | "县市区" => Ok(RegionLevel::County),
            other => Err(ValueError::UnknownVariant(other.to_owned())),
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            RegionLevel::Province => "省",
            RegionLevel::City => "市州",
            RegionLevel::County => "县市区",
        }
    }
}

impl RegionCode {
    pub fn new(code: u32) -> Result<Self, ValueError> {
        if (110_000..=999_999).contains(&code) {
            Ok(RegionCode(code))
        } else {
            Err(ValueError::RegionCode)
        }
    }

    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let raw = raw.trim();
        if raw.len() != 6 || !raw.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ValueError::RegionCode);
        }
        raw.parse::<u32>()
            .map_err(|_| ValueError::RegionCode)
            .and_then(RegionCode::new)
    }

    pub fn get(self) -> u32 {
        self.0
    }

    /// The level the code's shape implies.
    pub fn level(self) -> RegionLevel {
        if self.0.is_multiple_of(10_000) {
            RegionLevel::Province
        } else if self.0.is_multiple_of(100) {
            RegionLevel::City
        } else {
            RegionLevel::County
        }
    }

    pub fn province(self) -> RegionCode {
        RegionCode(self.0 / 10_000 * 10_000)
    }

    /// The prefecture-level code containing this one (itself for a city; `None` for a province).
    pub fn city(self) -> Option<RegionCode> {
        match self.level() {
            RegionLevel::Province => None,
            _ => Some(RegionCode(self.0 / 100 * 100)),
        }
    }

    /// Whether `self` lies inside `other` (or is it).
    pub fn is_within(self, other: RegionCode) -> bool {
        match other.level() {
            RegionLevel::Province => self.province() == other,
            RegionLevel::City => self.city() == Some(other),
            RegionLevel::County => self == other,
        }
    }
}

impl std::fmt::Display for RegionCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:06}", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_and_containment() -> Result<(), ValueError> {
        let hunan = RegionCode::parse("430000")?;
        let changsha = RegionCode::parse("430100")?;
        let yuelu = RegionCode::parse("430104")?;
        assert_eq!(hunan.level(), RegionLevel::Province);
        assert_eq!(changsha.level(), RegionLevel::City);
        assert_eq!(yuelu.level(), RegionLevel::County);
        assert_eq!(yuelu.city(), Some(changsha));
        assert!(yuelu.is_within(hunan));
        assert!(yuelu.is_within(changsha));
        assert!(!changsha.is_within(yuelu));
        assert!(!RegionCode::parse("140100")?.is_within(hunan));
        assert!(RegionCode::parse("43010").is_err());
        assert!(RegionCode::parse("43a100").is_err());
        Ok(())
    }
}
