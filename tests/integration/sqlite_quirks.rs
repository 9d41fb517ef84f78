//! Three corners where EmberDB once answered differently from rusqlite's bundled SQLite:
//! ORDER BY / GROUP BY terms that are output positions or aliases under COLLATE (and
//! parentheses, unary signs, compounds); printf() stopping at an unknown conversion with the
//! text written so far; and text functions that give their input back unchanged (replace()
//! with an empty pattern) giving it as text, compared and typed as SQLite does.

use super::support::{assert_same_answers, both_engines};

fn people() -> (ember::Database, rusqlite::Connection) {
    both_engines(&[
        "CREATE TABLE p(id INTEGER PRIMARY KEY, a TEXT, b TEXT, i INTEGER)",
        "INSERT INTO p VALUES (1, 'b', 'Z', 3), (2, 'A', 'y', 1), (3, 'a', 'x ', 2), \
         (4, 'B', 'X', 3), (5, 'c ', 'w', 1), (6, 'C', 'W', 2), (7, NULL, 'v', NULL), \
         (8, 'é', 'É', 4), (9, 'c', 'x', 5)",
    ])
}

#[test]
fn collated_positions_and_aliases_are_output_columns() {
    let (db, sqlite) = people();
    let checks = [
        "SELECT a, id FROM p ORDER BY 1 COLLATE NOCASE, 2",
        "SELECT a, id FROM p ORDER BY 1 COLLATE NOCASE DESC, 2",
        "SELECT a, id FROM p ORDER BY 1 COLLATE RTRIM, 2 DESC",
        "SELECT a, id FROM p ORDER BY (1 COLLATE NOCASE) COLLATE BINARY, 2",
        "SELECT a, id FROM p ORDER BY (1 COLLATE BINARY) COLLATE NOCASE, 2",
        "SELECT a, id FROM p ORDER BY (1) COLLATE NOCASE, 2",
        "SELECT a, id FROM p ORDER BY (1 COLLATE NOCASE), 2",
        "SELECT a, id FROM p ORDER BY +1, 2",
        "SELECT a, id FROM p ORDER BY (1), 2",
        "SELECT a, id FROM p ORDER BY - -1, 2",
        "SELECT a, id FROM p ORDER BY +1 COLLATE NOCASE, 2",
        "SELECT a, id FROM p ORDER BY - -1 COLLATE NOCASE DESC, 2",
        "SELECT a, id FROM p ORDER BY -4294967296 COLLATE NOCASE, 2",
        "SELECT a, id FROM p ORDER BY +(1 COLLATE NOCASE), 2",
        "SELECT a, id FROM p ORDER BY 4294967296, 2",
        "SELECT a, id FROM p ORDER BY 2 COLLATE NOCASE, 1 COLLATE NOCASE",
        "SELECT a, id FROM p ORDER BY 1 COLLATE NOCASE, 2 LIMIT 4",
        "SELECT a, id FROM p ORDER BY 1 COLLATE NOCASE DESC, 2 LIMIT 3 OFFSET 2",
        "SELECT upper(a) AS u, id FROM p ORDER BY 1 COLLATE NOCASE, 2",
        "SELECT a AS x, id FROM p ORDER BY x COLLATE NOCASE, id",
        "SELECT a AS x, id FROM p ORDER BY (x) COLLATE NOCASE, id",
        "SELECT b AS a, id FROM p ORDER BY a COLLATE NOCASE, id",
        "SELECT DISTINCT a FROM p ORDER BY 1 COLLATE NOCASE, 1",
        "SELECT count(*) FROM (SELECT a FROM p GROUP BY 1 COLLATE NOCASE)",
        "SELECT count(*) FROM (SELECT a FROM p GROUP BY (1) COLLATE NOCASE)",
        "SELECT count(*) FROM (SELECT a FROM p GROUP BY 1 COLLATE RTRIM)",
        "SELECT count(*) FROM (SELECT a AS x FROM p GROUP BY x COLLATE NOCASE)",
        "SELECT a, count(*) FROM p GROUP BY 1 COLLATE NOCASE HAVING count(*) = 1 ORDER BY 1",
        "SELECT upper(a), count(*), min(id) FROM p GROUP BY 1 COLLATE NOCASE ORDER BY 3",
        "SELECT i, count(*) FROM p GROUP BY +1 ORDER BY 1",
        "SELECT i, count(*) FROM p GROUP BY (1) ORDER BY 1",
        "SELECT count(*) FROM (SELECT a FROM p GROUP BY +1 COLLATE NOCASE)",
        "SELECT a FROM p UNION SELECT b FROM p ORDER BY 1 COLLATE NOCASE, 1",
        "SELECT a FROM p UNION ALL SELECT b FROM p ORDER BY 1 COLLATE NOCASE DESC, 1",
        "SELECT a FROM p UNION SELECT b FROM p ORDER BY (1) COLLATE NOCASE, 1 LIMIT 5",
        "SELECT a FROM p EXCEPT SELECT b FROM p ORDER BY +1",
        "SELECT a AS x FROM p UNION SELECT b FROM p ORDER BY x COLLATE NOCASE, 1",
    ];
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
    // Out of range under COLLATE is still an error in both.
    let ours = db.connect();
    for sql in [
        "SELECT a FROM p ORDER BY 3 COLLATE NOCASE",
        "SELECT a FROM p GROUP BY 0 COLLATE NOCASE",
        "SELECT a FROM p UNION SELECT b FROM p ORDER BY 2 COLLATE NOCASE",
        "SELECT a FROM p ORDER BY -1 COLLATE NOCASE",
        "SELECT a FROM p GROUP BY -1 COLLATE NOCASE",
        "SELECT a FROM p UNION SELECT b FROM p ORDER BY -1 COLLATE NOCASE",
        "SELECT a FROM p ORDER BY 2147483647",
    ] {
        assert!(ours.query(sql, ()).is_err(), "{sql}");
        assert!(sqlite.prepare(sql).is_err(), "{sql}");
    }
}

#[test]
fn printf_stops_at_an_unknown_conversion_as_sqlite() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE f(id INTEGER PRIMARY KEY, fmt TEXT, n INTEGER)",
        "INSERT INTO f VALUES (1, 'ab%y', 7), (2, '%é', 7), (3, 'x%5', 7), (4, 'x%.', 7), \
         (5, 'x% ', 7), (6, 'x%-', 7), (7, '%d%y%d', 7), (8, '%lllld', 7), (9, '%lld', 7), \
         (10, '%', 7), (11, 'abc%', 7), (12, '', 7), (13, 'a%!y', 7), (14, 'a%*', 7), \
         (15, '%5.3.2f', 7), (16, 'é%ü', 7), (17, '%5d|%5y|', 7), (18, 'a%l', 7), \
         (19, '%5l.3d', 7), (20, '%.3ld', 7), (21, '%*d%', 7), (22, '%-5y', 7), \
         (23, '%%%y', 7), (24, 'ok %d', 7), (25, NULL, 7), (26, '%.*', 3), (27, 'x%#', 7)",
    ]);
    let mut checks = vec![
        "SELECT id, printf(fmt, n), typeof(printf(fmt, n)) FROM f ORDER BY id".to_string(),
        "SELECT id, format(fmt, n, n) FROM f ORDER BY id".to_string(),
        "SELECT id, printf(fmt) FROM f ORDER BY id".to_string(),
        "SELECT id FROM f WHERE printf(fmt, n) = 'ab' ORDER BY id".to_string(),
        "SELECT id, length(printf(fmt, n)) FROM f ORDER BY id".to_string(),
        "SELECT group_concat(printf(fmt, n), '|') FROM f".to_string(),
    ];
    for format in [
        "ab%y", "%é", "x%5", "x%.", "%d%y", "%lllld", "a%!y", "%5y", "x%", "x%5.", "%", "",
    ] {
        checks.push(format!(
            "SELECT printf('{format}', 3), typeof(printf('{format}')), quote(printf('{format}'))"
        ));
    }
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}

#[test]
fn text_functions_give_their_input_back_as_text() {
    let (db, sqlite) = both_engines(&[
        "CREATE TABLE t(id INTEGER PRIMARY KEY, i INTEGER, r REAL, s TEXT, b BLOB, x)",
        "INSERT INTO t VALUES (1, 5, 2.5, '5', x'41', 10), (2, 10, 1e20, 'ab', x'6162', 'x'), \
         (3, -3, 100.0, '', x'', NULL), (4, NULL, NULL, NULL, NULL, 2.0), \
         (5, 123456789012, -0.5, 'é', x'c3a9', x'35'), (6, 40, 4.0, '40', x'3430', '6')",
    ]);
    let forms = [
        "replace(C, '', 'z')",
        "replace(C, '', NULL)",
        "replace(C, '', '')",
        "replace(C, 'q', 'z')",
        "replace(C, NULL, 'z')",
        "trim(C, '')",
        "ltrim(C, '')",
        "rtrim(C, '')",
        "trim(C)",
        "substr(C, 1)",
        "substr(C, 0)",
        "substr(C, -100, 1000)",
        "upper(C)",
        "lower(C)",
        "printf('%s', C)",
        "concat(C)",
        "C || ''",
    ];
    let mut checks = Vec::new();
    for column in ["i", "r", "s", "b", "x"] {
        for form in forms {
            let e = form.replace('C', column);
            checks.push(format!(
                "SELECT id, typeof({e}), quote({e}), ({e} < '5') + 0, ({e} = {column}) + 0, \
                 ({e} > 5) + 0 FROM t ORDER BY id"
            ));
            checks.push(format!("SELECT id FROM t WHERE {e} < '5' ORDER BY id"));
            checks.push(format!("SELECT id FROM t WHERE {e} = '40' ORDER BY id"));
        }
    }
    checks.push("SELECT typeof(replace(5, '', 'x')), (replace(5, '', 'x') < '5') + 0".into());
    checks.push("SELECT typeof(replace(2.5, '', NULL)), typeof(replace(x'41', '', 1))".into());
    checks.push("SELECT count(*) FROM t WHERE replace(i, '', 'x') < '5'".into());
    checks.push("SELECT id, replace(i, '', s) FROM t ORDER BY id".into());
    let checks: Vec<&str> = checks.iter().map(String::as_str).collect();
    assert_same_answers(&db.connect(), &sqlite, &checks, "the fill");
}
