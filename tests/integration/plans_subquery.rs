//! Correlated subqueries memoized by the enclosing-row values they read: EXPLAIN says which
//! are, a subquery runs once per distinct combination of those values (counted through an
//! application function inside it), never for a non-deterministic one, again after the
//! statement's own writes, and the memo's memory counts against the statement's budget.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, ErrorKind, FunctionFlags};

/// `emp` with 2,000 rows over 20 departments, and `tick(x)`, deterministic, returning `x`
/// and counting its calls in the returned counter; `tock(x)` the same, not deterministic.
fn loaded() -> (Database, Connection, Arc<AtomicUsize>) {
    let db = Database::in_memory();
    let calls = Arc::new(AtomicUsize::new(0));
    for (name, flags) in [
        ("tick", FunctionFlags::DETERMINISTIC),
        ("tock", FunctionFlags::NONE),
    ] {
        let counter = Arc::clone(&calls);
        db.create_scalar_function(name, 1, flags, move |args| {
            counter.fetch_add(1, Ordering::Relaxed);
            args.get::<Option<i64>>(0)
        })
        .unwrap();
    }
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE emp(id INTEGER PRIMARY KEY, dept INTEGER, salary REAL, shift INTEGER);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000)
         INSERT INTO emp SELECT i, i % 20, (i * 7919) % 1000, i % 7 FROM n;",
    )
    .unwrap();
    (db, conn, calls)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ()).unwrap()
}

#[test]
fn explain_names_the_memoized_subqueries() {
    let (_db, conn, _) = loaded();
    let plan = crate::support::explain(
        &conn,
        "SELECT id FROM emp e1 WHERE salary > \
         (SELECT avg(salary) FROM emp e2 WHERE e2.dept = e1.dept)",
        &[],
    );
    assert!(
        plan.iter()
            .any(|line| line.contains("(correlated subquery #0, memoized)")),
        "{plan:#?}"
    );
    let plan =
        crate::support::explain(&conn, "SELECT (SELECT random() + e1.dept) FROM emp e1", &[]);
    assert!(
        plan.iter()
            .any(|line| line.contains("(correlated subquery #0)")),
        "{plan:#?}"
    );
    let plan = crate::support::explain(&conn, "SELECT (SELECT tock(e1.dept)) FROM emp e1", &[]);
    assert!(
        plan.iter().all(|line| !line.contains("memoized")),
        "{plan:#?}"
    );
}

#[test]
fn a_memoized_subquery_runs_once_per_distinct_outer_value() {
    let (_db, conn, calls) = loaded();
    // Each row adds its department and the count of its department (100 rows).
    let sql = "SELECT sum((SELECT tick(e1.dept) + count(*) FROM emp e2 WHERE e2.dept = e1.dept)) \
               FROM emp e1";
    assert_eq!(count(&conn, sql), 2000 * 100 + (0..20).sum::<i64>() * 100);
    assert_eq!(
        calls.swap(0, Ordering::Relaxed),
        20,
        "one run per department"
    );
    // Two outer columns: one run per (dept, shift) pair the rows hold (the key is the
    // columns read, whatever the subquery computes from them).
    let pairs = "SELECT count(*) FROM emp e1 WHERE (SELECT tick(e1.dept) + e1.shift % 2) \
                 IS NOT NULL";
    assert_eq!(count(&conn, pairs), 2000);
    let distinct = count(
        &conn,
        "SELECT count(*) FROM (SELECT DISTINCT dept, shift FROM emp)",
    );
    assert_eq!(distinct, 140, "20 departments by 7 shifts");
    assert_eq!(calls.swap(0, Ordering::Relaxed) as i64, distinct);
}

#[test]
fn a_non_deterministic_subquery_runs_for_every_row() {
    let (_db, conn, calls) = loaded();
    let sql = "SELECT count(*) FROM emp e1 WHERE (SELECT tock(e1.dept)) >= 0";
    assert_eq!(count(&conn, sql), 2000);
    assert_eq!(calls.swap(0, Ordering::Relaxed), 2000);
}

#[test]
fn outer_values_that_never_repeat_give_the_memo_up_and_answer_the_same() {
    let (_db, conn, calls) = loaded();
    let sql = "SELECT sum((SELECT tick(e2.id) FROM emp e2 WHERE e2.id = e1.id)) FROM emp e1";
    assert_eq!(count(&conn, sql), 2000 * 2001 / 2);
    assert_eq!(calls.swap(0, Ordering::Relaxed), 2000);
}

#[test]
fn the_memo_counts_against_the_memory_budget() {
    let (_db, conn, _) = loaded();
    conn.execute_batch(
        "CREATE TABLE wide(id INTEGER PRIMARY KEY, k INTEGER, pad TEXT);
         WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 200)
         INSERT INTO wide SELECT i, i % 100, printf('%.40000c', 'x') FROM n;",
    )
    .unwrap();
    let used: i64 = count(&conn, "SELECT memory_used_bytes FROM ember_stats");
    conn.execute(&format!("SET max_memory = {}", used + (2 << 20)), ())
        .unwrap();
    // Each of the 100 distinct k keeps a 40,000-byte text: about 4 MB in all.
    let sql = "SELECT count(*) FROM wide w1 WHERE length((SELECT pad || w1.k FROM wide w2 \
               WHERE w2.id = w1.k + 1)) > 0";
    let error = conn.query_value::<i64>(sql, ()).unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    assert!(error.to_string().contains("memoized"), "{error}");
    conn.execute("SET max_memory = 0", ()).unwrap();
    assert_eq!(count(&conn, sql), 200);
}

/// Outer values that cover a key of the scanned table cannot repeat: the optimizer turns
/// the memo off there (EXPLAIN does not say `memoized`), and the answers stay those of
/// the memoized plan over a column whose values repeat.
#[test]
fn no_memo_where_the_outer_values_are_a_key() {
    let (_db, conn, _) = loaded();
    let by_key = "SELECT e1.id, (SELECT count(*) FROM emp e2 WHERE e2.dept = e1.id % 20) \
                  FROM emp e1 ORDER BY e1.id";
    let plan = crate::support::explain(&conn, by_key, &[]);
    assert!(
        plan.iter()
            .any(|line| line.contains("(correlated subquery #0)")),
        "{plan:#?}"
    );
    let by_dept = "SELECT e1.id, (SELECT count(*) FROM emp e2 WHERE e2.dept = e1.dept) \
                   FROM emp e1 ORDER BY e1.id";
    let plan = crate::support::explain(&conn, by_dept, &[]);
    assert!(
        plan.iter()
            .any(|line| line.contains("(correlated subquery #0, memoized)")),
        "{plan:#?}"
    );
    let rows = |sql: &str| -> Vec<(i64, i64)> {
        let mut statement = conn.prepare(sql).unwrap();
        statement
            .query_map((), |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap()
    };
    let keyed = rows(by_key);
    assert_eq!(keyed, rows(by_dept), "dept is id % 20 in the loaded rows");
    assert_eq!(keyed.len(), 2000);
    assert!(
        keyed.iter().all(|&(_, count)| count == 100),
        "{:?}",
        &keyed[..3]
    );
}
