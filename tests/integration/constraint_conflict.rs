//! A constraint's own conflict clause (`UNIQUE ON CONFLICT REPLACE`, `NOT NULL ON CONFLICT
//! IGNORE`, `UNIQUE (a, b) ON CONFLICT IGNORE`) kept across a reopen (from the log and from a
//! checkpoint) and across ALTER TABLE, with its text in `sqlite_schema`; the statement cases
//! are in tests/slt/constraint_conflict.slt.

use crate::support::TempDir;
use ember::{Connection, Database, Value};

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().values().to_vec()
}

fn text(value: &str) -> Value {
    Value::Text(value.into())
}

const SCHEMA: &str = "CREATE TABLE settings(key TEXT PRIMARY KEY ON CONFLICT REPLACE, value); \
    CREATE TABLE seen(id INTEGER PRIMARY KEY, source TEXT, ref TEXT, \
      note TEXT NOT NULL ON CONFLICT IGNORE, UNIQUE (source, ref) ON CONFLICT IGNORE)";

/// The clauses act as declared: settings replace, seen ignores a duplicate and a NULL note.
fn check_clauses(conn: &Connection, value: &str) {
    conn.execute(
        "INSERT INTO settings(key, value) VALUES ('theme', ?1)",
        [value],
    )
    .unwrap();
    assert_eq!(
        rows(conn, "SELECT value FROM settings WHERE key = 'theme'"),
        vec![vec![text(value)]]
    );
    assert_eq!(
        rows(conn, "SELECT count(*) FROM settings"),
        vec![vec![Value::Integer(1)]]
    );
    conn.execute_batch(
        "INSERT INTO seen(source, ref, note) VALUES ('rss', 'a', 'again'); \
         INSERT INTO seen(source, ref, note) VALUES ('rss', 'z', NULL)",
    )
    .unwrap();
    assert_eq!(
        rows(conn, "SELECT count(*) FROM seen"),
        vec![vec![Value::Integer(1)]]
    );
}

#[test]
fn clauses_survive_reopen_from_the_log_and_from_a_checkpoint() {
    let dir = TempDir::new("constraint-conflict-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute_batch(
            "INSERT INTO settings VALUES ('theme', 'dark'); \
             INSERT INTO seen(source, ref, note) VALUES ('rss', 'a', 'first')",
        )
        .unwrap();
        check_clauses(&conn, "light");
    }
    for (round, value) in ["blue", "green", "red"].into_iter().enumerate() {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        check_clauses(&conn, value);
        assert_eq!(
            rows(&conn, "SELECT sql FROM sqlite_schema WHERE name = 'seen'"),
            vec![vec![text(
                "CREATE TABLE seen(id INTEGER PRIMARY KEY, source TEXT, ref TEXT, \
                 note TEXT NOT NULL ON CONFLICT IGNORE, UNIQUE (source, ref) ON CONFLICT IGNORE)"
            )]]
        );
        if round > 0 {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}

#[test]
fn clauses_follow_their_columns_through_alter_table() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(
        "INSERT INTO seen(source, ref, note) VALUES ('rss', 'a', 'first'); \
         ALTER TABLE seen ADD COLUMN extra TEXT; \
         ALTER TABLE seen RENAME COLUMN ref TO reference; \
         ALTER TABLE settings ADD COLUMN changed INT",
    )
    .unwrap();
    conn.execute_batch(
        "INSERT INTO settings(key, value) VALUES ('theme', 'dark'); \
         INSERT INTO seen(source, reference, note) VALUES ('rss', 'a', 'again'); \
         INSERT INTO seen(source, reference, note) VALUES ('rss', 'b', NULL)",
    )
    .unwrap();
    conn.execute_batch("INSERT INTO settings(key, value) VALUES ('theme', 'light')")
        .unwrap();
    assert_eq!(
        rows(&conn, "SELECT key, value FROM settings"),
        vec![vec![text("theme"), text("light")]]
    );
    assert_eq!(
        rows(&conn, "SELECT count(*) FROM seen"),
        vec![vec![Value::Integer(1)]]
    );
    // A dropped column before the key moves the positions the clauses name.
    conn.execute("ALTER TABLE seen DROP COLUMN extra", ())
        .unwrap();
    conn.execute_batch(
        "CREATE TABLE moved(gone TEXT, a TEXT NOT NULL ON CONFLICT IGNORE, b UNIQUE ON CONFLICT \
         REPLACE, c); \
         INSERT INTO moved VALUES ('x', 'a', 1, 'first'); \
         ALTER TABLE moved DROP COLUMN gone; \
         INSERT INTO moved VALUES (NULL, 2, 'skipped'); \
         INSERT INTO moved VALUES ('b', 1, 'replaced')",
    )
    .unwrap();
    assert_eq!(
        rows(&conn, "SELECT a, b, c FROM moved"),
        vec![vec![text("b"), Value::Integer(1), text("replaced")]]
    );
}

#[test]
fn a_clause_added_with_a_column_survives_reopen() {
    let dir = TempDir::new("constraint-conflict-added");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a); INSERT INTO t VALUES (1); \
             ALTER TABLE t ADD COLUMN b INT NOT NULL ON CONFLICT IGNORE DEFAULT 0",
        )
        .unwrap();
    }
    for checkpoint in [false, true, false] {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute("INSERT INTO t VALUES (2, NULL)", ()).unwrap();
        assert_eq!(
            rows(&conn, "SELECT a, b FROM t"),
            vec![vec![Value::Integer(1), Value::Integer(0)]]
        );
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}
