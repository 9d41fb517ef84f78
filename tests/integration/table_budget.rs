//! Per-table budgets and cache tables (`WITH (max_memory = .., on_full = ..)`): `reject`
//! fails the write with `MemoryBudget` naming the table and changes nothing; the evicting
//! policies delete rows inside the writing commit so the table's bytes stay within its
//! budget (`evict_lru` keeps a row read often, `evict_lfu` a row read most, `evict_ttl`
//! evicts expiring rows before rows that never expire); evictions are logged deletes, so a
//! reopened database holds the same rows; `ember_tables` shows bytes, budget, policy,
//! evictions and hit/miss counts; many threads writing into a cache table keep it within
//! its budget with consistent counts.

use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use std::sync::Arc;

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind};

const BUDGET: i64 = 64 * 1024;

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ()).unwrap()
}

fn table_stat(conn: &Connection, table: &str, column: &str) -> i64 {
    int(
        conn,
        &format!("SELECT {column} FROM ember_tables WHERE name = '{table}'"),
    )
}

fn cache_table(conn: &Connection, policy: &str) {
    conn.execute(
        &format!(
            "CREATE TABLE c(id INTEGER PRIMARY KEY, v TEXT) \
             WITH (max_memory = '64kB', on_full = '{policy}')"
        ),
        (),
    )
    .unwrap();
}

fn insert(conn: &Connection, id: i64) -> ember::Result<usize> {
    conn.execute("INSERT INTO c VALUES (?, printf('%0100d', ?))", (id, id))
}

#[test]
fn reject_fails_the_write_naming_the_table_and_changes_nothing() {
    let db = Database::in_memory();
    let conn = db.connect();
    cache_table(&conn, "reject");
    let mut id = 0;
    let error = loop {
        match insert(&conn, id) {
            Ok(_) => id += 1,
            Err(error) => break error,
        }
        assert!(id < 100_000, "the budget never stopped the writes");
    };
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert!(error.message().contains("table c"), "{error}");
    assert!(error.message().contains("max_memory"), "{error}");
    assert!(id > 100, "{id} rows fit in 64 kB");
    assert_eq!(int(&conn, "SELECT count(*) FROM c"), id);
    let bytes = table_stat(&conn, "c", "bytes");
    assert!(bytes <= BUDGET, "{bytes}");
    // An explicit transaction that passes the budget fails at COMMIT, committing nothing.
    conn.execute("DELETE FROM c WHERE id < 10", ()).unwrap();
    conn.execute("BEGIN", ()).unwrap();
    for extra in 0..50 {
        insert(&conn, 1_000_000 + extra).unwrap();
    }
    let error = conn.execute("COMMIT", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget);
    assert_eq!(int(&conn, "SELECT count(*) FROM c"), id - 10);
    // Deletes are always allowed, and free room for new writes.
    conn.execute("DELETE FROM c", ()).unwrap();
    assert_eq!(table_stat(&conn, "c", "bytes"), 0);
    insert(&conn, 1).unwrap();
    assert_eq!(table_stat(&conn, "c", "rows_evicted"), 0);
}

#[test]
fn bytes_follow_inserts_updates_and_deletes() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE p(id INTEGER PRIMARY KEY, v TEXT)", ())
        .unwrap();
    conn.execute("INSERT INTO p VALUES (1, 'short')", ())
        .unwrap();
    let one = table_stat(&conn, "p", "bytes");
    assert!(one > 0);
    conn.execute("UPDATE p SET v = printf('%0500d', 1)", ())
        .unwrap();
    assert!(table_stat(&conn, "p", "bytes") > one + 400);
    conn.execute("UPDATE p SET v = 'short'", ()).unwrap();
    assert_eq!(table_stat(&conn, "p", "bytes"), one);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO p VALUES (2, 'short')", ())
        .unwrap();
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(table_stat(&conn, "p", "bytes"), one);
    conn.execute("DELETE FROM p", ()).unwrap();
    assert_eq!(table_stat(&conn, "p", "bytes"), 0);
}

/// Fills a 64 kB cache table with 3000 rows of ~100 bytes while reading row 0 before every
/// insert; row 0 must survive, the bytes stay within the budget and every row is either
/// present or counted as evicted.
fn hot_row_survives(policy: &str) {
    let db = Database::in_memory();
    let conn = db.connect();
    cache_table(&conn, policy);
    insert(&conn, 0).unwrap();
    for id in 1..3000 {
        let v: String = conn
            .query_value("SELECT v FROM c WHERE id = 0", ())
            .unwrap();
        assert_eq!(v.len(), 100);
        insert(&conn, id).unwrap();
        assert!(table_stat(&conn, "c", "bytes") <= BUDGET);
    }
    let rows = int(&conn, "SELECT count(*) FROM c");
    let evicted = table_stat(&conn, "c", "rows_evicted");
    assert!(rows > 100 && rows < 3000, "{rows}");
    assert_eq!(rows + evicted, 3000);
    assert_eq!(table_stat(&conn, "c", "hits"), 2999);
    conn.query_value::<i64>("SELECT count(*) FROM c WHERE id = 5000", ())
        .unwrap();
    assert_eq!(table_stat(&conn, "c", "misses"), 1);
    assert_eq!(table_stat(&conn, "c", "max_memory"), BUDGET);
    let policy_shown: String = conn
        .query_value("SELECT on_full FROM ember_tables WHERE name = 'c'", ())
        .unwrap();
    assert_eq!(policy_shown, policy);
    assert_eq!(
        int(&conn, "SELECT count(*) FROM c WHERE id = 0"),
        1,
        "{policy}"
    );
}

#[test]
fn evict_lru_keeps_a_row_read_often_within_the_budget() {
    hot_row_survives("evict_lru");
}

#[test]
fn evict_lfu_keeps_a_row_read_often_within_the_budget() {
    hot_row_survives("evict_lfu");
}

#[test]
fn evict_ttl_evicts_expiring_rows_before_rows_that_never_expire() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE c(id INTEGER PRIMARY KEY, v TEXT, expires INTEGER) \
         WITH (expire_at = expires, max_memory = '64kB', on_full = 'evict_ttl')",
        (),
    )
    .unwrap();
    for id in 0..2000i64 {
        // Every tenth row never expires; the others expire far in the future.
        let expires = (id % 10 != 0).then_some(4_000_000_000 + id);
        conn.execute(
            "INSERT INTO c VALUES (?, printf('%0100d', ?), ?)",
            (id, id, expires),
        )
        .unwrap();
    }
    assert!(table_stat(&conn, "c", "bytes") <= BUDGET);
    assert!(table_stat(&conn, "c", "rows_evicted") > 1000);
    assert_eq!(
        int(&conn, "SELECT count(*) FROM c WHERE expires IS NULL"),
        200,
        "rows that never expire go last"
    );
}

#[test]
fn alter_table_sets_a_budget_that_the_next_write_keeps() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE c(id INTEGER PRIMARY KEY, v TEXT)", ())
        .unwrap();
    for id in 0..2000 {
        insert(&conn, id).unwrap();
    }
    assert!(table_stat(&conn, "c", "bytes") > BUDGET);
    let error = conn
        .execute(
            "ALTER TABLE c SET (max_memory = '64kB', on_full = 'evict_ttl')",
            (),
        )
        .unwrap_err();
    assert!(error.message().contains("expire_at"), "{error}");
    conn.execute(
        "ALTER TABLE c SET (max_memory = '64kB', on_full = 'evict_lru')",
        (),
    )
    .unwrap();
    insert(&conn, 5000).unwrap();
    assert!(table_stat(&conn, "c", "bytes") <= BUDGET);
    assert_eq!(int(&conn, "SELECT count(*) FROM c WHERE id = 5000"), 1);
    conn.execute("ALTER TABLE c SET (max_memory = NULL, on_full = NULL)", ())
        .unwrap();
    for id in 6000..7000 {
        insert(&conn, id).unwrap();
    }
    assert!(table_stat(&conn, "c", "bytes") > BUDGET);
}

#[test]
fn a_reopened_database_holds_the_same_rows_after_evictions() {
    let dir = TempDir::new("reopen");
    let before: Vec<i64> = {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        cache_table(&conn, "evict_lfu");
        for id in 0..2000 {
            if id % 3 == 0 {
                conn.query_value::<i64>("SELECT count(*) FROM c WHERE id = ?", (id / 2,))
                    .unwrap();
            }
            insert(&conn, id).unwrap();
        }
        ids(&conn)
    };
    assert!(before.len() < 2000);
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(ids(&conn), before);
    assert!(table_stat(&conn, "c", "bytes") <= BUDGET);
    let policy: String = conn
        .query_value("SELECT on_full FROM ember_tables WHERE name = 'c'", ())
        .unwrap();
    assert_eq!(policy, "evict_lfu");
}

fn ids(conn: &Connection) -> Vec<i64> {
    conn.query("SELECT id FROM c ORDER BY id", ())
        .unwrap()
        .values()
        .iter()
        .map(|row| match row[0] {
            ember::Value::Integer(id) => id,
            ref other => panic!("{other:?}"),
        })
        .collect()
}

#[test]
fn many_writers_keep_a_cache_table_within_its_budget() {
    const THREADS: i64 = 4;
    const ROWS_EACH: i64 = 600;
    let db = Database::in_memory();
    cache_table(&db.connect(), "evict_lru");
    let done = Arc::new(AtomicBool::new(false));
    let most = Arc::new(AtomicI64::new(0));
    let sampler = {
        let (db, done, most) = (db.clone(), Arc::clone(&done), Arc::clone(&most));
        std::thread::spawn(move || {
            let conn = db.connect();
            while !done.load(Ordering::Relaxed) {
                most.fetch_max(table_stat(&conn, "c", "bytes"), Ordering::Relaxed);
                std::thread::yield_now();
            }
        })
    };
    let writers: Vec<_> = (0..THREADS)
        .map(|thread| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut written = 0;
                for i in 0..ROWS_EACH {
                    let id = thread * 1_000_000 + i;
                    conn.query_value::<i64>("SELECT count(*) FROM c WHERE id = ?", (id - 7,))
                        .unwrap();
                    // A conflict on a victim another writer claimed is retried.
                    for _attempt in 0..100 {
                        match insert(&conn, id) {
                            Ok(_) => {
                                written += 1;
                                break;
                            }
                            Err(error) if error.kind() == ErrorKind::SerializationConflict => {}
                            Err(error) => panic!("{error}"),
                        }
                    }
                }
                written
            })
        })
        .collect();
    let written: i64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    done.store(true, Ordering::Relaxed);
    sampler.join().unwrap();
    let conn = db.connect();
    assert_eq!(written, THREADS * ROWS_EACH);
    let rows = int(&conn, "SELECT count(*) FROM c");
    assert_eq!(rows + table_stat(&conn, "c", "rows_evicted"), written);
    let most = most.load(Ordering::Relaxed);
    assert!(most <= BUDGET + BUDGET / 20, "{most}");
    assert!(table_stat(&conn, "c", "bytes") <= BUDGET);
}
