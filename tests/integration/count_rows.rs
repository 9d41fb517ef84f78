//! `SELECT count(*) FROM t` answered from the table's count of committed rows (no walk):
//! the same answer a walk gives (`count(1)`, which walks) after every kind of write, inside
//! transactions with their own writes and savepoints, for a snapshot older than the last
//! commit, AS OF, with row expiry, after a column is dropped (the table rebuilt), after a
//! reopen, and while writers commit on other threads; shapes that need a walk still walk.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database};

use crate::support::TempDir;

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// The count `count(*)` gives, checked against a walk.
fn counted(conn: &Connection, table: &str) -> i64 {
    let fast = int(conn, &format!("SELECT count(*) FROM {table}"));
    let walked = int(conn, &format!("SELECT count(1) FROM {table}"));
    assert_eq!(fast, walked, "count(*) of {table}");
    fast
}

#[test]
fn every_kind_of_write_keeps_the_count() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE);
         CREATE TABLE h(a INT, b INT);",
    )
    .unwrap();
    assert_eq!(counted(&conn, "t"), 0);
    conn.execute_batch(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 500)
         INSERT INTO t SELECT i, 'v' || i FROM n;
         INSERT INTO h SELECT id % 7, id FROM t;",
    )
    .unwrap();
    assert_eq!(counted(&conn, "t"), 500);
    assert_eq!(counted(&conn, "h"), 500);
    let steps = [
        "DELETE FROM t WHERE id % 5 = 0",
        "UPDATE t SET v = v || 'x' WHERE id < 100",
        "UPDATE t SET id = id + 10000 WHERE id BETWEEN 200 AND 220",
        "INSERT OR REPLACE INTO t VALUES (1, 'v2')",
        "INSERT INTO t VALUES (7, 'new') ON CONFLICT(id) DO UPDATE SET v = 'upserted'",
        "INSERT INTO t VALUES (5, 'five') ON CONFLICT(id) DO NOTHING",
        "INSERT OR IGNORE INTO t VALUES (3, 'ignored'), (100000, 'kept')",
        "DELETE FROM h WHERE a = 3",
        "UPDATE h SET b = -b",
        "DELETE FROM t",
        "INSERT INTO t VALUES (1, 'again')",
    ];
    for step in steps {
        conn.execute(step, ())
            .unwrap_or_else(|e| panic!("{step}: {e}"));
        counted(&conn, "t");
        counted(&conn, "h");
    }
    assert_eq!(counted(&conn, "t"), 1);
    // A failed statement changes nothing.
    conn.execute("INSERT INTO t VALUES (2, 'x'), (1, 'dup')", ())
        .unwrap_err();
    assert_eq!(counted(&conn, "t"), 1);
    // Bare columns and GROUP BY still read rows.
    assert_eq!(int(&conn, "SELECT count(*) + id FROM t"), 2);
    assert_eq!(
        int(
            &conn,
            "SELECT count(*) FROM (SELECT a, count(*) FROM h GROUP BY a)"
        ),
        6
    );
}

#[test]
fn a_transaction_counts_its_own_writes_and_its_snapshot() {
    let db = Database::in_memory();
    let conn = db.connect();
    let other = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO t SELECT i, i FROM n;",
    )
    .unwrap();
    conn.execute_batch(
        "BEGIN; INSERT INTO t VALUES (1000, 0); DELETE FROM t WHERE id <= 10;
         UPDATE t SET v = 1 WHERE id = 50;",
    )
    .unwrap();
    assert_eq!(counted(&conn, "t"), 91);
    conn.execute_batch("SAVEPOINT s; DELETE FROM t WHERE id > 50;")
        .unwrap();
    assert_eq!(counted(&conn, "t"), 40);
    conn.execute_batch("ROLLBACK TO s;").unwrap();
    assert_eq!(counted(&conn, "t"), 91);
    // Another connection commits: this snapshot does not see it.
    other
        .execute("INSERT INTO t VALUES (2000, 0), (2001, 0)", ())
        .unwrap();
    assert_eq!(counted(&other, "t"), 102);
    assert_eq!(counted(&conn, "t"), 91);
    conn.execute_batch("ROLLBACK;").unwrap();
    assert_eq!(counted(&conn, "t"), 102);
    // A reader that began before a commit keeps its count.
    conn.execute_batch("BEGIN; SELECT count(*) FROM t;")
        .unwrap();
    other.execute("DELETE FROM t WHERE id > 90", ()).unwrap();
    assert_eq!(counted(&conn, "t"), 102);
    conn.execute_batch("COMMIT;").unwrap();
    assert_eq!(counted(&conn, "t"), 90);
}

#[test]
fn as_of_expiry_rebuild_and_reopen_count_what_a_walk_counts() {
    let dir = TempDir::new("count-rows");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT, w TEXT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300)
             INSERT INTO t SELECT i, i, 'w' FROM n;",
        )
        .unwrap();
        conn.execute("PRAGMA history_retention = '10 minutes'", ())
            .unwrap();
        let before = int(&conn, "SELECT read_ts FROM ember_stats");
        conn.execute("DELETE FROM t WHERE id > 200", ()).unwrap();
        assert_eq!(counted(&conn, "t"), 200);
        assert_eq!(
            int(
                &conn,
                &format!("SELECT count(*) FROM t FOR SYSTEM_TIME AS OF {before}")
            ),
            300
        );
        conn.execute("ALTER TABLE t DROP COLUMN w", ()).unwrap();
        assert_eq!(counted(&conn, "t"), 200);
        conn.execute("DELETE FROM t WHERE id <= 20", ()).unwrap();
        assert_eq!(counted(&conn, "t"), 180);
        // Rows past their expiry are not counted (the scan keeps its expiry filter).
        conn.execute_batch(
            "CREATE TABLE s(id INTEGER PRIMARY KEY, expires INTEGER) WITH (expire_at = expires);
             INSERT INTO s VALUES (1, 1), (2, NULL), (3, 4102444800);",
        )
        .unwrap();
        assert_eq!(counted(&conn, "s"), 2);
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(counted(&conn, "t"), 180);
    conn.execute("INSERT INTO t VALUES (1, 1)", ()).unwrap();
    assert_eq!(counted(&conn, "t"), 181);
    assert_eq!(counted(&conn, "s"), 2);
}

#[test]
fn filters_distinct_and_bare_columns_still_walk() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 100)
         INSERT INTO t SELECT i, i % 10 FROM n;",
    )
    .unwrap();
    assert_eq!(int(&conn, "SELECT count(*) FROM t WHERE v > 5"), 40);
    assert_eq!(
        int(&conn, "SELECT count(*) FROM t WHERE id BETWEEN 5 AND 14"),
        10
    );
    assert_eq!(
        int(&conn, "SELECT count(*) FILTER (WHERE v = 0) FROM t"),
        10
    );
    assert_eq!(int(&conn, "SELECT count(DISTINCT v) FROM t"), 10);
    assert_eq!(
        int(&conn, "SELECT count(*) * 1000 + max(v) FROM t"),
        100_009
    );
    // A bare column reads the first row (id 1, v 1), as SQLite's does.
    assert_eq!(int(&conn, "SELECT v + count(*) FROM t"), 101);
    assert_eq!(
        int(
            &conn,
            "SELECT count(*) FROM t GROUP BY v ORDER BY 1 LIMIT 1"
        ),
        10
    );
    assert_eq!(int(&conn, "SELECT count(*) FROM t, t AS u"), 10_000);
    assert_eq!(
        int(
            &conn,
            "SELECT (SELECT count(*) FROM t) - count(*) FROM t WHERE v = 1"
        ),
        90
    );
}

/// Writers insert and delete on three threads; readers check in one transaction each that
/// `count(*)` equals a walk and that the sum of the writers' balances holds.
#[test]
fn counts_stay_exact_while_writers_commit() {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v INT);
             WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000)
             INSERT INTO t SELECT i, i FROM n;",
        )
        .unwrap();
    let done = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|thread| {
            let conn = db.connect();
            std::thread::spawn(move || {
                for round in 0..200i64 {
                    let id = 10_000 + thread * 1_000 + round;
                    // One insert and (every other round) one delete per commit.
                    let sql = if round % 2 == 0 {
                        let gone = thread * 300 + round / 2 + 1;
                        format!(
                            "BEGIN; INSERT INTO t VALUES ({id}, 0);
                             DELETE FROM t WHERE id = {gone}; COMMIT;"
                        )
                    } else {
                        format!("INSERT INTO t VALUES ({id}, 0)")
                    };
                    if conn.execute_batch(&sql).is_err() {
                        let _ = conn.execute_batch("ROLLBACK");
                    }
                }
            })
        })
        .collect();
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let conn = db.connect();
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut checks = 0;
                while !done.load(Ordering::Relaxed) || checks == 0 {
                    conn.execute_batch("BEGIN").unwrap();
                    counted(&conn, "t");
                    conn.execute_batch("COMMIT").unwrap();
                    checks += 1;
                }
                checks
            })
        })
        .collect();
    for writer in writers {
        writer.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    let conn = db.connect();
    // 1000 rows, 600 inserted, 300 deleted (ids 1..=900 exist, so every delete found a row).
    assert_eq!(counted(&conn, "t"), 1300);
}
