//! Table options and row expiry (`WITH (expire_at = col)`): unknown options and bad values
//! are errors; an expired row is invisible to every read from its expiry time on (scans,
//! key and index lookups, joins, count(*), UPDATE and DELETE targets, key conflicts), at a
//! time fixed per transaction; the collector deletes it as a logged delete within the sweep
//! interval; options and deletions survive reopening (WAL replay and checkpoint). A manual
//! clock (`Options::clock`) drives time.

use std::time::{Duration, Instant};

use crate::support::TempDir;
use ember::{Connection, Database, ErrorKind, Options, WallClock};

/// Unix seconds the tests' rows expire at; the clock starts one second before.
const EXPIRY_S: i64 = 2_000_000_000;

/// Options with a manual clock at one second before `EXPIRY_S`, and no sweep unless asked.
fn options(clock: &WallClock, sweep: Duration) -> Options {
    Options::new()
        .clock(clock.clone())
        .ttl_sweep_interval(sweep)
}

fn count(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ()).unwrap()
}

fn error_of(conn: &Connection, sql: &str) -> (ErrorKind, String) {
    let error = conn.execute(sql, ()).expect_err(sql);
    (error.kind(), error.to_string())
}

/// Ten sessions, ids 1..=10; odd ids expire at `EXPIRY_S`, even ids never (NULL), plus a
/// unique `token` and an index on `user`.
fn sessions(conn: &Connection) {
    conn.execute_batch(
        "CREATE TABLE sessions(id INTEGER PRIMARY KEY, user TEXT, token TEXT UNIQUE, \
           expires INTEGER) WITH (expire_at = expires);
         CREATE INDEX sessions_user ON sessions(user);",
    )
    .unwrap();
    for id in 1..=10 {
        let expires = if id % 2 == 1 { Some(EXPIRY_S) } else { None };
        conn.execute(
            "INSERT INTO sessions VALUES (?, ?, ?, ?)",
            (id, format!("u{}", id % 3), format!("t{id}"), expires),
        )
        .unwrap();
    }
}

#[test]
fn unknown_options_and_bad_values_are_errors_naming_them() {
    let db = Database::in_memory();
    let conn = db.connect();
    let cases: &[(&str, ErrorKind, &str)] = &[
        (
            "CREATE TABLE t(a INT) WITH (bogus = 7)",
            ErrorKind::InvalidInput,
            "unknown table option: bogus",
        ),
        (
            "CREATE TABLE t(a INT) WITH (expire_at = b)",
            ErrorKind::NotFound,
            "expire_at: no such column in table t: b",
        ),
        (
            "CREATE TABLE t(a INT) WITH (expire_at = 'a')",
            ErrorKind::InvalidInput,
            "expire_at takes a column name",
        ),
        (
            "CREATE TABLE t(a INT) WITH (expire_at = a, expire_at = a)",
            ErrorKind::InvalidInput,
            "expire_at is given more than once",
        ),
        (
            "CREATE TABLE t(a INT) WITH (ttl = 'ten minutes')",
            ErrorKind::InvalidInput,
            "table option ttl: 'ten minutes' does not start with a number",
        ),
        (
            "CREATE TABLE t(a INT) WITH (ttl = '3 fortnights')",
            ErrorKind::InvalidInput,
            "unknown time unit 'fortnights'",
        ),
        (
            "CREATE TABLE t(a INT) WITH (max_memory = '64 parsecs')",
            ErrorKind::InvalidInput,
            "unknown size unit 'parsecs'",
        ),
        (
            "CREATE TABLE t(a INT) WITH (on_full = 'evict_lru')",
            ErrorKind::InvalidInput,
            "on_full needs max_memory",
        ),
        (
            "CREATE TABLE t(a INT) WITH (max_memory = '64MB', on_full = 'evict_ttl')",
            ErrorKind::InvalidInput,
            "needs expire_at = <column>",
        ),
        (
            "CREATE TABLE t(a INT) WITH (on_full = 'panic')",
            ErrorKind::InvalidInput,
            "unknown policy 'panic'",
        ),
        (
            "CREATE TABLE t WITH (expire_at = a) AS SELECT 1 AS a",
            ErrorKind::Unsupported,
            "table options in CREATE TABLE ... AS SELECT",
        ),
    ];
    for (sql, kind, message) in cases {
        let (got_kind, got) = match conn.execute(sql, ()) {
            Ok(_) => panic!("{sql} succeeded"),
            Err(error) => (error.kind(), error.to_string()),
        };
        assert_eq!(got_kind, *kind, "{sql}: {got}");
        assert!(got.contains(message), "{sql}: {got}");
        assert_eq!(
            count(&conn, "SELECT count(*) FROM ember_tables"),
            0,
            "{sql}"
        );
    }
    conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
    let (kind, message) = error_of(&conn, "ALTER TABLE t SET (bogus = 1)");
    assert_eq!(kind, ErrorKind::InvalidInput, "{message}");
    assert!(message.contains("unknown table option: bogus"), "{message}");
    let (kind, message) = error_of(&conn, "ALTER TABLE t SET (bogus = NULL)");
    assert_eq!(kind, ErrorKind::InvalidInput, "{message}");
    let options: Option<String> = conn
        .query_value("SELECT options FROM ember_tables WHERE name = 't'", ())
        .unwrap();
    assert_eq!(options, None, "a failed ALTER changed nothing");
}

#[test]
fn options_are_set_altered_shown_and_kept_across_reopen() {
    let dir = TempDir::new("options");
    {
        let db = Database::open(&dir.0).unwrap();
        let conn = db.connect();
        conn.execute(
            "CREATE TABLE a(id INTEGER PRIMARY KEY, e INTEGER, f REAL) WITH (expire_at = e)",
            (),
        )
        .unwrap();
        conn.execute("CREATE TABLE b(id INTEGER PRIMARY KEY, g INTEGER)", ())
            .unwrap();
        conn.execute("ALTER TABLE b SET (expire_at = g)", ())
            .unwrap();
        conn.execute("ALTER TABLE a SET (expire_at = f)", ())
            .unwrap();
        conn.execute("CHECKPOINT", ()).unwrap();
        // After the checkpoint: only the WAL holds these.
        conn.execute("ALTER TABLE a RENAME COLUMN f TO deadline", ())
            .unwrap();
        conn.execute("CREATE TABLE c(x TEXT) WITH (expire_at = x)", ())
            .unwrap();
        conn.execute("ALTER TABLE c SET (expire_at = DEFAULT)", ())
            .unwrap();
    }
    let db = Database::open(&dir.0).unwrap();
    let conn = db.connect();
    let rows = conn
        .query("SELECT name, options FROM ember_tables ORDER BY name", ())
        .unwrap();
    let listed: Vec<(String, Option<String>)> = rows
        .into_iter()
        .map(|row| (row.get(0).unwrap(), row.get(1).unwrap()))
        .collect();
    assert_eq!(
        listed,
        vec![
            ("a".to_string(), Some("expire_at = deadline".to_string())),
            ("b".to_string(), Some("expire_at = g".to_string())),
            ("c".to_string(), None),
        ]
    );
    // The expiry column cannot be dropped while the option names it.
    let (_, message) = error_of(&conn, "ALTER TABLE b DROP COLUMN g");
    assert!(
        message.contains("cannot drop column g: table option expire_at names it"),
        "{message}"
    );
}

#[test]
fn expired_rows_are_invisible_to_every_read_from_their_expiry_on() {
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    let db = Database::in_memory_with(options(&clock, Duration::from_secs(3600)));
    let conn = db.connect();
    sessions(&conn);
    conn.execute("CREATE TABLE users(name TEXT PRIMARY KEY)", ())
        .unwrap();
    conn.execute("INSERT INTO users VALUES ('u0'), ('u1'), ('u2')", ())
        .unwrap();
    let reads = [
        "SELECT count(*) FROM sessions",
        "SELECT count(*) FROM sessions WHERE id = 3",
        "SELECT count(*) FROM sessions WHERE id IN (1, 2, 3)",
        "SELECT count(*) FROM sessions WHERE token = 't5'",
        "SELECT count(*) FROM sessions WHERE user = 'u1'",
        "SELECT count(*) FROM sessions WHERE id > 4",
        "SELECT count(*) FROM users JOIN sessions ON sessions.user = users.name",
        "SELECT count(*) FROM users LEFT JOIN sessions ON sessions.user = users.name \
         WHERE sessions.id IS NOT NULL",
        "SELECT count(*) FROM (SELECT id FROM sessions ORDER BY id LIMIT 100)",
        "SELECT count(*) FROM users WHERE EXISTS (SELECT 1 FROM sessions WHERE user = name)",
    ];
    let before: Vec<i64> = reads.iter().map(|sql| count(&conn, sql)).collect();
    assert_eq!(before, vec![10, 1, 3, 1, 4, 6, 10, 10, 10, 3]);
    clock.set_ms(EXPIRY_S * 1000);
    let after: Vec<i64> = reads.iter().map(|sql| count(&conn, sql)).collect();
    assert_eq!(after, vec![5, 0, 1, 0, 2, 3, 5, 5, 5, 3]);
    // UPDATE and DELETE do not reach expired rows.
    assert_eq!(
        conn.execute("UPDATE sessions SET user = 'x' WHERE id = 3", ())
            .unwrap(),
        0
    );
    assert_eq!(
        conn.execute("DELETE FROM sessions WHERE id <= 4", ())
            .unwrap(),
        2
    );
    // A key an expired row holds is free: the insert replaces the expired row.
    conn.execute("INSERT INTO sessions VALUES (5, 'u9', 't7', NULL)", ())
        .unwrap();
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sessions WHERE token = 't7'"),
        1
    );
    // So for an upsert: the new row goes in, the expired one is not updated.
    conn.execute(
        "INSERT INTO sessions VALUES (7, 'fresh', 't77', NULL) \
         ON CONFLICT(id) DO UPDATE SET user = 'revived'",
        (),
    )
    .unwrap();
    let user: String = conn
        .query_value("SELECT user FROM sessions WHERE id = 7", ())
        .unwrap();
    assert_eq!(user, "fresh");
    // A live row's key still conflicts.
    let (kind, _) = error_of(&conn, "INSERT INTO sessions VALUES (6, 'u', 'new', NULL)");
    assert_eq!(kind, ErrorKind::Constraint);
    // Renewing: an update of the expiry column keeps a row alive past the old time.
    conn.execute(
        "UPDATE sessions SET expires = ? WHERE id = 6",
        [EXPIRY_S + 10],
    )
    .unwrap();
    clock.set_ms((EXPIRY_S + 5) * 1000);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sessions WHERE id = 6"),
        1
    );
    clock.set_ms((EXPIRY_S + 10) * 1000);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sessions WHERE id = 6"),
        0
    );
}

#[test]
fn text_and_real_expiry_times_and_null_never_expiring() {
    let clock = WallClock::manual(EXPIRY_S * 1000);
    let db = Database::in_memory_with(options(&clock, Duration::from_secs(3600)));
    let conn = db.connect();
    conn.execute("CREATE TABLE t(id INT, at) WITH (expire_at = at)", ())
        .unwrap();
    conn.execute(
        "INSERT INTO t VALUES (1, datetime(?, 'unixepoch')), (2, datetime(?, 'unixepoch')), \
         (3, ?), (4, ?), (5, NULL), (6, 'not a date'), (7, x'00')",
        (
            EXPIRY_S - 1,
            EXPIRY_S + 1,
            EXPIRY_S as f64 - 0.5,
            EXPIRY_S as f64 + 0.5,
        ),
    )
    .unwrap();
    let ids: Vec<i64> = conn
        .query("SELECT id FROM t ORDER BY id", ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect();
    assert_eq!(ids, vec![2, 4, 5, 6, 7]);
}

#[test]
fn a_transaction_reads_expiry_at_one_time() {
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    let db = Database::in_memory_with(options(&clock, Duration::from_secs(3600)));
    let conn = db.connect();
    sessions(&conn);
    conn.execute("BEGIN", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 10);
    clock.set_ms(EXPIRY_S * 1000);
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 10);
    assert_eq!(
        conn.execute("UPDATE sessions SET user = 'y' WHERE id = 1", ())
            .unwrap(),
        1
    );
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 5);
}

/// Polls `sql` until it gives `want` or `limit` passes; the time it took.
fn wait_for(conn: &Connection, sql: &str, want: i64, limit: Duration) -> Duration {
    let start = Instant::now();
    loop {
        if count(conn, sql) == want {
            return start.elapsed();
        }
        assert!(start.elapsed() < limit, "{sql} did not reach {want}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

#[test]
fn the_collector_deletes_expired_rows_within_the_sweep_interval_as_logged_deletes() {
    let dir = TempDir::new("sweep");
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    {
        let db = Database::open_with(&dir.0, options(&clock, Duration::from_millis(100))).unwrap();
        let conn = db.connect();
        sessions(&conn);
        conn.execute("CHECKPOINT", ()).unwrap();
        let live = "SELECT rows FROM ember_tables WHERE name = 'sessions'";
        assert_eq!(count(&conn, live), 10);
        clock.set_ms(EXPIRY_S * 1000);
        // Interval 100 ms, collector passes every 200 ms: well within 2 s.
        let took = wait_for(&conn, live, 5, Duration::from_secs(5));
        assert!(took < Duration::from_secs(2), "sweep took {took:?}");
        // The counter follows the sweep's commit.
        let expired = "SELECT rows_expired FROM ember_tables WHERE name = 'sessions'";
        wait_for(&conn, expired, 5, Duration::from_secs(5));
    }
    // Reopened with the clock back before the expiry: the rows stay deleted (the sweep's
    // deletes were logged), and the live ones are all there.
    clock.set_ms((EXPIRY_S - 100) * 1000);
    let db = Database::open_with(&dir.0, options(&clock, Duration::from_secs(3600))).unwrap();
    let conn = db.connect();
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 5);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sessions WHERE expires IS NULL"),
        5
    );
}

#[test]
fn expired_rows_stay_invisible_after_reopen_without_a_sweep() {
    let dir = TempDir::new("replay");
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    {
        let db = Database::open_with(&dir.0, options(&clock, Duration::from_secs(3600))).unwrap();
        sessions(&db.connect());
    }
    clock.set_ms(EXPIRY_S * 1000);
    let db = Database::open_with(&dir.0, options(&clock, Duration::from_secs(3600))).unwrap();
    let conn = db.connect();
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 5);
    assert_eq!(
        count(&conn, "SELECT count(*) FROM sessions WHERE id % 2 = 1"),
        0
    );
}

#[test]
fn explain_shows_the_expiry_test_on_every_access() {
    let db = Database::in_memory();
    let conn = db.connect();
    sessions(&conn);
    let explain = |sql: &str| -> Vec<String> {
        conn.query(&format!("EXPLAIN {sql}"), ())
            .unwrap()
            .values()
            .iter()
            .map(|row| match &row[0] {
                ember::Value::Text(line) => line.to_string(),
                other => panic!("not a text line: {other:?}"),
            })
            .collect()
    };
    assert_eq!(
        explain("SELECT user FROM sessions WHERE id = 3"),
        [
            "Project user (fused read)",
            "└─ KeyLookup sessions (id = 3) filter ((id = 3) AND unexpired(expires))"
        ]
    );
    for sql in [
        "SELECT count(*) FROM sessions",
        "SELECT * FROM sessions WHERE user = 'u1'",
        "DELETE FROM sessions WHERE token = 't1'",
        "UPDATE sessions SET user = 'x'",
    ] {
        let lines = explain(sql);
        assert!(
            lines.iter().any(|line| line.contains("unexpired(expires)")),
            "{sql}: {lines:?}"
        );
    }
}

#[test]
fn a_lazily_read_query_keeps_its_time_across_other_statements() {
    let clock = WallClock::manual((EXPIRY_S - 1) * 1000);
    let db = Database::in_memory_with(options(&clock, Duration::from_secs(3600)));
    let conn = db.connect();
    sessions(&conn);
    let mut statement = conn.prepare("SELECT id FROM sessions ORDER BY id").unwrap();
    let mut rows = statement.query(()).unwrap();
    let first: i64 = rows.next().unwrap().unwrap().get(0).unwrap();
    assert_eq!(first, 1);
    clock.set_ms(EXPIRY_S * 1000);
    // Another statement meanwhile reads at the new time...
    assert_eq!(count(&conn, "SELECT count(*) FROM sessions"), 5);
    // ...while the query goes on at its own.
    let rest: Vec<i64> = rows.map(|row| row.unwrap().get(0).unwrap()).collect();
    assert_eq!(rest, (2..=10).collect::<Vec<i64>>());
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

#[test]
fn the_sweep_races_writers_without_losing_or_resurrecting_a_row() {
    let db = Database::in_memory_with(Options::new().ttl_sweep_interval(Duration::from_millis(20)));
    db.connect()
        .execute(
            "CREATE TABLE hot(id INTEGER PRIMARY KEY, expires REAL) WITH (expire_at = expires)",
            (),
        )
        .unwrap();
    const THREADS: i64 = 4;
    const ROWS: i64 = 400;
    let inserted: i64 = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..THREADS)
            .map(|thread| {
                let conn = db.connect();
                scope.spawn(move || {
                    let mut inserted = 0;
                    for i in 0..ROWS {
                        let id = thread * 1_000_000 + i;
                        // Expires 0-99 ms from now (unixepoch('now') has whole seconds only).
                        let lifetime = (i % 100) as f64 / 1000.0;
                        let now = std::time::SystemTime::now()
                            .duration_since(std::time::UNIX_EPOCH)
                            .unwrap()
                            .as_secs_f64();
                        conn.execute("INSERT INTO hot VALUES (?, ?)", (id, now + lifetime))
                            .unwrap();
                        inserted += 1;
                        if i % 3 == 0 {
                            // Renew an earlier row of ours, if it is still there; a conflict
                            // with the sweep's delete is an ordinary, retryable conflict.
                            let renewed = conn.execute(
                                "UPDATE hot SET expires = expires + 0.05 WHERE id = ?",
                                [id - 2],
                            );
                            if let Err(error) = renewed {
                                assert_eq!(error.kind(), ErrorKind::SerializationConflict);
                            }
                        }
                        std::thread::sleep(Duration::from_micros(200));
                    }
                    inserted
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).sum()
    });
    assert_eq!(inserted, THREADS * ROWS);
    let conn = db.connect();
    // Every row expires within about a second; then the sweep has deleted each exactly once.
    wait_for(
        &conn,
        "SELECT count(*) FROM hot",
        0,
        Duration::from_secs(10),
    );
    wait_for(
        &conn,
        "SELECT rows FROM ember_tables WHERE name = 'hot'",
        0,
        Duration::from_secs(10),
    );
    wait_for(
        &conn,
        "SELECT rows_expired FROM ember_tables WHERE name = 'hot'",
        inserted,
        Duration::from_secs(10),
    );
}
