//! Triggers through the library API and across reopen: a trigger created with
//! `Connection::execute` fires for rows a prepared statement inserts; triggers come back
//! from the WAL after a crash and from a checkpoint snapshot, and DROP TRIGGER / DROP TABLE
//! do too; RAISE's message and kind reach the caller; the nesting limit is a clear error.

use std::sync::Arc;

use ember::{Database, ErrorKind, Options, Value};
use ember_storage::vfs::SimVfs;

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone()))
}

fn values(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.connect().query(sql, ()).unwrap().into_values()
}

const SCHEMA: &str = "
    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT);
    CREATE TABLE log(id INTEGER, what TEXT);
    CREATE TABLE dropped(a);
    CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id, 'insert'); END;
    CREATE TRIGGER t_bu BEFORE UPDATE OF v ON t WHEN new.v IS NULL
        BEGIN SELECT RAISE(ABORT, 'v may not become NULL'); END;
    CREATE TRIGGER gone AFTER DELETE ON t BEGIN SELECT 1; END;
    CREATE TRIGGER on_dropped AFTER INSERT ON dropped BEGIN SELECT 1; END;
    DROP TRIGGER gone;
    DROP TABLE dropped;";

/// The triggers `sqlite_schema` lists, and what they do.
fn assert_triggers_work(db: &Database) {
    let listed = values(
        db,
        "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' ORDER BY name",
    );
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(listed[0][0], Value::Text("t_ai".into()));
    assert_eq!(listed[0][1], Value::Text("t".into()));
    assert_eq!(
        listed[0][2],
        Value::Text(
            "CREATE TRIGGER t_ai AFTER INSERT ON t BEGIN INSERT INTO log VALUES (new.id, \
             'insert'); END"
                .into()
        )
    );
    assert_eq!(listed[1][0], Value::Text("t_bu".into()));
    let conn = db.connect();
    let before = values(db, "SELECT count(*) FROM log")[0][0].clone();
    let Value::Integer(before) = before else {
        panic!("{before:?}")
    };
    conn.execute("INSERT INTO t(v) VALUES ('again')", ())
        .unwrap();
    assert_eq!(
        values(db, "SELECT count(*) FROM log"),
        vec![vec![Value::Integer(before + 1)]]
    );
    let error = conn.execute("UPDATE t SET v = NULL", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    assert_eq!(error.message(), "v may not become NULL");
}

#[test]
fn a_trigger_created_by_execute_fires_for_prepared_inserts() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    let mut insert = conn.prepare("INSERT INTO t(v) VALUES (?)").unwrap();
    for n in 0..5 {
        insert.execute((format!("v{n}"),)).unwrap();
    }
    assert_eq!(
        values(&db, "SELECT count(*), min(id), max(id) FROM log"),
        vec![vec![
            Value::Integer(5),
            Value::Integer(1),
            Value::Integer(5)
        ]]
    );
    // A trigger created after the statement was prepared fires for it too.
    conn.execute(
        "CREATE TRIGGER t_ai2 AFTER INSERT ON t BEGIN INSERT INTO log VALUES (-new.id, 'x'); END",
        (),
    )
    .unwrap();
    insert.execute(("v5",)).unwrap();
    assert_eq!(
        values(
            &db,
            "SELECT id FROM log WHERE id = 6 OR id = -6 ORDER BY id"
        ),
        vec![vec![Value::Integer(-6)], vec![Value::Integer(6)]]
    );
    // The failure RAISE makes undoes the statement only.
    let error = conn
        .execute("UPDATE t SET v = NULL WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(error.message(), "v may not become NULL");
    assert_eq!(
        values(&db, "SELECT v FROM t WHERE id = 1"),
        vec![vec![Value::Text("v0".into())]]
    );
}

#[test]
fn triggers_survive_a_crash_and_a_checkpoint() {
    let vfs = SimVfs::new();
    {
        let db = open(&vfs).unwrap();
        let conn = db.connect();
        conn.execute_batch(SCHEMA).unwrap();
        conn.execute("INSERT INTO t(v) VALUES ('a'), ('b')", ())
            .unwrap();
        drop(conn);
        db.drop_as_if_crashed();
    }
    // From the WAL alone: the rows the trigger wrote are there, and it fires again.
    {
        let db = open(&vfs).unwrap();
        assert_eq!(
            values(&db, "SELECT count(*) FROM log"),
            vec![vec![Value::Integer(2)]]
        );
        assert_triggers_work(&db);
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    // From the checkpoint snapshot.
    let db = open(&vfs).unwrap();
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    assert_eq!(
        values(&db, "SELECT count(*) FROM log"),
        vec![vec![Value::Integer(3)]]
    );
    assert_triggers_work(&db);
}

#[test]
fn nesting_past_the_limit_is_an_error_that_changes_nothing() {
    let db = Database::in_memory();
    let conn = db.connect();
    let depth = ember::limits::TRIGGER_DEPTH_MAX + 1;
    let mut sql = String::new();
    for level in 0..=depth {
        sql.push_str(&format!("CREATE TABLE c{level}(n);\n"));
    }
    for level in 0..depth {
        let next = level + 1;
        sql.push_str(&format!(
            "CREATE TRIGGER c{level}_ai AFTER INSERT ON c{level} \
             BEGIN INSERT INTO c{next} VALUES (new.n + 1); END;\n"
        ));
    }
    conn.execute_batch(&sql).unwrap();
    // Within the limit: the chain runs to its end.
    conn.execute("INSERT INTO c1 VALUES (1)", ()).unwrap();
    assert_eq!(
        values(&db, &format!("SELECT n FROM c{depth}")),
        vec![vec![Value::Integer(depth as i64)]]
    );
    // One level deeper fails, and the statement changes nothing.
    let error = conn.execute("INSERT INTO c0 VALUES (0)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert!(error.message().contains("trigger"), "{error}");
    assert_eq!(
        values(&db, "SELECT count(*) FROM c0"),
        vec![vec![Value::Integer(0)]]
    );
    assert_eq!(
        values(&db, "SELECT count(*) FROM c1"),
        vec![vec![Value::Integer(1)]]
    );
}
