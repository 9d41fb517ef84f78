//! The ordered half of an ordered secondary index: a concurrent skip list (crossbeam's,
//! lock-free for readers) of entry keys, each the order-preserving encoding of a row's key
//! (`order_key.rs`, one collation per column) followed by the row id, so entries sort as
//! SQLite orders the keys and duplicates coexist in row id order (held as `EntryKey`s,
//! which compare their first 16 bytes as one integer). Unlike the hash half,
//! NULL keys are indexed too (they sort first), so a walk of the whole index reaches every
//! row, as an ORDER BY needs.
//!
//! Like hash entries, ordered entries may be stale (the slot's version with that key is
//! gone or not visible): readers recheck the version their snapshot sees. Writers are
//! serialized by the owning index's writer lock, so "insert unless present" needs no
//! compare-and-swap. Memory is charged to the table's account per entry and released on
//! removal and when the index is dropped.

use std::ops::Bound;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard};
use crossbeam_skiplist::base::SkipList;

use crate::slab::MemoryAccount;
use crate::value::Value;

use super::entry_key::{EntryKey, ENTRY_KEY_HEAD_BYTES};
use super::order_key::{encode_ordered_part, KeyCollation};

/// What one entry costs besides its key bytes: the skip-list node (tower, refcount, key
/// box and head), counted at its average height.
pub const ORDERED_ENTRY_OVERHEAD: u64 = 64 + ENTRY_KEY_HEAD_BYTES;

/// Bytes of the row id that ends every entry key.
const ROW_ID_BYTES: usize = 8;

/// An ordered map of entry keys (see the module comment).
pub struct OrderedEntries {
    list: SkipList<EntryKey, ()>,
    collations: Vec<KeyCollation>,
    /// Bytes charged to `account` for the entries now in the list.
    charged: AtomicU64,
    account: Option<Arc<MemoryAccount>>,
}

impl OrderedEntries {
    pub(crate) fn new(
        collations: Vec<KeyCollation>,
        account: Option<Arc<MemoryAccount>>,
    ) -> OrderedEntries {
        OrderedEntries {
            list: SkipList::new(epoch::default_collector().clone()),
            collations,
            charged: AtomicU64::new(0),
            account,
        }
    }

    /// The collation of each key column, in key order.
    pub fn collations(&self) -> &[KeyCollation] {
        &self.collations
    }

    /// Number of entries (stale ones included).
    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The encoded key of a row: its values at `columns`, each under its column's collation.
    pub fn encode<V: std::borrow::Borrow<Value>>(&self, columns: &[usize], row: &[V]) -> Vec<u8> {
        let mut out = Vec::with_capacity(16 * columns.len());
        self.encode_into(columns, row, &mut out);
        out
    }

    /// `encode`, appending to `out`.
    pub fn encode_into<V: std::borrow::Borrow<Value>>(
        &self,
        columns: &[usize],
        row: &[V],
        out: &mut Vec<u8>,
    ) {
        for (position, &column) in columns.iter().enumerate() {
            let collation = self
                .collations
                .get(position)
                .copied()
                .unwrap_or(KeyCollation::Binary);
            encode_ordered_part(row[column].borrow(), collation, out);
        }
    }

    /// Adds the entry (`encoded`, `row`) unless present. The caller holds the owning
    /// index's writer lock. Returns whether it was added.
    pub(crate) fn insert(&self, encoded: &[u8], row: u64, guard: &Guard) -> bool {
        let entry = EntryKey::new(entry_key(encoded, row));
        if self.list.contains_key(&entry, guard) {
            return false;
        }
        let bytes = entry.bytes().len() as u64 + ORDERED_ENTRY_OVERHEAD;
        self.list.insert(entry, (), guard).release(guard);
        self.charged.fetch_add(bytes, Ordering::Relaxed);
        if let Some(account) = &self.account {
            account.charge_index(bytes);
        }
        true
    }

    /// Removes the entry (`encoded`, `row`) if present. The caller holds the owning index's
    /// writer lock. Returns whether it was there.
    pub(crate) fn remove(&self, encoded: &[u8], row: u64, guard: &Guard) -> bool {
        let entry = EntryKey::new(entry_key(encoded, row));
        let Some(removed) = self.list.remove(&entry, guard) else {
            return false;
        };
        removed.release(guard);
        let bytes = entry.bytes().len() as u64 + ORDERED_ENTRY_OVERHEAD;
        self.charged.fetch_sub(bytes, Ordering::Relaxed);
        if let Some(account) = &self.account {
            account.release_index(bytes);
        }
        true
    }

    /// Visits the entries within the bounds, ascending (or descending with `reverse`), as
    /// (encoded key, row id); `visit` returns false to stop.
    pub fn visit_range(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        reverse: bool,
        guard: &Guard,
        mut visit: impl FnMut(&[u8], u64) -> bool,
    ) {
        if is_empty_range(lower, upper) {
            return;
        }
        let bounds = (lower.map(EntryKey::copied), upper.map(EntryKey::copied));
        let mut range = self.list.range::<EntryKey, _>(bounds, guard);
        loop {
            let entry = if reverse {
                range.next_back()
            } else {
                range.next()
            };
            let Some(entry) = entry else { return };
            let (encoded, row) = split_entry(entry.key().bytes());
            if !visit(encoded, row) {
                return;
            }
        }
    }

    /// Visits every entry, ascending, as (encoded key, row id).
    pub fn for_each_entry(&self, guard: &Guard, mut visit: impl FnMut(&[u8], u64)) {
        for entry in self.list.iter(guard) {
            let (encoded, row) = split_entry(entry.key().bytes());
            visit(encoded, row);
        }
    }
}

impl Drop for OrderedEntries {
    fn drop(&mut self) {
        if let Some(account) = &self.account {
            account.release_index(self.charged.load(Ordering::Relaxed));
        }
    }
}

/// An entry key: the encoded key, then the row id big-endian.
fn entry_key(encoded: &[u8], row: u64) -> Box<[u8]> {
    let mut out = Vec::with_capacity(encoded.len() + ROW_ID_BYTES);
    out.extend_from_slice(encoded);
    out.extend_from_slice(&row.to_be_bytes());
    out.into_boxed_slice()
}

/// An entry key's encoded key and row id.
fn split_entry(entry: &[u8]) -> (&[u8], u64) {
    debug_assert!(entry.len() >= ROW_ID_BYTES);
    let (encoded, row) = entry.split_at(entry.len() - ROW_ID_BYTES);
    (
        encoded,
        u64::from_be_bytes(row.try_into().expect("8 bytes")),
    )
}

/// Whether the bounds admit no key (crossbeam's range would panic on some of these).
fn is_empty_range(lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
    match (lower, upper) {
        (Bound::Included(low), Bound::Included(high)) => low > high,
        (Bound::Included(low), Bound::Excluded(high))
        | (Bound::Excluded(low), Bound::Included(high))
        | (Bound::Excluded(low), Bound::Excluded(high)) => low >= high,
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rows(
        entries: &OrderedEntries,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        rev: bool,
    ) -> Vec<u64> {
        let guard = epoch::pin();
        let mut out = Vec::new();
        entries.visit_range(lower, upper, rev, &guard, |_, row| {
            out.push(row);
            true
        });
        out
    }

    #[test]
    fn entries_order_by_key_then_row_and_charge_memory() {
        let account = Arc::new(MemoryAccount::new());
        let entries = OrderedEntries::new(vec![KeyCollation::Binary], Some(Arc::clone(&account)));
        let guard = epoch::pin();
        let key = |v: i64| entries.encode(&[0], &[Value::Integer(v)]);
        for (value, row) in [(5, 1), (3, 2), (5, 0), (-1, 3)] {
            assert!(entries.insert(&key(value), row, &guard));
        }
        assert!(!entries.insert(&key(5), 1, &guard));
        let null = entries.encode(&[0], &[Value::Null]);
        assert!(entries.insert(&null, 9, &guard));
        assert_eq!(
            account.used_bytes(),
            entries.charged.load(Ordering::Relaxed)
        );
        let all = rows(&entries, Bound::Unbounded, Bound::Unbounded, false);
        assert_eq!(all, vec![9, 3, 2, 0, 1]);
        let low = key(3);
        assert_eq!(
            rows(&entries, Bound::Included(&low), Bound::Unbounded, true),
            vec![1, 0, 2]
        );
        assert!(rows(
            &entries,
            Bound::Included(&low),
            Bound::Excluded(&low),
            false
        )
        .is_empty());
        assert!(entries.remove(&key(5), 0, &guard));
        assert!(!entries.remove(&key(5), 0, &guard));
        drop(guard);
        drop(entries);
        assert_eq!(account.used_bytes(), 0);
    }
}
