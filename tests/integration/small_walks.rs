//! Small-query paths, answers checked against SQLite: aggregates fed straight
//! from an OR's union of lookups (`exec/aggregate/mod.rs` `union_groups`: no row copied, the
//! groups started over when the union gives way to a scan mid-walk, an aggregate's error
//! held until the union is known to complete), `IS NULL` ORs on indexed columns holding
//! NULLs, and OFFSETs stepped over without building rows (a walk in key order by slot
//! visibility, `exec/scan/key_order.rs`; a full scan or key range testing its filter but
//! queueing nothing, `exec/scan/scan_skip.rs`): ascending and descending, offsets of 0, inside,
//! at the row count and past it, over deleted rows and keys that address no slot, beside
//! another transaction's uncommitted writes, inside the writing transaction and in an old
//! snapshot; and the same statements prepared once and re-executed with new parameters.

use ember::Value;

use super::settled_support::{
    same_answers_across_writes_and_vacuum, same_answers_beside_uncommitted_own_and_old,
};
use super::support::{assert_same_rows, assert_same_rows_or_both_fail, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    // Rows 1..=1200: `a` NULL every 13th row (else 0..60, ~20 rows a key), `s` NULL every
    // 11th (else unique but for every 7th row, which repeats `k7`).
    "INSERT INTO t WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r \
     WHERE i < 1200) SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 61 END, \
     i * 7 % 1000, CASE WHEN i % 11 = 0 THEN NULL WHEN i % 7 = 0 THEN 'k7' ELSE 'k' || i END, \
     'g' || (i % 5) FROM r",
];

/// Aggregates over OR unions (overlapping branches, NULL keys, duplicates past the union's
/// linear dedup) and offsets in key order, whatever the rows' physical order.
const CHECKS: &[&str] = &[
    "SELECT count(*) FROM t WHERE a = 5 OR s = 'k77'",
    "SELECT count(*) FROM t WHERE a = 5 OR a = 5 OR s = 'k7'",
    "SELECT count(*) FROM t WHERE a IS NULL OR s IS NULL",
    "SELECT count(*), sum(b), min(s), max(s), avg(b), count(a), count(s) FROM t \
     WHERE a IS NULL OR s IS NULL",
    "SELECT count(*), sum(b), total(b) FROM t WHERE a BETWEEN 1 AND 3 OR s = 'k17'",
    "SELECT sum(b), max(a) FROM t WHERE a IN (3, 4) OR s IN ('k5', 'k6', 'k7')",
    "SELECT count(*) FROM t WHERE (a = 5 OR s = 'k99') AND b < 500",
    "SELECT count(*), min(b) FROM t WHERE id = 3 OR a = 9 OR s IS NULL",
    "SELECT g, count(*), sum(b) FROM t WHERE a = 5 OR s = 'k7' OR a IS NULL GROUP BY g",
    "SELECT a, count(*) FROM t WHERE a IN (1, 2) OR s = 'k7' GROUP BY a",
    "SELECT count(*) FROM t WHERE a = 1000 OR s = 'none'",
    "SELECT max(s) FROM t WHERE a = 1000 OR s = 'none'",
    "SELECT count(DISTINCT a), count(*) FROM t WHERE a = 5 OR s = 'k7'",
    "SELECT sum(b * 2) FROM t WHERE a = 5 OR s = 'k7'",
    "SELECT * FROM t ORDER BY id LIMIT 10 OFFSET 500",
    "SELECT id, b FROM t ORDER BY id DESC LIMIT 10 OFFSET 500",
    "SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 0",
    "SELECT id FROM t ORDER BY id DESC LIMIT 5 OFFSET 1",
    "SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 1199",
    "SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 1200",
    "SELECT id FROM t ORDER BY id DESC LIMIT 5 OFFSET 1200",
    "SELECT id FROM t ORDER BY id LIMIT 5 OFFSET 100000",
    "SELECT id FROM t ORDER BY id LIMIT -1 OFFSET 1190",
    "SELECT id FROM t ORDER BY id DESC LIMIT -1 OFFSET 1190",
    "SELECT id FROM t ORDER BY id LIMIT 3 OFFSET -4",
    "SELECT id, s FROM t WHERE id > 300 ORDER BY id LIMIT 4 OFFSET 200",
    "SELECT id, s FROM t WHERE id < 900 ORDER BY id DESC LIMIT 4 OFFSET 200",
];

/// Offsets with no ORDER BY: the rows come in the clustered table's key order in both
/// engines while every key addresses a slot (the writes below keep them so).
const UNORDERED: &[&str] = &[
    "SELECT id FROM t WHERE b < 500 LIMIT 20 OFFSET 300",
    "SELECT id, s FROM t WHERE b < 500 LIMIT 20 OFFSET 0",
    "SELECT id FROM t WHERE b < 500 LIMIT 20 OFFSET 590",
    "SELECT id FROM t WHERE b < 500 LIMIT 20 OFFSET 100000",
    "SELECT id FROM t WHERE b < 500 LIMIT -1 OFFSET 580",
    "SELECT id FROM t WHERE s LIKE 'k1%' LIMIT 3 OFFSET 50",
    "SELECT * FROM t LIMIT 5 OFFSET 700",
    "SELECT id, b FROM t LIMIT 5 OFFSET 1199",
    "SELECT id, b FROM t LIMIT 5 OFFSET 1200",
    "SELECT id, b FROM t LIMIT 5 OFFSET 5000",
    "SELECT id, b FROM t WHERE id > 100 LIMIT 4 OFFSET 300",
    "SELECT id, b FROM t WHERE id BETWEEN 100 AND 400 AND b > 300 LIMIT 4 OFFSET 100",
    "SELECT upper(s) FROM t WHERE b < 500 LIMIT 3 OFFSET 400",
];

/// Writes that leave holes, move rows between the union's branches and add keys that
/// address no slot (negative and far ones: only the ordered checks run after those).
const WRITES: &[&str] = &[
    "DELETE FROM t WHERE id % 3 = 0",
    "UPDATE t SET a = NULL WHERE id % 29 = 0",
    "UPDATE t SET s = 'k7', b = b + 1 WHERE a = 5",
    "INSERT INTO t VALUES (1201, 5, 7, 'k77', 'g1'), (1202, NULL, 8, NULL, 'g2')",
    "DELETE FROM t WHERE id BETWEEN 400 AND 700",
];

const FAR_KEYS: &str = "INSERT INTO t VALUES (-5, 5, 1, 'k77', 'g0'), (-1, NULL, 2, NULL, 'g1'), \
     (90000000000, 9, 3, 'k7', 'g2'), (90000000001, NULL, 4, 'kx', 'g3')";

fn all_checks() -> Vec<&'static str> {
    CHECKS.iter().chain(UNORDERED).copied().collect()
}

#[test]
fn union_aggregates_and_offsets_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, &all_checks(), WRITES);
    let schema: Vec<&str> = SCHEMA.iter().copied().chain([FAR_KEYS]).collect();
    same_answers_across_writes_and_vacuum(&schema, CHECKS, WRITES);
}

#[test]
fn union_aggregates_and_offsets_beside_uncommitted_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, &all_checks(), WRITES);
    let mut writes = WRITES.to_vec();
    writes.push(FAR_KEYS);
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, &writes);
}

#[test]
fn aggregates_over_unions_are_planned_as_unions() {
    let (db, _) = both_engines(SCHEMA);
    let conn = db.connect();
    for sql in &CHECKS[..12] {
        let plan = explain(&conn, sql, &[]).join("\n");
        assert!(plan.contains("OrUnion"), "{sql}:\n{plan}");
    }
}

/// A union planned while few rows match, run again once most do: it gives way to a scan
/// after feeding some rows, and the groups start over (no row counted twice).
#[test]
fn a_union_that_gives_way_to_a_scan_midway_starts_its_groups_over() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let queries = [
        "SELECT count(*), sum(b), max(s), min(a) FROM t WHERE a = 7 OR a IS NULL OR s = 'k5'",
        "SELECT g, count(*), sum(b) FROM t WHERE a = 7 OR a IS NULL OR s = 'k5' GROUP BY g",
    ];
    let mut prepared: Vec<_> = queries
        .iter()
        .map(|sql| ember.prepare(sql).unwrap())
        .collect();
    for round in 0..3 {
        for (sql, statement) in queries.iter().zip(&mut prepared) {
            let plan = explain(&ember, sql, &[]).join("\n");
            assert!(round > 0 || plan.contains("OrUnion"), "{sql}:\n{plan}");
            let mine = statement.query_all(()).unwrap().into_values();
            let theirs = super::support::sqlite_rows(&sqlite, sql).unwrap();
            assert_eq!(mine, theirs, "{sql} in round {round}");
        }
        // Most rows join the `a IS NULL` branch: past half the table, the union stops.
        let write = match round {
            0 => "UPDATE t SET a = NULL WHERE id % 4 <> 0",
            _ => "UPDATE t SET a = 7 WHERE id % 2 = 0",
        };
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
}

/// An aggregate that fails on the union's rows fails as SQLite does; one whose union
/// gives way to a scan answers from the scan.
#[test]
fn an_aggregate_error_inside_a_union_is_the_answer() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "UPDATE t SET b = 9223372036854775000 WHERE a = 5 OR s = 'k77'",
        "UPDATE t SET b = 9223372036854775000 WHERE id = 3",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    assert_same_rows_or_both_fail(
        &ember,
        &sqlite,
        &[
            "SELECT sum(b) FROM t WHERE a = 5 OR s = 'k77'",
            "SELECT sum(b) FROM t WHERE a = 5 OR id = 3",
            "SELECT total(b), count(*) FROM t WHERE a = 5 OR id = 3",
            "SELECT g, sum(b) FROM t WHERE a = 5 OR id = 3 GROUP BY g",
        ],
    );
    assert_same_rows(
        &ember,
        &sqlite,
        &["SELECT count(*), max(b) FROM t WHERE a = 5 OR s = 'k77'"],
    );
}

/// Each statement prepared once and run with many parameter lists (offsets inside, at and
/// past the end, negative; keys matching many rows, one, none and NULL), every answer
/// compared with SQLite's.
#[test]
fn prepared_walks_re_executed_with_new_parameters_answer_each_run_afresh() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let writer = db.connect();
    // Another transaction's uncommitted writes, which no run may see.
    writer.execute("BEGIN", ()).unwrap();
    writer
        .execute("DELETE FROM t WHERE id % 5 = 0", ())
        .unwrap();
    writer
        .execute("INSERT INTO t VALUES (1300, NULL, 1, NULL, 'g0')", ())
        .unwrap();
    let int = Value::Integer;
    let offsets: Vec<Vec<Value>> = (0..45i64)
        .map(|round| vec![int(round % 6 - 1), int((round * 97) % 1300 - 5)])
        .collect();
    let keys: Vec<Vec<Value>> = (0..45i64)
        .map(|round| match round % 5 {
            0 => vec![int(round % 61), Value::Text("k7".into())],
            1 => vec![Value::Null, Value::Text(format!("k{}", round * 23 + 1))],
            2 => vec![int(1000), Value::Text("none".into())],
            3 => vec![int(5), Value::Null],
            _ => vec![int(round), Value::Text(format!("k{round}"))],
        })
        .collect();
    let filtered: Vec<Vec<Value>> = (0..45i64)
        .map(|round| {
            vec![
                int(round * 23 % 1000),
                int(round % 4 + 1),
                int(round * 31 % 700),
            ]
        })
        .collect();
    for (sql, runs) in [
        ("SELECT * FROM t ORDER BY id LIMIT ? OFFSET ?", &offsets),
        (
            "SELECT id, b FROM t ORDER BY id DESC LIMIT ? OFFSET ?",
            &offsets,
        ),
        ("SELECT id, g FROM t LIMIT ? OFFSET ?", &offsets),
        (
            "SELECT id, s FROM t WHERE b < ? LIMIT ? OFFSET ?",
            &filtered,
        ),
        (
            "SELECT count(*), sum(b), max(s) FROM t WHERE a = ? OR s = ?",
            &keys,
        ),
        (
            "SELECT g, count(*) FROM t WHERE a = ?1 OR s = ?2 OR a IS NULL GROUP BY g",
            &keys,
        ),
    ] {
        let mut prepared = ember.prepare(sql).unwrap();
        let mut statement = sqlite.prepare(sql).unwrap();
        let columns = statement.column_count();
        for params in runs {
            let mine = prepared.query_all(params.as_slice()).unwrap().into_values();
            let bound: Vec<_> = params.iter().map(super::support::to_sqlite).collect();
            let mut rows = statement
                .query(rusqlite::params_from_iter(bound.iter()))
                .unwrap();
            let mut theirs: Vec<Vec<Value>> = Vec::new();
            while let Some(row) = rows.next().unwrap() {
                let cells =
                    (0..columns).map(|i| super::support::from_sqlite(row.get_ref(i).unwrap()));
                theirs.push(cells.collect());
            }
            assert_eq!(mine, theirs, "{sql} with {params:?}");
        }
    }
    writer.execute("ROLLBACK", ()).unwrap();
}
