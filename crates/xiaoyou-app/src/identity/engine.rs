//! [`resolve`]: prepare, block, score, cluster, and collect the review band.

use super::blocking::{self, Blocks, Kind};
use super::chronology::{implied_birth_year, stint};
use super::cluster::{Clusters, Traits};
use super::prepare::{Prepared, prepare};
use super::score::{compare, reasons};
use super::{Pair, Record, Resolution, ResolveStats, Settings};
use chrono::Datelike;
use std::collections::{HashMap, HashSet};
use xiaoyou_core::Gender;

/// A scored pair kept for clustering or review: record indices, score, evidence flags.
#[derive(Debug, Clone, Copy)]
struct Scored {
    a: u32,
    b: u32,
    score: f32,
    flags: u32,
}

/// Groups study records into persons.
///
/// Records that share `person` start together (even if they carry different ID hashes);
/// confident pairs (score ≥ `merge_at`) are joined best first unless that would put two
/// different ID hashes, or two persons in `never` (pairs `(min, max)`), into one group.
/// `progress(done, total)` is called as blocks are compared.
pub fn resolve(
    records: &[Record],
    settings: &Settings,
    never: &HashSet<(i64, i64)>,
    progress: &mut dyn FnMut(usize, usize),
) -> Resolution {
    let prepared = prepare(records);
    let blocks = blocking::build(&prepared);
    let mut stats = ResolveStats {
        records: records.len(),
        blocks_skipped: blocks.skipped,
        ..ResolveStats::default()
    };
    let scored = score_blocks(&prepared, &blocks, settings, &mut stats, progress);
    drop(blocks);

    let persons: Vec<i64> = prepared.features.iter().map(|f| f.person).collect();
    let births = prepared.features.iter().map(|f| {
        f.birth
            .filter(|d| !(d.month() == 1 && d.day() == 1))
            .map(|d| d.num_days_from_ce())
    });
    let mut clusters = Clusters::new(
        prepared.features.iter().map(|f| f.id_hash),
        &persons,
        births,
        prepared.features.iter().map(traits),
        prepared.features.iter().map(stint),
        never,
    );
    let mut first_of_person: HashMap<i64, u32> = HashMap::new();
    for (index, person) in persons.iter().enumerate() {
        match first_of_person.get(person) {
            Some(first) => clusters.force(*first, index as u32),
            None => {
                first_of_person.insert(*person, index as u32);
            }
        }
    }
    let merge_at = settings.merge_at as f32;
    let (mut confident, band): (Vec<Scored>, Vec<Scored>) =
        scored.into_iter().partition(|s| s.score >= merge_at);
    confident.sort_by(|x, y| {
        y.score
            .total_cmp(&x.score)
            .then((x.a, x.b).cmp(&(y.a, y.b)))
    });
    stats.confident_pairs = confident.len();
    for pair in &confident {
        if !clusters.try_union(pair.a, pair.b) {
            stats.refused_merges += 1;
        }
    }
    let review = review_pairs(records, &mut clusters, band);
    let groups = groups(records, &mut clusters);
    stats.groups = groups.len();
    Resolution {
        groups,
        review,
        stats,
    }
}

/// What one record says about its person's gender and age.
fn traits(f: &super::prepare::Features) -> Traits {
    Traits {
        genders: match f.gender {
            Some(Gender::Male) => 0b01,
            Some(Gender::Female) => 0b10,
            None => 0,
        },
        born: f.birth_year().map(|y| (y, y)),
        implied: implied_birth_year(f).map(|y| (y, y)),
    }
}

/// Compares the pairs of every block; keeps those at or above `review_at`.
fn score_blocks(
    prepared: &Prepared,
    blocks: &Blocks,
    settings: &Settings,
    stats: &mut ResolveStats,
    progress: &mut dyn FnMut(usize, usize),
) -> Vec<Scored> {
    let total = blocks.runs().count();
    stats.blocks = total;
    let review_at = settings.review_at as f32;
    let features = &prepared.features;
    let mut kept = Vec::new();
    for (done, run) in blocks.runs().enumerate() {
        if done % 4096 == 0 {
            progress(done, total);
        }
        stats.largest_block = stats.largest_block.max(run.len());
        let block = run[0].0;
        // Records with one ID hash are one person: link each to the first, no need for all pairs.
        let id_block = Kind::of(block) == Kind::IdHash as u8;
        for (i, (_, a)) in run.iter().enumerate() {
            let others = if id_block && i > 0 {
                &[][..]
            } else {
                &run[i + 1..]
            };
            for (_, b) in others {
                let (Some(fa), Some(fb)) = (features.get(*a as usize), features.get(*b as usize))
                else {
                    continue;
                };
                if fa.person == fb.person || !blocks.first_shared(*a, *b, block) {
                    continue;
                }
                stats.comparisons += 1;
                let comparison = compare(prepared, fa, fb);
                let score = comparison.score as f32;
                if score >= review_at {
                    kept.push(Scored {
                        a: (*a).min(*b),
                        b: (*a).max(*b),
                        score,
                        flags: comparison.flags,
                    });
                }
            }
        }
    }
    progress(total, total);
    kept
}

/// The uncertain pairs between different final groups that could still be joined: the best
/// pair per two groups.
fn review_pairs(records: &[Record], clusters: &mut Clusters, band: Vec<Scored>) -> Vec<Pair> {
    let mut best: HashMap<(u32, u32), Scored> = HashMap::new();
    for pair in band {
        let (ra, rb) = (clusters.find(pair.a), clusters.find(pair.b));
        if ra == rb || !clusters.allowed(pair.a, pair.b) {
            continue;
        }
        let key = (ra.min(rb), ra.max(rb));
        let better = match best.get(&key) {
            Some(current) => {
                pair.score > current.score
                    || (pair.score == current.score && (pair.a, pair.b) < (current.a, current.b))
            }
            None => true,
        };
        if better {
            best.insert(key, pair);
        }
    }
    let mut review: Vec<Pair> = best
        .into_values()
        .filter_map(|pair| {
            let (ra, rb) = (records.get(pair.a as usize)?, records.get(pair.b as usize)?);
            let (first, second) = if ra.record <= rb.record {
                (ra, rb)
            } else {
                (rb, ra)
            };
            Some(Pair {
                a: first.record,
                b: second.record,
                score: f64::from(pair.score),
                reasons: reasons(pair.flags, (&first.name, &second.name)),
            })
        })
        .collect();
    review.sort_by_key(|p| (p.a, p.b));
    review
}

/// The final groups of record ids, each sorted, sorted by first record.
fn groups(records: &[Record], clusters: &mut Clusters) -> Vec<Vec<i64>> {
    let mut by_root: HashMap<u32, Vec<i64>> = HashMap::new();
    for (index, record) in records.iter().enumerate() {
        let root = clusters.find(index as u32);
        by_root.entry(root).or_default().push(record.record);
    }
    let mut groups: Vec<Vec<i64>> = by_root
        .into_values()
        .map(|mut group| {
            group.sort_unstable();
            group
        })
        .collect();
    groups.sort_unstable();
    groups
}
