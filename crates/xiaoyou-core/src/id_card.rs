//! Resident identity card numbers (GB 11643-1999): 6-digit area, 8-digit birth date,
//! 3-digit sequence (odd for men), and an ISO 7064 MOD 11-2 check character.

use crate::error::ValueError;
use crate::gender::Gender;
use chrono::NaiveDate;

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];

/// A valid 18-character resident ID number, upper-case `X`.
///
/// `Debug` prints the masked form so a stray log line never leaks the number.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct IdCardNo(String);

impl std::fmt::Debug for IdCardNo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "IdCardNo({})", self.masked())
    }
}

impl IdCardNo {
    /// Parses a number as it appears in rosters: surrounding spaces, full-width digits and a
    /// lower-case `x` are accepted.
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '\u{200b}' && *c != '\'')
            .map(fold_full_width)
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.is_empty() {
            return Err(ValueError::Empty);
        }
        let len = cleaned.chars().count();
        if len != 18 {
            return Err(ValueError::IdCardLength(len));
        }
        let bytes = cleaned.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(ValueError::IdCardCharacters);
        }
        let expected = check_char(&bytes[..17]);
        if bytes[17] as char != expected {
            return Err(ValueError::IdCardCheckDigit { expected });
        }
        let id = IdCardNo(cleaned);
        if id.birth_date().is_none() {
            return Err(ValueError::IdCardBirthDate);
        }
        if !(11..=82).contains(&id.province_prefix()) {
            return Err(ValueError::IdCardArea);
        }
        Ok(id)
    }

    /// Builds a valid number from its parts (used by generators and tests).
    pub fn compose(area: u32, birth: NaiveDate, sequence: u32) -> Result<Self, ValueError> {
        let body = format!(
            "{:06}{}{:03}",
            area,
            birth.format("%Y%m%d"),
            sequence % 1000
        );
        if body.len() != 17 {
            return Err(ValueError::IdCardLength(body.len() + 1));
        }
        let check = check_char(body.as_bytes());
        IdCardNo::parse(&format!("{body}{check}"))
    }

    /// The full number. Callers that show it to a person must check the actor's rights first.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `430104********123X`: area and the last four kept, birth date hidden.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    pub fn area_code(&self) -> u32 {
        self.0[..6].parse().unwrap_or(0)
    }

    fn province_prefix(&self) -> u32 {
        self.0[..2].parse().unwrap_or(0)
    }

    pub fn birth_date(&self) -> Option<NaiveDate> {
        NaiveDate::parse_from_str(&self.0[6..14], "%Y%m%d").ok()
    }

    pub fn gender(&self) -> Gender {
        let sequence_last = self.0.as_bytes()[16] - b'0';
        if sequence_last % 2 == 1 {
            Gender::Male
        } else {
            Gender::Female
        }
    }
}

fn check_char(first17: &[u8]) -> char {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(digit, weight)| u32::from(digit - b'0') * weight)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

fn fold_full_width(c: char) -> char {
    match c {
        '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
            char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
        }
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    // A well-known specimen number from the standard's documentation.
    const SPECIMEN: &str = "11010519491231002X";

    #[test]
    fn accepts_valid_numbers_and_derives_fields() -> Result<(), ValueError> {
        let id = IdCardNo::parse(SPECIMEN)?;
        assert_eq!(id.birth_date(), NaiveDate::from_ymd_opt(1949, 12, 31));
        assert_eq!(id.gender(), Gender::Female);
        assert_eq!(id.area_code(), 110105);
        assert_eq!(id.masked(), "110105********002X");
        Ok(())
    }

    #[test]
    fn accepts_lower_case_x_and_full_width_digits() {
        assert!(IdCardNo::parse("11010519491231002x").is_ok());
        assert!(IdCardNo::parse(" １１０１０５１９４９１２３１００２Ｘ ").is_ok());
    }

    #[test]
    fn rejects_bad_check_digit_length_and_date() {
        assert_eq!(
            IdCardNo::parse("110105194912310021"),
            Err(ValueError::IdCardCheckDigit { expected: 'X' })
        );
        assert_eq!(
            IdCardNo::parse("1101051949"),
            Err(ValueError::IdCardLength(10))
        );
        assert_eq!(IdCardNo::parse(""), Err(ValueError::Empty));
        let bad_date = IdCardNo::compose(430104, NaiveDate::MIN, 1);
        assert!(bad_date.is_err());
    }

    #[test]
    fn compose_round_trips() -> Result<(), ValueError> {
        let birth = NaiveDate::from_ymd_opt(1990, 2, 28).ok_or(ValueError::IdCardBirthDate)?;
        let id = IdCardNo::compose(430104, birth, 123)?;
        assert_eq!(id.birth_date(), Some(birth));
        assert_eq!(id.gender(), Gender::Male);
        assert_eq!(IdCardNo::parse(id.expose())?, id);
        Ok(())
    }

    #[test]
    fn debug_never_shows_the_number() -> Result<(), ValueError> {
        let id = IdCardNo::parse(SPECIMEN)?;
        assert!(!format!("{id:?}").contains("19491231"));
        Ok(())
    }
}
