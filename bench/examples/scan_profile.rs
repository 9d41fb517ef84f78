//! A profiling driver for scans, top-k sorts, filtered aggregates and GROUP BY on text
//! keys (not a benchmark: it prints no comparison). Loads `rows` bench rows (plus a
//! low-cardinality `city` text column) into EmberDB and into SQLite, then runs one query
//! `runs` times on each, each engine in its own function so that callgrind can count them
//! apart in the same run:
//!
//! ```text
//! cargo build --release -p ember-bench --example scan_profile
//! valgrind --tool=callgrind --toggle-collect='scan_profile::run_ember' \
//!     target/release/examples/scan_profile topk 200000 1
//! valgrind --tool=callgrind --toggle-collect='scan_profile::run_sqlite' \
//!     target/release/examples/scan_profile topk 200000 1
//! ```
//!
//! Queries: `topk`, `topk_full`, `sum_between`, `group_name`, `group_city`, `count_where`.

use ember::Database;
use ember_bench::data::Person;

const CREATE: &str = "CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT, email TEXT, age INTEGER, \
                      score REAL, city TEXT)";
const INSERT: &str = "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)";
const CITIES: [&str; 8] = [
    "Oslo", "Lima", "Kyiv", "Rome", "Cairo", "Quito", "Accra", "Hanoi",
];

fn query_of(name: &str) -> &'static str {
    match name {
        "topk" => "SELECT * FROM t ORDER BY score DESC LIMIT 10",
        // The same without a top-k bound (a LIMIT evaluated per run keeps the full sort).
        "topk_full" => "SELECT * FROM t ORDER BY score DESC LIMIT (SELECT 10)",
        "sum_between" => "SELECT sum(score) FROM t WHERE age BETWEEN 20 AND 30",
        "group_name" => "SELECT name, count(*) FROM t GROUP BY name",
        "group_city" => "SELECT city, count(*) FROM t GROUP BY city",
        "count_where" => "SELECT count(*) FROM t WHERE age > 40 AND city = 'Rome'",
        other => panic!("unknown query {other}"),
    }
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let query = query_of(&args.next().unwrap_or_else(|| "topk".into()));
    let rows: i64 = args.next().map_or(Ok(200_000), |text| text.parse())?;
    let runs: usize = args.next().map_or(Ok(1), |text| text.parse())?;
    let db = Database::in_memory();
    let conn = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory()?;
    conn.execute(CREATE, ())?;
    sqlite.execute(CREATE, ())?;
    conn.execute("BEGIN", ())?;
    sqlite.execute("BEGIN", ())?;
    for id in 1..=rows {
        let p = Person::new(id);
        let city = CITIES[(id % 8) as usize];
        conn.execute(
            INSERT,
            (
                p.id,
                p.name.as_str(),
                p.email.as_str(),
                p.age,
                p.score,
                city,
            ),
        )?;
        sqlite.execute(
            INSERT,
            rusqlite::params![p.id, p.name, p.email, p.age, p.score, city],
        )?;
    }
    conn.execute("COMMIT", ())?;
    sqlite.execute("COMMIT", ())?;
    let ember_rows = run_ember(&conn, query, runs)?;
    let sqlite_rows = run_sqlite(&sqlite, query, runs)?;
    println!("{query}: ember {ember_rows} rows, sqlite {sqlite_rows} rows per run");
    Ok(())
}

#[inline(never)]
fn run_ember(conn: &ember::Connection, query: &str, runs: usize) -> ember::Result<usize> {
    let mut rows = 0;
    for _ in 0..runs {
        rows = conn.query(query, ())?.len();
    }
    Ok(rows)
}

#[inline(never)]
fn run_sqlite(conn: &rusqlite::Connection, query: &str, runs: usize) -> rusqlite::Result<usize> {
    let mut rows = 0;
    for _ in 0..runs {
        let mut statement = conn.prepare_cached(query)?;
        let width = statement.column_count();
        let mut result = statement.query([])?;
        rows = 0;
        while let Some(row) = result.next()? {
            for i in 0..width {
                std::hint::black_box(row.get_ref(i)?);
            }
            rows += 1;
        }
    }
    Ok(rows)
}
