//! `INSERT INTO t2 SELECT * FROM t` between tables that encode rows alike copies the rows as
//! they are encoded (`InsertCopy` in EXPLAIN, `BatchInsert::copies`), run here on EmberDB
//! and on rusqlite's SQLite from the same statements: NULLs, texts, blobs, reals, large
//! integers and untyped values copied; a table grown by ADD COLUMN into one grown alike;
//! into an indexed target where a repeated key mid-copy fails the whole statement with the
//! batched path's error; a copy rolled back with its transaction; rows whose key the
//! target keeps where the source left it out of the payload and the reverse; and the
//! copied rows after reopen (WAL replay). Tables that differ in a column's type,
//! collation, NOT NULL or in the columns storage holds take the batched path.

use ember::{Connection, Database, Value};

use crate::support::{assert_same_answers, both_engines, explain, TempDir};

/// Source `src` with every kind of value and its twin `dst`, which has a unique index.
const TABLES: &[&str] = &[
    "CREATE TABLE src(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB, v)",
    "CREATE TABLE dst(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB, v)",
    "CREATE UNIQUE INDEX dst_s ON dst(s)",
    "CREATE INDEX dst_n ON dst(n)",
];

/// Rows 1..=`rows` of `src`: NULLs every few rows, short and long texts (odd rows' text is
/// `s<id>`), blobs, reals, integers at the edges of their range and values of every type
/// in the untyped column.
fn fill(rows: i64) -> String {
    format!(
        "INSERT INTO src WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < {rows}) SELECT i, \
         CASE i % 4 WHEN 0 THEN NULL WHEN 1 THEN 9223372036854775807 - i \
         WHEN 2 THEN -9223372036854775807 + i ELSE i * 1000003 END, \
         CASE WHEN i % 5 = 0 THEN NULL WHEN i % 3 = 1 THEN i * 1e300 ELSE i / 7.0 END, \
         CASE WHEN i % 6 = 0 THEN NULL WHEN i % 2 = 1 THEN 's' || i \
         ELSE 's' || i || ' ' || substr('0123456789abcdefghijklmnopqrstuvwxyz\
         0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz\
         0123456789abcdefghijklmnopqrstuvwxyz', 1, i % 150) END, \
         CASE i % 7 WHEN 0 THEN NULL WHEN 1 THEN x'00ff10' ELSE CAST('b' || i AS BLOB) END, \
         CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN i WHEN 2 THEN i * 0.5 \
         WHEN 3 THEN 'v' || i ELSE x'abcd' END FROM c"
    )
}

/// Queries that describe `dst` whole and through each index.
const CHECKS: &[&str] = &[
    "SELECT id, n, r, s, hex(b), v, typeof(v) FROM dst ORDER BY id",
    "SELECT s, id FROM dst WHERE s >= '' ORDER BY s",
    "SELECT n, count(*) FROM dst WHERE n IS NOT NULL GROUP BY n ORDER BY n",
    "SELECT count(*), sum(id) FROM dst",
];

fn first_line(conn: &Connection, sql: &str) -> String {
    explain(conn, sql, &[])[0].clone()
}

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{sql}: {other:?}"),
    }
}

/// Runs `sql` on both engines: both succeed with the same count or both fail.
fn run_both(ember: &Connection, sqlite: &rusqlite::Connection, sql: &str) {
    let ours = ember.execute(sql, ()).map_err(|e| e.to_string());
    let theirs = sqlite.execute(sql, []).map_err(|e| e.to_string());
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) if !matches!(sql, "BEGIN" | "COMMIT" | "ROLLBACK") => {
            assert_eq!(ours, theirs, "{sql}")
        }
        (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
        _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
    }
    assert_same_answers(ember, sqlite, CHECKS, sql);
}

#[test]
fn copies_every_kind_of_value_as_sqlite_does() {
    let (db, sqlite) = both_engines(TABLES);
    let ember = db.connect();
    run_both(&ember, &sqlite, &fill(3000));
    let copy = "INSERT INTO dst SELECT * FROM src";
    assert_eq!(first_line(&ember, copy), "InsertCopy dst");
    let statements = [
        // Rolled back with its transaction: nothing stays.
        "BEGIN",
        copy,
        "ROLLBACK",
        copy,
        // Every key again: the first row fails the statement, nothing of it stays.
        copy,
        "DELETE FROM dst WHERE id > 100",
        // Keys 1..=100 held: fails at the first row.
        copy,
        "DELETE FROM dst",
        // A text of a late row held by a row the copy does not repeat: fails midway,
        // after two batches went in.
        "INSERT INTO dst(id, s) VALUES (-1, 's2901')",
        copy,
        "DELETE FROM dst",
        "BEGIN",
        copy,
        "COMMIT",
    ];
    for sql in statements {
        run_both(&ember, &sqlite, sql);
    }
    assert_eq!(count(&ember, "SELECT count(*) FROM dst"), 3000);
    assert_eq!(ember.last_insert_rowid(), 3000);
    // EXPLAIN ANALYZE runs the copy and counts the rows its scan read.
    ember.execute("DELETE FROM dst", ()).unwrap();
    let analyzed = explain(&ember, &format!("ANALYZE {copy}"), &[]);
    assert_eq!(analyzed[0], "InsertCopy dst", "{analyzed:#?}");
    assert!(
        analyzed[1].starts_with("└─ Scan src (actual rows=3000 loops=1"),
        "{analyzed:#?}"
    );
    assert!(analyzed
        .last()
        .unwrap()
        .starts_with("Execution: 3000 rows changed"));
}

#[test]
fn a_repeated_key_mid_copy_fails_with_the_batched_error_and_changes_nothing() {
    let conn = Database::in_memory().connect();
    for sql in TABLES {
        conn.execute(sql, ()).unwrap();
    }
    conn.execute(&fill(2500), ()).unwrap();
    // Row 2101's text, then key 2200, held: each fails the third batch.
    conn.execute("INSERT INTO dst(id, s) VALUES (-1, 's2101')", ())
        .unwrap();
    conn.execute("INSERT INTO dst(id, n) VALUES (2200, 5)", ())
        .unwrap();
    let copy = "INSERT INTO dst SELECT * FROM src";
    assert_eq!(first_line(&conn, copy), "InsertCopy dst");
    for (held, rows) in [("dst.s", 2), ("dst.id", 1)] {
        let copied = conn.execute(copy, ()).unwrap_err();
        // A filter keeps the batched path, RETURNING the row-by-row one.
        let batched = conn
            .execute(&format!("{copy} WHERE id > 0"), ())
            .unwrap_err();
        let row_by_row = conn
            .execute(&format!("{copy} RETURNING id"), ())
            .unwrap_err();
        assert!(copied.to_string().contains(held), "{copied}");
        assert_eq!(copied.to_string(), batched.to_string());
        assert_eq!(copied.to_string(), row_by_row.to_string());
        assert_eq!(copied.kind(), batched.kind());
        assert_eq!(count(&conn, "SELECT count(*) FROM dst"), rows);
        assert_eq!(count(&conn, "SELECT count(*) FROM dst WHERE n >= 0"), 1);
        conn.execute("DELETE FROM dst WHERE id = -1", ()).unwrap();
    }
    conn.execute("DELETE FROM dst", ()).unwrap();
    assert_eq!(conn.execute(copy, ()).unwrap(), 2500);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM dst WHERE s >= ''"),
        count(&conn, "SELECT count(*) FROM src WHERE s IS NOT NULL")
    );
}

#[test]
fn tables_that_differ_take_the_batched_path() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE a(id INTEGER PRIMARY KEY, x TEXT NOT NULL, y INT);
         CREATE TABLE same(id INTEGER PRIMARY KEY, x TEXT, y INT);
         CREATE TABLE typed(id INTEGER PRIMARY KEY, x INT, y INT);
         CREATE TABLE collated(id INTEGER PRIMARY KEY, x TEXT COLLATE NOCASE, y INT);
         CREATE TABLE nn(id INTEGER PRIMARY KEY, x TEXT, y INT NOT NULL);
         CREATE TABLE keyless(id INT, x TEXT, y INT);
         CREATE TABLE keyless2(id INT, x TEXT, y INT);
         CREATE TABLE grown(id INTEGER PRIMARY KEY, x TEXT);
         ALTER TABLE grown ADD COLUMN y INT DEFAULT 5;
         CREATE TABLE grown2(id INTEGER PRIMARY KEY, x TEXT);
         ALTER TABLE grown2 ADD COLUMN y INT DEFAULT 5;
         CREATE TABLE grown_other(id INTEGER PRIMARY KEY, x TEXT);
         ALTER TABLE grown_other ADD COLUMN y INT DEFAULT 6;",
    )
    .unwrap();
    let copied = [
        // A NOT NULL source column into a nullable one.
        ("INSERT INTO same SELECT * FROM a", "InsertCopy same"),
        (
            "INSERT INTO grown2 SELECT * FROM grown",
            "InsertCopy grown2",
        ),
        ("INSERT INTO a SELECT * FROM a", "InsertBatch a"),
        ("INSERT INTO a SELECT * FROM same", "InsertBatch a"),
        ("INSERT INTO typed SELECT * FROM a", "InsertBatch typed"),
        (
            "INSERT INTO collated SELECT * FROM a",
            "InsertBatch collated",
        ),
        ("INSERT INTO nn SELECT * FROM a", "InsertBatch nn"),
        (
            "INSERT INTO same SELECT * FROM a WHERE id > 1",
            "InsertBatch same",
        ),
        (
            "INSERT INTO same SELECT id, y, x FROM a",
            "InsertBatch same",
        ),
        (
            "INSERT INTO same(id, y, x) SELECT * FROM a",
            "InsertBatch same",
        ),
        (
            "INSERT INTO keyless2 SELECT * FROM keyless",
            "InsertBatch keyless2",
        ),
        ("INSERT INTO same SELECT * FROM grown", "InsertBatch same"),
        (
            "INSERT INTO grown_other SELECT * FROM grown",
            "InsertBatch grown_other",
        ),
        ("INSERT OR IGNORE INTO same SELECT * FROM a", "Insert same"),
    ];
    for (sql, node) in copied {
        assert_eq!(first_line(&conn, sql), node, "{sql}");
    }
    assert_eq!(
        explain(&conn, "INSERT INTO same SELECT * FROM a", &[]),
        ["InsertCopy same", "└─ Scan a"]
    );
    // A table into itself: its rows once more, read before any is written.
    conn.execute("INSERT INTO keyless VALUES (1, 'a', 2), (3, 'b', 4)", ())
        .unwrap();
    let doubled = "INSERT INTO keyless SELECT * FROM keyless";
    assert_eq!(conn.execute(doubled, ()).unwrap(), 2);
    assert_eq!(conn.execute(doubled, ()).unwrap(), 4);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM keyless WHERE x = 'a'"),
        4
    );
}

#[test]
fn grown_tables_copy_their_short_rows_as_sqlite_does() {
    let grow = [
        "CREATE TABLE g1(id INTEGER PRIMARY KEY, x TEXT)",
        "CREATE TABLE g2(id INTEGER PRIMARY KEY, x TEXT)",
        "INSERT INTO g1 VALUES (1, 'a'), (2, NULL), (3, 'c')",
        "ALTER TABLE g1 ADD COLUMN y INT DEFAULT 5",
        "ALTER TABLE g2 ADD COLUMN y INT DEFAULT 5",
        "INSERT INTO g1 VALUES (4, 'd', 9), (5, 'e', NULL)",
        "ALTER TABLE g1 ADD COLUMN z TEXT DEFAULT 'zz'",
        "ALTER TABLE g2 ADD COLUMN z TEXT DEFAULT 'zz'",
        "INSERT INTO g1 VALUES (6, 'f', 1, NULL), (7, NULL, NULL, 'q')",
    ];
    let (db, sqlite) = both_engines(&grow);
    let ember = db.connect();
    let copy = "INSERT INTO g2 SELECT * FROM g1";
    assert_eq!(first_line(&ember, copy), "InsertCopy g2");
    assert_eq!(ember.execute(copy, ()).unwrap(), 7);
    sqlite.execute(copy, []).unwrap();
    let checks = [
        "SELECT id, x, y, z FROM g2 ORDER BY id",
        "SELECT count(*) FROM g2 WHERE y = 5 AND z = 'zz'",
    ];
    assert_same_answers(&ember, &sqlite, &checks, copy);
}

/// Rows of keys `keys` (in that order) into `table`, text `t<key>` and `n` three times the
/// key.
fn keyed(conn: &Connection, table: &str, keys: impl IntoIterator<Item = i64>) {
    conn.execute("BEGIN", ()).unwrap();
    let insert = format!("INSERT INTO {table}(id, s, n) VALUES (?, ?, ?)");
    for key in keys {
        let values = [
            Value::Integer(key),
            Value::Text(format!("t{key}")),
            Value::Integer(key * 3),
        ];
        conn.execute(&insert, values.as_slice()).unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
}

/// The rows of `dst` as they read by key, by the text index, and whole.
fn dst_state(conn: &Connection) -> Vec<Vec<Value>> {
    let mut state = conn
        .query("SELECT id, n, s FROM dst ORDER BY id", ())
        .unwrap()
        .into_values();
    let rows: Vec<i64> = state
        .iter()
        .map(|row| match row[0] {
            Value::Integer(id) => id,
            ref other => panic!("{other:?}"),
        })
        .collect();
    for id in rows {
        let by_key = conn
            .query(&format!("SELECT id, n, s FROM dst WHERE id = {id}"), ())
            .unwrap()
            .into_values();
        let by_text = conn
            .query(&format!("SELECT id FROM dst WHERE s = 't{id}'"), ())
            .unwrap()
            .into_values();
        assert_eq!(by_key.len(), 1, "key {id}");
        assert_eq!(by_text, [vec![Value::Integer(id)]], "text of {id}");
    }
    state.push(vec![Value::Integer(count(
        conn,
        "SELECT count(*) FROM dst",
    ))]);
    state
}

#[test]
fn keys_left_out_or_kept_as_the_target_places_them_survive_reopen() {
    let dir = TempDir::new("insert-copy-reopen");
    let before = {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        for sql in TABLES {
            conn.execute(sql, ()).unwrap();
        }
        // Rows that left their keys out in `src` (their slots reachable as they came) and
        // that `dst`, empty, places past its reach: their payloads get the key put back.
        keyed(&conn, "src", 1..=9000);
        conn.execute("DELETE FROM src WHERE id < 8990", ()).unwrap();
        let copy = "INSERT INTO dst SELECT * FROM src";
        assert_eq!(first_line(&conn, copy), "InsertCopy dst");
        assert_eq!(conn.execute(copy, ()).unwrap(), 11);
        // Rows `src` keeps in its overflow (keys past its reach when they came) that `dst`,
        // holding keys up to 3000, places in their own slots: the key is left out.
        conn.execute(
            "CREATE TABLE src2(id INTEGER PRIMARY KEY, n INTEGER, r REAL, s TEXT, b BLOB, v)",
            (),
        )
        .unwrap();
        keyed(&conn, "src2", [5000, 5001, 5100, -7, 6000]);
        keyed(&conn, "dst", 1..=3000);
        let copy = "INSERT INTO dst SELECT * FROM src2";
        assert_eq!(first_line(&conn, copy), "InsertCopy dst");
        assert_eq!(conn.execute(copy, ()).unwrap(), 5);
        assert_eq!(conn.last_insert_rowid(), 6000);
        dst_state(&conn)
    };
    assert_eq!(before.len(), 3000 + 11 + 5 + 1);
    for _ in 0..2 {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        assert_eq!(dst_state(&conn), before);
    }
}
