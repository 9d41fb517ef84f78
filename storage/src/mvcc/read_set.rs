//! What a SERIALIZABLE transaction read, kept for validation at its commit (`commit_log.rs`):
//! rows found by key as (table, row id), key ranges of ordered indexes (`read_ranges.rs`),
//! and whole tables for everything else (scans, other index reads, keys found absent), so
//! that a row inserted into a scanned table or range (a phantom) is seen. Bounded: past
//! `READ_ROWS_MAX` row entries they fold into their tables, past `READ_RANGES_MAX` ranges
//! too. The first `INLINE_ROWS` rows sit in an array (a point transaction allocates and
//! hashes nothing); more spill into a hash set. A SNAPSHOT transaction has no read set:
//! each read pays one branch on `Option`.

use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::sync::Mutex;

use super::read_ranges::RangeRead;
use super::table::{RowId, Table};
use super::transaction::Transaction;

pub use crate::limits::{READ_RANGES_MAX, READ_ROWS_MAX};

/// Rows a read set holds in its array before it spills them into its hash set.
const INLINE_ROWS: usize = 8;

/// A hasher for ids (a multiply and a rotate per word): the keys are table and row ids,
/// not input an adversary picks to collide.
#[derive(Debug, Default, Clone, Copy)]
pub(crate) struct IdHasher(u64);

impl Hasher for IdHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.write_u64(u64::from(byte));
        }
    }

    #[inline]
    fn write_u64(&mut self, word: u64) {
        self.0 = (self.0.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
}

type IdSet<T> = HashSet<T, BuildHasherDefault<IdHasher>>;

/// The reads of one transaction. Behind a mutex: a parallel scan reads through a shared
/// reference from several threads.
#[derive(Debug, Default)]
pub(crate) struct ReadSet {
    /// Tables read as a whole (ids).
    tables: IdSet<u64>,
    /// The first rows read by key: (table id, row id), `inline_len` of them.
    inline: [(u64, RowId); INLINE_ROWS],
    inline_len: usize,
    /// Rows read by key past the array (then every row entry is here).
    rows: IdSet<(u64, RowId)>,
    /// Key ranges of ordered indexes read.
    pub(super) ranges: Vec<RangeRead>,
    /// Bytes of the ranges' bounds.
    pub(super) range_bytes: u64,
    /// Whether the row entries were folded into tables (then new row reads note tables).
    folded: bool,
    /// Bytes counted in `SerialStats::read_set_bytes` for this set.
    counted_bytes: u64,
}

impl ReadSet {
    pub(super) fn note_table(&mut self, table: u64) {
        self.tables.insert(table);
    }

    /// Whether `table` is read as a whole.
    #[inline]
    pub(super) fn has_table(&self, table: u64) -> bool {
        !self.tables.is_empty() && self.tables.contains(&table)
    }

    /// Row entries held.
    fn rows_len(&self) -> usize {
        self.inline_len + self.rows.len()
    }

    /// Notes one row; returns true when this made the set fold its rows into tables.
    pub(super) fn note_row(&mut self, table: u64, row: RowId) -> bool {
        if self.folded || self.has_table(table) {
            self.tables.insert(table);
            return false;
        }
        if self.rows.is_empty() {
            if self.inline[..self.inline_len].contains(&(table, row)) {
                return false;
            }
            if self.inline_len < INLINE_ROWS {
                self.inline[self.inline_len] = (table, row);
                self.inline_len += 1;
                return false;
            }
            self.rows.extend(self.inline);
            self.inline_len = 0;
        }
        self.rows.insert((table, row));
        if self.rows.len() <= READ_ROWS_MAX {
            return false;
        }
        let rows = std::mem::take(&mut self.rows);
        self.tables.extend(rows.into_iter().map(|(table, _)| table));
        self.folded = true;
        true
    }

    /// Whether the set covers a write of `row` (`None`: some row) of `table`, by its table
    /// and row entries (ranges aside).
    pub(super) fn covers(&self, table: u64, row: Option<RowId>) -> bool {
        if self.has_table(table) {
            return true;
        }
        let inline = &self.inline[..self.inline_len];
        match row {
            Some(row) => inline.contains(&(table, row)) || self.rows.contains(&(table, row)),
            None => {
                inline.iter().any(|(read, _)| *read == table)
                    || self.rows.iter().any(|(read, _)| *read == table)
            }
        }
    }

    /// Bytes the set holds beyond its header.
    fn held_bytes(&self) -> u64 {
        (self.tables.capacity() * std::mem::size_of::<u64>()
            + self.rows.capacity() * std::mem::size_of::<(u64, RowId)>()
            + self.ranges.capacity() * std::mem::size_of::<RangeRead>()) as u64
            + self.range_bytes
    }

    /// The change of the set's bytes since last counted, as (bytes, shrunk), now counted.
    fn recount_bytes(&mut self) -> Option<(u64, bool)> {
        let held = self.held_bytes();
        let counted = std::mem::replace(&mut self.counted_bytes, held);
        match held.cmp(&counted) {
            std::cmp::Ordering::Equal => None,
            std::cmp::Ordering::Greater => Some((held - counted, false)),
            std::cmp::Ordering::Less => Some((counted - held, true)),
        }
    }

    /// Folds every range into its table (the ranges grew past `READ_RANGES_MAX`).
    pub(super) fn fold_ranges(&mut self) {
        for range in std::mem::take(&mut self.ranges) {
            self.tables.insert(range.table.id());
        }
        self.range_bytes = 0;
    }
}

/// A transaction's read set with its lock.
#[derive(Debug, Default)]
pub(crate) struct ReadTracker(Mutex<ReadSet>);

/// Most row entries of capacity a read set keeps when it is emptied for reuse.
const KEPT_ROWS_CAPACITY_MAX: usize = 1 << 12;

impl ReadTracker {
    pub(super) fn lock(&self) -> std::sync::MutexGuard<'_, ReadSet> {
        self.0.lock().unwrap_or_else(|poison| poison.into_inner())
    }

    /// Empties the set for the next transaction (its counted bytes handed to `uncount`);
    /// false when it grew too large to keep.
    pub(super) fn empty_for_reuse(&self, uncount: impl FnOnce(u64)) -> bool {
        let mut set = self.lock();
        uncount(std::mem::take(&mut set.counted_bytes));
        if set.rows.capacity() > KEPT_ROWS_CAPACITY_MAX
            || set.tables.capacity() > KEPT_ROWS_CAPACITY_MAX
            || set.ranges.capacity() > READ_RANGES_MAX
        {
            return false;
        }
        set.tables.clear();
        set.rows.clear();
        set.inline_len = 0;
        set.ranges.clear();
        set.range_bytes = 0;
        set.folded = false;
        true
    }
}

impl Transaction {
    /// Notes that this transaction read `table` as a whole (SERIALIZABLE only).
    #[inline]
    pub(super) fn note_table_read(&self, table: &Table) {
        if let Some(reads) = &self.reads {
            let mut set = reads.lock();
            set.note_table(table.id());
            self.recount_read_bytes(&mut set);
        }
    }

    /// Notes a read by key: the row found, or (`None`) the key's absence, which only a
    /// table entry covers (an insert of the key may land in any row).
    #[inline]
    pub(super) fn note_key_read(&self, table: &Table, row: Option<RowId>) {
        if let Some(reads) = &self.reads {
            let mut set = reads.lock();
            match row {
                Some(row) => {
                    if set.note_row(table.id(), row) {
                        self.store.serial.count_read_fold();
                    }
                }
                None => set.note_table(table.id()),
            }
            self.recount_read_bytes(&mut set);
        }
    }

    /// Counts the change of `set`'s bytes in the store's stats.
    #[inline]
    pub(super) fn recount_read_bytes(&self, set: &mut ReadSet) {
        if let Some((bytes, shrunk)) = set.recount_bytes() {
            let account = self.store.pool.account();
            self.store
                .serial
                .note_read_set_bytes(bytes, shrunk, account);
        }
    }

    /// How many row and table entries this transaction's read set holds (0, 0 without one).
    pub fn read_set_len(&self) -> (usize, usize) {
        match &self.reads {
            Some(reads) => {
                let set = reads.lock();
                (set.rows_len(), set.tables.len())
            }
            None => (0, 0),
        }
    }

    /// How many key ranges this transaction's read set holds (0 without one).
    pub fn read_set_ranges(&self) -> usize {
        self.reads
            .as_ref()
            .map_or(0, |reads| reads.lock().ranges.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_fold_into_tables_past_the_limit() {
        let mut set = ReadSet::default();
        for row in 0..=READ_ROWS_MAX as u64 {
            let folded = set.note_row(7, row);
            assert_eq!(folded, row == READ_ROWS_MAX as u64);
        }
        assert_eq!(set.rows_len(), 0);
        assert!(set.has_table(7));
        assert!(set.covers(7, Some(u64::MAX)));
        assert!(!set.covers(8, None));
    }

    #[test]
    fn a_row_entry_covers_its_row_and_no_other() {
        let mut set = ReadSet::default();
        set.note_row(1, 10);
        assert!(set.covers(1, Some(10)));
        assert!(!set.covers(1, Some(11)));
        assert!(set.covers(1, None));
        assert!(!set.covers(2, Some(10)));
        set.note_table(2);
        assert!(set.covers(2, Some(10)));
    }

    #[test]
    fn rows_past_the_array_spill_and_are_all_still_covered() {
        let mut set = ReadSet::default();
        for row in 0..3 * INLINE_ROWS as u64 {
            set.note_row(row % 2, row);
            set.note_row(row % 2, row);
        }
        assert_eq!(set.rows_len(), 3 * INLINE_ROWS);
        for row in 0..3 * INLINE_ROWS as u64 {
            assert!(set.covers(row % 2, Some(row)));
            assert!(!set.covers(1 - row % 2, Some(row)));
        }
        assert!(set.held_bytes() > 0);
        assert!(set.recount_bytes().is_some_and(|(_, shrunk)| !shrunk));
        assert_eq!(set.recount_bytes(), None);
    }
}
