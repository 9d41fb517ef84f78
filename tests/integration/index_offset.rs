//! An OFFSET over an index walk whose range decides its filter, stepped over by index
//! entries without reading the rows (`exec/scan/range_skip.rs`, storage `ordered_skip.rs`):
//! EXPLAIN marks it, and the rows after it match SQLite's ascending and descending, on
//! INTEGER and TEXT keys with ties and NULLs, within ranges and prefixes, past the end,
//! with parameters, after writes and VACUUM, beside another transaction's uncommitted
//! inserts, updates and deletes (entries that must not count), inside a transaction that
//! wrote the table and in an old snapshot.

use ember::Value;

use super::settled_support::{
    same_answers_across_writes_and_vacuum, same_answers_beside_uncommitted_own_and_old,
};
use super::support::{both_engines, explain, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_bs ON t(b, s)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 3000) SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE (i * 7919) % 701 END, \
     i % 7, CASE WHEN i % 9 = 0 THEN NULL ELSE 'k' || ((i * 31) % 1200) END FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT id FROM t ORDER BY a LIMIT 10 OFFSET 500",
    "SELECT id, a FROM t ORDER BY a DESC LIMIT 10 OFFSET 777",
    "SELECT * FROM t ORDER BY a LIMIT 3 OFFSET 1",
    "SELECT id FROM t ORDER BY a LIMIT 5 OFFSET 0",
    "SELECT id FROM t ORDER BY a LIMIT 5 OFFSET 2995",
    "SELECT id FROM t ORDER BY a LIMIT 5 OFFSET 100000",
    "SELECT id FROM t ORDER BY a LIMIT -1 OFFSET 2990",
    "SELECT id FROM t ORDER BY a LIMIT 4 OFFSET -5",
    "SELECT s FROM t ORDER BY s LIMIT 10 OFFSET 1234",
    "SELECT id, s FROM t ORDER BY s DESC LIMIT 10 OFFSET 2000",
    "SELECT id FROM t WHERE a > 300 ORDER BY a LIMIT 5 OFFSET 400",
    "SELECT id FROM t WHERE a BETWEEN 10 AND 200 ORDER BY a DESC LIMIT 5 OFFSET 50",
    "SELECT id, s FROM t WHERE b = 3 ORDER BY s LIMIT 6 OFFSET 100",
    "SELECT id, s FROM t WHERE s LIKE 'k1%' ORDER BY s LIMIT 6 OFFSET 50",
    "SELECT id FROM t WHERE s > 'k5' LIMIT 6 OFFSET 300",
    // A filter the range does not decide: rows read and dropped, as before (the keys
    // only: SQLite may sort instead, which orders ties otherwise).
    "SELECT a FROM t WHERE b > 2 ORDER BY a LIMIT 10 OFFSET 500",
];

const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 1000 WHERE id % 37 = 0",
    "DELETE FROM t WHERE a < 100",
    "INSERT INTO t VALUES (5001, -1, 3, 'k0'), (5002, 5000, 3, 'zz'), (5003, NULL, 3, NULL)",
    "UPDATE t SET s = 'k' || (id % 3), a = id % 4 WHERE id % 2 = 0",
    "DELETE FROM t WHERE id % 5 <> 0",
];

#[test]
fn offset_answers_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn offset_answers_beside_uncommitted_writes_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, WRITES);
}

#[test]
fn offsets_bound_as_parameters_match_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    for (limit, offset) in [(10, 0), (10, 1), (3, 1500), (7, 2999), (7, 3000), (2, -1)] {
        let ours = conn
            .query(
                "SELECT id FROM t ORDER BY a DESC LIMIT ?1 OFFSET ?2",
                (limit, offset),
            )
            .unwrap()
            .into_values();
        let sql = format!("SELECT id FROM t ORDER BY a DESC LIMIT {limit} OFFSET {offset}");
        assert_eq!(Ok(ours), sqlite_rows(&sqlite, &sql), "{sql}");
    }
    let error = conn
        .query("SELECT id FROM t ORDER BY a LIMIT 3 OFFSET ?1", ("x",))
        .map(|rows| rows.into_values());
    assert!(error.is_err(), "{error:?}");
}

#[test]
fn explain_marks_offsets_stepped_over_by_entries() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM t ORDER BY a LIMIT 10 OFFSET 500",
            &[]
        ),
        [
            "Limit 10 offset 500 by index entries (fused read)",
            "└─ Project id",
            "   └─ IndexRange t using t_a order a ASC",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM t WHERE a > 300 ORDER BY a DESC LIMIT 5 OFFSET ?1",
            &[Value::Integer(4)]
        ),
        [
            "Limit 5 offset $1 by index entries (fused read)",
            "└─ Project id",
            "   └─ IndexRange t using t_a (a > 300) order a DESC filter (a > 300)",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM t WHERE b > 2 ORDER BY a LIMIT 10 OFFSET 5",
            &[]
        )[..3],
        ["Limit 10", "└─ Project id", "   └─ TopK 10 offset 5 a ASC"]
    );
}
