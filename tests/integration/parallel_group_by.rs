//! Parallel GROUP BY (`PRAGMA threads`, `exec/aggregate/parallel_grouped.rs`): generated tables and
//! queries answered identically (same groups, order and value bits) with 0 to 3 helper
//! threads (NULL and TEXT keys, keys of several columns or expressions, one group and
//! thousands, filters that compile or not, sums that must stay serial, empty tables); an
//! interrupt stopping a parallel scan; and readers aggregating in parallel while writers
//! commit, each answer equal to a serial read of the same snapshot.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, ErrorKind, Value};

use super::concurrency::Rng;

/// Rows in the generated table: three parts of at least `SLOTS_PER_THREAD_MIN` (8192).
const ROWS: i64 = 26_000;

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ())
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .values()
        .to_vec()
}

/// Whether two answers are the same rows in the same order, reals compared by their bits.
fn same(a: &[Vec<Value>], b: &[Vec<Value>]) -> bool {
    a.len() == b.len()
        && a.iter().zip(b).all(|(x, y)| {
            x.len() == y.len()
                && x.iter().zip(y).all(|pair| match pair {
                    (Value::Real(x), Value::Real(y)) => x.to_bits() == y.to_bits(),
                    (x, y) => x == y,
                })
        })
}

/// `g(id, k, w, d, f, t)` of `ROWS` random rows: small integer keys with NULLs and a few
/// negatives (k), wide integers (w, thousands of groups), dyadic reals (d: sums exact in any
/// order), reals like 0.1 (f: sums that round) and TEXT keys (t), some rows deleted.
fn generated_table(seed: u64) -> Database {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE g(id INTEGER PRIMARY KEY, k INT, w INT, d REAL, f REAL, t TEXT)",
        (),
    )
    .unwrap();
    let mut rng = Rng::new(seed);
    conn.execute("BEGIN", ()).unwrap();
    let mut insert = conn
        .prepare("INSERT INTO g VALUES (?, ?, ?, ?, ?, ?)")
        .unwrap();
    for id in 0..ROWS {
        let maybe = |value: Value, rng: &mut Rng| {
            if rng.below(12) == 0 {
                Value::Null
            } else {
                value
            }
        };
        let k = maybe(Value::Integer(rng.below(45) as i64 - 5), &mut rng);
        let w = maybe(Value::Integer(rng.below(5000) as i64), &mut rng);
        let d = maybe(
            Value::Real((rng.below(4000) as f64 - 2000.0) / 8.0),
            &mut rng,
        );
        let f = maybe(Value::Real(rng.below(1000) as f64 + 0.1), &mut rng);
        let t = maybe(Value::Text(format!("c{}", rng.below(30))), &mut rng);
        insert
            .execute(vec![Value::Integer(id), k, w, d, f, t])
            .unwrap();
    }
    drop(insert);
    conn.execute("COMMIT", ()).unwrap();
    conn.execute("DELETE FROM g WHERE id % 89 = 5", ()).unwrap();
    db
}

/// Connections to `db` with 0 (the serial reference), 1, 2 and 3 helper threads.
fn connections(db: &Database) -> Vec<Connection> {
    (0..4)
        .map(|threads| {
            let conn = db.connect();
            rows(&conn, &format!("PRAGMA threads = {threads}"));
            conn
        })
        .collect()
}

const KEYS: [&str; 9] = [
    "k",
    "t",
    "k, t",
    "t, k",
    "w",
    "k % 3",
    "d",
    "id >= 0",
    "t, w IS NULL",
];

const AGGREGATES: [&str; 10] = [
    "count(*)",
    "count(d), sum(k), min(w), max(w)",
    "sum(d), avg(d), total(d)",
    "sum(f), avg(f), count(*)",
    "min(t), max(t), count(t), min(d)",
    "sum(k * 2), avg(d + 1), max(k - w)",
    "count(*) FILTER (WHERE d > 0), sum(w) FILTER (WHERE t < 'c15')",
    "count(DISTINCT k), sum(w)",
    "group_concat(t), count(*)",
    "sum(w), avg(w), total(k), max(f)",
];

#[test]
fn parallel_group_by_answers_equal_serial_ones() {
    let db = generated_table(41);
    let conns = connections(&db);
    let mut rng = Rng::new(3);
    for _ in 0..70 {
        let keys = KEYS[rng.below(KEYS.len() as u64) as usize];
        let aggregates = AGGREGATES[rng.below(AGGREGATES.len() as u64) as usize];
        let low = rng.below(40) as i64 - 5;
        let filters = [
            String::new(),
            format!(" WHERE k BETWEEN {low} AND {}", low + 10),
            format!(" WHERE d > {low} AND t IS NOT NULL"),
            " WHERE t = 'no such text'".to_string(),
            format!(" WHERE abs(k) < {low}"),
            format!(" WHERE w < {} OR k IS NULL", low * 100),
        ];
        let filter = &filters[rng.below(filters.len() as u64) as usize];
        let sql = format!("SELECT {keys}, {aggregates} FROM g{filter} GROUP BY {keys}");
        let serial = rows(&conns[0], &sql);
        for conn in &conns[1..] {
            let answer = rows(conn, &sql);
            assert!(same(&answer, &serial), "{sql}:\n{answer:?}\nvs\n{serial:?}");
        }
    }
}

#[test]
fn parameters_order_by_and_bare_columns_stay_serial_exact() {
    let db = generated_table(5);
    let conns = connections(&db);
    let queries = [
        // TPC-H Q1's shape: a parameter in the filter, two keys, ORDER BY both.
        "SELECT t, k, sum(d), sum(w), avg(d), count(*) FROM g WHERE w <= ?1 \
         GROUP BY t, k ORDER BY t, k",
        // A bare column: the group's first row, read again after the merge.
        "SELECT k, id, f, count(*) FROM g WHERE w > ?1 GROUP BY k",
        "SELECT k, count(*) FROM g GROUP BY k HAVING count(*) > ?1 ORDER BY 2 DESC, 1",
    ];
    for sql in queries {
        for parameter in [0, 700, 2500, 6000] {
            let run = |conn: &Connection| -> Vec<Vec<Value>> {
                conn.query(sql, [parameter]).unwrap().values().to_vec()
            };
            let serial = run(&conns[0]);
            for conn in &conns[1..] {
                assert!(same(&run(conn), &serial), "{sql} with {parameter}");
            }
        }
    }
}

#[test]
fn empty_and_small_tables_group_the_same_with_threads_on() {
    let db = Database::in_memory();
    let conns = connections(&db);
    conns[0]
        .execute("CREATE TABLE e(k INT, t TEXT, v REAL)", ())
        .unwrap();
    let sql = "SELECT k, t, count(*), sum(v) FROM e GROUP BY k, t";
    for conn in &conns {
        assert!(rows(conn, sql).is_empty());
    }
    conns[0]
        .execute(
            "INSERT INTO e VALUES (1, 'a', 0.5), (NULL, 'b', 2), (1, 'a', NULL), (2, NULL, 1)",
            (),
        )
        .unwrap();
    let serial = rows(&conns[0], sql);
    assert_eq!(serial.len(), 3);
    for conn in &conns[1..] {
        assert!(same(&rows(conn, sql), &serial));
    }
    // A large table whose rows were all deleted: every part is empty.
    let db = generated_table(9);
    let conns = connections(&db);
    conns[0].execute("DELETE FROM g", ()).unwrap();
    for conn in &conns {
        assert!(rows(conn, "SELECT t, count(*) FROM g GROUP BY t").is_empty());
    }
}

/// A parallel GROUP BY interrupted from another thread fails with `Interrupted` (or, when
/// the interrupt comes too late, gives the full answer), and the connection goes on.
#[test]
fn an_interrupt_stops_a_parallel_group_by() {
    let db = generated_table(12);
    let conns = connections(&db);
    let sql = "SELECT w, count(*), sum(d), min(t) FROM g GROUP BY w";
    let expected = rows(&conns[0], sql);
    let conn = &conns[3];
    let handle = conn.interrupt_handle();
    let stop = Arc::new(AtomicBool::new(false));
    let interrupted = std::thread::scope(|scope| {
        let stop_flag = Arc::clone(&stop);
        scope.spawn(move || {
            while !stop_flag.load(Ordering::Relaxed) {
                handle.interrupt();
                std::thread::sleep(std::time::Duration::from_micros(500));
            }
        });
        let mut interrupted = 0;
        for _ in 0..200 {
            match conn.query(sql, ()) {
                Ok(answer) => assert!(same(&answer.values().to_vec(), &expected)),
                Err(error) => {
                    assert_eq!(error.kind(), ErrorKind::Interrupted, "{error}");
                    interrupted += 1;
                    if interrupted == 5 {
                        break;
                    }
                }
            }
        }
        stop.store(true, Ordering::Relaxed);
        interrupted
    });
    assert!(interrupted > 0, "no run was interrupted");
    assert!(same(&rows(conn, sql), &expected));
}

/// Writers move amounts between accounts of different groups and add and remove
/// zero-balance accounts, while readers, each in a transaction, aggregate by group with
/// helper threads and then serially: the two answers are equal (one snapshot), and the
/// groups' balances always sum to the invariant total.
#[test]
fn parallel_group_by_under_concurrent_writers_matches_serial_at_one_snapshot() {
    const ACCOUNTS: i64 = 20_000;
    let db = Database::in_memory();
    let setup = db.connect();
    setup
        .execute(
            "CREATE TABLE a(id INTEGER PRIMARY KEY, grp INT, city TEXT, balance INT)",
            (),
        )
        .unwrap();
    setup.execute("BEGIN", ()).unwrap();
    let mut insert = setup
        .prepare("INSERT INTO a VALUES (?, ?, ?, 100)")
        .unwrap();
    for id in 1..=ACCOUNTS {
        let city = Value::Text(format!("city{}", id % 13));
        insert
            .execute(vec![Value::Integer(id), Value::Integer(id % 7), city])
            .unwrap();
    }
    drop(insert);
    setup.execute("COMMIT", ()).unwrap();
    let total = ACCOUNTS * 100;
    let stop = AtomicBool::new(false);
    std::thread::scope(|scope| {
        for writer in 0..2u64 {
            let (db, stop) = (db.clone(), &stop);
            scope.spawn(move || {
                let conn = db.connect();
                let mut rng = Rng::new(writer + 11);
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
                        conn.execute("INSERT INTO a VALUES (?, ?, 'new', 0)", [id, extra % 9])?;
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
        let readers: Vec<_> = (1..=2)
            .map(|helpers| {
                let db = db.clone();
                scope.spawn(move || {
                    let conn = db.connect();
                    let queries = [
                        "SELECT grp, count(*), sum(balance), min(balance), max(id) FROM a \
                         GROUP BY grp",
                        "SELECT city, grp, sum(balance), count(*) FROM a WHERE id > 0 \
                         GROUP BY city, grp",
                    ];
                    for round in 0..12 {
                        let sql = queries[round % queries.len()];
                        conn.execute("BEGIN", ()).unwrap();
                        rows(&conn, &format!("PRAGMA threads = {helpers}"));
                        let parallel = rows(&conn, sql);
                        rows(&conn, "PRAGMA threads = 0");
                        let serial = rows(&conn, sql);
                        conn.execute("COMMIT", ()).unwrap();
                        assert!(same(&parallel, &serial), "{sql}");
                        let sum: i64 = parallel
                            .iter()
                            .map(|row| match row[2] {
                                Value::Integer(sum) => sum,
                                ref other => panic!("sum {other:?}"),
                            })
                            .sum();
                        assert_eq!(sum, total, "{sql}");
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
