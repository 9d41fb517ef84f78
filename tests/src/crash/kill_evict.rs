//! The `evict` mode: a cache table's evictions under SIGKILL. A child process runs the
//! writer of `evict_model` (inserts into `c WITH (max_memory = '64kB', on_full =
//! 'evict_lru' | 'evict_lfu')`, acknowledging each commit with the evictions it made) under
//! `SyncPolicy::Always`, beside a checkpointer thread running `CHECKPOINT` 0-5 ms apart; the
//! parent kills it at a random moment, reopens the directory and runs `evict_model::check`
//! (rows only from inserts, the last acknowledged insert there, the row count exactly what
//! the acknowledged inserts and evictions leave, the table within its budget, and a second
//! reopen reading the same rows). The rows found are the next cycle's baseline.
//!
//! The child side is `child_evict`.

use std::collections::BTreeSet;
use std::path::Path;

use ember::Database;

use super::evict_model;
use super::kill_child::{self, KillTally};
use super::Summary;

pub fn evict(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("evict");
    let dir = kill_child::scratch_dir("evict", seed);
    let _ = std::fs::remove_dir_all(&dir);
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = KillTally::default();
    let mut baseline: BTreeSet<i64> = BTreeSet::new();
    let mut next_op = 0i64;
    let mut evictions = 0i64;
    for cycle in 0..cycles {
        let fail = |summary: &mut Summary, detail: String| {
            let note = kill_child::broken_note();
            summary.fail_after(seed, cycle + 1, format!("cycle {cycle}: {detail}{note}"));
        };
        let run = match tally.run_and_count(
            &mut summary,
            "evict",
            &dir,
            seed,
            &next_op.to_string(),
            &mut rng,
        ) {
            Ok(run) => run,
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        };
        let open = || Database::open_with(&dir, evict_model::options());
        let checked = evict_model::parse(&run.acks)
            .and_then(|parsed| Ok((evict_model::check(&open, &baseline, &parsed)?, parsed)));
        match checked {
            Ok((found, parsed)) => {
                summary.commits_verified += parsed.acked.len() as u64;
                if let (Some(base), Some((_, after))) = (parsed.base, parsed.acked.last()) {
                    evictions += after - base;
                }
                next_op = parsed.next_op(next_op);
                baseline = found;
            }
            Err(detail) => {
                fail(&mut summary, detail);
                break;
            }
        }
        summary.cycles += 1;
    }
    summary.notes = format!(
        "acknowledged evictions {evictions}, rows in the table at the end {}; {}",
        baseline.len(),
        tally.notes()
    );
    let _ = std::fs::remove_dir_all(&dir);
    summary
}

/// The child of `evict`: `resume` is the first op to run.
pub fn child_evict(dir: &Path, seed: u64, resume: &str) -> ember::Result<()> {
    let first: i64 = resume.parse().unwrap_or(0);
    let db = kill_child::open(dir, evict_model::options())?;
    let conn = db.connect();
    conn.execute(&evict_model::schema(seed), ())?;
    kill_child::say(format_args!("ack b {}", evict_model::evicted(&conn)?));
    std::thread::scope(|scope| {
        let checkpointer = db.clone();
        scope.spawn(move || kill_child::checkpoint_forever(&checkpointer, seed));
        for k in first.. {
            let mut say = |line: String| kill_child::say(format_args!("ack {line}"));
            if let Err(error) = evict_model::run_op(&conn, k, &mut say) {
                kill_child::say(format_args!("error op {k}: {error}"));
                return;
            }
        }
    });
    Ok(())
}
