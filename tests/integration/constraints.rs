//! CHECK and FOREIGN KEY constraints: tests/slt/check.slt and foreign_key.slt run statement
//! by statement against EmberDB and the bundled SQLite side by side (same outcome, same error
//! message, same rows); constraints surviving a reopen from the WAL and from a checkpoint;
//! cascades across three tables; a cascade deeper than the limit failing cleanly.

use std::path::Path;

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Value};

/// The records of an .slt file: (is a query, SQL).
fn records(path: &Path) -> Vec<(bool, String)> {
    let text = std::fs::read_to_string(path).unwrap();
    let mut out = Vec::new();
    for block in text.split("\n\n") {
        let lines: Vec<&str> = block.lines().filter(|l| !l.starts_with('#')).collect();
        let Some((head, rest)) = lines.split_first() else {
            continue;
        };
        let sql: Vec<&str> = rest.iter().take_while(|l| **l != "----").copied().collect();
        if head.starts_with("statement") || head.starts_with("query") {
            out.push((head.starts_with("query"), sql.join("\n")));
        }
    }
    out
}

fn ember_text(value: &Value) -> String {
    match value {
        Value::Null => "NULL".into(),
        Value::Integer(i) => i.to_string(),
        Value::Real(r) => format!("{r:.3}"),
        Value::Text(t) => t.to_string(),
        // A comparison's value, as SQLite shows it.
        Value::Boolean(b) => i64::from(*b).to_string(),
        other => format!("{other:?}"),
    }
}

fn sqlite_text(value: rusqlite::types::ValueRef<'_>) -> String {
    use rusqlite::types::ValueRef;
    match value {
        ValueRef::Null => "NULL".into(),
        ValueRef::Integer(i) => i.to_string(),
        ValueRef::Real(r) => format!("{r:.3}"),
        ValueRef::Text(t) => String::from_utf8_lossy(t).into_owned(),
        ValueRef::Blob(b) => format!("{b:?}"),
    }
}

fn sqlite_message(error: rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message,
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        other => other.to_string(),
    }
}

/// Runs `sql` on SQLite: its rows as text (sorted), or its error message.
fn on_sqlite(conn: &rusqlite::Connection, sql: &str) -> Result<Vec<String>, String> {
    let mut statement = conn.prepare(sql).map_err(sqlite_message)?;
    let width = statement.column_count();
    let mut rows = statement.query([]).map_err(sqlite_message)?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(sqlite_message)? {
        let values: Vec<String> = (0..width)
            .map(|i| sqlite_text(row.get_ref(i).unwrap()))
            .collect();
        out.push(values.join("|"));
    }
    out.sort();
    Ok(out)
}

fn on_ember(conn: &Connection, sql: &str) -> Result<Vec<String>, String> {
    let rows = conn.query(sql, ()).map_err(|e| e.message().to_string())?;
    let mut out: Vec<String> = rows
        .values()
        .iter()
        .map(|row| row.iter().map(ember_text).collect::<Vec<_>>().join("|"))
        .collect();
    out.sort();
    Ok(out)
}

pub(crate) fn same_as_sqlite(file: &str) {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("slt").join(file);
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    // rusqlite's bundled build turns foreign keys on by default; SQLite's default is off.
    theirs.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    for (is_query, sql) in records(&path) {
        let expected = on_sqlite(&theirs, &sql);
        let got = if is_query {
            on_ember(&ours, &sql)
        } else {
            ours.execute_batch(&sql)
                .map(|_| Vec::new())
                .map_err(|e| e.message().to_string())
        };
        let expected = if is_query {
            expected
        } else {
            expected.map(|_| Vec::new())
        };
        assert_eq!(got, expected, "{file}: {sql}");
    }
}

#[test]
fn check_slt_matches_sqlite_with_its_messages() {
    same_as_sqlite("check.slt");
}

#[test]
fn foreign_key_slt_matches_sqlite_with_its_messages() {
    same_as_sqlite("foreign_key.slt");
}

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{other:?}"),
    }
}

#[test]
fn constraints_survive_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("constraints-reopen");
    let schema = "CREATE TABLE p(id INT PRIMARY KEY, CONSTRAINT small CHECK (id < 100)); \
                  CREATE TABLE c(id INT PRIMARY KEY, pid INT REFERENCES p(id) ON DELETE CASCADE \
                  CHECK (pid > 0))";
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(schema).unwrap();
        conn.execute_batch("INSERT INTO p VALUES (1), (2); INSERT INTO c VALUES (10, 1), (11, 2)")
            .unwrap();
    }
    let check = |checkpoint: bool| {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        let error = conn.execute("INSERT INTO p VALUES (100)", ()).unwrap_err();
        assert_eq!(error.message(), "CHECK constraint failed: small");
        let error = conn
            .execute("INSERT INTO c VALUES (12, -1)", ())
            .unwrap_err();
        assert_eq!(error.message(), "CHECK constraint failed: pid > 0");
        conn.execute("PRAGMA foreign_keys = ON", ()).unwrap();
        let error = conn
            .execute("INSERT INTO c VALUES (12, 3)", ())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint);
        assert_eq!(error.message(), "FOREIGN KEY constraint failed");
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        } else {
            conn.execute("DELETE FROM p WHERE id = 2", ()).unwrap();
            assert_eq!(count(&conn, "SELECT count(*) FROM c"), 1);
        }
    };
    check(false);
    check(true);
    // Reopened from the checkpoint alone.
    check(true);
}

#[test]
fn cascades_run_through_three_levels() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; \
         CREATE TABLE a(id INT PRIMARY KEY); \
         CREATE TABLE b(id INT PRIMARY KEY, \
           a_id INT REFERENCES a ON DELETE CASCADE ON UPDATE CASCADE); \
         CREATE TABLE c(id INT PRIMARY KEY, \
           b_id INT REFERENCES b ON DELETE CASCADE ON UPDATE CASCADE); \
         CREATE INDEX b_a ON b(a_id); \
         INSERT INTO a VALUES (1), (2); \
         INSERT INTO b VALUES (10, 1), (11, 1), (20, 2); \
         INSERT INTO c VALUES (100, 10), (101, 11), (200, 20)",
    )
    .unwrap();
    conn.execute("UPDATE b SET id = 12 WHERE id = 11", ())
        .unwrap();
    assert_eq!(count(&conn, "SELECT b_id FROM c WHERE id = 101"), 12);
    conn.execute("UPDATE a SET id = 3 WHERE id = 2", ())
        .unwrap();
    assert_eq!(count(&conn, "SELECT a_id FROM b WHERE id = 20"), 3);
    assert_eq!(conn.execute("DELETE FROM a WHERE id = 1", ()).unwrap(), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM b"), 1);
    assert_eq!(count(&conn, "SELECT count(*) FROM c"), 1);
    assert_eq!(count(&conn, "SELECT id FROM c"), 200);
}

#[test]
fn a_cascade_deeper_than_the_limit_fails_and_changes_nothing() {
    let depth = ember::limits::FOREIGN_KEY_CASCADE_DEPTH_MAX;
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON; \
         CREATE TABLE t(id INT PRIMARY KEY, parent INT REFERENCES t(id) ON DELETE CASCADE); \
         CREATE INDEX t_parent ON t(parent)",
    )
    .unwrap();
    // A chain of `depth + 1` rows below the root: deleting the root cascades depth + 1 deep.
    conn.execute("INSERT INTO t VALUES (0, NULL)", ()).unwrap();
    for id in 1..=depth as i64 + 1 {
        conn.execute("INSERT INTO t VALUES (?, ?)", (id, id - 1))
            .unwrap();
    }
    let rows = count(&conn, "SELECT count(*) FROM t");
    let error = conn.execute("DELETE FROM t WHERE id = 0", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert!(error.message().contains("FOREIGN_KEY_CASCADE_DEPTH_MAX"));
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), rows);
    // One level less fits.
    conn.execute("DELETE FROM t WHERE id = 1", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 1);
}

#[test]
fn foreign_keys_are_per_connection_and_unchanged_inside_a_transaction() {
    let db = Database::in_memory();
    let (one, two) = (db.connect(), db.connect());
    one.execute_batch(
        "CREATE TABLE p(id INT PRIMARY KEY); CREATE TABLE c(x INT REFERENCES p); \
         PRAGMA foreign_keys = ON",
    )
    .unwrap();
    assert!(one.execute("INSERT INTO c VALUES (1)", ()).is_err());
    two.execute("INSERT INTO c VALUES (1)", ()).unwrap();
    two.execute_batch("BEGIN; PRAGMA foreign_keys = ON")
        .unwrap();
    assert_eq!(count(&two, "PRAGMA foreign_keys"), 0);
    two.execute_batch("INSERT INTO c VALUES (2); COMMIT")
        .unwrap();
}
