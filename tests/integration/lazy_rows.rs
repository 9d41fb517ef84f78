//! `Statement::query`'s lazy `Rows` and `query_map`'s `MappedRows`:
//! rows are computed only as they are pulled, dropping them stops the query and lets its
//! snapshot go, autocommit reads see one snapshot while other statements run between rows,
//! reads in an explicit transaction end with it, interrupts and errors end the rows, and
//! statements other than queries run whole at the start. Memory over 5M rows: the
//! `lazy_rows` test binary (tests/bounds/lazy_rows.rs).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ember::{Database, ErrorKind, FunctionFlags};

fn numbers(conn: &ember::Connection, rows: i64) {
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, v INT)", ())
        .unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    for id in 1..=rows {
        insert.execute((id, id * 10)).unwrap();
    }
}

fn active_snapshots(conn: &ember::Connection) -> i64 {
    conn.query_value("SELECT active_snapshots FROM ember_stats", ())
        .unwrap()
}

#[test]
fn rows_are_computed_only_as_far_as_they_are_read() {
    let db = Database::in_memory();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    db.create_scalar_function("counted", 1, FunctionFlags::NONE, move |ctx| {
        counted.fetch_add(1, Ordering::Relaxed);
        ctx.get::<i64>(0)
    })
    .unwrap();
    let conn = db.connect();
    numbers(&conn, 10_000);
    let mut statement = conn.prepare("SELECT counted(v) FROM t").unwrap();
    let mut rows = statement.query(()).unwrap();
    let firsts: Vec<i64> = (0..3)
        .map(|_| rows.next().unwrap().unwrap().get(0).unwrap())
        .collect();
    assert_eq!(firsts, [10, 20, 30]);
    assert_eq!(
        calls.load(Ordering::Relaxed),
        3,
        "only the rows read were computed"
    );
    drop(rows);
    assert_eq!(
        calls.load(Ordering::Relaxed),
        3,
        "dropping the rows stops the query"
    );
    // The same statement runs again from the start, and to the end.
    let sum: i64 = statement
        .query_map((), |row| row.get::<i64>(0))
        .unwrap()
        .sum::<ember::Result<i64>>()
        .unwrap();
    assert_eq!(sum, (1..=10_000).map(|id| id * 10).sum::<i64>());
    assert_eq!(calls.load(Ordering::Relaxed), 3 + 10_000);
}

#[test]
fn an_autocommit_read_keeps_one_snapshot_until_its_rows_end() {
    let db = Database::in_memory();
    let conn = db.connect();
    numbers(&conn, 100);
    let other = db.connect();
    let base = active_snapshots(&other);
    let mut statement = conn.prepare("SELECT id FROM t ORDER BY id").unwrap();
    let mut rows = statement.query(()).unwrap();
    assert_eq!(rows.next().unwrap().unwrap().get::<i64>(0).unwrap(), 1);
    assert_eq!(
        active_snapshots(&other),
        base + 1,
        "the rows hold their snapshot"
    );
    // Writes between two rows, from this connection and another, are not seen.
    conn.execute("INSERT INTO t VALUES (1000, 0)", ()).unwrap();
    other.execute("DELETE FROM t WHERE id = 50", ()).unwrap();
    let rest: Vec<i64> = rows.map(|row| row.unwrap().get(0).unwrap()).collect();
    assert_eq!(rest, (2..=100).collect::<Vec<i64>>());
    assert_eq!(
        active_snapshots(&other),
        base,
        "read to the end: the snapshot is let go"
    );
    let mut rows = statement.query(()).unwrap();
    rows.next().unwrap().unwrap();
    drop(rows);
    assert_eq!(
        active_snapshots(&other),
        base,
        "dropped: the snapshot is let go"
    );
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 100, "the writes between rows did commit");
}

#[test]
fn rows_read_in_a_transaction_see_its_writes_and_end_with_it() {
    let db = Database::in_memory();
    let conn = db.connect();
    numbers(&conn, 10);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (11, 110)", ()).unwrap();
    let mut statement = conn.prepare("SELECT id FROM t ORDER BY id").unwrap();
    let ids: Vec<i64> = statement
        .query_map((), |row| row.get(0))
        .unwrap()
        .collect::<ember::Result<_>>()
        .unwrap();
    assert_eq!(
        ids,
        (1..=11).collect::<Vec<i64>>(),
        "its own insert is seen"
    );
    let mut rows = statement.query(()).unwrap();
    rows.next().unwrap().unwrap();
    conn.execute("COMMIT", ()).unwrap();
    let error = rows.next().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transaction, "{error}");
    assert!(error.message().contains("has ended"), "{error}");
    assert!(rows.next().unwrap().is_none(), "an error ends the rows");
    drop(rows);
    // A new transaction is not the one the rows were read in (it reads the same snapshot:
    // nothing committed in between).
    conn.execute("BEGIN", ()).unwrap();
    let mut rows = statement.query(()).unwrap();
    rows.next().unwrap().unwrap();
    conn.execute("ROLLBACK", ()).unwrap();
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO t VALUES (12, 120)", ()).unwrap();
    let error = rows.next().unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transaction, "{error}");
    drop(rows);
    conn.execute("ROLLBACK", ()).unwrap();
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 11);
}

#[test]
fn an_interrupt_between_rows_ends_them() {
    let db = Database::in_memory();
    let conn = db.connect();
    numbers(&conn, 5_000);
    let mut statement = conn.prepare("SELECT v FROM t").unwrap();
    let mut rows = statement.query(()).unwrap();
    rows.next().unwrap().unwrap();
    conn.interrupt_handle().interrupt();
    let outcome: ember::Result<Vec<ember::Row>> = rows.by_ref().collect();
    assert_eq!(outcome.unwrap_err().kind(), ErrorKind::Interrupted);
    assert!(rows.next().unwrap().is_none());
    drop(rows);
    // The next statement starts uninterrupted.
    assert_eq!(statement.query(()).unwrap().count(), 5_000);
}

#[test]
fn statements_other_than_queries_run_whole_when_started() {
    let db = Database::in_memory();
    let conn = db.connect();
    numbers(&conn, 0);
    let mut insert = conn
        .prepare("INSERT INTO t VALUES (1, 1), (2, 2), (3, 3) RETURNING id")
        .unwrap();
    let mut rows = insert.query(()).unwrap();
    assert_eq!(rows.columns(), ["id"]);
    assert_eq!(rows.next().unwrap().unwrap().get::<i64>(0).unwrap(), 1);
    drop(rows);
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 3, "every row went in, as SQLite's RETURNING");
    // A lookup by the whole key, EXPLAIN and a bad parameter count.
    let mut by_key = conn.prepare("SELECT v FROM t WHERE id = ?").unwrap();
    assert_eq!(
        by_key
            .query([2])
            .unwrap()
            .next()
            .unwrap()
            .unwrap()
            .get::<i64>(0)
            .unwrap(),
        2
    );
    assert!(by_key.query([9]).unwrap().next().unwrap().is_none());
    let error = by_key.query((1, 2)).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
    let mut explain = conn.prepare("EXPLAIN SELECT v FROM t").unwrap();
    assert!(explain.query(()).unwrap().count() > 0);
}

#[test]
fn a_subquery_runs_once_for_all_the_rows_read_lazily() {
    let db = Database::in_memory();
    let calls = Arc::new(AtomicUsize::new(0));
    let counted = Arc::clone(&calls);
    db.create_scalar_function("counted", 1, FunctionFlags::NONE, move |ctx| {
        counted.fetch_add(1, Ordering::Relaxed);
        ctx.get::<i64>(0)
    })
    .unwrap();
    let conn = db.connect();
    numbers(&conn, 100);
    let mut statement = conn
        .prepare("SELECT id FROM t WHERE v > (SELECT counted(max(v)) - 100 FROM t)")
        .unwrap();
    let ids: Vec<i64> = statement
        .query_map((), |row| row.get(0))
        .unwrap()
        .collect::<ember::Result<_>>()
        .unwrap();
    assert_eq!(ids, (91..=100).collect::<Vec<i64>>());
    assert_eq!(
        calls.load(Ordering::Relaxed),
        1,
        "the uncorrelated subquery ran once"
    );
}

#[test]
fn lazy_readers_see_whole_transfers_while_writers_commit() {
    const ACCOUNTS: i64 = 200;
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute("CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INT)", ())
        .unwrap();
    for id in 0..ACCOUNTS {
        setup
            .execute("INSERT INTO acct VALUES (?, 100)", [id])
            .unwrap();
    }
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    std::thread::scope(|scope| {
        for writer in 0..2i64 {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            scope.spawn(move || {
                let mut conn = db.connect();
                let mut step = writer;
                while !stop.load(Ordering::Relaxed) {
                    step += 7;
                    let (from, to) = (step % ACCOUNTS, (step * 3 + 1) % ACCOUNTS);
                    // A conflict with the other writer is retried by `transact`.
                    conn.transact(|txn| {
                        txn.execute("UPDATE acct SET balance = balance - 1 WHERE id = ?", [from])?;
                        txn.execute("UPDATE acct SET balance = balance + 1 WHERE id = ?", [to])?;
                        Ok(())
                    })
                    .unwrap();
                }
            });
        }
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let db = db.clone();
                scope.spawn(move || {
                    let conn = db.connect();
                    let mut statement = conn.prepare("SELECT balance FROM acct").unwrap();
                    for _ in 0..50 {
                        let mut sum = 0;
                        let mut rows = 0;
                        for row in statement.query(()).unwrap() {
                            sum += row.unwrap().get::<i64>(0).unwrap();
                            rows += 1;
                            if rows % 20 == 0 {
                                std::thread::yield_now(); // let writers commit mid-read
                            }
                        }
                        assert_eq!((rows, sum), (ACCOUNTS, ACCOUNTS * 100), "a half transfer");
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
}
