//! Grouped answers checked against SQLite on the grouped-join and key-only paths:
//! groups keyed by one column whose first rows are not read again when nothing above reads
//! more than the key (`exec/aggregate/aggregate_input.rs` `key_only_read`; keys of mixed types,
//! REAL keys equal to integers, NULL, BLOB and TEXT keys, thousands of groups, the
//! parallel split; a bare column other than the key is left out: SQLite's is its sorter's
//! first row, in the sorter's order, not the table's),
//! every group's accumulators in one list, derived groups joined to tables (INNER and LEFT,
//! NULL and duplicate keys, empty sides, LIMIT / ORDER BY inside), and uncorrelated scalar
//! subqueries giving no row or NULL.

use super::support::{assert_same_rows, both_engines, insert_into_both};
use ember::Value;

/// `m(id, k, w, v)`: `k` untyped (integers, reals equal to them, other reals, TEXT, NULL,
/// BLOB: the key whose rows may differ from their group's first), `w` an INTEGER over
/// thousands of values and negatives, `v` a REAL.
fn mixed_keys(rows: i64, reals: bool) -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE m(id INTEGER PRIMARY KEY, k, w INTEGER, v REAL)",
        "CREATE TABLE e(id INTEGER PRIMARY KEY, k, w INTEGER, v REAL)",
    ]);
    let mut random = fastrand::Rng::with_seed(36 + rows as u64);
    let data = (1..=rows).map(|id| {
        let k = match random.u8(0..10) {
            0 => Value::Null,
            1 if reals => Value::Real(f64::from(random.u8(0..20))),
            2 if reals => Value::Real(f64::from(random.u8(0..20)) + 0.5),
            3 => Value::Text(format!("t{}", random.u8(0..5))),
            4 => Value::Blob(vec![random.u8(0..3)]),
            _ => Value::Integer(i64::from(random.u8(0..20))),
        };
        let w = random.i64(-50..rows * 2);
        let v = f64::from(random.u16(0..1000)) / 8.0;
        [Value::Integer(id), k, Value::Integer(w), Value::Real(v)]
    });
    insert_into_both(&db, &sqlite, "INSERT INTO m VALUES (?, ?, ?, ?)", data);
    (db, sqlite)
}

const KEY_ONLY_QUERIES: &[&str] = &[
    "SELECT k, count(*) FROM m GROUP BY k",
    "SELECT k, typeof(k), count(*), sum(v) FROM m GROUP BY k",
    "SELECT count(*) FROM m GROUP BY k",
    "SELECT w, count(*) FROM m GROUP BY w",
    "SELECT w, max(v), min(v) FROM m GROUP BY w HAVING count(*) > 1",
    "SELECT w + 1, count(*) FROM m GROUP BY w ORDER BY 2 DESC, 1 LIMIT 7",
    "SELECT k, count(*) FROM m WHERE w > 100 GROUP BY k",
    "SELECT k, w, count(*) FROM m GROUP BY k, w",
    "SELECT k, count(*) FROM e GROUP BY k",
    "SELECT count(*), (SELECT k FROM m GROUP BY k ORDER BY count(*) DESC, k LIMIT 1) FROM e",
];

/// Queries whose answers do not depend on which row of a group shows its key.
const ANY_ROW_QUERIES: &[&str] = &[
    "SELECT count(*) FROM m GROUP BY k",
    "SELECT w, count(*) FROM m GROUP BY w",
    "SELECT w + 1, count(*), sum(v) FROM m GROUP BY w ORDER BY 2 DESC, 1 LIMIT 7",
];

/// With REAL keys equal to integers in a group, the key shown is a row's own value: which
/// row is SQLite's sorter's choice, so EmberDB's answer (its first row's, as a query that
/// reads the rows again gives) is compared with itself read both ways.
fn assert_key_is_a_rows_own(conn: &ember::Connection) {
    let key_only =
        super::support::ember_rows(conn, "SELECT k, typeof(k), count(*) FROM m GROUP BY k")
            .unwrap();
    let read_again = super::support::ember_rows(
        conn,
        "SELECT k, typeof(k), count(*), max(v) FROM m GROUP BY k",
    )
    .unwrap();
    let read_again: Vec<Vec<Value>> = read_again
        .into_iter()
        .map(|row| row[..3].to_vec())
        .collect();
    assert_eq!(key_only, read_again);
}

#[test]
fn groups_by_one_column_read_only_their_key_as_sqlite() {
    let (db, sqlite) = mixed_keys(3000, false);
    assert_same_rows(&db.connect(), &sqlite, KEY_ONLY_QUERIES);
    let (db, sqlite) = mixed_keys(3000, true);
    assert_same_rows(&db.connect(), &sqlite, ANY_ROW_QUERIES);
    assert_key_is_a_rows_own(&db.connect());
}

#[test]
fn parallel_groups_by_one_column_read_only_their_key_as_sqlite() {
    let (db, sqlite) = mixed_keys(30_000, false);
    let conn = db.connect();
    conn.execute("PRAGMA threads = 3", ()).unwrap();
    assert_same_rows(&conn, &sqlite, KEY_ONLY_QUERIES);
    let (db, sqlite) = mixed_keys(30_000, true);
    let conn = db.connect();
    conn.execute("PRAGMA threads = 3", ()).unwrap();
    assert_same_rows(&conn, &sqlite, ANY_ROW_QUERIES);
    assert_key_is_a_rows_own(&conn);
}

/// `t(id, b, g)` of 400 rows, `u(id, t_id, x)` naming rows of `t` (missing ones, NULLs,
/// duplicates), `z` empty.
fn joined_tables() -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, b INTEGER, g TEXT)",
        "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, x REAL)",
        "CREATE TABLE z(id INTEGER PRIMARY KEY, t_id INTEGER, x REAL)",
    ]);
    let mut random = fastrand::Rng::with_seed(3636);
    let t = (1..=400).map(|id| {
        let b = match random.u8(0..12) {
            0 => Value::Null,
            _ => Value::Integer(random.i64(0..1000)),
        };
        [Value::Integer(id), b, Value::Text(format!("g{}", id % 7))]
    });
    insert_into_both(&db, &sqlite, "INSERT INTO t VALUES (?, ?, ?)", t);
    let u = (1..=900).map(|id| {
        let t_id = match random.u8(0..15) {
            0 => Value::Null,
            1 => Value::Integer(random.i64(401..500)),
            _ => Value::Integer(random.i64(1..=400)),
        };
        let x = f64::from(random.u16(0..1000)) / 1000.0;
        [Value::Integer(id), t_id, Value::Real(x)]
    });
    insert_into_both(&db, &sqlite, "INSERT INTO u VALUES (?, ?, ?)", u);
    (db, sqlite)
}

#[test]
fn derived_groups_joined_to_a_table_as_sqlite() {
    let (db, sqlite) = joined_tables();
    let queries = [
        "SELECT count(*) FROM (SELECT t_id, count(*) AS k FROM u GROUP BY t_id) AS v \
         JOIN t ON t.id = v.t_id WHERE v.k > 1 AND t.b < 500",
        "SELECT v.t_id, v.k, t.b FROM (SELECT t_id, count(*) AS k FROM u GROUP BY t_id) AS v \
         JOIN t ON t.id = v.t_id WHERE v.k > 2 ORDER BY 1",
        "SELECT v.t_id, v.k, t.b FROM (SELECT t_id, count(*) AS k FROM u GROUP BY t_id) AS v \
         LEFT JOIN t ON t.id = v.t_id AND t.b < 500 ORDER BY 1",
        "SELECT t.id, v.k FROM t LEFT JOIN (SELECT t_id, count(*) AS k FROM u GROUP BY t_id) \
         AS v ON v.t_id = t.id WHERE t.id < 60 ORDER BY 1",
        "SELECT count(*), sum(v.k) FROM (SELECT t_id, count(*) AS k FROM u GROUP BY t_id \
         ORDER BY k DESC, t_id LIMIT 30) AS v JOIN t ON t.id = v.t_id",
        "SELECT count(*) FROM (SELECT t_id, count(*) AS k FROM z GROUP BY t_id) AS v \
         JOIN t ON t.id = v.t_id",
        "SELECT count(*) FROM (SELECT t_id, count(*) AS k FROM u GROUP BY t_id) AS v \
         JOIN t ON t.id = v.t_id WHERE t.b > 5000",
        "SELECT count(*), count(v.t_id) FROM t LEFT JOIN \
         (SELECT t_id, count(*) AS k FROM z GROUP BY t_id) AS v ON v.t_id = t.id",
        "SELECT u.t_id, max(t.b) FROM u JOIN t ON t.id = u.t_id GROUP BY u.t_id \
         ORDER BY 2 DESC, 1 LIMIT 5",
        "SELECT u.t_id, max(t.b), count(*) FROM u LEFT JOIN t ON t.id = u.t_id \
         GROUP BY u.t_id ORDER BY 1",
        "SELECT t.g, count(u.id), avg(u.x) FROM t LEFT JOIN u ON u.t_id = t.id GROUP BY t.g",
        "SELECT u.t_id, max(t.b) FROM u JOIN t ON t.id = u.t_id JOIN z ON z.t_id = u.t_id \
         GROUP BY u.t_id",
    ];
    assert_same_rows(&db.connect(), &sqlite, &queries);
}

#[test]
fn uncorrelated_scalar_subqueries_as_sqlite() {
    let (db, sqlite) = joined_tables();
    let queries = [
        "SELECT count(*), (SELECT max(x) FROM u) FROM t",
        "SELECT count(*), (SELECT max(x) FROM z) FROM t",
        "SELECT count(*), (SELECT x FROM z) FROM t",
        "SELECT count(*), (SELECT b FROM t WHERE b IS NULL LIMIT 1) FROM u",
        "SELECT id FROM t WHERE b = (SELECT max(b) FROM t) ORDER BY id LIMIT 10",
        "SELECT id FROM t WHERE b = (SELECT max(x) FROM z) ORDER BY id",
        "SELECT count(*) FROM t WHERE b IN (SELECT t_id FROM u WHERE x > 0.9)",
        "SELECT count(*) FROM t WHERE b NOT IN (SELECT t_id FROM u WHERE x > 0.9)",
        "SELECT count(*) FROM t WHERE b IN (SELECT t_id FROM z)",
    ];
    assert_same_rows(&db.connect(), &sqlite, &queries);
}
