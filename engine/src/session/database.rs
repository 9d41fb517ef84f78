//! `Database`: the shared handle to one database (its storage and its catalog). Cheap to
//! clone and safe to share across threads; each thread opens its own `Connection`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, OnceLock};

use arc_swap::ArcSwap;
use ember_storage::Store;

use crate::catalog::Catalog;
use crate::connection::Connection;
use crate::durability::Durable;
use crate::options::Options;

/// State shared by every connection to one database.
pub(crate) struct Shared {
    pub(crate) store: Store,
    /// The current catalog; replaced only through `publish_catalog`.
    pub(crate) catalog: ArcSwap<Catalog>,
    /// The version of `catalog`, readable without loading it (every statement checks its
    /// cached plan against it).
    catalog_version: AtomicU64,
    /// Serializes catalog changes; an explicit transaction that ran DDL owns the schema
    /// until it ends (`exec/schema/ddl_lock.rs`).
    pub(crate) ddl: crate::exec::schema::ddl_lock::DdlLock,
    /// How long a schema change waits for another transaction's schema changes to end, in
    /// milliseconds (`Options::busy_timeout`; `PRAGMA busy_timeout` reads and sets it).
    pub(crate) busy_timeout_ms: AtomicU64,
    /// The WAL and checkpoint state of a directory database; empty for in-memory ones
    /// (and while recovery replays, so replay is not logged again).
    pub(crate) durable: OnceLock<Durable>,
    /// The background collector, stopped and joined when this state drops.
    pub(crate) collector: OnceLock<crate::gc::Collector>,
    /// Where transactions read the time row expiries compare with (`Options::clock`).
    pub(crate) clock: crate::expr::WallClock,
    /// Most time between two sweeps of expired rows (`Options::ttl_sweep_interval`).
    pub(crate) ttl_sweep_interval: std::time::Duration,
    /// Every connection's temporary tables, for the collector and compaction
    /// (`connection/temp_schema.rs`).
    pub(crate) temp_tables: crate::connection::TempTables,
    /// Storage tables a truncate replaced (`exec/schema/truncate.rs`), kept until nothing
    /// else holds them (a transaction reading its snapshot's catalog, a prepared plan not
    /// yet bound again), then freed by the collector (`gc::release_retired_tables`).
    pub(crate) retired_tables: std::sync::Mutex<Vec<Arc<ember_storage::Table>>>,
    /// Held through a background collector pass and through VACUUM (`gc.rs`), so VACUUM
    /// never runs beside a pass: a pass holds the catalog it read, and with it any table a
    /// truncate has since replaced, which VACUUM then could not free.
    pub(crate) collector_pass: std::sync::Mutex<()>,
}

impl Shared {
    /// Hands `table`, which a truncate replaced, to the collector to free once nothing
    /// else holds it.
    pub(crate) fn retire_table(&self, table: &Arc<ember_storage::Table>) {
        let mut retired = self
            .retired_tables
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        retired.push(Arc::clone(table));
    }

    /// Makes `catalog` the current one. Call with the DDL lock held.
    pub(crate) fn publish_catalog(&self, catalog: Catalog) {
        debug_assert!(self.ddl.is_held(), "catalog changes hold the lock");
        debug_assert!(
            catalog.temp().is_none(),
            "temporary objects are never published"
        );
        let version = catalog.version();
        crate::budget::configure_tables(&catalog);
        self.catalog.store(Arc::new(catalog));
        self.catalog_version.store(version, Ordering::Release);
        crate::session::history::catalog_published(self);
    }

    /// The current catalog's version (a plan bound against another is stale).
    pub(crate) fn catalog_version(&self) -> u64 {
        self.catalog_version.load(Ordering::Acquire)
    }

    /// How long a schema change waits for another transaction's schema changes to end.
    pub(crate) fn busy_timeout(&self) -> std::time::Duration {
        std::time::Duration::from_millis(self.busy_timeout_ms.load(Ordering::Relaxed))
    }

    /// The short DDL lock, whoever owns the schema (readers never take it): a checkpoint's
    /// or a backup's start, the function registry.
    pub(crate) fn lock_ddl(&self) -> crate::exec::schema::ddl_lock::DdlGuard<'_> {
        self.ddl.lock()
    }
}

/// Schema changes in autocommit: applied, logged and published at once.
impl crate::exec::SchemaHost for Shared {
    fn lock_ddl(&self) -> crate::error::Result<crate::exec::schema::ddl_lock::DdlGuard<'_>> {
        self.ddl.lock_for_change(None, self.busy_timeout())
    }

    fn catalog(&self) -> Arc<Catalog> {
        self.catalog.load_full()
    }

    fn store(&self) -> &Store {
        &self.store
    }

    fn publish_catalog(&self, catalog: Catalog) {
        Shared::publish_catalog(self, catalog);
    }

    fn log_catalog(
        &self,
        op: ember_storage::wal::record::CatalogOp,
        table_id: u64,
        name: &str,
        sql: &str,
    ) -> crate::error::Result<()> {
        crate::durability::log_catalog(self, op, table_id, name, sql)
    }

    fn created_table(&self, _table: &Arc<ember_storage::Table>) {}

    fn created_index(&self, _table: &Arc<ember_storage::Table>, _index_id: u64) {}

    /// Nothing to hold: a change applied at once runs in no open transaction (a DROP
    /// COLUMN here copies in its own, after closing the table, `drop_column.rs`).
    fn hold_writes(&self, _table: &Arc<ember_storage::Table>) {}

    fn drop_table_storage(&self, table: &Arc<ember_storage::Table>) {
        table.mark_dropped();
    }

    fn drop_index_storage(&self, table: &Arc<ember_storage::Table>, index_id: u64) {
        table.drop_index(index_id);
    }

    fn add_column(
        &self,
        table: &Arc<ember_storage::Table>,
        data_type: ember_storage::DataType,
        missing: ember_storage::Value,
    ) {
        table.add_column(data_type, missing);
    }
}

/// An EmberDB database.
///
/// ```
/// let db = ember::Database::in_memory();
/// let mut conn = db.connect();
/// conn.execute("CREATE TABLE t(id INTEGER PRIMARY KEY, name TEXT)", ()).unwrap();
/// conn.execute("INSERT INTO t VALUES (1, 'a')", ()).unwrap();
/// let name: String = conn.query("SELECT name FROM t WHERE id = 1", ()).unwrap()
///     .first().unwrap().get(0).unwrap();
/// assert_eq!(name, "a");
/// ```
#[derive(Clone)]
pub struct Database {
    pub(crate) shared: Arc<Shared>,
    options: Options,
}

impl Database {
    /// A new, empty database held only in memory. For a database kept on disk, see
    /// [`Database::open`].
    pub fn in_memory() -> Database {
        Database::in_memory_with(Options::default())
    }

    /// A new, empty in-memory database with the given options.
    pub fn in_memory_with(options: Options) -> Database {
        let shared = Arc::new(Shared {
            store: Store::new(),
            catalog: ArcSwap::from_pointee(Catalog::default()),
            catalog_version: AtomicU64::new(Catalog::default().version()),
            ddl: Default::default(),
            busy_timeout_ms: AtomicU64::new(
                u64::try_from(options.busy_timeout.as_millis()).unwrap_or(u64::MAX),
            ),
            durable: OnceLock::new(),
            collector: OnceLock::new(),
            clock: options.clock.clone(),
            ttl_sweep_interval: options.ttl_sweep_interval,
            temp_tables: Default::default(),
            retired_tables: Default::default(),
            collector_pass: Default::default(),
        });
        shared
            .store
            .memory()
            .set_budget(options.resolved_memory_budget());
        let evict = options.memory_marks_percent.1.clamp(1, 100);
        let soft = options.memory_marks_percent.0.clamp(1, evict);
        shared.store.memory().pressure().set_marks(soft, evict);
        let retention_ms = u64::try_from(options.history_retention.as_millis()).unwrap_or(u64::MAX);
        shared
            .store
            .history()
            .set_default_retention_ms(retention_ms);
        // Cannot fail on a new store (its snapshot slots are all free).
        let _ = crate::session::history::apply_retention(&shared);
        crate::gc::spawn_background(&shared);
        Database { options, shared }
    }

    /// Another handle on `shared`, whose connections start with `options` (a second open of
    /// a directory this process holds open).
    pub(crate) fn share(shared: Arc<Shared>, options: Options) -> Database {
        Database { shared, options }
    }

    /// A handle on `shared` with the default options (the collector's sweep connection).
    pub(crate) fn from_shared(shared: Arc<Shared>) -> Database {
        Database {
            shared,
            options: Options::default(),
        }
    }

    /// Opens a new connection (one per thread).
    pub fn connect(&self) -> Connection {
        Connection::new(self.clone())
    }

    /// The options the database was opened with.
    pub fn options(&self) -> &Options {
        &self.options
    }

    /// The current catalog snapshot (tables and their definitions).
    pub fn catalog(&self) -> Arc<Catalog> {
        self.shared.catalog.load_full()
    }
}
