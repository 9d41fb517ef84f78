//! `Options::recovery_target`: a database with a small target checkpoints by itself as its
//! WAL grows and keeps the estimated recovery time under the target; `ember_durability` shows
//! the target, the estimate, the rates and the last recovery's throughput; a reopen measures
//! the rates again; out-of-range targets fail the open naming the option. Also the snapshot
//! reader's mapped path (`OsVfs::map`): a damaged or truncated snapshot on the real file
//! system is still `Corruption` naming the file and offset.

use std::time::Duration;

use crate::support::TempDir;
use ember::{Database, ErrorKind, Options, SyncPolicy, Value};

const TARGET: Duration = Duration::from_millis(300);
const ROWS: i64 = 2000;

fn options() -> Options {
    options_with(TARGET)
}

fn options_with(target: Duration) -> Options {
    // `checkpoint_bytes` far above what the test writes: only the target can checkpoint.
    Options::new()
        .sync_policy(SyncPolicy::Off)
        .checkpoint_bytes(1 << 40)
        .recovery_target(target)
}

/// A 2 MB table (2000 rows of 1 KB), then `rounds` updates of every row (~2 MB of WAL each).
fn write_heavy(db: &Database, rounds: i64) {
    let conn = db.connect();
    conn.execute_batch("CREATE TABLE IF NOT EXISTS t(id INTEGER PRIMARY KEY, v TEXT)")
        .unwrap();
    conn.execute_batch("BEGIN").unwrap();
    for id in 1..=ROWS {
        conn.execute(
            "INSERT OR IGNORE INTO t VALUES (?, printf('%01000d', 0))",
            [id],
        )
        .unwrap();
    }
    conn.execute_batch("COMMIT").unwrap();
    for round in 0..rounds {
        for chunk in 0..20 {
            let (low, high) = (chunk * 100 + 1, chunk * 100 + 100);
            conn.execute(
                "UPDATE t SET v = printf('%01000d', ?) WHERE id BETWEEN ? AND ?",
                [round, low, high],
            )
            .unwrap();
        }
    }
}

/// The `ember_durability` row as (column, value) pairs.
fn durability_row(db: &Database) -> Vec<(String, Value)> {
    let rows = db
        .connect()
        .query("SELECT * FROM ember_durability", ())
        .unwrap();
    let columns: Vec<String> = rows.columns().to_vec();
    let row = rows.into_iter().next().expect("one row");
    columns
        .into_iter()
        .enumerate()
        .map(|(i, name)| (name, row.get::<Value>(i).unwrap()))
        .collect()
}

fn column(row: &[(String, Value)], name: &str) -> Value {
    row.iter()
        .find(|(column, _)| column == name)
        .unwrap_or_else(|| panic!("no column {name}"))
        .1
        .clone()
}

fn real(row: &[(String, Value)], name: &str) -> f64 {
    match column(row, name) {
        Value::Real(x) => x,
        other => panic!("{name} is {other:?}"),
    }
}

fn int(row: &[(String, Value)], name: &str) -> i64 {
    match column(row, name) {
        Value::Integer(x) => x,
        other => panic!("{name} is {other:?}"),
    }
}

#[test]
fn a_small_target_checkpoints_as_the_wal_grows_and_keeps_the_estimate_under_it() {
    let dir = TempDir::new("grows");
    let db = Database::open_with(&dir.0, options()).unwrap();
    let opened = db.durability_stats().unwrap();
    write_heavy(&db, 10);
    let stats = db.durability_stats().unwrap();
    assert!(
        stats.wal_bytes > 20 << 20,
        "the run wrote {} WAL bytes",
        stats.wal_bytes
    );
    assert!(
        stats.checkpoints >= opened.checkpoints + 2,
        "{} checkpoints after the open's {} for {} WAL bytes",
        stats.checkpoints,
        opened.checkpoints,
        stats.wal_bytes
    );
    assert!(stats.checkpoint_threshold_bytes < 20 << 20);
    assert_eq!(stats.recovery_target, Some(TARGET));
    // Below the threshold after every commit (the last commit is at most ~100 KB), so the
    // estimate is at the target at most (a 2 MB snapshot alone fits in it by far).
    let slack = Duration::from_millis(50);
    assert!(
        stats.estimated_recovery <= TARGET + slack,
        "estimate {:?} for target {TARGET:?}",
        stats.estimated_recovery
    );
    let row = durability_row(&db);
    assert_eq!(real(&row, "recovery_target_ms"), 300.0);
    let estimate = real(&row, "estimated_recovery_ms");
    assert!(
        estimate > 0.0 && estimate <= 350.0,
        "estimate {estimate} ms"
    );
    for rate in [
        "snapshot_load_mb_per_s",
        "wal_replay_mb_per_s",
        "snapshot_write_mb_per_s",
    ] {
        assert!(real(&row, rate) > 0.0, "{rate}");
    }
    assert!(
        int(&row, "wal_bytes_since_checkpoint") < int(&row, "checkpoint_at_wal_bytes") + (1 << 20)
    );
    assert_eq!(
        int(&row, "checkpoint_at_wal_bytes"),
        stats.checkpoint_threshold_bytes as i64
    );
}

#[test]
fn a_reopen_measures_the_rates_and_reports_recovery_throughput() {
    let dir = TempDir::new("reopen");
    {
        let db = Database::open_with(&dir.0, options_with(Duration::from_secs(60))).unwrap();
        write_heavy(&db, 1);
        db.checkpoint().unwrap();
        // Some log after the snapshot, then a crash (no clean close).
        write_heavy(&db, 1);
        db.drop_as_if_crashed();
    }
    let db = Database::open_with(&dir.0, options_with(Duration::from_secs(60))).unwrap();
    let stats = db.durability_stats().unwrap();
    let recovery = &stats.recovery;
    assert!(recovery.snapshot_bytes > 1 << 20, "{recovery:?}");
    assert!(recovery.wal_bytes > 1 << 20, "{recovery:?}");
    assert!(recovery.records_replayed >= 20, "{recovery:?}");
    // The first measurement of a rate is the open's own: bytes over time.
    let load = recovery.snapshot_bytes as f64 / recovery.snapshot_load.as_secs_f64();
    assert_eq!(stats.snapshot_load_bytes_per_s, load as u64);
    let replay = recovery.wal_bytes as f64 / recovery.wal_replay.as_secs_f64();
    assert_eq!(stats.wal_replay_bytes_per_s, replay as u64);
    assert!(recovery.mb_per_s() > 0.0);
    let row = durability_row(&db);
    assert_eq!(real(&row, "recovery_mb_per_s"), recovery.mb_per_s());
    assert_eq!(
        real(&row, "recovery_ms"),
        recovery.duration.as_secs_f64() * 1000.0
    );
    assert_eq!(
        real(&row, "snapshot_load_mb_per_s"),
        stats.snapshot_load_bytes_per_s as f64 / 1e6
    );
    // The rows came back.
    let conn = db.connect();
    let count: i64 = conn
        .query_row(
            "SELECT count(*) FROM t WHERE v = printf('%01000d', 0)",
            (),
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(count, ROWS);
    // The line in ember.log names the throughput.
    let log = std::fs::read_to_string(dir.0.join("ember.log")).unwrap();
    assert!(log.lines().last().unwrap().contains("MB/s"), "{log}");
}

#[test]
fn without_a_target_checkpoint_bytes_alone_decides() {
    let dir = TempDir::new("none");
    let db = Database::open_with(&dir.0, Options::new().checkpoint_bytes(5 << 20)).unwrap();
    let stats = db.durability_stats().unwrap();
    assert_eq!(stats.recovery_target, None);
    assert_eq!(stats.checkpoint_threshold_bytes, 5 << 20);
    let row = durability_row(&db);
    assert_eq!(column(&row, "recovery_target_ms"), Value::Null);
    assert!(real(&row, "estimated_recovery_ms") > 0.0);
    // A target longer than what `checkpoint_bytes` gives leaves it in charge.
    drop(db);
    let options = Options::new()
        .checkpoint_bytes(5 << 20)
        .recovery_target(Duration::from_secs(3600));
    let db = Database::open_with(&dir.0, options).unwrap();
    assert_eq!(
        db.durability_stats().unwrap().checkpoint_threshold_bytes,
        5 << 20
    );
}

#[test]
fn recovery_target_out_of_range_fails_the_open_naming_the_option() {
    let dir = TempDir::new("range");
    for target in [
        Duration::ZERO,
        Duration::from_millis(9),
        Duration::from_secs(86_401),
        Duration::MAX,
    ] {
        let error = Database::open_with(&dir.0, Options::new().recovery_target(target))
            .err()
            .unwrap_or_else(|| panic!("{target:?} was accepted"));
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        assert!(
            error.message().contains("Options::recovery_target"),
            "{error}"
        );
        assert!(!dir.0.exists(), "a refused open creates nothing");
    }
    for target in [Duration::from_millis(10), Duration::from_secs(86_400)] {
        let db = Database::open_with(&dir.0, Options::new().recovery_target(target)).unwrap();
        assert_eq!(db.durability_stats().unwrap().recovery_target, Some(target));
    }
}

#[test]
fn an_in_memory_database_ignores_the_target() {
    let db = Database::in_memory_with(Options::new().recovery_target(Duration::from_secs(1)));
    assert!(db.durability_stats().is_none());
    let rows = db
        .connect()
        .query("SELECT * FROM ember_durability", ())
        .unwrap();
    assert_eq!(rows.len(), 0);
}

#[test]
fn a_damaged_mapped_snapshot_is_corruption_naming_file_and_offset() {
    for damage in ["truncated", "empty", "flipped"] {
        let dir = TempDir::new(&format!("mapped-{damage}"));
        {
            let db = Database::open(&dir.0).unwrap();
            write_heavy(&db, 0);
            db.checkpoint().unwrap();
        }
        let snapshot = std::fs::read_dir(&dir.0)
            .unwrap()
            .map(|entry| entry.unwrap().path())
            .find(|path| path.extension().is_some_and(|ext| ext == "snap"))
            .unwrap();
        let mut bytes = std::fs::read(&snapshot).unwrap();
        assert!(bytes.len() > 1 << 20, "a snapshot of {} bytes", bytes.len());
        match damage {
            "truncated" => bytes.truncate(bytes.len() / 2),
            "empty" => bytes.clear(),
            _ => {
                let middle = bytes.len() / 2;
                bytes[middle] ^= 0x40;
            }
        }
        std::fs::write(&snapshot, &bytes).unwrap();
        let error = Database::open(&dir.0)
            .err()
            .expect("a damaged snapshot opens");
        assert_eq!(error.kind(), ErrorKind::Corruption, "{damage}: {error}");
        let name = snapshot.file_name().unwrap().to_str().unwrap();
        let message = error.message();
        assert!(
            message.contains(name) && message.contains("corrupt at offset"),
            "{damage}: {message}"
        );
    }
}
