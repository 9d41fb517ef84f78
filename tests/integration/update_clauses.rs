//! UPDATE OR ... and UPDATE ... FROM beyond what the .slt files say: their EXPLAIN plans,
//! prepared statements run with several parameter sets, and results and change counts
//! checked against SQLite in the same test (a target row joining several FROM rows, OR
//! REPLACE chains).

use ember::{Connection, Database, Value};

fn plan(conn: &Connection, sql: &str) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
    rows.values()
        .iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("plan line {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const SETUP: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, k INT UNIQUE, v INT);
     CREATE TABLE s(id INTEGER PRIMARY KEY, tk INT, w INT);
     CREATE TABLE r(sid INT, z INT);
     INSERT INTO t VALUES (1, 10, 0), (2, 20, 0), (3, 30, 0), (4, 40, 0);
     INSERT INTO s VALUES (1, 10, 5), (2, 20, 6), (3, 20, 7), (4, 99, 8);
     INSERT INTO r VALUES (1, 100), (2, 200), (3, 300);";

fn setup() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(SETUP).unwrap();
    conn
}

fn sqlite() -> rusqlite::Connection {
    let conn = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(SETUP).unwrap();
    conn
}

fn ember_ints(conn: &Connection, sql: &str) -> Vec<Vec<i64>> {
    let rows = conn.query(sql, ()).unwrap();
    rows.values()
        .iter()
        .map(|row| {
            row.iter()
                .map(|value| match value {
                    Value::Integer(i) => *i,
                    other => panic!("{other:?}"),
                })
                .collect()
        })
        .collect()
}

fn sqlite_ints(conn: &rusqlite::Connection, sql: &str) -> Vec<Vec<i64>> {
    let mut statement = conn.prepare(sql).unwrap();
    let width = statement.column_count();
    statement
        .query_map([], |row| (0..width).map(|i| row.get::<_, i64>(i)).collect())
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn explain_shows_the_conflict_clause_and_the_from_join() {
    let conn = setup();
    assert_eq!(
        plan(&conn, "UPDATE OR REPLACE t SET k = k + 1 WHERE id = 2"),
        "Update or replace t set k = (k + 1)\n└─ KeyLookup t (id = 2) filter (id = 2)"
    );
    assert_eq!(
        plan(
            &conn,
            "UPDATE t SET v = s.w FROM s WHERE s.tk = t.k AND s.w > 5 AND t.id < 3"
        ),
        "Update t set v = s.w\n\
         └─ UpdateFrom hash (t.k = s.tk)\n   \
            └─ KeyRange t (id < 3) filter (t.id < 3)\n   \
            └─ Scan s filter (s.w > 5)"
    );
    // `r` (no PRIMARY KEY) has its implicit rowid first: the join's rows are s's, then r's.
    assert_eq!(
        plan(
            &conn,
            "UPDATE OR IGNORE t SET v = r.z FROM s JOIN r ON r.sid = s.id \
             WHERE s.tk = t.k AND r.z > t.v"
        ),
        "Update or ignore t set v = r.z\n\
         └─ UpdateFrom hash (t.k = s.tk) on (r.z > t.v)\n   \
            └─ Scan t\n   \
            └─ Project #3, #4, #5, #0, #1, #2\n      \
               └─ IndexJoin s using primary key (s.id = r.sid)\n         \
                  └─ Scan r\n         \
                  └─ Scan s"
    );
}

#[test]
fn prepared_update_from_runs_with_each_parameter_set() {
    let conn = setup();
    let mut update = conn
        .prepare("UPDATE t SET v = v + s.w * ? FROM s WHERE s.tk = t.k AND s.id = ?")
        .unwrap();
    assert_eq!(update.execute((1, 1)).unwrap(), 1);
    assert_eq!(update.execute((10, 4)).unwrap(), 0);
    assert_eq!(update.execute((100, 2)).unwrap(), 1);
    let mut or_ignore = conn
        .prepare("UPDATE OR IGNORE t SET k = ? WHERE id = ? RETURNING id, k")
        .unwrap();
    assert_eq!(or_ignore.query_all((20, 1)).unwrap().len(), 0);
    assert_eq!(or_ignore.query_all((21, 1)).unwrap().len(), 1);
    assert_eq!(
        ember_ints(&conn, "SELECT id, k, v FROM t ORDER BY id"),
        [[1, 21, 5], [2, 20, 600], [3, 30, 0], [4, 40, 0]]
    );
}

/// A target row joining several FROM rows is updated once, with the last FROM row's values
/// as SQLite leaves them: the row count and the rows match SQLite's.
#[test]
fn a_row_joining_several_from_rows_counts_once() {
    let conn = setup();
    let lite = sqlite();
    let select = "SELECT id, k, v FROM t ORDER BY id";
    for sql in [
        "UPDATE t SET v = s.w FROM s WHERE s.tk = t.k",
        "UPDATE t SET v = v + 1 FROM s",
        "UPDATE t SET v = v + s.w FROM s WHERE s.tk >= t.k",
    ] {
        let changed = conn.execute(sql, ()).unwrap();
        assert_eq!(changed, lite.execute(sql, []).unwrap(), "{sql}");
        assert_eq!(
            ember_ints(&conn, select),
            sqlite_ints(&lite, select),
            "{sql}"
        );
    }
    let v: i64 = conn
        .query_value("SELECT v FROM t WHERE id = 2", ())
        .unwrap();
    assert_eq!(v, 7 + 1 + 8);
}

#[test]
fn or_clauses_agree_with_sqlite() {
    let statements = [
        "UPDATE OR REPLACE t SET k = k + 10",
        "UPDATE OR IGNORE t SET k = k - 10",
        "UPDATE OR REPLACE t SET id = id + 1 WHERE id < 3",
        "UPDATE OR IGNORE t SET v = s.w, k = s.tk FROM s WHERE s.id = t.id",
        "UPDATE OR REPLACE t SET k = s.tk FROM s WHERE s.id = t.id + 1",
    ];
    let conn = setup();
    let lite = sqlite();
    for sql in statements {
        let changed = conn.execute(sql, ()).unwrap();
        assert_eq!(changed, lite.execute(sql, []).unwrap(), "{sql}");
        let select = "SELECT id, k, v FROM t ORDER BY id";
        assert_eq!(
            ember_ints(&conn, select),
            sqlite_ints(&lite, select),
            "{sql}"
        );
    }
}
