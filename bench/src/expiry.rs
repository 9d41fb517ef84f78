//! M3: row expiry reclaiming memory. EmberDB only (the other engines have no row
//! expiry): 1,000,000 rows (times `--scale`) go into a table `WITH (ttl = '1 second')`, and
//! then, as a second figure, into one `WITH (expire_at = expires)` with each row's `expires`
//! one second after its insert, in 10,000-row transactions. From the last insert on,
//! `count(*)` and the engine's memory (`ember_stats.memory_used_bytes`, the account of rows,
//! versions and indexes) are sampled every 100 ms (for at least 3 s, at most 10 s, until
//! the count is 0 and the memory back within 10% of the empty table's); the figures are
//! both at 2 s, the first time `count(*)` was 0 and the first time memory was back. The
//! process's resident memory (`RssAnon`, anonymous, and `VmRSS`, all of it) is read with
//! the table created and empty, after the load, and after every row expired and
//! `SETTLE_PERIODS` collector periods more; the ratio after/empty says how near the
//! process came back to the empty database. Both times the resident memory is also split by
//! kind of mapping (`smaps.rs`: the binary's code pages, other files, the main heap, other
//! anonymous memory), which tells code first run by the load from the database's memory.
//!
//! Two cycles run in one database: a first table of the same kind loads the same rows,
//! lets them expire and is dropped, then the measured table does the same. The first
//! cycle's ratio (its after over its empty, read after its table was created) counts the
//! code the load, sweep and collector run for the first time (file-backed pages of the
//! binary) and the collector thread started; the measured cycle's (its after over its
//! empty, read after the first table was dropped and the measured one created) says
//! whether the memory a cycle takes comes back. The process's reading before anything ran
//! (`cold`) is printed too. The second run (`expire_at`) shares the process with the first.
//! `ember-bench --m3 [--scale F]`.

use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ember::{Database, Options};

use crate::memory::{anonymous_bytes, resident_bytes};
use crate::smaps::{resident_kinds, ResidentKinds};

/// Rows per insert transaction.
const TXN_ROWS: usize = 10_000;
/// The sweep interval M3 runs with (the engine's default is 1 s).
const SWEEP: Duration = Duration::from_millis(200);
/// The engine's background collector period (`engine/src/session/gc.rs`).
const COLLECTOR_PERIOD: Duration = Duration::from_millis(200);
/// Collector periods waited after the rows are gone and the account settled, before the
/// resident memory is read.
const SETTLE_PERIODS: u32 = 8;
/// Shortest the sampling runs after the last insert.
const SAMPLING_MIN: Duration = Duration::from_secs(3);
/// Longest the sampling waits for the rows to go and the account to settle.
const SAMPLING_MAX: Duration = Duration::from_secs(10);

/// The process's resident memory in bytes: (`RssAnon`, `VmRSS`), 0 where unknown.
fn rss() -> (u64, u64) {
    (
        anonymous_bytes().unwrap_or(0),
        resident_bytes().unwrap_or(0),
    )
}

fn now_s() -> f64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0.0, |elapsed| elapsed.as_secs_f64())
}

fn memory_used(conn: &ember::Connection) -> Result<i64, ember::Error> {
    conn.query_value("SELECT memory_used_bytes FROM ember_stats", ())
}

/// How M3's rows expire.
#[derive(Clone, Copy)]
enum Expiry {
    /// `WITH (ttl = '1 second')`: one second after each row's write.
    Ttl,
    /// `WITH (expire_at = expires)`, `expires` = the insert time + 1 s.
    ExpireAt,
}

/// Runs M3 with `ttl`, then with `expire_at`, and returns both reports.
pub fn m3(scale: f64) -> Result<String, ember::Error> {
    Ok(format!(
        "{}\n{}",
        m3_with(scale, Expiry::Ttl)?,
        m3_with(scale, Expiry::ExpireAt)?
    ))
}

/// One M3 run (several lines of report).
fn m3_with(scale: f64, expiry: Expiry) -> Result<String, ember::Error> {
    let rows = ((1_000_000.0 * scale) as usize).max(1);
    let db = Database::in_memory_with(Options::new().ttl_sweep_interval(SWEEP));
    let conn = db.connect();
    let cold_rss = rss();
    create_table(&conn, "m3_first", expiry)?;
    let first_empty_rss = rss();
    load(&conn, "m3_first", expiry, rows)?;
    let first_loaded = Instant::now();
    wait_until_expired(&conn, "m3_first")?;
    // As long as the measured rows get from their last insert to the reading after them.
    std::thread::sleep(SAMPLING_MIN.saturating_sub(first_loaded.elapsed()));
    std::thread::sleep(COLLECTOR_PERIOD * SETTLE_PERIODS);
    let first_after_rss = rss();
    conn.execute("DROP TABLE m3_first", ())?;
    std::thread::sleep(COLLECTOR_PERIOD * SETTLE_PERIODS);
    create_table(&conn, "m3", expiry)?;
    let label = match expiry {
        Expiry::Ttl => "ttl = '1 second'",
        Expiry::ExpireAt => "expire_at = insert time + 1 s",
    };
    let empty = memory_used(&conn)?;
    let empty_rss = rss();
    let empty_kinds = resident_kinds().unwrap_or_default();
    let started = Instant::now();
    let peak = load(&conn, "m3", expiry, rows)?.max(empty);
    let load = started.elapsed();
    let loaded_rss = rss();
    let last_insert = Instant::now();
    let mut zero_at = None;
    let mut back_at = None;
    let mut at_two = None;
    let within = |used: i64| (used - empty) as f64 <= 0.1 * empty.max(1) as f64;
    loop {
        let count: i64 = conn.query_value("SELECT count(*) FROM m3", ())?;
        let used = memory_used(&conn)?;
        let elapsed = last_insert.elapsed();
        if count == 0 && zero_at.is_none() {
            zero_at = Some(elapsed);
        }
        if within(used) && back_at.is_none() {
            back_at = Some(elapsed);
        }
        if elapsed >= Duration::from_secs(2) && at_two.is_none() {
            at_two = Some((count, used, anonymous_bytes().unwrap_or(0)));
        }
        let settled = zero_at.is_some() && back_at.is_some() && at_two.is_some();
        if (settled && elapsed >= SAMPLING_MIN) || elapsed >= SAMPLING_MAX {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let (count_2s, used_2s, anon_2s) = at_two.unwrap_or((-1, -1, 0));
    let anon_3s = anonymous_bytes().unwrap_or(0);
    std::thread::sleep(COLLECTOR_PERIOD * SETTLE_PERIODS);
    let after_rss = rss();
    let after_kinds = resident_kinds().unwrap_or_default();
    let settled_at = last_insert.elapsed();
    let expired: i64 = conn.query_value(
        "SELECT rows_expired FROM ember_tables WHERE name = 'm3'",
        (),
    )?;
    let show = |at: Option<Duration>| match at {
        Some(at) => format!("{:.1} s", at.as_secs_f64()),
        None => format!("not within {} s", SAMPLING_MAX.as_secs()),
    };
    let mib = |bytes: i64| bytes as f64 / (1024.0 * 1024.0);
    let mib_u = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let ratio = |after: u64, empty: u64| after as f64 / empty.max(1) as f64;
    Ok(format!(
        "M3: {rows} rows, {label}, sweep interval {} ms\n\
         load: {:.2} s; engine memory empty {:.2} MiB, peak {:.2} MiB\n\
         2 s after the last insert: count(*) = {count_2s}, engine memory {:.2} MiB \
         ({:+.1}% of empty), rows expired by the sweep {expired}\n\
         count(*) = 0 after {}; memory within 10% of empty after {}\n\
         process RssAnon: empty {:.1} MiB, loaded {:.1} MiB, at 2 s {:.1} MiB, at 3 s {:.1} MiB\n\
         RSS after expiry (read at {:.1} s, {SETTLE_PERIODS} collector periods after settling): \
         RssAnon empty {:.1} MiB, loaded {:.1} MiB, after {:.1} MiB (after/empty {:.2}); \
         VmRSS empty {:.1} MiB, loaded {:.1} MiB, after {:.1} MiB (after/empty {:.2})\n\
         first cycle: RssAnon empty {:.1} MiB, after {:.1} MiB (after/empty {:.2}); \
         VmRSS empty {:.1} MiB, after {:.1} MiB (after/empty {:.2}); \
         cold: RssAnon {:.1} MiB, VmRSS {:.1} MiB\n\
         resident by mapping, empty -> after: {}",
        SWEEP.as_millis(),
        load.as_secs_f64(),
        mib(empty),
        mib(peak),
        mib(used_2s),
        (used_2s - empty) as f64 * 100.0 / empty.max(1) as f64,
        show(zero_at),
        show(back_at),
        mib_u(empty_rss.0),
        mib_u(loaded_rss.0),
        mib_u(anon_2s),
        mib_u(anon_3s),
        settled_at.as_secs_f64(),
        mib_u(empty_rss.0),
        mib_u(loaded_rss.0),
        mib_u(after_rss.0),
        ratio(after_rss.0, empty_rss.0),
        mib_u(empty_rss.1),
        mib_u(loaded_rss.1),
        mib_u(after_rss.1),
        ratio(after_rss.1, empty_rss.1),
        mib_u(first_empty_rss.0),
        mib_u(first_after_rss.0),
        ratio(first_after_rss.0, first_empty_rss.0),
        mib_u(first_empty_rss.1),
        mib_u(first_after_rss.1),
        ratio(first_after_rss.1, first_empty_rss.1),
        mib_u(cold_rss.0),
        mib_u(cold_rss.1),
        by_mapping(&empty_kinds, &after_kinds),
    ))
}

/// Creates M3's table `name`, its rows expiring as `expiry` says.
fn create_table(conn: &ember::Connection, name: &str, expiry: Expiry) -> Result<(), ember::Error> {
    let create = match expiry {
        Expiry::Ttl => format!(
            "CREATE TABLE {name}(id INTEGER PRIMARY KEY, payload TEXT) WITH (ttl = '1 second')"
        ),
        Expiry::ExpireAt => format!(
            "CREATE TABLE {name}(id INTEGER PRIMARY KEY, payload TEXT, expires REAL) \
             WITH (expire_at = expires)"
        ),
    };
    conn.execute(&create, ())?;
    Ok(())
}

/// Inserts `rows` rows into `name` in `TXN_ROWS`-row transactions, each expiring one
/// second after its transaction began; returns the engine's largest memory account after a
/// commit.
fn load(
    conn: &ember::Connection,
    name: &str,
    expiry: Expiry,
    rows: usize,
) -> Result<i64, ember::Error> {
    let insert_sql = match expiry {
        Expiry::Ttl => format!("INSERT INTO {name} VALUES (?, ?)"),
        Expiry::ExpireAt => format!("INSERT INTO {name} VALUES (?, ?, ?)"),
    };
    let mut insert = conn.prepare(&insert_sql)?;
    let mut id = 0;
    let mut peak = 0;
    while id < rows {
        conn.execute("BEGIN", ())?;
        let expires = now_s() + 1.0;
        for _ in 0..TXN_ROWS.min(rows - id) {
            id += 1;
            let payload = format!("session-{id:08}");
            match expiry {
                Expiry::Ttl => insert.execute((id as i64, payload))?,
                Expiry::ExpireAt => insert.execute((id as i64, payload, expires))?,
            };
        }
        conn.execute("COMMIT", ())?;
        peak = peak.max(memory_used(conn)?);
    }
    Ok(peak)
}

/// Waits until `count(*)` of `name` is 0 (at most `SAMPLING_MAX`).
fn wait_until_expired(conn: &ember::Connection, name: &str) -> Result<(), ember::Error> {
    let started = Instant::now();
    let count_sql = format!("SELECT count(*) FROM {name}");
    while started.elapsed() < SAMPLING_MAX {
        if conn.query_value::<i64>(&count_sql, ())? == 0 {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    Ok(())
}

/// The resident memory of two readings by kind of mapping, in MiB.
fn by_mapping(empty: &ResidentKinds, after: &ResidentKinds) -> String {
    let mib = |bytes: u64| bytes as f64 / (1024.0 * 1024.0);
    let pair = |a: u64, b: u64| format!("{:.2} -> {:.2} MiB", mib(a), mib(b));
    format!(
        "binary file {}, other files {}, [heap] {}, other anonymous {}",
        pair(empty.binary, after.binary),
        pair(empty.other_files, after.other_files),
        pair(empty.heap, after.heap),
        pair(empty.other_anonymous, after.other_anonymous),
    )
}
