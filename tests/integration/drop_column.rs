//! ALTER TABLE .. DROP COLUMN: every refusal gives SQLite's own message (checked against
//! rusqlite's bundled SQLite here, since .slt files do not compare error texts); a drop
//! SQLite makes gives its rows, columns and (normalized) schema text; prepared statements
//! bind again (inside a transaction: `drop_column_transaction.rs`).

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

/// Rows in the tables before the drops.
const ROWS: &str = "
    INSERT INTO d VALUES (1, 10, 'x', 5, 100, NULL, 7, 8), (2, 20, NULL, 6, 200, 1, NULL, 9);
    INSERT INTO n VALUES (1, 2, 3), (4, 5, 6);
    INSERT INTO o VALUES (1, 2, 3), (4, NULL, 9);
";

/// A result as text, the same way for both engines.
pub(crate) fn ours_as_text(conn: &ember::Connection, sql: &str) -> (Vec<String>, Vec<String>) {
    let rows = conn.query(sql, ()).unwrap();
    let columns = rows.columns().to_vec();
    let values = rows
        .values()
        .iter()
        .flatten()
        .map(|value| format!("{value:?}"))
        .collect();
    (columns, values)
}

pub(crate) fn theirs_as_text(conn: &rusqlite::Connection, sql: &str) -> (Vec<String>, Vec<String>) {
    let mut statement = conn.prepare(sql).unwrap();
    let columns: Vec<String> = statement.column_names().map(|c| c.to_string()).collect();
    let width = columns.len();
    let mut values = Vec::new();
    let mut rows = statement.query(()).unwrap();
    while let Some(row) = rows.next().unwrap() {
        for i in 0..width {
            let value = match row.get_ref(i).unwrap() {
                rusqlite::types::ValueRef::Null => ember::Value::Null,
                rusqlite::types::ValueRef::Integer(i) => ember::Value::Integer(i),
                rusqlite::types::ValueRef::Real(r) => ember::Value::Real(r),
                rusqlite::types::ValueRef::Text(t) => {
                    ember::Value::Text(String::from_utf8_lossy(t).into_owned())
                }
                rusqlite::types::ValueRef::Blob(b) => ember::Value::Blob(b.to_vec()),
            };
            values.push(format!("{value:?}"));
        }
    }
    (columns, values)
}

/// A CREATE TABLE text printed normalized, as EmberDB prints the text DROP COLUMN rewrote
/// (SQLite edits the text in place instead).
fn normalized(sql: &str) -> String {
    ember::parse::parse_statements(sql).unwrap()[0].to_string()
}

#[test]
fn drops_sqlite_makes_give_its_rows_columns_and_schema_text() {
    let theirs = sqlite();
    theirs.execute_batch(ROWS).unwrap();
    let db = Database::in_memory();
    let ours = db.connect();
    ours.execute_batch(SCHEMA).unwrap();
    ours.execute_batch(ROWS).unwrap();
    for sql in ALLOWED {
        theirs.execute_batch(sql).unwrap();
        ours.execute(sql, ()).unwrap();
    }
    for table in ["d", "n", "o", "nv"] {
        let sql = format!("SELECT * FROM {table} ORDER BY 1");
        assert_eq!(
            ours_as_text(&ours, &sql),
            theirs_as_text(&theirs, &sql),
            "{sql}"
        );
    }
    for table in ["d", "n", "o"] {
        let text: String = theirs
            .query_row(
                "SELECT sql FROM sqlite_schema WHERE name = ?",
                [table],
                |row| row.get(0),
            )
            .unwrap();
        let catalog = db.catalog();
        let stored = &catalog.table(table).unwrap().sql;
        assert_eq!(normalized(stored), normalized(&text), "{table}");
    }
    // Keys, UNIQUE and the index still work on the copied rows.
    for sql in [
        "INSERT INTO d(id, b) VALUES (3, 'x')",
        "INSERT INTO d(id) VALUES (1)",
    ] {
        let error = ours.execute(sql, ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint, "{sql}: {error}");
        assert!(theirs.execute_batch(sql).is_err(), "{sql}");
    }
    let sql = "SELECT id FROM d WHERE e = 200";
    assert_eq!(ours_as_text(&ours, sql), theirs_as_text(&theirs, sql));
}

#[test]
fn statements_prepared_before_a_drop_bind_again_or_fail_as_sqlite() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a TEXT, b INT); INSERT INTO t VALUES (1, 'x', 2)",
    )
    .unwrap();
    let mut star = conn.prepare("SELECT * FROM t WHERE id = ?").unwrap();
    let mut dropped = conn.prepare("SELECT a FROM t").unwrap();
    let mut insert = conn.prepare("INSERT INTO t(a) VALUES (?)").unwrap();
    assert_eq!(star.query([1]).unwrap().columns(), ["id", "a", "b"]);
    conn.execute("ALTER TABLE t DROP COLUMN a", ()).unwrap();
    let rows = star.query_all([1]).unwrap();
    assert_eq!(rows.columns(), ["id", "b"]);
    assert_eq!(
        rows.values(),
        [vec![ember::Value::Integer(1), ember::Value::Integer(2)]]
    );
    let error = dropped.query(()).unwrap_err();
    assert_eq!(error.message(), "no such column: a");
    let error = insert.execute(["y"]).unwrap_err();
    assert!(
        error.message().starts_with("table t has no column named a"),
        "{error}"
    );
    conn.execute("INSERT INTO t(b) VALUES (3)", ()).unwrap();
    assert_eq!(
        conn.query_value::<i64>("SELECT max(id) FROM t", ())
            .unwrap(),
        2
    );
}

#[test]
fn a_drop_past_the_memory_budget_fails_and_changes_nothing() {
    let db = Database::in_memory_with(ember::Options::new().memory_budget_bytes(2 << 20));
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, pad TEXT, n INT)")
        .unwrap();
    let mut rows = 0i64;
    // Fill to about two thirds of the budget: the copy cannot fit beside the table.
    let used = || -> i64 {
        conn.query_value("SELECT memory_used_bytes FROM ember_stats", ())
            .unwrap()
    };
    while used() < (2 << 20) * 2 / 3 {
        conn.execute(
            "INSERT INTO t VALUES (?1, printf('%.200c', 'x'), ?1)",
            [rows],
        )
        .unwrap();
        rows += 1;
    }
    let error = conn.execute("ALTER TABLE t DROP COLUMN n", ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    assert_eq!(
        conn.query("SELECT * FROM t LIMIT 1", ()).unwrap().columns(),
        ["id", "pad", "n"]
    );
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, rows);
    // The table takes writes again, and the smaller column drops.
    conn.execute("DELETE FROM t WHERE id > 10", ()).unwrap();
    conn.execute("VACUUM", ()).unwrap();
    conn.execute("ALTER TABLE t DROP COLUMN n", ()).unwrap();
    let count: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(count, 11);
}

#[test]
fn sqlites_own_tables_may_not_be_altered() {
    let conn = Database::in_memory().connect();
    conn.execute(
        "CREATE TABLE s(id INTEGER PRIMARY KEY AUTOINCREMENT, x)",
        (),
    )
    .unwrap();
    for sql in [
        "ALTER TABLE sqlite_sequence DROP COLUMN seq",
        "ALTER TABLE sqlite_sequence ADD COLUMN z",
    ] {
        let error = conn.execute(sql, ()).unwrap_err();
        assert_eq!(error.message(), "table sqlite_sequence may not be altered");
    }
}
