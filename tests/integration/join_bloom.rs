//! Hash joins with a runtime bloom filter (`optimize/join_bloom.rs`): where EXPLAIN marks
//! one, the rows EXPLAIN ANALYZE says it dropped, and the same answers with the filter on
//! and off (`PRAGMA bloom_filter_joins`) and from SQLite, over integer, real and text keys,
//! 1 against 1.0, NULL keys, duplicates, an empty build side and a build side every
//! streamed row matches.

use ember::{Connection, Database, Value};

use crate::support::{explain, sqlite_rows};

/// Rows of the streamed table `f`, enough for the optimizer to add a filter.
const FACT_ROWS: i64 = 6_000;

/// A deterministic pseudo-random sequence (an LCG), for generated keys (shared with
/// `join_bloom_raw.rs`).
pub(crate) struct Lcg(pub(crate) u64);

impl Lcg {
    pub(crate) fn below(&mut self, bound: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % bound
    }
}

/// The SQL literal of a key drawn for `kind`: an integer, a real (some integral, to meet
/// integers as 1 = 1.0 does), a text, or now and then NULL.
fn key_literal(kind: &str, random: &mut Lcg, range: u64) -> String {
    if random.below(50) == 0 {
        return "NULL".to_string();
    }
    let n = random.below(range);
    match kind {
        "int" => n.to_string(),
        "real" if n.is_multiple_of(2) => format!("{n}.0"),
        "real" => format!("{n}.5"),
        _ => format!("'k{n}'"),
    }
}

/// Both engines with `f(id, k, v, w)` of `FACT_ROWS` rows and `d(k, name)` of `build_rows`
/// rows, keys of `fact_kind` and `build_kind` drawn from `0..range`.
fn tables(
    fact_kind: &str,
    build_kind: &str,
    build_rows: i64,
    range: u64,
) -> (Connection, rusqlite::Connection) {
    let conn = Database::in_memory().connect();
    let sqlite = rusqlite::Connection::open_in_memory().unwrap();
    let mut random = Lcg(range ^ build_rows as u64);
    let mut script = String::from(
        "CREATE TABLE f(id INTEGER PRIMARY KEY, k, v INTEGER, w TEXT);
         CREATE TABLE d(k, name TEXT);",
    );
    let fact: Vec<String> = (0..FACT_ROWS)
        .map(|id| {
            let key = key_literal(fact_kind, &mut random, range);
            format!("({id}, {key}, {}, 'w{}')", id % 97, id % 1000)
        })
        .collect();
    script.push_str(&format!("INSERT INTO f VALUES {};", fact.join(", ")));
    if build_rows > 0 {
        let build: Vec<String> = (0..build_rows)
            .map(|row| {
                let key = key_literal(build_kind, &mut random, range);
                format!("({key}, 'n{row}')")
            })
            .collect();
        script.push_str(&format!("INSERT INTO d VALUES {};", build.join(", ")));
    }
    conn.execute_batch(&script).unwrap();
    sqlite.execute_batch(&script).unwrap();
    (conn, sqlite)
}

/// The queries each case runs: pushed (an aggregate above the join) and pulled, the test
/// inside the scan's decode (two read columns after the key), a filter on the streamed
/// scan, and a semi join.
const QUERIES: [&str; 6] = [
    "SELECT count(*), sum(f.v), count(d.name) FROM f JOIN d ON d.k = f.k",
    "SELECT count(*), sum(f.v), max(f.w), min(d.name) FROM f JOIN d ON d.k = f.k",
    "SELECT f.id, d.name FROM f JOIN d ON d.k = f.k ORDER BY f.id, d.name",
    "SELECT count(*), sum(f.v) FROM f JOIN d ON d.k = f.k WHERE f.v > 10",
    "SELECT count(*) FROM f WHERE EXISTS (SELECT 1 FROM d WHERE d.k = f.k)",
    "SELECT f.k, count(*) FROM f JOIN d ON f.k = d.k GROUP BY f.k ORDER BY 2 DESC, 1 LIMIT 5",
];

fn rows(conn: &Connection, sql: &str) -> Vec<Vec<Value>> {
    conn.query(sql, ()).unwrap().into_values()
}

/// Every query answers the same with the filter on, off, and in SQLite.
fn check_answers(conn: &Connection, sqlite: &rusqlite::Connection, case: &str) {
    for sql in QUERIES {
        conn.execute("PRAGMA bloom_filter_joins = on", ()).unwrap();
        let with = rows(conn, sql);
        conn.execute("PRAGMA bloom_filter_joins = off", ()).unwrap();
        let without = rows(conn, sql);
        conn.execute("PRAGMA bloom_filter_joins = on", ()).unwrap();
        assert_eq!(with, without, "{case}: {sql}");
        assert_eq!(
            Ok(with),
            sqlite_rows(sqlite, sql),
            "{case}: {sql} against SQLite"
        );
    }
}

#[test]
fn answers_match_with_and_without_the_filter() {
    // (streamed keys, build keys, build rows, key range)
    let cases = [
        ("int", "int", 100, 20_000),
        ("int", "real", 100, 20_000),
        ("real", "int", 300, 2_000),
        ("text", "text", 200, 10_000),
        ("int", "text", 100, 100),
        ("int", "int", 0, 1_000),
        ("int", "int", 500, 50),
    ];
    for (fact, build, build_rows, range) in cases {
        let (conn, sqlite) = tables(fact, build, build_rows, range);
        let case = format!("{fact} against {build}, {build_rows} build rows, range {range}");
        let plan = explain(&conn, QUERIES[1], &[]).join("\n");
        assert!(plan.contains("bloom filter"), "{case}: {plan}");
        check_answers(&conn, &sqlite, &case);
    }
}

#[test]
fn integral_reals_meet_integers_through_the_filter() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE f(id INTEGER PRIMARY KEY, k, v INTEGER, w TEXT);
         CREATE TABLE d(k, name TEXT);
         INSERT INTO f SELECT value, value, 1, 'w' FROM generate_series(1, 6000);
         INSERT INTO d VALUES (1.0, 'one'), (2, 'two'), (2.5, 'none'), (NULL, 'null'),
             ('3', 'text');",
    )
    .unwrap();
    let sql = "SELECT f.id, d.name, f.v, f.w FROM f JOIN d ON d.k = f.k ORDER BY f.id";
    assert!(explain(&conn, sql, &[]).join("\n").contains("bloom filter"));
    assert_eq!(
        rows(&conn, sql),
        vec![
            vec![
                Value::Integer(1),
                Value::Text("one".into()),
                Value::Integer(1),
                Value::Text("w".into())
            ],
            vec![
                Value::Integer(2),
                Value::Text("two".into()),
                Value::Integer(1),
                Value::Text("w".into())
            ],
        ]
    );
}

#[test]
fn explain_marks_only_joins_that_may_drop_streamed_rows() {
    let (conn, _) = tables("int", "int", 100, 20_000);
    assert_eq!(
        explain(&conn, QUERIES[1], &[]),
        [
            "Project count(*), sum(f.v), max(f.w), min(d.name)",
            "└─ Aggregate count(*), sum(f.v), max(f.w), min(d.name)",
            "   └─ HashJoin (f.k = d.k) bloom filter",
            "      └─ Scan f",
            "      └─ Scan d",
        ]
    );
    // A scan that decodes fewer than two columns past the key: a dropped row would
    // spare no decoding, and a test before the lookup costs what the lookup does.
    let short = explain(&conn, QUERIES[0], &[]).join("\n");
    assert!(!short.contains("bloom filter"), "{short}");
    let semi = explain(
        &conn,
        "SELECT count(*), sum(f.v), max(f.w) FROM f WHERE EXISTS \
         (SELECT 1 FROM d WHERE d.k = f.k)",
        &[],
    )
    .join("\n");
    assert!(
        semi.contains("SemiHashJoin") && semi.contains("bloom filter"),
        "{semi}"
    );
    // A LEFT join keeps every streamed row: no filter.
    let left = explain(
        &conn,
        "SELECT count(*) FROM f LEFT JOIN d ON d.k = f.k",
        &[],
    );
    assert!(!left.join("\n").contains("bloom filter"), "{left:#?}");
    // Sides of like size: no filter.
    let (conn, _) = tables("int", "int", FACT_ROWS, 20_000);
    let even = explain(&conn, QUERIES[1], &[]);
    assert!(!even.join("\n").contains("bloom filter"), "{even:#?}");
}

#[test]
fn explain_analyze_reports_the_rows_the_filter_dropped() {
    let conn = Database::in_memory().connect();
    conn.execute_batch(
        "CREATE TABLE f(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, w TEXT);
         CREATE TABLE d(k INTEGER, name TEXT);
         INSERT INTO f SELECT value, value, value % 7, 'w' FROM generate_series(1, 10000);
         INSERT INTO d SELECT value * 100, 'n' FROM generate_series(1, 100);",
    )
    .unwrap();
    let lines: Vec<String> = conn
        .query(&format!("EXPLAIN ANALYZE {}", QUERIES[1]), ())
        .unwrap()
        .into_iter()
        .map(|row| row.get::<String>(0).unwrap())
        .collect();
    let join = lines
        .iter()
        .find(|line| line.contains("HashJoin"))
        .unwrap_or_else(|| panic!("{lines:#?}"));
    let dropped: u64 = join
        .split("bloom dropped=")
        .nth(1)
        .and_then(|rest| rest.split(')').next())
        .unwrap_or_else(|| panic!("{join}"))
        .parse()
        .unwrap();
    // 100 streamed rows match; of the 9,900 others about 1% pass as false positives.
    assert!(dropped <= 9_900, "{join}");
    assert!(dropped >= 9_600, "{join}");
    assert!(join.contains("actual rows=100 "), "{join}");
}
