//! Money as integer fen (分), never floating point.

use crate::error::ValueError;
use serde::{Deserialize, Serialize};

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(transparent)]
pub struct Fen(pub i64);

impl Fen {
    pub fn from_yuan(yuan: i64) -> Result<Self, ValueError> {
        yuan.checked_mul(100)
            .map(Fen)
            .ok_or(ValueError::MoneyOverflow)
    }

    /// Parses `1234.5`, `1,234.50元`, `￥1234`, `12.5万` and `3亿` (full-width accepted).
    pub fn parse(raw: &str) -> Result<Self, ValueError> {
        let folded: String = raw
            .trim()
            .chars()
            .map(|c| match c {
                '\u{ff10}'..='\u{ff19}' => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
                '．' => '.',
                other => other,
            })
            .filter(|c| !matches!(c, ',' | '，' | ' ' | '¥' | '￥'))
            .collect();
        let (number, multiplier) = if let Some(rest) = folded.strip_suffix("万元") {
            (rest, 10_000)
        } else if let Some(rest) = folded.strip_suffix("亿元") {
            (rest, 100_000_000)
        } else if let Some(rest) = folded.strip_suffix('万') {
            (rest, 10_000)
        } else if let Some(rest) = folded.strip_suffix('亿') {
            (rest, 100_000_000)
        } else {
            (folded.strip_suffix('元').unwrap_or(&folded), 1)
        };
        if number.is_empty() {
            return Err(ValueError::Empty);
        }
        let (negative, number) = match number.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, number),
        };
        let (whole, fraction) = number.split_once('.').unwrap_or((number, ""));
        let digits_ok = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if whole.is_empty() || !digits_ok(whole) || !digits_ok(fraction) {
            return Err(ValueError::Money(raw.trim().to_owned()));
        }
        // Scale to fen * multiplier exactly: shift the decimal point by log10(100 * multiplier).
        let scale_digits = match multiplier {
            1 => 2,
            10_000 => 6,
            _ => 10,
        };
        if fraction.len() > scale_digits {
            return Err(ValueError::Money(raw.trim().to_owned()));
        }
        let mut text = String::with_capacity(whole.len() + scale_digits);
        text.push_str(whole);
        text.push_str(fraction);
        for _ in fraction.len()..scale_digits {
            text.push('0');
        }
        let value: i64 = text.parse().map_err(|_| ValueError::MoneyOverflow)?;
        Ok(Fen(if negative { -value } else { value }))
    }

    pub fn yuan_string(self) -> String {
        let sign = if self.0 < 0 { "-" } else { "" };
        let abs = self.0.unsigned_abs();
        let yuan = abs / 100;
        let fen = abs % 100;
        let digits = yuan.to_string();
        let mut grouped = String::new();
        for (i, c) in digits.chars().enumerate() {
            if i > 0 && (digits.len() - i).is_multiple_of(3) {
                grouped.push(',');
            }
            grouped.push(c);
        }
        format!("{sign}¥{grouped}.{fen:02}")
    }

    pub fn checked_add(self, other: Fen) -> Option<Fen> {
        self.0.checked_add(other.0).map(Fen)
    }
}

impl std::fmt::Display for Fen {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.yuan_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_common_forms() -> Result<(), ValueError> {
        assert_eq!(Fen::parse("1234.5")?, Fen(123_450));
        assert_eq!(Fen::parse("1,234.50元")?, Fen(123_450));
        assert_eq!(Fen::parse("￥１２３４")?, Fen(123_400));
        assert_eq!(Fen::parse("12.5万")?, Fen(12_500_000));
        assert_eq!(Fen::parse("3亿元")?, Fen(30_000_000_000));
        assert_eq!(Fen::parse("-5")?, Fen(-500));
        assert!(Fen::parse("1.234").is_err());
        assert!(Fen::parse("abc").is_err());
        assert!(Fen::parse("99999999999999999999").is_err());
        Ok(())
    }

    #[test]
    fn formats_with_grouping() {
        assert_eq!(Fen(123_456_789).to_string(), "¥1,234,567.89");
        assert_eq!(Fen(5).to_string(), "¥0.05");
        assert_eq!(Fen(-100_000).to_string(), "-¥1,000.00");
    }
}
