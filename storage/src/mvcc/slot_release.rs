//! Handing back the memory of a table's emptied slots. A slot array keeps its length when
//! its rows go (expiry, DELETE): a clustered table's is as long as its largest key (one slot
//! per key), another table's as long as its most rows, each emptied slot an empty head (or,
//! in a primary-key table, a `RETIRED` one waiting for reuse, `slot_reuse.rs`). Once the
//! collections since the last release emptied at least a sixteenth of the slots, the
//! collector releases every system page of empty slots (`SlotArray::release_empty_runs`):
//! the pages read as empty slots again and take memory again only when a row lands there.
//!
//! SAFETY OF THE RELEASE. A page is released only when all its slots are empty, and a write
//! landing there between the test and the release would be lost, so nothing may make an
//! empty slot non-empty meanwhile. The collector's own writes are excluded by the collector
//! lock (held by the caller); every writer but the two below changes a head that holds a row
//! (a CAS from a non-empty word fails on an empty slot).
//! - A clustered table's direct slots: only the making of a key's home fills an empty one
//!   (`clustered.rs`, under `home_lock`, which the release holds; an insert that finds its
//!   home emptied looks again under `home_lock`).
//! - Other tables hand out slots without a lock: a slot pushed (`SlotArray::push`), or one
//!   taken from the free list, then written, all under the inserting thread's epoch pin
//!   (`Transaction::insert`). The release (`release_unclustered`) reads the array's length
//!   `L`, waits until every pin held then has ended (a grace period: every slot pushed below
//!   `L` is written by then), takes the whole free list (no insert can take those slots
//!   until they are given back), waits a second grace period (every slot taken from the
//!   free list before is written by then: it may be empty, from an earlier release),
//!   empties the taken `RETIRED` heads and releases the empty runs below `L` only (slots
//!   pushed meanwhile lie at `L` or past it). A slot the collections give back meanwhile is
//!   `RETIRED`, not empty, so its page stays. The taken slots go back on the free list
//!   after the release, empty heads now.
//!   Commits never wait for the grace period: only the background's collections release
//!   these tables' slots.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crossbeam_epoch as epoch;

use super::head::HeadWord;
use super::table::Table;

/// Tables with fewer slots than this keep their pages (at most 512 KiB of slots).
pub(super) const RELEASE_SLOTS_MIN: u64 = 1 << 16;

/// A release walks the array once the slots emptied since the last one are this fraction
/// of it (one over this). Expiry empties a table over several sweeps: at a quarter, the
/// last sweep's 200,000 slots of 1,000,000 (1.5 MiB) stayed resident.
const RELEASE_EMPTIED_SHARE: u64 = 16;

/// Longest wait for the pins held when a release of a table that is not clustered starts
/// (a reader pinned longer makes the release give up until the next collection).
const GRACE_WAIT_MAX: Duration = Duration::from_millis(50);

impl Table {
    /// Counts `emptied` slots emptied by a collection (the caller holds the collector lock).
    pub(super) fn count_emptied_slots(&self, emptied: u64) {
        if emptied > 0 {
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
        if !self.release_due() {
            return 0;
        }
        self.gc.emptied_since_release.store(0, Ordering::Relaxed);
        let _homes = clustered.lock_homes();
        let guard = crossbeam_epoch::pin();
        // SAFETY: see the module comment: under `home_lock` and the collector lock no
        // thread makes an empty direct slot non-empty.
        unsafe { self.slots.release_empty_runs(&guard) }
    }

    /// `release_emptied_slots_if_due` for a table that is not clustered
    /// (`release_unclustered`); the caller holds the collector lock and no epoch pin. Only
    /// the background's collections call it: it waits for a grace period.
    pub(super) fn release_unclustered_slots_if_due(&self) -> u64 {
        if self.clustered.is_some() || !self.release_due() {
            return 0;
        }
        match self.release_unclustered() {
            Some(released) => {
                self.gc.emptied_since_release.store(0, Ordering::Relaxed);
                released
            }
            None => 0,
        }
    }

    /// Whether the slots emptied since the last release are a large enough share.
    fn release_due(&self) -> bool {
        let slots = self.row_ranges()[0].end;
        let emptied = self.gc.emptied_since_release.load(Ordering::Relaxed);
        slots >= RELEASE_SLOTS_MIN && emptied.saturating_mul(RELEASE_EMPTIED_SHARE) >= slots
    }

    /// Releases the empty runs of a table that is not clustered, as the module comment
    /// says; returns the bytes released, `None` when a pin held on past `GRACE_WAIT_MAX`.
    fn release_unclustered(&self) -> Option<u64> {
        self.release_unclustered_after(|| ())
    }

    /// `release_unclustered`, calling `between` after the first grace period (tests: an
    /// insert taking a slot then).
    fn release_unclustered_after(&self, between: impl FnOnce()) -> Option<u64> {
        debug_assert!(self.clustered.is_none());
        let limit = self.slots.len();
        // Every slot pushed below `limit` is written after this wait.
        if !wait_for_pins_held_now(GRACE_WAIT_MAX) {
            return None;
        }
        // The slots the collections retired reach the free list after the epoch, on
        // whichever thread runs the deferred functions (not needed for safety: a slot
        // given back later only waits for the next release).
        self.pool().drain_deferred_frees_within(GRACE_WAIT_MAX);
        between();
        let taken = self.reusable.take_all();
        // Every slot taken from the free list before `take_all` (empty, if an earlier
        // release emptied it) is written after this one.
        if !wait_for_pins_held_now(GRACE_WAIT_MAX) {
            self.reusable.give_back(&taken);
            return None;
        }
        let guard = epoch::pin();
        for &row in &taken {
            if let Some(slot) = self.slot(row) {
                debug_assert!(row < limit, "a freed slot was handed out before");
                let head = slot.head.load(Ordering::Acquire, &guard);
                // Retired, or emptied by an earlier release.
                debug_assert!(head.is_retired() || head.is_zero());
                slot.head.store(HeadWord::null(), Ordering::Release);
            }
        }
        // SAFETY: see the module comment: every slot pushed below `limit` was written (the
        // grace period), the taken slots are this call's alone until given back below, and
        // the collector lock keeps the collector's own writes out.
        let released = unsafe { self.slots.release_empty_runs_below(limit, &guard) };
        self.reusable.give_back(&taken);
        Some(released)
    }

    /// The slot array's memory: bytes of its allocated chunks, and bytes the last release
    /// of empty slots handed back to the system (rows written since may take some again).
    pub fn slot_array_bytes(&self) -> (u64, u64) {
        (self.slots.allocated_bytes(), self.slots.released_bytes())
    }
}

/// Waits until every epoch pin held at the call has ended (a deferred function runs only
/// then), at most `limit`; whether they all ended. The caller holds no pin.
fn wait_for_pins_held_now(limit: Duration) -> bool {
    let passed = Arc::new(AtomicBool::new(false));
    {
        let flag = Arc::clone(&passed);
        let guard = epoch::pin();
        guard.defer(move || flag.store(true, Ordering::Release));
        guard.flush();
    }
    let started = Instant::now();
    while !passed.load(Ordering::Acquire) {
        if started.elapsed() >= limit {
            return false;
        }
        epoch::pin().flush();
        std::thread::yield_now();
    }
    true
}

#[cfg(test)]
#[path = "slot_release_tests.rs"]
mod tests;
