//! GROUP BY folded in index order, each row compared with the group being folded instead
//! of hashed (`optimize/group_order.rs`, `exec/aggregate/group_walk.rs`): the plans EXPLAIN shows,
//! when the walk is not taken, and answers that match SQLite's over INTEGER, REAL, TEXT
//! and NOCASE columns with NULLs, negatives and REALs equal to integers, with WHERE
//! ranges, HAVING, ORDER BY either way, LIMIT and OFFSET, aggregates that read the rows
//! or only the key (folded by runs of equal keys), numbers written to a TEXT column,
//! an empty table, after writes and VACUUM, beside another transaction's uncommitted
//! writes, inside a transaction that wrote the table, in an old snapshot and while a
//! writer runs.

use ember::Database;

use super::settled_support::{
    assert_pairs_agree, same_answers_across_writes_and_vacuum,
    same_answers_beside_uncommitted_own_and_old,
};
use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, r REAL, s TEXT, \
     n TEXT COLLATE NOCASE, u)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_r ON t(r)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_u ON t(u)",
    "CREATE INDEX t_bs ON t(b, s)",
    "CREATE TABLE h(k INTEGER, v TEXT, w INTEGER)",
    "CREATE INDEX h_k ON h(k)",
    "CREATE INDEX h_vk ON h(v, k)",
    "CREATE TABLE empty(k INTEGER, v TEXT)",
    "CREATE INDEX empty_k ON empty(k)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 1500) SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE (i * 7919) % 301 - 150 \
     END, i % 13, CASE WHEN i % 7 = 0 THEN NULL WHEN i % 3 = 0 THEN i % 40 \
     ELSE (i % 50) / 4.0 END, \
     CASE i % 5 WHEN 0 THEN 'k' || (i % 97) WHEN 1 THEN 'K' || (i % 89) WHEN 2 THEN NULL \
     WHEN 3 THEN 'é' || (i % 61) ELSE '' END, \
     CASE i % 3 WHEN 0 THEN 'n' || (i % 30) WHEN 1 THEN 'N' || (i % 31) ELSE NULL END, \
     CASE i % 6 WHEN 0 THEN 7 WHEN 1 THEN 7.0 WHEN 2 THEN '7' WHEN 3 THEN -3.5 \
     WHEN 4 THEN NULL ELSE x'07' END FROM c",
    // A table without an INTEGER key: its rows' order is their insertion order.
    "INSERT INTO h WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 900) SELECT CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 31) % 97 - 40 END, \
     CASE WHEN i % 13 = 0 THEN NULL ELSE 'v' || (i % 23) END, i FROM c",
];

const CHECKS: &[&str] = &[
    // Key-only aggregates over a whole index.
    "SELECT a, count(*) FROM t GROUP BY a",
    "SELECT s, count(*) FROM t GROUP BY s",
    "SELECT a, count(a), min(a), max(a) FROM t GROUP BY a",
    "SELECT count(*) FROM t GROUP BY a",
    "SELECT k, count(*) FROM h GROUP BY k",
    "SELECT v, k, count(*) FROM h GROUP BY v, k",
    "SELECT v, count(*), count(k), min(k), max(k) FROM h GROUP BY v",
    "SELECT count(*) FROM (SELECT a FROM t GROUP BY a)",
    "SELECT k, count(*) FROM empty GROUP BY k",
    // Aggregates that read the rows, walked when the WHERE chose the index or a LIMIT.
    "SELECT a, sum(b), avg(b), group_concat(id) FROM t WHERE a > 100 GROUP BY a",
    "SELECT a, min(s), max(s), total(r) FROM t WHERE a BETWEEN -20 AND 40 GROUP BY a",
    "SELECT s, group_concat(id, ';') FROM t WHERE s >= 'k5' GROUP BY s",
    "SELECT k, group_concat(w), sum(w) FROM h WHERE k < 0 GROUP BY k",
    "SELECT s, count(*), sum(id) FROM t WHERE b = 4 GROUP BY s",
    "SELECT a, sum(b) FROM t GROUP BY a ORDER BY a LIMIT 5",
    "SELECT a, sum(b) FROM t GROUP BY a ORDER BY a LIMIT 4 OFFSET 3",
    "SELECT k, group_concat(w) FROM h GROUP BY k ORDER BY k LIMIT 6",
    // REAL ties equal to integers, NOCASE groups, a column without affinity (hashed: which
    // of its tied values the key shows is the scan's, not SQLite's walk's).
    "SELECT r, count(*) FROM t GROUP BY r",
    "SELECT typeof(r), r, count(*) FROM t WHERE r > 2 GROUP BY r",
    "SELECT n, count(*) FROM t GROUP BY n ORDER BY n LIMIT 8",
    "SELECT n, count(*), group_concat(id) FROM t WHERE n >= 'n2' GROUP BY n",
    "SELECT count(*), sum(id) FROM t GROUP BY u",
    // HAVING, ORDER BY the key either way, LIMIT and OFFSET.
    "SELECT a, count(*) FROM t GROUP BY a HAVING count(*) > 5",
    "SELECT a, count(*) FROM t GROUP BY a HAVING a % 3 = 0 ORDER BY a DESC",
    "SELECT a, count(*) FROM t GROUP BY a ORDER BY a DESC",
    "SELECT a, count(*) FROM t GROUP BY a ORDER BY a DESC LIMIT 4",
    "SELECT a, count(*) FROM t GROUP BY a ORDER BY a LIMIT 3 OFFSET 10",
    "SELECT s, max(s), count(*) FROM t GROUP BY s ORDER BY s DESC LIMIT 5 OFFSET 2",
    "SELECT v, k, count(*) FROM h GROUP BY v, k ORDER BY v DESC, k DESC LIMIT 7",
    "SELECT v, k, count(*) FROM h GROUP BY v, k ORDER BY v LIMIT 7",
    "SELECT a, sum(b) FROM t GROUP BY a ORDER BY a DESC LIMIT 5",
    "SELECT a, count(*) FROM t GROUP BY a ORDER BY count(*) DESC, a LIMIT 5",
    "SELECT a, count(*) FROM t WHERE a % 2 = 0 GROUP BY a",
    "SELECT a + 0, count(*) FROM t GROUP BY a ORDER BY a NULLS LAST LIMIT 4",
    // Folded by runs of equal keys (aggregates that read only BINARY INTEGER / TEXT terms):
    // several aggregates, FILTER, DISTINCT, a WHERE the range decides, an equality prefix,
    // two terms, NOCASE groups counted, descending, and aggregates that need the rows.
    "SELECT a, count(*), sum(a), total(a), avg(a), group_concat(a), count(DISTINCT a) \
     FROM t GROUP BY a",
    "SELECT s, count(s), min(s), max(s), length(group_concat(s, '')) FROM t GROUP BY s",
    "SELECT a, count(*) FILTER (WHERE a > 0), sum(a) FILTER (WHERE a % 2 = 0), count(*) \
     FROM t GROUP BY a",
    "SELECT a, count(*) FROM t WHERE a BETWEEN -50 AND 50 GROUP BY a HAVING count(*) >= 3",
    "SELECT a FROM t GROUP BY a HAVING count(*) > 4",
    "SELECT a FROM t WHERE a > 20 GROUP BY a HAVING max(a) % 3 = 1 ORDER BY a DESC",
    "SELECT s, count(*), max(s) FROM t WHERE b = 7 GROUP BY s ORDER BY s DESC LIMIT 5",
    "SELECT s, count(*) FROM t WHERE b = 3 AND s > 'k2' GROUP BY s",
    "SELECT v, k, count(*), sum(k) FROM h GROUP BY v, k HAVING count(*) > 1",
    "SELECT v, count(*), count(v) FROM h WHERE v >= 'v1' GROUP BY v",
    "SELECT n, count(*) FROM t WHERE n >= 'n2' GROUP BY n",
    "SELECT a, count(*), sum(a) FROM t GROUP BY a ORDER BY a LIMIT 7 OFFSET 2",
    "SELECT r, count(*), sum(r) FROM t WHERE r > 2 GROUP BY r",
    "SELECT a, count(*), sum(b) FROM t WHERE a < 0 GROUP BY a HAVING sum(b) > 10",
];

const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 1000 WHERE id % 37 = 0",
    "DELETE FROM t WHERE a < -100 OR s = ''",
    "INSERT INTO t(id, a, b, r, s, n, u) VALUES (5001, -9999, 4, -1e9, 'zzz', 'ZZZ', 7), \
     (5002, 9999, 4, 1e9, 'k1', 'n1', 7.0), (5003, NULL, NULL, NULL, NULL, NULL, NULL)",
    "UPDATE t SET s = 'k' || (id % 3), a = id % 4 WHERE id % 2 = 0",
    "UPDATE h SET k = k + 1 WHERE w % 5 = 0",
    "DELETE FROM h WHERE w % 7 = 0",
    "INSERT INTO h VALUES (-40, 'v1', 2000), (NULL, NULL, 2001), (3, 'v3', 2002)",
    // Values of other types in the TEXT column (numbers stored as text).
    "UPDATE t SET s = CASE id % 2 WHEN 0 THEN 17 ELSE 2.5 END WHERE id % 47 = 0",
    "DELETE FROM t WHERE id > 20",
];

#[test]
fn group_by_answers_match_sqlite_across_writes_and_vacuum() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn group_by_answers_beside_uncommitted_writes_own_writes_and_an_old_snapshot() {
    same_answers_beside_uncommitted_own_and_old(SCHEMA, CHECKS, WRITES);
}

#[test]
fn emptied_tables_and_all_null_keys() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let writes = [
        "UPDATE t SET a = NULL, s = NULL",
        "INSERT INTO empty VALUES (NULL, NULL), (NULL, NULL)",
    ];
    for write in writes {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
    assert_same_answers(&ember, &sqlite, CHECKS, "NULLs everywhere");
    for write in ["DELETE FROM t", "DELETE FROM h", "DELETE FROM empty"] {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
    }
    assert_same_answers(&ember, &sqlite, CHECKS, "emptied");
}

#[test]
fn explain_shows_groups_folded_in_index_order() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    assert_eq!(
        explain(&conn, "SELECT a, count(*) FROM t GROUP BY a", &[]),
        [
            "Project a, count(*)",
            "└─ Aggregate count(*) by index order group by a",
            "   └─ IndexRange t using t_a order a ASC",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT s, count(*) FROM t GROUP BY s ORDER BY s DESC LIMIT 3",
            &[]
        ),
        [
            "Limit 3",
            "└─ Project s, count(*)",
            "   └─ Aggregate count(*) by index order group by s",
            "      └─ IndexRange t using t_s order s DESC",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT a, sum(b) FROM t WHERE a > 5 GROUP BY a HAVING count(*) > 1 ORDER BY a",
            &[]
        ),
        [
            "Project a, sum(b)",
            "└─ Filter (count(*) > 1)",
            "   └─ Aggregate sum(b), count(*) by index order group by a",
            "      └─ IndexRange t using t_a (a > 5) order a ASC filter (a > 5)",
        ]
    );
    assert_eq!(
        explain(
            &conn,
            "SELECT n, count(*) FROM t GROUP BY n ORDER BY n LIMIT 2",
            &[]
        ),
        [
            "Limit 2",
            "└─ Project n, count(*)",
            "   └─ Aggregate count(*) by index order group by (n COLLATE NOCASE)",
            "      └─ IndexRange t using t_n order n ASC",
        ]
    );
    // A backwards walk would feed a sum its rows in reverse: the sort stays.
    assert_eq!(
        explain(
            &conn,
            "SELECT a, sum(b) FROM t WHERE a > 5 GROUP BY a ORDER BY a DESC",
            &[]
        ),
        [
            "Project a, sum(b)",
            "└─ Sort a DESC",
            "   └─ Aggregate sum(b) by index order group by a",
            "      └─ IndexRange t using t_a (a > 5) order a ASC filter (a > 5)",
        ]
    );
}

#[test]
fn groups_the_walk_cannot_fold_cheaply_keep_hashing() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    let hashed = [
        // Rows read out of table order for an aggregate of another column, no LIMIT.
        "SELECT a, sum(b) FROM t GROUP BY a",
        "SELECT s, count(*), id FROM t GROUP BY s",
        // A filter the index does not decide reads other columns.
        "SELECT a, count(*) FROM t WHERE b > 6 GROUP BY a",
        // Ties that are different values (no affinity), an expression, not the leading
        // column, a collation the index is not ordered by.
        "SELECT u, count(*) FROM t GROUP BY u",
        "SELECT a + 1, count(*) FROM t GROUP BY a + 1",
        "SELECT s, count(*) FROM t GROUP BY s, b",
        "SELECT s COLLATE NOCASE, count(*) FROM t GROUP BY s COLLATE NOCASE",
        // NOCASE entries do not hold the text whole: every row would be read.
        "SELECT n, count(*) FROM t GROUP BY n",
    ];
    for sql in hashed {
        let plan = explain(&conn, sql, &[]);
        assert!(
            plan.iter().all(|line| !line.contains("by index order")),
            "{sql}: {plan:#?}"
        );
    }
}

#[test]
fn groups_folded_by_runs_agree_with_hashed_ones_while_a_writer_runs() {
    let db = Database::in_memory();
    let setup = db.connect();
    for sql in SCHEMA {
        setup.execute(sql, ()).unwrap();
    }
    setup
        .execute("UPDATE t SET a = id % 90 WHERE a IS NULL", ())
        .unwrap();
    // The same questions, hashed (`+ 0` and `|| ''` keep the index out).
    let pairs = [
        (
            "SELECT a, count(*), sum(a) FROM t GROUP BY a ORDER BY a",
            "SELECT a + 0, count(*), sum(a) FROM t GROUP BY a + 0 ORDER BY 1",
        ),
        (
            "SELECT s, count(*), max(s) FROM t GROUP BY s",
            "SELECT s || '', count(*), max(s) FROM t GROUP BY s || '' ORDER BY 1",
        ),
        (
            "SELECT a, count(*) FROM t WHERE a BETWEEN 10 AND 120 GROUP BY a \
             HAVING count(*) > 1",
            "SELECT a + 0, count(*) FROM t WHERE a + 0 BETWEEN 10 AND 120 GROUP BY a + 0 \
             HAVING count(*) > 1 ORDER BY 1",
        ),
        (
            "SELECT count(*) FROM (SELECT a FROM t GROUP BY a)",
            "SELECT count(DISTINCT a + 0) FROM t",
        ),
    ];
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            for round in 0..200 {
                let id = 3_001 + round;
                conn.execute(
                    &format!(
                        "INSERT INTO t(id, a, s) VALUES ({id}, {}, 'k{round}')",
                        round % 40
                    ),
                    (),
                )
                .unwrap();
                conn.execute(
                    &format!(
                        "UPDATE t SET a = a + 1, s = s || 'u' WHERE id = {}",
                        round * 7 + 1
                    ),
                    (),
                )
                .unwrap();
                if round % 3 == 0 {
                    conn.execute(&format!("DELETE FROM t WHERE id = {id}"), ())
                        .unwrap();
                }
                if round % 25 == 0 {
                    // Collected and quiet for a moment: readers find the index settled.
                    conn.execute("VACUUM", ()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
            }
        });
        let reader = db.connect();
        while !writer.is_finished() {
            assert_pairs_agree(&reader, &pairs);
        }
    });
}
