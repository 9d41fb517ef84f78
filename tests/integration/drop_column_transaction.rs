//! ALTER TABLE .. DROP COLUMN inside BEGIN .. COMMIT: the rows the transaction sees (its own
//! writes among them) are copied by the transaction, so COMMIT keeps the drop with the
//! writes around it, ROLLBACK and ROLLBACK TO undo it, other connections see the table as
//! it was until COMMIT (and cannot commit writes to it meanwhile), and a directory database
//! brings a committed drop back after a crash and an uncommitted one not at all. Answers
//! are compared with the bundled SQLite where it makes the same statements.

use std::sync::Arc;

use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::SimVfs;

use super::drop_column::{ours_as_text, theirs_as_text};

const SCHEMA: &str = "
    CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT, c TEXT);
    CREATE INDEX t_c ON t(c);
    CREATE TABLE r(x TEXT, y INT, z TEXT);
    CREATE UNIQUE INDEX r_x ON r(x);
    CREATE VIEW rv AS SELECT * FROM r;
";

/// Rows with gaps in both tables' row ids.
const ROWS: &str = "
    INSERT INTO t VALUES (1, 'a1', 10, 'c1'), (2, 'a2', 20, 'c2'), (3, 'a3', 30, 'c1'),
                         (5, 'a5', 50, 'c2'), (-4, 'n4', -40, 'neg');
    INSERT INTO r VALUES ('x1', 1, 'z1'), ('x2', 2, 'z2'), ('x3', 3, 'z3'), ('x4', 4, 'z4');
    DELETE FROM r WHERE y = 2;
";

/// What the tests compare: rows with their row ids, columns, and index answers.
const QUERIES: &[&str] = &[
    "SELECT * FROM t ORDER BY id",
    "SELECT rowid, * FROM r ORDER BY rowid",
    "SELECT * FROM rv ORDER BY x",
    "SELECT id FROM t WHERE c = 'c1' ORDER BY id",
    "SELECT rowid FROM r WHERE x = 'x3'",
    "SELECT name FROM sqlite_schema ORDER BY name",
];

fn sqlite_with(statements: &[&str]) -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(ROWS).unwrap();
    for sql in statements {
        conn.execute_batch(sql).unwrap();
    }
    conn
}

fn ember_with(db: &Database, statements: &[&str]) -> ember::Connection {
    let conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(ROWS).unwrap();
    for sql in statements {
        conn.execute_batch(sql).unwrap();
    }
    conn
}

/// Runs `statements` after the schema and rows in both engines and compares `QUERIES`.
fn assert_as_sqlite(statements: &[&str]) {
    let theirs = sqlite_with(statements);
    let db = Database::in_memory();
    let ours = ember_with(&db, statements);
    assert_same_answers(&ours, &theirs);
}

fn assert_same_answers(ours: &ember::Connection, theirs: &rusqlite::Connection) {
    for sql in QUERIES {
        assert_eq!(
            ours_as_text(ours, sql),
            theirs_as_text(theirs, sql),
            "{sql}"
        );
    }
}

fn columns(conn: &ember::Connection, table: &str) -> Vec<String> {
    let sql = format!("SELECT * FROM {table}");
    conn.query(&sql, ()).unwrap().columns().to_vec()
}

#[test]
fn a_committed_drop_keeps_the_writes_around_it_as_sqlite() {
    assert_as_sqlite(&[
        "BEGIN",
        "INSERT INTO t VALUES (7, 'a7', 70, 'c1')",
        "UPDATE t SET b = b + 1 WHERE id = 2",
        "DELETE FROM r WHERE y = 3",
        "INSERT INTO r VALUES ('x9', 9, 'z9')",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE r DROP COLUMN z",
        "INSERT INTO t(b, c) VALUES (80, 'c1')",
        "UPDATE t SET c = 'c1' WHERE id = 5",
        "DELETE FROM t WHERE id = 1",
        "INSERT INTO r VALUES ('x10', 10)",
        "COMMIT",
    ]);
}

#[test]
fn a_rolled_back_drop_leaves_the_table_as_it_was() {
    assert_as_sqlite(&[
        "BEGIN",
        "INSERT INTO t VALUES (7, 'a7', 70, 'c1')",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE r DROP COLUMN y",
        "INSERT INTO r VALUES ('x9', 'z9')",
        "UPDATE t SET c = 'c2'",
        "ROLLBACK",
        // The table takes writes and another drop afterwards.
        "INSERT INTO t VALUES (8, 'a8', 80, 'c1')",
        "ALTER TABLE t DROP COLUMN b",
    ]);
    let db = Database::in_memory();
    let conn = ember_with(&db, &["BEGIN", "ALTER TABLE t DROP COLUMN a", "ROLLBACK"]);
    assert_eq!(columns(&conn, "t"), ["id", "a", "b", "c"]);
    let sql: String = conn
        .query_value("SELECT sql FROM sqlite_schema WHERE name = 't'", ())
        .unwrap();
    assert!(sql.contains("a TEXT"), "{sql}");
}

#[test]
fn rollback_to_a_savepoint_undoes_a_drop_made_after_it() {
    assert_as_sqlite(&[
        "BEGIN",
        "INSERT INTO t VALUES (7, 'a7', 70, 'c1')",
        "SAVEPOINT before_drop",
        "ALTER TABLE t DROP COLUMN a",
        "INSERT INTO t VALUES (8, 80, 'c2')",
        "ROLLBACK TO before_drop",
        "INSERT INTO t VALUES (9, 'a9', 90, 'c1')",
        "SAVEPOINT again",
        "ALTER TABLE r DROP COLUMN z",
        "RELEASE again",
        "INSERT INTO r VALUES ('x8', 8)",
        "COMMIT",
    ]);
}

#[test]
fn a_drop_after_an_added_column_in_the_same_transaction() {
    assert_as_sqlite(&[
        "BEGIN",
        "ALTER TABLE t ADD COLUMN d INT DEFAULT 4",
        "UPDATE t SET d = id * 2 WHERE id > 2",
        "ALTER TABLE t DROP COLUMN a",
        "ALTER TABLE t ADD COLUMN e TEXT DEFAULT 'e'",
        "INSERT INTO t(id, b, c, d) VALUES (11, 110, 'c1', 1)",
        "COMMIT",
    ]);
    let db = Database::in_memory();
    let conn = ember_with(
        &db,
        &[
            "BEGIN",
            "ALTER TABLE t ADD COLUMN d INT DEFAULT 4",
            "ALTER TABLE t DROP COLUMN a",
            "ROLLBACK",
        ],
    );
    assert_eq!(columns(&conn, "t"), ["id", "a", "b", "c"]);
}

#[test]
fn other_connections_see_the_table_as_it_was_until_commit() {
    let db = Database::in_memory();
    let conn = ember_with(&db, &[]);
    let other = db.connect();
    conn.execute_batch("BEGIN; ALTER TABLE t DROP COLUMN a; INSERT INTO t VALUES (7, 70, 'c1');")
        .unwrap();
    assert_eq!(columns(&other, "t"), ["id", "a", "b", "c"]);
    let count: i64 = other.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 5);
    // A write to the table it copied does not commit while the transaction is open.
    let error = other
        .execute("UPDATE t SET b = 0 WHERE id = 1", ())
        .unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::SerializationConflict | ErrorKind::Busy
        ),
        "{error}"
    );
    // Writes to other tables commit.
    other
        .execute("INSERT INTO r VALUES ('x8', 8, 'z8')", ())
        .unwrap();
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(columns(&other, "t"), ["id", "b", "c"]);
    let rows = ours_as_text(&other, "SELECT * FROM t WHERE id IN (1, 7) ORDER BY id").1;
    assert_eq!(
        rows,
        [
            "Integer(1)",
            "Integer(10)",
            "Text(\"c1\")",
            "Integer(7)",
            "Integer(70)",
            "Text(\"c1\")"
        ]
    );
    other
        .execute("UPDATE t SET b = 0 WHERE id = 1", ())
        .unwrap();
}

#[test]
fn a_drop_after_another_connection_committed_to_the_table_is_a_conflict() {
    let db = Database::in_memory();
    let conn = ember_with(&db, &[]);
    conn.execute_batch("BEGIN; SELECT count(*) FROM t;")
        .unwrap();
    db.connect()
        .execute("INSERT INTO t VALUES (7, 'a7', 70, 'c1')", ())
        .unwrap();
    let error = conn.execute("ALTER TABLE t DROP COLUMN a", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
    assert!(error.is_retryable(), "{error}");
    conn.execute("ROLLBACK", ()).unwrap();
    conn.execute_batch("BEGIN; ALTER TABLE t DROP COLUMN a; COMMIT;")
        .unwrap();
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 6);
}

#[test]
fn a_temporary_tables_drop_commits_and_rolls_back() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TEMP TABLE s(a INT, b TEXT, c INT); INSERT INTO s VALUES (1, 'b', 2);
         BEGIN; ALTER TABLE s DROP COLUMN b; INSERT INTO s VALUES (3, 4); ROLLBACK;",
    )
    .unwrap();
    assert_eq!(columns(&conn, "s"), ["a", "b", "c"]);
    conn.execute_batch("BEGIN; ALTER TABLE s DROP COLUMN b; INSERT INTO s VALUES (3, 4); COMMIT;")
        .unwrap();
    let rows = ours_as_text(&conn, "SELECT * FROM s ORDER BY a").1;
    assert_eq!(
        rows,
        ["Integer(1)", "Integer(2)", "Integer(3)", "Integer(4)"]
    );
}

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> Database {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone())).unwrap()
}

/// The answers of `QUERIES`, as text.
fn state(conn: &ember::Connection) -> Vec<(Vec<String>, Vec<String>)> {
    QUERIES.iter().map(|sql| ours_as_text(conn, sql)).collect()
}

const COMMITTED: &[&str] = &[
    "BEGIN",
    "INSERT INTO t VALUES (7, 'a7', 70, 'c1')",
    "DELETE FROM r WHERE y = 3",
    "ALTER TABLE t DROP COLUMN a",
    "ALTER TABLE r DROP COLUMN z",
    "INSERT INTO t(b, c) VALUES (80, 'c1')",
    "UPDATE r SET y = -y WHERE x = 'x4'",
    "COMMIT",
    "UPDATE t SET b = 0 WHERE id = 3",
    "INSERT INTO r VALUES ('x11', 11)",
];

#[test]
fn a_committed_drop_comes_back_after_a_crash_and_a_checkpoint() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        let conn = ember_with(&db, COMMITTED);
        assert_same_answers(&conn, &sqlite_with(COMMITTED));
        let expected = state(&conn);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    {
        let db = open(&vfs);
        let conn = db.connect();
        assert_eq!(state(&conn), expected);
        conn.execute("CHECKPOINT", ()).unwrap();
        // Later commits name the new tables' rows.
        conn.execute("UPDATE r SET y = y + 100 WHERE x = 'x1'", ())
            .unwrap();
    }
    let db = open(&vfs);
    let conn = db.connect();
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    let y: i64 = conn
        .query_value("SELECT y FROM r WHERE x = 'x1'", ())
        .unwrap();
    assert_eq!(y, 101);
    conn.execute("UPDATE r SET y = y - 100 WHERE x = 'x1'", ())
        .unwrap();
    assert_eq!(state(&conn), expected);
}

#[test]
fn a_crash_before_commit_leaves_no_trace_of_the_drop() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        let conn = ember_with(&db, &["CREATE TABLE k(v INT)"]);
        let expected = state(&conn);
        conn.execute_batch(
            "BEGIN; INSERT INTO t VALUES (7, 'a7', 70, 'c1'); ALTER TABLE t DROP COLUMN a;
             ALTER TABLE r DROP COLUMN z; INSERT INTO t VALUES (8, 80, 'c2');",
        )
        .unwrap();
        // Another connection's commit after the drop reaches the log; the drop does not.
        db.connect()
            .execute("INSERT INTO k VALUES (1)", ())
            .unwrap();
        vfs.crash(7);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    let db = open(&vfs);
    let conn = db.connect();
    assert_eq!(state(&conn), expected);
    let count: i64 = conn.query_value("SELECT count(*) FROM k", ()).unwrap();
    assert_eq!(count, 1);
    assert_eq!(columns(&conn, "t"), ["id", "a", "b", "c"]);
    conn.execute("ALTER TABLE t DROP COLUMN a", ()).unwrap();
}

/// SQLite's 12-step table remake, as migration tools run it, next to a DROP COLUMN, in one
/// transaction.
#[test]
fn a_table_remake_and_a_drop_in_one_transaction_as_sqlite() {
    assert_as_sqlite(&[
        "BEGIN",
        "CREATE TABLE new_r(x TEXT NOT NULL, y INT)",
        "INSERT INTO new_r(x, y) SELECT x, y FROM r",
        "DROP VIEW rv",
        "DROP TABLE r",
        "ALTER TABLE new_r RENAME TO r",
        "CREATE UNIQUE INDEX r_x ON r(x)",
        "CREATE VIEW rv AS SELECT * FROM r",
        "ALTER TABLE t DROP COLUMN a",
        "COMMIT",
    ]);
}

#[test]
fn a_checkpoint_taken_while_the_drop_is_open_replays_under_it() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        let conn = ember_with(&db, &[]);
        conn.execute_batch(
            "BEGIN; UPDATE t SET b = -b WHERE id = 2; ALTER TABLE t DROP COLUMN a;
             INSERT INTO t VALUES (9, 90, 'c1');",
        )
        .unwrap();
        // The checkpoint holds the table as published: with the column, without the rows.
        db.connect().execute("CHECKPOINT", ()).unwrap();
        conn.execute("COMMIT", ()).unwrap();
        let expected = state(&conn);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    let db = open(&vfs);
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    let conn = db.connect();
    assert_eq!(state(&conn), expected);
    assert_eq!(columns(&conn, "t"), ["id", "b", "c"]);
}

#[test]
fn a_transaction_begun_before_the_commit_cannot_write_to_the_old_table() {
    let db = Database::in_memory();
    let conn = ember_with(&db, &[]);
    let other = db.connect();
    other
        .execute_batch("BEGIN; SELECT count(*) FROM t;")
        .unwrap();
    conn.execute_batch("BEGIN; ALTER TABLE t DROP COLUMN a; COMMIT;")
        .unwrap();
    // Its snapshot still reads the table with the column; its write there is refused at
    // COMMIT, so no row is written where no reader would find it.
    let wrote = other.execute("UPDATE t SET a = 'late' WHERE id = 1", ());
    let committed = wrote.and_then(|_| other.execute("COMMIT", ()));
    let error = committed.unwrap_err();
    assert!(
        matches!(
            error.kind(),
            ErrorKind::SerializationConflict | ErrorKind::Busy
        ),
        "{error}"
    );
    let _ = other.execute("ROLLBACK", ());
    let rows = ours_as_text(&other, "SELECT * FROM t WHERE id = 1").1;
    assert_eq!(rows, ["Integer(1)", "Integer(10)", "Text(\"c1\")"]);
}

/// Writers count their commits in their own row while transactions drop columns (one
/// rolled back first): every commit a writer saw succeed is in the table afterwards.
#[test]
fn racing_writers_lose_no_commit_to_a_drop_in_a_transaction() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::time::Duration;
    const WRITERS: i64 = 3;
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE w(id INTEGER PRIMARY KEY, a INT, b INT, c INT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 50)
         INSERT INTO w SELECT i, i * 2, i * 3, 100 FROM n;",
    )
    .unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (1..=WRITERS)
        .map(|id| {
            let (db, stop) = (db.clone(), Arc::clone(&stop));
            std::thread::spawn(move || {
                let conn = db.connect();
                let mut committed = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    let bump = format!("BEGIN; UPDATE w SET c = c + 1 WHERE id = {id}; COMMIT");
                    match conn.execute_batch(&bump) {
                        Ok(()) => committed += 1,
                        Err(error) => {
                            assert!(error.is_retryable(), "{error}");
                            let _ = conn.execute("ROLLBACK", ());
                        }
                    }
                }
                (id, committed)
            })
        })
        .collect();
    let drop_in_transaction = |column: &str, end: &str| {
        for _ in 0..10_000 {
            conn.execute("BEGIN", ()).unwrap();
            let dropped = conn.execute(&format!("ALTER TABLE w DROP COLUMN {column}"), ());
            std::thread::sleep(Duration::from_millis(5));
            match dropped.and_then(|_| conn.execute(end, ())) {
                Ok(_) => return,
                Err(error) => {
                    assert!(error.is_retryable(), "{error}");
                    let _ = conn.execute("ROLLBACK", ());
                }
            }
        }
        panic!("the drop of {column} never went through");
    };
    std::thread::sleep(Duration::from_millis(20));
    drop_in_transaction("a", "ROLLBACK");
    std::thread::sleep(Duration::from_millis(20));
    drop_in_transaction("b", "COMMIT");
    std::thread::sleep(Duration::from_millis(20));
    drop_in_transaction("a", "COMMIT");
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        let (id, committed) = writer.join().unwrap();
        assert!(committed > 0);
        let c: i64 = conn
            .query_value("SELECT c FROM w WHERE id = ?", [id])
            .unwrap();
        assert_eq!(c, 100 + committed, "writer {id}");
    }
    assert_eq!(columns(&conn, "w"), ["id", "c"]);
    let untouched: i64 = conn
        .query_value("SELECT count(*) FROM w WHERE c = 100", ())
        .unwrap();
    assert_eq!(untouched, 50 - WRITERS);
}
