//! `key IN (SELECT ..)` on an INTEGER primary key, read by looking up the set's members
//! (`KeyInSet`) instead of scanning: the plans EXPLAIN shows (and the shapes that keep the
//! scan), and answers checked against SQLite for sets with NULLs, duplicates, reals, texts
//! and negative keys, with other filters, ORDER BY and LIMIT, a set too large to probe
//! (the scan it falls back to), UPDATE and DELETE, and under another transaction's
//! uncommitted writes and an old snapshot.

use ember::{Connection, Database};

use crate::support::{assert_same_answers, both_engines, ember_rows, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b REAL, s TEXT)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id, x REAL)",
];

/// `t` holds keys 1..=3000 and a few negative and far ones; `u.t_id` (no declared type)
/// holds integers (some repeated, some missing from `t`), reals, texts and NULLs.
const FILL: &[&str] = &[
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 3000) \
     INSERT INTO t SELECT i, i % 17, (i % 100) / 10.0, 'k' || i FROM r",
    "INSERT INTO t VALUES (-5, 1, 0.5, 'neg'), (9000000000, 2, 1.5, 'far')",
    "WITH RECURSIVE r(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM r WHERE i < 400) \
     INSERT INTO u SELECT i, CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN (i * 7) % 3500 + 0.0 \
     WHEN 2 THEN '' || (i * 5) WHEN 3 THEN (i * 11) % 3500 + 0.5 ELSE (i * 13) % 3600 END, \
     (i % 10) / 10.0 FROM r",
    "INSERT INTO u VALUES (1000, -5, 0.0), (1001, 9000000000, 0.0), (1002, 'x', 0.0)",
];

fn loaded() -> (Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    for sql in FILL {
        conn.execute(sql, ()).unwrap();
        sqlite.execute(sql, []).unwrap();
    }
    (db, sqlite)
}

/// Statements whose `id IN (SELECT ..)` the lookups serve.
const SERVED: &[&str] = &[
    "SELECT * FROM t WHERE id IN (SELECT t_id FROM u WHERE x < 0.3)",
    "SELECT id, s FROM t WHERE id IN (SELECT t_id FROM u) ORDER BY id DESC",
    "SELECT count(*), sum(a), max(s) FROM t WHERE id IN (SELECT t_id FROM u)",
    "SELECT id FROM t WHERE id IN (SELECT t_id FROM u) AND a > 5 ORDER BY id",
    "SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE x > 0.5) LIMIT 5",
    "SELECT id FROM t WHERE id IN (SELECT t_id + 1 FROM u WHERE t_id IS NOT NULL)",
    "SELECT id FROM t WHERE id IN (SELECT -5 UNION ALL SELECT 9000000000 UNION ALL \
     SELECT NULL UNION ALL SELECT 3.0 UNION ALL SELECT '4' UNION ALL SELECT 4)",
    "SELECT id FROM t WHERE id IN (SELECT t_id FROM u WHERE id = 1002)",
    "SELECT t.id, t.a FROM t WHERE t.id IN (SELECT t_id FROM u) AND t.b >= 0.5 \
     ORDER BY t.a, t.id LIMIT 20 OFFSET 3",
];

/// Statements that keep their scan: negated, correlated, or not the key itself.
const SCANNED: &[&str] = &[
    "SELECT count(*) FROM t WHERE id NOT IN (SELECT t_id FROM u WHERE t_id IS NOT NULL)",
    "SELECT count(*) FROM t WHERE id + 0 IN (SELECT t_id FROM u)",
    "SELECT count(*) FROM t WHERE id IN (SELECT t_id FROM u WHERE u.x = t.b)",
    "SELECT count(*) FROM t WHERE a IN (SELECT t_id FROM u)",
];

fn assert_all_same(ember: &Connection, sqlite: &rusqlite::Connection, after: &str) {
    let mut checks: Vec<&str> = SERVED.iter().chain(SCANNED).copied().collect();
    // A set with more members than probing pays for: the scan answers.
    checks.push("SELECT count(*), sum(a) FROM t WHERE id IN (SELECT id FROM t WHERE a < 16)");
    assert_same_answers(ember, sqlite, &checks, after);
}

#[test]
fn plans_look_the_members_up() {
    let (db, _) = loaded();
    let conn = db.connect();
    for sql in SERVED {
        let plan = explain(&conn, sql, &[]).join("\n");
        assert!(
            plan.contains("KeyInSet t (") && plan.contains("id IN (subquery #"),
            "{sql}:\n{plan}"
        );
    }
    for sql in SCANNED {
        let plan = explain(&conn, sql, &[]).join("\n");
        assert!(!plan.contains("KeyInSet"), "{sql}:\n{plan}");
    }
    let plan = explain(
        &conn,
        "SELECT count(*) FROM t WHERE id IN (SELECT t_id FROM u)",
        &[],
    );
    assert_eq!(
        plan.get(2).map(String::as_str),
        Some("   └─ KeyInSet t (id IN (subquery #0)) filter (id IN (subquery #0))"),
        "{plan:?}"
    );
    // The subquery's own plan follows the statement's tree.
    assert_eq!(
        plan.get(3).map(String::as_str),
        Some("Subquery #0"),
        "{plan:?}"
    );
}

#[test]
fn answers_match_sqlite_after_writes() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    assert_all_same(&ember, &sqlite, "the fill");
    for sql in [
        "DELETE FROM t WHERE id % 7 = 0",
        "UPDATE u SET t_id = t_id + 1 WHERE id % 5 = 0",
        "UPDATE t SET id = id + 100000 WHERE id % 11 = 0",
        "INSERT INTO u VALUES (2000, 100011, 0.1), (2001, 100022, 0.9)",
        "UPDATE t SET a = a + 1 WHERE id IN (SELECT t_id FROM u WHERE x < 0.5)",
        "DELETE FROM t WHERE id IN (SELECT t_id FROM u WHERE x > 0.7)",
    ] {
        let changed = ember.execute(sql, ()).unwrap();
        let expected = sqlite.execute(sql, []).unwrap();
        assert_eq!(changed, expected, "{sql}");
        assert_all_same(&ember, &sqlite, sql);
    }
}

#[test]
fn lookups_see_their_own_snapshot_only() {
    let (db, sqlite) = loaded();
    let reader = db.connect();
    let writer = db.connect();
    let query = "SELECT id, a, s FROM t WHERE id IN (SELECT t_id FROM u) ORDER BY id";
    let before = ember_rows(&reader, query).unwrap();
    let writes = [
        "DELETE FROM t WHERE id BETWEEN 100 AND 900",
        "UPDATE t SET a = 99 WHERE id % 3 = 0",
        "INSERT INTO u VALUES (3000, 2999, 0.5)",
        "UPDATE t SET id = id + 50000 WHERE id > 2000",
    ];
    writer.execute("BEGIN", ()).unwrap();
    for sql in writes {
        writer.execute(sql, ()).unwrap();
        assert_eq!(ember_rows(&reader, query).unwrap(), before, "{sql}");
    }
    reader.execute("BEGIN", ()).unwrap();
    writer.execute("COMMIT", ()).unwrap();
    assert_eq!(ember_rows(&reader, query).unwrap(), before);
    for sql in writes {
        sqlite.execute(sql, []).unwrap();
    }
    assert_all_same(&writer, &sqlite, "the committed writes");
    reader.execute("COMMIT", ()).unwrap();
    assert_all_same(&reader, &sqlite, "the reader's new snapshot");
}
