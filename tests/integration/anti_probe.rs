//! The anti join's index probe (`AntiIndexJoin` over a secondary index: `u LEFT JOIN t ON
//! t.a = u.k WHERE t.id IS NULL`) stops at the first right row that joins. These tests pin
//! what "joins" must mean for it: a row the snapshot sees, whose key is the probed one now
//! (not a stale index entry left by an UPDATE or DELETE), that passes the ON terms, in the
//! open transaction (its own writes) and under concurrent writers. Every answer is checked
//! against one computed here from a full scan of both tables in the same transaction,
//! through the collecting (pushed) and the lazy (pulled) drivers.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, ErrorKind, Value};

/// The anti join, its plan pinned below: u rows with no t row under `t.a = u.k`.
const ANTI: &str = "SELECT u.id FROM u LEFT JOIN t ON t.a = u.k WHERE t.id IS NULL";
/// The same with an ON term over both sides (the join's condition, checked per row).
const ANTI_ON: &str =
    "SELECT u.id FROM u LEFT JOIN t ON t.a = u.k AND t.b > u.m WHERE t.id IS NULL";

fn setup() -> Database {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER);
             CREATE INDEX t_a ON t(a);
             CREATE TABLE u(id INTEGER PRIMARY KEY, k INTEGER, m INTEGER);
             INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
                 WHERE i < 3000) SELECT 10000 + i, 10000 + i, 0 FROM c;",
        )
        .unwrap();
    db
}

/// Asserts that `sql` runs as an anti join probing `t_a` (t's rows far outnumber u's, and
/// the rows the tests add never reach its filler keys).
fn assert_probes(conn: &Connection, sql: &str) {
    let plan: Vec<String> = conn
        .query(&format!("EXPLAIN {sql}"), ())
        .unwrap()
        .values()
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect();
    assert!(
        plan.iter()
            .any(|line| line.contains("AntiIndexJoin t using t_a")),
        "{sql}: {plan:?}"
    );
}

fn ids(rows: &ember::RowSet) -> BTreeSet<i64> {
    rows.values()
        .iter()
        .map(|row| match row[0] {
            Value::Integer(id) => id,
            ref other => panic!("id {other:?}"),
        })
        .collect()
}

/// The u ids the anti join keeps, from full scans of both tables (`with_on`: `ANTI_ON`).
fn expected(conn: &Connection, with_on: bool) -> BTreeSet<i64> {
    let rows = |sql| conn.query(sql, ()).unwrap().values().to_vec();
    let t: Vec<(Option<i64>, i64)> = rows("SELECT a, b FROM t")
        .into_iter()
        .map(|row| match (&row[0], &row[1]) {
            (Value::Integer(a), Value::Integer(b)) => (Some(*a), *b),
            (Value::Null, Value::Integer(b)) => (None, *b),
            other => panic!("t row {other:?}"),
        })
        .collect();
    rows("SELECT id, k, m FROM u")
        .into_iter()
        .filter_map(|row| {
            let (Value::Integer(id), Value::Integer(k), Value::Integer(m)) =
                (&row[0], &row[1], &row[2])
            else {
                panic!("u row {row:?}")
            };
            let joins = t
                .iter()
                .any(|&(a, b)| a == Some(*k) && (!with_on || b > *m));
            (!joins).then_some(*id)
        })
        .collect()
}

/// The anti join's answer through the collecting driver and through a lazy cursor (the
/// pulled operator); both must be `expected`'s.
fn check(conn: &Connection, context: &str) {
    for (sql, with_on) in [(ANTI, false), (ANTI_ON, true)] {
        assert_probes(conn, sql);
        let want = expected(conn, with_on);
        assert_eq!(ids(&conn.query(sql, ()).unwrap()), want, "{context}: {sql}");
        let mut statement = conn.prepare(&format!("{sql} ORDER BY u.id")).unwrap();
        let pulled: BTreeSet<i64> = statement
            .query(())
            .unwrap()
            .map(|row| row.unwrap().get::<i64>(0).unwrap())
            .collect();
        assert_eq!(pulled, want, "{context}: {sql} (lazy)");
    }
}

/// Keys whose first index entry is one the snapshot does not see, with a later one it sees
/// (in both orders of insertion, whichever order the probe meets them in), keys whose only
/// rows are invisible, and stale entries left by committed UPDATEs and DELETEs.
#[test]
fn the_first_visible_row_under_the_probed_key_decides() {
    let db = setup();
    let writer = db.connect();
    writer
        .execute_batch(
            "INSERT INTO u VALUES (1, 5, 0), (2, 6, 0), (3, 7, 0), (4, 8, 0), (5, 9, 0),
                                  (6, 10, 0), (7, 11, 50), (8, 12, 0);
             INSERT INTO t VALUES (100, 5, 1);
             INSERT INTO t VALUES (101, 6, 1);
             DELETE FROM t WHERE id = 101;
             INSERT INTO t VALUES (102, 6, 1);
             INSERT INTO t VALUES (103, 9, 1);
             UPDATE t SET a = 8 WHERE id = 103;
             INSERT INTO t VALUES (104, 10, 1), (105, 10, 1);
             DELETE FROM t WHERE id = 104;
             INSERT INTO t VALUES (106, 11, 10), (107, 11, 60), (108, 11, 20);",
        )
        .unwrap();
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    check(&reader, "before the concurrent writes");
    // Committed after the reader's snapshot: invisible to it.
    writer
        .execute_batch(
            "INSERT INTO t VALUES (200, 5, 1);
             INSERT INTO t VALUES (201, 7, 1);
             DELETE FROM t WHERE id = 102;
             UPDATE t SET a = 12 WHERE id = 100;
             UPDATE t SET b = 0 WHERE id = 107;",
        )
        .unwrap();
    check(&reader, "a snapshot older than the writes");
    let kept = ids(&reader.query(ANTI, ()).unwrap());
    assert_eq!(kept, BTreeSet::from([3, 5, 8]), "7 and 12 come later");
    reader.execute("COMMIT", ()).unwrap();
    check(&reader, "after the writes");
    assert_eq!(
        ids(&reader.query(ANTI, ()).unwrap()),
        BTreeSet::from([2, 5]),
        "102 deleted; 200, 201 and 100 (moved to 12) match"
    );
    assert_eq!(
        ids(&reader.query(ANTI_ON, ()).unwrap()),
        BTreeSet::from([2, 5, 7]),
        "107 no longer has b > 50"
    );
}

/// The open transaction's own writes: rows it inserted, moved and deleted are probed as it
/// sees them, before and after a savepoint is rolled back.
#[test]
fn the_open_transaction_probes_its_own_writes() {
    let db = setup();
    let conn = db.connect();
    conn.execute_batch(
        "INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1
                 FROM c WHERE i < 40) SELECT i, i % 7, i % 3 FROM c;
         INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1
                 FROM c WHERE i < 30) SELECT i, i % 5, i % 4 FROM c;",
    )
    .unwrap();
    check(&conn, "committed rows");
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("UPDATE t SET a = a + 2 WHERE a = 4", ())
        .unwrap();
    check(&conn, "moved in the transaction");
    conn.execute("DELETE FROM t WHERE a = 1", ()).unwrap();
    check(&conn, "deleted in the transaction");
    conn.execute("SAVEPOINT s", ()).unwrap();
    conn.execute("UPDATE t SET a = 1, b = 3 WHERE id IN (2, 3)", ())
        .unwrap();
    conn.execute("INSERT INTO t VALUES (99, 3, 0)", ()).unwrap();
    check(&conn, "inside the savepoint");
    conn.execute("ROLLBACK TO s", ()).unwrap();
    check(&conn, "after ROLLBACK TO");
    conn.execute("COMMIT", ()).unwrap();
    check(&conn, "committed");
    // Another connection sees the same.
    check(&db.connect(), "another connection");
}

/// Writers move rows between keys and delete and insert them while readers run the anti
/// join in transactions of their own: each reader's answer must be the one a full scan
/// gives in the same snapshot.
#[test]
fn concurrent_writers_never_show_a_reader_a_wrong_first_match() {
    let db = setup();
    db.connect()
        .execute_batch(
            "INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1
                 FROM c WHERE i < 200) SELECT i, i % 40, i % 5 FROM c;
             INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1
                 FROM c WHERE i < 120) SELECT i, i % 30, i % 7 FROM c;",
        )
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2)
        .map(|w| {
            let db = db.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut step = 0i64;
                let mut committed = 0;
                while !stop.load(Ordering::Relaxed) && step < 2_000 {
                    step += 1;
                    let id = (step * 7 + w * 13) % 120 + 1;
                    let sql = match step % 4 {
                        0 => format!("UPDATE t SET a = (a + {step}) % 45 WHERE id = {id}"),
                        1 => format!("DELETE FROM t WHERE id = {id}"),
                        2 => format!(
                            "INSERT OR REPLACE INTO t VALUES ({id}, {}, {})",
                            step % 40,
                            step % 7
                        ),
                        _ => format!("UPDATE t SET b = b + 1, a = NULL WHERE id = {id}"),
                    };
                    match conn.execute(&sql, ()) {
                        Ok(_) => committed += 1,
                        Err(e)
                            if matches!(
                                e.kind(),
                                ErrorKind::SerializationConflict | ErrorKind::Busy
                            ) => {}
                        Err(e) => panic!("{sql}: {e}"),
                    }
                }
                committed
            })
        })
        .collect();
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let db = db.clone();
            std::thread::spawn(move || {
                let conn = db.connect();
                for round in 0..40 {
                    conn.execute("BEGIN", ()).unwrap();
                    check(&conn, &format!("round {round}"));
                    conn.execute("COMMIT", ()).unwrap();
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let committed: usize = writers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(committed > 0, "the writers wrote nothing");
    check(&db.connect(), "at the end");
}
