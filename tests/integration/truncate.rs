//! `DELETE FROM t` in autocommit as a truncate (the table given a new, empty storage
//! table): keys, indexes and rowids after it answer as SQLite's; a transaction that began
//! before it reads the old rows to its end (its snapshot's catalog) and cannot commit a
//! write to the replaced table; one that holds uncommitted writes makes the delete go row
//! by row; autocommit writers racing truncates lose no row and count none twice; the
//! statement row limit refuses it whole; it survives reopen (from the WAL, and after a
//! checkpoint); the old rows' memory comes back once nothing holds them.

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Options, Value};

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{other:?}"),
    }
}

fn column(conn: &Connection, sql: &str) -> Vec<String> {
    conn.query(sql, ())
        .unwrap()
        .values()
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect()
}

const SCHEMA: &str = "
    CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT UNIQUE, n INT);
    CREATE INDEX t_n ON t(n);
    CREATE INDEX t_low ON t(lower(v));
    CREATE INDEX t_big ON t(n) WHERE n > 100;
    CREATE TABLE a(id INTEGER PRIMARY KEY AUTOINCREMENT, x TEXT);
    CREATE TABLE h(x TEXT, y INT);
";

fn fill(conn: &Connection, rows: i64) {
    conn.execute(
        &format!(
            "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
             WHERE i < {rows}) SELECT i, 'V' || i, i * 3 FROM c"
        ),
        (),
    )
    .unwrap();
}

#[test]
fn keys_indexes_and_rowids_after_it_answer_as_sqlite() {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    sqlite.execute_batch(SCHEMA).unwrap();
    let script = [
        "INSERT INTO t VALUES (1, 'V1', 3), (2, 'V2', 600), (3, 'V3', 900)",
        "INSERT INTO a(x) VALUES ('p'), ('q')",
        "INSERT INTO h VALUES ('r', 1), ('s', 2)",
        "DELETE FROM t",
        "DELETE FROM a",
        "DELETE FROM h",
        "INSERT INTO t(v, n) VALUES ('V2', 700)",
        "INSERT INTO t(v, n) VALUES ('v9', 5)",
        "INSERT INTO a(x) VALUES ('z')",
        "INSERT INTO h VALUES ('w', 9)",
    ];
    for sql in script {
        let ours = conn.execute(sql, ()).unwrap();
        let theirs = sqlite.execute(sql, ()).unwrap();
        assert_eq!(ours, theirs, "{sql}");
        assert_eq!(conn.changes() as usize, theirs, "{sql}");
    }
    for query in [
        "SELECT id || ' ' || v || ' ' || n FROM t ORDER BY id",
        "SELECT id FROM t WHERE v = 'V2'",
        "SELECT id FROM t WHERE n = 700",
        "SELECT id FROM t WHERE lower(v) = 'v9'",
        "SELECT id FROM t WHERE n > 100",
        "SELECT id || x FROM a",
        "SELECT rowid || x FROM h",
        "SELECT name || seq FROM sqlite_sequence",
        "SELECT count(*) FROM t",
    ] {
        let theirs: Vec<String> = sqlite
            .prepare(query)
            .unwrap()
            .query_map([], |row| row.get::<_, rusqlite::types::Value>(0))
            .unwrap()
            .map(|value| match value.unwrap() {
                rusqlite::types::Value::Integer(i) => format!("Integer({i})"),
                rusqlite::types::Value::Text(t) => format!("Text({t:?})"),
                other => format!("{other:?}"),
            })
            .collect();
        assert_eq!(column(&conn, query), theirs, "{query}");
    }
    let error = conn
        .execute("INSERT INTO t(v, n) VALUES ('V2', 1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
}

#[test]
fn a_transaction_begun_before_reads_the_old_rows_and_cannot_write_them() {
    let db = Database::in_memory();
    let (reader, writer, deleter) = (db.connect(), db.connect(), db.connect());
    deleter.execute_batch(SCHEMA).unwrap();
    fill(&deleter, 500);
    reader.execute("BEGIN", ()).unwrap();
    writer.execute("BEGIN", ()).unwrap();
    assert_eq!(count(&writer, "SELECT count(*) FROM h"), 0);
    assert_eq!(deleter.execute("DELETE FROM t", ()).unwrap(), 500);
    assert_eq!(count(&deleter, "SELECT count(*) FROM t"), 0);
    // The reader's first statement runs after the truncate: its snapshot is older.
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 500);
    assert_eq!(count(&reader, "SELECT n FROM t WHERE v = 'V7'"), 21);
    assert_eq!(count(&reader, "SELECT count(*) FROM t WHERE n > 100"), 467);
    deleter
        .execute("INSERT INTO t VALUES (1, 'new', 1)", ())
        .unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 500);
    reader.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 1);
    // A write to the replaced table cannot commit; the retry sees the new table.
    writer
        .execute("UPDATE t SET n = -1 WHERE id = 7", ())
        .unwrap();
    let error = writer.execute("COMMIT", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
    assert_eq!(count(&writer, "SELECT count(*) FROM t WHERE n = -1"), 0);
    // Its own schema change after another's was published fails the same way.
    writer.execute("BEGIN", ()).unwrap();
    deleter.execute("CREATE TABLE later(x)", ()).unwrap();
    let error = writer.execute("CREATE TABLE mine(x)", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
    writer.execute("ROLLBACK", ()).unwrap();
    writer.execute("CREATE TABLE mine(x)", ()).unwrap();
}

#[test]
fn uncommitted_writes_of_another_transaction_make_it_delete_row_by_row() {
    let db = Database::in_memory();
    let (holder, deleter) = (db.connect(), db.connect());
    holder.execute_batch(SCHEMA).unwrap();
    fill(&holder, 300);
    holder.execute("BEGIN", ()).unwrap();
    holder
        .execute("INSERT INTO t VALUES (1000, 'late', 1)", ())
        .unwrap();
    assert_eq!(deleter.execute("DELETE FROM t", ()).unwrap(), 300);
    holder.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&deleter, "SELECT id FROM t"), 1000);
    assert_eq!(count(&deleter, "SELECT id FROM t WHERE v = 'late'"), 1000);
}

#[test]
fn autocommit_writers_racing_truncates_lose_no_row_and_count_none_twice() {
    let db = Database::in_memory();
    let deleter = db.connect();
    deleter.execute_batch(SCHEMA).unwrap();
    let threads: Vec<_> = (0..3i64)
        .map(|thread| {
            let conn = db.connect();
            std::thread::spawn(move || {
                for i in 0..400i64 {
                    let id = 10_000 * (thread + 1) + i;
                    let sql = format!("INSERT INTO t VALUES ({id}, 'w{id}', {i})");
                    assert_eq!(conn.execute(&sql, ()).unwrap(), 1);
                    if i % 50 == 0 {
                        // A prepared statement bound before a truncate runs on the new
                        // table; the row may be gone, or held by a delete going row by row.
                        let mut stmt = conn.prepare("UPDATE t SET n = n + 1 WHERE id = ?").unwrap();
                        match stmt.execute([id]) {
                            Ok(rows) => assert!(rows <= 1),
                            Err(error) => {
                                assert_eq!(error.kind(), ErrorKind::SerializationConflict)
                            }
                        }
                    }
                }
            })
        })
        .collect();
    let mut deleted = 0;
    let mut rounds = 0;
    while rounds < 40 || !threads.iter().all(|thread| thread.is_finished()) {
        // Deleted row by row while an insert is in flight, the delete may meet a row that
        // insert holds, and fail whole.
        match deleter.execute("DELETE FROM t", ()) {
            Ok(rows) => deleted += rows as i64,
            Err(error) => assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}"),
        }
        rounds += 1;
        std::thread::yield_now();
    }
    for thread in threads {
        thread.join().unwrap();
    }
    let left = count(&deleter, "SELECT count(*) FROM t");
    assert_eq!(deleted + left, 1200, "every row is deleted once or left");
    assert_eq!(
        count(&deleter, "SELECT count(*) FROM t WHERE v >= ''"),
        left,
        "the unique index holds every row left"
    );
    assert_eq!(count(&deleter, "SELECT count(*) FROM t WHERE n >= 0"), left);
}

#[test]
fn the_row_limit_refuses_it_whole() {
    let db = Database::in_memory_with(Options::new().statement_rows_max(100));
    let conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    for i in 0..150 {
        conn.execute("INSERT INTO t(v, n) VALUES (?, ?)", (format!("v{i}"), i))
            .unwrap();
    }
    let error = conn.execute("DELETE FROM t", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 150);
    conn.execute("INSERT INTO t(v, n) VALUES ('after', 1)", ())
        .unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM t"), 151);
}

#[test]
fn it_survives_reopen_from_the_wal_and_after_a_checkpoint() {
    for checkpoint in [false, true] {
        let dir = TempDir::new("truncate-reopen");
        {
            let db = Database::open(&dir.0).unwrap();
            let conn = db.connect();
            conn.execute_batch(SCHEMA).unwrap();
            fill(&conn, 700);
            conn.execute("INSERT INTO a(x) VALUES ('p')", ()).unwrap();
            assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 700);
            assert_eq!(conn.execute("DELETE FROM a", ()).unwrap(), 1);
            if checkpoint {
                conn.execute("CHECKPOINT", ()).unwrap();
            }
            conn.execute("INSERT INTO t VALUES (5, 'five', 500)", ())
                .unwrap();
            conn.execute("UPDATE t SET n = 501 WHERE id = 5", ())
                .unwrap();
            conn.execute("INSERT INTO a(x) VALUES ('q')", ()).unwrap();
            assert_eq!(conn.execute("DELETE FROM h", ()).unwrap(), 0);
            conn.execute("INSERT INTO h VALUES ('kept', 1)", ())
                .unwrap();
        }
        for _ in 0..2 {
            let db = Database::open(&dir.0).unwrap();
            let conn = db.connect();
            assert_eq!(count(&conn, "SELECT count(*) FROM t"), 1, "{checkpoint}");
            assert_eq!(count(&conn, "SELECT n FROM t WHERE v = 'five'"), 501);
            assert_eq!(count(&conn, "SELECT id FROM t WHERE n > 100"), 5);
            assert_eq!(count(&conn, "SELECT id FROM a"), 2, "AUTOINCREMENT goes on");
            assert_eq!(count(&conn, "SELECT count(*) FROM h"), 1);
        }
    }
}

#[test]
fn the_old_rows_memory_comes_back_once_nothing_holds_them() {
    let db = Database::in_memory();
    let conn = db.connect();
    let stat = |column: &str| -> i64 {
        conn.query_value(&format!("SELECT {column} FROM ember_stats"), ())
            .unwrap()
    };
    conn.execute_batch(SCHEMA).unwrap();
    let empty = stat("memory_used_bytes");
    fill(&conn, 20_000);
    let full = stat("memory_used_bytes");
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(conn.execute("DELETE FROM t", ()).unwrap(), 20_000);
    conn.execute("VACUUM", ()).unwrap();
    assert!(
        stat("memory_used_bytes") > empty + (full - empty) / 2,
        "a transaction still reads the old rows"
    );
    assert_eq!(count(&reader, "SELECT count(*) FROM t"), 20_000);
    reader.execute("COMMIT", ()).unwrap();
    drop(reader);
    conn.execute("VACUUM", ()).unwrap();
    let used = stat("memory_used_bytes");
    assert!(
        used - empty < (full - empty) / 4,
        "used {used}, empty {empty}, full {full}"
    );
}
