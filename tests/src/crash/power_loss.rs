//! The power-loss cycle the in-process `*-powerloss` modes share (`sim_asof`, `sim_backup`,
//! `sim_evict`, `sim_ttl`): a fault-free run counts the workload's file operations, then each
//! cycle runs it on a fresh `SimVfs` whose every operation from a seeded one on fails, and
//! loses the power, keeping unsynced data as `SimVfs::crash` leaves it or, every other
//! cycle, as `crash_out_of_order` does.

use ember_storage::vfs::{Fault, FaultKind, SimVfs};

/// File operations one fault-free run of `run` with `seed` makes: the range the power loss
/// of each cycle is drawn from.
pub fn ops_of<T>(seed: u64, run: impl FnOnce(&SimVfs, u64) -> T) -> u64 {
    let vfs = SimVfs::new();
    let _ = run(&vfs, seed);
    vfs.ops()
}

/// One cycle's file system after the power loss, where it struck, and what `run` returned.
pub struct PowerLoss<T> {
    pub vfs: SimVfs,
    pub at_op: u64,
    pub outcome: T,
}

/// Runs `run` (with the cycle's `seed`) until the power goes at a file operation drawn from
/// `rng` below `total_ops` (every later operation fails), then crashes the file system.
pub fn lose_power<T>(
    rng: &mut fastrand::Rng,
    total_ops: u64,
    cycle: u64,
    seed: u64,
    run: impl FnOnce(&SimVfs, u64) -> T,
) -> PowerLoss<T> {
    let at_op = rng.u64(0..total_ops.max(1));
    let vfs = SimVfs::new();
    vfs.set_fault(Some(Fault {
        at_op,
        kind: FaultKind::Eio,
        persistent: true,
    }));
    let outcome = run(&vfs, seed);
    if cycle.is_multiple_of(2) {
        vfs.crash(seed ^ at_op);
    } else {
        vfs.crash_out_of_order(seed ^ at_op);
    }
    PowerLoss {
        vfs,
        at_op,
        outcome,
    }
}
