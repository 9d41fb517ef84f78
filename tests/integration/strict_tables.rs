//! STRICT tables through the library: SQLite's errors (message and kind) for a refused
//! value and a disallowed type, and the STRICT rules surviving a reopen of a directory
//! database (from the WAL and from a checkpoint), shown in the table's schema text.

use crate::support::TempDir;
use ember::{Database, ErrorKind, Value};

fn refused(db: &Database, sql: &str) -> (ErrorKind, String) {
    let error = db.connect().execute(sql, ()).unwrap_err();
    (error.kind(), error.message().to_string())
}

fn check_rules(db: &Database, table: &str) {
    assert_eq!(
        refused(db, &format!("INSERT INTO {table}(i) VALUES ('abc')")),
        (
            ErrorKind::Constraint,
            format!("cannot store TEXT value in INT column {table}.i")
        )
    );
    assert_eq!(
        refused(db, &format!("INSERT INTO {table}(b) VALUES (5)")),
        (
            ErrorKind::Constraint,
            format!("cannot store INT value in BLOB column {table}.b")
        )
    );
    let rows = db
        .connect()
        .query(
            &format!("SELECT i, a, typeof(a) FROM {table} ORDER BY i"),
            (),
        )
        .unwrap();
    let rows: Vec<Vec<Value>> = rows.into_iter().map(|row| row.values().to_vec()).collect();
    assert_eq!(
        rows,
        vec![vec![
            Value::Integer(12),
            Value::Text("1".into()),
            Value::Text("text".into())
        ]]
    );
    let sql = db.catalog().table(table).unwrap().sql.clone();
    assert!(sql.ends_with(" STRICT"), "{sql}");
}

#[test]
fn strict_tables_refuse_as_sqlite_does() {
    let db = Database::in_memory();
    assert_eq!(
        refused(&db, "CREATE TABLE t(a VARCHAR(20)) STRICT"),
        (
            ErrorKind::InvalidInput,
            "unknown datatype for t.a: \"VARCHAR(20)\"".to_string()
        )
    );
    assert_eq!(
        refused(&db, "CREATE TABLE t(a INT, b) STRICT").1,
        "missing datatype for t.b"
    );
    assert!(db.catalog().table("t").is_none());
    db.connect()
        .execute_batch(
            "CREATE TABLE t(i INT, b BLOB, a ANY) STRICT; INSERT INTO t(i, a) VALUES ('12', '1');",
        )
        .unwrap();
    check_rules(&db, "t");
}

#[test]
fn strict_survives_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("strict-reopen");
    {
        let db = Database::open(&dir.0).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(i INT, b BLOB, a ANY) STRICT;
                 INSERT INTO t(i, a) VALUES ('12', '1');
                 CREATE TABLE r(x INT) STRICT;
                 ALTER TABLE r RENAME TO s;",
            )
            .unwrap();
    }
    {
        let db = Database::open(&dir.0).unwrap();
        check_rules(&db, "t");
        assert_eq!(
            refused(&db, "INSERT INTO s VALUES ('x')").1,
            "cannot store TEXT value in INT column s.x"
        );
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    check_rules(&db, "t");
    assert_eq!(
        refused(&db, "INSERT INTO s VALUES ('x')").1,
        "cannot store TEXT value in INT column s.x"
    );
}
