//! Measures a hash join with and without its runtime bloom filter (`PRAGMA
//! bloom_filter_joins`). Loads `f(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, note TEXT)`
//! of `rows` rows (`k` a permutation of `0..rows`) and `d(k INTEGER, name TEXT)` of
//! `rows / 100` rows, then runs `SELECT count(*), sum(f.v), max(f.note) FROM f JOIN d ON
//! d.k = f.k`:
//! - `sparse`: `d`'s keys match 1% of `f`'s rows (the filter drops the other 99%);
//! - `dense`: `d`'s keys match every row of `f` (the filter drops nothing).
//!
//! `cargo run --release -p ember-bench --example join_bloom -- SHAPE ROWS MODE [REPEATS]`:
//! MODE `both` prints the median time of `REPEATS` runs with the filter and without and
//! their ratio; `on` or `off` runs the join `REPEATS` times one way, for
//! `valgrind --tool=callgrind` (the difference between REPEATS and 0 is the joins' cost).

use std::time::{Duration, Instant};

use ember::{Connection, Database, Value};

fn arg(position: usize, default: &str) -> String {
    std::env::args()
        .nth(position)
        .unwrap_or_else(|| default.to_string())
}

const QUERY: &str = "SELECT count(*), sum(f.v), max(f.note) FROM f JOIN d ON d.k = f.k";

fn load(conn: &Connection, shape: &str, rows: i64) {
    let build = (rows / 100).max(1);
    let d_key = match shape {
        "sparse" => "value * 100",
        "dense" => "value",
        other => panic!("unknown shape {other}: sparse or dense"),
    };
    let f_key = match shape {
        "sparse" => format!("(value * 7919) % {rows}"),
        _ => format!("value % {build}"),
    };
    conn.execute_batch(&format!(
        "CREATE TABLE f(id INTEGER PRIMARY KEY, k INTEGER, v INTEGER, note TEXT);
         CREATE TABLE d(k INTEGER, name TEXT);
         INSERT INTO f SELECT value, {f_key}, value % 100, 'note-' || value
             FROM generate_series(1, {rows});
         INSERT INTO d SELECT {d_key} % {rows}, 'name-' || value
             FROM generate_series(0, {build} - 1);"
    ))
    .expect("load");
}

fn run(conn: &Connection) -> (i64, i64) {
    let found = conn.query(QUERY, ()).expect("join");
    let row = &found.values()[0];
    match (&row[0], &row[1]) {
        (Value::Integer(count), Value::Integer(sum)) => (*count, *sum),
        other => panic!("unexpected {other:?}"),
    }
}

fn set_filter(conn: &Connection, on: bool) {
    let value = if on { "on" } else { "off" };
    conn.execute(&format!("PRAGMA bloom_filter_joins = {value}"), ())
        .expect("pragma");
}

/// The median time of `repeats` runs (at least one), and their answer.
fn median_time(conn: &Connection, repeats: usize) -> (Duration, (i64, i64)) {
    let mut times = Vec::new();
    let mut answer = (0, 0);
    for _ in 0..repeats.max(1) {
        let started = Instant::now();
        answer = run(conn);
        times.push(started.elapsed());
    }
    times.sort();
    (times[times.len() / 2], answer)
}

fn main() {
    let shape = arg(1, "sparse");
    let rows: i64 = arg(2, "1000000").parse().expect("rows");
    let mode = arg(3, "both");
    let repeats: usize = arg(4, "7").parse().expect("repeats");
    let conn = Database::in_memory().connect();
    load(&conn, &shape, rows);
    if mode == "both" {
        for line in conn.query(&format!("EXPLAIN {QUERY}"), ()).expect("plan") {
            println!("{}", line.get::<String>(0).expect("plan line"));
        }
        set_filter(&conn, true);
        let (with, answer_with) = median_time(&conn, repeats);
        set_filter(&conn, false);
        let (without, answer_without) = median_time(&conn, repeats);
        assert_eq!(answer_with, answer_without, "the filter changed the answer");
        println!(
            "{shape} {rows} rows: with filter {:.2} ms, without {:.2} ms, {:.2}x; {answer_with:?}",
            with.as_secs_f64() * 1e3,
            without.as_secs_f64() * 1e3,
            without.as_secs_f64() / with.as_secs_f64()
        );
        return;
    }
    set_filter(&conn, mode == "on");
    let mut answer = (0, 0);
    for _ in 0..repeats {
        answer = run(&conn);
    }
    println!("{shape} {rows} rows, filter {mode}: {answer:?} x {repeats}");
}
