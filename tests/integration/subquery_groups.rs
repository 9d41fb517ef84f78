//! A correlated subquery's aggregate runs once per outer row through an operator tree that
//! is rewound between runs, its grouper emptied and kept (`exec/aggregate/mod.rs`
//! `Grouper::reset`): answers equal SQLite's for GROUP BY with many groups, DISTINCT,
//! group_concat, FILTER, min/max beside bare columns, and aggregates whose arguments read
//! the outer row (compiled per run); and the memory each run's groups hold is given back
//! before the next run, so a budget that one run fits in is enough for all.

use ember::{Database, Options};

use super::support::{assert_same_answers, both_engines_with_t};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
];

#[test]
fn rewound_aggregates_answer_as_sqlite() {
    let (db, sqlite) = both_engines_with_t(SCHEMA, 3000);
    let checks = [
        // The first group in key order of many (up to 1,000 per run).
        "SELECT id, (SELECT count(*) FROM t AS i WHERE i.a = t.a GROUP BY i.b) FROM t \
         WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT count(DISTINCT i.b % 10) FROM t AS i WHERE i.a = t.a) FROM t \
         WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT group_concat(DISTINCT i.g ORDER BY i.g) FROM t AS i WHERE i.a = t.a \
         AND i.id < 60) FROM t WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT sum(i.c) FILTER (WHERE i.b > 500) FROM t AS i WHERE i.a = t.a) \
         FROM t WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT max(i.b) || '/' || i.s FROM t AS i WHERE i.a = t.a) FROM t \
         WHERE id <= 40 ORDER BY id",
        // Arguments and filters reading the outer row: compiled again each run.
        "SELECT id, (SELECT sum(i.b * t.id) FROM t AS i WHERE i.a = t.a) FROM t \
         WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT count(*) FILTER (WHERE i.b < t.b) FROM t AS i WHERE i.a = t.a) \
         FROM t WHERE id <= 40 ORDER BY id",
        "SELECT id, (SELECT count(*) FROM t AS i WHERE i.a = t.a GROUP BY i.b % t.id) \
         FROM t WHERE id <= 40 ORDER BY id",
        // No rows in some runs: the empty group of an aggregate without GROUP BY.
        "SELECT id, (SELECT count(*) FROM t AS i WHERE i.a = t.a AND i.b < t.id - 30), \
         (SELECT sum(i.b) FROM t AS i WHERE i.a = t.a AND i.b < t.id - 30) FROM t \
         WHERE id <= 40 ORDER BY id",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "loading");
}

#[test]
fn each_run_gives_its_groups_memory_back() {
    // One run holds 500 groups of 4 rows (a few hundred KiB); 400 runs kept would pass the
    // budget many times over. The subquery reads the outer row's key, so no run is
    // answered from the memo of an earlier one.
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(16 << 20));
    let conn = db.connect();
    conn.execute(SCHEMA[0], ()).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4000) \
         INSERT INTO t SELECT i, i % 2, i * 7 % 1000, i / 8.0, 'k' || i, 'g' || (i % 5) FROM n",
        (),
    )
    .unwrap();
    let rows = conn
        .query(
            "SELECT id, (SELECT count(*) FROM t AS i WHERE i.a = t.a AND i.id <> -t.id \
             GROUP BY i.b) FROM t WHERE id <= 400",
            (),
        )
        .unwrap()
        .into_values();
    assert_eq!(rows.len(), 400);
    assert!(
        rows.iter().all(|row| row[1] == ember::Value::Integer(4)),
        "{rows:?}"
    );
}
