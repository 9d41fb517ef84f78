//! Deferred foreign keys through the public API: tests/slt/deferred_foreign_keys.slt run
//! statement by statement against EmberDB and the bundled SQLite side by side (same
//! outcome, same error message, same rows); a COMMIT that fails leaves the transaction open
//! on the connection, while `Transaction::commit` rolls it back (its guard is gone); the
//! checks a failed COMMIT kept are undone by ROLLBACK; `PRAGMA defer_foreign_keys` is per
//! connection and off after each transaction.

use ember::{Connection, Database, ErrorKind};

const SCHEMA: &str = "PRAGMA foreign_keys = ON;
    CREATE TABLE parent(id INTEGER PRIMARY KEY);
    CREATE TABLE child(id INTEGER PRIMARY KEY,
        pid INT REFERENCES parent(id) DEFERRABLE INITIALLY DEFERRED);
    CREATE TABLE imm(id INTEGER PRIMARY KEY, pid INT REFERENCES parent(id));";

fn count(conn: &Connection, table: &str) -> i64 {
    conn.query_value(&format!("SELECT count(*) FROM {table}"), ())
        .unwrap()
}

#[test]
fn deferred_foreign_key_slt_matches_sqlite_with_its_messages() {
    crate::constraints::same_as_sqlite("deferred_foreign_keys.slt");
}

#[test]
fn a_failed_commit_keeps_the_transaction_open_until_the_rows_are_fixed() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch("BEGIN; INSERT INTO child VALUES (1, 7)")
        .unwrap();
    let error = conn.execute("COMMIT", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    assert!(conn.in_transaction());
    assert_eq!(count(&conn, "child"), 1);
    // Still failing: the COMMIT can be tried again and fails again.
    assert!(conn.execute("COMMIT", ()).is_err());
    conn.execute("INSERT INTO parent VALUES (7)", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert!(!conn.in_transaction());
    assert_eq!(count(&conn, "child"), 1);
}

#[test]
fn rollback_after_a_failed_commit_forgets_the_checks() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch("BEGIN; INSERT INTO child VALUES (1, 7)")
        .unwrap();
    assert!(conn.execute("COMMIT", ()).is_err());
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(count(&conn, "child"), 0);
    // The next transaction starts with nothing waiting.
    conn.execute_batch("BEGIN; INSERT INTO parent VALUES (1); COMMIT")
        .unwrap();
    assert_eq!(count(&conn, "parent"), 1);
}

#[test]
fn transaction_commit_rolls_back_when_a_deferred_key_fails() {
    let mut conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO child VALUES (1, 7)", ()).unwrap();
    let error = tx.commit().unwrap_err();
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    assert!(!conn.in_transaction());
    assert_eq!(count(&conn, "child"), 0);
    let tx = conn.transaction().unwrap();
    tx.execute("INSERT INTO child VALUES (1, 7)", ()).unwrap();
    tx.execute("INSERT INTO parent VALUES (7)", ()).unwrap();
    tx.commit().unwrap();
    assert_eq!(count(&conn, "child"), 1);
}

#[test]
fn defer_foreign_keys_is_per_connection_and_ends_with_the_transaction() {
    let db = Database::in_memory();
    let (one, two) = (db.connect(), db.connect());
    one.execute_batch(SCHEMA).unwrap();
    two.execute("PRAGMA foreign_keys = ON", ()).unwrap();
    one.execute_batch("BEGIN; PRAGMA defer_foreign_keys = ON; INSERT INTO imm VALUES (1, 5)")
        .unwrap();
    let deferred: i64 = one.query_value("PRAGMA defer_foreign_keys", ()).unwrap();
    assert_eq!(deferred, 1);
    let other: i64 = two.query_value("PRAGMA defer_foreign_keys", ()).unwrap();
    assert_eq!(other, 0);
    // The other connection's immediate key fails at once.
    let error = two
        .execute("INSERT INTO imm VALUES (2, 5)", ())
        .unwrap_err();
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    one.execute_batch("INSERT INTO parent VALUES (5); COMMIT")
        .unwrap();
    let after: i64 = one.query_value("PRAGMA defer_foreign_keys", ()).unwrap();
    assert_eq!(after, 0);
    assert_eq!(count(&two, "imm"), 1);
}

#[test]
fn deferred_keys_are_not_enforced_while_foreign_keys_are_off() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute("PRAGMA foreign_keys = OFF", ()).unwrap();
    conn.execute_batch("BEGIN; INSERT INTO child VALUES (1, 9); COMMIT")
        .unwrap();
    assert_eq!(count(&conn, "child"), 1);
}
