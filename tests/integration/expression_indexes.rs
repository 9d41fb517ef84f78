//! Indexes on expressions (`CREATE [UNIQUE] INDEX i ON t(lower(email))`, mixed with columns,
//! partial at the same time), run on EmberDB and on rusqlite's SQLite from the same script:
//! writes that change an expression's value, uniqueness of the expression's value (SQLite's
//! message, OR IGNORE / OR REPLACE / ON CONFLICT DO NOTHING), the queries that read through
//! the index (EXPLAIN names it only when the query names the expression) and those that must
//! not, the catalog's face (`PRAGMA index_list` / `index_info` / `index_xinfo`,
//! `sqlite_schema`), RENAME COLUMN / RENAME TO / DROP COLUMN, ROLLBACK of the CREATE, bad
//! expressions, and a reopened directory database (from the WAL and from a checkpoint).

use ember::{Database, ErrorKind, Options, SyncPolicy, Value};

use super::support::{assert_same_answers, both_engines, run_compared, uses_index, TempDir};

const SCHEMA: &[&str] = &[
    "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, name TEXT, score INT, gone INT)",
    "CREATE UNIQUE INDEX users_email ON users(lower(email))",
    "CREATE INDEX users_name_score ON users(lower(name), score DESC)",
    "CREATE INDEX users_bumped ON users(score, score + 1)",
    "CREATE INDEX users_live_prefix ON users(substr(name, 1, 3)) WHERE gone IS NULL",
];

/// Statements run in order on both engines (see `run_compared`).
const STATEMENTS: &[&str] = &[
    "INSERT INTO users VALUES (1, 'A@x', 'Ann', 10, NULL), (2, 'b@x', 'Bob', 20, NULL)",
    // The same email under another case: the expression's value is taken.
    "INSERT INTO users VALUES (3, 'a@X', 'ann', 30, NULL)",
    "INSERT INTO users VALUES (3, 'c@x', 'ann', 30, 1)",
    "INSERT INTO users VALUES (4, NULL, 'Annie', NULL, NULL), (5, NULL, 'ANNA', 7, NULL)",
    // An update that changes the expression's value moves the row's key.
    "UPDATE users SET email = 'B@X' WHERE id = 1",
    "UPDATE users SET email = 'd@x' WHERE id = 1",
    "UPDATE users SET name = upper(name), score = score * 2 WHERE id IN (2, 3)",
    "UPDATE users SET gone = NULL WHERE id = 3",
    "UPDATE users SET gone = 1 WHERE id = 5",
    "INSERT OR IGNORE INTO users VALUES (6, 'D@X', 'Dan', 1, NULL)",
    "INSERT OR IGNORE INTO users VALUES (7, 'e@x', 'Eve', 1, NULL)",
    "INSERT OR REPLACE INTO users VALUES (8, 'E@x', 'Eva', 2, NULL)",
    "INSERT INTO users VALUES (9, 'e@X', 'Eli', 3, NULL) ON CONFLICT DO NOTHING",
    "INSERT INTO users VALUES (9, 'f@X', 'Eli', 3, NULL) ON CONFLICT DO NOTHING",
    "UPDATE OR REPLACE users SET email = 'F@x' WHERE id = 1",
    "INSERT INTO users SELECT id + 100, email || id, name || id, score, gone FROM users",
    "DELETE FROM users WHERE lower(email) = 'b@x'",
    "DELETE FROM users WHERE id > 104",
    "UPDATE users SET email = 'A@x' WHERE id = 1",
    "UPDATE users SET email = NULL WHERE id > 100",
];

/// Queries compared after every statement: some read through the indexes, some must not.
const CHECKS: &[&str] = &[
    "SELECT * FROM users ORDER BY id",
    "SELECT id FROM users WHERE lower(email) = 'a@x'",
    "SELECT id FROM users WHERE lower(email) IN ('a@x', 'b@x', 'd@x', 'f@x') ORDER BY id",
    "SELECT id FROM users WHERE email = 'A@x'",
    "SELECT id, name FROM users WHERE lower(name) = 'ann' ORDER BY id",
    "SELECT id FROM users WHERE lower(name) = 'ann' AND score = 60",
    "SELECT id FROM users WHERE score = 20 AND score + 1 = 21",
    "SELECT id FROM users WHERE score = 20 AND score + 1 IN (21, 41) ORDER BY id",
    "SELECT id FROM users WHERE substr(name, 1, 3) = 'Ann' AND gone IS NULL ORDER BY id",
    "SELECT id FROM users WHERE substr(name, 1, 3) = 'Ann' ORDER BY id",
    "SELECT count(*), count(email), count(DISTINCT lower(email)) FROM users",
    "SELECT lower(email) FROM users ORDER BY lower(email), id",
    "SELECT id FROM users WHERE lower(email) > 'b' ORDER BY id",
    "SELECT id FROM users WHERE lower(email) BETWEEN 'a' AND 'd@x' ORDER BY id",
    "SELECT id FROM users WHERE substr(name, 1, 3) < 'Ao' AND gone IS NULL ORDER BY id",
    "SELECT lower(email) FROM users ORDER BY lower(email) LIMIT 3",
    "SELECT lower(email) FROM users WHERE lower(email) < 'e' ORDER BY lower(email) DESC",
    "SELECT score FROM users WHERE lower(name) = 'ann' ORDER BY score LIMIT 5",
    "SELECT score FROM users WHERE lower(name) = 'ann' ORDER BY score DESC LIMIT 5",
];

#[test]
fn expression_indexes_answer_as_sqlite_while_values_change() {
    let (db, sqlite) = both_engines(SCHEMA);
    run_compared(&db.connect(), &sqlite, STATEMENTS, CHECKS);
}

#[test]
fn a_unique_expression_index_names_itself_when_violated() {
    let (db, sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    let first = "INSERT INTO users(id, email) VALUES (1, 'A@x')";
    conn.execute(first, ()).unwrap();
    sqlite.execute(first, []).unwrap();
    let second = "INSERT INTO users(id, email) VALUES (2, 'a@X')";
    let ours = conn.execute(second, ()).unwrap_err();
    let theirs = sqlite.execute(second, []).unwrap_err();
    assert_eq!(ours.kind(), ErrorKind::Constraint);
    assert_eq!(
        ours.to_string(),
        "UNIQUE constraint failed: index 'users_email'"
    );
    assert_eq!(ours.to_string(), theirs.to_string());
    // ON CONFLICT resolves the expression's conflict, targeted by the expression (see
    // expression_indexes_writes.rs) or without a target.
    let untargeted = "INSERT INTO users(id, email) VALUES (2, 'a@X') ON CONFLICT DO NOTHING";
    conn.execute(untargeted, ()).unwrap();
    sqlite.execute(untargeted, []).unwrap();
    assert_same_answers(
        &conn,
        &sqlite,
        &["SELECT * FROM users ORDER BY id"],
        untargeted,
    );
    // An update into a taken value, and a CREATE over existing duplicates.
    conn.execute("INSERT INTO users(id, email) VALUES (2, 'b')", ())
        .unwrap();
    let error = conn
        .execute("UPDATE users SET email = 'a@x' WHERE id = 2", ())
        .unwrap_err();
    assert_eq!(error.to_string(), ours.to_string());
    conn.execute("INSERT INTO users(id, email) VALUES (3, 'B')", ())
        .unwrap_err();
    conn.execute("INSERT INTO users(id, name) VALUES (3, 'x'), (4, 'X')", ())
        .unwrap();
    let error = conn
        .execute("CREATE UNIQUE INDEX names ON users(upper(name))", ())
        .unwrap_err();
    assert_eq!(error.to_string(), "UNIQUE constraint failed: index 'names'");
    assert!(!uses_index(
        &conn,
        "SELECT id FROM users WHERE upper(name) = 'X'",
        "names"
    ));
}

#[test]
fn the_planner_reads_an_expression_index_only_for_its_expression() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    conn.execute_batch(
        "INSERT INTO users SELECT value, 'E' || value, 'n' || (value % 50), value % 100,
         NULLIF(value % 3, 0) FROM generate_series(1, 400)",
    )
    .unwrap();
    let email = "users_email";
    assert!(uses_index(
        &conn,
        "SELECT id FROM users WHERE lower(email) = 'e5'",
        email
    ));
    assert!(uses_index(
        &conn,
        "SELECT id FROM users u WHERE lower(u.email) = 'e5'",
        email
    ));
    assert!(uses_index(
        &conn,
        "SELECT id FROM users WHERE lower(email) IN ('e5', 'e7')",
        email
    ));
    let plan =
        super::support::explain(&conn, "SELECT id FROM users WHERE lower(email) = 'e5'", &[]);
    assert!(
        plan.iter().any(|line| line.contains("lower(email) = 'e5'")),
        "{plan:?}"
    );
    // Ranges and ORDER BY of the expression walk the ordered index.
    for sql in [
        "SELECT id FROM users WHERE lower(email) > 'e5'",
        "SELECT id FROM users WHERE 'e5' >= lower(email)",
        "SELECT id FROM users WHERE lower(email) BETWEEN 'e1' AND 'e2'",
        "SELECT id FROM users ORDER BY lower(email) LIMIT 3",
        "SELECT id FROM users WHERE lower(email) < 'e5' ORDER BY lower(email) DESC",
    ] {
        assert!(uses_index(&conn, sql, email), "{sql}");
    }
    let ranged = "SELECT id FROM users WHERE lower(email) > 'e5'";
    let plan = super::support::explain(&conn, ranged, &[]);
    let described = "(lower(email) > 'e5') order lower(email) ASC";
    assert!(plan.iter().any(|line| line.contains(described)), "{plan:?}");
    // Not the expression: the bare column, another function, another collation, an
    // ORDER BY with no LIMIT over the whole table, what walks index entries as columns.
    for sql in [
        "SELECT id FROM users WHERE email = 'e5'",
        "SELECT id FROM users WHERE upper(email) = 'E5'",
        "SELECT id FROM users WHERE lower(email) COLLATE NOCASE = 'e5'",
        "SELECT id FROM users WHERE email > 'e5'",
        "SELECT id FROM users ORDER BY email LIMIT 3",
        "SELECT id FROM users ORDER BY lower(email) COLLATE NOCASE LIMIT 3",
        "SELECT id FROM users ORDER BY lower(email)",
        "SELECT count(*) FROM users",
        "SELECT DISTINCT email FROM users",
        "SELECT DISTINCT lower(email) FROM users",
        "SELECT lower(email), count(*) FROM users GROUP BY lower(email)",
        "SELECT min(lower(email)) FROM users",
    ] {
        assert!(!uses_index(&conn, sql, email), "{sql}");
    }
    // A mixed key: both parts pinned.
    let name = "users_name_score";
    assert!(uses_index(
        &conn,
        "SELECT id FROM users WHERE lower(name) = 'n5' AND score = 5",
        name
    ));
    assert!(uses_index(
        &conn,
        "SELECT score FROM users WHERE lower(name) = 'n5' ORDER BY score LIMIT 2",
        name
    ));
    assert!(uses_index(
        &conn,
        "SELECT id FROM users WHERE lower(name) = 'n5'",
        name
    ));
    assert!(!uses_index(
        &conn,
        "SELECT id FROM users WHERE score = 5",
        name
    ));
    assert!(uses_index(
        &conn,
        "SELECT id FROM users WHERE score = 5 AND score + 1 = 6",
        "users_bumped"
    ));
    // A partial one only when the WHERE implies its clause.
    let prefix = "users_live_prefix";
    let sql = "SELECT id FROM users WHERE substr(name, 1, 3) = 'n5' AND gone IS NULL";
    assert!(uses_index(&conn, sql, prefix));
    assert!(!uses_index(
        &conn,
        "SELECT id FROM users WHERE substr(name, 1, 3) = 'n5'",
        prefix
    ));
    // Through the index, the answers are the scan's.
    let rows = |sql: &str| conn.query(sql, ()).unwrap().into_values();
    assert_eq!(
        rows("SELECT id FROM users WHERE lower(name) IN ('n5', 'n6') ORDER BY id"),
        rows("SELECT id FROM users WHERE lower(name) || '' IN ('n5', 'n6') ORDER BY id"),
    );
    let scanned = "SELECT id FROM users WHERE substr(name, 1, 3) || '' = 'n5' AND gone IS NULL";
    assert_eq!(
        rows(&format!("{sql} ORDER BY id")),
        rows(&format!("{scanned} ORDER BY id"))
    );
    assert_eq!(
        rows("SELECT id FROM users WHERE lower(email) = 'e5'").len(),
        1
    );
}

#[test]
fn the_catalog_shows_expression_indexes_as_sqlite_does() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_same_answers(
        &ember,
        &sqlite,
        &[
            "PRAGMA index_list(users)",
            "PRAGMA index_info(users_email)",
            "PRAGMA index_info(users_name_score)",
            "PRAGMA index_xinfo(users_name_score)",
            "PRAGMA index_xinfo(users_bumped)",
            "SELECT type, name, tbl_name FROM sqlite_schema WHERE type = 'index' ORDER BY name",
        ],
        "the schema",
    );
    let sql: String = ember
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'users_name_score'",
            (),
            |row| row.get(0),
        )
        .unwrap();
    assert!(sql.contains("lower(name), score DESC"), "{sql}");
}

#[test]
fn rename_and_drop_column_follow_the_expression() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "INSERT INTO users VALUES (1, 'A@x', 'Ann', 10, NULL), (2, 'b@x', 'Bob', 20, 1)",
        "ALTER TABLE users RENAME COLUMN email TO mail",
        "ALTER TABLE users RENAME COLUMN name TO label",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let text = |name: &str| -> String {
        ember
            .query_row(
                &format!("SELECT sql FROM sqlite_schema WHERE name = '{name}'"),
                (),
                |row| row.get(0),
            )
            .unwrap()
    };
    assert!(
        text("users_email").contains("lower(mail)"),
        "{}",
        text("users_email")
    );
    let prefix = text("users_live_prefix");
    assert!(
        prefix.to_lowercase().contains("substr(label, 1, 3)"),
        "{prefix}"
    );
    let query = "SELECT id FROM users WHERE lower(mail) = 'a@x'";
    assert!(uses_index(&ember, query, "users_email"));
    assert_same_answers(&ember, &sqlite, &[query], "RENAME COLUMN");
    let taken = "INSERT INTO users(id, mail) VALUES (3, 'a@X')";
    assert!(ember.execute(taken, ()).is_err());
    assert!(sqlite.execute(taken, []).is_err());
    // A column an expression reads cannot go; one no index reads can.
    for column in ["mail", "label", "score"] {
        let drop = format!("ALTER TABLE users DROP COLUMN {column}");
        let error = ember.execute(&drop, ()).unwrap_err();
        assert!(sqlite.execute(&drop, []).is_err(), "{drop}");
        assert!(error.to_string().contains("after drop column"), "{error}");
    }
    // An earlier column dropped: the expressions keep reading their own columns.
    for sql in [
        "DROP INDEX users_live_prefix",
        "ALTER TABLE users DROP COLUMN gone",
        "CREATE TABLE v(a INT, k TEXT)",
        "CREATE UNIQUE INDEX v_k ON v(lower(k))",
        "INSERT INTO v VALUES (1, 'X')",
        "ALTER TABLE v DROP COLUMN a",
    ] {
        ember.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    let checks = [
        "SELECT * FROM users ORDER BY id",
        "SELECT k FROM v WHERE lower(k) = 'x'",
    ];
    assert_same_answers(&ember, &sqlite, &checks, "DROP COLUMN");
    assert!(uses_index(&ember, checks[1], "v_k"));
    let duplicate = "INSERT INTO v VALUES ('x')";
    assert_eq!(
        ember.execute(duplicate, ()).unwrap_err().kind(),
        ErrorKind::Constraint
    );
    assert!(sqlite.execute(duplicate, []).is_err());
}

#[test]
fn rolling_back_a_create_index_takes_the_index_away() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, k TEXT);
         INSERT INTO t VALUES (1, 'a');
         BEGIN;
         CREATE UNIQUE INDEX t_k ON t(upper(k));",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO t VALUES (2, 'A')", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("ROLLBACK", ()).unwrap();
    assert_eq!(conn.query("PRAGMA index_list(t)", ()).unwrap().len(), 0);
    conn.execute("INSERT INTO t VALUES (2, 'A')", ()).unwrap();
    conn.execute("DROP INDEX IF EXISTS t_k", ()).unwrap();
    conn.execute("CREATE INDEX t_k ON t(upper(k))", ()).unwrap();
    conn.execute("DROP INDEX t_k", ()).unwrap();
    assert_eq!(conn.query("PRAGMA index_list(t)", ()).unwrap().len(), 0);
}

#[test]
fn bad_expressions_are_refused_as_sqlite_refuses_them_and_create_nothing() {
    let (db, sqlite) = both_engines(&["CREATE TABLE t(a INT, b INT)", "CREATE TABLE o(x INT)"]);
    let conn = db.connect();
    let refused = [
        (
            "CREATE INDEX i ON t(a + (SELECT x FROM o))",
            "subqueries prohibited in index expressions",
        ),
        (
            "CREATE INDEX i ON t(b, a + random())",
            "non-deterministic functions prohibited in index expressions",
        ),
        ("CREATE INDEX i ON t(a + o.x)", "no such column"),
        ("CREATE INDEX i ON t(a + x)", "no such column"),
        (
            "CREATE INDEX i ON t(a + ?)",
            "parameters prohibited in index expressions",
        ),
        (
            "CREATE INDEX i ON t(count(a))",
            "misuse of aggregate function count()",
        ),
        (
            "CREATE INDEX i ON t(a) WHERE b > random()",
            "non-deterministic functions",
        ),
    ];
    for (sql, message) in refused {
        let error = conn.execute(sql, ()).unwrap_err();
        assert!(error.to_string().contains(message), "{sql}: {error}");
        assert!(sqlite.execute(sql, []).is_err(), "{sql}");
        assert_eq!(conn.query("PRAGMA index_list(t)", ()).unwrap().len(), 0);
    }
}

#[test]
fn expression_indexes_survive_reopen_from_the_wal_and_from_a_checkpoint() {
    let dir = TempDir::new("expression-indexes");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let query = "SELECT id FROM users WHERE lower(email) = 'a@x'";
    let answers = |db: &Database| {
        let conn = db.connect();
        assert!(uses_index(&conn, query, "users_email"));
        let listed = conn
            .query("PRAGMA index_xinfo(users_name_score)", ())
            .unwrap();
        let rows = [
            query,
            "SELECT id FROM users WHERE lower(name) = 'bob' AND score = 2",
            "SELECT id FROM users ORDER BY id",
        ]
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
            "INSERT INTO users VALUES (1, 'A@x', 'Ann', 1, NULL), (2, 'b', 'BOB', 2, NULL);
             UPDATE users SET email = 'c@x' WHERE id = 2;",
        )
        .unwrap();
        before = answers(&db);
    }
    let db = Database::open_with(&dir.0, options.clone()).unwrap();
    assert_eq!(answers(&db), before, "replayed from the WAL");
    let conn = db.connect();
    let taken = "INSERT INTO users(id, email) VALUES (4, 'A@X')";
    let error = conn.execute(taken, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint, "{error}");
    conn.execute("CHECKPOINT", ()).unwrap();
    drop(conn);
    drop(db);
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(answers(&db), before, "loaded from a checkpoint");
    let conn = db.connect();
    assert!(conn.execute(taken, ()).is_err());
    conn.execute("INSERT INTO users(id, email) VALUES (4, 'z')", ())
        .unwrap();
}

#[test]
fn renaming_the_table_rewrites_a_qualified_expression() {
    let dir = TempDir::new("expression-index-rename");
    let options = Options::new().sync_policy(SyncPolicy::Off);
    let query = "SELECT id FROM v WHERE abs(a) = 2 ORDER BY id";
    {
        let db = Database::open_with(&dir.0, options.clone()).unwrap();
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER);
             CREATE INDEX t_abs ON t(abs(t.a));
             INSERT INTO t VALUES (1, 2), (2, 3), (3, -2);
             ALTER TABLE t RENAME TO v;",
        )
        .unwrap();
        assert!(uses_index(&conn, query, "t_abs"));
        conn.execute("CHECKPOINT", ()).unwrap();
    }
    let db = Database::open_with(&dir.0, options).unwrap();
    let conn = db.connect();
    let rows = conn.query(query, ()).unwrap().into_values();
    assert_eq!(rows, vec![vec![Value::Integer(1)], vec![Value::Integer(3)]]);
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 't_abs'",
            (),
            |row| row.get(0),
        )
        .unwrap();
    assert!(sql.contains("abs(v.a)"), "{sql}");
}
