//! Scalar expressions end to end: error messages for bad calls, EXPLAIN text of the new
//! expression forms, and deep or hostile expressions that must fail cleanly.

use ember::{Database, ErrorKind, Value};

fn conn() -> ember::Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, s TEXT);
         INSERT INTO t VALUES (1, 1, 'abc'), (2, NULL, NULL), (3, 3, 'a%c');",
    )
    .unwrap();
    conn
}

fn one(conn: &ember::Connection, sql: &str) -> Value {
    let rows = conn.query(sql, ()).unwrap();
    let row = rows.into_iter().next().expect("one row");
    row.get::<Value>(0).unwrap()
}

#[test]
fn bad_calls_name_the_function() {
    let conn = conn();
    for (sql, kind, message) in [
        (
            "SELECT abs(1, 2)",
            ErrorKind::InvalidInput,
            "wrong number of arguments to function abs()",
        ),
        (
            "SELECT substr('a')",
            ErrorKind::InvalidInput,
            "wrong number of arguments to function substr()",
        ),
        (
            "SELECT coalesce(a) FROM t",
            ErrorKind::InvalidInput,
            "wrong number of arguments to function coalesce()",
        ),
        (
            "SELECT no_such_fn(1)",
            ErrorKind::NotFound,
            "no such function: no_such_fn",
        ),
        (
            "SELECT 'a' LIKE 'a' ESCAPE 'xy'",
            ErrorKind::InvalidInput,
            "ESCAPE expression must be a single character",
        ),
        (
            "SELECT abs(-9223372036854775807 - 1)",
            ErrorKind::InvalidInput,
            "integer overflow",
        ),
        (
            "SELECT printf('%2000000000d', 1)",
            ErrorKind::Limit,
            "printf result exceeds",
        ),
    ] {
        let error = conn.query(sql, ()).map(|_| ()).unwrap_err();
        assert_eq!(error.kind(), kind, "{sql}: {error}");
        assert!(error.message().contains(message), "{sql}: {error}");
    }
}

#[test]
fn explain_prints_the_new_forms() {
    let conn = conn();
    let rows = conn
        .query(
            "EXPLAIN SELECT CASE WHEN a BETWEEN 1 AND 2 THEN CAST(a AS TEXT) END FROM t \
             WHERE a NOT IN (1, NULL) AND s LIKE 'a%'",
            (),
        )
        .unwrap();
    let text: Vec<String> = rows.into_iter().map(|row| row.get(0).unwrap()).collect();
    let text = text.join("\n");
    for fragment in [
        "CASE WHEN (a BETWEEN 1 AND 2) THEN CAST(a AS TEXT) END",
        "(a NOT IN (1, NULL))",
        "like('a%', s)",
    ] {
        assert!(text.contains(fragment), "{fragment} missing in\n{text}");
    }
}

#[test]
fn predicates_filter_with_three_valued_logic() {
    let conn = conn();
    let ids = |sql: &str| -> Vec<i64> {
        conn.query(sql, ())
            .unwrap()
            .into_iter()
            .map(|row| row.get(0).unwrap())
            .collect()
    };
    assert_eq!(
        ids("SELECT id FROM t WHERE a IN (1, 3) ORDER BY id"),
        [1, 3]
    );
    assert_eq!(
        ids("SELECT id FROM t WHERE a NOT IN (1, NULL)"),
        Vec::<i64>::new()
    );
    assert_eq!(ids("SELECT id FROM t WHERE a NOT BETWEEN 2 AND 5"), [1]);
    assert_eq!(
        ids("SELECT id FROM t WHERE s NOT LIKE 'a\\%c' ESCAPE '\\'"),
        [1]
    );
    assert_eq!(
        one(
            &conn,
            "SELECT CASE a WHEN 1 THEN 'one' END FROM t WHERE id = 2"
        ),
        Value::Null
    );
    assert_eq!(
        one(&conn, "SELECT coalesce(a, -1) FROM t WHERE id = 2"),
        Value::Integer(-1)
    );
}

#[test]
fn deep_and_wide_expressions_fail_cleanly_or_work() {
    let conn = conn();
    let depth = ember::limits::EXPR_DEPTH_MAX * 2;
    let nested_case = format!(
        "SELECT {}1{}",
        "CASE WHEN 1 THEN ".repeat(depth),
        " END".repeat(depth)
    );
    let nested_abs = format!("SELECT {}1{}", "abs(".repeat(depth), ")".repeat(depth));
    for sql in [&nested_case, &nested_abs] {
        // The parser's recursion guard may surface as a syntax error when it backtracks.
        let error = conn.query(sql, ()).map(|_| ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Limit | ErrorKind::Syntax),
            "{error}"
        );
    }
    let shallow = ember::limits::EXPR_DEPTH_MAX / 4;
    let nested_case = format!(
        "SELECT {}1{}",
        "CASE WHEN 1 THEN ".repeat(shallow),
        " END".repeat(shallow)
    );
    assert_eq!(one(&conn, &nested_case), Value::Integer(1));
    let wide_in = format!(
        "SELECT 4999 IN ({})",
        (0..5000)
            .map(|i| i.to_string())
            .collect::<Vec<_>>()
            .join(", ")
    );
    assert_eq!(one(&conn, &wide_in), Value::Boolean(true));
    let minuses = format!("SELECT {}1", "- ".repeat(100_000));
    let tildes = format!("SELECT {}1", "~".repeat(100_000));
    for sql in [&minuses, &tildes] {
        let error = conn.query(sql, ()).map(|_| ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::Limit | ErrorKind::Syntax),
            "{error}"
        );
    }
    let concat_chain = format!("SELECT length('a'{})", " || 'a'".repeat(150));
    assert_eq!(one(&conn, &concat_chain), Value::Integer(151));
    for (sql, expected) in [
        ("SELECT 1 << 99999999999", Value::Integer(0)),
        ("SELECT -1 >> 99999999999", Value::Integer(-1)),
        ("SELECT -1 >> -99999999999", Value::Integer(0)),
        ("SELECT NULL ISNULL ISNULL", Value::Boolean(false)),
        // `||` binds tighter than `*` in SQLite: 2 * '34'.
        ("SELECT 2 * 3 || 4", Value::Integer(68)),
    ] {
        assert_eq!(one(&conn, sql), expected, "{sql}");
    }
    // A pathological LIKE pattern stays polynomial.
    let text = "a".repeat(2000);
    let pattern = format!("{}b", "%a".repeat(50));
    let sql = format!("SELECT '{text}' LIKE '{pattern}'");
    assert_eq!(one(&conn, &sql), Value::Boolean(false));
}
