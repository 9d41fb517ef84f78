//! DISTINCT and `count(DISTINCT col)` read in index order, each row compared with the
//! previous one instead of hashed (`optimize/distinct_order.rs`,
//! `exec/aggregate/distinct_walk.rs`): the plans EXPLAIN shows, when the path is not taken (ties
//! that differ, a filter the index does not decide, bare columns), and answers that match SQLite's
//! with ties, NULLs, REAL and untyped columns, NOCASE, an index prefix pinned by WHERE, ranges,
//! ORDER BY and LIMIT, an empty table, after writes and VACUUM, beside another transaction's
//! uncommitted writes, inside a transaction that wrote the table and in an old snapshot.

use super::settled_support::{
    same_answers_across_writes_and_vacuum, same_answers_beside_uncommitted_own_and_old,
};
use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, r REAL, s TEXT, \
     n TEXT COLLATE NOCASE, u)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_r ON t(r)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_u ON t(u)",
    "CREATE INDEX t_bs ON t(b, s)",
    "CREATE TABLE empty(k INTEGER, v TEXT)",
    "CREATE INDEX empty_k ON empty(k)",
    "CREATE INDEX empty_v ON empty(v)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 1500) SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 7919) % 301 - 150 \
     END, i % 13, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 3 = 0 THEN i % 40 \
     ELSE (i % 50) / 4.0 END, \
     CASE i % 5 WHEN 0 THEN 'k' || (i % 97) WHEN 1 THEN 'K' || (i % 89) WHEN 2 THEN NULL \
     WHEN 3 THEN 'é' || (i % 61) ELSE '' END, \
     CASE i % 3 WHEN 0 THEN 'n' || (i % 30) WHEN 1 THEN 'N' || (i % 31) ELSE NULL END, \
     CASE i % 6 WHEN 0 THEN 7 WHEN 1 THEN 7.0 WHEN 2 THEN '7' WHEN 3 THEN -3.5 \
     WHEN 4 THEN NULL ELSE x'07' END FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT count(DISTINCT s) FROM t",
    "SELECT count(DISTINCT a), 1 FROM t",
    "SELECT count(DISTINCT r) FROM t",
    "SELECT count(DISTINCT n) FROM t",
    "SELECT count(DISTINCT u) FROM t",
    "SELECT count(DISTINCT s) FROM t WHERE s >= 'k5'",
    "SELECT count(DISTINCT a) FROM t WHERE a BETWEEN -20 AND 40",
    "SELECT count(DISTINCT s) FROM t WHERE b = 4",
    "SELECT count(DISTINCT k), count(DISTINCT v) FROM empty",
    "SELECT count(DISTINCT k) FROM empty",
    "SELECT count(DISTINCT v) FROM empty",
    "SELECT * FROM (SELECT DISTINCT s FROM t) ORDER BY 1",
    "SELECT DISTINCT s FROM t ORDER BY s",
    "SELECT DISTINCT s FROM t ORDER BY s DESC",
    "SELECT DISTINCT a FROM t ORDER BY a",
    "SELECT DISTINCT a FROM t ORDER BY a DESC LIMIT 7",
    "SELECT DISTINCT a FROM t ORDER BY a LIMIT 5 OFFSET 3",
    "SELECT DISTINCT r FROM t ORDER BY r",
    "SELECT typeof(r), r FROM (SELECT DISTINCT r FROM t ORDER BY r DESC)",
    "SELECT DISTINCT b, s FROM t ORDER BY b, s",
    "SELECT DISTINCT b FROM t ORDER BY b DESC",
    "SELECT DISTINCT s FROM t WHERE b = 4 ORDER BY s",
    "SELECT DISTINCT a FROM t WHERE a > 100 ORDER BY a",
    "SELECT DISTINCT s FROM t WHERE s LIKE 'k1%' ORDER BY s",
    "SELECT count(*) FROM (SELECT DISTINCT a FROM t)",
    "SELECT count(*), sum(a) FROM (SELECT DISTINCT a FROM t WHERE a BETWEEN -50 AND 50)",
    "SELECT DISTINCT k FROM empty ORDER BY k",
    "SELECT DISTINCT v FROM empty",
    // Not walked (ties differ, or a filter the index does not decide): the same answers.
    "SELECT * FROM (SELECT DISTINCT n FROM t) ORDER BY lower(n)",
    "SELECT DISTINCT a FROM t WHERE b > 6 ORDER BY a",
];

const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 1000 WHERE id % 37 = 0",
    "DELETE FROM t WHERE a < -100 OR s = ''",
    "INSERT INTO t(id, a, b, r, s, n, u) VALUES (5001, -9999, 4, -1e9, 'zzz', 'ZZZ', 7), \
     (5002, 9999, 4, 1e9, 'k1', 'n1', 7.0), (5003, NULL, NULL, NULL, NULL, NULL, NULL)",
    "UPDATE t SET s = 'k' || (id % 3), a = id % 4 WHERE id % 2 = 0",
    "DELETE FROM t WHERE id > 20",
];

#[test]
fn distinct_answers_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn distinct_answers_beside_uncommitted_writes_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, WRITES);
}

#[test]
fn emptied_tables_and_all_null_columns() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let writes = [
        "UPDATE t SET a = NULL, s = NULL",
        "INSERT INTO empty VALUES (NULL, NULL), (NULL, NULL)",
    ];
    for write in writes {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
    assert_same_answers(&ember, &sqlite, CHECKS, "NULLs everywhere");
    for write in ["DELETE FROM t", "DELETE FROM empty"] {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
    assert_same_answers(&ember, &sqlite, CHECKS, "emptied");
}

#[test]
fn explain_shows_walks_in_index_order() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    assert_eq!(
        explain(&conn, "SELECT count(DISTINCT s) FROM t", &[]),
        [
            "Project count(DISTINCT s)",
            "└─ Aggregate count(DISTINCT s) by index order",
            "   └─ IndexRange t using t_s (s IS NOT NULL) order s ASC",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT count(DISTINCT n) FROM t", &[])[1..],
        [
            "└─ Aggregate count(DISTINCT n) by index order",
            "   └─ IndexRange t using t_n (n IS NOT NULL) order n ASC",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT DISTINCT s FROM t", &[]),
        [
            "Distinct by index order",
            "└─ Project s",
            "   └─ IndexRange t using t_s order s ASC",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT DISTINCT a FROM t ORDER BY a DESC LIMIT 3",
            &[]
        ),
        [
            "Limit 3",
            "└─ Distinct by index order",
            "   └─ Project a",
            "      └─ IndexRange t using t_a order a DESC",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT DISTINCT b, s FROM t ORDER BY b", &[]),
        [
            "Distinct by index order",
            "└─ Project b, s",
            "   └─ IndexRange t using t_bs order b ASC",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT DISTINCT s FROM t WHERE b = 4", &[]),
        [
            "Distinct by index order",
            "└─ Project s",
            "   └─ IndexRange t using t_bs (b = 4) order s ASC filter (b = 4)",
        ]
    );
}

#[test]
fn distincts_the_walk_cannot_decide_keep_hashing() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    let hashed = [
        // Ties that are different values: NOCASE text, a column without affinity.
        "SELECT DISTINCT n FROM t",
        "SELECT DISTINCT u FROM t",
        // A filter no index decides: a walk would read every row out of order.
        "SELECT DISTINCT a FROM t WHERE b > 6",
        "SELECT count(DISTINCT a) FROM t WHERE b > 6",
        // Columns that are not the index's leading ones, or an expression.
        "SELECT DISTINCT s, b FROM t",
        "SELECT DISTINCT a + 1 FROM t",
        // An ORDER BY the walk does not give.
        "SELECT DISTINCT a FROM t ORDER BY a DESC NULLS FIRST",
        // A bare column (a scan's first row is not a walk's), several aggregates, GROUP BY.
        "SELECT count(DISTINCT a), id FROM t",
        "SELECT count(DISTINCT a), count(*) FROM t",
        // (GROUP BY b alone is folded along t_bs, `index_group.rs`: a GROUP BY walk.)
        "SELECT count(DISTINCT s) FROM t GROUP BY b % 5",
        // A collation the index is not ordered by.
        "SELECT count(DISTINCT s COLLATE NOCASE) FROM t",
    ];
    for sql in hashed {
        let plan = explain(&conn, sql, &[]);
        assert!(
            plan.iter().all(|line| !line.contains("by index order")),
            "{sql}: {plan:#?}"
        );
    }
}
