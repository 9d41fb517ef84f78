//! EXPLAIN ANALYZE: the plan with each operator's actual rows, loops and time, and a last
//! line for the statement; DML runs for real; other statements are refused by name.

use ember::{Database, ErrorKind};

fn explain(conn: &ember::Connection, sql: &str) -> Vec<String> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get::<String>(0).unwrap())
        .collect()
}

/// The `rows=` count on the line that starts (after the tree's drawing) with `operator`.
fn actual_rows(lines: &[String], operator: &str) -> u64 {
    let line = lines
        .iter()
        .find(|line| {
            line.trim_start_matches(['└', '─', ' ', '│'])
                .starts_with(operator)
        })
        .unwrap_or_else(|| panic!("no {operator} line in {lines:#?}"));
    let rows = line.split("actual rows=").nth(1).expect("counted");
    rows.split(' ').next().unwrap().parse().unwrap()
}

#[test]
fn operators_show_the_rows_they_returned() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(a INTEGER PRIMARY KEY, b TEXT); CREATE TABLE u(a INT, c INT);
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 300)
         INSERT INTO u SELECT v % 50, v FROM n;
         INSERT INTO t SELECT v, 'b' || (v % 3)
             FROM (SELECT DISTINCT c AS v FROM u WHERE c <= 100);",
    )
    .unwrap();
    let lines = explain(&conn, "EXPLAIN ANALYZE SELECT * FROM t WHERE a > 90");
    assert_eq!(actual_rows(&lines, "KeyRange t"), 10, "{lines:#?}");
    assert_eq!(actual_rows(&lines, "Project"), 10);
    assert!(
        lines.last().unwrap().starts_with("Execution: 10 rows in "),
        "{lines:#?}"
    );

    let lines = explain(
        &conn,
        "EXPLAIN ANALYZE SELECT t.b, count(*) FROM u JOIN t ON t.a = u.a GROUP BY t.b LIMIT 2",
    );
    // u's 300 rows, of which those with a = 0 (6 rows) find no t row.
    assert_eq!(actual_rows(&lines, "Scan u"), 300, "{lines:#?}");
    assert_eq!(actual_rows(&lines, "Aggregate"), 2, "{lines:#?}");
    assert_eq!(actual_rows(&lines, "Limit"), 2);
    // The same statement without ANALYZE shows the same operators, without counts.
    let plain = explain(
        &conn,
        "EXPLAIN SELECT t.b, count(*) FROM u JOIN t ON t.a = u.a GROUP BY t.b LIMIT 2",
    );
    let stripped: Vec<String> = lines[..lines.len() - 1]
        .iter()
        .map(|line| line.split(" (actual rows=").next().unwrap().to_string())
        .collect();
    assert_eq!(stripped, plain);
}

#[test]
fn dml_runs_and_other_statements_are_refused() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3)")
        .unwrap();
    let lines = explain(&conn, "EXPLAIN ANALYZE DELETE FROM t WHERE a >= 2");
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("Execution: 2 rows changed"),
        "{lines:#?}"
    );
    let left: i64 = conn.query_value("SELECT count(*) FROM t", ()).unwrap();
    assert_eq!(left, 1);
    let error = conn
        .query("EXPLAIN ANALYZE CREATE TABLE z(a)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Unsupported);
    assert!(
        error
            .to_string()
            .contains("EXPLAIN ANALYZE of CREATE TABLE"),
        "{error}"
    );
    // A failing statement under EXPLAIN ANALYZE fails as itself and changes nothing.
    conn.execute_batch("CREATE TABLE k(a INT PRIMARY KEY); INSERT INTO k VALUES (1)")
        .unwrap();
    let error = conn
        .query("EXPLAIN ANALYZE INSERT INTO k VALUES (2), (1)", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Constraint);
    let keys: i64 = conn.query_value("SELECT count(*) FROM k", ()).unwrap();
    assert_eq!(keys, 1);
    // Profiling ended with the failure: a plain EXPLAIN after it has no counts.
    let plain = explain(&conn, "EXPLAIN SELECT * FROM k");
    assert!(
        plain.iter().all(|line| !line.contains("actual rows")),
        "{plain:#?}"
    );
}

#[test]
fn paths_without_an_operator_of_their_own_count_each_node() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, s TEXT); CREATE INDEX t_s ON t(s);
         CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INT, x INT); CREATE INDEX u_t ON u(t_id);
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 200)
         INSERT INTO t SELECT v, v % 9, 's' || (v % 41) FROM n;
         WITH RECURSIVE n(v) AS (SELECT 1 UNION ALL SELECT v + 1 FROM n WHERE v < 300)
         INSERT INTO u SELECT v, v % 250, v % 4 FROM n;",
    )
    .unwrap();
    // The fused scan, projection and limit: the skipped rows pass the scan and projection.
    for sql in [
        "EXPLAIN ANALYZE SELECT a FROM t LIMIT 5 OFFSET 10",
        "EXPLAIN ANALYZE SELECT s FROM t ORDER BY s LIMIT 5 OFFSET 10",
    ] {
        let lines = explain(&conn, sql);
        assert_eq!(actual_rows(&lines, "Limit"), 5, "{lines:#?}");
        assert_eq!(actual_rows(&lines, "Project"), 15, "{lines:#?}");
        let scan = if sql.contains("ORDER BY") {
            "IndexRange"
        } else {
            "Scan"
        };
        assert_eq!(actual_rows(&lines, scan), 15, "{lines:#?}");
    }
    // A point lookup.
    let lines = explain(&conn, "EXPLAIN ANALYZE SELECT s FROM t WHERE id = 3");
    assert_eq!(actual_rows(&lines, "KeyLookup"), 1, "{lines:#?}");
    // A count from the table's row count: the rows it stands for.
    let lines = explain(&conn, "EXPLAIN ANALYZE SELECT count(*) FROM t");
    assert!(lines[1].contains("from row count"), "{lines:#?}");
    assert_eq!(actual_rows(&lines, "Scan t"), 200, "{lines:#?}");
    // A join pushed into an aggregate, its filter pushed through: each counts its rows.
    let joined: i64 = conn
        .query_value(
            "SELECT count(*) FROM t JOIN u ON u.t_id = t.id WHERE u.x > 0",
            (),
        )
        .unwrap();
    let lines = explain(
        &conn,
        "EXPLAIN ANALYZE SELECT t.a, count(*) FROM t JOIN u ON u.t_id = t.id
         WHERE u.x > 0 GROUP BY t.a",
    );
    assert_eq!(actual_rows(&lines, "Aggregate"), 9, "{lines:#?}");
    assert_eq!(actual_rows(&lines, "Scan t"), 200, "{lines:#?}");
    let join = lines
        .iter()
        .find(|line| line.contains("Join"))
        .expect("a join line");
    assert_eq!(
        join.split("actual rows=").nth(1).unwrap().split(' ').next(),
        Some(joined.to_string().as_str()),
        "{lines:#?}"
    );
}
