//! Unique keys under COLLATE NOCASE / RTRIM (tests/slt/unique_collate.slt holds the SQL
//! cases): a directory database rebuilds the same collated keys when it reopens from the
//! WAL and from a checkpoint, and after ALTER TABLE DROP COLUMN copied the table.

use std::path::PathBuf;

use ember::{Database, ErrorKind, Options, SyncPolicy};

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!("ember-it-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn texts(db: &Database, sql: &str) -> Vec<String> {
    db.connect()
        .query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

fn plan(db: &Database, sql: &str) -> String {
    let rows = db.connect().query(&format!("EXPLAIN {sql}"), ()).unwrap();
    format!("{:?}", rows.values())
}

fn refused(db: &Database, sql: &str) {
    let error = db.connect().execute(sql, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{sql}: {error}");
}

/// What every reopen must still hold: the rows with their own text, lookups under the
/// collation through the keys, and conflicts under it.
fn check(db: &Database) {
    assert_eq!(
        texts(db, "SELECT k || '=' || v FROM p ORDER BY v"),
        ["Abc=1", "xyz=2", "Rep=4"]
    );
    assert_eq!(texts(db, "SELECT k FROM p WHERE k = 'ABC'"), ["Abc"]);
    assert!(plan(db, "SELECT v FROM p WHERE k = 'ABC'")
        .contains("IndexLookup p using ember_autoindex_p_1"));
    assert_eq!(
        texts(db, "SELECT k FROM p WHERE u = 'mY' COLLATE NOCASE"),
        ["xyz"]
    );
    assert!(plan(db, "SELECT k FROM p WHERE u = 'mY' COLLATE NOCASE")
        .contains("IndexLookup p using p_u"));
    assert_eq!(texts(db, "SELECT k FROM p WHERE r = 'pad'"), ["Abc"]);
    refused(db, "INSERT INTO p VALUES ('aBC', 'other', 'other', 9)");
    refused(db, "INSERT INTO p VALUES ('new', 'MY', 'other', 9)");
    refused(db, "INSERT INTO p VALUES ('new', 'other', 'pad ', 9)");
}

#[test]
fn collated_unique_keys_survive_reopen_from_the_wal_and_from_checkpoints() {
    let dir = TempDir::new("unique-collate");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE p(k TEXT PRIMARY KEY COLLATE NOCASE, u TEXT,
                                r TEXT UNIQUE COLLATE RTRIM, v INT);
                 CREATE UNIQUE INDEX p_u ON p(u COLLATE NOCASE);
                 INSERT INTO p VALUES ('abc', 'a', 'pad  ', 1), ('XYZ', 'My', 'r2', 2);",
            )
            .unwrap();
        db.connect().execute("CHECKPOINT", ()).unwrap();
        // In the WAL after the checkpoint: a key changing case, a replace under the
        // collation, a delete and a re-insert in another case within one transaction.
        db.connect()
            .execute_batch(
                "UPDATE p SET k = 'Abc' WHERE k = 'ABC';
                 INSERT INTO p VALUES ('rep', 'q', 'r3', 3);
                 INSERT OR REPLACE INTO p VALUES ('REP', 'Q', 'r3 ', 4);
                 BEGIN; DELETE FROM p WHERE k = 'xyz';
                 INSERT INTO p VALUES ('xyz', 'my', 'r2', 2); COMMIT;
                 UPDATE p SET k = 'Rep' WHERE v = 4;",
            )
            .unwrap();
        check(&db);
    }
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    check(&db);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    check(&db);
    // DROP COLUMN copies the table: the copy keys under the same collations, and so does
    // its replay.
    db.connect()
        .execute("ALTER TABLE p ADD COLUMN extra INT", ())
        .unwrap();
    db.connect()
        .execute("ALTER TABLE p DROP COLUMN extra", ())
        .unwrap();
    check(&db);
    drop(db);
    let db = Database::open_with(&dir.0, options).unwrap();
    check(&db);
}
