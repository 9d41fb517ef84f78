//! Space kept for the log: a file `wal.reserve` of zeros that a checkpoint must leave in
//! place, and that the log deletes when an append finds the disk full, so the commits after
//! a checkpoint that filled the disk still have room (until a later checkpoint frees old
//! segments and the reserve is taken again). Recovery ignores the file; losing it loses no
//! data, only the head room.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};

use crate::error::{StorageError, StorageResult};
use crate::vfs::Vfs;

/// The reserve file's name in a database directory.
pub const RESERVE_NAME: &str = "wal.reserve";

/// The log's reserve of disk space.
pub struct LogReserve {
    path: PathBuf,
    dir: PathBuf,
    bytes: u64,
    /// Whether the file is in place (as far as this process knows).
    present: AtomicBool,
}

impl LogReserve {
    pub fn new(dir: &Path, bytes: u64) -> LogReserve {
        LogReserve {
            path: dir.join(RESERVE_NAME),
            dir: dir.to_path_buf(),
            bytes,
            present: AtomicBool::new(false),
        }
    }

    /// Whether the reserve is in place.
    pub fn is_present(&self) -> bool {
        self.present.load(Ordering::Acquire)
    }

    /// Puts the reserve in place (durably) unless it already is. Fails on a full disk,
    /// leaving no partial file.
    pub fn ensure(&self, vfs: &dyn Vfs) -> StorageResult<()> {
        if self.is_present() || self.bytes == 0 {
            return Ok(());
        }
        let zeros = vec![0u8; usize::try_from(self.bytes).unwrap_or(usize::MAX)];
        let written = vfs
            .write_new(&self.path, &zeros)
            .and_then(|()| vfs.sync(&self.path))
            .and_then(|()| vfs.sync_dir(&self.dir));
        if let Err(error) = written {
            let _ = vfs.remove(&self.path);
            return Err(StorageError::io(
                format!(
                    "keeping {} bytes of log space in {}",
                    self.bytes,
                    self.path.display()
                ),
                &error,
            ));
        }
        self.present.store(true, Ordering::Release);
        Ok(())
    }

    /// Gives the reserve's space back to the disk; returns whether there was any to give.
    pub fn release(&self, vfs: &dyn Vfs) -> bool {
        if !self.present.swap(false, Ordering::AcqRel) {
            return false;
        }
        vfs.remove(&self.path).is_ok()
    }
}
