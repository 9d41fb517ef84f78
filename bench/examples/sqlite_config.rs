//! Which SQLite settings change W4's GROUP BY, W2's point select and W3's updates: the bench's
//! configuration (a shared `memdb` database, `cache_size` 1 GiB, `journal_mode=MEMORY`,
//! `synchronous=OFF`; `sqlite_engine.rs`) against a plain
//! `Connection::open_in_memory()` with SQLite's defaults (the database a rusqlite program
//! opens), and each setting alone. Prints the best time of each over `ROUNDS` rounds.
//!
//! usage: cargo run --release -p ember-bench --example sqlite_config -- [ROWS] [ROUNDS]

use std::time::Instant;

use ember_bench::data::{Person, Rng};
use ember_bench::sql;
use rusqlite::{Connection, OpenFlags};

fn load(conn: &Connection, rows: usize) {
    conn.execute(sql::CREATE, []).expect("create t");
    for first in (1..=rows as i64).step_by(1_000) {
        conn.execute_batch("BEGIN").expect("begin");
        let mut insert = conn.prepare_cached(sql::INSERT).expect("insert");
        for id in first..(first + 1_000).min(rows as i64 + 1) {
            let p = Person::new(id);
            insert
                .execute((p.id, &p.name, &p.email, p.age, p.score))
                .expect("insert row");
        }
        conn.execute_batch("COMMIT").expect("commit");
    }
}

/// Seconds per update of W3's shape (`UPDATE t SET score = ? WHERE id = ?`, 100-row
/// transactions).
fn measure_updates(conn: &Connection, rows: usize) -> f64 {
    let mut rng = Rng::new(3);
    let updates = 20_000;
    let started = Instant::now();
    for _ in 0..updates / 100 {
        conn.execute_batch("BEGIN").expect("begin");
        for _ in 0..100 {
            let id = rng.key(rows);
            let mut statement = conn.prepare_cached(sql::UPDATE).expect("update");
            let changed = statement
                .execute((rng.next_f64(), id))
                .expect("update runs");
            assert_eq!(changed, 1);
        }
        conn.execute_batch("COMMIT").expect("commit");
    }
    started.elapsed().as_secs_f64() / updates as f64
}

/// Seconds per GROUP BY (every cell read) and per point select (every column read).
fn measure(conn: &Connection, rows: usize) -> (f64, f64) {
    let started = Instant::now();
    for _ in 0..3 {
        let mut statement = conn.prepare_cached(sql::GROUP_BY).expect("group by");
        let mut groups = statement.query([]).expect("group by runs");
        let mut count = 0;
        while let Some(row) = groups.next().expect("a group") {
            let (_, _, _): (i64, i64, f64) = (row.get(0).ok().unwrap_or(0), 0, 0.0);
            count += 1;
        }
        assert_eq!(count, 60.min(rows));
    }
    let group_by = started.elapsed().as_secs_f64() / 3.0;
    let mut rng = Rng::new(2);
    let selects = 50_000;
    let started = Instant::now();
    for _ in 0..selects {
        let id = rng.key(rows);
        let mut statement = conn
            .prepare_cached("SELECT * FROM t WHERE id = ?")
            .expect("select");
        let name: String = statement
            .query_row([id], |row| row.get(1))
            .expect("row found");
        assert!(!name.is_empty());
    }
    (group_by, started.elapsed().as_secs_f64() / selects as f64)
}

fn memdb(name: &str) -> Connection {
    let flags = OpenFlags::SQLITE_OPEN_READ_WRITE
        | OpenFlags::SQLITE_OPEN_CREATE
        | OpenFlags::SQLITE_OPEN_URI
        | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    Connection::open_with_flags(format!("file:/{name}?vfs=memdb"), flags).expect("memdb")
}

fn pragmas(conn: &Connection, list: &[(&str, &str)]) {
    for (name, value) in list {
        conn.pragma_update(None, name, value).expect("pragma");
    }
}

fn main() {
    let mut args = std::env::args().skip(1);
    let rows: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(200_000);
    let rounds: usize = args.next().and_then(|a| a.parse().ok()).unwrap_or(5);
    let bench_pragmas = [
        ("journal_mode", "MEMORY"),
        ("synchronous", "OFF"),
        ("cache_size", "-1048576"),
    ];
    let configs: Vec<(&str, Connection)> = vec![
        ("bench: memdb + all", {
            let c = memdb("cfg-a");
            pragmas(&c, &bench_pragmas);
            c
        }),
        ("memdb, defaults", memdb("cfg-b")),
        (
            "plain :memory:",
            Connection::open_in_memory().expect(":memory:"),
        ),
        (":memory: + cache 1G", {
            let c = Connection::open_in_memory().expect(":memory:");
            pragmas(&c, &[("cache_size", "-1048576")]);
            c
        }),
        (":memory: + temp mem", {
            let c = Connection::open_in_memory().expect(":memory:");
            pragmas(&c, &[("temp_store", "MEMORY")]);
            c
        }),
    ];
    for (_, conn) in &configs {
        load(conn, rows);
    }
    let mut best = vec![(f64::MAX, f64::MAX, f64::MAX); configs.len()];
    for _ in 0..rounds {
        for ((_, conn), best) in configs.iter().zip(&mut best) {
            let (g, p) = measure(conn, rows);
            let u = measure_updates(conn, rows);
            *best = (best.0.min(g), best.1.min(p), best.2.min(u));
        }
    }
    println!("{rows} rows, best of {rounds}:");
    for ((name, _), (g, p, u)) in configs.iter().zip(best) {
        println!(
            "  {name:<20} GROUP BY age {:>7.1} ms  point select {:>5.2} us  update {:>5.2} us",
            g * 1e3,
            p * 1e6,
            u * 1e6
        );
    }
}
