//! NULL tests on indexed columns as index ranges (`optimize/null_range.rs`): `col IS NULL`
//! walks the index's NULL keys, `col IS NOT NULL` the keys past them, alone (when the
//! index's NULL share makes the walk pay), after an equality prefix, beside range bounds on
//! the column, under ORDER BY .. LIMIT in either direction, and counted from the index
//! entries. Answers are compared with SQLite on unique and non-unique indexes, INTEGER and
//! TEXT (NOCASE too) columns, after writes that set and clear NULLs, and under a snapshot
//! opened before them; EXPLAIN shows the new bounds.

use ember::Database;

use super::support::{self, assert_same_rows, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT, \
     n TEXT COLLATE NOCASE, u INTEGER, c INTEGER)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_bs ON t(b, s)",
    "CREATE UNIQUE INDEX t_u ON t(u)",
    "CREATE INDEX t_c ON t(c)",
];

/// 3,000 rows: `a` NULL in 9 of 10 rows, `s` in 4 of 5, `n` in 3 of 4, `u` (unique) in
/// 19 of 20, `c` in 1 of 25 (few: a walk of its values does not pay, only a count).
const FILL: &str = "INSERT INTO t WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 \
     FROM k WHERE i < 3000) SELECT i, CASE WHEN i % 10 = 3 THEN (i * 7919) % 400 END, i % 7, \
     CASE WHEN i % 5 = 1 THEN 'k' || (i % 211) END, CASE WHEN i % 4 = 2 THEN \
     (CASE WHEN i % 8 = 2 THEN 'Q' ELSE 'q' END) || (i % 37) END, CASE WHEN i % 20 = 0 THEN \
     i END, CASE WHEN i % 25 <> 0 THEN i % 300 END FROM k";

/// Writes that set NULLs and clear them, and leave stale index entries behind.
const WRITES: &[&str] = &[
    "UPDATE t SET a = NULL WHERE a < 40",
    "UPDATE t SET a = id % 50 WHERE a IS NULL AND id % 9 = 0",
    "UPDATE t SET s = NULL WHERE id % 3 = 0",
    "UPDATE t SET s = 'z' || (id % 13), n = NULL WHERE s IS NULL AND id % 11 = 0",
    "DELETE FROM t WHERE a IS NULL AND id % 13 = 0",
    "INSERT INTO t SELECT id + 5000, NULL, b, NULL, n, NULL, NULL FROM t WHERE id % 17 = 0",
    "UPDATE t SET u = id + 100000 WHERE u IS NULL AND id % 31 = 0",
    "UPDATE t SET c = NULL WHERE c > 250",
];

const QUERIES: &[&str] = &[
    "SELECT count(*) FROM t WHERE a IS NULL",
    "SELECT count(*) FROM t WHERE a IS NOT NULL",
    "SELECT count(a), count(*) FROM t WHERE a IS NOT NULL",
    "SELECT count(a) FROM t",
    "SELECT count(c) FROM t",
    "SELECT count(c), count(*) FROM t WHERE c IS NOT NULL",
    "SELECT count(*) FROM t WHERE c IS NULL",
    "SELECT count(*) FROM t WHERE s IS NULL",
    "SELECT count(*) FROM t WHERE u IS NOT NULL",
    "SELECT count(*) FROM t WHERE n IS NOT NULL",
    "SELECT count(*) FROM t WHERE a IS NOT NULL AND b < 3",
    "SELECT count(*) FROM t WHERE a IS NULL AND a IS NOT NULL",
    "SELECT count(*) FROM t WHERE a > 100 AND a IS NOT NULL",
    "SELECT count(*) FROM t WHERE a > 100 AND a IS NULL",
    "SELECT count(*) FROM t WHERE a BETWEEN 10 AND 300 AND a IS NOT NULL",
    "SELECT count(*) FROM t WHERE s >= 'k1' AND s IS NOT NULL",
    "SELECT count(*) FROM t WHERE s LIKE 'k1%' AND s IS NOT NULL",
    "SELECT id, a FROM t WHERE a IS NOT NULL ORDER BY id",
    "SELECT id FROM t WHERE a IS NULL ORDER BY id",
    "SELECT sum(b), min(a), max(a) FROM t WHERE a IS NOT NULL",
    "SELECT min(a), max(a) FROM t WHERE a IS NULL",
    "SELECT min(s), max(s) FROM t WHERE s IS NOT NULL",
    "SELECT a, id FROM t WHERE a IS NOT NULL ORDER BY a, id LIMIT 7",
    "SELECT a, id FROM t WHERE a IS NOT NULL ORDER BY a DESC, id DESC LIMIT 7",
    "SELECT a FROM t WHERE a IS NOT NULL ORDER BY a LIMIT 5 OFFSET 20",
    "SELECT a FROM t WHERE a IS NOT NULL ORDER BY a DESC LIMIT 5 OFFSET 20",
    "SELECT s FROM t WHERE s IS NOT NULL ORDER BY s LIMIT 6",
    "SELECT s FROM t WHERE s IS NOT NULL ORDER BY s DESC LIMIT 6",
    "SELECT n FROM t WHERE n IS NOT NULL ORDER BY n, id LIMIT 6",
    "SELECT u FROM t WHERE u IS NOT NULL ORDER BY u DESC LIMIT 4",
    "SELECT u, id FROM t WHERE u IS NULL ORDER BY id LIMIT 4",
    "SELECT id, s FROM t WHERE b = 3 AND s IS NULL ORDER BY id",
    "SELECT count(*) FROM t WHERE b = 3 AND s IS NULL",
    "SELECT count(*) FROM t WHERE b = 3 AND s IS NOT NULL",
    "SELECT s, id FROM t WHERE b = 4 AND s IS NOT NULL ORDER BY s DESC, id DESC LIMIT 5",
    "SELECT id FROM t WHERE b = 4 AND s IS NOT NULL AND s < 'k5' ORDER BY id",
    "SELECT id FROM t WHERE (a IS NULL OR a > 350) AND id < 60 ORDER BY id",
    "SELECT id FROM t WHERE a IS NOT NULL AND a = 77 ORDER BY id",
    "SELECT count(*) FROM t WHERE s IS NOT NULL AND s COLLATE NOCASE > 'K1'",
];

fn load() -> (Database, rusqlite::Connection) {
    let (db, sqlite) = support::both_engines(SCHEMA);
    db.connect().execute(FILL, ()).unwrap();
    sqlite.execute(FILL, []).unwrap();
    (db, sqlite)
}

#[test]
fn null_tests_on_indexed_columns_answer_as_sqlite_across_writes() {
    let (db, sqlite) = load();
    let ember = db.connect();
    assert_same_rows(&ember, &sqlite, QUERIES);
    for write in WRITES {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
        support::assert_same_answers(&ember, &sqlite, QUERIES, write);
    }
}

#[test]
fn an_older_snapshot_sees_the_nulls_it_began_with() {
    let (db, sqlite) = load();
    let writer = db.connect();
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    let before: Vec<_> = QUERIES
        .iter()
        .map(|sql| support::ember_rows(&reader, sql))
        .collect();
    for (sql, seen) in QUERIES.iter().zip(&before) {
        assert_eq!(seen, &support::sqlite_rows(&sqlite, sql), "{sql} before");
    }
    for write in WRITES {
        writer.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
    for (sql, seen) in QUERIES.iter().zip(&before) {
        assert_eq!(
            &support::ember_rows(&reader, sql),
            seen,
            "{sql} in the old snapshot"
        );
    }
    reader.execute("COMMIT", ()).unwrap();
    assert_same_rows(&reader, &sqlite, QUERIES);
}

#[test]
fn explain_shows_null_tests_as_index_bounds() {
    let (db, _sqlite) = load();
    let conn = db.connect();
    let golden: &[(&str, &[&str])] = &[
        (
            "SELECT count(*) FROM t WHERE a IS NULL",
            &[
                "Project count(*)",
                "└─ Aggregate count(*) counting",
                "   └─ IndexRange t using t_a (a IS NULL) order a ASC filter (a IS NULL)",
            ],
        ),
        (
            "SELECT id FROM t WHERE a IS NOT NULL",
            &[
                "Project id (fused read)",
                "└─ IndexRange t using t_a (a IS NOT NULL) order a ASC filter (a IS NOT NULL)",
            ],
        ),
        (
            "SELECT id FROM t WHERE b = 2 AND s IS NULL",
            &[
                "Project id (fused read)",
                "└─ IndexRange t using t_bs (b = 2, s IS NULL) order s ASC \
                 filter ((b = 2) AND (s IS NULL))",
            ],
        ),
        (
            "SELECT s FROM t WHERE s IS NOT NULL ORDER BY s DESC LIMIT 3",
            &[
                "Limit 3 (fused read)",
                "└─ Project s",
                "   └─ IndexRange t using t_s (s IS NOT NULL) order s DESC \
                 filter (s IS NOT NULL)",
            ],
        ),
        // Few NULLs in `c`: its values are most rows, a scan reads them cheaper ...
        (
            "SELECT id FROM t WHERE c IS NOT NULL",
            &[
                "Project id (fused read)",
                "└─ Scan t filter (c IS NOT NULL)",
            ],
        ),
        // ... but they are counted from the index entries.
        (
            "SELECT count(c) FROM t WHERE c IS NOT NULL",
            &[
                "Project count(c)",
                "└─ Aggregate count(c) counting",
                "   └─ IndexRange t using t_c (c IS NOT NULL) order c ASC filter (c IS NOT NULL)",
            ],
        ),
        (
            "SELECT count(c) FROM t",
            &[
                "Project count(c)",
                "└─ Aggregate count(c) counting",
                "   └─ IndexRange t using t_c (c IS NOT NULL) order c ASC",
            ],
        ),
        // A bound decides `IS NOT NULL`: nothing is left to check per entry.
        (
            "SELECT count(*) FROM t WHERE a > 5 AND a IS NOT NULL",
            &[
                "Project count(*)",
                "└─ Aggregate count(*) counting",
                "   └─ IndexRange t using t_a (a > 5) order a ASC \
                 filter ((a > 5) AND (a IS NOT NULL))",
            ],
        ),
    ];
    for (sql, lines) in golden {
        assert_eq!(explain(&conn, sql, &[]), *lines, "{sql}");
    }
}

#[test]
fn a_sum_beside_counts_is_not_answered_from_the_index() {
    // `sum(c)` needs every row's value: the counting rewrite leaves the scan alone.
    let (db, sqlite) = load();
    let conn = db.connect();
    let plan = explain(&conn, "SELECT count(c), sum(c) FROM t", &[]);
    assert!(plan.iter().any(|line| line.contains("Scan t")), "{plan:?}");
    assert_same_rows(
        &conn,
        &sqlite,
        &[
            "SELECT count(c), sum(c) FROM t",
            "SELECT count(c), count(a) FROM t",
            "SELECT count(c), count(*) FROM t",
        ],
    );
}
