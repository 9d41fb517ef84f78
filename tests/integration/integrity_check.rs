//! `PRAGMA integrity_check` over healthy tables with every kind of index (unique, NOCASE
//! unique, partial, partial unique, on expressions, hash, ordered, a text primary key's
//! table): `ok` after inserts, updates that move keys (in and out of a partial index),
//! deletes, rollbacks, savepoints rolled back to, REPLACE and upserts, inside the writing
//! transaction and after it, after a WAL replay, and while another transaction holds
//! uncommitted writes of the same keys (entries its snapshot alone sees).

use crate::support::TempDir;
use ember::{Connection, Database, Options, SyncPolicy, Value};

const SCHEMA: &str = "
    CREATE TABLE p(id INTEGER PRIMARY KEY, name TEXT, email TEXT UNIQUE, age INT, tag TEXT);
    CREATE INDEX by_name ON p(name);
    CREATE INDEX by_age ON p USING HASH (age);
    CREATE UNIQUE INDEX by_tag ON p(tag COLLATE NOCASE);
    CREATE INDEX adults ON p(name, age) WHERE age >= 18;
    CREATE UNIQUE INDEX adult_email ON p(email) WHERE age >= 18;
    CREATE INDEX lower_email ON p(lower(email));
    CREATE TABLE k(code TEXT PRIMARY KEY, n INT, note TEXT);
    CREATE INDEX k_n ON k(n DESC);
    CREATE INDEX k_note ON k USING HASH (note);
    INSERT INTO p SELECT value, 'n' || (value % 7), 'e' || value || '@x', value % 40,
        CASE WHEN value % 3 = 0 THEN NULL ELSE 't' || value END
        FROM generate_series(1, 300);
    INSERT INTO k SELECT 'c' || value, value % 11, CASE WHEN value % 2 = 0 THEN 'even' END
        FROM generate_series(1, 100);";

/// The writes checked, each followed by a check (see `check_after_each`).
const WRITES: &[&str] = &[
    "UPDATE p SET name = upper(name), age = age + 10 WHERE id % 2 = 0",
    "UPDATE p SET age = 5, tag = upper(tag) WHERE id % 9 = 1",
    "UPDATE p SET email = 'moved' || id || '@x' WHERE id % 4 = 3",
    "DELETE FROM p WHERE id % 5 = 0",
    "UPDATE k SET code = code || 'x', n = n + 1 WHERE n % 3 = 0",
    "DELETE FROM k WHERE n = 4",
    "BEGIN; INSERT INTO p VALUES (1000, 'new', 'new@x', 30, 'T1000');
     UPDATE p SET age = age - 20 WHERE id < 50; DELETE FROM p WHERE id > 250; ROLLBACK",
    "BEGIN; SAVEPOINT s; UPDATE p SET tag = 'x' || id WHERE id < 100;
     DELETE FROM p WHERE age > 30; ROLLBACK TO s;
     UPDATE p SET name = 'kept' WHERE id = 7; RELEASE s; COMMIT",
    "REPLACE INTO p VALUES (2, 'rep', 'e4@x', 50, 't8')",
    "INSERT OR REPLACE INTO p VALUES (1001, 'rep2', 'e11@x', 20, 'T13')",
    "UPDATE OR REPLACE p SET tag = 't14' WHERE id = 16",
    "INSERT INTO p VALUES (17, 'up', 'up@x', 1, NULL)
     ON CONFLICT(id) DO UPDATE SET age = excluded.age + 40, name = excluded.name",
    "REPLACE INTO k VALUES ('c1', 100, 'odd'), ('c1', 101, NULL)",
    "VACUUM",
];

fn check(conn: &Connection, pragma: &str) -> Vec<String> {
    conn.query(pragma, ())
        .unwrap()
        .into_values()
        .into_iter()
        .map(|row| match &row[0] {
            Value::Text(text) => text.clone(),
            other => panic!("not text: {other:?}"),
        })
        .collect()
}

fn assert_ok(conn: &Connection, after: &str) {
    for pragma in [
        "PRAGMA integrity_check",
        "PRAGMA quick_check",
        "PRAGMA integrity_check(p)",
    ] {
        assert_eq!(check(conn, pragma), ["ok"], "{pragma} after {after}");
    }
}

fn check_after_each(conn: &Connection) {
    conn.execute_batch(SCHEMA).unwrap();
    assert_ok(conn, "the inserts");
    for write in WRITES {
        conn.execute_batch(write).unwrap();
        assert_ok(conn, write);
    }
}

#[test]
fn healthy_tables_with_every_kind_of_index_are_ok_after_each_write() {
    let db = Database::in_memory();
    check_after_each(&db.connect());
}

#[test]
fn the_writing_transaction_checks_its_own_writes_and_savepoints() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    conn.execute_batch(
        "BEGIN; UPDATE p SET age = age + 15, tag = NULL WHERE id < 40;
         DELETE FROM p WHERE id BETWEEN 100 AND 120;
         INSERT INTO p VALUES (500, 'n', 'e500@x', 19, 'z')",
    )
    .unwrap();
    assert_ok(&conn, "writes not yet committed");
    conn.execute_batch("SAVEPOINT s; UPDATE p SET email = NULL WHERE id < 60")
        .unwrap();
    assert_ok(&conn, "a savepoint's writes");
    conn.execute_batch("ROLLBACK TO s").unwrap();
    assert_ok(&conn, "ROLLBACK TO");
    conn.execute_batch("ROLLBACK").unwrap();
    assert_ok(&conn, "ROLLBACK");
}

#[test]
fn uncommitted_writes_of_another_transaction_leave_the_check_ok() {
    let db = Database::in_memory();
    let writer = db.connect();
    writer.execute_batch(SCHEMA).unwrap();
    let reader = db.connect();
    // A snapshot taken before the writes, then still open after they commit.
    reader
        .execute_batch("BEGIN; SELECT count(*) FROM p")
        .unwrap();
    writer
        .execute_batch(
            "BEGIN; UPDATE p SET name = 'w' || id, age = 99, email = 'w' || id || '@x'
             WHERE id < 150;
             DELETE FROM p WHERE id > 200; INSERT INTO p VALUES (900, 'n1', 'e1@x', 2, 't1');
             UPDATE k SET n = 0, note = 'w'",
        )
        .unwrap_err();
    // `e1@x` was taken: the statement failed alone; the transaction goes on.
    writer
        .execute_batch(
            "INSERT INTO p VALUES (900, 'n1', 'new@x', 2, 'tnew');
             UPDATE k SET n = 0, note = 'w'",
        )
        .unwrap();
    let other = db.connect();
    assert_ok(&other, "another transaction's uncommitted writes");
    assert_ok(&reader, "writes after the snapshot");
    assert_ok(&writer, "its own uncommitted writes");
    writer.execute("COMMIT", ()).unwrap();
    assert_ok(&reader, "writes committed after the snapshot");
    assert_ok(&other, "committed writes");
    reader.execute("COMMIT", ()).unwrap();
}

#[test]
fn tables_replayed_from_the_wal_are_ok() {
    let dir = TempDir::new("integrity-wal");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        check_after_each(&db.connect());
    }
    let db = Database::open_with(&dir.0, options).unwrap();
    let replayed = db.durability_stats().unwrap().recovery.records_replayed;
    assert!(replayed > 0, "nothing replayed");
    assert_ok(&db.connect(), "the replay");
}

#[test]
fn the_table_argument_must_name_a_table() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(SCHEMA).unwrap();
    let error = conn.query("PRAGMA integrity_check(nope)", ()).unwrap_err();
    assert!(error.to_string().contains("no such table: nope"), "{error}");
    assert_eq!(check(&conn, "PRAGMA integrity_check(k)"), ["ok"]);
}
