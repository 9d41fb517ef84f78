//! Filters that compile though an operand may fail (`||` of columns, replace(), hex(),
//! abs() of integers: `Predicate::Checked`, answered by the tree on a row where an operand
//! fails) and filters whose constant is an uncorrelated scalar or EXISTS subquery (run once
//! when the filter compiles), against rusqlite's SQLite over random rows: scans, joins,
//! junctions in both orders, NULLs, a subquery with no row, and DELETE / UPDATE whose
//! filter reads the table they change. Errors are compared as errors (the messages differ).

use ember::{Database, Value};

use super::support::{
    assert_same_rows_or_both_fail, both_engines, ember_rows, insert_into_both, sqlite_rows,
};

const SCHEMA: &str = "CREATE TABLE v(id INTEGER PRIMARY KEY, i INTEGER, s TEXT, g TEXT, x REAL)";

/// `count` random rows: `i` small integers (NULL at times), `s` 'k' texts, `g` one of a
/// few groups (NULL at times), `x` reals in [0, 1).
fn rows(count: i64) -> Vec<[Value; 5]> {
    let mut rng = fastrand::Rng::with_seed(34);
    (1..=count)
        .map(|id| {
            let i = if rng.u8(0..12) == 0 {
                Value::Null
            } else {
                Value::Integer(rng.i64(-20..200))
            };
            let s = if rng.u8(0..15) == 0 {
                Value::Null
            } else {
                Value::Text(format!("k{}", rng.u32(0..300)))
            };
            let g = if rng.u8(0..10) == 0 {
                Value::Null
            } else {
                Value::Text(format!("g{}", rng.u8(0..8)))
            };
            let x = Value::Real(rng.u32(0..1000) as f64 / 1000.0);
            [Value::Integer(id), i, s, g, x]
        })
        .collect()
}

/// Both engines with `v` filled alike (and `w`, a copy of its first 50 rows).
fn engines(count: i64) -> (Database, rusqlite::Connection) {
    let (db, theirs) = both_engines(&[SCHEMA, "CREATE INDEX v_i ON v(i)"]);
    insert_into_both(
        &db,
        &theirs,
        "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
        rows(count),
    );
    let ours = db.connect();
    let copy = "CREATE TABLE w AS SELECT * FROM v WHERE id <= 50";
    ours.execute(copy, ()).unwrap();
    theirs.execute(copy, []).unwrap();
    (db, theirs)
}

fn assert_same(db: &Database, theirs: &rusqlite::Connection, queries: &[&str]) {
    assert_same_rows_or_both_fail(&db.connect(), theirs, queries);
}

#[test]
fn filters_with_fallible_operands_answer_as_sqlite() {
    let (db, theirs) = engines(3000);
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT id FROM v WHERE g || '-' || i = 'g3-7' ORDER BY id",
            "SELECT count(*) FROM v WHERE s || g > 'k2'",
            "SELECT count(*), sum(i) FROM v WHERE replace(s, 'k', '') = '12'",
            "SELECT count(*) FROM v WHERE replace(s, '1', 'one') LIKE '%one%'",
            "SELECT count(*) FROM v WHERE hex(i) = '37'",
            "SELECT count(*) FROM v WHERE abs(i) > 10 AND abs(i) < 100",
            "SELECT count(*) FROM v WHERE g || s IN ('g1k5', 'g2k7', 'g3k100')",
            "SELECT count(*) FROM v WHERE s || 'x' BETWEEN 'k1' AND 'k2'",
            "SELECT count(*) FROM v WHERE (g || s) IS NULL",
            "SELECT count(*) FROM v WHERE NOT (g || i = 'g1-1' OR i < 3)",
            "SELECT count(*) FROM v WHERE i < 50 OR replace(g, 'g', '') = '4'",
            "SELECT count(*) FROM v WHERE replace(g, 'g', '') = '4' AND i IS NOT NULL",
            "SELECT count(*) FROM v WHERE CASE WHEN i > 100 THEN s || g ELSE g END > 'g5'",
            "SELECT count(*) FROM v JOIN w ON w.id = v.i WHERE v.g || w.g = 'g1g2'",
            "SELECT count(*) FROM v WHERE i IN (3, 4, 5) AND s || '' = 'k10'",
        ],
    );
}

/// An operand that fails on some row: both engines report an error, and a junction that
/// decides before that operand (in the order written) reports none.
#[test]
fn a_failing_operand_fails_as_the_tree_does() {
    let (db, theirs) = engines(400);
    let smallest = "UPDATE v SET i = -9223372036854775808 WHERE id = 200";
    db.connect().execute(smallest, ()).unwrap();
    theirs.execute(smallest, []).unwrap();
    let ours = db.connect();
    for sql in [
        "SELECT count(*) FROM v WHERE abs(i) > 5",
        "SELECT count(*) FROM v WHERE g || 'x' = 'g1x' OR abs(i) > 5",
        "SELECT count(*) FROM v WHERE s || g > 'k' AND abs(i) > 5 AND id > 0",
    ] {
        let (mine, expected) = (ember_rows(&ours, sql), sqlite_rows(&theirs, sql));
        assert!(
            mine.is_err() && expected.is_err(),
            "{sql}: {mine:?} {expected:?}"
        );
    }
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT count(*) FROM v WHERE id <> 200 AND abs(i) > 5",
            "SELECT count(*) FROM v WHERE id <> 200 AND abs(i) > 5 AND s || g > 'k'",
            "SELECT count(*) FROM v WHERE (id = 200 OR abs(i) > 5) AND id <> 200",
            "SELECT count(*) FROM v WHERE i > -9223372036854775808 AND hex(abs(i)) > '3'",
        ],
    );
}

#[test]
fn uncorrelated_subquery_constants_answer_as_sqlite() {
    let (db, theirs) = engines(3000);
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT count(*) FROM v WHERE x > (SELECT avg(x) FROM v)",
            "SELECT id FROM v WHERE i = (SELECT max(i) FROM v) ORDER BY id",
            "SELECT count(*) FROM v WHERE (SELECT min(i) FROM w) < i AND g = 'g2'",
            "SELECT count(*) FROM v WHERE s > (SELECT min(s) FROM v WHERE g = 'g1')",
            "SELECT count(*) FROM v WHERE i > (SELECT i FROM v WHERE id < 0)",
            "SELECT count(*) FROM v WHERE i BETWEEN (SELECT min(i) FROM w) AND \
             (SELECT avg(i) FROM w)",
            "SELECT count(*) FROM v WHERE i = (SELECT s FROM v WHERE s IS NOT NULL LIMIT 1)",
            "SELECT count(*) FROM v WHERE s = (SELECT i FROM w WHERE i IS NOT NULL LIMIT 1)",
            "SELECT count(*) FROM v WHERE EXISTS (SELECT 1 FROM w WHERE i > 150) AND i < 10",
            "SELECT count(*) FROM v WHERE NOT EXISTS (SELECT 1 FROM w WHERE i > 1000) \
             OR i < 10",
            "SELECT count(*) FROM v WHERE i IN (SELECT i FROM w) AND x < (SELECT avg(x) FROM w)",
            "SELECT count(*) FROM v JOIN w ON w.id = v.i WHERE v.x > (SELECT avg(x) FROM w)",
            "SELECT (SELECT count(*) FROM w) + i FROM v WHERE id < 20 ORDER BY id",
            "SELECT count(*) FROM w WHERE EXISTS (SELECT 1 FROM v WHERE v.i = w.i AND \
             v.x > (SELECT avg(x) FROM v))",
            "SELECT count(*) FROM v WHERE i > (SELECT count(*) FROM v WHERE x > 0.5) / 20",
            "SELECT count(*) FROM v WHERE x > (SELECT x FROM v ORDER BY x DESC LIMIT 1 \
             OFFSET 10)",
        ],
    );
    // A subquery of more than one column fails in both, when the filter is tried.
    assert_same(
        &db,
        &theirs,
        &["SELECT count(*) FROM v WHERE i > (SELECT i, s FROM w)"],
    );
}

/// DELETE and UPDATE whose filter's subquery reads the table they change: the subquery's
/// value is the one before the statement changed anything.
#[test]
fn writes_filtered_by_a_subquery_of_their_table_answer_as_sqlite() {
    let (db, theirs) = engines(2000);
    let ours = db.connect();
    for sql in [
        "DELETE FROM v WHERE x > (SELECT avg(x) FROM v)",
        "UPDATE v SET x = x + 1 WHERE x < (SELECT avg(x) FROM v)",
        "UPDATE v SET i = i * 2 WHERE i > (SELECT avg(i) FROM v) AND g || '' = 'g1'",
        "DELETE FROM v WHERE EXISTS (SELECT 1 FROM v WHERE i > 150) AND i < 0",
    ] {
        let mine = ours.execute(sql, ()).unwrap();
        let expected = theirs.execute(sql, []).unwrap();
        assert_eq!(mine, expected, "{sql}");
        assert_same(
            &db,
            &theirs,
            &["SELECT count(*), sum(i), sum(x), max(id) FROM v"],
        );
    }
    // An empty table: the subquery and its filter have no row to run for.
    assert_same(
        &db,
        &theirs,
        &["SELECT count(*) FROM v WHERE id < 0 AND x > (SELECT avg(x) FROM v)"],
    );
}
