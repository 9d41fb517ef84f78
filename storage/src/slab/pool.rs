//! `SlabPool`: the pages of every size class, slot allocation, release of empty pages and
//! the page selection of compaction. One pool per store; tables allocate their payloads from
//! it and it charges its pages to the store's `MemoryAccount`.

use std::ptr::NonNull;
use std::sync::atomic::Ordering;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use crossbeam_epoch as epoch;

use crate::error::StorageResult;
use crate::mvcc::SpareHeaders;

use super::account::MemoryAccount;
use super::page::{PagePtr, PAGE_BYTES};
use super::CLASS_COUNT;

/// Longest a compaction waits for deferred frees to run (a pinned thread that the scheduler
/// preempted, or a backlog of other garbage in the process-wide epoch queue, delays them).
const DRAIN_WAIT_MS_MAX: u64 = 5000;
/// Epoch flushes made with a bare yield before the wait sleeps between flushes.
const DRAIN_SPIN_ROUNDS: u32 = 256;

/// Spare version headers an idle store keeps (`release_spare_headers`): ~200 KiB, what a
/// few thousand-row writes take.
const SPARE_HEADERS_IDLE: usize = 4096;

#[derive(Default)]
struct ClassPages {
    pages: Vec<PagePtr>,
    /// Where the last free slot was found; the next search starts there.
    cursor: usize,
    /// Slots of all pages of the class.
    capacity_slots: u64,
}

pub struct SlabPool {
    account: Arc<MemoryAccount>,
    classes: [Mutex<ClassPages>; CLASS_COUNT],
    /// Held for a whole compaction run (runs do not overlap).
    compaction: Mutex<()>,
    /// Retired version headers kept for new versions (`mvcc/spare.rs`).
    spare_headers: Arc<SpareHeaders>,
}

/// What a compaction run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct CompactionReport {
    pub pages_evacuated: u64,
    pub payloads_moved: u64,
    pub pages_released: u64,
}

/// A compaction in progress: sparse pages are marked; dropping it ends the run.
pub struct Compaction<'p> {
    pool: &'p SlabPool,
    _run: MutexGuard<'p, ()>,
    pub(crate) pages_evacuated: u64,
}

impl SlabPool {
    pub fn new(account: Arc<MemoryAccount>) -> SlabPool {
        SlabPool {
            account,
            classes: std::array::from_fn(|_| Mutex::new(ClassPages::default())),
            compaction: Mutex::new(()),
            spare_headers: Arc::default(),
        }
    }

    pub fn account(&self) -> &Arc<MemoryAccount> {
        &self.account
    }

    pub(crate) fn spare_headers(&self) -> &Arc<SpareHeaders> {
        &self.spare_headers
    }

    /// Frees the retired version headers kept for reuse past a small reserve
    /// (`SPARE_HEADERS_IDLE`); returns how many it freed. For an idle store after memory
    /// fell: the headers would otherwise stay resident until the next large write.
    pub fn release_spare_headers(&self) -> usize {
        self.spare_headers.shrink_to(SPARE_HEADERS_IDLE)
    }

    /// Frees every retired version header kept for reuse, the reserve too; returns how many
    /// it freed. For a store that stayed idle a while after memory fell: the next writes
    /// allocate headers again, and the reserve (~200 KiB, scattered over the heap among
    /// freed blocks) stops holding pages a trim could give back.
    pub fn release_every_spare_header(&self) -> usize {
        self.spare_headers.shrink_to(0)
    }

    fn class(&self, class: usize) -> MutexGuard<'_, ClassPages> {
        self.classes[class]
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Takes a free slot of `class`, adding a page when none has one. A new page is charged
    /// against the budget (with `headroom_bytes` more) unless `headroom_bytes` is `None`.
    pub(crate) fn alloc_slot(
        &self,
        class: usize,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<NonNull<u8>> {
        self.take_from_class(class, headroom_bytes, |page| {
            page.take_slot().map(|slot| (slot, 1))
        })
    }

    /// Takes a run of free slots of `class` for a transaction's `SlotReserve`: every free
    /// slot of one bitmap word of one page (at least one), adding a page like `alloc_slot`
    /// when none has a free slot. Returns the page, the word's index and the slots' bits;
    /// the slots count as used until they are handed out or given back
    /// (`PagePtr::return_slots`).
    pub(crate) fn reserve_slots(
        &self,
        class: usize,
        headroom_bytes: Option<u64>,
    ) -> StorageResult<(PagePtr, usize, u64)> {
        self.take_from_class(class, headroom_bytes, |page| {
            page.take_word()
                .map(|(word, bits)| ((page, word, bits), u64::from(bits.count_ones())))
        })
    }

    /// Runs `take` (which takes slots from a page and says how many) on the pages of `class`
    /// with free slots, from the cursor on, then on a new page if none gave any.
    fn take_from_class<T>(
        &self,
        class: usize,
        headroom_bytes: Option<u64>,
        take: impl Fn(PagePtr) -> Option<(T, u64)>,
    ) -> StorageResult<T> {
        let mut pages = self.class(class);
        let used = self.account.class_used_slots[class].load(Ordering::Relaxed);
        if used < pages.capacity_slots {
            let count = pages.pages.len();
            for step in 0..count {
                let index = (pages.cursor + step) % count;
                let page = pages.pages[index];
                if page.is_evacuating() || page.used_slots() >= page.slot_count() {
                    continue;
                }
                if let Some((taken, slots)) = take(page) {
                    pages.cursor = index;
                    self.account.class_used_slots[class].fetch_add(slots, Ordering::Relaxed);
                    return Ok(taken);
                }
            }
        }
        match headroom_bytes {
            Some(headroom) => self.account.try_charge(PAGE_BYTES as u64, headroom)?,
            None => self.account.charge(PAGE_BYTES as u64),
        }
        let page = PagePtr::create(class, &self.account);
        pages.pages.push(page);
        pages.capacity_slots += page.slot_count() as u64;
        pages.cursor = pages.pages.len() - 1;
        let (taken, slots) = take(page).expect("a new page has free slots");
        self.account.class_used_slots[class].fetch_add(slots, Ordering::Relaxed);
        Ok(taken)
    }

    /// A slot for a payload compaction moves (not checked against the budget: the move
    /// frees more than it takes).
    pub(crate) fn alloc_slot_for_move(&self, class: usize) -> NonNull<u8> {
        self.alloc_slot(class, None)
            .expect("an unbudgeted allocation does not fail")
    }

    /// Releases every empty page; returns how many.
    pub fn release_empty_pages(&self) -> u64 {
        let mut released = 0;
        for class in 0..CLASS_COUNT {
            let mut pages = self.class(class);
            let before = pages.pages.len();
            pages.pages.retain(|page| !page.try_release());
            released += (before - pages.pages.len()) as u64;
            pages.capacity_slots = pages.pages.iter().map(|p| p.slot_count() as u64).sum();
            pages.cursor = 0;
        }
        released
    }

    /// Starts a compaction run: in each class, marks the sparsest pages (at most
    /// `used_percent_max` of their slots used: `SPARSE_PAGE_USED_PERCENT` in the background,
    /// `VACUUM_PAGE_USED_PERCENT` for VACUUM) as evacuating, as many as the free slots of
    /// the remaining pages can take in, so the moves need no new pages.
    pub fn begin_compaction(&self, used_percent_max: u64) -> Compaction<'_> {
        self.begin_compaction_limited(used_percent_max, u64::MAX)
    }

    /// `begin_compaction` marking at most `pages_max` pages: the emptiest of every class's
    /// candidates (by the share of their slots in use), so a bounded run frees the most
    /// pages for the payloads it moves.
    pub fn begin_compaction_limited(
        &self,
        used_percent_max: u64,
        pages_max: u64,
    ) -> Compaction<'_> {
        debug_assert!(used_percent_max <= 100, "a share of a page's slots");
        let run = self
            .compaction
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        // The share (in millionths) of the emptiest page the bound leaves out, if any: pages
        // above it are left, pages at it are taken while the bound allows. Pages may change
        // between this look and the marking below (the class locks are let go); that changes
        // only which pages the run takes, never what is safe.
        let cutoff = if pages_max == u64::MAX {
            u64::MAX
        } else {
            let mut shares: Vec<u64> = (0..CLASS_COUNT)
                .flat_map(|class| {
                    let pages = self.class(class);
                    candidates(&pages.pages, used_percent_max)
                        .into_iter()
                        .map(|(used, slots, _)| used_share(used, slots))
                        .collect::<Vec<_>>()
                })
                .collect();
            shares.sort_unstable();
            usize::try_from(pages_max)
                .ok()
                .and_then(|index| shares.get(index).copied())
                .unwrap_or(u64::MAX)
        };
        let mut pages_evacuated = 0;
        for class in 0..CLASS_COUNT {
            let pages = self.class(class);
            for (used, slots, page) in candidates(&pages.pages, used_percent_max) {
                if pages_evacuated >= pages_max || used_share(used, slots) > cutoff {
                    break;
                }
                page.set_evacuating(true);
                pages_evacuated += 1;
            }
        }
        Compaction {
            pool: self,
            _run: run,
            pages_evacuated,
        }
    }

    /// A compaction run that evacuates every page (tests: every payload moves).
    #[cfg(test)]
    pub(crate) fn begin_compaction_of_every_page(&self) -> Compaction<'_> {
        let run = self
            .compaction
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let mut pages_evacuated = 0;
        for class in 0..CLASS_COUNT {
            for page in &self.class(class).pages {
                page.set_evacuating(true);
                pages_evacuated += 1;
            }
        }
        Compaction {
            pool: self,
            _run: run,
            pages_evacuated,
        }
    }

    /// Flushes the epoch until the frees handed to it (retired versions, moved-out slots) ran,
    /// or `DRAIN_WAIT_MS_MAX` passed (a long-pinned reader can hold them back).
    pub fn drain_deferred_frees(&self) {
        self.drain_deferred_frees_within(Duration::from_millis(DRAIN_WAIT_MS_MAX));
    }

    /// `drain_deferred_frees` waiting at most `limit`; whether every free ran.
    pub(crate) fn drain_deferred_frees_within(&self, limit: Duration) -> bool {
        let started = Instant::now();
        let mut rounds = 0u32;
        while self.account.pending_frees() > 0 {
            if started.elapsed() >= limit {
                return false;
            }
            epoch::pin().flush();
            if rounds < DRAIN_SPIN_ROUNDS {
                rounds += 1;
                std::thread::yield_now();
            } else {
                std::thread::sleep(Duration::from_millis(1));
            }
        }
        true
    }

    /// Gives back the pages frees left empty since the last call: waits for the frees
    /// handed to the epoch (`drain_deferred_frees`) when some are pending, then releases the
    /// empty pages if any page was emptied (`MemoryAccount::take_pages_emptied`). A page
    /// emptied by a free that ran on whatever thread collected the epoch, or after a drain
    /// gave up, is released by the next call. Returns the pages released. The background
    /// collector calls this on every interval.
    pub fn release_freed_pages(&self) -> u64 {
        self.release_freed_pages_within(Duration::from_millis(DRAIN_WAIT_MS_MAX))
    }

    /// `release_freed_pages` whose drain waits at most `limit`.
    pub(super) fn release_freed_pages_within(&self, limit: Duration) -> u64 {
        if self.account.pending_frees() > 0 {
            // A drain that gives up is fine: the frees mark their pages when they run.
            self.drain_deferred_frees_within(limit);
        }
        if self.account.take_pages_emptied() {
            self.release_empty_pages()
        } else {
            0
        }
    }
}

/// The pages of one class compaction may evacuate, emptiest first, with their used and total
/// slots: those at most `used_percent_max` used, as many as the free slots of the class's
/// other pages can take in (so the moves need no new pages).
fn candidates(pages: &[PagePtr], used_percent_max: u64) -> Vec<(usize, usize, PagePtr)> {
    let mut by_use: Vec<(usize, usize, PagePtr)> = pages
        .iter()
        .map(|page| (page.used_slots(), page.slot_count(), *page))
        .filter(|(used, _, _)| *used > 0)
        .collect();
    by_use.sort_by_key(|(used, _, _)| *used);
    let mut free_rest: usize = by_use.iter().map(|(used, slots, _)| slots - used).sum();
    let mut moving = 0;
    let mut taken = 0;
    for (used, slots, _) in &by_use {
        let sparse = (*used as u64) * 100 <= (*slots as u64) * used_percent_max;
        let free_after = free_rest - (slots - used);
        if !sparse || moving + used > free_after {
            break;
        }
        free_rest = free_after;
        moving += used;
        taken += 1;
    }
    by_use.truncate(taken);
    by_use
}

/// The share of a page's slots in use, in millionths (comparable across classes).
fn used_share(used: usize, slots: usize) -> u64 {
    debug_assert!(slots > 0 && used <= slots);
    (used as u64 * 1_000_000) / slots as u64
}

impl Compaction<'_> {
    pub fn pages_evacuated(&self) -> u64 {
        self.pages_evacuated
    }

    /// Ends the run: waits for the moved-out slots to be freed, releases the pages left
    /// empty, and lets allocation use the pages that could not be emptied.
    pub fn finish(self, payloads_moved: u64) -> CompactionReport {
        let pool = self.pool;
        pool.drain_deferred_frees();
        let pages_released = pool.release_empty_pages();
        let account = &pool.account;
        account.compaction_runs.fetch_add(1, Ordering::Relaxed);
        account
            .payloads_moved
            .fetch_add(payloads_moved, Ordering::Relaxed);
        CompactionReport {
            pages_evacuated: self.pages_evacuated,
            payloads_moved,
            pages_released,
        }
    }
}

impl Drop for Compaction<'_> {
    fn drop(&mut self) {
        for class in 0..CLASS_COUNT {
            for page in &self.pool.class(class).pages {
                page.set_evacuating(false);
            }
        }
    }
}

impl Drop for SlabPool {
    fn drop(&mut self) {
        for class in &mut self.classes {
            let pages = class.get_mut().unwrap_or_else(|poison| poison.into_inner());
            for page in pages.pages.drain(..) {
                // SAFETY: the pool's own reference; the pool forgets the page, and a page
                // with used slots lives on until its last slot is freed.
                unsafe { page.drop_reference() };
            }
        }
    }
}
