//! Where slab pages and the other large blocks of a table come from (the primary index's entry
//! arrays, the table's slot chunks): memory mapped in huge-page regions on Linux, the global
//! allocator elsewhere and for small blocks.
//!
//! WHY. A point select makes about four dependent random accesses (index entry, slot chunk,
//! version header, payload) over tens of megabytes; on 4 KiB pages each is also a TLB miss.
//! Transparent huge pages are often enabled only for memory that asks (`madvise` mode), and
//! pages from `std::alloc` (glibc's heap) never left the process when they were freed.
//!
//! REGIONS (Linux). A block of `PAGE_BYTES` up to `REGION_BYTES` is a run of contiguous
//! 64 KiB pages of a region: 2 MiB of anonymous memory, mapped with `mmap` aligned to 2 MiB
//! (over-mapped by one region, both ends trimmed) and advised `MADV_HUGEPAGE`, so its first
//! touch faults in one huge page. A region keeps a bitmap of its free pages; allocation takes
//! the first fitting run in the lowest region (address order), so live pages gather in low
//! regions and the high ones drain. A block larger than a region gets a mapping of its own,
//! also 2 MiB aligned and advised. Blocks under `PAGE_BYTES` (or aligned past it), and every
//! block on other systems, come from `std::alloc`.
//!
//! RETURN TO THE OS. A freed run goes back to its region's bitmap; when a region's last page
//! is freed the whole region is unmapped (`munmap`), and a large block's mapping goes when the
//! block does. Free pages of a busy region are not handed back with `MADV_DONTNEED`: zapping
//! 64 KiB of a huge page splits it into 4 KiB pages for good (until khugepaged collapses it
//! again), which would undo the TLB reach of the pages still in use; they stay resident and
//! are the first reused. A sparse region is another matter: when a free leaves a region with
//! at most `SPARSE_REGION_PAGES_IN_USE` pages in use (a size class's last rows gathered by
//! compaction, a table's tail), its free pages are zapped (`released`), so a few live pages
//! do not hold 2 MiB; a zapped page reads zero when it is handed out again.
//!
//! ZEROING. Pages not handed out since their region was mapped are zero (fresh anonymous
//! memory); a second bitmap marks the others, and `allocate_zeroed` clears only those.
//!
//! SHARING. One process-wide arena, a static behind a mutex: a slab page can be freed after
//! its pool is gone (the last slot free deallocates it), so the arena must outlive every pool.
//! Allocation is rare (once per 64 KiB of payload, or per chunk or index rebuild), so one lock
//! is no bottleneck. Mappings stay bounded: one per 2 MiB held, plus one per large block.
//!
//! FAILURE. When `mmap` fails the public functions call `handle_alloc_error`, as users of
//! `std::alloc` do.

use std::alloc::{self, Layout};
use std::collections::{BTreeMap, BTreeSet};
use std::ptr::{self, NonNull};
use std::sync::{Mutex, MutexGuard};

use super::page::PAGE_BYTES;

/// Size and alignment of a region (the size of an x86-64 / AArch64-4K huge page).
pub(crate) const REGION_BYTES: usize = 2 << 20;

/// Slab pages per region (one bit each in a `u32`).
const REGION_PAGES: usize = REGION_BYTES / PAGE_BYTES;

const _: () = assert!(REGION_BYTES.is_multiple_of(PAGE_BYTES));
const _: () = assert!(REGION_PAGES >= 1 && REGION_PAGES <= 32);
const _: () = assert!(REGION_BYTES.is_power_of_two());

/// The free bitmap of a region with no page in use.
const ALL_FREE: u32 = run_mask(REGION_PAGES);

/// A region with at most this many pages in use (half) hands its free pages back to the
/// system. M1's updates (a row's payload moving from one size class to the next, whose old
/// pages compaction then empties) left regions holding a table's slot chunks (1, 2, ..., 16
/// pages each) and little else: at a quarter, 3.3 MB of free pages stayed resident at
/// 200,000 rows.
const SPARSE_REGION_PAGES_IN_USE: u32 = (REGION_PAGES / 2) as u32;

static ARENA: Arena = Arena::new();

/// A block for `layout` (contents unspecified). Never fails: when the system has no memory
/// it calls `handle_alloc_error`, like `std::alloc`'s users.
///
/// # Panics
/// If `layout` has size zero (a caller bug: no caller asks for that).
pub(crate) fn allocate(layout: Layout) -> NonNull<u8> {
    ARENA
        .allocate(layout, false)
        .unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// `allocate`, with the block's bytes all zero.
pub(crate) fn allocate_zeroed(layout: Layout) -> NonNull<u8> {
    ARENA
        .allocate(layout, true)
        .unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// Frees a block.
///
/// # Safety
/// `block` came from `allocate` or `allocate_zeroed` with this `layout`, is freed once, and is
/// not used afterwards.
pub(crate) unsafe fn deallocate(block: NonNull<u8>, layout: Layout) {
    // SAFETY: forwarded contract; every block of these functions comes from `ARENA`.
    unsafe { ARENA.deallocate(block, layout) }
}

/// Where a block of a given layout comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Route {
    /// `std::alloc` (small blocks, over-aligned blocks, systems without the arena).
    Heap,
    /// A run of this many contiguous pages in a region.
    Run(usize),
    /// A mapping of its own, of this many bytes.
    Mapping(usize),
}

fn route(layout: Layout) -> Route {
    let size = layout.size();
    if !cfg!(target_os = "linux") || size < PAGE_BYTES || layout.align() > PAGE_BYTES {
        Route::Heap
    } else if size <= REGION_BYTES {
        Route::Run(size.div_ceil(PAGE_BYTES))
    } else {
        Route::Mapping(size)
    }
}

/// The low `pages` bits set.
const fn run_mask(pages: usize) -> u32 {
    if pages >= 32 {
        u32::MAX
    } else {
        (1u32 << pages) - 1
    }
}

/// The first page of the lowest run of `pages` free pages in `free`, if there is one.
fn find_run(free: u32, pages: usize) -> Option<usize> {
    let mask = run_mask(pages);
    (0..=REGION_PAGES.checked_sub(pages)?).find(|first| (free >> first) & mask == mask)
}

/// What an arena holds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(crate) struct ArenaStats {
    /// Regions mapped (each holds at least one page in use).
    pub(crate) regions: usize,
    /// Large blocks, each with a mapping of its own.
    pub(crate) large_blocks: usize,
    /// Bytes mapped: regions plus large blocks (rounded up to the system page size).
    pub(crate) mapped_bytes: usize,
    /// Region pages handed out and not freed.
    pub(crate) pages_in_use: usize,
    /// Free region pages handed back to the system (in sparse regions).
    pub(crate) pages_released: usize,
}

/// One 2 MiB region, by its base address.
#[derive(Debug)]
struct Region {
    /// Bit per page: set when the page is free.
    free: u32,
    /// Bit per page: set when the page was handed out since the region was mapped or
    /// released (so it may hold non-zero bytes).
    dirty: u32,
    /// Bit per page: set when the free page was handed back to the system (it is not
    /// resident, and reads zero).
    released: u32,
}

#[derive(Debug)]
struct ArenaState {
    /// Regions by base address (provenance exposed when mapped).
    regions: BTreeMap<usize, Region>,
    /// Bases of the regions with at least one free page.
    with_free: BTreeSet<usize>,
    stats: ArenaStats,
}

/// Huge-page regions and large mappings (see the module comment). Tests make their own, to
/// read exact counters while other tests use the process-wide one.
#[derive(Debug)]
pub(crate) struct Arena {
    state: Mutex<ArenaState>,
}

impl Arena {
    pub(crate) const fn new() -> Arena {
        Arena {
            state: Mutex::new(ArenaState {
                regions: BTreeMap::new(),
                with_free: BTreeSet::new(),
                stats: ArenaStats {
                    regions: 0,
                    large_blocks: 0,
                    mapped_bytes: 0,
                    pages_in_use: 0,
                    pages_released: 0,
                },
            }),
        }
    }

    fn lock(&self) -> MutexGuard<'_, ArenaState> {
        // The state is changed only after every check that can panic, so it is consistent
        // even if a holder panicked.
        self.state
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    #[cfg(test)]
    pub(crate) fn stats(&self) -> ArenaStats {
        self.lock().stats
    }

    /// A block for `layout`, zeroed if asked; `None` when the system refuses memory.
    ///
    /// # Panics
    /// If `layout` has size zero.
    pub(crate) fn allocate(&self, layout: Layout, zeroed: bool) -> Option<NonNull<u8>> {
        assert!(layout.size() > 0, "the arena hands out no empty blocks");
        match route(layout) {
            Route::Heap => {
                // SAFETY: the layout has a non-zero size (asserted above).
                let block = unsafe {
                    if zeroed {
                        alloc::alloc_zeroed(layout)
                    } else {
                        alloc::alloc(layout)
                    }
                };
                NonNull::new(block)
            }
            Route::Run(pages) => self.allocate_run(pages, zeroed),
            Route::Mapping(bytes) => {
                // A fresh mapping is zero: nothing to clear.
                let block = os::map_aligned(bytes)?;
                let mut state = self.lock();
                state.stats.large_blocks += 1;
                state.stats.mapped_bytes += os::mapping_bytes(bytes);
                Some(block)
            }
        }
    }

    /// Takes `pages` contiguous pages from the lowest region that has them, or a new region.
    fn allocate_run(&self, pages: usize, zeroed: bool) -> Option<NonNull<u8>> {
        let mut state = self.lock();
        let found = state.with_free.iter().find_map(|base| {
            let region = &state.regions[base];
            find_run(region.free, pages).map(|first| (*base, first))
        });
        let (base, first) = match found {
            Some(found) => found,
            None => {
                let base = os::map_aligned(REGION_BYTES)?.as_ptr().expose_provenance();
                let region = Region {
                    free: ALL_FREE,
                    dirty: 0,
                    released: 0,
                };
                state.regions.insert(base, region);
                state.with_free.insert(base);
                state.stats.regions += 1;
                state.stats.mapped_bytes += REGION_BYTES;
                (base, 0)
            }
        };
        let run = run_mask(pages) << first;
        let region = state
            .regions
            .get_mut(&base)
            .expect("the run's region is mapped");
        debug_assert_eq!(region.free & run, run);
        region.free &= !run;
        let dirty = (region.dirty & run) >> first;
        region.dirty |= run;
        let reused = (region.released & run).count_ones() as usize;
        region.released &= !run;
        if region.free == 0 {
            state.with_free.remove(&base);
        }
        state.stats.pages_in_use += pages;
        state.stats.pages_released -= reused;
        drop(state);
        let block = NonNull::new(ptr::with_exposed_provenance_mut::<u8>(
            base + first * PAGE_BYTES,
        ))
        .expect("regions are not at address zero");
        if zeroed {
            for page in (0..pages).filter(|page| dirty & (1 << page) != 0) {
                // SAFETY: the page lies in the run just taken (exclusively ours now), inside
                // the region's live mapping.
                unsafe { ptr::write_bytes(block.as_ptr().add(page * PAGE_BYTES), 0, PAGE_BYTES) };
            }
        }
        Some(block)
    }

    /// Frees a block.
    ///
    /// # Safety
    /// `block` came from this arena's `allocate` with this `layout`, is freed once, and is
    /// not used afterwards.
    pub(crate) unsafe fn deallocate(&self, block: NonNull<u8>, layout: Layout) {
        match route(layout) {
            // SAFETY: allocated by `std::alloc` with this layout (the same route chose it).
            Route::Heap => unsafe { alloc::dealloc(block.as_ptr(), layout) },
            Route::Run(pages) => {
                // SAFETY: forwarded contract.
                unsafe { self.deallocate_run(block, pages) }
            }
            Route::Mapping(bytes) => {
                // SAFETY: the block is a whole mapping of `bytes` (the same route mapped it)
                // that nobody uses any more.
                unsafe { os::unmap(block, bytes) };
                let mut state = self.lock();
                state.stats.large_blocks -= 1;
                state.stats.mapped_bytes -= os::mapping_bytes(bytes);
            }
        }
    }

    /// # Safety
    /// As `deallocate`, for a run of `pages` pages.
    unsafe fn deallocate_run(&self, block: NonNull<u8>, pages: usize) {
        let address = block.as_ptr().expose_provenance();
        let base = address & !(REGION_BYTES - 1);
        debug_assert_eq!(address % PAGE_BYTES, 0, "runs start at a page");
        let first = (address - base) / PAGE_BYTES;
        let run = run_mask(pages) << first;
        let mut guard = self.lock();
        let state = &mut *guard;
        let region = state
            .regions
            .get_mut(&base)
            .expect("a freed run lies in a mapped region");
        debug_assert_eq!(region.free & run, 0, "run freed twice");
        region.free |= run;
        let region_free = region.free;
        state.stats.pages_in_use -= pages;
        if region_free != ALL_FREE {
            if REGION_PAGES as u32 - region_free.count_ones() <= SPARSE_REGION_PAGES_IN_USE {
                // Under the lock: no page of the region can be handed out while it is zapped.
                let released = release_free_pages(base, region);
                state.stats.pages_released += released;
            }
            state.with_free.insert(base);
            return;
        }
        let released = state.regions[&base].released.count_ones() as usize;
        state.stats.pages_released -= released;
        state.regions.remove(&base);
        state.with_free.remove(&base);
        state.stats.regions -= 1;
        state.stats.mapped_bytes -= REGION_BYTES;
        drop(guard);
        let region = NonNull::new(ptr::with_exposed_provenance_mut::<u8>(base))
            .expect("regions are not at address zero");
        // SAFETY: every page of the region is free and it left the map under the lock, so
        // nobody can reach it; it is a whole mapping of `REGION_BYTES`.
        unsafe { os::unmap(region, REGION_BYTES) };
    }
}

/// Hands the free pages of `region` (based at `base`) that are still resident back to the
/// system, each contiguous run with one call; returns how many. The caller holds the arena's
/// lock, so none of them can be handed out meanwhile.
fn release_free_pages(base: usize, region: &mut Region) -> usize {
    let resident = region.free & !region.released;
    let mut released = 0;
    let mut first = 0;
    while first < REGION_PAGES {
        if resident & (1 << first) == 0 {
            first += 1;
            continue;
        }
        let pages = (resident >> first).trailing_ones() as usize;
        let run = run_mask(pages) << first;
        let start = ptr::with_exposed_provenance_mut::<u8>(base + first * PAGE_BYTES);
        // SAFETY: the run's pages are free (their bits are set in `free`, and the caller holds
        // the lock, so nobody takes them meanwhile) and lie inside the region's live mapping.
        if unsafe { os::release(start, pages * PAGE_BYTES) } {
            region.released |= run;
            // A released page reads zero: `allocate_zeroed` need not clear it.
            region.dirty &= !run;
            released += pages;
        }
        first += pages;
    }
    released
}

impl Drop for Arena {
    fn drop(&mut self) {
        // Only arenas made by tests are dropped (the process-wide one is a static); their
        // blocks are gone by then, and any region left is unmapped.
        let state = self.state.get_mut().unwrap_or_else(|p| p.into_inner());
        for base in std::mem::take(&mut state.regions).into_keys() {
            let region = NonNull::new(ptr::with_exposed_provenance_mut::<u8>(base))
                .expect("regions are not at address zero");
            // SAFETY: `&mut self`: the arena and its regions are unreachable.
            unsafe { os::unmap(region, REGION_BYTES) };
        }
    }
}

#[cfg(target_os = "linux")]
mod os {
    use std::ptr::{self, NonNull};

    use super::REGION_BYTES;

    fn system_page_bytes() -> usize {
        // SAFETY: sysconf reads a constant of the system; no memory is touched.
        let bytes = unsafe { libc::sysconf(libc::_SC_PAGESIZE) };
        usize::try_from(bytes)
            .ok()
            .filter(|b| b.is_power_of_two())
            .unwrap_or(4096)
    }

    /// Bytes a mapping of `bytes` takes (whole system pages).
    pub(super) fn mapping_bytes(bytes: usize) -> usize {
        bytes.next_multiple_of(system_page_bytes())
    }

    /// A fresh zeroed anonymous mapping of `bytes`, aligned to `REGION_BYTES` and advised to
    /// use huge pages; `None` if the system refuses.
    pub(super) fn map_aligned(bytes: usize) -> Option<NonNull<u8>> {
        let length = bytes.checked_next_multiple_of(system_page_bytes())?;
        let span = length.checked_add(REGION_BYTES)?;
        // SAFETY: a new anonymous private mapping at an address the kernel picks; it aliases
        // no memory anyone uses.
        let raw = unsafe {
            libc::mmap(
                ptr::null_mut(),
                span,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            )
        };
        if raw == libc::MAP_FAILED {
            return None;
        }
        let raw = raw.cast::<u8>();
        let head = raw.expose_provenance().next_multiple_of(REGION_BYTES) - raw.addr();
        let tail = span - head - length;
        // SAFETY: `head + length + tail == span`, so both trimmed pieces lie inside the
        // mapping just made, outside the kept `[head, head + length)`, and whole system pages
        // (the mapping and `REGION_BYTES` are page aligned); nobody refers to them.
        let start = unsafe {
            if head > 0 {
                libc::munmap(raw.cast(), head);
            }
            if tail > 0 {
                libc::munmap(raw.add(head + length).cast(), tail);
            }
            raw.add(head)
        };
        // SAFETY: advice about a range of our own mapping; it changes no contents. A kernel
        // without transparent huge pages refuses it, which leaves 4 KiB pages: ignored.
        unsafe { libc::madvise(start.cast(), length, libc::MADV_HUGEPAGE) };
        NonNull::new(start)
    }

    /// Hands `bytes` at `start` back to the system (`MADV_DONTNEED`: no longer resident, and
    /// zero when next touched); whether it did.
    ///
    /// # Safety
    /// The range is whole pages of one of our mappings that nobody uses.
    pub(super) unsafe fn release(start: *mut u8, bytes: usize) -> bool {
        // SAFETY: by the contract the range is ours and unused; a private anonymous mapping
        // reads zero after `MADV_DONTNEED`.
        unsafe { libc::madvise(start.cast(), bytes, libc::MADV_DONTNEED) == 0 }
    }

    /// # Safety
    /// `block` is a whole mapping of `bytes` made by `map_aligned` (or a whole region of one)
    /// and nobody uses it any more.
    pub(super) unsafe fn unmap(block: NonNull<u8>, bytes: usize) {
        // SAFETY: by the contract the range is ours and unused.
        let status = unsafe { libc::munmap(block.as_ptr().cast(), bytes) };
        debug_assert_eq!(status, 0, "munmap of an arena mapping failed");
    }
}

/// Systems without the arena: `route` sends every block to the heap, so nothing is mapped.
#[cfg(not(target_os = "linux"))]
mod os {
    use std::ptr::NonNull;

    pub(super) fn mapping_bytes(bytes: usize) -> usize {
        bytes
    }

    pub(super) fn map_aligned(_bytes: usize) -> Option<NonNull<u8>> {
        None
    }

    /// # Safety
    /// Never called (nothing is mapped).
    pub(super) unsafe fn release(_start: *mut u8, _bytes: usize) -> bool {
        false
    }

    /// # Safety
    /// Never called (nothing is mapped).
    pub(super) unsafe fn unmap(_block: NonNull<u8>, _bytes: usize) {}
}

#[cfg(all(test, target_os = "linux"))]
mod tests {
    use super::*;

    fn page_layout() -> Layout {
        Layout::from_size_align(PAGE_BYTES, PAGE_BYTES).unwrap()
    }

    fn pages_layout(pages: usize) -> Layout {
        Layout::from_size_align(pages * PAGE_BYTES, 8).unwrap()
    }

    #[test]
    fn routes_by_size_and_alignment() {
        assert_eq!(
            route(Layout::from_size_align(4096, 8).unwrap()),
            Route::Heap
        );
        assert_eq!(route(page_layout()), Route::Run(1));
        assert_eq!(route(pages_layout(3)), Route::Run(3));
        assert_eq!(route(pages_layout(REGION_PAGES)), Route::Run(REGION_PAGES));
        let over_aligned = Layout::from_size_align(PAGE_BYTES, PAGE_BYTES * 2).unwrap();
        assert_eq!(route(over_aligned), Route::Heap);
        let large = REGION_BYTES + 1;
        assert_eq!(
            route(Layout::from_size_align(large, 8).unwrap()),
            Route::Mapping(large)
        );
    }

    #[test]
    fn finds_the_lowest_fitting_run() {
        assert_eq!(find_run(ALL_FREE, 1), Some(0));
        assert_eq!(find_run(ALL_FREE, REGION_PAGES), Some(0));
        assert_eq!(find_run(0b1011_0110, 1), Some(1));
        assert_eq!(find_run(0b1011_0110, 2), Some(1));
        assert_eq!(find_run(0b1011_0110, 3), None);
        assert_eq!(find_run(0b1111_0110, 3), Some(4));
        assert_eq!(find_run(0, 1), None);
        assert_eq!(find_run(ALL_FREE, REGION_PAGES + 1), None);
    }

    #[test]
    fn pages_are_aligned_reused_and_regions_are_returned() {
        let arena = Arena::new();
        let count = REGION_PAGES * 2 + 1;
        let pages: Vec<NonNull<u8>> = (0..count)
            .map(|_| arena.allocate(page_layout(), false).unwrap())
            .collect();
        for page in &pages {
            assert_eq!(page.as_ptr() as usize % PAGE_BYTES, 0);
            // The page is writable memory of its own.
            // SAFETY: a live page of PAGE_BYTES.
            unsafe { page.as_ptr().add(PAGE_BYTES - 1).write(7) };
        }
        let mut addresses: Vec<usize> = pages.iter().map(|p| p.as_ptr() as usize).collect();
        addresses.sort_unstable();
        addresses.dedup();
        assert_eq!(addresses.len(), count, "no page handed out twice");
        let stats = arena.stats();
        assert_eq!(stats.regions, 3);
        assert_eq!(stats.mapped_bytes, 3 * REGION_BYTES);
        assert_eq!(stats.pages_in_use, count);

        // Freeing every page of one region unmaps it; the others stay.
        let region_of = |page: &NonNull<u8>| page.as_ptr() as usize & !(REGION_BYTES - 1);
        let first_region = region_of(&pages[0]);
        let (in_first, others): (Vec<_>, Vec<_>) = pages
            .into_iter()
            .partition(|page| region_of(page) == first_region);
        assert_eq!(in_first.len(), REGION_PAGES);
        for page in in_first {
            // SAFETY: allocated above, freed once.
            unsafe { arena.deallocate(page, page_layout()) };
        }
        let stats = arena.stats();
        assert_eq!(stats.regions, 2);
        assert_eq!(stats.mapped_bytes, 2 * REGION_BYTES);
        assert_eq!(stats.pages_in_use, count - REGION_PAGES);
        for page in others {
            // SAFETY: as above.
            unsafe { arena.deallocate(page, page_layout()) };
        }
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    /// First fit in the lowest region. The regions stay mapped throughout (each keeps pages
    /// in use), so where the kernel placed them cannot change the answer.
    #[test]
    fn a_freed_page_is_handed_out_next_lowest_region_first() {
        let arena = Arena::new();
        let pages: Vec<NonNull<u8>> = (0..REGION_PAGES * 2)
            .map(|_| arena.allocate(page_layout(), false).unwrap())
            .collect();
        // Both regions are full: the freed page is the only free one.
        let freed = pages[REGION_PAGES / 2];
        // SAFETY: allocated above with this layout, freed once (re-allocated below).
        unsafe { arena.deallocate(freed, page_layout()) };
        assert_eq!(arena.allocate(page_layout(), false), Some(freed));
        // One free page in each region: the one in the lower region comes back first.
        let (first_region, second_region) = (pages[1], pages[REGION_PAGES + 1]);
        for page in [first_region, second_region] {
            // SAFETY: as above.
            unsafe { arena.deallocate(page, page_layout()) };
        }
        let lower = first_region.min(second_region);
        let higher = first_region.max(second_region);
        assert_eq!(arena.allocate(page_layout(), false), Some(lower));
        assert_eq!(arena.allocate(page_layout(), false), Some(higher));
        for page in pages {
            // SAFETY: every page is live again (the freed ones were re-allocated at the
            // same addresses), each freed once here.
            unsafe { arena.deallocate(page, page_layout()) };
        }
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    /// Whether each system page of `bytes` at `start` is resident (`mincore`).
    fn resident_pages(start: NonNull<u8>, bytes: usize) -> Vec<bool> {
        let page = 4096;
        let mut flags = vec![0u8; bytes.div_ceil(page)];
        // SAFETY: `start` is page aligned and the range lies in one of the arena's mappings;
        // mincore only reads the page tables into `flags`, which holds one byte per page.
        let status =
            unsafe { libc::mincore(start.as_ptr().cast(), bytes, flags.as_mut_ptr().cast()) };
        assert_eq!(status, 0);
        flags.iter().map(|flag| flag & 1 != 0).collect()
    }

    #[test]
    fn a_sparse_regions_free_pages_go_back_to_the_system_and_read_zero() {
        let arena = Arena::new();
        let pages: Vec<NonNull<u8>> = (0..REGION_PAGES)
            .map(|_| arena.allocate(page_layout(), false).unwrap())
            .collect();
        for (index, page) in pages.iter().enumerate() {
            // SAFETY: a live page of PAGE_BYTES.
            unsafe { std::ptr::write_bytes(page.as_ptr(), index as u8 + 1, PAGE_BYTES) };
        }
        let keep = SPARSE_REGION_PAGES_IN_USE as usize;
        let (kept, freed) = pages.split_at(keep);
        // Down to one page more than a sparse region: every free page stays resident.
        for page in &freed[..freed.len() - 1] {
            // SAFETY: allocated above, freed once.
            unsafe { arena.deallocate(*page, page_layout()) };
        }
        assert_eq!(arena.stats().pages_released, 0);
        assert!(resident_pages(freed[0], PAGE_BYTES).iter().all(|r| *r));
        // One more free makes it sparse: every free page is released.
        // SAFETY: as above.
        unsafe { arena.deallocate(freed[freed.len() - 1], page_layout()) };
        let stats = arena.stats();
        assert_eq!(stats.pages_released, REGION_PAGES - keep);
        assert_eq!(stats.pages_in_use, keep);
        for page in freed {
            assert!(resident_pages(*page, PAGE_BYTES).iter().all(|r| !r));
        }
        // The pages still in use keep their bytes.
        for (index, page) in kept.iter().enumerate() {
            // SAFETY: a live page of PAGE_BYTES, written above.
            let bytes = unsafe { std::slice::from_raw_parts(page.as_ptr(), PAGE_BYTES) };
            assert!(bytes.iter().all(|b| *b == index as u8 + 1), "page {index}");
        }
        // A released page handed out again (zeroed or not) reads zero, and is counted back.
        let again = arena.allocate(page_layout(), true).unwrap();
        assert_eq!(again, freed[0]);
        // SAFETY: a live page of PAGE_BYTES.
        let bytes = unsafe { std::slice::from_raw_parts_mut(again.as_ptr(), PAGE_BYTES) };
        assert!(bytes.iter().all(|b| *b == 0));
        bytes.fill(0x5A);
        assert_eq!(arena.stats().pages_released, REGION_PAGES - keep - 1);
        // Freed again in the sparse region: released again; then zeroed on request.
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(again, page_layout()) };
        assert_eq!(arena.stats().pages_released, REGION_PAGES - keep);
        let again = arena.allocate(page_layout(), true).unwrap();
        // SAFETY: a live page of PAGE_BYTES.
        let bytes = unsafe { std::slice::from_raw_parts(again.as_ptr(), PAGE_BYTES) };
        assert!(bytes.iter().all(|b| *b == 0));
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(again, page_layout()) };
        for page in kept {
            // SAFETY: allocated above, freed once.
            unsafe { arena.deallocate(*page, page_layout()) };
        }
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    #[test]
    fn runs_are_contiguous_and_zeroed_when_asked() {
        let arena = Arena::new();
        let keep = arena.allocate(page_layout(), false).unwrap();
        let run_layout = pages_layout(4);
        let run = arena.allocate(run_layout, true).unwrap();
        assert_eq!(run.as_ptr() as usize, keep.as_ptr() as usize + PAGE_BYTES);
        // SAFETY: the run is 4 live pages of ours.
        let bytes = unsafe { std::slice::from_raw_parts_mut(run.as_ptr(), run_layout.size()) };
        assert!(bytes.iter().all(|b| *b == 0));
        bytes.fill(0xAB);
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(run, run_layout) };
        // `keep` holds the region, so the dirty pages come back: zeroed on request.
        let again = arena.allocate(run_layout, true).unwrap();
        assert_eq!(again, run);
        // SAFETY: as above.
        let bytes = unsafe { std::slice::from_raw_parts(again.as_ptr(), run_layout.size()) };
        assert!(bytes.iter().all(|b| *b == 0), "a reused run is cleared");
        // A run longer than the free tail of the region goes to a new region.
        let whole = arena.allocate(pages_layout(REGION_PAGES), true).unwrap();
        assert_eq!(whole.as_ptr() as usize % REGION_BYTES, 0);
        assert_eq!(arena.stats().regions, 2);
        // SAFETY: all allocated above with these layouts, each freed once.
        unsafe {
            arena.deallocate(whole, pages_layout(REGION_PAGES));
            arena.deallocate(again, run_layout);
            arena.deallocate(keep, page_layout());
        }
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    #[test]
    fn large_blocks_get_mappings_of_their_own() {
        let arena = Arena::new();
        let layout = Layout::from_size_align(3 * REGION_BYTES + 100, 16).unwrap();
        let block = arena.allocate(layout, true).unwrap();
        assert_eq!(block.as_ptr() as usize % REGION_BYTES, 0);
        let stats = arena.stats();
        assert_eq!(stats.large_blocks, 1);
        assert_eq!(stats.mapped_bytes, os::mapping_bytes(layout.size()));
        assert_eq!(stats.regions, 0);
        // SAFETY: a live zeroed block of `layout.size()` bytes.
        let bytes = unsafe { std::slice::from_raw_parts_mut(block.as_ptr(), layout.size()) };
        assert!(bytes.iter().step_by(4096).all(|b| *b == 0));
        bytes[layout.size() - 1] = 1;
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(block, layout) };
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    #[test]
    fn a_refused_mapping_fails_cleanly() {
        let arena = Arena::new();
        // Far more than any machine's memory and swap: the kernel refuses it.
        let layout = Layout::from_size_align(1 << 60, 8).unwrap();
        assert!(arena.allocate(layout, false).is_none());
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    #[test]
    fn small_blocks_come_from_the_heap() {
        let arena = Arena::new();
        let layout = Layout::from_size_align(1000, 8).unwrap();
        let block = arena.allocate(layout, true).unwrap();
        // SAFETY: a live zeroed block of 1000 bytes.
        assert!(unsafe { std::slice::from_raw_parts(block.as_ptr(), 1000) }
            .iter()
            .all(|b| *b == 0));
        assert_eq!(arena.stats(), ArenaStats::default());
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(block, layout) };
    }

    /// The `VmFlags` of the mapping holding `address`, from /proc/self/smaps.
    fn vm_flags_of(address: usize) -> Option<String> {
        let smaps = std::fs::read_to_string("/proc/self/smaps").ok()?;
        let mut inside = false;
        for line in smaps.lines() {
            let range = line
                .split_whitespace()
                .next()
                .and_then(|r| r.split_once('-'));
            if let Some((start, end)) = range {
                if let (Ok(start), Ok(end)) = (
                    usize::from_str_radix(start, 16),
                    usize::from_str_radix(end, 16),
                ) {
                    inside = (start..end).contains(&address);
                    continue;
                }
            }
            if inside {
                if let Some(flags) = line.strip_prefix("VmFlags:") {
                    return Some(flags.trim().to_string());
                }
            }
        }
        None
    }

    #[test]
    fn regions_are_advised_to_use_huge_pages() {
        let arena = Arena::new();
        let page = arena.allocate(page_layout(), false).unwrap();
        match vm_flags_of(page.as_ptr() as usize) {
            // `hg`: the mapping was advised MADV_HUGEPAGE.
            Some(flags) => assert!(flags.split(' ').any(|f| f == "hg"), "flags: {flags}"),
            None => eprintln!("skipped: /proc/self/smaps has no VmFlags for the region"),
        }
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(page, page_layout()) };
    }

    #[test]
    fn racing_threads_never_share_a_block_and_counts_balance() {
        const THREADS: usize = 6;
        const STEPS: usize = 3000;
        let arena = Arena::new();
        let layouts = [
            page_layout(),
            page_layout(),
            page_layout(),
            pages_layout(2),
            pages_layout(5),
            Layout::from_size_align(REGION_BYTES + PAGE_BYTES, 8).unwrap(),
        ];
        let kept: Vec<Vec<(usize, Layout)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..THREADS)
                .map(|thread| {
                    let arena = &arena;
                    let layouts = &layouts;
                    scope.spawn(move || {
                        let mut rng = fastrand::Rng::with_seed(thread as u64 + 1);
                        let mut held: Vec<(NonNull<u8>, Layout, u64)> = Vec::new();
                        for step in 0..STEPS {
                            if held.len() < 24 && (held.is_empty() || rng.bool()) {
                                let layout = layouts[rng.usize(..layouts.len())];
                                let zeroed = rng.bool();
                                let block = arena.allocate(layout, zeroed).unwrap();
                                let tag = ((thread as u64) << 32) | step as u64;
                                // SAFETY: a live block of `layout.size()` bytes, ours alone.
                                unsafe {
                                    if zeroed {
                                        assert_eq!(block.as_ptr().cast::<u64>().read(), 0);
                                    }
                                    write_tags(block, layout, tag);
                                }
                                held.push((block, layout, tag));
                            } else {
                                let (block, layout, tag) =
                                    held.swap_remove(rng.usize(..held.len()));
                                // SAFETY: ours since allocated; freed once.
                                unsafe {
                                    check_tags(block, layout, tag);
                                    arena.deallocate(block, layout);
                                }
                            }
                        }
                        for (block, layout, tag) in &held {
                            // SAFETY: still ours.
                            unsafe { check_tags(*block, *layout, *tag) };
                        }
                        held.into_iter()
                            .map(|(block, layout, _)| (block.as_ptr() as usize, layout))
                            .collect()
                    })
                })
                .collect();
            workers.into_iter().map(|w| w.join().unwrap()).collect()
        });
        let mut blocks: Vec<(usize, Layout)> = kept.into_iter().flatten().collect();
        blocks.sort_unstable_by_key(|(address, _)| *address);
        for pair in blocks.windows(2) {
            assert!(pair[0].0 + pair[0].1.size() <= pair[1].0, "blocks overlap");
        }
        let pages_held: usize = blocks
            .iter()
            .filter_map(|(_, layout)| match route(*layout) {
                Route::Run(pages) => Some(pages),
                _ => None,
            })
            .sum();
        let large_held = blocks
            .iter()
            .filter(|(_, layout)| matches!(route(*layout), Route::Mapping(_)))
            .count();
        let stats = arena.stats();
        assert_eq!(stats.pages_in_use, pages_held);
        assert_eq!(stats.large_blocks, large_held);
        assert!(stats.regions * REGION_PAGES >= pages_held);
        for (address, layout) in blocks {
            let block = NonNull::new(address as *mut u8).unwrap();
            // SAFETY: handed back by the thread that held it; freed once.
            unsafe { arena.deallocate(block, layout) };
        }
        assert_eq!(arena.stats(), ArenaStats::default());
    }

    /// Writes `tag` into the first and last word of every page of the block.
    ///
    /// # Safety
    /// The block is live, of `layout.size()` bytes, and the caller's alone.
    unsafe fn write_tags(block: NonNull<u8>, layout: Layout, tag: u64) {
        for offset in tag_offsets(layout) {
            // SAFETY: `offset + 8 <= layout.size()`, aligned to 8 (see `tag_offsets`).
            unsafe { block.as_ptr().add(offset).cast::<u64>().write(tag) };
        }
    }

    /// Asserts that every tag `write_tags` wrote is still there.
    ///
    /// # Safety
    /// As `write_tags`.
    unsafe fn check_tags(block: NonNull<u8>, layout: Layout, tag: u64) {
        for offset in tag_offsets(layout) {
            // SAFETY: as in `write_tags`.
            let found = unsafe { block.as_ptr().add(offset).cast::<u64>().read() };
            assert_eq!(found, tag, "another holder wrote into the block");
        }
    }

    fn tag_offsets(layout: Layout) -> impl Iterator<Item = usize> {
        let pages = layout.size() / PAGE_BYTES;
        (0..pages).flat_map(|page| [page * PAGE_BYTES, (page + 1) * PAGE_BYTES - 8])
    }
}
