//! Top-k sorts (a `Sort` under a `Limit` kept as a bounded heap): the plans EXPLAIN shows,
//! answers equal to SQLite's (parameters, NULLs, mixed directions) and to a full stable
//! sort's (ties keep input order), and the statement row cap counting only kept rows.

use ember::{Connection, Database, ErrorKind, Options, Value};

use crate::support::explain;

fn table(conn: &Connection) {
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, score INT, g INT)",
        (),
    )
    .unwrap();
}

#[test]
fn explain_shows_top_k_under_a_limit() {
    let conn = Database::in_memory().connect();
    table(&conn);
    assert_eq!(
        explain(&conn, "SELECT * FROM t ORDER BY score DESC LIMIT 10", &[]),
        [
            "Limit 10",
            "└─ Project id, name, score, g",
            "   └─ TopK 10 score DESC",
            "      └─ Scan t",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT name FROM t WHERE score > 3 ORDER BY score, name DESC LIMIT ? OFFSET 5",
            &[Value::Integer(2)]
        ),
        [
            "Limit $1",
            "└─ Project name",
            "   └─ TopK $1 offset 5 score ASC, name DESC",
            "      └─ Scan t filter (score > 3)",
        ]
    );
    // A compound's ORDER BY is a sort under the LIMIT directly.
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM t UNION ALL SELECT g FROM t ORDER BY 1 LIMIT 2",
            &[]
        )[..2],
        ["Limit 2", "└─ TopK 2 id ASC"]
    );
}

#[test]
fn other_limits_keep_the_full_sort() {
    let conn = Database::in_memory().connect();
    table(&conn);
    // DISTINCT needs every row before it can count: the bounded sort runs above it, over
    // the distinct rows only (`optimize/distinct_sort.rs`).
    let plan = explain(
        &conn,
        "SELECT DISTINCT name FROM t ORDER BY name LIMIT 3",
        &[],
    );
    assert_eq!(
        plan[1..3],
        ["└─ TopK 3 name ASC", "   └─ Distinct"],
        "{plan:?}"
    );
    for sql in [
        // A LIMIT evaluated twice could differ.
        "SELECT id FROM t ORDER BY id LIMIT abs(random() % 3)",
        "SELECT id FROM t ORDER BY id LIMIT (SELECT count(*) FROM t)",
        "SELECT id FROM t ORDER BY id",
    ] {
        let plan = explain(&conn, sql, &[]).join("\n");
        // Ordered by the clustered key, a walk in key order needs no sort at all.
        let ordered = plan.contains("Sort") || plan.contains("KeyOrder");
        assert!(ordered && !plan.contains("TopK"), "{sql}:\n{plan}");
    }
}

/// Rows with many ties, NULLs, reals and texts, inserted in a scrambled id order.
fn fill(conn: &Connection, sqlite: &rusqlite::Connection, rows: i64) {
    let schema = "CREATE TABLE u(id INTEGER PRIMARY KEY, a INT, b REAL, c TEXT, pad TEXT)";
    conn.execute(schema, ()).unwrap();
    sqlite.execute(schema, ()).unwrap();
    for i in 0..rows {
        let id = (i * 7919) % rows;
        let a = if i % 11 == 0 {
            "NULL".to_string()
        } else {
            ((i * 31) % 17).to_string()
        };
        let b = if i % 13 == 0 {
            "NULL".to_string()
        } else {
            format!("{}.5", (i * 17) % 23)
        };
        let c = if i % 7 == 0 {
            "NULL".to_string()
        } else {
            format!("'{}'", ["x", "Y", "y", "ab", "AB", ""][(i % 6) as usize])
        };
        let sql = format!("INSERT INTO u VALUES ({id}, {a}, {b}, {c}, 'pad{i}')");
        conn.execute(&sql, ()).unwrap();
        sqlite.execute(&sql, ()).unwrap();
    }
}

fn ember_rows(conn: &Connection, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    conn.query(sql, params).unwrap().values().to_vec()
}

fn sqlite_rows(sqlite: &rusqlite::Connection, sql: &str, params: &[Value]) -> Vec<Vec<Value>> {
    let params: Vec<rusqlite::types::Value> = params
        .iter()
        .map(|value| match value {
            Value::Integer(i) => rusqlite::types::Value::Integer(*i),
            Value::Null => rusqlite::types::Value::Null,
            other => panic!("unexpected parameter {other:?}"),
        })
        .collect();
    let mut statement = sqlite.prepare(sql).unwrap();
    let width = statement.column_count();
    let rows = statement
        .query_map(rusqlite::params_from_iter(params), |row| {
            (0..width)
                .map(|i| {
                    Ok(match row.get::<_, rusqlite::types::Value>(i)? {
                        rusqlite::types::Value::Null => Value::Null,
                        rusqlite::types::Value::Integer(i) => Value::Integer(i),
                        rusqlite::types::Value::Real(r) => Value::Real(r),
                        rusqlite::types::Value::Text(t) => Value::Text(t),
                        rusqlite::types::Value::Blob(b) => Value::Blob(b),
                    })
                })
                .collect::<rusqlite::Result<Vec<Value>>>()
        })
        .unwrap();
    rows.map(Result::unwrap).collect()
}

#[test]
fn answers_equal_sqlites_with_parameters_and_a_unique_tiebreaker() {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    fill(&conn, &sqlite, 300);
    let orders = [
        "a DESC, id",
        "a, b DESC, id DESC",
        "c, a DESC NULLS FIRST, id",
        "c COLLATE NOCASE DESC, b NULLS LAST, id",
        "b * 2 - a, id DESC",
        "length(c) DESC, pad",
    ];
    for order in orders {
        for filter in ["", "WHERE a > 3", "WHERE c IS NOT NULL AND b < 10"] {
            let sql = format!("SELECT id, a, c FROM u {filter} ORDER BY {order} LIMIT ? OFFSET ?");
            for (limit, offset) in [
                (0, 0),
                (1, 0),
                (5, 3),
                (40, 0),
                (7, 290),
                (1000, 0),
                (-1, 250),
                // The top-k skips the OFFSET itself: none, negative, past the rows, with
                // LIMIT 0.
                (3, -2),
                (10, 500),
                (0, 5),
            ] {
                let params = [Value::Integer(limit), Value::Integer(offset)];
                assert_eq!(
                    ember_rows(&conn, &sql, &params),
                    sqlite_rows(&sqlite, &sql, &params),
                    "{sql} with LIMIT {limit} OFFSET {offset}"
                );
            }
        }
    }
}

#[test]
fn ties_keep_the_order_of_a_full_stable_sort() {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    fill(&conn, &sqlite, 400);
    for (order, source) in [
        ("a", "u"),
        ("a DESC", "u"),
        ("c COLLATE NOCASE, a DESC", "u"),
        ("b", "u WHERE a IS NOT NULL"),
        // A non-scan input (the generic path): a subquery with its own order.
        ("a", "(SELECT * FROM u ORDER BY pad DESC)"),
        ("x", "(SELECT a % 3 AS x, id, pad FROM u)"),
    ] {
        let full = ember_rows(
            &conn,
            &format!("SELECT id, pad FROM {source} ORDER BY {order}"),
            &[],
        );
        for (limit, offset) in [(1, 0), (10, 0), (10, 37), (150, 5), (500, 0)] {
            let sql = format!(
                "SELECT id, pad FROM {source} ORDER BY {order} LIMIT {limit} OFFSET {offset}"
            );
            let expected: Vec<Vec<Value>> = full.iter().skip(offset).take(limit).cloned().collect();
            assert_eq!(ember_rows(&conn, &sql, &[]), expected, "{sql}");
        }
    }
}

#[test]
fn the_row_cap_counts_only_the_rows_kept() {
    let db = Database::in_memory_with(Options::new().statement_rows_max(10));
    let conn = db.connect();
    conn.execute("CREATE TABLE r(x INT)", ()).unwrap();
    for i in 0..5 {
        let values: Vec<String> = (0..10).map(|j| format!("({})", i * 10 + j)).collect();
        conn.execute(&format!("INSERT INTO r VALUES {}", values.join(", ")), ())
            .unwrap();
    }
    let top: Vec<Vec<Value>> = ember_rows(&conn, "SELECT x FROM r ORDER BY x DESC LIMIT 3", &[]);
    assert_eq!(
        top,
        [
            [Value::Integer(49)],
            [Value::Integer(48)],
            [Value::Integer(47)]
        ]
    );
    let error = conn
        .query("SELECT x FROM r ORDER BY x DESC LIMIT 8 OFFSET 5", ())
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    let error = conn
        .query("SELECT x FROM r ORDER BY x LIMIT 'many'", ())
        .map(|_| ())
        .unwrap_err();
    assert!(error.message().contains("LIMIT"), "{error}");
}
