//! `KeyGroups`: the GROUP BY group table of a key of several values (any types), and the
//! hash of such a key. The table holds only each group's hash and position: the key itself
//! is the group's own `key_values`, so a row is looked up by its borrowed values (the
//! decoded row's, in place) and a key is copied only when it starts a new group.
//!
//! Keys are equal exactly when every value's `KeyRef` is (SQL equality of group keys:
//! 1, 1.0 and TRUE are one key, NULLs are one key, text by its bytes; a collation other
//! than BINARY reaches the grouper as the collation key, so NOCASE groups fold here too).
//! Open addressing with linear probing, at most half full. Not DoS resistant (as
//! `FastHasher`): crafted collisions cost probing time, never a wrong group, since a hit
//! compares the whole key.

use ember_storage::index::{fx_add, fx_finish};
use ember_storage::row::{ColumnVector, Kind};
use ember_storage::Value;

use super::text_groups::{bytes_hash, same_bytes, text_hash};
use crate::expr::KeyRef;

/// A slot with no group.
const EMPTY: u32 = u32::MAX;
/// Slots of the first table.
const SLOTS_MIN: usize = 16;
/// The multiplier that mixes one value's hash into the key's.
const MIX: u64 = 0x9e37_79b9_7f4a_7c15;

#[derive(Clone, Copy)]
struct Slot {
    hash: u64,
    /// The group's position in the grouper's `groups`, or `EMPTY`.
    group: u32,
}

const FREE: Slot = Slot {
    hash: 0,
    group: EMPTY,
};

#[derive(Default)]
pub(in crate::pipeline::exec) struct KeyGroups {
    /// A power-of-two count of slots (none before the first key), at most half occupied.
    slots: Vec<Slot>,
    len: usize,
}

impl KeyGroups {
    /// The group whose key hashes to `hash` and for which `is_its_key` (given a group's
    /// position) holds, if there is one.
    #[inline(always)]
    pub(in crate::pipeline::exec) fn get(
        &self,
        hash: u64,
        mut is_its_key: impl FnMut(usize) -> bool,
    ) -> Option<usize> {
        if self.slots.is_empty() {
            return None;
        }
        let mask = self.slots.len() - 1;
        let mut at = hash as usize & mask;
        loop {
            let slot = self.slots[at];
            if slot.group == EMPTY {
                return None;
            }
            if slot.hash == hash && is_its_key(slot.group as usize) {
                return Some(slot.group as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// Records `group` (below `u32::MAX`) as the group of a key hashing to `hash`, which
    /// has none.
    pub(in crate::pipeline::exec) fn insert(&mut self, hash: u64, group: u32) {
        debug_assert_ne!(group, EMPTY);
        if (self.len + 1) * 2 > self.slots.len() {
            self.grow();
        }
        place(&mut self.slots, Slot { hash, group });
        self.len += 1;
    }

    /// Bytes the slots hold (allocated, not only used).
    pub(super) fn allocated_bytes(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<Slot>()
    }

    /// Doubles the slots (or makes the first ones) and places every group again.
    #[cold]
    fn grow(&mut self) {
        let count = (self.slots.len() * 2).max(SLOTS_MIN);
        let old = std::mem::replace(&mut self.slots, vec![FREE; count]);
        for slot in old.into_iter().filter(|slot| slot.group != EMPTY) {
            place(&mut self.slots, slot);
        }
    }
}

/// Puts `slot` in the first free slot from its hash's (`slots` has one).
fn place(slots: &mut [Slot], slot: Slot) {
    debug_assert!(slots.len().is_power_of_two());
    let mask = slots.len() - 1;
    let mut at = slot.hash as usize & mask;
    while slots[at].group != EMPTY {
        at = (at + 1) & mask;
    }
    slots[at] = slot;
}

/// The hash of a group key of `values`: values that are one key (`same_key`) hash alike.
#[inline(always)]
pub(in crate::pipeline::exec) fn key_hash<'v>(values: impl Iterator<Item = &'v Value>) -> u64 {
    let mut hash = 0u64;
    for value in values {
        hash = mix_key_hash(hash, KeyRef::of(value));
    }
    finish_key_hash(hash)
}

/// Mixes the next value of a key into the key's running hash (from 0; `key_hash` is the
/// running hash of every value, finished): a column batch mixes a whole column at a time.
#[inline(always)]
pub(in crate::pipeline::exec) fn mix_key_hash(hash: u64, key: KeyRef<'_>) -> u64 {
    (hash.rotate_left(23) ^ value_hash(key)).wrapping_mul(MIX)
}

/// `mix_key_hash` of every entry of a column batch's vector into `hashes` (one running
/// hash per row): integers and texts hashed from the vector as they are stored, one loop
/// per vector, the other kinds through their `KeyRef`, so a row's hash is the one its
/// values give `mix_key_hash`.
pub(in crate::pipeline::exec) fn mix_vector_hashes(hashes: &mut [u64], keys: &ColumnVector) {
    debug_assert_eq!(hashes.len(), keys.kinds().len());
    for (at, (hash, (&kind, &word))) in hashes
        .iter_mut()
        .zip(keys.kinds().iter().zip(keys.words()))
        .enumerate()
    {
        let value = match kind {
            Kind::Integer => value_hash(KeyRef::Integer(word as i64)),
            Kind::Text => bytes_hash(keys.span_bytes(at)),
            _ => value_hash(KeyRef::of_scalar(keys.get(at))),
        };
        *hash = (hash.rotate_left(23) ^ value).wrapping_mul(MIX);
    }
}

/// The key hash of a running hash of all its values (`mix_key_hash`).
#[inline(always)]
pub(in crate::pipeline::exec) fn finish_key_hash(hash: u64) -> u64 {
    fx_finish(hash)
}

/// Whether two group key values are one key.
#[inline(always)]
pub(in crate::pipeline::exec) fn same_key(a: &Value, b: &Value) -> bool {
    match (a, b) {
        // The common case without normalizing: the same bytes.
        (Value::Text(a), Value::Text(b)) => same_bytes(a, b),
        _ => KeyRef::of(a) == KeyRef::of(b),
    }
}

#[inline(always)]
fn value_hash(key: KeyRef<'_>) -> u64 {
    match key {
        KeyRef::Null => 0x5bd1_e995,
        KeyRef::Integer(i) => (i as u64).wrapping_mul(MIX) ^ 1,
        KeyRef::Real(bits) => bits.wrapping_mul(MIX) ^ 2,
        KeyRef::Text(text) => text_hash(text),
        KeyRef::Blob(bytes) => fx_finish(fx_add(3, bytes)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn values() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Integer(1),
            Value::Real(1.0),
            Value::Boolean(true),
            Value::Integer(0),
            Value::Real(-0.0),
            Value::Real(1.5),
            Value::Integer(i64::MIN),
            Value::Real(-9_223_372_036_854_775_808.0),
            Value::Text("1".into()),
            Value::Text("a".into()),
            Value::Text("A".into()),
            Value::Text(String::new()),
            Value::Blob(b"1".to_vec()),
            Value::Blob(Vec::new()),
        ]
    }

    /// A vector's hashes (`mix_vector_hashes`) are the ones `mix_key_hash` gives its values
    /// one by one, for every storage class, mixed into a running hash.
    #[test]
    fn vector_hashes_are_value_hashes() {
        let rows = values();
        let one_column: Vec<Vec<Value>> = rows.iter().map(|value| vec![value.clone()]).collect();
        let batch = crate::pipeline::expr::batch_of(&one_column);
        let keys = batch.column(0).unwrap();
        let start = |at: usize| at as u64 * 0x9e37;
        let mut hashes: Vec<u64> = (0..rows.len()).map(start).collect();
        mix_vector_hashes(&mut hashes, keys);
        for (at, value) in rows.iter().enumerate() {
            let one = mix_key_hash(start(at), KeyRef::of(value));
            assert_eq!(hashes[at], one, "{value:?}");
        }
    }

    /// `same_key` is SQL equality of group keys (as `KeyValue`), and equal keys hash alike.
    #[test]
    fn same_key_is_key_value_equality() {
        use crate::expr::KeyValue;
        for a in &values() {
            for b in &values() {
                assert_eq!(
                    same_key(a, b),
                    KeyValue::new(a) == KeyValue::new(b),
                    "{a:?} vs {b:?}"
                );
                if same_key(a, b) {
                    assert_eq!(key_hash([a].into_iter()), key_hash([b].into_iter()));
                }
            }
        }
    }

    /// Every two-value key of the values above finds its own group, across growths, and
    /// keys that are one key in SQL (1 and 1.0, 0 and -0.0) find the same one.
    #[test]
    fn pairs_find_their_groups() {
        let values = values();
        let mut table = KeyGroups::default();
        let mut keys: Vec<[Value; 2]> = Vec::new();
        let find = |table: &KeyGroups, keys: &[[Value; 2]], key: &[Value; 2]| {
            table.get(key_hash(key.iter()), |group| {
                keys[group].iter().zip(key).all(|(a, b)| same_key(a, b))
            })
        };
        for a in &values {
            for b in &values {
                let key = [a.clone(), b.clone()];
                if find(&table, &keys, &key).is_none() {
                    table.insert(key_hash(key.iter()), keys.len() as u32);
                    keys.push(key);
                }
            }
        }
        // 15 values, of which 1 / 1.0 / TRUE and 0 / -0.0 and the two MINs are one key each.
        assert_eq!(keys.len(), 11 * 11);
        for a in &values {
            for b in &values {
                let key = [a.clone(), b.clone()];
                let group = find(&table, &keys, &key).expect("found");
                assert!(keys[group].iter().zip(&key).all(|(x, y)| same_key(x, y)));
            }
        }
        assert!(table.len * 2 <= table.slots.len());
    }

    /// Keys that share a hash (forced here) still group apart: a hit compares the key.
    #[test]
    fn colliding_hashes_compare_the_keys() {
        let mut table = KeyGroups::default();
        for group in 0..3 {
            table.insert(7, group);
        }
        for group in 0..3 {
            assert_eq!(table.get(7, |candidate| candidate == group), Some(group));
        }
        assert_eq!(table.get(7, |_| false), None);
        assert_eq!(table.get(8, |_| true), None);
    }
}
