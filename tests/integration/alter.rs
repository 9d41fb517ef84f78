//! ALTER TABLE and SAVEPOINT through the API: altered tables survive reopening a directory
//! database (from the WAL and from checkpoints), with an added column's text as written,
//! and so do the views and triggers RENAME
//! COLUMN and RENAME TO rewrite; prepared statements bind again after an
//! ALTER, ADD COLUMN leaves existing row payloads untouched, ALTER racing writers corrupts
//! nothing, and savepoints roll rows back and commit the rest.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use crate::support::TempDir;
use ember::{Database, ErrorKind, Options, SyncPolicy, Value};

fn all_rows(db: &Database, sql: &str) -> Vec<Vec<Value>> {
    db.connect().query(sql, ()).unwrap().values().to_vec()
}

fn table_sql(db: &Database, name: &str) -> String {
    db.catalog().table(name).expect("table exists").sql.clone()
}

#[test]
fn altered_tables_reopen_from_the_wal_and_from_checkpoints() {
    let dir = TempDir::new("reopen");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let select = "SELECT * FROM u ORDER BY id";
    let (rows, sql) = {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INT PRIMARY KEY, v TEXT UNIQUE);
                 INSERT INTO t VALUES (1, 'a'), (2, 'b');
                 ALTER TABLE t ADD COLUMN n INT NOT NULL DEFAULT 7;
                 INSERT INTO t VALUES (3, 'c', 30);
                 UPDATE t SET v = 'bb' WHERE id = 2;
                 ALTER TABLE t RENAME COLUMN v TO name;
                 CREATE INDEX t_n ON t(n);
                 ALTER TABLE t RENAME TO u;",
            )
            .unwrap();
        (all_rows(&db, select), table_sql(&db, "u"))
    };
    let expected = vec![
        vec![
            Value::Integer(1),
            Value::Text("a".into()),
            Value::Integer(7),
        ],
        vec![
            Value::Integer(2),
            Value::Text("bb".into()),
            Value::Integer(7),
        ],
        vec![
            Value::Integer(3),
            Value::Text("c".into()),
            Value::Integer(30),
        ],
    ];
    assert_eq!(rows, expected);
    assert!(
        sql.contains("u") && sql.contains("name TEXT UNIQUE"),
        "{sql}"
    );
    // From the WAL, then checkpointed (the grown table goes into the snapshot with its
    // narrow rows), then more changes on top of the snapshot.
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(all_rows(&db, select), expected);
        assert_eq!(table_sql(&db, "u"), sql);
        let conn = db.connect();
        assert_eq!(
            conn.query_value::<i64>("SELECT id FROM u WHERE n = 30", ())
                .unwrap(),
            3
        );
        conn.execute("CHECKPOINT", ()).unwrap();
        conn.execute_batch(
            "ALTER TABLE u ADD COLUMN extra TEXT DEFAULT 'x';
             INSERT INTO u VALUES (4, 'd', 40, 'y');",
        )
        .unwrap();
    }
    let mut expected: Vec<Vec<Value>> = expected
        .into_iter()
        .map(|mut row| {
            row.push(Value::Text("x".into()));
            row
        })
        .collect();
    expected.push(vec![
        Value::Integer(4),
        Value::Text("d".into()),
        Value::Integer(40),
        Value::Text("y".into()),
    ]);
    for checkpoint in [false, true, false] {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(all_rows(&db, select), expected);
        let conn = db.connect();
        assert_eq!(
            conn.query_value::<i64>("SELECT id FROM u WHERE n = 40", ())
                .unwrap(),
            4
        );
        let error = conn
            .execute("INSERT INTO u VALUES (5, 'a', 1, 'z')", ())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}

/// ADD COLUMN splices the column, as written, into the table's CREATE text as written (as
/// SQLite does: after the last column, before the table constraints), and the text and the
/// added column's CHECK are the same after WAL replay and after a checkpoint.
#[test]
fn added_columns_keep_their_text_through_the_wal_and_checkpoints() {
    let dir = TempDir::new("add-column-text");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let expected = "CREATE TABLE t (\n  id integer primary key, -- key\n  v text\n\
                    , due  date DEFAULT 'soon', n int CHECK (n > 0), CHECK (v <> ''))";
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t (\n  id integer primary key, -- key\n  v text\n, CHECK (v <> ''));
                 ALTER TABLE t ADD COLUMN due  date DEFAULT 'soon' ;
                 alter table t add n int CHECK (n > 0);
                 INSERT INTO t(id, v) VALUES (1, 'a');",
            )
            .unwrap();
        assert_eq!(table_sql(&db, "t"), expected);
    }
    for checkpoint in [false, true, false] {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(
            table_sql(&db, "t"),
            expected,
            "checkpointed before: {checkpoint}"
        );
        let rows = all_rows(&db, "SELECT id, v, due, n FROM t");
        assert_eq!(
            rows,
            [[
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Text("soon".into()),
                Value::Null
            ]]
        );
        let error = db
            .connect()
            .execute("INSERT INTO t(id, v, n) VALUES (2, 'b', 0)", ())
            .unwrap_err();
        assert_eq!(error.message(), "CHECK constraint failed: n > 0");
        if checkpoint {
            db.connect().execute("CHECKPOINT", ()).unwrap();
        }
    }
}

#[test]
fn views_and_triggers_rewritten_by_rename_column_reopen_from_the_wal_and_checkpoints() {
    let dir = TempDir::new("rename_column");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let view_sql = |db: &Database| db.catalog().view("v").expect("view exists").sql.clone();
    let trigger_sql = |db: &Database| {
        db.catalog()
            .trigger("tr")
            .expect("trigger exists")
            .sql
            .clone()
    };
    let (view, trigger) = {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(a INT, b TEXT);
                 CREATE TABLE w(a INT);
                 CREATE TABLE log(v INT);
                 CREATE VIEW v AS SELECT x.a, b FROM t AS x WHERE a > 1 ORDER BY a;
                 CREATE TRIGGER tr AFTER UPDATE OF a ON t BEGIN
                   INSERT INTO log VALUES (NEW.a); INSERT INTO w(a) VALUES (OLD.a);
                 END;
                 INSERT INTO t VALUES (1, 'x'), (2, 'y'), (3, 'z');
                 ALTER TABLE t RENAME COLUMN a TO renamed;",
            )
            .unwrap();
        (view_sql(&db), trigger_sql(&db))
    };
    assert!(
        view.contains("x.renamed") && view.contains("renamed > 1"),
        "{view}"
    );
    assert!(
        trigger.contains("OF renamed") && trigger.contains("NEW.renamed"),
        "{trigger}"
    );
    // From the WAL, then from a checkpoint, then from the checkpoint and the WAL after it.
    for (opened, checkpoint) in [false, true, false].into_iter().enumerate() {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(view_sql(&db), view);
        assert_eq!(trigger_sql(&db), trigger);
        assert_eq!(
            all_rows(&db, "SELECT renamed, b FROM v"),
            vec![
                vec![Value::Integer(2), Value::Text("y".into())],
                vec![Value::Integer(3), Value::Text("z".into())],
            ]
        );
        let conn = db.connect();
        conn.execute("UPDATE t SET renamed = renamed - 10 WHERE b = 'x'", ())
            .unwrap();
        let logged = 1 + opened as i64;
        assert_eq!(
            conn.query_value::<i64>("SELECT count(*) FROM log", ())
                .unwrap(),
            logged
        );
        assert_eq!(
            conn.query_value::<i64>("SELECT count(*) FROM w", ())
                .unwrap(),
            logged
        );
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}

#[test]
fn prepared_statements_bind_again_after_alter_table() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(id INT PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'x')")
        .unwrap();
    let mut star = conn.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    let mut by_name = conn.prepare("SELECT a FROM t WHERE id = ?").unwrap();
    assert_eq!(star.query([1]).unwrap().columns(), ["id", "a"]);
    conn.execute("ALTER TABLE t ADD COLUMN b INT DEFAULT 9", ())
        .unwrap();
    let rows = star.query_all([1]).unwrap();
    assert_eq!(rows.columns(), ["id", "a", "b"]);
    assert_eq!(rows.values()[0][2], Value::Integer(9));
    conn.execute("ALTER TABLE t RENAME COLUMN a TO c", ())
        .unwrap();
    let error = by_name.query([1]).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::NotFound, "{error}");
    conn.execute("ALTER TABLE t RENAME TO u", ()).unwrap();
    let error = star.query([1]).unwrap_err();
    assert!(error.message().contains("no such table: t"), "{error}");
}

#[test]
fn add_column_leaves_the_payloads_of_100_000_rows_untouched() {
    let conn = Database::in_memory().connect();
    conn.execute("CREATE TABLE t(id INT PRIMARY KEY, v TEXT)", ())
        .unwrap();
    conn.execute("BEGIN", ()).unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, ?)").unwrap();
    for id in 0..100_000i64 {
        insert.execute((id, format!("row {id}"))).unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    let stats =
        "SELECT payload_bytes, live_versions, bytes_used FROM ember_tables WHERE name = 't'";
    let before = conn.query(stats, ()).unwrap().values().to_vec();
    let started = std::time::Instant::now();
    conn.execute("ALTER TABLE t ADD COLUMN n INT NOT NULL DEFAULT 42", ())
        .unwrap();
    let took = started.elapsed();
    assert_eq!(
        conn.query(stats, ()).unwrap().values(),
        before,
        "no payload was rewritten"
    );
    assert!(
        took < std::time::Duration::from_millis(500),
        "ADD COLUMN took {took:?}"
    );
    let count: i64 = conn
        .query_value("SELECT count(*) FROM t WHERE n = 42", ())
        .unwrap();
    assert_eq!(count, 100_000);
    conn.execute("UPDATE t SET n = 1 WHERE id < 10", ())
        .unwrap();
    let sum: i64 = conn.query_value("SELECT sum(n) FROM t", ()).unwrap();
    assert_eq!(sum, 10 + 42 * 99_990);
}

#[test]
fn alter_table_racing_writers_corrupts_no_row() {
    let db = Database::in_memory();
    db.connect()
        .execute("CREATE TABLE t(id INT PRIMARY KEY, v INT)", ())
        .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..2i64)
        .map(|writer| {
            let db = db.clone();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut inserted = 0i64;
                let mut id = writer * 1_000_000;
                while !stop.load(Ordering::Relaxed) {
                    id += 1;
                    // Inside a transaction that may span an ALTER: its rows stay valid.
                    let result = conn.execute_batch(&format!(
                        "BEGIN; INSERT INTO t(id, v) VALUES ({id}, {id}); COMMIT"
                    ));
                    match result {
                        Ok(()) => inserted += 1,
                        Err(_) => {
                            let _ = conn.execute("ROLLBACK", ());
                        }
                    }
                }
                inserted
            })
        })
        .collect();
    let conn = db.connect();
    for column in 0..20 {
        std::thread::sleep(std::time::Duration::from_millis(2));
        conn.execute(
            &format!("ALTER TABLE t ADD COLUMN c{column} INT DEFAULT {column}"),
            (),
        )
        .unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let inserted: i64 = writers.into_iter().map(|w| w.join().unwrap()).sum();
    let rows = conn.query("SELECT * FROM t", ()).unwrap();
    assert_eq!(rows.len() as i64, inserted);
    for row in rows.values() {
        assert_eq!(row.len(), 22);
        assert_eq!(row[0], row[1]);
        for (column, value) in row[2..].iter().enumerate() {
            assert_eq!(*value, Value::Integer(column as i64));
        }
    }
}

#[test]
fn savepoints_roll_rows_back_and_commit_the_rest() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INT PRIMARY KEY)", ())
        .unwrap();
    let ids = |conn: &ember::Connection| -> Vec<i64> {
        let rows = conn.query("SELECT id FROM t ORDER BY id", ()).unwrap();
        rows.values()
            .iter()
            .map(|row| match row[0] {
                Value::Integer(i) => i,
                _ => panic!("not an integer"),
            })
            .collect()
    };
    let error = conn.execute("RELEASE nope", ()).unwrap_err();
    assert_eq!(error.message(), "no such savepoint: nope");
    conn.execute_batch(
        "SAVEPOINT a; INSERT INTO t VALUES (1); SAVEPOINT b; INSERT INTO t VALUES (2);",
    )
    .unwrap();
    assert!(conn.in_transaction());
    // Another connection sees nothing yet.
    assert!(ids(&db.connect()).is_empty());
    let error = conn.execute("ROLLBACK TO c", ()).unwrap_err();
    assert_eq!(error.message(), "no such savepoint: c");
    // A failed ROLLBACK TO changed nothing; the transaction is still open.
    assert_eq!(ids(&conn), [1, 2]);
    conn.execute_batch("ROLLBACK TO b; INSERT INTO t VALUES (3); RELEASE a")
        .unwrap();
    assert!(!conn.in_transaction());
    assert_eq!(ids(&db.connect()), [1, 3]);
    // Inside BEGIN, releasing the outermost savepoint does not commit.
    conn.execute_batch("BEGIN; SAVEPOINT s; DELETE FROM t; RELEASE s")
        .unwrap();
    assert!(conn.in_transaction());
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(ids(&conn), [1, 3]);
}

#[test]
fn create_table_as_select_survives_reopen_and_a_failed_one_leaves_nothing() {
    let dir = TempDir::new("ctas");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INT PRIMARY KEY, v TEXT);
             INSERT INTO t VALUES (1, 'a'), (2, 'b'), (3, 'c');
             CREATE TABLE c AS SELECT id * 10 AS k, v FROM t WHERE id > 1;",
        )
        .unwrap();
        assert_eq!(
            table_sql(&db, "c"),
            "CREATE TABLE c(k,v TEXT)",
            "declared types and the text as SQLite gives them"
        );
        // A CTAS whose rows fail to insert (the memory budget, say) leaves no table behind.
        conn.execute("CREATE TABLE one(x INT)", ()).unwrap();
        conn.execute("INSERT INTO one VALUES (1)", ()).unwrap();
        let error = conn
            .execute(
                "CREATE TABLE bad AS SELECT abs(-9223372036854775808) FROM one",
                (),
            )
            .unwrap_err();
        assert!(error.message().contains("overflow"), "{error}");
        assert!(db.catalog().table("bad").is_none());
    }
    for checkpoint in [true, false] {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let rows = all_rows(&db, "SELECT k, v FROM c ORDER BY k");
        assert_eq!(
            rows,
            vec![
                vec![Value::Integer(20), Value::Text("b".into())],
                vec![Value::Integer(30), Value::Text("c".into())],
            ]
        );
        assert!(db.catalog().table("bad").is_none());
        assert_eq!(table_sql(&db, "c"), "CREATE TABLE c(k,v TEXT)");
        if checkpoint {
            db.connect().execute("CHECKPOINT", ()).unwrap();
        }
    }
}

/// RENAME TO of a table with triggers edits the table's name in the triggers' text (their
/// own and those of other tables that name it), and a reopen gives the same text and the
/// same firing, replayed from the WAL and read from a checkpoint.
#[test]
fn renamed_triggers_replay_from_the_wal_and_a_checkpoint() {
    let dir = TempDir::new("rename_triggers");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let triggers = |db: &Database| -> Vec<Vec<Value>> {
        db.connect()
            .query(
                "SELECT name, tbl_name, sql FROM sqlite_schema WHERE type = 'trigger' \
                 ORDER BY name",
                (),
            )
            .unwrap()
            .into_values()
    };
    let before;
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE accounts (id INTEGER PRIMARY KEY, email TEXT);
                 CREATE TABLE audit (account_id INTEGER, note TEXT);
                 CREATE TRIGGER accounts_ai AFTER INSERT ON accounts BEGIN
                   INSERT INTO audit VALUES (NEW.id, (SELECT count(*) FROM accounts));
                 END;
                 CREATE TRIGGER audit_ai AFTER INSERT ON audit WHEN NEW.note IS NULL BEGIN
                   UPDATE accounts SET email = lower(email) WHERE accounts.id = NEW.account_id;
                 END;
                 ALTER TABLE accounts RENAME TO members;",
            )
            .unwrap();
        before = triggers(&db);
        assert_eq!(before[0][1], Value::Text("members".into()));
        let Value::Text(sql) = &before[1][2] else {
            panic!("{before:?}")
        };
        assert!(sql.contains("UPDATE \"members\" SET"), "{sql}");
    }
    for checkpoint in [false, true] {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(triggers(&db), before, "checkpoint {checkpoint}");
        let conn = db.connect();
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        } else {
            conn.execute_batch(
                "INSERT INTO members VALUES (1, 'A@B'); INSERT INTO audit VALUES (1, NULL);",
            )
            .unwrap();
        }
    }
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(triggers(&db), before);
    let rows = db
        .connect()
        .query(
            "SELECT (SELECT group_concat(note) FROM audit), email FROM members",
            (),
        )
        .unwrap()
        .into_values();
    assert_eq!(rows, [[Value::Text("1".into()), Value::Text("a@b".into())]]);
}

/// RENAME TO of a table that foreign keys reference (another table's and its own) edits
/// the name in their text in place, and the keys still find their parent after a reopen
/// from the WAL and after a checkpoint.
#[test]
fn renamed_parents_stay_referenced_after_reopen() {
    let dir = TempDir::new("rename_parents");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let texts = |db: &Database| {
        all_rows(
            db,
            "SELECT name, sql FROM sqlite_schema WHERE type = 'table' ORDER BY name",
        )
    };
    let before;
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE parent (id INTEGER PRIMARY KEY);
                 CREATE TABLE child (id INTEGER PRIMARY KEY, pid INTEGER REFERENCES parent(id));
                 CREATE TABLE node (id INTEGER PRIMARY KEY, up INTEGER REFERENCES node(id));
                 INSERT INTO parent VALUES (1);
                 ALTER TABLE parent RENAME TO parents;
                 ALTER TABLE node RENAME TO nodes;",
            )
            .unwrap();
        before = texts(&db);
        assert_eq!(
            table_sql(&db, "nodes"),
            "CREATE TABLE \"nodes\" (id INTEGER PRIMARY KEY, up INTEGER REFERENCES \"nodes\"(id))"
        );
    }
    for checkpoint in [false, true] {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        assert_eq!(texts(&db), before, "checkpoint {checkpoint}");
        let conn = db.connect();
        conn.execute_batch("PRAGMA foreign_keys = ON").unwrap();
        let error = conn
            .execute("INSERT INTO child VALUES (10, 9)", ())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
        conn.execute("INSERT OR REPLACE INTO child VALUES (11, 1)", ())
            .unwrap();
        let error = conn
            .execute("INSERT INTO nodes VALUES (5, 99)", ())
            .unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
        if checkpoint {
            conn.execute("CHECKPOINT", ()).unwrap();
        }
    }
}
