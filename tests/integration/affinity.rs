//! Column affinity and collations through the API: parameters compared with a column's
//! affinity (and still a key lookup for `id = ?`), collations and NUMERIC affinity surviving
//! a reopen from the WAL and from a checkpoint, and the errors of unsupported or unknown
//! collations. (SQL-level cases: tests/slt/affinity.slt and collate.slt.)

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Value};

fn ints(conn: &Connection, sql: &str, params: &[Value]) -> Vec<i64> {
    let rows = conn.query(sql, params).unwrap();
    rows.values()
        .iter()
        .map(|row| match row[0] {
            Value::Integer(i) => i,
            ref other => panic!("not an integer: {other:?}"),
        })
        .collect()
}

fn explain(conn: &Connection, sql: &str, params: &[Value]) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), params).unwrap();
    rows.values()
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn parameters_compare_with_the_columns_affinity() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, s TEXT);
         INSERT INTO t VALUES (1, 1, '1'), (2, 2, '10'), (5, 5, 'x');",
    )
    .unwrap();
    let text = |s: &str| Value::Text(s.into());
    let sql = "SELECT id FROM t WHERE id = ?";
    assert_eq!(ints(&conn, sql, &[text("5")]), [5]);
    assert_eq!(ints(&conn, sql, &[Value::Integer(5)]), [5]);
    assert_eq!(ints(&conn, sql, &[Value::Real(5.0)]), [5]);
    assert_eq!(ints(&conn, sql, &[text("5.5")]), Vec::<i64>::new());
    assert!(explain(&conn, sql, &[Value::Integer(5)]).contains("KeyLookup"));
    assert_eq!(
        ints(&conn, "SELECT id FROM t WHERE i = ?", &[text("2")]),
        [2]
    );
    assert_eq!(
        ints(&conn, "SELECT id FROM t WHERE s = ?", &[Value::Integer(10)]),
        [2]
    );
    assert_eq!(
        ints(
            &conn,
            "SELECT id FROM t WHERE i IN (?, ?) ORDER BY id",
            &[text("1"), text("5")]
        ),
        [1, 5]
    );
}

#[test]
fn collations_and_affinities_survive_reopen() {
    let dir = TempDir::new("affinity-reopen");
    let check = |db: &Database| {
        let conn = db.connect();
        assert_eq!(
            ints(&conn, "SELECT count(*) FROM t WHERE c = 'ABC'", &[]),
            [2]
        );
        assert_eq!(
            ints(&conn, "SELECT count(*) FROM t WHERE r = 'x'", &[]),
            [2]
        );
        assert_eq!(
            ints(
                &conn,
                "SELECT count(*) FROM t WHERE typeof(n) = 'integer'",
                &[]
            ),
            [2]
        );
        assert_eq!(ints(&conn, "SELECT count(DISTINCT c) FROM t", &[]), [1]);
    };
    {
        let db = Database::open(&dir.0).unwrap();
        db.connect()
            .execute_batch(
                "CREATE TABLE t(id INTEGER PRIMARY KEY, c TEXT COLLATE NOCASE,
                                r TEXT COLLATE RTRIM, n NUMERIC);
                 INSERT INTO t VALUES (1, 'abc', 'x ', '1.0'), (2, 'Abc', 'x', 2.0);",
            )
            .unwrap();
        check(&db);
    }
    // From the WAL.
    let db = Database::open(&dir.0).unwrap();
    check(&db);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    // From the checkpoint.
    let db = Database::open(&dir.0).unwrap();
    check(&db);
    // NUMERIC affinity still converts after the reopen.
    let conn = db.connect();
    conn.execute("INSERT INTO t VALUES (3, 'x', 'y', '7.0')", ())
        .unwrap();
    assert_eq!(
        ints(
            &conn,
            "SELECT n FROM t WHERE id = 3 AND typeof(n) = 'integer'",
            &[]
        ),
        [7]
    );
}

#[test]
fn collation_errors_name_the_cause() {
    let db = Database::in_memory();
    let conn = db.connect();
    let error = conn
        .query("SELECT 'a' = 'A' COLLATE french", ())
        .unwrap_err();
    assert_eq!(error.message(), "no such collation sequence: french");
    conn.execute("CREATE TABLE t(a TEXT COLLATE NOCASE, b TEXT)", ())
        .unwrap();
    // Unique keys under a collation follow it (tests/slt/unique_collate.slt).
    conn.execute("CREATE UNIQUE INDEX u ON t(a)", ()).unwrap();
    conn.execute("CREATE UNIQUE INDEX v ON t(b COLLATE NOCASE)", ())
        .unwrap();
    conn.execute("CREATE TABLE k(a TEXT COLLATE NOCASE PRIMARY KEY)", ())
        .unwrap();
    conn.execute("INSERT INTO t VALUES ('x', 'y')", ()).unwrap();
    let unique = conn
        .execute("INSERT INTO t VALUES ('z', 'Y')", ())
        .unwrap_err();
    assert_eq!(unique.kind(), ErrorKind::Constraint, "{unique}");
    // A non-unique index under a collation is accepted.
    conn.execute("CREATE INDEX i ON t(b COLLATE NOCASE)", ())
        .unwrap();
}
