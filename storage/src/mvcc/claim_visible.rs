//! Claiming every row a transaction sees, as one bulk write: the slots are walked in order,
//! a batch of slots per epoch pin, and the visible head of each live row is claimed for the
//! transaction (first updater wins, as `claim.rs` claims one row) and logged, without
//! decoding any payload or looking a row up by its id. What the transaction then does at
//! commit (stamp, log to the WAL, hand the ended versions to the collector) and at rollback
//! (release the claims) is what it does for rows deleted one at a time, so readers whose
//! snapshots are older keep seeing every row until the collector frees them.

use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::error::StorageError;

use super::claim::ClaimFor;
use super::table::{visible_in, RowId, Table};
use super::transaction::{Transaction, WriteKind};

/// Slots looked at per epoch pin.
const SLOTS_PER_PIN: u64 = 256;

impl Transaction {
    /// Deletes every row of `table` this transaction sees, in slot order. `before_each` is
    /// called with the number of rows deleted so far before each row is (a caller's limit
    /// on the rows one statement writes, or its interrupt, fails there); a storage error
    /// is handed back through `storage_error`. Returns how many rows were deleted. A row
    /// another transaction wrote or claimed since this snapshot fails with `Conflict`, as
    /// `delete` does; on any error the rows deleted before it stay claimed (the caller
    /// undoes the statement, as for rows deleted one at a time).
    pub fn delete_visible_rows<E>(
        &mut self,
        table: &Arc<Table>,
        mut before_each: impl FnMut(u64) -> Result<(), E>,
        storage_error: impl Fn(StorageError) -> E,
    ) -> Result<u64, E> {
        self.note_table_read(table);
        self.writer_id();
        let mut deleted = 0u64;
        let mut visible: Vec<RowId> = Vec::with_capacity(SLOTS_PER_PIN as usize);
        let mut from = 0;
        while let Some(batch) = table.next_scan_batch(from, SLOTS_PER_PIN) {
            from = batch.end;
            let guard = epoch::pin();
            let snapshot = self.snapshot;
            visible.clear();
            table.for_each_slot(batch, &guard, |row, slot| {
                if visible_in(slot, &snapshot, &guard).is_some() {
                    visible.push(row);
                }
                true
            });
            self.writes.reserve(visible.len());
            for &row in &visible {
                before_each(deleted)?;
                let (_, head) = self
                    .claim(table, row, ClaimFor::Delete, &guard)
                    .map_err(&storage_error)?;
                self.log(table, row, WriteKind::Claimed, head);
                deleted += 1;
            }
        }
        Ok(deleted)
    }
}
