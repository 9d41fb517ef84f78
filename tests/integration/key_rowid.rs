//! A table whose PRIMARY KEY is not one INTEGER column: stored on its implicit rowid, its key
//! a unique index. A lookup and a join by the key read that index (EXPLAIN names it), a
//! lookup by rowid reads the table's key; foreign keys find their parent through the index;
//! the rows, rowids and key survive the WAL, a checkpoint and ALTER TABLE; a WITHOUT ROWID
//! table, and such a table an older build stored (its snapshot built here from the storage
//! layer, its text without the implicit rowid's mark), stay stored on their key, no rowid.

use std::sync::Arc;

use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::SimVfs;

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> Database {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone())).unwrap()
}

fn explain(conn: &ember::Connection, sql: &str) -> String {
    super::support::explain(conn, sql, &[]).join("\n")
}

/// `SELECT rowid, *` of `table` in rowid order, as text.
fn rows(db: &Database, table: &str) -> Vec<String> {
    let conn = db.connect();
    let sql = format!("SELECT rowid, * FROM {table} ORDER BY rowid");
    let rows = conn.query(&sql, ()).unwrap();
    rows.values().iter().map(|row| format!("{row:?}")).collect()
}

#[test]
fn lookups_and_joins_by_the_key_read_its_unique_index() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER);
         CREATE TABLE pair(a TEXT, b INTEGER, c, PRIMARY KEY (a, b));
         CREATE TABLE src(k TEXT, a TEXT, b INTEGER);
         INSERT INTO kv VALUES ('x', 1), ('y', 2), ('z', 3);
         INSERT INTO pair VALUES ('x', 1, 'p'), ('y', 2, 'q');
         INSERT INTO src VALUES ('y', 'y', 2), ('w', 'x', 1);",
    )
    .unwrap();
    for (sql, path) in [
        ("SELECT v FROM kv WHERE k = 'y'", "ember_autoindex_kv_1"),
        (
            "SELECT c FROM pair WHERE a = 'x' AND b = 1",
            "ember_autoindex_pair_1",
        ),
        (
            "SELECT s.k, kv.v FROM src s JOIN kv ON kv.k = s.k",
            "ember_autoindex_kv_1",
        ),
        (
            "SELECT s.k, p.c FROM src s JOIN pair p ON p.a = s.a AND p.b = s.b",
            "ember_autoindex_pair_1",
        ),
        ("SELECT v FROM kv WHERE k >= 'y'", "ember_autoindex_kv_1"),
        (
            "SELECT k FROM kv ORDER BY k LIMIT 2",
            "ember_autoindex_kv_1",
        ),
        (
            "SELECT k FROM kv WHERE rowid = 2",
            "KeyLookup kv (rowid = 2)",
        ),
        (
            "SELECT k FROM kv ORDER BY rowid DESC LIMIT 1",
            "KeyOrder kv",
        ),
        ("UPDATE kv SET v = 0 WHERE k = 'x'", "ember_autoindex_kv_1"),
        ("DELETE FROM kv WHERE k = 'x'", "ember_autoindex_kv_1"),
    ] {
        let plan = explain(&conn, sql);
        assert!(plan.contains(path), "{sql}: {plan}");
    }
    let joined = conn
        .query(
            "SELECT s.k, kv.v, kv.rowid FROM src s JOIN kv ON kv.k = s.k",
            (),
        )
        .unwrap();
    assert_eq!(
        format!("{:?}", joined.values()),
        "[[Text(\"y\"), Integer(2), Integer(2)]]"
    );
    let v: i64 = conn
        .query_value("SELECT v FROM kv WHERE k = ?1", ["z"])
        .unwrap();
    assert_eq!(v, 3);
    let ranged = conn
        .query("SELECT k FROM kv WHERE k >= 'y' ORDER BY k DESC", ())
        .unwrap();
    assert_eq!(
        format!("{:?}", ranged.values()),
        "[[Text(\"z\")], [Text(\"y\")]]"
    );
}

#[test]
fn foreign_keys_find_their_parent_through_the_key_index() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         CREATE TABLE parent(code TEXT PRIMARY KEY, name TEXT);
         CREATE TABLE child(id INTEGER PRIMARY KEY, code TEXT REFERENCES parent
             ON DELETE CASCADE ON UPDATE CASCADE);
         CREATE TABLE pp(a TEXT, b INT, PRIMARY KEY (a, b));
         CREATE TABLE pc(x TEXT, y INT, FOREIGN KEY (x, y) REFERENCES pp);
         INSERT INTO parent VALUES ('a', 'A'), ('b', 'B');
         INSERT INTO child VALUES (1, 'a'), (2, 'b'), (3, NULL);
         INSERT INTO pp VALUES ('a', 1);
         INSERT INTO pc VALUES ('a', 1);",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO child VALUES (4, 'zz')", ())
        .unwrap_err();
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    let error = conn
        .execute("INSERT INTO pc VALUES ('a', 2)", ())
        .unwrap_err();
    assert_eq!(error.message(), "FOREIGN KEY constraint failed");
    conn.execute("UPDATE parent SET code = 'c' WHERE code = 'b'", ())
        .unwrap();
    conn.execute("DELETE FROM parent WHERE code = 'a'", ())
        .unwrap();
    let codes = conn
        .query("SELECT id, code FROM child ORDER BY id", ())
        .unwrap();
    assert_eq!(
        format!("{:?}", codes.values()),
        "[[Integer(2), Text(\"c\")], [Integer(3), Null]]"
    );
    let problems = conn.query("PRAGMA foreign_key_check", ()).unwrap();
    assert!(problems.values().is_empty());
}

#[test]
fn a_without_rowid_table_stays_stored_on_its_key() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE w(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
         INSERT INTO w VALUES ('b', 2), ('a', 1);",
    )
    .unwrap();
    let error = conn.query("SELECT rowid FROM w", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(error.message().contains("WITHOUT ROWID"), "{error}");
    let error = conn
        .execute("INSERT INTO w VALUES (NULL, 3)", ())
        .unwrap_err();
    assert_eq!(error.message(), "NOT NULL constraint failed: w.k");
    let plan = explain(&conn, "SELECT v FROM w WHERE k = 'a'");
    assert!(plan.contains("KeyLookup w"), "{plan}");
    let indexes: i64 = conn
        .query_value("SELECT count(*) FROM pragma_index_list('w')", ())
        .unwrap();
    assert_eq!(indexes, 1);
}

fn fill(db: &Database) {
    db.connect()
        .execute_batch(
            "CREATE TABLE kv(k TEXT PRIMARY KEY, v INTEGER, w TEXT);
             INSERT INTO kv VALUES ('a', 1, 'x'), ('b', 2, 'y'), (NULL, 3, 'z'),
                 (NULL, 4, 'zz'), ('c', 5, NULL);
             INSERT INTO kv(rowid, k, v) VALUES (70, 'far', 6);
             DELETE FROM kv WHERE k = 'b';
             REPLACE INTO kv VALUES ('a', 7, 'again');
             UPDATE kv SET rowid = 90 WHERE k = 'c';",
        )
        .unwrap();
}

/// The key still refuses a duplicate, allows NULLs and finds rows through its index.
fn assert_key_works(db: &Database) {
    let conn = db.connect();
    let error = conn
        .execute("INSERT INTO kv(k) VALUES ('a')", ())
        .unwrap_err();
    assert_eq!(error.message(), "UNIQUE constraint failed: kv.k");
    conn.execute("BEGIN", ()).unwrap();
    conn.execute("INSERT INTO kv(k) VALUES (NULL)", ()).unwrap();
    let rowid: i64 = conn
        .query_value("SELECT rowid FROM kv WHERE k = 'far'", ())
        .unwrap();
    assert_eq!(rowid, 70);
    conn.execute("ROLLBACK", ()).unwrap();
    let plan = explain(&conn, "SELECT rowid FROM kv WHERE k = 'far'");
    assert!(plan.contains("ember_autoindex_kv_1"), "{plan}");
    let pk: i64 = conn
        .query_value(
            "SELECT pk FROM pragma_table_info('kv') WHERE name = 'k'",
            (),
        )
        .unwrap();
    assert_eq!(pk, 1);
}

#[test]
fn rows_rowids_and_the_key_survive_the_wal_a_checkpoint_and_alter_table() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs);
        fill(&db);
        rows(&db, "kv")
    };
    assert_eq!(expected.len(), 5);
    assert!(
        expected[0].starts_with("[Integer(3), Null"),
        "{}",
        expected[0]
    );
    // From the WAL alone.
    let db = open(&vfs);
    assert_eq!(rows(&db, "kv"), expected);
    assert_key_works(&db);
    let conn = db.connect();
    conn.execute("INSERT INTO kv VALUES ('next', 8, NULL)", ())
        .unwrap();
    let next: i64 = conn.query_value("SELECT last_insert_rowid()", ()).unwrap();
    assert_eq!(next, 91);
    conn.execute("DELETE FROM kv WHERE rowid = 91", ()).unwrap();
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    // From a checkpoint.
    let db = open(&vfs);
    assert_eq!(rows(&db, "kv"), expected);
    assert_key_works(&db);
    let conn = db.connect();
    conn.execute_batch(
        "ALTER TABLE kv ADD COLUMN d TEXT DEFAULT 'dd';
         ALTER TABLE kv RENAME COLUMN v TO value;
         ALTER TABLE kv DROP COLUMN w;",
    )
    .unwrap();
    let error = conn
        .execute("ALTER TABLE kv DROP COLUMN k", ())
        .unwrap_err();
    assert_eq!(error.message(), "cannot drop PRIMARY KEY column: \"k\"");
    let altered = rows(&db, "kv");
    let ids = |rows: &[String]| -> Vec<String> {
        rows.iter()
            .map(|row| row.split(',').take(3).collect::<Vec<_>>().join(","))
            .collect()
    };
    assert_eq!(ids(&altered), ids(&expected));
    assert!(altered[0].ends_with("Text(\"dd\")]"), "{}", altered[0]);
    assert_key_works(&db);
    drop(conn);
    drop(db);
    // The ALTERs replayed from the WAL, then from a checkpoint.
    let db = open(&vfs);
    assert_eq!(rows(&db, "kv"), altered);
    assert_key_works(&db);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    let db = open(&vfs);
    assert_eq!(rows(&db, "kv"), altered);
    assert_key_works(&db);
}

/// Writes, under `DIR`, a snapshot of `CREATE TABLE old(k TEXT PRIMARY KEY, v)` holding
/// `rows` whose stored text lacks the implicit-rowid mark, so the table is stored on `k`:
/// the rows have no rowid column.
fn write_keyed_snapshot_without_mark(vfs: &SimVfs, rows: &[(&str, i64)]) {
    let create = "CREATE TABLE old(k TEXT PRIMARY KEY, v)";
    super::implicit_rowid::write_old_snapshot(vfs, vec![0], create, rows);
}

#[test]
fn a_keyed_table_from_before_opens_stored_on_its_key_without_a_rowid() {
    let vfs = SimVfs::new();
    write_keyed_snapshot_without_mark(&vfs, &[("x", 1), ("y", 2), ("z", 3)]);
    let check = |db: &Database, expected: &str| {
        let conn = db.connect();
        let rows = conn.query("SELECT * FROM old ORDER BY k", ()).unwrap();
        assert_eq!(format!("{:?}", rows.values()), expected);
        let error = conn.query("SELECT rowid FROM old", ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported);
        assert!(
            error.message().contains("created without a rowid"),
            "{error}"
        );
        let error = conn
            .execute("INSERT INTO old VALUES (NULL, 0)", ())
            .unwrap_err();
        assert_eq!(error.message(), "NOT NULL constraint failed: old.k");
        let plan = explain(&conn, "SELECT v FROM old WHERE k = 'x'");
        assert!(plan.contains("KeyLookup old"), "{plan}");
        let indexes: i64 = conn
            .query_value("SELECT count(*) FROM pragma_index_list('old')", ())
            .unwrap();
        assert_eq!(indexes, 1);
    };
    let db = open(&vfs);
    check(
        &db,
        "[[Text(\"x\"), Integer(1)], [Text(\"y\"), Integer(2)], [Text(\"z\"), Integer(3)]]",
    );
    db.connect()
        .execute_batch("INSERT INTO old VALUES ('w', 4); DELETE FROM old WHERE k = 'y';")
        .unwrap();
    drop(db);
    let after = "[[Text(\"w\"), Integer(4)], [Text(\"x\"), Integer(1)], [Text(\"z\"), Integer(3)]]";
    // From the WAL, then from a checkpoint this build wrote.
    let db = open(&vfs);
    check(&db, after);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    let db = open(&vfs);
    check(&db, after);
}
