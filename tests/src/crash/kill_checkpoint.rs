//! The `kill-checkpoint` mode: SIGKILL while several threads commit under
//! `SyncPolicy::Always` (group commit: concurrent committers share fsyncs) and checkpoints
//! run all the time: a checkpointer thread runs `CHECKPOINT` a few milliseconds apart, and
//! automatic ones start every 2 KiB of log (1 KiB WAL segments, so the log rolls too). Each
//! of the four writer threads commits a fixed sequence on its own rows (commit k of thread T
//! inserts row (T, k) with a seeded payload, bumps row k-1 when k % 4 == 1, deletes row k-2
//! when k % 4 == 3 and sets T's counter to k + 1) and prints `ack T k`. After each kill the
//! parent reopens and requires each thread's rows and counter to be exactly those of its
//! acknowledged commits, or those plus its one commit in doubt; the next child resumes each
//! thread from what the reopen found. The child side is `child_kill_checkpoint`.

use std::collections::BTreeMap;
use std::path::Path;

use ember::{Database, ErrorKind, Options, SyncPolicy};

use super::kill_child::{self, KillTally};
use super::Summary;

const THREADS: usize = 4;

fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(2 << 10)
        .wal_segment_bytes(1 << 10)
}

const SCHEMA: &str = "CREATE TABLE IF NOT EXISTS w(id INT PRIMARY KEY, thread INT, seq INT, \
                      hits INT, pad TEXT);
                      CREATE TABLE IF NOT EXISTS c(thread INT PRIMARY KEY, n INT);";

fn row_id(thread: usize, k: u64) -> i64 {
    ((thread as i64) << 32) | k as i64
}

/// The payload of row (T, k): 20 to 400 bytes, seeded, so the snapshots take a while.
fn pad(seed: u64, thread: usize, k: u64) -> String {
    let mut rng = fastrand::Rng::with_seed(seed ^ (row_id(thread, k) as u64).rotate_left(17));
    let piece = format!("{thread}.{k}.");
    piece.repeat(rng.usize(20..400) / piece.len() + 1)
}

/// A thread's rows after its first `n` commits: seq -> hits.
fn model(n: u64) -> BTreeMap<u64, i64> {
    let mut rows = BTreeMap::new();
    for k in 0..n {
        rows.insert(k, 0);
        if k % 4 == 1 {
            *rows.entry(k - 1).or_default() += 1;
        }
        if k % 4 == 3 {
            rows.remove(&(k - 2));
        }
    }
    rows
}

/// What a reopen found for one thread.
#[derive(Debug, Default, PartialEq)]
struct Found {
    rows: BTreeMap<u64, i64>,
    counter: Option<u64>,
}

pub fn kill_checkpoint(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("kill-checkpoint");
    let dir = kill_child::scratch_dir("kill-checkpoint", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    // Commits 0..done[T] of thread T are in the directory; its next child resumes there.
    let mut done = [0u64; THREADS];
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let resume = done.map(|n| n.to_string()).join(",");
        let run = match tally.run_and_count(
            &mut summary,
            "kill-checkpoint",
            &dir,
            seed,
            &resume,
            &mut rng,
        ) {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let acked = match acknowledged(&run.acks, &done) {
            Ok(acked) => acked,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        match check(&dir, seed, &acked) {
            Ok(found) => {
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
    summary.notes = format!(
        "commits verified: distinct acknowledged commits, each counted once; {}",
        tally.notes()
    );
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// Each thread's commit count once its acknowledged ones are in: the `ack T k` lines of a
/// thread must be done[T], done[T] + 1, ...
fn acknowledged(acks: &[String], done: &[u64; THREADS]) -> Result<[u64; THREADS], String> {
    let mut acked = *done;
    for ack in acks {
        let mut fields = ack.split_whitespace().map(str::parse::<u64>);
        let (Some(Ok(thread)), Some(Ok(k)), None) = (fields.next(), fields.next(), fields.next())
        else {
            return Err(format!("the child printed a bad ack: {ack}"));
        };
        let thread = thread as usize;
        if thread >= THREADS || k != acked[thread] {
            return Err(format!(
                "the child acknowledged commit {k} of thread {thread}, expected {:?}",
                acked.get(thread)
            ));
        }
        acked[thread] += 1;
    }
    Ok(acked)
}

/// Reopens and checks every thread: exactly its `acked` commits, or those plus the one in
/// doubt. Returns each thread's commit count found.
fn check(dir: &Path, seed: u64, acked: &[u64; THREADS]) -> Result<[u64; THREADS], String> {
    let db = Database::open_with(dir, options()).map_err(|e| format!("reopen failed: {e}"))?;
    let conn = db.connect();
    let nothing_acked = acked.iter().all(|n| *n == 0);
    let mut found: [Found; THREADS] = Default::default();
    let counters = match conn.query("SELECT thread, n FROM c", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ErrorKind::NotFound && nothing_acked => return Ok([0; THREADS]),
        Err(e) => return Err(format!("reading c failed: {e}")),
    };
    let read = |row: &ember::Row, i: usize| row.get::<i64>(i).map_err(|e| e.to_string());
    // A kill before the setup committed leaves no counters (and then must leave no rows).
    if counters.is_empty() {
        found.iter_mut().for_each(|found| found.counter = Some(0));
    }
    for row in counters {
        let row = &row;
        let (thread, n) = (read(row, 0)?, read(row, 1)?);
        let slot = usize::try_from(thread)
            .ok()
            .and_then(|t| found.get_mut(t))
            .ok_or(format!(
                "a counter for thread {thread}, which does not exist"
            ))?;
        slot.counter = Some(n as u64);
    }
    let rows = conn
        .query("SELECT id, thread, seq, hits, pad FROM w", ())
        .map_err(|e| format!("reading w failed: {e}"))?;
    for row in rows {
        let row = &row;
        let (id, thread, seq, hits) = (read(row, 0)?, read(row, 1)?, read(row, 2)?, read(row, 3)?);
        let payload: String = row.get(4).map_err(|e| e.to_string())?;
        let (Ok(t), Ok(k)) = (usize::try_from(thread), u64::try_from(seq)) else {
            return Err(format!("row {id} names thread {thread}, seq {seq}"));
        };
        if t >= THREADS || id != row_id(t, k) || payload != pad(seed, t, k) {
            return Err(format!(
                "row {id} (thread {thread}, seq {seq}) is not one any commit wrote"
            ));
        }
        found[t].rows.insert(k, hits);
    }
    let mut counts = [0u64; THREADS];
    for (thread, found) in found.iter().enumerate() {
        let n = acked[thread];
        let matches = |n: u64| found.counter == Some(n) && found.rows == model(n);
        counts[thread] = if matches(n) {
            n
        } else if matches(n + 1) {
            n + 1
        } else {
            return Err(format!(
                "thread {thread}: {n} commits acknowledged (commit {n} in doubt), found {}",
                difference(found, n)
            ));
        };
    }
    Ok(counts)
}

/// What a thread's rows and counter lack or have beyond its first `n` commits.
fn difference(found: &Found, n: u64) -> String {
    let expected = model(n);
    let missing: Vec<&u64> = expected
        .keys()
        .filter(|k| !found.rows.contains_key(k))
        .collect();
    let extra: Vec<&u64> = found
        .rows
        .keys()
        .filter(|k| !expected.contains_key(k))
        .collect();
    let changed: Vec<(&u64, &i64)> = found
        .rows
        .iter()
        .filter(|(k, hits)| expected.get(k).is_some_and(|h| h != *hits))
        .collect();
    format!(
        "counter {:?} and {} rows; against the first {n} commits' {} rows: missing \
         {missing:?}, beyond {extra:?}, other hits {changed:?}",
        found.counter,
        found.rows.len(),
        expected.len()
    )
}

/// The child of `kill-checkpoint`: `resume` is each thread's commit count found by the
/// last reopen ("n0,n1,n2,n3"). Sets up the tables and counters (one transaction), then
/// runs the writer threads and the checkpointer until the kill. Broken with `drop-commit`,
/// thread 0 rolls back its first commit and acknowledges it all the same.
pub fn child_kill_checkpoint(dir: &Path, seed: u64, resume: &str) -> ember::Result<()> {
    let mut start = [0u64; THREADS];
    for (slot, n) in start.iter_mut().zip(resume.split(',')) {
        *slot = n.parse().unwrap_or(0);
    }
    let db = kill_child::open(dir, options())?;
    let conn = db.connect();
    conn.execute_batch(SCHEMA)?;
    if conn.query("SELECT thread FROM c", ())?.is_empty() {
        conn.execute("BEGIN", ())?;
        for thread in 0..THREADS as i64 {
            conn.execute("INSERT INTO c VALUES (?, 0)", [thread])?;
        }
        conn.execute("COMMIT", ())?;
    }
    let drop_first = kill_child::broken().as_deref() == Some("drop-commit");
    std::thread::scope(|scope| {
        for (thread, first) in start.into_iter().enumerate() {
            let db = db.clone();
            scope.spawn(move || {
                let conn = db.connect();
                for k in first.. {
                    let end = if drop_first && thread == 0 && k == first {
                        "ROLLBACK"
                    } else {
                        "COMMIT"
                    };
                    if let Err(error) = commit(&conn, seed, thread, k, end) {
                        // The threads write disjoint rows: no error is expected.
                        kill_child::say(format_args!("error thread {thread} commit {k}: {error}"));
                        return;
                    }
                    kill_child::say(format_args!("ack {thread} {k}"));
                }
            });
        }
        let db = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&db, seed));
    });
    Ok(())
}

/// Commit k of a writer thread (ended with `end`: COMMIT, or ROLLBACK when broken).
fn commit(
    conn: &ember::Connection,
    seed: u64,
    thread: usize,
    k: u64,
    end: &str,
) -> ember::Result<()> {
    conn.execute("BEGIN", ())?;
    let result = (|| {
        conn.execute(
            "INSERT INTO w VALUES (?, ?, ?, 0, ?)",
            (
                row_id(thread, k),
                thread as i64,
                k as i64,
                pad(seed, thread, k),
            ),
        )?;
        if k % 4 == 1 {
            conn.execute(
                "UPDATE w SET hits = hits + 1 WHERE id = ?",
                [row_id(thread, k - 1)],
            )?;
        }
        if k % 4 == 3 {
            conn.execute("DELETE FROM w WHERE id = ?", [row_id(thread, k - 2)])?;
        }
        conn.execute(
            "UPDATE c SET n = ? WHERE thread = ?",
            (k as i64 + 1, thread as i64),
        )?;
        conn.execute(end, ())
    })();
    if result.is_err() {
        let _ = conn.execute("ROLLBACK", ());
    }
    result.map(drop)
}
