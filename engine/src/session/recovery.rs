//! The read phase of opening a directory database: load the newest snapshot, then replay the
//! WAL segments from the one it names, writing nothing to disk. Row and table ids in the files
//! are those of the process that wrote them, so replay maps them onto the new store's ids. A
//! missing or damaged file, or a commit naming a table no file defines, is a `Corruption` error
//! naming the file, unless salvaging, which keeps what it can and lists what it dropped. What
//! must change on disk (a torn tail cut) is handed to the write phase (`open_dir.rs`).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use ember_storage::row::RowFormat;
use ember_storage::snapshot::{read_snapshot, snapshot_name, snapshot_timestamps, LoadedSnapshot};
use ember_storage::vfs::Vfs;
use ember_storage::wal::record::{CatalogOp, RowChange, WalRecord};
use ember_storage::wal::{scan_wal, segment_name, Repair, WalStart};
use ember_storage::{Table, Transaction};

use crate::database::Database;
use crate::error::Result;
use crate::fast_hash::FastBuildHasher;

use super::blob_typed_rows::OlderTypes;

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
    /// What salvage dropped (file and offset, skipped changes), empty otherwise.
    pub salvaged: Vec<String>,
    /// Where salvage kept a copy of the files as they were before it cut anything.
    pub salvage_copy: Option<String>,
    /// Why the database is read-only (`Options::read_only`, or a directory that could not
    /// be written at open, such as a full disk); `None` when it takes writes.
    pub read_only: Option<String>,
    /// Wall-clock time recovery took (the whole open, its closing checkpoint included).
    pub duration: Duration,
    /// Size of the snapshot file loaded, in bytes (0 without one).
    pub snapshot_bytes: u64,
    /// Time spent reading, checking and loading that snapshot.
    pub snapshot_load: Duration,
    /// Bytes of WAL segment files read after the snapshot.
    pub wal_bytes: u64,
    /// Time spent reading, checking and replaying those segments.
    pub wal_replay: Duration,
}

impl RecoveryReport {
    /// Recovery throughput: snapshot and WAL bytes read over the whole open's time, in MB/s
    /// (0 when nothing was read).
    pub fn mb_per_s(&self) -> f64 {
        let seconds = self.duration.as_secs_f64();
        let bytes = self.snapshot_bytes + self.wal_bytes;
        if seconds > 0.0 {
            bytes as f64 / 1e6 / seconds
        } else {
            0.0
        }
    }
}

impl std::fmt::Display for RecoveryReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "recovery: snapshot {} ({} rows), {} WAL records replayed, {} bytes truncated, \
             {} salvaged, {:.3} ms ({:.1} MB read at {:.1} MB/s)",
            self.snapshot.as_deref().unwrap_or("none"),
            self.snapshot_rows,
            self.records_replayed,
            self.bytes_truncated,
            self.salvaged.len(),
            self.duration.as_secs_f64() * 1000.0,
            (self.snapshot_bytes + self.wal_bytes) as f64 / 1e6,
            self.mb_per_s()
        )?;
        if let Some(copy) = &self.salvage_copy {
            write!(f, ", damaged files kept in {copy}")?;
        }
        if let Some(reason) = &self.read_only {
            write!(f, ", read-only: {reason}")?;
        }
        for dropped in &self.salvaged {
            write!(f, "\n  salvage dropped: {dropped}")?;
        }
        Ok(())
    }
}

/// A table being rebuilt: the new storage table and the map from file row ids to new ones.
struct Rebuilt {
    table: Arc<Table>,
    /// File row id -> recovered row id (a fast hasher: snapshots map millions of rows).
    rows: HashMap<u64, u64, FastBuildHasher>,
    /// The types older row formats gave the table (`blob_typed_rows.rs`), once needed.
    older_types: Option<OlderTypes>,
}

/// The tables replay knows by their ids in the files.
#[derive(Default)]
struct ReplayTables {
    live: HashMap<u64, Rebuilt>,
    /// Ids whose DROP TABLE was replayed: later changes to them are skipped (a commit that
    /// raced the drop). Any other unknown id is damage.
    dropped: HashSet<u64>,
    /// Unknown ids whose changes salvage skipped, with how many.
    skipped: BTreeMap<u64, u64>,
}

pub(crate) fn io_error(what: String, error: std::io::Error) -> crate::Error {
    crate::err!(Io, "{what}: {error}")
}

/// What the read phase of recovery leaves for the write phase.
pub(crate) struct Recovered {
    /// Cuts and removals the WAL scan asked for.
    pub(crate) repairs: Vec<Repair>,
    /// The last WAL segment kept, its length, and whether it already ends with a mark.
    pub(crate) last_segment: Option<(u64, u64, bool)>,
    /// The first segment the log had to start at.
    pub(crate) wal_start: u64,
}

/// Loads the snapshot and replays the WAL into `db`, writing nothing to disk.
pub(crate) fn recover(
    db: &Database,
    vfs: &dyn Vfs,
    dir: &Path,
    salvage: bool,
    report: &mut RecoveryReport,
) -> Result<Recovered> {
    let mut tables = ReplayTables::default();
    let mut start = WalStart::without_snapshot();
    let started = Instant::now();
    if let Some(snapshot) = newest_snapshot(vfs, dir, salvage, report)? {
        start = WalStart {
            first: snapshot.wal_start,
            snapshot: report.snapshot.clone(),
        };
        db.shared.store.clock().advance_to(snapshot.ts);
        load_snapshot(db, &snapshot, Some(&mut tables.live), report)?;
    }
    report.snapshot_load = started.elapsed();
    let started = Instant::now();
    let scan = scan_wal(vfs, dir, &start, salvage)?;
    report.wal_bytes = scan.bytes_read;
    report.bytes_truncated = scan.truncated_bytes;
    report.salvaged.extend(scan.salvaged);
    let replayed = scan
        .records
        .iter()
        .zip(&scan.record_segments)
        .zip(&scan.record_row_formats);
    for ((record, segment), &row_format) in replayed {
        let file = dir.join(segment_name(*segment));
        replay(db, record, row_format, &mut tables, salvage, &file)?;
        report.records_replayed += 1;
    }
    for (table_id, changes) in &tables.skipped {
        report.salvaged.push(format!(
            "{changes} row changes to table id {table_id} skipped: no snapshot or CREATE TABLE \
             record defines that table"
        ));
    }
    report.wal_replay = started.elapsed();
    if salvage {
        // A damaged snapshot salvage passed over may name a later commit than anything
        // recovered: move the clock past it, so the checkpoint this open takes is the newest
        // snapshot (the next plain open loads it, not the damaged one) and overwrites nothing.
        if let Some(&newest) = snapshot_timestamps(vfs, dir)?.last() {
            db.shared.store.clock().advance_to(newest.saturating_add(1));
        }
    }
    Ok(Recovered {
        repairs: scan.repairs,
        last_segment: scan.last_segment,
        wal_start: start.first,
    })
}

/// Loads the snapshot of commit `commit` alone (`Options::at_snapshot`): no WAL is read.
pub(crate) fn recover_at_snapshot(
    db: &Database,
    vfs: &dyn Vfs,
    dir: &Path,
    commit: u64,
    report: &mut RecoveryReport,
) -> Result<Recovered> {
    let found = snapshot_timestamps(vfs, dir)?;
    if !found.contains(&commit) {
        let listed: Vec<String> = found.iter().map(u64::to_string).collect();
        return Err(crate::err!(
            NotFound,
            "no snapshot of commit {commit} in {} (snapshots there: {})",
            dir.display(),
            if listed.is_empty() {
                "none".to_string()
            } else {
                listed.join(", ")
            }
        ));
    }
    let path = dir.join(snapshot_name(commit));
    let bytes = vfs
        .map(&path)
        .map_err(|e| io_error(format!("reading {}", path.display()), e))?;
    let snapshot = read_snapshot(&bytes, &path)?;
    drop(bytes);
    report.snapshot = Some(snapshot_name(commit));
    db.shared.store.clock().advance_to(snapshot.ts);
    load_snapshot(db, &snapshot, None, report)?;
    Ok(Recovered {
        repairs: Vec::new(),
        last_segment: None,
        wal_start: snapshot.wal_start,
    })
}

/// The newest snapshot that reads back whole (with salvage: falling back to older ones).
fn newest_snapshot(
    vfs: &dyn Vfs,
    dir: &Path,
    salvage: bool,
    report: &mut RecoveryReport,
) -> Result<Option<LoadedSnapshot>> {
    for ts in snapshot_timestamps(vfs, dir)?.into_iter().rev() {
        let path = dir.join(snapshot_name(ts));
        // Mapped (`OsVfs`): dropped once parsed, before recovery ends.
        let bytes = vfs
            .map(&path)
            .map_err(|e| io_error(format!("reading {}", path.display()), e))?;
        match read_snapshot(&bytes, &path) {
            Ok(snapshot) => {
                report.snapshot = Some(snapshot_name(ts));
                report.snapshot_bytes = bytes.len() as u64;
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

/// Loads a snapshot image (a backup's) into a new, empty database whose durable state is not
/// set yet (nothing is logged); its clock moves past the image's commit. Returns the rows.
pub(crate) fn load_image(db: &Database, snapshot: &LoadedSnapshot) -> Result<u64> {
    db.shared.store.clock().advance_to(snapshot.ts);
    let mut report = RecoveryReport::default();
    load_snapshot(db, snapshot, None, &mut report)?;
    Ok(report.snapshot_rows)
}

/// Loads `snapshot`'s tables and rows in one transaction. With `tables` (recovery, whose WAL
/// replay names rows by their ids in the files) it also records where each row went.
fn load_snapshot(
    db: &Database,
    snapshot: &LoadedSnapshot,
    mut tables: Option<&mut HashMap<u64, Rebuilt>>,
    report: &mut RecoveryReport,
) -> Result<()> {
    let conn = db.connect();
    let mut storages = Vec::with_capacity(snapshot.tables.len());
    for table in &snapshot.tables {
        // One CREATE TABLE, or a script for a table that grew columns (`creation_sql`).
        // `sqlite_sequence` is made by the first AUTOINCREMENT table's CREATE TABLE, which
        // may come before it (tables are stored by name).
        let made_before = table
            .name
            .eq_ignore_ascii_case(crate::catalog::SEQUENCE_TABLE)
            && db.catalog().table(&table.name).is_some();
        if !made_before {
            create_from_text(db, &conn, &table.sql)
                .map_err(|e| corrupt(format!("snapshot table {}: {e}", table.name)))?;
        }
        let storage = table_storage(db, &table.name)?;
        if let Some(tables) = tables.as_deref_mut() {
            let mut rows = HashMap::default();
            rows.reserve(table.rows.len());
            let rebuilt = Rebuilt {
                table: Arc::clone(&storage),
                rows,
                older_types: None,
            };
            tables.insert(table.table_id, rebuilt);
        }
        storages.push(storage);
    }
    for sql in &snapshot.schema_sql {
        conn.execute(sql, ())
            .map_err(|e| corrupt(format!("snapshot schema statement: {e}")))?;
    }
    let mut txn = db.shared.store.begin()?;
    txn.skip_unique_checks();
    for (table, storage) in snapshot.tables.iter().zip(&storages) {
        let mut older_types = None;
        let schema = OlderTypes::schema(&mut older_types, db, storage, snapshot.row_format)?
            .unwrap_or(storage.schema());
        let mut rows = tables
            .as_deref_mut()
            .and_then(|tables| tables.get_mut(&table.table_id))
            .map(|rebuilt| &mut rebuilt.rows);
        for (row, payload) in &table.rows {
            // Decoded as the row the file names (a clustered table's key left out of the
            // payload is that row id), inserted anew.
            let values = schema
                .decode_stored(*row, payload, snapshot.row_format)
                .map_err(|e| corrupt(format!("snapshot row of {}: {}", table.name, e.message)))?;
            let new_row = txn
                .insert_restored(storage, &values, *row)
                .map_err(|e| corrupt(format!("snapshot row of {}: {}", table.name, e.message)))?;
            if let Some(rows) = rows.as_deref_mut() {
                rows.insert(*row, new_row);
            }
            report.snapshot_rows += 1;
        }
    }
    txn.commit()?;
    Ok(())
}

/// Runs stored table text (a CREATE TABLE, or `creation_sql`'s script). Text without
/// `catalog::IMPLICIT_ROWID_MARK` is of a table made before the implicit rowid: its CREATE
/// TABLE makes it again without one, so its rows read as they were written.
fn create_from_text(db: &Database, conn: &crate::Connection, sql: &str) -> Result<()> {
    if crate::catalog::marks_implicit_rowid(sql) {
        return conn.execute_batch(sql);
    }
    let parsed = crate::parse::parse_statements(sql)?;
    for (index, statement) in parsed.iter().enumerate() {
        if let sqlparser::ast::Statement::AlterTable(alter) = statement {
            // An ADD COLUMN with its column as written, which it splices into the text.
            let text = match parsed.creation_text(index) {
                Some(column) => format!("ALTER TABLE {} ADD COLUMN {column}", alter.name),
                None => statement.to_string(),
            };
            conn.execute(&text, ())?;
            continue;
        }
        if !matches!(statement, sqlparser::ast::Statement::CreateTable(_)) {
            conn.execute(&statement.to_string(), ())?;
            continue;
        }
        let catalog = db.catalog();
        let mut binder = crate::bind::Binder::new(&catalog);
        binder.set_creation_text(parsed.creation_text(index));
        binder.without_implicit_rowid();
        let crate::plan::Plan::CreateTable(create) = binder.bind_statement(statement)? else {
            return Err(corrupt(format!(
                "stored table text is not CREATE TABLE: {sql}"
            )));
        };
        crate::exec::create_table(&*db.shared, &create)?;
    }
    Ok(())
}

fn table_storage(db: &Database, name: &str) -> Result<Arc<Table>> {
    db.catalog()
        .table(name)
        .map(|table| Arc::clone(&table.storage))
        .ok_or_else(|| corrupt(format!("table {name} missing after its CREATE")))
}

fn replay(
    db: &Database,
    record: &WalRecord,
    row_format: RowFormat,
    tables: &mut ReplayTables,
    salvage: bool,
    file: &Path,
) -> Result<()> {
    match record {
        WalRecord::Catalog {
            op,
            table_id,
            name,
            sql,
        } => replay_catalog(db, *op, *table_id, name, sql, tables),
        WalRecord::SegmentEnd { .. } | WalRecord::SegmentStart { .. } | WalRecord::SyncPoint => {
            Ok(())
        }
        WalRecord::Commit { ts, changes } => {
            replay_commit(db, *ts, changes, row_format, tables, salvage, file)
        }
        WalRecord::SchemaCommit {
            catalog,
            ts,
            changes,
        } => {
            // The transaction's schema changes in the order it made them, then its rows
            // (decoded under the schema it ended with, as a row written before one of its
            // ADD COLUMNs reads the added column as its default).
            for change in catalog {
                replay_catalog(
                    db,
                    change.op,
                    change.table_id,
                    &change.name,
                    &change.sql,
                    tables,
                )?;
            }
            if changes.is_empty() {
                return Ok(());
            }
            replay_commit(db, *ts, changes, row_format, tables, salvage, file)
        }
    }
}

fn replay_catalog(
    db: &Database,
    op: CatalogOp,
    table_id: u64,
    name: &str,
    sql: &str,
    tables: &mut ReplayTables,
) -> Result<()> {
    match op {
        CatalogOp::CreateTable => {
            create_from_text(db, &db.connect(), sql)
                .map_err(|e| corrupt(format!("replaying `{sql}`: {e}")))?;
            let table = table_storage(db, name)?;
            tables.live.insert(
                table_id,
                Rebuilt {
                    table,
                    rows: HashMap::default(),
                    older_types: None,
                },
            );
        }
        CatalogOp::DropTable => {
            crate::exec::drop_table(&*db.shared, name, true)?;
            tables.live.remove(&table_id);
            tables.dropped.insert(table_id);
        }
        CatalogOp::RebuildTable | CatalogOp::RebuildKeepingIds => {
            replay_rebuild(db, op, table_id, name, sql, tables)?
        }
        CatalogOp::Truncate => replay_truncate(db, table_id, name, tables)?,
        CatalogOp::ReplaceTable => replay_replace(db, table_id, name, sql, tables)?,
        CatalogOp::Other => {
            db.connect()
                .execute(sql, ())
                .map_err(|e| corrupt(format!("replaying `{sql}`: {e}")))?;
        }
    }
    Ok(())
}

fn replay_commit(
    db: &Database,
    ts: u64,
    changes: &[RowChange],
    row_format: RowFormat,
    tables: &mut ReplayTables,
    salvage: bool,
    file: &Path,
) -> Result<()> {
    let mut txn = db.shared.store.begin()?;
    // Checked when it first ran; replayed row by row it may pass through states
    // that repeat a unique key (two rows swapping keys).
    txn.skip_unique_checks();
    for change in changes {
        if let Some(rebuilt) = tables.live.get_mut(&change.table_id) {
            replay_change(db, &mut txn, rebuilt, change, row_format)?;
        } else if tables.dropped.contains(&change.table_id) {
            // A commit that raced its table's DROP TABLE (or wrote to a table its own
            // transaction dropped): the drop came first.
        } else if salvage {
            *tables.skipped.entry(change.table_id).or_default() += 1;
        } else {
            return Err(corrupt(format!(
                "a commit (timestamp {ts}) in {} changes table id {}, which no snapshot \
                 or CREATE TABLE record defines (a snapshot or WAL segment that \
                 defined it is missing or damaged; open with salvage to skip it)",
                file.display(),
                change.table_id
            )));
        }
    }
    txn.commit()?;
    db.shared.store.clock().advance_to(ts);
    Ok(())
}

/// The id under which the log names the replayed storage of table `name`.
fn live_id_of(db: &Database, name: &str, tables: &ReplayTables) -> Result<u64> {
    let storage = table_storage(db, name)?;
    tables
        .live
        .iter()
        .find(|(_, rebuilt)| Arc::ptr_eq(&rebuilt.table, &storage))
        .map(|(id, _)| *id)
        .ok_or_else(|| corrupt(format!("no replayed table is {name}")))
}

/// Runs `replay` on the ALTER TABLE `sql` a catalog record holds, prepared against the
/// replayed catalog; any failure is a `Corruption` naming the statement.
fn with_alter<T>(
    db: &Database,
    sql: &str,
    replay: impl FnOnce(&crate::plan::AlterTable) -> Result<T>,
) -> Result<T> {
    let failed = |e: &dyn std::fmt::Display| corrupt(format!("replaying `{sql}`: {e}"));
    let prepared = db.connect().prepared(sql).map_err(|e| failed(&e))?;
    let crate::plan::Plan::AlterTable(alter) = &prepared.plan else {
        return Err(failed(&"not an ALTER TABLE"));
    };
    replay(alter).map_err(|e| failed(&e))
}

/// Replays a statement that copied table `name` into a new table (DROP COLUMN): the copy is
/// made again from the replayed table, in the order of the row ids the log used for it, so
/// the log's names for its rows are known: 0, 1, ... in copy order (`RebuildTable`), or the
/// ids the copy gives them (`RebuildKeepingIds`); later commits name the new table by
/// `new_id`.
fn replay_rebuild(
    db: &Database,
    op: CatalogOp,
    new_id: u64,
    name: &str,
    sql: &str,
    tables: &mut ReplayTables,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| corrupt(format!("replaying `{sql}`: {e}"));
    let old_id = live_id_of(db, name, tables).map_err(|e| failed(&e))?;
    let mut by_log_id: Vec<(u64, u64)> = tables.live[&old_id]
        .rows
        .iter()
        .map(|(logged, row)| (*logged, *row))
        .collect();
    by_log_id.sort_unstable();
    let order: Vec<u64> = by_log_id.into_iter().map(|(_, row)| row).collect();
    let (_, copied) = with_alter(db, sql, |alter| {
        let copy = crate::exec::DropCopy::Committed(Some(&order));
        crate::exec::replay_alter_table(&*db.shared, alter, copy)
    })?
    .ok_or_else(|| failed(&"not a statement that copies the table"))?;
    tables.live.remove(&old_id);
    tables.dropped.insert(old_id);
    let rows = match op {
        CatalogOp::RebuildKeepingIds => copied.into_iter().map(|row| (row, row)).collect(),
        _ => (0..).zip(copied).collect(),
    };
    tables.live.insert(
        new_id,
        Rebuilt {
            table: table_storage(db, name)?,
            rows,
            older_types: None,
        },
    );
    Ok(())
}

/// Replays a statement that gave table `name` new storage inside a transaction (DROP
/// COLUMN): the new table is made empty and the old one dropped; the rows come with the
/// record's commit, which names the new table by `new_id`.
fn replay_replace(
    db: &Database,
    new_id: u64,
    name: &str,
    sql: &str,
    tables: &mut ReplayTables,
) -> Result<()> {
    let failed = |e: &dyn std::fmt::Display| corrupt(format!("replaying `{sql}`: {e}"));
    let old_id = live_id_of(db, name, tables).map_err(|e| failed(&e))?;
    with_alter(db, sql, |alter| {
        if alter.dropped.is_none() {
            return Err(crate::err!(
                Internal,
                "not a statement that replaces the table"
            ));
        }
        crate::exec::replay_alter_table(&*db.shared, alter, crate::exec::DropCopy::Replayed)
    })?;
    replace_live(db, tables, (old_id, new_id), name)
}

/// Gives the replayed table `name` new, empty storage, which later commits name by
/// `new_id`; `old_id`'s is dropped.
fn replace_live(
    db: &Database,
    tables: &mut ReplayTables,
    (old_id, new_id): (u64, u64),
    name: &str,
) -> Result<()> {
    tables.live.remove(&old_id);
    tables.dropped.insert(old_id);
    tables.live.insert(
        new_id,
        Rebuilt {
            table: table_storage(db, name)?,
            rows: HashMap::default(),
            older_types: None,
        },
    );
    Ok(())
}

/// Replays `DELETE FROM name` run as a truncate: the replayed table is given a new, empty
/// storage table, which later commits name by `new_id`.
fn replay_truncate(
    db: &Database,
    new_id: u64,
    name: &str,
    tables: &mut ReplayTables,
) -> Result<()> {
    let failed =
        |e: &dyn std::fmt::Display| corrupt(format!("replaying the truncate of {name}: {e}"));
    let definition = db
        .catalog()
        .table(name)
        .cloned()
        .ok_or_else(|| failed(&"no such table"))?;
    let old_id = tables
        .live
        .iter()
        .find(|(_, rebuilt)| Arc::ptr_eq(&rebuilt.table, &definition.storage))
        .map(|(id, _)| *id)
        .ok_or_else(|| failed(&"no replayed table holds it"))?;
    crate::exec::truncate_table(&*db.shared, &definition, usize::MAX, true)
        .map_err(|e| failed(&e))?
        .ok_or_else(|| failed(&"a replayed transaction holds writes to it"))?;
    replace_live(db, tables, (old_id, new_id), name)
}

/// Replays one row change, its payload encoded in `row_format` (its segment's).
fn replay_change(
    db: &Database,
    txn: &mut Transaction,
    rebuilt: &mut Rebuilt,
    change: &RowChange,
    row_format: RowFormat,
) -> Result<()> {
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
            // The row id the log names: a clustered table's key left out of the payload.
            let values = OlderTypes::schema(&mut rebuilt.older_types, db, table, row_format)?
                .unwrap_or(table.schema())
                .decode_stored(change.row, payload, row_format)
                .map_err(damaged)?;
            let new_row = match live {
                Some(row) => txn.update(table, row, &values).map_err(damaged)?,
                None => txn
                    .insert_restored(table, &values, change.row)
                    .map_err(damaged)?,
            };
            rebuilt.rows.insert(change.row, new_row);
        }
        (None, Some(row)) => {
            txn.delete(table, row).map_err(damaged)?;
            // The deleted row's slot may be reused (`slot_reuse.rs`) for a row of another
            // file row id: no stale mapping may lead a later change of this id to it.
            rebuilt.rows.remove(&change.row);
        }
        (None, None) => {
            rebuilt.rows.remove(&change.row);
        }
    }
    Ok(())
}
