//! Union-find over records with cluster-level constraints: a cluster keeps its ID hashes and
//! persons, and two clusters are joined only if that adds no second ID hash, no birth dates
//! more than a day apart, no second gender and no inconsistent school years, and joins no two
//! persons a human said are different.

use super::chronology::{AGE_SLACK, Stint, stints_clash};
use super::prepare::Sym;
use std::collections::{HashMap, HashSet};

/// What a cluster's records say about its person: genders seen (bit 0 male, bit 1 female),
/// the range of birth years given, and the range of birth years the school years suggest.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Traits {
    pub genders: u8,
    pub born: Option<(i32, i32)>,
    pub implied: Option<(i32, i32)>,
}

fn widen(x: Option<(i32, i32)>, y: Option<(i32, i32)>) -> Option<(i32, i32)> {
    match (x, y) {
        (Some((a, b)), Some((c, d))) => Some((a.min(c), b.max(d))),
        (x, None) => x,
        (None, y) => y,
    }
}

impl Traits {
    fn union(self, other: Traits) -> Traits {
        Traits {
            genders: self.genders | other.genders,
            born: widen(self.born, other.born),
            implied: widen(self.implied, other.implied),
        }
    }

    /// Whether the traits can be one person's: one gender, about one birth year, school
    /// years that fit each other and the birth year.
    fn consistent(&self) -> bool {
        if self.genders == 0b11 {
            return false;
        }
        if let Some((low, high)) = self.born
            && high - low > 1
        {
            return false;
        }
        if let Some((low, high)) = self.implied
            && high - low > 2 * AGE_SLACK
        {
            return false;
        }
        if let (Some((born_low, born_high)), Some((low, high))) = (self.born, self.implied)
            && (high - born_low > AGE_SLACK || born_high - low > AGE_SLACK)
        {
            return false;
        }
        true
    }
}

/// Clusters of record indices.
#[derive(Debug)]
pub struct Clusters {
    parent: Vec<u32>,
    /// Per root: its distinct ID hashes (sorted).
    hashes: Vec<Vec<Sym>>,
    /// Per root: its distinct persons.
    persons: Vec<Vec<i64>>,
    /// Per root: its distinct full birth dates (as days, sorted), so chains of pairs cannot
    /// join records whose birth dates lie more than a day apart.
    births: Vec<Vec<i32>>,
    /// Per root: what its records say about the person's gender and age.
    traits: Vec<Traits>,
    /// Per root: its records' studies with known years, so that a chain of pairs cannot
    /// put one person at two schools of one level through the same years.
    stints: Vec<Vec<Stint>>,
    /// Person → persons it must never be joined with.
    never: HashMap<i64, Vec<i64>>,
    /// Person → one of its records.
    person_record: HashMap<i64, u32>,
}

impl Clusters {
    /// One cluster per record; `hashes[i]` and `persons[i]` are record `i`'s.
    pub fn new(
        hashes: impl Iterator<Item = Option<Sym>>,
        persons: &[i64],
        births: impl Iterator<Item = Option<i32>>,
        traits: impl Iterator<Item = Traits>,
        stints: impl Iterator<Item = Option<Stint>>,
        never: &HashSet<(i64, i64)>,
    ) -> Self {
        let mut never_map: HashMap<i64, Vec<i64>> = HashMap::new();
        for (x, y) in never {
            never_map.entry(*x).or_default().push(*y);
            never_map.entry(*y).or_default().push(*x);
        }
        let mut person_record = HashMap::new();
        if !never_map.is_empty() {
            for (index, person) in persons.iter().enumerate() {
                if never_map.contains_key(person) {
                    person_record.entry(*person).or_insert(index as u32);
                }
            }
        }
        Clusters {
            parent: (0..persons.len() as u32).collect(),
            hashes: hashes.map(|h| h.into_iter().collect()).collect(),
            persons: persons.iter().map(|p| vec![*p]).collect(),
            births: births.map(|b| b.into_iter().collect()).collect(),
            traits: traits.collect(),
            stints: stints.map(|s| s.into_iter().collect()).collect(),
            never: never_map,
            person_record,
        }
    }

    /// The root of a record's cluster.
    pub fn find(&mut self, mut x: u32) -> u32 {
        let mut root = x;
        while let Some(&p) = self.parent.get(root as usize) {
            if p == root {
                break;
            }
            root = p;
        }
        while x != root {
            let Some(slot) = self.parent.get_mut(x as usize) else {
                break;
            };
            let next = *slot;
            *slot = root;
            x = next;
        }
        root
    }

    /// Joins two clusters without checks (records of one person now).
    pub fn force(&mut self, a: u32, b: u32) {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra != rb {
            self.link(ra, rb);
        }
    }

    /// Whether the clusters of `a` and `b` may be joined.
    pub fn allowed(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        ra == rb || self.roots_allowed(ra, rb)
    }

    /// Joins the clusters of `a` and `b` if allowed; returns whether they are one now.
    pub fn try_union(&mut self, a: u32, b: u32) -> bool {
        let (ra, rb) = (self.find(a), self.find(b));
        if ra == rb {
            return true;
        }
        if !self.roots_allowed(ra, rb) {
            return false;
        }
        self.link(ra, rb);
        true
    }

    fn roots_allowed(&mut self, ra: u32, rb: u32) -> bool {
        let (ha, hb) = (
            self.hashes
                .get(ra as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            self.hashes
                .get(rb as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        let hashes_ok = ha.is_empty() || hb.is_empty() || (ha.len() == 1 && ha == hb);
        if !hashes_ok {
            return false;
        }
        let (ba, bb) = (
            self.births
                .get(ra as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            self.births
                .get(rb as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        // The birth dates of one person may differ by a day between registrations, no more.
        let lowest = ba.first().into_iter().chain(bb.first()).min();
        let highest = ba.last().into_iter().chain(bb.last()).max();
        if let (Some(low), Some(high)) = (lowest, highest)
            && high - low > 1
        {
            return false;
        }
        let (ta, tb) = (
            self.traits.get(ra as usize).copied().unwrap_or_default(),
            self.traits.get(rb as usize).copied().unwrap_or_default(),
        );
        if !ta.union(tb).consistent() {
            return false;
        }
        let (sa, sb) = (
            self.stints
                .get(ra as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
            self.stints
                .get(rb as usize)
                .map(Vec::as_slice)
                .unwrap_or(&[]),
        );
        if sa.iter().any(|x| sb.iter().any(|y| stints_clash(x, y))) {
            return false;
        }
        if self.never.is_empty() {
            return true;
        }
        let (small, other) = if self.persons_len(ra) <= self.persons_len(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        let persons = self
            .persons
            .get(small as usize)
            .cloned()
            .unwrap_or_default();
        for person in persons {
            let partners = self.never.get(&person).cloned().unwrap_or_default();
            for partner in partners {
                if let Some(&record) = self.person_record.get(&partner)
                    && self.find(record) == other
                {
                    return false;
                }
            }
        }
        true
    }

    fn persons_len(&self, root: u32) -> usize {
        self.persons.get(root as usize).map_or(0, Vec::len)
    }

    /// Links root `rb` under `ra` (the larger stays root) and merges their sets.
    fn link(&mut self, ra: u32, rb: u32) {
        let (root, child) = if self.persons_len(ra) >= self.persons_len(rb) {
            (ra, rb)
        } else {
            (rb, ra)
        };
        if let Some(slot) = self.parent.get_mut(child as usize) {
            *slot = root;
        }
        let child_hashes = self
            .hashes
            .get_mut(child as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(hashes) = self.hashes.get_mut(root as usize) {
            hashes.extend(child_hashes);
            hashes.sort_unstable();
            hashes.dedup();
        }
        let child_births = self
            .births
            .get_mut(child as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(births) = self.births.get_mut(root as usize) {
            births.extend(child_births);
            births.sort_unstable();
            births.dedup();
        }
        let child_stints = self
            .stints
            .get_mut(child as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(stints) = self.stints.get_mut(root as usize) {
            stints.extend(child_stints);
        }
        let child_traits = self.traits.get(child as usize).copied().unwrap_or_default();
        if let Some(traits) = self.traits.get_mut(root as usize) {
            *traits = traits.union(child_traits);
        }
        let child_persons = self
            .persons
            .get_mut(child as usize)
            .map(std::mem::take)
            .unwrap_or_default();
        if let Some(persons) = self.persons.get_mut(root as usize) {
            persons.extend(child_persons);
            persons.sort_unstable();
            persons.dedup();
        }
    }
}
