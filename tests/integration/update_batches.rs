//! UPDATE and DELETE statements that write hundreds of rows and assignments of constants (literals
//! and parameters, coerced to their column's type), compared with SQLite: rows changed, errors,
//! RETURNING rows and the whole table after each statement (through a scan and both indexes),
//! inside transactions with savepoints rolled back to and transactions rolled back; and a snapshot
//! taken before them keeps reading the old values.

use ember::Value;

use super::support::{both_engines_with_t, sqlite_rows, to_sqlite};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, \
     g TEXT NOT NULL)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
];

const ROWS: u32 = 3000;

/// Queries whose answers describe the table, also through each index.
const STATE: &[&str] = &[
    "SELECT id, a, b, c, s, g, typeof(b), typeof(c), typeof(s) FROM t ORDER BY id",
    "SELECT a, count(*), sum(id) FROM t WHERE a BETWEEN -100000 AND 100000 GROUP BY a \
     ORDER BY a",
    "SELECT s, id FROM t WHERE s >= '' ORDER BY s, id",
];

/// A statement with its parameters.
type Step = (&'static str, Vec<Value>);

fn step(sql: &'static str) -> Step {
    (sql, Vec::new())
}

/// Runs `sql` on both engines: both fail, or both change the same number of rows (with
/// RETURNING: return the same rows, in any order).
fn run_both(ember: &ember::Connection, sqlite: &rusqlite::Connection, (sql, params): &Step) {
    let sqlite_params = || rusqlite::params_from_iter(params.iter().map(to_sqlite));
    if sql.contains("RETURNING") {
        let mut got = ember.query(sql, params.clone()).unwrap().into_values();
        let mut statement = sqlite.prepare(sql).unwrap();
        let columns = statement.column_count();
        let mut expected: Vec<Vec<Value>> = statement
            .query_map(sqlite_params(), |row| {
                Ok((0..columns)
                    .map(|at| super::support::from_sqlite(row.get_ref(at).unwrap()))
                    .collect())
            })
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        let key = |row: &Vec<Value>| format!("{row:?}");
        got.sort_by_key(key);
        expected.sort_by_key(key);
        assert_eq!(got, expected, "{sql}");
        return;
    }
    let got = ember.execute(sql, params.clone());
    let expected = sqlite.execute(sql, sqlite_params());
    // Only a write's count is compared (SQLite reports the last write's after BEGIN).
    let counts = sql.starts_with("UPDATE") || sql.starts_with("DELETE");
    match (got, expected) {
        (Ok(got), Ok(expected)) if counts => assert_eq!(got, expected, "{sql}"),
        (Ok(_), Ok(_)) => {}
        (Err(_), Err(_)) => {}
        (got, expected) => panic!("{sql}: EmberDB {got:?}, SQLite {expected:?}"),
    }
}

fn assert_same_state(ember: &ember::Connection, sqlite: &rusqlite::Connection, after: &str) {
    for query in STATE {
        let got = ember.query(query, ()).unwrap().into_values();
        assert_eq!(
            got,
            sqlite_rows(sqlite, query).unwrap(),
            "{query} after {after}"
        );
    }
}

/// Each step on both engines, the states compared after each.
fn run_steps(steps: &[Step]) {
    let (db, sqlite) = both_engines_with_t(SCHEMA, ROWS);
    let ember = db.connect();
    for step in steps {
        run_both(&ember, &sqlite, step);
        assert_same_state(&ember, &sqlite, step.0);
    }
}

#[test]
fn constant_assignments_write_what_sqlite_writes() {
    let int = Value::Integer;
    run_steps(&[
        // Integer literal into REAL, text literal into INTEGER, real literal into TEXT.
        step("UPDATE t SET c = 1 WHERE id <= 700"),
        step("UPDATE t SET b = '42' WHERE id > 2400"),
        step("UPDATE t SET s = 12.5 WHERE id BETWEEN 1000 AND 1399"),
        step("UPDATE t SET s = NULL, c = -0.0 WHERE a = 3"),
        // NULL into a NOT NULL column fails at the first row and changes nothing.
        step("UPDATE t SET g = NULL WHERE id >= 10"),
        step("UPDATE t SET g = 'same', a = a + 1 WHERE id % 3 = 0"),
        (
            "UPDATE t SET b = ?, s = ? WHERE id BETWEEN ? AND ?",
            vec![int(77), Value::Text("p".into()), int(1500), int(2100)],
        ),
        (
            "UPDATE t SET c = ?, a = ? WHERE id > ?",
            vec![int(3), Value::Text("9".into()), int(2800)],
        ),
        step("UPDATE t SET b = 5, c = 0.5 WHERE id BETWEEN 10 AND 30 RETURNING id, b, c"),
        step("UPDATE t SET s = 'x' || 1, b = CAST('8' AS INTEGER) WHERE id < 400"),
    ]);
}

#[test]
fn many_row_writes_with_savepoints_and_rollbacks_match_sqlite() {
    run_steps(&[
        step("BEGIN"),
        step("UPDATE t SET c = 0.125 WHERE id <= 2000"),
        step("SAVEPOINT one"),
        step("UPDATE t SET a = -a WHERE id BETWEEN 100 AND 1099"),
        step("UPDATE t SET a = -a WHERE id BETWEEN 100 AND 1099"),
        step("DELETE FROM t WHERE id BETWEEN 1500 AND 2299"),
        step("ROLLBACK TO one"),
        step("UPDATE t SET s = s || 'z', b = 1 WHERE id % 2 = 0"),
        step("SAVEPOINT two"),
        step("UPDATE t SET a = a + 100 WHERE a BETWEEN 2 AND 9"),
        step("RELEASE two"),
        step("COMMIT"),
        step("BEGIN"),
        step("UPDATE t SET b = b + 1, c = 2.5 WHERE id > 500"),
        step("DELETE FROM t WHERE a BETWEEN 100 AND 105"),
        step("ROLLBACK"),
        step("DELETE FROM t WHERE id BETWEEN 600 AND 1800"),
        step("DELETE FROM t WHERE id > 2500 RETURNING id, a, s"),
        step("UPDATE t SET a = 0 WHERE id < 600 RETURNING id, a, b"),
    ]);
}

/// A snapshot taken before many-row updates and deletes (autocommit, each its own
/// transaction) keeps reading what it read, through a scan and through both indexes.
#[test]
fn an_old_snapshot_keeps_its_values_across_many_row_writes() {
    let (db, sqlite) = both_engines_with_t(SCHEMA, ROWS);
    let (writer, holder) = (db.connect(), db.connect());
    holder.execute("BEGIN", ()).unwrap();
    let read = |conn: &ember::Connection| -> Vec<Vec<Vec<Value>>> {
        STATE
            .iter()
            .map(|query| conn.query(query, ()).unwrap().into_values())
            .collect()
    };
    let before = read(&holder);
    for sql in [
        "UPDATE t SET c = 0.125 WHERE id <= 2000",
        "UPDATE t SET a = -a WHERE id BETWEEN 100 AND 1099",
        "UPDATE t SET s = 'same' WHERE id BETWEEN 700 AND 1300",
        "DELETE FROM t WHERE id BETWEEN 1500 AND 2299",
        "UPDATE t SET a = -a WHERE id BETWEEN 100 AND 1099",
    ] {
        run_both(&writer, &sqlite, &step(sql));
        assert_same_state(&writer, &sqlite, sql);
        assert_eq!(read(&holder), before, "the old snapshot after {sql}");
    }
    holder.execute("COMMIT", ()).unwrap();
    writer.execute("VACUUM", ()).unwrap();
    assert_same_state(&writer, &sqlite, "VACUUM");
}
