//! The `asof` mode: reads of the past (`FOR SYSTEM_TIME AS OF`) under SIGKILL. In a child
//! process one writer runs the ops of `asof_model` under `SyncPolicy::Always` (history kept
//! by the table's `history_retention = '10 minutes'`), printing `ack p SEQ` before op SEQ
//! and `ack d SEQ COMMIT` once it committed as COMMIT; a reader thread keeps reading AS OF
//! random earlier acknowledged commits of this run (and the commit the child opened at) and
//! compares each with the state the child's model holds at it, printing `error ..` on any
//! difference and `ack r N` as its count grows; it also requires the commit before the
//! open to be `HistoryUnavailable`. A checkpointer runs `CHECKPOINT` 0-5 ms apart. After
//! the kill the parent reopens and runs `asof_model::check_reopened`: the recovered state
//! is the model's (the op in doubt applied or not), every acknowledged commit older than
//! the recovered one (this run's and earlier runs') is `HistoryUnavailable` naming the
//! recovered commit as the oldest readable, and AS OF the recovered commit and three
//! commits the parent then makes match the model. `EMBER_CRASHTEST_BROKEN=early-commit`
//! makes the child acknowledge each op as the commit before its own (the check's check).

use std::path::Path;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ember::{Database, Options, SyncPolicy};

use super::asof_model::{self as model, AsOfTally, Model, State};
use super::kill_child::{self, KillTally};
use super::Summary;

fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(8 << 10)
        .wal_segment_bytes(4 << 10)
}

pub fn asof(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("asof");
    let dir = kill_child::scratch_dir("asof", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    let mut asof_tally = AsOfTally::default();
    let mut past = Model::default();
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let resume = past.next_seq.to_string();
        let ms = kill_child::run_ms(&mut rng);
        let checked = kill_child::run_child("asof", &dir, seed, &resume, ms, None)
            .and_then(|run| tally.count(&mut summary, run))
            .and_then(|run| model::parse(&run.acks))
            .and_then(|acks| {
                let db = Database::open_with(&dir, options())
                    .map_err(|e| format!("reopen failed: {e}"))?;
                model::check_reopened(&db.connect(), seed, &mut past, &acks, &mut asof_tally)?;
                Ok(acks.done.len() as u64)
            });
        match checked {
            Ok(acked) => summary.commits_verified += acked,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        }
        summary.cycles += 1;
    }
    summary.notes = format!("{}; {}", asof_tally.notes(), tally.notes());
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// The child of `asof`: `resume` is the first op's number.
pub fn child_asof(dir: &Path, seed: u64, resume: &str) -> ember::Result<()> {
    let first: u64 = resume.parse().unwrap_or(0);
    let db = kill_child::open(dir, options())?;
    let conn = db.connect();
    let existed: i64 =
        conn.query_value("SELECT count(*) FROM ember_tables WHERE name = 't'", ())?;
    conn.execute(model::SCHEMA, ())?;
    let opened = model::newest_commit(&conn)?;
    let state = match model::read_now(&conn) {
        Ok(state) => state,
        Err(error) => {
            kill_child::say(format_args!("error reading t at the open: {error}"));
            return Ok(());
        }
    };
    kill_child::say(format_args!("ack o {opened}"));
    // A table created now cannot be read AS OF the commit before it.
    let readable = if existed > 0 {
        vec![(opened, state.clone())]
    } else {
        Vec::new()
    };
    let commits: Arc<Mutex<Vec<(u64, State)>>> = Arc::new(Mutex::new(readable));
    let early = kill_child::broken().as_deref() == Some("early-commit");
    std::thread::scope(|scope| {
        let writer = Arc::clone(&commits);
        let mut state = state;
        scope.spawn(move || {
            for seq in first.. {
                kill_child::say(format_args!("ack p {seq}"));
                let commit = match model::run_op(&conn, seed, seq) {
                    Ok(commit) if early => commit.saturating_sub(1),
                    Ok(commit) => commit,
                    Err(error) => {
                        kill_child::say(format_args!("error op {seq}: {error}"));
                        return;
                    }
                };
                let mut commits = writer.lock().unwrap_or_else(|e| e.into_inner());
                model::apply(&mut state, &model::plan(seed, seq));
                commits.push((commit, state.clone()));
                drop(commits);
                kill_child::say(format_args!("ack d {seq} {commit}"));
            }
        });
        let reader = db.clone();
        let before_open = (existed > 0 && opened > 0).then_some(opened);
        scope.spawn(move || read_past(&reader, &commits, before_open, seed));
        let db = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&db, seed));
    });
    Ok(())
}

/// The child's reader: AS OF reads of acknowledged commits (half the time one of the
/// newest eight, else any) compared with the model, until the kill or a difference; one
/// time in eight also the commit before `opened` (the commit the child opened at, when its
/// table existed then), which must be `HistoryUnavailable`.
fn read_past(db: &Database, commits: &Mutex<Vec<(u64, State)>>, opened: Option<u64>, seed: u64) {
    let conn = db.connect();
    let mut rng = fastrand::Rng::with_seed(seed.rotate_left(17));
    let mut reads = 0u64;
    loop {
        let picked = {
            let commits = commits.lock().unwrap_or_else(|e| e.into_inner());
            let len = commits.len();
            if len == 0 {
                None
            } else {
                let pick = if rng.bool() {
                    rng.usize(len.saturating_sub(8)..len)
                } else {
                    rng.usize(..len)
                };
                Some(commits[pick].clone())
            }
        };
        let Some((commit, state)) = picked else {
            std::thread::sleep(Duration::from_millis(1));
            continue;
        };
        let checked = model::check_past(&conn, commit, &state).and_then(|n| {
            match opened {
                Some(opened) if rng.u8(..8) == 0 => {
                    model::check_unavailable(&conn, opened - 1, opened)?;
                }
                _ => {}
            }
            Ok(n)
        });
        match checked {
            Ok(n) => reads += n,
            Err(error) => {
                kill_child::say(format_args!("error reader: {error}"));
                return;
            }
        }
        kill_child::say(format_args!("ack r {reads}"));
        std::thread::sleep(Duration::from_millis(1));
    }
}
