//! `evict-powerloss`: a cache table's evictions under a power loss, in-process on the
//! simulated file system. The writer of `evict_model` runs on `SimVfs` under
//! `SyncPolicy::Always` with automatic checkpoints every 16 KiB until the power goes at a
//! seeded file operation (every later one fails; the writer stops at its first error); the
//! disk keeps unsynced data as `SimVfs::crash` or, every other cycle, `crash_out_of_order`
//! leaves it. Then `evict_model::check` runs on the reopened file system, from an empty
//! baseline.

use std::collections::BTreeSet;
use std::sync::Arc;

use ember::{Database, Options};
use ember_storage::vfs::SimVfs;

use super::evict_model;
use super::power_loss::{self, PowerLoss};
use super::Summary;

const DIR: &str = "/db";
const OPS: i64 = 150;

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

/// Runs the writer until its first error or `OPS` ops; returns its `ack` lines' fields.
fn run(vfs: &SimVfs, seed: u64) -> Vec<String> {
    let mut acks = Vec::new();
    let Ok(db) = open(vfs, evict_model::options()) else {
        return acks;
    };
    let conn = db.connect();
    if conn.execute(&evict_model::schema(seed), ()).is_ok() {
        if let Ok(base) = evict_model::evicted(&conn) {
            acks.push(format!("b {base}"));
            for k in 0..OPS {
                let mut say = |line: String| acks.push(line);
                if evict_model::run_op(&conn, k, &mut say).is_err() {
                    break;
                }
            }
        }
    }
    drop(conn);
    db.drop_as_if_crashed();
    acks
}

pub fn evict_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("evict-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let total_ops = power_loss::ops_of(seed, run);
    let mut evictions = 0;
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome: acks,
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        let reopen = || open(&vfs, evict_model::options());
        let checked = evict_model::parse(&acks).and_then(|parsed| {
            evict_model::check(&reopen, &BTreeSet::new(), &parsed)?;
            Ok(parsed)
        });
        match checked {
            Ok(parsed) => {
                summary.commits_verified += parsed.acked.len() as u64;
                if let (Some(base), Some((_, after))) = (parsed.base, parsed.acked.last()) {
                    evictions += after - base;
                }
            }
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary.notes = format!("acknowledged evictions {evictions}");
    summary
}
