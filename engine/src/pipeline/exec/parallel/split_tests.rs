//! Which statements a split answers: shapes that merge exactly over a table large enough
//! are answered in parallel (`SPLIT_ANSWERS` counts them on the statement's thread), and
//! shapes that must stay serial are not, their answers equal to the serial ones.

use ember_storage::Value;

use super::SPLIT_ANSWERS;
// The whole file is test code (`mod split_tests` is `#[cfg(test)]`); the attribute also
// tells tidy_layers that this import of the session layer is a test's.
#[cfg(test)]
use crate::{Connection, Database};

/// A table of 20,000 rows (two parts of `SLOTS_PER_THREAD_MIN`), on a connection with one
/// helper thread.
fn table() -> Connection {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, age INT, city TEXT, score REAL, tenth REAL);
         BEGIN",
    )
    .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO u VALUES (?, ?, ?, ?, ?)")
        .unwrap();
    for id in 0..20_000i64 {
        insert
            .execute(vec![
                Value::Integer(id),
                Value::Integer(18 + id % 60),
                Value::Text(format!("city{:02}", id % 50)),
                Value::Real((id % 1000) as f64 * 0.5),
                Value::Real((id % 7) as f64 / 10.0),
            ])
            .unwrap();
    }
    drop(insert);
    conn.execute("COMMIT", ()).unwrap();
    conn
}

/// The answer of `sql` on `conn` with one helper thread, whether a split gave it, and the
/// serial answer.
fn run(conn: &Connection, sql: &str, params: &[Value]) -> (Vec<Vec<Value>>, bool, Vec<Vec<Value>>) {
    conn.execute("PRAGMA threads = 1", ()).unwrap();
    let before = SPLIT_ANSWERS.get();
    let parallel = conn.query(sql, params).unwrap().values().to_vec();
    let split = SPLIT_ANSWERS.get() > before;
    conn.execute("PRAGMA threads = 0", ()).unwrap();
    let serial = conn.query(sql, params).unwrap().values().to_vec();
    (parallel, split, serial)
}

#[test]
fn mergeable_shapes_are_answered_by_a_split() {
    let conn = table();
    let queries = [
        // W4, G2 and the shapes around them.
        "SELECT age, COUNT(*), AVG(score) FROM u GROUP BY age",
        "SELECT city, count(*), sum(score) FROM u GROUP BY city",
        "SELECT city, age % 3, min(score), max(city), total(age) FROM u GROUP BY 1, 2",
        "SELECT age, sum(score * 2) FILTER (WHERE city < 'city10') FROM u GROUP BY age",
        // Filters: staged, compiled, with a parameter.
        "SELECT age, count(*) FROM u WHERE age BETWEEN 20 AND 30 GROUP BY age",
        "SELECT city, count(*) FROM u WHERE score <= ?1 GROUP BY city ORDER BY city",
        // Sums of tenths round, but their compensated error terms are exact (SumBound's
        // rule 2): the merged sums are the serial ones.
        "SELECT age, sum(tenth), avg(tenth * score) FROM u GROUP BY age",
        "SELECT avg(tenth), total(score) FROM u",
        // Deterministic functions in keys and arguments.
        "SELECT length(city), count(*), max(abs(score - 100)) FROM u GROUP BY 1",
        // No GROUP BY: expressions (Q6's shape), a FILTER clause, no row passing.
        "SELECT sum(score * tenth) FROM u WHERE age BETWEEN ?1 AND 60 AND tenth < 0.5",
        "SELECT count(*) FILTER (WHERE tenth > 0.2), avg(score + age) FROM u",
        "SELECT sum(score * 2), count(*) FROM u WHERE age > 1000",
        // No GROUP BY, under a compiled filter.
        "SELECT count(*), sum(score) FROM u WHERE age < ?1",
    ];
    for sql in queries {
        let params = if sql.contains('?') {
            vec![Value::Integer(40)]
        } else {
            Vec::new()
        };
        let (parallel, split, serial) = run(&conn, sql, &params);
        assert!(split, "{sql} ran serially");
        assert_eq!(parallel, serial, "{sql}");
    }
}

#[test]
fn shapes_that_may_differ_stay_serial() {
    let conn = table();
    let queries = [
        // A sum with bits down to 2^-1049 (1e-300 where tenth is 0) beside tenths: no proof.
        "SELECT age, sum(tenth + 1e-300) FROM u GROUP BY age",
        // DISTINCT and group_concat do not merge; a function that reads the session or the
        // clock, or a filter that does not compile, needs the statement's thread.
        "SELECT age, count(DISTINCT city) FROM u GROUP BY age",
        "SELECT age, group_concat(city) FROM u GROUP BY age",
        "SELECT age, count(*) FROM u WHERE abs(score) > 3 GROUP BY age",
        "SELECT changes(), count(*) FROM u GROUP BY 1",
        "SELECT age, max(date('now', '+' || age || ' days')) FROM u GROUP BY age",
        "SELECT age, max(city COLLATE NOCASE) FROM u GROUP BY age",
    ];
    for sql in queries {
        let (parallel, split, serial) = run(&conn, sql, &[]);
        assert!(!split, "{sql} was split");
        assert_eq!(parallel, serial, "{sql}");
    }
}

#[test]
fn keys_that_rarely_repeat_stay_serial() {
    let conn = table();
    // A group per row: merging the parts' groups would cost more than the split saves
    // (`grouped::groups_pay`). The first through column batches, the second row by row.
    let queries = [
        "SELECT id, count(*) FROM u GROUP BY id",
        "SELECT id % 5000, count(*), sum(score + 1) FROM u GROUP BY 1",
    ];
    for sql in queries {
        let (parallel, split, serial) = run(&conn, sql, &[]);
        assert!(!split, "{sql} was split");
        assert_eq!(parallel, serial, "{sql}");
    }
    // A key that repeats every 50 rows still splits.
    let (parallel, split, serial) = run(&conn, "SELECT id % 50, count(*) FROM u GROUP BY 1", &[]);
    assert!(split);
    assert_eq!(parallel, serial);
}
