//! Bad input gives a clear error, never a panic, and changes nothing: constraint violations,
//! type mismatches, missing tables and columns, unsupported constructs, syntax errors.

use ember::{Database, ErrorKind, Value};

fn conn_with_table() -> ember::Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INT PRIMARY KEY, name TEXT NOT NULL, age INTEGER, code TEXT UNIQUE);
         INSERT INTO t VALUES (1, 'a', 10, 'x');",
    )
    .unwrap();
    conn
}

fn contents(conn: &mut ember::Connection) -> Vec<Vec<Value>> {
    conn.query("SELECT * FROM t ORDER BY id", ())
        .unwrap()
        .into_values()
}

#[test]
fn errors_name_their_cause_and_change_nothing() {
    let mut conn = conn_with_table();
    let before = contents(&mut conn);
    let cases = [
        (
            "INSERT INTO t VALUES (1, 'dup', 1, 'y')",
            ErrorKind::Constraint,
            "UNIQUE constraint failed: t.id",
        ),
        (
            "INSERT INTO t VALUES (2, NULL, 1, 'y')",
            ErrorKind::Constraint,
            "NOT NULL constraint failed: t.name",
        ),
        (
            "INSERT INTO t VALUES (2, 'b', 'old', 'y')",
            ErrorKind::Type,
            "INTEGER column age",
        ),
        (
            "INSERT INTO t VALUES (2, 'b', 1, 'x')",
            ErrorKind::Constraint,
            "UNIQUE constraint failed: t.code",
        ),
        (
            "INSERT INTO t VALUES (2, 'b', 1, 'y'), (1, 'c', 1, 'z')",
            ErrorKind::Constraint,
            "t.id",
        ),
        (
            "SELECT * FROM missing",
            ErrorKind::NotFound,
            "no such table: missing",
        ),
        (
            "SELECT nope FROM t",
            ErrorKind::NotFound,
            "no such column: nope",
        ),
        (
            "UPDATE t SET age = 'x' WHERE id = 1",
            ErrorKind::Type,
            "age",
        ),
        ("SELECT FROM WHERE", ErrorKind::Syntax, "syntax error"),
        (
            "CREATE TABLE t(x INT)",
            ErrorKind::AlreadyExists,
            "already exists",
        ),
        (
            "INSERT INTO t(id) VALUES (1, 2)",
            ErrorKind::InvalidInput,
            "values",
        ),
    ];
    for (sql, kind, fragment) in cases {
        let error = conn.execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), kind, "{sql}: {error}");
        assert!(error.message().contains(fragment), "{sql}: {error}");
        assert_eq!(contents(&mut conn), before, "{sql} changed the table");
    }
}

#[test]
fn unsupported_constructs_are_named() {
    let conn = conn_with_table();
    for (sql, fragment) in [
        (
            "ALTER TABLE t DROP COLUMN age, DROP COLUMN name",
            "several operations in one ALTER TABLE",
        ),
        ("ATTACH DATABASE 'other.db' AS other", "ATTACH DATABASE"),
        (
            "CREATE VIRTUAL TABLE v USING fts5(x)",
            "CREATE VIRTUAL TABLE",
        ),
    ] {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Unsupported),
            "{sql}: {error:?}"
        );
        assert!(error.message().contains(fragment), "{sql}: {error}");
    }
}

#[test]
fn hostile_sql_never_panics() {
    let conn = conn_with_table();
    let deep = format!("SELECT {}1{}", "(".repeat(100_000), ")".repeat(100_000));
    let nots = format!("SELECT {}1", "NOT ".repeat(100_000));
    for sql in [
        deep.as_str(),
        nots.as_str(),
        "",
        ";;;",
        "SELECT 1 +",
        "'unterminated",
        "\u{0}",
    ] {
        let _ = conn.execute(sql, ());
    }
    let huge = "x".repeat(ember::limits::SQL_BYTES_MAX + 1);
    assert_eq!(
        conn.execute(&huge, ()).unwrap_err().kind(),
        ErrorKind::Limit
    );
}
