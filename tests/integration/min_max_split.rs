//! Several min/max aggregates without GROUP BY, each read from its own single-entry index
//! walk (`optimize/min_max_split.rs`): the plan splits only when every call gets such a
//! walk that its range decides alone, nothing reads the bare columns and ties are
//! identical values (not under NOCASE or in an untyped column), and the answers match
//! SQLite's, with NULLs, negative and REAL keys, an index prefix pinned by WHERE, an
//! empty table, after writes and VACUUM, beside uncommitted writes, in an old snapshot and
//! inside a transaction that wrote the table.

use super::settled_support::{
    same_answers_across_writes_and_vacuum, same_answers_beside_uncommitted_own_and_old,
};
use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, r REAL, s TEXT, \
     n TEXT COLLATE NOCASE, z INTEGER, u)",
    "CREATE INDEX t_u ON t(u)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_r ON t(r)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_bs ON t(b, s)",
    "CREATE INDEX t_z ON t(z)",
    "CREATE TABLE empty(k INTEGER, v TEXT)",
    "CREATE INDEX empty_k ON empty(k)",
    "CREATE INDEX empty_v ON empty(v)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 2000) SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 7919) % 3001 - 1500 \
     END, i % 13, CASE WHEN i % 7 = 0 THEN NULL ELSE i / 3.5 - 100 END, \
     CASE i % 5 WHEN 0 THEN 'k' || (i % 97) WHEN 1 THEN 'K' || (i % 89) WHEN 2 THEN NULL \
     WHEN 3 THEN 'é' || i ELSE '' END, \
     CASE i % 3 WHEN 0 THEN 'n' || (i % 30) WHEN 1 THEN 'N' || (i % 31) ELSE NULL END, \
     NULL, CASE i % 4 WHEN 0 THEN 7 WHEN 1 THEN 7.0 WHEN 2 THEN -3.0 ELSE -3 END FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT min(a), max(a) FROM t",
    "SELECT max(a) - min(a), min(r), max(r), min(s), max(s) FROM t",
    "SELECT min(n), max(n), min(s), max(s) FROM t",
    "SELECT min(z), max(z), min(a) FROM t",
    "SELECT min(u), max(u), typeof(min(u)), typeof(max(u)) FROM t",
    "SELECT min(a), max(a) FROM t WHERE a > 17",
    "SELECT min(a), max(a) FROM t WHERE a BETWEEN -300 AND 40",
    "SELECT min(a), max(a) FROM t WHERE a > 5000",
    "SELECT min(s), max(s), max(s) || '!' FROM t WHERE b = 4",
    "SELECT min(s), max(s) FROM t WHERE b = 99",
    "SELECT coalesce(min(k), -1), max(k), min(v), max(v) FROM empty",
    "SELECT min(a), max(a) FROM t WHERE b = 4",
    "SELECT min(a), max(b) FROM t WHERE a < 0",
    "SELECT min(a), max(a), count(*) FROM t",
];

const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 2000 WHERE id % 97 = 0",
    "DELETE FROM t WHERE a < -1400 OR a > 3400",
    "INSERT INTO t(id, a, r, s, n, z) VALUES (5001, -9999, -1e9, 'zzz', 'ZZZ', 4), \
     (5002, 9999, 1e9, '', 'a', -4)",
    "UPDATE t SET z = NULL",
];

#[test]
fn split_answers_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn split_answers_beside_uncommitted_writes_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, WRITES);
}

#[test]
fn empty_and_all_null_columns_give_nulls() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    ember.execute("DELETE FROM empty", ()).unwrap();
    assert_same_answers(&ember, &sqlite, CHECKS, "loading");
    let all_null = "SELECT min(z), max(z) FROM t";
    assert_eq!(
        ember.query(all_null, ()).unwrap().into_values(),
        vec![vec![ember::Value::Null, ember::Value::Null]]
    );
}

#[test]
fn explain_shows_one_single_entry_walk_per_call() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    assert_eq!(
        explain(&conn, "SELECT max(a) - min(a), min(s) FROM t", &[]),
        [
            "Project (max(a) - min(a)), min(s)",
            "└─ NestedLoopJoin",
            "   └─ NestedLoopJoin",
            "      └─ Aggregate max(a)",
            "         └─ IndexRange t using t_a (a IS NOT NULL) order a DESC first",
            "      └─ Aggregate min(a)",
            "         └─ IndexRange t using t_a (a IS NOT NULL) order a ASC first",
            "   └─ Aggregate min(s)",
            "      └─ IndexRange t using t_s (s IS NOT NULL) order s ASC first",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT min(s), max(s) FROM t WHERE b = 4", &[])[2..],
        [
            "   └─ Aggregate min(s)",
            concat!(
                "      └─ IndexRange t using t_bs (b = 4, s IS NOT NULL) order s ASC first ",
                "filter (b = 4)"
            ),
            "   └─ Aggregate max(s)",
            concat!(
                "      └─ IndexRange t using t_bs (b = 4, s IS NOT NULL) order s DESC first ",
                "filter (b = 4)"
            ),
        ]
    );
}

#[test]
fn calls_without_a_decided_single_entry_walk_keep_one_aggregate() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    let unsplit = [
        // A call of an unindexed column, or not min/max.
        "SELECT min(a), max(id + 1) FROM t",
        "SELECT min(a), max(a), count(*) FROM t",
        // Ties that are different values: NOCASE text, a column without affinity.
        "SELECT min(n), max(n) FROM t",
        "SELECT min(u), max(u) FROM t",
        // A bare column (SQLite takes it from one min/max row).
        "SELECT min(a), max(a), id FROM t",
        // A filter the index range does not decide: each walk could read far.
        "SELECT min(a), max(a) FROM t WHERE b = 4",
        // The WHERE clause ranges another column.
        "SELECT min(a), max(b) FROM t WHERE a < 0",
        // GROUP BY.
        "SELECT min(a), max(a) FROM t GROUP BY b",
    ];
    for sql in unsplit {
        let plan = explain(&conn, sql, &[]);
        assert!(
            plan.iter().all(|line| !line.contains("NestedLoopJoin")),
            "{sql}: {plan:#?}"
        );
    }
}
