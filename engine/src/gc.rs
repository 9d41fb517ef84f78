//! Garbage collection driven from the engine: `collect_now` runs a pass over every table of
//! the current catalog and releases slab pages left empty; VACUUM adds a sweep of stale index
//! entries and a compaction of the slab pool. A background thread per database runs passes
//! while commits happen, and compacts when the pool's fragmentation passes
//! `BACKGROUND_COMPACT_FRAGMENTATION_PERCENT`. The thread holds only a `Weak` reference, so
//! it ends soon after the last `Database` handle is dropped.

use std::sync::{Arc, Weak};
use std::thread;
use std::time::Duration;

use ember_storage::mvcc::GcReport;
use ember_storage::slab::CompactionReport;

use crate::database::Shared;

/// Time between background passes.
const BACKGROUND_INTERVAL_MS: u64 = 200;
/// Granularity at which the background thread notices that the database is gone.
const BACKGROUND_TICK_MS: u64 = 20;
/// The background thread compacts when this percentage of the slab pages' bytes is free...
const BACKGROUND_COMPACT_FRAGMENTATION_PERCENT: u64 = 50;
/// ...and the pool holds at least this many pages (small pools are not worth it).
const BACKGROUND_COMPACT_PAGES_MIN: u64 = 16;

/// Collects garbage in every table now; returns what was freed.
pub(crate) fn collect_now(shared: &Shared) -> GcReport {
    let catalog = shared.catalog.load_full();
    let watermark = shared.store.watermark();
    let mut report = GcReport::default();
    for table in catalog.tables() {
        report.add(table.storage.collect_garbage(watermark));
    }
    // Frees of earlier passes ran by now (mostly): give their empty pages back.
    shared.store.pool().release_empty_pages();
    report
}

/// Compaction of the slab pool over every table of the current catalog.
pub(crate) fn compact_now(shared: &Shared) -> CompactionReport {
    let catalog = shared.catalog.load_full();
    let tables: Vec<&ember_storage::Table> = catalog
        .tables()
        .into_iter()
        .map(|table| &*table.storage)
        .collect();
    shared.store.compact(&tables)
}

/// VACUUM: a collection pass, then a sweep of every secondary index for stale entries (the
/// sweep walks every entry, so only VACUUM runs it; collection passes already remove the
/// entries of the versions they free), then compaction (which first waits for the pass's
/// frees, so the stats read after VACUUM show the memory given back).
pub(crate) fn vacuum(shared: &Shared) -> GcReport {
    let report = collect_now(shared);
    for table in shared.catalog.load_full().tables() {
        table.storage.sweep_index_entries();
    }
    compact_now(shared);
    report
}

/// Starts the background collector for `shared`.
pub(crate) fn spawn_background(shared: &Arc<Shared>) {
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let spawned = thread::Builder::new()
        .name("ember-gc".to_string())
        .spawn(move || background_loop(weak));
    // Without the thread, VACUUM still collects; a failure to spawn is not an error.
    drop(spawned);
}

fn background_loop(weak: Weak<Shared>) {
    let mut last_collected_ts = 0;
    let mut pages_after_last_compaction = None;
    loop {
        for _ in 0..(BACKGROUND_INTERVAL_MS / BACKGROUND_TICK_MS) {
            thread::sleep(Duration::from_millis(BACKGROUND_TICK_MS));
            if weak.strong_count() == 0 {
                return;
            }
        }
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let read_ts = shared.store.clock().read_ts();
        if read_ts != last_collected_ts {
            collect_now(&shared);
            last_collected_ts = read_ts;
        }
        compact_if_fragmented(&shared, &mut pages_after_last_compaction);
    }
}

/// Compacts when the pool is large and fragmented enough, and has changed since the last
/// compaction (a pool compaction could not improve is not compacted again and again).
fn compact_if_fragmented(shared: &Shared, pages_after_last_compaction: &mut Option<u64>) {
    let pool = shared.store.pool();
    let memory = shared.store.memory();
    if memory.pending_frees() > 0 {
        pool.drain_deferred_frees();
        pool.release_empty_pages();
    }
    let stats = memory.stats();
    let fragmented = stats.slab_pages >= BACKGROUND_COMPACT_PAGES_MIN
        && stats.slab_bytes_free * 100
            >= stats.slab_page_bytes * BACKGROUND_COMPACT_FRAGMENTATION_PERCENT;
    if fragmented && *pages_after_last_compaction != Some(stats.slab_pages) {
        compact_now(shared);
        *pages_after_last_compaction = Some(memory.stats().slab_pages);
    }
}
