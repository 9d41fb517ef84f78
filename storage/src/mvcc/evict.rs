//! What a transaction does for per-table budgets (`budget.rs`): adds its net bytes to each
//! table's `live_bytes` when it commits, tells the engine the bytes it would add, and walks a
//! table's eviction hand over the rows it sees, so the engine can delete victims inside the
//! writing transaction (evictions are ordinary deletes, logged with the commit).

use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::Arc;

use crossbeam_epoch::{self as epoch, Guard};

use super::table::{RowId, Slot, Table};
use super::transaction::{Transaction, Write, WriteKind};
use super::version::{Version, VERSION_HEADER_BYTES};

/// What the visitor of `walk_from_hand` says about a row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum HandStep {
    /// Pass the row by.
    Pass,
    /// Stop here; the hand rests past this row.
    Stop,
}

/// The bytes the version of `slot` that `snapshot` sees holds, and whether `txn_id` (the
/// snapshot's own writer) created it.
fn visible_footprint_in(
    slot: &Slot,
    snapshot: &super::Snapshot,
    guard: &Guard,
) -> Option<(u64, bool)> {
    let head = slot.head.load(Ordering::Acquire, guard);
    if let Some(frozen) = head.frozen_slot() {
        return Some((VERSION_HEADER_BYTES + frozen.held_bytes(), false));
    }
    let mut version = head.version_ref()?;
    loop {
        if version.is_visible(snapshot) {
            let own =
                snapshot.txn_id != 0 && version.begin.load(Ordering::Acquire) == snapshot.txn_id;
            return Some((version.footprint_bytes(), own));
        }
        let older = version.older.load(Ordering::Acquire, guard);
        // SAFETY: versions are destroyed only through the epoch after being unlinked, and
        // `guard` pins the epoch, so every version reachable now stays alive.
        version = unsafe { older.as_ref() }?;
    }
}

/// The net bytes a pass over the write log adds to each table's `live_bytes`, summed by
/// runs of writes to one table (no allocation) and applied when the run moves on.
#[derive(Default)]
pub(super) struct TableBytes {
    run: Option<(u32, i64)>,
}

impl TableBytes {
    /// Counts `write` (whose version is `version`): a created version's bytes are added, a
    /// claimed (ended) one's taken away.
    #[inline]
    pub(super) fn add(&mut self, tables: &[Arc<Table>], write: &Write, version: &Version) {
        let bytes = version.footprint_bytes() as i64;
        let delta = match write.kind {
            WriteKind::Created => bytes,
            WriteKind::Claimed => -bytes,
        };
        match &mut self.run {
            Some((table, sum)) if *table == write.table => *sum += delta,
            _ => {
                self.apply_run(tables);
                self.run = Some((write.table, delta));
            }
        }
    }

    /// Applies what is left (call after the pass).
    pub(super) fn finish(mut self, tables: &[Arc<Table>]) {
        self.apply_run(tables);
    }

    fn apply_run(&mut self, tables: &[Arc<Table>]) {
        if let Some((table, sum)) = self.run.take() {
            tables[table as usize].budget.apply_delta(sum);
        }
    }
}

impl Transaction {
    /// Adds each table's net change to its `live_bytes` (under the commit lock, so the count
    /// is exact for every published timestamp), and gives rows created in a table whose
    /// reads mark rows their first mark. (A commit does the same in its stamping pass:
    /// `TableBytes` and `mark_created_rows`.)
    pub(super) fn account_tables(&self) {
        let mut bytes = TableBytes::default();
        for write in &self.writes {
            bytes.add(&self.tables, write, write.version.get());
        }
        bytes.finish(&self.tables);
        self.mark_created_rows();
    }

    /// Gives the rows this transaction created in a table whose reads mark rows their first
    /// mark.
    pub(super) fn mark_created_rows(&self) {
        for (position, table) in self.tables.iter().enumerate() {
            let Some(marks) = table.budget.marks() else {
                continue;
            };
            for write in &self.writes {
                if write.table as usize == position && write.kind == WriteKind::Created {
                    marks.mark_new(write.row);
                }
            }
        }
    }

    /// The net bytes this transaction's writes to `table` add to its `live_bytes` when it
    /// commits (negative when it frees more than it adds).
    pub fn pending_bytes(&self, table: &Table) -> i64 {
        let Some(position) = self
            .tables
            .iter()
            .position(|written| std::ptr::eq(Arc::as_ptr(written), table))
        else {
            return 0;
        };
        self.writes
            .iter()
            .filter(|write| write.table as usize == position)
            .map(|write| {
                let bytes = write.version.get().footprint_bytes() as i64;
                match write.kind {
                    WriteKind::Created => bytes,
                    WriteKind::Claimed => -bytes,
                }
            })
            .sum()
    }

    /// The tables this transaction wrote to.
    pub fn written_tables(&self) -> &[Arc<Table>] {
        &self.tables
    }

    /// The bytes the version of `row` this transaction sees holds (header plus payload), or
    /// `None` when it sees none.
    pub fn visible_footprint(&self, table: &Table, row: RowId) -> Option<u64> {
        let guard = epoch::pin();
        let slot = table.slot(row)?;
        visible_footprint_in(slot, &self.snapshot, &guard).map(|(bytes, _)| bytes)
    }

    /// Walks `table`'s eviction hand over the rows this transaction sees (not those it
    /// created itself), calling `visit(row, bytes, mark)` for each (`mark`: the row's access
    /// mark, when reads mark rows), until `visit` says `Stop` or `slots_max` slots were
    /// passed. The hand wraps at the end of the table and rests after the last row passed.
    /// Returns the row it stopped at, if any.
    pub fn walk_from_hand(
        &self,
        table: &Table,
        slots_max: u64,
        mut visit: impl FnMut(RowId, u64, Option<&AtomicU8>) -> HandStep,
    ) -> Option<RowId> {
        let positions = table.positions();
        if positions == 0 {
            return None;
        }
        let guard = epoch::pin();
        let marks = table.budget.marks();
        let mut position = table.budget.hand() % positions;
        let mut stopped = None;
        for _ in 0..slots_max {
            let row = table.row_at_position(position);
            position = (position + 1) % positions;
            if let Some(slot) = table.slot(row) {
                if let Some((bytes, false)) = visible_footprint_in(slot, &self.snapshot, &guard) {
                    let mark = marks.and_then(|marks| marks.get(row));
                    if visit(row, bytes, mark) == HandStep::Stop {
                        stopped = Some(row);
                        break;
                    }
                }
            }
        }
        table.budget.set_hand(position);
        stopped
    }
}
