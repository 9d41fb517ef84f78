//! The durable side of a directory database: the WAL hook on every commit (append under the
//! commit lock, fsync outside it so concurrent committers share one), catalog records for
//! DDL, checkpoints (a snapshot taken from MVCC while writers go on, then old WAL segments and
//! snapshots deleted), `PRAGMA synchronous` / `CHECKPOINT`, and the counters behind
//! `Database::durability_stats`.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use ember_storage::snapshot::{snapshot_name, snapshot_timestamps, SnapshotWriter};
use ember_storage::vfs::{Vfs, VfsLock};
use ember_storage::wal::record::{
    encode_change, encode_commit_header, encode_schema_commit_header, CatalogChange, CatalogOp,
    WalRecord,
};
use ember_storage::wal::{segment_indexes, segment_name, SyncPolicy, Wal};
use ember_storage::{IdleTransaction, Table, Transaction, Value};
use sqlparser::ast::Statement;

use crate::connection::Outcome;
use crate::database::{Database, Shared};
use crate::error::Result;
use crate::options::SYNC_INTERVAL_MS_DEFAULT;
use crate::recovery::RecoveryReport;
use crate::session::recovery_time::{millis, RecoveryModel};
use crate::snapshots::{check_keep, SnapshotCatalog, SnapshotInfo};

/// Least log growth between an automatic checkpoint that failed and the next try.
const CHECKPOINT_RETRY_BYTES_MIN: u64 = 64 << 10;

/// Counters of a directory database's durability machinery.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DurabilityStats {
    /// Write transactions committed through the WAL.
    pub commits: u64,
    /// Records appended to the WAL (commits and catalog changes).
    pub wal_records: u64,
    /// Bytes appended to the WAL, framing included.
    pub wal_bytes: u64,
    /// fsyncs of WAL segments (group commit makes this smaller than `commits`).
    pub wal_fsyncs: u64,
    /// Checkpoints completed (automatic and `CHECKPOINT`).
    pub checkpoints: u64,
    /// The message of the last automatic checkpoint that failed, if any.
    pub last_checkpoint_error: Option<String>,
    /// What recovery did when the database was opened.
    pub recovery: RecoveryReport,
    /// `Options::recovery_target`, if set.
    pub recovery_target: Option<std::time::Duration>,
    /// How long reopening would take now, by the recovery-time model (docs/durability.md).
    pub estimated_recovery: std::time::Duration,
    /// WAL bytes since the last checkpoint at which a commit starts the next one.
    pub checkpoint_threshold_bytes: u64,
    /// The model's snapshot load rate (measured at open, or the default), bytes per second.
    pub snapshot_load_bytes_per_s: u64,
    /// The model's WAL replay rate (measured at open, or the default), bytes per second.
    pub wal_replay_bytes_per_s: u64,
    /// The model's snapshot write rate (measured by checkpoints, or the default).
    pub snapshot_write_bytes_per_s: u64,
}

/// The durable state of a directory database (absent for in-memory ones).
pub(crate) struct Durable {
    pub(crate) vfs: Arc<dyn Vfs>,
    pub(crate) dir: PathBuf,
    pub(crate) wal: Arc<Wal>,
    /// WAL bytes since the last checkpoint at which a commit starts one (the smaller of
    /// `checkpoint_bytes` and the recovery target's; the model refreshes it).
    pub(crate) checkpoint_at: AtomicU64,
    /// The recovery-time model (`recovery_time.rs`), updated by opens and checkpoints.
    pub(crate) model: Mutex<RecoveryModel>,
    /// What recovery did (its duration and read-only state filled in once the open ends).
    recovery: Mutex<RecoveryReport>,
    checkpoint_lock: Mutex<()>,
    checkpoint_running: AtomicBool,
    /// Log bytes since the last checkpoint before an automatic one is tried again after a
    /// failure (0: no failure pending).
    checkpoint_retry_at: AtomicU64,
    commits: AtomicU64,
    checkpoints: AtomicU64,
    last_checkpoint_error: Mutex<Option<String>>,
    /// Set by `Database::drop_as_if_crashed`: the drop writes nothing more.
    abandoned: AtomicBool,
    /// How many snapshots a checkpoint keeps (`PRAGMA keep_snapshots`), at least 1.
    pub(crate) keep_snapshots: AtomicU64,
    /// What `ember_snapshots` shows of the snapshot files.
    pub(crate) snapshots: SnapshotCatalog,
    /// The directory lock; `None` for a reader that opened beside a writer holding it.
    _lock: Option<VfsLock>,
}

impl Durable {
    pub(crate) fn new(
        vfs: Arc<dyn Vfs>,
        dir: &Path,
        wal: Arc<Wal>,
        lock: Option<VfsLock>,
        model: RecoveryModel,
        recovery: RecoveryReport,
    ) -> Durable {
        Durable {
            vfs,
            dir: dir.to_path_buf(),
            wal,
            checkpoint_at: AtomicU64::new(model.checkpoint_threshold()),
            model: Mutex::new(model),
            recovery: Mutex::new(recovery),
            checkpoint_lock: Mutex::new(()),
            checkpoint_running: AtomicBool::new(false),
            checkpoint_retry_at: AtomicU64::new(0),
            commits: AtomicU64::new(0),
            checkpoints: AtomicU64::new(0),
            last_checkpoint_error: Mutex::new(None),
            abandoned: AtomicBool::new(false),
            keep_snapshots: AtomicU64::new(1),
            snapshots: SnapshotCatalog::default(),
            _lock: lock,
        }
    }

    pub(crate) fn stats(&self) -> DurabilityStats {
        let wal = &self.wal.stats;
        let model = self.model().clone();
        let bytes_per_s = |rate: crate::session::recovery_time::Rate| rate.bytes_per_s as u64;
        DurabilityStats {
            recovery_target: model.target,
            estimated_recovery: model.estimate(self.wal.bytes_since_checkpoint()),
            checkpoint_threshold_bytes: self.checkpoint_at.load(Ordering::Relaxed),
            snapshot_load_bytes_per_s: bytes_per_s(model.snapshot_load),
            wal_replay_bytes_per_s: bytes_per_s(model.wal_replay),
            snapshot_write_bytes_per_s: bytes_per_s(model.snapshot_write),
            commits: self.commits.load(Ordering::Relaxed),
            wal_records: wal.records.load(Ordering::Relaxed),
            wal_bytes: wal.bytes.load(Ordering::Relaxed),
            wal_fsyncs: wal.fsyncs.load(Ordering::Relaxed),
            checkpoints: self.checkpoints.load(Ordering::Relaxed),
            last_checkpoint_error: self
                .last_checkpoint_error
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone(),
            recovery: {
                let mut recovery = self
                    .recovery
                    .lock()
                    .unwrap_or_else(|p| p.into_inner())
                    .clone();
                recovery.read_only = self.wal.read_only_reason();
                recovery
            },
        }
    }

    /// Records how long the open took, once it is done (`checkpoint`: its closing
    /// checkpoint's share), and gives the recovery-time model what it measured.
    pub(crate) fn finish_recovery(
        &self,
        duration: std::time::Duration,
        checkpoint: std::time::Duration,
    ) {
        let report = {
            let mut report = self.recovery.lock().unwrap_or_else(|p| p.into_inner());
            report.duration = duration;
            report.clone()
        };
        self.observe_open(&report, checkpoint);
    }
}

impl Durable {
    /// Makes the coming drop skip the clean-shutdown sync, as a crash would.
    pub(crate) fn abandon(&self) {
        self.abandoned.store(true, Ordering::SeqCst);
    }
}

impl Drop for Durable {
    fn drop(&mut self) {
        // Clean shutdown: whatever the policy, make the log durable before unlocking.
        if !self.wal.is_failed() && !self.abandoned.load(Ordering::SeqCst) {
            let _ = self.wal.close();
        }
    }
}

impl crate::exec::schema::system::DurabilityRow for Durable {
    /// The one row of `ember_durability` for a directory database.
    fn durability_row(&self) -> Vec<Value> {
        use crate::exec::schema::system::int;
        let stats = self.stats();
        let text_or_null = |text: Option<String>| text.map_or(Value::Null, Value::Text);
        let recovery = stats.recovery;
        let salvaged = (!recovery.salvaged.is_empty()).then(|| recovery.salvaged.join("; "));
        let recovery_mb_per_s = recovery.mb_per_s();
        vec![
            Value::Text(self.dir.display().to_string()),
            Value::Text(policy_name(self.wal.policy()).to_string()),
            int(stats.commits),
            int(stats.wal_records),
            int(stats.wal_bytes),
            int(stats.wal_fsyncs),
            int(stats.checkpoints),
            text_or_null(stats.last_checkpoint_error),
            text_or_null(recovery.snapshot),
            int(recovery.snapshot_rows),
            int(recovery.records_replayed),
            int(recovery.bytes_truncated),
            text_or_null(salvaged),
            Value::Real(recovery.duration.as_secs_f64() * 1000.0),
            text_or_null(recovery.read_only),
            stats
                .recovery_target
                .map_or(Value::Null, |target| Value::Real(millis(target))),
            Value::Real(millis(stats.estimated_recovery)),
            Value::Real(recovery_mb_per_s),
            Value::Real(stats.snapshot_load_bytes_per_s as f64 / 1e6),
            Value::Real(stats.wal_replay_bytes_per_s as f64 / 1e6),
            Value::Real(stats.snapshot_write_bytes_per_s as f64 / 1e6),
            int(self.wal.bytes_since_checkpoint()),
            int(stats.checkpoint_threshold_bytes),
        ]
    }

    fn snapshot_rows(&self) -> Result<Vec<Vec<Value>>> {
        self.snapshots.rows(&*self.vfs, &self.dir)
    }
}

/// Commits `txn`; for a directory database, logs it first and (under `Always`) returns only
/// once the log is fsynced. Under a failed log, the commit is refused. The ended transaction
/// comes back (committed or not) for the connection to start its next one from.
pub(crate) fn commit(shared: &Shared, mut txn: Transaction) -> (Result<u64>, IdleTransaction) {
    let committed = commit_kept(shared, &mut txn);
    // Ended by the commit, whatever its outcome: this only hands it back.
    (committed, txn.rollback_reusable())
}

/// What the commit of a transaction that changed the schema logs besides its rows.
pub(crate) struct SchemaCommit<'a> {
    /// Its catalog records, in order (logged in the commit's record, before the rows).
    pub(crate) catalog: &'a [CatalogChange],
    /// The tables it dropped: marked dropped under the commit lock once the record is
    /// appended, so a later commit that wrote to one is refused.
    pub(crate) dropped: &'a [Arc<Table>],
}

/// `commit` of a transaction that changed the schema (`connection/staged_schema.rs`): its
/// catalog records and rows go into one WAL record, so recovery replays both or neither;
/// then its catalog is published. On failure the schema changes are undone.
pub(crate) fn commit_schema(
    shared: &Shared,
    mut txn: Transaction,
    staged: crate::connection::StagedSchema,
) -> (Result<u64>, IdleTransaction) {
    let committed = commit_schema_kept(shared, &mut txn, &staged);
    // Rows rolled back (when not committed) before the schema changes are undone.
    let idle = txn.rollback_reusable();
    drop(staged);
    if committed.is_ok() {
        if let Some(durable) = shared.durable.get() {
            maybe_checkpoint(shared, durable);
        }
    }
    (committed, idle)
}

fn commit_schema_kept(
    shared: &Shared,
    txn: &mut Transaction,
    staged: &crate::connection::StagedSchema,
) -> Result<u64> {
    let ddl = match staged.lock() {
        Ok(ddl) => ddl,
        Err(error) => {
            txn.rollback_kept();
            return Err(error);
        }
    };
    let records = staged.records();
    let dropped = staged.dropped_tables();
    let schema = SchemaCommit {
        catalog: &records,
        dropped: &dropped,
    };
    let committed = if !txn.has_writes() {
        // No row to commit: none was written, or every one was rolled back to a
        // savepoint (the transaction then holds an id but no write). The storage commit
        // would publish nothing and log nothing, so the records are logged alone.
        txn.rollback_kept();
        log_schema_only(shared, &schema)
    } else {
        commit_kept_with(shared, txn, Some(&schema))
    };
    drop(records);
    if committed.is_ok() {
        staged.publish_committed();
    }
    drop(ddl);
    committed
}

/// The commit of a transaction that changed the schema and wrote no row: its catalog
/// records, in one record of no rows (timestamp 0), then its dropped tables marked.
fn log_schema_only(shared: &Shared, schema: &SchemaCommit<'_>) -> Result<u64> {
    if let Some(durable) = shared.durable.get() {
        let mut payload = Vec::new();
        encode_schema_commit_header(schema.catalog, 0, 0, &mut payload);
        let lsn = durable.wal.append(&payload)?;
        durable.wal.commit_durable(lsn)?;
        durable.commits.fetch_add(1, Ordering::Relaxed);
    }
    for table in schema.dropped {
        table.mark_dropped();
    }
    Ok(shared.store.clock().read_ts())
}

/// `commit` of a transaction that stays where it is (`Transaction::commit_kept`): ended,
/// committed or not, it is ready to be begun again.
#[inline]
pub(crate) fn commit_kept(shared: &Shared, txn: &mut Transaction) -> Result<u64> {
    commit_kept_with(shared, txn, None)
}

/// `commit_kept`, logging `schema`'s changes with the rows when given.
pub(crate) fn commit_kept_with(
    shared: &Shared,
    txn: &mut Transaction,
    schema: Option<&SchemaCommit<'_>>,
) -> Result<u64> {
    let committed = if shared.store.memory().budget().is_some() {
        crate::pressure::commit_under_budget(shared, txn, schema)
    } else {
        commit_checked(shared, txn, schema)
    };
    committed.map_err(|error| crate::connection::name_conflict_tables(shared, error))
}

/// `commit_kept_with` without the memory-pressure tiers (`pressure.rs` calls it once it
/// acted).
#[inline]
pub(crate) fn commit_checked(
    shared: &Shared,
    txn: &mut Transaction,
    schema: Option<&SchemaCommit<'_>>,
) -> Result<u64> {
    if crate::budget::touches_budgeted(txn) {
        return crate::budget::commit_budgeted(shared, txn, schema);
    }
    commit_unchecked(shared, txn, schema)
}

/// `commit_kept_with` without the per-table budget checks (`budget.rs` calls it once they
/// passed). With `schema`, the caller holds the DDL lock: no checkpoint is started here
/// (`commit_schema` starts one after releasing it).
pub(crate) fn commit_unchecked(
    shared: &Shared,
    txn: &mut Transaction,
    schema: Option<&SchemaCommit<'_>>,
) -> Result<u64> {
    let Some(durable) = shared.durable.get() else {
        let committed = txn.commit_kept();
        if let Ok(ts) = committed {
            for table in schema.map_or(&[][..], |schema| schema.dropped) {
                table.mark_dropped();
            }
            crate::session::history::committed(shared, ts);
        }
        return committed.map_err(crate::Error::from);
    };
    let mut lsn = None;
    let committed = txn.commit_with_kept(|ts, changes| {
        // A temporary table's rows are never logged (`Table::is_unlogged`); a commit that
        // wrote only those appends nothing.
        let logged = changes.iter().filter(|c| !c.table.is_unlogged()).count();
        if logged == 0 && !changes.is_empty() && schema.is_none() {
            return Ok(());
        }
        let mut payload = Vec::new();
        match schema {
            None => encode_commit_header(ts, logged, &mut payload),
            Some(schema) => encode_schema_commit_header(schema.catalog, ts, logged, &mut payload),
        }
        for change in changes.iter().filter(|c| !c.table.is_unlogged()) {
            if change.table.is_dropped() {
                return Err(dropped_while_writing(change.table.id()));
            }
            encode_change(change.table.id(), change.row, change.payload, &mut payload);
        }
        lsn = Some(durable.wal.append(&payload)?);
        if let Some(schema) = schema {
            // Under the commit lock, after the record: later commits to them are refused.
            for table in schema.dropped {
                table.mark_dropped();
            }
        }
        Ok(())
    });
    let ts = committed?;
    crate::session::history::committed(shared, ts);
    if let Some(lsn) = lsn {
        durable.wal.commit_durable(lsn)?;
        durable.commits.fetch_add(1, Ordering::Relaxed);
        if schema.is_none() {
            maybe_checkpoint(shared, durable);
        }
    }
    Ok(ts)
}

/// The refusal of a commit that wrote to a table a concurrent DROP TABLE removed (its record
/// would name a table the log no longer defines).
#[cold]
fn dropped_while_writing(table_id: u64) -> ember_storage::StorageError {
    ember_storage::StorageError::new(
        ember_storage::StorageErrorKind::Conflict,
        format!(
            "the transaction wrote to a table (id {table_id}) that a concurrent DROP TABLE \
             removed; nothing was committed"
        ),
    )
}

/// Logs a catalog change (call under the DDL lock, before the new catalog is published).
pub(crate) fn log_catalog(
    shared: &Shared,
    op: CatalogOp,
    table_id: u64,
    name: &str,
    sql: &str,
) -> Result<()> {
    let Some(durable) = shared.durable.get() else {
        return Ok(());
    };
    let record = WalRecord::Catalog {
        op,
        table_id,
        name: name.to_string(),
        sql: sql.to_string(),
    };
    let mut payload = Vec::new();
    record.encode(&mut payload);
    let lsn = durable.wal.append(&payload)?;
    durable.wal.commit_durable(lsn)?;
    Ok(())
}

fn maybe_checkpoint(shared: &Shared, durable: &Durable) {
    let since = durable.wal.bytes_since_checkpoint();
    let threshold = durable.checkpoint_at.load(Ordering::Relaxed);
    if since < threshold
        || since < durable.checkpoint_retry_at.load(Ordering::Relaxed)
        || durable.checkpoint_running.swap(true, Ordering::AcqRel)
    {
        return;
    }
    let result = checkpoint(shared);
    durable.checkpoint_running.store(false, Ordering::Release);
    // After a failure (a full disk, say) the next try waits for another quarter of the
    // threshold's log, not for the next commit.
    let retry_at = match &result {
        Ok(_) => 0,
        Err(_) => since + (threshold / 4).max(CHECKPOINT_RETRY_BYTES_MIN),
    };
    durable
        .checkpoint_retry_at
        .store(retry_at, Ordering::Relaxed);
    if let Err(error) = result {
        *durable
            .last_checkpoint_error
            .lock()
            .unwrap_or_else(|p| p.into_inner()) = Some(error.to_string());
    }
}

/// What one checkpoint wrote.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CheckpointReport {
    /// The commit timestamp the snapshot is consistent at.
    pub ts: u64,
    /// Tables written.
    pub tables: u64,
    /// Rows written.
    pub rows: u64,
    /// WAL segment files deleted because the snapshot covers them.
    pub wal_segments_removed: u64,
    /// Size of the snapshot file written.
    pub bytes: u64,
    /// Time spent writing it (encoding, writing, fsync and rename).
    pub duration: std::time::Duration,
}

/// Writes a snapshot of every table as of one timestamp, then removes the WAL segments and
/// snapshots it supersedes. Writers go on meanwhile; only the WAL roll takes the commit lock.
/// It first puts the log's reserve of disk space in place, and is refused when it cannot
/// (a full disk): the snapshot must not take the space the next commits need.
pub(crate) fn checkpoint(shared: &Shared) -> Result<CheckpointReport> {
    checkpoint_with(shared, true)
}

/// The checkpoint that ends recovery: it does not put the log's reserve back first (the
/// open did, where there was room), so on a full disk it may use that space (see
/// `open_dir.rs`) rather than leave the database read-only.
pub(crate) fn checkpoint_at_open(shared: &Shared) -> Result<CheckpointReport> {
    checkpoint_with(shared, false)
}

fn checkpoint_with(shared: &Shared, reserve_required: bool) -> Result<CheckpointReport> {
    let Some(durable) = shared.durable.get() else {
        return Err(crate::err!(
            InvalidInput,
            "CHECKPOINT needs a directory database (this one is in memory)"
        ));
    };
    let _one_at_a_time = durable
        .checkpoint_lock
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if let Some(reason) = durable.wal.read_only_reason() {
        return Err(crate::err!(ReadOnly, "the database is read-only: {reason}"));
    }
    if reserve_required {
        if let Err(error) = durable.wal.ensure_reserve() {
            return Err(crate::err!(
                Io,
                "checkpoint refused: {} (the disk is too full to keep room for the log's next \
                 commits; free space and retry)",
                error.message
            ));
        }
    }
    let (txn, catalog, wal_start) = {
        let _ddl = shared.lock_ddl();
        let (commit_lock, _) = shared.store.clock().begin_commit();
        let wal_start = durable.wal.roll()?;
        let txn = shared.store.begin()?;
        drop(commit_lock);
        (txn, shared.catalog.load_full(), wal_start)
    };
    let ts = txn.snapshot().read_ts;
    let vfs = &*durable.vfs;
    let started = std::time::Instant::now();
    let mut writer = SnapshotWriter::new(vfs, &durable.dir, ts, wal_start)?;
    let written = crate::backup::write_image(writer.image(), &txn, &catalog);
    txn.rollback();
    written?;
    let (_, summary) = writer.finish_with_summary()?;
    let mut report = CheckpointReport {
        ts,
        tables: summary.tables,
        rows: summary.rows,
        wal_segments_removed: 0,
        bytes: summary.bytes,
        duration: started.elapsed(),
    };
    durable.wal.checkpoint_done();
    durable.observe_checkpoint(&report);
    let io = |what: String, e: std::io::Error| crate::err!(Io, "{what}: {e}");
    durable.snapshots.record(
        ts,
        SnapshotInfo {
            bytes: summary.bytes,
            created_unix_ms: Some(summary.created_unix_ms),
            tables: summary.tables,
            rows: summary.rows,
            damage: None,
        },
    );
    // Keep the newest `keep_snapshots` (at least this one, which recovery needs).
    let keep = durable.keep_snapshots.load(Ordering::Relaxed).max(1) as usize;
    let snapshots = snapshot_timestamps(vfs, &durable.dir)?;
    debug_assert_eq!(
        snapshots.last(),
        Some(&ts),
        "the newest snapshot is this one"
    );
    for &old in snapshots.iter().rev().skip(keep) {
        if old != ts {
            let path = durable.dir.join(snapshot_name(old));
            vfs.remove(&path)
                .map_err(|e| io(format!("removing {}", path.display()), e))?;
            durable.snapshots.forget(old);
        }
    }
    for segment in segment_indexes(vfs, &durable.dir)? {
        if segment < wal_start {
            let path = durable.dir.join(segment_name(segment));
            vfs.remove(&path)
                .map_err(|e| io(format!("removing {}", path.display()), e))?;
            report.wal_segments_removed += 1;
        }
    }
    vfs.sync_dir(&durable.dir)
        .map_err(|e| io(format!("syncing {}", durable.dir.display()), e))?;
    durable.checkpoints.fetch_add(1, Ordering::Relaxed);
    // Old segments are gone: take the reserve back if an append used it (best effort).
    let _ = durable.wal.ensure_reserve();
    Ok(report)
}

fn single_value(column: &str, value: Value) -> Outcome {
    Outcome {
        columns: vec![column.to_string()],
        rows: vec![vec![value]],
        changes: 0,
    }
}

/// The columns a PRAGMA returns (known before it runs, for prepared statements).
pub(crate) fn pragma_columns(statement: &Statement) -> Vec<String> {
    let Statement::Pragma { name, value, .. } = statement else {
        return Vec::new();
    };
    if let Some(columns) =
        crate::session::catalog_pragmas::columns(&name.to_string(), value.is_some())
    {
        return columns;
    }
    if let Some(columns) = crate::session::maintenance_pragmas::columns(&name.to_string()) {
        return columns;
    }
    if let Some(columns) =
        crate::session::tuning_pragmas::columns(&name.to_string(), value.is_some())
    {
        return columns;
    }
    match name.to_string().to_lowercase().as_str() {
        "max_memory" if value.is_none() => vec!["max_memory".to_string()],
        "memory_soft_mark" if value.is_none() => vec!["memory_soft_mark".to_string()],
        "memory_evict_mark" if value.is_none() => vec!["memory_evict_mark".to_string()],
        "history_retention" if value.is_none() => vec!["history_retention".to_string()],
        "wal_checkpoint" | "checkpoint" => vec!["checkpointed_rows".to_string()],
        "synchronous" if value.is_none() => vec!["synchronous".to_string()],
        "keep_snapshots" if value.is_none() => vec!["keep_snapshots".to_string()],
        "statement_timeout" if value.is_none() => vec!["statement_timeout".to_string()],
        "foreign_keys" if value.is_none() => vec!["foreign_keys".to_string()],
        "defer_foreign_keys" if value.is_none() => vec!["defer_foreign_keys".to_string()],
        "recursive_triggers" if value.is_none() => vec!["recursive_triggers".to_string()],
        "bloom_filter_joins" if value.is_none() => vec!["bloom_filter_joins".to_string()],
        // Both forms return the value in force (`session/threads.rs`).
        "threads" => vec!["threads".to_string()],
        // Both forms return the level in force (`connection/isolation.rs`).
        "isolation" => vec!["isolation".to_string()],
        // With its schema named too (`main.foreign_key_check`).
        name if name.rsplit('.').next() == Some("foreign_key_check") => {
            crate::session::foreign_key_check::COLUMNS
                .map(String::from)
                .to_vec()
        }
        _ => Vec::new(),
    }
}

pub(crate) fn policy_name(policy: SyncPolicy) -> &'static str {
    match policy {
        SyncPolicy::Always => "FULL",
        SyncPolicy::IntervalMs(_) => "NORMAL",
        SyncPolicy::Off => "OFF",
    }
}

/// Runs a PRAGMA: `synchronous` (read or set: FULL/ALWAYS/2, NORMAL/INTERVAL/1, OFF/0),
/// `wal_checkpoint` (what the `CHECKPOINT` statement becomes) and `max_memory` (read or
/// set); and the settings statement `SET max_memory = '<size>'`.
pub(crate) fn pragma(db: &Database, statement: &Statement) -> Result<Outcome> {
    if let Statement::Set(set) = statement {
        return crate::memory::set_statement(db, set);
    }
    let Statement::Pragma { name, value, .. } = statement else {
        return Err(crate::err!(InvalidInput, "not a PRAGMA"));
    };
    let pragma = name.to_string().to_lowercase();
    let durable = db.shared.durable.get();
    match pragma.as_str() {
        "max_memory" => crate::memory::pragma_max_memory(db, value.as_ref()),
        "memory_soft_mark" | "memory_evict_mark" => {
            let mark = crate::pressure::Mark::by_name(&pragma).expect("one of the two names");
            crate::pressure::pragma_mark(db, mark, value.as_ref())
        }
        "wal_checkpoint" | "checkpoint" => {
            if durable.is_none() {
                return Ok(single_value("checkpointed_rows", Value::Integer(0)));
            }
            let report = checkpoint(&db.shared)?;
            Ok(single_value(
                "checkpointed_rows",
                Value::Integer(i64::try_from(report.rows).unwrap_or(i64::MAX)),
            ))
        }
        "keep_snapshots" => keep_snapshots_pragma(durable, value.as_ref()),
        "synchronous" => {
            let Some(durable) = durable else {
                return Err(crate::err!(
                    Unsupported,
                    "not supported: PRAGMA synchronous on an in-memory database"
                ));
            };
            let Some(value) = value else {
                let name = policy_name(durable.wal.policy());
                return Ok(single_value("synchronous", Value::Text(name.to_string())));
            };
            let text = value.to_string().trim_matches('\'').to_uppercase();
            let policy = match text.as_str() {
                "FULL" | "ALWAYS" | "2" | "EXTRA" | "3" => SyncPolicy::Always,
                "NORMAL" | "INTERVAL" | "1" => SyncPolicy::IntervalMs(SYNC_INTERVAL_MS_DEFAULT),
                "OFF" | "0" => SyncPolicy::Off,
                _ => {
                    return Err(crate::err!(
                        InvalidInput,
                        "PRAGMA synchronous takes FULL, NORMAL or OFF, not {value}"
                    ))
                }
            };
            durable.wal.set_policy(policy);
            if policy == SyncPolicy::Always {
                durable.wal.sync_now()?;
            }
            Ok(Outcome {
                columns: Vec::new(),
                rows: Vec::new(),
                changes: 0,
            })
        }
        _ => Err(crate::err!(Unsupported, "not supported: PRAGMA {pragma}")),
    }
}

/// `PRAGMA keep_snapshots` (read) and `PRAGMA keep_snapshots = N` (1 ..= the limit): how
/// many checkpoint snapshots the next checkpoints keep.
fn keep_snapshots_pragma(
    durable: Option<&Durable>,
    value: Option<&sqlparser::ast::ValueWithSpan>,
) -> Result<Outcome> {
    let Some(durable) = durable else {
        return Err(crate::err!(
            Unsupported,
            "not supported: PRAGMA keep_snapshots on an in-memory database (it has no snapshots)"
        ));
    };
    let Some(value) = value else {
        let keep = durable.keep_snapshots.load(Ordering::Relaxed);
        return Ok(single_value(
            "keep_snapshots",
            crate::exec::schema::system::int(keep),
        ));
    };
    let text = value.to_string();
    let Ok(n) = text.trim_matches('\'').parse::<u64>() else {
        return Err(crate::err!(
            InvalidInput,
            "PRAGMA keep_snapshots takes a whole number of snapshots, not {text}"
        ));
    };
    durable
        .keep_snapshots
        .store(check_keep(n)?, Ordering::Relaxed);
    Ok(Outcome {
        columns: Vec::new(),
        rows: Vec::new(),
        changes: 0,
    })
}
