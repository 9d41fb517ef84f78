//! Transactional DDL: CREATE/DROP TABLE, INDEX and VIEW and ALTER TABLE (RENAME, RENAME
//! COLUMN, ADD COLUMN) inside an explicit transaction are undone with its rows by ROLLBACK
//! and by ROLLBACK TO a savepoint before them, are invisible to other connections until
//! COMMIT (whose own schema changes wait, then fail busy), and survive a reopen only when
//! committed: a rolled-back or unfinished transaction leaves no trace in the log. A migration
//! tool's flow (read `user_version`, check `sqlite_schema`, change the schema, bump the
//! version, fail midway, roll back) leaves everything as it was.

use std::time::Duration;

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Options};

/// Everything `sqlite_schema` lists, in a fixed order.
fn schema(conn: &Connection) -> Vec<String> {
    conn.query(
        "SELECT type || ' ' || name || ' ' || tbl_name || ' ' || coalesce(sql, '') \
         FROM sqlite_schema ORDER BY type, name",
        (),
    )
    .unwrap()
    .into_iter()
    .map(|row| row.get(0).unwrap())
    .collect()
}

fn rows(conn: &Connection, sql: &str) -> Vec<String> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| {
            row.values()
                .iter()
                .map(|value| format!("{value:?}"))
                .collect::<Vec<_>>()
                .join("|")
        })
        .collect()
}

const SETUP: &str = "
    CREATE TABLE keep(id INTEGER PRIMARY KEY, a TEXT, b INT);
    CREATE INDEX keep_b ON keep(b);
    CREATE TABLE doomed(x INT UNIQUE);
    CREATE VIEW keep_view AS SELECT a FROM keep;
    INSERT INTO keep VALUES (1, 'one', 10), (2, 'two', 20);
    INSERT INTO doomed VALUES (7);
";

/// One statement of each DDL kind, with rows written around them.
const EVERY_KIND: &str = "
    INSERT INTO keep VALUES (3, 'three', 30);
    CREATE TABLE fresh(k INTEGER PRIMARY KEY, v TEXT UNIQUE);
    INSERT INTO fresh VALUES (1, 'v1');
    CREATE INDEX keep_a ON keep(a);
    CREATE VIEW fresh_view AS SELECT v FROM fresh;
    DROP INDEX keep_b;
    DROP VIEW keep_view;
    INSERT INTO doomed VALUES (8);
    DROP TABLE doomed;
    ALTER TABLE keep ADD COLUMN c INT DEFAULT 5;
    INSERT INTO keep VALUES (4, 'four', 40, 6);
    ALTER TABLE keep RENAME COLUMN a TO name;
    ALTER TABLE keep RENAME TO kept;
    UPDATE kept SET c = c + 1 WHERE id = 1;
";

fn assert_as_set_up(conn: &Connection, schema_before: &[String]) {
    assert_eq!(schema(conn), schema_before);
    assert_eq!(
        rows(conn, "SELECT * FROM keep ORDER BY id"),
        [
            "Integer(1)|Text(\"one\")|Integer(10)",
            "Integer(2)|Text(\"two\")|Integer(20)"
        ]
    );
    assert_eq!(rows(conn, "SELECT x FROM doomed"), ["Integer(7)"]);
    assert_eq!(rows(conn, "SELECT a FROM keep_view ORDER BY a").len(), 2);
    // The index dropped and brought back still answers (and is kept up by new rows).
    conn.execute("INSERT INTO keep VALUES (9, 'nine', 90)", ())
        .unwrap();
    assert_eq!(
        rows(conn, "SELECT id FROM keep WHERE b = 90"),
        ["Integer(9)"]
    );
    // The UNIQUE index of the table dropped and brought back still refuses duplicates.
    let duplicate = conn
        .execute("INSERT INTO doomed VALUES (7)", ())
        .unwrap_err();
    assert_eq!(duplicate.kind(), ErrorKind::Constraint);
    // Nothing of the undone changes is left: the names are free, the column is gone.
    conn.execute_batch(
        "CREATE TABLE fresh(other INT); CREATE INDEX keep_a ON keep(a); DROP TABLE fresh;
         DROP INDEX keep_a; DELETE FROM keep WHERE id = 9;",
    )
    .unwrap();
    assert_eq!(
        conn.query("SELECT * FROM keep", ()).unwrap().columns(),
        ["id", "a", "b"]
    );
}

#[test]
fn rollback_undoes_every_kind_of_schema_change_with_the_rows() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SETUP).unwrap();
    let before = schema(&conn);
    conn.execute("BEGIN", ()).unwrap();
    conn.execute_batch(EVERY_KIND).unwrap();
    // The transaction sees its own changes.
    assert_eq!(
        rows(&conn, "SELECT id, name, c FROM kept ORDER BY id"),
        [
            "Integer(1)|Text(\"one\")|Integer(6)",
            "Integer(2)|Text(\"two\")|Integer(5)",
            "Integer(3)|Text(\"three\")|Integer(5)",
            "Integer(4)|Text(\"four\")|Integer(6)"
        ]
    );
    assert_eq!(rows(&conn, "SELECT v FROM fresh_view"), ["Text(\"v1\")"]);
    assert_eq!(
        conn.query("SELECT * FROM doomed", ()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    conn.execute("ROLLBACK", ()).unwrap();
    assert_as_set_up(&conn, &before);
}

#[test]
fn commit_publishes_every_kind_of_schema_change_with_the_rows() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(SETUP).unwrap();
    conn.execute("BEGIN", ()).unwrap();
    conn.execute_batch(EVERY_KIND).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    let other = db.connect();
    assert_eq!(
        rows(&other, "SELECT id, name, b, c FROM kept ORDER BY id"),
        [
            "Integer(1)|Text(\"one\")|Integer(10)|Integer(6)",
            "Integer(2)|Text(\"two\")|Integer(20)|Integer(5)",
            "Integer(3)|Text(\"three\")|Integer(30)|Integer(5)",
            "Integer(4)|Text(\"four\")|Integer(40)|Integer(6)"
        ]
    );
    assert_eq!(
        rows(
            &other,
            "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name"
        ),
        ["Text(\"keep_a\")", "Text(\"sqlite_autoindex_fresh_1\")"]
    );
    assert_eq!(rows(&other, "SELECT v FROM fresh_view"), ["Text(\"v1\")"]);
    for gone in [
        "SELECT * FROM doomed",
        "SELECT * FROM keep_view",
        "SELECT * FROM keep",
    ] {
        assert_eq!(
            other.query(gone, ()).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    // The index created in the transaction holds the rows written before and after it.
    assert_eq!(
        rows(&other, "SELECT id FROM kept WHERE name = 'four'"),
        ["Integer(4)"]
    );
}

#[test]
fn rollback_to_a_savepoint_undoes_the_schema_changes_made_after_it() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(a INT); INSERT INTO t VALUES (1);
         BEGIN;
         CREATE TABLE early(x INT); INSERT INTO early VALUES (1);
         SAVEPOINT s;
         CREATE TABLE late(y INT); INSERT INTO late VALUES (2);
         ALTER TABLE t ADD COLUMN b TEXT; INSERT INTO t VALUES (2, 'b');
         ALTER TABLE early RENAME TO renamed;
         CREATE INDEX t_a ON t(a);",
    )
    .unwrap();
    // A statement cached against the staged schema.
    assert_eq!(
        conn.query("SELECT * FROM t", ()).unwrap().columns(),
        ["a", "b"]
    );
    conn.execute("ROLLBACK TO s", ()).unwrap();
    assert_eq!(conn.query("SELECT * FROM t", ()).unwrap().columns(), ["a"]);
    assert_eq!(rows(&conn, "SELECT a FROM t"), ["Integer(1)"]);
    assert_eq!(rows(&conn, "SELECT x FROM early"), ["Integer(1)"]);
    for gone in ["SELECT * FROM late", "SELECT * FROM renamed"] {
        assert_eq!(
            conn.query(gone, ()).unwrap_err().kind(),
            ErrorKind::NotFound
        );
    }
    // The savepoint stays: changes after it can be undone again, then the rest commits.
    conn.execute_batch(
        "CREATE TABLE late(z INT); ROLLBACK TO s; ALTER TABLE t ADD COLUMN c INT;
         INSERT INTO t VALUES (3, 4); RELEASE s; COMMIT;",
    )
    .unwrap();
    assert_eq!(
        rows(&conn, "SELECT * FROM t ORDER BY a"),
        ["Integer(1)|Null", "Integer(3)|Integer(4)"]
    );
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"early\")", "Text(\"t\")"]
    );
    // A savepoint set before the transaction's first schema change undoes all of them.
    conn.execute_batch(
        "BEGIN; SAVEPOINT first; CREATE TABLE u(a INT); DROP TABLE early; ROLLBACK TO first;
         COMMIT;",
    )
    .unwrap();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"early\")", "Text(\"t\")"]
    );
}

#[test]
fn other_connections_do_not_see_uncommitted_schema_changes_and_wait_to_make_their_own() {
    let db = Database::in_memory_with(Options::new().busy_timeout(Duration::from_millis(50)));
    let conn = db.connect();
    let other = db.connect();
    conn.execute_batch("CREATE TABLE t(a INT); CREATE TABLE side(s INT);")
        .unwrap();
    conn.execute_batch(
        "BEGIN; CREATE TABLE mine(m INT); INSERT INTO mine VALUES (1);
         ALTER TABLE t RENAME COLUMN a TO renamed; DROP TABLE side;",
    )
    .unwrap();
    assert_eq!(
        other.query("SELECT * FROM mine", ()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    assert_eq!(other.query("SELECT * FROM t", ()).unwrap().columns(), ["a"]);
    assert_eq!(
        rows(&other, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"side\")", "Text(\"t\")"]
    );
    // Rows go on being written by others, to tables the transaction did not change too.
    other.execute("INSERT INTO side VALUES (1)", ()).unwrap();
    // Another schema change waits for the transaction, then fails busy.
    let busy = other.execute("CREATE TABLE theirs(x INT)", ()).unwrap_err();
    assert_eq!(busy.kind(), ErrorKind::Busy, "{busy}");
    assert!(busy.message().contains("schema is locked"), "{busy}");
    other.execute("BEGIN", ()).unwrap();
    let busy = other.execute("CREATE INDEX t_a ON t(a)", ()).unwrap_err();
    assert_eq!(busy.kind(), ErrorKind::Busy, "{busy}");
    other.execute("ROLLBACK", ()).unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(rows(&other, "SELECT m FROM mine"), ["Integer(1)"]);
    assert_eq!(
        other.query("SELECT * FROM t", ()).unwrap().columns(),
        ["renamed"]
    );
    other.execute("CREATE TABLE theirs(x INT)", ()).unwrap();
    // After a ROLLBACK too, the schema is free again.
    conn.execute_batch("BEGIN; CREATE TABLE undone(u INT); ROLLBACK;")
        .unwrap();
    other.execute("DROP TABLE theirs", ()).unwrap();
}

#[test]
fn a_waiting_schema_change_runs_once_the_transaction_commits() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch("BEGIN; CREATE TABLE first(a INT);")
        .unwrap();
    let waiter = {
        let db = db.clone();
        std::thread::spawn(move || {
            db.connect()
                .execute("CREATE TABLE second(b INT REFERENCES first(a))", ())
                .map(|_| ())
        })
    };
    std::thread::sleep(Duration::from_millis(50));
    conn.execute("COMMIT", ()).unwrap();
    waiter.join().unwrap().unwrap();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"first\")", "Text(\"second\")"]
    );
}

#[test]
fn a_failed_schema_change_in_a_transaction_undoes_itself_alone() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (1);
         BEGIN; CREATE TABLE kept(k INT);",
    )
    .unwrap();
    let error = conn
        .execute("CREATE UNIQUE INDEX t_a ON t(a)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    // A CTAS whose insert fails: its table goes with it, the earlier change stays.
    let error = conn
        .execute("CREATE TABLE made AS SELECT a, json('{bad') FROM t", ())
        .unwrap_err();
    assert!(error.message().contains("JSON"), "{error}");
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"kept\")", "Text(\"t\")"]
    );
}

#[test]
fn create_table_as_select_is_one_transaction() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE src(a INT); INSERT INTO src VALUES (1), (2);
         CREATE TABLE dst(a INT UNIQUE); INSERT INTO dst VALUES (2);",
    )
    .unwrap();
    assert_eq!(
        conn.execute("CREATE TABLE copy AS SELECT a FROM src", ())
            .unwrap(),
        2
    );
    // A CTAS whose insert fails leaves no table (autocommit)...
    let error = conn
        .execute("CREATE TABLE bad AS SELECT a, json('{bad') FROM src", ())
        .unwrap_err();
    assert!(error.message().contains("JSON"), "{error}");
    assert_eq!(
        conn.query("SELECT * FROM bad", ()).unwrap_err().kind(),
        ErrorKind::NotFound
    );
    // ...and inside a transaction, ROLLBACK removes the table and its rows.
    conn.execute_batch("BEGIN; CREATE TABLE inside AS SELECT a FROM src; ROLLBACK;")
        .unwrap();
    assert_eq!(
        rows(
            &conn,
            "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name"
        ),
        ["Text(\"copy\")", "Text(\"dst\")", "Text(\"src\")"]
    );
}

#[test]
fn a_connection_dropped_inside_a_transaction_undoes_its_schema_changes() {
    let db = Database::in_memory_with(Options::new().busy_timeout(Duration::from_millis(50)));
    {
        let conn = db.connect();
        conn.execute_batch("BEGIN; CREATE TABLE gone(a INT); INSERT INTO gone VALUES (1);")
            .unwrap();
    }
    let conn = db.connect();
    assert!(schema(&conn).is_empty());
    conn.execute("CREATE TABLE gone(b TEXT)", ()).unwrap();
}

#[test]
fn reopen_keeps_a_committed_schema_transaction_and_nothing_of_a_rolled_back_one() {
    let dir = TempDir::new("transactional-ddl-reopen");
    let committed_schema;
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(SETUP).unwrap();
        conn.execute("BEGIN", ()).unwrap();
        conn.execute_batch(EVERY_KIND).unwrap();
        conn.execute("COMMIT", ()).unwrap();
        committed_schema = schema(&conn);
        conn.execute_batch(
            "BEGIN; CREATE TABLE rolled(a INT); INSERT INTO rolled VALUES (1);
             DROP TABLE fresh; INSERT INTO kept VALUES (5, 'five', 50, 7);
             ALTER TABLE kept ADD COLUMN d INT; ROLLBACK;",
        )
        .unwrap();
        // Rows written after the rollback go on in the log.
        conn.execute("INSERT INTO fresh VALUES (2, 'v2')", ())
            .unwrap();
    }
    let check = |conn: &Connection| {
        assert_eq!(schema(conn), committed_schema);
        assert_eq!(
            rows(conn, "SELECT id, name, b, c FROM kept ORDER BY id"),
            [
                "Integer(1)|Text(\"one\")|Integer(10)|Integer(6)",
                "Integer(2)|Text(\"two\")|Integer(20)|Integer(5)",
                "Integer(3)|Text(\"three\")|Integer(30)|Integer(5)",
                "Integer(4)|Text(\"four\")|Integer(40)|Integer(6)"
            ]
        );
        assert_eq!(
            rows(conn, "SELECT k, v FROM fresh ORDER BY k"),
            ["Integer(1)|Text(\"v1\")", "Integer(2)|Text(\"v2\")"]
        );
    };
    {
        let db = Database::open(&dir.0).unwrap();
        check(&db.connect());
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    check(&db.connect());
}

/// Copies the files of database directory `from` as they are now (what a crash leaves).
fn copy_files(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        if entry.file_type().unwrap().is_file() {
            std::fs::copy(entry.path(), to.join(entry.file_name())).unwrap();
        }
    }
}

#[test]
fn a_crash_before_commit_leaves_no_trace_of_the_schema_changes() {
    let dir = TempDir::new("transactional-ddl-crash");
    let crashed = TempDir::new("transactional-ddl-crashed");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1);")
            .unwrap();
        conn.execute_batch(
            "BEGIN; CREATE TABLE half(h INT); INSERT INTO half VALUES (1); DROP TABLE t;
             CREATE INDEX half_h ON half(h);",
        )
        .unwrap();
        // Another connection commits meanwhile: its record is in the log, the DDL's is not.
        db.connect()
            .execute("INSERT INTO t VALUES (2)", ())
            .unwrap();
        copy_files(&dir.0, &crashed.0);
        conn.execute("COMMIT", ()).unwrap();
    }
    let db = Database::open(&crashed.0).unwrap();
    let conn = db.connect();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"t\")"]
    );
    assert_eq!(
        rows(&conn, "SELECT a FROM t ORDER BY a"),
        ["Integer(1)", "Integer(2)"]
    );
    // The directory the transaction committed in has its changes.
    drop(conn);
    drop(db);
    let conn = Database::open(&dir.0).unwrap().connect();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"half\")", "Text(\"half_h\")"]
    );
}

#[test]
fn a_schema_only_transaction_survives_reopen() {
    let dir = TempDir::new("transactional-ddl-schema-only");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(a INT); INSERT INTO t VALUES (1);
             BEGIN; CREATE VIEW v AS SELECT a FROM t; CREATE INDEX t_a ON t(a);
             ALTER TABLE t ADD COLUMN b INT DEFAULT 3; COMMIT;",
        )
        .unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(rows(&conn, "SELECT * FROM t"), ["Integer(1)|Integer(3)"]);
    assert_eq!(rows(&conn, "SELECT a FROM v"), ["Integer(1)"]);
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema WHERE type = 'index'"),
        ["Text(\"t_a\")"]
    );
}

fn user_version(conn: &Connection) -> i64 {
    conn.query_value("PRAGMA user_version", ()).unwrap()
}

/// A migration tool's step 2: from version 1, add a column, backfill it, index it, add a
/// table and bump the version, in one transaction; `fail` makes its last step fail.
fn migrate_to_2(conn: &Connection, fail: bool) -> ember::Result<()> {
    conn.execute("BEGIN", ())?;
    let step = (|| -> ember::Result<()> {
        if user_version(conn) >= 2 {
            return Ok(());
        }
        let has_audit: i64 = conn.query_value(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'audit'",
            (),
        )?;
        assert_eq!(has_audit, 0);
        conn.execute("ALTER TABLE users ADD COLUMN active INT DEFAULT 1", ())?;
        conn.execute("UPDATE users SET active = 0 WHERE id = 2", ())?;
        conn.execute("CREATE INDEX users_active ON users(active)", ())?;
        conn.execute("CREATE TABLE audit(at INT, what TEXT)", ())?;
        conn.execute("INSERT INTO audit VALUES (1, 'migrated')", ())?;
        conn.execute("PRAGMA user_version = 2", ())?;
        if fail {
            conn.execute("INSERT INTO users(id, email) VALUES (1, 'clash')", ())?;
        }
        Ok(())
    })();
    match step {
        Ok(()) => conn.execute("COMMIT", ()).map(|_| ()),
        Err(error) => {
            conn.execute("ROLLBACK", ())?;
            Err(error)
        }
    }
}

#[test]
fn a_failed_migration_rolls_back_to_exactly_the_previous_version() {
    let dir = TempDir::new("transactional-ddl-migration");
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    conn.execute_batch(
        "BEGIN; CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT);
         INSERT INTO users VALUES (1, 'a'), (2, 'b'); PRAGMA user_version = 1; COMMIT;",
    )
    .unwrap();
    let before = schema(&conn);
    let error = migrate_to_2(&conn, true).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    assert_eq!(user_version(&conn), 1);
    assert_eq!(schema(&conn), before);
    assert_eq!(
        conn.query("SELECT * FROM users", ()).unwrap().columns(),
        ["id", "email"]
    );
    migrate_to_2(&conn, false).unwrap();
    migrate_to_2(&conn, false).unwrap();
    drop(conn);
    drop(db);
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(user_version(&conn), 2);
    assert_eq!(
        rows(&conn, "SELECT id, active FROM users ORDER BY id"),
        ["Integer(1)|Integer(1)", "Integer(2)|Integer(0)"]
    );
    assert_eq!(
        rows(&conn, "SELECT what FROM audit"),
        ["Text(\"migrated\")"]
    );
}

#[test]
fn a_table_with_an_uncommitted_added_column_takes_only_that_transactions_commits() {
    let db = Database::in_memory();
    let conn = db.connect();
    let other = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT); INSERT INTO t VALUES (1, 'x');
         BEGIN; ALTER TABLE t ADD COLUMN b INT DEFAULT 3; INSERT INTO t VALUES (2, 'y', 4);",
    )
    .unwrap();
    // Others read the table as committed...
    assert_eq!(rows(&other, "SELECT * FROM t"), ["Integer(1)|Text(\"x\")"]);
    // ...but commit no write to it until the transaction ends.
    let refused = other
        .execute("UPDATE t SET a = 'w' WHERE id = 1", ())
        .unwrap_err();
    assert_eq!(
        refused.kind(),
        ErrorKind::SerializationConflict,
        "{refused}"
    );
    assert!(refused.is_retryable());
    assert!(other.execute("INSERT INTO t VALUES (3, 'z')", ()).is_err());
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(rows(&other, "SELECT * FROM t"), ["Integer(1)|Text(\"x\")"]);
    other
        .execute("UPDATE t SET a = 'w' WHERE id = 1", ())
        .unwrap();
    conn.execute_batch("BEGIN; ALTER TABLE t ADD COLUMN c INT; COMMIT;")
        .unwrap();
    other
        .execute("INSERT INTO t VALUES (3, 'z', 5)", ())
        .unwrap();
    assert_eq!(
        rows(&other, "SELECT * FROM t ORDER BY id"),
        [
            "Integer(1)|Text(\"w\")|Null",
            "Integer(3)|Text(\"z\")|Integer(5)"
        ]
    );
}

/// `PRAGMA busy_timeout` reads the database's busy timeout and sets the one a schema
/// change waits for another transaction's with (the error names the wait it made).
#[test]
fn pragma_busy_timeout_sets_the_wait_of_a_schema_change() {
    let db = Database::in_memory_with(Options::new().busy_timeout(Duration::from_millis(70)));
    let conn = db.connect();
    let other = db.connect();
    assert_eq!(rows(&other, "PRAGMA busy_timeout"), ["Integer(70)"]);
    conn.execute_batch("BEGIN; CREATE TABLE mine(m INT);")
        .unwrap();
    assert_eq!(rows(&other, "PRAGMA busy_timeout = 30"), ["Integer(30)"]);
    assert_eq!(rows(&conn, "PRAGMA busy_timeout"), ["Integer(30)"]);
    let busy = other.execute("CREATE TABLE theirs(x INT)", ()).unwrap_err();
    assert_eq!(busy.kind(), ErrorKind::Busy, "{busy}");
    assert!(busy.message().contains("waited 30 ms"), "{busy}");
    conn.execute("COMMIT", ()).unwrap();
}

/// A transaction whose row writes were all rolled back to a savepoint holds a transaction id
/// but no write: its schema changes after that are still logged at COMMIT, so a crash
/// right after keeps them (the storage commit of no rows logs nothing by itself).
#[test]
fn schema_changes_after_every_row_write_rolled_back_survive_a_crash() {
    let dir = TempDir::new("transactional-ddl-after-rollback-to");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE log(id INTEGER PRIMARY KEY, what TEXT);
             CREATE TABLE t(id INTEGER PRIMARY KEY, a INT);
             CREATE TRIGGER t_log AFTER INSERT ON t BEGIN INSERT INTO log(what) VALUES ('t'); END;
             INSERT INTO t VALUES (NULL, 1);
             BEGIN; SAVEPOINT s; CREATE TABLE undone(x INT); INSERT INTO undone VALUES (1);
             INSERT INTO t VALUES (NULL, 2); ROLLBACK TO s; RELEASE s;
             DROP TABLE t; CREATE TABLE kept(k INT); COMMIT;",
        )
        .unwrap();
        drop(conn);
        db.drop_as_if_crashed();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(
        rows(&conn, "SELECT name FROM sqlite_schema ORDER BY name"),
        ["Text(\"kept\")", "Text(\"log\")"]
    );
    assert_eq!(rows(&conn, "SELECT count(*) FROM log"), ["Integer(1)"]);
}
