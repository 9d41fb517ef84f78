//! Recovery time against `Options::recovery_target`: per target, a directory database is
//! filled with `--mb` megabytes of rows, then a write-heavy run (each transaction inserts 100
//! rows and updates 100 others) goes on for `--seconds`; the handle is then dropped as a crash
//! would (no final sync, no checkpoint) and the directory reopened. It prints the estimate the
//! engine made just before the crash against the measured recovery time, and the load, replay
//! and overall MB/s. Two cycles per target: the first estimates with the built-in default
//! rates (a fresh process has measured nothing but its checkpoints), the second, run in the
//! reopened process, with the rates that open measured.
//! Run: `cargo run --release -p ember-bench --bin ember-recovery-bench -- --mb 100
//! --targets 1000,3000 --seconds 20`.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use ember::{Database, Options, SyncPolicy};

struct Args {
    mb: u64,
    targets_ms: Vec<u64>,
    seconds: u64,
    dir: PathBuf,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mb: 50,
        targets_ms: vec![1000, 3000],
        seconds: 10,
        dir: std::env::temp_dir().join(format!("ember-recovery-bench-{}", std::process::id())),
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let value = iter.next().ok_or(format!("{arg} needs a value"))?;
        let number = |v: &str| v.parse::<u64>().map_err(|_| format!("{arg} {v}?"));
        match arg.as_str() {
            "--mb" => args.mb = number(&value)?,
            "--seconds" => args.seconds = number(&value)?,
            "--targets" => {
                args.targets_ms = value.split(',').map(number).collect::<Result<_, _>>()?
            }
            "--dir" => args.dir = PathBuf::from(value),
            _ => {
                return Err(format!(
                    "unknown option {arg} (use --mb N, --targets MS[,MS..], --seconds N, --dir DIR)"
                ))
            }
        }
    }
    Ok(args)
}

fn options(target: Duration) -> Options {
    // Write-heavy: commits are not fsynced one by one (the crash here is a process crash).
    Options::new()
        .sync_policy(SyncPolicy::Off)
        .recovery_target(target)
}

const ROW_BYTES: u64 = 120;

fn fill(db: &Database, mb: u64) -> Result<i64, ember::Error> {
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT, x REAL)",
        (),
    )?;
    let rows = (mb * 1_000_000 / ROW_BYTES) as i64;
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, printf('%0100d', ?), ?)")?;
    conn.execute("BEGIN", ())?;
    for id in 0..rows {
        insert.execute((id, id, id as f64 / 3.0))?;
        if id % 100_000 == 99_999 {
            conn.execute_batch("COMMIT; BEGIN")?;
        }
    }
    conn.execute("COMMIT", ())?;
    Ok(rows)
}

/// Inserts 100 rows and updates 100 random ones per transaction for `seconds`; returns the
/// next free id.
fn write_heavy(db: &Database, mut next_id: i64, seconds: u64) -> Result<i64, ember::Error> {
    let conn = db.connect();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, printf('%0100d', ?), ?)")?;
    let mut update =
        conn.prepare("UPDATE t SET body = printf('%0100d', ?), x = x + 1 WHERE id = ?")?;
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    let started = Instant::now();
    while started.elapsed() < Duration::from_secs(seconds) {
        conn.execute("BEGIN", ())?;
        for _ in 0..100 {
            insert.execute((next_id, next_id, 0.5))?;
            next_id += 1;
            seed = seed
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            let id = ((seed >> 33) % next_id as u64) as i64;
            update.execute((seed >> 40, id))?;
        }
        conn.execute("COMMIT", ())?;
    }
    Ok(next_id)
}

fn ms(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// Crashes `db` and reopens it; prints the estimate made before the crash against the
/// measured recovery.
fn crash_and_reopen(
    db: Database,
    dir: &Path,
    target: Duration,
    label: &str,
) -> Result<Database, Box<dyn std::error::Error>> {
    let before = db.durability_stats().ok_or("not a directory database")?;
    db.drop_as_if_crashed();
    let db = Database::open_with(dir, options(target))?;
    let after = db.durability_stats().ok_or("not a directory database")?;
    let recovery = &after.recovery;
    let (estimate, measured) = (ms(before.estimated_recovery), ms(recovery.duration));
    println!(
        "target {:>6.0} ms {label:<9} estimate {estimate:>7.1} ms  measured {measured:>7.1} ms  \
         ratio {:>4.2}  snapshot {:>6.1} MB load {:>6.1} MB/s  WAL {:>6.1} MB replay {:>6.1} MB/s  \
         recovery {:>6.1} MB/s  checkpoints {}",
        ms(target),
        measured / estimate,
        recovery.snapshot_bytes as f64 / 1e6,
        recovery.snapshot_bytes as f64 / 1e6 / recovery.snapshot_load.as_secs_f64(),
        recovery.wal_bytes as f64 / 1e6,
        recovery.wal_bytes as f64 / 1e6 / recovery.wal_replay.as_secs_f64().max(1e-9),
        recovery.mb_per_s(),
        before.checkpoints,
    );
    Ok(db)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    for &target_ms in &args.targets_ms {
        let target = Duration::from_millis(target_ms);
        let dir = args.dir.join(format!("target-{target_ms}"));
        let _ = std::fs::remove_dir_all(&dir);
        let db = Database::open_with(&dir, options(target))?;
        let next_id = fill(&db, args.mb)?;
        let next_id = write_heavy(&db, next_id, args.seconds)?;
        let db = crash_and_reopen(db, &dir, target, "defaults")?;
        write_heavy(&db, next_id, args.seconds)?;
        let db = crash_and_reopen(db, &dir, target, "measured")?;
        drop(db);
        std::fs::remove_dir_all(&dir)?;
    }
    Ok(())
}
