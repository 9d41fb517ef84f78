//! `backup-powerloss`: online backups under a power loss, in-process on the simulated file
//! system. The `backup` mode's two writer threads (`backup_model`, 60 commits each) commit
//! under `SyncPolicy::Always` with automatic checkpoints, while a backup thread takes
//! `Database::backup_to` again and again and writes each through the file system as a
//! backup tool would: `/bk/b0-K.tmp` appended in 4 KiB pieces, synced, renamed to
//! `b0-K.bak`, the directory synced, and only then noted as finished (with its commit and
//! the bounds of the `backup` mode). The power goes at a seeded file operation (every later
//! one fails; each thread stops at its first error), then the disk keeps unsynced data as
//! `SimVfs::crash` or, every other cycle, `crash_out_of_order` leaves it: a backup not yet
//! synced may be a torn prefix or hold zeroed or garbage sectors. The checks are the
//! `backup` mode's (`kill_backup::check_directory`, `check_backups`): the directory holds
//! every acknowledged commit, every finished backup restores to one commit's state, and any
//! other backup file restores to one or is refused with `Corruption`.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ember::Database;
use ember_storage::vfs::{SimVfs, Vfs};

use super::backup_model::{Models, THREADS};
use super::kill_backup::{self, BackupTally, Bounds, Reported};
use super::power_loss::{self, PowerLoss};
use super::{kill_child, Summary};

const DIR: &str = "/db";
const BACKUPS: &str = "/bk";
const COMMITS: u64 = 60;

fn open(vfs: &SimVfs) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, kill_backup::options(), Arc::new(vfs.clone()))
}

/// What a run got done: each thread's acknowledged commits, the finished backups.
#[derive(Default)]
struct Outcome {
    acked: [u64; THREADS],
    reported: BTreeMap<u64, Reported>,
}

/// Writes one backup through the file system; returns its commit once it is durable.
fn write_backup(vfs: &SimVfs, db: &Database, k: u64) -> Result<u64, String> {
    let mut bytes = Vec::new();
    let info = db.backup_to(&mut bytes).map_err(|e| e.to_string())?;
    let dir = Path::new(BACKUPS);
    let (tmp, bak) = (
        dir.join(format!("b0-{k}.tmp")),
        dir.join(format!("b0-{k}.bak")),
    );
    let io = |e: std::io::Error| e.to_string();
    vfs.write_new(&tmp, &[]).map_err(io)?;
    for piece in bytes.chunks(4096) {
        vfs.append(&tmp, piece).map_err(io)?;
    }
    vfs.sync(&tmp).map_err(io)?;
    vfs.rename(&tmp, &bak).map_err(io)?;
    vfs.sync_dir(dir).map_err(io)?;
    Ok(info.commit)
}

fn run(vfs: &SimVfs, seed: u64) -> Outcome {
    let mut outcome = Outcome::default();
    let Ok(db) = open(vfs) else { return outcome };
    if kill_backup::setup(&db.connect()).is_err() || vfs.create_dir_all(Path::new(BACKUPS)).is_err()
    {
        db.drop_as_if_crashed();
        return outcome;
    }
    let acked: [AtomicU64; THREADS] = Default::default();
    let started: [AtomicU64; THREADS] = Default::default();
    let writing = AtomicBool::new(true);
    let reported = Mutex::new(BTreeMap::new());
    std::thread::scope(|scope| {
        let writers: Vec<_> = (0..THREADS)
            .map(|thread| {
                let (db, acked, started) = (db.clone(), &acked[thread], &started[thread]);
                scope.spawn(move || {
                    let conn = db.connect();
                    for k in 0..COMMITS {
                        started.store(k + 1, Ordering::SeqCst);
                        if kill_backup::commit(&conn, seed, thread, k).is_err() {
                            return;
                        }
                        acked.store(k + 1, Ordering::SeqCst);
                    }
                })
            })
            .collect();
        let (db_b, acked, started, writing, reported) =
            (db.clone(), &acked, &started, &writing, &reported);
        scope.spawn(move || {
            for k in 0u64.. {
                if !writing.load(Ordering::SeqCst) {
                    return;
                }
                let lo = acked.each_ref().map(|n| n.load(Ordering::SeqCst));
                let Ok(commit) = write_backup(vfs, &db_b, k) else {
                    return;
                };
                let hi = started.each_ref().map(|n| n.load(Ordering::SeqCst));
                let backup = Reported { commit, lo, hi };
                reported
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .insert(k, backup);
            }
        });
        for writer in writers {
            let _ = writer.join();
        }
        writing.store(false, Ordering::SeqCst);
    });
    db.drop_as_if_crashed();
    outcome.acked = acked.map(AtomicU64::into_inner);
    outcome.reported = reported.into_inner().unwrap_or_else(|p| p.into_inner());
    outcome
}

pub fn backup_powerloss(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("backup-powerloss");
    let mut rng = fastrand::Rng::with_seed(seed);
    let mut tally = BackupTally::default();
    let total_ops = power_loss::ops_of(seed, run);
    let scratch = kill_child::scratch_dir("backup-powerloss", seed);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let PowerLoss {
            vfs,
            at_op,
            outcome,
        } = power_loss::lose_power(&mut rng, total_ops, cycle, seed, run);
        summary.faults_injected += 1;
        match check(&vfs, seed, &outcome, &scratch, &mut tally) {
            Ok(()) => summary.commits_verified += outcome.acked.iter().sum::<u64>(),
            Err(detail) => summary.fail(seed, format!("power lost at op {at_op}: {detail}")),
        }
        summary.cycles += 1;
    }
    let _ = std::fs::remove_dir_all(&scratch);
    summary.notes = tally.notes();
    summary
}

/// The directory, then every backup file the disk kept (copied out to `scratch`, where the
/// `backup` mode's check restores them).
fn check(
    vfs: &SimVfs,
    seed: u64,
    outcome: &Outcome,
    scratch: &Path,
    tally: &mut BackupTally,
) -> Result<(), String> {
    let mut models = Models::new(seed);
    let reopen = || open(vfs);
    let found = kill_backup::check_directory(&reopen, &mut models, &outcome.acked)?;
    let _ = std::fs::remove_dir_all(scratch);
    std::fs::create_dir_all(scratch).map_err(|e| e.to_string())?;
    for name in vfs.list(Path::new(BACKUPS)).unwrap_or_default() {
        let bytes = vfs
            .read(&Path::new(BACKUPS).join(&name))
            .map_err(|e| format!("reading {BACKUPS}/{name}: {e}"))?;
        std::fs::write(scratch.join(&name), bytes).map_err(|e| e.to_string())?;
    }
    let bounds = Bounds {
        start: [0; THREADS],
        end: found,
        reported: &outcome.reported,
    };
    kill_backup::check_backups(scratch, 0, &mut models, &bounds, tally)
}
