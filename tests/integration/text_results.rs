//! Queries that return or order many texts, answered as SQLite answers them: DISTINCT and
//! GROUP BY over indexed and unindexed text columns (the index walks of
//! `exec/aggregate/distinct_walk.rs` and `exec/aggregate/group_walk.rs`, and the hashing operators)
//! with NULLs, duplicates, empty and non-ASCII texts, a NOCASE index under a BINARY query and a
//! NOCASE column under a BINARY one, several DISTINCT columns at once (rows of more than one value
//! moved out of the walk's queue), LIMIT / OFFSET, ORDER BY DESC, and upper() / lower() of texts.

use super::support::{assert_same_rows, both_engines, explain};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, s TEXT, n TEXT COLLATE NOCASE, g TEXT, u TEXT, \
     b INTEGER)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_gs ON t(g, s)",
    "CREATE INDEX t_ui ON t(u COLLATE NOCASE)",
    // s: duplicates, NULLs, '', mixed case, non-ASCII; n: NOCASE ties; g: few values;
    // u: text under a NOCASE index; b: a number for groups of expressions.
    "INSERT INTO t WITH RECURSIVE c(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM c \
     WHERE i < 1200) SELECT i, \
     CASE i % 9 WHEN 0 THEN NULL WHEN 1 THEN '' WHEN 2 THEN 'Ä' || (i % 23) \
     WHEN 3 THEN 'k' || (i % 41) WHEN 4 THEN 'K' || (i % 41) WHEN 5 THEN '日本' || (i % 7) \
     ELSE 'k' || i END, \
     CASE i % 4 WHEN 0 THEN 'n' || (i % 13) WHEN 1 THEN 'N' || (i % 13) WHEN 2 THEN NULL \
     ELSE 'ñ' || (i % 5) END, \
     CASE WHEN i % 10 = 0 THEN NULL ELSE 'g' || (i % 6) END, \
     CASE i % 5 WHEN 0 THEN 'u' || (i % 17) WHEN 1 THEN 'U' || (i % 17) \
     WHEN 2 THEN NULL ELSE 'é' || (i % 3) END, \
     i * 7 % 100 FROM c",
];

const CHECKS: &[&str] = &[
    // DISTINCT over an indexed text column, in and out of index order.
    "SELECT DISTINCT s FROM t ORDER BY s",
    "SELECT DISTINCT s FROM t ORDER BY s DESC",
    "SELECT DISTINCT s FROM t ORDER BY s LIMIT 20",
    "SELECT DISTINCT s FROM t ORDER BY s LIMIT 15 OFFSET 40",
    "SELECT DISTINCT s FROM t ORDER BY s DESC LIMIT 9 OFFSET 3",
    "SELECT * FROM (SELECT DISTINCT s FROM t) ORDER BY 1",
    "SELECT count(*) FROM (SELECT DISTINCT s FROM t)",
    "SELECT count(DISTINCT s) FROM t",
    // Several columns at once: rows of two values out of the walk.
    "SELECT DISTINCT g, s FROM t ORDER BY g, s",
    "SELECT DISTINCT g, s FROM t ORDER BY g DESC, s DESC LIMIT 30",
    "SELECT DISTINCT s, g FROM t WHERE g = 'g3' ORDER BY s",
    "SELECT * FROM (SELECT DISTINCT g, s FROM t) ORDER BY 2, 1 LIMIT 50 OFFSET 10",
    // Unindexed text: the hashing DISTINCT.
    "SELECT * FROM (SELECT DISTINCT upper(s) FROM t) ORDER BY 1",
    "SELECT * FROM (SELECT DISTINCT s || g FROM t) ORDER BY 1",
    "SELECT * FROM (SELECT DISTINCT lower(n) FROM t) ORDER BY 1",
    // NOCASE column, BINARY query and the reverse; NOCASE index under BINARY terms.
    "SELECT DISTINCT n FROM t ORDER BY n",
    "SELECT * FROM (SELECT DISTINCT n COLLATE BINARY FROM t) ORDER BY 1",
    "SELECT count(DISTINCT n), count(DISTINCT n COLLATE BINARY) FROM t",
    "SELECT * FROM (SELECT DISTINCT u FROM t) ORDER BY 1",
    "SELECT count(*) FROM (SELECT DISTINCT u COLLATE NOCASE FROM t)",
    "SELECT count(DISTINCT u), count(DISTINCT u COLLATE NOCASE) FROM t",
    "SELECT u FROM t ORDER BY u COLLATE NOCASE, id LIMIT 25 OFFSET 230",
    // GROUP BY text, indexed and not.
    "SELECT s, count(*) FROM t GROUP BY s ORDER BY s",
    "SELECT s, count(*) FROM t GROUP BY s ORDER BY s DESC LIMIT 12 OFFSET 5",
    "SELECT * FROM (SELECT s, count(*) FROM t GROUP BY s) ORDER BY 1",
    "SELECT g, s, count(*) FROM t GROUP BY g, s ORDER BY g, s",
    "SELECT lower(n), count(*) FROM t GROUP BY n ORDER BY 1",
    "SELECT * FROM (SELECT n COLLATE BINARY, count(*) FROM t GROUP BY 1) ORDER BY 1",
    "SELECT lower(u), count(*) FROM t GROUP BY u COLLATE NOCASE ORDER BY 1",
    "SELECT substr(s, 1, 2) AS p, count(*) FROM t GROUP BY p ORDER BY p LIMIT 20",
    "SELECT b % 7, min(s), max(s), count(DISTINCT s) FROM t GROUP BY b % 7 ORDER BY 1",
    "SELECT g, group_concat(s, ',') FROM (SELECT g, s FROM t WHERE id < 60 ORDER BY id) \
     GROUP BY g ORDER BY g",
    // Texts returned and ordered.
    "SELECT upper(s), lower(n) FROM t ORDER BY id LIMIT 100",
    "SELECT id, upper(s) || lower(g) FROM t ORDER BY id LIMIT 40 OFFSET 400",
    "SELECT id, s FROM t ORDER BY s, id LIMIT 10 OFFSET 10",
    "SELECT s FROM t WHERE length(s) = 3 ORDER BY s DESC LIMIT 10",
    "SELECT s, n FROM t ORDER BY s DESC, id LIMIT 10 OFFSET 500",
];

#[test]
fn text_results_match_sqlite() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    assert_same_rows(&ember, &sqlite, CHECKS);
}

#[test]
fn text_results_match_sqlite_after_writes() {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    for write in [
        "UPDATE t SET s = upper(s) WHERE id % 3 = 0",
        "DELETE FROM t WHERE id % 8 = 1",
        "INSERT INTO t(s, n, g, u, b) SELECT s, n, g, u, b + 1 FROM t WHERE id < 100",
        "UPDATE t SET s = NULL WHERE id % 31 = 0",
    ] {
        ember.execute(write, ()).unwrap();
        sqlite.execute(write, []).unwrap();
        assert_same_rows(&ember, &sqlite, CHECKS);
    }
}

#[test]
fn text_distinct_and_group_walk_the_index() {
    let (db, _sqlite) = both_engines(SCHEMA);
    let conn = db.connect();
    assert_eq!(
        explain(&conn, "SELECT DISTINCT g, s FROM t ORDER BY g, s", &[]),
        [
            "Distinct by index order",
            "└─ Project g, s",
            "   └─ IndexRange t using t_gs order g ASC",
        ]
    );
    assert_eq!(
        explain(&conn, "SELECT s, count(*) FROM t GROUP BY s", &[]),
        [
            "Project s, count(*)",
            "└─ Aggregate count(*) by index order group by s",
            "   └─ IndexRange t using t_s order s ASC",
        ]
    );
}
