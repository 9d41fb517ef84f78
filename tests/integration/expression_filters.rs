//! Scan filters and projections over expressions whose compiled evaluation has fast paths:
//! CASE read as a truth value, LIKE patterns with `_` and several `%`
//! (matched by runs), printf() formats, made text (replace(), hex(), `||`) compared with
//! text, IS [NOT] NULL in junctions, and decimals written by date(), CAST and `||`,
//! against rusqlite's SQLite over random rows with NULLs, mixed types, non-ASCII text and
//! a NOCASE column. Errors are compared as errors (the messages differ).

use ember::{Database, Value};

use super::support::{assert_same_rows_or_both_fail, both_engines, insert_into_both};

const SCHEMA: &str = "CREATE TABLE e(id INTEGER PRIMARY KEY, i INTEGER, s TEXT, \
                      n TEXT COLLATE NOCASE, x REAL, m)";

/// `count` random rows: `i` integers (NULL at times), `s` texts of a few letters, digits,
/// `_`, `%` and non-ASCII characters (NULL at times), `n` the same under NOCASE, `x`
/// reals, `m` a mix of integers, reals, texts and NULL.
fn rows(count: i64) -> Vec<[Value; 6]> {
    let mut rng = fastrand::Rng::with_seed(35);
    let alphabet = ['k', 'K', '1', '2', '3', '9', 'é', '_', '%', 'a', 'ü'];
    let text = |rng: &mut fastrand::Rng| {
        if rng.u8(0..12) == 0 {
            return Value::Null;
        }
        let length = rng.usize(0..7);
        Value::Text(
            (0..length)
                .map(|_| alphabet[rng.usize(0..alphabet.len())])
                .collect(),
        )
    };
    (1..=count)
        .map(|id| {
            let i = if rng.u8(0..10) == 0 {
                Value::Null
            } else {
                Value::Integer(rng.i64(-1000..1000))
            };
            let s = text(&mut rng);
            let n = text(&mut rng);
            let x = Value::Real(rng.i32(-1000..1000) as f64 / 250.0);
            let m = match rng.u8(0..5) {
                0 => Value::Null,
                1 => Value::Integer(rng.i64(-50..50)),
                2 => Value::Real(rng.i32(-200..200) as f64 / 8.0),
                3 => Value::Text(rng.i64(-50..50).to_string()),
                _ => text(&mut rng),
            };
            [Value::Integer(id), i, s, n, x, m]
        })
        .collect()
}

/// Both engines with `e` filled alike.
fn engines(count: i64) -> (Database, rusqlite::Connection) {
    let (db, theirs) = both_engines(&[SCHEMA, "CREATE INDEX e_i ON e(i)"]);
    let insert = "INSERT INTO e VALUES (?, ?, ?, ?, ?, ?)";
    insert_into_both(&db, &theirs, insert, rows(count));
    (db, theirs)
}

fn assert_same(db: &Database, theirs: &rusqlite::Connection, queries: &[&str]) {
    assert_same_rows_or_both_fail(&db.connect(), theirs, queries);
}

#[test]
fn case_as_a_filter_answers_as_sqlite() {
    let (db, theirs) = engines(2000);
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT count(*) FROM e WHERE CASE WHEN i > 500 THEN x > 0.5 ELSE x < 0.1 END",
            "SELECT count(*) FROM e WHERE NOT CASE WHEN i > 500 THEN x > 0.5 ELSE x < 0.1 END",
            // No ELSE: NULL for rows no branch takes (NOT NULL is NULL too).
            "SELECT count(*) FROM e WHERE CASE WHEN i > 0 THEN x > 1 END",
            "SELECT count(*) FROM e WHERE NOT CASE WHEN i > 0 THEN x > 1 END",
            // Branches that are values, not predicates: texts, reals, NULL, columns.
            "SELECT count(*) FROM e WHERE CASE WHEN i % 3 = 0 THEN m WHEN i % 3 = 1 \
             THEN s ELSE x END",
            "SELECT count(*) FROM e WHERE CASE WHEN i IS NULL THEN 1 ELSE '0' END",
            "SELECT count(*) FROM e WHERE CASE WHEN x < 0 THEN NULL ELSE 0.5 END",
            // A simple CASE, nested CASE, and CASE inside junctions.
            "SELECT count(*) FROM e WHERE CASE i % 4 WHEN 0 THEN x > 0 WHEN 1 THEN s IS NULL \
             ELSE i < 0 END",
            "SELECT count(*) FROM e WHERE CASE WHEN i > 0 THEN CASE WHEN x > 0 THEN m > 0 \
             END ELSE s LIKE 'k%' END",
            "SELECT count(*) FROM e WHERE id > 100 AND CASE WHEN i > 0 THEN x > 0 ELSE 0 END \
             OR n = 'K'",
            "SELECT id FROM e WHERE CASE WHEN m > 10 THEN m < 40 ELSE m IS NULL END \
             ORDER BY id",
            "SELECT count(*) FROM e WHERE iif(i > 0, x > 2, x < -2)",
            // IS [NOT] NULL of columns in junctions.
            "SELECT count(*) FROM e WHERE i IS NOT NULL AND s IS NULL OR m IS NULL",
            "SELECT count(i), count(*) FROM e WHERE i IS NOT NULL",
            "SELECT count(*) FROM e WHERE NOT (i IS NULL OR x > 1)",
        ],
    );
}

#[test]
fn like_with_underscores_and_runs_answers_as_sqlite() {
    let (db, theirs) = engines(3000);
    let mut queries = Vec::new();
    for pattern in [
        "k%1_3%", "%1_3%", "_", "__", "%_", "_%", "k_", "%k_1", "%_%_%", "k%%1", "%é_%", "_é%",
        "%ü", "k_%_9", "%K%a%", "a%1%2", "%1%", "1%_", "%__", "", "%", "_é_", "k%3", "%_k%_3%",
    ] {
        for column in ["s", "n", "m", "i"] {
            queries.push(format!(
                "SELECT count(*) FROM e WHERE {column} LIKE '{pattern}'"
            ));
        }
        queries.push(format!(
            "SELECT count(*) FROM e WHERE s NOT LIKE '{pattern}'"
        ));
    }
    for (pattern, escape) in [("k!_%", "!"), ("%!%%", "!"), ("%1_3%", "1"), ("_!", "!")] {
        queries.push(format!(
            "SELECT count(*) FROM e WHERE s LIKE '{pattern}' ESCAPE '{escape}'"
        ));
    }
    queries.push("SELECT id, s FROM e WHERE s LIKE '%k_9%' OR s LIKE '_é_%' ORDER BY id".into());
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same(&db, &theirs, &queries);
}

#[test]
fn printf_answers_as_sqlite() {
    let (db, theirs) = engines(1500);
    let mut queries = Vec::new();
    for format in [
        "%08d-%s",
        "%d",
        "%5d|%-5d|",
        "%+05d",
        "% d",
        "%.3d",
        "%,d",
        "%x %o",
        "%5s|%-4s|",
        "%.2s",
        "100%%",
        "%",
        "a%",
        "%z",
        "é%dü",
        "%.1f",
        "%8.3f",
        "%e",
        "%g",
        "%c",
        "%q",
        "%Q",
        "%w",
        "%*d",
        "%-*d|",
        "%!5s|",
        "%!.1s",
    ] {
        queries.push(format!(
            "SELECT id, printf('{format}', i, s, x) FROM e ORDER BY id LIMIT 300"
        ));
        queries.push(format!("SELECT max(printf('{format}', m, n)) FROM e"));
    }
    queries.push("SELECT max(printf('%08d-%s', i, s)), min(format('%d', m)) FROM e".into());
    queries.push("SELECT printf('%2000000000d', 1)".into());
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same(&db, &theirs, &queries);
}

#[test]
fn made_text_compared_with_text_answers_as_sqlite() {
    let (db, theirs) = engines(2000);
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT count(*) FROM e WHERE replace(s, 'k', '') = '12'",
            "SELECT count(*) FROM e WHERE replace(s, 'k', '') > '2'",
            "SELECT count(*) FROM e WHERE '2' <= replace(s, 'k', 'é')",
            "SELECT count(*) FROM e WHERE replace(n, 'K', '') = '1'",
            "SELECT count(*) FROM e WHERE replace(s, '', 'x') = s",
            "SELECT count(*) FROM e WHERE replace(s, '', 'x') >= '1'",
            "SELECT count(*) FROM e WHERE replace(i, '1', '') = '5'",
            "SELECT count(*) FROM e WHERE replace(x, '.', ',') > '1,'",
            "SELECT count(*) FROM e WHERE replace(m, NULL, 'x') = '1'",
            "SELECT count(*) FROM e WHERE hex(s) = '6B31'",
            "SELECT count(*) FROM e WHERE hex(i) < '3'",
            "SELECT count(*) FROM e WHERE s = s || ''",
            "SELECT count(*) FROM e WHERE n || '-' || i = 'k-5'",
            "SELECT count(*) FROM e WHERE 'k1' > s || i",
            "SELECT id FROM e WHERE replace(s, 'k', '') = n ORDER BY id",
        ],
    );
}

#[test]
fn decimals_written_answer_as_sqlite() {
    let (db, theirs) = engines(1500);
    assert_same(
        &db,
        &theirs,
        &[
            "SELECT count(*) FROM e WHERE date('2024-01-01', '+' || (i % 30) || ' days') \
             > '2024-01-15'",
            "SELECT id, date('2024-01-01', '+' || i || ' days'), i || '|' || m FROM e \
             ORDER BY id LIMIT 400",
            "SELECT date(1700000000 + id * 37 * 1000, 'unixepoch') AS d, count(*) FROM e \
             GROUP BY d ORDER BY d LIMIT 30",
            "SELECT CAST(i AS TEXT), CAST(i * 100003 AS TEXT), time(id * 613, 'unixepoch') \
             FROM e ORDER BY id LIMIT 400",
            "SELECT max(i || ''), min(-9223372036854775807 - 1 || ''), \
             max(9223372036854775807 || '')",
        ],
    );
}
