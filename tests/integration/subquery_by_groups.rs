//! Correlated scalar subqueries decorrelated into groups (`optimize/subquery_by_groups.rs`,
//! `expr/subquery_by_groups.rs`): EXPLAIN shows the grouped plan of each qualifying
//! subquery; over outer rows many against the subquery's table the groups are computed
//! once (EXPLAIN ANALYZE), and the answers equal SQLite's (which runs the subquery per row)
//! for every aggregate, for keys that are NULL, equal as numbers but of two types, texts,
//! several columns, outer keys with no group, filters beside the key, subqueries in WHERE,
//! and writes of the transaction; over few outer rows the groups are never computed; a key
//! that compares with an affinity or a collation, or any other shape, keeps the per-row
//! plan alone.

use ember::{Connection, Database};

use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE u(id INTEGER PRIMARY KEY, k INT, r REAL, name TEXT, tag TEXT COLLATE NOCASE)",
    "CREATE TABLE o(id INTEGER PRIMARY KEY, uid INT, k INT, amt REAL, note TEXT, \
     label TEXT, rk REAL)",
    "CREATE INDEX o_uid ON o(uid)",
];

/// `u` with 2,000 rows and `o` with 900 (keys reaching every other user of the first 300,
/// some NULL, some REAL-typed, texts that repeat), in both engines: a subquery over every
/// `u` row runs per row for 450 of them, then from the groups.
fn loaded() -> (Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let fill = [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2000) \
         INSERT INTO u SELECT i, CASE WHEN i % 11 = 0 THEN NULL ELSE i % 7 END, i % 9 * 1.0, \
         'n' || (i % 13), CASE i % 4 WHEN 0 THEN 'A' WHEN 1 THEN 'a' ELSE 'b' END FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 900) \
         INSERT INTO o SELECT i, CASE WHEN i % 10 = 0 THEN NULL ELSE i % 150 * 2 END, \
         i % 7, i * 0.25, CASE WHEN i % 6 = 0 THEN NULL ELSE 'x' || (i % 4) END, \
         'n' || (i % 17), CASE WHEN i % 2 = 0 THEN i % 9 * 1.0 ELSE i % 9 END FROM n",
    ];
    for statement in fill {
        db.connect().execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
    }
    (db, sqlite)
}

fn grouped(conn: &Connection, sql: &str) -> bool {
    explain(conn, sql, &[])
        .iter()
        .any(|line| line.contains("by groups of outer"))
}

/// Queries whose subquery the rule groups (checked through EXPLAIN), each over every row
/// of `u`.
const GROUPED: &[&str] = &[
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT count(note) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT sum(amt) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT total(amt) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT avg(amt) FROM o WHERE u.id = o.uid) FROM u ORDER BY id",
    "SELECT id, (SELECT max(note) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT min(amt) * 2 + count(*) FROM o WHERE o.uid = u.id) FROM u \
     ORDER BY id",
    "SELECT id, (SELECT coalesce(sum(amt), -1) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT group_concat(note, ';' ORDER BY o.id) FROM o WHERE o.uid = u.id) \
     FROM u ORDER BY id",
    "SELECT id, (SELECT count(DISTINCT note) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT sum(amt) FILTER (WHERE note = 'x1') FROM o WHERE o.uid = u.id) \
     FROM u ORDER BY id",
    // A filter beside the key, and a key no group has (odd ids, ids past 300).
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id AND o.amt > 100) FROM u \
     ORDER BY id",
    // NULL outer keys (every eleventh k), and several columns.
    "SELECT id, (SELECT count(*) FROM o WHERE o.k = u.k) FROM u ORDER BY id",
    "SELECT id, (SELECT sum(amt) FROM o WHERE o.k = u.k AND o.uid = u.id) FROM u ORDER BY id",
    // Integers equal to reals of the other side.
    "SELECT id, (SELECT count(*) FROM o WHERE o.rk = u.k) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.k = u.r) FROM u ORDER BY id",
    // Text keys.
    "SELECT id, (SELECT count(*) FROM o WHERE o.label = u.name) FROM u ORDER BY id",
    // In WHERE, and twice in one query.
    "SELECT id FROM u WHERE (SELECT count(*) FROM o WHERE o.uid = u.id) > 2 ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id), \
     (SELECT max(amt) FROM o WHERE o.k = u.k) FROM u ORDER BY id",
];

/// Queries whose subquery has no grouped form: a key that compares otherwise than by the
/// raw values, or another shape.
const PER_ROW: &[&str] = &[
    "SELECT id, (SELECT count(*) FROM o WHERE o.label = u.tag) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.note = u.k) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id + 0) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id GROUP BY o.k) FROM u ORDER BY id",
];

#[test]
fn grouped_subqueries_answer_as_sqlite() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    for sql in GROUPED {
        assert!(grouped(&conn, sql), "not grouped: {sql}");
    }
    for sql in PER_ROW {
        assert!(!grouped(&conn, sql), "grouped: {sql}");
    }
    assert_same_answers(&conn, &sqlite, GROUPED, "loading");
    assert_same_answers(&conn, &sqlite, PER_ROW, "loading");
}

#[test]
fn explain_analyze_counts_the_grouped_run_once() {
    let (db, _) = loaded();
    let conn = db.connect();
    let sql = "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id) FROM u";
    let plan = explain(&conn, &format!("ANALYZE {sql}"), &[]);
    let grouped_scan = |plan: &[String]| -> String {
        let groups = plan
            .iter()
            .position(|line| line.starts_with("Subquery #0 by groups"))
            .expect("the grouped plan is shown");
        plan[groups..]
            .iter()
            .find(|line| line.contains("Scan o"))
            .expect("the grouped plan scans o")
            .clone()
    };
    // The grouped scan reads each of o's 900 rows once, not once per outer row.
    assert!(
        grouped_scan(&plan).contains("rows=900 loops=1"),
        "{plan:#?}"
    );
    // Over six outer rows the groups are never computed.
    let few = format!("ANALYZE {sql} WHERE id BETWEEN 4 AND 9");
    let plan = explain(&conn, &few, &[]);
    assert!(!grouped_scan(&plan).contains("actual"), "{plan:#?}");
}

#[test]
fn statements_that_write_what_the_subquery_reads_answer_as_sqlite() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    let updates = [
        // The subquery reads the table the statement writes.
        "INSERT INTO o(id, uid, amt) SELECT 2000 + id, id, \
         (SELECT count(*) FROM o WHERE o.uid = u.id) FROM u",
        "UPDATE o SET amt = amt + (SELECT count(*) FROM o AS i WHERE i.uid = o.uid)",
        "UPDATE u SET r = (SELECT sum(amt) FROM o WHERE o.uid = u.id)",
    ];
    for update in updates {
        conn.execute(update, ()).unwrap();
        sqlite.execute(update, []).unwrap();
    }
    let checks = [
        "SELECT id, amt FROM o ORDER BY id",
        "SELECT id, r FROM u ORDER BY id",
    ];
    assert_same_answers(&conn, &sqlite, &checks, "the updates");
}

#[test]
fn a_transaction_sees_its_own_rows_in_the_groups() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    let statements = [
        "BEGIN",
        "INSERT INTO o(id, uid, amt) VALUES (1001, 1, 5.0), (1002, 301, 7.0)",
        "DELETE FROM o WHERE uid = 2",
    ];
    for statement in statements {
        conn.execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
    }
    assert_same_answers(&conn, &sqlite, &GROUPED[..3], "writes in the transaction");
    conn.execute("ROLLBACK", ()).unwrap();
    sqlite.execute("ROLLBACK", []).unwrap();
    assert_same_answers(&conn, &sqlite, &GROUPED[..3], "the rollback");
}
