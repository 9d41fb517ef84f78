//! ALTER TABLE .. DROP COLUMN: every refusal gives SQLite's own message (checked against
//! rusqlite's bundled SQLite here, since .slt files do not compare error texts), and a drop
//! SQLite would make fails with `not supported: ALTER TABLE DROP COLUMN`, changing nothing.

use ember::{Database, ErrorKind};

const SCHEMA: &str = "
    CREATE TABLE d(id INTEGER PRIMARY KEY, a INT, b TEXT UNIQUE, c INT CHECK (c > 0), e INT,
                   f INT REFERENCES d(id), g INT, h INT);
    CREATE INDEX d_e ON d(e);
    CREATE VIEW dv AS SELECT g FROM d;
    CREATE TABLE single(x INT);
    CREATE TABLE k(a INT, b INT, c INT, PRIMARY KEY (a, b), UNIQUE (c, a));
    CREATE TABLE m(a INT, b INT, c INT, CHECK (a < c), FOREIGN KEY (b) REFERENCES k(a));
    CREATE TABLE n(a INT, b INT, c INT);
    CREATE VIEW nv AS SELECT * FROM n;
    CREATE VIEW nv2 AS SELECT a FROM n WHERE c > 0;
    CREATE TABLE o(a INT, b INT, c INT CHECK (c > a));
";

/// Drops SQLite refuses, each with its message.
const REFUSED: &[&str] = &[
    "ALTER TABLE d DROP COLUMN id",
    "ALTER TABLE d DROP COLUMN b",
    "ALTER TABLE d DROP COLUMN e",
    "ALTER TABLE d DROP COLUMN g",
    "ALTER TABLE d DROP COLUMN nope",
    "ALTER TABLE single DROP COLUMN x",
    "ALTER TABLE dv DROP COLUMN g",
    "ALTER TABLE nosuch DROP COLUMN g",
    "ALTER TABLE k DROP COLUMN b",
    "ALTER TABLE k DROP COLUMN c",
    "ALTER TABLE m DROP COLUMN c",
    "ALTER TABLE m DROP COLUMN b",
    "ALTER TABLE n DROP COLUMN c",
    "ALTER TABLE o DROP COLUMN a",
];

/// Drops SQLite makes (a column CHECK or REFERENCES goes with its column; `SELECT *`
/// views follow the table).
const ALLOWED: &[&str] = &[
    "ALTER TABLE d DROP COLUMN c",
    "ALTER TABLE d DROP COLUMN f",
    "ALTER TABLE d DROP h",
    "ALTER TABLE n DROP COLUMN b",
    "ALTER TABLE o DROP COLUMN c",
];

fn sqlite() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    conn.execute_batch(SCHEMA).unwrap();
    conn
}

fn sqlite_message(error: rusqlite::Error) -> String {
    match error {
        rusqlite::Error::SqliteFailure(_, Some(message)) => message,
        rusqlite::Error::SqlInputError { msg, .. } => msg,
        other => other.to_string(),
    }
}

#[test]
fn drop_column_refusals_give_sqlites_messages() {
    let theirs = sqlite();
    let ours = Database::in_memory().connect();
    ours.execute_batch(SCHEMA).unwrap();
    for sql in REFUSED {
        let expected = theirs.execute_batch(sql).map_err(sqlite_message);
        let got = ours.execute(sql, ()).map_err(|e| e.message().to_string());
        let (expected, got) = (expected.expect_err(sql), got.expect_err(sql));
        // EmberDB may add where in the statement the name is (` in <sql> at offset n`).
        let located = format!("{expected} in {sql}");
        assert!(got == expected || got.starts_with(&located), "{sql}: {got}");
    }
}

#[test]
fn drops_sqlite_makes_are_not_supported_yet_and_change_nothing() {
    let theirs = sqlite();
    let ours = Database::in_memory().connect();
    ours.execute_batch(SCHEMA).unwrap();
    for sql in ALLOWED {
        theirs.execute_batch(sql).unwrap();
        let error = ours.execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Unsupported, "{sql}");
        assert_eq!(error.message(), "not supported: ALTER TABLE DROP COLUMN");
    }
    let width = |table: &str| {
        ours.query(&format!("SELECT * FROM {table}"), ())
            .unwrap()
            .columns()
            .len()
    };
    assert_eq!((width("d"), width("n"), width("o")), (8, 3, 3));
}
