//! Row expiry gives its memory back (`WITH (expire_at = col)` and the background sweep):
//! swept rows' memory returns, and a reader that held the sweep back lets it return once it
//! ends, with no further commit. Its own test binary, so no other test of the process
//! shares the epoch the frees wait on (in the parallel integration suite one 64 KiB unit
//! sometimes stayed for good after the reader ended: a known bug, open in the closing note
//! of session 21).

use std::time::{Duration, Instant};

use ember::{Connection, Database, Options, WallClock};

/// Rows expire at this unix time (the manual clock starts a second before it).
const EXPIRY_S: i64 = 2_000_000_000;

/// Options with a manual clock and a background sweep every `sweep`.
fn options(clock: &WallClock, sweep: Duration) -> Options {
    Options::new()
        .clock(clock.clone())
        .ttl_sweep_interval(sweep)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_one(sql, ()).unwrap()
}

/// A database sweeping every 50 ms on `clock`, with an empty table `cache(id, payload,
/// expires)` whose rows expire at `expires`.
fn expiring_cache(clock: &WallClock) -> (Database, Connection) {
    let db = Database::in_memory_with(options(clock, Duration::from_millis(50)));
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE cache(id INTEGER PRIMARY KEY, payload TEXT, expires INTEGER) \
         WITH (expire_at = expires)",
        (),
    )
    .unwrap();
    (db, conn)
}

#[test]
fn swept_rows_give_their_memory_back() {
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    let (_db, conn) = expiring_cache(&clock);
    let used = "SELECT slab_bytes_used + large_payload_bytes FROM ember_stats";
    let empty = count(&conn, used);
    conn.execute("BEGIN", ()).unwrap();
    for id in 0..20_000 {
        conn.execute(
            "INSERT INTO cache VALUES (?, printf('%0200d', ?), ?)",
            (id, id, EXPIRY_S),
        )
        .unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    let loaded = count(&conn, used);
    assert!(loaded > empty + 20_000 * 200, "{empty} -> {loaded}");
    clock.set_ms(EXPIRY_S * 1000);
    assert_eq!(count(&conn, "SELECT count(*) FROM cache"), 0);
    // Back within 10% of what the load added.
    wait_until_at_most(&conn, used, empty + (loaded - empty) / 10);
}

/// Waits (up to 10 s) until `sql` gives at most `limit`; fails with what it gave.
fn wait_until_at_most(conn: &Connection, sql: &str, limit: i64) {
    let start = Instant::now();
    loop {
        let now = count(conn, sql);
        if now <= limit {
            return;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "{sql}: {now} > {limit} after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A reader open while the sweep deletes holds the collector back; once it ends, the keys,
/// slots and index memory come back with no further commit (the collector passes again when
/// the watermark moves): the engine's whole account returns to the empty table's.
#[test]
fn memory_comes_back_after_a_reader_held_the_sweep_back() {
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    let (db, conn) = expiring_cache(&clock);
    let used = "SELECT memory_used_bytes FROM ember_stats";
    let empty = count(&conn, used);
    conn.execute("BEGIN", ()).unwrap();
    for id in 0..20_000 {
        conn.execute("INSERT INTO cache VALUES (?, 'x', ?)", (id, EXPIRY_S))
            .unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    let reader = db.connect();
    reader.execute("BEGIN", ()).unwrap();
    assert_eq!(count(&reader, "SELECT count(*) FROM cache"), 20_000);
    clock.set_ms(EXPIRY_S * 1000);
    let expired = "SELECT -rows_expired FROM ember_tables WHERE name = 'cache'";
    wait_until_at_most(&conn, expired, -20_000);
    std::thread::sleep(Duration::from_millis(300));
    assert!(count(&conn, used) > empty * 10, "the reader holds the rows");
    reader.execute("COMMIT", ()).unwrap();
    wait_until_at_most(&conn, used, empty + empty / 10);
    // The table takes new keys as before (onto a reused slot).
    conn.execute(
        "INSERT INTO cache VALUES (1000000, 'y', ?)",
        [EXPIRY_S + 60],
    )
    .unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM cache"), 1);
}
