//! Colleges, majors and classes as an import meets them. Their names repeat row after row, so
//! the reading thread numbers each distinct key ([`xiaoyou_text::org_name_key`]: `湖南大學` and
//! `湖南大学` are one) and computes it once; the writing thread remembers what it created or
//! found for a number in a plain list, and places a row without hashing a name.

use std::collections::HashMap;

pub type FastHash = foldhash::fast::RandomState;

/// The number of an organisation name's key within one numbering (see [`RowOrgs::numbering`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct OrgKeyId(u32);

impl OrgKeyId {
    fn index(self) -> usize {
        self.0 as usize
    }
}

/// A row's college, major and class keys, numbered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RowOrgs {
    /// Which numbering the numbers belong to: the reader starts a new one when it has met too
    /// many names to remember.
    pub numbering: u32,
    pub college: Option<OrgKeyId>,
    pub major: Option<OrgKeyId>,
    pub class: Option<OrgKeyId>,
}

/// The reader's side: names to numbers, numbers to keys.
#[derive(Default)]
pub struct OrgKeys {
    by_name: HashMap<String, OrgKeyId, FastHash>,
    by_key: HashMap<String, OrgKeyId, FastHash>,
    keys: Vec<String>,
    numbering: u32,
}

impl OrgKeys {
    /// Distinct names remembered at most; past it the next chunk starts a new numbering, so
    /// that memory stays bounded whatever the file holds.
    const LIMIT: usize = 50_000;

    /// Called between chunks: starts a new numbering if the names met fill the memory.
    pub fn make_room(&mut self) {
        if self.by_name.len() >= Self::LIMIT {
            self.by_name.clear();
            self.by_key.clear();
            self.keys.clear();
            self.numbering = self.numbering.wrapping_add(1);
        }
    }

    /// Numbers a row's college, major and class.
    pub fn number(
        &mut self,
        college: Option<&str>,
        major: Option<&str>,
        class: Option<&str>,
    ) -> RowOrgs {
        RowOrgs {
            numbering: self.numbering,
            college: college.map(|name| self.id_of(name)),
            major: major.map(|name| self.id_of(name)),
            class: class.map(|name| self.id_of(name)),
        }
    }

    fn id_of(&mut self, name: &str) -> OrgKeyId {
        if let Some(id) = self.by_name.get(name) {
            return *id;
        }
        let key = xiaoyou_text::org_name_key(name);
        let id = match self.by_key.get(&key) {
            Some(id) => *id,
            None => {
                let id = OrgKeyId(u32::try_from(self.keys.len()).unwrap_or(u32::MAX));
                self.keys.push(key.clone());
                self.by_key.insert(key, id);
                id
            }
        };
        self.by_name.insert(name.to_owned(), id);
        id
    }

    /// The key numbered `id` in the current numbering.
    pub fn key(&self, id: Option<OrgKeyId>) -> Option<&str> {
        id.and_then(|id| self.keys.get(id.index()))
            .map(String::as_str)
    }
}

/// The writer's side: what was created or found for each number of the current numbering.
pub struct Placed<Id> {
    ids: Vec<Option<Id>>,
}

impl<Id> Default for Placed<Id> {
    fn default() -> Self {
        Placed { ids: Vec::new() }
    }
}

impl<Id: Copy> Placed<Id> {
    pub fn get(&self, key: OrgKeyId) -> Option<Id> {
        self.ids.get(key.index()).copied().flatten()
    }

    pub fn set(&mut self, key: OrgKeyId, id: Id) {
        if self.ids.len() <= key.index() {
            self.ids.resize_with(key.index() + 1, || None);
        }
        self.ids[key.index()] = Some(id);
    }

    pub fn clear(&mut self) {
        self.ids.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spellings_of_one_name_share_a_number_and_a_key() {
        let mut keys = OrgKeys::default();
        let first = keys.number(Some("土木工程学院"), Some("道路桥梁"), None);
        let again = keys.number(Some("土木工程學院"), Some("道路橋梁"), Some("土木1班"));
        assert_eq!((first.college, first.major), (again.college, again.major));
        assert_ne!(first.college, first.major);
        assert_eq!(first.class, None);
        assert_eq!(keys.key(again.college), Some("土木工程学院"));
        assert_eq!(keys.key(again.class), Some("土木1班"));

        let mut placed = Placed::default();
        let class = again.class.unwrap_or_else(|| unreachable!());
        assert_eq!(placed.get(class), None);
        placed.set(class, 7_i64);
        assert_eq!(placed.get(class), Some(7));
        assert_eq!(
            placed.get(first.college.unwrap_or_else(|| unreachable!())),
            None
        );
    }

    #[test]
    fn a_full_memory_starts_a_new_numbering_between_chunks() {
        let mut keys = OrgKeys::default();
        for n in 0..OrgKeys::LIMIT {
            keys.number(Some(&format!("第{n}班")), None, None);
        }
        let before = keys.number(Some("第1班"), None, None);
        keys.make_room();
        let after = keys.number(Some("第1班"), None, None);
        assert_ne!(before.numbering, after.numbering);
        assert_eq!(keys.key(after.college), Some("第1班"));
        assert!(keys.by_name.len() < 10, "the memory was emptied");
    }
}
