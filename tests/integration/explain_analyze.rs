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
        "CREATE TABLE t(a INT PRIMARY KEY, b TEXT); CREATE TABLE u(a INT, c INT);
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
