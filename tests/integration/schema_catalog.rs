//! The catalog tools read, through the library: `PRAGMA user_version` durable across
//! reopen of a directory database (from the WAL and from a checkpoint) and undone by
//! ROLLBACK and ROLLBACK TO; a migration tool's flow (read `user_version`, check tables
//! through `sqlite_schema`, create tables and bump the version in one transaction); the
//! CREATE text `sqlite_schema` shows surviving reopen; `PRAGMA schema_version` advancing
//! on DDL; `pragma_database_list` giving what `PRAGMA database_list` gives, `temp` listed
//! once a statement opened the temporary schema, as SQLite lists it; a table and a view
//! created under `main.` reopening with the text SQLite keeps.

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind};

fn user_version(conn: &Connection) -> i64 {
    conn.query_value::<i64>("PRAGMA user_version", ()).unwrap()
}

fn table_names(conn: &Connection) -> Vec<String> {
    conn.query(
        "SELECT name FROM sqlite_schema WHERE type = 'table' ORDER BY name",
        (),
    )
    .unwrap()
    .into_iter()
    .map(|row| row.get(0).unwrap())
    .collect()
}

#[test]
fn user_version_survives_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("user-version");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        assert_eq!(user_version(&conn), 0);
        conn.execute("PRAGMA user_version = 3", ()).unwrap();
        conn.execute("PRAGMA application_id = 77", ()).unwrap();
        assert_eq!(user_version(&conn), 3);
    }
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        assert_eq!(user_version(&conn), 3, "replayed from the WAL");
        let id = conn
            .query_value::<i64>("PRAGMA application_id", ())
            .unwrap();
        assert_eq!(id, 77);
        conn.execute("PRAGMA user_version = 4", ()).unwrap();
        conn.execute("CHECKPOINT", ()).unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(user_version(&conn), 4, "loaded from the checkpoint");
    assert!(
        table_names(&conn).is_empty(),
        "the header table is not listed"
    );
}

#[test]
fn rollback_undoes_a_user_version_set_also_after_reopen() {
    let dir = TempDir::new("user-version-rollback");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute("PRAGMA user_version = 1", ()).unwrap();
        conn.execute_batch("BEGIN; PRAGMA user_version = 2")
            .unwrap();
        assert_eq!(user_version(&conn), 2, "the transaction sees its own set");
        let other = db.connect();
        assert_eq!(
            user_version(&other),
            1,
            "others do not see it before COMMIT"
        );
        conn.execute("ROLLBACK", ()).unwrap();
        assert_eq!(user_version(&conn), 1);
        conn.execute_batch(
            "BEGIN; PRAGMA user_version = 5; SAVEPOINT s; PRAGMA user_version = 6; \
             ROLLBACK TO s; COMMIT",
        )
        .unwrap();
        assert_eq!(user_version(&conn), 5, "ROLLBACK TO undoes the later set");
    }
    let db = Database::open(&dir.0).unwrap();
    assert_eq!(user_version(&db.connect()), 5);
}

/// A migration tool's step: read the version, look for the table through sqlite_schema,
/// create what is missing and bump the version, all in one transaction.
fn migrate(conn: &Connection, fail_midway: bool) -> ember::Result<()> {
    conn.execute("BEGIN", ())?;
    let step = (|| {
        let version = user_version(conn);
        if version >= 1 {
            return Ok(());
        }
        let exists = conn.query_value::<i64>(
            "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND name = 'users'",
            (),
        )?;
        if exists == 0 {
            conn.execute(
                "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, \
                 created TEXT DEFAULT CURRENT_TIMESTAMP)",
                (),
            )?;
        }
        conn.execute("INSERT INTO users(email) VALUES ('a@example.com')", ())?;
        if fail_midway {
            conn.execute("INSERT INTO users(email) VALUES ('a@example.com')", ())?;
        }
        conn.execute("PRAGMA user_version = 1", ()).map(|_| ())
    })();
    match step {
        Ok(_) => conn.execute("COMMIT", ()).map(|_| ()),
        Err(error) => {
            conn.execute("ROLLBACK", ())?;
            Err(error)
        }
    }
}

#[test]
fn a_migration_runs_in_one_transaction_and_a_failure_rolls_its_data_and_version_back() {
    let dir = TempDir::new("migration");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        let error = migrate(&conn, true).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Constraint);
        assert_eq!(
            user_version(&conn),
            0,
            "the failed migration's version is undone"
        );
        // DDL is transactional: the table the failed step created is gone with its rows.
        assert!(table_names(&conn).is_empty(), "{:?}", table_names(&conn));
        let error = conn.query("SELECT count(*) FROM users", ()).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::NotFound);
        migrate(&conn, false).unwrap();
        assert_eq!(user_version(&conn), 1);
        migrate(&conn, false).unwrap();
        let rows = conn
            .query_value::<i64>("SELECT count(*) FROM users", ())
            .unwrap();
        assert_eq!(rows, 1, "a migration already applied is skipped");
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    assert_eq!(user_version(&conn), 1);
    assert_eq!(table_names(&conn), ["users"]);
    let sql = conn
        .query_value::<String>("SELECT sql FROM sqlite_schema WHERE name = 'users'", ())
        .unwrap();
    assert_eq!(
        sql,
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT NOT NULL UNIQUE, \
         created TEXT DEFAULT CURRENT_TIMESTAMP)",
        "the CREATE text as written survives reopen"
    );
    let created = conn
        .query_value::<String>("SELECT created FROM users", ())
        .unwrap();
    assert_eq!(created.len(), 19, "{created}");
}

#[test]
fn schema_version_advances_on_ddl_only() {
    let conn = Database::in_memory().connect();
    let version = || {
        conn.query_value::<i64>("PRAGMA schema_version", ())
            .unwrap()
    };
    let start = version();
    conn.execute("CREATE TABLE t(a)", ()).unwrap();
    let after_create = version();
    assert!(after_create > start);
    conn.execute("INSERT INTO t VALUES (1)", ()).unwrap();
    assert_eq!(version(), after_create, "rows are not schema");
    conn.execute("CREATE INDEX ta ON t(a)", ()).unwrap();
    assert!(version() > after_create);
}

#[test]
fn pragma_database_list_names_the_directory_in_both_forms() {
    let dir = TempDir::new("database-list");
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    let statement = conn.query("PRAGMA database_list", ()).unwrap();
    let function = conn
        .query("SELECT * FROM pragma_database_list", ())
        .unwrap();
    assert_eq!(function.columns(), ["seq", "name", "file"]);
    assert_eq!(function.into_values(), statement.into_values());
    let file = conn
        .query_value::<String>("SELECT file FROM pragma_database_list() WHERE seq = 0", ())
        .unwrap();
    assert_eq!(file, dir.0.display().to_string());
    // Once the connection made a temporary object, `temp` is listed too (the statement is
    // bound again).
    let count = "SELECT count(*) FROM pragma_database_list";
    assert_eq!(conn.query_value::<i64>(count, ()).unwrap(), 1);
    conn.execute("CREATE TEMP TABLE scratch(a)", ()).unwrap();
    assert_eq!(conn.query_value::<i64>(count, ()).unwrap(), 2);
    // A table of the name is read instead.
    conn.execute("CREATE TABLE pragma_database_list(x)", ())
        .unwrap();
    assert_eq!(
        conn.query_value::<i64>("SELECT count(*) FROM pragma_database_list", ())
            .unwrap(),
        0
    );
    let error = conn
        .query("SELECT * FROM pragma_database_list(1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::InvalidInput, "{error}");
}

/// How many schemas `PRAGMA database_list` lists after `script`, on EmberDB and on SQLite.
fn schemas_listed(script: &str) -> (i64, i64) {
    let conn = Database::in_memory().connect();
    conn.execute_batch(script).unwrap();
    let ember = conn
        .query("PRAGMA database_list", ())
        .unwrap()
        .into_values()
        .len();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    sqlite.execute_batch(script).unwrap();
    let listed = sqlite
        .prepare("PRAGMA database_list")
        .unwrap()
        .query_map([], |_| Ok(()))
        .unwrap()
        .count();
    (ember as i64, listed as i64)
}

#[test]
fn database_list_lists_temp_once_a_statement_opened_it_as_sqlite() {
    let scripts = [
        ("CREATE TABLE a(x, y)", 1),
        ("CREATE TABLE a(x, y); ALTER TABLE a ADD COLUMN z", 1),
        ("CREATE TABLE a(x, y); ALTER TABLE a RENAME TO b", 2),
        (
            "CREATE TABLE a(x, y); ALTER TABLE a RENAME COLUMN x TO w",
            2,
        ),
        ("CREATE TABLE a(x, y); ALTER TABLE a DROP COLUMN y", 2),
        (
            "CREATE TABLE a(x, y); BEGIN; ALTER TABLE a RENAME TO b; ROLLBACK",
            2,
        ),
        ("CREATE TEMP TABLE s(a)", 2),
        ("CREATE TEMP TABLE s(a); DROP TABLE s", 2),
        (
            "CREATE TABLE a(x); CREATE INDEX i ON a(x); DROP INDEX i; DROP TABLE a",
            1,
        ),
    ];
    for (script, expected) in scripts {
        assert_eq!(schemas_listed(script), (expected, expected), "{script}");
    }
}

/// `CREATE TABLE main.t` and `CREATE VIEW main.v` keep no qualifier in their text, and the
/// database reopens from the WAL and from a checkpoint with them and their rows.
#[test]
fn tables_and_views_created_under_main_reopen() {
    let dir = TempDir::new("main-qualified-create");
    let texts = |conn: &Connection| -> Vec<String> {
        conn.query(
            "SELECT sql FROM sqlite_schema WHERE name IN ('t', 'v') ORDER BY name",
            (),
        )
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
    };
    let expected = vec![
        "CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT)".to_string(),
        "CREATE VIEW v AS SELECT b FROM t".to_string(),
    ];
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE main.t (a INTEGER PRIMARY KEY, b TEXT); \
             CREATE VIEW main.v AS SELECT b FROM t; INSERT INTO main.t(b) VALUES ('x');",
        )
        .unwrap();
        assert_eq!(texts(&conn), expected);
    }
    for reopen in ["from the WAL", "from a checkpoint"] {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        assert_eq!(texts(&conn), expected, "{reopen}");
        let b = conn.query_value::<String>("SELECT b FROM v", ()).unwrap();
        assert_eq!(b, "x", "{reopen}");
        conn.execute("CHECKPOINT", ()).unwrap();
    }
}
