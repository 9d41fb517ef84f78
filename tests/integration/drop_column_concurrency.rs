//! ALTER TABLE DROP COLUMN racing readers and writers: every read sees the whole table in
//! one shape (the old one or the new one, never a mix, never a lost row), writers that raced
//! the drop fail with a retryable error and commit nothing, and the invariant the writers
//! keep (the sum of `c`) holds at the end.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use ember::{Database, Value};

const ROWS: i64 = 2_000;
const TOTAL: i64 = ROWS * 100;

fn int(value: &Value) -> i64 {
    match value {
        Value::Integer(int) => *int,
        other => panic!("not an integer: {other:?}"),
    }
}

/// Checks one whole read of `SELECT * FROM t`; returns its width.
fn check_read(columns: &[String], rows: ember::RowValues<'_>) -> usize {
    let names: Vec<&str> = columns.iter().map(String::as_str).collect();
    assert!(
        matches!(
            names.as_slice(),
            ["id", "a", "b", "c"] | ["id", "a", "c"] | ["id", "c"]
        ),
        "{names:?}"
    );
    assert_eq!(rows.len() as i64, ROWS);
    let mut sum = 0;
    for row in rows {
        assert_eq!(row.len(), names.len());
        let id = int(&row[0]);
        for (name, value) in names.iter().zip(row) {
            match *name {
                "a" => assert_eq!(int(value), id * 2),
                "b" => assert_eq!(int(value), id * 3),
                "c" => sum += int(value),
                _ => {}
            }
        }
    }
    assert_eq!(sum, TOTAL, "a read saw half a transfer");
    names.len()
}

#[test]
fn readers_see_one_whole_shape_and_racing_writers_lose_nothing() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT, c INT);
         CREATE INDEX t_c ON t(c);",
    )
    .unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?1)
         INSERT INTO t SELECT i, i * 2, i * 3, 100 FROM n",
        [ROWS],
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let readers: Vec<_> = (0..2)
        .map(|_| {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut star = conn.prepare("SELECT * FROM t").unwrap();
                let mut widths = Vec::new();
                while !stop.load(Ordering::Relaxed) {
                    let rows = star.query_all(()).unwrap();
                    widths.push(check_read(rows.columns(), rows.values()));
                    // A transaction whose snapshot is older than a drop reads the new
                    // table whole too.
                    conn.execute("BEGIN", ()).unwrap();
                    let _ = conn.query("SELECT count(*) FROM t", ()).unwrap();
                    std::thread::sleep(Duration::from_millis(1));
                    let rows = conn.query("SELECT * FROM t", ()).unwrap();
                    widths.push(check_read(rows.columns(), rows.values()));
                    conn.execute("COMMIT", ()).unwrap();
                }
                widths
            })
        })
        .collect();
    let writers: Vec<_> = (0..2i64)
        .map(|writer| {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let conn = db.connect();
                let (mut committed, mut refused) = (0, 0);
                let mut step = writer;
                while !stop.load(Ordering::Relaxed) {
                    step += 7;
                    let from = step % ROWS + 1;
                    let to = (step * 13) % ROWS + 1;
                    let transfer = format!(
                        "BEGIN; UPDATE t SET c = c - 1 WHERE id = {from};
                         UPDATE t SET c = c + 1 WHERE id = {to}; COMMIT"
                    );
                    match conn.execute_batch(&transfer) {
                        Ok(()) => committed += 1,
                        Err(error) => {
                            assert!(error.is_retryable(), "{error}");
                            let _ = conn.execute("ROLLBACK", ());
                            refused += 1;
                        }
                    }
                }
                (committed, refused)
            })
        })
        .collect();
    for column in ["b", "a"] {
        std::thread::sleep(Duration::from_millis(30));
        conn.execute(&format!("ALTER TABLE t DROP COLUMN {column}"), ())
            .unwrap();
    }
    std::thread::sleep(Duration::from_millis(30));
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        let widths = reader.join().unwrap();
        assert!(!widths.is_empty());
    }
    let mut committed = 0;
    for writer in writers {
        committed += writer.join().unwrap().0;
    }
    assert!(committed > 0);
    let rows = conn.query("SELECT * FROM t", ()).unwrap();
    assert_eq!(check_read(rows.columns(), rows.values()), 2);
    let moved: i64 = conn
        .query_value("SELECT count(*) FROM t WHERE c <> 100", ())
        .unwrap();
    assert!(moved > 0);
}

#[test]
fn a_transaction_that_wrote_before_a_drop_commits_nothing() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b INT); INSERT INTO t VALUES (1, 2, 3);",
    )
    .unwrap();
    let writer = db.connect();
    writer
        .execute_batch("BEGIN; INSERT INTO t VALUES (2, 4, 6); UPDATE t SET b = 0 WHERE id = 1;")
        .unwrap();
    conn.execute("ALTER TABLE t DROP COLUMN a", ()).unwrap();
    let error = writer.execute("COMMIT", ()).unwrap_err();
    assert!(error.is_retryable(), "{error}");
    assert!(error.message().contains("DROP COLUMN"), "{error}");
    let rows = conn.query("SELECT * FROM t", ()).unwrap();
    assert_eq!(rows.values(), [vec![Value::Integer(1), Value::Integer(3)]]);
    // Retried, it commits against the new shape.
    writer
        .execute_batch(
            "BEGIN; INSERT INTO t VALUES (2, 6); UPDATE t SET b = 0 WHERE id = 1; COMMIT;",
        )
        .unwrap();
    assert_eq!(
        conn.query_value::<i64>("SELECT sum(b) FROM t", ()).unwrap(),
        6
    );
}
