//! Identity resolution: groups study records into persons, without a database.
//!
//! The pipeline of [`resolve`]:
//! 1. [`prepare`]: each record's fields as comparable keys (simplified name, pinyin key,
//!    employer key, interned phones and emails), and name frequencies in the input;
//! 2. [`blocking`]: candidate pairs share a blocking key (ID hash, phone, email, name pinyin +
//!    birth year, name + school + graduation year, name + employer, birth date + surname or
//!    given-name pinyin); oversized blocks are split by a stricter key or skipped, so work and
//!    memory grow with the blocks, not with all pairs;
//! 3. [`score`]: a pairwise log-odds score from field agreements, name agreement weighted by
//!    the name's frequency in the input, with [`chronology`] checks of school years and age;
//! 4. [`cluster`]: union-find over confident pairs, best first, that never joins two different
//!    ID hashes or two persons a human said are different.
//!
//! [`truth`] generates synthetic records with a known truth and measures the result.

pub mod apply;
pub mod blocking;
pub mod chronology;
pub mod cluster;
pub mod engine;
pub mod metrics;
pub mod prepare;
pub mod rosters;
pub mod run;
pub mod score;
pub mod truth;

pub use engine::resolve;
pub use metrics::{Scores, score as score_groups};

use chrono::NaiveDate;
use xiaoyou_core::{Gender, StudyLevel};

/// One study record as the engine sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Record {
    /// The study record's id.
    pub record: i64,
    /// The person the record belongs to now; records of one person start in one group.
    pub person: i64,
    /// The name as reported: Han (simplified or traditional) or romanised (`Wang Wei`).
    pub name: String,
    /// Keyed hash of a valid ID number (never the number itself).
    pub id_card_hash: Option<String>,
    pub birth_date: Option<NaiveDate>,
    pub gender: Option<Gender>,
    /// Normalised 11-digit mobile numbers.
    pub phones: Vec<String>,
    /// Lower-cased e-mail addresses.
    pub emails: Vec<String>,
    pub school: i64,
    pub level: StudyLevel,
    pub enrolment_year: Option<i32>,
    pub graduation_year: Option<i32>,
    /// Normalised class name key, when known.
    pub class_key: Option<String>,
    pub employer: Option<String>,
    pub city: Option<String>,
}

/// Thresholds on the pairwise score (a probability in [0, 1]).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Settings {
    /// Pairs at or above this score are merged automatically. Default 0.90.
    pub merge_at: f64,
    /// Pairs in `[review_at, merge_at)` go to human review. Default 0.70.
    pub review_at: f64,
}

impl Default for Settings {
    fn default() -> Self {
        Settings {
            merge_at: 0.90,
            review_at: 0.70,
        }
    }
}

/// A scored pair of records.
#[derive(Debug, Clone, PartialEq)]
pub struct Pair {
    /// The smaller record id.
    pub a: i64,
    /// The larger record id.
    pub b: i64,
    /// Probability-like score in [0, 1].
    pub score: f64,
    /// The evidence, in Chinese, for reviewers: `姓名拼音相同（王伟/王玮）`, `出生日期相同` …
    pub reasons: Vec<String>,
}

/// Counters of one resolution run.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ResolveStats {
    pub records: usize,
    /// Blocks with at least two records.
    pub blocks: usize,
    /// Blocks too large even for the stricter key, left out.
    pub blocks_skipped: usize,
    /// Records in the largest block compared.
    pub largest_block: usize,
    /// Pairs scored.
    pub comparisons: u64,
    /// Pairs at or above `merge_at`.
    pub confident_pairs: usize,
    /// Confident pairs not joined because of different ID hashes or a `never` decision.
    pub refused_merges: usize,
    pub groups: usize,
}

/// The outcome of [`resolve`].
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Resolution {
    /// Groups of record ids that are one person (every input record in exactly one group),
    /// each sorted, groups sorted by their first record.
    pub groups: Vec<Vec<i64>>,
    /// Pairs in the uncertain band `[review_at, merge_at)` between records that ended in
    /// different groups, the best pair per two groups, sorted by `(a, b)`.
    pub review: Vec<Pair>,
    pub stats: ResolveStats,
}

#[cfg(test)]
mod tests;
