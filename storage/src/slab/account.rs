//! Memory accounting: what the database holds (slab pages, large payloads, version headers,
//! index entries) and the budget a charge may not pass. All counters are atomics; a charge
//! that would pass the budget is undone and fails with `MemoryBudget`, naming the budget and
//! the usage.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use crate::error::{StorageError, StorageErrorKind, StorageResult};

use super::pressure::{mark_bytes, MemoryPressure, PressureLevel, PressureStats};
use super::{CLASS_COUNT, CLASS_SLOT_BYTES};

/// The budget value meaning "no budget".
pub const BUDGET_UNLIMITED: u64 = u64::MAX;

/// Shared counters of one store's memory, and its budget.
#[derive(Debug)]
pub struct MemoryAccount {
    budget_bytes: AtomicU64,
    /// Everything charged: pages, large payloads, version headers, index memory.
    charged_bytes: AtomicU64,
    pub(crate) pages: AtomicU64,
    pub(crate) large_bytes: AtomicU64,
    pub(crate) versions: AtomicU64,
    pub(crate) index_bytes: AtomicU64,
    pub(crate) class_used_slots: [AtomicU64; CLASS_COUNT],
    pub(crate) compaction_runs: AtomicU64,
    pub(crate) payloads_moved: AtomicU64,
    pub(crate) pages_released: AtomicU64,
    /// Frees handed to the epoch (retired versions, moved-out slots) not yet run.
    pub(crate) pending_frees: AtomicU64,
    /// A page lost its last used slot since `take_pages_emptied` last looked: a release of
    /// empty pages is owed (`SlabPool::release_freed_pages`), whichever thread freed it.
    pages_emptied: AtomicBool,
    /// Marks, level and counters of memory pressure (`pressure.rs`).
    pressure: MemoryPressure,
}

/// A consistent-enough snapshot of the counters, for the stats tables.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct MemoryStats {
    /// The budget, or `None` when there is none.
    pub budget_bytes: Option<u64>,
    /// Everything charged against the budget.
    pub used_bytes: u64,
    pub slab_pages: u64,
    /// Bytes of the slab pages held (pages x 64 KiB).
    pub slab_page_bytes: u64,
    /// Bytes of slab slots holding a payload.
    pub slab_bytes_used: u64,
    /// Bytes of the held pages not in a used slot (free slots, headers, tails).
    pub slab_bytes_free: u64,
    /// `slab_bytes_free / slab_page_bytes` (0 without pages).
    pub fragmentation: f64,
    /// Payloads too large for a slot, with their headers.
    pub large_bytes: u64,
    /// Live versions, and the bytes of their headers (a frozen row has none).
    pub versions: u64,
    pub version_header_bytes: u64,
    pub index_bytes: u64,
    pub compaction_runs: u64,
    pub payloads_moved: u64,
    pub pages_released: u64,
    /// The pressure level and what pressure made the engine do.
    pub pressure: PressureStats,
}

impl Default for MemoryAccount {
    fn default() -> Self {
        MemoryAccount::new()
    }
}

impl MemoryAccount {
    pub fn new() -> MemoryAccount {
        MemoryAccount {
            budget_bytes: AtomicU64::new(BUDGET_UNLIMITED),
            charged_bytes: AtomicU64::new(0),
            pages: AtomicU64::new(0),
            large_bytes: AtomicU64::new(0),
            versions: AtomicU64::new(0),
            index_bytes: AtomicU64::new(0),
            class_used_slots: std::array::from_fn(|_| AtomicU64::new(0)),
            compaction_runs: AtomicU64::new(0),
            payloads_moved: AtomicU64::new(0),
            pages_released: AtomicU64::new(0),
            pending_frees: AtomicU64::new(0),
            pages_emptied: AtomicBool::new(false),
            pressure: MemoryPressure::default(),
        }
    }

    /// Sets the budget (`None` removes it). Memory already held stays; later charges that
    /// would pass the new budget fail.
    pub fn set_budget(&self, budget_bytes: Option<u64>) {
        self.budget_bytes
            .store(budget_bytes.unwrap_or(BUDGET_UNLIMITED), Ordering::Relaxed);
    }

    #[inline]
    pub fn budget(&self) -> Option<u64> {
        let budget = self.budget_bytes.load(Ordering::Relaxed);
        (budget != BUDGET_UNLIMITED).then_some(budget)
    }

    /// Everything charged so far.
    pub fn used_bytes(&self) -> u64 {
        self.charged_bytes.load(Ordering::Relaxed)
    }

    /// Charges `bytes`, failing (and charging nothing) if the usage plus `bytes` plus
    /// `headroom_bytes` (memory the caller is about to need and will charge later, such as
    /// index entries) would pass the budget.
    #[inline]
    pub fn try_charge(&self, bytes: u64, headroom_bytes: u64) -> StorageResult<()> {
        // A check of headroom alone reads the usage: no read-modify-write of the shared
        // counter (a locked instruction, and the counter's cache line taken from every
        // other core that charges).
        let before = if bytes == 0 {
            self.charged_bytes.load(Ordering::Relaxed)
        } else {
            self.charged_bytes.fetch_add(bytes, Ordering::Relaxed)
        };
        let budget = self.budget_bytes.load(Ordering::Relaxed);
        if budget != BUDGET_UNLIMITED
            && before.saturating_add(bytes).saturating_add(headroom_bytes) > budget
        {
            return Err(self.refuse_charge(bytes, headroom_bytes, before, budget));
        }
        Ok(())
    }

    /// Undoes a charge of `bytes` that would pass `budget`, and says why it failed.
    #[cold]
    #[inline(never)]
    fn refuse_charge(
        &self,
        bytes: u64,
        headroom_bytes: u64,
        before: u64,
        budget: u64,
    ) -> StorageError {
        self.charged_bytes.fetch_sub(bytes, Ordering::Relaxed);
        self.pressure.count_rejected();
        StorageError::new(
            StorageErrorKind::MemoryBudget,
            format!(
                "memory budget exceeded: the write needs {} more, but {} of the {} budget \
                 (max_memory) is in use; free memory (DELETE, VACUUM) or raise max_memory",
                format_bytes(bytes + headroom_bytes),
                format_bytes(before),
                format_bytes(budget)
            ),
        )
    }

    /// Charges `bytes` whatever the budget (memory that is needed to finish work already
    /// admitted, such as index entries of an admitted write, or compaction's copies).
    pub fn charge(&self, bytes: u64) {
        self.charged_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub fn release(&self, bytes: u64) {
        let before = self.charged_bytes.fetch_sub(bytes, Ordering::Relaxed);
        debug_assert!(before >= bytes, "released more than was charged");
    }

    /// Charges index memory (never fails; the write that adds it checked its headroom).
    pub(crate) fn charge_index(&self, bytes: u64) {
        self.charge(bytes);
        self.index_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn release_index(&self, bytes: u64) {
        self.release(bytes);
        self.index_bytes.fetch_sub(bytes, Ordering::Relaxed);
    }

    /// Frees handed to the epoch that have not run yet.
    /// Charges one version header; fails like `try_charge` unless `headroom_bytes` is
    /// `None` (memory needed to finish admitted work, such as a delete).
    #[inline]
    pub(crate) fn charge_header(&self, headroom_bytes: Option<u64>) -> StorageResult<()> {
        match headroom_bytes {
            Some(headroom) => self.try_charge(super::payload::VERSION_HEADER_BYTES, headroom)?,
            None => self.charge(super::payload::VERSION_HEADER_BYTES),
        }
        Ok(())
    }

    /// Releases one version header's charge.
    pub(crate) fn release_header(&self) {
        self.release(super::payload::VERSION_HEADER_BYTES);
    }

    /// The marks and counters of memory pressure.
    pub fn pressure(&self) -> &MemoryPressure {
        &self.pressure
    }

    /// How close memory is to the budget (`pressure.rs`); `None` without a budget. Below
    /// both marks this costs two loads; above one it sums the slab classes' used slots.
    pub fn pressure_level(&self) -> PressureLevel {
        let Some(budget) = self.budget() else {
            return PressureLevel::None;
        };
        let used = self.used_bytes();
        let pressure = &self.pressure;
        let lowest_mark = pressure
            .soft_mark_percent()
            .min(pressure.evict_mark_percent());
        if used < mark_bytes(budget, lowest_mark)
            && used.saturating_add(super::PAGE_BYTES as u64) <= budget
        {
            return PressureLevel::None;
        }
        pressure.level(budget, used, self.slab_free_slot_bytes())
    }

    /// Bytes of the held slab pages not in a used slot.
    fn slab_free_slot_bytes(&self) -> u64 {
        let page_bytes = self.pages.load(Ordering::Relaxed) * super::PAGE_BYTES as u64;
        let used: u64 = self
            .class_used_slots
            .iter()
            .zip(CLASS_SLOT_BYTES)
            .map(|(used, slot_bytes)| used.load(Ordering::Relaxed) * slot_bytes as u64)
            .sum();
        page_bytes.saturating_sub(used)
    }

    pub fn pending_frees(&self) -> u64 {
        self.pending_frees.load(Ordering::Acquire)
    }

    /// Records that a page's last used slot was just freed (its page now held by the pool
    /// alone). Called after the free, so a release that takes the mark sees the page empty.
    #[inline]
    pub(crate) fn note_page_emptied(&self) {
        self.pages_emptied.store(true, Ordering::Release);
    }

    /// Whether a page was emptied since the last call (clearing the mark).
    pub(crate) fn take_pages_emptied(&self) -> bool {
        self.pages_emptied.swap(false, Ordering::AcqRel)
    }

    pub fn stats(&self) -> MemoryStats {
        let load = |counter: &AtomicU64| counter.load(Ordering::Relaxed);
        let slab_pages = load(&self.pages);
        let slab_page_bytes = slab_pages * super::PAGE_BYTES as u64;
        let slab_bytes_used: u64 = self
            .class_used_slots
            .iter()
            .zip(CLASS_SLOT_BYTES)
            .map(|(used, slot_bytes)| load(used) * slot_bytes as u64)
            .sum();
        let slab_bytes_free = slab_page_bytes.saturating_sub(slab_bytes_used);
        let versions = load(&self.versions);
        let used_bytes = load(&self.charged_bytes);
        let large_bytes = load(&self.large_bytes);
        let index_bytes = load(&self.index_bytes);
        MemoryStats {
            budget_bytes: self.budget(),
            used_bytes,
            slab_pages,
            slab_page_bytes,
            slab_bytes_used,
            slab_bytes_free,
            fragmentation: if slab_page_bytes == 0 {
                0.0
            } else {
                slab_bytes_free as f64 / slab_page_bytes as f64
            },
            large_bytes,
            versions,
            // Everything charged is pages, large payloads, index memory or version headers
            // (frozen rows have none): the headers are the rest, with no counter of their own
            // on the write path. (The counters are read one by one: while writers run, the
            // figure can be off by what changed between the reads.)
            version_header_bytes: used_bytes
                .saturating_sub(slab_page_bytes)
                .saturating_sub(large_bytes)
                .saturating_sub(index_bytes),
            index_bytes,
            compaction_runs: load(&self.compaction_runs),
            payloads_moved: load(&self.payloads_moved),
            pages_released: load(&self.pages_released),
            pressure: self.pressure.stats(self.pressure_level()),
        }
    }
}

/// `bytes` in the largest binary unit that keeps it at or above 1 ("64.0 MiB", "512 B").
pub fn format_bytes(bytes: u64) -> String {
    const UNITS: [&str; 5] = ["KiB", "MiB", "GiB", "TiB", "PiB"];
    if bytes < 1024 {
        return format!("{bytes} B");
    }
    let mut value = bytes as f64 / 1024.0;
    let mut unit = 0;
    while value >= 1024.0 && unit + 1 < UNITS.len() {
        value /= 1024.0;
        unit += 1;
    }
    format!("{value:.1} {}", UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_charge_past_the_budget_fails_and_charges_nothing() {
        let account = MemoryAccount::new();
        account.set_budget(Some(1000));
        account.try_charge(600, 0).unwrap();
        let error = account.try_charge(300, 200).unwrap_err();
        assert_eq!(error.kind, StorageErrorKind::MemoryBudget);
        assert!(error.message.contains("1000 B budget"), "{}", error.message);
        assert!(error.message.contains("600 B"), "{}", error.message);
        assert_eq!(account.used_bytes(), 600);
        account.try_charge(400, 0).unwrap();
        account.release(1000);
        account.set_budget(None);
        account.try_charge(u64::MAX / 2, 0).unwrap();
    }

    #[test]
    fn formats_sizes() {
        assert_eq!(format_bytes(512), "512 B");
        assert_eq!(format_bytes(64 << 20), "64.0 MiB");
        assert_eq!(format_bytes(1536), "1.5 KiB");
    }
}
