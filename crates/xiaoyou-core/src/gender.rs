//! Gender as rosters record it.

use crate::error::ValueError;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Gender {
    Male,
    Female,
}

impl Gender {
    pub fn code(self) -> &'static str {
        match self {
            Gender::Male => "M",
            Gender::Female => "F",
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Gender::Male => "男",
            Gender::Female => "女",
        }
    }

    /// Reads the stored code or any common spelling (男/女, M/F, male/female, 1/2).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "m" | "男" | "male" | "1" | "男性" => Ok(Gender::Male),
            "f" | "女" | "female" | "2" | "女性" => Ok(Gender::Female),
            "" => Err(ValueError::Empty),
            other => Err(ValueError::UnknownVariant(other.to_owned())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_spellings() {
        assert_eq!(Gender::parse(" 男 "), Ok(Gender::Male));
        assert_eq!(Gender::parse("F"), Ok(Gender::Female));
        assert_eq!(Gender::parse(Gender::Female.code()), Ok(Gender::Female));
        assert!(Gender::parse("未知").is_err());
    }
}
