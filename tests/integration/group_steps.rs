//! Grouped answers checked against SQLite on the per-call aggregate update path:
//! each aggregate call's update fixed once per statement (`exec/aggregate/aggregate_feed.rs`
//! `Step`: COUNT(col), SUM/TOTAL/AVG of a column or of an expression without DISTINCT, every other
//! call as before), every group's accumulators in one flat vector (thousands of groups, DISTINCT
//! sets moved as it grows), and keys of several plain columns hashed and compared column by column
//! (`Grouper::find_column_key`: 1 and 1.0 one key, NULL, TEXT, BLOB). Serial, parallel (`PRAGMA
//! threads`), without GROUP BY, and over a join.

use super::support::{
    assert_same_rows, assert_same_rows_or_both_fail, both_engines, insert_into_both,
};
use ember::Value;

/// `s(id, g, h, a, b, r, x)`: `g` an INTEGER key of `groups` values (NULL sometimes), `h`
/// an untyped key (integers, reals equal to them, TEXT, BLOB, NULL), `a` untyped numbers
/// (integers, reals, numeric and other TEXT, NULL), `b` an INTEGER with NULLs, `r` a REAL,
/// `x` TEXT.
fn steps_table(rows: i64, groups: i64) -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE s(id INTEGER PRIMARY KEY, g INTEGER, h, a, b INTEGER, r REAL, x TEXT)",
    ]);
    let mut random = fastrand::Rng::with_seed(37 + rows as u64);
    let data = (1..=rows).map(|id| {
        let g = match random.u8(0..40) {
            0 => Value::Null,
            _ => Value::Integer(random.i64(0..groups)),
        };
        let h = match random.u8(0..8) {
            0 => Value::Null,
            1 => Value::Real(f64::from(random.u8(0..4))),
            2 => Value::Text(format!("h{}", random.u8(0..3))),
            3 => Value::Blob(vec![random.u8(0..2)]),
            _ => Value::Integer(i64::from(random.u8(0..4))),
        };
        let a = match random.u8(0..12) {
            0 => Value::Null,
            1 => Value::Real(f64::from(random.u16(0..1000)) / 4.0),
            2 => Value::Text(format!("{}", random.u8(0..50))),
            3 => Value::Text("x1".into()),
            _ => Value::Integer(random.i64(-1000..1000)),
        };
        let b = match random.u8(0..6) {
            0 => Value::Null,
            _ => Value::Integer(random.i64(-50..50)),
        };
        let r = f64::from(random.u16(0..4000)) / 16.0;
        let x = Value::Text(format!("c{}", random.u8(0..9)));
        [Value::Integer(id), g, h, a, b, Value::Real(r), x]
    });
    insert_into_both(
        &db,
        &sqlite,
        "INSERT INTO s VALUES (?, ?, ?, ?, ?, ?, ?)",
        data,
    );
    (db, sqlite)
}

const STEP_QUERIES: &[&str] = &[
    // COUNT(col), SUM/TOTAL/AVG of columns: integers, reals, text, NULLs, mixed.
    "SELECT g, count(*), count(a), count(b), sum(b), total(b), avg(b) FROM s GROUP BY g",
    "SELECT g, sum(a), total(a), avg(a), sum(r), avg(r) FROM s GROUP BY g",
    "SELECT x, count(h), sum(r), avg(a), count(*) FROM s GROUP BY x",
    // `h` groups 1 with 1.0: which row shows such a key is SQLite's sorter's choice, so
    // only the aggregates of its groups are compared.
    "SELECT count(*), sum(b), avg(r), count(DISTINCT x) FROM s GROUP BY h",
    // Sums of expressions (compiled) and of values that are NULL for some rows.
    "SELECT g, sum(b * 2), avg(r * (1 - b)), total(b + r), sum(a + 1) FROM s GROUP BY g",
    "SELECT x, sum(r * 2), avg(b - 1), count(b + 1) FROM s GROUP BY x ORDER BY 2 DESC",
    // DISTINCT, MIN/MAX, group_concat: the general path beside the fixed steps.
    "SELECT g, count(DISTINCT b), sum(DISTINCT b), avg(DISTINCT a), sum(b) FROM s GROUP BY g",
    "SELECT x, min(a), max(r), count(DISTINCT h), total(b) FROM s GROUP BY x",
    // FILTER on some calls, HAVING and ORDER BY of groups.
    "SELECT g, count(*) FILTER (WHERE b > 0), sum(b) FILTER (WHERE r > 100), sum(r) \
     FROM s GROUP BY g HAVING count(*) > 1 ORDER BY 3 DESC, 1 LIMIT 20",
    "SELECT x, sum(b), avg(r) FROM s GROUP BY x HAVING sum(b) > 0 ORDER BY 2",
    // Keys of several plain columns.
    "SELECT x, count(*), sum(b), avg(r) FROM s GROUP BY h, x",
    "SELECT x, g % 3, count(*), total(a) FROM s GROUP BY x, h, g % 3",
    "SELECT g, x, count(b), sum(r) FROM s WHERE b IS NOT NULL GROUP BY g, x \
     ORDER BY 3 DESC, 1, 2 LIMIT 15",
    "SELECT count(*) FROM (SELECT h, x FROM s GROUP BY h, x)",
    // No GROUP BY: one group.
    "SELECT count(*), count(a), sum(b), total(a), avg(r) FROM s",
    "SELECT sum(b * r), avg(b + 1), count(DISTINCT x) FROM s WHERE g > 3",
    "SELECT count(b), sum(b) FROM s WHERE id < 0",
];

#[test]
fn fixed_steps_and_flat_accumulators_as_sqlite() {
    // Thousands of groups: the flat vector of accumulators grows (and moves) many times.
    let (db, sqlite) = steps_table(6000, 2500);
    assert_same_rows(&db.connect(), &sqlite, STEP_QUERIES);
    let (db, sqlite) = steps_table(500, 7);
    assert_same_rows(&db.connect(), &sqlite, STEP_QUERIES);
}

#[test]
fn parallel_fixed_steps_as_sqlite() {
    let (db, sqlite) = steps_table(30_000, 300);
    let conn = db.connect();
    conn.execute("PRAGMA threads = 3", ()).unwrap();
    assert_same_rows(&conn, &sqlite, STEP_QUERIES);
}

#[test]
fn sums_that_overflow_or_turn_real_as_sqlite() {
    let (db, sqlite) = both_engines(&["CREATE TABLE o(id INTEGER PRIMARY KEY, g INTEGER, v)"]);
    let big = i64::MAX - 10;
    let rows = [
        // Group 1 overflows, then a REAL rescues SUM; group 2 overflows for good.
        (1, 1, Value::Integer(big)),
        (2, 1, Value::Integer(big)),
        (3, 1, Value::Real(0.5)),
        (4, 1, Value::Integer(3)),
        (5, 2, Value::Integer(big)),
        (6, 2, Value::Integer(100)),
        // Group 3: reals first, then integers past 2^53, then text numbers.
        (7, 3, Value::Real(1.25)),
        (8, 3, Value::Integer((1 << 53) + 1)),
        (9, 3, Value::Text("12".into())),
        (10, 3, Value::Text("2.5".into())),
        (11, 4, Value::Null),
        (12, 5, Value::Integer(-big)),
        (13, 5, Value::Integer(-big)),
        (14, 5, Value::Real(-0.0)),
    ]
    .map(|(id, g, v)| [Value::Integer(id), Value::Integer(g), v]);
    insert_into_both(&db, &sqlite, "INSERT INTO o VALUES (?, ?, ?)", rows);
    let conn = db.connect();
    assert_same_rows(
        &conn,
        &sqlite,
        &[
            "SELECT g, total(v), avg(v), count(v) FROM o GROUP BY g",
            "SELECT g, sum(v) FROM o WHERE g IN (1, 3, 4) GROUP BY g",
            "SELECT g, sum(v * 1) FROM o WHERE g IN (1, 3, 4) GROUP BY g",
            "SELECT g, h, sum(v) FROM (SELECT g, g % 2 AS h, v FROM o) \
             WHERE g <> 2 GROUP BY g, h",
        ],
    );
    assert_same_rows_or_both_fail(
        &conn,
        &sqlite,
        &[
            "SELECT g, sum(v) FROM o GROUP BY g",
            "SELECT g, sum(v + 0) FROM o WHERE g = 2 GROUP BY g",
            "SELECT sum(v) FROM o WHERE g = 5",
        ],
    );
}

#[test]
fn grouped_join_rows_feed_fixed_steps_as_sqlite() {
    let (db, sqlite) = steps_table(2000, 40);
    let conn = db.connect();
    let setup = [
        "CREATE TABLE k(id INTEGER PRIMARY KEY, g INTEGER, label TEXT)",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 60) \
         INSERT INTO k SELECT i, i % 45, 'l' || (i % 6) FROM n",
    ];
    for sql in setup {
        conn.execute(sql, ()).unwrap();
        sqlite.execute(sql, ()).unwrap();
    }
    assert_same_rows(
        &conn,
        &sqlite,
        &[
            "SELECT k.label, count(*), count(s.b), sum(s.b), avg(s.r), total(s.a) \
             FROM s JOIN k ON k.g = s.g GROUP BY k.label",
            "SELECT k.label, s.x, sum(s.r * 2), count(DISTINCT s.b) \
             FROM s JOIN k ON k.g = s.g GROUP BY k.label, s.x ORDER BY 3 DESC LIMIT 10",
        ],
    );
}
