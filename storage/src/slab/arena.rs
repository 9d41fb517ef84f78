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
//! touch faults in one huge page; or, for blocks that may stay partly untouched
//! (`allocate_zeroed_sparse`: a clustered table's slot chunks, reached in key order), a
//! region of the other kind, not advised, on 4 KiB pages that become resident only where
//! touched (a run comes from a region of its own kind). A region keeps a bitmap of its free
//! pages; allocation takes the first fitting run in the lowest region (address order), so
//! live pages gather in low regions and the high ones drain. A block larger than a region
//! gets a mapping of its own, also 2 MiB aligned and advised. Blocks under `PAGE_BYTES` (or
//! aligned past it), and every block on other systems, come from `std::alloc`.
//!
//! RETURN TO THE OS. A freed run goes back to its region's bitmap. Free pages stay resident
//! while the arena holds at most `RETAINED_FREE_PAGES_MAX` of them (64 MiB): a table emptied
//! and filled again, or rows that leave and come back, take them again without a page fault
//! and the kernel's zeroing of each page (a run handed out is cleared only when asked for
//! zeroed memory), and a region whose last page is freed stays mapped, idle. Past the bound,
//! a free that leaves a region with at most `SPARSE_REGION_PAGES_IN_USE` pages in use (a size
//! class's last rows gathered by compaction, a table's tail) zaps its free pages
//! (`MADV_DONTNEED`, `released`: a zapped page reads zero when it is handed out again), so a
//! few live pages do not hold 2 MiB, and a region whose last page is freed is unmapped
//! (`munmap`). The free pages of a region more than half in use are never zapped: zapping
//! 64 KiB of a huge page splits it into 4 KiB pages for good (until khugepaged collapses it
//! again), which would undo the TLB reach of the pages still in use; they are the first
//! reused. A large block's mapping goes when the block does. VACUUM asks for every free page
//! back (`release_every_free_page`): the idle regions are unmapped and the free pages of the
//! others zapped.
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

/// Free region pages the process-wide arena keeps resident for reuse, at most (1,024 pages
/// of 64 KiB: 64 MiB, about the slab pages of 600,000 rows of 100 bytes); see the module
/// comment.
const RETAINED_FREE_PAGES_MAX: usize = 1024;

static ARENA: Arena = Arena::retaining(RETAINED_FREE_PAGES_MAX);

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

/// `allocate_zeroed` for a block that may stay partly untouched (a slot chunk reached in
/// key order): a block up to a region comes from a region on 4 KiB pages, whose untouched
/// pages take no memory (a huge page is resident whole from its first touch). Larger
/// blocks get their own huge-page mapping as with `allocate_zeroed`.
pub(crate) fn allocate_zeroed_sparse(layout: Layout) -> NonNull<u8> {
    ARENA
        .allocate_in(layout, true, false)
        .unwrap_or_else(|| alloc::handle_alloc_error(layout))
}

/// Bytes of free region pages the process-wide arena keeps resident for reuse (at most
/// `RETAINED_FREE_PAGES_MAX` pages past what regions more than half in use hold free).
pub fn retained_free_bytes() -> u64 {
    (ARENA.lock().stats.free_resident_pages() * PAGE_BYTES) as u64
}

/// Hands every free page of every region back to the system (VACUUM: the user asked for the
/// memory back, at the price of splitting the huge pages those regions sit on); returns
/// how many pages it released.
pub(crate) fn release_every_free_page() -> usize {
    ARENA.release_every_free_page()
}

/// Hands the whole system pages inside `bytes` at `start`, part of a block of `block_layout`,
/// back to the system (zero when next touched); returns the bytes released. Blocks of the
/// heap route (small ones, systems without the arena) release nothing.
///
/// # Safety
/// The range lies in a live block of `block_layout` from this module, its bytes are all zero,
/// and no thread writes to it during the call (a write in between could be lost).
pub(crate) unsafe fn release_zero_pages(
    start: NonNull<u8>,
    bytes: usize,
    block_layout: Layout,
) -> usize {
    if route(block_layout) == Route::Heap {
        return 0;
    }
    let first = os::mapping_bytes(start.as_ptr().addr());
    let end = start.as_ptr().addr() + bytes;
    let whole = (end - end % os::mapping_bytes(1)).saturating_sub(first);
    if whole == 0 {
        return 0;
    }
    let offset = first - start.as_ptr().addr();
    // SAFETY: `[start + offset, start + offset + whole)` is whole system pages inside the
    // caller's range, which lies in one of this arena's mappings (not the heap route) and is
    // all zero with no writer (the caller's contract), so zeroing it changes nothing.
    let released = unsafe { os::release(start.as_ptr().add(offset), whole) };
    if released {
        whole
    } else {
        0
    }
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
    /// Regions with no page in use, kept mapped for reuse (counted in `regions`).
    pub(crate) idle_regions: usize,
}

impl ArenaStats {
    /// Free region pages still resident (neither in use nor handed back to the system).
    fn free_resident_pages(&self) -> usize {
        self.regions * REGION_PAGES - self.pages_in_use - self.pages_released
    }
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
    /// Whether the region is advised to use huge pages (else it has 4 KiB pages, for
    /// `allocate_zeroed_sparse`); a run comes from a region of the kind it asks for.
    huge: bool,
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
    /// How many free region pages stay resident (`RETAINED_FREE_PAGES_MAX` for the
    /// process-wide arena; none for `new`'s).
    retained_free_pages_max: usize,
}

impl Arena {
    /// An arena that keeps no free page resident it may hand back: a region's free pages
    /// are zapped once it is at most half in use, and it is unmapped when its last page is
    /// freed.
    #[cfg(test)]
    pub(crate) const fn new() -> Arena {
        Arena::retaining(0)
    }

    /// An arena that keeps up to `retained_free_pages_max` free pages resident.
    pub(crate) const fn retaining(retained_free_pages_max: usize) -> Arena {
        Arena {
            retained_free_pages_max,
            state: Mutex::new(ArenaState {
                regions: BTreeMap::new(),
                with_free: BTreeSet::new(),
                stats: ArenaStats {
                    regions: 0,
                    large_blocks: 0,
                    mapped_bytes: 0,
                    pages_in_use: 0,
                    pages_released: 0,
                    idle_regions: 0,
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

    /// See the module function `release_every_free_page`.
    pub(crate) fn release_every_free_page(&self) -> usize {
        let mut guard = self.lock();
        let state = &mut *guard;
        let mut released = 0;
        // The idle regions leave the map under the lock (nobody can take a page of them
        // afterwards) and are unmapped once it is dropped.
        let idle: Vec<usize> = state
            .regions
            .iter()
            .filter(|(_, region)| region.free == ALL_FREE)
            .map(|(&base, _)| base)
            .collect();
        debug_assert_eq!(idle.len(), state.stats.idle_regions);
        for base in &idle {
            let region = state
                .regions
                .remove(base)
                .expect("an idle region is mapped");
            let already = region.released.count_ones() as usize;
            released += REGION_PAGES - already;
            state.stats.pages_released -= already;
            state.with_free.remove(base);
            state.stats.regions -= 1;
            state.stats.idle_regions -= 1;
            state.stats.mapped_bytes -= REGION_BYTES;
        }
        // Under the lock: no page of a region can be handed out while it is zapped.
        let mut zapped = 0;
        for (&base, region) in state.regions.iter_mut() {
            zapped += release_free_pages(base, region);
        }
        state.stats.pages_released += zapped;
        drop(guard);
        for base in idle {
            let region = NonNull::new(ptr::with_exposed_provenance_mut::<u8>(base))
                .expect("regions are not at address zero");
            // SAFETY: every page of the region is free and it left the map under the lock,
            // so nobody can reach it; it is a whole mapping of `REGION_BYTES`.
            unsafe { os::unmap(region, REGION_BYTES) };
        }
        released + zapped
    }

    /// A block for `layout`, zeroed if asked; `None` when the system refuses memory.
    ///
    /// # Panics
    /// If `layout` has size zero.
    pub(crate) fn allocate(&self, layout: Layout, zeroed: bool) -> Option<NonNull<u8>> {
        self.allocate_in(layout, zeroed, true)
    }

    /// `allocate`, a run taken from a region on huge pages or (`huge` false) on 4 KiB pages.
    pub(crate) fn allocate_in(
        &self,
        layout: Layout,
        zeroed: bool,
        huge: bool,
    ) -> Option<NonNull<u8>> {
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
            Route::Run(pages) => self.allocate_run(pages, zeroed, huge),
            Route::Mapping(bytes) => {
                // A fresh mapping is zero: nothing to clear.
                let block = os::map_aligned(bytes, true)?;
                let mut state = self.lock();
                state.stats.large_blocks += 1;
                state.stats.mapped_bytes += os::mapping_bytes(bytes);
                Some(block)
            }
        }
    }

    /// Takes `pages` contiguous pages from the lowest region that has them, or a new region.
    fn allocate_run(&self, pages: usize, zeroed: bool, huge: bool) -> Option<NonNull<u8>> {
        let mut state = self.lock();
        let found = state.with_free.iter().find_map(|base| {
            let region = &state.regions[base];
            let fits = region.huge == huge;
            fits.then(|| find_run(region.free, pages))
                .flatten()
                .map(|first| (*base, first))
        });
        let (base, first) = match found {
            Some(found) => found,
            None => {
                let base = os::map_aligned(REGION_BYTES, huge)?
                    .as_ptr()
                    .expose_provenance();
                let region = Region {
                    free: ALL_FREE,
                    dirty: 0,
                    released: 0,
                    huge,
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
        let was_idle = region.free == ALL_FREE && found.is_some();
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
        if was_idle {
            state.stats.idle_regions -= 1;
        }
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
        let past_bound = state.stats.free_resident_pages() > self.retained_free_pages_max;
        if region_free != ALL_FREE {
            let in_use = REGION_PAGES as u32 - region_free.count_ones();
            if past_bound && in_use <= SPARSE_REGION_PAGES_IN_USE {
                // Under the lock: no page of the region can be handed out while it is zapped.
                let released = release_free_pages(base, region);
                state.stats.pages_released += released;
            }
            state.with_free.insert(base);
            return;
        }
        if !past_bound {
            // Kept mapped, its pages resident, for the next runs (the module comment).
            state.stats.idle_regions += 1;
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
    pub(super) fn map_aligned(bytes: usize, huge: bool) -> Option<NonNull<u8>> {
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
        if huge {
            // SAFETY: advice about a range of our own mapping; it changes no contents. A
            // kernel without transparent huge pages refuses it, which leaves 4 KiB pages.
            unsafe { libc::madvise(start.cast(), length, libc::MADV_HUGEPAGE) };
        }
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

    pub(super) fn map_aligned(_bytes: usize, _huge: bool) -> Option<NonNull<u8>> {
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
#[path = "arena_tests.rs"]
mod tests;
