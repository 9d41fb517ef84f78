//! INSTEAD OF triggers beyond tests/slt/instead_of_triggers.slt: they survive a reopen
//! from the WAL and from a checkpoint (the view is recreated before them), and a failure in
//! one undoes the whole write to the view.

use crate::support::TempDir;
use ember::{Connection, Database, Value};

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("not a count: {other:?}"),
    }
}

#[test]
fn instead_of_triggers_survive_reopen() {
    let dir = TempDir::new("instead-of-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
                 CREATE VIEW w AS SELECT id, v FROM t;
                 CREATE TRIGGER w_ins INSTEAD OF INSERT ON w BEGIN
                   INSERT INTO t VALUES (NEW.id, upper(NEW.v));
                 END;
                 INSERT INTO w VALUES (1, 'a')",
            )
            .unwrap();
    }
    for (round, checkpoint) in [(2, false), (3, true), (4, true)] {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute("INSERT INTO w VALUES (?, 'x')", (round,))
            .unwrap();
        assert_eq!(
            count(&conn, "SELECT count(*) FROM t WHERE v = 'X'"),
            round - 1
        );
        let schema = count(
            &conn,
            "SELECT count(*) FROM sqlite_schema WHERE type = 'trigger' AND tbl_name = 'w'",
        );
        assert_eq!(schema, 1);
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}

#[test]
fn a_failing_instead_of_trigger_undoes_the_whole_write() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT NOT NULL);
         CREATE VIEW w AS SELECT id, v FROM t;
         CREATE TRIGGER w_ins INSTEAD OF INSERT ON w BEGIN
           INSERT INTO t VALUES (NEW.id, NEW.v);
         END",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO w VALUES (1, 'a'), (2, NULL), (3, 'c')", ())
        .unwrap_err();
    assert_eq!(error.message(), "NOT NULL constraint failed: t.v");
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 0);
}
