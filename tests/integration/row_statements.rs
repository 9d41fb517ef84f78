//! DELETE and upsert statements compared with SQLite statement by statement, for the ways
//! they keep their rows: a DELETE without RETURNING keeps only its targets' row ids (in the
//! connection's kept list, shared with UPDATE); a DELETE or UPDATE with RETURNING decodes
//! only the columns its filter, its assignments and its RETURNING expressions read; an
//! upsert's scratch row keeps the last statement's values, each literal text written into
//! the buffer of the text it replaces. Each is checked under a reader holding a snapshot
//! from before the statements, across tables of the same width and across sizes.

use ember::Value;

use crate::support::{assert_same_answers, both_engines, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    // As wide as `t`, with other types in the same positions and text defaults.
    "CREATE TABLE v(k INTEGER PRIMARY KEY, name TEXT DEFAULT 'unnamed', n INTEGER, \
     r BLOB, note TEXT DEFAULT 'a longer default note', z INTEGER DEFAULT 3)",
    "CREATE TABLE parent(id INTEGER PRIMARY KEY, label TEXT)",
    "CREATE TABLE child(id INTEGER PRIMARY KEY, parent_id INTEGER REFERENCES parent(id) \
     ON DELETE CASCADE, note TEXT)",
];

const STATE: &[&str] = &[
    "SELECT * FROM t ORDER BY id",
    "SELECT id, a, s FROM t WHERE a BETWEEN -100 AND 100 ORDER BY a, id",
    "SELECT id, s FROM t WHERE s >= '' ORDER BY s, id",
    "SELECT * FROM v ORDER BY k",
    "SELECT * FROM parent ORDER BY id",
    "SELECT * FROM child ORDER BY id",
];

fn load(rows: i64) -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    ember.execute("PRAGMA foreign_keys = ON", ()).unwrap();
    sqlite.execute("PRAGMA foreign_keys = ON", []).unwrap();
    for sql in [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             INSERT INTO t SELECT i, i % 50, i % 7, i / 4.0, CASE WHEN i % 5 = 0 THEN NULL \
             ELSE 'k' || i END, 'g' || (i % 9) FROM n"
        ),
        "INSERT INTO v(k, n) VALUES (1, 10), (2, 20)".to_string(),
        "INSERT INTO parent VALUES (1, 'p1'), (2, 'p2'), (3, 'p3')".to_string(),
        "INSERT INTO child VALUES (1, 1, 'c1'), (2, 1, 'c2'), (3, 2, 'c3'), (4, NULL, 'c4')"
            .to_string(),
    ] {
        ember.execute(&sql, ()).unwrap();
        sqlite.execute(&sql, []).unwrap();
    }
    (db, sqlite)
}

/// Runs `sql` on both engines; their rows (as sets: RETURNING gives no order) or failures
/// must match, then their state.
fn same(ember: &ember::Connection, sqlite: &rusqlite::Connection, sql: &str) {
    let (got, expected) = (ember_rows(ember, sql), sqlite_rows(sqlite, sql));
    let sorted = |rows: &Vec<Vec<Value>>| {
        let mut rows: Vec<String> = rows.iter().map(|row| format!("{row:?}")).collect();
        rows.sort();
        rows
    };
    match (&got, &expected) {
        (Ok(got), Ok(expected)) => assert_eq!(sorted(got), sorted(expected), "{sql}"),
        (Err(_), Err(_)) => {}
        _ => panic!("{sql}: EmberDB {got:?}, SQLite {expected:?}"),
    }
    assert_same_answers(ember, sqlite, STATE, sql);
}

/// Runs `statements` on both engines under a reader holding a snapshot from before them,
/// which must still read that snapshot at the end.
fn run_under_snapshot(rows: i64, statements: &[&str]) {
    let (db, sqlite) = load(rows);
    let ember = db.connect();
    ember.execute("PRAGMA foreign_keys = ON", ()).unwrap();
    let holder = db.connect();
    holder.execute("BEGIN", ()).unwrap();
    let before: Vec<_> = STATE.iter().map(|sql| ember_rows(&holder, sql)).collect();
    for sql in statements {
        same(&ember, &sqlite, sql);
    }
    let after: Vec<_> = STATE.iter().map(|sql| ember_rows(&holder, sql)).collect();
    assert_eq!(before, after, "the holder's snapshot");
    holder.execute("COMMIT", ()).unwrap();
    assert_same_answers(&ember, &sqlite, STATE, "the holder's end");
}

#[test]
fn returning_reads_the_columns_it_names_and_nothing_else_changes() {
    run_under_snapshot(
        80,
        &[
            // Columns neither the filter nor an assignment reads.
            "DELETE FROM t WHERE id BETWEEN 3 AND 9 RETURNING id, s, g || '!', c * 2",
            "DELETE FROM t WHERE a = 12 RETURNING *",
            "DELETE FROM t WHERE id IN (20, 21, 20) RETURNING length(s), typeof(c)",
            "DELETE FROM t WHERE id = 1000 RETURNING s",
            "DELETE FROM t WHERE s = 'k31' RETURNING b, id",
            // A correlated subquery reads the deleted row's columns.
            "DELETE FROM t WHERE id BETWEEN 40 AND 42 \
             RETURNING (SELECT count(*) FROM t AS o WHERE o.g = t.g), id",
            "UPDATE t SET b = 7 WHERE id BETWEEN 43 AND 47 RETURNING id, a, b, s, g",
            "UPDATE t SET s = upper(s) WHERE id BETWEEN 48 AND 50 RETURNING s, c",
            "UPDATE t SET c = NULL WHERE a = 11 RETURNING coalesce(c, -1), g, id",
            "UPDATE t SET b = b + 1 WHERE id = 52 \
             RETURNING (SELECT max(o.s) FROM t AS o WHERE o.a = t.a), b",
            "UPDATE OR IGNORE t SET a = a + 1 WHERE id BETWEEN 53 AND 55 RETURNING s, a",
            // The foreign keys' cascade deletes the children.
            "DELETE FROM parent WHERE id = 1 RETURNING label",
            "DELETE FROM child WHERE parent_id IS NULL RETURNING note, id",
            "DELETE FROM t WHERE b = 3 RETURNING s",
        ],
    );
}

#[test]
fn deletes_without_returning_of_any_size_follow_each_other() {
    // More targets than the connection keeps lists for (32,768), then small ones, with
    // UPDATEs (which share the kept list of row ids) and failures between them.
    run_under_snapshot(
        40_000,
        &[
            "DELETE FROM t WHERE id <= 34000",
            "DELETE FROM t WHERE id = 34001",
            "UPDATE t SET b = 1 WHERE id BETWEEN 34002 AND 34010",
            "DELETE FROM t WHERE a BETWEEN 3 AND 4",
            "DELETE FROM t WHERE id IN (34020, 34021, 34022, 34020)",
            "DELETE FROM t WHERE s = 'k34030'",
            "DELETE FROM t WHERE id > 100000",
            "DELETE FROM parent WHERE id = 2",
            "DELETE FROM t WHERE g = 'g3' AND b < 4",
            "UPDATE t SET c = 0.5 WHERE id > 39990",
            "DELETE FROM t WHERE id > 39995",
            "DELETE FROM child",
            "DELETE FROM parent",
        ],
    );
}

#[test]
fn upserts_write_their_literals_over_the_last_statements_values() {
    run_under_snapshot(
        30,
        &[
            "INSERT INTO t VALUES (7, 1, 2, 0.5, 'k7', 'g1') ON CONFLICT(id) DO UPDATE \
             SET b = excluded.b, c = excluded.c",
            "INSERT INTO t VALUES (7, 1, 3, 0.75, 'a much longer text than before', 'g') \
             ON CONFLICT(id) DO UPDATE SET s = excluded.s, g = excluded.g RETURNING *",
            "INSERT INTO t VALUES (7, 1, 4, 1.5, 'k', NULL) ON CONFLICT(id) DO UPDATE \
             SET s = excluded.s, g = excluded.g",
            "INSERT INTO t VALUES (300, 1, 4, 1.5, 'new', 'row') ON CONFLICT(id) DO NOTHING \
             RETURNING s, g",
            // A table of the same width, other types in the same positions, defaults.
            "INSERT INTO v(k, n) VALUES (1, 11) ON CONFLICT(k) DO UPDATE SET n = excluded.n \
             RETURNING *",
            "INSERT INTO v VALUES (3, 'three', 30, x'0102', 'n3', 5) ON CONFLICT(k) DO \
             NOTHING",
            "INSERT INTO v(k, r) VALUES (4, x'ffee') ON CONFLICT(k) DO UPDATE \
             SET r = excluded.r RETURNING *",
            "INSERT INTO v(k, r, name) VALUES (4, x'01', 'four') ON CONFLICT(k) DO UPDATE \
             SET r = excluded.r, name = excluded.name RETURNING k, r, name, note",
            "INSERT INTO v(k, name) VALUES (5, 7) ON CONFLICT(k) DO NOTHING RETURNING *",
            "INSERT INTO t VALUES (8, 2, 2, 2.5, 'k8', 'g8') ON CONFLICT(id) DO UPDATE \
             SET s = excluded.s || '+', a = excluded.a",
            "INSERT INTO t(id, a) VALUES (8, 9) ON CONFLICT(id) DO UPDATE SET \
             s = excluded.s RETURNING id, a, s, g",
            "INSERT INTO t VALUES (9, 2, 2, 2.5, 'x', 'y'), (9, 3, 3, 3.5, 'xx', 'yy') \
             ON CONFLICT(id) DO UPDATE SET s = excluded.s, g = excluded.g RETURNING *",
            "INSERT OR IGNORE INTO t VALUES (10, 1, 1, 1.0, 'k10', 'g10') RETURNING s",
            // Fails midway: the next statement still starts clean.
            "INSERT INTO v(k, name) VALUES (6, 'six'), (1, 'dup')",
            "INSERT INTO v(k) VALUES (6) ON CONFLICT(k) DO UPDATE SET name = 'renamed' \
             RETURNING *",
        ],
    );
}
