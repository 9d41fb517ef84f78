//! The implicit rowid of a table without an INTEGER PRIMARY KEY in a directory database:
//! the same rowids after reopening (from the WAL and from a checkpoint), after DROP and ADD
//! COLUMN, VACUUM and a backup; the column stays hidden throughout. A table written before
//! the implicit rowid (its snapshot built here from the storage layer, as that build wrote
//! it) opens without one, works as before and keeps that through a checkpoint.

use std::path::Path;
use std::sync::Arc;

use ember::{Database, ErrorKind, Options, Value};
use ember_storage::mvcc::TableSchema;
use ember_storage::snapshot::{read_snapshot_summary, snapshot_name, SnapshotWriter};
use ember_storage::store::Store;
use ember_storage::vfs::{SimVfs, Vfs};
use ember_storage::DataType;

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> Database {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone())).unwrap()
}

/// `SELECT rowid, *` of `table` in rowid order, as text.
fn rows(db: &Database, table: &str) -> Vec<String> {
    let conn = db.connect();
    let sql = format!("SELECT rowid, * FROM {table} ORDER BY rowid");
    let rows = conn.query(&sql, ()).unwrap();
    rows.values().iter().map(|row| format!("{row:?}")).collect()
}

/// The columns `SELECT *` gives and the stored text: the hidden column in neither.
fn shape(db: &Database, table: &str) -> (Vec<String>, String) {
    let conn = db.connect();
    let columns = conn
        .query(&format!("SELECT * FROM {table}"), ())
        .unwrap()
        .columns()
        .to_vec();
    let sql: String = conn
        .query_value("SELECT sql FROM sqlite_schema WHERE name = ?", [table])
        .unwrap();
    assert!(!sql.contains("ember"), "{sql}");
    (columns, sql)
}

fn fill(db: &Database) {
    let conn = db.connect();
    conn.execute("CREATE TABLE u(a TEXT, b INTEGER, c)", ())
        .unwrap();
    for i in 1..=60i64 {
        conn.execute("INSERT INTO u VALUES (?1, ?2, 'c')", (format!("a{i}"), i))
            .unwrap();
    }
    conn.execute_batch(
        "DELETE FROM u WHERE rowid % 4 = 0; DELETE FROM u WHERE rowid = 60;
         INSERT INTO u(rowid, a, b) VALUES (1000, 'far', -1), (-7, 'negative', -7);
         UPDATE u SET b = b * 10 WHERE rowid % 5 = 0;",
    )
    .unwrap();
}

#[test]
fn rowids_stay_the_same_across_reopen_alter_vacuum_and_backup() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        fill(&db);
        rows(&db, "u")
    };
    assert_eq!(expected.len(), 60 - 15 + 2);
    assert!(expected[0].starts_with("[Integer(-7)"), "{}", expected[0]);
    // From the WAL alone.
    let db = open(&vfs);
    assert_eq!(rows(&db, "u"), expected);
    let before = shape(&db, "u");
    assert_eq!(before.0, ["a", "b", "c"]);
    // The largest rowid plus one, after a reopen.
    let conn = db.connect();
    conn.execute("INSERT INTO u VALUES ('next', 0, NULL)", ())
        .unwrap();
    let next: i64 = conn.query_value("SELECT last_insert_rowid()", ()).unwrap();
    assert_eq!(next, 1001);
    conn.execute("DELETE FROM u WHERE rowid = 1001", ())
        .unwrap();
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    // From a checkpoint.
    let db = open(&vfs);
    assert_eq!(rows(&db, "u"), expected);
    assert_eq!(shape(&db, "u"), before);
    let conn = db.connect();
    conn.execute("ALTER TABLE u DROP COLUMN b", ()).unwrap();
    conn.execute("ALTER TABLE u ADD COLUMN d TEXT DEFAULT 'dd'", ())
        .unwrap();
    conn.execute("VACUUM", ()).unwrap();
    let altered = rows(&db, "u");
    let without_b: Vec<String> = {
        let conn = db.connect();
        let rows = conn
            .query("SELECT rowid, a, c, 'dd' FROM u ORDER BY rowid", ())
            .unwrap();
        rows.values().iter().map(|row| format!("{row:?}")).collect()
    };
    assert_eq!(altered, without_b);
    assert_eq!(altered.len(), expected.len());
    for (after, before) in altered.iter().zip(&expected) {
        let id = |row: &str| row.split(',').next().unwrap_or_default().to_string();
        assert_eq!(id(after), id(before));
    }
    let shape_altered = shape(&db, "u");
    assert_eq!(shape_altered.0, ["a", "c", "d"]);
    drop(conn);
    drop(db);
    // DROP and ADD COLUMN replayed from the WAL, then from a checkpoint (whose text for a
    // table that grew a column is a script).
    let db = open(&vfs);
    assert_eq!(rows(&db, "u"), altered);
    assert_eq!(shape(&db, "u"), shape_altered);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    let db = open(&vfs);
    assert_eq!(rows(&db, "u"), altered);
    assert_eq!(shape(&db, "u"), shape_altered);
    // A backup loads with the same rowids.
    let mut image = Vec::new();
    db.backup_to(&mut image).unwrap();
    let restored = Database::in_memory_from(&image[..]).unwrap();
    assert_eq!(rows(&restored, "u"), altered);
    assert_eq!(shape(&restored, "u"), shape_altered);
}

#[test]
fn a_table_without_a_single_integer_key_says_why_it_has_no_rowid() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE k(name TEXT PRIMARY KEY, v) WITHOUT ROWID", ())
        .unwrap();
    let error = conn.query("SELECT rowid FROM k", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(
        error
            .message()
            .contains("PRIMARY KEY of table k is not one INTEGER column"),
        "{error}"
    );
    let error = conn
        .execute("CREATE TABLE w(a TEXT) WITHOUT ROWID", ())
        .unwrap_err();
    assert_eq!(error.message(), "PRIMARY KEY missing on table w");
}

/// Writes, under `DIR`, the snapshot an EmberDB from before the implicit rowid wrote for
/// `CREATE TABLE old(a TEXT, b)` holding `rows`: the rows have no rowid column. It takes
/// the place of the snapshot a database with no tables checkpointed, at its timestamp.
fn write_snapshot_from_before(vfs: &SimVfs, rows: &[(&str, i64)]) {
    write_old_snapshot(vfs, Vec::new(), "CREATE TABLE old(a TEXT, b)", rows);
}

/// Writes, under `DIR`, the snapshot of a table `old` of two columns (TEXT, any type)
/// stored on `key_columns` with the text `create` and the rows `rows`, as a build from
/// before the implicit rowid wrote it (no rowid column): it takes the place of the
/// snapshot a database with no tables checkpointed, at its timestamp.
pub(super) fn write_old_snapshot(
    vfs: &SimVfs,
    key_columns: Vec<usize>,
    create: &str,
    rows: &[(&str, i64)],
) {
    {
        let db = open(vfs);
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    let dir = Path::new(DIR);
    let ts = *ember_storage::snapshot::snapshot_timestamps(vfs, dir)
        .unwrap()
        .last()
        .unwrap();
    let path = dir.join(snapshot_name(ts));
    let bytes = vfs.read(&path).unwrap();
    let summary = read_snapshot_summary(&bytes, &path).unwrap();
    assert!(summary.tables.is_empty());
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Text, DataType::Any],
        key_columns,
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for (a, b) in rows {
        txn.insert(&table, &[Value::Text(a.to_string()), Value::Integer(*b)])
            .unwrap();
    }
    txn.commit().unwrap();
    vfs.remove(&path).unwrap();
    let read = store.begin().unwrap();
    let mut writer = SnapshotWriter::new(vfs, dir, ts, summary.wal_start).unwrap();
    writer.table(table.id(), "old", create).unwrap();
    writer.rows(&read, &table).unwrap();
    writer.finish().unwrap();
}

#[test]
fn a_table_from_before_the_implicit_rowid_opens_and_works_as_before() {
    let vfs = SimVfs::new();
    write_snapshot_from_before(&vfs, &[("x", 1), ("y", 2), ("z", 3)]);
    // (ALTER TABLE stores the text printed again: `old (a TEXT, b)`.)
    let check = |db: &Database, expected: &[&str], text: &str| {
        let conn = db.connect();
        let rows = conn.query("SELECT * FROM old ORDER BY a", ()).unwrap();
        assert_eq!(rows.columns(), ["a", "b"]);
        let names: Vec<String> = rows.values().iter().map(|row| row[0].to_string()).collect();
        assert_eq!(names, expected);
        let error = conn.query("SELECT rowid, a FROM old", ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(
            error
                .message()
                .contains("rowid of a table without an INTEGER PRIMARY KEY column"),
            "{error}"
        );
        assert!(
            error
                .message()
                .contains("table old was created without one"),
            "{error}"
        );
        let sql: String = conn
            .query_value("SELECT sql FROM sqlite_schema WHERE name = 'old'", ())
            .unwrap();
        assert_eq!(sql, text);
        let info: i64 = conn
            .query_value("SELECT count(*) FROM pragma_table_info('old')", ())
            .unwrap();
        assert_eq!(info, 2);
    };
    let db = open(&vfs);
    check(&db, &["x", "y", "z"], "CREATE TABLE old(a TEXT, b)");
    let conn = db.connect();
    // Writes, a new table beside it (which has the implicit rowid), a column dropped.
    conn.execute_batch(
        "INSERT INTO old VALUES ('w', 4); DELETE FROM old WHERE a = 'y';
         CREATE TABLE new(a TEXT); INSERT INTO new VALUES ('n');
         ALTER TABLE old ADD COLUMN c; ALTER TABLE old DROP COLUMN c;",
    )
    .unwrap();
    let rowid: i64 = conn.query_value("SELECT rowid FROM new", ()).unwrap();
    assert_eq!(rowid, 1);
    drop(conn);
    drop(db);
    // From the WAL: the old table is still without one, the new one keeps its own.
    let db = open(&vfs);
    check(&db, &["w", "x", "z"], "CREATE TABLE old (a TEXT, b)");
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    // From a checkpoint this build wrote.
    let db = open(&vfs);
    check(&db, &["w", "x", "z"], "CREATE TABLE old (a TEXT, b)");
    let rowid: i64 = db
        .connect()
        .query_value("SELECT rowid FROM new WHERE a = 'n'", ())
        .unwrap();
    assert_eq!(rowid, 1);
}

fn explain(conn: &ember::Connection, sql: &str) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
    rows.into_iter()
        .map(|row| row.get::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn lookups_ranges_and_order_by_rowid_take_the_key() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(a TEXT, b); INSERT INTO u VALUES ('x', 1), ('y', 2), ('z', 3);",
    )
    .unwrap();
    for (sql, path) in [
        ("SELECT a FROM u WHERE rowid = 2", "KeyLookup u (rowid = 2)"),
        ("SELECT a FROM u WHERE oid BETWEEN 1 AND 2", "KeyRange u"),
        (
            "SELECT a FROM u ORDER BY _rowid_ DESC LIMIT 2",
            "KeyOrder u",
        ),
        ("DELETE FROM u WHERE rowid = 3", "KeyLookup u (rowid = 3)"),
        (
            "UPDATE u SET b = 0 WHERE rowid = 1",
            "KeyLookup u (rowid = 1)",
        ),
    ] {
        let plan = explain(&conn, sql);
        assert!(plan.contains(path), "{sql}: {plan}");
    }
    let error = conn
        .execute("INSERT INTO u(rowid, a) VALUES (2, 'again')", ())
        .unwrap_err();
    assert_eq!(error.message(), "UNIQUE constraint failed: u.rowid");
}

/// Threads inserting into one table without a PRIMARY KEY at once, two in autocommit and
/// two in 50-row transactions: every insert goes in (a rowid a concurrent transaction took
/// is not a conflict), each row with its own rowid, and every row is there once.
#[test]
fn concurrent_inserters_all_get_in_with_distinct_rowids() {
    const THREADS: i64 = 4;
    const ROWS: i64 = 300;
    let db = Database::in_memory();
    db.connect()
        .execute("CREATE TABLE log(who INTEGER, n INTEGER)", ())
        .unwrap();
    std::thread::scope(|scope| {
        for who in 0..THREADS {
            let db = &db;
            scope.spawn(move || {
                let conn = db.connect();
                let batched = who % 2 == 1;
                for n in 0..ROWS {
                    if batched && n % 50 == 0 {
                        conn.execute("BEGIN", ()).unwrap();
                    }
                    conn.execute("INSERT INTO log VALUES (?1, ?2)", (who, n))
                        .unwrap();
                    if batched && n % 50 == 49 {
                        conn.execute("COMMIT", ()).unwrap();
                    }
                }
            });
        }
    });
    let conn = db.connect();
    let count: i64 = conn.query_value("SELECT count(*) FROM log", ()).unwrap();
    assert_eq!(count, THREADS * ROWS);
    let rowids: i64 = conn
        .query_value("SELECT count(DISTINCT rowid) FROM log", ())
        .unwrap();
    assert_eq!(rowids, count);
    let rows: i64 = conn
        .query_value("SELECT count(*) FROM (SELECT DISTINCT who, n FROM log)", ())
        .unwrap();
    assert_eq!(rows, count);
    conn.execute("INSERT INTO log VALUES (-1, -1)", ()).unwrap();
    let last: i64 = conn.query_value("SELECT max(rowid) FROM log", ()).unwrap();
    assert_eq!(conn.last_insert_rowid(), last);
}
