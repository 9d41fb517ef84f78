//! The child process of the SIGKILL modes (`kill`, `kill-checkpoint`, `bank`) and the line
//! protocol it reports on stdout. The parent spawns `ember-crashtest child-MODE DIR SEED
//! RESUME`, lets it run a random while, SIGKILLs it and reads what it printed:
//!
//! - `ack ...`: an acknowledged commit (its fields are the mode's);
//! - `fail ...`: an attempt that returned an error the mode expects (a write conflict);
//! - `error ...`: any other error: a finding, the parent reports it;
//! - `ckpt begin` / `ckpt end`: around each `CHECKPOINT` the child runs;
//! - `open begin` / `open end`: around the child's open (recovery, then its checkpoint);
//! - `stats COMMITS FSYNCS CHECKPOINTS`: the child's durability counters.
//!
//! The parent also notes whether the kill left a snapshot half written (`snap-*.tmp`); a
//! child that ended before the kill or wrote to stderr (a panicking thread) is a finding
//! too. `EMBER_CRASHTEST_BROKEN` (see `BROKEN`) makes a child misbehave on purpose, so a
//! test can show that a mode's check fails.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use ember::{Connection, Database, ErrorKind, Options};

/// Set in a child's environment, it breaks the child on purpose, so a test sees the mode's
/// check fail: `drop-transfer` (bank: acknowledges a transfer it rolled back),
/// `half-transfer` (bank: commits a transfer's debit and record without its credit),
/// `phantom-transfer` (bank: commits a transfer it never reports attempting),
/// `drop-commit` (kill, kill-checkpoint: acknowledges a commit it rolled back),
/// `cut-backup` / `early-backup` (backup: a finished backup missing its last byte / a
/// backup claimed to follow a commit it precedes), `keep-deleted` (ttl: acknowledges deletes
/// it did not do). Only the child reads it; the parent passes its own environment on.
pub const BROKEN: &str = "EMBER_CRASHTEST_BROKEN";

/// The misbehaviour asked of this child, if any.
pub fn broken() -> Option<String> {
    std::env::var(BROKEN).ok().filter(|value| !value.is_empty())
}

/// A note for a failure when the child was broken on purpose (empty otherwise).
pub fn broken_note() -> String {
    broken().map_or(String::new(), |value| {
        format!(" (the child was broken on purpose: {BROKEN}={value})")
    })
}

/// A fresh directory for one run of a mode.
pub fn scratch_dir(mode: &str, seed: u64) -> PathBuf {
    std::env::temp_dir().join(format!(
        "ember-crashtest-{mode}-{seed}-{}",
        std::process::id()
    ))
}

/// How long a child runs before the SIGKILL: one time in eight under 15 ms, so the kill
/// often lands in the child's open (recovery and the checkpoint that ends it), otherwise up
/// to a few hundred commits in.
pub fn run_ms(rng: &mut fastrand::Rng) -> u64 {
    if rng.u8(..8) == 0 {
        rng.u64(0..15)
    } else {
        rng.u64(15..250)
    }
}

/// What one child printed, and how the kill found it.
#[derive(Debug, Default)]
pub struct ChildRun {
    /// The fields after `ack`, in the order printed.
    pub acks: Vec<String>,
    /// The fields after `fail`.
    pub fails: Vec<String>,
    /// The `error` lines, and a child that ended before the kill.
    pub errors: Vec<String>,
    /// The kill landed between a `ckpt begin` and its `ckpt end`.
    pub in_checkpoint: bool,
    /// The kill landed in the child's open: after `open begin`, before `open end`.
    pub in_open: bool,
    /// The last `stats` line: commits, WAL fsyncs, checkpoints.
    pub stats: Option<[u64; 3]>,
    /// A `snap-*.tmp` was in the directory after the kill: a snapshot half written.
    pub snapshot_tmp_left: bool,
}

/// Spawns `ember-crashtest child-MODE DIR SEED RESUME`, SIGKILLs it after `run_ms` and
/// returns what it printed. `broken` sets `BROKEN` for the child (otherwise the child
/// inherits the parent's environment).
pub fn run_child(
    mode: &str,
    dir: &Path,
    seed: u64,
    resume: &str,
    run_ms: u64,
    broken: Option<&str>,
) -> Result<ChildRun, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let mut command = Command::new(exe);
    if let Some(value) = broken {
        command.env(BROKEN, value);
    }
    let mut child = command
        .arg(format!("child-{mode}"))
        .arg(dir)
        .arg(seed.to_string())
        .arg(resume)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("spawning the child: {e}"))?;
    let stdout = child.stdout.take().ok_or("no child stdout")?;
    let mut stderr = child.stderr.take().ok_or("no child stderr")?;
    let reader = std::thread::spawn(move || {
        let mut run = ChildRun::default();
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            read_line(&mut run, &line);
        }
        run
    });
    let errors = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = stderr.read_to_string(&mut text);
        text
    });
    std::thread::sleep(Duration::from_millis(run_ms));
    let ended_early = child.try_wait().ok().flatten();
    let _ = child.kill();
    let _ = child.wait();
    let mut run = reader
        .join()
        .map_err(|_| "the child's stdout reader panicked".to_string())?;
    let stderr = errors.join().unwrap_or_default();
    if let Some(status) = ended_early {
        run.errors.push(format!(
            "the child ended by itself before the kill ({status}): {}",
            stderr.trim()
        ));
    } else if !stderr.trim().is_empty() {
        // A panic in one of its threads, say: the others went on.
        run.errors
            .push(format!("the child wrote to stderr: {}", stderr.trim()));
    }
    run.snapshot_tmp_left = std::fs::read_dir(dir).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let name = entry.file_name();
            let name = name.to_string_lossy();
            name.starts_with("snap-") && name.ends_with(".tmp")
        })
    });
    Ok(run)
}

fn read_line(run: &mut ChildRun, line: &str) {
    let (word, rest) = line.split_once(' ').unwrap_or((line, ""));
    match word {
        "ack" => run.acks.push(rest.to_string()),
        "fail" => run.fails.push(rest.to_string()),
        "error" => run.errors.push(rest.to_string()),
        "ckpt" => run.in_checkpoint = rest == "begin",
        "open" => run.in_open = rest == "begin",
        "stats" => {
            let numbers: Vec<u64> = rest
                .split_whitespace()
                .filter_map(|n| n.parse().ok())
                .collect();
            if let [commits, fsyncs, checkpoints] = numbers[..] {
                run.stats = Some([commits, fsyncs, checkpoints]);
            }
        }
        _ => run
            .errors
            .push(format!("the child printed an unknown line: {line}")),
    }
}

/// What the kills of a run found, over its cycles: printed as the summary's notes.
#[derive(Debug, Default)]
pub struct KillTally {
    kills: u64,
    in_open: u64,
    in_checkpoint: u64,
    snapshot_tmp_left: u64,
    commits: u64,
    fsyncs: u64,
    checkpoints: u64,
}

impl KillTally {
    pub fn add(&mut self, run: &ChildRun) {
        self.kills += 1;
        self.in_open += u64::from(run.in_open);
        self.in_checkpoint += u64::from(run.in_checkpoint);
        self.snapshot_tmp_left += u64::from(run.snapshot_tmp_left);
        if let Some([commits, fsyncs, checkpoints]) = run.stats {
            self.commits += commits;
            self.fsyncs += fsyncs;
            self.checkpoints += checkpoints;
        }
    }

    /// Runs one killed child (`run_child` without a planted bug, a kill after `run_ms`) and
    /// counts it (`count`).
    pub fn run_and_count(
        &mut self,
        summary: &mut super::Summary,
        mode: &str,
        dir: &Path,
        seed: u64,
        resume: &str,
        rng: &mut fastrand::Rng,
    ) -> Result<ChildRun, String> {
        run_child(mode, dir, seed, resume, run_ms(rng), None)
            .and_then(|run| self.count(summary, run))
    }

    /// Counts a child `run` (one injected fault) in `summary` and here; an error the child
    /// reported itself fails the cycle ("the child reported: ..."), else the run goes on to
    /// the mode's checks.
    pub fn count(
        &mut self,
        summary: &mut super::Summary,
        run: ChildRun,
    ) -> Result<ChildRun, String> {
        summary.faults_injected += 1;
        self.add(&run);
        match run.errors.first() {
            Some(error) => Err(format!("the child reported: {error}")),
            None => Ok(run),
        }
    }

    pub fn notes(&self) -> String {
        let mut notes = format!(
            "kills {}: {} in the child's open (recovery and its checkpoint), {} inside a \
             CHECKPOINT, {} leaving a snapshot half written",
            self.kills, self.in_open, self.in_checkpoint, self.snapshot_tmp_left
        );
        if self.fsyncs > 0 {
            notes.push_str(&format!(
                "; children's last stats: {} commits, {} WAL fsyncs ({:.2} commits per fsync), \
                 {} checkpoints",
                self.commits,
                self.fsyncs,
                self.commits as f64 / self.fsyncs as f64,
                self.checkpoints
            ));
        }
        notes
    }
}

/// Prints one protocol line and flushes it, so a SIGKILL loses at most the line being
/// written.
pub fn say(line: std::fmt::Arguments) {
    let mut out = std::io::stdout().lock();
    let _ = out.write_fmt(line);
    let _ = out.write_all(b"\n");
    let _ = out.flush();
}

/// The child's open, announced by `open begin` and `open end`.
pub fn open(dir: &Path, options: Options) -> ember::Result<Database> {
    say(format_args!("open begin"));
    let db = Database::open_with(dir, options)?;
    say(format_args!("open end"));
    Ok(db)
}

/// Prints the child's durability counters as a `stats` line.
pub fn say_stats(db: &Database) {
    if let Some(stats) = db.durability_stats() {
        say(format_args!(
            "stats {} {} {}",
            stats.commits, stats.wal_fsyncs, stats.checkpoints
        ));
    }
}

/// One `CHECKPOINT`, announced by `ckpt begin` and `ckpt end` (an error is an `error` line).
pub fn checkpoint(conn: &Connection) {
    say(format_args!("ckpt begin"));
    match conn.execute("CHECKPOINT", ()) {
        Ok(_) => say(format_args!("ckpt end")),
        Err(error) => say(format_args!("error CHECKPOINT failed: {error}")),
    }
}

/// The child's checkpointer thread: `CHECKPOINT` again and again, a few milliseconds apart,
/// each followed by a `stats` line, until the kill.
pub fn checkpoint_forever(db: &Database, seed: u64) -> ! {
    let conn = db.connect();
    let mut rng = fastrand::Rng::with_seed(seed);
    loop {
        checkpoint(&conn);
        say_stats(db);
        std::thread::sleep(Duration::from_millis(rng.u64(0..5)));
    }
}

/// An error the child's workload expects and retries (a write conflict between its
/// threads).
pub fn expected_error(error: &ember::Error) -> bool {
    error.kind() == ErrorKind::SerializationConflict
}
