//! A profiling driver for joins (not a benchmark: it prints no comparison). Loads a table
//! `t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT)` of `rows` rows and a table
//! `o(tid INTEGER, y INTEGER)` of `rows / 20` rows into EmberDB or SQLite, then runs one join
//! `repeats` times: `pk` joins `o` to `t` on `t`'s primary key, `hash` on unindexed columns.
//! Meant for `valgrind --tool=callgrind`: the difference between a run with `repeats` and
//! one with 0 is the joins' cost, and the same run with `sqlite` gives SQLite's.
//!
//! `cargo run --release -p ember-bench --example join_profile --`
//! `<ember|sqlite> <pk|hash> [repeats] [rows]`

fn arg(position: usize, default: &str) -> String {
    std::env::args()
        .nth(position)
        .unwrap_or_else(|| default.to_string())
}

const SETUP: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b TEXT);
    CREATE TABLE o(tid INTEGER, y INTEGER);";

fn main() {
    let engine = arg(1, "ember");
    let query = match arg(2, "pk").as_str() {
        "pk" => "SELECT count(*), sum(t.a) FROM o JOIN t ON t.id = o.tid",
        "hash" => "SELECT count(*), sum(t.id) FROM o JOIN t ON t.a = o.y",
        other => panic!("unknown join {other}: pk or hash"),
    };
    let repeats: usize = arg(3, "5").parse().expect("repeats");
    let rows: i64 = arg(4, "200000").parse().expect("rows");
    let outer = rows / 20;
    // `t.a` spreads over `rows` values; `o.tid` / `o.y` hit every 20th row of `t`.
    let t_row = |id: i64| (id, (id * 7919) % rows, format!("name-{id}"));
    let o_row = |i: i64| (i * 20 + 1, (((i * 20 + 1) * 7919) % rows));
    let mut result = (0i64, 0i64);
    if engine == "sqlite" {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.execute_batch(SETUP).unwrap();
        conn.execute_batch("BEGIN").unwrap();
        for id in 1..=rows {
            let (id, a, b) = t_row(id);
            conn.execute("INSERT INTO t VALUES (?1, ?2, ?3)", (id, a, b))
                .unwrap();
        }
        for i in 0..outer {
            conn.execute("INSERT INTO o VALUES (?1, ?2)", o_row(i))
                .unwrap();
        }
        conn.execute_batch("COMMIT").unwrap();
        for _ in 0..repeats {
            result = conn
                .query_row(query, (), |row| Ok((row.get(0)?, row.get(1)?)))
                .unwrap();
        }
    } else {
        let conn = ember::Database::in_memory().connect();
        conn.execute_batch(SETUP).unwrap();
        conn.execute("BEGIN", ()).unwrap();
        for id in 1..=rows {
            let (id, a, b) = t_row(id);
            conn.execute("INSERT INTO t VALUES (?, ?, ?)", (id, a, b.as_str()))
                .unwrap();
        }
        for i in 0..outer {
            conn.execute("INSERT INTO o VALUES (?, ?)", o_row(i))
                .unwrap();
        }
        conn.execute("COMMIT", ()).unwrap();
        for _ in 0..repeats {
            let found = conn.query(query, ()).unwrap();
            let row = &found.values()[0];
            result = match (&row[0], &row[1]) {
                (ember::Value::Integer(count), ember::Value::Integer(sum)) => (*count, *sum),
                other => panic!("unexpected {other:?}"),
            };
        }
    }
    println!("{engine} {query}: {result:?} x {repeats}");
}
