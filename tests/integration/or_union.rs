//! An OR whose every branch an index or key reaches, read as a union of lookups
//! (`OrUnion`): the plans EXPLAIN shows (and the ORs that stay scans), and answers checked
//! against SQLite itself for overlapping branches, NULLs, collations and affinity, after
//! writes and deletes, in UPDATE and DELETE (each target once), under another
//! transaction's uncommitted writes and under an old snapshot.

use ember::{Connection, Database};

use crate::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT, \
     n TEXT COLLATE NOCASE, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_b ON t(b)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_bg ON t(b, g)",
];

/// Rows 1..=2000: `a` NULL every 13th row, `s` NULL every 11th, `n` in mixed case.
const FILL: &str =
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 2000) \
     INSERT INTO t SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 97 END, i * 7 % 1000, \
     CASE WHEN i % 11 = 0 THEN NULL ELSE 'k' || i END, \
     CASE i % 3 WHEN 0 THEN 'Ab' || (i % 50) ELSE 'aB' || (i % 50) END, 'g' || (i % 5) FROM r";

fn loaded() -> (Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    db.connect().execute(FILL, ()).unwrap();
    sqlite.execute(FILL, []).unwrap();
    (db, sqlite)
}

/// The ORs the union serves, each with overlapping branches (rows that match several).
const UNION_ORS: &[&str] = &[
    "a = 5 OR b = 7",
    "a = 5 OR a = 5",
    "a IS NULL OR s IS NULL",
    "id = 3 OR a = 9",
    "id = 26 OR a IS NULL",
    "a BETWEEN 1 AND 3 OR s = 'k17'",
    "a IN (4, 5, 6) OR b IN (14, 21) OR s = 'k100'",
    "a = 5 OR (b = 35 AND g = 'g0')",
    "(a = 5 AND b > 500) OR s = 'k18'",
    "n = 'ab7' OR a = 1",
    "a = '5' OR b = 7.0",
    "s = 5 OR a = 2",
    "id BETWEEN 10 AND 20 OR b = 700",
    "s LIKE 'k19%' OR a = 3",
    "a = 5 OR b = 7 OR s IS NULL OR id = 1999",
];

/// ORs that must stay scans: a branch no index reaches, or one that reaches most rows.
const SCAN_ORS: &[&str] = &["a = 5 OR g = 'g1'", "a > 5 OR b = 7", "a = 5 OR g IS NULL"];

fn queries(ors: &[&str]) -> Vec<String> {
    let mut queries = Vec::new();
    for or in ors {
        queries.push(format!("SELECT * FROM t WHERE {or} ORDER BY id"));
        queries.push(format!("SELECT count(*), sum(b), max(s) FROM t WHERE {or}"));
        queries.push(format!(
            "SELECT id, a FROM t WHERE ({or}) AND id % 2 = 0 ORDER BY id"
        ));
        queries.push(format!(
            "SELECT id FROM t WHERE {or} ORDER BY a DESC, id LIMIT 7"
        ));
    }
    queries
}

fn assert_all_same(ember: &Connection, sqlite: &rusqlite::Connection, after: &str) {
    let all: Vec<&str> = UNION_ORS.iter().chain(SCAN_ORS).copied().collect();
    let queries = queries(&all);
    let checks: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_answers(ember, sqlite, &checks, after);
}

#[test]
fn plans_show_the_union_for_ors_of_indexed_branches() {
    let (db, _) = loaded();
    let conn = db.connect();
    for or in UNION_ORS {
        let plan = explain(&conn, &format!("SELECT * FROM t WHERE {or}"), &[]).join("\n");
        assert!(plan.contains("OrUnion t "), "{or}:\n{plan}");
    }
    for or in SCAN_ORS {
        let plan = explain(&conn, &format!("SELECT * FROM t WHERE {or}"), &[]).join("\n");
        assert!(!plan.contains("OrUnion"), "{or}:\n{plan}");
    }
    let plan = explain(&conn, "SELECT count(*) FROM t WHERE a = 5 OR b = 7", &[]);
    assert_eq!(
        plan.last().map(String::as_str),
        Some(
            "   └─ OrUnion t IndexLookup t using t_a (a = 5) | IndexLookup t using t_b (b = 7) \
             filter ((a = 5) OR (b = 7))"
        ),
        "{plan:?}"
    );
    let plan = explain(&conn, "SELECT id FROM t WHERE a IS NULL OR id = 3", &[]);
    assert!(
        plan.iter().any(|line| line
            .contains("OrUnion t IndexNull using t_a (a IS NULL) | KeyLookup t (id = 3)")),
        "{plan:?}"
    );
}

#[test]
fn union_answers_match_sqlite_after_writes_and_deletes() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    assert_all_same(&ember, &sqlite, "the fill");
    for sql in [
        "UPDATE t SET a = NULL WHERE id % 29 = 0",
        "UPDATE t SET b = 7, s = NULL WHERE id % 31 = 0",
        "DELETE FROM t WHERE id % 7 = 0",
        "INSERT INTO t VALUES (5000, 5, 7, 'k17', 'AB7', 'g0'), \
         (5001, NULL, NULL, NULL, NULL, NULL)",
        "UPDATE t SET id = id + 10000 WHERE a = 9 OR b = 21",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
        assert_all_same(&ember, &sqlite, sql);
    }
}

#[test]
fn update_and_delete_with_or_change_each_target_once() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    for sql in [
        // Rows matching both branches are updated once: `b + 1000` lands once.
        "UPDATE t SET b = b + 1000 WHERE a = 5 OR b = 7 OR a IN (5, 6)",
        // Moves rows from one branch's key to the other's: still each row once.
        "UPDATE t SET a = a + 1 WHERE a = 5 OR a = 6 OR a IS NULL",
        "UPDATE t SET s = NULL WHERE s = 'k17' OR id BETWEEN 15 AND 19 OR a IS NULL",
        "DELETE FROM t WHERE a = 7 OR s IS NULL OR b = 14",
        "DELETE FROM t WHERE id = 1 OR a = 8 OR (b = 49 AND g = 'g2')",
    ] {
        let plan = explain(&ember, sql, &[]).join("\n");
        assert!(plan.contains("OrUnion"), "{sql}:\n{plan}");
        let changed = ember.execute(sql, ()).unwrap();
        let expected = sqlite.execute(sql, []).unwrap();
        assert_eq!(changed, expected, "{sql}");
        assert_all_same(&ember, &sqlite, sql);
    }
}

#[test]
fn union_reads_see_their_own_snapshot_only() {
    let (db, sqlite) = loaded();
    let reader = db.connect();
    let writer = db.connect();
    let query = "SELECT id, a, b, s FROM t WHERE a = 5 OR b = 7 OR s IS NULL ORDER BY id";
    let count = "SELECT count(*) FROM t WHERE a = 5 OR b = 7 OR s IS NULL";
    let before = crate::support::ember_rows(&reader, query).unwrap();
    let count_before = crate::support::ember_rows(&reader, count).unwrap();
    // Uncommitted writes of another transaction: rows entering and leaving the branches.
    writer.execute("BEGIN", ()).unwrap();
    for sql in [
        "UPDATE t SET a = 5 WHERE id BETWEEN 100 AND 120",
        "UPDATE t SET b = 8 WHERE b = 7",
        "DELETE FROM t WHERE s IS NULL AND id < 500",
        "INSERT INTO t VALUES (9000, 5, 7, NULL, 'x', 'g1')",
    ] {
        writer.execute(sql, ()).unwrap();
        assert_eq!(crate::support::ember_rows(&reader, query).unwrap(), before);
        assert_eq!(
            crate::support::ember_rows(&reader, count).unwrap(),
            count_before
        );
    }
    // An old snapshot keeps seeing the rows as they were once the writes commit.
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(crate::support::ember_rows(&reader, query).unwrap(), before);
    writer.execute("COMMIT", ()).unwrap();
    assert_eq!(crate::support::ember_rows(&reader, query).unwrap(), before);
    assert_eq!(
        crate::support::ember_rows(&reader, count).unwrap(),
        count_before
    );
    // The writer sees its writes, as SQLite does after the same statements.
    for sql in [
        "UPDATE t SET a = 5 WHERE id BETWEEN 100 AND 120",
        "UPDATE t SET b = 8 WHERE b = 7",
        "DELETE FROM t WHERE s IS NULL AND id < 500",
        "INSERT INTO t VALUES (9000, 5, 7, NULL, 'x', 'g1')",
    ] {
        sqlite.execute(sql, []).unwrap();
    }
    assert_all_same(&writer, &sqlite, "the committed writes");
    reader.execute("COMMIT", ()).unwrap();
    assert_all_same(&reader, &sqlite, "the reader's new snapshot");
}
