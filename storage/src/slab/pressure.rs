//! Memory pressure under the database-wide budget (`max_memory`), in tiers: the marks (a
//! percentage of the budget each), the level a commit acts on, and the counters of what was
//! done. The engine acts (`engine/src/session/pressure.rs`); this file only measures and
//! counts, so `ember_stats` can show it without the engine's session state.
//!
//! LEVELS, highest first:
//! - `Full`: less than one slab page of room is left under the budget (a write that needs a
//!   new page fails with `MemoryBudget`; every refused charge counts in `writes_rejected`).
//! - `Evict`: the memory rows hold (`data_bytes`: everything charged, less the free slots of
//!   held pages, which new rows reuse, less the bytes of rows evicted by pressure that the
//!   collector has not reclaimed yet) is at or above the evict mark.
//! - `Soft`: everything charged is at or above the soft mark.
//! - `None`: below both, or no budget.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, AtomicU64, AtomicU8, Ordering};
use std::sync::Mutex;

/// The soft mark's default: the collector and compaction run at once above it.
pub const SOFT_MARK_PERCENT_DEFAULT: u8 = 80;
/// The evict mark's default: cache tables evict below their own budgets above it.
pub const EVICT_MARK_PERCENT_DEFAULT: u8 = 90;

/// How close memory is to the budget (see the module comment).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Default)]
pub enum PressureLevel {
    #[default]
    None,
    Soft,
    Evict,
    Full,
}

impl PressureLevel {
    pub fn name(self) -> &'static str {
        match self {
            PressureLevel::None => "none",
            PressureLevel::Soft => "soft",
            PressureLevel::Evict => "evict",
            PressureLevel::Full => "full",
        }
    }
}

/// The marks and counters of one store's memory pressure.
#[derive(Debug)]
pub struct MemoryPressure {
    soft_mark_percent: AtomicU8,
    evict_mark_percent: AtomicU8,
    /// Times a commit woke the collector because memory passed the soft mark.
    gc_wakeups: AtomicU64,
    /// Rows deleted from cache tables because memory passed the evict mark.
    rows_evicted: AtomicU64,
    /// Writes refused because they would pass the budget.
    writes_rejected: AtomicU64,
    /// Bytes of rows evicted by pressure whose versions the collector has not reclaimed.
    unreclaimed_evicted_bytes: AtomicU64,
    /// The same bytes by the commit that evicted them, oldest first: a collection pass at
    /// watermark `w` reclaims every entry committed at or below `w`.
    unreclaimed_by_commit: Mutex<VecDeque<(u64, u64)>>,
    /// Set by a commit that woke the collector, cleared by the collector's pass.
    wake_pending: AtomicBool,
    /// Held (try-locked) by the one commit evicting for pressure at a time.
    evicting: AtomicBool,
}

impl Default for MemoryPressure {
    fn default() -> Self {
        MemoryPressure {
            soft_mark_percent: AtomicU8::new(SOFT_MARK_PERCENT_DEFAULT),
            evict_mark_percent: AtomicU8::new(EVICT_MARK_PERCENT_DEFAULT),
            gc_wakeups: AtomicU64::new(0),
            rows_evicted: AtomicU64::new(0),
            writes_rejected: AtomicU64::new(0),
            unreclaimed_evicted_bytes: AtomicU64::new(0),
            unreclaimed_by_commit: Mutex::new(VecDeque::new()),
            wake_pending: AtomicBool::new(false),
            evicting: AtomicBool::new(false),
        }
    }
}

/// What `ember_stats` shows of the pressure.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct PressureStats {
    pub level: PressureLevel,
    pub soft_mark_percent: u8,
    pub evict_mark_percent: u8,
    pub gc_wakeups: u64,
    pub rows_evicted: u64,
    pub writes_rejected: u64,
}

/// A mark's bytes: `percent` of `budget`.
#[inline]
pub fn mark_bytes(budget: u64, percent: u8) -> u64 {
    ((u128::from(budget) * u128::from(percent)) / 100) as u64
}

impl MemoryPressure {
    pub fn soft_mark_percent(&self) -> u8 {
        self.soft_mark_percent.load(Ordering::Relaxed)
    }

    pub fn evict_mark_percent(&self) -> u8 {
        self.evict_mark_percent.load(Ordering::Relaxed)
    }

    /// Sets both marks (percentages of the budget, `1 <= soft <= evict <= 100`; the caller
    /// checked them).
    pub fn set_marks(&self, soft_percent: u8, evict_percent: u8) {
        debug_assert!((1..=evict_percent).contains(&soft_percent) && evict_percent <= 100);
        self.soft_mark_percent
            .store(soft_percent, Ordering::Relaxed);
        self.evict_mark_percent
            .store(evict_percent, Ordering::Relaxed);
    }

    /// Counts a refused write (cold: called only when a charge fails).
    pub(crate) fn count_rejected(&self) {
        self.writes_rejected.fetch_add(1, Ordering::Relaxed);
    }

    /// Refused charges so far (every one, the statement's and others').
    pub fn writes_rejected(&self) -> u64 {
        self.writes_rejected.load(Ordering::Relaxed)
    }

    /// Takes back one refused charge: the statement it refused is run again, so it counts
    /// once, by the outcome of its second run.
    pub fn forget_rejected(&self) {
        let _ = self
            .writes_rejected
            .fetch_update(Ordering::Relaxed, Ordering::Relaxed, |count| {
                count.checked_sub(1)
            });
    }

    /// Asks the collector to run now; whether this call set the request (and counted it),
    /// `false` when one was pending already.
    pub fn request_wake(&self) -> bool {
        if self.wake_pending.load(Ordering::Relaxed)
            || self.wake_pending.swap(true, Ordering::AcqRel)
        {
            return false;
        }
        self.gc_wakeups.fetch_add(1, Ordering::Relaxed);
        true
    }

    /// Whether a commit asked the collector to run; clears the request.
    pub fn take_wake(&self) -> bool {
        self.wake_pending.load(Ordering::Relaxed) && self.wake_pending.swap(false, Ordering::AcqRel)
    }

    /// Whether a wake is requested (without clearing it).
    pub fn wake_requested(&self) -> bool {
        self.wake_pending.load(Ordering::Acquire)
    }

    /// Takes the right to evict for pressure, unless another commit holds it.
    pub fn try_begin_eviction(&self) -> bool {
        !self.evicting.swap(true, Ordering::Acquire)
    }

    pub fn end_eviction(&self) {
        self.evicting.store(false, Ordering::Release);
    }

    /// The commit at `commit_ts` deleted `bytes` of rows for pressure (counted as
    /// unreclaimed until a collection pass at a watermark at or above `commit_ts`).
    pub fn add_unreclaimed(&self, commit_ts: u64, bytes: u64) {
        let mut queue = self
            .unreclaimed_by_commit
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        self.unreclaimed_evicted_bytes
            .fetch_add(bytes, Ordering::Relaxed);
        queue.push_back((commit_ts, bytes));
    }

    /// A collection pass at `watermark` ran (and its frees with it): the rows evicted by
    /// commits at or below it are reclaimed.
    pub fn reclaim_up_to(&self, watermark: u64) {
        if self.unreclaimed_evicted_bytes() == 0 {
            return;
        }
        let mut queue = self
            .unreclaimed_by_commit
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        while let Some(&(commit_ts, bytes)) = queue.front() {
            if commit_ts > watermark {
                break;
            }
            queue.pop_front();
            let before = self
                .unreclaimed_evicted_bytes
                .fetch_sub(bytes, Ordering::Relaxed);
            debug_assert!(before >= bytes);
        }
    }

    pub fn unreclaimed_evicted_bytes(&self) -> u64 {
        self.unreclaimed_evicted_bytes.load(Ordering::Relaxed)
    }

    /// Counts rows evicted by a committed transaction.
    pub fn count_evicted(&self, rows: u64) {
        self.rows_evicted.fetch_add(rows, Ordering::Relaxed);
    }

    /// The level for `used` bytes charged, of which `free_slot_bytes` are free slots of held
    /// pages, under `budget`.
    pub fn level(&self, budget: u64, used: u64, free_slot_bytes: u64) -> PressureLevel {
        if used.saturating_add(super::PAGE_BYTES as u64) > budget {
            return PressureLevel::Full;
        }
        let data = self.data_bytes(used, free_slot_bytes);
        if data >= mark_bytes(budget, self.evict_mark_percent()) {
            return PressureLevel::Evict;
        }
        if used >= mark_bytes(budget, self.soft_mark_percent()) {
            return PressureLevel::Soft;
        }
        PressureLevel::None
    }

    /// The bytes rows hold, as the evict mark measures them (see the module comment).
    pub fn data_bytes(&self, used: u64, free_slot_bytes: u64) -> u64 {
        used.saturating_sub(free_slot_bytes)
            .saturating_sub(self.unreclaimed_evicted_bytes())
    }

    pub(crate) fn stats(&self, level: PressureLevel) -> PressureStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        PressureStats {
            level,
            soft_mark_percent: self.soft_mark_percent(),
            evict_mark_percent: self.evict_mark_percent(),
            gc_wakeups: load(&self.gc_wakeups),
            rows_evicted: load(&self.rows_evicted),
            writes_rejected: load(&self.writes_rejected),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_marks() {
        let pressure = MemoryPressure::default();
        let budget = 100 * super::super::PAGE_BYTES as u64;
        let at = |percent: u64| budget * percent / 100;
        assert_eq!(pressure.level(budget, at(50), 0), PressureLevel::None);
        assert_eq!(pressure.level(budget, at(80), 0), PressureLevel::Soft);
        // Free slots of held pages are room: not data.
        assert_eq!(pressure.level(budget, at(92), at(5)), PressureLevel::Soft);
        assert_eq!(pressure.level(budget, at(92), 0), PressureLevel::Evict);
        pressure.add_unreclaimed(7, at(3));
        pressure.add_unreclaimed(9, at(2));
        assert_eq!(pressure.level(budget, at(92), 0), PressureLevel::Soft);
        pressure.reclaim_up_to(8);
        assert_eq!(pressure.unreclaimed_evicted_bytes(), at(2));
        assert_eq!(pressure.level(budget, at(92), 0), PressureLevel::Evict);
        pressure.reclaim_up_to(9);
        assert_eq!(pressure.unreclaimed_evicted_bytes(), 0);
        assert_eq!(pressure.level(budget, budget, 0), PressureLevel::Full);
        pressure.set_marks(50, 60);
        assert_eq!(pressure.level(budget, at(55), 0), PressureLevel::Soft);
        assert_eq!(pressure.level(budget, at(60), 0), PressureLevel::Evict);
    }

    #[test]
    fn a_wake_is_counted_once_until_taken() {
        let pressure = MemoryPressure::default();
        assert!(pressure.request_wake());
        assert!(!pressure.request_wake());
        assert!(pressure.take_wake());
        assert!(!pressure.take_wake());
        assert!(pressure.request_wake());
        assert_eq!(pressure.stats(PressureLevel::Soft).gc_wakeups, 2);
        assert!(pressure.try_begin_eviction());
        assert!(!pressure.try_begin_eviction());
        pressure.end_eviction();
        assert!(pressure.try_begin_eviction());
    }
}
