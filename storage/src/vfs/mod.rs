//! The file-system seam: every byte the database reads or writes on disk goes through the
//! `Vfs` trait. `OsVfs` is the real file system; `SimVfs` is an in-memory one for tests that
//! keeps written-but-unsynced bytes apart from synced ones, so a simulated power loss can drop
//! or tear what was not synced, and any chosen operation can fail with EIO or ENOSPC.

mod os;
mod sim;

use std::any::Any;
use std::fmt;
use std::io;
use std::path::Path;

pub use os::OsVfs;
pub use sim::{Fault, FaultKind, SimVfs};

/// A whole file's bytes: read into memory, or mapped (`Vfs::map`).
pub enum FileBytes {
    Read(Vec<u8>),
    Mapped(memmap2::Mmap),
}

impl std::ops::Deref for FileBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            FileBytes::Read(bytes) => bytes,
            FileBytes::Mapped(map) => map,
        }
    }
}

/// A held directory lock; dropping it releases the lock.
pub type VfsLock = Box<dyn Any + Send + Sync>;

/// The file operations the database needs. Paths are files directly inside a database
/// directory; `list` returns bare file names.
pub trait Vfs: Send + Sync + fmt::Debug {
    /// Creates the directory (and its parents) if absent.
    fn create_dir_all(&self, dir: &Path) -> io::Result<()>;
    /// Takes an exclusive lock on the directory, failing at once if another holder has it.
    fn lock(&self, dir: &Path) -> io::Result<VfsLock>;
    /// Names of the files in `dir`.
    fn list(&self, dir: &Path) -> io::Result<Vec<String>>;
    /// The whole content of a file.
    fn read(&self, path: &Path) -> io::Result<Vec<u8>>;
    /// The whole content of a file that nothing writes while the result lives (a snapshot
    /// under the directory lock), mapped where that is faster than reading it.
    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        self.read(path).map(FileBytes::Read)
    }
    /// Creates (or truncates) a file and writes `bytes` into it.
    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Appends `bytes` at the end of a file, creating it if absent.
    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()>;
    /// Cuts a file to `len` bytes.
    fn truncate(&self, path: &Path, len: u64) -> io::Result<()>;
    /// Makes the file's content durable.
    fn sync(&self, path: &Path) -> io::Result<()>;
    /// Renames a file (atomically replacing `to`).
    fn rename(&self, from: &Path, to: &Path) -> io::Result<()>;
    /// Makes the directory's entries (creations, renames, removals) durable.
    fn sync_dir(&self, dir: &Path) -> io::Result<()>;
    /// Removes a file.
    fn remove(&self, path: &Path) -> io::Result<()>;
}
