//! The JSON functions end to end: SQLite's error messages (`malformed JSON`, `bad JSON
//! path: '...'`, argument errors), the nesting limit, EXPLAIN of json_each / json_tree
//! (plain and joined laterally), JSONB's errors and bounds, and what is refused by name
//! (other table-valued functions). Results themselves are checked against SQLite in
//! tests/slt/json.slt and tests/slt/jsonb.slt.

use ember::{Database, ErrorKind, Value};

fn conn() -> ember::Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE docs(id INTEGER PRIMARY KEY, doc TEXT);
         INSERT INTO docs VALUES (1, '{\"tags\":[\"a\",\"b\"]}'), (2, '[1,2]');",
    )
    .unwrap();
    conn
}

fn one(conn: &ember::Connection, sql: &str) -> Value {
    let rows = conn.query(sql, ()).unwrap();
    let row = rows.into_iter().next().expect("one row");
    row.get::<Value>(0).unwrap()
}

fn explain(conn: &ember::Connection, sql: &str) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
    rows.into_iter()
        .map(|row| row.get::<String>(0).unwrap())
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn errors_carry_sqlites_messages() {
    let conn = conn();
    for (sql, kind, message) in [
        (
            "SELECT json('[1,')",
            ErrorKind::InvalidInput,
            "malformed JSON",
        ),
        (
            "SELECT json('{a:1}')",
            ErrorKind::Unsupported,
            "not supported: JSON5 (SQLite's extended JSON syntax: comments, unquoted keys, \
             trailing commas, ...)",
        ),
        (
            "SELECT json('[1 2]')",
            ErrorKind::InvalidInput,
            "malformed JSON",
        ),
        (
            "SELECT json_extract('[1]', 'x')",
            ErrorKind::InvalidInput,
            "bad JSON path: 'x'",
        ),
        (
            "SELECT json_extract('[1]', '$[#-x]')",
            ErrorKind::InvalidInput,
            "bad JSON path: '$[#-x]'",
        ),
        (
            "SELECT json_set('{}', '$.a')",
            ErrorKind::InvalidInput,
            "json_set() needs an odd number of arguments",
        ),
        (
            "SELECT json_object('a')",
            ErrorKind::InvalidInput,
            "json_object() requires an even number of arguments",
        ),
        (
            "SELECT json_object(1, 2)",
            ErrorKind::InvalidInput,
            "json_object() labels must be TEXT",
        ),
        (
            "SELECT json_valid('[1]', 0)",
            ErrorKind::InvalidInput,
            "FLAGS parameter to json_valid() must be between 1 and 15",
        ),
        (
            "SELECT json('[1]', 2)",
            ErrorKind::InvalidInput,
            "wrong number of arguments to function json()",
        ),
        (
            "SELECT json_group_array(1, 2)",
            ErrorKind::InvalidInput,
            "wrong number of arguments to function json_group_array()",
        ),
        (
            "SELECT * FROM json_each('[1]', '$', 3)",
            ErrorKind::InvalidInput,
            "wrong number of arguments to table-valued function json_each()",
        ),
        (
            "SELECT * FROM json_each('{')",
            ErrorKind::InvalidInput,
            "malformed JSON",
        ),
        (
            "SELECT json(x'2b2331')",
            ErrorKind::InvalidInput,
            "malformed JSON",
        ),
        (
            "SELECT json_array(x'3132')",
            ErrorKind::InvalidInput,
            "JSON cannot hold BLOB values",
        ),
        (
            "SELECT jsonb_set('{}', '$.a', x'00ff')",
            ErrorKind::InvalidInput,
            "JSON cannot hold BLOB values",
        ),
        (
            "SELECT jsonb_object('a')",
            ErrorKind::InvalidInput,
            "jsonb_object() requires an even number of arguments",
        ),
        (
            "SELECT * FROM carray(1, 3)",
            ErrorKind::Unsupported,
            "not supported: table-valued function carray",
        ),
    ] {
        let error = conn.query(sql, ()).unwrap_err();
        assert_eq!(error.kind(), kind, "{sql}: {error}");
        assert_eq!(error.message(), message, "{sql}");
    }
}

#[test]
fn nesting_is_bounded_by_the_limit() {
    let conn = conn();
    let depth = ember::limits::JSON_DEPTH_MAX;
    let nested = |depth: usize| format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let sql = format!("SELECT json_valid('{}')", nested(depth));
    assert_eq!(one(&conn, &sql), Value::Integer(1));
    let sql = format!("SELECT json_valid('{}')", nested(depth + 1));
    assert_eq!(one(&conn, &sql), Value::Integer(0));
    let sql = format!("SELECT json('{}')", nested(100_000));
    let error = conn.query(&sql, ()).unwrap_err();
    assert_eq!(error.message(), "malformed JSON");
    // json_tree walks a document at the limit without trouble.
    let sql = format!("SELECT count(*) FROM json_tree('{}')", nested(depth));
    assert_eq!(one(&conn, &sql), Value::Integer(depth as i64));
    // JSONB is bounded alike: 1000 levels are read, 1001 are malformed.
    let jsonb = |depth: usize| {
        let mut blob = vec![0x0b];
        for _ in 1..depth {
            let mut outer = vec![0xeb];
            outer.extend_from_slice(&(blob.len() as u32).to_be_bytes());
            outer.extend_from_slice(&blob);
            blob = outer;
        }
        Value::Blob(blob)
    };
    let valid: i64 = conn
        .query_value("SELECT json_valid(?1, 8)", [jsonb(depth)])
        .unwrap();
    assert_eq!(valid, 1);
    let length: i64 = conn
        .query_value("SELECT length(json(?1))", [jsonb(depth)])
        .unwrap();
    assert_eq!(length, 2 * depth as i64);
    let error = conn
        .query("SELECT json(?1)", [jsonb(depth + 1)])
        .unwrap_err();
    assert_eq!(error.message(), "malformed JSON");
}

#[test]
fn explain_shows_table_functions() {
    let conn = conn();
    let plan = explain(&conn, "SELECT value FROM json_each('[1,2]')");
    assert!(plan.contains("TableFunction json_each('[1,2]')"), "{plan}");
    let plan = explain(
        &conn,
        "SELECT d.id, j.value FROM docs AS d, json_each(d.doc) AS j WHERE d.id = 1",
    );
    assert!(
        plan.contains("LateralTableFunction json_each(d.doc)"),
        "{plan}"
    );
    assert!(plan.contains("KeyLookup docs (id = 1)"), "{plan}");
    let plan = explain(
        &conn,
        "SELECT d.id FROM docs AS d LEFT JOIN json_tree(d.doc) AS j ON j.atom = 1",
    );
    assert!(
        plan.contains("LeftLateralTableFunction json_tree(d.doc)"),
        "{plan}"
    );
    let plan = explain(&conn, "SELECT doc -> '$.tags' FROM docs");
    assert!(plan.contains("-> '$.tags')"), "{plan}");
}

#[test]
fn lateral_join_reads_each_row() {
    let conn = conn();
    let rows = conn
        .query(
            "SELECT d.id, j.value FROM docs AS d, json_each(d.doc, '$.tags') AS j \
             WHERE d.id = 1 ORDER BY j.key",
            (),
        )
        .unwrap();
    let values: Vec<(i64, String)> = rows
        .into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect();
    assert_eq!(values, vec![(1, "a".to_string()), (1, "b".to_string())]);
}
