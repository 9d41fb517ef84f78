//! Crash modes with a real child process killed by SIGKILL: `kill` (the seeded workload; the
//! child prints `ack N` after op N is acknowledged; the parent reopens and checks the table
//! equals the model of the acknowledged ops, or that plus the op in doubt) and `bank`
//! (threads moving money between accounts; the total never changes). The child side is
//! `child_kill` / `child_bank`, run as `ember-crashtest child-kill|child-bank`.

use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ember::{Database, ErrorKind};

use super::workload::{self, Workload};
use super::Summary;

const ACCOUNTS: i64 = 10;
const BALANCE: i64 = 1000;

fn scratch_dir(mode: &str, seed: u64) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ember-crashtest-{mode}-{seed}-{}",
        std::process::id()
    ))
}

/// Spawns the child, lets it run a random while, SIGKILLs it; returns its `ack` lines.
fn run_child(
    mode: &str,
    dir: &Path,
    seed: u64,
    resume: u64,
    run_ms: u64,
) -> Result<Vec<u64>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut child = Command::new(exe)
        .arg(mode)
        .arg(dir)
        .arg(seed.to_string())
        .arg(resume.to_string())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()
        .map_err(|e| format!("spawning the child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let reader = std::thread::spawn(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .filter_map(|line| line.strip_prefix("ack ")?.trim().parse::<u64>().ok())
            .collect::<Vec<u64>>()
    });
    std::thread::sleep(Duration::from_millis(run_ms));
    let _ = child.kill();
    let _ = child.wait();
    reader
        .join()
        .map_err(|_| "the reader thread panicked".to_string())
}

pub fn kill(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("kill");
    let dir = scratch_dir("kill", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut done = 0u64;
    for _ in 0..cycles {
        let acks = match run_child("child-kill", &dir, seed, done, rng.u64(20..200)) {
            Ok(acks) => acks,
            Err(detail) => {
                summary.fail(seed, detail);
                break;
            }
        };
        let acked = acks.last().map_or(done, |last| last + 1);
        summary.faults_injected += 1;
        let mut generator = Workload::new(seed, true);
        for _ in 0..acked {
            let op = generator.next_op();
            generator.commit(&op);
        }
        let expected = generator.model.clone();
        let in_doubt = generator.next_op();
        let mut with_doubt = expected.clone();
        workload::apply(&mut with_doubt, &in_doubt);
        let db = match Database::open(&dir) {
            Ok(db) => db,
            Err(e) => {
                summary.fail(seed, format!("reopen after kill failed: {e}"));
                break;
            }
        };
        let found = match workload::read_model(&mut db.connect()) {
            Ok(found) => found,
            Err(e) if e.kind() == ErrorKind::NotFound && acked == 0 => Default::default(),
            Err(e) => {
                summary.fail(seed, format!("reading t failed: {e}"));
                break;
            }
        };
        if found == with_doubt {
            done = acked + 1;
        } else if found == expected {
            done = acked;
        } else {
            summary.fail(
                seed,
                format!("after {acked} acknowledged ops found {found:?}, expected {expected:?}"),
            );
            break;
        }
        summary.commits_verified += acked;
        summary.cycles += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// The child of `kill`: fast-forwards the workload past `resume` ops, then runs it forever.
pub fn child_kill(dir: &Path, seed: u64, resume: u64) -> ember::Result<()> {
    let db = Database::open_with(dir, ember::Options::new().checkpoint_bytes(8 << 10))?;
    let mut conn = db.connect();
    if db.catalog().table("t").is_none() {
        conn.execute(workload::SCHEMA, ())?;
    }
    let mut generator = Workload::new(seed, true);
    for _ in 0..resume {
        let op = generator.next_op();
        generator.commit(&op);
    }
    let stdout = std::io::stdout();
    for index in resume.. {
        let op = generator.next_op();
        workload::run(&mut conn, &op)?;
        generator.commit(&op);
        let mut out = stdout.lock();
        let _ = writeln!(out, "ack {index}");
        let _ = out.flush();
    }
    Ok(())
}

pub fn bank(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("bank");
    let dir = scratch_dir("bank", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    for cycle in 0..cycles {
        let acks = match run_child(
            "child-bank",
            &dir,
            seed.wrapping_add(cycle),
            0,
            rng.u64(20..200),
        ) {
            Ok(acks) => acks,
            Err(detail) => {
                summary.fail(seed, detail);
                break;
            }
        };
        summary.faults_injected += 1;
        let total = Database::open(&dir).and_then(|db| {
            let rows = db.connect().query("SELECT bal FROM acct", ())?;
            let count = rows.len() as i64;
            let mut sum = 0i64;
            for row in rows {
                sum += row.get::<i64>(0)?;
            }
            Ok((sum, count))
        });
        match total {
            Ok((sum, count)) if sum == ACCOUNTS * BALANCE && count == ACCOUNTS => {}
            Ok((0, 0)) if acks.is_empty() => {}
            Err(e) if e.kind() == ErrorKind::NotFound && acks.is_empty() => {}
            other => {
                summary.fail(seed, format!("after {} transfers: {other:?}", acks.len()));
                break;
            }
        }
        summary.commits_verified += acks.len() as u64;
        summary.cycles += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// The child of `bank`: sets up the accounts once (one transaction), then four threads move
/// money in explicit transactions, retrying conflicts.
pub fn child_bank(dir: &Path, seed: u64) -> ember::Result<()> {
    let db = Database::open_with(dir, ember::Options::new().checkpoint_bytes(16 << 10))?;
    let conn = db.connect();
    if db.catalog().table("acct").is_none() {
        conn.execute("CREATE TABLE acct(id INT PRIMARY KEY, bal INT)", ())?;
    }
    // A kill between CREATE TABLE and the COMMIT below leaves an empty table: fill it then.
    if conn.query("SELECT id FROM acct", ())?.is_empty() {
        conn.execute("BEGIN", ())?;
        for id in 0..ACCOUNTS {
            conn.execute("INSERT INTO acct VALUES (?, ?)", (id, BALANCE))?;
        }
        conn.execute("COMMIT", ())?;
    }
    let acked = AtomicU64::new(0);
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let db = db.clone();
            let acked = &acked;
            scope.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed ^ thread);
                let conn = db.connect();
                loop {
                    let from = rng.i64(0..ACCOUNTS);
                    let to = rng.i64(0..ACCOUNTS);
                    let amount = rng.i64(1..50);
                    let result = (|| -> ember::Result<()> {
                        conn.execute("BEGIN", ())?;
                        conn.execute("UPDATE acct SET bal = bal - ? WHERE id = ?", (amount, from))?;
                        conn.execute("UPDATE acct SET bal = bal + ? WHERE id = ?", (amount, to))?;
                        conn.execute("COMMIT", ())?;
                        Ok(())
                    })();
                    if result.is_err() {
                        let _ = conn.execute("ROLLBACK", ());
                        continue;
                    }
                    let n = acked.fetch_add(1, Ordering::Relaxed);
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "ack {n}");
                    let _ = out.flush();
                }
            });
        }
    });
    Ok(())
}
