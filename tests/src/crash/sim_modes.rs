//! Crash modes over the simulated file system (`SimVfs`), all in-process and deterministic
//! per seed: `powerloss` (a power loss before every file operation of a fixed workload,
//! unsynced writes dropped or torn), `ioerr` (each operation failing in turn with EIO or
//! ENOSPC, transient and persistent), `truncate` (the WAL cut at every byte offset) and
//! `bitflip` (single bits flipped in WAL and snapshot files).

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;
use std::sync::Arc;

use ember::{Database, ErrorKind, Options};
use ember_storage::vfs::{Fault, FaultKind, SimVfs, Vfs};
use ember_storage::wal::record::WalRecord;
use ember_storage::wal::WAL_MAGIC;

use super::workload::{self, Model, Op, Workload};
use super::Summary;

pub(super) const DIR: &str = "/db";
const OPS_PER_RUN: usize = 12;

pub(super) fn options() -> Options {
    Options::new().checkpoint_bytes(600).wal_segment_bytes(400)
}

pub(super) fn open(vfs: &SimVfs) -> ember::Result<Database> {
    Database::open_with_vfs(DIR, options(), Arc::new(vfs.clone()))
}

/// The fixed workload of a seed, and the model after each prefix of it.
pub(super) fn plan(seed: u64, checkpoints: bool) -> (Vec<Op>, Vec<Model>) {
    let mut generator = Workload::new(seed, checkpoints);
    let mut models = vec![Model::new()];
    let ops: Vec<Op> = (0..OPS_PER_RUN)
        .map(|_| {
            let op = generator.next_op();
            generator.commit(&op);
            models.push(generator.model.clone());
            op
        })
        .collect();
    (ops, models)
}

/// How far a run got: the schema acknowledged, ops acknowledged, and the op in doubt.
pub(super) struct Progress {
    pub(super) schema: bool,
    pub(super) acked: usize,
}

/// Runs the workload until the first error; the database is then dropped as in a crash.
pub(super) fn run(vfs: &SimVfs, ops: &[Op]) -> Progress {
    let mut progress = Progress {
        schema: false,
        acked: 0,
    };
    let Ok(db) = open(vfs) else { return progress };
    let mut conn = db.connect();
    if conn.execute(workload::SCHEMA, ()).is_ok() {
        progress.schema = true;
        for op in ops {
            if workload::run(&mut conn, op).is_err() {
                break;
            }
            progress.acked += 1;
        }
    }
    drop(conn);
    db.drop_as_if_crashed();
    progress
}

/// Reopens and checks the table holds the acknowledged prefix (or that plus the op in doubt).
fn verify(vfs: &SimVfs, progress: &Progress, models: &[Model]) -> Result<(), String> {
    let db = open(vfs).map_err(|e| format!("reopen failed: {e}"))?;
    let mut conn = db.connect();
    let found = match workload::read_model(&mut conn) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound && !progress.schema => return Ok(()),
        Err(e) => return Err(format!("reading t failed: {e}")),
    };
    let acked = &models[progress.acked];
    let in_doubt = models.get(progress.acked + 1);
    if &found == acked || Some(&found) == in_doubt {
        Ok(())
    } else {
        Err(format!(
            "after {} acknowledged ops the table holds {found:?}, expected {acked:?}{}",
            progress.acked,
            in_doubt.map_or(String::new(), |m| format!(" or {m:?}"))
        ))
    }
}

/// Operations a whole fault-free run takes.
fn total_ops(ops: &[Op]) -> u64 {
    let vfs = SimVfs::new();
    run(&vfs, ops);
    vfs.ops()
}

pub fn powerloss(seed: u64, cycles: u64) -> Summary {
    powerloss_losing_syncs_of(seed, cycles, None)
}

/// `powerloss` on a file system whose syncs of files named like `lost_syncs` do nothing
/// (see `SimVfs::lose_syncs_of`): the harness's own check, since a WAL that is never fsynced
/// must show up as lost acknowledged commits.
pub fn powerloss_losing_syncs_of(seed: u64, cycles: u64, lost_syncs: Option<&str>) -> Summary {
    let mut summary = Summary::new("powerloss");
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        for at_op in 0..total_ops(&ops) {
            let vfs = SimVfs::new();
            vfs.lose_syncs_of(lost_syncs);
            vfs.set_fault(Some(Fault {
                at_op,
                kind: FaultKind::Eio,
                persistent: true,
            }));
            let progress = run(&vfs, &ops);
            vfs.crash(seed ^ at_op.rotate_left(17));
            summary.faults_injected += 1;
            match verify(&vfs, &progress, &models) {
                Ok(()) => summary.commits_verified += progress.acked as u64,
                Err(detail) => {
                    summary.fail(seed, format!("powerloss before op {at_op}: {detail}"));
                    break;
                }
            }
        }
        summary.cycles += 1;
    }
    summary
}

pub fn ioerr(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("ioerr");
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        for at_op in 0..total_ops(&ops) {
            for persistent in [false, true] {
                let vfs = SimVfs::new();
                let kind = if at_op % 2 == 0 {
                    FaultKind::Eio
                } else {
                    FaultKind::Enospc
                };
                vfs.set_fault(Some(Fault {
                    at_op,
                    kind,
                    persistent,
                }));
                let progress = run(&vfs, &ops);
                summary.faults_injected += vfs.faults_injected();
                vfs.set_fault(None);
                // The failed process's lock dies with it; a crash also drops unsynced data.
                vfs.crash(seed ^ at_op);
                if let Err(detail) = verify(&vfs, &progress, &models) {
                    let how = if persistent {
                        "persistent"
                    } else {
                        "transient"
                    };
                    summary.fail(seed, format!("{how} {kind:?} at op {at_op}: {detail}"));
                    break;
                }
                summary.commits_verified += progress.acked as u64;
            }
        }
        summary.cycles += 1;
    }
    summary
}

/// Every file of a finished run (name, bytes), and the models of its workload.
fn finished_files(seed: u64, checkpoints: bool) -> (Vec<(String, Vec<u8>)>, Vec<Model>) {
    let (ops, models) = plan(seed, checkpoints);
    let vfs = SimVfs::new();
    let progress = run(&vfs, &ops);
    debug_assert_eq!(progress.acked, ops.len());
    let dir = Path::new(DIR);
    let files = vfs
        .list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name != "LOCK" && name != "ember.log")
        .filter_map(|name| Some((name.clone(), vfs.read(&dir.join(&name)).ok()?)))
        .collect();
    (files, models)
}

pub(super) fn install(files: &[(String, Vec<u8>)]) -> SimVfs {
    let vfs = SimVfs::new();
    let dir = Path::new(DIR);
    vfs.create_dir_all(dir).expect("sim");
    for (name, bytes) in files {
        vfs.write_new(&dir.join(name), bytes).expect("sim");
        vfs.sync(&dir.join(name)).expect("sim");
    }
    vfs.sync_dir(dir).expect("sim");
    vfs
}

/// Opens damaged files: Ok(the table found) or Err(error kind); a panic is an outer Err.
pub(super) fn open_damaged(vfs: &SimVfs) -> Result<Result<Model, ErrorKind>, String> {
    let outcome = catch_unwind(AssertUnwindSafe(|| match open(vfs) {
        Err(error) => Ok(Err(error.kind())),
        Ok(db) => {
            let found = match workload::read_model(&mut db.connect()) {
                Ok(found) => found,
                Err(e) if e.kind() == ErrorKind::NotFound => Model::new(),
                Err(e) => return Err(format!("reading t failed: {e}")),
            };
            Ok(Ok(found))
        }
    }));
    outcome.unwrap_or_else(|_| Err("panicked".to_string()))
}

/// Whether `op` leaves a commit record in the log.
fn commits(op: &Op) -> bool {
    !matches!(op, Op::RolledBack(_) | Op::Checkpoint)
}

/// The model once the first `commit_records` commit-producing ops took effect.
fn model_after(ops: &[Op], models: &[Model], commit_records: usize) -> Option<Model> {
    if commit_records == 0 {
        return Some(models[0].clone());
    }
    let mut seen = 0;
    for (index, op) in ops.iter().enumerate() {
        if commits(op) {
            seen += 1;
            if seen == commit_records {
                return Some(models[index + 1].clone());
            }
        }
    }
    None
}

fn commit_records(bytes: &[u8]) -> Vec<usize> {
    ember_storage::wal::segment_records(bytes)
        .into_iter()
        .filter(|(_, record)| matches!(record, WalRecord::Commit { .. }))
        .map(|(end, _)| end)
        .collect()
}

/// The last WAL segment of a finished run cut at every byte offset: the open must keep
/// exactly the commits whose records end at or before the cut (a crash can only tear what
/// follows), or refuse a cut inside the header of a segment the snapshot vouches for, or
/// below the length the manifest says was synced.
pub fn truncate(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("truncate");
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (files, models) = finished_files(seed, false);
        let (ops, _) = plan(seed, false);
        let Some(wal) = files.iter().rposition(|(name, _)| name.starts_with("wal-")) else {
            summary.fail(seed, "the run left no WAL segment".into());
            continue;
        };
        // Commits before the last segment: in the snapshot or in earlier segments.
        let total = ops.iter().filter(|op| commits(op)).count();
        let in_last = commit_records(&files[wal].1);
        let before_last = total - in_last.len();
        // What the manifest (written at the last checkpoint) says of this segment was
        // synced: a cut below it is damage, not a torn tail.
        let promised = manifest_promise(&files, &files[wal].0);
        let mut failed = false;
        for cut in 0..=files[wal].1.len() {
            let mut damaged = files.clone();
            damaged[wal].1.truncate(cut);
            summary.faults_injected += 1;
            let kept = before_last + in_last.iter().filter(|end| **end <= cut).count();
            let expected = model_after(&ops, &models, kept);
            let problem = match open_damaged(&install(&damaged)) {
                Ok(Ok(found)) if Some(&found) == expected.as_ref() => continue,
                Ok(Ok(found)) => format!(
                    "table holds {found:?}, expected the {kept} commits before the cut: \
                     {expected:?}"
                ),
                // A segment the snapshot names was synced whole before the snapshot was
                // written: cut inside its header, it is damage, not a torn tail.
                Ok(Err(ErrorKind::Corruption)) if cut < WAL_MAGIC.len() => continue,
                Ok(Err(ErrorKind::Corruption)) if (cut as u64) < promised => continue,
                Ok(Err(kind)) => format!("open failed with {kind:?}"),
                Err(detail) => detail,
            };
            summary.fail(seed, format!("WAL cut at byte {cut}: {problem}"));
            failed = true;
            break;
        }
        if !failed {
            summary.commits_verified += total as u64;
        }
        summary.cycles += 1;
    }
    summary
}

/// How many bytes of segment `name` the manifest among `files` says were synced (0 when it
/// names another segment, or there is none).
fn manifest_promise(files: &[(String, Vec<u8>)], name: &str) -> u64 {
    let manifest = files
        .iter()
        .find(|(file, _)| file == ember_storage::wal::MANIFEST_NAME)
        .and_then(|(_, bytes)| ember_storage::wal::Manifest::decode(bytes).ok());
    match manifest {
        Some(manifest) if ember_storage::wal::segment_name(manifest.segment) == name => {
            manifest.synced_len
        }
        _ => 0,
    }
}

/// Single bits flipped in WAL and snapshot files of a finished run: the open must give every
/// acknowledged commit or a `Corruption` error; only a flip in the last frame of the last
/// segment may read as a torn tail, and then exactly the commits before that frame remain.
pub fn bitflip(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("bitflip");
    let mut rng = fastrand::Rng::with_seed(seed);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (files, models) = finished_files(seed, true);
        let (ops, _) = plan(seed, true);
        let total = ops.iter().filter(|op| commits(op)).count();
        let last_wal = files.iter().rposition(|(name, _)| name.starts_with("wal-"));
        for _ in 0..32 {
            let file = rng.usize(..files.len());
            let bit = rng.usize(..files[file].1.len() * 8);
            let mut damaged = files.clone();
            damaged[file].1[bit / 8] ^= 1 << (bit % 8);
            summary.faults_injected += 1;
            let whole = models.last().cloned();
            // A flip in the last frame of the last segment: the commits before that frame.
            let torn = (Some(file) == last_wal)
                .then(|| {
                    let records = ember_storage::wal::segment_records(&files[file].1);
                    let start = records.iter().rev().nth(1).map_or(WAL_MAGIC.len(), |r| r.0);
                    let last_end = records.last().map_or(0, |r| r.0);
                    let commits_in = commit_records(&files[file].1);
                    let before = total - commits_in.len()
                        + commits_in.iter().filter(|end| **end <= start).count();
                    (bit / 8 >= start && bit / 8 < last_end)
                        .then(|| model_after(&ops, &models, before))
                        .flatten()
                })
                .flatten();
            let name = &files[file].0;
            match open_damaged(&install(&damaged)) {
                Ok(Ok(found)) if Some(&found) == whole.as_ref() => {
                    summary.commits_verified += total as u64;
                }
                Ok(Ok(found)) if Some(&found) == torn.as_ref() => {
                    summary.commits_verified += total as u64 - 1;
                }
                Ok(Ok(found)) => summary.fail(
                    seed,
                    format!("bit {bit} of {name}: table holds {found:?}, not every commit"),
                ),
                Ok(Err(ErrorKind::Corruption)) => {}
                Ok(Err(kind)) => {
                    summary.fail(
                        seed,
                        format!("bit {bit} of {name}: open failed with {kind:?}"),
                    );
                }
                Err(detail) => summary.fail(seed, format!("bit {bit} of {name}: {detail}")),
            }
        }
        summary.cycles += 1;
    }
    summary
}
