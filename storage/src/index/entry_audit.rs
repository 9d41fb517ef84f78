//! What checking a secondary index against its table asks of the index (`PRAGMA
//! integrity_check` in the engine): whether a row's entries are there (its key in the hash
//! map, its encoded key in the ordered entries), and every entry each half holds, to be
//! counted against the rows a snapshot sees. Nothing here reads a row: the caller reads
//! each entry's row in its snapshot and keeps only the entries that row has (an index holds
//! entries of versions other snapshots see: see `secondary.rs`).
//!
//! `forget_entries_of` takes a key's entries out of the index: a doc-hidden hook for tests
//! that need an index that disagrees with its table.

use std::borrow::Borrow;
use std::ops::Bound;

use crossbeam_epoch as epoch;

use super::key::IndexKey;
use super::ordered::push_entry_key;
use super::secondary::SecondaryIndex;
use crate::value::Value;

/// The bytes of a row id at the end of an ordered entry key (`push_entry_key`).
const ENTRY_ROW_ID_BYTES: usize = 8;

impl SecondaryIndex {
    /// Whether the index has the entries of the row in slot `row` whose columns are
    /// `values`: `(key, row)` in the hash map (unless a key part is NULL) and, when ordered,
    /// `(encoded key, row)` in the ordered entries. True when the index does not hold the
    /// row (a partial index whose WHERE refuses it).
    pub fn has_entries_of<V: Borrow<Value>>(&self, row: u64, values: &[V]) -> bool {
        if !self.holds(values) {
            return true;
        }
        let guard = epoch::pin();
        if let Some(key) = self.key_of(values) {
            let mut found = false;
            self.map
                .for_each(&key, &guard, |stored| found |= stored == row);
            if !found {
                return false;
            }
        }
        let (Some(ordered), Some(encoded)) = (self.ordered(), self.ordered_key_of(values)) else {
            return true;
        };
        let mut entry = Vec::with_capacity(encoded.len() + ENTRY_ROW_ID_BYTES);
        push_entry_key(&encoded, row, &mut entry);
        let mut found = false;
        let exact = Bound::Included(entry.as_slice());
        ordered.visit_range(exact, exact, false, &guard, |_, stored| {
            found |= stored == row;
            !found
        });
        found
    }

    /// Whether the row the hash map would hold for `values` has a key (no part NULL, and
    /// the index holds the row): what the hash map's entry count is checked against.
    pub fn hashes_row<V: Borrow<Value>>(&self, values: &[V]) -> bool {
        self.key_of(values).is_some()
    }

    /// Whether the ordered entries would hold the row of `values` (an ordered index that
    /// holds the row, NULL key parts included).
    pub fn orders_row<V: Borrow<Value>>(&self, values: &[V]) -> bool {
        self.ordered().is_some() && self.holds(values)
    }

    /// Visits every `(key, row)` pair of the hash map, stale ones included. Lock-free:
    /// pairs written meanwhile may or may not be visited.
    pub fn for_each_hash_entry(&self, mut visit: impl FnMut(&IndexKey, u64)) {
        let guard = epoch::pin();
        self.map.for_each_entry(&guard, |key, row| visit(key, row));
    }

    /// Visits every row stored under `key` in the hash map, stale ones included.
    pub fn for_each_row_under(&self, key: &IndexKey, visit: impl FnMut(u64)) {
        let guard = epoch::pin();
        self.map.for_each(key, &guard, visit);
    }

    /// Visits every `(encoded key, row)` entry of the ordered entries (none when the index
    /// is not ordered), in key order, stale ones included.
    pub fn for_each_ordered_entry(&self, mut visit: impl FnMut(&[u8], u64)) {
        if let Some(ordered) = self.ordered() {
            let guard = epoch::pin();
            ordered.for_each_entry(&guard, |encoded, row| visit(encoded, row));
        }
    }

    /// Takes out of the index every entry under the key the row `values` has (in the hash
    /// map and the ordered entries), whatever rows they point at. Only for tests that need
    /// an index disagreeing with its table; returns how many entries went.
    #[doc(hidden)]
    pub fn forget_entries_of(&self, values: &[Value]) -> usize {
        let writer = self.map.lock_writer();
        let guard = epoch::pin();
        let mut forgotten = 0;
        if let Some(key) = self.key_of(values) {
            for row in writer.rows(&key) {
                forgotten += usize::from(writer.remove(&key, row));
            }
        }
        if let (Some(ordered), Some(encoded)) = (self.ordered(), self.ordered_key_of(values)) {
            let mut rows = Vec::new();
            ordered.for_each_entry(&guard, |stored, row| {
                if stored == encoded.as_slice() {
                    rows.push(row);
                }
            });
            for row in rows {
                forgotten += usize::from(ordered.remove(&encoded, row, &guard));
            }
        }
        drop(writer);
        forgotten
    }
}
