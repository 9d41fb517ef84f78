//! `WritePin`: one epoch pin a statement holds across a run of row writes
//! (`Transaction::update_columns_pinned`, `Transaction::delete_pinned`), instead of a pin
//! and an unpin per row (each a fence and a thread-local round trip). The pin is renewed
//! every `WRITES_PER_PIN` writes, so a statement that writes millions of rows holds
//! reclamation back (every thread's deferred frees wait for the oldest pinned epoch) for at
//! most that many writes, as a run of single-row statements would.

use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard};

use crate::error::StorageResult;
use crate::value::Value;

use super::claim::ClaimFor;
use super::table::{RowId, Table};
use super::transaction::{Transaction, WriteKind};

/// The most row writes made under one pin before it is renewed.
pub const WRITES_PER_PIN: u32 = 256;

/// An epoch pin held across row writes; renewed every `WRITES_PER_PIN` of them. Not `Send`:
/// it belongs to the thread that pinned.
pub struct WritePin {
    guard: Guard,
    /// Writes made under the current pin.
    writes: u32,
}

impl WritePin {
    /// Pins the current thread.
    pub fn new() -> WritePin {
        WritePin {
            guard: epoch::pin(),
            writes: 0,
        }
    }

    /// Counts one write and hands out the pin it is made under: a fresh one (the thread
    /// unpinned and pinned again) when the current pin has seen `WRITES_PER_PIN` writes.
    /// Taking `&mut self` ends every borrow of the previous pin before it is renewed.
    #[inline]
    pub(super) fn next_write(&mut self) -> &Guard {
        self.writes += 1;
        if self.writes > WRITES_PER_PIN {
            self.writes = 1;
            // Unpins (when no other guard of this thread pins it) and pins again, helping
            // the epoch along as a fresh pin does.
            self.guard.repin_after(|| ());
        }
        &self.guard
    }

    /// Writes made under the current pin (for tests of the renewal).
    #[cfg(test)]
    pub(super) fn writes_under_pin(&self) -> u32 {
        self.writes
    }
}

impl Default for WritePin {
    fn default() -> Self {
        WritePin::new()
    }
}

impl Transaction {
    /// `update_columns` under `pin`, which a statement writing many rows holds across
    /// them (one pin per `WRITES_PER_PIN` rows instead of one per row).
    #[inline]
    pub fn update_columns_pinned(
        &mut self,
        pin: &mut WritePin,
        table: &Arc<Table>,
        row: RowId,
        changes: &[(usize, Value)],
    ) -> StorageResult<RowId> {
        self.update_columns_under(table, row, changes, pin.next_write())
    }

    /// `delete` under `pin`, which a statement deleting many rows holds across them.
    #[inline]
    pub fn delete_pinned(
        &mut self,
        pin: &mut WritePin,
        table: &Arc<Table>,
        row: RowId,
    ) -> StorageResult<()> {
        self.delete_under(table, row, pin.next_write())
    }

    /// `delete` with the thread pinned by `guard`: claims the row's visible version.
    pub(super) fn delete_under(
        &mut self,
        table: &Arc<Table>,
        row: RowId,
        guard: &Guard,
    ) -> StorageResult<()> {
        let (_, head) = self.claim(table, row, ClaimFor::Delete, guard)?;
        self.log(table, row, WriteKind::Claimed, head);
        Ok(())
    }
}

#[cfg(test)]
#[path = "write_pin_tests.rs"]
mod tests;
