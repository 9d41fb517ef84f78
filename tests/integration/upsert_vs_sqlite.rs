//! INSERT .. ON CONFLICT (DO UPDATE with `excluded.*`, a WHERE on the update, conflicts on
//! the primary key and on unique indexes, several unique constraints, NULLs in unique
//! columns, a key inserted twice in one statement, defaults and coercion) and the RETURNING
//! of INSERT, UPDATE and DELETE (expressions, rowid, `*`, a column returned twice), each
//! statement run on EmberDB and on rusqlite's SQLite from the same rows: the rows returned,
//! the rows changed (or both failing) and every table afterwards must match.

use ember::{Database, Value};

use super::support::{assert_same_answers, both_engines_with_t, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE UNIQUE INDEX t_s ON t(s)",
    "CREATE TABLE d(id INTEGER PRIMARY KEY, v INTEGER DEFAULT 7, w TEXT DEFAULT 'x', \
     n INTEGER NOT NULL DEFAULT 0)",
    "CREATE TABLE k(x TEXT, y INTEGER, v INTEGER, w TEXT, PRIMARY KEY (x, y))",
    "CREATE UNIQUE INDEX k_w ON k(w)",
];

/// Statements run in order on both engines; each leaves state the next ones read.
const STATEMENTS: &[&str] = &[
    // The primary key: excluded values only, then the holder's own columns too.
    "INSERT INTO t VALUES (5, 1, 2, 0.5, 'k5', 'g1') ON CONFLICT(id) DO UPDATE SET \
     b = excluded.b, c = excluded.c",
    "INSERT INTO t VALUES (6, 1, 40, 0.5, 'zz', 'g1') ON CONFLICT(id) DO UPDATE SET \
     b = b + excluded.b, s = s || '-' || excluded.s",
    "INSERT INTO t VALUES (7, 1, 40, 0.5, 'k7', 'g1') ON CONFLICT(id) DO UPDATE SET \
     g = g || excluded.g, a = excluded.a + a, c = c * 2",
    // A new key: a plain insert.
    "INSERT INTO t VALUES (500, 3, 4, 0.25, 'k500', 'g5') ON CONFLICT(id) DO UPDATE SET \
     b = excluded.b",
    // WHERE on the DO UPDATE, over the holder and over the proposed row.
    "INSERT INTO t VALUES (8, 1, 2, 0.5, 'k8', 'gw') ON CONFLICT(id) DO UPDATE SET \
     g = excluded.g WHERE b > 500",
    "INSERT INTO t VALUES (9, 1, 2, 0.5, 'k9', 'gw') ON CONFLICT(id) DO UPDATE SET \
     g = excluded.g WHERE b <= 500",
    "INSERT INTO t VALUES (10, 99, 2, 0.5, 'k10', 'gv') ON CONFLICT(id) DO UPDATE SET \
     g = excluded.g, a = excluded.a WHERE excluded.a > a",
    // A unique index as the target.
    "INSERT INTO t VALUES (1000, 3, 3, 0.1, 'k11', 'gx') ON CONFLICT(s) DO UPDATE SET \
     g = excluded.g || g, a = excluded.a",
    // The proposed row conflicts on the primary key, which is not the target: it fails.
    "INSERT INTO t VALUES (12, 0, 0, 0, 'knew', 'g') ON CONFLICT(s) DO UPDATE SET b = 1",
    // No target: whichever constraint fails.
    "INSERT INTO t VALUES (13, 0, 0, 0, 'k14', 'g') ON CONFLICT DO NOTHING",
    "INSERT INTO t VALUES (1001, 0, 0, 0, 'k15', 'g') ON CONFLICT DO UPDATE SET \
     b = excluded.b + 1000",
    // NULLs in a unique column never conflict.
    "INSERT INTO t VALUES (2000, 1, 1, 0.5, NULL, 'n') ON CONFLICT(s) DO UPDATE SET b = 99",
    "INSERT INTO t VALUES (2001, 1, 1, 0.5, NULL, 'n') ON CONFLICT(s) DO UPDATE SET b = 99",
    // One key twice in one statement: the second row updates the first.
    "INSERT INTO t VALUES (3000, 1, 1, 0.1, 'dup', 'a'), (3000, 2, 2, 0.2, 'dup2', 'b') \
     ON CONFLICT(id) DO UPDATE SET b = excluded.b + b, s = excluded.s",
    "INSERT INTO t SELECT id + 5000, a, b, c, s || 'z', g FROM t WHERE id < 20 \
     ON CONFLICT(id) DO UPDATE SET g = excluded.g",
    "INSERT INTO t SELECT id + 5000, a + 1, b, c, s || 'y', 'again' FROM t WHERE id < 30 \
     ON CONFLICT(id) DO UPDATE SET g = excluded.g || g, a = excluded.a",
    "INSERT INTO t(s, id, a) SELECT 'sel' || id, id % 4 + 6000, id FROM t WHERE id < 12 \
     ON CONFLICT(id) DO UPDATE SET a = a + excluded.a, s = excluded.s",
    // Coercion of the proposed row and of the assigned values.
    "INSERT INTO t VALUES ('77', '5', 2, 1, 'k77', 'g') ON CONFLICT(id) DO UPDATE SET \
     a = excluded.a, c = excluded.b, b = '12'",
    // The DO UPDATE breaks a unique index: the statement fails.
    "INSERT INTO t VALUES (9, 1, 2, 0.5, 'k9', 'gw') ON CONFLICT(id) DO UPDATE SET s = 'k20'",
    // Defaults, a partial column list, NOT NULL.
    "INSERT INTO d(id) VALUES (1), (2)",
    "INSERT INTO d(id) VALUES (1) ON CONFLICT(id) DO UPDATE SET v = v + 1",
    "INSERT INTO d(id) VALUES (1) ON CONFLICT(id) DO UPDATE SET v = v + 1, n = n + v",
    "INSERT INTO d(w, id) VALUES ('q', 2) ON CONFLICT(id) DO UPDATE SET \
     w = excluded.w || excluded.v || w",
    "INSERT INTO d(id, n) VALUES (2, 5) ON CONFLICT(id) DO UPDATE SET n = NULL",
    "INSERT INTO d(id, v) VALUES (3, NULL) ON CONFLICT(id) DO NOTHING",
    // A composite primary key and a unique index on another table.
    "INSERT INTO k VALUES ('a', 1, 1, 'w1'), ('a', 2, 2, 'w2'), ('b', 1, 3, NULL)",
    "INSERT INTO k VALUES ('a', 1, 10, 'w9') ON CONFLICT(x, y) DO UPDATE SET \
     v = v + excluded.v, w = excluded.w",
    "INSERT INTO k VALUES ('c', 9, 5, 'w2') ON CONFLICT(w) DO UPDATE SET v = excluded.y",
    "INSERT INTO k VALUES ('b', 1, 4, NULL) ON CONFLICT(x, y) DO UPDATE SET v = v * 10",
    // Several clauses: the first whose target names the conflict takes it, the targets
    // checked in clause order; the last clause may name none.
    "INSERT INTO t VALUES (18, 7, 7, 0.5, 'k5', 'gm') ON CONFLICT(id) DO UPDATE SET \
     b = excluded.b + b ON CONFLICT(s) DO UPDATE SET g = 'by s'",
    "INSERT INTO t VALUES (7000, 7, 7, 0.5, 'k19', 'gm'), (19, 1, 1, 0.5, 'k7000', 'g') \
     ON CONFLICT(s) DO UPDATE SET g = excluded.g || '+s' ON CONFLICT DO UPDATE SET \
     g = 'any' RETURNING id, g",
    "INSERT INTO k VALUES ('a', 2, 20, 'w1') ON CONFLICT(w) DO NOTHING ON CONFLICT(x, y) \
     DO UPDATE SET v = excluded.v",
    // RETURNING from an upsert: updated rows, inserted rows, skipped rows.
    "INSERT INTO t VALUES (14, 1, 1, 0.5, 'k14x', 'g') ON CONFLICT(id) DO UPDATE SET \
     b = b * 2 RETURNING id, b, s, rowid, b + 1",
    "INSERT INTO t VALUES (15, 1, 1, 0.5, 'k15x', 'g'), (4000, 2, 2, 0.5, 'k4000', 'h') \
     ON CONFLICT(id) DO UPDATE SET g = excluded.g || g RETURNING *",
    "INSERT INTO t VALUES (16, 1, 1, 0.5, 'k16', 'g') ON CONFLICT(id) DO NOTHING RETURNING *",
    "INSERT INTO t VALUES (17, 1, 1, 0.5, 'k17', 'g') ON CONFLICT(id) DO UPDATE SET \
     b = 3 WHERE b < 0 RETURNING id",
    "INSERT INTO t VALUES (4001, 2, 2, 0.5, 'k4001', 'h') RETURNING s, s, upper(s), id",
    "INSERT INTO d(id) VALUES (1) ON CONFLICT(id) DO UPDATE SET w = 'r' RETURNING w, v, n",
    // RETURNING from DELETE and UPDATE.
    "DELETE FROM t WHERE id BETWEEN 30 AND 39 RETURNING id, s, s || g, rowid",
    "DELETE FROM t WHERE a = 3 RETURNING *",
    "DELETE FROM t WHERE id IN (41, 42) RETURNING id, id, b",
    "DELETE FROM t WHERE id BETWEEN 43 AND 45 RETURNING s, upper(s), *, id",
    "DELETE FROM t WHERE s = 'k46' RETURNING c * 2, g",
    "DELETE FROM t WHERE id = 999999 RETURNING *",
    "UPDATE t SET b = 1 WHERE id < 5 RETURNING id, b, id, s",
    "UPDATE t SET s = s || '!' WHERE id BETWEEN 50 AND 52 RETURNING s, length(s), rowid",
    "DELETE FROM k WHERE x = 'a' RETURNING x, y, v, w",
];

/// Queries whose answers describe the tables (`t` through its indexes too).
const CHECKS: &[&str] = &[
    "SELECT id, a, b, c, s, g FROM t ORDER BY id",
    "SELECT s, id FROM t WHERE s >= '' ORDER BY s, id",
    "SELECT a, count(*), sum(id) FROM t WHERE a BETWEEN -100000 AND 100000 GROUP BY a \
     ORDER BY a",
    "SELECT id, v, w, n FROM d ORDER BY id",
    "SELECT x, y, v, w FROM k ORDER BY x, y",
];

fn assert_same_state(ember: &ember::Connection, sqlite: &rusqlite::Connection, after: &str) {
    assert_same_answers(ember, sqlite, CHECKS, after);
}

fn setup() -> (Database, rusqlite::Connection) {
    both_engines_with_t(SCHEMA, 200)
}

#[test]
fn upserts_and_returning_answer_as_sqlite_does() {
    let (db, sqlite) = setup();
    let ember = db.connect();
    assert_same_state(&ember, &sqlite, "the fill");
    for sql in STATEMENTS {
        let returns = sql.contains("RETURNING");
        let (ours, theirs) = if returns {
            let sorted = |rows: Result<Vec<Vec<Value>>, String>| {
                rows.map(|mut rows| {
                    rows.sort_by(|a, b| format!("{a:?}").cmp(&format!("{b:?}")));
                    rows
                })
            };
            (
                sorted(ember_rows(&ember, sql)).map(|rows| format!("{rows:?}")),
                sorted(sqlite_rows(&sqlite, sql)).map(|rows| format!("{rows:?}")),
            )
        } else {
            (
                ember
                    .execute(sql, ())
                    .map(|n| n.to_string())
                    .map_err(|e| e.to_string()),
                sqlite
                    .execute(sql, [])
                    .map(|n| n.to_string())
                    .map_err(|e| e.to_string()),
            )
        };
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{sql}"),
            (Err(_), Err(_)) => {}
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
        assert_same_state(&ember, &sqlite, sql);
    }
}

/// A DO UPDATE whose SET reads none of the holder's columns, one row after another in one
/// statement and in one transaction: each update must see the row the one before it wrote.
#[test]
fn repeated_upserts_of_one_key_build_on_each_other() {
    let (db, sqlite) = setup();
    let ember = db.connect();
    let statements = [
        "BEGIN",
        "INSERT INTO t VALUES (1, 1, 1, 0.5, 'k1', 'a'), (1, 2, 2, 0.5, 'k1', 'b'), \
         (1, 3, 3, 0.5, 'k1', 'c') ON CONFLICT(id) DO UPDATE SET g = excluded.g, \
         b = excluded.b",
        "INSERT INTO t VALUES (1, 4, 4, 0.5, 'k1', 'd') ON CONFLICT(s) DO UPDATE SET \
         b = b * 10 + excluded.b",
        "INSERT INTO t VALUES (2, 4, 4, 0.5, 'k2', 'd'), (2, 5, 5, 0.5, 'k2', 'e') \
         ON CONFLICT(id) DO UPDATE SET s = s || excluded.g",
        "COMMIT",
    ];
    for sql in statements {
        let ours = ember.execute(sql, ()).unwrap();
        let theirs = sqlite.execute(sql, []).unwrap();
        // (SQLite's count after BEGIN and COMMIT is the previous statement's.)
        if sql.starts_with("INSERT") {
            assert_eq!(ours, theirs, "{sql}");
        }
        assert_same_state(&ember, &sqlite, sql);
    }
}

/// Conflict targets whose terms name a collation (`email COLLATE NOCASE`: it must be the one
/// the unique key keys that part under, or nothing matches) or a sort order (ignored), over
/// unique indexes on columns and on expressions and over a primary key with a collation.
#[test]
fn conflict_targets_with_collations_and_sort_orders_answer_as_sqlite() {
    let (db, sqlite) = super::support::both_engines(&[
        "CREATE TABLE u(id INTEGER PRIMARY KEY, email TEXT, n INT)",
        "CREATE UNIQUE INDEX u_email ON u(email COLLATE NOCASE)",
        "CREATE TABLE w(k TEXT COLLATE NOCASE PRIMARY KEY, v INT)",
        "CREATE TABLE x(a TEXT COLLATE NOCASE, b INT, UNIQUE(a, b))",
        "CREATE TABLE y(a TEXT, b INT)",
        "CREATE UNIQUE INDEX y_l ON y(lower(a) COLLATE NOCASE)",
        "CREATE TABLE v(a INT, b INT, c INT)",
        "CREATE UNIQUE INDEX v_ab ON v(a DESC, b)",
    ]);
    let ember = db.connect();
    let statements = [
        "INSERT INTO u(email, n) VALUES ('a@x', 1)",
        "INSERT INTO u(email, n) VALUES ('A@X', 2) ON CONFLICT(email COLLATE NOCASE) \
         DO UPDATE SET n = n + 10",
        "INSERT INTO u(email, n) VALUES ('A@X', 3) ON CONFLICT(email) DO UPDATE SET n = n + 100",
        "INSERT INTO u(email, n) VALUES ('A@X', 4) ON CONFLICT(email COLLATE BINARY) \
         DO UPDATE SET n = 0",
        "INSERT INTO u(email, n) VALUES ('A@X', 5) ON CONFLICT(email COLLATE rtrim) DO NOTHING",
        "INSERT INTO u(email, n) VALUES ('b@x', 6) ON CONFLICT(email ASC) DO NOTHING",
        "INSERT INTO w VALUES ('a', 1)",
        "INSERT INTO w VALUES ('A', 2) ON CONFLICT(k COLLATE NOCASE) DO UPDATE SET v = v + 10",
        "INSERT INTO w VALUES ('A', 2) ON CONFLICT(k COLLATE BINARY) DO UPDATE SET v = 0",
        "INSERT INTO w VALUES ('A', 3) ON CONFLICT(k DESC) DO UPDATE SET v = v + 1000",
        "INSERT INTO x VALUES ('q', 1)",
        "INSERT INTO x VALUES ('Q', 1) ON CONFLICT(b, a COLLATE nocase) DO UPDATE SET b = 7",
        "INSERT INTO x VALUES ('Q', 7) ON CONFLICT(a, b) DO UPDATE SET b = 8",
        "INSERT INTO x VALUES ('Q', 8) ON CONFLICT(a COLLATE BINARY, b) DO UPDATE SET b = 9",
        "INSERT INTO y VALUES ('Q', 1)",
        "INSERT INTO y VALUES ('q', 2) ON CONFLICT(lower(a) COLLATE nocase) DO UPDATE SET b = 9",
        "INSERT INTO y VALUES ('q', 2) ON CONFLICT(lower(a)) DO UPDATE SET b = b + 1",
        "INSERT INTO y VALUES ('q', 2) ON CONFLICT(lower(a) COLLATE binary) DO NOTHING",
        "INSERT INTO v VALUES (1, 2, 3)",
        "INSERT INTO v VALUES (1, 2, 4) ON CONFLICT(a DESC, b) DO UPDATE SET c = excluded.c",
        "INSERT INTO v VALUES (1, 2, 5) ON CONFLICT(a, b ASC) DO UPDATE SET c = excluded.c",
        "INSERT INTO v VALUES (1, 2, 6) ON CONFLICT(b DESC, a DESC) DO UPDATE SET c = c + 1",
    ];
    let checks = [
        "SELECT id, email, n FROM u ORDER BY id",
        "SELECT k, v FROM w ORDER BY k",
        "SELECT a, b FROM x ORDER BY a, b",
        "SELECT a, b FROM y ORDER BY a",
        "SELECT a, b, c FROM v ORDER BY a, b",
    ];
    for sql in statements {
        let ours = ember.execute(sql, ()).map_err(|e| e.to_string());
        let theirs = sqlite.execute(sql, []).map_err(|e| e.to_string());
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(*ours, *theirs, "{sql}"),
            (Err(ours), Err(theirs)) => assert_eq!(ours, theirs, "{sql}"),
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
        assert_same_answers(&ember, &sqlite, &checks, sql);
    }
}

/// An INSERT with several upsert clauses takes parameters in its rows; in the clauses
/// (bound from their own text) they are refused by name.
#[test]
fn several_upsert_clauses_take_parameters_in_their_rows() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE p(k INTEGER PRIMARY KEY, u TEXT UNIQUE, n INTEGER)")
        .unwrap();
    let sql = "INSERT INTO p VALUES (?1, ?2, 1) ON CONFLICT(k) DO UPDATE SET n = n + 1 \
               ON CONFLICT(u) DO NOTHING";
    for (key, unique) in [(1, "a"), (1, "b"), (2, "a"), (3, "c")] {
        conn.execute(sql, (key, unique)).unwrap();
    }
    assert_eq!(
        ember_rows(&conn, "SELECT k, u, n FROM p ORDER BY k").unwrap(),
        vec![
            vec![
                Value::Integer(1),
                Value::Text("a".into()),
                Value::Integer(2)
            ],
            vec![
                Value::Integer(3),
                Value::Text("c".into()),
                Value::Integer(1)
            ],
        ]
    );
    let error = conn
        .execute(
            "INSERT INTO p VALUES (4, 'd', 1) ON CONFLICT(k) DO UPDATE SET n = ?1 \
             ON CONFLICT DO NOTHING",
            [5],
        )
        .unwrap_err();
    assert!(error.to_string().contains("not supported"), "{error}");
}
