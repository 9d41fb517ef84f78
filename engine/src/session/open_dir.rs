//! Opening a directory database: lock it, run recovery's read phase (`recovery.rs`), then the
//! write phase: keep a copy of damaged files before salvage cuts anything, make the WAL
//! scan's repairs (a torn tail cut), start a fresh WAL segment (marking the one before it as
//! continued there) and take a checkpoint, which re-bases the files on the new store's ids
//! before the first commit. When the directory cannot be written (a full disk, a read-only
//! file system) the database opens read-only instead, with every row it holds, and the report
//! says why; `Options::read_only` asks for that outright. Nothing is deleted that a
//! checkpoint does not cover.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use ember_storage::vfs::{OsVfs, Vfs};
use ember_storage::wal::{apply_repairs, segment_indexes, Manifest, Wal, MANIFEST_NAME};

use crate::database::Database;
use crate::durability::{self, Durable};
use crate::error::Result;
use crate::options::Options;
use crate::recovery::{io_error, recover, recover_at_snapshot, Recovered, RecoveryReport};
use crate::session::open_beside_writer::{lock_to_read, ReadAttempts};
use crate::session::recovery_time::RecoveryModel;

/// The path that names a new in-memory database, as in SQLite.
pub const IN_MEMORY_PATH: &str = ":memory:";

/// The first 16 bytes of every SQLite database file.
const SQLITE_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// An error when `path` is an existing file rather than a directory (or absent): an SQLite
/// database file is recognized by its header and the message says how to load it.
fn refuse_file(path: &Path) -> Result<()> {
    let Ok(metadata) = std::fs::metadata(path) else {
        return Ok(());
    };
    if metadata.is_dir() {
        return Ok(());
    }
    let mut header = [0u8; 16];
    let is_sqlite = std::fs::File::open(path)
        .and_then(|mut file| std::io::Read::read_exact(&mut file, &mut header))
        .is_ok()
        && &header == SQLITE_HEADER;
    let shown = path.display();
    if is_sqlite {
        Err(crate::err!(
            InvalidInput,
            "{shown} is an SQLite database file; EmberDB databases are directories. Load it \
             into one with `sqlite3 {shown} .dump | ember DIR`"
        ))
    } else {
        Err(crate::err!(
            InvalidInput,
            "{shown} is a file, not a database: EmberDB databases are directories (give a new \
             or existing directory, or {IN_MEMORY_PATH} for an in-memory database)"
        ))
    }
}

impl Database {
    /// Opens (creating it if absent) the directory database at `dir`, with default options
    /// (commits fsynced before they return).
    ///
    /// A directory this process already has open gives another handle on that same database
    /// (each thread may call `open`; its options apply to the handle's connections). Another
    /// process's writable open waits up to `Options::busy_timeout` for the directory lock,
    /// then fails `Busy`. A read-only open (`Options::read_only`) never waits: beside a
    /// writer it loads the state as of its open, and sees none of the writer's later commits.
    ///
    /// ```
    /// let dir = std::env::temp_dir().join(format!("ember-doc-open-{}", std::process::id()));
    /// {
    ///     let db = ember::Database::open(&dir).unwrap();
    ///     db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1)").unwrap();
    /// }
    /// let db = ember::Database::open(&dir).unwrap();
    /// let rows = db.connect().query("SELECT a FROM t", ()).unwrap();
    /// assert_eq!(rows.len(), 1);
    /// # drop(db); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    ///
    /// As in SQLite, the path `:memory:` opens a new in-memory database. A path that is a
    /// file is refused with an error saying so (an SQLite database file is named as one, with
    /// how to load it): an EmberDB database is a directory.
    pub fn open(dir: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(dir, Options::default())
    }

    /// Opens a directory database (or `:memory:`) with the given options.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Database> {
        Database::open_with_setup(dir, options, |_| Ok(()))
    }

    /// Opens a directory database after running `setup` on it, before the schema on disk is
    /// loaded: the place to register user functions and collations
    /// ([`Database::create_scalar_function`] ...), so that tables whose CHECK constraints
    /// call them load. (Without them, such a table fails the open with an error naming the
    /// missing function.) An error from `setup` fails the open.
    ///
    /// ```
    /// use ember::{Database, FunctionFlags, Options};
    /// let dir = std::env::temp_dir().join(format!("ember-doc-setup-{}", std::process::id()));
    /// let register = |db: &Database| {
    ///     db.create_scalar_function("is_even", 1, FunctionFlags::DETERMINISTIC, |ctx| {
    ///         Ok(ctx.get::<i64>(0)? % 2 == 0)
    ///     })
    /// };
    /// {
    ///     let db = Database::open_with_setup(&dir, Options::default(), register).unwrap();
    ///     db.connect().execute("CREATE TABLE t(a INT CHECK (is_even(a)))", ()).unwrap();
    /// }
    /// assert!(Database::open(&dir).is_err()); // is_even() is not registered
    /// let db = Database::open_with_setup(&dir, Options::default(), register).unwrap();
    /// assert!(db.connect().execute("INSERT INTO t VALUES (3)", ()).is_err());
    /// # drop(db); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn open_with_setup<Setup: FnOnce(&Database) -> Result<()>>(
        dir: impl AsRef<Path>,
        options: Options,
        setup: Setup,
    ) -> Result<Database> {
        let dir = dir.as_ref();
        if dir == Path::new(IN_MEMORY_PATH) {
            if options.read_only || options.at_snapshot.is_some() {
                return Err(crate::err!(
                    InvalidInput,
                    "{IN_MEMORY_PATH} is a new, empty in-memory database: it has nothing to open \
                     read-only or at a snapshot"
                ));
            }
            let db = Database::in_memory_with(options);
            setup(&db)?;
            return Ok(db);
        }
        refuse_file(dir)?;
        let open = |options: Options, setup: Setup| {
            let mut setup = Some(setup);
            let mut run = |db: &Database| match setup.take() {
                Some(setup) => setup(db),
                None => Ok(()),
            };
            Database::open_dir(dir, options, Arc::new(OsVfs::new()), &mut run)
        };
        if options.read_only || options.at_snapshot.is_some() {
            // A reader gets its own copy of the state as of its open, even beside a writer.
            return open(options, setup);
        }
        crate::session::open_registry::open_or_share(dir, options, setup, open)
    }

    /// Opens a directory database through a given file system (tests use `SimVfs`).
    pub fn open_with_vfs(
        dir: impl AsRef<Path>,
        options: Options,
        vfs: Arc<dyn Vfs>,
    ) -> Result<Database> {
        Database::open_dir(dir.as_ref(), options, vfs, &mut |_| Ok(()))
    }

    pub(crate) fn open_dir(
        dir: &Path,
        options: Options,
        vfs: Arc<dyn Vfs>,
        setup: &mut dyn FnMut(&Database) -> Result<()>,
    ) -> Result<Database> {
        let started = Instant::now();
        let keep_snapshots = crate::snapshots::check_keep(options.keep_snapshots)?;
        let target = crate::session::recovery_time::check_target(options.recovery_target)?;
        let read_only = options.read_only || options.at_snapshot.is_some();
        check_may_create(&*vfs, dir, options.create_if_missing)?;
        if !read_only {
            vfs.create_dir_all(dir)
                .map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
        } else if let Err(error) = vfs.list(dir) {
            return Err(crate::err!(
                NotFound,
                "no database at {} (a read-only open does not create one): {error}",
                dir.display()
            ));
        }
        let lock = if read_only {
            lock_to_read(&*vfs, dir)?
        } else {
            Some(lock_dir(&*vfs, dir, options.busy_timeout)?)
        };
        let mut attempts = ReadAttempts::new(&lock);
        let mut registered: Option<Arc<crate::catalog::Catalog>> = None;
        let (db, recovered, report) = loop {
            let db = Database::in_memory_with(options.clone());
            match &registered {
                None => setup(&db)?,
                Some(catalog) => db.adopt_functions(catalog),
            }
            // Data already on disk always loads; the budget applies to writes after the open.
            db.shared.store.memory().set_budget(None);
            let mut report = RecoveryReport::default();
            let before = attempts.before(&*vfs, dir);
            let recovered = match options.at_snapshot {
                Some(commit) => recover_at_snapshot(&db, &*vfs, dir, commit, &mut report),
                None => recover(&db, &*vfs, dir, options.salvage, &mut report),
            };
            match recovered {
                Ok(recovered) => break (db, recovered, report),
                Err(_) if attempts.retry(&*vfs, dir, &before) => registered = Some(db.catalog()),
                Err(error) => return Err(error),
            }
        };
        let mut report = report;
        db.shared
            .store
            .memory()
            .set_budget(options.resolved_memory_budget());
        // History starts after recovery (what recovery published may have turned it on):
        // replayed commits are not AS OF readable.
        db.shared.store.set_history_retention(0, 0)?;
        crate::session::history::apply_retention(&db.shared)?;
        let wal = if let Some(commit) = options.at_snapshot {
            let reason = format!(
                "opened at the snapshot of commit {commit} (Options::at_snapshot); the WAL \
                 after it is not replayed"
            );
            Wal::read_only(Arc::clone(&vfs), dir, options.sync_policy, reason)
        } else if options.read_only {
            let reason = "opened read-only (Options::read_only)".to_string();
            Wal::read_only(Arc::clone(&vfs), dir, options.sync_policy, reason)
        } else {
            match prepare_for_writes(&vfs, dir, &options, &recovered, &mut report) {
                Ok(wal) => wal,
                Err(error) if error.kind() == crate::ErrorKind::Io => {
                    let reason = format!(
                        "the directory could not be written at open ({}); reopen once it can",
                        error.message()
                    );
                    Wal::read_only(Arc::clone(&vfs), dir, options.sync_policy, reason)
                }
                Err(error) => return Err(error),
            }
        };
        let writable = wal.read_only_reason().is_none();
        let durable = Durable::new(
            Arc::clone(&vfs),
            dir,
            wal,
            lock,
            RecoveryModel::new(target, options.checkpoint_bytes),
            report,
        );
        if db.shared.durable.set(durable).is_err() {
            return Err(crate::err!(InvalidInput, "database opened twice"));
        }
        let durable = db.shared.durable.get().expect("set above");
        durable
            .keep_snapshots
            .store(keep_snapshots, std::sync::atomic::Ordering::Relaxed);
        // Every writable open checkpoints: the files then use this process's ids, and a new
        // directory gets a snapshot naming its first segment (so losing that segment shows).
        let mut closing_checkpoint = Duration::ZERO;
        if writable {
            let mut checkpointed = durability::checkpoint_at_open(&db.shared);
            // On a full disk the log's reserve makes room for this one checkpoint, which
            // then frees the old segments (and takes the reserve back if it can).
            if checkpointed.is_err() && durable.wal.release_reserve() {
                checkpointed = durability::checkpoint_at_open(&db.shared);
            }
            match checkpointed {
                Ok(report) => closing_checkpoint = report.duration,
                Err(error) => durable.wal.set_read_only(format!(
                    "the checkpoint that ends recovery could not be written ({}); reopen once \
                     the directory can be written",
                    error.message()
                )),
            }
        }
        durable.finish_recovery(started.elapsed(), closing_checkpoint);
        // The recovery log is best effort: failing to write it does not fail the open.
        if !read_only {
            let line = format!("{}\n", durable.stats().recovery);
            let _ = vfs.append(&dir.join("ember.log"), line.as_bytes());
        }
        Ok(db)
    }

    /// Drops this handle as a crash would, for crash tests over a simulated file system:
    /// once the last handle goes, the directory database writes nothing more (no final WAL
    /// sync), while memory and background threads are released as in a normal drop (unlike
    /// `std::mem::forget`, which leaks a collector thread per database).
    #[doc(hidden)]
    pub fn drop_as_if_crashed(self) {
        if let Some(durable) = self.shared.durable.get() {
            durable.abandon();
        }
    }

    /// Counters of the WAL, checkpoints and recovery; `None` for an in-memory database.
    pub fn durability_stats(&self) -> Option<crate::DurabilityStats> {
        self.shared.durable.get().map(Durable::stats)
    }

    /// Takes a checkpoint now (what the `CHECKPOINT` statement does).
    pub fn checkpoint(&self) -> Result<crate::CheckpointReport> {
        durability::checkpoint(&self.shared)
    }
}

/// Whether `name`, in a database directory, holds data: a snapshot or a WAL segment.
fn is_data_file(name: &str) -> bool {
    let segment = name
        .strip_prefix("wal-")
        .and_then(|n| n.strip_suffix(".log"));
    let snapshot = name
        .strip_prefix("snap-")
        .and_then(|n| n.strip_suffix(".snap"));
    segment
        .or(snapshot)
        .is_some_and(|digits| !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()))
}

/// Whether `name` is a file only a database that held data leaves behind: its recovery log,
/// its log reserve, a snapshot being written, a salvage copy. (`LOCK` is not one: any open
/// takes it, even one that failed before creating anything.)
fn marks_a_database(name: &str) -> bool {
    name == "ember.log"
        || name == MANIFEST_NAME
        || name == ember_storage::wal::RESERVE_NAME
        || name.starts_with("snap-")
        || name.starts_with("wal-")
        || name.starts_with("salvage-")
}

/// Refuses to start a new, empty database where `create_if_missing` does not allow it: by
/// default only a directory that is absent or holds no EmberDB file gets one, and a
/// directory whose snapshots and WAL segments are gone while the files a database leaves
/// beside them remain is `Corruption` (a new database there would hide the loss).
fn check_may_create(vfs: &dyn Vfs, dir: &Path, create_if_missing: Option<bool>) -> Result<()> {
    if create_if_missing == Some(true) {
        return Ok(());
    }
    // An absent or unreadable directory holds nothing; the open reports what it cannot do.
    let names = vfs.list(dir).unwrap_or_default();
    if names.iter().any(|name| is_data_file(name)) {
        return Ok(());
    }
    let mut left: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|name| marks_a_database(name))
        .collect();
    left.sort_unstable();
    match create_if_missing {
        Some(false) => Err(crate::err!(
            NotFound,
            "no database at {}: it holds no snapshot and no WAL segment, and \
             Options::create_if_missing is false",
            dir.display()
        )),
        _ if left.is_empty() => Ok(()),
        _ => Err(crate::err!(
            Corruption,
            "database directory {} has lost its data: no snapshot (snap-*.snap) and no WAL \
             segment (wal-*.log) is left, but {} show a database was there; restore its \
             files, or open with Options::create_if_missing(true) to start a new empty \
             database in it",
            dir.display(),
            left.join(", ")
        )),
    }
}

/// Takes the directory lock. A held lock is retried until `busy_timeout` has passed (a
/// handle of this process that was just dropped may still hold it for a moment: its
/// background GC pass), then is `ErrorKind::Busy`; any other failure is an I/O error.
fn lock_dir(
    vfs: &dyn Vfs,
    dir: &Path,
    busy_timeout: Duration,
) -> Result<ember_storage::vfs::VfsLock> {
    let started = Instant::now();
    loop {
        match vfs.lock(dir) {
            Ok(lock) => return Ok(lock),
            Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                let waited = started.elapsed();
                if waited >= busy_timeout {
                    return Err(crate::err!(
                        Busy,
                        "database {} is already open in another process or handle: {} stayed \
                         locked for {} ms (Options::busy_timeout)",
                        dir.display(),
                        dir.join("LOCK").display(),
                        waited.as_millis()
                    ));
                }
                std::thread::sleep((busy_timeout - waited).min(Duration::from_millis(20)));
            }
            Err(e) => return Err(io_error(format!("locking {}", dir.display()), e)),
        }
    }
}

/// The write phase before the first commit: keeps a copy of what salvage dropped, removes
/// temp files of interrupted checkpoints, makes the scan's repairs and starts a new WAL
/// segment after the last one kept (ending that one with a mark naming the new one).
fn prepare_for_writes(
    vfs: &Arc<dyn Vfs>,
    dir: &Path,
    options: &Options,
    recovered: &Recovered,
    report: &mut RecoveryReport,
) -> Result<Arc<Wal>> {
    if !report.salvaged.is_empty() {
        report.salvage_copy = Some(keep_damaged_files(&**vfs, dir)?);
        // The cuts below may leave the log shorter than the manifest promises: it goes
        // first, and this open's checkpoint writes the next one.
        Manifest::remove(&**vfs, dir)?;
    }
    let names = vfs
        .list(dir)
        .map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
    for temp in names.iter().filter(|name| name.ends_with(".tmp")) {
        let path = dir.join(temp);
        vfs.remove(&path)
            .map_err(|e| io_error(format!("removing {}", path.display()), e))?;
    }
    apply_repairs(&**vfs, dir, &recovered.repairs)?;
    let next_segment = segment_indexes(&**vfs, dir)?
        .last()
        .map_or(1, |last| last + 1)
        .max(recovered.wal_start);
    let previous = recovered
        .last_segment
        .filter(|(last, _, _)| last + 1 == next_segment);
    let wal = Wal::create_after(
        Arc::clone(vfs),
        dir,
        next_segment,
        options.sync_policy,
        options.wal_segment_bytes,
        previous.map(|(_, len, _)| len),
    )?;
    if let Some((last, len, false)) = previous {
        wal.end_segment(last, next_segment, len)?;
    }
    // Head room for commits on a filling disk; without room for it the log still works.
    let _ = wal.ensure_reserve();
    Ok(wal)
}

/// Copies every snapshot and WAL file and the log manifest, as they are before salvage cuts
/// anything, into a new `salvage-<unix time>` folder of `dir`; returns its path.
fn keep_damaged_files(vfs: &dyn Vfs, dir: &Path) -> Result<String> {
    let seconds = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| elapsed.as_secs());
    let names = vfs
        .list(dir)
        .map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
    let mut copy_dir = dir.join(format!("salvage-{seconds}"));
    let mut attempt = 1;
    while names
        .iter()
        .any(|name| copy_dir.file_name() == Some(name.as_ref()))
    {
        attempt += 1;
        copy_dir = dir.join(format!("salvage-{seconds}-{attempt}"));
    }
    vfs.create_dir_all(&copy_dir)
        .map_err(|e| io_error(format!("creating {}", copy_dir.display()), e))?;
    let kept = names.iter().filter(|name| {
        name.starts_with("snap-") || name.starts_with("wal-") || *name == MANIFEST_NAME
    });
    for name in kept {
        let (from, to) = (dir.join(name), copy_dir.join(name));
        let bytes = vfs
            .read(&from)
            .map_err(|e| io_error(format!("reading {}", from.display()), e))?;
        vfs.write_new(&to, &bytes)
            .and_then(|()| vfs.sync(&to))
            .map_err(|e| io_error(format!("copying {} to {}", from.display(), to.display()), e))?;
    }
    vfs.sync_dir(&copy_dir)
        .and_then(|()| vfs.sync_dir(dir))
        .map_err(|e| io_error(format!("syncing {}", copy_dir.display()), e))?;
    Ok(copy_dir.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::ErrorKind;

    fn scratch(name: &str) -> std::path::PathBuf {
        let dir = std::env::temp_dir().join(format!("ember-open-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        dir
    }

    #[test]
    fn memory_path_opens_in_memory_and_creates_nothing() {
        let db = Database::open(IN_MEMORY_PATH).unwrap();
        assert!(db.durability_stats().is_none());
        db.connect().execute_batch("CREATE TABLE t(a INT)").unwrap();
        assert!(!Path::new(IN_MEMORY_PATH).exists());
        let read_only = Database::open_with(IN_MEMORY_PATH, Options::new().read_only(true));
        assert_eq!(
            read_only.err().map(|e| e.kind()),
            Some(ErrorKind::InvalidInput)
        );
    }

    #[test]
    fn an_sqlite_file_is_named_with_how_to_load_it() {
        let dir = scratch("sqlite-file");
        let file = dir.join("app.db");
        let mut bytes = SQLITE_HEADER.to_vec();
        bytes.extend_from_slice(&[0; 84]);
        std::fs::write(&file, &bytes).unwrap();
        let error = Database::open(&file)
            .err()
            .expect("an SQLite file is refused");
        assert_eq!(error.kind(), ErrorKind::InvalidInput);
        let message = error.to_string();
        assert!(message.contains("is an SQLite database file"), "{message}");
        assert!(message.contains(".dump | ember"), "{message}");
        assert_eq!(
            std::fs::read(&file).unwrap(),
            bytes,
            "the file is left as it was"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn any_other_file_is_refused_as_not_a_directory() {
        let dir = scratch("plain-file");
        for contents in [&b"hello"[..], b""] {
            let file = dir.join("notes.txt");
            std::fs::write(&file, contents).unwrap();
            let error = Database::open(&file)
                .err()
                .expect("a plain file is refused");
            assert_eq!(error.kind(), ErrorKind::InvalidInput);
            let message = error.to_string();
            assert!(
                message.contains("EmberDB databases are directories"),
                "{message}"
            );
            assert!(!message.contains("SQLite database file"), "{message}");
        }
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
