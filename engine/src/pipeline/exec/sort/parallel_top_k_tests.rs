//! The parallel top-k against the serial one: over generated tables with ties across the
//! parts' boundary, NULLs, several keys, expressions, collations, filters, OFFSET, LIMIT
//! beyond the table, and under a snapshot that writers on other threads change meanwhile,
//! the split answers (`SPLIT_ANSWERS` counts them) exactly as the serial plan does.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use ember_storage::Value;

use super::super::parallel::SPLIT_ANSWERS;
// The whole file is test code (`mod top_k_tests` is `#[cfg(test)]`); the attribute also
// tells tidy_layers that this import of the session layer is a test's.
#[cfg(test)]
use crate::{Connection, Database};

/// Rows in the generated table: a bit over two parts of `SLOTS_PER_THREAD_MIN`.
const ROWS: i64 = 20_000;

/// Fills `u` with `ROWS` rows: few distinct scores (ties everywhere, across the parts'
/// boundary), NULLs in `score` and `name`, mixed-case names, then deletes every 13th row
/// and updates some so the slots have holes and newer versions.
fn fill(conn: &Connection) {
    conn.execute_batch(
        "CREATE TABLE u(id INTEGER PRIMARY KEY, grp INT, name TEXT, score REAL, wide TEXT);
         BEGIN",
    )
    .unwrap();
    let mut insert = conn
        .prepare("INSERT INTO u VALUES (?, ?, ?, ?, ?)")
        .unwrap();
    for id in 0..ROWS {
        let score = if id % 11 == 0 {
            Value::Null
        } else {
            Value::Real(((id * 7919) % 23) as f64 * 0.5)
        };
        let name = match id % 9 {
            0 => Value::Null,
            1 => Value::Text(format!("Name{}", id % 5)),
            _ => Value::Text(format!("name{}", id % 5)),
        };
        insert
            .execute(vec![
                Value::Integer(id),
                Value::Integer(id % 4),
                name,
                score,
                Value::Text(format!("padding {id}")),
            ])
            .unwrap();
    }
    drop(insert);
    conn.execute_batch(
        "DELETE FROM u WHERE id % 13 = 0;
         UPDATE u SET score = 99.5 WHERE id % 1000 = 7;
         COMMIT",
    )
    .unwrap();
}

fn table() -> Connection {
    let conn = Database::in_memory().connect();
    fill(&conn);
    conn
}

/// The answer of `sql` with one helper thread, whether a split gave it, and the answer
/// with no helper (the serial plan).
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
fn top_k_shapes_split_and_match_the_serial_plan() {
    let conn = table();
    let queries = [
        // K1's shape: every column, one key, ties on equal scores.
        "SELECT * FROM u ORDER BY score DESC LIMIT 10",
        "SELECT * FROM u ORDER BY score LIMIT 25",
        // NULL placement both ways.
        "SELECT id, score FROM u ORDER BY score NULLS FIRST LIMIT 40",
        "SELECT id, score FROM u ORDER BY score DESC NULLS LAST LIMIT 40",
        // Several keys, an expression, a collation, a deterministic function.
        "SELECT id, grp, name FROM u ORDER BY grp DESC, name COLLATE NOCASE, score LIMIT 30",
        "SELECT id FROM u ORDER BY score * -2 + grp, id % 3 DESC LIMIT 17",
        "SELECT id, name FROM u ORDER BY lower(name) DESC, length(wide) LIMIT 12",
        "SELECT * FROM u ORDER BY name COLLATE RTRIM DESC LIMIT 9",
        // OFFSET, LIMIT beyond the table, a negative LIMIT (every row).
        "SELECT id FROM u ORDER BY score DESC LIMIT 10 OFFSET 5000",
        "SELECT id, score FROM u ORDER BY score, grp LIMIT 100000",
        "SELECT id FROM u ORDER BY score DESC LIMIT -1 OFFSET 19000",
        "SELECT id FROM u ORDER BY grp LIMIT 5 OFFSET 100000",
        // Filters: compiled, staged, with a parameter; the key read by the filter only.
        "SELECT * FROM u WHERE grp = 2 AND score > 3 ORDER BY score DESC LIMIT 10",
        "SELECT name FROM u WHERE grp < ?1 AND score > 1 ORDER BY score, id DESC LIMIT 50",
        // A key range wide enough to split (its window of slots, then the overflow).
        "SELECT name FROM u WHERE id BETWEEN ?1 AND 19000 ORDER BY score, id DESC LIMIT 50",
        "SELECT count(*) FROM (SELECT id FROM u WHERE score < ?1 ORDER BY name LIMIT 3000)",
        // A filter that keeps no row.
        "SELECT * FROM u WHERE grp > 10 ORDER BY score LIMIT 10",
    ];
    for sql in queries {
        let params = if sql.contains('?') {
            vec![Value::Integer(6)]
        } else {
            Vec::new()
        };
        let (parallel, split, serial) = run(&conn, sql, &params);
        assert!(split, "{sql} ran serially");
        assert_eq!(parallel, serial, "{sql}");
    }
}

#[test]
fn top_k_ties_keep_the_first_rows_in_table_order() {
    let conn = table();
    // Every row of a group ties: the winners are the group's first rows in the table.
    let (parallel, split, serial) = run(&conn, "SELECT id FROM u ORDER BY grp LIMIT 5", &[]);
    assert!(split);
    assert_eq!(parallel, serial);
    let ids: Vec<Vec<Value>> = [4, 8, 12, 16, 20]
        .into_iter()
        .map(|id| vec![Value::Integer(id)])
        .collect();
    assert_eq!(parallel, ids);
    // The first rows of the tie sit in the second part: still in table order.
    let (parallel, _, serial) = run(
        &conn,
        "SELECT id FROM u ORDER BY grp DESC, id >= 10000 DESC LIMIT 3",
        &[],
    );
    assert_eq!(parallel, serial);
    let ids: Vec<Vec<Value>> = [10003, 10007, 10011]
        .into_iter()
        .map(|id| vec![Value::Integer(id)])
        .collect();
    assert_eq!(parallel, ids);
}

#[test]
fn top_k_shapes_that_need_the_statement_stay_serial() {
    let db = Database::in_memory();
    db.create_collation("backwards", |a: &str, b: &str| b.cmp(a))
        .unwrap();
    let conn = db.connect();
    fill(&conn);
    let queries = [
        // A correlated subquery, a clock-reading function, an application collation.
        "SELECT id FROM u ORDER BY (SELECT count(*) FROM u AS v WHERE v.id = u.grp) LIMIT 5",
        "SELECT id FROM u ORDER BY julianday('now') - id LIMIT 5",
        "SELECT id FROM u ORDER BY name COLLATE backwards LIMIT 5",
        // A filter that does not compile.
        "SELECT id FROM u WHERE abs(score) > 3 ORDER BY score LIMIT 5",
        // LIMIT 0.
        "SELECT id FROM u ORDER BY score LIMIT 0",
    ];
    for sql in queries {
        let (parallel, split, serial) = run(&conn, sql, &[]);
        assert!(!split, "{sql} was split");
        assert_eq!(parallel, serial, "{sql}");
    }
}

#[test]
fn a_failing_key_reports_the_serial_error() {
    let conn = table();
    conn.execute("PRAGMA threads = 1", ()).unwrap();
    let parallel = conn
        .query(
            "SELECT id FROM u ORDER BY abs(-9223372036854775807 - 1 + grp * 0) LIMIT 3",
            (),
        )
        .unwrap_err();
    conn.execute("PRAGMA threads = 0", ()).unwrap();
    let serial = conn
        .query(
            "SELECT id FROM u ORDER BY abs(-9223372036854775807 - 1 + grp * 0) LIMIT 3",
            (),
        )
        .unwrap_err();
    assert_eq!(parallel.to_string(), serial.to_string());
}

#[test]
fn a_snapshot_changed_by_writers_meanwhile_answers_as_the_serial_plan() {
    let db = Database::in_memory();
    let reader = db.connect();
    fill(&reader);
    let stop = Arc::new(AtomicBool::new(false));
    let writers: Vec<_> = (0..3)
        .map(|writer| {
            let conn = db.connect();
            let stop = Arc::clone(&stop);
            std::thread::spawn(move || {
                let mut round = 0i64;
                while !stop.load(Ordering::Relaxed) {
                    let id = ROWS + writer * 1_000_000 + round;
                    // Each writer changes only rows whose id is its own residue mod 3 (no
                    // write conflicts between writers).
                    let updated = (round * 37 % (ROWS / 3)) * 3 + writer;
                    let deleted = ((round * 53 + 1) % (ROWS / 3)) * 3 + writer;
                    conn.execute_batch(&format!(
                        "BEGIN;
                         INSERT INTO u VALUES ({id}, 1, 'new', 1000.0 + {round}, 'w');
                         UPDATE u SET score = score + 100 WHERE id = {updated};
                         DELETE FROM u WHERE id = {deleted};
                         COMMIT"
                    ))
                    .unwrap();
                    round += 1;
                }
                round
            })
        })
        .collect();
    let sqls = [
        "SELECT * FROM u ORDER BY score DESC LIMIT 10",
        "SELECT id, score FROM u ORDER BY score DESC, id LIMIT 10 OFFSET 20",
        "SELECT id FROM u WHERE grp = 1 ORDER BY score DESC LIMIT 100",
    ];
    for _ in 0..5 {
        reader.execute("BEGIN", ()).unwrap();
        for sql in sqls {
            let (parallel, split, serial) = run(&reader, sql, &[]);
            assert!(split, "{sql} ran serially");
            assert_eq!(parallel, serial, "{sql}");
            // The snapshot does not move while the writers go on.
            let (again, _, _) = run(&reader, sql, &[]);
            assert_eq!(again, parallel, "{sql}");
        }
        reader.execute("COMMIT", ()).unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    let rounds: i64 = writers
        .into_iter()
        .map(|writer| writer.join().unwrap())
        .sum();
    // Every writer's transaction committed: the table ends with all their inserts.
    let inserted = reader
        .query("SELECT count(*) FROM u WHERE name = 'new'", ())
        .unwrap()
        .values()
        .to_vec();
    assert_eq!(inserted, vec![vec![Value::Integer(rounds)]]);
}
