//! Opening a directory database: lock the directory, load the newest snapshot, replay the WAL
//! after it (a torn tail is cut; damage before valid records is a `Corruption` error naming
//! file and offset, unless salvaging), then start a fresh WAL segment. Row and table ids in
//! the files are those of the process that wrote them, so replay maps them onto the new
//! store's ids, and whenever anything was loaded a checkpoint re-bases the files on the new
//! ids before the first commit.

use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ember_storage::snapshot::{read_snapshot, snapshot_name, snapshot_timestamps, LoadedSnapshot};
use ember_storage::vfs::{OsVfs, Vfs};
use ember_storage::wal::record::{CatalogOp, RowChange, WalRecord};
use ember_storage::wal::{scan_wal, segment_indexes, Wal};
use ember_storage::{row, Table, Transaction};

use crate::database::Database;
use crate::durability::{self, Durable};
use crate::error::Result;
use crate::options::Options;

/// How long opening waits for a directory lock held elsewhere before failing.
const LOCK_WAIT: Duration = Duration::from_secs(6);

/// What recovery did when a directory database was opened.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RecoveryReport {
    /// The snapshot file loaded, if any.
    pub snapshot: Option<String>,
    /// Rows loaded from that snapshot.
    pub snapshot_rows: u64,
    /// WAL records (commits and catalog changes) replayed after the snapshot.
    pub records_replayed: u64,
    /// Bytes cut off the WAL (a torn tail, or the damaged rest when salvaging).
    pub bytes_truncated: u64,
    /// Damage skipped by salvage (file and offset), empty otherwise.
    pub salvaged: Vec<String>,
    /// Wall-clock time recovery took.
    pub duration: Duration,
}

impl std::fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "recovery: snapshot {} ({} rows), {} WAL records replayed, {} bytes truncated, \
             {} salvaged, {:.3} ms",
            self.snapshot.as_deref().unwrap_or("none"),
            self.snapshot_rows,
            self.records_replayed,
            self.bytes_truncated,
            self.salvaged.len(),
            self.duration.as_secs_f64() * 1000.0
        )
    }
}

/// A table being rebuilt: the new storage table and the map from file row ids to new ones.
struct Rebuilt {
    table: Arc<Table>,
    rows: HashMap<u64, u64>,
}

fn io_error(what: String, error: std::io::Error) -> crate::Error {
    crate::err!(Io, "{what}: {error}")
}

impl Database {
    /// Opens (creating it if absent) the directory database at `dir`, with default options
    /// (commits fsynced before they return). Fails if another process has it open.
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
    pub fn open(dir: impl AsRef<Path>) -> Result<Database> {
        Database::open_with(dir, Options::default())
    }

    /// Opens a directory database with the given options.
    pub fn open_with(dir: impl AsRef<Path>, options: Options) -> Result<Database> {
        Database::open_with_vfs(dir, options, Arc::new(OsVfs::new()))
    }

    /// Opens a directory database through a given file system (tests use `SimVfs`).
    pub fn open_with_vfs(
        dir: impl AsRef<Path>,
        options: Options,
        vfs: Arc<dyn Vfs>,
    ) -> Result<Database> {
        let dir = dir.as_ref();
        let started = Instant::now();
        vfs.create_dir_all(dir)
            .map_err(|e| io_error(format!("creating {}", dir.display()), e))?;
        // A handle of this process that was just dropped may still be held for a moment by
        // its background GC pass (a compaction waits up to 5 s for deferred frees), so a
        // held lock is retried for a bounded time before it is an error; any other failure
        // (an I/O error) is an error at once.
        let lock = loop {
            match vfs.lock(dir) {
                Ok(lock) => break lock,
                Err(e)
                    if e.kind() == std::io::ErrorKind::WouldBlock
                        && started.elapsed() < LOCK_WAIT =>
                {
                    std::thread::sleep(Duration::from_millis(20));
                }
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    return Err(crate::err!(
                        Io,
                        "database {} is already open in another process or handle: {e}",
                        dir.display()
                    ))
                }
                Err(e) => return Err(io_error(format!("locking {}", dir.display()), e)),
            }
        };
        let db = Database::in_memory_with(options.clone());
        // Data already on disk always loads; the budget applies to writes after the open.
        db.shared.store.memory().set_budget(None);
        let mut report = RecoveryReport::default();
        let loaded_anything = recover(&db, &*vfs, dir, options.salvage, &mut report)?;
        db.shared
            .store
            .memory()
            .set_budget(options.memory_budget_bytes);
        let next_segment = segment_indexes(&*vfs, dir)?
            .last()
            .map_or(1, |last| last + 1);
        let wal = Wal::create(
            Arc::clone(&vfs),
            dir,
            next_segment,
            options.sync_policy,
            options.wal_segment_bytes,
        )?;
        report.duration = started.elapsed();
        let line = format!("{report}\n");
        let durable = Durable::new(
            Arc::clone(&vfs),
            dir,
            wal,
            lock,
            options.checkpoint_bytes,
            report,
        );
        if db.shared.durable.set(durable).is_err() {
            return Err(crate::err!(InvalidInput, "database opened twice"));
        }
        if loaded_anything {
            durability::checkpoint(&db.shared)?;
        }
        // The recovery log is best effort: failing to write it does not fail the open.
        let _ = vfs.append(&dir.join("ember.log"), line.as_bytes());
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

/// Loads the snapshot and replays the WAL into `db`; returns whether anything was loaded.
fn recover(
    db: &Database,
    vfs: &dyn Vfs,
    dir: &Path,
    salvage: bool,
    report: &mut RecoveryReport,
) -> Result<bool> {
    let names = vfs
        .list(dir)
        .map_err(|e| io_error(format!("listing {}", dir.display()), e))?;
    for temp in names.iter().filter(|name| name.ends_with(".tmp")) {
        let path = dir.join(temp);
        vfs.remove(&path)
            .map_err(|e| io_error(format!("removing {}", path.display()), e))?;
    }
    let mut tables: HashMap<u64, Rebuilt> = HashMap::new();
    let mut wal_start = 0;
    if let Some(snapshot) = newest_snapshot(vfs, dir, salvage, report)? {
        wal_start = snapshot.wal_start;
        db.shared.store.clock().advance_to(snapshot.ts);
        load_snapshot(db, &snapshot, &mut tables, report)?;
    }
    let scan = scan_wal(vfs, dir, wal_start, salvage)?;
    report.bytes_truncated = scan.truncated_bytes;
    report.salvaged.extend(scan.salvaged);
    for record in &scan.records {
        replay(db, record, &mut tables)?;
        report.records_replayed += 1;
    }
    Ok(report.snapshot.is_some() || report.records_replayed > 0)
}

fn newest_snapshot(
    vfs: &dyn Vfs,
    dir: &Path,
    salvage: bool,
    report: &mut RecoveryReport,
) -> Result<Option<LoadedSnapshot>> {
    for ts in snapshot_timestamps(vfs, dir)?.into_iter().rev() {
        let path = dir.join(snapshot_name(ts));
        let bytes = vfs
            .read(&path)
            .map_err(|e| io_error(format!("reading {}", path.display()), e))?;
        match read_snapshot(&bytes, &path) {
            Ok(snapshot) => {
                report.snapshot = Some(snapshot_name(ts));
                return Ok(Some(snapshot));
            }
            Err(error) if salvage => report.salvaged.push(error.message),
            Err(error) => return Err(error.into()),
        }
    }
    Ok(None)
}

fn corrupt(what: impl std::fmt::Display) -> crate::Error {
    crate::err!(Corruption, "recovery: {what}")
}

fn load_snapshot(
    db: &Database,
    snapshot: &LoadedSnapshot,
    tables: &mut HashMap<u64, Rebuilt>,
    report: &mut RecoveryReport,
) -> Result<()> {
    let conn = db.connect();
    for table in &snapshot.tables {
        conn.execute(&table.sql, ())
            .map_err(|e| corrupt(format!("snapshot table {}: {e}", table.name)))?;
        let storage = table_storage(db, &table.name)?;
        tables.insert(
            table.table_id,
            Rebuilt {
                table: storage,
                rows: HashMap::new(),
            },
        );
    }
    for sql in &snapshot.schema_sql {
        conn.execute(sql, ())
            .map_err(|e| corrupt(format!("snapshot schema statement: {e}")))?;
    }
    let mut txn = db.shared.store.begin()?;
    txn.skip_unique_checks();
    for table in &snapshot.tables {
        let rebuilt = tables.get_mut(&table.table_id).expect("inserted above");
        let types = &rebuilt.table.schema().types;
        for (row, payload) in &table.rows {
            let values = row::decode(types, payload)
                .map_err(|e| corrupt(format!("snapshot row of {}: {}", table.name, e.message)))?;
            let new_row = txn
                .insert(&rebuilt.table, &values)
                .map_err(|e| corrupt(format!("snapshot row of {}: {}", table.name, e.message)))?;
            rebuilt.rows.insert(*row, new_row);
            report.snapshot_rows += 1;
        }
    }
    txn.commit()?;
    Ok(())
}

fn table_storage(db: &Database, name: &str) -> Result<Arc<Table>> {
    db.catalog()
        .table(name)
        .map(|table| Arc::clone(&table.storage))
        .ok_or_else(|| corrupt(format!("table {name} missing after its CREATE")))
}

fn replay(db: &Database, record: &WalRecord, tables: &mut HashMap<u64, Rebuilt>) -> Result<()> {
    match record {
        WalRecord::Catalog {
            op,
            table_id,
            name,
            sql,
        } => match op {
            CatalogOp::CreateTable => {
                db.connect()
                    .execute(sql, ())
                    .map_err(|e| corrupt(format!("replaying `{sql}`: {e}")))?;
                let table = table_storage(db, name)?;
                tables.insert(
                    *table_id,
                    Rebuilt {
                        table,
                        rows: HashMap::new(),
                    },
                );
            }
            CatalogOp::DropTable => {
                crate::exec::drop_table(&db.shared, name, true)?;
                tables.remove(table_id);
            }
            CatalogOp::Other => {
                db.connect()
                    .execute(sql, ())
                    .map_err(|e| corrupt(format!("replaying `{sql}`: {e}")))?;
            }
        },
        WalRecord::Commit { ts, changes } => {
            let mut txn = db.shared.store.begin()?;
            // Checked when it first ran; replayed row by row it may pass through states
            // that repeat a unique key (two rows swapping keys).
            txn.skip_unique_checks();
            for change in changes {
                // Changes to a table dropped later in the log have no table to go to.
                if let Some(rebuilt) = tables.get_mut(&change.table_id) {
                    replay_change(&mut txn, rebuilt, change)?;
                }
            }
            txn.commit()?;
            db.shared.store.clock().advance_to(*ts);
        }
    }
    Ok(())
}

fn replay_change(txn: &mut Transaction, rebuilt: &mut Rebuilt, change: &RowChange) -> Result<()> {
    let table = &rebuilt.table;
    let mut current = Vec::new();
    let live = match rebuilt.rows.get(&change.row) {
        Some(row) => txn.read_row(table, *row, &mut current)?.then_some(*row),
        None => None,
    };
    let damaged = |e: ember_storage::StorageError| {
        corrupt(format!("WAL change to row {}: {}", change.row, e.message))
    };
    match (&change.payload, live) {
        (Some(payload), live) => {
            let values = row::decode(&table.schema().types, payload).map_err(damaged)?;
            let new_row = match live {
                Some(row) => txn.update(table, row, &values).map_err(damaged)?,
                None => txn.insert(table, &values).map_err(damaged)?,
            };
            rebuilt.rows.insert(change.row, new_row);
        }
        (None, Some(row)) => txn.delete(table, row).map_err(damaged)?,
        (None, None) => {}
    }
    Ok(())
}
