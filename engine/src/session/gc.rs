//! Garbage collection driven from the engine: `collect_now` runs a pass over every table of
//! the current catalog and releases slab pages left empty; VACUUM adds a sweep of stale index
//! entries and a compaction of the slab pool. A background thread per database runs passes
//! while commits happen, and compacts when the pool's fragmentation passes
//! `BACKGROUND_COMPACT_FRAGMENTATION_PERCENT`. The thread holds only a `Weak` reference; when
//! the database's shared state drops, its `Collector` wakes the thread and joins it, so no
//! thread outlives its database. A pass that a reader held back (watermark below the newest
//! commit) is followed by another one once the watermark moves, commits or not. A commit
//! under memory pressure (`pressure.rs`) wakes the thread before its interval ends
//! (`Collector::wake`); that pass also compacts a less fragmented pool. A pass with no commit
//! since the last one compacts a fragmented pool a bounded step at a time
//! (`quiet_compaction.rs`). After memory fell,
//! the thread trims the heap, and on its next quiet pass frees the spare version headers
//! past a small reserve and trims again, and once more (the reserve freed too) when the
//! account has not grown for `SETTLED_TRIM_DELAY` after that (`HeapHighWater`).

use std::sync::{Arc, Condvar, Mutex, Weak};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

use ember_storage::mvcc::GcReport;
use ember_storage::slab::{CompactionReport, MemoryAccount};

use crate::database::Shared;
use crate::session::quiet_compaction::QuietCompaction;

/// Time between background passes (also the granularity of the expired-row sweep,
/// `expiry_sweep.rs`, which runs every `Options::ttl_sweep_interval`).
const BACKGROUND_INTERVAL_MS: u64 = 200;
/// The background thread compacts when this percentage of the slab pages' bytes is free...
const BACKGROUND_COMPACT_FRAGMENTATION_PERCENT: u64 = 50;
/// ...and the pool holds at least this many pages (small pools are not worth it).
const BACKGROUND_COMPACT_PAGES_MIN: u64 = 16;

/// Under memory pressure the thread compacts when this percentage of the slab pages' bytes
/// is free.
const PRESSURE_COMPACT_FRAGMENTATION_PERCENT: u64 = 10;

/// The thread asks the global allocator to give freed memory back to the system
/// (`ember_storage::slab::trim_heap`) once the memory account has fallen below its highest
/// point since the last time by an eighth of that point, and at least this much: version
/// headers and index entries live on the heap, which keeps freed blocks resident until asked.
const HEAP_TRIM_DROP_BYTES_MIN: u64 = 1 << 20;
/// ...and at most once in this long (a trim walks the allocator's free lists under its locks).
const HEAP_TRIM_INTERVAL: Duration = Duration::from_secs(1);
/// This long after the quiet trim that follows a fall, the thread trims a last time if the
/// account did not grow: blocks freed after that trim (the epoch's deferred frees, the
/// expiry sweep's and the last statements' working memory) stayed resident until then.
const SETTLED_TRIM_DELAY: Duration = Duration::from_secs(2);

/// Frees the storage tables a truncate replaced that nothing but the retired list holds
/// any more (their last reader ended, every plan naming them was bound again or dropped).
pub(crate) fn release_retired_tables(shared: &Shared) {
    let released: Vec<Arc<ember_storage::Table>> = {
        let mut retired = shared
            .retired_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let (released, kept) = std::mem::take(&mut *retired)
            .into_iter()
            .partition(|table| Arc::strong_count(table) == 1);
        *retired = kept;
        released
    };
    // Freed outside the lock: a table's rows take a while to free.
    drop(released);
}

/// Collects garbage in every table now; returns what was freed.
pub(crate) fn collect_now(shared: &Shared) -> GcReport {
    release_retired_tables(shared);
    let catalog = shared.catalog.load_full();
    crate::session::history::advance(shared);
    let watermark = shared.store.watermark();
    let mut report = GcReport::default();
    for table in catalog.tables() {
        report.add(table.storage.collect_garbage(watermark));
    }
    for table in shared.temp_tables.live() {
        report.add(table.collect_garbage(watermark));
    }
    // Frees of earlier passes ran by now (mostly): give their empty pages back.
    shared.store.pool().release_empty_pages();
    report
}

/// `collect_now`, and then, when rows evicted for memory pressure wait for it
/// (`pressure.rs`), the frees it handed to the epoch and the reclaiming of those rows (a
/// pass at watermark `w` collected every row deleted at or below `w`).
pub(crate) fn collect_and_reclaim(shared: &Shared) {
    let watermark = shared.store.watermark();
    collect_now(shared);
    let memory = shared.store.memory();
    if memory.pressure().unreclaimed_evicted_bytes() > 0 {
        shared.store.pool().drain_deferred_frees();
        memory.pressure().reclaim_up_to(watermark);
    }
}

/// Compaction of the slab pool over every table of the current catalog, evacuating pages
/// with at most `used_percent_max` of their slots in use.
pub(crate) fn compact_now(shared: &Shared, used_percent_max: u64) -> CompactionReport {
    with_every_table(shared, |tables| {
        shared.store.compact(tables, used_percent_max)
    })
}

/// Calls `visit` with the storage of every table of the current catalog, and of every
/// connection's temporary tables.
pub(crate) fn with_every_table<R>(
    shared: &Shared,
    visit: impl FnOnce(&[&ember_storage::Table]) -> R,
) -> R {
    let catalog = shared.catalog.load_full();
    let temp = shared.temp_tables.live();
    let tables: Vec<&ember_storage::Table> = catalog
        .tables()
        .into_iter()
        .map(|table| &*table.storage)
        .chain(temp.iter().map(|table| &**table))
        .collect();
    visit(&tables)
}

/// VACUUM: a collection pass, then a sweep of every secondary index for stale entries (the
/// sweep walks every entry, so only VACUUM runs it; collection passes already remove the
/// entries of the versions they free), then compaction of every page at most
/// `VACUUM_PAGE_USED_PERCENT` used (which first waits for the pass's frees, so the stats read
/// after VACUUM show the memory given back), then every free page back to the system.
pub(crate) fn vacuum(shared: &Shared) -> GcReport {
    // After the background pass under way, if any (see `Shared::collector_pass`).
    let _pass = shared
        .collector_pass
        .lock()
        .unwrap_or_else(|e| e.into_inner());
    let report = collect_now(shared);
    for table in shared.catalog.load_full().tables() {
        table.storage.sweep_index_entries();
    }
    compact_now(shared, ember_storage::slab::VACUUM_PAGE_USED_PERCENT);
    ember_storage::slab::release_free_memory();
    report
}

/// The stop flag a collector thread waits on between passes.
type StopSignal = Arc<(Mutex<bool>, Condvar)>;

/// A database's background collector thread. Dropped with the database's shared state: it
/// stops the thread and joins it (unless the drop runs on that thread itself, which then
/// ends at its next wait).
pub(crate) struct Collector {
    stop: StopSignal,
    thread: Option<JoinHandle<()>>,
}

impl Collector {
    /// Ends the thread's wait now (the caller set the store's wake request first).
    pub(crate) fn wake(&self) {
        let (stopped, wake) = &*self.stop;
        // Taking the lock orders this notify after the thread's check of the request.
        drop(stopped.lock().unwrap_or_else(|p| p.into_inner()));
        wake.notify_all();
    }
}

impl Drop for Collector {
    fn drop(&mut self) {
        let (stopped, wake) = &*self.stop;
        *stopped.lock().unwrap_or_else(|p| p.into_inner()) = true;
        wake.notify_all();
        if let Some(handle) = self.thread.take() {
            if handle.thread().id() != thread::current().id() {
                let _ = handle.join();
            }
        }
    }
}

/// Starts the background collector for `shared` and hands it to `shared` to own.
pub(crate) fn spawn_background(shared: &Arc<Shared>) {
    ember_storage::slab::tune_allocator();
    let weak: Weak<Shared> = Arc::downgrade(shared);
    let stop: StopSignal = Arc::new((Mutex::new(false), Condvar::new()));
    let thread_stop = Arc::clone(&stop);
    let memory = Arc::clone(shared.store.memory());
    let spawned = thread::Builder::new()
        .name("ember-gc".to_string())
        .spawn(move || background_loop(weak, thread_stop, memory));
    // Without the thread, VACUUM still collects; a failure to spawn is not an error.
    let collector = Collector {
        stop,
        thread: spawned.ok(),
    };
    let _ = shared.collector.set(collector);
}

/// Waits up to one interval, or until a commit under memory pressure asks for a pass;
/// whether the collector was told to stop.
fn wait_or_stop(stop: &StopSignal, memory: &MemoryAccount) -> bool {
    let (stopped, wake) = &**stop;
    let deadline = Instant::now() + Duration::from_millis(BACKGROUND_INTERVAL_MS);
    let mut guard = stopped.lock().unwrap_or_else(|p| p.into_inner());
    while !*guard {
        let now = Instant::now();
        if now >= deadline || memory.pressure().wake_requested() {
            return false;
        }
        guard = wake
            .wait_timeout(guard, deadline - now)
            .unwrap_or_else(|p| p.into_inner())
            .0;
    }
    true
}

fn background_loop(weak: Weak<Shared>, stop: StopSignal, memory: Arc<MemoryAccount>) {
    let mut last_collected_ts = 0;
    // Whether the last pass collected everything up to `last_collected_ts` (a reader can
    // hold the watermark below it; then the next interval passes again, even without new
    // commits, so the last commits' garbage, e.g. a sweep's deletes, does not wait for one).
    let mut collected_all = true;
    let mut last_watermark = 0;
    let mut pages_after_last_compaction = None;
    let mut last_sweep = Instant::now();
    let mut heap = HeapHighWater::default();
    let mut quiet = QuietCompaction::default();
    loop {
        if wait_or_stop(&stop, &memory) {
            return;
        }
        let Some(shared) = weak.upgrade() else {
            return;
        };
        let _pass = shared
            .collector_pass
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        let pressed = memory.pressure().take_wake();
        let read_ts = shared.store.clock().read_ts();
        let watermark = shared.store.watermark();
        let held_back_moved = !collected_all && watermark != last_watermark;
        if read_ts != last_collected_ts || held_back_moved {
            collect_and_reclaim(&shared);
            last_collected_ts = read_ts;
            last_watermark = watermark;
            collected_all = watermark >= read_ts;
        }
        if last_sweep.elapsed() >= shared.ttl_sweep_interval {
            crate::expiry_sweep::sweep_expired(&shared);
            last_sweep = Instant::now();
        }
        let fragmentation_percent = if pressed {
            PRESSURE_COMPACT_FRAGMENTATION_PERCENT
        } else {
            BACKGROUND_COMPACT_FRAGMENTATION_PERCENT
        };
        compact_if_fragmented(
            &shared,
            &mut pages_after_last_compaction,
            fragmentation_percent,
        );
        if !pressed {
            quiet.pass(&shared, read_ts);
        }
        let used = memory.used_bytes();
        let now = Instant::now();
        if !heap.trim_after_fall(used, now) {
            let trimmed = heap.trim_once_quiet(used, now, || {
                shared.store.pool().release_spare_headers();
            });
            if !trimmed {
                heap.trim_when_settled(used, now, || {
                    shared.store.pool().release_every_spare_header();
                });
            }
        }
    }
}

/// The memory account's highest point since the heap was last trimmed.
#[derive(Default)]
struct HeapHighWater {
    high: u64,
    trimmed_at: Option<Instant>,
    /// A trim after a fall asks for a second one on the next quiet pass: the frees the
    /// epoch deferred, and the retired headers kept for reuse, come after the first.
    follow_up: bool,
    /// The account at the last pass.
    last_used: u64,
    /// After the quiet trim: when to trim once more, and the account then.
    settled_trim: Option<(Instant, u64)>,
}

impl HeapHighWater {
    /// Trims the heap when `used` has fallen far enough below the high point and the last
    /// trim is long enough ago; whether it trimmed.
    fn trim_after_fall(&mut self, used: u64, now: Instant) -> bool {
        self.high = self.high.max(used);
        let fall = self.high - used;
        let recent = self
            .trimmed_at
            .is_some_and(|at| now.duration_since(at) < HEAP_TRIM_INTERVAL);
        if fall < HEAP_TRIM_DROP_BYTES_MIN.max(self.high / 8) || recent {
            return false;
        }
        ember_storage::slab::trim_heap();
        self.high = used;
        self.trimmed_at = Some(now);
        self.follow_up = true;
        self.last_used = used;
        true
    }

    /// After a trim on a fall, on the first pass whose account did not grow since the last
    /// (the store is quiet): `release` (the spare version headers past a small reserve),
    /// then a second trim. Whether it trimmed.
    fn trim_once_quiet(&mut self, used: u64, now: Instant, release: impl FnOnce()) -> bool {
        let quiet = used <= self.last_used;
        self.last_used = used;
        if !self.follow_up || !quiet {
            return false;
        }
        self.follow_up = false;
        release();
        ember_storage::slab::trim_heap();
        self.settled_trim = Some((now + SETTLED_TRIM_DELAY, used));
        true
    }

    /// `SETTLED_TRIM_DELAY` after the quiet trim, if the account did not grow since:
    /// `release` (every spare version header, the reserve too: the store stayed idle), then
    /// one more trim. Whether it trimmed.
    fn trim_when_settled(&mut self, used: u64, now: Instant, release: impl FnOnce()) -> bool {
        let Some((at, used_then)) = self.settled_trim else {
            return false;
        };
        if now < at {
            return false;
        }
        self.settled_trim = None;
        if used > used_then {
            return false;
        }
        release();
        ember_storage::slab::trim_heap();
        true
    }
}

/// Compacts when the pool is large and fragmented enough, and has changed since the last
/// compaction (a pool compaction could not improve is not compacted again and again).
fn compact_if_fragmented(
    shared: &Shared,
    pages_after_last_compaction: &mut Option<u64>,
    fragmentation_percent: u64,
) {
    let pool = shared.store.pool();
    let memory = shared.store.memory();
    pool.release_freed_pages();
    let stats = memory.stats();
    let fragmented = stats.slab_pages >= BACKGROUND_COMPACT_PAGES_MIN
        && stats.slab_bytes_free * 100 >= stats.slab_page_bytes * fragmentation_percent;
    if fragmented && *pages_after_last_compaction != Some(stats.slab_pages) {
        compact_now(shared, ember_storage::slab::SPARSE_PAGE_USED_PERCENT);
        *pages_after_last_compaction = Some(memory.stats().slab_pages);
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    #[test]
    fn dropping_the_last_handle_ends_the_collector_thread_before_drop_returns() {
        for _ in 0..20 {
            let db = crate::Database::in_memory();
            let clone = db.clone();
            let stop = Arc::clone(&db.shared.collector.get().expect("collector").stop);
            // The thread holds a clone of the stop signal until it returns.
            assert_eq!(Arc::strong_count(&stop), 3);
            drop(db);
            assert_eq!(
                Arc::strong_count(&stop),
                3,
                "a clone keeps the database alive"
            );
            drop(clone);
            assert_eq!(Arc::strong_count(&stop), 1, "the thread was joined");
        }
    }

    /// The slot array of table `t`: (bytes allocated, bytes the last release handed back).
    fn slot_array_bytes(db: &crate::Database) -> (u64, u64) {
        let catalog = db.shared.catalog.load_full();
        let table = catalog.table("t").expect("table t");
        table.storage.slot_array_bytes()
    }

    #[test]
    fn a_clustered_table_emptied_hands_its_slot_pages_back_and_keeps_taking_rows() {
        let db = crate::Database::in_memory();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)", ())
            .unwrap();
        conn.execute(
            "INSERT INTO t SELECT value, 'row ' || value FROM generate_series(1, 200000)",
            (),
        )
        .unwrap();
        let (allocated, _) = slot_array_bytes(&db);
        assert!(allocated >= 200_000 * 8, "{allocated} bytes of slots");
        // Most rows go: the pages of the deleted keys' slots go back, the others' stay.
        conn.execute("DELETE FROM t WHERE id <= 120000", ())
            .unwrap();
        conn.execute("VACUUM", ()).unwrap();
        let (_, released_most) = slot_array_bytes(&db);
        assert!(
            released_most >= 110_000 * 8 && released_most <= allocated - 80_000 * 8,
            "{released_most} of {allocated} bytes released with 80,000 rows left"
        );
        // Inside a transaction: the bulk delete, which keeps the storage table (in
        // autocommit the table would be given a new one, `exec/schema/truncate.rs`).
        conn.execute_batch("BEGIN; DELETE FROM t; COMMIT").unwrap();
        conn.execute("VACUUM", ()).unwrap();
        let (after, released) = slot_array_bytes(&db);
        assert_eq!(after, allocated, "the chunks stay allocated");
        // All but the chunks under 64 KiB (from the heap) and a page or two at their edges.
        assert!(
            released >= allocated - 128 * 1024,
            "{released} of {allocated} bytes released"
        );
        let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
        assert_eq!(count, 0);
        // Rows land in released pages again and read back whole.
        conn.execute(
            "INSERT INTO t SELECT value, 'again ' || value FROM generate_series(1, 150000, 7)",
            (),
        )
        .unwrap();
        let sum: i64 = conn
            .query_value("SELECT sum(id) FROM t WHERE v = 'again ' || id", ())
            .unwrap();
        let expected: i64 = (1..=150_000).step_by(7).sum();
        assert_eq!(sum, expected);
    }

    #[test]
    fn a_text_keyed_table_emptied_hands_its_slot_pages_back_and_keeps_taking_rows() {
        let db = crate::Database::in_memory();
        let conn = db.connect();
        conn.execute("CREATE TABLE t(k TEXT PRIMARY KEY, v INTEGER)", ())
            .unwrap();
        conn.execute(
            "INSERT INTO t SELECT 'key ' || value, value FROM generate_series(1, 100000)",
            (),
        )
        .unwrap();
        let (allocated, _) = slot_array_bytes(&db);
        assert!(allocated >= 100_000 * 8, "{allocated} bytes of slots");
        // Inside a transaction: the bulk delete, which keeps the storage table (in
        // autocommit the table would be given a new one, `exec/schema/truncate.rs`).
        conn.execute_batch("BEGIN; DELETE FROM t; COMMIT").unwrap();
        conn.execute("VACUUM", ()).unwrap();
        let (after, released) = slot_array_bytes(&db);
        assert_eq!(after, allocated, "the chunks stay allocated");
        // All but the chunks under 64 KiB (from the heap) and a page at the length.
        assert!(
            released + 64 * 1024 >= 100_000 * 8,
            "{released} of {allocated} bytes released"
        );
        conn.execute(
            "INSERT INTO t SELECT 'again ' || value, value FROM generate_series(1, 150000, 7)",
            (),
        )
        .unwrap();
        let sum: i64 = conn
            .query_value("SELECT sum(v) FROM t WHERE k = 'again ' || v", ())
            .unwrap();
        let expected: i64 = (1..=150_000).step_by(7).sum();
        assert_eq!(sum, expected);
        assert_eq!(
            slot_array_bytes(&db).0,
            allocated,
            "the rows took released slots"
        );
    }

    #[test]
    fn the_heap_is_trimmed_once_memory_falls_far_enough_below_its_high_point() {
        use std::time::{Duration, Instant};
        let mut heap = super::HeapHighWater::default();
        let mib = super::HEAP_TRIM_DROP_BYTES_MIN;
        let start = Instant::now();
        let later = |seconds: u64| start + Duration::from_secs(seconds);
        assert!(!heap.trim_after_fall(80 * mib, later(0)));
        assert!(
            !heap.trim_after_fall(70 * mib + 1, later(0)),
            "under an eighth"
        );
        assert!(heap.trim_after_fall(70 * mib, later(0)));
        // The high point starts again where the trim left it, and a second trim waits.
        assert!(
            !heap.trim_after_fall(10 * mib, later(0)),
            "too soon after the last"
        );
        assert!(heap.trim_after_fall(10 * mib, later(2)));
        assert!(
            heap.trim_after_fall(mib / 2, later(4)),
            "9.5 MiB below 10 MiB"
        );
        // A fall under the minimum never trims, however large a share of the high point.
        assert!(!heap.trim_after_fall(0, later(6)));
    }

    #[test]
    fn a_quiet_trim_is_followed_by_one_more_once_the_account_stayed_settled() {
        use std::time::Instant;
        let mib = super::HEAP_TRIM_DROP_BYTES_MIN;
        let delay = super::SETTLED_TRIM_DELAY;
        let start = Instant::now();
        let quiet_after_fall = || {
            let mut heap = super::HeapHighWater::default();
            assert!(!heap.trim_after_fall(80 * mib, start));
            assert!(heap.trim_after_fall(10 * mib, start));
            assert!(heap.trim_once_quiet(10 * mib, start, || ()));
            heap
        };
        let mut heap = quiet_after_fall();
        let mut released = 0;
        assert!(
            !heap.trim_when_settled(10 * mib, start + delay / 2, || released += 1),
            "too soon"
        );
        assert!(heap.trim_when_settled(9 * mib, start + delay, || released += 1));
        assert!(
            !heap.trim_when_settled(9 * mib, start + delay * 2, || released += 1),
            "once"
        );
        assert_eq!(released, 1, "the spare headers are released with the trim");
        let mut grown = quiet_after_fall();
        assert!(
            !grown.trim_when_settled(11 * mib, start + delay, || ()),
            "the account grew"
        );
        assert!(
            !grown.trim_when_settled(10 * mib, start + delay * 2, || ()),
            "given up"
        );
        let mut untrimmed = super::HeapHighWater::default();
        assert!(
            !untrimmed.trim_when_settled(0, start + delay, || ()),
            "no quiet trim before"
        );
    }

    #[test]
    fn a_trim_on_a_fall_is_followed_by_one_release_on_the_next_quiet_pass() {
        use std::time::Instant;
        let mut heap = super::HeapHighWater::default();
        let mib = super::HEAP_TRIM_DROP_BYTES_MIN;
        let mut released = 0;
        let now = Instant::now();
        assert!(
            !heap.trim_once_quiet(80 * mib, now, || released += 1),
            "no fall yet"
        );
        assert!(!heap.trim_after_fall(80 * mib, now));
        assert!(heap.trim_after_fall(10 * mib, now));
        assert!(
            !heap.trim_once_quiet(12 * mib, now, || released += 1),
            "the account grew"
        );
        assert!(heap.trim_once_quiet(12 * mib, now, || released += 1));
        assert_eq!(released, 1);
        assert!(
            !heap.trim_once_quiet(5 * mib, now, || released += 1),
            "once per fall"
        );
        assert_eq!(released, 1);
    }
}
