//! `powerloss-group`: a power loss while several threads commit at once under
//! `SyncPolicy::Always` (group commit shares fsyncs) and automatic checkpoints race them
//! (a tiny `checkpoint_bytes`). The power goes at a seeded file operation (every later one
//! fails), then the disk keeps unsynced sectors out of order (`SimVfs::crash_out_of_order`).
//! On reopen every acknowledged commit of every thread must be there, and nothing that was
//! never attempted.

use std::collections::BTreeSet;
use std::sync::{Arc, Mutex};

use ember::{Database, ErrorKind, Options, SyncPolicy};
use ember_storage::vfs::{Fault, FaultKind, SimVfs};

use super::Summary;

const DIR: &str = "/db";
const THREADS: i64 = 3;
const COMMITS_PER_THREAD: i64 = 40;

fn options() -> Options {
    Options::new()
        .sync_policy(SyncPolicy::Always)
        .checkpoint_bytes(2 << 10)
        .wal_segment_bytes(1 << 10)
}

/// What the threads did: ids acknowledged, ids attempted.
#[derive(Default)]
struct Outcome {
    acked: BTreeSet<i64>,
    attempted: BTreeSet<i64>,
    schema: bool,
}

fn run_threads(vfs: &SimVfs) -> Outcome {
    let outcome = Mutex::new(Outcome::default());
    let Ok(db) = Database::open_with_vfs(DIR, options(), Arc::new(vfs.clone())) else {
        return outcome.into_inner().unwrap_or_default();
    };
    if db
        .connect()
        .execute("CREATE TABLE g(id INT PRIMARY KEY, thread INT)", ())
        .is_err()
    {
        db.drop_as_if_crashed();
        return outcome.into_inner().unwrap_or_default();
    }
    outcome.lock().unwrap_or_else(|p| p.into_inner()).schema = true;
    std::thread::scope(|scope| {
        for thread in 0..THREADS {
            let db = db.clone();
            let outcome = &outcome;
            scope.spawn(move || {
                let conn = db.connect();
                for n in 0..COMMITS_PER_THREAD {
                    let id = thread * 1000 + n;
                    outcome
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .attempted
                        .insert(id);
                    if conn
                        .execute("INSERT INTO g VALUES (?, ?)", (id, thread))
                        .is_err()
                    {
                        return;
                    }
                    outcome
                        .lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .acked
                        .insert(id);
                }
            });
        }
    });
    db.drop_as_if_crashed();
    outcome.into_inner().unwrap_or_default()
}

fn verify(vfs: &SimVfs, outcome: &Outcome) -> Result<(), String> {
    let db = Database::open_with_vfs(DIR, options(), Arc::new(vfs.clone()))
        .map_err(|e| format!("reopen failed: {e}"))?;
    let rows = match db.connect().query("SELECT id FROM g", ()) {
        Ok(rows) => rows,
        Err(e) if e.kind() == ErrorKind::NotFound && !outcome.schema => return Ok(()),
        Err(e) => return Err(format!("reading g failed: {e}")),
    };
    let mut found = BTreeSet::new();
    for row in rows {
        found.insert(row.get::<i64>(0).map_err(|e| e.to_string())?);
    }
    let lost: Vec<&i64> = outcome.acked.difference(&found).collect();
    let invented: Vec<&i64> = found.difference(&outcome.attempted).collect();
    if !lost.is_empty() || !invented.is_empty() {
        return Err(format!(
            "{} acknowledged commits: lost {lost:?}, never attempted {invented:?}",
            outcome.acked.len()
        ));
    }
    Ok(())
}

pub fn powerloss_group(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("powerloss-group");
    let mut rng = fastrand::Rng::with_seed(seed);
    let total_ops = {
        let vfs = SimVfs::new();
        run_threads(&vfs);
        vfs.ops()
    };
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let at_op = rng.u64(0..total_ops.max(1));
        let vfs = SimVfs::new();
        vfs.set_fault(Some(Fault {
            at_op,
            kind: FaultKind::Eio,
            persistent: true,
        }));
        let outcome = run_threads(&vfs);
        vfs.crash_out_of_order(seed ^ at_op);
        summary.faults_injected += 1;
        match verify(&vfs, &outcome) {
            Ok(()) => summary.commits_verified += outcome.acked.len() as u64,
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    summary
}
