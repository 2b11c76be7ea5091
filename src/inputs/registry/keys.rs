//! Entities by key (id or code): a hash table of entity indices, each key read from its entity.
//! A map holding each key's text beside its index took 24 bytes an entry, 25 MB for a national
//! registry's million keys; an index is 4.

use super::Entity;
use hashbrown::HashTable;

/// Marks an entry for an entity's code; without it, the entry is for its id.
const CODE: u32 = 1 << 31;

#[derive(Default)]
pub(super) struct Keys {
    /// Entity indices, with `CODE` set for an entity's code.
    table: HashTable<u32>,
    hasher: ahash::RandomState,
}

/// The key an entry stands for.
fn key(entities: &[Entity], entry: u32) -> &str {
    let e = &entities[(entry & !CODE) as usize];
    if entry & CODE != 0 { &e.code } else { &e.id }
}

impl Keys {
    /// Room for `keys` keys from the start: growing a table of a million keys hashes them all again.
    pub(super) fn with_capacity(keys: usize) -> Keys {
        Keys { table: HashTable::with_capacity(keys), hasher: ahash::RandomState::default() }
    }

    /// The entity `key` names, among `entities` (the ones the keys were added from).
    pub(super) fn get(&self, entities: &[Entity], key: &str) -> Option<usize> {
        let hash = self.hasher.hash_one(key);
        self.table.find(hash, |&entry| self::key(entities, entry) == key).map(|&entry| (entry & !CODE) as usize)
    }

    /// Entity `i`'s id (`code`: its code) names it from now on; the entity it named before, if any.
    pub(super) fn insert(&mut self, entities: &[Entity], i: usize, code: bool) -> Option<usize> {
        // Registries are far smaller than 2^31 entities (`MAX_REGISTRY_BYTES`).
        let entry = u32::try_from(i).expect("fewer than 2^31 entities") | if code { CODE } else { 0 };
        let k = key(entities, entry);
        let hash = self.hasher.hash_one(k);
        let hasher = &self.hasher;
        match self.table.entry(hash, |&e| key(entities, e) == k, |&e| hasher.hash_one(key(entities, e))) {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                let before = (*o.get() & !CODE) as usize;
                *o.get_mut() = entry;
                Some(before)
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert(entry);
                None
            }
        }
    }

    /// Every key, in no particular order.
    pub(super) fn keys<'e>(&'e self, entities: &'e [Entity]) -> impl Iterator<Item = &'e str> {
        self.table.iter().map(move |&entry| key(entities, entry))
    }
}
