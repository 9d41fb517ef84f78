//! The `kill` mode: a child process runs the seeded workload (`kill_workload`: inserts,
//! updates, deletes, multi-statement and rolled-back transactions, CHECKPOINTs, with 8 KiB
//! automatic checkpoints) on a real directory and prints `ack N` once op N is acknowledged;
//! the parent SIGKILLs it at a random moment, reopens, and requires the table to equal the
//! model of the acknowledged ops, or that plus the one op in doubt. The next cycle resumes
//! on the same directory from what the reopen found, so each op is acknowledged by one child
//! at most and each acknowledged commit is counted once. The child side is `child_kill`.

use std::path::Path;

use ember::{Database, ErrorKind};

use super::kill_child::{self, KillTally};
use super::kill_workload::{self as workload, Op, Workload};
use super::Summary;

pub fn kill(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("kill");
    let dir = kill_child::scratch_dir("kill", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    // Ops 0..done are in the directory (acknowledged, or in doubt and found there); the
    // next child resumes at op `done`, so each op is acknowledged by one child at most.
    let mut done = 0u64;
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let run = match tally.run_and_count(
            &mut summary,
            "kill",
            &dir,
            seed,
            &done.to_string(),
            &mut rng,
        ) {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let acks: Vec<u64> = run.acks.iter().filter_map(|a| a.parse().ok()).collect();
        if acks.len() != run.acks.len() || acks.iter().zip(done..).any(|(ack, n)| *ack != n) {
            fail(
                &mut summary,
                format!(
                    "the child resumed at op {done} but acknowledged {:?}",
                    run.acks
                ),
            );
            break;
        }
        // Ops done..acked were acknowledged by this child.
        let acked = done + acks.len() as u64;
        let mut generator = Workload::new(seed);
        let mut new_commits = 0u64;
        for index in 0..acked {
            let op = generator.next_op();
            new_commits += u64::from(index >= done && op.commits());
            generator.commit(&op);
        }
        let expected = generator.model.clone();
        let in_doubt = generator.next_op();
        let mut with_doubt = expected.clone();
        workload::apply(&mut with_doubt, &in_doubt);
        let found = match read_table(&dir, acked) {
            Ok(found) => found,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        if found == with_doubt {
            done = acked + 1;
        } else if found == expected {
            done = acked;
        } else {
            fail(
                &mut summary,
                format!(
                    "after {acked} acknowledged ops found {} rows, expected {}: {} (op {acked}, \
                     in doubt, would be {in_doubt:?})",
                    found.len(),
                    expected.len(),
                    difference(&found, &expected)
                ),
            );
            break;
        }
        summary.commits_verified += new_commits;
        summary.cycles += 1;
    }
    summary.notes = format!(
        "commits verified: distinct acknowledged commits, each counted once; {}",
        tally.notes()
    );
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// The rows `found` lacks, has beyond, or holds with another value than `expected`.
fn difference(found: &workload::Model, expected: &workload::Model) -> String {
    let missing: Vec<(&i64, &i64)> = expected
        .iter()
        .filter(|(id, _)| !found.contains_key(id))
        .collect();
    let beyond: Vec<(&i64, &i64)> = found
        .iter()
        .filter(|(id, _)| !expected.contains_key(id))
        .collect();
    let changed: Vec<(&i64, &i64)> = found
        .iter()
        .filter(|(id, v)| expected.get(id).is_some_and(|e| e != *v))
        .collect();
    format!("missing {missing:?}, beyond {beyond:?}, other values {changed:?}")
}

/// Reopens the directory and reads `t` (absent only if nothing was acknowledged yet).
fn read_table(dir: &Path, acked: u64) -> Result<workload::Model, String> {
    let db = Database::open(dir).map_err(|e| format!("reopen after kill failed: {e}"))?;
    match workload::read_model(&db.connect()) {
        Ok(found) => Ok(found),
        Err(e) if e.kind() == ErrorKind::NotFound && acked == 0 => Ok(Default::default()),
        Err(e) => Err(format!("reading t failed: {e}")),
    }
}

/// The child of `kill`: fast-forwards the workload past `resume` ops, then runs it until
/// the kill, printing `ack N` after each op N returns (`ckpt begin`/`ckpt end` around its
/// CHECKPOINTs). Broken with `drop-commit`, it rolls back the first op that commits and
/// acknowledges it all the same.
pub fn child_kill(dir: &Path, seed: u64, resume: u64) -> ember::Result<()> {
    let db = kill_child::open(dir, ember::Options::new().checkpoint_bytes(8 << 10))?;
    let conn = db.connect();
    if db.catalog().table("t").is_none() {
        conn.execute(workload::SCHEMA, ())?;
    }
    let mut generator = Workload::new(seed);
    for _ in 0..resume {
        let op = generator.next_op();
        generator.commit(&op);
    }
    let mut drop_one = kill_child::broken().as_deref() == Some("drop-commit");
    for index in resume.. {
        let op = generator.next_op();
        if matches!(op, Op::Checkpoint) {
            kill_child::checkpoint(&conn);
        } else {
            let rollback = drop_one && op.commits();
            drop_one &= !rollback;
            workload::run(&conn, &op, rollback)?;
        }
        generator.commit(&op);
        kill_child::say(format_args!("ack {index}"));
    }
    Ok(())
}
