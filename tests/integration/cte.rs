//! Recursive CTEs through the public API: a million-step recursion runs iteratively in
//! bounded memory (UNION ALL streams: only the queue is held), an endless one is stopped by
//! the statement timeout or an interrupt, and one that keeps adding distinct rows fails
//! with the statement's row cap or memory budget instead of taking all memory.

use std::time::{Duration, Instant};

use ember::{Database, ErrorKind, Options};

const COUNT_MILLION: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c \
                             WHERE x < 1000000) SELECT count(*), max(x) FROM c";

const ENDLESS: &str = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
                       SELECT count(*) FROM c";

#[test]
fn a_million_steps_run_in_bounded_memory() {
    // 4 MiB of budget: far less than a million queued rows would take, had they been kept.
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(4 << 20));
    let conn = db.connect();
    let (count, max): (i64, i64) = conn
        .query_row(COUNT_MILLION, (), |row| Ok((row.get(0)?, row.get(1)?)))
        .unwrap();
    assert_eq!((count, max), (1_000_000, 1_000_000));
}

#[test]
fn an_endless_recursion_stops_at_the_statement_timeout() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("PRAGMA statement_timeout = 200", ()).unwrap();
    let started = Instant::now();
    let error = conn.query(ENDLESS, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Interrupted, "{error}");
    assert!(
        started.elapsed() < Duration::from_secs(10),
        "{:?}",
        started.elapsed()
    );
    // The connection goes on.
    let x: i64 = conn
        .query_value(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) \
             SELECT x FROM c LIMIT 1 OFFSET 9",
            (),
        )
        .unwrap();
    assert_eq!(x, 10);
}

#[test]
fn an_endless_recursion_stops_at_an_interrupt() {
    let db = Database::in_memory();
    let conn = db.connect();
    let handle = conn.interrupt_handle();
    let stopper = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(100));
        handle.interrupt();
    });
    let error = conn.query(ENDLESS, ()).unwrap_err();
    stopper.join().unwrap();
    assert_eq!(error.kind(), ErrorKind::Interrupted, "{error}");
}

#[test]
fn a_growing_union_fails_with_the_row_cap() {
    let db = Database::in_memory_with(Options::new().statement_rows_max(10_000));
    let conn = db.connect();
    let error = conn
        .query(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x + 1 FROM c) SELECT count(*) FROM c",
            (),
        )
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::Limit, "{error}");
}

#[test]
fn a_growing_queue_fails_with_the_memory_budget() {
    // Each step queues two rows: the queue doubles until the budget stops it.
    let db = Database::in_memory_with(Options::new().memory_budget_bytes(4 << 20));
    let conn = db.connect();
    let error = conn
        .query(
            "WITH RECURSIVE c(x, pad) AS (SELECT 1, 'x' UNION ALL SELECT x + 1, pad FROM c, \
             (VALUES (1), (2))) SELECT count(*) FROM c",
            (),
        )
        .unwrap_err();
    assert!(
        matches!(error.kind(), ErrorKind::MemoryBudget | ErrorKind::Limit),
        "{error}"
    );
}

#[test]
fn parameters_in_cte_bodies_are_numbered_in_text_order() {
    let db = Database::in_memory();
    let conn = db.connect();
    // The body's `?` comes first in the text, wherever the body is bound; a CTE read twice
    // reads the same parameter at both references.
    let (a, b, c): (i64, i64, i64) = conn
        .query_row(
            "WITH c(x) AS (SELECT ?) SELECT c.x, d.x, ? FROM c, c AS d",
            (1, 2),
            |row| Ok((row.get(0)?, row.get(1)?, row.get(2)?)),
        )
        .unwrap();
    assert_eq!((a, b, c), (1, 1, 2));
    let sum: i64 = conn
        .query_value(
            "WITH RECURSIVE c(x) AS (SELECT ? UNION ALL SELECT x + 1 FROM c WHERE x < ?) \
             SELECT sum(x) FROM c",
            (1, 4),
        )
        .unwrap();
    assert_eq!(sum, 10);
}

#[test]
fn explain_shows_the_cte_operators() {
    let db = Database::in_memory();
    let conn = db.connect();
    let plan: Vec<String> = conn
        .query(
            "EXPLAIN WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 3) \
             SELECT * FROM c AS a, c AS b",
            (),
        )
        .unwrap()
        .values()
        .iter()
        .map(|row| format!("{:?}", row[0]))
        .collect();
    let text = plan.join("\n");
    for operator in [
        "CteScan c (materialized once)",
        "RecursiveUnion ALL c",
        "WorkTable c",
    ] {
        assert!(text.contains(operator), "{operator} missing from:\n{text}");
    }
}

#[test]
fn a_long_chain_of_ctes_binds_one_level_deep() {
    let db = Database::in_memory();
    let conn = db.connect();
    let mut ctes = vec!["c0 AS (SELECT 1 AS x)".to_string()];
    ctes.extend((1..300).map(|i| format!("c{i} AS (SELECT x + 1 AS x FROM c{})", i - 1)));
    let sql = format!("WITH {} SELECT x FROM c299", ctes.join(", "));
    let x: i64 = conn.query_value(&sql, ()).unwrap();
    assert_eq!(x, 300);
}
