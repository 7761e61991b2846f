//! Counting and ranking the hits of a search without visiting all of them.
//!
//! Up to [`EXACT_LIMIT`] hits everything is exact: every hit is scored, counted and its facet
//! values counted. Beyond that the total and the facet counts are *estimated*. The hits up to
//! the one that exceeded the limit, in document order, are counted exactly; the documents
//! after it are sampled: the query is run again, unscored, over at most [`MAX_WINDOWS`]
//! windows of document ids spread evenly over them, sized (from the density of hits seen so
//! far) so that about [`SAMPLED_HITS`] hits fall into them, and each segment's counts are
//! scaled up by the share of its remaining documents the windows covered. The page of hits is
//! ranked among the hits counted exactly and every document whose whole name is one of the
//! words (an exact full name is never left out); a page beyond those candidates is ranked
//! over all hits.
//!
//! The actor's scope is a required clause of the query itself, so a sampled hit, and hence
//! every count and every estimate, only ever comes from documents inside the scope.

use crate::facets::{self, FacetCounts, SegmentCounts, SegmentFacets};
use std::cmp::Ordering;
use std::collections::{BinaryHeap, HashSet};
use tantivy::query::{EnableScoring, Query, Weight};
use tantivy::{DocAddress, DocId, DocSet, Score, Searcher, SegmentReader, TERMINATED};

/// Hits counted exactly; beyond this the total and facet counts are estimated.
pub const EXACT_LIMIT: usize = 5_000;
/// About how many hits are sampled after the exact pass's stop: an estimate rests on the
/// 5,001 hits counted exactly and about this many more.
pub const SAMPLED_HITS: usize = 2_500;
/// At most this many windows of document ids are sampled over the whole index.
pub const MAX_WINDOWS: u64 = 1_024;

/// What to collect.
pub(crate) struct Plan<'a> {
    pub query: &'a dyn Query,
    /// The query narrowed to exact full-name matches (ranked first; always candidates).
    pub exact_names: Option<&'a dyn Query>,
    pub offset: usize,
    pub limit: usize,
    pub facets: bool,
    /// Count and rank every hit however many there are (exports).
    pub exact: bool,
}

pub(crate) struct Collected {
    pub total: usize,
    pub total_is_estimate: bool,
    /// The requested page, best first.
    pub page: Vec<(Score, DocAddress)>,
    pub facets: FacetCounts,
}

/// A hit in the ranking: higher scores first, then lower addresses (a stable order for
/// paging). "Better" compares as less, so a max-heap's top is the worst hit kept.
#[derive(Debug, Clone, Copy)]
struct Ranked {
    score: Score,
    address: DocAddress,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ranked {}

impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        other
            .score
            .total_cmp(&self.score)
            .then(self.address.cmp(&other.address))
    }
}

/// The best `keep` hits seen.
struct Best {
    keep: usize,
    heap: BinaryHeap<Ranked>,
}

impl Best {
    fn new(keep: usize) -> Best {
        Best {
            keep,
            heap: BinaryHeap::with_capacity(keep.min(EXACT_LIMIT) + 1),
        }
    }

    fn push(&mut self, score: Score, address: DocAddress) {
        if self.keep == 0 {
            return;
        }
        let hit = Ranked { score, address };
        if self.heap.len() < self.keep {
            self.heap.push(hit);
        } else if let Some(worst) = self.heap.peek()
            && hit < *worst
        {
            self.heap.pop();
            self.heap.push(hit);
        }
    }

    /// Best first.
    fn sorted(self) -> Vec<Ranked> {
        self.heap.into_sorted_vec()
    }
}

fn is_alive(reader: &SegmentReader, doc: DocId) -> bool {
    reader
        .alive_bitset()
        .is_none_or(|alive| alive.is_alive(doc))
}

/// An exact pass over every segment in order.
struct Exact {
    hits: usize,
    best: Best,
    facets: Vec<SegmentCounts>,
    /// Set when the pass stopped at its limit: the segment and the first document id it did
    /// not go through, and how many documents it went through.
    stopped: Option<Stop>,
}

#[derive(Debug, Clone, Copy)]
struct Stop {
    segment: usize,
    next_doc: DocId,
    scanned: u64,
}

/// Goes through the hits in document order, counting and ranking them; with a `limit`, stops
/// right after the hit that exceeds it (that hit is still counted).
fn exact_pass(
    searcher: &Searcher,
    weight: &dyn Weight,
    keep: usize,
    facets: bool,
    limit: Option<usize>,
) -> tantivy::Result<Exact> {
    let mut pass = Exact {
        hits: 0,
        best: Best::new(keep),
        facets: Vec::new(),
        stopped: None,
    };
    let start = Stop {
        segment: 0,
        next_doc: 0,
        scanned: 0,
    };
    go_on(searcher, weight, &mut pass, facets, limit, start)?;
    Ok(pass)
}

/// Goes on with an exact pass from `from` (the start, or where it stopped).
fn go_on(
    searcher: &Searcher,
    weight: &dyn Weight,
    pass: &mut Exact,
    facets: bool,
    limit: Option<usize>,
    from: Stop,
) -> tantivy::Result<()> {
    pass.stopped = None;
    // Documents in the segments before the current one.
    let mut before = from.scanned.saturating_sub(u64::from(from.next_doc));
    // Facet values are read once a segment is done, in batches.
    let mut docs = Vec::new();
    let readers = searcher.segment_readers();
    for (ordinal, reader) in readers.iter().enumerate().skip(from.segment) {
        let mut scorer = weight.scorer(reader, 1.0)?;
        docs.clear();
        let mut doc = scorer.doc();
        if ordinal == from.segment && doc < from.next_doc {
            doc = scorer.seek(from.next_doc);
        }
        while doc != TERMINATED {
            if is_alive(reader, doc) {
                pass.hits += 1;
                pass.best
                    .push(scorer.score(), DocAddress::new(ordinal as u32, doc));
                if facets {
                    docs.push(doc);
                }
                if limit.is_some_and(|limit| pass.hits > limit) {
                    pass.stopped = Some(Stop {
                        segment: ordinal,
                        next_doc: doc + 1,
                        scanned: before + u64::from(doc) + 1,
                    });
                    break;
                }
            }
            doc = scorer.advance();
        }
        if facets {
            let mut counts = SegmentFacets::new(reader)?;
            counts.add_all(&docs);
            pass.facets.push(counts.harvest(1.0));
        }
        if pass.stopped.is_some() {
            break;
        }
        before += u64::from(reader.max_doc());
    }
    Ok(())
}

/// Windows `[start, end)` of document ids spread evenly over `[from, to)`, covering about
/// `fraction` of it; the whole range when that is most of it.
fn windows(from: u64, to: u64, count: u64, fraction: f64) -> Vec<(u64, u64)> {
    let size = to.saturating_sub(from);
    if size == 0 {
        return Vec::new();
    }
    let target = (fraction * size as f64).ceil().max(1.0) as u64;
    // No more windows than documents to cover: a window holds at least one.
    let count = count.min(target).clamp(1, size);
    let width = target.div_ceil(count);
    if width.saturating_mul(count) >= size {
        return vec![(from, to)];
    }
    (0..count)
        .map(|i| {
            let start = from + i * size / count;
            (start, (start + width).min(to))
        })
        .collect()
}

/// A sampled pass over the documents after the exact pass's stop: the estimated number of
/// hits among them and their scaled facet counts.
struct Sampled {
    total: f64,
    facets: Vec<SegmentCounts>,
}

fn sample_pass(
    searcher: &Searcher,
    weight: &dyn Weight,
    stop: Stop,
    density: f64,
    facets: bool,
) -> tantivy::Result<Sampled> {
    let readers = searcher.segment_readers();
    // The part of each segment the exact pass did not go through.
    let rest: Vec<(u64, u64)> = readers
        .iter()
        .enumerate()
        .map(|(ordinal, reader)| {
            let max_doc = u64::from(reader.max_doc());
            match ordinal.cmp(&stop.segment) {
                Ordering::Less => (max_doc, max_doc),
                Ordering::Equal => (u64::from(stop.next_doc).min(max_doc), max_doc),
                Ordering::Greater => (0, max_doc),
            }
        })
        .collect();
    let remaining: u64 = rest.iter().map(|(from, to)| to - from).sum();
    let expected = density * remaining as f64;
    let fraction = (SAMPLED_HITS as f64 / expected.max(1.0)).min(1.0);
    let mut sampled = Sampled {
        total: 0.0,
        facets: Vec::new(),
    };
    let mut docs = Vec::new();
    for (reader, (from, to)) in readers.iter().zip(rest) {
        if to <= from {
            continue;
        }
        // Windows in proportion to the part's size, at least one per segment.
        let count = (MAX_WINDOWS * (to - from)).div_ceil(remaining.max(1));
        let mut scorer = weight.scorer(reader, 1.0)?;
        docs.clear();
        let (mut hits, mut covered) = (0u64, 0u64);
        for (start, end) in windows(from, to, count, fraction) {
            covered += end - start;
            let mut doc = scorer.doc();
            if u64::from(doc) < start {
                doc = scorer.seek(start as DocId);
            }
            while u64::from(doc) < end {
                if is_alive(reader, doc) {
                    hits += 1;
                    if facets {
                        docs.push(doc);
                    }
                }
                doc = scorer.advance();
            }
        }
        let scale = (to - from) as f64 / covered.max(1) as f64;
        sampled.total += hits as f64 * scale;
        if facets {
            let mut counts = SegmentFacets::new(reader)?;
            counts.add_all(&docs);
            sampled.facets.push(counts.harvest(scale));
        }
    }
    Ok(sampled)
}

fn page(ranked: Vec<Ranked>, offset: usize, limit: usize) -> Vec<(Score, DocAddress)> {
    ranked
        .into_iter()
        .skip(offset)
        .take(limit)
        .map(|r| (r.score, r.address))
        .collect()
}

/// Counts, ranks and (optionally) counts facets for a search, exactly or from a sample.
pub(crate) fn collect(searcher: &Searcher, plan: &Plan<'_>) -> tantivy::Result<Collected> {
    let weight = plan
        .query
        .weight(EnableScoring::enabled_from_searcher(searcher))?;
    let keep = plan.offset.saturating_add(plan.limit);
    let limit = (!plan.exact).then_some(EXACT_LIMIT);
    let mut exact = exact_pass(searcher, &*weight, keep, plan.facets, limit)?;
    let finish = |exact: Exact| Collected {
        total: exact.hits,
        total_is_estimate: false,
        page: page(exact.best.sorted(), plan.offset, plan.limit),
        facets: if plan.facets {
            facets::merge(exact.facets)
        } else {
            FacetCounts::default()
        },
    };
    let Some(stop) = exact.stopped else {
        return Ok(finish(exact));
    };
    // More than the limit. The documents gone through are counted exactly; the rest is
    // sampled, unscored, with windows sized by the density of hits seen so far.
    let density = exact.hits as f64 / stop.scanned.max(1) as f64;
    let all: u64 = searcher
        .segment_readers()
        .iter()
        .map(|r| u64::from(r.max_doc()))
        .sum();
    if density * all.saturating_sub(stop.scanned) as f64 <= SAMPLED_HITS as f64 {
        // A sample would cover all that is left: count and rank the rest of the hits too.
        go_on(searcher, &*weight, &mut exact, plan.facets, None, stop)?;
        return Ok(finish(exact));
    }
    let unscored = plan
        .query
        .weight(EnableScoring::disabled_from_searcher(searcher))?;
    let sampled = sample_pass(searcher, &*unscored, stop, density, plan.facets)?;
    let total = exact.hits + sampled.total.round() as usize;

    // The page is ranked among the hits counted exactly and every exact full-name match.
    let mut candidates = exact.best.sorted();
    if let Some(names) = plan.exact_names {
        let names = names.weight(EnableScoring::enabled_from_searcher(searcher))?;
        let named = exact_pass(searcher, &*names, keep, false, None)?;
        candidates.extend(named.best.sorted());
        candidates.sort();
        let mut seen = HashSet::new();
        candidates.retain(|c| seen.insert(c.address));
    }
    let ranked = if candidates.len() >= keep {
        candidates
    } else {
        // A page beyond those candidates: rank every hit.
        exact_pass(searcher, &*weight, keep, false, None)?
            .best
            .sorted()
    };
    let facets = if plan.facets {
        let mut segments = exact.facets;
        segments.extend(sampled.facets);
        facets::merge(segments)
    } else {
        FacetCounts::default()
    };
    Ok(Collected {
        total,
        total_is_estimate: true,
        page: page(ranked, plan.offset, plan.limit),
        facets,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_spread_over_the_segment_and_cover_the_fraction() {
        let w = windows(0, 1_000_000, 100, 0.01);
        assert_eq!(w.len(), 100);
        assert_eq!(w[0], (0, 100));
        assert_eq!(w[1], (10_000, 10_100));
        assert!(w.iter().all(|(s, e)| s < e && *e <= 1_000_000));
        let covered: u64 = w.iter().map(|(s, e)| e - s).sum();
        assert_eq!(covered, 10_000);
        assert_eq!(windows(0, 1_000, 100, 0.95), vec![(0, 1_000)]);
        assert_eq!(windows(500, 1_000, 100, 1.0), vec![(500, 1_000)]);
        assert_eq!(windows(500, 1_000, 2, 0.1), vec![(500, 525), (750, 775)]);
        assert!(windows(7, 7, 10, 0.5).is_empty());
        assert_eq!(
            windows(0, 10, 1_024, 0.5),
            vec![(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)],
            "never more windows than documents to cover"
        );
        assert_eq!(windows(0, 10, 1_024, 1.0), vec![(0, 10)]);
        assert_eq!(windows(0, 100_000, 1_024, 0.001).len(), 100);
    }

    #[test]
    fn ranking_prefers_scores_then_addresses() {
        let mut best = Best::new(2);
        best.push(1.0, DocAddress::new(0, 5));
        best.push(3.0, DocAddress::new(0, 9));
        best.push(3.0, DocAddress::new(0, 2));
        best.push(0.5, DocAddress::new(0, 1));
        let kept: Vec<DocAddress> = best.sorted().iter().map(|r| r.address).collect();
        assert_eq!(kept, vec![DocAddress::new(0, 2), DocAddress::new(0, 9)]);
    }
}
