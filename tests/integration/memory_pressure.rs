//! Memory pressure in tiers under the database-wide `max_memory`: above the soft mark a
//! commit wakes the collector, which collects and compacts at once; above the evict mark
//! commits delete rows of cache tables (evicting `on_full`) below their own budgets, by their
//! own policy; at the budget writes fail with `MemoryBudget` while reads, DELETE and DROP
//! TABLE go on. `ember_stats` shows the level, the marks and every action counted; the marks
//! are set by `PRAGMA memory_soft_mark` / `memory_evict_mark` (or `SET`, or
//! `Options::memory_marks`). Many writers against two cache tables and a plain table keep
//! memory within the budget and the counts exact.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ember::{Connection, Database, ErrorKind, Options};

const MIB: i64 = 1 << 20;

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ()).unwrap()
}

/// One column of `ember_stats`.
fn stat(conn: &Connection, column: &str) -> i64 {
    int(conn, &format!("SELECT {column} FROM ember_stats"))
}

fn level(conn: &Connection) -> String {
    conn.query_value("SELECT memory_pressure FROM ember_stats", ())
        .unwrap()
}

fn table_stat(conn: &Connection, table: &str, column: &str) -> i64 {
    int(
        conn,
        &format!("SELECT {column} FROM ember_tables WHERE name = '{table}'"),
    )
}

fn insert(conn: &Connection, table: &str, id: i64) -> ember::Result<usize> {
    conn.execute(
        &format!("INSERT INTO {table} VALUES (?, printf('%0200d', ?))"),
        (id, id),
    )
}

fn create(conn: &Connection, table: &str, with: &str) {
    conn.execute(
        &format!("CREATE TABLE {table}(id INTEGER PRIMARY KEY, v TEXT) {with}"),
        (),
    )
    .unwrap();
}

/// Polls `condition` for up to 10 s.
fn wait_until(what: &str, mut condition: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !condition() {
        assert!(Instant::now() < deadline, "timed out waiting until {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn marks_are_read_and_set_by_pragma_set_and_options() {
    let db = Database::in_memory();
    let conn = db.connect();
    assert_eq!(int(&conn, "PRAGMA memory_soft_mark"), 80);
    assert_eq!(int(&conn, "PRAGMA memory_evict_mark"), 90);
    assert_eq!(level(&conn), "none");
    conn.execute("PRAGMA memory_evict_mark = 95", ()).unwrap();
    conn.execute("SET memory_soft_mark = 70", ()).unwrap();
    assert_eq!(stat(&conn, "memory_soft_mark"), 70);
    assert_eq!(stat(&conn, "memory_evict_mark"), 95);
    for bad in [
        "PRAGMA memory_soft_mark = 0",
        "PRAGMA memory_evict_mark = 101",
        "PRAGMA memory_soft_mark = 96",
        "PRAGMA memory_evict_mark = 60",
        "PRAGMA memory_soft_mark = 'lots'",
        "SET memory_evict_mark = 12.5",
    ] {
        let error = conn.execute(bad, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{bad}: {error}");
        assert!(error.message().contains("mark"), "{error}");
    }
    assert_eq!(int(&conn, "PRAGMA memory_soft_mark"), 70);
    assert_eq!(int(&conn, "PRAGMA memory_evict_mark"), 95);
    let db = Database::in_memory_with(Options::new().memory_marks(60, 75));
    let conn = db.connect();
    assert_eq!(int(&conn, "PRAGMA memory_soft_mark"), 60);
    assert_eq!(int(&conn, "PRAGMA memory_evict_mark"), 75);
    let db = Database::in_memory_with(Options::new().memory_marks(99, 0));
    let conn = db.connect();
    assert_eq!(int(&conn, "PRAGMA memory_evict_mark"), 1);
    assert_eq!(int(&conn, "PRAGMA memory_soft_mark"), 1);
}

#[test]
fn above_the_soft_mark_a_commit_wakes_the_collector_which_compacts_at_once() {
    let budget = 4 * MIB;
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(budget as u64));
    let conn = db.connect();
    // The evict mark out of the way: this test is about the soft tier.
    conn.execute("PRAGMA memory_evict_mark = 100", ()).unwrap();
    create(&conn, "p", "");
    let mut id = 0;
    loop {
        let used = stat(&conn, "memory_used_bytes");
        if used >= budget * 86 / 100 {
            break;
        }
        if used < budget * 60 / 100 {
            // Every commit so far ran below the soft mark (the collector freezing rows
            // gives back their version headers, less than a tenth of the memory).
            assert_eq!(stat(&conn, "gc_wakeups_by_pressure"), 0, "below the mark");
        }
        conn.execute("BEGIN", ()).unwrap();
        for _ in 0..20 {
            insert(&conn, "p", id).unwrap();
            id += 1;
        }
        conn.execute("COMMIT", ()).unwrap();
    }
    assert_eq!(level(&conn), "soft");
    assert!(stat(&conn, "gc_wakeups_by_pressure") >= 1);
    // Most rows of every third run of 300 go (about a slab page each): those pages are
    // sparse, the pool is fragmented less than the background thread's ordinary
    // compaction threshold (50%) but more than the pressure pass's (10%).
    let compactions = stat(&conn, "compaction_runs");
    let used = stat(&conn, "memory_used_bytes");
    conn.execute("DELETE FROM p WHERE (id / 300) % 3 = 0 AND id % 10 < 7", ())
        .unwrap();
    insert(&conn, "p", id).unwrap();
    wait_until("the pressure pass compacted", || {
        stat(&conn, "compaction_runs") > compactions
    });
    wait_until("memory was given back", || {
        stat(&conn, "memory_used_bytes") < used * 95 / 100
    });
    assert_eq!(stat(&conn, "rows_evicted_by_pressure"), 0);
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), 0);
}

#[test]
fn above_the_evict_mark_cache_tables_evict_below_their_own_budgets() {
    for policy in ["evict_lru", "evict_lfu"] {
        let budget = 4 * MIB;
        let db = Database::in_memory_with(Options::new().memory_budget_bytes(budget as u64));
        let conn = db.connect();
        // The cache table's own budget is far above the database's: only pressure evicts.
        create(
            &conn,
            "c",
            &format!("WITH (max_memory = '1GB', on_full = '{policy}')"),
        );
        create(&conn, "p", "");
        for id in 0..2000 {
            insert(&conn, "p", id).unwrap();
        }
        let plain_bytes = table_stat(&conn, "p", "bytes");
        let mut inserted = 0;
        let mut most_used = 0;
        for id in 0..30_000 {
            insert(&conn, "c", id).unwrap_or_else(|error| panic!("{policy} {id}: {error}"));
            inserted += 1;
            if id % 100 == 0 {
                most_used = most_used.max(stat(&conn, "memory_used_bytes"));
            }
        }
        let rows = int(&conn, "SELECT count(*) FROM c");
        let evicted = table_stat(&conn, "c", "rows_evicted");
        assert!(evicted > 0, "{policy}");
        assert_eq!(rows + evicted, inserted, "{policy}");
        assert_eq!(stat(&conn, "rows_evicted_by_pressure"), evicted, "{policy}");
        assert_eq!(stat(&conn, "writes_rejected_by_pressure"), 0, "{policy}");
        assert!(stat(&conn, "gc_wakeups_by_pressure") > 0, "{policy}");
        assert!(most_used <= budget, "{policy}: {most_used}");
        // The plain table keeps every row; the cache table keeps what fits.
        assert_eq!(int(&conn, "SELECT count(*) FROM p"), 2000);
        assert_eq!(table_stat(&conn, "p", "bytes"), plain_bytes);
        assert!(rows > 1000, "{policy}: {rows} rows left");
        assert_eq!(table_stat(&conn, "c", "rows_evicted"), evicted);
    }
}

#[test]
fn a_reopened_database_holds_the_rows_left_after_pressure_evictions() {
    let ids = |conn: &Connection| {
        let mut ids: Vec<i64> = conn
            .query("SELECT id FROM c", ())
            .unwrap()
            .into_values()
            .into_iter()
            .map(|row| match row[0] {
                ember::Value::Integer(id) => id,
                ref other => panic!("{other:?}"),
            })
            .collect();
        ids.sort_unstable();
        ids
    };
    let dir = std::env::temp_dir().join(format!("ember-it-pressure-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    let options = || Options::new().memory_budget_bytes(4 << 20);
    let before: Vec<i64> = {
        let db = Database::open_with(&dir, options()).unwrap();
        let conn = db.connect();
        create(
            &conn,
            "c",
            "WITH (max_memory = '1GB', on_full = 'evict_lru')",
        );
        for id in 0..25_000 {
            insert(&conn, "c", id).unwrap();
        }
        assert!(stat(&conn, "rows_evicted_by_pressure") > 0);
        // Reading every id back materializes them: room for that first.
        conn.execute("SET max_memory = 'unlimited'", ()).unwrap();
        ids(&conn)
    };
    let db = Database::open_with(&dir, Options::new()).unwrap();
    let conn = db.connect();
    assert_eq!(before, ids(&conn));
    drop((conn, db));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn at_the_budget_writes_fail_while_reads_deletes_and_drop_go_on() {
    let budget = 2 * MIB;
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(budget as u64));
    let conn = db.connect();
    create(&conn, "p", "");
    create(&conn, "q", "");
    for id in 0..500 {
        insert(&conn, "q", id).unwrap();
    }
    let mut id = 0;
    let error = loop {
        match insert(&conn, "p", id) {
            Ok(_) => id += 1,
            Err(error) => break error,
        }
        assert!(id < 1_000_000, "the budget never stopped the inserts");
    };
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    // "full" unless the refused write's undoing left a page empty and gave it back (its
    // retry, or the collector, may have): then rows still fill the evict mark.
    let after_refusal = level(&conn);
    assert!(
        ["full", "evict"].contains(&after_refusal.as_str()),
        "{after_refusal}"
    );
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), 1);
    // Later writes are refused too. Some may fit first, in memory a refused write reclaims
    // before its retry: version headers the collector gave back when it froze the rows
    // inserted last, what a refused predecessor's undoing freed. Each refused statement
    // counts once.
    let mut refused = 1;
    let mut fitted = 0;
    let rows_at_first_refusal = id;
    while refused < 4 {
        match insert(&conn, "p", id) {
            Ok(_) => {
                id += 1;
                fitted += 1;
                assert!(
                    fitted <= rows_at_first_refusal / 4,
                    "writes kept fitting at the budget"
                );
            }
            Err(error) => {
                assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
                refused += 1;
            }
        }
    }
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), 4);
    // Reads go on.
    assert_eq!(int(&conn, "SELECT count(*) FROM p"), id);
    assert_eq!(
        int(&conn, "SELECT v = printf('%0200d', 7) FROM p WHERE id = 7"),
        1
    );
    // Deletes and DROP TABLE always run, in a transaction as well.
    assert_eq!(
        conn.execute("DELETE FROM p WHERE id % 2 = 0", ()).unwrap() as i64,
        (id + 1) / 2
    );
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("DELETE FROM p WHERE id < 100", ()).unwrap();
    conn.execute("DELETE FROM q WHERE id < 100", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    conn.execute("DROP TABLE q", ()).unwrap();
    conn.execute("DELETE FROM p", ()).unwrap();
    assert_eq!(int(&conn, "SELECT count(*) FROM p"), 0);
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), 4);
    // Once the collector gave the memory back, writes go in again.
    conn.execute("VACUUM", ()).unwrap();
    wait_until("writes go in again", || {
        insert(&conn, "p", 5_000_000).is_ok()
    });
    assert_ne!(level(&conn), "full");
}

/// A write that meets the full budget while deleted rows' memory waits for its deferred
/// frees (a pinned reader, or a collector thread lagging on a busy machine) reclaims that
/// memory and runs again, instead of failing; it counts as rejected only if it fails again.
#[test]
fn a_write_at_the_full_budget_waits_for_the_frees_of_rows_already_deleted() {
    let budget = 2 * MIB;
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(budget as u64));
    let conn = db.connect();
    create(&conn, "p", "");
    let mut id = 0;
    while insert(&conn, "p", id).is_ok() {
        id += 1;
        assert!(id < 1_000_000, "the budget never stopped the inserts");
    }
    conn.execute("VACUUM", ()).unwrap();
    let rejected = stat(&conn, "writes_rejected_by_pressure");
    assert!(rejected >= 1);
    // Another thread holds an epoch pin, so the frees of the rows deleted next stay
    // deferred, until it sees this statement's first run refused.
    let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
    let pin_holder = {
        let db = db.clone();
        std::thread::spawn(move || {
            let conn = db.connect();
            let guard = crossbeam_epoch::pin();
            pinned_tx.send(()).unwrap();
            let deadline = Instant::now() + Duration::from_secs(60);
            while stat(&conn, "writes_rejected_by_pressure") == rejected {
                assert!(
                    Instant::now() < deadline,
                    "the write never met the full budget"
                );
                std::thread::sleep(Duration::from_millis(2));
            }
            drop(guard);
        })
    };
    pinned_rx.recv().unwrap();
    let freed = stat(&conn, "gc_versions_freed");
    conn.execute("DELETE FROM p WHERE id % 2 = 0", ()).unwrap();
    wait_until("the collector retired the deleted rows", || {
        stat(&conn, "gc_versions_freed") >= freed + (id + 1) / 2
    });
    // Their memory is still held (the frees wait for the pin): without a reclaim, the
    // first insert fails.
    let mut inserted = 0;
    while inserted < 10 {
        insert(&conn, "p", 1_000_000 + inserted).unwrap();
        inserted += 1;
    }
    pin_holder.join().unwrap();
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), rejected);
    assert_eq!(int(&conn, "SELECT count(*) FROM p"), id / 2 + 10);
}

#[test]
fn many_writers_against_two_cache_tables_and_a_plain_table_stay_within_the_budget() {
    const CACHE_WRITERS: i64 = 2;
    const CACHE_ROWS_EACH: i64 = 6000;
    const PLAIN_ROWS: i64 = 3000;
    let budget = 6 * MIB;
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(budget as u64));
    let conn = db.connect();
    create(
        &conn,
        "lru",
        "WITH (max_memory = '1GB', on_full = 'evict_lru')",
    );
    create(
        &conn,
        "lfu",
        "WITH (max_memory = '1GB', on_full = 'evict_lfu')",
    );
    create(&conn, "plain", "");
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicI64::new(0));
    let sampler = {
        let (db, done, most) = (db.clone(), Arc::clone(&done), Arc::clone(&most));
        std::thread::spawn(move || {
            let conn = db.connect();
            while !done.load(Ordering::Relaxed) {
                most.fetch_max(stat(&conn, "memory_used_bytes"), Ordering::Relaxed);
                std::thread::sleep(Duration::from_millis(1));
            }
        })
    };
    let mut writers = Vec::new();
    for table in ["lru", "lfu"] {
        for thread in 0..CACHE_WRITERS {
            let db = db.clone();
            writers.push(std::thread::spawn(move || {
                let conn = db.connect();
                let mut written = 0;
                let mut rejected = 0;
                for i in 0..CACHE_ROWS_EACH {
                    let id = thread * 1_000_000 + i;
                    if i % 3 == 0 {
                        conn.query_value::<i64>(
                            &format!("SELECT count(*) FROM {table} WHERE id = ?"),
                            (id - 5,),
                        )
                        .unwrap();
                    }
                    match insert(&conn, table, id) {
                        Ok(_) => written += 1,
                        Err(error) if error.kind() == ErrorKind::MemoryBudget => rejected += 1,
                        Err(error) => panic!("{table}: {error}"),
                    }
                }
                (table, written, rejected)
            }));
        }
    }
    let plain_writer = {
        let db = db.clone();
        std::thread::spawn(move || {
            let conn = db.connect();
            let mut rejected = Vec::new();
            for id in 0..PLAIN_ROWS {
                if let Err(error) = insert(&conn, "plain", id) {
                    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
                    rejected.push(error.message().to_string());
                }
            }
            rejected
        })
    };
    let mut written = std::collections::HashMap::new();
    let mut cache_rejected = 0;
    for writer in writers {
        let (table, rows, rejected) = writer.join().unwrap();
        *written.entry(table).or_insert(0) += rows;
        cache_rejected += rejected;
    }
    let plain_rejected = plain_writer.join().unwrap();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let conn = db.connect();
    // Memory never passed the budget by more than the charges that cannot fail (index
    // entries of admitted writes, headers of deletes: an evicting commit's deletes alone
    // may charge up to 4,096 headers, 3% of this budget).
    let most = most.load(Ordering::Relaxed);
    assert!(most <= budget + budget / 25, "{most} of {budget}");
    // The plain table's data fits under the evict mark: while the cache tables had rows to
    // evict, none of its writes was rejected.
    assert!(plain_rejected.is_empty(), "{plain_rejected:?}");
    assert_eq!(int(&conn, "SELECT count(*) FROM plain"), PLAIN_ROWS);
    let mut evicted_total = 0;
    for table in ["lru", "lfu"] {
        let rows = int(&conn, &format!("SELECT count(*) FROM {table}"));
        let evicted = table_stat(&conn, table, "rows_evicted");
        assert_eq!(
            rows + evicted,
            written[table],
            "{table}: {rows} + {evicted}"
        );
        assert!(evicted > 0, "{table}: nothing evicted");
        evicted_total += evicted;
    }
    assert_eq!(stat(&conn, "rows_evicted_by_pressure"), evicted_total);
    assert_eq!(stat(&conn, "writes_rejected_by_pressure"), cache_rejected);
}
