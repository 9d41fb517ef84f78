//! Window functions end to end: SQLite's error messages for misuse (never a panic, and a
//! failed statement changes nothing), EXPLAIN's Window operator, and the statement bounds.
//! Results themselves are checked against SQLite in tests/slt/window.slt.

use ember::{Database, ErrorKind, Options};

fn conn() -> ember::Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, g TEXT, x INT);
         INSERT INTO t VALUES (1, 'a', 10), (2, 'a', 20), (3, 'b', NULL);",
    )
    .unwrap();
    conn
}

#[test]
fn misuse_fails_with_sqlites_messages() {
    let conn = conn();
    for (sql, message) in [
        (
            "SELECT id FROM t WHERE row_number() OVER () > 1",
            "misuse of window function row_number()",
        ),
        (
            "SELECT count(*) FROM t HAVING rank() OVER () > 0",
            "misuse of window function rank()",
        ),
        (
            "SELECT id FROM t GROUP BY sum(x) OVER ()",
            "misuse of window function sum()",
        ),
        ("SELECT lag(x) FROM t", "misuse of window function lag()"),
        (
            "SELECT sum(row_number() OVER ()) FROM t",
            "misuse of window function row_number()",
        ),
        (
            "SELECT sum(x) OVER (ORDER BY rank() OVER ()) FROM t",
            "misuse of window function rank()",
        ),
        (
            "SELECT sum(DISTINCT x) OVER () FROM t",
            "DISTINCT is not supported for window functions",
        ),
        (
            "SELECT rank() FILTER (WHERE x > 1) OVER () FROM t",
            "FILTER clause may only be used with aggregate window functions",
        ),
        (
            "SELECT abs(x) OVER () FROM t",
            "abs() may not be used as a window function",
        ),
        (
            "SELECT lead(x, 1, 2, 3) OVER () FROM t",
            "wrong number of arguments to function lead()",
        ),
        (
            "SELECT sum(x) OVER (RANGE 1 PRECEDING) FROM t",
            "RANGE with offset PRECEDING/FOLLOWING requires one ORDER BY expression",
        ),
        (
            "SELECT sum(x) OVER (ROWS BETWEEN 1 FOLLOWING AND CURRENT ROW) FROM t",
            "unsupported frame specification",
        ),
        ("SELECT sum(x) OVER w FROM t", "no such window: w"),
        (
            "SELECT sum(x) OVER (w ORDER BY id) FROM t WINDOW w AS (ORDER BY x)",
            "cannot override ORDER BY clause of window: w",
        ),
        (
            "SELECT sum(x) OVER (w) FROM t WINDOW w AS (ROWS 1 PRECEDING)",
            "cannot override frame specification of window: w",
        ),
        (
            "SELECT sum(x) OVER (ORDER BY id ROWS -1 PRECEDING) FROM t",
            "frame starting offset must be a non-negative integer",
        ),
        (
            "SELECT sum(x) OVER (ORDER BY id ROWS BETWEEN CURRENT ROW AND 0.5 FOLLOWING) FROM t",
            "frame ending offset must be a non-negative integer",
        ),
        (
            "SELECT sum(x) OVER (ORDER BY id RANGE 'a' PRECEDING) FROM t",
            "frame starting offset must be a non-negative number",
        ),
        (
            "SELECT ntile(0) OVER () FROM t",
            "argument of ntile must be a positive integer",
        ),
        (
            "SELECT nth_value(x, 0) OVER () FROM t",
            "second argument to nth_value must be a positive integer",
        ),
        (
            "SELECT sum(x) FILTER (WHERE count(*) > 1) FROM t",
            "misuse of aggregate function count()",
        ),
    ] {
        let error = conn.query(sql, ()).map(|_| ()).unwrap_err();
        assert!(
            matches!(error.kind(), ErrorKind::InvalidInput),
            "{sql}: {error}"
        );
        assert!(error.message().contains(message), "{sql}: {error}");
    }
    // EXCLUDE without a frame is a syntax error, as in SQLite.
    let error = conn
        .query("SELECT sum(x) OVER (ORDER BY x EXCLUDE TIES) FROM t", ())
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Syntax, "{error}");
    // A failed INSERT .. SELECT with a window changes nothing.
    conn.execute("CREATE TABLE u(v INT)", ()).unwrap();
    let error = conn
        .execute(
            "INSERT INTO u SELECT ntile(x - 10) OVER (ORDER BY id) FROM t",
            (),
        )
        .unwrap_err();
    assert!(error.message().contains("ntile"), "{error}");
    let count: i64 = conn.query_value("SELECT count(*) FROM u", ()).unwrap();
    assert_eq!(count, 0);
}

#[test]
fn explain_shows_the_window_operator() {
    let conn = conn();
    let rows = conn
        .query(
            "EXPLAIN SELECT id, sum(x) OVER (PARTITION BY g ORDER BY id ROWS BETWEEN 1 \
             PRECEDING AND CURRENT ROW EXCLUDE TIES), rank() OVER (PARTITION BY g ORDER BY id), \
             count(*) FILTER (WHERE x > 1) OVER () FROM t",
            (),
        )
        .unwrap();
    let text: Vec<String> = rows.into_iter().map(|row| row.get(0).unwrap()).collect();
    let text = text.join("\n");
    for fragment in [
        "Window sum(x) ROWS BETWEEN 1 PRECEDING AND CURRENT ROW EXCLUDE TIES, rank() \
         partition by g order by id ASC; count(*) FILTER (WHERE (x > 1)) RANGE BETWEEN \
         UNBOUNDED PRECEDING AND CURRENT ROW",
        "Scan t",
    ] {
        assert!(text.contains(fragment), "{fragment} missing in\n{text}");
    }
    let rows = conn
        .query(
            "EXPLAIN SELECT g, count(*) FILTER (WHERE x > 1) FROM t GROUP BY g",
            (),
        )
        .unwrap();
    let text: Vec<String> = rows.into_iter().map(|row| row.get(0).unwrap()).collect();
    assert!(
        text.join("\n")
            .contains("Aggregate count(*) FILTER (WHERE (x > 1)) group by g"),
        "{text:?}"
    );
}

#[test]
fn window_rows_count_against_the_statement_row_cap() {
    let db = Database::in_memory_with(Options::new().statement_rows_max(10));
    let conn = db.connect();
    conn.execute("CREATE TABLE r(x INT)", ()).unwrap();
    let values: Vec<String> = (0..10).map(|i| format!("({i})")).collect();
    conn.execute(&format!("INSERT INTO r VALUES {}", values.join(", ")), ())
        .unwrap();
    conn.execute("INSERT INTO r VALUES (10)", ()).unwrap();
    let error = conn
        .query(
            "SELECT x, row_number() OVER (ORDER BY x) FROM r LIMIT 1000000",
            (),
        )
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    // A small LIMIT straight over the window holds only that many rows (top-N by
    // row_number); a call that reads later rows (lead) still holds them all.
    let first: i64 = conn
        .query_value("SELECT row_number() OVER (ORDER BY x) FROM r LIMIT 1", ())
        .unwrap();
    assert_eq!(first, 1);
    let error = conn
        .query("SELECT x, lead(x) OVER (ORDER BY x) FROM r LIMIT 1", ())
        .map(|_| ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
    let ok: i64 = conn
        .query_value(
            "SELECT max(n) FROM (SELECT row_number() OVER () AS n FROM r WHERE x < 9)",
            (),
        )
        .unwrap();
    assert_eq!(ok, 9);
}
