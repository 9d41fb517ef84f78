//! Hash joins whose runtime bloom filter tests each streamed row's key on its payload bytes
//! before the row is decoded (EXPLAIN `bloom filter raw`, `exec/join/bloom.rs`): the same
//! answers with the filter on and off and from SQLite over INTEGER, REAL and TEXT key
//! columns, integers against integral reals both ways, NULL keys, a key after a TEXT
//! column, a clustered table's key (left out of the payload), and rows written before a
//! column was added (their key tested once decoded).

use ember::{Connection, Database, Value};

use crate::join_bloom::Lcg;
use crate::support::{explain, sqlite_rows};

/// Rows of the streamed table `f`, enough for the optimizer to add a filter.
const FACT_ROWS: u64 = 6_000;

/// The SQL literal of a key of column type `ty` drawn from `0..range`: a REAL is integral
/// half the time (to meet integers as 1 = 1.0 does); now and then NULL.
fn key_literal(ty: &str, random: &mut Lcg, range: u64) -> String {
    if random.below(25) == 0 {
        return "NULL".to_string();
    }
    let n = random.below(range);
    match ty {
        "INTEGER" => n.to_string(),
        "REAL" if n.is_multiple_of(2) => format!("{n}.0"),
        "REAL" => format!("{n}.5"),
        _ => format!("'k{n}'"),
    }
}

/// Both engines with `script` run.
fn engines(script: &str) -> (Connection, rusqlite::Connection) {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    conn.execute_batch(script).unwrap();
    sqlite.execute_batch(script).unwrap();
    (conn, sqlite)
}

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

/// Each of `queries` answers the same with the filter on, off, and in SQLite; the first
/// is planned with a raw test.
fn check(conn: &Connection, sqlite: &rusqlite::Connection, queries: &[&str], case: &str) {
    let plan = explain(conn, queries[0], &[]).join("\n");
    assert!(plan.contains("bloom filter raw"), "{case}: {plan}");
    for sql in queries {
        conn.execute("PRAGMA bloom_filter_joins = on", ()).unwrap();
        let with = rows(conn, sql);
        conn.execute("PRAGMA bloom_filter_joins = off", ()).unwrap();
        let without = rows(conn, sql);
        assert_eq!(with, without, "{case}: {sql}");
        assert_eq!(
            Ok(with),
            sqlite_rows(sqlite, sql),
            "{case}: {sql} against SQLite"
        );
    }
}

/// Joins on `f.k`, the streamed side reading two columns after it.
const QUERIES: [&str; 3] = [
    "SELECT count(*), sum(f.v), max(f.w), min(d.name) FROM f JOIN d ON d.k = f.k",
    "SELECT f.id, f.v, f.w, d.name FROM f JOIN d ON d.k = f.k ORDER BY f.id, d.name",
    "SELECT count(*), sum(f.v), max(f.w) FROM f WHERE EXISTS (SELECT 1 FROM d WHERE d.k = f.k)",
];

#[test]
fn typed_keys_after_a_text_column_answer_alike() {
    // (streamed key type, build key type, build rows, key range)
    let cases = [
        ("INTEGER", "INTEGER", 100, 20_000),
        ("INTEGER", "REAL", 200, 2_000),
        ("REAL", "INTEGER", 200, 2_000),
        ("REAL", "REAL", 300, 4_000),
        ("TEXT", "TEXT", 200, 10_000),
        ("INTEGER", "INTEGER", 0, 1_000),
    ];
    for (fact_type, build_type, build_rows, range) in cases {
        let mut random = Lcg(range ^ build_rows);
        let fact: Vec<String> = (0..FACT_ROWS)
            .map(|id| {
                let key = key_literal(fact_type, &mut random, range);
                let text = match id % 7 {
                    0 => "NULL".to_string(),
                    _ => format!("'{}'", "t".repeat((id % 300) as usize)),
                };
                format!("({id}, {text}, {key}, {}, 'w{}')", id % 97, id % 1000)
            })
            .collect();
        let mut script = format!(
            "CREATE TABLE f(id INTEGER PRIMARY KEY, t TEXT, k {fact_type}, v INTEGER, w TEXT);
             CREATE TABLE d(k {build_type}, name TEXT);
             INSERT INTO f VALUES {};",
            fact.join(", ")
        );
        if build_rows > 0 {
            let build: Vec<String> = (0..build_rows)
                .map(|row| {
                    format!(
                        "({}, 'n{row}')",
                        key_literal(build_type, &mut random, range)
                    )
                })
                .collect();
            script.push_str(&format!("INSERT INTO d VALUES {};", build.join(", ")));
        }
        let (conn, sqlite) = engines(&script);
        let case = format!("{fact_type} against {build_type}, {build_rows} build rows");
        check(&conn, &sqlite, &QUERIES, &case);
    }
}

#[test]
fn clustered_key_is_tested_as_the_row_id() {
    for build_type in ["INTEGER", "REAL"] {
        let mut random = Lcg(7);
        let fact: Vec<String> = (1..=FACT_ROWS)
            .map(|id| format!("({id}, {}, 'w{}', 'x{}')", id % 97, id % 1000, id % 13))
            .collect();
        let build: Vec<String> = (0..100)
            .map(|row| {
                format!(
                    "({}, 'n{row}')",
                    key_literal(build_type, &mut random, 8_000)
                )
            })
            .collect();
        let script = format!(
            "CREATE TABLE f(id INTEGER PRIMARY KEY, v INTEGER, w TEXT, x TEXT);
             CREATE TABLE d(k {build_type}, name TEXT);
             INSERT INTO f VALUES {};
             INSERT INTO d VALUES {};",
            fact.join(", "),
            build.join(", ")
        );
        let (conn, sqlite) = engines(&script);
        // A semi join streams `f` (an inner join would probe `f`'s key instead).
        let queries = [
            "SELECT count(*), sum(f.v), max(f.w), max(f.x) FROM f \
             WHERE EXISTS (SELECT 1 FROM d WHERE d.k = f.id)",
            "SELECT f.id, f.v, f.w, f.x FROM f WHERE EXISTS (SELECT 1 FROM d WHERE d.k = f.id) \
             ORDER BY f.id",
        ];
        check(
            &conn,
            &sqlite,
            &queries,
            &format!("f.id against {build_type}"),
        );
    }
}

#[test]
fn rows_written_before_an_added_column_answer_alike() {
    let mut random = Lcg(11);
    let older: Vec<String> = (0..FACT_ROWS / 2)
        .map(|id| {
            format!(
                "({id}, {}, {})",
                key_literal("INTEGER", &mut random, 9_000),
                id % 97
            )
        })
        .collect();
    let newer: Vec<String> = (FACT_ROWS / 2..FACT_ROWS)
        .map(|id| {
            let key = key_literal("INTEGER", &mut random, 9_000);
            format!("({id}, {key}, {}, 'w{}')", id % 97, id % 1000)
        })
        .collect();
    let build: Vec<String> = (0..100)
        .map(|row| format!("({}, 'n{row}')", key_literal("REAL", &mut random, 9_000)))
        .collect();
    let script = format!(
        "CREATE TABLE f(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER);
         CREATE TABLE d(k REAL, name TEXT);
         INSERT INTO f VALUES {};
         ALTER TABLE f ADD COLUMN w TEXT DEFAULT 'old';
         INSERT INTO f VALUES {};
         INSERT INTO d VALUES {};",
        older.join(", "),
        newer.join(", "),
        build.join(", ")
    );
    let (conn, sqlite) = engines(&script);
    check(
        &conn,
        &sqlite,
        &QUERIES,
        "a column added after rows were written",
    );
}
