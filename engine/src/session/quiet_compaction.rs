//! Compaction while the database is quiet or nearly so. Deletes, and updates that move rows
//! to another size class, leave the slab pool's pages partly empty; the background's
//! compaction (`gc.rs`) waits until half the pages' bytes are free, so such a burst could
//! leave a tenth to a half more pages than the rows need until VACUUM.
//! When a background pass finds at most `QUIET_COMMITS_MAX` commits since the pass before
//! (none, or a trickle such as an application's background writes) and the pool fragmented
//! (at least `QUIET_FRAGMENTATION_PERCENT` of its pages' bytes free), it runs one bounded
//! step of VACUUM's compaction (`Store::compact_step`: at most `QUIET_STEP_PAGES_MAX` pages
//! evacuated, `QUIET_STEP_SLOTS_MAX` slots walked), then gives the freed pages and the spare
//! version headers back to the system. A cycle of steps that released nothing (the pool is
//! as compact as it gets, or a writer holds slots in the sparse pages) stops the steps until
//! the pool changes by a page or more. Under a real write load no step runs.
//!
//! What a writer waits on while a step runs: nothing for its commit. A step holds a table's
//! collector lock one batch of slots at a time (`Table::compact_payloads_from`), which a
//! commit only tries (its own collection is skipped then, and the next pass collects); a
//! class's lock while the step picks its pages, for a sort of that class's pages; and one
//! epoch pin per batch, which delays frees but blocks no one. Allocation skips the pages
//! being evacuated, so a writer may take a fresh page meanwhile (at most
//! `QUIET_STEP_PAGES_MAX` pages are marked).

use ember_storage::compact_step::{StepCursor, StepLimits, StepReport};
use ember_storage::slab::MemoryStats;

use crate::database::Shared;

/// A pass runs a step when at most this many commits happened since the pass before (twenty
/// a second at the collector's period): a trickle of writes, not a write load.
const QUIET_COMMITS_MAX: u64 = 4;
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
    /// The read timestamp at the last pass (each commit moves it by one).
    last_read_ts: Option<u64>,
    /// The pool's pages and used bytes when a cycle of steps released nothing: no step
    /// runs until the pages or the used bytes change by a page's bytes (`changed_since`).
    settled_at: Option<(u64, u64)>,
}

impl QuietCompaction {
    /// Called on every background pass with the store's read timestamp: on a quiet pass of
    /// a fragmented pool (at most `QUIET_COMMITS_MAX` commits since the last pass), one step
    /// of compaction and the release of what it freed. Returns the step's report, `None`
    /// when none ran.
    pub(crate) fn pass(&mut self, shared: &Shared, read_ts: u64) -> Option<StepReport> {
        let commits = self.last_read_ts.map(|last| read_ts.saturating_sub(last));
        self.last_read_ts = Some(read_ts);
        if commits.is_none_or(|commits| commits > QUIET_COMMITS_MAX) {
            return None;
        }
        self.step(shared)
    }

    /// One step if the pool is fragmented and changed since it last settled.
    fn step(&mut self, shared: &Shared) -> Option<StepReport> {
        let memory = shared.store.memory();
        let stats = memory.stats();
        let settled = self
            .settled_at
            .is_some_and(|settled| !changed_since(settled, shape(&stats)));
        if settled || !fragmented(&stats) {
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

/// Whether the pool changed enough since `settled` for compaction to find more: another
/// page count, or used bytes a page's worth apart (a trickle of writes moves them a little
/// on every pass).
fn changed_since(settled: (u64, u64), now: (u64, u64)) -> bool {
    let page_bytes = ember_storage::slab::PAGE_BYTES as u64;
    settled.0 != now.0 || settled.1.abs_diff(now.1) >= page_bytes
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
    /// pages; a pass after a write load does nothing, while passes between which one small
    /// transaction commits bring the pool back within a tenth of the loaded figure, each
    /// step within its limits, and every row reads as written.
    #[test]
    fn passes_under_a_trickle_of_commits_bring_the_pool_back_near_its_loaded_size() {
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
            "the first pass has no pass before it to count commits from"
        );
        // A write load between two passes: the second compacts nothing, fragmented as it is.
        for id in 1..=QUIET_COMMITS_MAX as i64 + 1 {
            conn.execute("UPDATE t SET score = 0.5 WHERE id = ?1", (id,))
                .unwrap();
        }
        assert!(
            quiet.pass(&db.shared, clock.read_ts()).is_none(),
            "a pass after {} commits compacted",
            QUIET_COMMITS_MAX + 1
        );
        // A trickle: one single-row commit between passes, as an application's background
        // writes would do; every pass steps until the pool is as compact as it gets.
        let mut steps = 0;
        let mut trickled: i64 = 0;
        loop {
            trickled += 1;
            let id = trickled * 7_919 % ROWS + 1;
            conn.execute("UPDATE t SET score = 0.75 WHERE id = ?1", (id,))
                .unwrap();
            let Some(report) = quiet.pass(&db.shared, clock.read_ts()) else {
                break;
            };
            assert!(report.pages_evacuated <= QUIET_STEP_PAGES_MAX, "{report:?}");
            assert!(report.slots_walked <= QUIET_STEP_SLOTS_MAX, "{report:?}");
            steps += 1;
            assert!(steps < 100, "the steps never settled");
        }
        assert!(steps > 0, "no step ran under a trickle of commits");
        let after = slab_stats(&db);
        assert!(
            after.slab_page_bytes * 10 <= loaded * 11,
            "pool {} bytes loaded, {} after the updates, {} after {steps} steps",
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
