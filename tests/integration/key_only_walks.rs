//! Ordered index walks that read rows from a settled index's entries (`key_only_read.rs`:
//! a query that needs only the key and the row id) and LIKE prefixes ranged in either case
//! under a BINARY key match SQLite: with ties, NULLs, DESC, OFFSET, NOCASE keys (read
//! from rows), mixed case and non-ASCII prefixes, after writes that leave stale entries
//! and once VACUUM collected them, beside another connection's uncommitted writes, in an
//! old snapshot, inside a transaction that wrote the table, and while a writer runs.

use ember::Database;

use super::settled_support::{
    assert_pairs_agree, same_answers_across_writes_and_vacuum,
    same_answers_beside_uncommitted_own_and_old,
};
use super::support::both_engines;

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, s TEXT, n TEXT COLLATE NOCASE)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 3000) SELECT i, (i * 7919) % 2000, i % 13, CASE i % 9 \
     WHEN 0 THEN 'k' || (i % 97) WHEN 1 THEN 'K' || (i % 89) WHEN 2 THEN NULL \
     WHEN 3 THEN 'aBc' || (i % 7) WHEN 4 THEN 'abcd' || (i % 5) WHEN 5 THEN 'ABCD' \
     WHEN 6 THEN 'é' || (i % 11) WHEN 7 THEN '' ELSE (i % 50) || 'x' END, \
     CASE i % 4 WHEN 0 THEN 'n' || (i % 30) WHEN 1 THEN 'N' || (i % 30) ELSE NULL END FROM c",
    // Keys outside the clustered range: their row ids are not their keys.
    "INSERT INTO t VALUES (-5, -1, 1, 'k1neg', 'n1'), (-6, 5000, 2, 'zz', 'z')",
];

const CHECKS: &[&str] = &[
    "SELECT id, s FROM t ORDER BY s DESC LIMIT 20",
    "SELECT id, s FROM t ORDER BY s LIMIT 25 OFFSET 300",
    "SELECT id, s FROM t WHERE s >= 'k5' ORDER BY s LIMIT 30",
    "SELECT id, s FROM t WHERE s < 'abcd' ORDER BY s DESC LIMIT 40",
    "SELECT id, a FROM t WHERE a >= 1500 ORDER BY a LIMIT 15",
    "SELECT id, a FROM t WHERE a BETWEEN 10 AND 20 ORDER BY a DESC",
    "SELECT a FROM t WHERE a < 5 ORDER BY a",
    "SELECT id, a FROM t WHERE a <= 3 ORDER BY a",
    "SELECT id, a FROM t WHERE a >= 1990 ORDER BY a DESC LIMIT 12",
    "SELECT id, n FROM t WHERE n IS NOT NULL ORDER BY n LIMIT 20",
    "SELECT id, s, b FROM t WHERE s >= 'k5' ORDER BY s LIMIT 10",
    "SELECT count(*) FROM t WHERE s LIKE 'k1%'",
    "SELECT count(*) FROM t WHERE s LIKE 'K1%'",
    "SELECT count(*), sum(a) FROM t WHERE s LIKE 'abc%'",
    "SELECT count(*) FROM t WHERE s LIKE 'abcd%'",
    "SELECT count(*) FROM t WHERE s LIKE 'aBcD1%'",
    "SELECT count(*) FROM t WHERE s LIKE 'k_1%'",
    "SELECT count(*) FROM t WHERE s LIKE '1%'",
    "SELECT count(*) FROM t WHERE s LIKE 'é1%'",
    "SELECT count(*) FROM t WHERE s LIKE 'É1%'",
    "SELECT count(*) FROM t WHERE s LIKE 'k%' AND a > 1000",
    "SELECT count(s) FROM t WHERE s LIKE 'z%'",
    "SELECT count(*) FROM t WHERE n LIKE 'n1%'",
    "SELECT id, s FROM t WHERE s LIKE 'k1%' ORDER BY s, id",
    "SELECT id, s FROM t WHERE s LIKE 'abc%' ORDER BY s DESC, id DESC LIMIT 7",
    "SELECT id FROM t WHERE s GLOB 'k1*' ORDER BY id",
];

/// Writes run on both engines in turn: key changes, deletes, reinserts, each leaving stale
/// entries until collected.
const WRITES: &[&str] = &[
    "UPDATE t SET s = 'K1' || id WHERE id % 5 = 0",
    "DELETE FROM t WHERE id % 7 = 0",
    "UPDATE t SET a = a + 5 WHERE id % 3 = 0",
    "INSERT INTO t SELECT id + 3000, a % 1800, b, s || 'z', n FROM t WHERE id % 11 = 0",
    "UPDATE t SET s = NULL WHERE id % 17 = 0",
];

#[test]
fn key_only_walks_and_either_case_prefixes_match_sqlite_across_writes() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn a_binary_like_prefix_with_letters_is_a_range() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let plan = db
        .connect()
        .query("EXPLAIN SELECT count(*) FROM t WHERE s LIKE 'k1%'", ())
        .unwrap()
        .into_values();
    let text = format!("{plan:?}");
    assert!(text.contains("starts with 'k1' in either case"), "{text}");
}

#[test]
fn uncommitted_writes_old_snapshots_and_own_writes_answer_as_they_should() {
    same_answers_beside_uncommitted_own_and_old(
        SCHEMA,
        CHECKS,
        &[
            "INSERT INTO t VALUES (3501, 7, 7, 'k19', 'n1'), (3502, 1700, 1, 'zzz', NULL)",
            "UPDATE t SET s = 'k1', a = 1600 WHERE id = 10",
            "DELETE FROM t WHERE id % 10 = 1",
        ],
    );
}

#[test]
fn key_only_walks_agree_with_checked_ones_while_a_writer_runs() {
    let db = Database::in_memory();
    let setup = db.connect();
    for sql in SCHEMA {
        setup.execute(sql, ()).unwrap();
    }
    // The same questions, forced the checked way (`|| ''` and `+ 0` keep the index out).
    let pairs = [
        (
            "SELECT id, s FROM t WHERE s IS NOT NULL ORDER BY s DESC LIMIT 40",
            "SELECT id, s FROM t WHERE s IS NOT NULL ORDER BY s || '' DESC, id DESC LIMIT 40",
        ),
        (
            "SELECT id, a FROM t WHERE a >= 1000 ORDER BY a LIMIT 50",
            "SELECT id, a FROM t WHERE a + 0 >= 1000 ORDER BY a + 0, id LIMIT 50",
        ),
        (
            "SELECT count(*) FROM t WHERE s LIKE 'k1%'",
            "SELECT count(*) FROM t WHERE s || '' LIKE 'k1%'",
        ),
    ];
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            for round in 0..200 {
                let id = 3_001 + round;
                conn.execute(
                    &format!(
                        "INSERT INTO t VALUES ({id}, {}, 0, 'k1w{round}', 'w')",
                        round * 13
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
