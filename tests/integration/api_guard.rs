//! The library API's transaction guard, the `transact` retry helper under many threads,
//! serde row mapping, and the thread-safety of the public types (asserted at compile time).

use std::thread;

use ember::{Connection, Database, ErrorKind};

const _: fn() = || {
    fn assert_send_sync_clone<T: Send + Sync + Clone>() {}
    fn assert_send<T: Send>() {}
    assert_send_sync_clone::<Database>();
    assert_send::<Connection>();
    assert_send::<ember::Error>();
};

#[test]
fn the_guard_rolls_back_on_drop_and_commits_on_commit() {
    let mut conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    {
        let tx = conn.transaction().unwrap();
        tx.execute("INSERT INTO t VALUES (1)", ()).unwrap();
        assert_eq!(tx.query("SELECT a FROM t", ()).unwrap().len() as i64, 1);
    }
    assert!(!conn.in_transaction());
    assert_eq!(conn.query("SELECT a FROM t", ()).unwrap().len() as i64, 0);
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (2)", ()).unwrap();
    let error = tx.execute("BEGIN", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Transaction, "{error}");
    tx.commit().unwrap();
    assert_eq!(sum_of(&conn, "SELECT a FROM t"), 2);
    // A transaction ended by SQL inside the guard is not rolled back again.
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO t VALUES (3)", ()).unwrap();
    tx.execute("COMMIT", ()).unwrap();
    drop(tx);
    assert_eq!(sum_of(&conn, "SELECT a FROM t"), 5);
}

#[test]
fn transact_retries_conflicts_and_keeps_the_total() {
    const THREADS: i64 = 6;
    const TRANSFERS: i64 = 150;
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE acct(id INTEGER PRIMARY KEY, balance INT NOT NULL);
             INSERT INTO acct VALUES (0, 1000), (1, 1000), (2, 1000);",
        )
        .unwrap();
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let db = db.clone();
            thread::spawn(move || {
                let mut conn = db.connect();
                for i in 0..TRANSFERS {
                    let (from, to) = ((t + i) % 3, (t + i + 1) % 3);
                    conn.transact(|tx| {
                        let sql = "UPDATE acct SET balance = balance + ? WHERE id = ?";
                        tx.execute(sql, (-1, from))?;
                        tx.execute(sql, (1, to))?;
                        Ok(())
                    })
                    .unwrap();
                }
            })
        })
        .collect();
    for handle in handles {
        handle.join().unwrap();
    }
    let conn = db.connect();
    assert_eq!(sum_of(&conn, "SELECT balance FROM acct"), 3000);
    // Every transfer committed exactly once: each thread moved one unit per transfer along
    // the ring 0 -> 1 -> 2 -> 0, starting at offset t.
    let mut expected = [1000i64; 3];
    for t in 0..THREADS {
        for i in 0..TRANSFERS {
            expected[((t + i) % 3) as usize] -= 1;
            expected[((t + i + 1) % 3) as usize] += 1;
        }
    }
    let balances: Vec<i64> = conn
        .prepare("SELECT balance FROM acct ORDER BY id")
        .unwrap()
        .query_map((), |row| row.get(0))
        .unwrap()
        .collect::<ember::Result<_>>()
        .unwrap();
    assert_eq!(balances, expected);
}

#[test]
fn transact_returns_non_retryable_errors_after_rolling_back() {
    let mut conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY)", ())
        .unwrap();
    let mut calls = 0;
    let error = conn
        .transact(|tx| {
            calls += 1;
            tx.execute("INSERT INTO t VALUES (1)", ())?;
            tx.execute("INSERT INTO t VALUES (1)", ())
        })
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    assert_eq!(calls, 1, "constraint errors are not retried");
    assert_eq!(conn.query("SELECT id FROM t", ()).unwrap().len() as i64, 0);
}

#[derive(serde::Deserialize, Debug, PartialEq)]
struct Person {
    id: i64,
    name: String,
    age: Option<u8>,
    score: f64,
    active: bool,
}

#[test]
fn rows_map_onto_structs_by_column_name() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE people(id INTEGER PRIMARY KEY, name TEXT NOT NULL, age INT, score REAL,
                             active BOOLEAN);
         INSERT INTO people VALUES (1, 'ada', 36, 9.5, TRUE), (2, 'bob', NULL, 7, FALSE);",
    )
    .unwrap();
    // Columns in another order than the fields, plus one the struct does not have.
    let people: Vec<Person> = conn
        .query_as(
            "SELECT active, score, age, name, id, 'extra' AS note FROM people ORDER BY id",
            (),
        )
        .unwrap();
    assert_eq!(
        people,
        [
            Person {
                id: 1,
                name: "ada".into(),
                age: Some(36),
                score: 9.5,
                active: true
            },
            Person {
                id: 2,
                name: "bob".into(),
                age: None,
                score: 7.0,
                active: false
            },
        ]
    );
    let error = conn
        .query_as::<Person>("SELECT id, name FROM people", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    assert!(
        error.message().contains("score"),
        "names the missing field: {error}"
    );
    let error = conn
        .query_as::<Person>(
            "SELECT id, NULL AS name, 1 AS score, TRUE AS active FROM people",
            (),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "NULL into String: {error}");
    let error = conn
        .query_as::<Person>(
            "SELECT id, name, 300 AS age, 1.0 AS score, TRUE AS active FROM people",
            (),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Type, "300 into u8: {error}");
}

fn sum_of(conn: &Connection, sql: &str) -> i64 {
    let rows = conn.query(sql, ()).unwrap();
    rows.into_iter().map(|row| row.get::<i64>(0).unwrap()).sum()
}
