//! Prints how both engines run query shapes over `ember-shapes`' tables: EmberDB's
//! `EXPLAIN` and SQLite's `EXPLAIN QUERY PLAN`, after `shapes::load` of `rows` rows (not a
//! benchmark). Each further argument is one SQL query.
//!
//! `cargo run --release -p ember-bench --example shape_plans -- ROWS 'SELECT ...' ...`

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: i64 = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(2000);
    let db = ember::Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite");
    ember_bench::shapes::load(rows, &ember, &sqlite);
    for sql in args {
        println!("== {sql}");
        match ember.query(&format!("EXPLAIN {sql}"), ()) {
            Ok(rows) => {
                for values in rows.values() {
                    let cells: Vec<String> = values.iter().map(|v| format!("{v:?}")).collect();
                    println!("ember: {}", cells.join(" | "));
                }
            }
            Err(error) => println!("ember: error {error}"),
        }
        let mut plan = sqlite
            .prepare(&format!("EXPLAIN QUERY PLAN {sql}"))
            .expect("sqlite explain");
        let lines = plan
            .query_map([], |row| row.get::<_, String>(3))
            .expect("sqlite plan");
        for line in lines {
            println!("sqlite: {}", line.expect("sqlite row"));
        }
    }
}
