//! Online backup and restore: `Database::backup_to` writes the whole database (schema and
//! every row) as of one commit into any writer while writers go on, in the checkpoint
//! snapshot format wrapped as a self-checking backup file (`ember_storage::snapshot::backup`);
//! `Database::restore_from` rebuilds a directory database from one, `Database::in_memory_from`
//! loads one into a new in-memory database. A backup is checked whole before anything is
//! created: a damaged one is a `Corruption` error naming the byte offset, and no directory is
//! left behind. The image writer here (`write_image`) is also what checkpoints write.

use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ember_storage::snapshot::{
    read_backup, unix_ms_now, BackupWriter, LoadedSnapshot, SnapshotEncoder,
};
use ember_storage::vfs::OsVfs;
use ember_storage::Transaction;

use crate::catalog::Catalog;
use crate::database::{Database, Shared};
use crate::error::Result;
use crate::options::Options;
use crate::recovery::load_image;

/// What a backup holds: returned by [`Database::backup_to`] and [`Database::restore_from`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BackupInfo {
    /// The commit number (timestamp) the image is consistent at: every commit up to it is
    /// in, none after it.
    pub commit: u64,
    /// Tables in the backup.
    pub tables: u64,
    /// Rows in all tables.
    pub rows: u64,
    /// Bytes of the backup file.
    pub bytes: u64,
}

/// Begins a read transaction and takes the catalog under the DDL lock, so the schema is the
/// one of the transaction's snapshot. The transaction keeps GC off the versions it reads.
pub(crate) fn consistent_read(shared: &Shared) -> Result<(Transaction, Arc<Catalog>)> {
    let _ddl = shared.lock_ddl();
    let txn = shared.store.begin()?;
    Ok((txn, shared.catalog.load_full()))
}

/// Writes every table's definition and visible rows, the views, the CREATE INDEX
/// statements (a UNIQUE constraint's index comes back with its table) and the triggers.
pub(crate) fn write_image<W: Write>(
    image: &mut SnapshotEncoder<W>,
    txn: &Transaction,
    catalog: &Catalog,
) -> Result<()> {
    for table in catalog.tables() {
        image.table(table.storage.id(), &table.name, &table.creation_sql()?)?;
        image.rows(txn, &table.storage)?;
    }
    for view in catalog.views() {
        image.schema_sql(&view.sql)?;
    }
    for table in catalog.tables() {
        for sql in table.indexes.iter().filter_map(|index| index.sql.as_ref()) {
            image.schema_sql(sql)?;
        }
    }
    // After the tables and views they are on.
    for trigger in catalog.triggers() {
        image.schema_sql(&trigger.sql)?;
    }
    Ok(())
}

/// Reads a whole backup and checks it (every frame, the image checksum, the trailer).
fn read_checked(mut reader: impl Read) -> Result<(LoadedSnapshot, BackupInfo)> {
    let mut bytes = Vec::new();
    reader
        .read_to_end(&mut bytes)
        .map_err(|e| crate::err!(Io, "reading the backup: {e}"))?;
    let (snapshot, trailer) = read_backup(&bytes)?;
    let info = BackupInfo {
        commit: trailer.ts,
        tables: trailer.tables,
        rows: trailer.rows,
        bytes: trailer.file_bytes(),
    };
    Ok((snapshot, info))
}

impl Database {
    /// Writes a backup of the whole database (schema and every row) as of one commit into
    /// `out`, while other connections go on writing. The file is the checkpoint snapshot
    /// format between a magic and a checksummed trailer (docs/durability.md); restore it
    /// with [`Database::restore_from`] or [`Database::in_memory_from`]. Works for in-memory
    /// and directory databases alike. A directory database's log is synced first, so the
    /// backup holds only commits a crash cannot take back; a failed sync (or a log an earlier
    /// failed sync poisoned) is an `ErrorKind::Io` error and nothing is written.
    ///
    /// ```
    /// let db = ember::Database::in_memory();
    /// db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2)").unwrap();
    /// let mut file = Vec::new();
    /// let info = db.backup_to(&mut file).unwrap();
    /// assert_eq!((info.tables, info.rows, info.bytes), (1, 2, file.len() as u64));
    /// ```
    pub fn backup_to(&self, out: impl Write) -> Result<BackupInfo> {
        let (txn, catalog) = consistent_read(&self.shared)?;
        let commit = txn.snapshot().read_ts;
        // A commit is visible once appended to the log, before its fsync: sync the log up to
        // here, so the backup holds no commit a crash could still take back (one whose fsync
        // fails is never acknowledged, and the backup fails with it).
        if let Some(durable) = self.shared.durable.get() {
            if let Err(error) = durable.wal.sync_now() {
                txn.rollback();
                return Err(error.into());
            }
        }
        let mut writer = BackupWriter::new(out, commit, unix_ms_now())?;
        let written = write_image(writer.image(), &txn, &catalog);
        txn.rollback();
        written?;
        let (_, trailer) = writer.finish()?;
        Ok(BackupInfo {
            commit,
            tables: trailer.tables,
            rows: trailer.rows,
            bytes: trailer.file_bytes(),
        })
    }

    /// Rebuilds a directory database at `dir` from a backup read from `backup`. `dir` must
    /// not exist or be an empty directory (a restore never overwrites a database). The
    /// backup is read and checked whole first: a damaged one is an `ErrorKind::Corruption`
    /// error naming the byte offset, and nothing is created. The database is built in a
    /// temporary sibling directory and renamed into place once complete, so a failure
    /// leaves no partial directory. Open it afterwards with [`Database::open`].
    ///
    /// ```
    /// let db = ember::Database::in_memory();
    /// db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (7)").unwrap();
    /// let mut file = Vec::new();
    /// db.backup_to(&mut file).unwrap();
    /// let dir = std::env::temp_dir().join(format!("ember-doc-restore-{}", std::process::id()));
    /// let info = ember::Database::restore_from(&file[..], &dir).unwrap();
    /// assert_eq!(info.rows, 1);
    /// let restored = ember::Database::open(&dir).unwrap();
    /// let a: i64 = restored.connect().query_row("SELECT a FROM t", (), |r| r.get(0)).unwrap();
    /// assert_eq!(a, 7);
    /// // A non-empty directory is refused.
    /// let error = ember::Database::restore_from(&file[..], &dir).unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::AlreadyExists);
    /// # drop(restored); std::fs::remove_dir_all(&dir).unwrap();
    /// ```
    pub fn restore_from(backup: impl Read, dir: impl AsRef<Path>) -> Result<BackupInfo> {
        let dir = dir.as_ref();
        check_restore_target(dir)?;
        let (snapshot, info) = read_checked(backup)?;
        let temp = temp_sibling(dir)?;
        let built = build_directory(&temp, &snapshot).and_then(|()| {
            std::fs::rename(&temp, dir).map_err(|e| {
                crate::err!(
                    Io,
                    "moving the restored database {} to {}: {e}",
                    temp.display(),
                    dir.display()
                )
            })
        });
        if let Err(error) = built {
            let _ = std::fs::remove_dir_all(&temp);
            return Err(error);
        }
        if let Some(parent) = dir.parent().filter(|p| !p.as_os_str().is_empty()) {
            // The rename is durable once the parent directory is synced (best effort).
            let _ = std::fs::File::open(parent).and_then(|f| f.sync_all());
        }
        Ok(info)
    }

    /// A new in-memory database holding the contents of a backup read from `backup` (what
    /// [`Database::backup_to`] wrote, from an in-memory or a directory database). A damaged
    /// backup is an `ErrorKind::Corruption` error naming the byte offset.
    ///
    /// ```
    /// let db = ember::Database::in_memory();
    /// db.connect().execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (7)").unwrap();
    /// let mut file = Vec::new();
    /// db.backup_to(&mut file).unwrap();
    /// let copy = ember::Database::in_memory_from(&file[..]).unwrap();
    /// let a: i64 = copy.connect().query_row("SELECT a FROM t", (), |r| r.get(0)).unwrap();
    /// assert_eq!(a, 7);
    /// file[40] ^= 1;
    /// let error = ember::Database::in_memory_from(&file[..]).err().unwrap();
    /// assert_eq!(error.kind(), ember::ErrorKind::Corruption);
    /// assert!(error.to_string().contains("offset"));
    /// ```
    pub fn in_memory_from(backup: impl Read) -> Result<Database> {
        let (snapshot, _) = read_checked(backup)?;
        let db = Database::in_memory();
        load_image(&db, &snapshot)?;
        Ok(db)
    }
}

/// Refuses a target that exists and is not an empty directory.
fn check_restore_target(dir: &Path) -> Result<()> {
    match std::fs::read_dir(dir).map(|mut entries| entries.next().is_none()) {
        Ok(true) => Ok(()),
        Ok(_) => Err(crate::err!(
            AlreadyExists,
            "cannot restore into {}: the directory is not empty (a restore never overwrites; \
             name a new or empty directory)",
            dir.display()
        )),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(_) if dir.exists() => Err(crate::err!(
            AlreadyExists,
            "cannot restore into {}: it exists and is not a directory",
            dir.display()
        )),
        Err(e) => Err(crate::err!(Io, "reading {}: {e}", dir.display())),
    }
}

/// A fresh directory name next to `dir` to build the restored database in.
fn temp_sibling(dir: &Path) -> Result<PathBuf> {
    let Some(name) = dir.file_name() else {
        return Err(crate::err!(
            InvalidInput,
            "cannot restore into {}: it names no directory",
            dir.display()
        ));
    };
    let parent = dir.parent().unwrap_or(Path::new(""));
    let stamp = unix_ms_now();
    let temp = parent.join(format!(
        ".{}.restoring-{}-{stamp}",
        name.to_string_lossy(),
        std::process::id()
    ));
    if temp.exists() {
        return Err(crate::err!(
            AlreadyExists,
            "cannot restore: {} exists",
            temp.display()
        ));
    }
    Ok(temp)
}

/// Creates the directory database at `temp` holding the image: the open loads it before
/// recovery (which finds an empty directory) and its closing checkpoint writes it out as
/// the directory's snapshot. Returns once the database is closed and unlocked.
fn build_directory(temp: &Path, snapshot: &LoadedSnapshot) -> Result<()> {
    let mut load = |db: &Database| load_image(db, snapshot).map(|_| ());
    let db = Database::open_dir(temp, Options::default(), Arc::new(OsVfs::new()), &mut load)?;
    if let Some(reason) = db
        .durability_stats()
        .and_then(|stats| stats.recovery.read_only)
    {
        return Err(crate::err!(
            Io,
            "the restored database could not be written: {reason}"
        ));
    }
    // Close it here, not on the collector thread: the directory is renamed next.
    let mut shared = db.shared;
    let started = Instant::now();
    loop {
        match Arc::try_unwrap(shared) {
            Ok(only) => {
                drop(only);
                return Ok(());
            }
            Err(back) if started.elapsed() < Duration::from_secs(10) => {
                shared = back;
                std::thread::sleep(Duration::from_millis(1));
            }
            Err(_) => {
                return Err(crate::err!(
                    Internal,
                    "the restored database at {} stayed in use for 10 s",
                    temp.display()
                ))
            }
        }
    }
}
