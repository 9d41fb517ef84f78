//! Times `approx_count_distinct(x)` against `count(DISTINCT x)` on ember-shapes' table `t`
//! (its loader: the same rows in EmberDB and SQLite), on an unindexed high-cardinality REAL
//! column (`c`, about 63% distinct: both count by hashing every row), and on the indexed
//! TEXT column `s` (about 63% distinct) and INTEGER column `a` (a quarter distinct), whose
//! `count(DISTINCT)` walks the ordered index instead: the median of
//! runs within a time budget, in milliseconds, with SQLite's `count(DISTINCT x)` beside
//! them, the estimate's error, and the size of the column's `hll_sketch` (constant as rows
//! grow). `cargo run --release -p ember-bench --example approx_distinct -- ROWS [MS]`.

use std::time::Duration;

use ember::{Database, Value};
use ember_bench::shapes::{load, median, time_median};

fn integer(conn: &ember::Connection, sql: &str) -> i64 {
    match conn.query_value::<Value>(sql, ()).expect(sql) {
        Value::Integer(i) => i,
        other => panic!("{sql}: {other:?}"),
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: i64 = args
        .next()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let ms: u64 = args.next().and_then(|a| a.parse().ok()).unwrap_or(2_000);
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite");
    load(rows, &ember, &sqlite);
    let budget = Duration::from_millis(ms);
    println!("rows: {rows}");
    println!(
        "| column | approx_count_distinct ms | count(DISTINCT) ms | SQLite count(DISTINCT) ms \
         | exact / approx | error | hll_sketch bytes |"
    );
    println!("|---|--:|--:|--:|--:|--:|--:|");
    for column in ["c", "s", "a"] {
        let approx_sql = format!("SELECT approx_count_distinct({column}) FROM t");
        let exact_sql = format!("SELECT count(DISTINCT {column}) FROM t");
        let estimate = integer(&ember, &approx_sql);
        let exact = integer(&ember, &exact_sql);
        let time = |sql: &str| {
            median(
                (0..3)
                    .map(|_| {
                        time_median(budget, || {
                            std::hint::black_box(integer(&ember, sql));
                        })
                    })
                    .collect(),
            )
        };
        let (approx_s, exact_s) = (time(&approx_sql), time(&exact_sql));
        let mut statement = sqlite.prepare(&exact_sql).expect("sqlite prepare");
        let sqlite_s = time_median(budget, || {
            let count: i64 = statement.query_row([], |row| row.get(0)).expect("sqlite");
            std::hint::black_box(count);
        });
        let sketch = ember
            .query_value::<Value>(&format!("SELECT hll_sketch({column}) FROM t"), ())
            .expect("hll_sketch");
        let sketch_bytes = match sketch {
            Value::Blob(bytes) => bytes.len(),
            _ => 0,
        };
        println!(
            "| {column} | {:.1} | {:.1} | {:.1} | {:.2}x | {:+.2}% | {sketch_bytes} |",
            approx_s * 1000.0,
            exact_s * 1000.0,
            sqlite_s * 1000.0,
            exact_s / approx_s,
            (estimate - exact) as f64 * 100.0 / exact as f64,
        );
    }
}
