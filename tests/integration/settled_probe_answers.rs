//! Existence probes a settled index answers from its hash entries alone
//! (`Transaction::settled_index_holds`: `EXISTS`, `NOT EXISTS`, `IN`, `LEFT JOIN .. IS
//! NULL` on an integer key) match SQLite's: NULL probe values, duplicate keys, an untyped
//! column holding integers, equal reals, text and booleans, text keys (never settled),
//! joins with more to check than the key; after writes that leave stale entries and once
//! `VACUUM` collected them, beside another connection's uncommitted writes, in an old
//! snapshot and in a transaction that wrote the table; and readers agree with the checked
//! probe while writers change keys, delete and roll back.

use ember::Database;

use super::settled_support::{
    assert_pairs_agree, same_answers_across_writes_and_vacuum,
    same_answers_beside_uncommitted_own_and_old,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, v, s TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_v ON t(v)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, k TEXT)",
    // Keys 0..400, each on about five rows; v: integers, equal reals, text, booleans, NULL.
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 2000) SELECT i, (i * 7919) % 400, CASE i % 5 WHEN 0 THEN i % 300 \
     WHEN 1 THEN (i % 300) + 0.0 WHEN 2 THEN CAST(i % 300 AS TEXT) WHEN 3 THEN i % 2 = 0 \
     ELSE NULL END, 'k' || (i % 97) FROM c",
    // Probes below, inside and above the keys, every tenth NULL.
    "INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 300) SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 37) % 900 - 50 END, \
     'k' || (i % 150) FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.a = u.t_id WHERE t.id IS NULL",
    "SELECT count(*) FROM u LEFT JOIN t ON t.a = u.t_id WHERE t.a IS NULL",
    "SELECT count(*) FROM u WHERE u.t_id IN (SELECT a FROM t)",
    "SELECT count(*) FROM u WHERE u.t_id NOT IN (SELECT a FROM t WHERE a IS NOT NULL)",
    "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.v = u.t_id)",
    "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.v = u.t_id)",
    "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.s = u.k)",
    "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.s = u.k)",
    // More to check than the key: read the rows.
    "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id AND t.id > 1000)",
    "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id AND t.id % 2 = 0)",
    "SELECT count(*) FROM u LEFT JOIN t ON t.a = u.t_id AND t.id < 500 WHERE t.id IS NULL",
    "SELECT u.id FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id) ORDER BY u.id",
];

/// Writes run on both engines in turn, each leaving stale entries until collected.
const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 400 WHERE id % 5 = 0",
    "DELETE FROM t WHERE a % 7 = 0",
    "UPDATE t SET v = 3.0 WHERE id % 9 = 0",
    "INSERT INTO t SELECT id + 10000, a % 350, v, s FROM t WHERE id % 11 = 0",
    "UPDATE t SET a = NULL WHERE id % 13 = 0",
    "DELETE FROM t WHERE a >= 400",
];

#[test]
fn settled_probes_match_sqlite_across_writes_and_collection() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

/// Another connection's uncommitted rows under keys u probes (rows 1 and 13) and t lacks, a
/// key moved away from u's probe (row 3) and one deleted (row 2).
#[test]
fn uncommitted_writes_old_snapshots_and_own_writes_are_not_trusted() {
    same_answers_beside_uncommitted_own_and_old(
        SCHEMA,
        CHECKS,
        &[
            "INSERT INTO t VALUES (50001, -13, -13, 'k120'), (50002, 431, 431, 'k140')",
            "UPDATE t SET a = 5000 WHERE a = 61",
            "DELETE FROM t WHERE a = 24",
        ],
    );
}

/// Writers move keys, delete, insert and roll back (one only ever adds key -13, which u
/// probes, and rolls it back) while a reader asks each question both ways in one
/// snapshot: by the index (settled when quiet) and forced the checked way (`+ 0` keeps
/// the index out of the plan).
#[test]
fn readers_agree_with_checked_probes_while_writers_run() {
    let db = Database::in_memory();
    let setup = db.connect();
    for sql in SCHEMA {
        setup.execute(sql, ()).unwrap();
    }
    setup.execute("VACUUM", ()).unwrap();
    let pairs = [
        (
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a + 0 = u.t_id)",
        ),
        (
            "SELECT count(*) FROM u LEFT JOIN t ON t.a = u.t_id WHERE t.id IS NULL",
            "SELECT count(*) FROM u LEFT JOIN t ON t.a + 0 = u.t_id WHERE t.id IS NULL",
        ),
    ];
    let stop = std::sync::atomic::AtomicBool::new(false);
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            for round in 0..60 {
                let id = 20_000 + round;
                conn.execute(
                    &format!("INSERT INTO t VALUES ({id}, {}, 0, 'w')", 400 + round),
                    (),
                )
                .unwrap();
                conn.execute(
                    &format!("UPDATE t SET a = a + 1 WHERE id = {}", round * 7 + 1),
                    (),
                )
                .unwrap();
                if round % 3 == 0 {
                    conn.execute(&format!("DELETE FROM t WHERE id = {id}"), ())
                        .unwrap();
                }
                if round % 10 == 0 {
                    // Collected and quiet for a moment: readers find the index settled.
                    conn.execute("VACUUM", ()).unwrap();
                    std::thread::sleep(std::time::Duration::from_millis(3));
                }
            }
        });
        scope.spawn(|| {
            let conn = db.connect();
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                conn.execute("BEGIN", ()).unwrap();
                conn.execute("INSERT INTO t VALUES (30000, -13, 0, 'r')", ())
                    .unwrap();
                conn.execute("ROLLBACK", ()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let reader = db.connect();
        // At least a few rounds, however fast the writer ends.
        let mut rounds = 0;
        while !writer.is_finished() || rounds < 20 {
            rounds += 1;
            assert_pairs_agree(&reader, &pairs);
        }
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
    });
}
