//! Compaction of a table's payloads: while the pool has pages marked as evacuating
//! (`SlabPool::begin_compaction`), every version reachable from the table's slots whose
//! payload sits in such a page gets its payload copied to a slot elsewhere; the old slots are
//! freed after the epoch, so readers that loaded the old pointer finish safely. Runs under the
//! table's collector lock, so it never races garbage collection of the same table.

use std::sync::atomic::Ordering;

use crossbeam_epoch as epoch;

use crate::slab::{retire_moved_slots, Compaction};

use super::table::Table;

/// Most slots one compaction batch walks under a single epoch pin.
const SLOTS_PER_PIN: u64 = 4096;

impl Table {
    /// Moves this table's payloads out of the pages `compaction` evacuates; returns how many
    /// moved.
    pub fn compact_payloads(&self, compaction: &Compaction<'_>) -> u64 {
        if compaction.pages_evacuated() == 0 {
            return 0;
        }
        let _collector = self
            .gc
            .lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let pool = self.pool();
        let mut moved = 0;
        let slots = self.slot_count();
        let mut start = 0;
        while start < slots {
            let end = slots.min(start + SLOTS_PER_PIN);
            let guard = epoch::pin();
            let mut old_slots = Vec::new();
            for row in start..end {
                let Some(slot) = self.slot(row) else { continue };
                let mut current = slot.head.load(Ordering::Acquire, &guard);
                // SAFETY: versions are destroyed only after being unlinked, through the epoch,
                // and `guard` is pinned, so every version reachable now stays alive.
                while let Some(version) = unsafe { current.as_ref() } {
                    if let Some(old) = version.payload.relocate_if_evacuating(pool, &guard) {
                        old_slots.push(old);
                    }
                    current = version.older.load(Ordering::Acquire, &guard);
                }
            }
            moved += old_slots.len() as u64;
            retire_moved_slots(&guard, pool.account(), old_slots);
            guard.flush();
            start = end;
        }
        moved
    }
}
