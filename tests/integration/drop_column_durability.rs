//! ALTER TABLE DROP COLUMN in a directory database: the drop and the commits after it
//! (which name the new table and its copied rows) come back from the WAL after a crash,
//! from a checkpoint, and from a checkpoint taken before the drop; a damaged drop record is
//! `Corruption`.

use std::path::Path;
use std::sync::Arc;

use ember::{Database, ErrorKind, Options, Value};
use ember_storage::vfs::{SimVfs, Vfs};

const DIR: &str = "/db";

fn open(vfs: &SimVfs) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, Options::new(), Arc::new(vfs.clone()))
}

/// Everything the tests compare: both tables' rows, columns and schema text.
fn state(db: &Database) -> Vec<String> {
    let conn = db.connect();
    let mut state = Vec::new();
    for (table, sql) in [
        ("t", "SELECT * FROM t ORDER BY id"),
        ("k", "SELECT * FROM k ORDER BY x"),
    ] {
        let rows = conn.query(sql, ()).unwrap();
        state.push(format!("{:?}", rows.columns()));
        state.push(format!("{:?}", rows.values()));
        state.push(db.catalog().table(table).unwrap().sql.clone());
    }
    state
}

const BEFORE: &str = "
    CREATE TABLE t(id INTEGER PRIMARY KEY AUTOINCREMENT, a TEXT, b INT, c TEXT);
    CREATE INDEX t_c ON t(c);
    CREATE TABLE k(x INT, y TEXT, z INT);
";

/// Rows with gaps (deleted ones) in both tables, one column added.
fn fill(conn: &ember::Connection) {
    for i in 1..=40i64 {
        conn.execute(
            "INSERT INTO t(a, b, c) VALUES (?1, ?2, ?3)",
            (format!("a{i}"), i * 10, format!("c{}", i % 5)),
        )
        .unwrap();
        conn.execute("INSERT INTO k VALUES (?1, 'y', ?2)", (i, i * 2))
            .unwrap();
    }
    // Negative keys: rows of the clustered table's overflow (storage `clustered.rs`).
    conn.execute_batch(
        "INSERT INTO t(id, a, b, c) VALUES (-5, 'n5', 5, 'neg'), (-6, 'n6', 6, 'neg');
         DELETE FROM t WHERE id % 7 = 0; DELETE FROM k WHERE x % 6 = 0;
         UPDATE t SET b = -b WHERE id % 3 = 0; ALTER TABLE t ADD COLUMN d INT DEFAULT 4;",
    )
    .unwrap();
}

/// The drops, and writes to copied rows after them.
const DROP_AND_AFTER: &str = "
    ALTER TABLE t DROP COLUMN a;
    ALTER TABLE k DROP COLUMN y;
    UPDATE t SET b = b + 1000 WHERE id % 4 = 1;
    UPDATE t SET b = b + 2000 WHERE id = -5;
    DELETE FROM t WHERE id = -6;
    DELETE FROM t WHERE id = 2;
    INSERT INTO t(b, c) VALUES (7, 'new');
    UPDATE k SET z = z + 100 WHERE x % 5 = 0;
    DELETE FROM k WHERE x = 1;
    INSERT INTO k VALUES (99, 1);
";

fn assert_lookups(db: &Database) {
    let conn = db.connect();
    let by_index = conn
        .query("SELECT count(*) FROM t WHERE c = 'c1'", ())
        .unwrap();
    assert_eq!(by_index.values()[0][0], Value::Integer(7));
    let next: i64 = conn
        .query_value("INSERT INTO t(b) VALUES (0) RETURNING id", ())
        .unwrap();
    assert_eq!(next, 42, "AUTOINCREMENT goes on after the drop");
}

#[test]
fn a_drop_and_the_commits_after_it_survive_a_crash_and_checkpoints() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs).unwrap();
        let conn = db.connect();
        conn.execute_batch(BEFORE).unwrap();
        fill(&conn);
        conn.execute_batch(DROP_AND_AFTER).unwrap();
        let expected = state(&db);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    // From the WAL alone.
    {
        let db = open(&vfs).unwrap();
        let stats = db.durability_stats().unwrap();
        assert!(stats.recovery.records_replayed > 10, "{}", stats.recovery);
        assert_eq!(state(&db), expected);
        db.connect().execute("CHECKPOINT", ()).unwrap();
    }
    // From the checkpoint.
    let db = open(&vfs).unwrap();
    assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
    assert_eq!(state(&db), expected);
    assert_lookups(&db);
}

#[test]
fn a_drop_after_a_checkpoint_replays_onto_the_snapshots_rows() {
    let vfs = SimVfs::new();
    let expected = {
        let db = open(&vfs).unwrap();
        let conn = db.connect();
        conn.execute_batch(BEFORE).unwrap();
        fill(&conn);
        // The snapshot numbers the rows without the deleted ones' gaps.
        conn.execute("CHECKPOINT", ()).unwrap();
        conn.execute("UPDATE k SET z = -z WHERE x > 30", ())
            .unwrap();
        conn.execute_batch(DROP_AND_AFTER).unwrap();
        let expected = state(&db);
        drop(conn);
        db.drop_as_if_crashed();
        expected
    };
    for _ in 0..2 {
        let db = open(&vfs).unwrap();
        assert!(db.durability_stats().unwrap().recovery.snapshot.is_some());
        assert_eq!(state(&db), expected);
    }
    let db = open(&vfs).unwrap();
    assert_lookups(&db);
}

#[test]
fn a_damaged_drop_record_is_corruption() {
    let vfs = SimVfs::new();
    {
        let db = open(&vfs).unwrap();
        let conn = db.connect();
        conn.execute_batch(BEFORE).unwrap();
        fill(&conn);
        conn.execute_batch(DROP_AND_AFTER).unwrap();
    }
    let dir = Path::new(DIR);
    let segment = ember_storage::wal::segment_indexes(&vfs, dir).unwrap()[0];
    let path = dir.join(ember_storage::wal::segment_name(segment));
    let mut bytes = vfs.read(&path).unwrap();
    let needle = b"DROP COLUMN a";
    let at = bytes
        .windows(needle.len())
        .position(|window| window == needle)
        .expect("the drop is in the log");
    bytes[at + needle.len() - 1] = b'q';
    vfs.poke(&path, bytes).unwrap();
    let error = open(&vfs).err().expect("corruption");
    assert_eq!(error.kind(), ErrorKind::Corruption, "{error}");
}
