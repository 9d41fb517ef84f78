//! Modes over the simulated file system for what salvage and a clean close promise.
//! `salvage-prefix`: after a seeded run, each file of the directory in turn deleted,
//! emptied, replaced with random bytes or cut at a random offset; the plain open must give
//! every acknowledged commit or `Corruption` (changing no file; after a crash, a cut of the
//! last segment may also read as a torn tail and give a prefix), and salvage must then keep
//! exactly the state after some prefix of the acknowledged commits (or refuse with
//! `Corruption`), which the next plain open must show unchanged. `clean-tail`: after a run
//! closed cleanly, the last WAL segment cut at a random offset or its tail zeroed must be
//! `Corruption` (the manifest says what was synced), and salvage a committed prefix.
//! `lost-data`: a directory whose snapshots and WAL segments are all deleted, its other
//! files left, must refuse to open (`Corruption`, no file changed) unless asked to create.

use std::collections::BTreeMap;
use std::path::Path;
use std::sync::Arc;

use ember::{Database, ErrorKind};
use ember_storage::vfs::{SimVfs, Vfs};

use super::sim_modes::{install, open, open_damaged, options, plan, run, DIR};
use super::workload::{self, Model, Op};
use super::Summary;

/// Every file of the directory but `LOCK`, by name.
fn all_files(vfs: &SimVfs) -> BTreeMap<String, Vec<u8>> {
    let dir = Path::new(DIR);
    vfs.list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| name != "LOCK")
        .filter_map(|name| Some((name.clone(), vfs.read(&dir.join(&name)).ok()?)))
        .collect()
}

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
            let bytes = match damage {
                "delete" => return None,
                "empty" => Vec::new(),
                "garbage" => (0..bytes.len()).map(|_| rng.u8(..)).collect(),
                _ => bytes[..rng.usize(0..bytes.len().max(1))].to_vec(),
            };
            Some((name.clone(), bytes))
        })
        .collect()
}

/// Reads `t` (empty when the table is gone).
fn table_of(db: &Database) -> Result<Model, String> {
    match workload::read_model(&mut db.connect()) {
        Ok(found) => Ok(found),
        Err(e) if e.kind() == ErrorKind::NotFound => Ok(Model::new()),
        Err(e) => Err(format!("reading t failed: {e}")),
    }
}

/// Salvage opens `vfs`: it must keep `models[k]` for some `k <= acked`, or refuse with
/// `Corruption`; the next plain open must hold the same rows. Returns whether it opened.
fn salvage_keeps_a_prefix(vfs: &SimVfs, models: &[Model], acked: usize) -> Result<bool, String> {
    let salvaged = Database::open_with_vfs(DIR, options().salvage(true), Arc::new(vfs.clone()));
    let db = match salvaged {
        Ok(db) => db,
        Err(error) if error.kind() == ErrorKind::Corruption => return Ok(false),
        Err(error) => return Err(format!("salvage failed: {error}")),
    };
    let found = table_of(&db)?;
    let report = db
        .durability_stats()
        .map(|s| s.recovery)
        .unwrap_or_default();
    drop(db);
    let Some(k) = models[..=acked].iter().rposition(|model| *model == found) else {
        return Err(format!(
            "salvage kept a state no commit prefix had: {found:?} (report: {report})"
        ));
    };
    if k < acked && report.salvaged.is_empty() {
        return Err(format!("salvage kept {k} of {acked} ops without saying so"));
    }
    let db = open(vfs).map_err(|e| format!("the plain open after salvage failed: {e}"))?;
    let again = table_of(&db)?;
    drop(db);
    if again != found {
        return Err(format!(
            "after salvage kept {found:?}, the next open found {again:?}"
        ));
    }
    Ok(true)
}

pub fn salvage_prefix(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("salvage-prefix");
    let mut rng = fastrand::Rng::with_seed(seed);
    let (mut refused, mut intact, mut salvaged) = (0u64, 0u64, 0u64);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        let vfs = SimVfs::new();
        // A third of the runs close cleanly, a third crash, a third lose power as well.
        let clean = cycle % 3 == 0;
        let acked = if clean {
            match run_and_close(&vfs, &ops) {
                Ok(acked) => acked,
                Err(detail) => {
                    summary.fail(seed, detail);
                    continue;
                }
            }
        } else {
            run(&vfs, &ops).acked
        };
        if cycle % 3 == 2 {
            vfs.crash(seed);
        }
        let files = all_files(&vfs);
        let last_segment = files.keys().rfind(|name| name.starts_with("wal-")).cloned();
        for victim in files.keys() {
            for kind in ["delete", "empty", "garbage", "truncate"] {
                summary.faults_injected += 1;
                let vfs = install(&damaged(&files, victim, kind, &mut rng));
                let before = all_files(&vfs);
                let what = format!("{kind} {victim}");
                // After a crash, a cut of the last segment past what the manifest covers reads
                // as a torn tail (the limit `truncate` documents): a committed prefix.
                let torn_tail =
                    !clean && kind == "truncate" && Some(victim) == last_segment.as_ref();
                match open_damaged(&vfs) {
                    Ok(Ok(found)) if found == models[acked] => {
                        intact += 1;
                        summary.commits_verified += acked as u64;
                    }
                    Ok(Ok(found)) if torn_tail && models[..acked].contains(&found) => {
                        intact += 1;
                    }
                    Ok(Ok(found)) => summary.fail(
                        seed,
                        format!("{what}: opened without every acknowledged op: {found:?}"),
                    ),
                    Ok(Err(ErrorKind::Corruption)) if all_files(&vfs) != before => {
                        summary.fail(seed, format!("{what}: the refused open changed files"))
                    }
                    Ok(Err(ErrorKind::Corruption)) => {
                        refused += 1;
                        match salvage_keeps_a_prefix(&vfs, &models, acked) {
                            Ok(opened) => salvaged += u64::from(opened),
                            Err(detail) => summary.fail(seed, format!("{what}: {detail}")),
                        }
                    }
                    Ok(Err(kind)) => summary.fail(seed, format!("{what}: open failed: {kind:?}")),
                    Err(detail) => summary.fail(seed, format!("{what}: {detail}")),
                }
            }
        }
        summary.cycles += 1;
    }
    summary.notes = format!(
        "{refused} refused with Corruption ({salvaged} then salvaged to a committed prefix), \
         {intact} opened whole"
    );
    summary
}

/// Runs `ops` and closes the database cleanly (its last segment then ends with a
/// `SyncPoint`, and the manifest records its length). Returns the ops acknowledged.
fn run_and_close(vfs: &SimVfs, ops: &[Op]) -> Result<usize, String> {
    let db = open(vfs).map_err(|e| format!("open failed: {e}"))?;
    let mut conn = db.connect();
    conn.execute(workload::SCHEMA, ())
        .map_err(|e| format!("schema failed: {e}"))?;
    for op in ops {
        workload::run(&mut conn, op).map_err(|e| format!("op failed: {e}"))?;
    }
    drop(conn);
    drop(db);
    Ok(ops.len())
}

pub fn clean_tail(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("clean-tail");
    let mut rng = fastrand::Rng::with_seed(seed);
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, models) = plan(seed, true);
        let vfs = SimVfs::new();
        let acked = match run_and_close(&vfs, &ops) {
            Ok(acked) => acked,
            Err(detail) => {
                summary.fail(seed, detail);
                continue;
            }
        };
        let files = all_files(&vfs);
        let Some((last, bytes)) = files.iter().rfind(|(name, _)| name.starts_with("wal-")) else {
            summary.fail(seed, "no WAL segment after a clean close".into());
            continue;
        };
        for zero in [false, true] {
            summary.faults_injected += 1;
            let mut tail = bytes.clone();
            let what = if zero {
                let from = tail.len().saturating_sub(rng.usize(1..=4096)).max(8);
                tail[from..].fill(0);
                format!("{last} zeroed from offset {from} of {}", bytes.len())
            } else {
                tail.truncate(rng.usize(0..bytes.len()));
                format!("{last} cut at offset {} of {}", tail.len(), bytes.len())
            };
            if tail == *bytes {
                continue;
            }
            let mut damaged: Vec<(String, Vec<u8>)> = files
                .iter()
                .map(|(name, content)| (name.clone(), content.clone()))
                .collect();
            damaged.retain(|(name, _)| name != last);
            damaged.push((last.clone(), tail));
            let vfs = install(&damaged);
            match open_damaged(&vfs) {
                Ok(Err(ErrorKind::Corruption)) => {}
                Ok(Ok(found)) if found == models[acked] => {
                    summary.fail(seed, format!("{what}: opened as if nothing was lost"))
                }
                Ok(Ok(found)) => summary.fail(
                    seed,
                    format!("{what}: opened shorter, silently ({} rows)", found.len()),
                ),
                Ok(Err(kind)) => summary.fail(seed, format!("{what}: open failed: {kind:?}")),
                Err(detail) => summary.fail(seed, format!("{what}: {detail}")),
            }
            match salvage_keeps_a_prefix(&vfs, &models, acked) {
                Ok(true) => summary.commits_verified += acked as u64,
                Ok(false) => summary.fail(seed, format!("{what}: salvage refused")),
                Err(detail) => summary.fail(seed, format!("{what}: {detail}")),
            }
        }
        summary.cycles += 1;
    }
    summary
}

pub fn lost_data(seed: u64, cycles: u64) -> Summary {
    let mut summary = Summary::new("lost-data");
    for cycle in 0..cycles {
        let seed = seed.wrapping_add(cycle);
        let (ops, _) = plan(seed, true);
        let vfs = SimVfs::new();
        run(&vfs, &ops);
        if cycle % 2 == 1 {
            vfs.crash(seed);
        }
        summary.faults_injected += 1;
        let left: Vec<(String, Vec<u8>)> = all_files(&vfs)
            .into_iter()
            .filter(|(name, _)| !name.starts_with("snap-") && !name.starts_with("wal-"))
            .collect();
        let vfs = install(&left);
        let before = all_files(&vfs);
        match open(&vfs) {
            Err(error) if error.kind() == ErrorKind::Corruption => {}
            Err(error) => {
                summary.fail(
                    seed,
                    format!("open failed with {:?}: {error}", error.kind()),
                );
                continue;
            }
            Ok(_) => {
                summary.fail(seed, format!("opened as a new database with {left:?} left"));
                continue;
            }
        }
        if all_files(&vfs) != before {
            summary.fail(seed, "the refused open changed files".into());
            continue;
        }
        let created = Database::open_with_vfs(
            DIR,
            options().create_if_missing(true),
            Arc::new(vfs.clone()),
        );
        match created.map(|db| table_of(&db)) {
            Ok(Ok(found)) if found.is_empty() => summary.cycles += 1,
            Ok(Ok(found)) => summary.fail(seed, format!("a created database holds {found:?}")),
            Ok(Err(detail)) => summary.fail(seed, detail),
            Err(error) => summary.fail(seed, format!("create_if_missing(true) failed: {error}")),
        }
    }
    summary
}
