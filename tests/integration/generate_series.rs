//! `generate_series` and CTE hints through the public API: parameters as the series'
//! arguments, a prepared statement run with different bounds, the rows produced as they
//! are read (a LIMIT over the default four-billion-row span makes only its rows), and a
//! MATERIALIZED CTE read twice planned as one materialization.

use ember::Database;

use crate::support::explain;

#[test]
fn parameters_bound_the_series() {
    let conn = Database::in_memory().connect();
    let sql = "SELECT sum(value) FROM generate_series(?1, ?2, ?3)";
    let sum: i64 = conn.query_value(sql, (1, 100, 1)).unwrap();
    assert_eq!(sum, 5050);
    let sum: i64 = conn.query_value(sql, (0, 100, 10)).unwrap();
    assert_eq!(sum, 550);
    let empty: Option<i64> = conn.query_value(sql, (5, 1, 1)).unwrap();
    assert_eq!(empty, None);
}

#[test]
fn a_limit_reads_only_its_rows_of_the_default_span() {
    let conn = Database::in_memory().connect();
    let rows = conn
        .query("SELECT value FROM generate_series(7) LIMIT 3", ())
        .unwrap();
    let values: Vec<i64> = rows
        .values()
        .iter()
        .map(|row| match row[0] {
            ember::Value::Integer(i) => i,
            ref other => panic!("not an integer: {other:?}"),
        })
        .collect();
    assert_eq!(values, vec![7, 8, 9]);
    // The series made only the rows the LIMIT took.
    let plan = explain(
        &conn,
        "ANALYZE SELECT value FROM generate_series(7) LIMIT 3",
        &[],
    );
    let series = plan
        .iter()
        .find(|line| line.contains("TableFunction generate_series"))
        .expect("the series' line");
    assert!(series.contains("(actual rows=3 "), "{plan:#?}");
}

#[test]
fn too_many_arguments_are_refused() {
    let conn = Database::in_memory().connect();
    let error = conn
        .query("SELECT * FROM generate_series(1, 2, 3, 4)", ())
        .unwrap_err();
    assert!(
        error.message().contains("generate_series"),
        "{}",
        error.message()
    );
}

#[test]
fn a_materialized_cte_read_twice_is_materialized_once() {
    let conn = Database::in_memory().connect();
    let plan = explain(
        &conn,
        "WITH s AS MATERIALIZED (SELECT value FROM generate_series(1, 3)) \
         SELECT * FROM s AS a, s AS b",
        &[],
    );
    let text = plan.join("\n");
    assert_eq!(
        text.matches("CteScan s (materialized once)").count(),
        2,
        "{text}"
    );
    let pairs: i64 = conn
        .query_value(
            "WITH s AS NOT MATERIALIZED (SELECT value FROM generate_series(1, 3)) \
             SELECT count(*) FROM s AS a, s AS b",
            (),
        )
        .unwrap();
    assert_eq!(pairs, 9);
}
