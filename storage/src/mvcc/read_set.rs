//! What a SERIALIZABLE transaction read, kept for validation at its commit (`commit_log.rs`):
//! rows found by key as (table, row id), and whole tables for everything else (scans, index
//! ranges and lookups, keys found absent), so that a row inserted into a scanned table (a
//! phantom) is seen. Bounded: past `READ_ROWS_MAX` row entries they fold into their tables.
//! A SNAPSHOT transaction has no read set: each read pays one branch on `Option`.

use std::collections::HashSet;
use std::sync::Mutex;

use super::table::{RowId, Table};
use super::transaction::Transaction;

pub use crate::limits::READ_ROWS_MAX;

/// The reads of one transaction. Behind a mutex: a parallel scan reads through a shared
/// reference from several threads.
#[derive(Debug, Default)]
pub(crate) struct ReadSet {
    /// Tables read as a whole (ids).
    pub(super) tables: HashSet<u64>,
    /// Rows read by key: (table id, row id).
    pub(super) rows: HashSet<(u64, RowId)>,
    /// Whether the row entries were folded into tables (then new row reads note tables).
    pub(super) folded: bool,
}

impl ReadSet {
    fn note_table(&mut self, table: u64) {
        self.tables.insert(table);
    }

    /// Notes one row; returns true when this made the set fold its rows into tables.
    fn note_row(&mut self, table: u64, row: RowId) -> bool {
        if self.folded || self.tables.contains(&table) {
            self.tables.insert(table);
            return false;
        }
        self.rows.insert((table, row));
        if self.rows.len() <= READ_ROWS_MAX {
            return false;
        }
        for (table, _) in self.rows.drain() {
            self.tables.insert(table);
        }
        self.folded = true;
        true
    }

    /// Whether the set covers a write of `row` (`None`: some row) of `table`.
    pub(super) fn covers(&self, table: u64, row: Option<RowId>) -> bool {
        if self.tables.contains(&table) {
            return true;
        }
        match row {
            Some(row) => self.rows.contains(&(table, row)),
            None => self.rows.iter().any(|(read, _)| *read == table),
        }
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

    /// Empties the set for the next transaction; false when it grew too large to keep.
    pub(super) fn empty_for_reuse(&self) -> bool {
        let mut set = self.lock();
        if set.rows.capacity() > KEPT_ROWS_CAPACITY_MAX {
            return false;
        }
        set.tables.clear();
        set.rows.clear();
        set.folded = false;
        true
    }
}

impl Transaction {
    /// Notes that this transaction read `table` as a whole (SERIALIZABLE only).
    #[inline]
    pub(super) fn note_table_read(&self, table: &Table) {
        if let Some(reads) = &self.reads {
            reads.lock().note_table(table.id());
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
                        drop(set);
                        self.store.serial.count_read_fold();
                    }
                }
                None => set.note_table(table.id()),
            }
        }
    }

    /// How many row and table entries this transaction's read set holds (0, 0 without one).
    pub fn read_set_len(&self) -> (usize, usize) {
        match &self.reads {
            Some(reads) => {
                let set = reads.lock();
                (set.rows.len(), set.tables.len())
            }
            None => (0, 0),
        }
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
        assert!(set.rows.is_empty());
        assert!(set.tables.contains(&7));
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
}
