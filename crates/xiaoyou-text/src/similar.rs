//! Similarity of names, for "did you mean" suggestions. Blocking and identity decisions
//! use stronger evidence; this is only for showing people likely candidates.

use crate::keys::org_alias_key;

/// Similarity in [0, 1] of two organisation names after normalisation (1 = same key).
pub fn similarity(a: &str, b: &str) -> f64 {
    let (a, b) = (org_alias_key(a), org_alias_key(b));
    if a == b {
        return 1.0;
    }
    let by_edits = strsim::normalized_levenshtein(&a, &b);
    // A name contained in the other (湖南大学 / 湖南大学校友会) is a strong hint.
    let contained = if !a.is_empty() && !b.is_empty() && (a.contains(&b) || b.contains(&a)) {
        let (short, long) = if a.chars().count() < b.chars().count() {
            (&a, &b)
        } else {
            (&b, &a)
        };
        0.5 + 0.5 * short.chars().count() as f64 / long.chars().count() as f64
    } else {
        0.0
    };
    by_edits.max(contained)
}

/// Candidates at or above `threshold`, best first, at most `limit`.
pub fn close_matches<'a, I>(
    name: &str,
    candidates: I,
    threshold: f64,
    limit: usize,
) -> Vec<(&'a str, f64)>
where
    I: IntoIterator<Item = &'a str>,
{
    let mut scored: Vec<(&str, f64)> = candidates
        .into_iter()
        .map(|candidate| (candidate, similarity(name, candidate)))
        .filter(|(_, score)| *score >= threshold)
        .collect();
    scored.sort_by(|x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(y.0)));
    scored.truncate(limit);
    scored
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks_spelling_variants_first() {
        let names = ["湖南大学", "湖南师范大学", "湖南农业大学", "中南大学"];
        let found = close_matches("湖南大學", names, 0.7, 3);
        assert_eq!(found.first().map(|(n, _)| *n), Some("湖南大学"));
        assert!((found[0].1 - 1.0).abs() < f64::EPSILON);
        assert!(close_matches("长郡中学", names, 0.7, 3).is_empty());
        assert!(similarity("湖南城市学院", "湖南城市学院校友会") > 0.8);
    }
}
