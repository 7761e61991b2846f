//! Facet counts: for every counted document, the value of each facet dimension, read from its
//! dictionary-encoded fast column and counted per term ordinal, then merged across segments by
//! value. Counts come from the same query as the hits, so they never include a document
//! outside the actor's scope. When the hits are counted from a sample (see `collect.rs`), each
//! segment's counts are scaled up by the share of the segment the sample covered.

use crate::schema::{Dim, facet_label};
use serde::Serialize;
use std::collections::HashMap;
use tantivy::columnar::StrColumn;
use tantivy::{DocId, SegmentReader};

/// One value of a dimension with its count.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FacetValue {
    /// The filter value (`12|机械工程学院`, `2008`, `长沙`).
    pub value: String,
    /// What users see (`机械工程学院`).
    pub label: String,
    pub count: u64,
}

/// Counts per dimension, each sorted by count (then label).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct FacetCounts {
    pub dims: Vec<(Dim, Vec<FacetValue>)>,
}

impl FacetCounts {
    /// Every dimension, with no values (nothing matched).
    pub fn empty() -> FacetCounts {
        FacetCounts {
            dims: Dim::ALL.iter().map(|d| (*d, Vec::new())).collect(),
        }
    }

    pub fn of(&self, dim: Dim) -> &[FacetValue] {
        self.dims
            .iter()
            .find(|(d, _)| *d == dim)
            .map_or(&[], |(_, values)| values.as_slice())
    }

    /// The count of one value (0 when absent).
    pub fn count(&self, dim: Dim, value: &str) -> u64 {
        self.of(dim)
            .iter()
            .find(|v| v.value == value)
            .map_or(0, |v| v.count)
    }
}

/// Per dimension, counts by value (scaled when counted from a sample).
pub(crate) type SegmentCounts = Vec<(Dim, HashMap<String, f64>)>;

/// Counts of one segment, per term ordinal of each dimension's column.
pub(crate) struct SegmentFacets {
    columns: Vec<(Dim, Option<StrColumn>, Vec<u32>)>,
}

impl SegmentFacets {
    pub(crate) fn new(reader: &SegmentReader) -> tantivy::Result<SegmentFacets> {
        let mut columns = Vec::with_capacity(Dim::ALL.len());
        for dim in Dim::ALL {
            let column = reader.fast_fields().str(dim.column())?;
            let size = column.as_ref().map_or(0, |c| c.num_terms());
            columns.push((dim, column, vec![0u32; size]));
        }
        Ok(SegmentFacets { columns })
    }

    /// Counts the values of these documents (ascending ids), read from each column in one
    /// batch.
    pub(crate) fn add_all(&mut self, docs: &[DocId]) {
        let mut ords = Vec::with_capacity(docs.len());
        for (_, column, counts) in &mut self.columns {
            let Some(column) = column else { continue };
            ords.clear();
            ords.resize(docs.len(), None);
            column.ords().first_vals(docs, &mut ords);
            for ord in ords.iter().flatten() {
                if let Some(slot) = counts.get_mut(*ord as usize) {
                    *slot += 1;
                }
            }
        }
    }

    /// The counts by value, each multiplied by `scale`.
    pub(crate) fn harvest(self, scale: f64) -> SegmentCounts {
        self.columns
            .into_iter()
            .map(|(dim, column, counts)| {
                let mut values = HashMap::new();
                if let Some(column) = column {
                    let mut text = String::new();
                    for (ord, count) in counts.into_iter().enumerate() {
                        if count == 0 {
                            continue;
                        }
                        text.clear();
                        if column.ord_to_str(ord as u64, &mut text).unwrap_or(false) {
                            values.insert(text.clone(), f64::from(count) * scale);
                        }
                    }
                }
                (dim, values)
            })
            .collect()
    }
}

/// Adds up the segments' counts by value and sorts each dimension (years newest first, the
/// others by count, then label).
pub(crate) fn merge(segments: Vec<SegmentCounts>) -> FacetCounts {
    let mut merged: Vec<(Dim, HashMap<String, f64>)> =
        Dim::ALL.iter().map(|d| (*d, HashMap::new())).collect();
    for segment in segments {
        for (dim, counts) in segment {
            if let Some((_, target)) = merged.iter_mut().find(|(d, _)| *d == dim) {
                for (value, count) in counts {
                    *target.entry(value).or_insert(0.0) += count;
                }
            }
        }
    }
    let dims = merged
        .into_iter()
        .map(|(dim, counts)| {
            let mut values: Vec<FacetValue> = counts
                .into_iter()
                .map(|(value, count)| FacetValue {
                    label: facet_label(&value).to_owned(),
                    value,
                    count: count.round().max(1.0) as u64,
                })
                .collect();
            if dim == Dim::Year {
                values.sort_by(|a, b| b.value.cmp(&a.value));
            } else {
                values.sort_by(|a, b| b.count.cmp(&a.count).then(a.label.cmp(&b.label)));
            }
            (dim, values)
        })
        .collect();
    FacetCounts { dims }
}
