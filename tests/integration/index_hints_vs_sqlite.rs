//! SQLite's `INDEXED BY` / `NOT INDEXED` on a table in FROM, against rusqlite's SQLite:
//! the rows (in SQLite's order: an `INDEXED BY` walk without ORDER BY gives the index's
//! order), the queries SQLite refuses with `no query solution` (a partial index its WHERE
//! does not imply; a whole table's `count(*)` counts every row whatever the hint), and
//! EXPLAIN naming the index every access of the reference uses.

use ember::Connection;

use super::support::{both_engines, ember_rows, explain, sqlite_rows};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INT, b TEXT, c INT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_b_known ON t(b) WHERE b IS NOT NULL",
    "CREATE INDEX t_lower_b ON t(lower(b))",
    "CREATE UNIQUE INDEX t_c ON t(c)",
    "CREATE INDEX t_a_c ON t(a, c)",
    "INSERT INTO t VALUES (1, 3, 'X', 10), (2, 1, NULL, 30), (3, 2, 'a', 20), \
     (4, NULL, 'b', NULL), (5, 2, 'C', 50), (6, 1, 'y', 60)",
    "CREATE TABLE u(k TEXT PRIMARY KEY, v INT)",
    "CREATE INDEX u_v ON u(v)",
    "INSERT INTO u VALUES ('z', 1), ('y', 2), ('x', 1)",
];

/// Both engines answer alike: the same rows in the same order, or both fail.
fn assert_alike(ember: &Connection, sqlite: &rusqlite::Connection, queries: &[&str]) {
    for sql in queries {
        let (ours, theirs) = (ember_rows(ember, sql), sqlite_rows(sqlite, sql));
        match (&ours, &theirs) {
            (Ok(_), Ok(_)) => assert_eq!(ours, theirs, "{sql}"),
            (Err(ours), Err(theirs)) => {
                assert!(ours.contains(theirs.as_str()), "{sql}: {ours} / {theirs}")
            }
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
    }
}

#[test]
fn indexed_by_answers_as_sqlite_in_the_index_order() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_alike(
        &ember,
        &sqlite,
        &[
            "SELECT * FROM t INDEXED BY t_a",
            "SELECT id FROM t INDEXED BY t_a WHERE id = 3",
            "SELECT id FROM t INDEXED BY t_a WHERE a > 1",
            "SELECT id FROM t INDEXED BY t_a WHERE a = 1 OR c = 20",
            "SELECT id FROM t INDEXED BY t_a WHERE rowid BETWEEN 1 AND 5",
            "SELECT id FROM t INDEXED BY t_c",
            "SELECT id FROM t INDEXED BY t_c WHERE c = 20",
            "SELECT id FROM t INDEXED BY t_a_c WHERE a = 2",
            "SELECT id FROM t INDEXED BY t_lower_b",
            "SELECT id FROM t INDEXED BY t_lower_b WHERE lower(b) = 'x'",
            "SELECT id FROM t INDEXED BY t_b_known WHERE b = 'a'",
            "SELECT id FROM t INDEXED BY t_b_known WHERE b > 'a'",
            "SELECT id FROM t INDEXED BY t_b_known WHERE b IS NOT NULL AND a = 1",
            "SELECT id, b FROM t INDEXED BY t_a ORDER BY b",
            "SELECT a, count(*) FROM t INDEXED BY t_a GROUP BY a",
            "SELECT x.id, y.id FROM t AS x INDEXED BY t_a JOIN t AS y ON x.a = y.id \
             ORDER BY 1, 2",
            "SELECT k FROM u INDEXED BY u_v WHERE k = 'y'",
            "SELECT k FROM u INDEXED BY u_v",
        ],
    );
}

#[test]
fn indexed_by_a_partial_index_the_query_does_not_imply_has_no_query_solution() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let refused = [
        "SELECT id FROM t INDEXED BY t_b_known",
        "SELECT id FROM t INDEXED BY t_b_known WHERE a = 1",
        "SELECT x.id, y.id FROM t AS x INDEXED BY t_b_known LEFT JOIN t AS y ON y.b = x.b",
    ];
    assert_alike(&ember, &sqlite, &refused);
    // A join term that refuses NULL implies `b IS NOT NULL` (an inner join's, a WHERE's,
    // the ON of the LEFT join whose right side the index serves).
    assert_alike(
        &ember,
        &sqlite,
        &[
            "SELECT x.id FROM t AS x INDEXED BY t_b_known JOIN t AS y ON x.b = y.b ORDER BY 1",
            "SELECT x.id FROM t AS x INDEXED BY t_b_known, t AS y WHERE x.b = y.b ORDER BY 1",
            "SELECT x.id, y.id FROM t AS x LEFT JOIN t AS y INDEXED BY t_b_known \
             ON y.b = x.b ORDER BY 1, 2",
            "SELECT x.id, y.id FROM t AS x INDEXED BY t_b_known LEFT JOIN t AS y \
             ON y.b = x.b WHERE x.b > y.b ORDER BY 1, 2",
        ],
    );
    for sql in refused {
        let error = ember.query(sql, ()).unwrap_err();
        assert!(
            error.to_string().contains("no query solution"),
            "{sql}: {error}"
        );
    }
}

#[test]
fn not_indexed_answers_as_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_alike(
        &ember,
        &sqlite,
        &[
            "SELECT id FROM t NOT INDEXED",
            "SELECT id FROM t NOT INDEXED WHERE id = 3",
            "SELECT id FROM t NOT INDEXED WHERE a = 1",
            "SELECT id FROM t NOT INDEXED WHERE c > 15",
            "SELECT k FROM u NOT INDEXED WHERE k = 'y'",
            "SELECT count(*) FROM t NOT INDEXED WHERE a IS NULL",
        ],
    );
}

#[test]
fn explain_shows_the_hinted_index_on_every_path() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let plan = |sql: &str| explain(&ember, sql, &[]).join("\n");
    // A lookup of the index, a range of it, and a walk of all of it.
    assert!(plan("SELECT id FROM t INDEXED BY t_a_c WHERE a = 2 AND c = 50").contains("t_a_c"));
    assert!(plan("SELECT id FROM t INDEXED BY t_a WHERE a > 1").contains("using t_a"));
    let walk = plan("SELECT id FROM t INDEXED BY t_a WHERE id = 3");
    assert!(walk.contains("using t_a"), "{walk}");
    assert!(!walk.contains("key"), "{walk}");
    // Without the hint the equality picks the unique index; with it, the named one.
    let hinted = plan("SELECT id FROM t INDEXED BY t_a WHERE c = 20 AND a = 2");
    assert!(
        hinted.contains("using t_a") && !hinted.contains("t_c"),
        "{hinted}"
    );
    // NOT INDEXED: no index, the rowid lookup stays.
    let unindexed = plan("SELECT id FROM t NOT INDEXED WHERE a = 1");
    assert!(!unindexed.contains("using"), "{unindexed}");
    let by_rowid = plan("SELECT id FROM t NOT INDEXED WHERE id = 3");
    let by_rowid_unhinted = plan("SELECT id FROM t WHERE id = 3");
    assert_eq!(by_rowid, by_rowid_unhinted);
}

#[test]
fn a_write_target_names_an_index_of_its_table() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "DELETE FROM t INDEXED BY nosuch WHERE a = 1",
        "UPDATE t INDEXED BY nosuch SET a = 3",
        "UPDATE t INDEXED BY t_a SET c = c + 1 WHERE a = 1",
        "DELETE FROM t NOT INDEXED WHERE a = 3",
    ] {
        let ours = ember.execute(sql, ()).map_err(|e| e.to_string());
        let theirs = sqlite.execute(sql, []).map_err(|e| e.to_string());
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{sql}"),
            (Err(ours), Err(theirs)) => assert!(ours.contains(theirs.as_str()), "{sql}"),
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
    }
    assert_alike(&ember, &sqlite, &["SELECT * FROM t ORDER BY id"]);
}

/// An UPDATE's or DELETE's target follows its hint as a read does: the rows changed, the
/// statements refused with `no query solution`, the table after each; a DELETE without
/// WHERE empties the table whatever the hint.
#[test]
fn a_write_target_follows_its_hint_as_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for sql in [
        "UPDATE t INDEXED BY t_a SET c = c + 100 WHERE a = 1",
        "UPDATE t INDEXED BY t_a SET c = c + 1 WHERE id = 3",
        "UPDATE t INDEXED BY t_b_known SET a = 0 WHERE id = 1",
        "UPDATE t INDEXED BY t_b_known SET a = a + 1 WHERE b IS NOT NULL AND b > 'a'",
        "UPDATE t INDEXED BY t_a SET a = a + 1",
        "UPDATE t INDEXED BY t_c SET b = 'w' WHERE c > 25",
        "UPDATE t NOT INDEXED SET b = 'q' WHERE a = 3",
        "DELETE FROM t INDEXED BY t_b_known WHERE a = 2",
        "DELETE FROM t INDEXED BY t_b_known WHERE b IS NOT NULL AND a = 3",
        "DELETE FROM t NOT INDEXED WHERE c = 10",
        "DELETE FROM t INDEXED BY t_a WHERE a > 3",
        "DELETE FROM t INDEXED BY t_b_known",
    ] {
        let ours = ember.execute(sql, ()).map_err(|e| e.to_string());
        let theirs = sqlite.execute(sql, []).map_err(|e| e.to_string());
        match (&ours, &theirs) {
            (Ok(ours), Ok(theirs)) => assert_eq!(ours, theirs, "{sql}"),
            (Err(ours), Err(theirs)) => {
                assert!(ours.contains(theirs.as_str()), "{sql}: {ours} / {theirs}")
            }
            _ => panic!("{sql}: EmberDB {ours:?}, SQLite {theirs:?}"),
        }
        assert_alike(&ember, &sqlite, &["SELECT * FROM t ORDER BY id"]);
    }
    let plan = explain(
        &ember,
        "UPDATE t INDEXED BY t_a SET c = 1 WHERE id = 3",
        &[],
    );
    assert!(plan[1].contains("using t_a"), "{plan:#?}");
    let plan = explain(&ember, "DELETE FROM t NOT INDEXED WHERE a = 3", &[]);
    assert!(!plan.join("\n").contains("using"), "{plan:#?}");
}

#[test]
fn a_whole_table_count_counts_every_row_whatever_the_hint() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    ember
        .execute("CREATE INDEX t_c_hash ON t USING HASH (c)", ())
        .unwrap();
    let queries = [
        "SELECT count(*) FROM t INDEXED BY t_b_known",
        "SELECT count(*) AS n FROM t AS x INDEXED BY t_b_known",
        "SELECT count(*) FROM t INDEXED BY t_b_known ORDER BY 1 LIMIT 1",
        "SELECT DISTINCT count(*) FROM t INDEXED BY t_b_known",
        "SELECT (SELECT count(*) FROM t INDEXED BY t_b_known)",
        "SELECT count(*) FROM t INDEXED BY t_a",
        "SELECT count(*) FROM t NOT INDEXED",
        "SELECT count(*) FROM t INDEXED BY t_b_known WHERE b IS NOT NULL",
        "SELECT count(*) FROM t INDEXED BY t_b_known WHERE b > 'a' AND a > 1",
        // Not a whole table's count: the index must serve.
        "SELECT count(*) FROM t INDEXED BY t_b_known WHERE a = 1",
        "SELECT count(*) FROM t INDEXED BY t_b_known WHERE 1",
        "SELECT count(b) FROM t INDEXED BY t_b_known",
        "SELECT count(1) FROM t INDEXED BY t_b_known",
        "SELECT count(*) + 1 FROM t INDEXED BY t_b_known",
        "SELECT count(*), sum(a) FROM t INDEXED BY t_b_known",
        "SELECT count(*) FROM t INDEXED BY t_b_known GROUP BY a",
        "SELECT count(*) FROM t INDEXED BY t_b_known HAVING count(*) > 1",
        "SELECT count(*) FROM t INDEXED BY t_b_known, u",
        "SELECT count(*) FROM t INDEXED BY nope",
    ];
    assert_alike(&ember, &sqlite, &queries);
    // A USING HASH index (EmberDB's own) counts every row too.
    let count = "SELECT count(*) FROM t INDEXED BY t_c_hash";
    assert_eq!(ember.query_value::<i64>(count, ()).unwrap(), 6);
}
