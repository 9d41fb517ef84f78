//! The process-wide registry of open directory databases, keyed by canonical path. A second
//! `Database::open` of a directory this process already holds open returns a handle on the
//! same database (rusqlite users open a connection per thread, each with its own `open`)
//! instead of waiting for the directory lock the first handle holds and failing `Busy`.
//! Entries are weak: the database closes when its last handle drops, and the next open of
//! its directory opens it afresh.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock, Weak};

use crate::database::{Database, Shared};
use crate::error::Result;
use crate::options::Options;

/// One directory's entry: the database open there, if any. Its mutex is held through an
/// open of that directory, so two threads opening it at once get one database.
type Slot = Arc<Mutex<Weak<Shared>>>;

fn registry() -> MutexGuard<'static, HashMap<PathBuf, Slot>> {
    static OPEN: OnceLock<Mutex<HashMap<PathBuf, Slot>>> = OnceLock::new();
    OPEN.get_or_init(Default::default)
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// The name a directory is known by in the registry: its canonical path, or (not created
/// yet) its parent's canonical path and its own name, or at worst its absolute path.
fn registry_key(dir: &Path) -> PathBuf {
    if let Ok(path) = std::fs::canonicalize(dir) {
        return path;
    }
    let parent = dir.parent().filter(|parent| !parent.as_os_str().is_empty());
    let parent = parent.map_or_else(|| std::fs::canonicalize("."), std::fs::canonicalize);
    match (parent, dir.file_name()) {
        (Ok(parent), Some(name)) => parent.join(name),
        _ => std::path::absolute(dir).unwrap_or_else(|_| dir.to_path_buf()),
    }
}

/// The database open at `dir` in this process, as a new handle with `options` for its
/// connections (the database-wide options stay those of the open that opened it) after
/// `setup` ran on it; or, when none is, the one `open` opens, which is then registered.
pub(crate) fn open_or_share<Setup: FnOnce(&Database) -> Result<()>>(
    dir: &Path,
    options: Options,
    setup: Setup,
    open: impl FnOnce(Options, Setup) -> Result<Database>,
) -> Result<Database> {
    let key = registry_key(dir);
    let slot = {
        let mut open_now = registry();
        // Entries whose database has closed and that no open is using go.
        open_now.retain(|_, slot| Arc::strong_count(slot) > 1 || open_database(slot).is_some());
        Arc::clone(open_now.entry(key).or_default())
    };
    let mut held = slot.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if let Some(shared) = held.upgrade() {
        let db = Database::share(shared, options);
        setup(&db)?;
        return Ok(db);
    }
    let db = open(options, setup)?;
    *held = Arc::downgrade(&db.shared);
    Ok(db)
}

fn open_database(slot: &Slot) -> Option<Arc<Shared>> {
    slot.lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
        .upgrade()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_not_created_yet_is_keyed_as_it_will_be_once_created() {
        let base = std::env::temp_dir().join(format!("ember-registry-{}", std::process::id()));
        let dir = base.join("db");
        let before = registry_key(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let after = registry_key(&dir);
        assert_eq!(before, after);
        // A relative spelling of the same directory has the same key.
        let dotted = base.join(".").join("db");
        assert_eq!(registry_key(&dotted), after);
        std::fs::remove_dir_all(&base).unwrap();
    }
}
