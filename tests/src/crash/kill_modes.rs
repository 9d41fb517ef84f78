//! Crash modes with a real child process killed by SIGKILL: `kill` (the seeded workload; the
//! child prints `ack N` after op N is acknowledged; the parent reopens and checks the table
//! equals the model of the acknowledged ops, or that plus the op in doubt; each commit counted
//! once across cycles) and `bank` (four threads moving money between accounts and recording
//! each transfer, CHECKPOINTs among them: every acknowledged transfer survives as it was
//! acknowledged, balances match the transfers present, the total never changes). The child
//! side is `child_kill` / `child_bank`, run as `ember-crashtest child-kill|child-bank`.

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ember::{Database, ErrorKind};

use super::workload::{self, Workload};
use super::Summary;

const ACCOUNTS: i64 = 10;
const BALANCE: i64 = 1000;

/// Set in a bank child's environment, it acknowledges one transfer it rolled back: the
/// harness's own check that the bank mode sees a lost acknowledged transfer.
pub const BROKEN: &str = "EMBER_CRASHTEST_BROKEN";

/// Transfer ids: each cycle and thread of `bank` numbers its transfers in its own range.
const TRANSFERS_PER_THREAD: i64 = 1 << 32;

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
) -> Result<Vec<String>, String> {
    run_child_with(mode, dir, seed, resume, run_ms, false)
}

/// `run_child`, with the child told to misbehave on purpose when `broken` (see `BROKEN`).
fn run_child_with(
    mode: &str,
    dir: &Path,
    seed: u64,
    resume: u64,
    run_ms: u64,
    broken: bool,
) -> Result<Vec<String>, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    if broken {
        command.env(BROKEN, "drop-transfer");
    }
    let mut child = command
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
            .filter_map(|line| Some(line.strip_prefix("ack ")?.trim().to_string()))
            .collect::<Vec<String>>()
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
    // The directory carries over between cycles: each commit is counted once, the first
    // time a reopen verifies it.
    let mut verified = 0u64;
    for _ in 0..cycles {
        let acks = match run_child("child-kill", &dir, seed, done, rng.u64(20..200)) {
            Ok(acks) => acks,
            Err(detail) => {
                summary.fail(seed, detail);
                break;
            }
        };
        let acks: Vec<u64> = acks.iter().filter_map(|a| a.parse().ok()).collect();
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
        summary.commits_verified += acked.saturating_sub(verified);
        verified = verified.max(acked);
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
    bank_with(seed, cycles, false)
}

/// One acknowledged transfer, as the child printed it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Transfer {
    from: i64,
    to: i64,
    amount: i64,
}

fn parse_transfer(line: &str) -> Option<(i64, Transfer)> {
    let mut fields = line
        .split_whitespace()
        .map(|field| field.parse::<i64>().ok());
    let id = fields.next()??;
    let transfer = Transfer {
        from: fields.next()??,
        to: fields.next()??,
        amount: fields.next()??,
    };
    Some((id, transfer))
}

/// `bank`, with the child acknowledging a transfer it rolled back when `broken`.
pub fn bank_with(seed: u64, cycles: u64, broken: bool) -> Summary {
    let mut summary = Summary::new("bank");
    let dir = scratch_dir("bank", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut acknowledged: BTreeMap<i64, Transfer> = BTreeMap::new();
    for cycle in 0..cycles {
        let run_ms = rng.u64(20..200);
        let seed_now = seed.wrapping_add(cycle);
        let acks = match run_child_with("child-bank", &dir, seed_now, cycle, run_ms, broken) {
            Ok(acks) => acks,
            Err(detail) => {
                summary.fail(seed, detail);
                break;
            }
        };
        summary.faults_injected += 1;
        let before = acknowledged.len();
        acknowledged.extend(acks.iter().filter_map(|line| parse_transfer(line)));
        if let Err(detail) = check_bank(&dir, &acknowledged, cycle) {
            summary.fail(
                seed,
                format!(
                    "cycle {cycle}, {} transfers acknowledged: {detail}",
                    acknowledged.len()
                ),
            );
            break;
        }
        summary.commits_verified += (acknowledged.len() - before) as u64;
        summary.cycles += 1;
    }
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// After a kill: every acknowledged transfer is there as acknowledged; any other present was
/// in flight at a kill (at most one per thread per cycle); each balance is its opening
/// balance plus the transfers present; the total never changes.
fn check_bank(
    dir: &Path,
    acknowledged: &BTreeMap<i64, Transfer>,
    cycle: u64,
) -> Result<(), String> {
    let db = Database::open(dir).map_err(|e| format!("reopen failed: {e}"))?;
    let conn = db.connect();
    let present = match conn.query("SELECT id, src, dst, amount FROM xfer", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ErrorKind::NotFound && acknowledged.is_empty() => return Ok(()),
        Err(e) => return Err(format!("reading xfer failed: {e}")),
    };
    let mut balances = vec![BALANCE; ACCOUNTS as usize];
    let mut unacknowledged = 0u64;
    let mut seen = 0usize;
    for row in present {
        let read = |i| row.get::<i64>(i).map_err(|e| e.to_string());
        let (id, transfer) = (
            read(0)?,
            Transfer {
                from: read(1)?,
                to: read(2)?,
                amount: read(3)?,
            },
        );
        match acknowledged.get(&id) {
            Some(acked) if *acked == transfer => seen += 1,
            Some(acked) => {
                return Err(format!(
                    "transfer {id} is {transfer:?}, acknowledged as {acked:?}"
                ))
            }
            None => unacknowledged += 1,
        }
        let valid = |account: i64| (0..ACCOUNTS).contains(&account);
        if !valid(transfer.from) || !valid(transfer.to) {
            return Err(format!(
                "transfer {id} names an unknown account: {transfer:?}"
            ));
        }
        balances[transfer.from as usize] -= transfer.amount;
        balances[transfer.to as usize] += transfer.amount;
    }
    if seen != acknowledged.len() {
        let lost = acknowledged.len() - seen;
        return Err(format!("{lost} acknowledged transfers are missing"));
    }
    if unacknowledged > 4 * (cycle + 1) {
        return Err(format!(
            "{unacknowledged} transfers present that were never acknowledged"
        ));
    }
    let rows = match conn.query("SELECT id, bal FROM acct ORDER BY id", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ErrorKind::NotFound && acknowledged.is_empty() => return Ok(()),
        Err(e) => return Err(e.to_string()),
    };
    let found: Vec<i64> = rows
        .into_iter()
        .map(|row| row.get::<i64>(1).unwrap_or(i64::MIN))
        .collect();
    // A kill before the accounts' setup committed leaves no accounts and no transfers.
    if found.is_empty() && seen == 0 && unacknowledged == 0 && acknowledged.is_empty() {
        return Ok(());
    }
    if found != balances {
        return Err(format!(
            "balances {found:?}, but the transfers present give {balances:?}"
        ));
    }
    Ok(())
}

/// The child of `bank`: sets up the accounts once (one transaction), then four threads move
/// money in explicit transactions that also record the transfer, retrying conflicts, and
/// print `ack ID FROM TO AMOUNT` once a transfer is committed. CHECKPOINT runs often, so
/// kills land in checkpoints too.
pub fn child_bank(dir: &Path, seed: u64, cycle: u64) -> ember::Result<()> {
    let db = Database::open_with(dir, ember::Options::new().checkpoint_bytes(4 << 10))?;
    let conn = db.connect();
    conn.execute_batch(
        "CREATE TABLE IF NOT EXISTS acct(id INT PRIMARY KEY, bal INT);
         CREATE TABLE IF NOT EXISTS xfer(id INT PRIMARY KEY, src INT, dst INT, amount INT);",
    )?;
    // A kill before the accounts' COMMIT leaves the table empty: fill it then.
    if conn.query("SELECT id FROM acct", ())?.is_empty() {
        conn.execute("BEGIN", ())?;
        for id in 0..ACCOUNTS {
            conn.execute("INSERT INTO acct VALUES (?, ?)", (id, BALANCE))?;
        }
        conn.execute("COMMIT", ())?;
    }
    let broken = std::env::var(BROKEN).is_ok_and(|v| v == "drop-transfer");
    std::thread::scope(|scope| {
        for thread in 0..4u64 {
            let db = db.clone();
            scope.spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed ^ thread);
                let conn = db.connect();
                let first = (cycle as i64 * 4 + thread as i64) * TRANSFERS_PER_THREAD;
                for id in first.. {
                    let (from, to, amount) =
                        (rng.i64(0..ACCOUNTS), rng.i64(0..ACCOUNTS), rng.i64(1..50));
                    let drop_it = broken && thread == 0 && id == first;
                    let result = (|| -> ember::Result<()> {
                        conn.execute("BEGIN", ())?;
                        conn.execute("UPDATE acct SET bal = bal - ? WHERE id = ?", (amount, from))?;
                        conn.execute("UPDATE acct SET bal = bal + ? WHERE id = ?", (amount, to))?;
                        conn.execute(
                            "INSERT INTO xfer VALUES (?, ?, ?, ?)",
                            (id, from, to, amount),
                        )?;
                        conn.execute(if drop_it { "ROLLBACK" } else { "COMMIT" }, ())?;
                        if id % 64 == 0 {
                            conn.execute("CHECKPOINT", ())?;
                        }
                        Ok(())
                    })();
                    if result.is_err() {
                        let _ = conn.execute("ROLLBACK", ());
                        continue;
                    }
                    let mut out = std::io::stdout().lock();
                    let _ = writeln!(out, "ack {id} {from} {to} {amount}");
                    let _ = out.flush();
                }
            });
        }
    });
    Ok(())
}
