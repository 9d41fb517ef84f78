//! Correlated `[NOT] EXISTS` planned as semi / anti joins (`SemiIndexJoin`, `AntiHashJoin`,
//! ...) and counting walks over index ranges (`Aggregate .. counting`): golden EXPLAIN
//! plans, the shapes that keep the per-row subquery, and answers under concurrent writers
//! (stale index entries, snapshots) checked against the per-row path and full scans.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember::{Connection, Database, Value};

fn plan(conn: &Connection, sql: &str) -> String {
    let rows = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
    rows.values()
        .iter()
        .map(|row| match &row[0] {
            Value::Text(line) => line.clone(),
            other => panic!("plan line {other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn setup(db: &Database) -> Connection {
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER);
         CREATE INDEX t_a ON t(a);
         CREATE INDEX t_ab ON t(a, b);
         CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, x INTEGER);
         INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
             WHERE i < 2000) SELECT i, i % 300, i % 7 FROM c;
         INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c
             WHERE i < 500) SELECT i, i * 3 % 700, i % 10 FROM c;",
    )
    .unwrap();
    conn
}

fn count(conn: &Connection, sql: &str) -> i64 {
    match conn.query(sql, ()).unwrap().values()[0][0] {
        Value::Integer(n) => n,
        ref other => panic!("{sql}: {other:?}"),
    }
}

#[test]
fn exists_through_an_index_is_a_semi_index_join() {
    let db = Database::in_memory();
    let conn = setup(&db);
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ SemiIndexJoin t using t_a (t.a = u.t_id)\n      \
               └─ Scan u\n      \
               └─ Scan t"
    );
    // NOT EXISTS on the primary key with an extra condition (rechecked on the probe) and a
    // correlated non-equality (the join condition).
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = u.t_id \
             AND t.b > 2 AND t.a < u.x)"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ AntiIndexJoin t using primary key (t.id = u.t_id) on (t.a < u.x)\n      \
               └─ Scan u\n      \
               └─ Scan t filter (t.b > 2)"
    );
}

#[test]
fn exists_on_an_unindexed_column_is_a_hash_join() {
    let db = Database::in_memory();
    let conn = setup(&db);
    assert_eq!(
        plan(
            &conn,
            "SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.x = t.b) AND t.a > 5"
        ),
        "Project count(*)\n\
         └─ Aggregate count(*)\n   \
            └─ SemiHashJoin (t.b = u.x)\n      \
               └─ IndexRange t using t_a (a > 5) order a ASC filter (t.a > 5)\n      \
               └─ Scan u"
    );
}

#[test]
fn other_exists_shapes_keep_the_per_row_subquery() {
    let db = Database::in_memory();
    let conn = setup(&db);
    for sql in [
        // Under OR.
        "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id) OR u.x = 1",
        // No correlated equality.
        "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a > u.t_id)",
        // An aggregate, a LIMIT, a join in the subquery.
        "SELECT count(*) FROM u WHERE EXISTS (SELECT count(*) FROM t WHERE t.a = u.t_id)",
        "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id LIMIT 0)",
        "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t JOIN t AS t2 ON t2.id = t.b \
         WHERE t.a = u.t_id)",
        // A select list EXISTS would have to evaluate.
        "SELECT count(*) FROM u WHERE EXISTS (SELECT t.b + 1 FROM t WHERE t.a = u.t_id)",
    ] {
        let text = plan(&conn, sql);
        assert!(
            !text.contains("Semi") && !text.contains("Anti") && text.contains("EXISTS"),
            "{sql}:\n{text}"
        );
    }
}

#[test]
fn counting_walks_show_in_explain() {
    let db = Database::in_memory();
    let conn = setup(&db);
    assert_eq!(
        plan(&conn, "SELECT count(*) FROM t WHERE a BETWEEN 20 AND 29"),
        "Project count(*)\n\
         └─ Aggregate count(*) counting\n   \
            └─ IndexRange t using t_a (a BETWEEN 20 AND 29) order a ASC filter (a BETWEEN 20 \
         AND 29)"
    );
    // count(b) of the composite index's ranged column, under an equality prefix (the
    // one-column index would serve `a = 3` as a lookup).
    conn.execute("DROP INDEX t_a", ()).unwrap();
    assert!(plan(
        &conn,
        "SELECT count(b), count(*) FROM t WHERE a = 3 AND b > 2"
    )
    .contains("Aggregate count(b), count(*) counting"));
    // A column the range may reach NULL in, a sum, a GROUP BY: the ordinary walk.
    for sql in [
        "SELECT count(b) FROM t WHERE a BETWEEN 20 AND 29",
        "SELECT count(*), sum(b) FROM t WHERE a BETWEEN 20 AND 29",
        "SELECT a, count(*) FROM t WHERE a BETWEEN 20 AND 29 GROUP BY a",
    ] {
        assert!(!plan(&conn, sql).contains("counting"), "{sql}");
    }
}

/// Readers in snapshot transactions compare the semi / anti join and the counting walk
/// with the per-row subquery (`.. OR 0`) and a full scan (`a + 0`), while writers move
/// rows in and out of the ranges and keys (leaving stale index entries), insert and
/// delete; every reader's two answers must agree, and at the end the counts must equal
/// the rows the writers left.
#[test]
fn answers_agree_with_the_per_row_path_under_concurrent_writers() {
    let db = Arc::new(Database::in_memory());
    setup(&db);
    let stop = Arc::new(AtomicBool::new(false));
    let mut writers = Vec::new();
    for w in 0..2i64 {
        let db = Arc::clone(&db);
        let stop = Arc::clone(&stop);
        writers.push(std::thread::spawn(move || {
            let conn = db.connect();
            let mut round = 0i64;
            while !stop.load(Ordering::Relaxed) && round < 400 {
                round += 1;
                let id = (round * 37 + w * 1000) % 2000 + 1;
                let sql = match round % 4 {
                    0 => format!("UPDATE t SET a = (a + 13) % 300 WHERE id = {id}"),
                    1 => format!(
                        "UPDATE u SET t_id = (t_id + 7) % 700 WHERE id = {}",
                        id % 500
                    ),
                    2 => format!("DELETE FROM t WHERE id = {id}"),
                    _ => format!(
                        "INSERT OR REPLACE INTO t VALUES ({id}, {}, {})",
                        round % 300,
                        round % 7
                    ),
                };
                // A conflict with the other writer is fine: it retries on the next round.
                let _ = conn.execute(&sql, ());
            }
        }));
    }
    let checks = [
        (
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id) OR 0",
        ),
        (
            "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id \
             AND t.b < 4)",
            "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id \
             AND t.b < 4) OR 0",
        ),
        (
            "SELECT count(*) FROM t WHERE a BETWEEN 100 AND 180",
            "SELECT count(*) FROM t WHERE a + 0 BETWEEN 100 AND 180",
        ),
        (
            "SELECT count(*) FROM t WHERE a BETWEEN 0 AND 299",
            "SELECT count(*) FROM t WHERE a + 0 BETWEEN 0 AND 299",
        ),
        (
            "SELECT count(a) FROM t WHERE a > 20",
            "SELECT count(a) FROM t WHERE a + 0 > 20",
        ),
        (
            "SELECT count(b) FROM t WHERE a = 50 AND b >= 2",
            "SELECT count(b) FROM t WHERE a + 0 = 50 AND b + 0 >= 2",
        ),
    ];
    let mut readers = Vec::new();
    for r in 0..3i64 {
        let db = Arc::clone(&db);
        readers.push(std::thread::spawn(move || {
            let conn = db.connect();
            let mut checked = 0;
            for i in 0..40 {
                conn.execute("BEGIN", ()).unwrap();
                // Own writes in the open transaction (a new row in both ranges, and a key
                // no writer reaches) are seen by both forms.
                let id = 10_000 + r * 100 + i;
                let own = conn
                    .execute(&format!("INSERT INTO t VALUES ({id}, 150, 3)"), ())
                    .and_then(|_| {
                        conn.execute(&format!("INSERT INTO u VALUES ({id}, 150, 1)"), ())
                    });
                if own.is_err() {
                    // A serialization conflict aborted the transaction: try again.
                    conn.execute("ROLLBACK", ()).unwrap();
                    continue;
                }
                for (fast, plain) in checks {
                    assert_eq!(count(&conn, fast), count(&conn, plain), "{fast}");
                }
                checked += 1;
                conn.execute("ROLLBACK", ()).unwrap();
            }
            checked
        }));
    }
    let checked: i32 = readers.into_iter().map(|r| r.join().unwrap()).sum();
    assert!(checked > 0, "no reader transaction got to check");
    stop.store(true, Ordering::Relaxed);
    for writer in writers {
        writer.join().unwrap();
    }
    let conn = db.connect();
    for (fast, plain) in checks {
        assert_eq!(count(&conn, fast), count(&conn, plain), "{fast}");
    }
}
