//! `ttl-powerloss`: row expiry under a power loss, in-process on the simulated file system.
//! One writer runs the `ttl` mode's ops (`ttl_model`) on `SimVfs` under `SyncPolicy::Always`
//! with automatic checkpoints every 8 KiB, a manual clock moving 5 ms per op (2 ms of real
//! time apart, so the collector's sweep, every pass, deletes expired rows as it goes), and
//! after each op notes `ember_tables.rows_expired`. The power goes at a seeded file
//! operation (every later one fails; the writer stops at its first error), the disk keeps
//! unsynced data as `SimVfs::crash` or, every other cycle, `crash_out_of_order` leaves it.
//! Then the `ttl` mode's two checks (`kill_ttl::check_rows`, `check_sweep`) run on the
//! reopened file system with NOW the clock at the power loss.

use std::sync::Arc;
use std::time::Duration;

use ember::{Database, Options, WallClock};
use ember_storage::vfs::SimVfs;

use super::kill_ttl::{self, TtlTally};
use super::power_loss::{self, PowerLoss};
use super::ttl_model;
use super::Summary;

const DIR: &str = "/db";
const OPS: u64 = 400;
/// The manual clock's start: 2033-05-18, unix milliseconds.
const START_MS: i64 = 2_000_000_000_000;

fn open(vfs: &SimVfs, options: Options) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options, Arc::new(vfs.clone()))
}

/// Runs the writer until its first error or `OPS` ops; returns its `ack` lines' fields and
/// the clock at the end.
fn run(vfs: &SimVfs, seed: u64) -> (Vec<String>, i64) {
    let clock = WallClock::manual(START_MS);
    let mut acks = Vec::new();
    let options = kill_ttl::options()
        .clock(clock.clone())
        .ttl_sweep_interval(Duration::from_millis(10));
    let Ok(db) = open(vfs, options) else {
        return (acks, clock.now_ms());
    };
    let conn = db.connect();
    if conn.execute_batch(kill_ttl::SCHEMA).is_ok() {
        let mut swept = 0;
        for index in 0..OPS {
            clock.set_ms(clock.now_ms() + 5);
            let mut say = |line: String| acks.push(line);
            let now = || clock.now_ms();
            if kill_ttl::run_op(&conn, seed, (0, index), &now, &mut say).is_err() {
                break;
            }
            let sql = "SELECT sum(rows_expired) FROM ember_tables WHERE name IN ('t', 'd')";
            if let Ok(now) = conn.query_value::<i64>(sql, ()) {
                if now != swept {
                    acks.push(format!("s {now}"));
                    swept = now;
                }
            }
            std::thread::sleep(Duration::from_millis(2));
        }
    }
    drop(conn);
    db.drop_as_if_crashed();
    (acks, clock.now_ms())
}

pub fn ttl_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("ttl-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = TtlTally::default();
    let total_ops = power_loss::ops_of(seed, run);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome: (acks, now),
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        let reopen = |options: Options| open(&vfs, options);
        let checked = ttl_model::parse(&acks, &[0]).and_then(|(ops, swept)| {
            let empty = Default::default();
            let found = kill_ttl::check_rows(&reopen, &empty, &ops, swept, now, &mut tally)?;
            kill_ttl::check_sweep(&reopen, &found, now, &mut tally)?;
            Ok(ops)
        });
        match checked {
            Ok(ops) => {
                for op in &ops {
                    let acked = op.changed.is_some() && !op.conflict;
                    summary.commits_verified += u64::from(acked);
                    tally.no_ops += u64::from(acked && op.changed == Some(0));
                }
            }
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary.notes = tally.notes();
    summary
}
