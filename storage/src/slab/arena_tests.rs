//! Tests of the arena (`arena.rs`): routes, first-fit runs, regions returned and unmapped,
//! idle regions kept up to their bound, zeroing, sparse regions handing their free pages
//! back, and racing threads.

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
    let status = unsafe { libc::mincore(start.as_ptr().cast(), bytes, flags.as_mut_ptr().cast()) };
    assert_eq!(status, 0);
    flags.iter().map(|flag| flag & 1 != 0).collect()
}

/// Every page of one region of `arena`, page `i` filled with the byte `i + 1`.
fn one_written_region(arena: &Arena) -> Vec<NonNull<u8>> {
    let pages: Vec<NonNull<u8>> = (0..REGION_PAGES)
        .map(|_| arena.allocate(page_layout(), false).unwrap())
        .collect();
    for (index, page) in pages.iter().enumerate() {
        // SAFETY: a live page of PAGE_BYTES.
        unsafe { std::ptr::write_bytes(page.as_ptr(), index as u8 + 1, PAGE_BYTES) };
    }
    pages
}

#[test]
fn a_sparse_regions_free_pages_go_back_to_the_system_and_read_zero() {
    let arena = Arena::new();
    let pages = one_written_region(&arena);
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
fn sparse_runs_come_from_regions_on_small_pages_apart_from_huge_ones() {
    let arena = Arena::new();
    let huge = arena.allocate(page_layout(), true).unwrap();
    let sparse = arena.allocate_in(pages_layout(4), true, false).unwrap();
    let region_of = |block: NonNull<u8>| block.as_ptr() as usize & !(REGION_BYTES - 1);
    assert_ne!(
        region_of(huge),
        region_of(sparse),
        "the kinds never share a region"
    );
    assert_eq!(arena.stats().regions, 2);
    // A second run of each kind goes into the region of its kind.
    let huge_too = arena.allocate(page_layout(), false).unwrap();
    let sparse_too = arena.allocate_in(page_layout(), false, false).unwrap();
    assert_eq!(region_of(huge_too), region_of(huge));
    assert_eq!(region_of(sparse_too), region_of(sparse));
    assert_eq!(arena.stats().regions, 2);
    // `hg`: the mapping was advised MADV_HUGEPAGE.
    let advised = |block: NonNull<u8>| {
        vm_flags_of(block.as_ptr() as usize).map(|flags| flags.split(' ').any(|f| f == "hg"))
    };
    match (advised(huge), advised(sparse)) {
        (Some(huge), Some(sparse)) => assert!(huge && !sparse),
        _ => eprintln!("skipped: /proc/self/smaps has no VmFlags for the regions"),
    }
    // A zeroed sparse run reads zero, and it is given back as any run.
    // SAFETY: the run of 4 pages was just allocated; reading it is in bounds.
    let bytes = unsafe { std::slice::from_raw_parts(sparse.as_ptr(), 4 * PAGE_BYTES) };
    assert!(bytes.iter().all(|&byte| byte == 0));
    // SAFETY: each block allocated above with this layout, freed once.
    unsafe {
        arena.deallocate(huge, page_layout());
        arena.deallocate(huge_too, page_layout());
        arena.deallocate(sparse, pages_layout(4));
        arena.deallocate(sparse_too, page_layout());
    }
    assert_eq!(arena.stats().regions, 0);
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
                            let (block, layout, tag) = held.swap_remove(rng.usize(..held.len()));
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

#[test]
fn release_of_every_free_page_empties_busy_regions_too() {
    let arena = Arena::new();
    let pages = one_written_region(&arena);
    // A quarter freed: the region stays busy, so its free pages stay resident...
    let freed = REGION_PAGES / 4;
    for page in &pages[..freed] {
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(*page, page_layout()) };
    }
    assert_eq!(arena.stats().pages_released, 0);
    // ...until every free page is asked for.
    assert_eq!(arena.release_every_free_page(), freed);
    assert_eq!(arena.stats().pages_released, freed);
    for page in &pages[..freed] {
        assert!(resident_pages(*page, PAGE_BYTES).iter().all(|r| !r));
    }
    for (index, page) in pages.iter().enumerate().skip(freed) {
        // SAFETY: a live page of PAGE_BYTES, written above.
        let bytes = unsafe { std::slice::from_raw_parts(page.as_ptr(), PAGE_BYTES) };
        assert!(bytes.iter().all(|b| *b == index as u8 + 1), "page {index}");
    }
    // Nothing is left to release the second time.
    assert_eq!(arena.release_every_free_page(), 0);
    for page in &pages[freed..] {
        // SAFETY: allocated above, freed once.
        unsafe { arena.deallocate(*page, page_layout()) };
    }
}

/// Free pages stay resident up to the bound: a region whose last page is freed within it
/// stays mapped, idle, and its pages are handed out again (dirty ones zeroed when asked);
/// past the bound a draining region's pages are zapped and the region unmapped; and
/// `release_every_free_page` unmaps every idle region.
#[test]
fn free_pages_are_kept_resident_up_to_the_bound_and_reused() {
    let arena = Arena::retaining(REGION_PAGES);
    let region_of = |page: &NonNull<u8>| page.as_ptr() as usize & !(REGION_BYTES - 1);
    let fill = |tag: u8| -> Vec<NonNull<u8>> {
        (0..REGION_PAGES * 2)
            .map(|_| {
                let page = arena.allocate(page_layout(), false).unwrap();
                // SAFETY: a live page of PAGE_BYTES.
                unsafe { ptr::write_bytes(page.as_ptr(), tag, PAGE_BYTES) };
                page
            })
            .collect()
    };
    let free = |pages: Vec<NonNull<u8>>| {
        for page in pages {
            // SAFETY: allocated by `fill`, freed once.
            unsafe { arena.deallocate(page, page_layout()) };
        }
    };
    let first = fill(1);
    let mut regions: Vec<usize> = first.iter().map(region_of).collect();
    regions.dedup();
    assert_eq!(regions.len(), 2);
    free(first);
    // One region kept idle with its pages resident, the other unmapped.
    let stats = arena.stats();
    assert_eq!(
        (stats.regions, stats.idle_regions, stats.pages_in_use),
        (1, 1, 0)
    );
    assert_eq!(
        (stats.mapped_bytes, stats.pages_released),
        (REGION_BYTES, 0)
    );
    assert_eq!(stats.free_resident_pages(), REGION_PAGES, "the bound holds");
    // The idle region is taken again (no longer idle), its dirty pages zeroed when asked.
    let zeroed = arena.allocate(page_layout(), true).unwrap();
    assert!(
        regions.contains(&region_of(&zeroed)),
        "the idle region is reused"
    );
    // SAFETY: a live page of PAGE_BYTES.
    let bytes = unsafe { std::slice::from_raw_parts(zeroed.as_ptr(), PAGE_BYTES) };
    assert!(bytes.iter().all(|&byte| byte == 0));
    assert_eq!(arena.stats().idle_regions, 0);
    // SAFETY: allocated above, freed once.
    unsafe { arena.deallocate(zeroed, page_layout()) };
    assert_eq!(arena.stats().idle_regions, 1);
    // VACUUM's release unmaps it, and counts its resident pages as released.
    assert_eq!(arena.release_every_free_page(), REGION_PAGES);
    assert_eq!(arena.stats(), ArenaStats::default());
    // Filled and emptied again: the bound holds on every round.
    for round in 0..3 {
        free(fill(round));
        let stats = arena.stats();
        assert_eq!((stats.regions, stats.idle_regions), (1, 1), "round {round}");
    }
    arena.release_every_free_page();
    assert_eq!(arena.stats(), ArenaStats::default());
}
