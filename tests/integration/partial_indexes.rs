//! Partial indexes (`CREATE [UNIQUE] INDEX .. WHERE pred`), run on EmberDB and on rusqlite's
//! SQLite from the same script: rows moving in and out of the index as writes change the
//! predicate's value, uniqueness only among the rows the index holds, the queries that
//! read through the index (EXPLAIN names it only when the query's WHERE implies the
//! predicate) and those that must not, the catalog's face (`PRAGMA index_list`,
//! `sqlite_schema`), DROP / RENAME COLUMN, ROLLBACK of the CREATE, bad predicates, and a
//! reopened directory database.

use ember::{Database, ErrorKind, Options, SyncPolicy, Value};

use super::support::uses_index as uses;
use super::support::{assert_same_answers, both_engines, run_compared, TempDir};

const SCHEMA: &[&str] = &[
    "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, deleted_at INTEGER, score INT)",
    "CREATE UNIQUE INDEX users_live_email ON users(email) WHERE deleted_at IS NULL",
    "CREATE INDEX users_high ON users(email) WHERE score > 50",
    "CREATE INDEX users_scored ON users(score) WHERE score IS NOT NULL",
];

/// Statements run in order on both engines; a statement one engine refuses the other must
/// refuse too (a constraint error on EmberDB's side).
const STATEMENTS: &[&str] = &[
    "INSERT INTO users VALUES (1, 'a', NULL, 10), (2, 'b', NULL, 60), (3, 'c', 5, 70)",
    // A live duplicate of a live email fails; a deleted one does not count.
    "INSERT INTO users VALUES (4, 'a', NULL, 20)",
    "INSERT INTO users VALUES (5, 'c', NULL, 80)",
    "INSERT INTO users VALUES (6, 'c', 9, 90)",
    // Soft delete: the row leaves the unique index, and its email is free again.
    "UPDATE users SET deleted_at = 1 WHERE id = 1",
    "INSERT INTO users VALUES (7, 'a', NULL, 55)",
    // Undeleting the old row collides with the new live one.
    "UPDATE users SET deleted_at = NULL WHERE id = 1",
    // Scores moving across the predicate of users_high, both ways.
    "UPDATE users SET score = score + 45 WHERE score < 50",
    "UPDATE users SET score = 40 WHERE id = 2",
    "UPDATE users SET score = NULL WHERE id = 3",
    "INSERT INTO users SELECT id + 100, email || id, id % 3, id * 11 FROM users",
    "DELETE FROM users WHERE score > 100",
    "INSERT OR REPLACE INTO users VALUES (8, 'a', NULL, 99)",
    "INSERT OR IGNORE INTO users VALUES (9, 'c', NULL, 1)",
    "INSERT OR IGNORE INTO users VALUES (10, 'a', NULL, 1)",
    "UPDATE OR REPLACE users SET deleted_at = NULL WHERE id = 6",
    "UPDATE users SET email = 'z' WHERE deleted_at IS NULL",
    "UPDATE users SET email = 'z' || id",
];

/// Queries compared after every statement: some read through the partial indexes, some
/// must not.
const CHECKS: &[&str] = &[
    "SELECT * FROM users ORDER BY id",
    "SELECT id FROM users WHERE email = 'a' AND deleted_at IS NULL",
    "SELECT id FROM users WHERE email = 'a' ORDER BY id",
    "SELECT id, score FROM users WHERE score > 50 ORDER BY id",
    "SELECT count(*) FROM users WHERE score > 50",
    "SELECT id FROM users WHERE score = 70 ORDER BY id",
    "SELECT id FROM users WHERE email = 'b' AND score > 50",
    "SELECT id FROM users WHERE email = 'b' AND score > 40",
    "SELECT id FROM users WHERE score BETWEEN 20 AND 65 ORDER BY id",
    "SELECT id FROM users WHERE score IN (55, 60, 99) ORDER BY id",
    "SELECT score FROM users WHERE score IS NOT NULL ORDER BY score, id",
    "SELECT count(*), count(score), count(email) FROM users",
    "SELECT id FROM users WHERE score IS NULL ORDER BY id",
];

#[test]
fn partial_indexes_answer_as_sqlite_while_rows_move_in_and_out() {
    let (db, sqlite) = both_engines(SCHEMA);
    run_compared(&db.connect(), &sqlite, STATEMENTS, CHECKS);
}

#[test]
fn a_partial_unique_index_names_its_column_when_violated() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    conn.execute("INSERT INTO users VALUES (1, 'a', NULL, 1)", ())
        .unwrap();
    let error = conn
        .execute("INSERT INTO users VALUES (2, 'a', NULL, 1)", ())
        .unwrap_err();
    assert_eq!(error.to_string(), "UNIQUE constraint failed: users.email");
    // Existing duplicates among the rows the predicate takes refuse the index.
    conn.execute(
        "INSERT INTO users VALUES (3, 'x', 1, 1), (4, 'x', 1, 1)",
        (),
    )
    .unwrap();
    let error = conn
        .execute(
            "CREATE UNIQUE INDEX gone ON users(email) WHERE deleted_at = 1",
            (),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute(
        "CREATE UNIQUE INDEX kept ON users(email) WHERE deleted_at = 2",
        (),
    )
    .unwrap();
}

#[test]
fn the_planner_reads_a_partial_index_only_when_the_where_implies_its_predicate() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    conn.execute_batch(
        "INSERT INTO users SELECT value, 'e' || value, NULLIF(value % 4, 0), value % 100
         FROM generate_series(1, 400)",
    )
    .unwrap();
    let live = "users_live_email";
    assert!(uses(
        &conn,
        "SELECT id FROM users WHERE email = 'e5' AND deleted_at IS NULL",
        live
    ));
    assert!(uses(
        &conn,
        "SELECT id FROM users u WHERE u.deleted_at IS NULL AND u.email = 'e5'",
        live
    ));
    assert!(!uses(
        &conn,
        "SELECT id FROM users WHERE email = 'e5'",
        live
    ));
    assert!(!uses(
        &conn,
        "SELECT id FROM users WHERE email = 'e5' AND deleted_at IS NOT NULL",
        live
    ));
    // The same conjunct as the predicate, and a comparison that implies IS NOT NULL.
    let high = "users_high";
    let email_high = "SELECT id FROM users WHERE email = 'e5' AND score > 50";
    assert!(uses(&conn, email_high, high));
    assert!(!uses(&conn, &email_high.replace("50", "40"), high));
    assert!(uses(
        &conn,
        "SELECT id FROM users WHERE score > 50",
        "users_scored"
    ));
    let scored = "users_scored";
    assert!(uses(&conn, "SELECT id FROM users WHERE score = 7", scored));
    assert!(uses(&conn, "SELECT id FROM users WHERE score < 7", scored));
    assert!(uses(
        &conn,
        "SELECT id FROM users WHERE score BETWEEN 3 AND 7",
        scored
    ));
    assert!(uses(
        &conn,
        "SELECT id FROM users WHERE score IN (3, 7)",
        scored
    ));
    assert!(!uses(
        &conn,
        "SELECT id FROM users WHERE score IS NULL",
        scored
    ));
    // With no WHERE to imply the predicate, an ORDER BY or a count walks no partial index.
    assert!(!uses(
        &conn,
        "SELECT score FROM users ORDER BY score LIMIT 3",
        scored
    ));
    assert!(!uses(&conn, "SELECT count(*) FROM users", scored));
    assert!(!uses(&conn, "SELECT DISTINCT score FROM users", scored));
    // Through the index, the answers are the scan's.
    let through: Vec<Vec<ember::Value>> = conn
        .query("SELECT id FROM users WHERE score = 7 ORDER BY id", ())
        .unwrap()
        .into_values();
    let scanned: Vec<Vec<ember::Value>> = conn
        .query("SELECT id FROM users WHERE score + 0 = 7 ORDER BY id", ())
        .unwrap()
        .into_values();
    assert_eq!(through, scanned);
    assert_eq!(through.len(), 4);
}

#[test]
fn the_catalog_shows_partial_indexes_as_sqlite_does() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_same_answers(
        &ember,
        &sqlite,
        &[
            "PRAGMA index_list(users)",
            "PRAGMA index_info(users_high)",
            "SELECT type, name, tbl_name FROM sqlite_schema WHERE type = 'index' ORDER BY name",
        ],
        "the schema",
    );
    let sql: Vec<Vec<ember::Value>> = ember
        .query(
            "SELECT sql FROM sqlite_schema WHERE name = 'users_live_email'",
            (),
        )
        .unwrap()
        .into_values();
    let ember::Value::Text(text) = &sql[0][0] else {
        panic!("{sql:?}")
    };
    assert!(text.ends_with("WHERE deleted_at IS NULL"), "{text}");
}

#[test]
fn drop_and_rename_column_follow_the_predicate() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "INSERT INTO users VALUES (1, 'a', NULL, 60), (2, 'b', 3, 70)",
        "ALTER TABLE users RENAME COLUMN deleted_at TO gone_at",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let checks = [
        "SELECT name FROM sqlite_schema WHERE type = 'index' ORDER BY name",
        "SELECT id FROM users WHERE email = 'a' AND gone_at IS NULL",
    ];
    assert_same_answers(&ember, &sqlite, &checks, "RENAME COLUMN");
    let text = ember
        .query(
            "SELECT sql FROM sqlite_schema WHERE name = 'users_live_email'",
            (),
        )
        .unwrap()
        .into_values();
    assert!(
        format!("{text:?}").contains("WHERE gone_at IS NULL"),
        "{text:?}"
    );
    let conn = &ember;
    assert!(uses(
        conn,
        "SELECT id FROM users WHERE email = 'a' AND gone_at IS NULL",
        "users_live_email"
    ));
    // A column the predicate reads cannot go; one it does not read can.
    let drop = "ALTER TABLE users DROP COLUMN gone_at";
    let error = ember.execute(drop, ()).unwrap_err();
    assert!(sqlite.execute(drop, []).is_err());
    assert!(error.to_string().contains("users_live_email"), "{error}");
    for sql in [
        "DROP INDEX users_high",
        "DROP INDEX users_scored",
        "ALTER TABLE users ADD COLUMN note TEXT",
        "ALTER TABLE users DROP COLUMN score",
        "INSERT INTO users(id, email, gone_at) VALUES (3, 'a', 1), (4, 'c', NULL)",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let insert = "INSERT INTO users(id, email) VALUES (5, 'c')";
    assert_eq!(
        ember.execute(insert, ()).unwrap_err().kind(),
        ErrorKind::Constraint
    );
    assert!(sqlite.execute(insert, []).is_err());
    assert_same_answers(&ember, &sqlite, &checks, "DROP COLUMN");
}

#[test]
fn rolling_back_a_create_index_takes_the_index_away() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT, live INT);
         INSERT INTO t VALUES (1, 'a', 1), (2, 'a', 0);
         BEGIN;
         CREATE UNIQUE INDEX t_live_k ON t(k) WHERE live = 1;",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO t VALUES (3, 'a', 1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("ROLLBACK", ()).unwrap();
    let listed = conn.query("PRAGMA index_list(t)", ()).unwrap();
    assert_eq!(listed.len(), 0);
    conn.execute("INSERT INTO t VALUES (3, 'a', 1)", ())
        .unwrap();
}

#[test]
fn bad_predicates_are_refused_and_create_nothing() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(a INT, b INT); CREATE TABLE o(x INT)")
        .unwrap();
    let refused = [
        (
            "CREATE INDEX i ON t(a) WHERE b IN (SELECT x FROM o)",
            "subqueries prohibited in partial index WHERE clauses",
        ),
        (
            "CREATE INDEX i ON t(a) WHERE EXISTS (SELECT 1)",
            "subqueries prohibited in partial index WHERE clauses",
        ),
        (
            "CREATE INDEX i ON t(a) WHERE b > random()",
            "non-deterministic functions prohibited in partial index WHERE clauses",
        ),
        ("CREATE INDEX i ON t(a) WHERE o.x > 1", "no such column"),
        ("CREATE INDEX i ON t(a) WHERE x > 1", "no such column"),
        (
            "CREATE INDEX i ON t(a) WHERE b > ?",
            "parameters prohibited in partial index WHERE clauses",
        ),
        (
            "CREATE INDEX i ON t(a) WHERE count(b) > 1",
            "misuse of aggregate",
        ),
    ];
    for (sql, message) in refused {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(error.to_string().contains(message), "{sql}: {error}");
        assert_eq!(conn.query("PRAGMA index_list(t)", ()).unwrap().len(), 0);
    }
}

#[test]
fn partial_indexes_survive_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("partial-indexes");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let query = "SELECT id FROM users WHERE email = 'a' AND deleted_at IS NULL";
    let answers = |db: &Database| {
        let conn = db.connect();
        assert!(uses(&conn, query, "users_live_email"));
        let listed = conn.query("PRAGMA index_list(users)", ()).unwrap();
        let rows = [query, "SELECT id FROM users WHERE score > 50 ORDER BY id"]
            .map(|sql| conn.query(sql, ()).unwrap().into_values());
        (listed.into_values(), rows)
    };
    let before;
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        for sql in SCHEMA {
            conn.execute(sql, ()).unwrap();
        }
        conn.execute_batch(
            "INSERT INTO users VALUES (1, 'a', NULL, 60), (2, 'a', 1, 70), (3, 'b', NULL, 5);
             UPDATE users SET score = 90 WHERE id = 3;",
        )
        .unwrap();
        before = answers(&db);
    }
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    assert_eq!(answers(&db), before, "replayed from the WAL");
    let conn = db.connect();
    let error = conn
        .execute("INSERT INTO users VALUES (4, 'a', NULL, 1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(answers(&db), before, "loaded from a checkpoint");
}

#[test]
fn dropping_an_earlier_column_keeps_the_predicate_on_its_column() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE t(a INT, k TEXT, live INT)",
        "CREATE UNIQUE INDEX t_live_k ON t(k) WHERE live = 1",
        "INSERT INTO t VALUES (1, 'x', 1), (2, 'x', 0), (3, 'y', 1)",
        "ALTER TABLE t DROP COLUMN a",
    ]);
    let ember = db.connect();
    let query = "SELECT k, live FROM t WHERE k = 'x' AND live = 1";
    assert!(uses(&ember, query, "t_live_k"));
    for statement in [
        "INSERT INTO t VALUES ('x', 1)",
        "INSERT INTO t VALUES ('x', 0)",
        "UPDATE t SET live = 1 WHERE k = 'y'",
        "UPDATE t SET live = 0 WHERE k = 'x'",
        "INSERT INTO t VALUES ('x', 1)",
    ] {
        let ours = ember.execute(statement, ()).is_ok();
        let theirs = sqlite.execute(statement, []).is_ok();
        assert_eq!(ours, theirs, "{statement}");
        assert_same_answers(
            &ember,
            &sqlite,
            &[query, "SELECT k, live FROM t ORDER BY k, live"],
            statement,
        );
    }
}

#[test]
fn renaming_the_table_keeps_a_predicate_that_names_it_usable_after_reopen() {
    let dir = TempDir::new("partial-index-rename");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let query = "SELECT id FROM t WHERE b > 0 AND a = 2 ORDER BY id";
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER);
             CREATE INDEX t_pos ON t(a) WHERE t.b > 0;
             INSERT INTO t VALUES (1, 2, 1), (2, 2, -1), (3, 2, 5);
             ALTER TABLE t RENAME TO u;
             ALTER TABLE u RENAME TO t;
             ALTER TABLE t RENAME TO v;",
        )
        .unwrap();
        let rows = conn
            .query(&query.replace(" t ", " v "), ())
            .unwrap()
            .into_values();
        assert_eq!(rows, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    }
    let db = Database::open_with(&dir.0, options).unwrap();
    let conn = db.connect();
    let rows = conn
        .query(&query.replace(" t ", " v "), ())
        .unwrap()
        .into_values();
    assert_eq!(rows, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    conn.execute("INSERT INTO v VALUES (4, 2, 9)", ()).unwrap();
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    // Loaded from the checkpoint, whose schema text is the renamed one.
    let db = Database::open_with(&dir.0, Options::new().sync_policy(SyncPolicy::Off)).unwrap();
    let conn = db.connect();
    let rows = conn
        .query(&query.replace(" t ", " v "), ())
        .unwrap()
        .into_values();
    assert_eq!(rows.len(), 3, "{rows:?}");
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 't_pos'",
            (),
            |row| row.get(0),
        )
        .unwrap();
    assert!(!sql.contains("t.b"), "{sql}");
}
