//! Row TTL by duration (`WITH (ttl = '<duration>')`): a row is invisible from its last
//! write time plus the ttl on (against the reading transaction's time), INSERT, UPDATE and
//! upsert renew it, the write time survives reopening (WAL replay and checkpoints) and
//! backup/restore, the collector sweeps expired rows, `ALTER TABLE .. SET (ttl = ..)` adds,
//! changes and removes it (rows already there count from the ALTER), bad durations are
//! errors naming the cause, and the hidden write-time column stays out of `*`, INSERT
//! column lists, CREATE TABLE AS and UPDATE targets. A manual clock drives time.

use std::path::PathBuf;
use std::time::{Duration, Instant};

use ember::{Connection, Database, ErrorKind, Options, WallClock};

/// Unix milliseconds the tests' clock starts at.
const T0: i64 = 1_900_000_000_000;

/// A fresh directory under the system temp dir, removed on drop.
struct TempDir(PathBuf);

impl TempDir {
    fn new(name: &str) -> TempDir {
        let path = std::env::temp_dir().join(format!(
            "ember-it-ttl-duration-{name}-{}",
            std::process::id()
        ));
        let _ = std::fs::remove_dir_all(&path);
        TempDir(path)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Options with `clock` and a sweep every `sweep`.
fn options(clock: &WallClock, sweep: Duration) -> Options {
    Options::new()
        .clock(clock.clone())
        .ttl_sweep_interval(sweep)
}

/// An in-memory database on a manual clock at `T0`, with no sweep in the tests' time.
fn manual_db() -> (Database, WallClock) {
    let clock = WallClock::manual(T0);
    let db = Database::in_memory_with(options(&clock, Duration::from_secs(3600)));
    (db, clock)
}

fn int(conn: &Connection, sql: &str) -> i64 {
    conn.query_value(sql, ())
        .unwrap_or_else(|e| panic!("{sql}: {e}"))
}

fn error_of(conn: &Connection, sql: &str) -> (ErrorKind, String) {
    let error = conn.execute(sql, ()).expect_err(sql);
    (error.kind(), error.to_string())
}

/// The ids `SELECT id FROM t` sees, in order.
fn ids(conn: &Connection, sql: &str) -> Vec<i64> {
    conn.query(sql, ())
        .unwrap()
        .into_iter()
        .map(|row| row.get(0).unwrap())
        .collect()
}

#[test]
fn a_row_is_visible_until_its_write_time_plus_the_ttl() {
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT UNIQUE) WITH (ttl = '10 seconds');
         INSERT INTO s VALUES (1, 'a'), (2, 'b');",
    )
    .unwrap();
    clock.set_ms(T0 + 4_000);
    conn.execute("INSERT INTO s(id, v) VALUES (3, 'c')", ())
        .unwrap();
    clock.set_ms(T0 + 9_999);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    // From write time + ttl on, by every access path.
    clock.set_ms(T0 + 10_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [3]);
    assert_eq!(int(&conn, "SELECT count(*) FROM s WHERE id = 1"), 0);
    assert_eq!(int(&conn, "SELECT count(*) FROM s WHERE v = 'b'"), 0);
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 1);
    // The expired row's keys are free.
    conn.execute("INSERT INTO s VALUES (1, 'b')", ()).unwrap();
    clock.set_ms(T0 + 14_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1]);
    // A transaction reads at one time: its start.
    conn.execute("BEGIN", ()).unwrap();
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 1);
    clock.set_ms(T0 + 30_000);
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 1);
    conn.execute("COMMIT", ()).unwrap();
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 0);
}

#[test]
fn update_upsert_and_replace_renew_a_row() {
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, n INT) WITH (ttl = '10 s');
         INSERT INTO s VALUES (1, 0), (2, 0), (3, 0), (4, 0);",
    )
    .unwrap();
    clock.set_ms(T0 + 5_000);
    conn.execute("UPDATE s SET n = n + 1 WHERE id = 1", ())
        .unwrap();
    conn.execute(
        "INSERT INTO s VALUES (2, 0) ON CONFLICT(id) DO UPDATE SET n = n + 1",
        (),
    )
    .unwrap();
    conn.execute("INSERT OR REPLACE INTO s VALUES (3, 7)", ())
        .unwrap();
    clock.set_ms(T0 + 10_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    clock.set_ms(T0 + 14_999);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    clock.set_ms(T0 + 15_000);
    assert_eq!(
        ids(&conn, "SELECT id FROM s ORDER BY id"),
        Vec::<i64>::new()
    );
    // An update racing expiry: it sees only live rows, so it cannot renew an expired one.
    assert_eq!(conn.execute("UPDATE s SET n = 9", ()).unwrap(), 0);
}

#[test]
fn the_write_time_column_is_hidden() {
    let (db, _clock) = manual_db();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT) WITH (ttl = '1 hour');
         INSERT INTO s VALUES (1, 'a');
         INSERT INTO s(v) VALUES ('b');",
    )
    .unwrap();
    let rows = conn.query("SELECT * FROM s ORDER BY id", ()).unwrap();
    assert_eq!(rows.columns(), ["id", "v"]);
    let rows = conn.query("SELECT s.* FROM s ORDER BY id", ()).unwrap();
    assert_eq!(rows.columns(), ["id", "v"]);
    let rows = conn
        .query("INSERT INTO s VALUES (3, 'c') RETURNING *", ())
        .unwrap();
    assert_eq!(rows.columns(), ["id", "v"]);
    // No statement names it.
    let (kind, message) = error_of(&conn, "INSERT INTO s(id, _ember_written) VALUES (9, 0)");
    assert_eq!(kind, ErrorKind::NotFound, "{message}");
    assert!(message.contains("_ember_written"), "{message}");
    let (kind, message) = error_of(&conn, "UPDATE s SET _ember_written = 0");
    assert_eq!(kind, ErrorKind::NotFound, "{message}");
    let (_, message) = error_of(&conn, "SELECT _ember_written FROM s");
    assert!(message.contains("no such column"), "{message}");
    // Copies carry the user's columns only.
    conn.execute_batch(
        "CREATE TABLE copy(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO copy SELECT * FROM s;
         CREATE TABLE made AS SELECT * FROM s;",
    )
    .unwrap();
    assert_eq!(int(&conn, "SELECT count(*) FROM copy"), 3);
    let rows = conn.query("SELECT * FROM made", ()).unwrap();
    assert_eq!(rows.columns(), ["id", "v"]);
    // A user column may not take the reserved name in a ttl table.
    let (_, message) = error_of(
        &conn,
        "CREATE TABLE bad(_ember_written INT) WITH (ttl = '1 s')",
    );
    assert!(message.contains("reserved"), "{message}");
    // ADD COLUMN would follow the hidden column: refused with the way around it.
    let (kind, message) = error_of(&conn, "ALTER TABLE s ADD COLUMN w INT");
    assert_eq!(kind, ErrorKind::Unsupported, "{message}");
    assert!(message.contains("SET (ttl = NULL)"), "{message}");
}

#[test]
fn bad_durations_are_errors_naming_the_cause() {
    let (db, _clock) = manual_db();
    let conn = db.connect();
    let cases: &[(&str, &str)] = &[
        ("'1 fortnight'", "unknown time unit 'fortnight'"),
        ("'-5 minutes'", "is negative"),
        ("'0 seconds'", "out of range (1 millisecond to 100 years)"),
        ("'1000 years'", "unknown time unit 'years'"),
        ("'40000 days'", "out of range (1 millisecond to 100 years)"),
        ("'soon'", "does not start with a number"),
        ("x", "takes a quoted value"),
    ];
    for (value, expected) in cases {
        let sql = format!("CREATE TABLE t(a INT) WITH (ttl = {value})");
        let (kind, message) = error_of(&conn, &sql);
        assert_eq!(kind, ErrorKind::InvalidInput, "{sql}: {message}");
        assert!(message.contains("table option ttl"), "{sql}: {message}");
        assert!(message.contains(expected), "{sql}: {message}");
        conn.execute("CREATE TABLE IF NOT EXISTS u(a INT)", ())
            .unwrap();
        let (kind, message) = error_of(&conn, &format!("ALTER TABLE u SET (ttl = {value})"));
        assert_eq!(kind, ErrorKind::InvalidInput, "{message}");
        assert!(message.contains(expected), "{message}");
    }
    // ttl_from is the engine's.
    let (_, message) = error_of(&conn, "CREATE TABLE t(a INT) WITH (ttl_from = 5)");
    assert!(message.contains("ttl_from"), "{message}");
    assert_eq!(
        int(&conn, "SELECT count(*) FROM ember_tables WHERE name = 't'"),
        0
    );
}

#[test]
fn alter_adds_changes_and_removes_the_ttl() {
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT);
         INSERT INTO s VALUES (1, 'a'), (2, 'b');",
    )
    .unwrap();
    // The rows already there count from the ALTER, not from their insert.
    clock.set_ms(T0 + 100_000);
    conn.execute("ALTER TABLE s SET (ttl = '10 s')", ())
        .unwrap();
    assert_eq!(
        conn.query_value::<String>("SELECT options FROM ember_tables WHERE name = 's'", ())
            .unwrap(),
        "ttl = '10000 ms'"
    );
    clock.set_ms(T0 + 105_000);
    conn.execute("INSERT INTO s VALUES (3, 'c')", ()).unwrap();
    clock.set_ms(T0 + 109_999);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    clock.set_ms(T0 + 110_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [3]);
    // A new ttl applies to every row: expiry is the write time plus the current ttl.
    conn.execute("ALTER TABLE s SET (ttl = '1 minute')", ())
        .unwrap();
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    clock.set_ms(T0 + 160_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [3]);
    // Removed: nothing expires, the hidden column goes.
    conn.execute("ALTER TABLE s SET (ttl = NULL)", ()).unwrap();
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    clock.set_ms(T0 + 1_000_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2, 3]);
    conn.execute("ALTER TABLE s ADD COLUMN w INT", ()).unwrap();
    // Given again: every row counts from this ALTER.
    conn.execute("ALTER TABLE s SET (ttl = '1 s')", ()).unwrap();
    clock.set_ms(T0 + 1_000_999);
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 3);
    clock.set_ms(T0 + 1_001_000);
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 0);
    let (_, message) = error_of(&conn, "ALTER TABLE s SET (ttl_from = 5)");
    assert!(message.contains("ttl_from is the engine's"), "{message}");
}

#[test]
fn ttl_and_expire_at_together_expire_at_the_earlier_time() {
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, until INT) \
         WITH (expire_at = until, ttl = '10 s')",
        (),
    )
    .unwrap();
    let in_5_s = T0 / 1000 + 5;
    let in_20_s = T0 / 1000 + 20;
    conn.execute(
        "INSERT INTO s VALUES (1, ?), (2, ?), (3, NULL)",
        (in_5_s, in_20_s),
    )
    .unwrap();
    clock.set_ms(T0 + 5_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [2, 3]);
    clock.set_ms(T0 + 10_000);
    assert_eq!(
        ids(&conn, "SELECT id FROM s ORDER BY id"),
        Vec::<i64>::new()
    );
}

/// Rows written at T0 (before a checkpoint) and at T0 + 5 s (only in the WAL), one table
/// given its ttl by ALTER (from the WAL, then from a checkpoint): after each reopen each row
/// is visible exactly as long as before.
#[test]
fn reopening_keeps_every_write_time() {
    let dir = TempDir::new("reopen");
    let clock = WallClock::manual(T0);
    let open = |clock: &WallClock| {
        Database::open_with(&dir.0, options(clock, Duration::from_secs(3600))).unwrap()
    };
    {
        let db = open(&clock);
        let conn = db.connect();
        conn.execute_batch(
            "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT) WITH (ttl = '10 s');
             INSERT INTO s VALUES (1, 'a');
             CREATE TABLE late(id INTEGER PRIMARY KEY);
             INSERT INTO late VALUES (1);
             CHECKPOINT;",
        )
        .unwrap();
        clock.set_ms(T0 + 5_000);
        conn.execute_batch(
            "INSERT INTO s VALUES (2, 'b');
             ALTER TABLE late SET (ttl = '20 s');
             INSERT INTO late VALUES (2);",
        )
        .unwrap();
    }
    let check = |clock: &WallClock| {
        let db = open(clock);
        let conn = db.connect();
        clock.set_ms(T0 + 9_999);
        assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [1, 2]);
        clock.set_ms(T0 + 10_000);
        assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [2]);
        clock.set_ms(T0 + 15_000);
        assert_eq!(
            ids(&conn, "SELECT id FROM s ORDER BY id"),
            Vec::<i64>::new()
        );
        clock.set_ms(T0 + 24_999);
        assert_eq!(ids(&conn, "SELECT id FROM late ORDER BY id"), [1, 2]);
        clock.set_ms(T0 + 25_000);
        assert_eq!(
            ids(&conn, "SELECT id FROM late ORDER BY id"),
            Vec::<i64>::new()
        );
        clock.set_ms(T0);
        db
    };
    // From the WAL.
    let db = check(&clock);
    db.connect().execute("CHECKPOINT", ()).unwrap();
    drop(db);
    // From the checkpoint (the ALTERed table's creation script carries ttl_from).
    drop(check(&clock));
}

#[test]
fn backup_and_restore_keep_every_write_time() {
    let dir = TempDir::new("restore");
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY) WITH (ttl = '10 s');
         INSERT INTO s VALUES (1);
         CREATE TABLE late(id INTEGER PRIMARY KEY, v INT);
         INSERT INTO late VALUES (1, 1);",
    )
    .unwrap();
    clock.set_ms(T0 + 5_000);
    conn.execute_batch(
        "INSERT INTO s VALUES (2);
         ALTER TABLE late SET (ttl = '1 minute');",
    )
    .unwrap();
    let mut file = Vec::new();
    db.backup_to(&mut file).unwrap();
    Database::restore_from(&file[..], &dir.0).unwrap();
    let restored = Database::open_with(&dir.0, options(&clock, Duration::from_secs(3600))).unwrap();
    let conn = restored.connect();
    clock.set_ms(T0 + 10_000);
    assert_eq!(ids(&conn, "SELECT id FROM s ORDER BY id"), [2]);
    clock.set_ms(T0 + 64_999);
    assert_eq!(ids(&conn, "SELECT id FROM late"), [1]);
    clock.set_ms(T0 + 65_000);
    assert_eq!(ids(&conn, "SELECT id FROM late"), Vec::<i64>::new());
}

#[test]
fn as_of_reads_the_rows_then_and_applies_expiry_at_the_reading_time() {
    let clock = WallClock::manual(T0);
    let db = Database::in_memory_with(
        options(&clock, Duration::from_secs(3600)).history_retention(Duration::from_secs(600)),
    );
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE s(id INTEGER PRIMARY KEY) WITH (ttl = '10 s');
         INSERT INTO s VALUES (1), (2);",
    )
    .unwrap();
    let before = int(&conn, "SELECT read_ts FROM ember_stats");
    clock.set_ms(T0 + 5_000);
    conn.execute("DELETE FROM s WHERE id = 2", ()).unwrap();
    conn.execute("INSERT INTO s VALUES (3)", ()).unwrap();
    let as_of = format!("SELECT id FROM s FOR SYSTEM_TIME AS OF {before} ORDER BY id");
    assert_eq!(ids(&conn, &as_of), [1, 2]);
    clock.set_ms(T0 + 10_000);
    assert_eq!(ids(&conn, &as_of), Vec::<i64>::new());
    assert_eq!(ids(&conn, "SELECT id FROM s"), [3]);
}

#[test]
fn the_sweep_reclaims_expired_rows_and_counts_them() {
    let clock = WallClock::manual(T0);
    let db = Database::in_memory_with(options(&clock, Duration::from_millis(50)));
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, payload TEXT) WITH (ttl = '1 second')",
        (),
    )
    .unwrap();
    let used = "SELECT slab_bytes_used + large_payload_bytes FROM ember_stats";
    let empty = int(&conn, used);
    conn.execute("BEGIN", ()).unwrap();
    for id in 0..10_000 {
        conn.execute("INSERT INTO s VALUES (?, printf('%0200d', ?))", (id, id))
            .unwrap();
    }
    conn.execute("COMMIT", ()).unwrap();
    let loaded = int(&conn, used);
    clock.set_ms(T0 + 1_000);
    assert_eq!(int(&conn, "SELECT count(*) FROM s"), 0);
    let start = Instant::now();
    let expired = "SELECT rows_expired FROM ember_tables WHERE name = 's'";
    while int(&conn, expired) < 10_000 || int(&conn, used) > empty + (loaded - empty) / 10 {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "expired {}, memory {} (empty {empty}, loaded {loaded})",
            int(&conn, expired),
            int(&conn, used)
        );
        std::thread::sleep(Duration::from_millis(50));
    }
    assert_eq!(
        int(&conn, "SELECT rows FROM ember_tables WHERE name = 's'"),
        0
    );
}

#[test]
fn evict_ttl_evicts_the_rows_written_first() {
    let (db, clock) = manual_db();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE c(id INTEGER PRIMARY KEY, payload TEXT) \
         WITH (ttl = '1 hour', max_memory = '64kB', on_full = 'evict_ttl')",
        (),
    )
    .unwrap();
    for id in 0..2_000 {
        clock.set_ms(T0 + id * 1_000);
        conn.execute("INSERT INTO c VALUES (?, printf('%0100d', ?))", (id, id))
            .unwrap();
    }
    let kept = ids(&conn, "SELECT id FROM c ORDER BY id");
    assert!(!kept.is_empty() && kept.len() < 2_000, "{}", kept.len());
    // The newest rows stay: the evicted ones were the earliest to expire (sampled, so the
    // newest few hundred at least).
    assert!(kept.contains(&1_999) && !kept.contains(&0), "{kept:?}");
    assert!(
        int(
            &conn,
            "SELECT rows_evicted FROM ember_tables WHERE name = 'c'"
        ) > 0
    );
}

#[test]
fn explain_shows_the_ttl_test_on_every_access() {
    let (db, _clock) = manual_db();
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE s(id INTEGER PRIMARY KEY, v TEXT) WITH (ttl = '10 s')",
        (),
    )
    .unwrap();
    for sql in [
        "SELECT v FROM s WHERE id = 3",
        "SELECT count(*) FROM s",
        "DELETE FROM s WHERE v = 'a'",
        "UPDATE s SET v = 'x'",
    ] {
        let lines: Vec<String> = conn
            .query(&format!("EXPLAIN {sql}"), ())
            .unwrap()
            .values()
            .iter()
            .map(|row| format!("{:?}", row[0]))
            .collect();
        assert!(
            lines
                .iter()
                .any(|line| line.contains("unexpired(NULL, _ember_written, 10000)")),
            "{sql}: {lines:?}"
        );
    }
}
