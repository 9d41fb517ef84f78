//! Index and primary-key probes by text that skip the recheck of the equality they probe
//! (a text for a TEXT column finds its key exactly: `exec/scan/mod.rs::holds_as_is`), the
//! key compared against each row found in place (`index/key_match.rs`), and index range
//! walks that skip a filter their range decides wholly (`exec/scan/index_range.rs`): answers
//! against SQLite for ties, NULLs, NOCASE and RTRIM columns and keys, texts of every
//! length, parameters, DESC, LIMIT 0 / OFFSET, empty ranges and bounds of other types.

use ember::{Connection, Value};

use crate::support::{both_engines, ember_rows, sqlite_rows, to_sqlite};

const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, s TEXT, n TEXT COLLATE NOCASE, \
     r TEXT COLLATE RTRIM, m, c REAL)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE INDEX t_n ON t(n)",
    "CREATE INDEX t_r ON t(r)",
    "CREATE INDEX t_m ON t(m)",
    "CREATE INDEX t_sa ON t(s, a)",
    "CREATE TABLE k(name TEXT PRIMARY KEY, v INTEGER)",
    "CREATE TABLE kn(name TEXT COLLATE NOCASE PRIMARY KEY, v INTEGER)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, code TEXT COLLATE NOCASE UNIQUE, v INTEGER)",
];

/// Texts with ties, case variants, trailing spaces, the empty text and lengths around the
/// key encoding's one-byte length limit.
fn text_of(i: i64) -> Value {
    match i % 17 {
        0 => Value::Null,
        1 => Value::Text(String::new()),
        2 => Value::Text("Ab".into()),
        3 => Value::Text("ab".into()),
        4 => Value::Text("ab ".into()),
        5 => Value::Text("x".repeat(127)),
        6 => Value::Text("x".repeat(128)),
        7 => Value::Text(format!("{}{}", "y".repeat(300), i % 3)),
        _ => Value::Text(format!("k{}", i % 23)),
    }
}

fn loaded() -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(SCHEMA);
    let ember = db.connect();
    let run = |sql: &str, values: Vec<Value>| {
        ember.execute(sql, values.as_slice()).unwrap();
        let sqlite_values: Vec<_> = values.iter().map(to_sqlite).collect();
        sqlite
            .execute(sql, rusqlite::params_from_iter(sqlite_values))
            .unwrap();
    };
    for id in 0..600i64 {
        let a = match id % 19 {
            0 => Value::Null,
            _ => Value::Integer(id % 41 - 7),
        };
        let m = match id % 7 {
            0 => Value::Null,
            1 => Value::Text("7x".into()),
            2 => Value::Real(7.5),
            3 => Value::Text("3".into()),
            _ => Value::Integer(id % 13 - 2),
        };
        let text = text_of(id);
        let values = vec![
            Value::Integer(id),
            a,
            text.clone(),
            text_of(id + 3),
            text_of(id + 5),
            m,
            Value::Real(id as f64 / 7.0),
        ];
        run("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?, ?)", values);
        if let Value::Text(name) = text_of(id * 7 + 1 + id / 17) {
            let name = format!("{name}{}", id % 50);
            run(
                "INSERT OR IGNORE INTO k VALUES (?, ?)",
                vec![Value::Text(name.clone()), Value::Integer(id)],
            );
            let cased = if id % 2 == 0 {
                name.to_uppercase()
            } else {
                name
            };
            run(
                "INSERT OR IGNORE INTO kn VALUES (?, ?)",
                vec![Value::Text(cased.clone()), Value::Integer(id)],
            );
            run(
                "INSERT OR IGNORE INTO u VALUES (?, ?, ?)",
                vec![Value::Integer(id), Value::Text(cased), Value::Integer(id)],
            );
        }
    }
    (db, sqlite)
}

/// Rows in a canonical order, for queries whose order SQL leaves open.
fn sorted(rows: Result<Vec<Vec<Value>>, String>) -> Result<Vec<Vec<Value>>, String> {
    rows.map(|mut rows| {
        rows.sort_by_key(|row| format!("{row:?}"));
        rows
    })
}

fn assert_same(ember: &Connection, sqlite: &rusqlite::Connection, sql: &str) {
    let (got, want) = (ember_rows(ember, sql), sqlite_rows(sqlite, sql));
    if sql.contains("ORDER BY") {
        assert_eq!(got, want, "{sql}");
    } else {
        assert_eq!(sorted(got), sorted(want), "{sql}");
    }
}

const TEXT_PROBES: &[&str] = &[
    "''", "'Ab'", "'ab'", "'AB'", "'ab '", "'ab  '", "'k5'", "'K5'", "'k99'", "'xxx'",
];

#[test]
fn text_equality_through_indexes_and_keys_answers_as_sqlite() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    let long = [
        "x".repeat(127),
        "x".repeat(128),
        format!("{}1", "y".repeat(300)),
    ]
    .map(|text| format!("'{text}'"));
    let probes = TEXT_PROBES
        .iter()
        .copied()
        .chain(long.iter().map(String::as_str));
    for probe in probes {
        for sql in [
            format!("SELECT id, a FROM t WHERE s = {probe}"),
            format!("SELECT id FROM t WHERE {probe} = s AND a > 3"),
            format!("SELECT id FROM t WHERE s = {probe} COLLATE NOCASE"),
            format!("SELECT id, s FROM t WHERE n = {probe}"),
            format!("SELECT id FROM t WHERE n = {probe} COLLATE BINARY"),
            format!("SELECT id, r FROM t WHERE r = {probe}"),
            format!("SELECT id FROM t WHERE s IN ({probe}, 'k7', {probe})"),
            format!("SELECT id FROM t WHERE s = {probe} AND a = 4"),
            format!("SELECT count(*), max(a) FROM t WHERE s = {probe}"),
            format!("SELECT v FROM k WHERE name = {probe} || '5'"),
            format!("SELECT v FROM kn WHERE name = {probe} || '5'"),
            format!("SELECT v FROM kn WHERE name = {probe} || '5' COLLATE BINARY"),
            format!("SELECT v FROM u WHERE code = {probe} || '6'"),
            format!("SELECT v FROM u WHERE code = {probe} || '6' COLLATE BINARY"),
            format!("SELECT id FROM t WHERE s = {probe} ORDER BY id DESC LIMIT 2"),
        ] {
            assert_same(&ember, &sqlite, &sql);
        }
    }
    // Numbers against text columns and texts against number columns.
    for sql in [
        "SELECT id FROM t WHERE s = 5",
        "SELECT id FROM t WHERE a = '5'",
        "SELECT id FROM t WHERE a = '5.0'",
        "SELECT id FROM t WHERE m = '3'",
        "SELECT id FROM t WHERE m = 3",
        "SELECT id FROM t WHERE s = NULL",
        "SELECT v FROM k WHERE name = 7",
    ] {
        assert_same(&ember, &sqlite, sql);
    }
}

#[test]
fn text_parameters_probe_alike() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    let params = [
        Value::Text("ab".into()),
        Value::Text("AB".into()),
        Value::Text("ab ".into()),
        Value::Text("k5".into()),
        Value::Text("x".repeat(128)),
        Value::Integer(5),
        Value::Null,
    ];
    for sql in [
        "SELECT id, a FROM t WHERE s = ?",
        "SELECT id FROM t WHERE n = ?",
        "SELECT id FROM t WHERE r = ? AND a < 20",
        "SELECT v FROM kn WHERE name = ? || '5'",
        "SELECT v FROM u WHERE code = ? || '6'",
    ] {
        for param in &params {
            let got: Vec<Vec<Value>> = ember.query(sql, [param.clone()]).unwrap().into_values();
            let mut statement = sqlite.prepare(sql).unwrap();
            let want: Vec<Vec<Value>> = statement
                .query_map([to_sqlite(param)], |row| {
                    Ok((0..row.as_ref().column_count())
                        .map(|i| crate::support::from_sqlite(row.get_ref(i).unwrap()))
                        .collect())
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(sorted(Ok(got)), sorted(Ok(want)), "{sql} with {param:?}");
        }
    }
}

#[test]
fn range_walks_answer_as_sqlite_with_and_without_their_filter() {
    let (db, sqlite) = loaded();
    let ember = db.connect();
    for sql in [
        "SELECT id, a FROM t WHERE a >= 10 ORDER BY a, id LIMIT 15",
        "SELECT id, a FROM t WHERE a >= 10 ORDER BY a LIMIT 0",
        "SELECT id, a FROM t WHERE a > 10 AND a < 20 ORDER BY a DESC, id DESC LIMIT 9 OFFSET 3",
        "SELECT id FROM t WHERE a BETWEEN 3 AND 9",
        "SELECT id FROM t WHERE a BETWEEN 9 AND 3",
        "SELECT id FROM t WHERE a > 100",
        "SELECT id FROM t WHERE a >= '10' AND a < '12'",
        "SELECT id FROM t WHERE a >= 10.5 AND a <= 12.0",
        "SELECT id FROM t WHERE a < '1x'",
        "SELECT id FROM t WHERE a >= 10 AND s = 'k5'",
        "SELECT id FROM t WHERE a >= 10 AND (s = 'k5' OR a = 30)",
        "SELECT id FROM t WHERE a >= 10 AND a >= 20",
        "SELECT id FROM t WHERE a >= 10 AND a < 12 AND c > 30",
        "SELECT id, s FROM t WHERE s >= 'k' ORDER BY s, id LIMIT 7",
        "SELECT id, s FROM t WHERE s > 'K' COLLATE NOCASE",
        "SELECT id, s FROM t WHERE s < 'ab' ORDER BY s DESC, id LIMIT 20 OFFSET 2",
        "SELECT id, n FROM t WHERE n >= 'B' AND n < 'L' ORDER BY n, id",
        "SELECT id, r FROM t WHERE r > 'ab' AND r <= 'k3' ORDER BY r, id",
        "SELECT id, m FROM t WHERE m >= 3 ORDER BY m, id",
        "SELECT id, m FROM t WHERE m < '7y' AND m > 7 ORDER BY m, id",
        "SELECT id FROM t WHERE s = 'k5' AND a >= 0 ORDER BY a, id",
        "SELECT id FROM t WHERE s = 'k5' AND a > 30",
        "SELECT id, s FROM t ORDER BY s DESC, id LIMIT 40",
        "SELECT id, s, n, a FROM t ORDER BY s, id LIMIT 100",
        "SELECT min(a), max(a) FROM t WHERE a > 3",
        "SELECT count(*) FROM t WHERE a >= 10",
    ] {
        assert_same(&ember, &sqlite, sql);
    }
    for param in [
        Value::Integer(10),
        Value::Text("10".into()),
        Value::Text("10x".into()),
        Value::Real(10.5),
        Value::Null,
    ] {
        for sql in [
            "SELECT id FROM t WHERE a >= ? ORDER BY a, id LIMIT 12",
            "SELECT id FROM t WHERE a < ? ORDER BY a DESC, id LIMIT 12",
        ] {
            let got = ember.query(sql, [param.clone()]).unwrap().into_values();
            let mut statement = sqlite.prepare(sql).unwrap();
            let want: Vec<Vec<Value>> = statement
                .query_map([to_sqlite(&param)], |row| {
                    Ok(vec![Value::Integer(row.get(0)?)])
                })
                .unwrap()
                .map(Result::unwrap)
                .collect();
            assert_eq!(got, want, "{sql} with {param:?}");
        }
    }
}
