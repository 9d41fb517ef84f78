//! UPDATE and DELETE over every access path that finds their targets (primary-key lookup
//! and IN list with repeats, secondary-index lookup, IN list and range, key range, full scan
//! with compiled and general filters), each statement run on EmberDB and on rusqlite's
//! SQLite from the same rows: the rows changed and the whole table afterwards must match,
//! and the indexes must still answer as the table does (after VACUUM too).
//! A filter that fails at some row changes nothing.

use ember::{Database, Value};

use super::support::{self, both_engines, to_sqlite};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
];

/// Statements run in order on both engines; each leaves state the next ones read.
const STATEMENTS: &[&str] = &[
    "UPDATE t SET b = b + 1 WHERE id = 17",
    "UPDATE t SET c = 0.5, g = 'moved' WHERE id IN (3, 5, 3, 999999, 5)",
    "UPDATE t SET b = a % 7 WHERE id BETWEEN 100 AND 199 AND b > 20",
    "UPDATE t SET c = c * 2 WHERE a = 11",
    "UPDATE t SET g = upper(g) WHERE a IN (1, 2, 3)",
    "UPDATE t SET s = s || '-x' WHERE a BETWEEN 40 AND 45",
    "UPDATE t SET a = -a WHERE s LIKE 'k1%'",
    "UPDATE t SET b = 7, c = 0.25 WHERE g = 'g3' AND b < 300",
    "UPDATE t SET s = lower(s) WHERE c > 0.9 OR g LIKE '%4'",
    "UPDATE t SET b = b WHERE b IS NULL",
    "UPDATE t SET a = a + 1000 WHERE a < 5",
    "DELETE FROM t WHERE id IN (2, 4, 4)",
    "DELETE FROM t WHERE a BETWEEN 20 AND 25",
    "DELETE FROM t WHERE g = 'g7' AND c < 0.5",
    "UPDATE t SET b = 1 WHERE id > 1900",
    "DELETE FROM t WHERE id >= 1950",
];

/// Queries whose answers describe the table, also through each index.
const CHECKS: &[&str] = &[
    "SELECT id, a, b, c, s, g FROM t ORDER BY id",
    "SELECT a, count(*), sum(id) FROM t WHERE a BETWEEN -100000 AND 100000 GROUP BY a \
     ORDER BY a",
    "SELECT s, id FROM t WHERE s >= '' ORDER BY s, id",
];

fn rows() -> Vec<[Value; 6]> {
    let mut rng = fastrand::Rng::with_seed(24);
    (1..=2000)
        .map(|id| {
            let (a, b, text) = (rng.i64(0..60), rng.i64(0..1000), rng.u32(0..3000));
            let maybe_null = |rng: &mut fastrand::Rng, value: Value| {
                if rng.u8(0..25) == 0 {
                    Value::Null
                } else {
                    value
                }
            };
            [
                Value::Integer(id),
                maybe_null(&mut rng, Value::Integer(a)),
                maybe_null(&mut rng, Value::Integer(b)),
                Value::Real(f64::from(rng.u32(0..1000)) / 1000.0),
                maybe_null(&mut rng, Value::Text(format!("k{text}"))),
                Value::Text(format!("g{}", rng.u32(0..10))),
            ]
        })
        .collect()
}

/// SQLite's rows for `sql` (the test fails on an error).
fn sqlite_rows(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<Value>> {
    support::sqlite_rows(conn, sql).unwrap()
}

fn ember_rows(conn: &ember::Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

fn assert_same_state(ember: &ember::Connection, sqlite: &rusqlite::Connection) {
    for (round, vacuum) in [(0, false), (1, true)] {
        if vacuum {
            ember.execute("VACUUM", ()).unwrap();
        }
        for check in CHECKS {
            assert_eq!(
                ember_rows(ember, check),
                sqlite_rows(sqlite, check),
                "{check} (round {round})"
            );
        }
    }
}

#[test]
fn updates_and_deletes_change_what_sqlite_changes_on_every_access_path() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for row in rows() {
        ember
            .execute("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)", row.clone())
            .unwrap();
        let params: Vec<_> = row.iter().map(to_sqlite).collect();
        sqlite
            .execute(
                "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(params),
            )
            .unwrap();
    }
    for sql in STATEMENTS {
        let changed = ember.execute(sql, ()).unwrap();
        let expected = sqlite.execute(sql, []).unwrap();
        assert_eq!(changed, expected, "{sql}");
        assert_same_state(&ember, &sqlite);
    }
}

#[test]
fn a_filter_failing_midway_changes_no_row() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER);
         CREATE INDEX t_a ON t(a);
         INSERT INTO t VALUES (1, 1, 5), (2, 2, 6), (3, 3, -9223372036854775808), (4, 4, 7);",
    )
    .unwrap();
    let before = ember_rows(&conn, "SELECT * FROM t ORDER BY id");
    // abs() of the smallest integer overflows at row 3, after rows 1 and 2 passed.
    for sql in [
        "UPDATE t SET a = a + 10 WHERE abs(b) > 0",
        "UPDATE t SET a = a + 10 WHERE a BETWEEN 1 AND 4 AND abs(b) > 0",
        "DELETE FROM t WHERE abs(b) > 0",
    ] {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(error.to_string().contains("overflow"), "{sql}: {error}");
        assert_eq!(
            ember_rows(&conn, "SELECT * FROM t ORDER BY id"),
            before,
            "{sql}"
        );
    }
}
