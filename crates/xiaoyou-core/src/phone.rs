//! Mainland mobile numbers as rosters write them: `+86 138-0000-0000`, `8613800000000`, full-width.

use crate::error::ValueError;

/// An 11-digit mainland mobile number. `Debug` shows it masked.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct MobilePhone(String);

impl std::fmt::Debug for MobilePhone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "MobilePhone({})", self.masked())
    }
}

impl MobilePhone {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let mut digits = String::with_capacity(13);
        for c in raw.chars() {
            let c = match c {
                '\u{ff10}'..='\u{ff19}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
                '\u{ff0b}' => '+',
                other => other,
            };
            match c {
                '0'..='9' => digits.push(c),
                ' ' | '-' | '(' | ')' | '+' | '\u{3000}' | '\t' | '\'' | '\u{200b}' => {}
                _ => return Err(ValueError::Phone),
            }
        }
        if digits.is_empty() {
            return Err(ValueError::Empty);
        }
        let national = if digits.len() == 13 && digits.starts_with("86") {
            &digits[2..]
        } else if digits.len() == 15 && digits.starts_with("0086") {
            &digits[4..]
        } else {
            &digits[..]
        };
        let bytes = national.as_bytes();
        if bytes.len() != 11 || bytes[0] != b'1' || !(b'3'..=b'9').contains(&bytes[1]) {
            return Err(ValueError::Phone);
        }
        Ok(MobilePhone(national.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// The number in clear, taken out of its wrapper.
    pub fn into_exposed(self) -> String {
        self.0
    }

    /// `138****0000`
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn normalises_common_forms() -> Result<(), ValueError> {
        for raw in [
            "13800001234",
            "+86 138-0000-1234",
            "86 13800001234",
            "0086-138 0000 1234",
            "１３８００００１２３４",
        ] {
            assert_eq!(MobilePhone::parse(raw)?.expose(), "13800001234", "{raw}");
        }
        assert_eq!(MobilePhone::parse("13800001234")?.masked(), "138****1234");
        Ok(())
    }

    #[test]
    fn rejects_landlines_and_junk() {
        assert!(MobilePhone::parse("0731-88888888").is_err());
        assert!(MobilePhone::parse("12800001234").is_err());
        assert!(MobilePhone::parse("138000012345").is_err());
        assert!(MobilePhone::parse("暂无").is_err());
        assert_eq!(MobilePhone::parse(" "), Err(ValueError::Empty));
    }
}
