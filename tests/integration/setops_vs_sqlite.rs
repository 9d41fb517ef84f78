//! Set operations, DISTINCT, `IN (constants)`, GLOB and recursive CTEs against rusqlite's
//! SQLite over tables of mixed values (1, 1.0, TRUE-like 1, '1', blobs, NULLs, NOCASE and
//! RTRIM texts): the row sets (`exec::hash::row_set`), the compiled IN list
//! (`expr::in_constants`), the allocation-free GLOB matcher and the rewound recursive step
//! plans answer what SQLite answers, empty inputs and NULLs included.

use super::support::{assert_same_answers, both_engines};

/// Two tables of values of every class, with a NOCASE and an RTRIM column, in both engines.
fn mixed() -> (ember::Database, rusqlite::Connection) {
    let mut statements = vec![
        "CREATE TABLE m(id INTEGER PRIMARY KEY, x, n TEXT COLLATE NOCASE, \
         r TEXT COLLATE RTRIM, i INTEGER, s TEXT)",
        "CREATE TABLE m2(id INTEGER PRIMARY KEY, x, n TEXT COLLATE NOCASE, \
         r TEXT COLLATE RTRIM, i INTEGER, s TEXT)",
    ];
    let rows = [
        "(1, 1, 'a', 'a', 1, 'k19')",
        "(2, 1.0, 'A', 'a ', 2, 'k1é9')",
        "(3, '1', 'b', 'b', NULL, 'k10')",
        "(4, NULL, NULL, NULL, 3, NULL)",
        "(5, 2.5, 'B', 'b  ', 1, 'K19')",
        "(6, x'61', 'é', 'c', 2, 'k1')",
        "(7, 'a', 'É', 'C', 3, 'k199')",
        "(8, NULL, 'a', 'a', NULL, 'g1')",
        "(9, 2, 'c', ' c', 4, 'g3')",
        "(10, 2.0, 'C', 'c ', 5, 'g5')",
        "(11, -0.0, 'd', 'd', 0, 'g10')",
        "(12, 0, 'D', 'd', -1, '')",
    ];
    let inserts: Vec<String> = rows
        .iter()
        .enumerate()
        .map(|(at, row)| {
            let table = if at % 3 == 2 { "m2" } else { "m" };
            format!("INSERT INTO {table} VALUES {row}")
        })
        .chain(
            rows.iter()
                .take(6)
                .map(|row| format!("INSERT INTO m2 VALUES {}", row.replacen('(', "(10", 1))),
        )
        .collect();
    statements.extend(inserts.iter().map(String::as_str));
    both_engines(&statements)
}

#[test]
fn set_operations_answer_as_sqlite() {
    let (db, sqlite) = mixed();
    let checks = [
        "SELECT x FROM m UNION SELECT x FROM m2",
        "SELECT x FROM m2 UNION SELECT x FROM m",
        "SELECT x FROM m EXCEPT SELECT x FROM m2",
        "SELECT x FROM m2 EXCEPT SELECT x FROM m",
        "SELECT x FROM m INTERSECT SELECT x FROM m2",
        "SELECT x, i FROM m UNION SELECT i, x FROM m2",
        "SELECT x, i FROM m EXCEPT SELECT x, i FROM m2",
        "SELECT i, s FROM m INTERSECT SELECT i, s FROM m2",
        "SELECT n FROM m UNION SELECT n FROM m2",
        "SELECT n FROM m EXCEPT SELECT n FROM m2",
        "SELECT n FROM m INTERSECT SELECT n FROM m2",
        "SELECT r FROM m UNION SELECT r FROM m2",
        "SELECT r, x FROM m EXCEPT SELECT r, x FROM m2",
        "SELECT n, i FROM m INTERSECT SELECT n, i FROM m2",
        "SELECT x FROM m WHERE 0 EXCEPT SELECT x FROM m2",
        "SELECT x FROM m EXCEPT SELECT x FROM m2 WHERE 0",
        "SELECT x FROM m INTERSECT SELECT x FROM m2 WHERE 0",
        "SELECT x FROM m WHERE 0 UNION SELECT x FROM m2 WHERE 0",
        "SELECT count(*) FROM (SELECT x FROM m UNION SELECT x FROM m2)",
        "SELECT count(*) FROM (SELECT i FROM m EXCEPT SELECT x FROM m2)",
        "SELECT x FROM m UNION SELECT x FROM m2 EXCEPT SELECT i FROM m",
        "SELECT 1 UNION SELECT 1.0",
        "SELECT 1.0 UNION SELECT 1",
        "SELECT NULL UNION SELECT NULL",
        "SELECT NULL EXCEPT SELECT NULL",
        "SELECT NULL INTERSECT SELECT NULL",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}

#[test]
fn distinct_answers_as_sqlite() {
    let (db, sqlite) = mixed();
    let checks = [
        "SELECT DISTINCT x FROM m",
        "SELECT DISTINCT x, i FROM m",
        "SELECT DISTINCT i, x, s FROM m2",
        "SELECT DISTINCT n FROM m",
        "SELECT DISTINCT n, i FROM m2",
        "SELECT DISTINCT r FROM m",
        "SELECT DISTINCT r, n FROM m2",
        "SELECT count(*) FROM (SELECT DISTINCT x, n FROM m)",
        "SELECT count(*) FROM (SELECT DISTINCT x, i FROM m2)",
        "SELECT DISTINCT x, n FROM m WHERE 0",
        "SELECT count(*) FROM (SELECT DISTINCT x, n FROM m WHERE 0)",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}

#[test]
fn in_lists_of_constants_answer_as_sqlite() {
    let (db, sqlite) = mixed();
    let checks = [
        "SELECT id FROM m WHERE s IN ('g1', 'g3', 'g5') ORDER BY id",
        "SELECT id FROM m WHERE s NOT IN ('g1', 'g3', 'g5') ORDER BY id",
        "SELECT id FROM m WHERE x IN (1, '1', 2.5) ORDER BY id",
        "SELECT id FROM m WHERE x IN (1.0, NULL) ORDER BY id",
        "SELECT id FROM m WHERE x NOT IN (1.0, NULL) ORDER BY id",
        "SELECT id FROM m WHERE x NOT IN (1.0, 'z') ORDER BY id",
        "SELECT id FROM m WHERE (x IN (NULL)) IS NULL ORDER BY id",
        "SELECT id FROM m WHERE x IN (x'61', 'a') ORDER BY id",
        "SELECT id FROM m WHERE n IN ('A', 'é') ORDER BY id",
        "SELECT id FROM m WHERE n NOT IN ('b', 'D') ORDER BY id",
        "SELECT id FROM m WHERE r IN ('a', 'c') ORDER BY id",
        "SELECT id FROM m WHERE i IN ('1', '3', 'x') ORDER BY id",
        "SELECT id FROM m WHERE s IN (1, 'g5') ORDER BY id",
        "SELECT id FROM m WHERE i IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10) ORDER BY id",
        "SELECT id FROM m WHERE i NOT IN (0, 1, 2, 3, 4, 5, 6, 7, 8, 9, NULL) ORDER BY id",
        "SELECT id FROM m WHERE x IN (0, -1, 1.0, 2, 2.5, '1', 'a', x'61', 9, 10) ORDER BY id",
        "SELECT id FROM m WHERE s IN ('g1', 'g3', 'g5', 'k1', 'k19', 'k10', '', 'x', 'y', 'z') \
         ORDER BY id",
        "SELECT id FROM m WHERE i % 3 IN (0, 2) ORDER BY id",
        "SELECT id FROM m WHERE upper(s) IN ('K19', 'G3') ORDER BY id",
        "SELECT count(*) FROM m WHERE x IN ()",
        "SELECT count(*) FROM m WHERE x NOT IN ()",
        "SELECT count(*) FROM m WHERE s IN ('g1', 'g3') AND i > 1",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}

#[test]
fn glob_answers_as_sqlite() {
    let (db, sqlite) = mixed();
    let checks = [
        "SELECT id FROM m WHERE s GLOB 'k1*9' ORDER BY id",
        "SELECT id FROM m2 WHERE s GLOB 'k1*9' ORDER BY id",
        "SELECT id FROM m WHERE s GLOB 'k1?9' ORDER BY id",
        "SELECT id FROM m WHERE s GLOB '*9' ORDER BY id",
        "SELECT id FROM m WHERE s GLOB '[gk]1*' ORDER BY id",
        "SELECT id FROM m WHERE s GLOB '[^g]*' ORDER BY id",
        "SELECT id FROM m WHERE s NOT GLOB 'g*' ORDER BY id",
        "SELECT id FROM m WHERE n GLOB '?' ORDER BY id",
        "SELECT id FROM m WHERE s GLOB '' ORDER BY id",
        "SELECT id, (s GLOB 'k1*') + 0 FROM m ORDER BY id",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}

#[test]
fn recursive_ctes_answer_as_sqlite() {
    let (db, sqlite) = mixed();
    let checks = [
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 1000) \
         SELECT sum(n), count(*) FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r) \
         SELECT n FROM r LIMIT 5",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r LIMIT 7) \
         SELECT sum(n) FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION SELECT (n * 3 + 1) % 17 FROM r) \
         SELECT n FROM r",
        "WITH RECURSIVE r(n, s) AS (SELECT 1, 'a' UNION SELECT (n + 1) % 4, s FROM r) \
         SELECT n, s FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1.0 UNION SELECT n + 1 - 1 FROM r) SELECT n FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 5 \
         UNION ALL SELECT n + 10 FROM r WHERE n < 3) SELECT n FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r \
         WHERE n < (SELECT count(*) FROM m)) SELECT sum(n) FROM r",
        "WITH RECURSIVE r(n, t) AS (SELECT 1, 'x' UNION ALL \
         SELECT n + 1, t || (SELECT s FROM m WHERE id = 1) FROM r WHERE n < 3) \
         SELECT n, t FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 5 UNION ALL SELECT n - 1 FROM r WHERE n > 0 \
         ORDER BY 1 DESC) SELECT n FROM r",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 10) \
         SELECT n FROM r WHERE n % 3 = 0",
        "WITH RECURSIVE r(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM r WHERE n < 0) \
         SELECT n FROM r",
        "WITH RECURSIVE r(n, x) AS (SELECT 0, NULL UNION SELECT n + 1, x FROM r WHERE n < 3 \
         UNION SELECT n, NULL FROM r) SELECT n, x FROM r",
        "SELECT id, (WITH RECURSIVE r(n) AS (SELECT m.i UNION ALL SELECT n + 1 FROM r \
         WHERE n < 5) SELECT count(*) FROM r) FROM m ORDER BY id",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}
