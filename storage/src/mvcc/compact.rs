//! Compaction of a table's payloads: while the pool has pages marked as evacuating
//! (`SlabPool::begin_compaction`), every version reachable from the table's slots whose
//! payload sits in such a page gets its payload copied to a slot elsewhere; the old slots are
//! freed after the epoch, so readers that loaded the old pointer finish safely (a frozen head
//! is swapped for the moved payload with a CAS, which fails harmlessly if a writer thawed the
//! row meanwhile: the header holds the old slot then, and a later run moves it). Each batch of
//! slots runs under the table's collector lock, so it never races garbage collection of the
//! same table; the lock is let go between batches, so a collection (or an index build) waits
//! for one batch at most, not for the whole walk. A walk may stop after a number of slots and
//! go on from there (`compact_payloads_from`).

use std::sync::atomic::Ordering;

use std::ptr::NonNull;

use crossbeam_epoch::{self as epoch, Guard};

use crate::slab::{copy_if_evacuating, retire_moved_slots, Compaction, SlabPool};

use super::head::{FrozenSlot, Head, HeadWord};
use super::table::{RowId, Table};

/// Most slots one compaction batch walks under a single epoch pin.
const SLOTS_PER_PIN: u64 = 4096;

impl Table {
    /// Moves this table's payloads out of the pages `compaction` evacuates; returns how many
    /// moved.
    pub fn compact_payloads(&self, compaction: &Compaction<'_>) -> u64 {
        self.compact_payloads_from(compaction, 0, u64::MAX).moved
    }

    /// `compact_payloads` over at most `slots_max` slots, from row `from` on (a step of a
    /// compaction walked in bounded pieces, `Store::compact_step`).
    pub fn compact_payloads_from(
        &self,
        compaction: &Compaction<'_>,
        from: RowId,
        slots_max: u64,
    ) -> WalkedSlots {
        let mut walked = WalkedSlots {
            moved: 0,
            slots: 0,
            next: Some(from),
        };
        if compaction.pages_evacuated() == 0 || slots_max == 0 {
            return walked;
        }
        let pool = self.pool();
        let mut from = from;
        loop {
            let _collector = self
                .gc
                .lock
                .lock()
                .unwrap_or_else(|poison| poison.into_inner());
            let left = slots_max - walked.slots;
            let Some(batch) = self.next_scan_batch(from, SLOTS_PER_PIN.min(left)) else {
                walked.next = None;
                break;
            };
            from = batch.end;
            walked.slots += batch.end - batch.start;
            walked.next = Some(from);
            let guard = epoch::pin();
            let mut old_slots = Vec::new();
            for row in batch {
                let Some(slot) = self.slot(row) else { continue };
                let head = slot.head.load(Ordering::Acquire, &guard);
                if let Some(frozen) = head.frozen_slot() {
                    old_slots.extend(relocate_frozen(pool, &slot.head, head, frozen, &guard));
                    continue;
                }
                let mut current = head.version().unwrap_or_default();
                // SAFETY: versions are destroyed only after being unlinked, through the epoch,
                // and `guard` is pinned, so every version reachable now stays alive.
                while let Some(version) = unsafe { current.as_ref() } {
                    if let Some(old) = version.payload.relocate_if_evacuating(pool, &guard) {
                        old_slots.push(old);
                    }
                    current = version.older.load(Ordering::Acquire, &guard);
                }
            }
            walked.moved += old_slots.len() as u64;
            retire_moved_slots(&guard, pool.account(), old_slots);
            guard.flush();
            if walked.slots >= slots_max {
                // A walk that stopped at the table's end says so.
                if self.next_scan_batch(from, 1).is_none() {
                    walked.next = None;
                }
                break;
            }
        }
        debug_assert!(walked.slots <= slots_max);
        walked
    }
}

/// What a bounded compaction walk over one table did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WalkedSlots {
    /// Payloads moved.
    pub moved: u64,
    /// Slots walked.
    pub slots: u64,
    /// The row to go on from, or `None` when the walk reached the table's end.
    pub next: Option<RowId>,
}

/// Moves a frozen head's payload out of an evacuating page: copies it, swaps the head with a
/// CAS and returns the old slot (to free after the epoch). `None` if it stays.
fn relocate_frozen(
    pool: &SlabPool,
    head: &Head,
    word: HeadWord<'_>,
    frozen: FrozenSlot,
    guard: &Guard,
) -> Option<NonNull<u8>> {
    let new = copy_if_evacuating(pool, frozen.memory, frozen.len, guard)?;
    let moved = HeadWord::frozen(FrozenSlot {
        memory: new,
        len: frozen.len,
    });
    let swapped = moved.is_some_and(|moved| {
        head.compare_exchange(word, moved, Ordering::AcqRel, Ordering::Acquire)
            .is_ok()
    });
    if swapped {
        Some(frozen.memory)
    } else {
        // SAFETY: `new` was never published.
        unsafe { crate::slab::free_moved_copy(new) };
        None
    }
}
