//! Where M1's bytes per row go: loads `rows` benchmark rows (W1's rows and transactions)
//! into an in-memory database, then prints the anonymous memory the load added and the
//! storage's own accounting (`ember_stats`) per row: payload bytes (encoded rows), slab slots
//! in use (payload + size-class slack), whole slab pages, version headers, primary-index
//! entries, and the rest (slot arrays, arena regions' untouched tails, allocator). With
//! `updates`, then runs M1's updates (`UPDATE t SET score = <random fraction>` on uniform
//! keys, 1,000 per transaction) and prints the same breakdown three times: right after the
//! updates, after a quiet wait (no statements but the reads of `ember_stats`: the background
//! collector compacts a quiet database, until the pool's pages stay the same for
//! `STEADY_POLLS` polls, at most `QUIET_WAIT_MAX`), and after `VACUUM`.
//!
//! With `whole` after `updates`, each update sets `score` to a whole number instead, which
//! the row encoding keeps in 3 bytes instead of 9: every updated row moves to a smaller size
//! class, leaving the pages of its old class partly empty (what the quiet wait gives back).
//!
//! With `trickle`, the wait after the updates is not quiet: one transaction of a single
//! update (M1's) commits every poll, as an application's background writes would.
//!
//! `cargo run --release -p ember-bench --example row_bytes -- [rows] [updates] [whole]
//! [trickle]`

use std::time::{Duration, Instant};

use ember::{Connection, Database};
use ember_bench::data::{Person, Rng};
use ember_bench::memory::anonymous_bytes;
use ember_bench::sql;

/// Time between polls of the pool during the quiet wait (the collector's period).
const POLL: Duration = Duration::from_millis(200);
/// Polls with the same page count that end the quiet wait.
const STEADY_POLLS: u32 = 5;
/// Longest quiet wait.
const QUIET_WAIT_MAX: Duration = Duration::from_secs(10);

fn main() -> Result<(), ember::Error> {
    let mut args = std::env::args().skip(1);
    let rows: i64 = args
        .next()
        .and_then(|text| text.parse().ok())
        .unwrap_or(200_000);
    let updates: usize = args.next().and_then(|text| text.parse().ok()).unwrap_or(0);
    let flags: Vec<String> = args.collect();
    let whole = flags.iter().any(|flag| flag == "whole");
    let trickle = flags.iter().any(|flag| flag == "trickle");
    let before = anonymous_bytes().unwrap_or(0);
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
    println!("rows                       {rows}");
    print_breakdown(&conn, rows, before)?;
    if updates > 0 {
        // M1's updates (bench/src/memory.rs).
        let mut rng = Rng::new(11);
        let mut done = 0;
        while done < updates {
            conn.execute("BEGIN", ())?;
            for _ in 0..1_000.min(updates - done) {
                let key = rng.key(rows as usize);
                let score = if whole {
                    (rng.next_f64() * 1000.0).floor()
                } else {
                    rng.next_f64()
                };
                conn.execute(sql::UPDATE, (score, key))?;
                done += 1;
            }
            conn.execute("COMMIT", ())?;
        }
        let shape = if whole { " to whole numbers" } else { "" };
        println!("after {updates} updates{shape}:");
        print_breakdown(&conn, rows, before)?;
        let (waited, trickled) = settle_wait(&conn, trickle.then_some((&mut rng, rows)))?;
        let kind = if trickle { "trickled" } else { "quiet" };
        println!(
            "after {updates} updates and a {kind} wait of {:.1} s ({trickled} commits):",
            waited.as_secs_f64()
        );
        print_breakdown(&conn, rows, before)?;
        conn.execute("VACUUM", ())?;
        println!("after {updates} updates and VACUUM:");
        print_breakdown(&conn, rows, before)?;
    }
    Ok(())
}

/// Waits until the slab pool's page count stayed the same for `STEADY_POLLS` polls, at most
/// `QUIET_WAIT_MAX`, with one single-update transaction per poll when given the update's
/// key source (`trickle`); returns how long it waited and the transactions it committed.
fn settle_wait(
    conn: &Connection,
    mut trickle: Option<(&mut Rng, i64)>,
) -> Result<(Duration, u64), ember::Error> {
    let started = Instant::now();
    let mut last: i64 = conn.query_value("SELECT slab_pages FROM ember_stats", ())?;
    let mut steady = 0;
    let mut commits = 0;
    while steady < STEADY_POLLS && started.elapsed() < QUIET_WAIT_MAX {
        std::thread::sleep(POLL);
        if let Some((rng, rows)) = trickle.as_mut() {
            let key = rng.key(*rows as usize);
            conn.execute(sql::UPDATE, (rng.next_f64(), key))?;
            commits += 1;
        }
        let pages: i64 = conn.query_value("SELECT slab_pages FROM ember_stats", ())?;
        steady = if pages == last { steady + 1 } else { 0 };
        last = pages;
    }
    Ok((started.elapsed(), commits))
}

/// Prints the anonymous memory added since `before` and `ember_stats`'s accounting, per row.
fn print_breakdown(conn: &Connection, rows: i64, before: u64) -> Result<(), ember::Error> {
    let now = anonymous_bytes().unwrap_or(0);
    let stats = conn.query(
        "SELECT payload_bytes, slab_bytes_used, slab_page_bytes, version_header_bytes, \
         index_bytes, large_payload_bytes, slab_pages FROM ember_stats",
        (),
    )?;
    let row = stats
        .values()
        .first()
        .expect("ember_stats has one row")
        .to_vec();
    let value = |index: usize| -> f64 {
        match row.get(index) {
            Some(ember::Value::Integer(i)) => *i as f64,
            _ => 0.0,
        }
    };
    let per_row = |bytes: f64| bytes / rows as f64;
    let anon = per_row(now.saturating_sub(before) as f64);
    let accounted = value(2) + value(3) + value(4) + value(5);
    println!("anon B/row                 {anon:.1}");
    println!("payload (encoded) B/row    {:.1}", per_row(value(0)));
    println!("slab slots used B/row      {:.1}", per_row(value(1)));
    println!(
        "slab pages B/row           {:.1} ({} pages)",
        per_row(value(2)),
        value(6)
    );
    println!("version headers B/row      {:.1}", per_row(value(3)));
    println!("index entries B/row        {:.1}", per_row(value(4)));
    println!("large payloads B/row       {:.1}", per_row(value(5)));
    println!(
        "rest (slots, arena) B/row  {:.1}",
        anon - per_row(accounted)
    );
    Ok(())
}
