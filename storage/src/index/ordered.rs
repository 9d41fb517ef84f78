//! The ordered half of an ordered secondary index: a concurrent B+-tree (`ordered_tree.rs`,
//! lock-free for readers, keys side by side in its leaves, walked in either direction) of
//! entry keys, each the order-preserving encoding of a row's key
//! (`order_key.rs`, one collation per column) followed by the row id, so entries sort as
//! SQLite orders the keys and duplicates coexist in row id order. Unlike the hash half,
//! NULL keys are indexed too (they sort first), so a walk of the whole index reaches every
//! row, as an ORDER BY needs.
//!
//! Like hash entries, ordered entries may be stale (the slot's version with that key is
//! gone or not visible): readers recheck the version their snapshot sees. Writers are
//! serialized by the owning index's writer lock, so "insert unless present" needs no
//! compare-and-swap (the tree's own writer mutex is then never contended). Each edit is
//! bracketed by a sequence count (odd while it runs), so a reader can tell that the entries
//! did not change while it read them (`edits_settled`, `unchanged_since`: what lets a quiet
//! index answer a count without reading rows, `mvcc/settled_index.rs`). Memory is charged
//! to the table's account as the tree's nodes grow and shrink (what each write added or
//! freed) and released when the index is dropped.

use std::ops::Bound;
use std::sync::atomic::{fence, AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crossbeam_epoch::Guard;

use crate::limits::{INDEX_COLUMNS_MAX, ROW_BYTES_MAX};
use crate::slab::MemoryAccount;
use crate::value::Value;

use super::order_key::{encode_ordered_part, strip_ordered_part, KeyCollation};
use super::ordered_tree::{BatchEnd, OrderedTree, KEY_BYTES_MAX};

/// What one entry costs besides its key bytes, on average: its 4-byte offset in a leaf,
/// and its share of the leaf's fixed part and of the inner nodes (a separator and a child
/// link per leaf), with leaves half to fully packed. Charged ahead of an insert; the tree
/// charges what its nodes really grew by.
pub const ORDERED_ENTRY_OVERHEAD: u64 = 8;

// An entry key (the values of one row, each escaped to at most twice its bytes, plus a tag
// and terminator per column, then the row id) always fits a tree leaf.
const _: () = assert!(2 * ROW_BYTES_MAX + INDEX_COLUMNS_MAX * 16 + 8 < KEY_BYTES_MAX);

/// A batch of at least 1 / this share of the entries held merges into the tree whole (a
/// merge copies each key held once, a small part of what inserting one key alone costs).
const MERGE_SHARE: usize = 8;

/// Bytes of the row id that ends every entry key.
const ROW_ID_BYTES: usize = 8;

/// An ordered map of entry keys (see the module comment).
pub struct OrderedEntries {
    list: OrderedTree,
    collations: Vec<KeyCollation>,
    /// Bytes charged to `account` for the tree's nodes.
    charged: AtomicU64,
    account: Option<Arc<MemoryAccount>>,
    /// Twice the edits finished, plus one while an edit runs (writers are serialized).
    edits: AtomicU64,
    /// Set once the index holds an entry for every row (`mark_complete`, after the index
    /// was filled from the table's rows); never cleared.
    complete: AtomicBool,
}

impl OrderedEntries {
    pub(crate) fn new(
        collations: Vec<KeyCollation>,
        account: Option<Arc<MemoryAccount>>,
    ) -> OrderedEntries {
        OrderedEntries {
            list: OrderedTree::with_account(account.clone()),
            collations,
            charged: AtomicU64::new(0),
            account,
            edits: AtomicU64::new(0),
            complete: AtomicBool::new(false),
        }
    }

    /// Says the index now holds an entry for every version of every row of its table (it
    /// was filled, and writers maintain it since before the filling began).
    pub(crate) fn mark_complete(&self) {
        self.complete.store(true, Ordering::Release);
    }

    /// The edit count when no edit is under way and the index is complete: the token a
    /// reader passes to `unchanged_since` after reading, to learn that no edit ran
    /// meanwhile. `None` while an edit runs or before the index is complete.
    pub(crate) fn edits_settled(&self) -> Option<u64> {
        let edits = self.edits.load(Ordering::Acquire);
        let complete = self.complete.load(Ordering::Acquire);
        (complete && edits.is_multiple_of(2)).then_some(edits)
    }

    /// Whether no edit began since `edits_settled` returned `edits` (what was read since is
    /// then one consistent state of the entries).
    pub(crate) fn unchanged_since(&self, edits: u64) -> bool {
        // Pairs with the Release fence in `edit`: a read that saw any part of an edit
        // sees its odd count here.
        fence(Ordering::Acquire);
        self.edits.load(Ordering::Relaxed) == edits
    }

    /// Runs `change` (an edit of the tree) inside the edit count's odd window.
    #[inline]
    fn edit<R>(&self, change: impl FnOnce() -> R) -> R {
        let edits = self.edits.load(Ordering::Relaxed);
        debug_assert!(
            edits.is_multiple_of(2),
            "ordered-index writers are serialized"
        );
        self.edits.store(edits.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let result = change();
        self.edits.store(edits.wrapping_add(2), Ordering::Release);
        result
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

    /// The collation of the key's part at `position` (BINARY past the declared ones).
    #[inline]
    fn collation_at(&self, position: usize) -> KeyCollation {
        self.collations
            .get(position)
            .copied()
            .unwrap_or(KeyCollation::Binary)
    }

    /// `encode`, appending to `out`.
    pub fn encode_into<V: std::borrow::Borrow<Value>>(
        &self,
        columns: &[usize],
        row: &[V],
        out: &mut Vec<u8>,
    ) {
        for (position, &column) in columns.iter().enumerate() {
            let collation = self.collation_at(position);
            encode_ordered_part(row[column].borrow(), collation, out);
        }
    }

    /// Whether `encoded` is the encoded key of `row` (`encode` of `columns`, compared in
    /// place: what a reader checks an entry against, with no buffer written).
    #[inline]
    pub fn key_matches<V: std::borrow::Borrow<Value>>(
        &self,
        columns: &[usize],
        row: &[V],
        encoded: &[u8],
    ) -> bool {
        let mut rest = encoded;
        for (position, &column) in columns.iter().enumerate() {
            let collation = self.collation_at(position);
            match strip_ordered_part(row[column].borrow(), collation, rest) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        rest.is_empty()
    }

    /// Adds the entry (`encoded`, `row`) unless present. The caller holds the owning
    /// index's writer lock. Returns whether it was added.
    pub(crate) fn insert(&self, encoded: &[u8], row: u64, guard: &Guard) -> bool {
        let inserted =
            self.edit(|| with_entry_key(encoded, row, |key| self.list.insert(key, guard)));
        let Some(bytes) = inserted else {
            return false;
        };
        let bytes = bytes as u64;
        self.charged.fetch_add(bytes, Ordering::Relaxed);
        if let Some(account) = &self.account {
            account.charge_index(bytes);
        }
        true
    }

    /// Adds the entries of `entries`, each an entry key (`push_entry_key`), ascending and
    /// distinct, at once (`OrderedTree::insert_sorted`); entries present stay once. The
    /// caller holds the owning index's writer lock.
    pub(crate) fn insert_sorted(&self, entries: &[&[u8]], guard: &Guard) {
        let grown = self.edit(|| self.list.insert_sorted(entries, guard));
        self.charge_grown(grown);
    }

    /// Adds the entries of `entries` (entry keys, ascending and distinct): a batch of at
    /// least an eighth of the tree's size merges into it at once (`insert_sorted`), a
    /// smaller one goes in one entry at a time, in order, where a merge would copy every
    /// entry the tree holds. The caller holds the owning index's writer lock.
    pub(crate) fn insert_entries(&self, entries: &[&[u8]], guard: &Guard) {
        if entries.len().saturating_mul(MERGE_SHARE) >= self.len() {
            return self.insert_sorted(entries, guard);
        }
        for entry in entries {
            let (encoded, row) = split_entry(entry);
            self.insert(encoded, row, guard);
        }
    }

    /// Charges (or, negative, releases) what the tree grew by.
    fn charge_grown(&self, grown: isize) {
        let bytes = grown.unsigned_abs() as u64;
        if grown >= 0 {
            self.charged.fetch_add(bytes, Ordering::Relaxed);
            if let Some(account) = &self.account {
                account.charge_index(bytes);
            }
        } else {
            self.charged.fetch_sub(bytes, Ordering::Relaxed);
            if let Some(account) = &self.account {
                account.release_index(bytes);
            }
        }
    }

    /// Removes the entry (`encoded`, `row`) if present. The caller holds the owning index's
    /// writer lock. Returns whether it was there.
    pub(crate) fn remove(&self, encoded: &[u8], row: u64, guard: &Guard) -> bool {
        let removed =
            self.edit(|| with_entry_key(encoded, row, |key| self.list.remove(key, guard)));
        let Some(bytes) = removed else {
            return false;
        };
        let bytes = bytes as u64;
        self.charged.fetch_sub(bytes, Ordering::Relaxed);
        if let Some(account) = &self.account {
            account.release_index(bytes);
        }
        true
    }

    /// Removes the entries of `entries`, each an entry key (`push_entry_key`), ascending and
    /// distinct, at once (`OrderedTree::remove_sorted`); entries absent are skipped. The
    /// caller holds the owning index's writer lock. Returns how many were there.
    pub(crate) fn remove_sorted(&self, entries: &[&[u8]], guard: &Guard) -> usize {
        let (grown, removed) = self.edit(|| self.list.remove_sorted(entries, guard));
        self.charge_grown(grown);
        removed
    }

    /// Removes every entry at once (`OrderedTree::clear`). The caller holds the owning
    /// index's writer lock.
    pub(crate) fn clear(&self, guard: &Guard) {
        let grown = self.edit(|| self.list.clear(guard));
        self.charge_grown(grown);
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
        self.list
            .visit_range(lower, upper, reverse, guard, |entry| {
                let (encoded, row) = split_entry(entry);
                visit(encoded, row)
            });
    }

    /// Visits the entries within the bounds, ascending, as (encoded key, row id),
    /// `max_entries` of them at most (`OrderedTree::visit_range_batch`). Returns where the
    /// visit stopped (an entry key).
    pub fn visit_range_batch<'g>(
        &self,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
        max_entries: usize,
        guard: &'g Guard,
        mut visit: impl FnMut(&'g [u8], u64),
    ) -> BatchEnd<'g> {
        self.list
            .visit_range_batch(lower, upper, max_entries, guard, |entry| {
                let (encoded, row) = split_entry(entry);
                visit(encoded, row)
            })
    }

    /// Visits every entry, ascending, as (encoded key, row id).
    pub fn for_each_entry(&self, guard: &Guard, mut visit: impl FnMut(&[u8], u64)) {
        self.list
            .visit_range(Bound::Unbounded, Bound::Unbounded, false, guard, |entry| {
                let (encoded, row) = split_entry(entry);
                visit(encoded, row);
                true
            });
    }
}

impl Drop for OrderedEntries {
    fn drop(&mut self) {
        if let Some(account) = &self.account {
            account.release_index(self.charged.load(Ordering::Relaxed));
        }
    }
}

/// Longest entry key built on the stack (longer ones, long texts, go to the heap).
const STACK_ENTRY_KEY_BYTES: usize = 120;

/// Runs `use_key` on the entry key of (`encoded`, `row`): the encoded key, then the row id
/// big-endian. Built on the stack when short, as most are: every insert and removal of an
/// entry builds one, and a heap buffer cost a malloc and a free each time.
#[inline]
fn with_entry_key<R>(encoded: &[u8], row: u64, use_key: impl FnOnce(&[u8]) -> R) -> R {
    let len = encoded.len() + ROW_ID_BYTES;
    if len <= STACK_ENTRY_KEY_BYTES {
        let mut buffer = [0u8; STACK_ENTRY_KEY_BYTES];
        buffer[..encoded.len()].copy_from_slice(encoded);
        buffer[encoded.len()..len].copy_from_slice(&row.to_be_bytes());
        use_key(&buffer[..len])
    } else {
        let mut key = Vec::with_capacity(len);
        key.extend_from_slice(encoded);
        key.extend_from_slice(&row.to_be_bytes());
        use_key(&key)
    }
}

/// Appends the entry key of (`encoded`, `row`) to `out`: the encoded key, then the row id
/// big-endian (what `with_entry_key` builds), so entry keys sort by key, then row id.
pub(crate) fn push_entry_key(encoded: &[u8], row: u64, out: &mut Vec<u8>) {
    out.extend_from_slice(encoded);
    out.extend_from_slice(&row.to_be_bytes());
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

#[cfg(test)]
mod tests {
    use super::*;
    use crossbeam_epoch as epoch;

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

    #[test]
    fn entry_overhead_is_about_the_average_node_cost_beyond_the_key() {
        let account = Arc::new(MemoryAccount::new());
        let entries = OrderedEntries::new(vec![KeyCollation::Binary], Some(Arc::clone(&account)));
        let guard = epoch::pin();
        let count = 20_000u64;
        let mut key_bytes = 0;
        for row in 0..count {
            // Keys of 9 to 40 bytes, so the padding to 8 bytes takes every value.
            let text = "k".repeat((row % 32) as usize);
            let encoded = entries.encode(&[0], &[Value::Text(text)]);
            key_bytes += encoded.len() as u64 + ROW_ID_BYTES as u64;
            assert!(entries.insert(&encoded, row, &guard));
        }
        let overhead = (account.used_bytes() - key_bytes) as f64 / count as f64;
        let expected = ORDERED_ENTRY_OVERHEAD as f64;
        assert!(
            (expected - 2.0..expected + 2.0).contains(&overhead),
            "{overhead}"
        );
    }
}
