//! Quality of a grouping against a known truth: pairwise and B-cubed precision, recall, F1,
//! computed from counts (no pair enumeration).

use std::collections::HashMap;

/// Precision, recall and F1, pairwise and B-cubed.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Scores {
    pub pairwise_precision: f64,
    pub pairwise_recall: f64,
    pub pairwise_f1: f64,
    pub bcubed_precision: f64,
    pub bcubed_recall: f64,
    pub bcubed_f1: f64,
}

fn pairs(n: u64) -> u64 {
    n * n.saturating_sub(1) / 2
}

fn f1(precision: f64, recall: f64) -> f64 {
    if precision + recall == 0.0 {
        0.0
    } else {
        2.0 * precision * recall / (precision + recall)
    }
}

/// Scores `groups` (record ids) against `truth` (record → true person). Records missing from
/// `truth` count as persons of their own. With no pairs to find or none found, the pairwise
/// precision or recall is 1.
pub fn score(groups: &[Vec<i64>], truth: &HashMap<i64, i64>) -> Scores {
    // Cells of the contingency table: (group, true person) → records.
    // A record without truth is its own person: keyed (false, record) apart from true persons.
    let mut cells: HashMap<(usize, (bool, i64)), u64> = HashMap::new();
    let mut true_sizes: HashMap<(bool, i64), u64> = HashMap::new();
    let mut records = 0u64;
    for (g, group) in groups.iter().enumerate() {
        for record in group {
            let person = truth.get(record).map_or((false, *record), |p| (true, *p));
            *cells.entry((g, person)).or_default() += 1;
            *true_sizes.entry(person).or_default() += 1;
            records += 1;
        }
    }
    let predicted: u64 = groups.iter().map(|g| pairs(g.len() as u64)).sum();
    let actual: u64 = true_sizes.values().map(|n| pairs(*n)).sum();
    let correct: u64 = cells.values().map(|n| pairs(*n)).sum();
    let ratio = |x: u64, y: u64| if y == 0 { 1.0 } else { x as f64 / y as f64 };
    let pairwise_precision = ratio(correct, predicted);
    let pairwise_recall = ratio(correct, actual);

    let (mut precision_sum, mut recall_sum) = (0.0, 0.0);
    for ((g, person), n) in &cells {
        let group_size = groups.get(*g).map_or(1, Vec::len) as f64;
        let true_size = true_sizes.get(person).copied().unwrap_or(1) as f64;
        let n = *n as f64;
        precision_sum += n * n / group_size;
        recall_sum += n * n / true_size;
    }
    let total = records.max(1) as f64;
    let bcubed_precision = if records == 0 {
        1.0
    } else {
        precision_sum / total
    };
    let bcubed_recall = if records == 0 {
        1.0
    } else {
        recall_sum / total
    };
    Scores {
        pairwise_precision,
        pairwise_recall,
        pairwise_f1: f1(pairwise_precision, pairwise_recall),
        bcubed_precision,
        bcubed_recall,
        bcubed_f1: f1(bcubed_precision, bcubed_recall),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn truth(pairs: &[(i64, i64)]) -> HashMap<i64, i64> {
        pairs.iter().copied().collect()
    }

    #[test]
    fn perfect_grouping_scores_one() {
        let t = truth(&[(1, 10), (2, 10), (3, 20)]);
        let s = score(&[vec![1, 2], vec![3]], &t);
        assert_eq!(s.pairwise_f1, 1.0);
        assert_eq!(s.bcubed_f1, 1.0);
    }

    #[test]
    fn over_and_under_merging() {
        // Truth: {1,2,3} {4}. Predicted: {1,2} {3,4}.
        let t = truth(&[(1, 10), (2, 10), (3, 10), (4, 20)]);
        let s = score(&[vec![1, 2], vec![3, 4]], &t);
        // Predicted pairs: (1,2) correct, (3,4) wrong → precision 1/2; true pairs 3 → recall 1/3.
        assert!((s.pairwise_precision - 0.5).abs() < 1e-9);
        assert!((s.pairwise_recall - 1.0 / 3.0).abs() < 1e-9);
        assert!((s.pairwise_f1 - 0.4).abs() < 1e-9);
        // B-cubed precision: 1,2 → 1; 3,4 → 1/2 each: (1+1+0.5+0.5)/4 = 0.75.
        assert!((s.bcubed_precision - 0.75).abs() < 1e-9);
        // B-cubed recall: 1,2 → 2/3; 3 → 1/3; 4 → 1: (2/3+2/3+1/3+1)/4 = 2/3.
        assert!((s.bcubed_recall - 2.0 / 3.0).abs() < 1e-9);
    }

    #[test]
    fn all_singletons() {
        let t = truth(&[(1, 10), (2, 10)]);
        let s = score(&[vec![1], vec![2]], &t);
        assert_eq!(s.pairwise_precision, 1.0);
        assert_eq!(s.pairwise_recall, 0.0);
        assert_eq!(s.bcubed_precision, 1.0);
        assert!((s.bcubed_recall - 0.5).abs() < 1e-9);
    }
}
