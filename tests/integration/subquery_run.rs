//! How a subquery runs, as the optimizer chose it (`optimize/subquery_run.rs`) and EXPLAIN
//! shows it: the first row of a read by key or index, `count(*)` of a read by index counted
//! without an operator tree, plain aggregates of such a read folded without one, or the
//! operator tree. The counted and folded runs answer as SQLite does over index lookups, IN
//! lists and ranges, keys and aggregates that compare by a collation, NULL outer values,
//! and rows the transaction wrote itself; EXPLAIN ANALYZE counts their rows as the normal
//! run finds them.

use ember::Database;

use super::support::{assert_same_answers, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE u(id INTEGER PRIMARY KEY, k INT, name TEXT)",
    "CREATE TABLE o(id INTEGER PRIMARY KEY, uid INT, t TEXT COLLATE NOCASE, amt REAL, \
     code TEXT)",
    "CREATE INDEX o_uid ON o(uid)",
    "CREATE INDEX o_t ON o(t)",
    "CREATE INDEX o_code ON o(code)",
];

/// `u` with 300 rows and `o` with 1,200 (several per user, some keys NULL, texts in two
/// cases, codes that look like numbers), in both engines.
fn loaded() -> (Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let fill = [
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 300) \
         INSERT INTO u SELECT i, CASE WHEN i % 13 = 0 THEN NULL ELSE i % 40 END, \
         CASE i % 3 WHEN 0 THEN 'ann' WHEN 1 THEN 'ANN' ELSE 'bob' END FROM n",
        "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1200) \
         INSERT INTO o SELECT i, CASE WHEN i % 17 = 0 THEN NULL ELSE i % 250 END, \
         CASE i % 4 WHEN 0 THEN 'Ann' WHEN 1 THEN 'ann' WHEN 2 THEN 'Bob' ELSE NULL END, \
         i * 0.5, CASE WHEN i % 5 = 0 THEN '07' ELSE (i % 40) END FROM n",
    ];
    for statement in fill {
        db.connect().execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
    }
    (db, sqlite)
}

/// Subqueries counted without an operator tree, each over outer rows of `u`.
const COUNTED: &[&str] = &[
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.k) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid IN (u.id, u.k, 7)) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid BETWEEN u.id AND u.id + 3) FROM u \
     ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid > u.id) FROM u ORDER BY id",
    // A filter beside the key, checked on every row the lookup finds.
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id AND o.amt > 200) FROM u \
     ORDER BY id",
    // NOCASE keys.
    "SELECT id, (SELECT count(*) FROM o WHERE o.t = u.name) FROM u ORDER BY id",
    // In WHERE, uncorrelated, and with a constant key.
    "SELECT id FROM u WHERE (SELECT count(*) FROM o WHERE o.uid = u.id) > 4 ORDER BY id",
    "SELECT (SELECT count(*) FROM o WHERE o.uid = 12)",
    "SELECT (SELECT count(*) FROM o WHERE o.uid = NULL)",
];

/// Subqueries that fold the rows of a read by index into plain aggregates.
const FOLDED: &[&str] = &[
    "SELECT id, (SELECT count(*) + 1 FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT count(amt) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT max(amt) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT coalesce(sum(amt), 0) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT avg(amt) FROM o WHERE o.uid IN (u.id, u.k)) FROM u ORDER BY id",
    "SELECT id, (SELECT max(amt) - min(amt) FROM o WHERE o.uid BETWEEN u.id AND u.id + 4) \
     FROM u ORDER BY id",
    "SELECT id, (SELECT total(amt) * 2 FROM o WHERE o.uid = u.k AND o.amt > 100) FROM u \
     ORDER BY id",
    // NOCASE text: MIN, MAX and DISTINCT compare by the column's collation.
    // (Which of two NOCASE-equal texts MIN keeps depends on the rows' order: lowered.)
    "SELECT id, lower((SELECT min(t) FROM o WHERE o.uid = u.id)) FROM u ORDER BY id",
    "SELECT id, (SELECT max(code) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT count(DISTINCT t) FROM o WHERE o.uid BETWEEN u.id AND u.id + 9) \
     FROM u ORDER BY id",
    "SELECT id, (SELECT sum(uid) FROM o WHERE o.t = u.name) FROM u ORDER BY id",
    // In WHERE.
    "SELECT id FROM u WHERE (SELECT sum(amt) FROM o WHERE o.uid = u.id) > 1000 ORDER BY id",
];

/// Subqueries that take the first row of a read by key or index.
const FIRST_ROW: &[&str] = &[
    "SELECT id, (SELECT name FROM u AS v WHERE v.id = u.k) FROM u ORDER BY id",
    "SELECT id, coalesce((SELECT amt FROM o WHERE o.id = u.id * 3), -1) FROM u ORDER BY id",
    "SELECT id, CASE WHEN EXISTS (SELECT 1 FROM o WHERE o.t = u.name) THEN 1 ELSE 0 END \
     FROM u ORDER BY id",
];

/// Subqueries that run their operator tree.
const TREE: &[&str] = &[
    // Over a full scan; more than the count projected; GROUP BY; HAVING.
    "SELECT id, (SELECT count(*) FROM o WHERE o.amt * 2 = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id GROUP BY o.t ORDER BY 1 LIMIT 1) \
     FROM u ORDER BY id",
    "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id HAVING count(*) > 3) FROM u \
     ORDER BY id",
    // An expression argument, a FILTER, a bare column beside the aggregate.
    "SELECT id, (SELECT sum(amt * 2) FROM o WHERE o.uid = u.id) FROM u ORDER BY id",
    "SELECT id, (SELECT sum(amt) FILTER (WHERE amt > 100) FROM o WHERE o.uid = u.id) FROM u \
     ORDER BY id",
    "SELECT id, (SELECT max(amt) || code FROM o WHERE o.id = u.id * 3 OR o.uid = u.id) \
     FROM u ORDER BY id",
    // A text column compared with an integer (the comparison applies an affinity the
    // index does not store).
    "SELECT id, (SELECT count(*) FROM o WHERE o.code = u.k) FROM u ORDER BY id",
];

/// Row values against a subquery that reads by key: tested as rows, whatever the plan.
const ROW_VALUES: &[&str] = &[
    "SELECT id FROM u WHERE (id * 3, k) IN (SELECT id, uid FROM o WHERE o.id = u.id * 3) \
     ORDER BY id",
    "SELECT id FROM u WHERE (id, 1) NOT IN (SELECT uid, 1 FROM o WHERE o.uid = u.id) \
     ORDER BY id",
];

fn subquery_line(lines: &[String]) -> String {
    lines
        .iter()
        .find(|line| line.starts_with("Subquery #0") && !line.contains(" by groups "))
        .cloned()
        .unwrap_or_else(|| panic!("no subquery line in {lines:#?}"))
}

#[test]
fn explain_shows_how_each_subquery_runs() {
    let (db, _) = loaded();
    let conn = db.connect();
    for sql in COUNTED {
        let line = subquery_line(&explain(&conn, sql, &[]));
        assert!(line.ends_with(", rows counted"), "{sql}: {line}");
    }
    for sql in FOLDED {
        let line = subquery_line(&explain(&conn, sql, &[]));
        assert!(line.ends_with(", folded"), "{sql}: {line}");
    }
    for sql in FIRST_ROW {
        let line = subquery_line(&explain(&conn, sql, &[]));
        assert!(line.ends_with(", first row"), "{sql}: {line}");
    }
    for sql in TREE {
        let line = subquery_line(&explain(&conn, sql, &[]));
        let chosen = [", first row", ", rows counted", ", folded"]
            .iter()
            .any(|words| line.ends_with(words));
        assert!(!chosen, "{sql}: {line}");
    }
}

#[test]
fn every_run_answers_as_sqlite() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    for checks in [COUNTED, FOLDED, FIRST_ROW, TREE, ROW_VALUES] {
        assert_same_answers(&conn, &sqlite, checks, "loading");
    }
}

#[test]
fn counted_and_folded_runs_see_the_transactions_own_writes() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    let writes = [
        "DELETE FROM o WHERE id % 3 = 0",
        "UPDATE o SET uid = uid + 1 WHERE id % 7 = 0",
        "INSERT INTO o(id, uid, t, code) SELECT 5000 + id, id, name, k FROM u WHERE id < 50",
    ];
    conn.execute("BEGIN", ()).unwrap();
    sqlite.execute("BEGIN", []).unwrap();
    for write in writes {
        conn.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
        assert_same_answers(&conn, &sqlite, COUNTED, write);
        assert_same_answers(&conn, &sqlite, FOLDED, write);
    }
    conn.execute("ROLLBACK", ()).unwrap();
    sqlite.execute("ROLLBACK", []).unwrap();
    assert_same_answers(&conn, &sqlite, COUNTED, "ROLLBACK");
    assert_same_answers(&conn, &sqlite, FOLDED, "ROLLBACK");
}

#[test]
fn explain_analyze_counts_the_rows_each_run_found() {
    let (db, sqlite) = loaded();
    let conn = db.connect();
    let sql = "SELECT id, (SELECT count(*) FROM o WHERE o.uid = u.id) FROM u WHERE id <= 20";
    let total: i64 = sqlite
        .query_row(
            "SELECT count(*) FROM o WHERE uid BETWEEN 1 AND 20",
            [],
            |row| row.get(0),
        )
        .unwrap();
    let plan = explain(&conn, &format!("ANALYZE {sql}"), &[]);
    let at = plan
        .iter()
        .position(|line| line.starts_with("Subquery #0 correlated"))
        .expect("the subquery is shown");
    let lookup = plan[at..]
        .iter()
        .find(|line| line.contains("IndexLookup o"))
        .expect("the subquery looks o up");
    assert!(
        lookup.contains(&format!("rows={total} loops=20")),
        "{plan:#?}"
    );
    let aggregate = plan[at..]
        .iter()
        .find(|line| line.contains("Aggregate count(*)"))
        .expect("the subquery counts");
    assert!(aggregate.contains("rows=20 loops=20"), "{plan:#?}");
}
