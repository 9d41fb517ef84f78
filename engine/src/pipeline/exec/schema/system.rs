//! System tables: read-only views of the engine's own state, queryable with SELECT.
//! `ember_tables` has one row per user table (rows, live and dead versions, bytes held by
//! versions and by the table's slab slots, garbage collection runs, its `WITH` options and
//! the expired rows the collector deleted; then the bytes its committed rows hold, its
//! `max_memory` and `on_full` policy, rows evicted, and key-read hits and misses for
//! cache tables); `ember_indexes` has one
//! row per secondary index (name, table_name, columns, unique, entries); `ember_stats` has
//! one row for the whole database, with the slab pool (pages, bytes used and free,
//! fragmentation, compaction), the memory in use and the budget (`max_memory`, NULL when
//! there is none); `ember_durability` has one row for a directory database (none for an
//! in-memory one) with the sync policy, commits, WAL records, bytes and fsyncs (group commit
//! shows as fewer fsyncs than commits), checkpoints, and what recovery did at open;
//! `ember_snapshots` has one row per checkpoint snapshot file of a directory database;
//! `ember_commits` lists the commit-time log AS OF reads resolve times with.
//! `sqlite_schema` / `sqlite_master` (and `sqlite_temp_schema` /
//! `sqlite_temp_master`) are SQLite's catalog (`system_schema.rs`).
//! A user table of the same name shadows a system table. Rows are computed when the query
//! runs, against the catalog snapshot the statement was bound with.

use std::sync::Arc;

use ember_storage::{Transaction, Value};

use crate::catalog::{TableDef, TriggerDef, ViewDef};
use crate::error::Result;
use crate::exec::{ExecContext, Operator, Row};

/// The row of `ember_durability`, supplied by the database that has a durable side (the
/// session layer implements it; an in-memory database has none, and the table is empty).
pub trait DurabilityRow {
    fn durability_row(&self) -> Row;
    /// The rows of `ember_snapshots`, oldest first.
    fn snapshot_rows(&self) -> Result<Vec<Row>>;
}

/// Which system table a query reads.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SystemTable {
    Tables,
    Indexes,
    Stats,
    Durability,
    Snapshots,
    Commits,
    /// `sqlite_schema`, also named `sqlite_master`.
    Schema,
    /// `sqlite_temp_schema`, also named `sqlite_temp_master`.
    TempSchema,
}

const TABLES_COLUMNS: &[&str] = &[
    "name",
    "rows",
    "live_versions",
    "dead_versions",
    "slots",
    "bytes_used",
    "payload_bytes",
    "slab_bytes",
    "gc_runs",
    "gc_versions_freed",
    "options",
    "rows_expired",
    "bytes",
    "max_memory",
    "on_full",
    "rows_evicted",
    "hits",
    "misses",
];

const INDEXES_COLUMNS: &[&str] = &["name", "table_name", "columns", "unique", "entries"];

const STATS_COLUMNS: &[&str] = &[
    "tables",
    "rows",
    "live_versions",
    "dead_versions",
    "bytes_used",
    "payload_bytes",
    "gc_runs",
    "gc_versions_freed",
    "active_snapshots",
    "watermark",
    "read_ts",
    "memory_used_bytes",
    "max_memory",
    "slab_pages",
    "slab_page_bytes",
    "slab_bytes_used",
    "slab_bytes_free",
    "fragmentation",
    "large_payload_bytes",
    "version_header_bytes",
    "index_bytes",
    "compaction_runs",
    "payloads_moved",
    "pages_released",
    "slab_free_bytes_retained",
    "history_retention_ms",
    "history_oldest_commit",
    "history_versions",
    "history_bytes",
    "memory_pressure",
    "memory_soft_mark",
    "memory_evict_mark",
    "gc_wakeups_by_pressure",
    "rows_evicted_by_pressure",
    "writes_rejected_by_pressure",
    "serializable_validated",
    "serializable_conflicts",
    "serializable_read_set_folds",
    "serializable_log_folds",
    "serializable_range_folds",
    "serializable_read_set_bytes",
    "serializable_log_bytes",
];

const COMMITS_COLUMNS: &[&str] = &["commit", "time", "unix_ms"];

const DURABILITY_COLUMNS: &[&str] = &[
    "directory",
    "synchronous",
    "commits",
    "wal_records",
    "wal_bytes",
    "wal_fsyncs",
    "checkpoints",
    "last_checkpoint_error",
    "recovery_snapshot",
    "recovery_snapshot_rows",
    "recovery_records_replayed",
    "recovery_bytes_truncated",
    "recovery_salvaged",
    "recovery_ms",
    "read_only",
    "recovery_target_ms",
    "estimated_recovery_ms",
    "recovery_mb_per_s",
    "snapshot_load_mb_per_s",
    "wal_replay_mb_per_s",
    "snapshot_write_mb_per_s",
    "wal_bytes_since_checkpoint",
    "checkpoint_at_wal_bytes",
];

const SNAPSHOTS_COLUMNS: &[&str] = &[
    "file", "time", "commit", "bytes", "tables", "rows", "newest", "status",
];

impl SystemTable {
    pub fn by_name(name: &str) -> Option<SystemTable> {
        if name.eq_ignore_ascii_case("ember_tables") {
            Some(SystemTable::Tables)
        } else if name.eq_ignore_ascii_case("ember_indexes") {
            Some(SystemTable::Indexes)
        } else if name.eq_ignore_ascii_case("ember_stats") {
            Some(SystemTable::Stats)
        } else if name.eq_ignore_ascii_case("ember_durability") {
            Some(SystemTable::Durability)
        } else if name.eq_ignore_ascii_case("ember_snapshots") {
            Some(SystemTable::Snapshots)
        } else if name.eq_ignore_ascii_case("ember_commits") {
            Some(SystemTable::Commits)
        } else if name.eq_ignore_ascii_case("sqlite_schema")
            || name.eq_ignore_ascii_case("sqlite_master")
        {
            Some(SystemTable::Schema)
        } else if name.eq_ignore_ascii_case("sqlite_temp_schema")
            || name.eq_ignore_ascii_case("sqlite_temp_master")
        {
            Some(SystemTable::TempSchema)
        } else {
            None
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            SystemTable::Tables => "ember_tables",
            SystemTable::Indexes => "ember_indexes",
            SystemTable::Stats => "ember_stats",
            SystemTable::Durability => "ember_durability",
            SystemTable::Snapshots => "ember_snapshots",
            SystemTable::Commits => "ember_commits",
            SystemTable::Schema => "sqlite_schema",
            SystemTable::TempSchema => "sqlite_temp_schema",
        }
    }

    pub fn columns(self) -> &'static [&'static str] {
        match self {
            SystemTable::Tables => TABLES_COLUMNS,
            SystemTable::Indexes => INDEXES_COLUMNS,
            SystemTable::Stats => STATS_COLUMNS,
            SystemTable::Durability => DURABILITY_COLUMNS,
            SystemTable::Snapshots => SNAPSHOTS_COLUMNS,
            SystemTable::Commits => COMMITS_COLUMNS,
            SystemTable::Schema | SystemTable::TempSchema => super::system_schema::SCHEMA_COLUMNS,
        }
    }

    /// Computes the table's rows as the statement's transaction sees the database.
    pub fn rows(
        self,
        tables: &[Arc<TableDef>],
        (views, triggers): (&[Arc<ViewDef>], &[Arc<TriggerDef>]),
        context: &ExecContext<'_>,
    ) -> Result<Vec<Row>> {
        let durable = || {
            context
                .eval
                .subqueries
                .and_then(|runtime| runtime.env.durable)
        };
        Ok(match self {
            SystemTable::Tables => table_rows(tables, context.txn),
            SystemTable::Indexes => index_rows(tables),
            SystemTable::Stats => vec![stats_row(tables, context.txn)],
            SystemTable::Durability => durable().map(|d| d.durability_row()).into_iter().collect(),
            SystemTable::Snapshots => match durable() {
                Some(durable) => durable.snapshot_rows()?,
                None => Vec::new(),
            },
            SystemTable::Commits => commit_rows(context.txn),
            SystemTable::Schema | SystemTable::TempSchema => {
                super::system_schema::schema_rows(tables, views, triggers)
            }
        })
    }
}

/// A count as an INTEGER value (saturating: counts past `i64::MAX` cannot occur in practice).
pub fn int(n: u64) -> Value {
    Value::Integer(i64::try_from(n).unwrap_or(i64::MAX))
}

/// Every table's statistics as `txn` sees them, by name.
fn per_table_stats(
    tables: &[Arc<TableDef>],
    txn: &Transaction,
) -> Vec<(String, ember_storage::mvcc::TableStats)> {
    let snapshot = txn.snapshot();
    tables
        .iter()
        .map(|table| (table.name.clone(), table.storage.stats(&snapshot)))
        .collect()
}

/// One row per user table.
fn table_rows(tables: &[Arc<TableDef>], txn: &Transaction) -> Vec<Row> {
    per_table_stats(tables, txn)
        .into_iter()
        .zip(tables)
        .map(|((name, stats), table)| {
            let options = table.options.describe(&table.columns);
            let budget = table.storage.budget();
            // Hits and misses are counted for cache tables (those that evict by use).
            let cache = budget.marks();
            vec![
                Value::Text(name),
                int(stats.live_rows),
                int(stats.live_rows),
                int(stats.versions - stats.live_rows),
                int(stats.slots),
                int(stats.version_bytes),
                int(stats.payload_bytes),
                int(stats.slab_bytes),
                int(stats.gc_runs),
                int(stats.gc_versions_freed),
                if options.is_empty() {
                    Value::Null
                } else {
                    Value::Text(options)
                },
                int(table
                    .rows_expired
                    .load(std::sync::atomic::Ordering::Relaxed)),
                int(budget.live_bytes()),
                table.options.max_memory.map_or(Value::Null, int),
                table
                    .options
                    .policy()
                    .map_or(Value::Null, |policy| Value::Text(policy.name().to_string())),
                int(budget.evicted()),
                cache.map_or(Value::Null, |_| int(budget.hits())),
                cache.map_or(Value::Null, |_| int(budget.misses())),
            ]
        })
        .collect()
}

/// The one row of `ember_stats`: sums over the tables, snapshots, and the memory account.
fn stats_row(tables: &[Arc<TableDef>], txn: &Transaction) -> Row {
    let per_table = per_table_stats(tables, txn);
    let memory = txn.store_memory();
    let sum = |f: fn(&ember_storage::mvcc::TableStats) -> u64| {
        int(per_table.iter().map(|(_, stats)| f(stats)).sum())
    };
    vec![
        int(per_table.len() as u64),
        sum(|s| s.live_rows),
        sum(|s| s.live_rows),
        sum(|s| s.versions - s.live_rows),
        sum(|s| s.version_bytes),
        sum(|s| s.payload_bytes),
        sum(|s| s.gc_runs),
        sum(|s| s.gc_versions_freed),
        int(txn.store_active_snapshots() as u64),
        int(txn.store_watermark()),
        int(txn.snapshot().read_ts),
        int(memory.used_bytes),
        memory.budget_bytes.map_or(Value::Null, int),
        int(memory.slab_pages),
        int(memory.slab_page_bytes),
        int(memory.slab_bytes_used),
        int(memory.slab_bytes_free),
        Value::Real(memory.fragmentation),
        int(memory.large_bytes),
        int(memory.version_header_bytes),
        int(memory.index_bytes),
        int(memory.compaction_runs),
        int(memory.payloads_moved),
        int(memory.pages_released),
        int(ember_storage::slab::retained_free_bytes()),
    ]
    .into_iter()
    .chain(history_stats(&per_table, txn))
    .chain(pressure_stats(&memory.pressure))
    .chain(serializable_stats(txn))
    .collect()
}

/// `ember_stats`' SERIALIZABLE columns: commits validated and refused, read sets and
/// logged commits that fell back to table level, and the bytes read sets and log hold.
fn serializable_stats(txn: &Transaction) -> [Value; 7] {
    let stats = txn.store_serial_stats();
    [
        int(stats.validated),
        int(stats.conflicts),
        int(stats.read_set_folds),
        int(stats.log_folds),
        int(stats.range_folds),
        int(stats.read_set_bytes),
        int(stats.log_bytes),
    ]
}

/// `ember_stats`' memory-pressure columns: the level, the marks, and the actions counted.
fn pressure_stats(pressure: &ember_storage::slab::PressureStats) -> [Value; 6] {
    [
        Value::Text(pressure.level.name().to_string()),
        int(u64::from(pressure.soft_mark_percent)),
        int(u64::from(pressure.evict_mark_percent)),
        int(pressure.gc_wakeups),
        int(pressure.rows_evicted),
        int(pressure.writes_rejected),
    ]
}

/// `ember_stats`' history columns: the retention kept, the oldest commit whose versions are
/// kept, and the versions (and bytes) the current snapshot does not see that are held while
/// history is kept (0 when it is off).
fn history_stats(
    per_table: &[(String, ember_storage::mvcc::TableStats)],
    txn: &Transaction,
) -> [Value; 4] {
    let history = txn.store_history();
    if !history.enabled() {
        return [int(0), Value::Null, int(0), int(0)];
    }
    let stats = history.stats();
    [
        int(stats.retention_ms),
        int(stats.pin),
        int(per_table.iter().map(|(_, s)| s.dead_versions).sum()),
        int(per_table.iter().map(|(_, s)| s.dead_version_bytes).sum()),
    ]
}

/// `ember_commits`: one row per entry of the commit-time log, oldest first: the newest
/// commit at that wall-clock millisecond (empty while no history is kept).
fn commit_rows(txn: &Transaction) -> Vec<Row> {
    txn.store_history()
        .log()
        .into_iter()
        .map(|entry| {
            vec![
                int(entry.commit),
                Value::Text(crate::expr::format_unix_ms(entry.millis)),
                Value::Integer(entry.millis),
            ]
        })
        .collect()
}

/// One row per secondary index, by table then creation order.
fn index_rows(tables: &[Arc<TableDef>]) -> Vec<Row> {
    let mut rows = Vec::new();
    for table in tables {
        for index in &table.indexes {
            rows.push(vec![
                Value::Text(index.name.clone()),
                Value::Text(table.name.clone()),
                Value::Text(index.column_list(table)),
                Value::Integer(i64::from(index.unique)),
                Value::Integer(i64::try_from(index.storage.entries()).unwrap_or(i64::MAX)),
            ]);
        }
    }
    rows
}

/// Produces a system table's rows, computed on the first pull.
pub struct SystemTableOperator<'p> {
    table: SystemTable,
    tables: &'p [Arc<TableDef>],
    views: &'p [Arc<ViewDef>],
    triggers: &'p [Arc<TriggerDef>],
    rows: Option<std::vec::IntoIter<Row>>,
}

impl<'p> SystemTableOperator<'p> {
    pub fn new(
        table: SystemTable,
        tables: &'p [Arc<TableDef>],
        (views, triggers): (&'p [Arc<ViewDef>], &'p [Arc<TriggerDef>]),
    ) -> Self {
        SystemTableOperator {
            table,
            tables,
            views,
            triggers,
            rows: None,
        }
    }
}

impl Operator for SystemTableOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.rows.is_none() {
            self.rows = Some(
                self.table
                    .rows(self.tables, (self.views, self.triggers), context)?
                    .into_iter(),
            );
        }
        Ok(self.rows.as_mut().and_then(Iterator::next))
    }
}
