//! Records turned into comparable features: strings interned to numbers, names folded to
//! simplified characters and pinyin, employers to a key without legal-form suffixes, and the
//! frequency of each name in the input.

use super::Record;
use super::chronology::implied_birth_year;
use chrono::{Datelike, NaiveDate};
use std::collections::HashMap;
use xiaoyou_core::{Gender, StudyLevel};
use xiaoyou_text::{name_key, org_name_key, pinyin_name};

/// Years either side of a record's birth year counted for its name's frequency.
const YEAR_WINDOW: i32 = 1;

/// Interned string id.
pub type Sym = u32;

/// One record's features.
#[derive(Debug, Clone)]
pub struct Features {
    pub person: i64,
    /// Simplified, lower-cased name key (`王偉` → `王伟`, `Wang Wei` → `wangwei`).
    pub name: Sym,
    /// Whether the name is written in Han characters.
    pub han: bool,
    /// Order-insensitive pinyin key (`wang wei`), when the name has a reading.
    pub pinyin: Option<Sym>,
    pub surname_pinyin: Option<Sym>,
    pub given_pinyin: Option<Sym>,
    /// Records in the input with the same name key and a birth year (known, or suggested by
    /// the school years) within a year of this record's; all records with the name when this
    /// record suggests no year.
    pub name_count: u32,
    /// The same for the pinyin key.
    pub pinyin_count: u32,
    pub id_hash: Option<Sym>,
    pub birth: Option<NaiveDate>,
    pub gender: Option<Gender>,
    pub phones: Vec<Sym>,
    pub emails: Vec<Sym>,
    pub school: i64,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    pub class: Option<Sym>,
    pub employer: Option<Sym>,
    pub city: Option<Sym>,
}

impl Features {
    /// The birth year, when the birth date is known.
    pub fn birth_year(&self) -> Option<i32> {
        self.birth.map(|d| d.year())
    }
}

/// All records' features and the interned strings.
#[derive(Debug, Default)]
pub struct Prepared {
    pub features: Vec<Features>,
    pub strings: Vec<String>,
    /// Log-odds of two records naming the same current city, by city: the rarer the city
    /// among the input's records, the more a shared one says.
    pub city_weights: HashMap<Sym, f64>,
}

impl Prepared {
    /// The text of an interned string.
    pub fn text(&self, sym: Sym) -> &str {
        self.strings
            .get(sym as usize)
            .map(String::as_str)
            .unwrap_or("")
    }

    /// What a shared current city weighs (log-odds).
    pub fn city_weight(&self, city: Sym) -> f64 {
        self.city_weights
            .get(&city)
            .copied()
            .unwrap_or(CITY_WEIGHT_FEW_RECORDS)
    }
}

/// A shared city's weight when too few records name a city to tell how common it is.
const CITY_WEIGHT_FEW_RECORDS: f64 = 1.0;
/// Records naming a city needed before the city's share is trusted.
const CITY_RECORDS_FOR_SHARES: usize = 200;
/// Bounds of a shared city's weight: a capital holding most alumni still says something; a
/// small town is not proof.
const CITY_WEIGHT_BOUNDS: (f64, f64) = (0.5, 2.0);

/// `−ln(share)` of each city among the records that name one, within bounds.
fn city_weights(features: &[Features]) -> HashMap<Sym, f64> {
    let mut counts: HashMap<Sym, usize> = HashMap::new();
    for city in features.iter().filter_map(|f| f.city) {
        *counts.entry(city).or_default() += 1;
    }
    let total: usize = counts.values().sum();
    if total < CITY_RECORDS_FOR_SHARES {
        return HashMap::new();
    }
    let (low, high) = CITY_WEIGHT_BOUNDS;
    counts
        .into_iter()
        .map(|(city, count)| {
            let share = count as f64 / total as f64;
            (city, (-share.ln()).clamp(low, high))
        })
        .collect()
}

#[derive(Default)]
struct Interner {
    ids: HashMap<String, Sym>,
    strings: Vec<String>,
}

impl Interner {
    fn intern(&mut self, text: &str) -> Sym {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let id = self.strings.len() as Sym;
        self.strings.push(text.to_owned());
        self.ids.insert(text.to_owned(), id);
        id
    }
}

/// Name features, computed once per distinct spelling.
#[derive(Clone, Copy)]
struct NameFeatures {
    name: Sym,
    han: bool,
    pinyin: Option<Sym>,
    surname: Option<Sym>,
    given: Option<Sym>,
}

/// Computes the features of all records.
pub fn prepare(records: &[Record]) -> Prepared {
    let mut interner = Interner::default();
    let mut names: HashMap<&str, NameFeatures> = HashMap::new();
    let mut features = Vec::with_capacity(records.len());
    for record in records {
        let name = match names.get(record.name.as_str()) {
            Some(found) => *found,
            None => {
                let found = name_features(&mut interner, &record.name);
                names.insert(record.name.as_str(), found);
                found
            }
        };
        let mut intern_all = |values: &[String]| -> Vec<Sym> {
            let mut syms: Vec<Sym> = values
                .iter()
                .filter(|v| !v.is_empty())
                .map(|v| interner.intern(v))
                .collect();
            syms.sort_unstable();
            syms.dedup();
            syms
        };
        let phones = intern_all(&record.phones);
        let emails = intern_all(&record.emails);
        let id_hash = non_empty(&record.id_card_hash).map(|h| interner.intern(h));
        let class = non_empty(&record.class_key).map(|c| interner.intern(c));
        let employer = non_empty(&record.employer)
            .map(employer_key)
            .filter(|k| !k.is_empty())
            .map(|k| interner.intern(&k));
        let city = non_empty(&record.city).map(|c| interner.intern(&org_name_key(c)));
        features.push(Features {
            person: record.person,
            name: name.name,
            han: name.han,
            pinyin: name.pinyin,
            surname_pinyin: name.surname,
            given_pinyin: name.given,
            name_count: 0,
            pinyin_count: 0,
            id_hash,
            birth: record.birth_date,
            gender: record.gender,
            phones,
            emails,
            school: record.school,
            level: record.level,
            enrolment_year: record.enrolment_year,
            graduation_year: record.graduation_year,
            class,
            employer,
            city,
        });
    }
    count_names(&mut features);
    Prepared {
        city_weights: city_weights(&features),
        features,
        strings: interner.strings,
    }
}

fn non_empty(value: &Option<String>) -> Option<&str> {
    value.as_deref().map(str::trim).filter(|v| !v.is_empty())
}

fn name_features(interner: &mut Interner, raw: &str) -> NameFeatures {
    let key = name_key(raw);
    let han = key.chars().any(xiaoyou_core::person_name::is_han);
    let split = pinyin_name(raw);
    let (pinyin, surname, given) = match split {
        Some(split) => {
            let (first, second) = if split.surname <= split.given {
                (&split.surname, &split.given)
            } else {
                (&split.given, &split.surname)
            };
            let sorted = format!("{first} {second}");
            (
                Some(interner.intern(&sorted)),
                Some(interner.intern(&split.surname)),
                Some(interner.intern(&split.given)),
            )
        }
        None => (None, None, None),
    };
    // A romanised name's own key is its pinyin key, so `Wei Wang` and `Wang Wei` are one name.
    let name = match (han, pinyin) {
        (false, Some(p)) => p,
        _ => interner.intern(&key),
    };
    NameFeatures {
        name,
        han,
        pinyin,
        surname,
        given,
    }
}

/// The year a record's person was born in, known or suggested by the school years.
fn cohort_year(f: &Features) -> Option<i32> {
    f.birth_year().or_else(|| implied_birth_year(f))
}

/// Name frequencies within a birth-year window: how rare a name is among people of about the
/// same age, which is what tells two namesakes apart (a name common in one generation may be
/// rare in another).
fn count_names(features: &mut [Features]) {
    let mut names: HashMap<Sym, u32> = HashMap::new();
    let mut pinyins: HashMap<Sym, u32> = HashMap::new();
    let mut names_by_year: HashMap<(Sym, i32), u32> = HashMap::new();
    let mut pinyins_by_year: HashMap<(Sym, i32), u32> = HashMap::new();
    for f in features.iter() {
        *names.entry(f.name).or_default() += 1;
        if let Some(p) = f.pinyin {
            *pinyins.entry(p).or_default() += 1;
        }
        if let Some(year) = cohort_year(f) {
            *names_by_year.entry((f.name, year)).or_default() += 1;
            if let Some(p) = f.pinyin {
                *pinyins_by_year.entry((p, year)).or_default() += 1;
            }
        }
    }
    // Records that suggest no year could be of any age, so they count in every window.
    let (mut names_no_year, mut pinyins_no_year): (HashMap<Sym, u32>, HashMap<Sym, u32>) =
        (HashMap::new(), HashMap::new());
    for f in features.iter().filter(|f| cohort_year(f).is_none()) {
        *names_no_year.entry(f.name).or_default() += 1;
        if let Some(p) = f.pinyin {
            *pinyins_no_year.entry(p).or_default() += 1;
        }
    }
    let window = |map: &HashMap<(Sym, i32), u32>, sym: Sym, year: i32| -> u32 {
        (year - YEAR_WINDOW..=year + YEAR_WINDOW)
            .map(|y| map.get(&(sym, y)).copied().unwrap_or(0))
            .sum()
    };
    for f in features.iter_mut() {
        let year = cohort_year(f);
        f.name_count = match year {
            Some(year) => {
                window(&names_by_year, f.name, year)
                    + names_no_year.get(&f.name).copied().unwrap_or(0)
            }
            None => names.get(&f.name).copied().unwrap_or(1),
        }
        .max(1);
        f.pinyin_count = match (f.pinyin, year) {
            (Some(p), Some(year)) => (window(&pinyins_by_year, p, year)
                + pinyins_no_year.get(&p).copied().unwrap_or(0))
            .max(1),
            (Some(p), None) => pinyins.get(&p).copied().unwrap_or(1),
            (None, _) => f.name_count,
        };
    }
}

/// Prefixes dropped from employer names: the province and its prefectures.
const PLACE_PREFIXES: [&str; 16] = [
    "湖南",
    "长沙",
    "株洲",
    "湘潭",
    "衡阳",
    "邵阳",
    "岳阳",
    "常德",
    "张家界",
    "益阳",
    "郴州",
    "永州",
    "怀化",
    "娄底",
    "湘西",
    "中国",
];

/// Legal-form suffixes dropped from employer names, longest first.
const LEGAL_SUFFIXES: [&str; 8] = [
    "集团股份有限公司",
    "集团有限公司",
    "股份有限公司",
    "有限责任公司",
    "有限公司",
    "集团",
    "公司",
    "(集团)",
];

/// A key under which `湖南长沙星辰科技股份有限公司`, `长沙星辰科技有限公司` and `星辰科技` meet:
/// the organisation key without place prefixes (and 省/市 after them) or legal-form suffixes.
pub fn employer_key(name: &str) -> String {
    let mut key = org_name_key(name);
    loop {
        let before = key.len();
        for prefix in PLACE_PREFIXES {
            if let Some(rest) = key.strip_prefix(prefix) {
                let rest = rest
                    .strip_prefix('省')
                    .or_else(|| rest.strip_prefix('市'))
                    .unwrap_or(rest);
                if rest.chars().count() >= 2 {
                    key = rest.to_owned();
                }
            }
        }
        for suffix in LEGAL_SUFFIXES {
            if let Some(rest) = key.strip_suffix(suffix)
                && rest.chars().count() >= 2
            {
                key = rest.to_owned();
            }
        }
        if key.len() == before {
            return key;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn employer_variants_share_a_key() {
        let key = employer_key("长沙星辰科技有限公司");
        assert_eq!(key, "星辰科技");
        assert_eq!(employer_key("湖南长沙星辰科技股份有限公司"), key);
        assert_eq!(employer_key("湖南省星辰科技集团有限公司"), key);
        assert_eq!(employer_key("星辰科技"), key);
        assert_ne!(employer_key("长沙银河科技有限公司"), key);
    }
}
