//! Writes into tables with indexes on expressions and partial indexes whose expressions fail
//! on the written row, run on EmberDB and on rusqlite's SQLite from the same script: the
//! INSERT (of values, row by row, in batches, copied from another table), UPDATE, upsert and
//! CREATE INDEX fail with the expression's error, SQLite's message, and change nothing.

use ember::{Connection, Database};

use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, data TEXT, n TEXT)",
    "CREATE INDEX t_a ON t(json_extract(data, '$.a'))",
    "CREATE INDEX t_live ON t(n) WHERE json_extract(n, '$') >= 0",
    "CREATE TABLE src(id INTEGER PRIMARY KEY, data TEXT, n TEXT)",
    "INSERT INTO src VALUES (10, '{\"a\":10}', 10), (11, 'bad', 11)",
    "CREATE TABLE good(id INTEGER PRIMARY KEY, data TEXT, n TEXT)",
    "INSERT INTO good VALUES (20, '{\"a\":20}', 20), (21, '[1]', 21)",
];

/// What both engines hold after each statement.
const CHECKS: &[&str] = &[
    "SELECT * FROM t ORDER BY id",
    "SELECT id FROM t WHERE json_extract(data, '$.a') = 1",
    "SELECT id FROM t WHERE json_extract(n, '$') >= 0 AND n = 3 ORDER BY id",
];

/// Runs `sql` on both engines: both succeed, or both fail with the same message.
fn run_both(ember: &Connection, sqlite: &rusqlite::Connection, sql: &str) -> Option<String> {
    let ours = ember.execute(sql, ());
    let theirs = sqlite.execute(sql, []);
    match (ours, theirs) {
        (Ok(_), Ok(_)) => None,
        (Err(ours), Err(theirs)) => {
            assert_eq!(ours.message(), theirs.to_string(), "{sql}");
            Some(ours.message().to_string())
        }
        (ours, theirs) => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
    }
}

#[test]
fn a_write_whose_index_expression_fails_fails_as_in_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    let statements: &[(&str, Option<&str>)] = &[
        ("INSERT INTO t VALUES (1, '{\"a\":1}', 1)", None),
        (
            "INSERT INTO t VALUES (2, 'not json', 2)",
            Some("malformed JSON"),
        ),
        // The row before the failing one goes too: the statement is undone.
        (
            "INSERT INTO t VALUES (3, '{\"a\":3}', 3), (4, 'bad', 4)",
            Some("malformed JSON"),
        ),
        (
            "INSERT OR IGNORE INTO t VALUES (5, 'bad', 5)",
            Some("malformed JSON"),
        ),
        (
            "INSERT OR REPLACE INTO t VALUES (1, 'bad', 1)",
            Some("malformed JSON"),
        ),
        ("INSERT INTO t VALUES (3, '{\"a\":3}', 3)", None),
        // Not a constraint: OR FAIL keeps no row, OR IGNORE skips none.
        (
            "INSERT OR FAIL INTO t VALUES (7, '{}', 7), (8, 'bad', 8)",
            Some("malformed JSON"),
        ),
        (
            "UPDATE OR IGNORE t SET data = 'bad' WHERE id = 3",
            Some("malformed JSON"),
        ),
        (
            "UPDATE OR REPLACE t SET data = 'bad' WHERE id = 3",
            Some("malformed JSON"),
        ),
        (
            "UPDATE t SET data = 'bad' WHERE id = 1",
            Some("malformed JSON"),
        ),
        ("UPDATE t SET data = data || '' , n = n + 1", None),
        (
            "INSERT INTO t VALUES (1, '{}', 0) ON CONFLICT(id) DO UPDATE SET data = 'x'",
            Some("malformed JSON"),
        ),
        (
            "INSERT INTO t VALUES (1, '{}', 0) ON CONFLICT(id) DO UPDATE SET data = '{\"a\":2}'",
            None,
        ),
        // A query's rows in batches, and another table's rows copied as encoded.
        (
            "INSERT INTO t(id, data, n) SELECT id + 100, data, n FROM src",
            Some("malformed JSON"),
        ),
        ("INSERT INTO t SELECT * FROM src", Some("malformed JSON")),
        ("INSERT INTO t SELECT * FROM good", None),
        // A partial index's WHERE that fails (on a text that is not JSON).
        (
            "INSERT INTO t VALUES (6, '{}', 'x')",
            Some("malformed JSON"),
        ),
        ("UPDATE t SET n = 'x' WHERE id = 3", Some("malformed JSON")),
        ("UPDATE t SET n = '7' WHERE id = 3", None),
    ];
    for (sql, expected) in statements {
        let error = run_both(&conn, &sqlite, sql);
        assert_eq!(error.as_deref(), *expected, "{sql}");
        assert_same_answers(&conn, &sqlite, CHECKS, sql);
    }
    let plans = [
        "INSERT INTO t(id, data, n) SELECT id + 100, data, n FROM src",
        "INSERT INTO t SELECT * FROM src",
    ]
    .map(|sql| explain(&conn, sql, &[]).join("\n"));
    assert!(plans[0].contains("InsertBatch"), "{}", plans[0]);
    assert!(plans[1].contains("InsertCopy"), "{}", plans[1]);
}

#[test]
fn create_index_over_a_row_whose_expression_fails_creates_nothing() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE u(id INTEGER PRIMARY KEY, data TEXT, n TEXT)",
        "INSERT INTO u VALUES (1, '{\"a\":1}', 1), (2, 'bad', 'x')",
    ]);
    let conn = db.connect();
    let refused = [
        (
            "CREATE INDEX u_a ON u(json_extract(data, '$.a'))",
            "malformed JSON",
        ),
        (
            "CREATE UNIQUE INDEX u_a ON u(id, json_extract(data, '$.a'))",
            "malformed JSON",
        ),
        (
            "CREATE INDEX u_a ON u(id) WHERE json_extract(n, '$') > 0",
            "malformed JSON",
        ),
    ];
    for (sql, message) in refused {
        assert_eq!(run_both(&conn, &sqlite, sql).as_deref(), Some(message));
        assert_eq!(conn.query("PRAGMA index_list(u)", ()).unwrap().len(), 0);
    }
    // The failing row gone, the same index is created; deleted rows do not count.
    run_both(&conn, &sqlite, "DELETE FROM u WHERE id = 2");
    for (sql, _) in refused {
        assert_eq!(run_both(&conn, &sqlite, sql), None, "{sql}");
        run_both(&conn, &sqlite, "DROP INDEX u_a");
    }
}

#[test]
fn a_key_derived_in_an_explicit_transaction_fails_its_statement_only() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, data TEXT);
         CREATE UNIQUE INDEX t_a ON t(json_extract(data, '$.a'));
         BEGIN;
         INSERT INTO t VALUES (1, '{\"a\":1}');",
    )
    .unwrap();
    let error = conn
        .execute("INSERT INTO t VALUES (2, '{\"a\":2}'), (3, '{')", ())
        .unwrap_err();
    assert_eq!(error.message(), "malformed JSON");
    conn.execute("INSERT INTO t VALUES (2, '{\"a\":2}')", ())
        .unwrap();
    conn.execute("UPDATE t SET data = data || '' WHERE id = 2", ())
        .unwrap();
    conn.execute("INSERT INTO t VALUES (5, NULL)", ()).unwrap();
    conn.execute("UPDATE t SET data = 'bad' WHERE id = 5", ())
        .unwrap_err();
    conn.execute("COMMIT", ()).unwrap();
    // CREATE INDEX over the transaction's own row whose expression fails.
    conn.execute_batch(
        "BEGIN;
         ALTER TABLE t ADD COLUMN note TEXT;
         INSERT INTO t VALUES (6, NULL, 'bad');",
    )
    .unwrap();
    let error = conn
        .execute("CREATE INDEX t_note ON t(json_extract(note, '$'))", ())
        .unwrap_err();
    assert_eq!(error.message(), "malformed JSON");
    conn.execute("DELETE FROM t WHERE id = 6", ()).unwrap();
    conn.execute("CREATE INDEX t_note ON t(json_extract(note, '$'))", ())
        .unwrap();
    conn.execute("COMMIT", ()).unwrap();
    let rows = conn
        .query("SELECT id FROM t WHERE json_extract(data, '$.a') = 2", ())
        .unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!(conn.query("SELECT * FROM t", ()).unwrap().len(), 3);
    assert_eq!(conn.query("PRAGMA index_list(t)", ()).unwrap().len(), 2);
}

#[test]
fn on_conflict_targets_name_an_index_by_its_expressions_as_in_sqlite() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, name TEXT, gone INT)",
        "CREATE UNIQUE INDEX users_email ON users(lower(email))",
        "CREATE UNIQUE INDEX users_live ON users(name) WHERE gone IS NULL",
        "CREATE INDEX users_upper ON users(upper(email))",
        "CREATE UNIQUE INDEX users_pair ON users(substr(name, 1, 1), id + 1)",
    ]);
    let conn = db.connect();
    let no_match = Some("ON CONFLICT clause does not match any PRIMARY KEY or UNIQUE constraint");
    let statements: &[(&str, Option<&str>)] = &[
        ("INSERT INTO users VALUES (1, 'A@x', 'ann', NULL)", None),
        (
            "INSERT INTO users VALUES (2, 'a@X', 'bob', NULL) ON CONFLICT(lower(email)) \
             DO UPDATE SET name = excluded.name || '!'",
            None,
        ),
        (
            "INSERT INTO users VALUES (3, 'A@X', 'cy', NULL) ON CONFLICT (LOWER(users.email)) \
             DO NOTHING",
            None,
        ),
        (
            "INSERT INTO users VALUES (4, 'b@x', 'bob!', NULL) ON CONFLICT(name) \
             WHERE gone IS NULL DO UPDATE SET gone = 1 WHERE users.gone IS NULL",
            None,
        ),
        (
            "INSERT INTO users VALUES (5, 'c@x', 'bob!', NULL) ON CONFLICT(name) DO NOTHING",
            no_match,
        ),
        (
            "INSERT INTO users VALUES (5, 'c@x', 'dan', NULL) ON CONFLICT(name) WHERE gone \
             IS NOT NULL DO NOTHING",
            no_match,
        ),
        (
            "INSERT INTO users VALUES (5, 'A@X', 'dan', NULL) ON CONFLICT(upper(email)) \
             DO NOTHING",
            no_match,
        ),
        (
            "INSERT INTO users VALUES (5, 'A@X', 'dan', NULL) ON CONFLICT(lower(name)) \
             DO NOTHING",
            no_match,
        ),
        // An index that is not partial ignores the target's WHERE clause.
        (
            "INSERT INTO users VALUES (5, 'a@x', 'dan', NULL) ON CONFLICT(lower(email)) \
             WHERE 1 DO UPDATE SET email = excluded.email",
            None,
        ),
        (
            "INSERT INTO users VALUES (1, 'z@x', 'eve', NULL) ON CONFLICT(id) WHERE 1 \
             DO UPDATE SET gone = 2",
            None,
        ),
        // Parts in another order; the target's conflict taken, another index's refused.
        (
            "INSERT INTO users VALUES (0, 'e@x', 'bea', NULL) ON CONFLICT(id + 1, \
             substr(name, 1, 1)) DO UPDATE SET email = 'E@X'",
            None,
        ),
        (
            "INSERT INTO users VALUES (6, 'E@x', 'fay', NULL) ON CONFLICT(id + 1, \
             substr(name, 1, 1)) DO NOTHING",
            Some("UNIQUE constraint failed: index 'users_email'"),
        ),
    ];
    for (sql, expected) in statements {
        let error = run_both(&conn, &sqlite, sql);
        assert_eq!(error.as_deref(), *expected, "{sql}");
        assert_same_answers(&conn, &sqlite, &["SELECT * FROM users ORDER BY id"], sql);
    }
    let plan = explain(
        &conn,
        "INSERT INTO users VALUES (7, 'g@x', 'gil', NULL) ON CONFLICT(lower(email)) DO NOTHING",
        &[],
    )
    .join("\n");
    assert!(
        plan.contains("upsert on (users_email) do nothing"),
        "{plan}"
    );
}

#[test]
fn a_trigger_body_keeps_its_expression_conflict_target_as_written() {
    let conn = Database::in_memory().connect();
    let trigger = "CREATE TRIGGER tr AFTER INSERT ON log BEGIN INSERT INTO users(email, n) \
                   VALUES (new.e, 'it''s') ON CONFLICT(lower(email)) WHERE 1 DO UPDATE SET \
                   n = n || '!'; END";
    conn.execute_batch(
        "CREATE TABLE users(id INTEGER PRIMARY KEY, email TEXT, n TEXT);
         CREATE UNIQUE INDEX users_email ON users(lower(email));
         CREATE TABLE log(e TEXT);",
    )
    .unwrap();
    conn.execute(trigger, ()).unwrap();
    conn.execute("INSERT INTO log VALUES ('A'), ('a'), ('b')", ())
        .unwrap();
    let rows = conn
        .query("SELECT email, n FROM users ORDER BY id", ())
        .unwrap()
        .into_values();
    let text = |value: &str| ember::Value::Text(value.into());
    assert_eq!(
        rows,
        vec![
            vec![text("A"), text("it's!")],
            vec![text("b"), text("it's")]
        ]
    );
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_schema WHERE name = 'tr'",
            (),
            |row| row.get(0),
        )
        .unwrap();
    assert_eq!(sql, trigger);
}
