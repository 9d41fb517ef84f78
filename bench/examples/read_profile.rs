//! A profiling driver for EmberDB's read path (not a benchmark: it prints no comparison).
//! Loads `rows` benchmark rows, then runs `selects` point selects by primary key and
//! `group_bys` GROUP BY queries, with the bench's SQL. Meant for `valgrind --tool=callgrind`
//! or `perf record`, where the phases can be told apart by function.
//!
//! `cargo run --release -p ember-bench --example read_profile -- [rows] [selects] [group_bys]`

use ember::{Database, OptionalExtension};
use ember_bench::data::Person;
use ember_bench::sql;

fn arg(position: usize, default: usize) -> usize {
    std::env::args()
        .nth(position)
        .and_then(|text| text.parse().ok())
        .unwrap_or(default)
}

fn main() -> Result<(), ember::Error> {
    let rows = arg(1, 20_000) as i64;
    let selects = arg(2, 20_000);
    let group_bys = arg(3, 2);
    let db = Database::in_memory();
    let conn = db.connect();
    conn.execute(sql::CREATE, ())?;
    for chunk in (1..=rows).collect::<Vec<_>>().chunks(1000) {
        conn.execute("BEGIN", ())?;
        for &id in chunk {
            let p = Person::new(id);
            let params = (p.id, p.name.as_str(), p.email.as_str(), p.age, p.score);
            conn.execute(sql::INSERT, params)?;
        }
        conn.execute("COMMIT", ())?;
    }
    let found = run_selects(&conn, rows, selects)?;
    let groups = run_group_bys(&conn, group_bys)?;
    println!("found {found} of {selects} keys; {groups} groups over {group_bys} GROUP BYs");
    Ok(())
}

/// The point-select phase (a separate function so profilers can isolate it, e.g.
/// `callgrind --toggle-collect=read_profile::run_selects`).
#[inline(never)]
fn run_selects(conn: &ember::Connection, rows: i64, selects: usize) -> ember::Result<u64> {
    let mut found = 0u64;
    let mut key = 12_345u64;
    for _ in 0..selects {
        key = key.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
        let id = (key >> 33) as i64 % rows + 1;
        let age = conn.query_row(sql::SELECT, [id], |row| row.get::<i64>(0));
        if age.optional()?.is_some() {
            found += 1;
        }
    }
    Ok(found)
}

/// The GROUP BY phase.
#[inline(never)]
fn run_group_bys(conn: &ember::Connection, group_bys: usize) -> ember::Result<usize> {
    let mut groups = 0;
    for _ in 0..group_bys {
        groups += conn.query(sql::GROUP_BY, ())?.len();
    }
    Ok(groups)
}
