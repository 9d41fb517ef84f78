//! Index nested-loop joins answer as SQLite does where their per-match shortcuts apply:
//! matches counted from a settled index's entries (`count(*)` and other questions that
//! read no right column), the key recheck skipped for integer probes into an integer index,
//! and probe keys made from the left row's values in place (text keys). Covered: INNER
//! and LEFT joins, filters on either side, ON conditions reading the left row alone, NULL
//! keys, duplicate keys, multi-column keys, keys of text, real, untyped and NOCASE columns
//! probed with values of other types (SQLite's affinity rules), self joins; after writes
//! that leave stale entries and once `VACUUM` collected them, beside another connection's
//! uncommitted writes, in a transaction that wrote the tables and in an old snapshot; and
//! readers agree with the checked join (the index kept out of the plan) while writers run.

use ember::Database;

use super::settled_support::{
    assert_pairs_agree, same_answers_across_writes_and_vacuum,
    same_answers_beside_uncommitted_own_and_old,
};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, v, s TEXT, r REAL, \
     n TEXT COLLATE NOCASE)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_v ON t(v)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_r ON t(r)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_as ON t(s, a)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, k TEXT, x REAL, w)",
    // Keys 0..400 on about five rows each, every 17th NULL; v: integers, equal reals, text,
    // booleans, NULL; s: 'k0'..'k96' and some numbers as text; r: halves; n: mixed case.
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 2000) SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE (i * 7919) % 400 END, \
     CASE i % 5 WHEN 0 THEN i % 300 WHEN 1 THEN (i % 300) + 0.0 \
     WHEN 2 THEN CAST(i % 300 AS TEXT) WHEN 3 THEN i % 2 = 0 ELSE NULL END, \
     CASE WHEN i % 9 = 0 THEN CAST(i % 400 AS TEXT) ELSE 'k' || (i % 97) END, \
     (i % 200) / 2.0, CASE i % 3 WHEN 0 THEN 'N' || (i % 50) ELSE 'n' || (i % 50) END \
     FROM c",
    // Probes below, inside and above the keys, every tenth NULL; k: texts t.s holds and
    // numbers as text; x: integral and half reals; w: integers, reals, text.
    "INSERT INTO u WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 300) SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE (i * 37) % 900 - 50 END, \
     CASE i % 4 WHEN 0 THEN CAST((i * 13) % 500 AS TEXT) WHEN 1 THEN 'N' || (i % 60) \
     ELSE 'k' || (i % 150) END, \
     CASE WHEN i % 7 = 0 THEN NULL ELSE (i % 220) / 2.0 END, \
     CASE i % 3 WHEN 0 THEN i % 310 WHEN 1 THEN (i % 310) + 0.0 ELSE CAST(i % 310 AS TEXT) END \
     FROM c",
];

/// Questions whose index joins take the shortcuts (or must not: a right column read, a
/// right filter, a probe key that is an expression).
const CHECKS: &[&str] = &[
    "SELECT count(*) FROM u JOIN t ON t.a = u.t_id",
    "SELECT count(*), sum(u.id) FROM u JOIN t ON t.a = u.t_id WHERE u.id % 3 = 0",
    "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.a = u.t_id",
    "SELECT u.id % 5, count(*) FROM u JOIN t ON t.a = u.t_id GROUP BY 1",
    "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.a = u.t_id AND u.id > 100",
    "SELECT count(*) FROM u LEFT JOIN t ON t.a = u.t_id AND u.x > 20 WHERE u.id < 250",
    "SELECT count(t.id), sum(t.id) FROM u LEFT JOIN t ON t.a = u.t_id",
    "SELECT count(*) FROM u JOIN t ON t.a = u.t_id AND t.id % 2 = 0",
    "SELECT count(*) FROM u JOIN t ON t.a = u.t_id + 1",
    "SELECT u.id, t.id FROM u JOIN t ON t.a = u.t_id WHERE u.id < 40 ORDER BY 1, 2",
    "SELECT u.id, t.id FROM u LEFT JOIN t ON t.a = u.t_id WHERE u.id < 40 ORDER BY 1, 2",
    "SELECT count(*) FROM t AS x JOIN t AS y ON y.a = x.id WHERE x.id < 300",
    "SELECT count(*) FROM u JOIN t ON t.v = u.t_id",
    "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.v = u.w",
    "SELECT count(*) FROM u JOIN t ON t.s = u.k",
    "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.s = u.k",
    "SELECT u.id, t.id FROM u JOIN t ON t.s = u.k WHERE u.id < 30 ORDER BY 1, 2",
    "SELECT count(*) FROM u JOIN t ON t.s = u.t_id",
    "SELECT count(*) FROM u JOIN t ON t.a = u.k",
    "SELECT count(*) FROM u JOIN t ON t.r = u.x",
    "SELECT count(*) FROM u JOIN t ON t.a = u.x",
    "SELECT count(*) FROM u JOIN t ON t.n = u.k",
    "SELECT count(*), sum(t.id) FROM u JOIN t ON t.s = u.k AND t.a = u.t_id",
];

/// Writes run on both engines in turn, each leaving stale entries until collected.
const WRITES: &[&str] = &[
    "UPDATE t SET a = a + 400 WHERE id % 5 = 0",
    "DELETE FROM t WHERE a % 7 = 0",
    "UPDATE t SET v = 3.0, s = 'k3' WHERE id % 9 = 0",
    "INSERT INTO t SELECT id + 10000, a % 350, v, s, r, n FROM t WHERE id % 11 = 0",
    "UPDATE t SET a = NULL, s = NULL WHERE id % 13 = 0",
    "DELETE FROM t WHERE a >= 400",
];

#[test]
fn index_joins_match_sqlite_across_writes_and_collection() {
    same_answers_across_writes_and_vacuum(SCHEMA, CHECKS, WRITES);
}

/// Another connection's uncommitted rows under keys u probes, a key moved away from u's
/// probe and one deleted.
#[test]
fn uncommitted_writes_old_snapshots_and_own_writes_are_not_trusted() {
    same_answers_beside_uncommitted_own_and_old(
        SCHEMA,
        CHECKS,
        &[
            "INSERT INTO t VALUES (50001, 13, 13, 'k12', 1.5, 'n1'), \
             (50002, 283, 283, 'k140', 2.0, 'N2')",
            "UPDATE t SET a = 5000, s = 'moved' WHERE a = 61",
            "DELETE FROM t WHERE a = 24",
        ],
    );
}

/// The joins above are index joins (else the shortcuts would go untested).
#[test]
fn the_checked_joins_probe_indexes() {
    let (db, _) = super::support::both_engines(SCHEMA);
    let conn = db.connect();
    for sql in [CHECKS[0], CHECKS[2], CHECKS[11], CHECKS[14], CHECKS[15]] {
        let plan = conn.query(&format!("EXPLAIN {sql}"), ()).unwrap();
        let text = format!("{:?}", plan.into_values());
        assert!(text.contains("IndexJoin t using"), "{sql}: {text}");
    }
}

/// Writers move keys, delete, insert and roll back (one only ever adds key 13, which u
/// probes, and rolls it back) while a reader asks each question both ways in one
/// snapshot: by the index (counted when settled) and the checked way (`+ 0` keeps the
/// index out of the plan).
#[test]
fn readers_agree_with_checked_joins_while_writers_run() {
    let db = Database::in_memory();
    let setup = db.connect();
    for sql in SCHEMA {
        setup.execute(sql, ()).unwrap();
    }
    setup.execute("VACUUM", ()).unwrap();
    let pairs = [
        (
            "SELECT count(*) FROM u JOIN t ON t.a = u.t_id",
            "SELECT count(*) FROM u JOIN t ON t.a + 0 = u.t_id",
        ),
        (
            "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.a = u.t_id",
            "SELECT count(*), sum(u.id) FROM u LEFT JOIN t ON t.a + 0 = u.t_id",
        ),
        (
            "SELECT count(*) FROM u JOIN t ON t.s = u.k",
            "SELECT count(*) FROM u JOIN t ON t.s || '' = u.k",
        ),
    ];
    let stop = std::sync::atomic::AtomicBool::new(false);
    // Stops the rolling-back writer however the reader ends (a failed check panics).
    struct StopOnDrop<'a>(&'a std::sync::atomic::AtomicBool);
    impl Drop for StopOnDrop<'_> {
        fn drop(&mut self) {
            self.0.store(true, std::sync::atomic::Ordering::Relaxed);
        }
    }
    std::thread::scope(|scope| {
        let writer = scope.spawn(|| {
            let conn = db.connect();
            for round in 0..60 {
                let id = 20_000 + round;
                let insert = format!("INSERT INTO t VALUES ({id}, {}, 0, 'k5', 0, 'w')", round);
                conn.execute(&insert, ()).unwrap();
                let update = format!("UPDATE t SET a = a + 1 WHERE id = {}", round * 7 + 1);
                conn.execute(&update, ()).unwrap();
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
                conn.execute("INSERT INTO t VALUES (30000, 13, 0, 'k12', 0, 'r')", ())
                    .unwrap();
                conn.execute("ROLLBACK", ()).unwrap();
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
        });
        let _stop = StopOnDrop(&stop);
        let reader = db.connect();
        // At least a few rounds, however fast the writer ends.
        let mut rounds = 0;
        while !writer.is_finished() || rounds < 20 {
            rounds += 1;
            assert_pairs_agree(&reader, &pairs);
        }
    });
}

/// An index join feeding a hash join under a top-k: the rows pass through the pulled
/// operators, which hand the rejected ones back.
const THREE_TABLES: &str = "SELECT l.id, r.s, r.b, r.m, g.tag FROM l JOIN r ON r.id = l.r_id \
     JOIN g ON g.name = r.s ORDER BY l.x DESC, l.id LIMIT 20";

/// Right rows read whole through an index join and mostly rejected by a top-k (which hands
/// its rejects back to the join): each joined row's texts, blobs and NULLs are its own
/// right row's, whatever memory the rows before it left behind.
#[test]
fn right_rows_handed_back_leave_nothing_in_the_next() {
    let schema = [
        "CREATE TABLE r(id INTEGER PRIMARY KEY, k INTEGER, s TEXT, b BLOB, m)",
        "CREATE INDEX r_k ON r(k)",
        "CREATE TABLE l(id INTEGER PRIMARY KEY, r_id INTEGER, x REAL)",
        // s: a text or NULL (every third), b: a blob or NULL, m: text, integer or NULL.
        "INSERT INTO r WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 600) SELECT i, i % 40, \
         CASE WHEN i % 3 = 0 THEN NULL ELSE 'text ' || (i % 100) END, \
         CASE WHEN i % 4 = 1 THEN NULL ELSE CAST('blob' || i AS BLOB) END, \
         CASE i % 5 WHEN 0 THEN NULL WHEN 1 THEN i ELSE 'm' || i END FROM c",
        "INSERT INTO l WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 900) SELECT i, (i * 7) % 650, ((i * 13) % 101) / 4.0 FROM c",
        // Joined by hash on r.s after the index join: the pulled index join feeds it.
        "CREATE TABLE g(name TEXT, tag TEXT)",
        "INSERT INTO g WITH RECURSIVE c(i) AS (SELECT 0 UNION ALL SELECT i + 1 FROM c \
         WHERE i < 59) SELECT 'text ' || i, 'tag' || i FROM c",
    ];
    let (db, sqlite) = super::support::both_engines(&schema);
    let ember = db.connect();
    super::support::assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT l.id, r.s, r.b, r.m FROM l JOIN r ON r.id = l.r_id \
             ORDER BY l.x DESC, l.id LIMIT 20",
            "SELECT l.id, r.id, r.s, r.m FROM l JOIN r ON r.k = l.r_id % 40 \
             ORDER BY l.x, r.id LIMIT 30",
            "SELECT l.id, r.s, r.b FROM l LEFT JOIN r ON r.id = l.r_id \
             ORDER BY r.s, l.id LIMIT 25",
            "SELECT count(*), sum(length(r.s)), sum(length(r.b)), count(r.m) \
             FROM l JOIN r ON r.id = l.r_id",
            THREE_TABLES,
        ],
    );
    for sql in [
        "SELECT l.id, r.s, r.b, r.m FROM l JOIN r ON r.id = l.r_id \
         ORDER BY l.x DESC, l.id LIMIT 20",
        THREE_TABLES,
    ] {
        let plan = ember.query(&format!("EXPLAIN {sql}"), ()).unwrap();
        let text = format!("{:?}", plan.into_values());
        assert!(text.contains("IndexJoin r using primary key"), "{text}");
    }
}
