//! Compaction while the database is quiet. Deletes, and updates that move rows to another
//! size class, leave the slab pool's pages partly empty; the background's compaction
//! (`gc.rs`) waits until half the pages' bytes are free, so such a burst could leave a
//! tenth to a half more pages than the rows need until VACUUM.
//! When a background pass finds no commit since the pass before and the pool fragmented
//! (at least `QUIET_FRAGMENTATION_PERCENT` of its pages' bytes free), it runs one bounded
//! step of VACUUM's compaction (`Store::compact_step`: at most `QUIET_STEP_PAGES_MAX` pages
//! evacuated, `QUIET_STEP_SLOTS_MAX` slots walked), then gives the freed pages and the spare
//! version headers back to the system. A cycle of steps that released nothing (the pool is
//! as compact as it gets, or a writer holds slots in the sparse pages) stops the steps until
//! the pool changes. Under write load no step runs, so it costs workloads nothing.

use ember_storage::compact_step::{StepCursor, StepLimits, StepReport};
use ember_storage::slab::MemoryStats;

use crate::database::Shared;

/// A quiet pass compacts when at least this percentage of the slab pages' bytes is free...
const QUIET_FRAGMENTATION_PERCENT: u64 = 10;
/// ...and the pool holds at least this many pages (1 MiB).
const QUIET_PAGES_MIN: u64 = 16;
/// Pages one step evacuates at most (4 MiB: at most ~60,000 payloads copied).
const QUIET_STEP_PAGES_MAX: u64 = 64;
/// Slots one step walks at most (a few milliseconds).
const QUIET_STEP_SLOTS_MAX: u64 = 1 << 18;

/// What the quiet passes remember between passes.
#[derive(Default)]
pub(crate) struct QuietCompaction {
    cursor: StepCursor,
    /// The read timestamp at the last pass (commits since move it).
    last_read_ts: Option<u64>,
    /// The pool's pages and used bytes when a cycle of steps released nothing: no step
    /// runs until they change.
    settled_at: Option<(u64, u64)>,
}

impl QuietCompaction {
    /// Called on every background pass with the store's read timestamp: on a quiet pass of
    /// a fragmented pool, one step of compaction and the release of what it freed. Returns
    /// the step's report, `None` when none ran.
    pub(crate) fn pass(&mut self, shared: &Shared, read_ts: u64) -> Option<StepReport> {
        let quiet = self.last_read_ts == Some(read_ts);
        self.last_read_ts = Some(read_ts);
        if !quiet {
            return None;
        }
        self.step(shared)
    }

    /// One step if the pool is fragmented and changed since it last settled.
    fn step(&mut self, shared: &Shared) -> Option<StepReport> {
        let memory = shared.store.memory();
        let stats = memory.stats();
        if self.settled_at == Some(shape(&stats)) || !fragmented(&stats) {
            return None;
        }
        let limits = StepLimits {
            pages_max: QUIET_STEP_PAGES_MAX,
            slots_max: QUIET_STEP_SLOTS_MAX,
            used_percent_max: ember_storage::slab::VACUUM_PAGE_USED_PERCENT,
        };
        let cursor = &mut self.cursor;
        let report = super::gc::with_every_table(shared, |tables| {
            shared.store.compact_step(tables, cursor, limits)
        });
        if report.pages_released > 0 {
            shared.store.pool().release_spare_headers();
            ember_storage::slab::release_free_memory();
        }
        if report.cycle_ended && report.cycle_released == 0 {
            self.settled_at = Some(shape(&memory.stats()));
        }
        Some(report)
    }
}

/// The pool's pages and used bytes.
fn shape(stats: &MemoryStats) -> (u64, u64) {
    (stats.slab_pages, stats.slab_bytes_used)
}

fn fragmented(stats: &MemoryStats) -> bool {
    stats.slab_pages >= QUIET_PAGES_MIN
        && stats.slab_bytes_free * 100 >= stats.slab_page_bytes * QUIET_FRAGMENTATION_PERCENT
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slab_stats(db: &crate::Database) -> MemoryStats {
        db.shared.store.memory().stats()
    }

    /// A burst of updates leaves the pool a fifth or more larger than the loaded rows'
    /// pages; quiet passes bring it back within a tenth of the loaded figure, each step
    /// within its limits, and every row reads as written.
    #[test]
    fn quiet_passes_bring_the_pool_back_near_its_loaded_size_after_updates() {
        const ROWS: i64 = 60_000;
        let db = crate::Database::in_memory();
        let conn = db.connect();
        conn.execute(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score REAL)",
            (),
        )
        .unwrap();
        conn.execute(
            "INSERT INTO t SELECT value, 'name number ' || value || ' of the table', 0.5 \
             FROM generate_series(1, ?1)",
            (ROWS,),
        )
        .unwrap();
        let loaded = slab_stats(&db).slab_page_bytes;
        // Half as many updates as rows, on spread keys, 1,000 per transaction, collected
        // at the end (as by the background thread, which may also run meanwhile).
        let mut key: i64 = 1;
        for _ in 0..30 {
            conn.execute("BEGIN", ()).unwrap();
            for _ in 0..1000 {
                key = (key * 48_271) % 2_147_483_647;
                let id = key % ROWS + 1;
                let score = 0.5 + key as f64 / 2_147_483_647.0;
                conn.execute("UPDATE t SET score = ?1 WHERE id = ?2", (score, id))
                    .unwrap();
            }
            conn.execute("COMMIT", ()).unwrap();
        }
        crate::gc::collect_now(&db.shared);
        db.shared.store.pool().drain_deferred_frees();
        db.shared.store.pool().release_freed_pages();
        let updated = slab_stats(&db);
        assert!(
            updated.slab_page_bytes * 10 > loaded * 12,
            "no fragmentation to compact: pool {loaded} bytes loaded, {} after the updates",
            updated.slab_page_bytes
        );
        let mut quiet = QuietCompaction::default();
        let clock = db.shared.store.clock();
        assert!(
            quiet.pass(&db.shared, clock.read_ts()).is_none(),
            "the first pass sees a commit"
        );
        // A commit between two passes: the second compacts nothing, fragmented as it is.
        conn.execute("UPDATE t SET score = 0.5 WHERE id = 1", ())
            .unwrap();
        assert!(
            quiet.pass(&db.shared, clock.read_ts()).is_none(),
            "a pass after a commit compacted"
        );
        let read_ts = clock.read_ts();
        let mut steps = 0;
        while let Some(report) = quiet.pass(&db.shared, read_ts) {
            assert!(report.pages_evacuated <= QUIET_STEP_PAGES_MAX, "{report:?}");
            assert!(report.slots_walked <= QUIET_STEP_SLOTS_MAX, "{report:?}");
            steps += 1;
            assert!(steps < 100, "the steps never settled");
        }
        let after = slab_stats(&db);
        assert!(
            after.slab_page_bytes * 10 <= loaded * 11,
            "pool {} bytes loaded, {} after the updates, {} after {steps} quiet steps",
            loaded,
            updated.slab_page_bytes,
            after.slab_page_bytes
        );
        let (count, named): (i64, i64) = conn
            .query_row(
                "SELECT count(*), count(*) FILTER (WHERE name = 'name number ' || id || \
                 ' of the table' AND score >= 0.5) FROM t",
                (),
                |row| Ok((row.get(0)?, row.get(1)?)),
            )
            .unwrap();
        assert_eq!((count, named), (ROWS, ROWS));
    }
}
