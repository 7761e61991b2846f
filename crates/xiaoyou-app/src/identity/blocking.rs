//! Blocking: only records that share a key are compared. Each key is a 64-bit hash whose top
//! byte is its [`Kind`]. A block larger than [`MAX_BLOCK`] is split by a stricter key of its
//! kind; what is still too large is left out (and counted). Each pair is compared once, in
//! the smallest key the two records share.

use super::chronology::implied_birth_year;
use super::prepare::{Features, Prepared};
use chrono::Datelike;

/// The largest block compared (pairs grow with its square).
pub const MAX_BLOCK: usize = 250;

/// The kinds of blocking key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// Keyed hash of the ID number: every record with it is one person.
    IdHash = 1,
    Phone = 2,
    Email = 3,
    /// Pinyin key + birth year (known, or suggested by the school years).
    PinyinBirthYear = 4,
    /// Name key + school + graduation year.
    NameCohort = 5,
    /// Name key + employer.
    NameEmployer = 6,
    /// Birth date + surname pinyin (finds typos in the given name).
    BirthSurname = 7,
    /// Birth date + given-name pinyin (finds typos in the surname).
    BirthGiven = 8,
}

impl Kind {
    /// The kind byte of a key.
    pub fn of(key: u64) -> u8 {
        (key >> 56) as u8
    }
}

/// FNV-style mixing of small values into a key of a kind.
fn key(kind: Kind, values: &[u64]) -> u64 {
    let mut hash: u64 = 0xcbf2_9ce4_8422_2325 ^ kind as u64;
    for value in values {
        hash ^= *value;
        hash = hash.wrapping_mul(0x0100_0000_01b3);
        hash ^= hash >> 29;
        hash = hash.wrapping_mul(0xbf58_476d_1ce4_e5b9);
    }
    (hash & 0x00ff_ffff_ffff_ffff) | ((kind as u64) << 56)
}

fn date_value(date: chrono::NaiveDate) -> u64 {
    date.num_days_from_ce() as u64
}

/// The keys of one record.
fn keys_of(f: &Features, out: &mut Vec<u64>) {
    if let Some(id) = f.id_hash {
        out.push(key(Kind::IdHash, &[u64::from(id)]));
    }
    for phone in &f.phones {
        out.push(key(Kind::Phone, &[u64::from(*phone)]));
    }
    for email in &f.emails {
        out.push(key(Kind::Email, &[u64::from(*email)]));
    }
    let name = u64::from(f.name);
    if let Some(pinyin) = f.pinyin {
        let pinyin = u64::from(pinyin);
        // The birth year and the one the school years suggest, in one kind of key, so a
        // record without a birth date meets one with it.
        let birth = f.birth_year();
        let implied = implied_birth_year(f);
        if let Some(year) = birth {
            out.push(key(Kind::PinyinBirthYear, &[pinyin, year as u64]));
        }
        // Without a birth date the school years only suggest a year (people start school
        // or finish a degree a year early or late), so the neighbouring years are keys too.
        let spread = if birth.is_some() { 0 } else { 1 };
        if let Some(implied) = implied {
            for year in implied - spread..=implied + spread {
                if Some(year) != birth {
                    out.push(key(Kind::PinyinBirthYear, &[pinyin, year as u64]));
                }
            }
        }
    }
    if let Some(year) = f.graduation_year {
        out.push(key(Kind::NameCohort, &[name, f.school as u64, year as u64]));
    }
    if let Some(employer) = f.employer {
        out.push(key(Kind::NameEmployer, &[name, u64::from(employer)]));
    }
    if let Some(birth) = f.birth {
        if let Some(surname) = f.surname_pinyin {
            out.push(key(
                Kind::BirthSurname,
                &[date_value(birth), u64::from(surname)],
            ));
        }
        if let Some(given) = f.given_pinyin {
            out.push(key(
                Kind::BirthGiven,
                &[date_value(birth), u64::from(given)],
            ));
        }
    }
}

/// A stricter key to split an oversized block, `None` if the kind has none.
fn stricter(block: u64, f: &Features) -> Option<u64> {
    let kind = Kind::of(block);
    let extra = if kind == Kind::Phone as u8 || kind == Kind::Email as u8 {
        u64::from(f.pinyin.unwrap_or(f.name))
    } else if kind == Kind::PinyinBirthYear as u8 {
        f.birth.map(date_value).unwrap_or(0)
    } else if kind == Kind::NameCohort as u8 {
        f.class.map(u64::from).or_else(|| f.birth.map(date_value))?
    } else if kind == Kind::NameEmployer as u8 {
        f.birth_year()? as u64
    } else if kind == Kind::BirthSurname as u8 || kind == Kind::BirthGiven as u8 {
        u64::from(f.name)
    } else {
        return None;
    };
    Some(
        (key(Kind::IdHash, &[block, extra]) & 0x00ff_ffff_ffff_ffff)
            | (block & !0x00ff_ffff_ffff_ffff),
    )
}

/// The blocks to compare: `(key, record index)` sorted by key, singletons removed, and each
/// record's keys for the "compare once" rule.
#[derive(Debug, Default)]
pub struct Blocks {
    pub entries: Vec<(u64, u32)>,
    /// Per record, its sorted keys: `keys[offsets[i]..offsets[i + 1]]`.
    offsets: Vec<usize>,
    keys: Vec<u64>,
    pub skipped: usize,
}

impl Blocks {
    /// Whether `key` is the smallest key records `a` and `b` share (so the pair is compared
    /// in this block and no other).
    pub fn first_shared(&self, a: u32, b: u32, key: u64) -> bool {
        let keys_of = |r: u32| {
            let r = r as usize;
            match (self.offsets.get(r), self.offsets.get(r + 1)) {
                (Some(start), Some(end)) => self.keys.get(*start..*end).unwrap_or(&[]),
                _ => &[],
            }
        };
        let (ka, kb) = (keys_of(a), keys_of(b));
        ka.iter()
            .take_while(|k| **k < key)
            .all(|k| kb.binary_search(k).is_err())
    }

    /// The blocks as slices of `entries` with at least two records.
    pub fn runs(&self) -> impl Iterator<Item = &[(u64, u32)]> {
        self.entries.chunk_by(|x, y| x.0 == y.0)
    }
}

/// Builds the blocks of all records.
pub fn build(prepared: &Prepared) -> Blocks {
    let features = &prepared.features;
    let mut entries: Vec<(u64, u32)> = Vec::with_capacity(features.len() * 6);
    let mut scratch = Vec::new();
    for (index, f) in features.iter().enumerate() {
        scratch.clear();
        keys_of(f, &mut scratch);
        entries.extend(scratch.iter().map(|k| (*k, index as u32)));
    }
    entries.sort_unstable();
    let mut kept: Vec<(u64, u32)> = Vec::with_capacity(entries.len());
    let mut refined: Vec<(u64, u32)> = Vec::new();
    let mut skipped = 0;
    for run in entries.chunk_by(|x, y| x.0 == y.0) {
        if run.len() < 2 {
            continue;
        }
        if run.len() <= MAX_BLOCK || Kind::of(run[0].0) == Kind::IdHash as u8 {
            kept.extend_from_slice(run);
            continue;
        }
        let before = refined.len();
        for (block, index) in run {
            if let Some(f) = features.get(*index as usize)
                && let Some(sub) = stricter(*block, f)
            {
                refined.push((sub, *index));
            }
        }
        if refined.len() == before {
            skipped += 1;
        }
    }
    drop(entries);
    refined.sort_unstable();
    for run in refined.chunk_by(|x, y| x.0 == y.0) {
        if run.len() > MAX_BLOCK {
            skipped += 1;
        } else if run.len() >= 2 {
            kept.extend_from_slice(run);
        }
    }
    kept.sort_unstable();
    let (offsets, keys) = per_record_keys(&kept, features.len());
    Blocks {
        entries: kept,
        offsets,
        keys,
        skipped,
    }
}

/// Each record's keys in compressed rows.
fn per_record_keys(entries: &[(u64, u32)], records: usize) -> (Vec<usize>, Vec<u64>) {
    let mut offsets = vec![0usize; records + 1];
    for (_, index) in entries {
        if let Some(count) = offsets.get_mut(*index as usize + 1) {
            *count += 1;
        }
    }
    for i in 0..records {
        offsets[i + 1] += offsets[i];
    }
    let mut fill = offsets.clone();
    let mut keys = vec![0u64; entries.len()];
    for (key, index) in entries {
        if let Some(at) = fill.get_mut(*index as usize) {
            if let Some(slot) = keys.get_mut(*at) {
                *slot = *key;
            }
            *at += 1;
        }
    }
    // Entries are sorted by key, so each record's keys were filled in ascending order.
    (offsets, keys)
}
