//! `serial-bank-powerloss`: the `serial-bank` transfers (`kill_bank.rs`: SERIALIZABLE, each
//! customer's two accounts summing to at least 0) under a power loss, in-process on the
//! simulated file system. Two threads run transfers under `SyncPolicy::Always` with
//! automatic checkpoints every 4 KiB until the power goes at a seeded file operation (every
//! later one fails; each thread stops at its first error other than a refused commit); the
//! disk keeps unsynced data as `SimVfs::crash` or, every other cycle, `crash_out_of_order`
//! leaves it. Then the reopened database gets `serial-bank`'s checks: every acknowledged
//! transfer present, nothing else but each thread's transfer in flight, balances that add
//! up, and every customer's sum at least 0.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use ember::{Database, Options};
use ember_storage::vfs::SimVfs;

use super::kill_bank::{self, Bank};
use super::kill_child;
use super::power_loss::{self, PowerLoss};
use super::Summary;

const DIR: &str = "/db";
/// Threads running transfers, and transfers each attempts at most.
const THREADS: i64 = 2;
const TRANSFERS: i64 = 60;

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

/// What the threads reported: `ack` lines' fields and `fail` ids, as the child prints them.
#[derive(Default)]
struct Lines {
    acks: Vec<String>,
    fails: Vec<String>,
}

/// Runs the transfers until each thread's first error (or `TRANSFERS` each).
fn run(vfs: &SimVfs, seed: u64) -> Lines {
    let lines = Mutex::new(Lines::default());
    let Ok(db) = open(vfs, kill_bank::options()) else {
        return Lines::default();
    };
    if kill_bank::set_up(Bank::Serial, &db.connect()).is_ok() {
        std::thread::scope(|scope| {
            for thread in 0..THREADS {
                let (db, lines) = (&db, &lines);
                scope.spawn(move || {
                    let conn = db.connect();
                    let first = kill_bank::first_id(0, thread);
                    for id in first..first + TRANSFERS {
                        let t = kill_bank::transfer(seed, id);
                        let outcome = kill_bank::run_transfer(Bank::Serial, &conn, id, t, None);
                        let mut lines = lines.lock().unwrap_or_else(|p| p.into_inner());
                        match outcome {
                            Ok(true) => lines
                                .acks
                                .push(format!("{id} {} {} {}", t.from, t.to, t.amount)),
                            Ok(false) => lines.fails.push(id.to_string()),
                            Err(error) if kill_child::expected_error(&error) => {
                                lines.fails.push(id.to_string())
                            }
                            Err(_) => return,
                        }
                    }
                });
            }
        });
    }
    db.drop_as_if_crashed();
    lines.into_inner().unwrap_or_else(|p| p.into_inner())
}

pub fn serial_bank_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("serial-bank-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let total_ops = power_loss::ops_of(seed, run);
    let mut present_total = 0;
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome: lines,
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        let reopen = || open(&vfs, kill_bank::options());
        let checked =
            kill_bank::parse_report(seed, 0, &lines.acks, &lines.fails).and_then(|reported| {
                let present =
                    kill_bank::check(Bank::Serial, &reopen, seed, &BTreeMap::new(), &reported)?;
                Ok((reported, present))
            });
        match checked {
            Ok((reported, present)) => {
                summary.commits_verified += reported.acked.len() as u64;
                present_total += present.len();
            }
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary.notes = format!("transfers present after the power losses: {present_total}");
    summary
}
