//! EXPLAIN's note on aggregates and top-k sorts that may split across threads
//! (`exec/parallel_note.rs`): shown only with helper threads (`PRAGMA threads`), on a
//! full scan's aggregate whose keys, arguments and filter merge exactly, or a top-k sort
//! over a full scan whose keys a worker evaluates alone; never under a statement timeout
//! (bounds keep a statement on its own thread).

use ember::{Connection, Database, Value};

use crate::support::explain;

fn table(conn: &Connection, threads: usize) {
    conn.execute_batch(
        "CREATE TABLE lineitem(id INTEGER PRIMARY KEY, qty REAL, price REAL, disc REAL, \
         flag TEXT, status TEXT, shipdate INT);
         CREATE INDEX by_price ON lineitem(price)",
    )
    .unwrap();
    conn.execute(&format!("PRAGMA threads = {threads}"), ())
        .unwrap();
}

const Q1: &str = "SELECT flag, status, sum(qty), sum(price * (1 - disc)), avg(disc), count(*) \
                  FROM lineitem WHERE shipdate <= ? GROUP BY flag, status \
                  ORDER BY flag, status";

#[test]
fn explain_marks_aggregates_that_may_split() {
    let conn = Database::in_memory().connect();
    table(&conn, 2);
    assert_eq!(
        explain(
            &conn,
            "SELECT flag, count(*), avg(qty) FROM lineitem GROUP BY flag",
            &[]
        ),
        [
            "Project flag, count(*), avg(qty)",
            "└─ Aggregate count(*), avg(qty) in column batches group by flag parallel up to 3 \
             threads",
            "   └─ Scan lineitem",
        ]
    );
    assert_eq!(
        explain(&conn, Q1, &[Value::Integer(2400)]),
        [
            "Project flag, status, sum(qty), sum((price * (1 - disc))), avg(disc), count(*)",
            "└─ Sort flag ASC, status ASC",
            "   └─ Aggregate sum(qty), sum((price * (1 - disc))), avg(disc), count(*) in column \
             batches group by flag, status parallel up to 3 threads",
            "      └─ Scan lineitem filter (shipdate <= $1)",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT sum(price) FROM lineitem WHERE qty < 3", &[]),
        [
            "Project sum(price)",
            "└─ Aggregate sum(price) in column batches parallel up to 3 threads",
            "   └─ Scan lineitem filter (qty < 3)",
        ]
    );
    // Filters over compiled operands (arithmetic, LIKE, function calls) cannot fail and
    // split too.
    for (filter, shown) in [
        ("shipdate + 0 < 10", "((shipdate + 0) < 10)"),
        ("status LIKE '%x%'", "like('%x%', status)"),
        (
            "upper(substr(flag, 1, 1)) = 'A'",
            "(upper(substr(flag, 1, 1)) = 'A')",
        ),
    ] {
        let lines = explain(
            &conn,
            &format!("SELECT flag, count(*) FROM lineitem WHERE {filter} GROUP BY flag"),
            &[],
        );
        assert_eq!(
            lines,
            [
                "Project flag, count(*)".to_string(),
                "└─ Aggregate count(*) in column batches group by flag parallel up to 3 threads"
                    .to_string(),
                format!("   └─ Scan lineitem filter {shown}"),
            ],
            "{filter}"
        );
    }
}

#[test]
fn explain_leaves_serial_aggregates_unmarked() {
    let conn = Database::in_memory().connect();
    table(&conn, 2);
    for sql in [
        // A filter that keeps the tree (abs() can fail: the serial scan reports it), a
        // DISTINCT, an index range, a filter that does not compile (|| on the column), a
        // join, a key that reads the session (a deterministic function such as upper()
        // splits).
        "SELECT flag, count(*) FROM lineitem WHERE abs(qty) > 2 GROUP BY flag",
        "SELECT flag, count(DISTINCT status) FROM lineitem GROUP BY flag",
        "SELECT flag, count(*) FROM lineitem WHERE price < 10 GROUP BY flag",
        "SELECT flag, count(*) FROM lineitem WHERE shipdate || 'x' < '10' GROUP BY flag",
        "SELECT a.flag, count(*) FROM lineitem a JOIN lineitem b ON a.id = b.qty GROUP BY 1",
        "SELECT changes() + id % 2, count(*) FROM lineitem GROUP BY 1",
    ] {
        let lines = explain(&conn, sql, &[]);
        assert!(
            lines.iter().all(|line| !line.contains("parallel")),
            "{sql}: {lines:#?}"
        );
    }
    // No helper threads: nothing is marked.
    let serial = Database::in_memory().connect();
    table(&serial, 0);
    let lines = explain(
        &serial,
        "SELECT flag, count(*) FROM lineitem GROUP BY flag",
        &[],
    );
    assert!(
        lines.iter().all(|line| !line.contains("parallel")),
        "{lines:#?}"
    );
    // A statement timeout keeps every statement on its own thread.
    let bounded = Database::in_memory().connect();
    table(&bounded, 2);
    bounded
        .execute("PRAGMA statement_timeout = 5000", ())
        .unwrap();
    let lines = explain(
        &bounded,
        "SELECT flag, count(*) FROM lineitem GROUP BY flag",
        &[],
    );
    assert!(
        lines.iter().all(|line| !line.contains("parallel")),
        "{lines:#?}"
    );
}

#[test]
fn explain_analyze_keeps_the_note_before_its_counts() {
    let conn = Database::in_memory().connect();
    table(&conn, 1);
    conn.execute("INSERT INTO lineitem VALUES (1, 2, 3, 0, 'A', 'F', 5)", ())
        .unwrap();
    let lines = explain(
        &conn,
        "ANALYZE SELECT flag, count(*) FROM lineitem GROUP BY flag",
        &[],
    );
    let aggregate = lines
        .iter()
        .find(|line| line.contains("Aggregate"))
        .unwrap();
    assert!(
        aggregate.starts_with(
            "└─ Aggregate count(*) in column batches group by flag parallel up to 2 threads ("
        ),
        "{lines:#?}"
    );
}

#[test]
fn explain_marks_top_k_sorts_that_may_split() {
    let conn = Database::in_memory().connect();
    table(&conn, 1);
    assert_eq!(
        explain(
            &conn,
            "SELECT * FROM lineitem WHERE qty < ?1 ORDER BY price DESC, flag LIMIT 10 OFFSET 2",
            &[Value::Integer(3)]
        ),
        [
            "Limit 10",
            "└─ Project id, qty, price, disc, flag, status, shipdate",
            "   └─ TopK 10 offset 2 price DESC, flag ASC parallel up to 2 threads",
            "      └─ Scan lineitem filter (qty < $1)",
        ]
    );
    // A key that reads the clock: the statement's thread evaluates it.
    assert_eq!(
        explain(
            &conn,
            "SELECT id FROM lineitem ORDER BY julianday('now') - shipdate LIMIT 3",
            &[]
        ),
        [
            "Limit 3",
            "└─ Project id",
            "   └─ TopK 3 (julianday('now') - shipdate) ASC",
            "      └─ Scan lineitem",
        ]
    );
}
