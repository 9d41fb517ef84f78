//! The sketch aggregates and sketch values through the library: approx_count_distinct,
//! approx_top_k and approx_quantile against the exact answers (GROUP BY, FILTER, windows,
//! parallel scans), sketches stored in a table and merged later in SQL (a per-minute
//! rollup), the errors of damaged or foreign sketch values, sketch memory charged to the
//! statement's memory budget, and bloom filter values (no false negatives, the rate, merges
//! equal to one filter over the union, bad arguments).

use std::collections::{HashMap, HashSet};

use ember::{Connection, Database, ErrorKind, Value};

fn int(conn: &Connection, sql: &str) -> i64 {
    match conn.query_value::<Value>(sql, ()).unwrap() {
        Value::Integer(i) => i,
        other => panic!("{sql}: not an integer: {other:?}"),
    }
}

fn text(conn: &Connection, sql: &str) -> String {
    match conn.query_value::<Value>(sql, ()).unwrap() {
        Value::Text(text) => text,
        other => panic!("{sql}: not text: {other:?}"),
    }
}

fn error(conn: &Connection, sql: &str) -> String {
    match conn.query(sql, ()) {
        Ok(rows) => panic!("{sql}: expected an error, got {:?}", rows.values()),
        Err(error) => error.to_string(),
    }
}

/// A table `t(id, g, v, s)` of `rows` rows: `g` in 0..8, `v` pseudo-random in 0..range
/// (NULL on every tenth row), `s` a Zipfian-ish text; returns the rows' (g, v) pairs.
fn filled(conn: &Connection, rows: i64, range: i64) -> Vec<(i64, Option<i64>)> {
    conn.execute_batch("CREATE TABLE t(id INTEGER PRIMARY KEY, g INTEGER, v INTEGER, s TEXT)")
        .unwrap();
    let mut rng = fastrand::Rng::with_seed(17);
    let mut pairs = Vec::new();
    conn.execute_batch("BEGIN").unwrap();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, ?, ?, ?)").unwrap();
    for id in 0..rows {
        let g = id % 8;
        let v = (id % 10 != 0).then(|| rng.i64(0..range));
        let s = format!("tag{}", (rng.f64() * rng.f64() * 20.0) as i64);
        let value = v.map_or(Value::Null, Value::Integer);
        insert
            .execute(&[Value::Integer(id), Value::Integer(g), value, Value::Text(s)])
            .unwrap();
        pairs.push((g, v));
    }
    conn.execute_batch("COMMIT").unwrap();
    pairs
}

fn within(estimate: i64, exact: usize, bound: f64) -> bool {
    (estimate as f64 - exact as f64).abs() <= bound * exact as f64
}

#[test]
fn approx_count_distinct_matches_the_exact_count_per_group() {
    let db = Database::in_memory();
    let conn = db.connect();
    let pairs = filled(&conn, 60_000, 1_000_000);
    let exact: HashSet<i64> = pairs.iter().filter_map(|p| p.1).collect();
    let estimate = int(&conn, "SELECT approx_count_distinct(v) FROM t");
    assert!(
        within(estimate, exact.len(), 0.0244),
        "{estimate} vs {}",
        exact.len()
    );
    let rows = conn
        .query(
            "SELECT g, approx_count_distinct(v), count(DISTINCT v) FROM t GROUP BY g ORDER BY g",
            (),
        )
        .unwrap();
    assert_eq!(rows.values().len(), 8);
    for row in rows.values() {
        let (Value::Integer(estimate), Value::Integer(exact)) = (&row[1], &row[2]) else {
            panic!("{row:?}")
        };
        assert!(within(*estimate, *exact as usize, 0.0244), "{row:?}");
    }
    let filtered = int(
        &conn,
        "SELECT approx_count_distinct(v) FILTER (WHERE g = 3) FROM t",
    );
    let exact_three: HashSet<i64> = pairs
        .iter()
        .filter(|p| p.0 == 3)
        .filter_map(|p| p.1)
        .collect();
    assert!(within(filtered, exact_three.len(), 0.0244));
    assert_eq!(
        int(&conn, "SELECT approx_count_distinct(v) FROM t WHERE id < 0"),
        0
    );
    assert_eq!(
        int(&conn, "SELECT approx_count_distinct(DISTINCT g) FROM t"),
        8
    );
}

#[test]
fn a_parallel_scan_merges_its_sketches() {
    let db = Database::in_memory();
    let conn = db.connect();
    let pairs = filled(&conn, 200_000, 1 << 40);
    let exact = pairs
        .iter()
        .filter_map(|p| p.1)
        .collect::<HashSet<_>>()
        .len();
    let serial = int(&conn, "SELECT approx_count_distinct(v) FROM t");
    conn.execute("PRAGMA threads = 4", ()).unwrap();
    let parallel = int(&conn, "SELECT approx_count_distinct(v) FROM t");
    // HyperLogLog merges exactly: the split answers what one sketch does.
    assert_eq!(parallel, serial);
    assert!(within(parallel, exact, 0.0244), "{parallel} vs {exact}");
    let grouped = conn
        .query(
            "SELECT g, approx_count_distinct(v) FROM t GROUP BY g ORDER BY g",
            (),
        )
        .unwrap();
    conn.execute("PRAGMA threads = 0", ()).unwrap();
    let serial_grouped = conn
        .query(
            "SELECT g, approx_count_distinct(v) FROM t GROUP BY g ORDER BY g",
            (),
        )
        .unwrap();
    assert_eq!(grouped.into_values(), serial_grouped.into_values());
}

#[test]
fn approx_top_k_names_the_heaviest_values_with_bounds() {
    let db = Database::in_memory();
    let conn = db.connect();
    filled(&conn, 20_000, 100);
    let json = text(&conn, "SELECT approx_top_k(s, 3) FROM t");
    let exact = conn
        .query(
            "SELECT s, count(*) FROM t GROUP BY s ORDER BY 2 DESC, 1 LIMIT 1",
            (),
        )
        .unwrap();
    let Value::Text(heaviest) = &exact.values()[0][0] else {
        panic!()
    };
    assert!(
        json.starts_with(&format!("[{{\"value\":\"{heaviest}\",\"count\":")),
        "{json}"
    );
    assert_eq!(json.matches("\"value\"").count(), 3, "{json}");
    let counts: HashMap<String, i64> = conn
        .query("SELECT s, count(*) FROM t GROUP BY s", ())
        .unwrap()
        .values()
        .iter()
        .map(|row| {
            (
                row[0].to_string(),
                match row[1] {
                    Value::Integer(n) => n,
                    _ => 0,
                },
            )
        })
        .collect();
    // Every reported count brackets the true one: count - error <= true <= count.
    let list = text(
        &conn,
        "SELECT group_concat(json_extract(e.value, '$.value') || ':' || \
         json_extract(e.value, '$.count') || ':' || json_extract(e.value, '$.error')) \
         FROM json_each((SELECT approx_top_k(s, 10) FROM t)) AS e",
    );
    for entry in list.split(',') {
        let parts: Vec<&str> = entry.split(':').collect();
        let (count, error): (i64, i64) = (parts[1].parse().unwrap(), parts[2].parse().unwrap());
        let truth = counts[parts[0]];
        assert!(
            count - error <= truth && truth <= count,
            "{entry} vs {truth}"
        );
    }
    let message = error(&conn, "SELECT approx_top_k(s, 0) FROM t");
    assert!(message.contains("k must be an integer from 1"), "{message}");
    let message = error(&conn, "SELECT approx_top_k(s, g) FROM t");
    assert!(message.contains("must be a constant"), "{message}");
}

#[test]
fn approx_quantile_is_within_its_rank_error() {
    let db = Database::in_memory();
    let conn = db.connect();
    let pairs = filled(&conn, 50_000, 1_000_000);
    let mut sorted: Vec<i64> = pairs.iter().filter_map(|p| p.1).collect();
    sorted.sort();
    let n = sorted.len() as f64;
    for q in [0.1, 0.5, 0.9, 0.99] {
        let answer = int(&conn, &format!("SELECT approx_quantile(v, {q}) FROM t"));
        let below = sorted.partition_point(|&x| x < answer) as f64 / n;
        let through = sorted.partition_point(|&x| x <= answer) as f64 / n;
        assert!(
            below - 0.0165 <= q && q <= through + 0.0165,
            "q={q}: {answer}"
        );
    }
    let list = text(&conn, "SELECT approx_quantile(v, '[0, 1]') FROM t");
    assert_eq!(
        list,
        format!("[{},{}]", sorted[0], sorted[sorted.len() - 1])
    );
    let rows = conn
        .query(
            "SELECT g, approx_quantile(v, 0.5), approx_quantile(v, 0.5) FILTER (WHERE v > 0) \
             FROM t GROUP BY g",
            (),
        )
        .unwrap();
    assert_eq!(rows.values().len(), 8);
    let message = error(&conn, "SELECT approx_quantile(v, 2) FROM t");
    assert!(message.contains("between 0 and 1"), "{message}");
    let message = error(&conn, "SELECT approx_quantile(s, 0.5) FROM t");
    assert!(message.contains("quantiles are of numbers"), "{message}");
}

#[test]
fn sketches_work_as_window_aggregates() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE w(i INTEGER PRIMARY KEY, v INTEGER);
         INSERT INTO w VALUES (1, 5), (2, 5), (3, 7), (4, 9), (5, 9), (6, 1);",
    )
    .unwrap();
    let rows = conn
        .query(
            "SELECT approx_count_distinct(v) OVER (ORDER BY i), \
             approx_count_distinct(v) OVER (ORDER BY i ROWS BETWEEN 1 PRECEDING AND CURRENT ROW), \
             approx_quantile(v, 1) OVER (ORDER BY i) FROM w ORDER BY i",
            (),
        )
        .unwrap();
    let got: Vec<Vec<Value>> = rows.into_values();
    let expected = [
        [1, 1, 5],
        [1, 1, 5],
        [2, 2, 7],
        [3, 2, 9],
        [3, 1, 9],
        [4, 2, 9],
    ];
    for (row, want) in got.iter().zip(expected) {
        let want: Vec<Value> = want.iter().map(|&n| Value::Integer(n)).collect();
        assert_eq!(row, &want);
    }
}

#[test]
fn a_per_minute_rollup_merges_into_hours() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE visits(minute INTEGER, user_id INTEGER, latency REAL);
         CREATE TABLE per_minute(minute INTEGER PRIMARY KEY, users BLOB, latencies BLOB,
                                 pages BLOB);",
    )
    .unwrap();
    let mut rng = fastrand::Rng::with_seed(3);
    conn.execute_batch("BEGIN").unwrap();
    let mut insert = conn.prepare("INSERT INTO visits VALUES (?, ?, ?)").unwrap();
    let mut users = HashSet::new();
    for _ in 0..30_000 {
        let (minute, user) = (rng.i64(0..120), rng.i64(0..5_000));
        users.insert(user);
        let latency = Value::Real(rng.f64() * 100.0);
        insert
            .execute(&[Value::Integer(minute), Value::Integer(user), latency])
            .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    conn.execute_batch(
        "INSERT INTO per_minute
         SELECT minute, hll_sketch(user_id), quantile_sketch(latency), topk_sketch(user_id % 7, 3)
         FROM visits GROUP BY minute",
    )
    .unwrap();
    let merged = int(&conn, "SELECT hll_count(hll_merge(users)) FROM per_minute");
    let direct = int(&conn, "SELECT approx_count_distinct(user_id) FROM visits");
    // HyperLogLog merges exactly: the rollup answers what one sketch over every row does.
    assert_eq!(merged, direct);
    assert!(within(merged, users.len(), 0.0244));
    let hours = conn
        .query(
            "SELECT minute / 60 AS hour, hll_count(hll_merge(users)) FROM per_minute \
             GROUP BY hour ORDER BY hour",
            (),
        )
        .unwrap();
    assert_eq!(hours.values().len(), 2);
    let median = conn
        .query_value::<Value>(
            "SELECT sketch_quantile(quantile_merge(latencies), 0.5) FROM per_minute",
            (),
        )
        .unwrap();
    let Value::Real(median) = median else {
        panic!("{median:?}")
    };
    assert!((median - 50.0).abs() < 3.0, "{median}");
    let top = text(
        &conn,
        "SELECT sketch_top_k(topk_merge(pages), 7) FROM per_minute",
    );
    assert_eq!(top.matches("\"value\"").count(), 7, "{top}");
    assert_eq!(
        conn.query_value::<Value>(
            "SELECT hll_merge(users) FROM per_minute WHERE minute < 0",
            ()
        )
        .unwrap(),
        Value::Null
    );
}

#[test]
fn damaged_or_foreign_sketches_are_refused_by_name() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, h BLOB, q BLOB);
         WITH RECURSIVE n(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM n WHERE x < 100)
         INSERT INTO s SELECT 1, hll_sketch(x), quantile_sketch(x) FROM n;",
    )
    .unwrap();
    let Value::Blob(sketch) = conn.query_value::<Value>("SELECT h FROM s", ()).unwrap() else {
        panic!()
    };
    let mut flipped = sketch.clone();
    flipped[20] ^= 0x10;
    let mut update = conn.prepare("UPDATE s SET h = ? WHERE id = 1").unwrap();
    update.execute(&[Value::Blob(flipped)]).unwrap();
    let message = error(&conn, "SELECT hll_count(h) FROM s");
    assert!(
        message.contains("hll_count()") && message.contains("damaged"),
        "{message}"
    );
    let message = error(&conn, "SELECT hll_merge(h) FROM s");
    assert!(
        message.contains("hll_merge()") && message.contains("damaged"),
        "{message}"
    );
    update
        .execute(&[Value::Blob(sketch[..sketch.len() - 3].to_vec())])
        .unwrap();
    let message = error(&conn, "SELECT hll_count(h) FROM s");
    assert!(message.contains("truncated"), "{message}");
    let message = error(&conn, "SELECT hll_count(q) FROM s");
    assert!(message.contains("quantile sketch"), "{message}");
    let message = error(&conn, "SELECT sketch_quantile(x'00ff', 0.5)");
    assert!(message.contains("not a sketch"), "{message}");
    let message = error(&conn, "SELECT topk_merge(q) FROM s");
    assert!(message.contains("topk_merge()"), "{message}");
    assert_eq!(int(&conn, "SELECT sketch_quantile(q, 0.5) FROM s"), 50);
}

#[test]
fn sketch_memory_is_charged_to_the_statement() {
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute("CREATE TABLE big(id INTEGER PRIMARY KEY, s TEXT)", ())
        .unwrap();
    conn.execute("BEGIN", ()).unwrap();
    let mut insert = conn.prepare("INSERT INTO big VALUES (?, ?)").unwrap();
    for id in 0..5_000i64 {
        let text = format!("{id:05}{}", "x".repeat(1_000));
        insert
            .execute(&[Value::Integer(id), Value::Text(text)])
            .unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    // Without a budget the sketch is built: 3,000 counters of 1 KB values.
    let top = text(
        &conn,
        "SELECT sketch_top_k(topk_sketch(s, 1000), 2) FROM big",
    );
    assert_eq!(top.matches("\"value\"").count(), 2, "{top}");
    let used: i64 = conn
        .query_value("SELECT memory_used_bytes FROM ember_stats", ())
        .unwrap();
    conn.execute(&format!("SET max_memory = '{}MB'", (used >> 20) + 3), ())
        .unwrap();
    let error = conn
        .query("SELECT topk_sketch(s, 1000) FROM big", ())
        .unwrap_err();
    assert_eq!(error.kind(), ErrorKind::MemoryBudget, "{error}");
    assert!(error.message().contains("sketch aggregates"), "{error}");
    // A small sketch fits the same budget, and what was charged was released.
    let distinct = int(&conn, "SELECT hll_count(hll_sketch(id)) FROM big");
    assert!(within(distinct, 5_000, 0.0244), "{distinct}");
}

/// `t(id, g, v)` of 4,000 rows, `v` distinct multiples of 3 (NULL on every 50th row).
fn bloom_table(conn: &Connection) {
    conn.execute_batch(
        "CREATE TABLE b(id INTEGER PRIMARY KEY, g INTEGER, v INTEGER);
         INSERT INTO b SELECT value, value % 7,
             CASE WHEN value % 50 = 0 THEN NULL ELSE value * 3 END
             FROM generate_series(1, 4000);",
    )
    .unwrap();
}

#[test]
fn bloom_filters_never_miss_and_stay_near_their_rate() {
    let conn = Database::in_memory().connect();
    bloom_table(&conn);
    let found = "SELECT count(*) FROM b WHERE bloom_contains(
        (SELECT bloom_filter(v, 4000, 0.01) FROM b), v) = 1";
    assert_eq!(int(&conn, found), int(&conn, "SELECT count(v) FROM b"));
    // 40,000 values never added (not multiples of 3): about 1% test present.
    let false_positives = int(
        &conn,
        "SELECT count(*) FROM generate_series(1, 60000)
         WHERE value % 3 <> 0
           AND bloom_contains((SELECT bloom_filter(v, 4000, 0.01) FROM b), value) = 1",
    );
    assert!(false_positives <= 400, "{false_positives} of 40,000");
    // Equal values of other types are found; NULL tests NULL.
    assert_eq!(
        int(&conn, "SELECT bloom_contains(bloom_filter(v), 3.0) FROM b"),
        1
    );
    let null = conn
        .query_value::<Value>("SELECT bloom_contains(bloom_filter(v), NULL) FROM b", ())
        .unwrap();
    assert_eq!(null, Value::Null);
}

#[test]
fn merged_bloom_filters_equal_one_over_the_union() {
    let conn = Database::in_memory().connect();
    bloom_table(&conn);
    let merged = conn
        .query_value::<Value>(
            "SELECT bloom_merge(f) FROM
             (SELECT bloom_filter(v, 2000, 0.05) AS f FROM b GROUP BY g)",
            (),
        )
        .unwrap();
    let whole = conn
        .query_value::<Value>("SELECT bloom_filter(v, 2000, 0.05) FROM b", ())
        .unwrap();
    assert!(matches!(whole, Value::Blob(_)), "{whole:?}");
    assert_eq!(merged, whole);
    let mismatch = error(
        &conn,
        "SELECT bloom_merge(f) FROM (SELECT bloom_filter(v, 100) AS f FROM b
         UNION ALL SELECT bloom_filter(v, 100000) FROM b)",
    );
    assert!(
        mismatch.contains("bloom_merge(): the filters differ in size"),
        "{mismatch}"
    );
}

#[test]
fn bad_bloom_filter_arguments_and_damaged_filters_are_named() {
    let conn = Database::in_memory().connect();
    bloom_table(&conn);
    let capacity = error(&conn, "SELECT bloom_filter(v, 0) FROM b");
    assert!(
        capacity.contains("capacity must be an integer"),
        "{capacity}"
    );
    let rate = error(&conn, "SELECT bloom_filter(v, 10, 0.9) FROM b");
    assert!(
        rate.contains("false-positive rate must be a number"),
        "{rate}"
    );
    let huge = error(&conn, "SELECT bloom_filter(v, 10000000000, 0.0001) FROM b");
    assert!(huge.contains("past the limit"), "{huge}");
    let column = error(&conn, "SELECT bloom_filter(v, g) FROM b");
    assert!(column.contains("must be a constant"), "{column}");
    let filter = "(SELECT bloom_filter(v) FROM b)";
    let flipped = error(
        &conn,
        &format!(
            "SELECT bloom_contains(substr({filter}, 1, 20) || x'ff' || substr({filter}, 22), 3)"
        ),
    );
    // The bytes changed in the middle (a concatenation may also change the value's type).
    assert!(flipped.contains("bloom_contains(): the "), "{flipped}");
    let truncated = error(
        &conn,
        &format!("SELECT bloom_contains(substr({filter}, 1, 100), 3)"),
    );
    assert!(truncated.contains("truncated"), "{truncated}");
    let foreign = error(&conn, "SELECT bloom_contains(hll_sketch(v), 3) FROM b");
    assert!(foreign.contains("HyperLogLog"), "{foreign}");
    let not_sketch = error(&conn, "SELECT bloom_contains(x'0102', 3)");
    assert!(not_sketch.contains("not a sketch"), "{not_sketch}");
    let null = conn
        .query_value::<Value>("SELECT bloom_contains(NULL, 3)", ())
        .unwrap();
    assert_eq!(null, Value::Null);
}
