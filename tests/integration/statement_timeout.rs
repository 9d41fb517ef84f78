//! `PRAGMA statement_timeout` / `Options::statement_timeout` / `InterruptHandle`: a long
//! statement of any shape stops with `Interrupted`, its changes undone, the connection and
//! an open transaction usable afterwards.

use std::time::{Duration, Instant};

use ember::{Database, ErrorKind, Options};

fn with_rows(db: &Database, rows: i64) -> ember::Connection {
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v INT)", ())
        .unwrap();
    let values: Vec<String> = (1..=rows).map(|i| format!("({i}, {})", i % 7)).collect();
    conn.execute(&format!("INSERT INTO t VALUES {}", values.join(",")), ())
        .unwrap();
    conn
}

/// Statements that run for minutes or more without a limit.
const LONG: &[&str] = &[
    "SELECT count(*) FROM t, t t2, t t3, t t4, t t5, t t6",
    // Keys reading every joined table: no streamed row is dropped before joining.
    "SELECT t.id FROM t, t t2, t t3, t t4 ORDER BY t.v, t2.v, t3.v + t4.v LIMIT 1",
    "SELECT t.v, t2.v, count(*) FROM t, t t2, t t3, t t4, t t5 GROUP BY 1, 2",
    "SELECT count(*) FROM t WHERE id IN (SELECT t2.id FROM t t2, t t3, t t4, t t5)",
    // A correlated subquery whose outer values never repeat (no memoized result to reuse).
    "SELECT count(*) FROM t WHERE (SELECT count(*) FROM t t2, t t3, t t4, t t5 WHERE t2.v = t.v \
     AND t3.id < t.id) > 0",
    "SELECT sum(t.v) OVER (ORDER BY t.id ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED \
     FOLLOWING EXCLUDE TIES) FROM t, t t2 LIMIT 1",
];

#[test]
fn every_long_statement_shape_stops_at_the_timeout() {
    let db = Database::in_memory();
    let conn = with_rows(&db, 100);
    conn.execute("PRAGMA statement_timeout = 200", ()).unwrap();
    let ms: i64 = conn.query_value("PRAGMA statement_timeout", ()).unwrap();
    assert_eq!(ms, 200);
    for sql in LONG {
        let started = Instant::now();
        let error = conn.query(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Interrupted, "{sql}: {error}");
        assert!(error.message().contains("statement timeout"), "{error}");
        assert!(
            started.elapsed() < Duration::from_secs(10),
            "{sql}: {:?}",
            started.elapsed()
        );
    }
    // Short statements are unaffected; turning it off works.
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 100);
    conn.execute("PRAGMA statement_timeout = 0", ()).unwrap();
    assert_eq!(conn.statement_timeout(), None);
}

#[test]
fn a_timed_out_write_is_undone_and_the_transaction_goes_on() {
    let db = Database::in_memory_with(Options::new().statement_timeout(Duration::from_millis(200)));
    let conn = with_rows(&db, 100);
    assert_eq!(conn.statement_timeout(), Some(Duration::from_millis(200)));
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("UPDATE t SET v = 100 WHERE id = 1", ())
        .unwrap();
    let error = conn
        .execute(
            "UPDATE t SET v = -1 WHERE id IN (SELECT t2.id FROM t t2, t t3, t t4, t t5)",
            (),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted, "{error}");
    conn.execute("COMMIT", ()).unwrap();
    let changed: i64 = conn
        .query_value("SELECT count(*) FROM t WHERE v = -1", ())
        .unwrap();
    assert_eq!(changed, 0, "the timed-out UPDATE changed nothing");
    let kept: i64 = conn
        .query_value("SELECT v FROM t WHERE id = 1", ())
        .unwrap();
    assert_eq!(kept, 100, "the transaction's earlier write committed");
}

#[test]
fn an_interrupt_from_another_thread_stops_every_long_shape() {
    let db = Database::in_memory();
    let conn = with_rows(&db, 100);
    for sql in LONG {
        let handle = conn.interrupt_handle();
        let stopper = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(100));
            handle.interrupt();
        });
        let error = conn.query(sql, ()).unwrap_err();
        stopper.join().unwrap();
        assert_eq!(error.kind(), ErrorKind::Interrupted, "{sql}: {error}");
    }
}
