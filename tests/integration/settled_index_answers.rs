//! Counts of index ranges a settled ordered index answers from its entries alone
//! (`Transaction::settled_entries`) match SQLite's and the checked walk's, beside index
//! probes (`EXISTS`, `IN`, anti joins) that read rows: after loading, after writes that
//! leave stale entries, once `VACUUM` collected them, beside another connection's
//! uncommitted writes, in an old snapshot, inside a transaction that wrote the table, and
//! over an untyped column holding integers, equal reals, text and NULLs.

use ember::{Connection, Database};

use super::settled_support::{answers, assert_pairs_agree, same_answers_across_writes_and_vacuum};
use super::support::{assert_same_answers, both_engines};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, v, s TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_v ON t(v)",
    "CREATE INDEX t_s ON t(s)",
    // Few probing rows against many: the planner probes t's indexes (`SemiIndexJoin`).
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, x INTEGER)",
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 3000) SELECT i, (i * 7919) % 2000, CASE i % 4 WHEN 0 THEN i % 500 \
     WHEN 1 THEN (i % 500) + 0.0 WHEN 2 THEN CAST(i % 500 AS TEXT) ELSE NULL END, \
     'k' || (i % 97) FROM c",
    "INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 100) SELECT i, (i * 31) % 2600, i % 9 FROM c",
];

const CHECKS: &[&str] = &[
    "SELECT count(*) FROM t WHERE a BETWEEN 100 AND 899",
    "SELECT count(*) FROM t WHERE a >= 1500",
    "SELECT count(a) FROM t WHERE a < 700",
    "SELECT count(*) FROM t WHERE s >= 'k2' AND s < 'k5'",
    "SELECT count(*) FROM t WHERE v BETWEEN 10 AND 200",
    "SELECT count(*), sum(x) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    "SELECT count(*), sum(x) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.v = u.t_id)",
    "SELECT count(*) FROM u WHERE u.t_id IN (SELECT a FROM t)",
    "SELECT count(*) FROM u LEFT JOIN t ON t.a = u.t_id WHERE t.a IS NULL",
];

/// Writes run on both engines in turn: key changes, deletes, reinserts, each leaving stale
/// entries until collected.
const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 3000 WHERE id % 5 = 0",
    "DELETE FROM t WHERE id % 7 = 0",
    "UPDATE t SET v = id % 300 WHERE id % 3 = 0",
    "INSERT INTO t SELECT id + 10000, a % 1800, v, s FROM t WHERE id % 11 = 0",
    "UPDATE t SET a = a - 3000 WHERE a >= 3000 AND id % 2 = 0",
];

fn vacuum(ember: &Connection) {
    ember.execute("VACUUM", ()).unwrap();
}

#[test]
fn settled_answers_match_sqlite_across_writes_and_collection() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

#[test]
fn uncommitted_writes_old_snapshots_and_own_writes_answer_as_they_should() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    vacuum(&ember);
    // A snapshot taken now keeps seeing these answers.
    let old = db.connect();
    old.execute("BEGIN", ()).unwrap();
    let before = answers(&old, CHECKS);
    // Another connection's uncommitted writes: entries for rows nobody else sees.
    let writer = db.connect();
    writer.execute("BEGIN", ()).unwrap();
    writer
        .execute(
            "INSERT INTO t VALUES (50001, 7, 7, 'k3'), (50002, 1300, 1300, 'k4')",
            (),
        )
        .unwrap();
    writer
        .execute("UPDATE t SET a = 2 WHERE id = 1", ())
        .unwrap();
    assert_same_answers(&ember, &sqlite, CHECKS, "another's uncommitted writes");
    // The same writes, seen inside their own transaction.
    for sql in [
        "INSERT INTO t VALUES (50001, 7, 7, 'k3'), (50002, 1300, 1300, 'k4')",
        "UPDATE t SET a = 2 WHERE id = 1",
    ] {
        sqlite.execute(sql, []).unwrap();
    }
    assert_same_answers(&writer, &sqlite, CHECKS, "own writes");
    writer.execute("COMMIT", ()).unwrap();
    // A delete changes no entry, yet its transaction no longer sees the rows.
    ember.execute("BEGIN", ()).unwrap();
    ember
        .execute("DELETE FROM t WHERE id % 10 = 1", ())
        .unwrap();
    sqlite
        .execute("DELETE FROM t WHERE id % 10 = 1", [])
        .unwrap();
    assert_same_answers(&ember, &sqlite, CHECKS, "own deletes");
    ember.execute("COMMIT", ()).unwrap();
    vacuum(&ember);
    assert_same_answers(&ember, &sqlite, CHECKS, "commits and VACUUM");
    assert_eq!(answers(&old, CHECKS), before, "the old snapshot's answers");
    old.execute("COMMIT", ()).unwrap();
}

#[test]
fn readers_agree_with_checked_answers_while_a_writer_runs() {
    let db = Database::in_memory();
    let setup = db.connect();
    for sql in SCHEMA {
        setup.execute(sql, ()).unwrap();
    }
    // The same questions, forced the checked way (`+ 0` keeps the index out of the plan).
    let pairs = [
        (
            "SELECT count(*) FROM t WHERE a BETWEEN 100 AND 899",
            "SELECT count(*) FROM t WHERE a + 0 BETWEEN 100 AND 899",
        ),
        (
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
            "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a + 0 = u.t_id)",
        ),
    ];
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            for round in 0..200 {
                let id = 20_000 + round;
                conn.execute(
                    &format!("INSERT INTO t VALUES ({id}, {}, 0, 'w')", round * 13 % 2000),
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
