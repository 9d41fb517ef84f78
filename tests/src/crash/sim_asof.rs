//! `asof-powerloss`: reads of the past under a power loss, in-process on the simulated file
//! system. One writer runs the `asof` mode's ops (`asof_model`) on `SimVfs` under
//! `SyncPolicy::Always` with automatic checkpoints every 8 KiB; after each op it reads AS OF
//! two earlier acknowledged commits of the run (one of the newest four, one at random) and
//! compares them with the model. The power goes at a seeded file operation (every later one
//! fails; the writer stops at its first error), the disk keeps unsynced data as
//! `SimVfs::crash` or, every other cycle, `crash_out_of_order` leaves it. Then the parent's
//! check of the `asof` mode (`asof_model::check_reopened`) runs on the reopened file system.

use std::sync::Arc;

use ember::{Database, Options, SyncPolicy};
use ember_storage::vfs::SimVfs;

use super::asof_model::{self as model, AsOfTally, Model, State};
use super::power_loss::{self, PowerLoss};
use super::Summary;

const DIR: &str = "/db";
const OPS: u64 = 300;

fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(8 << 10)
        .wal_segment_bytes(4 << 10)
}

fn open(vfs: &SimVfs) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options(), Arc::new(vfs.clone()))
}

/// Runs the writer until its first error or `OPS` ops; returns its `ack` lines' fields, or
/// the first AS OF read that differed from the model.
fn run(vfs: &SimVfs, seed: u64) -> Result<Vec<String>, String> {
    let mut acks = Vec::new();
    let Ok(db) = open(vfs) else {
        return Ok(acks);
    };
    let conn = db.connect();
    let opened = match conn.execute(model::SCHEMA, ()) {
        Ok(_) => model::newest_commit(&conn).ok(),
        Err(_) => None,
    };
    if let Some(opened) = opened {
        acks.push(format!("o {opened}"));
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut state = State::new();
        // The table is new: the commit it was opened at is not readable AS OF.
        let mut commits: Vec<(u64, State)> = Vec::new();
        let mut reads = 0;
        for seq in 0..OPS {
            acks.push(format!("p {seq}"));
            let Ok(commit) = model::run_op(&conn, seed, seq) else {
                break;
            };
            model::apply(&mut state, &model::plan(seed, seq));
            commits.push((commit, state.clone()));
            acks.push(format!("d {seq} {commit}"));
            let len = commits.len();
            for pick in [rng.usize(len.saturating_sub(4)..len), rng.usize(..len)] {
                let (commit, state) = &commits[pick];
                reads += model::check_past(&conn, *commit, state)
                    .map_err(|e| format!("before the power loss, after op {seq}: {e}"))?;
            }
            acks.push(format!("r {reads}"));
        }
    }
    drop(conn);
    db.drop_as_if_crashed();
    Ok(acks)
}

pub fn asof_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("asof-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = AsOfTally::default();
    let total_ops = power_loss::ops_of(seed, run);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome: acks,
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        let checked = acks.and_then(|acks| model::parse(&acks)).and_then(|acks| {
            let db = open(&vfs).map_err(|e| format!("reopen failed: {e}"))?;
            let mut past = Model::default();
            model::check_reopened(&db.connect(), seed, &mut past, &acks, &mut tally)?;
            Ok(acks.done.len() as u64)
        });
        match checked {
            Ok(acked) => summary.commits_verified += acked,
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary.notes = tally.notes();
    summary
}
