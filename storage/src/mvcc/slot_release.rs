//! Handing back the memory of a clustered table's emptied slots. A clustered table's slot
//! array is as long as its largest key (one slot per key), and keeps that length when its
//! rows go (expiry, DELETE): the slots' chunks stay, each slot an empty head. Once the
//! collections since the last release emptied at least a sixteenth of the slots, the collector
//! releases every system page of empty slots (`SlotArray::release_empty_runs`): the pages
//! read as empty slots again and take memory again only when a row lands there.
//!
//! SAFETY OF THE RELEASE. A page is released only when all its slots are empty, and a write
//! landing there between the test and the release would be lost, so nothing may make an
//! empty direct slot non-empty meanwhile. In a clustered table only the making of a key's
//! home does (`clustered.rs`, under `home_lock`, which the release holds); the collector's
//! own writes are excluded by the collector lock (held by the caller); every other writer
//! changes a head that holds a row (a CAS from a non-empty word fails on an empty slot, and
//! an insert that finds its home emptied looks again under `home_lock`). Other tables hand
//! out slots without a lock (a slot pushed, then written), so they are left as they are.

use std::sync::atomic::Ordering;

use super::table::Table;

/// Tables with fewer slots than this keep their pages (at most 512 KiB of slots).
pub(super) const RELEASE_SLOTS_MIN: u64 = 1 << 16;

/// A release walks the array once the slots emptied since the last one are this fraction
/// of it (one over this). Expiry empties a table over several sweeps: at a quarter, the
/// last sweep's 200,000 slots of 1,000,000 (1.5 MiB) stayed resident.
const RELEASE_EMPTIED_SHARE: u64 = 16;

impl Table {
    /// Counts `emptied` slots emptied by a collection (the caller holds the collector lock).
    pub(super) fn count_emptied_slots(&self, emptied: u64) {
        if self.clustered.is_some() && emptied > 0 {
            let since = &self.gc.emptied_since_release;
            let total = since.load(Ordering::Relaxed).saturating_add(emptied);
            since.store(total, Ordering::Relaxed);
        }
    }

    /// Releases the pages of empty slots when the collections since the last release
    /// emptied at least `1 / RELEASE_EMPTIED_SHARE` of the slot array (amortized: a walk of
    /// 16 slots per slot emptied, a few nanoseconds beside the collection of its chain).
    /// Returns the bytes released. The caller holds the collector lock; it runs once at the
    /// end of each collection.
    pub(super) fn release_emptied_slots_if_due(&self) -> u64 {
        let Some(clustered) = self.clustered.as_ref() else {
            return 0;
        };
        let since = &self.gc.emptied_since_release;
        let slots = self.row_ranges()[0].end;
        let emptied = since.load(Ordering::Relaxed);
        if slots < RELEASE_SLOTS_MIN || emptied.saturating_mul(RELEASE_EMPTIED_SHARE) < slots {
            return 0;
        }
        since.store(0, Ordering::Relaxed);
        let _homes = clustered.lock_homes();
        let guard = crossbeam_epoch::pin();
        // SAFETY: see the module comment: under `home_lock` and the collector lock no
        // thread makes an empty direct slot non-empty.
        unsafe { self.slots.release_empty_runs(&guard) }
    }

    /// The slot array's memory: bytes of its allocated chunks, and bytes the last release
    /// of empty slots handed back to the system (rows written since may take some again).
    pub fn slot_array_bytes(&self) -> (u64, u64) {
        (self.slots.allocated_bytes(), self.slots.released_bytes())
    }
}

#[cfg(test)]
#[path = "slot_release_tests.rs"]
mod tests;
