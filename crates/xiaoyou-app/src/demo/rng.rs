//! A small deterministic generator (SplitMix64): the same seed gives the same province on
//! every machine and every build, independent of any crate's algorithm choices.

#[derive(Debug, Clone)]
pub struct DemoRng(u64);

impl DemoRng {
    pub fn new(seed: u64) -> Self {
        DemoRng(seed ^ 0x5851_f42d_4c95_7f2d)
    }

    /// A generator for a sub-task, independent of how many numbers the parent drew.
    pub fn fork(&self, stream: u64) -> Self {
        let mut child = DemoRng(self.0 ^ stream.wrapping_mul(0x9e37_79b9_7f4a_7c15));
        child.next_u64();
        child
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        ((u128::from(self.next_u64()) * u128::from(n)) >> 64) as u64
    }

    /// Uniform in `low..=high`.
    pub fn between(&mut self, low: i64, high: i64) -> i64 {
        if high <= low {
            return low;
        }
        low + self.below((high - low + 1) as u64) as i64
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64 <= p
    }

    pub fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        items.get(self.below(items.len() as u64) as usize)
    }
}

/// Items with integer weights, drawn in proportion to them.
#[derive(Debug, Clone)]
pub struct Weighted<T> {
    items: Vec<T>,
    cumulative: Vec<u64>,
}

impl<T> Weighted<T> {
    pub fn new(pairs: impl IntoIterator<Item = (T, u64)>) -> Self {
        let mut items = Vec::new();
        let mut cumulative = Vec::new();
        let mut total = 0;
        for (item, weight) in pairs {
            if weight == 0 {
                continue;
            }
            total += weight;
            items.push(item);
            cumulative.push(total);
        }
        Weighted { items, cumulative }
    }

    pub fn is_empty(&self) -> bool {
        self.items.is_empty()
    }

    pub fn draw(&self, rng: &mut DemoRng) -> Option<&T> {
        let total = *self.cumulative.last()?;
        let target = rng.below(total);
        let index = self.cumulative.partition_point(|&c| c <= target);
        self.items.get(index)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_and_in_range() {
        let mut a = DemoRng::new(7);
        let mut b = DemoRng::new(7);
        for _ in 0..1000 {
            let x = a.between(3, 9);
            assert_eq!(x, b.between(3, 9));
            assert!((3..=9).contains(&x));
        }
        let weighted = Weighted::new([("a", 1), ("b", 0), ("c", 3)]);
        let mut rng = DemoRng::new(1);
        let draws: Vec<_> = (0..4000)
            .filter_map(|_| weighted.draw(&mut rng).copied())
            .collect();
        let c = draws.iter().filter(|d| **d == "c").count();
        assert!(!draws.contains(&"b"));
        assert!((2700..3300).contains(&c), "{c}");
    }
}
