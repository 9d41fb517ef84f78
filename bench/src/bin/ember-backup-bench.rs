//! Backup and restore throughput: fills an in-memory database with `--mb` megabytes of rows
//! (an integer key, a 100-byte text, a real), then times `Database::backup_to` into a file,
//! `Database::restore_from` into a new directory, and `Database::in_memory_from`, and prints
//! each as MB/s of backup file. A backup taken while a writer thread commits is timed too.
//! `--source dir` fills a directory database (`DIR/source`) instead of an in-memory one.
//! Run: `cargo run --release -p ember-bench --bin ember-backup-bench -- --mb 200 --dir /tmp/x`.

use std::io::{BufReader, BufWriter};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Instant;

use ember::Database;

struct Args {
    mb: u64,
    dir: PathBuf,
    /// Fill a directory database instead of an in-memory one.
    directory_source: bool,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        mb: 20,
        dir: std::env::temp_dir().join(format!("ember-backup-bench-{}", std::process::id())),
        directory_source: false,
    };
    let mut iter = std::env::args().skip(1);
    while let Some(arg) = iter.next() {
        let value = iter.next().ok_or(format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--mb" => args.mb = value.parse().map_err(|_| format!("--mb {value}?"))?,
            "--dir" => args.dir = PathBuf::from(value),
            "--source" => match value.as_str() {
                "memory" => args.directory_source = false,
                "dir" => args.directory_source = true,
                _ => return Err(format!("--source {value}? (memory or dir)")),
            },
            _ => {
                return Err(format!(
                    "unknown option {arg} (use --mb N, --dir DIR, --source memory|dir)"
                ))
            }
        }
    }
    Ok(args)
}

fn mb_per_s(bytes: u64, seconds: f64) -> f64 {
    bytes as f64 / (1 << 20) as f64 / seconds
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args = parse_args()?;
    std::fs::create_dir_all(&args.dir)?;
    let db = if args.directory_source {
        Database::open(args.dir.join("source"))?
    } else {
        Database::in_memory()
    };
    let conn = db.connect();
    conn.execute(
        "CREATE TABLE t(id INTEGER PRIMARY KEY, body TEXT, x REAL)",
        (),
    )?;
    // About 120 bytes of row per row.
    let rows = args.mb * (1 << 20) / 120;
    let filling = Instant::now();
    let mut insert = conn.prepare("INSERT INTO t VALUES (?, printf('%0100d', ?), ?)")?;
    conn.execute("BEGIN", ())?;
    for id in 0..rows as i64 {
        insert.execute((id, id, id as f64 / 3.0))?;
        if id % 100_000 == 99_999 {
            conn.execute_batch("COMMIT; BEGIN")?;
        }
    }
    conn.execute("COMMIT", ())?;
    println!(
        "filled {rows} rows ({}) in {:.1} s",
        if args.directory_source {
            "directory database"
        } else {
            "in-memory database"
        },
        filling.elapsed().as_secs_f64()
    );

    let file = args.dir.join("db.backup");
    let started = Instant::now();
    let info = db.backup_to(BufWriter::new(std::fs::File::create(&file)?))?;
    let backup_s = started.elapsed().as_secs_f64();
    let bytes = info.bytes;
    println!(
        "backup:          {:>8.1} MB in {backup_s:.2} s = {:>7.1} MB/s ({} rows)",
        bytes as f64 / (1 << 20) as f64,
        mb_per_s(bytes, backup_s),
        info.rows
    );

    let stop = Arc::new(AtomicBool::new(false));
    let writer = {
        let (db, stop) = (db.clone(), Arc::clone(&stop));
        std::thread::spawn(move || {
            let conn = db.connect();
            let mut commits = 0u64;
            while !stop.load(Ordering::Relaxed) {
                let id = rows as i64 + commits as i64;
                if conn
                    .execute("INSERT INTO t VALUES (?, 'w', 0)", [id])
                    .is_ok()
                {
                    commits += 1;
                }
            }
            commits
        })
    };
    let loaded = args.dir.join("loaded.backup");
    let started = Instant::now();
    let info = db.backup_to(BufWriter::new(std::fs::File::create(&loaded)?))?;
    let loaded_s = started.elapsed().as_secs_f64();
    stop.store(true, Ordering::Relaxed);
    let commits = writer.join().map_err(|_| "writer panicked")?;
    println!(
        "backup, 1 writer:{:>8.1} MB in {loaded_s:.2} s = {:>7.1} MB/s \
         ({commits} commits meanwhile)",
        info.bytes as f64 / (1 << 20) as f64,
        mb_per_s(info.bytes, loaded_s)
    );

    let target = args.dir.join("restored");
    let _ = std::fs::remove_dir_all(&target);
    let started = Instant::now();
    Database::restore_from(BufReader::new(std::fs::File::open(&file)?), &target)?;
    let restore_s = started.elapsed().as_secs_f64();
    println!(
        "restore to dir:  {:>8.1} MB in {restore_s:.2} s = {:>7.1} MB/s",
        bytes as f64 / (1 << 20) as f64,
        mb_per_s(bytes, restore_s)
    );
    let started = Instant::now();
    let copy = Database::in_memory_from(BufReader::new(std::fs::File::open(&file)?))?;
    let memory_s = started.elapsed().as_secs_f64();
    println!(
        "restore in mem:  {:>8.1} MB in {memory_s:.2} s = {:>7.1} MB/s",
        bytes as f64 / (1 << 20) as f64,
        mb_per_s(bytes, memory_s)
    );
    let count: i64 = copy
        .connect()
        .query_row("SELECT count(*) FROM t", (), |r| r.get(0))?;
    assert_eq!(count as u64, rows, "the restored copy lost rows");
    drop(copy);
    drop(conn);
    drop(db);
    std::fs::remove_dir_all(&args.dir)?;
    Ok(())
}
