//! Counting and ranking the hits of a search without visiting all of them.
//!
//! Up to [`EXACT_LIMIT`] hits everything is exact: every hit is scored, counted and its facet
//! values counted. Beyond that the total and the facet counts are *estimated*: the query is
//! run again over at most [`MAX_WINDOWS`] windows of document ids spread evenly over every
//! segment, sized so that about [`SAMPLE_TARGET`] hits fall into them, and each segment's
//! counts are scaled up by the share of its documents the windows covered. The page of hits
//! is then ranked among the sampled hits and every document whose whole name is one of the
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
/// About how many hits an estimate is drawn from.
pub const SAMPLE_TARGET: usize = 5_000;
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
    /// Set when the pass stopped at its limit: the documents it had gone through.
    stopped_after: Option<u64>,
}

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
        stopped_after: None,
    };
    let mut scanned = 0u64;
    // Facet values are read once a segment is done (in batches, and not at all when the
    // pass stops at its limit and the counts come from a sample instead).
    let mut docs = Vec::new();
    for (ordinal, reader) in searcher.segment_readers().iter().enumerate() {
        let mut scorer = weight.scorer(reader, 1.0)?;
        docs.clear();
        let mut doc = scorer.doc();
        while doc != TERMINATED {
            if is_alive(reader, doc) {
                pass.hits += 1;
                if limit.is_some_and(|limit| pass.hits > limit) {
                    pass.stopped_after = Some(scanned + u64::from(doc) + 1);
                    return Ok(pass);
                }
                pass.best
                    .push(scorer.score(), DocAddress::new(ordinal as u32, doc));
                if facets {
                    docs.push(doc);
                }
            }
            doc = scorer.advance();
        }
        scanned += u64::from(reader.max_doc());
        if facets {
            let mut counts = SegmentFacets::new(reader)?;
            counts.add_all(&docs);
            pass.facets.push(counts.harvest(1.0));
        }
    }
    Ok(pass)
}

/// Windows `[start, end)` of document ids spread evenly over a segment of `max_doc`
/// documents, covering about `fraction` of it; the whole segment when that is most of it.
fn windows(max_doc: u64, count: u64, fraction: f64) -> Vec<(u64, u64)> {
    let target = (fraction * max_doc as f64).ceil().max(1.0) as u64;
    // No more windows than documents to cover: a window holds at least one.
    let count = count.min(target).clamp(1, max_doc.max(1));
    let width = target.div_ceil(count);
    if width.saturating_mul(count) >= max_doc {
        return vec![(0, max_doc)];
    }
    (0..count)
        .map(|i| {
            let start = i * max_doc / count;
            (start, (start + width).min(max_doc))
        })
        .collect()
}

/// A sampled pass: the estimated total, the sampled hits, the scaled facet counts.
struct Sampled {
    total: f64,
    best: Best,
    facets: Vec<SegmentCounts>,
}

fn sample_pass(
    searcher: &Searcher,
    weight: &dyn Weight,
    expected: f64,
    keep: usize,
    facets: bool,
) -> tantivy::Result<Sampled> {
    let readers = searcher.segment_readers();
    let all: u64 = readers.iter().map(|r| u64::from(r.max_doc())).sum();
    let fraction = (SAMPLE_TARGET as f64 / expected.max(1.0)).min(1.0);
    let mut sampled = Sampled {
        total: 0.0,
        best: Best::new(keep),
        facets: Vec::new(),
    };
    let mut docs = Vec::new();
    for (ordinal, reader) in readers.iter().enumerate() {
        let max_doc = u64::from(reader.max_doc());
        if max_doc == 0 {
            continue;
        }
        // Windows in proportion to the segment's size, at least one per segment.
        let count = (MAX_WINDOWS * max_doc).div_ceil(all.max(1));
        let mut scorer = weight.scorer(reader, 1.0)?;
        docs.clear();
        let (mut hits, mut covered) = (0u64, 0u64);
        for (start, end) in windows(max_doc, count, fraction) {
            covered += end - start;
            let mut doc = scorer.doc();
            if u64::from(doc) < start {
                doc = scorer.seek(start as DocId);
            }
            while u64::from(doc) < end {
                if is_alive(reader, doc) {
                    hits += 1;
                    sampled
                        .best
                        .push(scorer.score(), DocAddress::new(ordinal as u32, doc));
                    if facets {
                        docs.push(doc);
                    }
                }
                doc = scorer.advance();
            }
        }
        let scale = max_doc as f64 / covered.max(1) as f64;
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
    let exact = exact_pass(searcher, &*weight, keep, plan.facets, limit)?;
    let Some(scanned) = exact.stopped_after else {
        return Ok(Collected {
            total: exact.hits,
            total_is_estimate: false,
            page: page(exact.best.sorted(), plan.offset, plan.limit),
            facets: if plan.facets {
                facets::merge(exact.facets)
            } else {
                FacetCounts::default()
            },
        });
    };
    // More than the limit: the density of hits in the documents gone through so far tells
    // about how many there are, and so how large a sample gives about SAMPLE_TARGET hits.
    let all: u64 = searcher
        .segment_readers()
        .iter()
        .map(|r| u64::from(r.max_doc()))
        .sum();
    let expected = exact.hits as f64 * all as f64 / scanned.max(1) as f64;
    let sampled = sample_pass(searcher, &*weight, expected, keep, plan.facets)?;
    // There are more hits than the exact pass counted, whatever the sample says.
    let total = (sampled.total.round() as usize).max(exact.hits);

    let mut candidates = sampled.best.sorted();
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
        // A page beyond the sample: rank every hit.
        exact_pass(searcher, &*weight, keep, false, None)?
            .best
            .sorted()
    };
    Ok(Collected {
        total,
        total_is_estimate: true,
        page: page(ranked, plan.offset, plan.limit),
        facets: if plan.facets {
            facets::merge(sampled.facets)
        } else {
            FacetCounts::default()
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn windows_spread_over_the_segment_and_cover_the_fraction() {
        let w = windows(1_000_000, 100, 0.01);
        assert_eq!(w.len(), 100);
        assert_eq!(w[0], (0, 100));
        assert_eq!(w[1], (10_000, 10_100));
        assert!(w.iter().all(|(s, e)| s < e && *e <= 1_000_000));
        let covered: u64 = w.iter().map(|(s, e)| e - s).sum();
        assert_eq!(covered, 10_000);
        assert_eq!(windows(1_000, 100, 0.95), vec![(0, 1_000)]);
        assert_eq!(
            windows(10, 1_024, 0.5),
            vec![(0, 1), (2, 3), (4, 5), (6, 7), (8, 9)],
            "never more windows than documents to cover"
        );
        assert_eq!(windows(10, 1_024, 1.0), vec![(0, 10)]);
        assert_eq!(windows(100_000, 1_024, 0.001).len(), 100);
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
