//! UPDATE statements that write thousands of frozen rows (a VACUUM first freezes every row,
//! so each update thaws its rows: the path whose header charges, slot frees and commit-time
//! collection are batched), compared with SQLite: rows changed and RETURNING rows, NULLs
//! written and overwritten, an indexed column changed and left alone, the key moved and
//! moved back, a rolled-back transaction and a savepoint rolled back to, and the whole table
//! afterwards (through a scan and both indexes). Also: a snapshot older than the updates
//! reads the old rows, a second writer of the same rows gets the serialization error, and
//! after updates that put every value back and a VACUUM the memory used is what it was.

use ember::{Database, ErrorKind};

use super::support::{assert_same_answers, both_engines_with_t, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
];

const ROWS: u32 = 6000;

/// Queries whose answers describe the table, also through each index.
const STATE: &[&str] = &[
    "SELECT id, a, b, c, s, g, typeof(b), typeof(c) FROM t ORDER BY id",
    "SELECT a, count(*), sum(id) FROM t WHERE a BETWEEN -1000000 AND 1000000 GROUP BY a \
     ORDER BY a",
    "SELECT s, id FROM t WHERE s >= '' ORDER BY s, id",
];

/// Statements run in order on both engines, a VACUUM (EmberDB only) before each.
const STATEMENTS: &[&str] = &[
    "UPDATE t SET c = 0.125 WHERE id <= 4000",
    "UPDATE t SET b = NULL WHERE id BETWEEN 1000 AND 3999",
    "UPDATE t SET b = a % 100, c = NULL WHERE id > 2000",
    "UPDATE t SET a = -a WHERE id BETWEEN 500 AND 2499",
    "UPDATE t SET a = -a, g = 'back' WHERE id BETWEEN 500 AND 2499",
    "UPDATE t SET s = s || '!' WHERE id % 3 = 0",
    "UPDATE t SET id = id + 100000 WHERE id BETWEEN 3001 AND 4500",
    "UPDATE t SET id = id - 100000 WHERE id > 100000",
    "UPDATE t SET b = 7 WHERE id BETWEEN 300 AND 2300 RETURNING id, a, b, s",
    "UPDATE t SET c = c * 2 WHERE c IS NOT NULL RETURNING id, c",
    "BEGIN",
    "UPDATE t SET g = 'rolled', a = 0 WHERE id <= 5000",
    "ROLLBACK",
    "BEGIN",
    "UPDATE t SET g = 'kept' WHERE id <= 1500",
    "SAVEPOINT sp",
    "UPDATE t SET g = 'undone', s = 'x' || id WHERE id <= 5500",
    "ROLLBACK TO sp",
    "UPDATE t SET b = b + 1 WHERE id > 5000",
    "COMMIT",
];

fn returns_rows(sql: &str) -> bool {
    sql.contains("RETURNING")
}

#[test]
fn many_row_updates_of_frozen_rows_answer_as_sqlite() {
    let (db, sqlite) = both_engines_with_t(SCHEMA, ROWS);
    let conn = db.connect();
    for sql in STATEMENTS {
        if !conn.in_transaction() {
            conn.execute("VACUUM", ()).unwrap();
        }
        if returns_rows(sql) {
            assert_eq!(ember_rows(&conn, sql), sqlite_rows(&sqlite, sql), "{sql}");
        } else {
            let ours = conn.execute(sql, ()).map_err(|e| e.to_string());
            let theirs = sqlite.execute(sql, []).map_err(|e| e.to_string());
            // SQLite reports the last UPDATE's count for BEGIN and the like too.
            if sql.starts_with("UPDATE") {
                assert_eq!(ours, theirs, "{sql}");
            } else {
                assert!(ours.is_ok() && theirs.is_ok(), "{sql}: {ours:?} {theirs:?}");
            }
        }
        assert_same_answers(&conn, &sqlite, STATE, sql);
    }
}

/// A snapshot taken before a many-row update of frozen rows keeps reading the old rows
/// (through the scan and the index), and a second writer updating some of the same rows
/// before the first commits fails with the serialization error and changes nothing.
#[test]
fn an_older_snapshot_reads_old_rows_and_a_second_writer_conflicts() {
    let (db, _sqlite) = both_engines_with_t(SCHEMA, ROWS);
    let conn = db.connect();
    conn.execute("VACUUM", ()).unwrap();
    let sum = "SELECT sum(b), sum(a), count(*) FROM t WHERE a BETWEEN 0 AND 16";
    let before = ember_rows(&conn, sum).unwrap();
    let untouched = "SELECT sum(b), count(*) FROM t WHERE id BETWEEN 5001 AND 5999";
    let untouched_before = ember_rows(&conn, untouched).unwrap();
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(ember_rows(&reader, sum).unwrap(), before);
    let writer = db.connect();
    writer.execute("BEGIN", ()).unwrap();
    let changed = writer
        .execute("UPDATE t SET b = b + 1, a = a + 100 WHERE id <= 5000", ())
        .unwrap();
    assert_eq!(changed, 5000);
    let other = db.connect();
    let error = other
        .execute("UPDATE t SET b = 0 WHERE id BETWEEN 4000 AND 5999", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::SerializationConflict, "{error}");
    writer.execute("COMMIT", ()).unwrap();
    assert_eq!(ember_rows(&reader, sum).unwrap(), before, "the old rows");
    reader.execute("COMMIT", ()).unwrap();
    let after = ember_rows(&conn, "SELECT count(*) FROM t WHERE a >= 100").unwrap();
    assert_eq!(after, vec![vec![ember::Value::Integer(5000)]]);
    let untouched_after = ember_rows(&conn, untouched).unwrap();
    assert_eq!(
        untouched_after, untouched_before,
        "the failed writer changed nothing"
    );
}

/// Many-row updates of frozen rows that end with every value as it was, then a VACUUM:
/// the memory used is exactly what it was after the VACUUM before them (every thawed
/// header, new version, replaced payload and unused charge given back once).
#[test]
fn memory_used_comes_back_after_updates_that_put_every_value_back() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(SCHEMA[0], ()).unwrap();
    conn.execute(
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 8000) \
         INSERT INTO t SELECT i, i % 17, i * 7 % 1000, i / 8.0, 'k' || i, 'g' FROM n",
        (),
    )
    .unwrap();
    let used = |conn: &ember::Connection| -> i64 {
        conn.execute("VACUUM", ()).unwrap();
        conn.query_value("SELECT memory_used_bytes FROM ember_stats", ())
            .unwrap()
    };
    let before = used(&conn);
    for sql in [
        "UPDATE t SET b = b + 1",
        "UPDATE t SET c = NULL, g = 'h' WHERE id <= 6000",
        "UPDATE t SET b = b - 1",
        "UPDATE t SET c = id / 8.0, g = 'g' WHERE id <= 6000",
    ] {
        assert!(conn.execute(sql, ()).unwrap() >= 6000, "{sql}");
    }
    assert_eq!(used(&conn), before);
}
