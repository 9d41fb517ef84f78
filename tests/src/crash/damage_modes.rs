//! Damage and full-disk modes over the simulated file system. `damage`: after a seeded run
//! (closed cleanly, or crashed), each file of the directory in turn is deleted, emptied or
//! replaced with random bytes; opening must give every acknowledged commit or a `Corruption`
//! error that leaves every file as it was, and salvage must then open it and say what it
//! dropped if it dropped anything. `fulldisk`: the run on a disk of seeded capacity (ENOSPC at
//! whatever write reaches it: commits, segment rolls, checkpoints), a few more commits tried
//! after the first failure, then an open while the disk is still full (every acknowledged
//! commit, read-only if it must), no snapshot temp file left, and an open with room again
//! that takes writes and a checkpoint.

use std::collections::BTreeMap;
use std::path::Path;

use ember::ErrorKind;
use ember_storage::vfs::{SimVfs, Vfs};

use super::sim_modes::{install, open, open_damaged, plan, run, DIR};
use super::workload::{self, Model};
use super::Summary;

/// Every file of the directory, by name.
fn all_files(vfs: &SimVfs) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(DIR);
    vfs.list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter_map(|name| Some((name.clone(), vfs.read(&dir.join(&name)).ok()?)))
        .collect()
}

const DAMAGES: [&str; 3] = ["delete", "empty", "garbage"];

fn damaged(
    files: &BTreeMap<String, Vec<u8>>,
    victim: &str,
    damage: &str,
    rng: &mut fastrand::Rng,
) -> Vec<(String, Vec<u8>)> {
    files
        .iter()
        .filter_map(|(name, bytes)| {
            if name != victim {
                return Some((name.clone(), bytes.clone()));
            }
            match damage {
                "delete" => None,
                "empty" => Some((name.clone(), Vec::new())),
                _ => Some((name.clone(), (0..bytes.len()).map(|_| rng.u8(..)).collect())),
            }
        })
        .collect()
}

pub fn damage(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("damage");
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut corruption, mut intact) = (0u64, 0u64);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        let vfs = SimVfs::new();
        let progress = run(&vfs, &ops);
        if cycle % 2 == 1 {
            // Half the cycles end in a power loss instead of `run`'s crash drop alone.
            vfs.crash(seed);
        }
        let expected = &models[progress.acked];
        let files = all_files(&vfs);
        for victim in files.keys() {
            for kind in DAMAGES {
                summary.faults_injected += 1;
                let files_after = damaged(&files, victim, kind, &mut rng);
                let vfs = install(&files_after);
                let before = all_files(&vfs);
                let what = format!("{kind} {victim}");
                match open_damaged(&vfs) {
                    Ok(Ok(found)) if &found == expected => {
                        intact += 1;
                        summary.commits_verified += progress.acked as u64;
                    }
                    Ok(Ok(found)) => {
                        summary.fail(
                            seed,
                            format!(
                                "{what}: opened with {} rows instead of the {} acknowledged \
                                 (silent loss): {found:?} vs {expected:?}",
                                found.len(),
                                expected.len()
                            ),
                        );
                    }
                    Ok(Err(ErrorKind::Corruption)) => {
                        corruption += 1;
                        if all_files(&vfs) != before {
                            summary.fail(seed, format!("{what}: the failed open changed files"));
                        } else if let Err(detail) = salvage_says_what_it_dropped(&vfs, expected) {
                            summary.fail(seed, format!("{what}: {detail}"));
                        }
                    }
                    Ok(Err(kind)) => summary.fail(seed, format!("{what}: open failed: {kind:?}")),
                    Err(detail) => summary.fail(seed, format!("{what}: {detail}")),
                }
            }
        }
        summary.cycles += 1;
    }
    if summary.failures.is_empty() {
        println!("damage: {corruption} cases refused with Corruption, {intact} opened whole");
    }
    summary
}

/// Salvage must open a directory that gave `Corruption`, and report a loss if it lost data.
fn salvage_says_what_it_dropped(vfs: &SimVfs, expected: &Model) -> Result<(), String> {
    let db = ember::Database::open_with_vfs(
        DIR,
        super::sim_modes::options().salvage(true),
        std::sync::Arc::new(vfs.clone()),
    )
    .map_err(|e| format!("salvage failed: {e}"))?;
    let found = match workload::read_model(&mut db.connect()) {
        Ok(found) => found,
        Err(e) if e.kind() == ErrorKind::NotFound => Model::new(),
        Err(e) => return Err(format!("reading t after salvage failed: {e}")),
    };
    let report = db
        .durability_stats()
        .map(|s| s.recovery)
        .unwrap_or_default();
    if &found != expected && report.salvaged.is_empty() {
        return Err(format!(
            "salvage lost rows ({} of {}) without saying so",
            found.len(),
            expected.len()
        ));
    }
    Ok(())
}

/// Extra rows tried after the workload's first failure: negative ids never collide with it.
const EXTRA_COMMITS: i64 = 3;

pub fn fulldisk(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("fulldisk");
    let mut rng = fastrand::Rng::with_seed(seed);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        let whole = {
            let vfs = SimVfs::new();
            run(&vfs, &ops);
            vfs.used_bytes()
        };
        let capacity = rng.u64(0..=whole + 2048);
        let vfs = SimVfs::new();
        vfs.set_capacity(Some(capacity));
        let progress = run(&vfs, &ops);
        let (acked_extras, tried_extras) = try_extras(&vfs, progress.schema);
        summary.faults_injected += 1;
        if let Some(temp) = all_files(&vfs).keys().find(|name| name.ends_with(".tmp")) {
            summary.fail(seed, format!("capacity {capacity}: {temp} left behind"));
            continue;
        }
        let check = |found: &Model| -> Result<(), String> {
            let (extras, rows): (Model, Model) = found.iter().partition(|(id, _)| **id < 0);
            let in_doubt = models.get(progress.acked + 1);
            if rows != models[progress.acked] && Some(&rows) != in_doubt {
                return Err(format!(
                    "after {} acknowledged ops the table holds {rows:?}",
                    progress.acked
                ));
            }
            let lost: Vec<i64> = acked_extras
                .iter()
                .filter(|id| !extras.contains_key(id))
                .copied()
                .collect();
            let unknown = extras.keys().any(|id| -id > tried_extras);
            if !lost.is_empty() || unknown {
                return Err(format!("extra commits {lost:?} lost or unknown ones found"));
            }
            Ok(())
        };
        // Still full: the open must work (read-only if it must) and show every commit.
        let outcome = read_table(&vfs, progress.schema).and_then(|found| check(&found));
        if let Err(detail) = outcome {
            summary.fail(seed, format!("capacity {capacity}, still full: {detail}"));
            continue;
        }
        vfs.set_capacity(None);
        let outcome = read_table(&vfs, progress.schema)
            .and_then(|found| check(&found))
            .and_then(|()| writes_work(&vfs));
        match outcome {
            Ok(()) => summary.commits_verified += progress.acked as u64,
            Err(detail) => summary.fail(seed, format!("capacity {capacity}, room again: {detail}")),
        }
        summary.cycles += 1;
    }
    summary
}

/// Tries `EXTRA_COMMITS` more inserts; returns the ids acknowledged and how many were tried.
fn try_extras(vfs: &SimVfs, schema: bool) -> (Vec<i64>, i64) {
    let Ok(db) = open(vfs) else {
        return (Vec::new(), 0);
    };
    let conn = db.connect();
    if !schema && conn.execute(workload::SCHEMA, ()).is_err() {
        db.drop_as_if_crashed();
        return (Vec::new(), 0);
    }
    let acked = (1..=EXTRA_COMMITS)
        .filter(|id| conn.execute("INSERT INTO t VALUES (?, 0)", [-id]).is_ok())
        .map(|id| -id)
        .collect();
    drop(conn);
    db.drop_as_if_crashed();
    (acked, EXTRA_COMMITS)
}

/// Opens the directory and reads `t` (empty when the schema may never have been created).
fn read_table(vfs: &SimVfs, schema: bool) -> Result<Model, String> {
    let db = open(vfs).map_err(|e| format!("open failed: {e}"))?;
    let found = match workload::read_model(&mut db.connect()) {
        Ok(found) => Ok(found),
        Err(e) if e.kind() == ErrorKind::NotFound && !schema => Ok(Model::new()),
        Err(e) => Err(format!("reading t failed: {e}")),
    };
    db.drop_as_if_crashed();
    found
}

/// With room again, a write and a checkpoint succeed and survive a reopen.
fn writes_work(vfs: &SimVfs) -> Result<(), String> {
    let db = open(vfs).map_err(|e| format!("open failed: {e}"))?;
    let conn = db.connect();
    let written = conn
        .execute_batch(&format!(
            "{}; INSERT INTO t VALUES (-1000, 1); CHECKPOINT;",
            workload::SCHEMA.replace("CREATE TABLE", "CREATE TABLE IF NOT EXISTS")
        ))
        .map_err(|e| format!("writing failed: {e}"));
    drop(conn);
    drop(db);
    written?;
    let db = open(vfs).map_err(|e| format!("reopen failed: {e}"))?;
    let found = workload::read_model(&mut db.connect()).map_err(|e| e.to_string())?;
    if !found.contains_key(&-1000) {
        return Err("the write after the disk had room again was lost".into());
    }
    Ok(())
}
