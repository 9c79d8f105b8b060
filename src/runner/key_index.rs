//! An index from a key to a value (an id, a position) where the key is read from what the
//! value points at (an item's path, a record's name), so a run of 100,000 items does not
//! keep a second copy of every key.

use hashbrown::HashTable;
use hashbrown::hash_table::Entry;
use std::hash::{BuildHasher, Hash, RandomState};

/// Values found by a key that lives elsewhere; `key_of` gives a value's key.
pub(super) struct KeyIndex<V> {
    table: HashTable<V>,
    hasher: RandomState,
}

impl<V> Default for KeyIndex<V> {
    fn default() -> Self {
        KeyIndex {
            table: HashTable::new(),
            hasher: RandomState::new(),
        }
    }
}

impl<V: Copy> KeyIndex<V> {
    /// The value whose key is `key`.
    pub(super) fn get<K: Hash + Eq>(&self, key: K, key_of: impl Fn(V) -> K) -> Option<V> {
        let hash = self.hasher.hash_one(&key);
        self.table.find(hash, |&v| key_of(v) == key).copied()
    }

    /// Makes `value` the one found by `key` (replacing the value found before).
    pub(super) fn insert<K: Hash + Eq>(&mut self, key: K, value: V, key_of: impl Fn(V) -> K) {
        let hasher = &self.hasher;
        let hash = hasher.hash_one(&key);
        match self
            .table
            .entry(hash, |&v| key_of(v) == key, |&v| hasher.hash_one(key_of(v)))
        {
            Entry::Occupied(mut entry) => *entry.get_mut() = value,
            Entry::Vacant(entry) => {
                entry.insert(value);
            }
        }
    }

    /// Room for `more` values.
    pub(super) fn reserve<K: Hash>(&mut self, more: usize, key_of: impl Fn(V) -> K) {
        let hasher = &self.hasher;
        self.table.reserve(more, |&v| hasher.hash_one(key_of(v)));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_replaces_and_grows_by_keys_kept_elsewhere() {
        let names: Vec<String> = (0..1000).map(|i| format!("item{i}")).collect();
        let mut index = KeyIndex::default();
        for (i, name) in names.iter().enumerate() {
            index.insert(name.as_str(), i, |j| names[j].as_str());
        }
        assert_eq!(index.get("item0", |j| names[j].as_str()), Some(0));
        assert_eq!(index.get("item999", |j| names[j].as_str()), Some(999));
        assert_eq!(index.get("item1000", |j| names[j].as_str()), None);
        let twins = ["a".to_string(), "a".to_string()];
        let mut index = KeyIndex::default();
        index.insert("a", 0, |j| twins[j].as_str());
        index.insert("a", 1, |j| twins[j].as_str());
        assert_eq!(
            index.get("a", |j| twins[j].as_str()),
            Some(1),
            "the last one wins"
        );
    }
}
