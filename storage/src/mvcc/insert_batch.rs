//! Inserting many rows of one table at once (`Transaction::insert_batch`, which returns a
//! `BatchInsert` the caller feeds batches of rows), with the effect of inserting them one by
//! one. Each row is encoded, linked and logged as `insert` does (its primary key checked
//! there); then each secondary index takes its writer lock once per batch and gets its hash
//! entries row by row with their uniqueness checks. The ordered entries of the rows are
//! encoded and held until `finish` (or drop, or `ORDERED_PENDING_MAX` of them), then
//! radix-sorted (`index/entry_sort.rs`) and merged into the tree at once
//! (`OrderedEntries::insert_entries`), where one insert per row copies the leaf it lands in.
//! Until then the ordered index lacks entries of versions only this transaction sees,
//! and the `BatchInsert` holds the transaction, so nothing reads through them meanwhile.
//!
//! When any row of a batch fails, the batch is undone and its rows are inserted again one
//! by one, so the rows before the failing one stay and the error is the one that row's
//! insert gives: what N single inserts leave and report. A batch holds one epoch pin
//! throughout (its length is the caller's bound on rows per batch).

use std::borrow::Borrow;
use std::sync::atomic::Ordering;
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::asymmetric_fence;
use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::{push_entry_key, sort_entry_keys, IndexKey, SecondaryIndex};
use crate::value::Value;

use super::indexing::check_unique;
use super::table::{RowId, Table};
use super::transaction::Transaction;

/// Ordered entries held per index before they are merged into its tree early.
const ORDERED_PENDING_MAX: usize = 1 << 17;

/// A run of batched inserts into one table (see the module comment).
pub struct BatchInsert<'t> {
    txn: &'t mut Transaction,
    table: Arc<Table>,
    /// The ordered entries not yet merged: one list per index, by index id.
    pending: Vec<(u64, EntryKeys)>,
    /// One index's keys of the rows of a batch, with their hashes (`index_rows`), kept
    /// between batches so that their memory is reused.
    hashed_keys: Vec<(IndexKey, u64, RowId)>,
}

impl Transaction {
    /// Starts inserting rows of `table` in batches (`BatchInsert::rows`).
    pub fn insert_batch(&mut self, table: &Arc<Table>) -> BatchInsert<'_> {
        BatchInsert {
            txn: self,
            table: Arc::clone(table),
            pending: Vec::new(),
            hashed_keys: Vec::new(),
        }
    }
}

impl BatchInsert<'_> {
    /// The transaction the rows go into (to read it meanwhile).
    pub fn transaction(&self) -> &Transaction {
        self.txn
    }

    /// Makes room at once in the table's hash index entries for `rows` more rows (a copy
    /// knows about how many it reads): one growth of each index's array instead of one per
    /// doubling. Only room: nothing is inserted, and a wrong guess costs nothing but room.
    pub fn expect_rows(&mut self, rows: u64) {
        let rows = rows.min(crate::limits::TABLE_SLOTS_MAX) as usize;
        if rows == 0 || self.table.secondary_count.load(Ordering::Relaxed) == 0 {
            return;
        }
        for index in self.table.secondary.load().iter() {
            index.map.lock_writer().reserve(rows);
        }
    }

    /// Bytes the held ordered entries take.
    pub fn pending_bytes(&self) -> usize {
        let held = |keys: &EntryKeys| keys.bytes.capacity() + 8 * keys.ends.capacity();
        self.pending.iter().map(|(_, keys)| held(keys)).sum()
    }

    /// Inserts the rows of `values`, `width` values each, in order. Rows, index entries,
    /// version stamps, write log and the error of a failing row are those of `insert`
    /// called per row; `inserted` is set to the number of rows in (all of them, or those
    /// before the failing one).
    pub fn rows<V: Borrow<Value>>(
        &mut self,
        (values, width): (&[V], usize),
        inserted: &mut usize,
    ) -> StorageResult<()> {
        let insert =
            |txn: &mut Transaction, table: &Arc<Table>, _: usize, row: &[V]| txn.insert(table, row);
        self.insert_each((values, width), None, inserted, (insert, insert))
    }

    /// `rows` with each row linked by `link` (which inserts row `at`, whose values are
    /// `row`, leaving its indexing to the batch). `covered`: the columns the values hold
    /// (`None`: all); an index over another column has the batch undone and redone. When a
    /// row fails, the batch is undone and each row inserted again by `redo`, which indexes
    /// it as `insert` does.
    pub(super) fn insert_each<V: Borrow<Value>, L, R>(
        &mut self,
        (values, width): (&[V], usize),
        covered: Option<&[bool]>,
        inserted: &mut usize,
        (mut link, mut redo): (L, R),
    ) -> StorageResult<()>
    where
        L: FnMut(&mut Transaction, &Arc<Table>, usize, &[V]) -> StorageResult<RowId>,
        R: FnMut(&mut Transaction, &Arc<Table>, usize, &[V]) -> StorageResult<RowId>,
    {
        debug_assert!(width > 0 && values.len().is_multiple_of(width));
        *inserted = 0;
        let _pin = epoch::pin();
        let (txn, table) = (&mut *self.txn, &self.table);
        let savepoint = txn.savepoint();
        // How many ordered entries each index held before the batch.
        let held: Vec<(u64, usize)> = self
            .pending
            .iter()
            .map(|(id, keys)| (*id, keys.ends.len()))
            .collect();
        let mut rows: Vec<RowId> = Vec::with_capacity(values.len() / width.max(1));
        txn.indexing_deferred = true;
        let mut linked = Ok(());
        for (at, row) in values.chunks_exact(width).enumerate() {
            match link(txn, table, at, row) {
                Ok(id) => rows.push(id),
                Err(error) => {
                    linked = Err(error);
                    break;
                }
            }
        }
        txn.indexing_deferred = false;
        if linked
            .and_then(|()| self.index_batch(&rows, values, width, covered))
            .is_ok()
        {
            *inserted = rows.len();
            return self.merge_pending(ORDERED_PENDING_MAX);
        }
        // The held entries of the batch's rows go; the others are merged, then the batch's
        // rows go in one by one.
        for (id, keys) in &mut self.pending {
            let before = held
                .iter()
                .find(|(held, _)| held == id)
                .map_or(0, |&(_, n)| n);
            keys.truncate(before);
        }
        self.merge_pending(0)?;
        let txn = &mut *self.txn;
        txn.rollback_to(savepoint);
        for (at, row) in values.chunks_exact(width).enumerate() {
            redo(txn, &self.table, at, row)?;
            *inserted += 1;
        }
        Ok(())
    }

    /// Merges the held ordered entries into their trees.
    pub fn finish(mut self) -> StorageResult<()> {
        self.merge_pending(0)
    }

    /// Merges each index's held ordered entries into its tree once there are more than
    /// `kept` of them.
    fn merge_pending(&mut self, kept: usize) -> StorageResult<()> {
        if self.pending.iter().all(|(_, keys)| keys.ends.len() <= kept) {
            return Ok(());
        }
        let guard = epoch::pin();
        let indexes = self.table.secondary.load();
        for (id, keys) in &mut self.pending {
            if keys.ends.len() <= kept {
                continue;
            }
            // An index dropped meanwhile takes no entries.
            if let Some(ordered) = indexes
                .iter()
                .find(|index| index.id() == *id)
                .and_then(|index| index.ordered().map(|ordered| (index, ordered)))
            {
                let (index, ordered) = ordered;
                let _writer = index.map.lock_writer();
                let sorted = sort_entry_keys(keys.keys());
                ordered.insert_entries(&sorted, &guard);
            }
            keys.clear();
        }
        Ok(())
    }
    /// Adds the secondary-index entries of the versions just linked at `rows` (the rows of
    /// `values`, in order), one index at a time.
    fn index_batch<V: Borrow<Value>>(
        &mut self,
        rows: &[RowId],
        values: &[V],
        width: usize,
        covered: Option<&[bool]>,
    ) -> StorageResult<()> {
        debug_assert_eq!(rows.len() * width, values.len());
        // Pairs with the fence in `create_index`, as in `index_new_version`: every version
        // of the batch was linked before this load.
        asymmetric_fence::light();
        if self.table.secondary_count.load(Ordering::Relaxed) == 0 {
            return Ok(());
        }
        let indexes = self.table.secondary.load();
        if let Some(covered) = covered {
            let reads_other = |index: &Arc<SecondaryIndex>| {
                index
                    .source_columns()
                    .iter()
                    .any(|&column| !covered[column])
            };
            if indexes.iter().any(reads_other) {
                return Err(StorageError::new(
                    StorageErrorKind::Conflict,
                    "an index the batch's values do not cover was created meanwhile",
                ));
            }
        }
        for index in indexes.iter() {
            self.index_rows(index, rows, (values, width))?;
        }
        Ok(())
    }

    /// `index_batch` for one index: its hash entries under its writer lock, its ordered
    /// entries held.
    fn index_rows<V: Borrow<Value>>(
        &mut self,
        index: &SecondaryIndex,
        rows: &[RowId],
        (values, width): (&[V], usize),
    ) -> StorageResult<()> {
        let (txn, table) = (&mut *self.txn, &*self.table);
        let guard = epoch::pin();
        let checked = txn.unique_checks.then_some(&txn.snapshot);
        let mut buffer = Vec::new();
        // The batch's keys and their hashes first, so that the inserts can prefetch
        // (`IndexWriter::insert_hashed_keys`).
        let keys = &mut self.hashed_keys;
        keys.clear();
        keys.extend(
            rows.iter()
                .zip(values.chunks_exact(width))
                .filter_map(|(&row, values)| {
                    let key = index.key_of(values)?;
                    let hash = key.hash();
                    Some((key, hash, row))
                }),
        );
        let writer = index.map.lock_writer();
        writer.insert_hashed_keys(keys, |writer, key, row| {
            match checked.filter(|_| index.is_unique()) {
                Some(snapshot) => {
                    let held = (writer, &guard, &mut buffer);
                    check_unique(table, index, (key, row), snapshot, held)
                }
                None => Ok(()),
            }
        })?;
        drop(writer);
        if index.ordered().is_none() {
            return Ok(());
        }
        let at = match self.pending.iter().position(|(id, _)| *id == index.id()) {
            Some(at) => at,
            None => {
                self.pending.push((index.id(), EntryKeys::default()));
                self.pending.len() - 1
            }
        };
        let entries = &mut self.pending[at].1;
        for (&row, values) in rows.iter().zip(values.chunks_exact(width)) {
            if !index.ordered_key_into(values, &mut txn.encoded) {
                continue;
            }
            push_entry_key(&txn.encoded, row, &mut entries.bytes);
            entries.ends.push(entries.bytes.len());
        }
        Ok(())
    }
}

impl Drop for BatchInsert<'_> {
    /// Merges what is held (an error on the way left it unmerged): every linked version
    /// has its ordered entries, whatever comes after.
    fn drop(&mut self) {
        let _ = self.merge_pending(0);
    }
}

/// Ordered entry keys held for merging, side by side in one buffer.
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

    /// Keeps the first `len` keys.
    fn truncate(&mut self, len: usize) {
        self.ends.truncate(len);
        self.bytes
            .truncate(len.checked_sub(1).map_or(0, |last| self.ends[last]));
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
