//! The pairwise score: a sum of log-odds weights for field agreements and conflicts, turned
//! into a probability. Name agreement weighs less the more often the name occurs in the
//! input, so common names (王伟, 李娜 …) need corroboration.

use super::chronology::{Fit, continuous, fits_together, overlapping_studies};
use super::prepare::{Features, Prepared};
use chrono::Datelike;

/// What the comparison found, as flags (kept small: reasons are written only when shown).
pub mod evidence {
    pub const SAME_NAME: u32 = 1;
    pub const SAME_PINYIN: u32 = 1 << 1;
    pub const ROMANISED: u32 = 1 << 2;
    pub const ONE_CHAR_APART: u32 = 1 << 3;
    pub const NAME_DIFFERS: u32 = 1 << 4;
    pub const COMMON_NAME: u32 = 1 << 5;
    pub const SAME_BIRTH: u32 = 1 << 6;
    pub const SAME_BIRTH_YEAR: u32 = 1 << 7;
    pub const BIRTH_DIFFERS: u32 = 1 << 8;
    pub const GENDER_DIFFERS: u32 = 1 << 9;
    pub const SAME_PHONE: u32 = 1 << 10;
    pub const SAME_EMAIL: u32 = 1 << 11;
    pub const SAME_CLASS: u32 = 1 << 12;
    pub const SAME_COHORT: u32 = 1 << 13;
    pub const SAME_LEVEL_OTHER_YEARS: u32 = 1 << 14;
    pub const YEARS_FIT: u32 = 1 << 15;
    pub const YEARS_CONFLICT: u32 = 1 << 16;
    pub const SAME_EMPLOYER: u32 = 1 << 17;
    pub const SAME_CITY: u32 = 1 << 18;
    pub const SAME_ID: u32 = 1 << 19;
    pub const ID_DIFFERS: u32 = 1 << 20;
    pub const OVERLAPPING_STUDIES: u32 = 1 << 21;
    pub const NEAR_BIRTH: u32 = 1 << 22;
    pub const CONTINUOUS: u32 = 1 << 23;
    pub const PHONE_DIFFERS: u32 = 1 << 24;
    pub const EMAIL_DIFFERS: u32 = 1 << 25;
    pub const CITY_DIFFERS: u32 = 1 << 26;
}

use evidence::*;

/// A name seen at least this often among records of about the same birth year is called
/// common in reasons.
const COMMON_NAME_COUNT: u32 = 10;

/// Log-odds for one stage ending the year the next begins (or the year before).
const CONTINUOUS_WEIGHT: f64 = 1.0;

/// Log-odds when both records have phones (or e-mails) and share none: people change numbers,
/// so this is a hint, not a conflict.
const CONTACT_DIFFERS_WEIGHT: f64 = -1.0;

/// Log-odds when both records name a current city and the cities differ: people move, so a
/// hint as well.
const CITY_DIFFERS_WEIGHT: f64 = -1.2;

/// The result of comparing two records.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Comparison {
    /// Probability-like score in [0, 1].
    pub score: f64,
    pub flags: u32,
}

fn logistic(log_odds: f64) -> f64 {
    1.0 / (1.0 + (-log_odds).exp())
}

/// Whether a date stands for a year only (sources that know only the year store 1 January).
fn year_only(date: chrono::NaiveDate) -> bool {
    date.month() == 1 && date.day() == 1
}

/// Birth dates a day apart: how two registrations of one birthday often differ (a birth
/// near midnight, a clerk's slip).
pub fn near_birth(x: chrono::NaiveDate, y: chrono::NaiveDate) -> bool {
    !year_only(x) && !year_only(y) && (x - y).num_days().abs() == 1
}

/// Compares two records.
pub fn compare(prepared: &Prepared, a: &Features, b: &Features) -> Comparison {
    match (a.id_hash, b.id_hash) {
        (Some(x), Some(y)) if x == y => {
            return Comparison {
                score: 1.0,
                flags: SAME_ID,
            };
        }
        (Some(_), Some(_)) => {
            return Comparison {
                score: 0.0,
                flags: ID_DIFFERS,
            };
        }
        _ => {}
    }
    let mut flags = 0;
    let mut odds = name_weight(prepared, a, b, &mut flags);

    if let (Some(x), Some(y)) = (a.birth, b.birth) {
        if x == y && !year_only(x) {
            odds += 7.0;
            flags |= SAME_BIRTH;
        } else if x.year() == y.year() && (year_only(x) || year_only(y)) {
            odds += 2.0;
            flags |= SAME_BIRTH_YEAR;
        } else if near_birth(x, y) {
            // Some support, not a conflict.
            odds += 3.0;
            flags |= NEAR_BIRTH;
        } else if x != y {
            odds -= 7.0;
            flags |= BIRTH_DIFFERS;
        }
    }
    match (a.gender, b.gender) {
        (Some(x), Some(y)) if x == y => odds += 0.7,
        (Some(_), Some(_)) => {
            odds -= 7.0;
            flags |= GENDER_DIFFERS;
        }
        _ => {}
    }
    if shares(&a.phones, &b.phones) {
        odds += 5.5;
        flags |= SAME_PHONE;
    } else if !a.phones.is_empty() && !b.phones.is_empty() {
        odds += CONTACT_DIFFERS_WEIGHT;
        flags |= PHONE_DIFFERS;
    }
    if shares(&a.emails, &b.emails) {
        odds += 6.0;
        flags |= SAME_EMAIL;
    } else if !a.emails.is_empty() && !b.emails.is_empty() {
        odds += CONTACT_DIFFERS_WEIGHT;
        flags |= EMAIL_DIFFERS;
    }
    if a.school == b.school && a.level == b.level {
        if a.class.is_some() && a.class == b.class {
            odds += 2.5;
            flags |= SAME_CLASS;
        }
        match (a.graduation_year, b.graduation_year) {
            (Some(x), Some(y)) if x == y => {
                odds += 2.0;
                flags |= SAME_COHORT;
            }
            (Some(x), Some(y)) if (x - y).abs() > 1 => {
                odds -= 3.0;
                flags |= SAME_LEVEL_OTHER_YEARS;
            }
            _ => {}
        }
    }
    // One person does not study at two schools of one level at the same time.
    if a.school != b.school && overlapping_studies(a, b) {
        odds -= 2.5;
        flags |= OVERLAPPING_STUDIES;
    }
    match fits_together(a, b) {
        Fit::Consistent => {
            odds += 0.2;
            flags |= YEARS_FIT;
        }
        Fit::Inconsistent => {
            odds -= 10.0;
            flags |= YEARS_CONFLICT;
        }
        Fit::Unknown => {}
    }
    if continuous(a, b) {
        odds += CONTINUOUS_WEIGHT;
        flags |= CONTINUOUS;
    }
    if a.employer.is_some() && a.employer == b.employer {
        odds += 2.5;
        flags |= SAME_EMPLOYER;
    }
    match (a.city, b.city) {
        (Some(x), Some(y)) if x == y => {
            odds += prepared.city_weight(x);
            flags |= SAME_CITY;
        }
        (Some(_), Some(_)) => {
            odds += CITY_DIFFERS_WEIGHT;
            flags |= CITY_DIFFERS;
        }
        _ => {}
    }
    Comparison {
        score: logistic(odds),
        flags,
    }
}

/// Log-odds contributed by the names. Identical names weigh `2.7 − ln(count)`; the same
/// pinyin from a romanised name a little less, a homophone in Han characters less again,
/// one differing character in a name of three or more characters little; other names are a
/// strong sign of two people.
fn name_weight(prepared: &Prepared, a: &Features, b: &Features, flags: &mut u32) -> f64 {
    let rarity = |count: u32| -(f64::from(count.max(2))).ln();
    let common = a.name_count.max(b.name_count) >= COMMON_NAME_COUNT;
    if common {
        *flags |= COMMON_NAME;
    }
    if a.name == b.name {
        *flags |= SAME_NAME;
        return 2.7 + rarity(a.name_count.max(b.name_count));
    }
    if a.pinyin.is_some() && a.pinyin == b.pinyin {
        *flags |= SAME_PINYIN;
        let count = a.pinyin_count.max(b.pinyin_count);
        if a.han != b.han {
            *flags |= ROMANISED;
            return 2.6 + rarity(count);
        }
        return -1.5 + rarity(count);
    }
    if a.han && b.han {
        let (x, y) = (prepared.text(a.name), prepared.text(b.name));
        match one_char_apart(x, y) {
            // A differing surname with the same one-character given name: many people share
            // a given name and a birth date, so this needs an ID, phone or e-mail as well.
            Some(0) if x.chars().count() == 2 => {
                *flags |= ONE_CHAR_APART;
                return -7.0;
            }
            Some(_) => {
                *flags |= ONE_CHAR_APART;
                return -3.5;
            }
            None => {}
        }
    }
    *flags |= NAME_DIFFERS;
    -9.0
}

/// The position of the one differing character of two Han names of the same length: any
/// position in names of three or more characters, the surname in two-character names.
fn one_char_apart(x: &str, y: &str) -> Option<usize> {
    let (x, y): (Vec<char>, Vec<char>) = (x.chars().collect(), y.chars().collect());
    if x.len() != y.len() || x.len() < 2 {
        return None;
    }
    let differing: Vec<usize> = (0..x.len()).filter(|i| x[*i] != y[*i]).collect();
    match differing.as_slice() {
        [i] if x.len() >= 3 || *i == 0 => Some(*i),
        _ => None,
    }
}

/// Whether two sorted lists share a value.
fn shares(x: &[u32], y: &[u32]) -> bool {
    let (mut i, mut j) = (0, 0);
    while i < x.len() && j < y.len() {
        match x[i].cmp(&y[j]) {
            std::cmp::Ordering::Equal => return true,
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
        }
    }
    false
}

/// The evidence in Chinese, for reviewers. `names` are the two names as reported.
pub fn reasons(flags: u32, names: (&str, &str)) -> Vec<String> {
    let (x, y) = names;
    let mut out = Vec::new();
    let pair = if x == y {
        x.to_owned()
    } else {
        format!("{x}/{y}")
    };
    let name_reason = if flags & SAME_ID != 0 {
        Some("身份证号相同".to_owned())
    } else if flags & SAME_NAME != 0 {
        Some(format!("姓名相同（{pair}）"))
    } else if flags & ROMANISED != 0 {
        Some(format!("拼音姓名与中文姓名一致（{pair}）"))
    } else if flags & SAME_PINYIN != 0 {
        Some(format!("姓名拼音相同（{pair}）"))
    } else if flags & ONE_CHAR_APART != 0 {
        Some(format!("姓名仅一字不同（{pair}）"))
    } else if flags & NAME_DIFFERS != 0 {
        Some(format!("姓名不同（{pair}）"))
    } else {
        None
    };
    out.extend(name_reason);
    let labels: [(u32, &str); 21] = [
        (COMMON_NAME, "常见姓名，需其他信息佐证"),
        (SAME_BIRTH, "出生日期相同"),
        (NEAR_BIRTH, "出生日期仅差一天"),
        (SAME_BIRTH_YEAR, "出生年份相同"),
        (BIRTH_DIFFERS, "出生日期不同"),
        (GENDER_DIFFERS, "性别不同"),
        (SAME_PHONE, "手机号相同"),
        (SAME_EMAIL, "邮箱相同"),
        (SAME_CLASS, "同校同班"),
        (SAME_COHORT, "同校同层次同届"),
        (SAME_LEVEL_OTHER_YEARS, "同校同层次但届别不同"),
        (YEARS_FIT, "各段学习年份与年龄相符"),
        (CONTINUOUS, "上一学段毕业当年或次年升入下一学段"),
        (YEARS_CONFLICT, "学习年份与年龄或先后顺序矛盾"),
        (OVERLAPPING_STUDIES, "同一学段在不同学校的在读时间重叠"),
        (SAME_EMPLOYER, "工作单位相同"),
        (SAME_CITY, "所在城市相同"),
        (PHONE_DIFFERS, "手机号不同（可能已换号）"),
        (EMAIL_DIFFERS, "邮箱不同"),
        (CITY_DIFFERS, "所在城市不同（可能已迁居）"),
        (ID_DIFFERS, "身份证号不同"),
    ];
    for (flag, label) in labels {
        if flags & flag != 0 {
            out.push(label.to_owned());
        }
    }
    out
}
