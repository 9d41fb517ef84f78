//! Inserting many rows of one table at once (`Transaction::insert_batch`), with the effect of
//! inserting them one by one. Each row is encoded, linked and logged as `insert` does (its
//! primary key checked there); then each secondary index takes its writer lock once for the
//! whole batch: its hash entries go in row by row with their uniqueness checks, and its
//! ordered entries are encoded, radix-sorted (`index/entry_sort.rs`) and merged into the
//! tree at once (`OrderedEntries::insert_entries`), where one insert per row copies the
//! leaf it lands in.
//!
//! When any row fails, the batch is undone and its rows are inserted again one by one, so
//! the rows before the failing one stay and the error is the one that row's insert gives:
//! what N single inserts leave and report. The batch holds one epoch pin throughout (its
//! length is the caller's bound on rows per batch).

use std::borrow::Borrow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::asymmetric_fence;
use crate::error::StorageResult;
use crate::index::{push_entry_key, sort_entry_keys, SecondaryIndex};
use crate::value::Value;

use super::indexing::check_unique;
use super::table::{RowId, Table};
use super::transaction::Transaction;

impl Transaction {
    /// Inserts the rows of `values`, `width` values each, in order. Rows, index entries,
    /// version stamps, write log and the error of a failing row are those of `insert`
    /// called per row; `inserted` is set to the number of rows in (all of them, or those
    /// before the failing one).
    pub fn insert_batch<V: Borrow<Value>>(
        &mut self,
        table: &Arc<Table>,
        (values, width): (&[V], usize),
        inserted: &mut usize,
    ) -> StorageResult<()> {
        *inserted = 0;
        debug_assert!(width > 0 && values.len().is_multiple_of(width));
        let _pin = epoch::pin();
        let savepoint = self.savepoint();
        let mut rows: Vec<RowId> = Vec::with_capacity(values.len() / width.max(1));
        self.indexing_deferred = true;
        let mut linked = Ok(());
        for row in values.chunks_exact(width) {
            match self.insert(table, row) {
                Ok(id) => rows.push(id),
                Err(error) => {
                    linked = Err(error);
                    break;
                }
            }
        }
        self.indexing_deferred = false;
        if linked
            .and_then(|()| self.index_batch(table, &rows, values, width))
            .is_ok()
        {
            *inserted = rows.len();
            return Ok(());
        }
        self.rollback_to(savepoint);
        for row in values.chunks_exact(width) {
            self.insert(table, row)?;
            *inserted += 1;
        }
        Ok(())
    }

    /// Adds the secondary-index entries of the versions just linked at `rows` (the rows of
    /// `values`, in order), one index at a time.
    fn index_batch<V: Borrow<Value>>(
        &mut self,
        table: &Table,
        rows: &[RowId],
        values: &[V],
        width: usize,
    ) -> StorageResult<()> {
        debug_assert_eq!(rows.len() * width, values.len());
        // Pairs with the fence in `create_index`, as in `index_new_version`: every version
        // of the batch was linked before this load.
        asymmetric_fence::light();
        if table.secondary_count.load(Ordering::Relaxed) == 0 {
            return Ok(());
        }
        let indexes = table.secondary.load();
        let mut entries = EntryKeys::default();
        for index in indexes.iter() {
            self.index_rows(table, index, rows, values, width, &mut entries)?;
        }
        Ok(())
    }

    /// `index_batch` for one index, under its writer lock.
    fn index_rows<V: Borrow<Value>>(
        &mut self,
        table: &Table,
        index: &SecondaryIndex,
        rows: &[RowId],
        values: &[V],
        width: usize,
        entries: &mut EntryKeys,
    ) -> StorageResult<()> {
        let guard = epoch::pin();
        let checked = self.unique_checks.then_some(&self.snapshot);
        let mut buffer = Vec::new();
        let writer = index.map.lock_writer();
        for (&row, values) in rows.iter().zip(values.chunks_exact(width)) {
            let Some(key) = index.key_of(values) else {
                continue;
            };
            if let Some(snapshot) = checked.filter(|_| index.is_unique()) {
                let held = (&writer, &guard, &mut buffer);
                check_unique(table, index, (&key, row), snapshot, held)?;
            }
            writer.insert(key, row);
        }
        let Some(ordered) = index.ordered() else {
            return Ok(());
        };
        entries.clear();
        for (&row, values) in rows.iter().zip(values.chunks_exact(width)) {
            self.encoded.clear();
            ordered.encode_into(index.columns(), values, &mut self.encoded);
            push_entry_key(&self.encoded, row, &mut entries.bytes);
            entries.ends.push(entries.bytes.len());
        }
        let sorted = sort_entry_keys(entries.keys());
        ordered.insert_entries(&sorted, &guard);
        Ok(())
    }
}

/// The ordered entry keys of one batch, side by side in one buffer.
#[derive(Default)]
struct EntryKeys {
    bytes: Vec<u8>,
    /// Where each key ends in `bytes`.
    ends: Vec<usize>,
}

impl EntryKeys {
    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
    }

    fn keys(&self) -> Vec<&[u8]> {
        let mut start = 0;
        self.ends
            .iter()
            .map(|&end| {
                let key = &self.bytes[start..end];
                start = end;
                key
            })
            .collect()
    }
}
