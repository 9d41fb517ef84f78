//! Rebuilding a table into a new one (ALTER TABLE DROP COLUMN copies every row without the
//! column): the old table is *closed* first, under the commit lock, so every commit that
//! wrote to it is either already published (and the copy's snapshot sees it) or refused
//! (`Conflict`, nothing committed); the copy is then made in a transaction that commits its
//! rows as pre-existing (`Transaction::commit_preexisting`), so snapshots older than the
//! rebuild read the new table whole too. A failed rebuild reopens the old table.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::store::Store;

use crossbeam_epoch as epoch;

use super::clock::TXN_ID_BASE;
use super::head::FROZEN_BEGIN;
use super::table::Table;
use super::transaction::{Transaction, WriteKind};
use super::version::is_unended;

impl Table {
    /// Whether the table was closed for a rebuild (its commits are refused).
    #[inline]
    pub fn is_rebuilt(&self) -> bool {
        self.rebuilt.load(Ordering::Relaxed)
    }

    /// Whether some transaction holds a write to the table it has not committed: a row it
    /// inserted or changed (a version stamped with its id), or one it deleted or claimed.
    /// A walk of every slot's head, reading no payload.
    fn has_uncommitted_writes(&self) -> bool {
        let guard = epoch::pin();
        let mut found = false;
        for rows in self.row_ranges() {
            self.for_each_slot(rows, &guard, |_, slot| {
                let head = slot.head.load(Ordering::Acquire, &guard);
                if let Some(version) = head.version_ref() {
                    let begin = version.begin.load(Ordering::Acquire);
                    let end = version.end.load(Ordering::Acquire);
                    found = begin >= TXN_ID_BASE || (!is_unended(end) && end >= TXN_ID_BASE);
                }
                !found
            });
            if found {
                return true;
            }
        }
        false
    }
}

impl Store {
    /// Closes `table` for a rebuild: from now on no transaction that wrote to it commits,
    /// and every one that did is published. Call under the DDL lock.
    pub fn close_for_rebuild(&self, table: &Table) {
        let (commit_lock, _) = self.clock().begin_commit();
        table.rebuilt.store(true, Ordering::Relaxed);
        drop(commit_lock);
    }

    /// Closes `table` for a truncate, as `close_for_rebuild` does, unless some transaction
    /// holds uncommitted writes to it (those stay its own to commit): then nothing changes
    /// and this returns false. Decided under the commit lock, so no commit is refused for a
    /// truncate that does not happen. Call under the DDL lock.
    pub fn close_for_truncate(&self, table: &Table) -> bool {
        let (commit_lock, _) = self.clock().begin_commit();
        let closed = !table.has_uncommitted_writes();
        if closed {
            table.rebuilt.store(true, Ordering::Relaxed);
        }
        drop(commit_lock);
        closed
    }

    /// Reopens a table whose rebuild failed: its writers commit again.
    pub fn reopen_after_failed_rebuild(&self, table: &Table) {
        let (commit_lock, _) = self.clock().begin_commit();
        table.rebuilt.store(false, Ordering::Relaxed);
        drop(commit_lock);
    }
}

impl Transaction {
    /// Whether this transaction wrote to `table` (a rebuild refuses to run under it).
    pub fn has_written_to(&self, table: &Table) -> bool {
        self.tables
            .iter()
            .any(|written| std::ptr::eq(Arc::as_ptr(written), table))
    }

    /// Whether this transaction's snapshot sees every commit that wrote to `table`: no
    /// version of any row began or ended at a commit after the snapshot was taken (a copy
    /// of the table this transaction makes would miss such a commit). Writes not yet
    /// committed are not commits and are passed over. A walk of every row's versions,
    /// reading no payload.
    pub fn sees_every_commit_to(&self, table: &Table) -> bool {
        let read_ts = self.snapshot.read_ts;
        let after_snapshot = |stamp: u64| stamp < TXN_ID_BASE && stamp > read_ts;
        let guard = epoch::pin();
        let mut seen = true;
        for rows in table.row_ranges() {
            table.for_each_slot(rows, &guard, |_, slot| {
                let head = slot.head.load(Ordering::Acquire, &guard);
                let mut next = head.version_ref();
                while let Some(version) = next {
                    let end = version.end.load(Ordering::Acquire);
                    if after_snapshot(version.begin.load(Ordering::Acquire))
                        || (!is_unended(end) && after_snapshot(end))
                    {
                        seen = false;
                        break;
                    }
                    let older = version.older.load(Ordering::Acquire, &guard);
                    // SAFETY: versions are destroyed only through the epoch after being
                    // unlinked, and `guard` pins the epoch.
                    next = unsafe { older.as_ref() };
                }
                seen
            });
            if !seen {
                return false;
            }
        }
        true
    }

    /// Ends a transaction that only inserted rows into tables nobody else can see yet (the
    /// copy of a rebuild): every version is stamped `FROZEN_BEGIN`, so every snapshot,
    /// however old, sees the rows; no commit timestamp is taken.
    pub fn commit_preexisting(mut self) -> StorageResult<()> {
        if self
            .writes
            .iter()
            .any(|write| write.kind != WriteKind::Created)
        {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "only inserted rows can be committed as pre-existing",
            ));
        }
        for write in &self.writes {
            let version = write.version.get();
            version.begin.store(FROZEN_BEGIN, Ordering::Release);
        }
        self.account_tables();
        self.count_committed_rows(None);
        self.writes.clear();
        self.tables.clear();
        self.release_snapshot();
        Ok(())
    }

    /// The refusal of a commit that wrote to a table closed for a rebuild, or to a table
    /// another transaction widened (`widening.rs`). Read under the commit lock, which
    /// `close_for_rebuild` and the widenings also take.
    pub(super) fn wrote_rebuilt_table(&self) -> Option<StorageError> {
        if let Some(table) = self.tables.iter().find(|table| table.is_rebuilt()) {
            return Some(rebuilt_while_writing(table.id()));
        }
        self.wrote_widened_table()
    }
}

#[cold]
fn rebuilt_while_writing(table_id: u64) -> StorageError {
    StorageError::new(
        StorageErrorKind::Conflict,
        format!(
            "the transaction wrote to a table (id {table_id}) that a concurrent ALTER TABLE \
             DROP COLUMN rebuilt or DELETE of every row emptied; nothing was committed, retry \
             the transaction"
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use crate::{DataType, StorageErrorKind, TableSchema, Value};

    fn schema() -> TableSchema {
        TableSchema {
            types: vec![DataType::Integer, DataType::Text],
            key_columns: vec![0],
            added: Vec::new(),
        }
    }

    #[test]
    fn a_writer_of_a_closed_table_commits_nothing_until_it_is_reopened() {
        let store = Store::new();
        let table = store.create_table(schema());
        let mut writer = store.begin().unwrap();
        writer
            .insert(&table, &[Value::Integer(1), Value::Null])
            .unwrap();
        assert!(writer.has_written_to(&table));
        store.close_for_rebuild(&table);
        let error = writer.commit().unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::Conflict);
        store.reopen_after_failed_rebuild(&table);
        let mut writer = store.begin().unwrap();
        writer
            .insert(&table, &[Value::Integer(1), Value::Null])
            .unwrap();
        writer.commit().unwrap();
    }

    #[test]
    fn a_snapshot_sees_every_commit_to_a_table_until_one_lands_after_it() {
        let store = Store::new();
        let table = store.create_table(schema());
        let mut first = store.begin().unwrap();
        first
            .insert(&table, &[Value::Integer(1), Value::Null])
            .unwrap();
        first.commit().unwrap();
        let mut reader = store.begin().unwrap();
        assert!(reader.sees_every_commit_to(&table));
        // Its own write and another's uncommitted one are no commits after it.
        reader
            .insert(&table, &[Value::Integer(2), Value::Null])
            .unwrap();
        let mut other = store.begin().unwrap();
        other
            .insert(&table, &[Value::Integer(3), Value::Null])
            .unwrap();
        assert!(reader.sees_every_commit_to(&table));
        other.commit().unwrap();
        assert!(!reader.sees_every_commit_to(&table));
        assert!(store.begin().unwrap().sees_every_commit_to(&table));
    }

    #[test]
    fn rows_committed_as_preexisting_are_seen_by_older_snapshots() {
        let store = Store::new();
        let other = store.create_table(schema());
        let mut bump = store.begin().unwrap();
        bump.insert(&other, &[Value::Integer(1), Value::Null])
            .unwrap();
        bump.commit().unwrap();
        let old = store.begin().unwrap();
        let copy = store.create_table(schema());
        let mut writer = store.begin().unwrap();
        let row = writer
            .insert(&copy, &[Value::Integer(5), Value::Text("x".into())])
            .unwrap();
        writer.commit_preexisting().unwrap();
        let mut values = Vec::new();
        assert!(old.read_row(&copy, row, &mut values).unwrap());
        assert_eq!(values, vec![Value::Integer(5), Value::Text("x".into())]);
    }
}
