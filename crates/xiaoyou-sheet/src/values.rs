//! The value forms rosters use for dates and years.

use chrono::{Datelike, NaiveDate};
use xiaoyou_text::fold_width;

/// A date as precise as the cell says: `2015`, `2015-07` or `2015-07-01`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PartialDate {
    pub year: i32,
    pub month: Option<u32>,
    pub day: Option<u32>,
}

impl PartialDate {
    pub fn to_date(self) -> Option<NaiveDate> {
        NaiveDate::from_ymd_opt(self.year, self.month?, self.day.unwrap_or(1))
    }
}

/// Days from Excel's epoch (serial 1 = 1900-01-01, with its 1900 leap-year bug) to a date.
pub fn excel_serial_to_date(serial: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&serial) {
        return None;
    }
    let base = NaiveDate::from_ymd_opt(1899, 12, 30)?;
    base.checked_add_signed(chrono::Duration::days(serial.floor() as i64))
}

fn plausible_year(year: i32) -> bool {
    (1900..=2100).contains(&year)
}

/// Parses the common forms: `2015-07-01`, `2015/7/1`, `2015.7`, `2015年7月1日`, `2015年7月`,
/// `2015届`, `2015级`, `2015`, `20150701`, `201507`, and Excel serial numbers.
pub fn parse_date(raw: &str) -> Option<PartialDate> {
    let text = fold_width(raw.trim());
    let text = text.trim_end_matches(['届', '级']).trim();
    if text.is_empty() {
        return None;
    }
    // Excel serial numbers (dates saved as numbers), e.g. 42186 = 2015-07-01.
    if let Ok(serial) = text.parse::<f64>()
        && (20_000.0..80_000.0).contains(&serial)
    {
        let date = excel_serial_to_date(serial)?;
        return Some(PartialDate {
            year: date.year(),
            month: Some(date.month()),
            day: Some(date.day()),
        });
    }
    let digits_only = text.chars().all(|c| c.is_ascii_digit());
    if digits_only {
        let year: i32 = text.get(..4)?.parse().ok()?;
        if !plausible_year(year) {
            return None;
        }
        return match text.len() {
            4 => Some(PartialDate {
                year,
                month: None,
                day: None,
            }),
            6 => month_day(year, text.get(4..6)?, None),
            8 => month_day(year, text.get(4..6)?, text.get(6..8)),
            _ => None,
        };
    }
    let parts: Vec<&str> = text
        .split(['-', '/', '.', '年', '月', '日', ' ', '_'])
        .filter(|p| !p.is_empty())
        .collect();
    if parts.is_empty()
        || parts.len() > 3
        || !parts.iter().all(|p| p.chars().all(|c| c.is_ascii_digit()))
    {
        return None;
    }
    let year: i32 = parts[0].parse().ok()?;
    if !plausible_year(year) {
        return None;
    }
    match parts.len() {
        1 => Some(PartialDate {
            year,
            month: None,
            day: None,
        }),
        2 => month_day(year, parts[1], None),
        _ => month_day(year, parts[1], Some(parts[2])),
    }
}

fn month_day(year: i32, month: &str, day: Option<&str>) -> Option<PartialDate> {
    let month: u32 = month.parse().ok()?;
    if !(1..=12).contains(&month) {
        return None;
    }
    let day = match day {
        Some(day) => {
            let day: u32 = day.parse().ok()?;
            NaiveDate::from_ymd_opt(year, month, day)?;
            Some(day)
        }
        None => None,
    };
    Some(PartialDate {
        year,
        month: Some(month),
        day,
    })
}

/// A year from any date form (`2015届`, `2015.7`, serials …).
pub fn parse_year(raw: &str) -> Option<i32> {
    parse_date(raw).map(|d| d.year)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ymd(raw: &str) -> Option<(i32, Option<u32>, Option<u32>)> {
        parse_date(raw).map(|d| (d.year, d.month, d.day))
    }

    #[test]
    fn reads_every_common_form() {
        assert_eq!(ymd("2015-07"), Some((2015, Some(7), None)));
        assert_eq!(ymd("2015.7"), Some((2015, Some(7), None)));
        assert_eq!(ymd("2015年7月"), Some((2015, Some(7), None)));
        assert_eq!(ymd("2015年7月1日"), Some((2015, Some(7), Some(1))));
        assert_eq!(ymd("2015/7/1"), Some((2015, Some(7), Some(1))));
        assert_eq!(ymd("２０１５届"), Some((2015, None, None)));
        assert_eq!(ymd("2011级"), Some((2011, None, None)));
        assert_eq!(ymd("20150701"), Some((2015, Some(7), Some(1))));
        assert_eq!(ymd("201507"), Some((2015, Some(7), None)));
        assert_eq!(ymd("42186"), Some((2015, Some(7), Some(1))), "Excel serial");
        assert_eq!(ymd("2015-13"), None);
        assert_eq!(ymd("2015-02-30"), None);
        assert_eq!(ymd("不详"), None);
        assert_eq!(ymd("1850"), None);
        assert_eq!(parse_year("2015.07"), Some(2015));
    }
}
