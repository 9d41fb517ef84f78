//! `Database`: the shared handle to one database (its storage and its catalog). Cheap to
//! clone and safe to share across threads; each thread opens its own `Connection`.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

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
    ddl_lock: Mutex<()>,
    /// The WAL and checkpoint state of a directory database; empty for in-memory ones
    /// (and while recovery replays, so replay is not logged again).
    pub(crate) durable: OnceLock<Durable>,
    /// The background collector, stopped and joined when this state drops.
    pub(crate) collector: OnceLock<crate::gc::Collector>,
    /// Where transactions read the time row expiries compare with (`Options::clock`).
    pub(crate) clock: crate::expr::WallClock,
    /// Most time between two sweeps of expired rows (`Options::ttl_sweep_interval`).
    pub(crate) ttl_sweep_interval: std::time::Duration,
}

impl Shared {
    /// Makes `catalog` the current one. Call with the DDL lock held.
    pub(crate) fn publish_catalog(&self, catalog: Catalog) {
        debug_assert!(
            self.ddl_lock.try_lock().is_err(),
            "catalog changes hold the lock"
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

    /// Serializes catalog changes (readers never take this lock).
    pub(crate) fn lock_ddl(&self) -> MutexGuard<'_, ()> {
        self.ddl_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }
}

impl crate::exec::SchemaHost for Shared {
    fn lock_ddl(&self) -> MutexGuard<'_, ()> {
        Shared::lock_ddl(self)
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
            ddl_lock: Mutex::new(()),
            durable: OnceLock::new(),
            collector: OnceLock::new(),
            clock: options.clock.clone(),
            ttl_sweep_interval: options.ttl_sweep_interval,
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
