//! UPDATE statements on one connection, compared with SQLite statement by statement: the
//! RETURNING rows (expressions, NULLs, values coerced to their column's type, assignments
//! out of column order, conflict clauses, no rows, failures) also under a reader holding a
//! snapshot from before them; autocommit statements that fail midway, that fail under
//! OR FAIL, that write nothing, between explicit transactions (each autocommit statement
//! runs in the connection's kept transaction object); and plain UPDATEs of different
//! widths and sizes one after another, between key lookups (they share the connection's
//! kept target lists and decode buffer).

use ember::Value;

use crate::support::{assert_same_answers, both_engines, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER NOT NULL, b INTEGER, c REAL, s TEXT, \
     g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE UNIQUE INDEX t_g ON t(g)",
    "CREATE TABLE w(k INTEGER PRIMARY KEY, v TEXT)",
];

const STATE: &[&str] = &[
    "SELECT * FROM t ORDER BY id",
    "SELECT id, a FROM t WHERE a BETWEEN -100 AND 100 ORDER BY a, id",
    "SELECT * FROM w ORDER BY k",
];

fn load(rows: i64) -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        format!(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < {rows}) \
             INSERT INTO t SELECT i, i % 50, i % 7, i / 4.0, CASE WHEN i % 5 = 0 THEN NULL \
             ELSE 'k' || i END, 'g' || i FROM n"
        ),
        "INSERT INTO w VALUES (1, 'one'), (2, 'two'), (3, NULL)".to_string(),
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

#[test]
fn update_returning_rows_match_sqlite() {
    let (db, sqlite) = load(60);
    let ember = db.connect();
    // A reader holding a snapshot from before the updates.
    let holder = db.connect();
    holder.execute("BEGIN", ()).unwrap();
    let before = ember_rows(&holder, "SELECT * FROM t ORDER BY id").unwrap();
    for sql in [
        "UPDATE t SET b = '7', a = a + 1 WHERE id BETWEEN 3 AND 9 \
         RETURNING id, a, b, typeof(b), b * 2, s || '!'",
        "UPDATE t SET s = NULL, c = c / 2 WHERE id % 3 = 0 RETURNING *",
        "UPDATE t SET c = NULL, b = NULL WHERE id = 4 \
         RETURNING id, coalesce(c, -1), coalesce(s, 'none')",
        "UPDATE t SET a = a WHERE id > 1000 RETURNING id",
        "UPDATE t SET b = b + 1 WHERE id IN (2, 5, 2) RETURNING id, b, a",
        "UPDATE t SET s = upper(s), c = 2.5 WHERE a BETWEEN 10 AND 12 RETURNING s, c, id",
        "UPDATE t SET g = 'g1' WHERE id = 2 RETURNING id",
        "UPDATE OR IGNORE t SET g = 'g1' WHERE id BETWEEN 2 AND 4 RETURNING id, g",
        "UPDATE OR REPLACE t SET g = 'g10' WHERE id = 11 RETURNING id, g, a",
        "UPDATE t SET a = NULL WHERE id BETWEEN 20 AND 25 RETURNING id",
        "UPDATE t SET a = -a, b = a WHERE id BETWEEN 30 AND 35 RETURNING a, b, id",
        "UPDATE w SET v = v || '?' RETURNING k, v",
        "UPDATE w SET v = k RETURNING typeof(v), v",
    ] {
        same(&ember, &sqlite, sql);
    }
    // The holder still reads its snapshot.
    let after = ember_rows(&holder, "SELECT * FROM t ORDER BY id").unwrap();
    assert_eq!(before, after);
    holder.execute("COMMIT", ()).unwrap();
    assert_same_answers(&ember, &sqlite, STATE, "the holder's end");
}

#[test]
fn autocommit_statements_after_failures_and_transactions_start_clean() {
    let (db, sqlite) = load(40);
    let ember = db.connect();
    let other = db.connect();
    let mut explicit = false;
    for sql in [
        "UPDATE t SET b = 1 WHERE id = 1",
        // Fails at row 10 after writing rows 1..9: nothing stays.
        "UPDATE t SET a = CASE WHEN id = 10 THEN NULL ELSE a + 100 END WHERE id <= 12",
        // OR FAIL keeps the rows before the failure, in autocommit too.
        "UPDATE OR FAIL t SET a = CASE WHEN id = 15 THEN NULL ELSE a + 200 END WHERE id >= 13",
        "UPDATE t SET b = 2 WHERE id = 1000",
        "UPDATE t SET c = 0.5 WHERE id = 2",
        "BEGIN",
        "UPDATE t SET c = 1.5 WHERE id = 3",
        "UPDATE t SET a = NULL WHERE id = 3",
        "COMMIT",
        "BEGIN",
        "UPDATE t SET c = 9.5 WHERE id BETWEEN 3 AND 6",
        "ROLLBACK",
        "INSERT INTO w VALUES (4, 'four')",
        "INSERT INTO w VALUES (4, 'again')",
        "DELETE FROM w WHERE k = 1",
        "UPDATE t SET s = 'x' || id WHERE id BETWEEN 7 AND 8",
    ] {
        let (got, expected) = (ember.execute(sql, ()), sqlite.execute(sql, []));
        assert_eq!(got.is_ok(), expected.is_ok(), "{sql}: {got:?} {expected:?}");
        assert_same_answers(&ember, &sqlite, STATE, sql);
        explicit = (explicit || sql == "BEGIN") && !matches!(sql, "COMMIT" | "ROLLBACK");
        if !explicit {
            // Another connection sees every commit.
            assert_eq!(
                ember_rows(&other, STATE[0]),
                sqlite_rows(&sqlite, STATE[0]),
                "{sql}, read by another connection"
            );
        }
    }
}

#[test]
fn plain_updates_of_any_size_and_width_follow_each_other() {
    // More targets than the connection keeps lists for (32,768), then small ones.
    let (db, sqlite) = load(40_000);
    let ember = db.connect();
    for sql in [
        "UPDATE t SET c = 0.25 WHERE id <= 35000",
        "UPDATE t SET b = 3, c = 1.5, s = 'p' WHERE id = 7",
        "SELECT * FROM t WHERE id = 7",
        "UPDATE w SET v = 'w' || k WHERE k = 2",
        "SELECT * FROM t WHERE id = 8",
        "UPDATE t SET c = c + 1 WHERE id = 8",
        "SELECT s, c FROM t WHERE id = 8",
        "UPDATE t SET s = 'q', b = b * 2 WHERE id BETWEEN 100 AND 140",
        "UPDATE t SET b = b + id WHERE id IN (5, 6, 7)",
        "SELECT * FROM t WHERE id IN (5, 6, 7, 8)",
        "UPDATE t SET a = 1 WHERE id = 40000",
        "UPDATE t SET b = 1, c = 2 WHERE id = 9",
        "SELECT * FROM t WHERE id = 9",
        "SELECT * FROM w WHERE k = 2",
    ] {
        let (got, expected) = (ember_rows(&ember, sql), sqlite_rows(&sqlite, sql));
        assert_eq!(got, expected, "{sql}");
    }
    assert_same_answers(&ember, &sqlite, STATE, "the updates");
    let sum = ember_rows(&ember, "SELECT sum(c) FROM t WHERE id <= 35000").unwrap();
    assert!(matches!(sum[0][0], Value::Real(_)));
}
