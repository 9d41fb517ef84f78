//! `SimVfs`: an in-memory file system for crash and fault tests. Each file keeps its live
//! bytes (what reads see) apart from its durable bytes (as of its last `sync`), and each
//! directory keeps its live entries apart from its durable ones (as of its last `sync_dir`).
//! `crash` simulates a power loss: unsynced appends survive as a random prefix whose end may
//! be torn into garbage, other unsynced rewrites survive or vanish whole, and unsynced
//! directory changes are undone (`crash_out_of_order`: unsynced sectors survive, vanish or
//! turn to garbage independently). A `Fault` fails the N-th operation (counting from 0) with
//! EIO or ENOSPC, once (transient) or for every later operation too (persistent); a capacity
//! makes writes past it fail with ENOSPC as a full disk does.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard};

use super::{Vfs, VfsLock};

/// Which error an injected fault returns.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultKind {
    Eio,
    Enospc,
}

/// Fail operation number `at_op`, and every later one when `persistent`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Fault {
    pub at_op: u64,
    pub kind: FaultKind,
    pub persistent: bool,
}

#[derive(Default)]
struct SimFile {
    live: Vec<u8>,
    durable: Vec<u8>,
}

#[derive(Default)]
struct SimState {
    files: HashMap<u64, SimFile>,
    next_file: u64,
    live_names: BTreeMap<PathBuf, u64>,
    durable_names: BTreeMap<PathBuf, u64>,
    dirs: HashSet<PathBuf>,
    locks: HashSet<PathBuf>,
    ops: u64,
    fault: Option<Fault>,
    faults_injected: u64,
    /// Files whose name contains this have their syncs acknowledged but not done.
    lost_syncs: Option<String>,
    /// Most bytes the named files may hold together (a full disk past it), `None`: no limit.
    capacity: Option<u64>,
}

/// A simulated file system; clones share the same files.
#[derive(Clone, Default)]
pub struct SimVfs {
    state: Arc<Mutex<SimState>>,
}

impl fmt::Debug for SimVfs {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SimVfs")
    }
}

struct SimLock {
    state: Arc<Mutex<SimState>>,
    dir: PathBuf,
}

impl Drop for SimLock {
    fn drop(&mut self) {
        let mut state = self.state.lock().unwrap_or_else(|p| p.into_inner());
        state.locks.remove(&self.dir);
    }
}

fn not_found(path: &Path) -> io::Error {
    io::Error::new(
        io::ErrorKind::NotFound,
        format!("{}: no such file", path.display()),
    )
}

impl SimState {
    /// Counts the operation and fails it if a fault says so.
    fn tick(&mut self) -> io::Result<()> {
        let op = self.ops;
        self.ops += 1;
        let Some(fault) = self.fault else {
            return Ok(());
        };
        if op == fault.at_op || (fault.persistent && op > fault.at_op) {
            self.faults_injected += 1;
            return Err(match fault.kind {
                FaultKind::Eio => io::Error::from_raw_os_error(libc::EIO),
                FaultKind::Enospc => io::Error::from_raw_os_error(libc::ENOSPC),
            });
        }
        Ok(())
    }

    /// Bytes held by the files that have a name (what a real disk would count as used).
    fn used_bytes(&self) -> u64 {
        let named: HashSet<u64> = self.live_names.values().copied().collect();
        named
            .iter()
            .filter_map(|id| self.files.get(id))
            .map(|file| file.live.len() as u64)
            .sum()
    }

    /// How many more bytes may be written before the disk is full (`u64::MAX`: no limit).
    fn free_bytes(&self) -> u64 {
        self.capacity.map_or(u64::MAX, |capacity| {
            capacity.saturating_sub(self.used_bytes())
        })
    }

    fn file_mut(&mut self, path: &Path) -> io::Result<&mut SimFile> {
        let id = *self.live_names.get(path).ok_or_else(|| not_found(path))?;
        Ok(self.files.get_mut(&id).expect("named files exist"))
    }

    fn file_or_create(&mut self, path: &Path) -> &mut SimFile {
        let id = match self.live_names.get(path) {
            Some(id) => *id,
            None => {
                let id = self.next_file;
                self.next_file += 1;
                self.files.insert(id, SimFile::default());
                self.live_names.insert(path.to_path_buf(), id);
                id
            }
        };
        self.files.get_mut(&id).expect("named files exist")
    }
}

impl SimVfs {
    pub fn new() -> SimVfs {
        SimVfs::default()
    }

    fn state(&self) -> MutexGuard<'_, SimState> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Operations performed so far (the index the next one gets).
    pub fn ops(&self) -> u64 {
        self.state().ops
    }

    /// How many operations an armed fault has failed.
    pub fn faults_injected(&self) -> u64 {
        self.state().faults_injected
    }

    /// Arms (or with `None` disarms) a fault.
    pub fn set_fault(&self, fault: Option<Fault>) {
        self.state().fault = fault;
    }

    /// Makes syncs of files whose name contains `name_part` succeed without making anything
    /// durable (`None` undoes it): a build that forgot an fsync, or a disk that lies about
    /// flushing. For checking that the crash harness notices; it survives `crash`.
    pub fn lose_syncs_of(&self, name_part: Option<&str>) {
        self.state().lost_syncs = name_part.map(str::to_string);
    }

    /// Makes the disk hold at most `bytes` in all (`None`: no limit): a write past it fails
    /// with ENOSPC after writing what fits, as a full disk does. Removing files frees space.
    /// Survives `crash`.
    pub fn set_capacity(&self, bytes: Option<u64>) {
        self.state().capacity = bytes;
    }

    /// Bytes held by the files that have a name.
    pub fn used_bytes(&self) -> u64 {
        self.state().used_bytes()
    }

    /// Simulates a power loss and reboot: keeps only what was synced, plus (chosen by
    /// `seed`) a prefix of each file's unsynced appends, possibly torn at its end. Locks are
    /// released, the fault is disarmed and the operation counter restarts.
    pub fn crash(&self, seed: u64) {
        let mut rng = fastrand::Rng::with_seed(seed);
        let mut state = self.state();
        let state = &mut *state;
        let survivors: HashSet<u64> = state.durable_names.values().copied().collect();
        state.files.retain(|id, _| survivors.contains(id));
        for file in state.files.values_mut() {
            let after = if file.live.starts_with(&file.durable) {
                let extra = &file.live[file.durable.len()..];
                let kept = rng.usize(0..=extra.len());
                let mut bytes = file.live[..file.durable.len() + kept].to_vec();
                if kept > 0 && rng.bool() {
                    let torn = rng.usize(1..=kept.min(16));
                    let len = bytes.len();
                    for byte in &mut bytes[len - torn..] {
                        *byte = rng.u8(..);
                    }
                }
                bytes
            } else if rng.bool() {
                file.live.clone()
            } else {
                file.durable.clone()
            };
            file.live = after.clone();
            file.durable = after;
        }
        state.live_names = state.durable_names.clone();
        state.locks.clear();
        state.fault = None;
        state.ops = 0;
    }

    /// A harsher power loss: of each file's unsynced appends, a random length survives, and
    /// within it each 512-byte sector independently keeps its bytes, reads back as zeros or
    /// as garbage (the disk wrote the pages out of order, or some not at all). Synced bytes
    /// and the rest of `crash`'s rules are as in `crash`.
    pub fn crash_out_of_order(&self, seed: u64) {
        const SECTOR: usize = 512;
        let mut rng = fastrand::Rng::with_seed(seed);
        {
            let mut state = self.state();
            for file in state.files.values_mut() {
                if !file.live.starts_with(&file.durable) || file.live.len() == file.durable.len() {
                    continue;
                }
                let start = file.durable.len();
                let end = rng.usize(start..=file.live.len());
                let mut bytes = file.live[..end].to_vec();
                let mut sector_start = start;
                while sector_start < end {
                    let sector_end = ((sector_start / SECTOR + 1) * SECTOR).min(end);
                    match rng.u8(..4) {
                        0 => bytes[sector_start..sector_end].fill(0),
                        1 => bytes[sector_start..sector_end]
                            .iter_mut()
                            .for_each(|b| *b = rng.u8(..)),
                        _ => {}
                    }
                    sector_start = sector_end;
                }
                // What survives is on disk now: `crash` below keeps it whole.
                file.live = bytes.clone();
                file.durable = bytes;
            }
        }
        self.crash(seed);
    }

    /// Overwrites a file's bytes in place, durably (for corruption tests).
    pub fn poke(&self, path: &Path, bytes: Vec<u8>) -> io::Result<()> {
        let mut state = self.state();
        let file = state.file_mut(path)?;
        file.live = bytes.clone();
        file.durable = bytes;
        Ok(())
    }
}

impl Vfs for SimVfs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        state.dirs.insert(dir.to_path_buf());
        Ok(())
    }

    fn lock(&self, dir: &Path) -> io::Result<VfsLock> {
        let mut state = self.state();
        state.tick()?;
        if !state.locks.insert(dir.to_path_buf()) {
            return Err(io::Error::new(
                io::ErrorKind::WouldBlock,
                "the directory is locked by another opener",
            ));
        }
        Ok(Box::new(SimLock {
            state: Arc::clone(&self.state),
            dir: dir.to_path_buf(),
        }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut state = self.state();
        state.tick()?;
        if !state.dirs.contains(dir) {
            return Err(not_found(dir));
        }
        Ok(state
            .live_names
            .keys()
            .filter(|path| path.parent() == Some(dir))
            .filter_map(|path| path.file_name()?.to_str().map(str::to_string))
            .collect())
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        let mut state = self.state();
        state.tick()?;
        Ok(state.file_mut(path)?.live.clone())
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        let old_len = state
            .live_names
            .get(path)
            .and_then(|id| state.files.get(id))
            .map_or(0, |file| file.live.len() as u64);
        let room = state.free_bytes().saturating_add(old_len);
        if bytes.len() as u64 > room {
            // A full disk: the file is created (or emptied) but the bytes do not fit.
            state.file_or_create(path).live.clear();
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        state.file_or_create(path).live = bytes.to_vec();
        Ok(())
    }

    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let mut state = self.state();
        if let Err(error) = state.tick() {
            // A failing write may still have written part of its bytes.
            let half = &bytes[..bytes.len() / 2];
            state.file_or_create(path).live.extend_from_slice(half);
            return Err(error);
        }
        let room = usize::try_from(state.free_bytes()).unwrap_or(usize::MAX);
        if bytes.len() > room {
            // A full disk writes what fits, then fails.
            state
                .file_or_create(path)
                .live
                .extend_from_slice(&bytes[..room]);
            return Err(io::Error::from_raw_os_error(libc::ENOSPC));
        }
        state.file_or_create(path).live.extend_from_slice(bytes);
        Ok(())
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        let file = state.file_mut(path)?;
        file.live
            .truncate(usize::try_from(len).unwrap_or(usize::MAX));
        Ok(())
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        let lost = state.lost_syncs.as_deref().is_some_and(|part| {
            path.file_name()
                .is_some_and(|name| name.to_string_lossy().contains(part))
        });
        let file = state.file_mut(path)?;
        if lost {
            return Ok(());
        }
        file.durable = file.live.clone();
        Ok(())
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        let id = state
            .live_names
            .remove(from)
            .ok_or_else(|| not_found(from))?;
        state.live_names.insert(to.to_path_buf(), id);
        Ok(())
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        let in_dir = |path: &PathBuf| path.parent() == Some(dir);
        state.durable_names.retain(|path, _| !in_dir(path));
        let live: Vec<(PathBuf, u64)> = state
            .live_names
            .iter()
            .filter(|(path, _)| in_dir(path))
            .map(|(path, id)| (path.clone(), *id))
            .collect();
        state.durable_names.extend(live);
        Ok(())
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        let mut state = self.state();
        state.tick()?;
        state
            .live_names
            .remove(path)
            .ok_or_else(|| not_found(path))?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crash_keeps_synced_bytes_and_at_most_the_unsynced_appends() {
        for seed in 0..50 {
            let vfs = SimVfs::new();
            let dir = Path::new("/db");
            let file = dir.join("f");
            vfs.create_dir_all(dir).unwrap();
            vfs.append(&file, b"synced").unwrap();
            vfs.sync(&file).unwrap();
            vfs.sync_dir(dir).unwrap();
            vfs.append(&file, b"-unsynced").unwrap();
            vfs.crash(seed);
            let after = vfs.read(&file).unwrap();
            assert!(after.starts_with(b"synced"), "seed {seed}");
            assert!(after.len() <= b"synced-unsynced".len(), "seed {seed}");
        }
    }

    #[test]
    fn crash_undoes_unsynced_directory_changes() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        vfs.write_new(&dir.join("a"), b"x").unwrap();
        vfs.sync(&dir.join("a")).unwrap();
        vfs.crash(1);
        assert!(vfs.read(&dir.join("a")).is_err(), "never dir-synced");
        vfs.write_new(&dir.join("tmp"), b"y").unwrap();
        vfs.sync(&dir.join("tmp")).unwrap();
        vfs.rename(&dir.join("tmp"), &dir.join("b")).unwrap();
        vfs.sync_dir(dir).unwrap();
        vfs.crash(2);
        assert_eq!(vfs.read(&dir.join("b")).unwrap(), b"y");
    }

    #[test]
    fn faults_are_transient_or_persistent() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        let at_op = vfs.ops();
        vfs.set_fault(Some(Fault {
            at_op,
            kind: FaultKind::Enospc,
            persistent: false,
        }));
        let error = vfs.append(&dir.join("f"), b"abcd").unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOSPC));
        vfs.append(&dir.join("f"), b"ok").unwrap();
        let at_op = vfs.ops();
        vfs.set_fault(Some(Fault {
            at_op,
            kind: FaultKind::Eio,
            persistent: true,
        }));
        assert!(vfs.sync(&dir.join("f")).is_err());
        assert!(vfs.read(&dir.join("f")).is_err());
        assert_eq!(vfs.faults_injected(), 3);
    }

    #[test]
    fn a_full_disk_writes_what_fits_and_frees_space_on_remove() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        vfs.set_capacity(Some(10));
        vfs.write_new(&dir.join("a"), b"123456").unwrap();
        let error = vfs.append(&dir.join("a"), b"789abc").unwrap_err();
        assert_eq!(error.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(vfs.read(&dir.join("a")).unwrap(), b"123456789a");
        assert_eq!(vfs.used_bytes(), 10);
        assert!(vfs.write_new(&dir.join("b"), b"x").is_err());
        vfs.remove(&dir.join("a")).unwrap();
        vfs.write_new(&dir.join("b"), b"x").unwrap();
        assert_eq!(vfs.used_bytes(), 1);
    }

    #[test]
    fn a_directory_is_locked_once() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        let lock = vfs.lock(dir).unwrap();
        assert!(vfs.lock(dir).is_err());
        drop(lock);
        assert!(vfs.lock(dir).is_ok());
    }
}
