//! `Transaction::update_columns_each`: `update_columns` over many rows (an UPDATE's
//! targets), with the per-row memory barriers paid once per batch of rows. One row alone
//! pins the epoch (a full barrier) and, after linking its new version, fences before it
//! reads the index list (the pairing with `create_index`). Here a batch of up to
//! `ROWS_PER_PIN` rows shares one pin, and the fence and index check come once, after the
//! batch's last link: a version linked before the fence is either seen by an index
//! population that started meanwhile or indexed here, exactly as with one row.

use std::sync::atomic::{fence, Ordering};
use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind};
use crate::value::Value;

use super::patch::{changes_a_key, check_columns, touches_an_index, Linked};
use super::table::{RowId, Table};
use super::transaction::Transaction;

/// Rows that share one epoch pin (and one fence). Bounds how long this thread holds the
/// epoch back and how many linked rows wait for their index check.
pub(crate) const ROWS_PER_PIN: usize = 128;

impl Transaction {
    /// Updates `rows[i]` with the `i`-th `width` changes of `changes` as `update_columns`
    /// does, in order; `prepare` first gets each row's changes (to check or convert them)
    /// and may fail the call; `storage_error` turns this layer's errors into the caller's.
    /// Every row's changes are in increasing column order after `prepare`. A row whose
    /// primary key or index keys change goes through `update_columns` alone.
    ///
    /// On an error, the rows before the failing one may stay written (and the failing one
    /// partly): the caller undoes the statement to its savepoint, as for any failed
    /// statement.
    pub fn update_columns_each<E>(
        &mut self,
        table: &Arc<Table>,
        (rows, width): (&[RowId], usize),
        changes: &mut [(usize, Value)],
        mut prepare: impl FnMut(&mut [(usize, Value)]) -> Result<(), E>,
        storage_error: impl Fn(StorageError) -> E,
    ) -> Result<(), E> {
        if rows.len().checked_mul(width) != Some(changes.len()) {
            return Err(storage_error(StorageError::new(
                StorageErrorKind::InvalidData,
                format!(
                    "{} changes for {} rows of {width} changes each",
                    changes.len(),
                    rows.len()
                ),
            )));
        }
        if let ([row], changes) = (rows, &mut *changes) {
            // One row (a key lookup's): nothing to share a pin or fence with.
            prepare(changes)?;
            return self
                .update_columns(table, *row, changes)
                .map(drop)
                .map_err(storage_error);
        }
        self.reserve_row_writes(rows.len());
        for (batch, first) in (0..rows.len()).step_by(ROWS_PER_PIN).enumerate() {
            let last = (first + ROWS_PER_PIN).min(rows.len());
            let guard = epoch::pin();
            let mut linked_rows: Vec<(usize, Linked<'_>)> = Vec::with_capacity(last - first);
            for at in first..last {
                let row_changes = &mut changes[at * width..(at + 1) * width];
                // An error leaves the rows linked so far unchecked: the statement is undone,
                // and undoing a row whose tagged link an index population cleared meanwhile
                // unindexes it, as for one row (`update_columns` fails the same way).
                prepare(row_changes)?;
                let row = rows[at];
                check_columns(table, row_changes).map_err(&storage_error)?;
                if changes_a_key(table, row_changes) || touches_an_index(table, row_changes) {
                    // A moved row, or one whose index keys change: the one-row path.
                    self.update_columns(table, row, row_changes)
                        .map_err(&storage_error)?;
                    continue;
                }
                let linked = self
                    .link_spliced(table, row, row_changes, &guard)
                    .map_err(&storage_error)?;
                linked_rows.push((at, linked));
            }
            // Pairs with the fence of `create_index`, as in `update_columns`, for every row
            // linked in this batch.
            fence(Ordering::SeqCst);
            for (at, linked) in linked_rows {
                let row_changes = &changes[at * width..(at + 1) * width];
                self.index_if_covered(table, &linked, row_changes, &guard)
                    .map_err(&storage_error)?;
            }
            drop(guard);
            // What this update's rows retire comes back through the epoch, which advances
            // as threads pin: with one pin per batch instead of one per row, it is pushed on
            // here every few batches.
            if batch % FLUSH_EVERY_BATCHES == FLUSH_EVERY_BATCHES - 1 {
                epoch::pin().flush();
            }
        }
        Ok(())
    }
}

/// Batches between two explicit epoch flushes (crossbeam collects on every 128th pin of a
/// thread; one pin per batch would make that one per 16,384 rows).
const FLUSH_EVERY_BATCHES: usize = 4;
