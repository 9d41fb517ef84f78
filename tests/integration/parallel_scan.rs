//! Parallel scans (`PRAGMA threads`, `exec/parallel/`): the pragma's values as SQLite
//! gives them; aggregates over tables large enough to split giving exactly the serial answer
//! and SQLite's (random data, filters, NULLs, mixed integers and reals, sums that must stay
//! serial); and parallel scans under concurrent writers each seeing one snapshot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, ErrorKind, Value};

use super::concurrency::Rng;
use super::support::from_sqlite;

/// Rows in the random table: several times `SLOTS_PER_THREAD_MIN` (8192), so up to four
/// threads get a part each.
const ROWS: i64 = 40_000;

fn one(conn: &Connection, sql: &str) -> Vec<Value> {
    let rows = conn.query(sql, ()).unwrap();
    rows.values()[0].to_vec()
}

fn sqlite_row(conn: &rusqlite::Connection, sql: &str) -> Vec<Value> {
    sqlite_answer(conn, sql).unwrap()
}

/// SQLite's one row for `sql`, or its error message.
fn sqlite_answer(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<Value>, String> {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let width = statement.column_count();
    statement
        .query_row([], |row| {
            Ok((0..width)
                .map(|i| from_sqlite(row.get_ref(i).unwrap()))
                .collect())
        })
        .map_err(|e| e.to_string())
}

/// Compares two result rows, reals by their bits (parallel sums must not differ by one ulp).
fn same(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|pair| match pair {
            (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
            (x, y) => x == y,
        })
}

#[test]
fn pragma_threads_reads_and_sets_as_sqlite_does() {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    for sql in [
        "PRAGMA threads",
        "PRAGMA threads = 2",
        "PRAGMA threads",
        "PRAGMA threads = 100",
        "PRAGMA threads = 0",
        "PRAGMA threads",
    ] {
        assert_eq!(one(&conn, sql), sqlite_row(&sqlite, sql), "{sql}");
    }
    // Per connection: a new one starts at 0 again.
    let db = Database::in_memory();
    let first = db.connect();
    one(&first, "PRAGMA threads = 3");
    assert_eq!(one(&db.connect(), "PRAGMA threads"), [Value::Integer(0)]);
}

/// A table of `ROWS` random rows in both engines: small integers, dyadic reals (sums exact
/// in any order), reals like 0.1 (sums that round), text, and NULLs.
fn random_tables(seed: u64) -> (Database, rusqlite::Connection) {
    let db = Database::in_memory();
    let conn = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let create = "CREATE TABLE r(id INTEGER PRIMARY KEY, k INT, big INT, d REAL, f REAL, t TEXT)";
    conn.execute(create, ()).unwrap();
    sqlite.execute(create, []).unwrap();
    let mut rng = Rng::new(seed);
    let mut insert = String::new();
    conn.execute("BEGIN", ()).unwrap();
    sqlite.execute("BEGIN", []).unwrap();
    for id in 0..ROWS {
        let null = |rng: &mut Rng, text: String| {
            if rng.below(10) == 0 {
                "NULL".to_string()
            } else {
                text
            }
        };
        let text = format!("{}", rng.below(1000) as i64 - 500);
        let k = null(&mut rng, text);
        let text = format!("{}", (rng.below(1 << 62) as i64) * 2);
        let big = null(&mut rng, text);
        let text = format!("{}.0/64", rng.below(100_000) as i64 - 50_000);
        let d = null(&mut rng, text);
        let text = format!("{}.1", rng.below(1000));
        let f = null(&mut rng, text);
        let text = format!("'{}'", rng.below(500));
        let t = null(&mut rng, text);
        insert.clear();
        insert.push_str(&format!(
            "INSERT INTO r VALUES ({id}, {k}, {big}, {d}, {f}, {t})"
        ));
        conn.execute(&insert, ()).unwrap();
        sqlite.execute(&insert, []).unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    sqlite.execute("COMMIT", []).unwrap();
    // Gaps in the slots: deleted rows are skipped by every part.
    let delete = "DELETE FROM r WHERE id % 97 = 3";
    conn.execute(delete, ()).unwrap();
    sqlite.execute(delete, []).unwrap();
    (db, sqlite)
}

#[test]
fn parallel_aggregates_equal_serial_and_sqlite() {
    let (db, sqlite) = random_tables(20);
    let serial = db.connect();
    let parallel = db.connect();
    let wide = db.connect();
    one(&parallel, "PRAGMA threads = 1");
    one(&wide, "PRAGMA threads = 3");
    let mut rng = Rng::new(7);
    let aggregates = [
        "count(*)",
        "count(k), sum(k), min(k), max(k), avg(k), total(k)",
        "sum(d), avg(d), total(d), min(d), max(d)",
        "sum(f), avg(f), total(f)",
        "sum(big), count(big)",
        "min(t), max(t), count(t)",
        "sum(k), sum(d), count(id)",
        "sum(t), max(f), min(id)",
    ];
    for aggregate in aggregates {
        for _ in 0..6 {
            let low = rng.below(1000) as i64 - 500;
            let high = low + rng.below(600) as i64;
            let filters = [
                String::new(),
                format!(" WHERE k BETWEEN {low} AND {high}"),
                format!(" WHERE d > {low} AND k IS NOT NULL"),
                format!(" WHERE k < {low} OR f >= {}", high.abs()),
                " WHERE t = 'no such text'".to_string(),
                format!(" WHERE abs(k) < {}", high.abs()),
            ];
            for filter in &filters {
                let sql = format!("SELECT {aggregate} FROM r{filter}");
                let expected = sqlite_answer(&sqlite, &sql);
                match serial.query(&sql, ()) {
                    Ok(rows) => {
                        let expected = expected.unwrap_or_else(|e| panic!("{sql}: SQLite: {e}"));
                        let serial_row = rows.values()[0].to_vec();
                        assert!(
                            same(&serial_row, &expected),
                            "{sql}: {serial_row:?} {expected:?}"
                        );
                        for conn in [&parallel, &wide] {
                            let row = one(conn, &sql);
                            assert!(same(&row, &serial_row), "{sql}: {row:?} vs {serial_row:?}");
                        }
                    }
                    Err(error) => {
                        // sum(big) overflows in some orders: every engine reports it.
                        assert!(expected.is_err(), "{sql}: {error}, SQLite {expected:?}");
                        assert_eq!(error.kind(), ErrorKind::InvalidInput, "{sql}: {error}");
                        for conn in [&parallel, &wide] {
                            let error = conn.query(&sql, ()).unwrap_err();
                            assert_eq!(error.kind(), ErrorKind::InvalidInput, "{sql}");
                        }
                    }
                }
            }
        }
    }
}

#[test]
fn small_tables_and_group_by_stay_correct_with_threads_on() {
    let conn = Database::in_memory().connect();
    one(&conn, "PRAGMA threads = 4");
    conn.execute("CREATE TABLE s(a INT, b REAL)", ()).unwrap();
    assert_eq!(
        one(&conn, "SELECT count(*), sum(a), max(b) FROM s"),
        [Value::Integer(0), Value::Null, Value::Null]
    );
    conn.execute("INSERT INTO s VALUES (1, 0.5), (2, NULL), (NULL, 2.5)", ())
        .unwrap();
    assert_eq!(
        one(&conn, "SELECT count(*), sum(a), max(b), a FROM s"),
        [
            Value::Integer(3),
            Value::Integer(3),
            Value::Real(2.5),
            Value::Null
        ]
    );
}

/// Writers move amounts between accounts (the total never changes) and insert and delete
/// zero-balance rows, while readers with helper threads sum the whole table: every sum is
/// the invariant total, so every part of a scan read the same snapshot.
#[test]
fn parallel_scans_see_one_snapshot_under_concurrent_writers() {
    const ACCOUNTS: i64 = 30_000;
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute("CREATE TABLE a(id INTEGER PRIMARY KEY, balance INT)", ())
        .unwrap();
    setup.execute("BEGIN", ()).unwrap();
    for id in 1..=ACCOUNTS {
        setup
            .execute("INSERT INTO a VALUES (?, 100)", [id])
            .unwrap();
    }
    setup.execute("COMMIT", ()).unwrap();
    let total = ACCOUNTS * 100;
    let stop = Arc::new(AtomicBool::new(false));
    std::thread::scope(|scope| {
        for writer in 0..2u64 {
            let db = db.clone();
            let stop = Arc::clone(&stop);
            scope.spawn(move || {
                let conn = db.connect();
                let mut rng = Rng::new(writer + 1);
                let mut extra = 0;
                while !stop.load(Ordering::Relaxed) {
                    let from = rng.below(ACCOUNTS as u64) as i64 + 1;
                    let to = rng.below(ACCOUNTS as u64) as i64 + 1;
                    let amount = rng.below(50) as i64;
                    let outcome = (|| {
                        conn.execute("BEGIN", ())?;
                        conn.execute(
                            "UPDATE a SET balance = balance - ? WHERE id = ?",
                            [amount, from],
                        )?;
                        conn.execute(
                            "UPDATE a SET balance = balance + ? WHERE id = ?",
                            [amount, to],
                        )?;
                        let id = 1_000_000 * (writer as i64 + 1) + extra;
                        conn.execute("INSERT INTO a VALUES (?, 0)", [id])?;
                        conn.execute("DELETE FROM a WHERE id = ?", [id - 1])?;
                        conn.execute("COMMIT", ())
                    })();
                    if outcome.is_err() {
                        let _ = conn.execute("ROLLBACK", ());
                    } else {
                        extra += 1;
                    }
                }
            });
        }
        let readers: Vec<_> = (0..2)
            .map(|reader| {
                let db = db.clone();
                scope.spawn(move || {
                    let conn = db.connect();
                    one(&conn, &format!("PRAGMA threads = {}", reader + 1));
                    for _ in 0..40 {
                        let row = one(&conn, "SELECT sum(balance), count(*) FROM a");
                        assert_eq!(row[0], Value::Integer(total));
                        // Each writer's commits add one row and delete its previous one.
                        let Value::Integer(count) = row[1] else {
                            panic!("count {row:?}")
                        };
                        assert!((ACCOUNTS..=ACCOUNTS + 2).contains(&count), "{count}");
                    }
                })
            })
            .collect();
        for reader in readers {
            reader.join().unwrap();
        }
        stop.store(true, Ordering::Relaxed);
    });
    let end = db.connect();
    one(&end, "PRAGMA threads = 1");
    assert_eq!(
        one(&end, "SELECT sum(balance) FROM a"),
        [Value::Integer(total)]
    );
    assert_eq!(
        one(
            &end,
            "SELECT count(*) FROM a WHERE balance = 0 AND id > 1000000"
        ),
        one(
            &db.connect(),
            "SELECT count(*) FROM a WHERE balance = 0 AND id > 1000000"
        )
    );
}
