//! The `backup` mode: online backups taken under load, then SIGKILL. In a child process two
//! writer threads commit transfers (`backup_model`: each thread's state after n commits is
//! known) under `SyncPolicy::Always`, a checkpointer thread runs `CHECKPOINT` 0-5 ms apart,
//! and a backup thread takes `Database::backup_to` again and again into `bC-K.tmp` in a
//! sibling directory `DIR.backups`, fsyncs it, renames it to `bC-K.bak`, fsyncs the
//! directory and prints `ack b K COMMIT LO.. HI..`: the backup's `BackupInfo::commit`, each
//! thread's acknowledged commit count before the backup began (LO) and the commits it had
//! started when the backup ended (HI). Writers print `ack w T k`. After the kill the parent
//! requires:
//!
//! - the directory: each thread's state exactly its acknowledged commits, or those plus its
//!   one commit in doubt (as `kill-checkpoint`);
//! - every finished backup (`.bak`): `Database::restore_from` into a fresh directory and
//!   `Database::in_memory_from` both give, per thread, exactly the state after n commits for
//!   one n between LO and HI (a backup printed before the kill) or between the counts of the
//!   cycle's start and of the reopen (one renamed but not yet printed); the restore's
//!   `BackupInfo` matches the printed commit and counts the rows found; later backups never
//!   go back (commit and counters), and two backups of one commit hold the same state;
//! - a backup cut short by the kill (`.tmp`): `Corruption` from both restores and no
//!   directory created, or, when the kill fell between its fsync and its rename, a complete
//!   backup passing the checks above.
//!
//! The child side is `child_backup`.

use std::collections::BTreeMap;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use ember::{Database, ErrorKind, Options, SyncPolicy};

use super::backup_model::{self as model, Models, ThreadState, THREADS};
use super::kill_child::{self, KillTally};
use super::Summary;

pub(super) fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(8 << 10)
        .wal_segment_bytes(4 << 10)
}

/// Where the child writes its backups: `DIR.backups`, next to the database.
fn backups_dir(dir: &Path) -> PathBuf {
    let mut name = dir.as_os_str().to_owned();
    name.push(".backups");
    PathBuf::from(name)
}

/// A backup the child printed.
#[derive(Debug, Clone)]
pub(super) struct Reported {
    pub(super) commit: u64,
    pub(super) lo: [u64; THREADS],
    pub(super) hi: [u64; THREADS],
}

/// What the parent found checking the backups of its cycles.
#[derive(Debug, Default)]
pub(super) struct BackupTally {
    /// Finished backups (`.bak`) whose two restores passed every check.
    verified: u64,
    /// Of them, ones the kill kept the child from printing.
    unreported: u64,
    /// Backups cut short by the kill, refused with `Corruption` by both restores.
    cut_short: u64,
    /// `.tmp` files the kill left complete (between fsync and rename), verified.
    complete_tmp: u64,
    /// Bytes of the largest backup verified.
    largest: u64,
}

pub fn backup(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("backup");
    let dir = kill_child::scratch_dir("backup", seed);
    let backups = backups_dir(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&backups);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    let mut backup_tally = BackupTally::default();
    let mut models = Models::new(seed);
    // Commits 0..done[T] of thread T are in the directory; its next child resumes there.
    let mut done = [0u64; THREADS];
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let resume = format!("{cycle}:{}", done.map(|n| n.to_string()).join(","));
        let run = match tally.run_and_count(&mut summary, "backup", &dir, seed, &resume, &mut rng) {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let checked = parse_acks(&run.acks, &done).and_then(|(acked, reported)| {
            let open = || Database::open_with(&dir, options());
            let found = check_directory(&open, &mut models, &acked)?;
            let bounds = Bounds {
                start: done,
                end: found,
                reported: &reported,
            };
            check_backups(&backups, cycle, &mut models, &bounds, &mut backup_tally)?;
            Ok((acked, found))
        });
        match checked {
            Ok((acked, found)) => {
                summary.commits_verified += (0..THREADS).map(|t| acked[t] - done[t]).sum::<u64>();
                done = found;
            }
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        }
        summary.cycles += 1;
    }
    summary.notes = format!("{}; {}", backup_tally.notes(), tally.notes());
    let _ = std::fs::remove_dir_all(&dir);
    let _ = std::fs::remove_dir_all(&backups);
    summary
}

impl BackupTally {
    pub(super) fn notes(&self) -> String {
        format!(
            "commits verified: distinct acknowledged commits, each counted once; backups \
             verified {} (each restored to a directory and in memory; {} renamed but not yet \
             reported at the crash; largest {} bytes); cut short by the crash and refused with \
             Corruption {}; left complete before their rename {}",
            self.verified, self.unreported, self.largest, self.cut_short, self.complete_tmp,
        )
    }
}

/// Parses `ack w T k` and `ack b K COMMIT LO.. HI..`: each thread's acknowledged commit
/// count (its acks must be done[T], done[T] + 1, ...) and the backups printed, by K.
fn parse_acks(
    acks: &[String],
    done: &[u64; THREADS],
) -> Result<([u64; THREADS], BTreeMap<u64, Reported>), String> {
    let mut acked = *done;
    let mut reported = BTreeMap::new();
    for ack in acks {
        let mut words = ack.split_whitespace();
        let kind = words.next();
        let numbers: Option<Vec<u64>> = words.map(|w| w.parse().ok()).collect();
        match (kind, numbers.as_deref()) {
            (Some("w"), Some(&[thread, k])) => {
                let thread = thread as usize;
                if thread >= THREADS || k != acked[thread] {
                    return Err(format!(
                        "the child acknowledged commit {k} of thread {thread}, expected {:?}",
                        acked.get(thread)
                    ));
                }
                acked[thread] += 1;
            }
            (Some("b"), Some(fields)) if fields.len() == 2 + 2 * THREADS => {
                let mut backup = Reported {
                    commit: fields[1],
                    lo: [0; THREADS],
                    hi: [0; THREADS],
                };
                backup.lo.copy_from_slice(&fields[2..2 + THREADS]);
                backup.hi.copy_from_slice(&fields[2 + THREADS..]);
                reported.insert(fields[0], backup);
            }
            _ => return Err(format!("the child printed a bad ack: {ack}")),
        }
    }
    Ok((acked, reported))
}

/// Reopens the directory: each thread exactly its `acked` commits or those plus the one in
/// doubt. Returns each thread's commit count found.
pub(super) fn check_directory(
    open: &dyn Fn() -> ember::Result<Database>,
    models: &mut Models,
    acked: &[u64; THREADS],
) -> Result<[u64; THREADS], String> {
    let db = open().map_err(|e| format!("reopen failed: {e}"))?;
    let Some(found) = model::read_state(&db.connect())? else {
        if acked.iter().all(|n| *n == 0) {
            return Ok([0; THREADS]);
        }
        return Err("the tables are gone after acknowledged commits".into());
    };
    let mut counts = [0u64; THREADS];
    for (thread, found) in found.iter().enumerate() {
        let n = acked[thread];
        counts[thread] = if found_at(found, models, thread, n) {
            n
        } else if found_at(found, models, thread, n + 1) {
            n + 1
        } else {
            return Err(format!(
                "directory, thread {thread}: {n} commits acknowledged (commit {n} in doubt), \
                 found {}",
                model::difference(found, &models.expected(thread, n))
            ));
        };
    }
    Ok(counts)
}

/// Whether `found` is thread T's state after `n` commits (a kill before the setup committed
/// leaves no rows: the state of 0 commits).
fn found_at(found: &ThreadState, models: &mut Models, thread: usize, n: u64) -> bool {
    let empty = found.counter.is_none() && found.balances.is_empty() && found.log.is_empty();
    (n == 0 && empty) || *found == models.expected(thread, n)
}

/// The commit counts a backup of this cycle may hold.
pub(super) struct Bounds<'a> {
    /// Each thread's count at the cycle's start.
    pub(super) start: [u64; THREADS],
    /// Each thread's count the reopen found.
    pub(super) end: [u64; THREADS],
    /// The backups the child printed, by number.
    pub(super) reported: &'a BTreeMap<u64, Reported>,
}

/// Checks every file in the backups directory (see the module comment), then removes them.
pub(super) fn check_backups(
    backups: &Path,
    cycle: u64,
    models: &mut Models,
    bounds: &Bounds,
    tally: &mut BackupTally,
) -> Result<(), String> {
    let mut files: Vec<(u64, bool, PathBuf)> = Vec::new();
    for entry in std::fs::read_dir(backups).into_iter().flatten().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let parsed = name
            .strip_prefix(&format!("b{cycle}-"))
            .and_then(|rest| rest.split_once('.'))
            .and_then(|(k, ext)| Some((k.parse::<u64>().ok()?, ext == "bak")));
        match parsed {
            Some((k, finished)) => files.push((k, finished, entry.path())),
            None => {
                return Err(format!(
                    "an unexpected file in {}: {name}",
                    backups.display()
                ))
            }
        }
    }
    files.sort();
    if let Some(missing) = bounds.reported.keys().find(|k| {
        !files
            .iter()
            .any(|(file, finished, _)| file == *k && *finished)
    }) {
        return Err(format!(
            "backup {missing} was printed but its file is not there"
        ));
    }
    // The state of each backup verified, in order: (commit, counts).
    let mut seen: Vec<(u64, u64, [u64; THREADS])> = Vec::new();
    for (k, finished, path) in &files {
        let name = path.display();
        let checked = match restore_both(path)? {
            Restored::CutShort => {
                if *finished {
                    return Err(format!("finished backup {name} is refused as corrupt"));
                }
                tally.cut_short += 1;
                continue;
            }
            Restored::Whole(info, state) => {
                let report = bounds.reported.get(k);
                check_backup_state(&state, models, bounds, report)
                    .map_err(|detail| format!("backup {name}: {detail}"))?;
                let rows: usize = state
                    .iter()
                    .map(|s| s.balances.len() + s.log.len() + usize::from(s.counter.is_some()))
                    .sum();
                if info.rows != rows as u64 || report.is_some_and(|r| r.commit != info.commit) {
                    return Err(format!(
                        "backup {name}: restore gave {info:?}, {rows} rows read, printed \
                         {report:?}"
                    ));
                }
                tally.largest = tally.largest.max(info.bytes);
                tally.unreported += u64::from(*finished && report.is_none());
                (info.commit, state.map(|s| s.counter.unwrap_or(0)))
            }
        };
        if *finished {
            tally.verified += 1;
            seen.push((*k, checked.0, checked.1));
        } else {
            tally.complete_tmp += 1;
        }
    }
    for pair in seen.windows(2) {
        let ((k0, c0, n0), (k1, c1, n1)) = (pair[0], pair[1]);
        let back = c1 < c0 || (0..THREADS).any(|t| n1[t] < n0[t]);
        if back || (c0 == c1 && n0 != n1) {
            return Err(format!(
                "backup {k1} (commit {c1}, counts {n1:?}) against the earlier backup {k0} \
                 (commit {c0}, counts {n0:?})"
            ));
        }
    }
    for (_, _, path) in files {
        let _ = std::fs::remove_file(path);
    }
    Ok(())
}

/// Each thread's state in a backup is that after n commits, for an n the bounds allow.
fn check_backup_state(
    state: &[ThreadState; THREADS],
    models: &mut Models,
    bounds: &Bounds,
    report: Option<&Reported>,
) -> Result<(), String> {
    for (thread, found) in state.iter().enumerate() {
        let (lo, hi) = match report {
            Some(report) => (report.lo[thread], report.hi[thread].min(bounds.end[thread])),
            None => (bounds.start[thread], bounds.end[thread]),
        };
        let n = found.counter.unwrap_or(0);
        if n < lo || n > hi || !found_at(found, models, thread, n) {
            return Err(format!(
                "thread {thread} holds the state of commit {n}? allowed {lo}..={hi} \
                 (the directory holds {} commits); against commit {n}: {}",
                bounds.end[thread],
                model::difference(found, &models.expected(thread, n))
            ));
        }
    }
    Ok(())
}

/// What the two restores of one backup file gave.
enum Restored {
    /// Both refused it with `Corruption`, creating nothing.
    CutShort,
    /// Both restored the same state.
    Whole(ember::BackupInfo, [ThreadState; THREADS]),
}

/// Restores `path` into a fresh directory (then opens it) and into memory.
fn restore_both(path: &Path) -> Result<Restored, String> {
    let name = path.display();
    let bytes = std::fs::read(path).map_err(|e| format!("reading {name}: {e}"))?;
    let target = path.with_extension("restored");
    let _ = std::fs::remove_dir_all(&target);
    let to_dir = Database::restore_from(&bytes[..], &target);
    let in_memory = Database::in_memory_from(&bytes[..]);
    let result = match (to_dir, in_memory) {
        (Err(a), Err(b)) if a.kind() == ErrorKind::Corruption && b.kind() == a.kind() => {
            if target.exists() {
                Err(format!(
                    "a refused restore of {name} left {}",
                    target.display()
                ))
            } else {
                Ok(Restored::CutShort)
            }
        }
        (Ok(info), Ok(memory)) => {
            let restored = Database::open(&target)
                .map_err(|e| format!("opening the restore of {name}: {e}"))
                .and_then(|db| model::read_state(&db.connect()));
            let copy = model::read_state(&memory.connect());
            match (restored?, copy?) {
                (Some(a), Some(b)) if a == b => Ok(Restored::Whole(info, a)),
                (a, b) => Err(format!(
                    "{name}: restored to a directory {a:?}, in memory {b:?}"
                )),
            }
        }
        (a, b) => Err(format!(
            "{name}: restore_from gave {:?}, in_memory_from {:?} (a cut-short backup must \
             be Corruption for both)",
            a.map_err(|e| e.to_string()),
            b.map(|_| ()).map_err(|e| e.to_string())
        )),
    };
    let _ = std::fs::remove_dir_all(&target);
    result
}

/// The child of `backup`: `resume` is "CYCLE:n0,n1", the cycle and each thread's commit
/// count found by the last reopen. Sets up the tables (one transaction), then runs the
/// writers, the backup thread and the checkpointer until the kill.
pub fn child_backup(dir: &Path, seed: u64, resume: &str) -> ember::Result<()> {
    let (cycle, counts) = resume.split_once(':').unwrap_or(("0", ""));
    let mut start = [0u64; THREADS];
    for (slot, n) in start.iter_mut().zip(counts.split(',')) {
        *slot = n.parse().unwrap_or(0);
    }
    let db = kill_child::open(dir, options())?;
    setup(&db.connect())?;
    let backups = backups_dir(dir);
    std::fs::create_dir_all(&backups).map_err(|e| {
        ember::Error::new(
            ErrorKind::Io,
            format!("creating {}: {e}", backups.display()),
        )
    })?;
    let acked: [AtomicU64; THREADS] = start.map(AtomicU64::new);
    let started: [AtomicU64; THREADS] = start.map(AtomicU64::new);
    std::thread::scope(|scope| {
        for (thread, first) in start.into_iter().enumerate() {
            let (db, acked, started) = (db.clone(), &acked[thread], &started[thread]);
            scope.spawn(move || {
                let conn = db.connect();
                for k in first.. {
                    started.store(k + 1, Ordering::SeqCst);
                    if let Err(error) = commit(&conn, seed, thread, k) {
                        // The threads write disjoint rows: no error is expected.
                        kill_child::say(format_args!("error thread {thread} commit {k}: {error}"));
                        return;
                    }
                    acked.store(k + 1, Ordering::SeqCst);
                    kill_child::say(format_args!("ack w {thread} {k}"));
                }
            });
        }
        let (db_b, acked, started, backups) = (db.clone(), &acked, &started, &backups);
        let broken = kill_child::broken();
        scope.spawn(move || {
            let mut rng = fastrand::Rng::with_seed(seed ^ 0xB4C);
            for k in 0u64.. {
                let mut lo = acked.each_ref().map(|n| n.load(Ordering::SeqCst));
                if broken.as_deref() == Some("early-backup") {
                    // Claims a commit was acknowledged before the backup began.
                    lo[0] += 1_000_000;
                }
                let path = backups.join(format!("b{cycle}-{k}"));
                let info = match take_backup(&db_b, &path, broken.as_deref()) {
                    Ok(info) => info,
                    Err(error) => {
                        kill_child::say(format_args!("error backup {k}: {error}"));
                        return;
                    }
                };
                let hi = started.each_ref().map(|n| n.load(Ordering::SeqCst));
                let join = |v: [u64; THREADS]| v.map(|n| n.to_string()).join(" ");
                kill_child::say(format_args!(
                    "ack b {k} {} {} {}",
                    info.commit,
                    join(lo),
                    join(hi)
                ));
                std::thread::sleep(Duration::from_millis(rng.u64(0..8)));
            }
        });
        let db = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&db, seed));
    });
    Ok(())
}

/// Creates the tables, and the accounts and counters once (one transaction).
pub(super) fn setup(conn: &ember::Connection) -> ember::Result<()> {
    conn.execute_batch(model::SCHEMA)?;
    if conn.query("SELECT thread FROM c", ())?.is_empty() {
        conn.execute("BEGIN", ())?;
        for thread in 0..THREADS {
            for account in 0..model::ACCOUNTS {
                conn.execute(
                    "INSERT INTO acct VALUES (?, ?, ?)",
                    (
                        model::account_id(thread, account),
                        thread as i64,
                        model::OPENING,
                    ),
                )?;
            }
            conn.execute("INSERT INTO c VALUES (?, 0)", [thread as i64])?;
        }
        conn.execute("COMMIT", ())?;
    }
    Ok(())
}

/// One backup into `PATH.tmp`, fsynced, renamed to `PATH.bak`, the directory fsynced: a
/// `.bak` is complete once it has its name. Broken with `cut-backup`, the file loses its
/// last byte before the rename.
fn take_backup(
    db: &Database,
    path: &Path,
    broken: Option<&str>,
) -> Result<ember::BackupInfo, String> {
    let (tmp, bak) = (path.with_extension("tmp"), path.with_extension("bak"));
    let file =
        std::fs::File::create(&tmp).map_err(|e| format!("creating {}: {e}", tmp.display()))?;
    let mut out = BufWriter::new(file);
    let info = db.backup_to(&mut out).map_err(|e| e.to_string())?;
    out.flush().map_err(|e| e.to_string())?;
    let file = out.into_inner().map_err(|e| e.to_string())?;
    if broken == Some("cut-backup") {
        file.set_len(info.bytes - 1).map_err(|e| e.to_string())?;
    }
    file.sync_all().map_err(|e| e.to_string())?;
    std::fs::rename(&tmp, &bak).map_err(|e| format!("renaming {}: {e}", tmp.display()))?;
    if let Some(parent) = bak.parent() {
        std::fs::File::open(parent)
            .and_then(|dir| dir.sync_all())
            .map_err(|e| format!("syncing {}: {e}", parent.display()))?;
    }
    Ok(info)
}

/// Commit k of a writer thread (see `backup_model`).
pub(super) fn commit(
    conn: &ember::Connection,
    seed: u64,
    thread: usize,
    k: u64,
) -> ember::Result<()> {
    let (from, to, amount) = model::transfer(seed, thread, k);
    conn.execute("BEGIN", ())?;
    let result = (|| {
        let account = |a: i64| model::account_id(thread, a);
        conn.execute(
            "UPDATE acct SET bal = bal - ? WHERE id = ?",
            (amount, account(from)),
        )?;
        conn.execute(
            "UPDATE acct SET bal = bal + ? WHERE id = ?",
            (amount, account(to)),
        )?;
        conn.execute(
            "INSERT INTO log VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                model::log_id(thread, k),
                thread as i64,
                k as i64,
                from,
                to,
                amount,
                model::pad(seed, thread, k),
            ),
        )?;
        if let Some(old) = model::deletes(k) {
            conn.execute("DELETE FROM log WHERE id = ?", [model::log_id(thread, old)])?;
        }
        conn.execute(
            "UPDATE c SET n = ? WHERE thread = ?",
            (k as i64 + 1, thread as i64),
        )?;
        conn.execute("COMMIT", ())
    })();
    if result.is_err() {
        let _ = conn.execute("ROLLBACK", ());
    }
    result.map(drop)
}
