//! `OsVfs`: the real file system through `std::fs`, with a cache of open append handles so
//! the WAL does not reopen its segment for every record, and `flock` for the directory lock.

use std::collections::HashMap;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::{FileBytes, Vfs, VfsLock};

/// The operating system's file system.
#[derive(Debug, Default)]
pub struct OsVfs {
    handles: Mutex<HashMap<PathBuf, Arc<File>>>,
}

impl OsVfs {
    pub fn new() -> OsVfs {
        OsVfs::default()
    }

    fn handle(&self, path: &Path) -> io::Result<Arc<File>> {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        if let Some(file) = handles.get(path) {
            return Ok(Arc::clone(file));
        }
        let file = Arc::new(OpenOptions::new().create(true).append(true).open(path)?);
        handles.insert(path.to_path_buf(), Arc::clone(&file));
        Ok(file)
    }

    fn forget(&self, path: &Path) {
        let mut handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
        handles.remove(path);
    }
}

/// A directory lock: the open lock file; closing it releases the `flock`.
struct DirLock {
    _file: File,
}

impl Vfs for OsVfs {
    fn create_dir_all(&self, dir: &Path) -> io::Result<()> {
        fs::create_dir_all(dir)
    }

    fn lock(&self, dir: &Path) -> io::Result<VfsLock> {
        let file = OpenOptions::new()
            .create(true)
            .truncate(false)
            .write(true)
            .open(dir.join("LOCK"))?;
        // SAFETY: `flock` on a valid, open descriptor owned by `file`; no memory is shared.
        let status = unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) };
        if status != 0 {
            return Err(io::Error::last_os_error());
        }
        Ok(Box::new(DirLock { _file: file }))
    }

    fn list(&self, dir: &Path) -> io::Result<Vec<String>> {
        let mut names = Vec::new();
        for entry in fs::read_dir(dir)? {
            if let Some(name) = entry?.file_name().to_str() {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    fn read(&self, path: &Path) -> io::Result<Vec<u8>> {
        fs::read(path)
    }

    /// Maps the file: reading a snapshot through the map measured about 5x faster than
    /// `fs::read` (docs/benchmarks.md, "Recovery"). An empty file (which cannot be mapped)
    /// is read.
    fn map(&self, path: &Path) -> io::Result<FileBytes> {
        let file = File::open(path)?;
        if file.metadata()?.len() == 0 {
            return Ok(FileBytes::Read(Vec::new()));
        }
        // SAFETY: the map is only sound while no one truncates or rewrites the file (a
        // truncation makes touching the lost pages raise SIGBUS). `map` is only used for
        // snapshot files while the database directory's lock is held: a snapshot is written
        // to a temp file and renamed into place whole, never modified after, and only
        // removed (unlinking leaves the mapping valid) by checkpoints, which run after
        // recovery has dropped the map. Another process ignoring the lock and truncating a
        // snapshot is outside what the database supports (docs/durability.md).
        let map = unsafe { memmap2::Mmap::map(&file)? };
        #[cfg(unix)]
        let _ = map.advise(memmap2::Advice::Sequential);
        Ok(FileBytes::Mapped(map))
    }

    fn write_new(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        self.forget(path);
        let mut file = File::create(path)?;
        file.write_all(bytes)
    }

    fn append(&self, path: &Path, bytes: &[u8]) -> io::Result<()> {
        let file = self.handle(path)?;
        (&*file).write_all(bytes)
    }

    fn truncate(&self, path: &Path, len: u64) -> io::Result<()> {
        self.forget(path);
        OpenOptions::new().write(true).open(path)?.set_len(len)
    }

    fn sync(&self, path: &Path) -> io::Result<()> {
        let cached = {
            let handles = self.handles.lock().unwrap_or_else(|p| p.into_inner());
            handles.get(path).cloned()
        };
        match cached {
            Some(file) => file.sync_data(),
            None => File::open(path)?.sync_all(),
        }
    }

    fn rename(&self, from: &Path, to: &Path) -> io::Result<()> {
        self.forget(from);
        self.forget(to);
        fs::rename(from, to)
    }

    fn sync_dir(&self, dir: &Path) -> io::Result<()> {
        File::open(dir)?.sync_all()
    }

    fn remove(&self, path: &Path) -> io::Result<()> {
        self.forget(path);
        fs::remove_file(path)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_lock_on_a_directory_fails_until_the_first_is_dropped() {
        let dir = std::env::temp_dir().join(format!("ember-osvfs-lock-{}", std::process::id()));
        let vfs = OsVfs::new();
        vfs.create_dir_all(&dir).unwrap();
        let first = vfs.lock(&dir).unwrap();
        assert!(vfs.lock(&dir).is_err());
        drop(first);
        let again = vfs.lock(&dir).unwrap();
        drop(again);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn append_read_truncate_rename_remove() {
        let dir = std::env::temp_dir().join(format!("ember-osvfs-ops-{}", std::process::id()));
        let vfs = OsVfs::new();
        vfs.create_dir_all(&dir).unwrap();
        let a = dir.join("a");
        vfs.append(&a, b"hello ").unwrap();
        vfs.append(&a, b"world").unwrap();
        vfs.sync(&a).unwrap();
        assert_eq!(vfs.read(&a).unwrap(), b"hello world");
        vfs.truncate(&a, 5).unwrap();
        vfs.append(&a, b"!").unwrap();
        assert_eq!(vfs.read(&a).unwrap(), b"hello!");
        let b = dir.join("b");
        vfs.rename(&a, &b).unwrap();
        vfs.sync_dir(&dir).unwrap();
        assert_eq!(vfs.list(&dir).unwrap(), vec!["b".to_string()]);
        vfs.remove(&b).unwrap();
        fs::remove_dir_all(&dir).unwrap();
    }
}
