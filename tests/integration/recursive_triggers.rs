//! `PRAGMA recursive_triggers` through the public API: per connection (another connection
//! of the same database keeps the default OFF), and a recursion with no end fails with
//! SQLite's `too many levels of trigger recursion`, changing nothing.

use ember::{Connection, Database};

const SCHEMA: &str = "CREATE TABLE t(n INT);
    CREATE TRIGGER grow AFTER INSERT ON t WHEN new.n < 10
    BEGIN INSERT INTO t VALUES (new.n + 1); END;
    CREATE TABLE endless(n INT);
    CREATE TRIGGER again AFTER INSERT ON endless BEGIN INSERT INTO endless VALUES (1); END;";

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_value(&format!("SELECT count(*) FROM {table}"), ())
        .unwrap()
}

#[test]
fn recursive_triggers_is_per_connection() {
    let db = Database::in_memory();
    let (on, off) = (db.connect(), db.connect());
    on.execute_batch(SCHEMA).unwrap();
    on.execute("PRAGMA recursive_triggers = ON", ()).unwrap();
    on.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    assert_eq!(count(&on, "t"), 10);
    off.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    assert_eq!(count(&off, "t"), 12);
    let setting: i64 = off.query_value("PRAGMA recursive_triggers", ()).unwrap();
    assert_eq!(setting, 0);
}

#[test]
fn an_endless_recursion_fails_and_changes_nothing() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute("PRAGMA recursive_triggers = 1", ()).unwrap();
    let error = conn
        .execute("INSERT INTO endless VALUES (0)", ())
        .unwrap_err();
    assert!(
        error
            .message()
            .starts_with("too many levels of trigger recursion"),
        "{}",
        error.message()
    );
    assert_eq!(count(&conn, "endless"), 0);
    // Off again, the same insert fires the trigger once.
    conn.execute("PRAGMA recursive_triggers = OFF", ()).unwrap();
    conn.execute("INSERT INTO endless VALUES (0)", ()).unwrap();
    assert_eq!(count(&conn, "endless"), 2);
}

#[test]
fn a_bad_value_is_refused_by_name() {
    let conn = Database::in_memory().connect();
    let error = conn
        .execute("PRAGMA recursive_triggers = maybe", ())
        .unwrap_err();
    assert!(
        error.message().contains("recursive_triggers"),
        "{}",
        error.message()
    );
}
