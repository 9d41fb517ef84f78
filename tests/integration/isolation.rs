//! Snapshot isolation seen through SQL: a reader that started before a writer commits keeps
//! seeing the old values; concurrent writers of one row get a serialization error and the
//! loser's effects are gone.

use ember::{Database, ErrorKind};

fn setup() -> Database {
    let db = Database::in_memory();
    db.connect()
        .execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, v INTEGER);
             INSERT INTO t VALUES (1, 10), (2, 20);",
        )
        .unwrap();
    db
}

fn value(conn: &mut ember::Connection, id: i64) -> i64 {
    conn.query("SELECT v FROM t WHERE id = ?", [id])
        .unwrap()
        .first()
        .unwrap()
        .get(0)
        .unwrap()
}

#[test]
fn long_reader_keeps_seeing_old_values() {
    let db = setup();
    let mut reader = db.connect();
    let writer = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(value(&mut reader, 1), 10);
    writer.execute("BEGIN", ()).unwrap();
    writer
        .execute("UPDATE t SET v = 11 WHERE id = 1", ())
        .unwrap();
    writer.execute("DELETE FROM t WHERE id = 2", ()).unwrap();
    writer.execute("INSERT INTO t VALUES (3, 30)", ()).unwrap();
    assert_eq!(value(&mut reader, 1), 10, "uncommitted write is invisible");
    writer.execute("COMMIT", ()).unwrap();
    db.connect().execute("VACUUM", ()).unwrap();
    assert_eq!(
        value(&mut reader, 1),
        10,
        "commit after the snapshot is invisible"
    );
    assert_eq!(
        value(&mut reader, 2),
        20,
        "deleted row still visible to the old snapshot"
    );
    assert_eq!(reader.query("SELECT id FROM t", ()).unwrap().len(), 2);
    reader.execute("COMMIT", ()).unwrap();
    assert_eq!(value(&mut reader, 1), 11);
    assert_eq!(reader.query("SELECT id FROM t", ()).unwrap().len(), 2);
    assert!(reader
        .query("SELECT v FROM t WHERE id = 2", ())
        .unwrap()
        .is_empty());
}

#[test]
fn write_write_conflict_is_a_serialization_error() {
    let db = setup();
    let first = db.connect();
    let second = db.connect();
    first.execute("BEGIN", ()).unwrap();
    second.execute("BEGIN", ()).unwrap();
    second
        .execute("UPDATE t SET v = 99 WHERE id = 2", ())
        .unwrap();
    first
        .execute("UPDATE t SET v = 1 WHERE id = 1", ())
        .unwrap();
    let error = second
        .execute("UPDATE t SET v = 2 WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict);
    assert!(error.message().contains("retry"), "{error}");
    assert_eq!(
        second.execute("COMMIT", ()).unwrap_err().kind(),
        ErrorKind::SerializationConflict,
        "the aborted transaction cannot commit"
    );
    first.execute("COMMIT", ()).unwrap();
    let mut check = db.connect();
    assert_eq!(value(&mut check, 1), 1);
    assert_eq!(value(&mut check, 2), 20, "the loser's other write is gone");

    // A writer whose snapshot predates a committed change also loses.
    let mut stale = db.connect();
    stale.execute("BEGIN", ()).unwrap();
    assert_eq!(value(&mut stale, 1), 1);
    check
        .execute("UPDATE t SET v = 5 WHERE id = 1", ())
        .unwrap();
    let error = stale
        .execute("UPDATE t SET v = 6 WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict);
    stale.execute("ROLLBACK", ()).unwrap();
    assert_eq!(value(&mut check, 1), 5);
}

#[test]
fn a_write_conflict_names_the_table() {
    let db = setup();
    let first = db.connect();
    let second = db.connect();
    first.execute("BEGIN", ()).unwrap();
    first
        .execute("UPDATE t SET v = 11 WHERE id = 1", ())
        .unwrap();
    for sql in [
        "UPDATE t SET v = 12 WHERE id = 1",
        "DELETE FROM t WHERE id = 1",
    ] {
        let error = second.execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
        assert!(error.message().contains("on table t;"), "{error}");
        assert!(!error.message().contains('#'), "{error}");
    }
    first.execute("COMMIT", ()).unwrap();
}
