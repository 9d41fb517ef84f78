//! A read-only open of a directory another handle writes: a reader does not need the
//! directory lock, so when a writer (another process, or a handle of this one) holds it the
//! reader goes on without it and loads the state as of its open. The writer may checkpoint
//! meanwhile, adding a snapshot and removing the segments it covers; a recovery that fails
//! while the directory's data files changed under it is tried again (it read a mix of two
//! checkpoints), and one that fails over an unchanged directory reports its error.

use std::path::Path;

use ember_storage::vfs::{Vfs, VfsLock};

use crate::error::Result;
use crate::recovery::io_error;

/// Most recoveries a reader without the lock tries before it reports the last failure: each
/// retry follows a checkpoint of the writer that landed during the one before.
const READ_ATTEMPTS_MAX: u32 = 8;

/// The directory lock for a read-only open, or `None` when another handle holds it (or the
/// directory cannot take one: a read-only file system), in which case the reader goes on
/// without it.
pub(crate) fn lock_to_read(vfs: &dyn Vfs, dir: &Path) -> Result<Option<VfsLock>> {
    use std::io::ErrorKind;
    match vfs.lock(dir) {
        Ok(lock) => Ok(Some(lock)),
        Err(e)
            if matches!(
                e.kind(),
                ErrorKind::WouldBlock | ErrorKind::PermissionDenied | ErrorKind::ReadOnlyFilesystem
            ) =>
        {
            Ok(None)
        }
        Err(e) => Err(io_error(format!("locking {}", dir.display()), e)),
    }
}

/// The retries of a recovery that runs without the directory lock.
pub(crate) struct ReadAttempts {
    unlocked: bool,
    made: u32,
}

impl ReadAttempts {
    pub(crate) fn new(lock: &Option<VfsLock>) -> ReadAttempts {
        ReadAttempts {
            unlocked: lock.is_none(),
            made: 0,
        }
    }

    /// What the directory holds before an attempt: its data files' names, sorted.
    pub(crate) fn before(&self, vfs: &dyn Vfs, dir: &Path) -> Vec<String> {
        if !self.unlocked {
            return Vec::new();
        }
        data_files(vfs, dir)
    }

    /// Whether a failed attempt is tried again: only without the lock, only while attempts
    /// remain, and only when a writer changed the data files since the attempt began.
    pub(crate) fn retry(&mut self, vfs: &dyn Vfs, dir: &Path, before: &[String]) -> bool {
        self.made += 1;
        self.unlocked && self.made < READ_ATTEMPTS_MAX && data_files(vfs, dir) != before
    }
}

/// The names of the snapshots, WAL segments and log manifest in `dir`, sorted (an unreadable
/// directory lists nothing).
fn data_files(vfs: &dyn Vfs, dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = vfs
        .list(dir)
        .unwrap_or_default()
        .into_iter()
        .filter(|name| {
            name.starts_with("snap-")
                || name.starts_with("wal-")
                || name == ember_storage::wal::MANIFEST_NAME
        })
        .collect();
    names.sort_unstable();
    names
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_storage::vfs::SimVfs;

    #[test]
    fn a_held_lock_lets_a_reader_go_on_without_it() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        let writer = vfs.lock(dir).unwrap();
        let reader = lock_to_read(&vfs, dir).unwrap();
        assert!(reader.is_none(), "the writer holds the lock");
        drop(writer);
        assert!(lock_to_read(&vfs, dir).unwrap().is_some());
    }

    #[test]
    fn retries_follow_changes_of_the_data_files_and_stop_at_the_bound() {
        let vfs = SimVfs::new();
        let dir = Path::new("/db");
        vfs.create_dir_all(dir).unwrap();
        vfs.write_new(&dir.join("wal-00000000000000000001.log"), b"x")
            .unwrap();
        let mut attempts = ReadAttempts::new(&None);
        let before = attempts.before(&vfs, dir);
        // Nothing changed: the failure stands.
        assert!(!attempts.retry(&vfs, dir, &before));
        let mut made = 0;
        loop {
            let before = attempts.before(&vfs, dir);
            let name = format!("snap-{made:020}.snap");
            vfs.write_new(&dir.join(name), b"x").unwrap();
            if !attempts.retry(&vfs, dir, &before) {
                break;
            }
            made += 1;
        }
        assert_eq!(made + 2, READ_ATTEMPTS_MAX);
        // A holder of the lock never retries.
        let lock: Option<VfsLock> = Some(Box::new(()));
        let mut locked = ReadAttempts::new(&lock);
        assert!(!locked.retry(&vfs, dir, &[]));
    }
}
