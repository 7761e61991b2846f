//! Unified social credit codes (统一社会信用代码, GB 32100-2015): 18 characters from a
//! 31-character alphabet; the last is a MOD 31 check character.

use crate::error::ValueError;

const ALPHABET: &str = "0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [
    1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28,
];

#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct CreditCode(String);

impl CreditCode {
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let cleaned: String = raw
            .chars()
            .filter(|c| !c.is_whitespace())
            .map(|c| match c {
                '\u{ff10}'..='\u{ff19}' | '\u{ff21}'..='\u{ff3a}' | '\u{ff41}'..='\u{ff5a}' => {
                    char::from_u32(c as u32 - 0xfee0).unwrap_or(c)
                }
                other => other,
            })
            .map(|c| c.to_ascii_uppercase())
            .collect();
        if cleaned.is_empty() {
            return Err(ValueError::Empty);
        }
        if cleaned.chars().count() != 18 {
            return Err(ValueError::CreditCodeLength);
        }
        let mut values = Vec::with_capacity(18);
        for c in cleaned.chars() {
            values.push(alphabet_value(c).ok_or(ValueError::CreditCodeCharacter(c))?);
        }
        let expected = check_char(&values[..17]);
        if !cleaned.ends_with(expected) {
            return Err(ValueError::CreditCodeCheck { expected });
        }
        Ok(CreditCode(cleaned))
    }

    /// Completes a 17-character body with its check character (generators and tests).
    pub fn complete(body: &str) -> Result<Self, ValueError> {
        let values = body
            .chars()
            .map(|c| alphabet_value(c).ok_or(ValueError::CreditCodeCharacter(c)))
            .collect::<Result<Vec<_>, _>>()?;
        if values.len() != 17 {
            return Err(ValueError::CreditCodeLength);
        }
        CreditCode::parse(&format!("{body}{}", check_char(&values)))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The registration area (characters 3–8), a GB/T 2260 code.
    pub fn area_code(&self) -> &str {
        &self.0[2..8]
    }
}

fn alphabet_value(c: char) -> Option<u32> {
    ALPHABET.find(c).map(|i| i as u32)
}

fn check_char(values: &[u32]) -> char {
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(v, w)| v * w).sum();
    let check = (31 - sum % 31) % 31;
    ALPHABET.chars().nth(check as usize).unwrap_or('0')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn validates_check_character() -> Result<(), ValueError> {
        let code = CreditCode::complete("91430100MA4L0000")
            .err()
            .map(|_| ())
            .map_or_else(|| Err(ValueError::CreditCodeLength), Ok);
        assert!(code.is_ok(), "16 characters must be refused");
        let code = CreditCode::complete("91430100MA4L00001")?;
        assert_eq!(code.area_code(), "430100");
        assert_eq!(CreditCode::parse(&code.as_str().to_lowercase())?, code);
        let mut wrong = code.as_str().to_owned();
        let last = wrong.pop().unwrap_or('0');
        wrong.push(if last == '0' { '1' } else { '0' });
        assert!(matches!(
            CreditCode::parse(&wrong),
            Err(ValueError::CreditCodeCheck { .. })
        ));
        assert_eq!(
            CreditCode::parse("91430100MA4L0000IO"),
            Err(ValueError::CreditCodeCharacter('I'))
        );
        Ok(())
    }

    #[test]
    fn accepts_a_published_code() {
        // The example printed in GB 32100-2015 and a widely published company's code.
        assert!(CreditCode::parse("91350100M000100Y43").is_ok());
        assert!(CreditCode::parse("91110108551385082Q").is_ok());
    }
}
