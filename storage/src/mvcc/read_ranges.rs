//! Key ranges of ordered indexes a SERIALIZABLE transaction read, for validation at commit
//! (`read_set.rs`, `commit_log.rs`): a range read notes its bounds over entry keys (encoded
//! key, then the row id) instead of its whole table, so a commit that wrote rows of the
//! table conflicts only if a version of one of those rows has an entry key inside a range.
//! The versions checked are every one newer than the snapshot and the one the snapshot
//! sees, so a row moved into a range (a phantom), out of it or deleted from it is seen.
//! A range contained in one already noted (a read resumed in batches) adds nothing.
//! Bounded: past `READ_RANGES_MAX` ranges, they fold into their tables (counted in
//! `SerialStats::range_folds`).

use std::ops::Bound;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::index::SecondaryIndex;
use crate::value::Value;

use super::clock::TXN_ID_BASE;
use super::read_set::{ReadSet, READ_RANGES_MAX};
use super::table::{RowId, Table};
use super::transaction::Transaction;

/// One key range of an ordered index read, bounds over entry keys.
pub(crate) struct RangeRead {
    pub(super) table: Arc<Table>,
    pub(super) index: u64,
    pub(super) lower: Bound<Vec<u8>>,
    pub(super) upper: Bound<Vec<u8>>,
}

impl std::fmt::Debug for RangeRead {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RangeRead")
            .field("table", &self.table.id())
            .field("index", &self.index)
            .field("lower", &self.lower)
            .field("upper", &self.upper)
            .finish()
    }
}

/// Bytes a bound holds on the heap.
fn bound_bytes(bound: &Bound<Vec<u8>>) -> u64 {
    match bound {
        Bound::Included(key) | Bound::Excluded(key) => key.capacity() as u64,
        Bound::Unbounded => 0,
    }
}

/// Whether lower bound `outer` admits everything lower bound `inner` admits.
fn lower_holds(outer: Bound<&[u8]>, inner: Bound<&[u8]>) -> bool {
    match (outer, inner) {
        (Bound::Unbounded, _) => true,
        (_, Bound::Unbounded) => false,
        (Bound::Included(a), Bound::Included(b) | Bound::Excluded(b)) => a <= b,
        (Bound::Excluded(a), Bound::Included(b)) => a < b,
        (Bound::Excluded(a), Bound::Excluded(b)) => a <= b,
    }
}

/// Whether upper bound `outer` admits everything upper bound `inner` admits.
fn upper_holds(outer: Bound<&[u8]>, inner: Bound<&[u8]>) -> bool {
    match (outer, inner) {
        (Bound::Unbounded, _) => true,
        (_, Bound::Unbounded) => false,
        (Bound::Included(a), Bound::Included(b) | Bound::Excluded(b)) => a >= b,
        (Bound::Excluded(a), Bound::Included(b)) => a > b,
        (Bound::Excluded(a), Bound::Excluded(b)) => a >= b,
    }
}

/// Whether `key` lies within the bounds.
fn within(lower: Bound<&[u8]>, upper: Bound<&[u8]>, key: &[u8]) -> bool {
    let above = match lower {
        Bound::Included(low) => key >= low,
        Bound::Excluded(low) => key > low,
        Bound::Unbounded => true,
    };
    above
        && match upper {
            Bound::Included(high) => key <= high,
            Bound::Excluded(high) => key < high,
            Bound::Unbounded => true,
        }
}

impl RangeRead {
    fn contains(&self, lower: Bound<&[u8]>, upper: Bound<&[u8]>) -> bool {
        lower_holds(as_slice(&self.lower), lower) && upper_holds(as_slice(&self.upper), upper)
    }

    fn holds(&self, entry_key: &[u8]) -> bool {
        within(as_slice(&self.lower), as_slice(&self.upper), entry_key)
    }
}

fn as_slice(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    bound.as_ref().map(Vec::as_slice)
}

impl ReadSet {
    /// Notes a range of `index` of `table` read; returns true when this made the set fold
    /// its ranges into tables.
    fn note_range(
        &mut self,
        table: &Arc<Table>,
        index: u64,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) -> bool {
        if self.has_table(table.id()) {
            return false;
        }
        if matches!((lower, upper), (Bound::Unbounded, Bound::Unbounded)) {
            // The whole index: the table entry says as much and is cheaper to validate.
            self.note_table(table.id());
            return false;
        }
        let contained = self.ranges.iter().any(|range| {
            range.index == index && range.table.id() == table.id() && range.contains(lower, upper)
        });
        if contained {
            return false;
        }
        if self.ranges.len() >= READ_RANGES_MAX {
            self.fold_ranges();
            self.note_table(table.id());
            return true;
        }
        let range = RangeRead {
            table: Arc::clone(table),
            index,
            lower: lower.map(<[u8]>::to_vec),
            upper: upper.map(<[u8]>::to_vec),
        };
        self.range_bytes += bound_bytes(&range.lower) + bound_bytes(&range.upper);
        self.ranges.push(range);
        false
    }

    /// Whether a version of `row` of table `table` that a commit after `read_ts` may have
    /// written or replaced has an entry key within a noted range: every version newer than
    /// `read_ts` and the newest one at or before it. A row that cannot be read counts as
    /// within (the check only ever errs towards a conflict).
    pub(super) fn ranges_hold_row(&self, table: u64, row: RowId, read_ts: u64) -> bool {
        let mut ranges = self.ranges.iter().filter(|range| range.table.id() == table);
        let Some(first) = ranges.next() else {
            return false;
        };
        let table = &first.table;
        let guard = epoch::pin();
        let Some(slot) = table.slot(row) else {
            return true;
        };
        let head = slot.head.load(Ordering::Acquire, &guard);
        let mut checker = KeyCheck::new(self, table, row);
        let Some(mut version) = head.version_ref() else {
            return head
                .frozen_bytes()
                .is_none_or(|payload| checker.any_within(payload));
        };
        loop {
            if checker.any_within(version.payload(&guard)) {
                return true;
            }
            let begin = version.begin.load(Ordering::Acquire);
            if begin < TXN_ID_BASE && begin <= read_ts {
                return false;
            }
            let older = version.older.load(Ordering::Acquire, &guard);
            // SAFETY: versions are destroyed only through the epoch after being unlinked,
            // and `guard` pins the epoch, so every version reachable now stays alive.
            match unsafe { older.as_ref() } {
                Some(next) => version = next,
                None => return false,
            }
        }
    }
}

/// Checks the entry keys of one row's versions against the ranges of its table.
struct KeyCheck<'a> {
    set: &'a ReadSet,
    table: &'a Table,
    row: RowId,
    decoder: crate::row::RowDecoder,
    values: Vec<Value>,
    key: Vec<u8>,
}

impl<'a> KeyCheck<'a> {
    fn new(set: &'a ReadSet, table: &'a Table, row: RowId) -> KeyCheck<'a> {
        KeyCheck {
            set,
            table,
            row,
            decoder: table.schema().decoder(None),
            values: Vec::new(),
            key: Vec::new(),
        }
    }

    /// Whether the row as `payload` has an entry key within a range of its table.
    fn any_within(&mut self, payload: &[u8]) -> bool {
        if self
            .decoder
            .decode_into(self.row, payload, &mut self.values)
            .is_err()
        {
            return true;
        }
        let table_id = self.table.id();
        for range in self.set.ranges.iter().filter(|r| r.table.id() == table_id) {
            let Some(index) = self.table.index(range.index) else {
                return true;
            };
            if !entry_key_of(&index, &self.values, self.row, &mut self.key)
                || range.holds(&self.key)
            {
                return true;
            }
        }
        false
    }
}

/// Writes into `key` the entry key `row` with `values` has in ordered `index`; false when
/// the index is not ordered or does not hold the row.
fn entry_key_of(index: &SecondaryIndex, values: &[Value], row: RowId, key: &mut Vec<u8>) -> bool {
    if !index.ordered_key_into(values, key) {
        return false;
    }
    key.extend_from_slice(&row.to_be_bytes());
    true
}

impl Transaction {
    /// Notes that this transaction read the entries of ordered `index` of `table` within
    /// the bounds (SERIALIZABLE only).
    #[inline]
    pub(super) fn note_range_read(
        &self,
        table: &Arc<Table>,
        index: &SecondaryIndex,
        lower: Bound<&[u8]>,
        upper: Bound<&[u8]>,
    ) {
        if let Some(reads) = &self.reads {
            let mut set = reads.lock();
            if set.note_range(table, index.id(), lower, upper) {
                self.store.serial.count_range_fold();
            }
            self.recount_read_bytes(&mut set);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn inc(key: &[u8]) -> Bound<&[u8]> {
        Bound::Included(key)
    }

    fn exc(key: &[u8]) -> Bound<&[u8]> {
        Bound::Excluded(key)
    }

    #[test]
    fn bounds_contain_and_hold_as_ranges_do() {
        assert!(lower_holds(Bound::Unbounded, inc(b"a")));
        assert!(!lower_holds(inc(b"a"), Bound::Unbounded));
        assert!(lower_holds(inc(b"a"), exc(b"a")));
        assert!(!lower_holds(exc(b"a"), inc(b"a")));
        assert!(lower_holds(exc(b"a"), exc(b"a")));
        assert!(lower_holds(exc(b"a"), inc(b"b")));
        assert!(upper_holds(inc(b"m"), exc(b"m")));
        assert!(!upper_holds(exc(b"m"), inc(b"m")));
        assert!(!upper_holds(inc(b"m"), inc(b"n")));
        assert!(within(inc(b"b"), exc(b"d"), b"c"));
        assert!(within(inc(b"b"), exc(b"d"), b"b"));
        assert!(!within(inc(b"b"), exc(b"d"), b"d"));
        assert!(!within(exc(b"b"), Bound::Unbounded, b"b"));
        assert!(within(Bound::Unbounded, Bound::Unbounded, b""));
    }
}
