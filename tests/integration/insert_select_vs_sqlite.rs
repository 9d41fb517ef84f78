//! INSERT .. SELECT under every conflict policy, with DELETE ranges between them, run on
//! EmberDB and on rusqlite's SQLite from the same rows: the rows changed (or both failing),
//! the rows returned and every table afterwards (`t` read through both its indexes too)
//! must match. Covers a source that reads the table written (rows past the clustered
//! keys, far past them, and onto existing keys), REPLACE that deletes rows holding a unique
//! index's key as well as the primary key, IGNORE, a statement failing midway (its rows
//! undone), a rolled-back transaction, column lists in another order, a composite primary
//! key, bursts of rows inserted and deleted again round after round, and `last_insert_rowid()`
//! in a source row.

use ember::{Database, Value};

use super::support::{assert_same_answers, both_engines_with_t, ember_rows, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE UNIQUE INDEX t_s ON t(s)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, x REAL)",
    "CREATE TABLE k(x TEXT, y INTEGER, v INTEGER, w TEXT, PRIMARY KEY (x, y))",
    "CREATE UNIQUE INDEX k_w ON k(w)",
];

/// Statements run in order on both engines; each leaves state the next ones read.
const STATEMENTS: &[&str] = &[
    // Far past the clustered keys, then deleted again, twice.
    "INSERT INTO t SELECT id + 10000000, a, b, c, s || '+', g FROM t WHERE id BETWEEN 10 AND 59",
    "DELETE FROM t WHERE id > 10000000",
    "INSERT INTO t SELECT id + 10000000, a, b, c, s || '+', g FROM t WHERE id BETWEEN 10 AND 59",
    "DELETE FROM t WHERE id > 10000000",
    // The same rows over themselves: REPLACE deletes each holder and inserts it again.
    "INSERT OR REPLACE INTO t SELECT * FROM t WHERE id BETWEEN 30 AND 80",
    // New keys whose `s` is held by other rows: REPLACE deletes those rows instead.
    "INSERT OR REPLACE INTO t SELECT id + 1000, a + 1, b, c, s, 'moved' FROM t \
     WHERE id BETWEEN 100 AND 119",
    // Both: the key held by one row, the text by another.
    "INSERT OR REPLACE INTO t SELECT id - 1, a, b, c, s, 'both' FROM t \
     WHERE id BETWEEN 1110 AND 1115",
    // IGNORE skips the rows whose key or text is held.
    "INSERT OR IGNORE INTO t SELECT id + 1, a, b, c, s || '-i', g FROM t WHERE id < 40",
    "INSERT OR IGNORE INTO t SELECT id + 5000, a, b, c, s, g FROM t WHERE id < 40",
    // A plain insert that hits a held key midway: the statement fails, nothing stays.
    "INSERT INTO t SELECT id + 190, a, b, c, s || '-f', g FROM t WHERE id BETWEEN 1 AND 30",
    "INSERT INTO t SELECT id + 3000, a, b, c, s, g FROM t WHERE id BETWEEN 1 AND 30",
    // Column lists in another order, defaults for the rest, an empty source.
    "INSERT INTO t(g, s, id) SELECT 'g' || id, 'list' || id, id + 20000 FROM t WHERE id < 25",
    "INSERT INTO t(s, a) SELECT 'auto' || id, id FROM t WHERE id BETWEEN 20 AND 24",
    "INSERT INTO t SELECT * FROM t WHERE id < 0",
    // From another table, and RETURNING.
    "INSERT INTO u SELECT id, id * 3, 0.5 FROM t WHERE id BETWEEN 100 AND 139",
    "DELETE FROM u WHERE id BETWEEN 100 AND 119 RETURNING id, t_id",
    "INSERT INTO u SELECT id, id * 3, 0.25 FROM t WHERE id BETWEEN 100 AND 129 \
     ON CONFLICT DO NOTHING RETURNING id, x",
    "INSERT OR REPLACE INTO u SELECT id, id * 5, 1.5 FROM t WHERE id BETWEEN 125 AND 145 \
     RETURNING id, t_id, x",
    // A composite primary key and a unique index: REPLACE over either, both, and neither.
    "INSERT INTO k SELECT 'x' || (id % 7), id, a, 'w' || id FROM t WHERE id BETWEEN 1 AND 60",
    "INSERT OR REPLACE INTO k SELECT 'x' || (id % 7), id, a + 100, 'v' || id FROM t \
     WHERE id BETWEEN 50 AND 70",
    "INSERT OR REPLACE INTO k SELECT 'x' || (id % 7), id + 1, 0, 'w' || id FROM t \
     WHERE id BETWEEN 5 AND 15",
    "INSERT OR REPLACE INTO k VALUES ('x3', 3, 9, 'v55'), ('x0', 1000, 9, NULL), \
     ('x0', 1000, 10, NULL)",
    "REPLACE INTO k(y, x) SELECT y, x FROM k WHERE v = 9",
    "BEGIN",
    "INSERT OR REPLACE INTO k SELECT x, y, -v, w FROM k WHERE y < 30",
    "ROLLBACK",
    // An index range deleted and put back.
    "CREATE TABLE keep AS SELECT * FROM t WHERE a BETWEEN 3 AND 5",
    "DELETE FROM t WHERE a BETWEEN 3 AND 5",
    "INSERT INTO t SELECT * FROM keep",
    // Rolled back: nothing of it stays.
    "BEGIN",
    "INSERT INTO t SELECT id + 40000, a, b, c, s || '-r', g FROM t WHERE id < 100",
    "INSERT OR REPLACE INTO t SELECT id, a * 2, b, c, s, 'rolled' FROM t WHERE id < 100",
    "DELETE FROM t WHERE a = 2",
    "ROLLBACK",
];

/// Queries whose answers describe the tables (`t` through its indexes too).
const CHECKS: &[&str] = &[
    "SELECT id, a, b, c, s, g FROM t ORDER BY id",
    "SELECT s, id FROM t WHERE s >= '' ORDER BY s, id",
    "SELECT a, count(*), sum(id) FROM t WHERE a BETWEEN -100000 AND 100000 GROUP BY a \
     ORDER BY a",
    "SELECT id, t_id, x FROM u ORDER BY id",
    "SELECT x, y, v, w FROM k ORDER BY x, y",
    "SELECT w, x, y FROM k WHERE w >= '' ORDER BY w",
];

fn assert_same_state(ember: &ember::Connection, sqlite: &rusqlite::Connection, after: &str) {
    assert_same_answers(ember, sqlite, CHECKS, after);
}

/// Runs `sql` on both engines and checks they agree on its outcome and the state after.
fn run_both(ember: &ember::Connection, sqlite: &rusqlite::Connection, sql: &str) {
    let (ours, theirs) = if sql.contains("RETURNING") {
        let sorted = |rows: Result<Vec<Vec<Value>>, String>| {
            rows.map(|mut rows| {
                rows.sort_by_key(|row| format!("{row:?}"));
                format!("{rows:?}")
            })
        };
        (
            sorted(ember_rows(ember, sql)),
            sorted(sqlite_rows(sqlite, sql)),
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
    // (SQLite's count after BEGIN, COMMIT and ROLLBACK is the previous statement's.)
    let counted = !matches!(sql, "BEGIN" | "COMMIT" | "ROLLBACK") && !sql.starts_with("CREATE");
    match (&ours, &theirs) {
        (Ok(ours), Ok(theirs)) if counted => assert_eq!(ours, theirs, "{sql}"),
        (Ok(_), Ok(_)) | (Err(_), Err(_)) => {}
        _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
    }
    assert_same_state(ember, sqlite, sql);
}

fn setup() -> (Database, rusqlite::Connection) {
    both_engines_with_t(SCHEMA, 300)
}

#[test]
fn inserts_from_queries_answer_as_sqlite_does() {
    let (db, sqlite) = setup();
    let ember = db.connect();
    assert_same_state(&ember, &sqlite, "the fill");
    for sql in STATEMENTS {
        run_both(&ember, &sqlite, sql);
    }
}

/// A burst of rows past the clustered keys inserted and deleted again, round after round,
/// with REPLACE of a key range between: every round ends as SQLite's does.
#[test]
fn bursts_inserted_and_deleted_again_end_as_in_sqlite() {
    let (db, sqlite) = setup();
    let ember = db.connect();
    for round in 0..30 {
        let first = 1 + round * 7 % 200;
        let statements = [
            format!(
                "INSERT INTO t SELECT id + 10000000, a, b, c, s || '+', g FROM t \
                 WHERE id BETWEEN {first} AND {}",
                first + 90
            ),
            format!(
                "INSERT OR REPLACE INTO t SELECT id, a, b + {round}, c, s, g FROM t \
                 WHERE id BETWEEN {first} AND {}",
                first + 40
            ),
            "DELETE FROM t WHERE id > 10000000".to_string(),
        ];
        for sql in &statements {
            run_both(&ember, &sqlite, sql);
        }
    }
}

/// A source projection reading `last_insert_rowid()` sees the row before it go in when
/// SQLite hands the rows on as they are made (a LIMIT / OFFSET over the projection
/// included), and the value before the statement when SQLite makes them all first (a sort,
/// grouping, a read of the target, a subquery).
#[test]
fn last_insert_rowid_in_a_source_row_reads_as_in_sqlite() {
    let schema = [
        "CREATE TABLE a(x INTEGER)",
        "CREATE TABLE b(l INTEGER, x INTEGER)",
        "CREATE TABLE p(id INTEGER PRIMARY KEY, l INTEGER, x INTEGER NOT NULL CHECK (x > 0))",
        "INSERT INTO a VALUES (10), (20), (30)",
        "CREATE TABLE fires(v INTEGER)",
        "CREATE TRIGGER fires_copy AFTER INSERT ON fires BEGIN \
         INSERT INTO b SELECT last_insert_rowid(), x FROM a; END",
    ];
    // (`last_insert_rowid()` is the connection's: the first row set here.)
    let statements = [
        "INSERT INTO p VALUES (100, 0, 1)",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a",
        "INSERT INTO b SELECT last_insert_rowid() + 1, x FROM a WHERE x > 10",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM b",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a ORDER BY x DESC",
        "INSERT INTO b SELECT last_insert_rowid(), max(x) FROM a GROUP BY x % 2",
        "INSERT INTO b SELECT (SELECT last_insert_rowid()), x FROM a",
        "INSERT INTO b SELECT last_insert_rowid(), a.x FROM a JOIN a AS c ON c.x = a.x",
        "INSERT INTO b SELECT last_insert_rowid(), value FROM json_each('[1, 2, 3]')",
        "INSERT INTO b SELECT last_insert_rowid(), 7",
        "INSERT INTO p (l, x) SELECT last_insert_rowid(), x FROM a",
        "INSERT INTO p (l, x) SELECT last_insert_rowid(), x - 20 FROM a",
        // A LIMIT / OFFSET over the projection: SQLite counts the rows it hands on.
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT 2",
        "INSERT INTO b SELECT last_insert_rowid() * 10, x FROM a LIMIT 2 OFFSET 1",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT 0",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT -1 OFFSET 2",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT '2'",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT 5 OFFSET 10",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a ORDER BY x LIMIT 2",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM (SELECT x FROM a LIMIT 2)",
        "INSERT INTO p (l, x) SELECT last_insert_rowid(), x FROM a LIMIT 2 OFFSET 1",
        "INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT 'two'",
        "INSERT INTO fires VALUES (1)",
    ];
    let (ember_db, sqlite) = super::support::both_engines(&schema);
    let ember = ember_db.connect();
    let checks = [
        "SELECT rowid, l, x FROM b ORDER BY rowid",
        "SELECT id, l, x FROM p ORDER BY id",
        "SELECT last_insert_rowid()",
    ];
    for sql in statements {
        let (ours, theirs) = (ember.execute(sql, ()), sqlite.execute(sql, []));
        assert_eq!(ours.is_ok(), theirs.is_ok(), "{sql}: {ours:?} / {theirs:?}");
        assert_same_answers(&ember, &sqlite, &checks, sql);
    }
}

/// EXPLAIN names the write the optimizer chose for a source projection reading
/// `last_insert_rowid()`: each row projected as it goes in when the source's rows stream
/// into a table without triggers, the rows made first otherwise (in batches where nothing
/// else needs the row-by-row write).
#[test]
fn explain_names_the_inserts_that_project_each_row() {
    let conn = ember::Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE a(x INTEGER); CREATE TABLE b(l INTEGER, x INTEGER);
         CREATE TABLE c(l INTEGER, x INTEGER);
         CREATE TRIGGER c_seen AFTER INSERT ON c BEGIN SELECT 1; END;",
    )
    .unwrap();
    let first_line = |sql: &str| super::support::explain(&conn, sql, &[]).remove(0);
    assert_eq!(
        first_line("INSERT INTO b SELECT last_insert_rowid(), x FROM a"),
        "InsertProjected b"
    );
    assert_eq!(
        first_line("INSERT INTO b SELECT last_insert_rowid(), x FROM a LIMIT 2 OFFSET 1"),
        "InsertProjected b"
    );
    assert_eq!(
        first_line("INSERT INTO b SELECT last_insert_rowid(), x FROM a ORDER BY x"),
        "InsertBatch b"
    );
    assert_eq!(
        first_line("INSERT INTO b SELECT last_insert_rowid(), x FROM a ORDER BY x LIMIT 2"),
        "InsertBatch b"
    );
    assert_eq!(
        first_line("INSERT INTO c SELECT last_insert_rowid(), x FROM a"),
        "Insert c"
    );
    assert_eq!(
        first_line("INSERT INTO b SELECT 1, x FROM a"),
        "InsertBatch b"
    );
}
