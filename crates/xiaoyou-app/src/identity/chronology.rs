//! Whether school years fit a person's age and each other: a middle-school graduation near
//! 18, a bachelor's near 22, a master's near 25, a doctorate near 28 (±3 years); a lower
//! level finished before a higher one starts.

use super::prepare::Features;
use xiaoyou_core::StudyLevel;

/// Tolerance in years around the usual graduation age.
pub const AGE_SLACK: i32 = 3;

/// Outcome of a consistency check.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fit {
    Consistent,
    Inconsistent,
    Unknown,
}

/// The usual age at graduation from a level.
pub fn graduation_age(level: StudyLevel) -> i32 {
    match level {
        StudyLevel::MiddleSchool | StudyLevel::SecondaryVocational => 18,
        StudyLevel::Associate => 21,
        StudyLevel::Bachelor => 22,
        StudyLevel::Master => 25,
        StudyLevel::Doctorate => 28,
    }
}

/// The order of levels in a life: school, college, master's, doctorate.
fn rank(level: StudyLevel) -> u8 {
    match level {
        StudyLevel::MiddleSchool | StudyLevel::SecondaryVocational => 0,
        StudyLevel::Associate | StudyLevel::Bachelor => 1,
        StudyLevel::Master => 2,
        StudyLevel::Doctorate => 3,
    }
}

fn graduation(f: &Features) -> Option<i32> {
    f.graduation_year
        .or_else(|| f.enrolment_year.map(|y| y + f.level.usual_years()))
}

fn start(f: &Features) -> Option<i32> {
    f.enrolment_year
        .or_else(|| f.graduation_year.map(|y| y - f.level.usual_years()))
}

/// The birth year a record's school years suggest.
pub fn implied_birth_year(f: &Features) -> Option<i32> {
    graduation(f).map(|y| y - graduation_age(f.level))
}

/// Whether a record's years fit a birth year.
pub fn fits_age(f: &Features, birth_year: i32) -> Fit {
    match implied_birth_year(f) {
        Some(implied) if (implied - birth_year).abs() <= AGE_SLACK => Fit::Consistent,
        Some(_) => Fit::Inconsistent,
        None => Fit::Unknown,
    }
}

/// Whether two records can be one person's studies in time: ages fit the other's birth date,
/// a lower level ends before a higher level starts (one year of slack), and both suggest
/// about the same birth year.
pub fn fits_together(a: &Features, b: &Features) -> Fit {
    let mut known = false;
    for (x, y) in [(a, b), (b, a)] {
        if let Some(year) = x.birth_year() {
            match fits_age(y, year) {
                Fit::Inconsistent => return Fit::Inconsistent,
                Fit::Consistent => known = true,
                Fit::Unknown => {}
            }
        }
    }
    let (low, high) = if rank(a.level) <= rank(b.level) {
        (a, b)
    } else {
        (b, a)
    };
    if rank(low.level) < rank(high.level)
        && let (Some(end), Some(begin)) = (graduation(low), start(high))
    {
        if end > begin + 1 {
            return Fit::Inconsistent;
        }
        known = true;
    }
    if let (Some(x), Some(y)) = (implied_birth_year(a), implied_birth_year(b)) {
        if (x - y).abs() > 2 * AGE_SLACK {
            return Fit::Inconsistent;
        }
        known = true;
    }
    if known { Fit::Consistent } else { Fit::Unknown }
}

/// Whether two records are studies of one stage (school, college, master's, doctorate) whose
/// years overlap: a person is not enrolled at two schools of one stage at once.
pub fn overlapping_studies(a: &Features, b: &Features) -> bool {
    if rank(a.level) != rank(b.level) {
        return false;
    }
    match (start(a), graduation(a), start(b), graduation(b)) {
        (Some(sa), Some(ga), Some(sb), Some(gb)) => sa < gb && sb < ga,
        _ => false,
    }
}

/// One study's place and years (enrolment to graduation, either derived from the other).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Stint {
    pub level: StudyLevel,
    pub school: i64,
    pub start: i32,
    pub end: i32,
}

/// A record's stint, when its years are known.
pub fn stint(f: &Features) -> Option<Stint> {
    Some(Stint {
        level: f.level,
        school: f.school,
        start: start(f)?,
        end: graduation(f)?,
    })
}

/// Whether two stints cannot be one person's: the same level at two schools for two years or
/// more at once (a bachelor's at two universities through the same years). One year is
/// allowed: a missing enrolment year is derived from the usual length of study, which
/// transfers and 专升本 do not follow.
pub fn stints_clash(a: &Stint, b: &Stint) -> bool {
    a.level == b.level && a.school != b.school && a.end.min(b.end) - a.start.max(b.start) >= 2
}

/// Whether the lower of two adjacent stages ends the year the higher begins, or the year
/// before: how most people go from school to college to graduate school. Evidence for one
/// person; a longer gap (work before a master's) is common and not evidence against.
pub fn continuous(a: &Features, b: &Features) -> bool {
    let (low, high) = if rank(a.level) <= rank(b.level) {
        (a, b)
    } else {
        (b, a)
    };
    if rank(high.level) != rank(low.level) + 1 {
        return false;
    }
    match (graduation(low), start(high)) {
        (Some(end), Some(begin)) => (0..=1).contains(&(begin - end)),
        _ => false,
    }
}
