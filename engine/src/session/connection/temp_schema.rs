//! Temporary tables, views and indexes: the connection's own schema (SQLite's `temp`).
//!
//! The objects are kept in a catalog of the connection's (`Connection::temp`), never in
//! the database's: no other connection binds against it, so none sees or touches them, and
//! each may have a temporary table of the same name. The connection's statements bind
//! against the database's catalog with this one over it (`Catalog::with_temp`: a name
//! finds the temporary object first; `main.t` and `temp.t` reach one schema). That view's
//! version is the sum of both catalogs' versions, so a cached plan bound before a
//! temporary table shadowed a name (or after it was dropped) is never reused.
//!
//! The rows live in the database's storage like any table's, so one transaction covers
//! temporary and `main` tables (ROLLBACK undoes both). The storage tables are marked
//! unlogged (`Table::mark_unlogged`): commits leave their rows out of the WAL, the schema
//! changes are never logged, and checkpoints, backups and `.dump` read only the database's
//! catalog, which never holds them. They go when the connection is dropped (their memory
//! with them: see `Drop for Connection`) and are not there after a reopen.
//!
//! Temporary schema changes (`Plan::Temp`) take effect at once, inside a transaction too:
//! a ROLLBACK undoes rows written to a temporary table, not its CREATE or DROP.

use std::cell::RefCell;
use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{DataType, Store, Table, Value};

use super::Connection;
use crate::catalog::Catalog;
use crate::database::Shared;
use crate::error::Result;
use crate::exec::schema::ddl_lock::DdlGuard;

/// The connection's temporary schema, as the DDL executor changes it.
pub(super) struct TempHost<'a> {
    pub(super) shared: &'a Shared,
    pub(super) temp: &'a RefCell<Option<Arc<Catalog>>>,
}

impl TempHost<'_> {
    /// The temporary schema as it is (empty before the first temporary object).
    pub(super) fn catalog_now(&self) -> Arc<Catalog> {
        crate::exec::SchemaHost::catalog(self)
    }
}

impl crate::exec::SchemaHost for TempHost<'_> {
    /// The short lock only: no other connection reads or changes this schema, but a
    /// temporary table's storage is made in the shared store as the others are.
    fn lock_ddl(&self) -> Result<DdlGuard<'_>> {
        Ok(self.shared.lock_ddl())
    }

    fn catalog(&self) -> Arc<Catalog> {
        match &*self.temp.borrow() {
            Some(temp) => Arc::clone(temp),
            None => Arc::new(Catalog::default()),
        }
    }

    fn store(&self) -> &Store {
        &self.shared.store
    }

    fn publish_catalog(&self, catalog: Catalog) {
        debug_assert!(
            catalog.temp().is_none(),
            "a temporary schema holds no other"
        );
        *self.temp.borrow_mut() = Some(Arc::new(catalog));
    }

    /// Never logged: a temporary object is gone after a reopen.
    fn log_catalog(&self, _op: CatalogOp, _table_id: u64, _name: &str, _sql: &str) -> Result<()> {
        Ok(())
    }

    fn created_table(&self, table: &Arc<Table>) {
        table.mark_unlogged();
    }

    fn created_index(&self, _table: &Arc<Table>, _index_id: u64) {}

    fn drop_table_storage(&self, table: &Arc<Table>) {
        table.mark_dropped();
    }

    fn drop_index_storage(&self, table: &Arc<Table>, index_id: u64) {
        table.drop_index(index_id);
    }

    fn add_column(&self, table: &Arc<Table>, data_type: DataType, missing: Value) {
        table.add_column(data_type, missing);
    }
}

/// A closed connection's temporary objects go: the open transaction first (it holds their
/// tables while it has rows in them), then the plans and catalogs that hold them; then the
/// slab pages their rows emptied go back (moving no other table's rows).
impl Drop for Connection {
    fn drop(&mut self) {
        let Some(temp) = self.temp.get_mut().take() else {
            return;
        };
        *self.state.get_mut() = super::TransactionState::Autocommit;
        self.staged.get_mut().take();
        self.cache.get_mut().clear();
        self.merged.get_mut().take();
        self.idle.get_mut().take();
        drop(temp);
        let pool = self.db.shared.store.pool();
        pool.drain_deferred_frees();
        pool.release_empty_pages();
    }
}

impl Connection {
    /// The connection's temporary tables, views and indexes (SQLite's `temp` schema), if it
    /// ever made one. [`Database::catalog`](crate::Database::catalog) holds the `main`
    /// schema, which no connection's temporary objects are part of.
    ///
    /// ```
    /// let db = ember::Database::in_memory();
    /// let conn = db.connect();
    /// assert!(conn.temp_catalog().is_none());
    /// conn.execute("CREATE TEMP TABLE staging(a INT)", ()).unwrap();
    /// assert!(conn.temp_catalog().unwrap().table("staging").is_some());
    /// assert!(db.catalog().table("staging").is_none());
    /// assert!(db.connect().temp_catalog().is_none());
    /// ```
    pub fn temp_catalog(&self) -> Option<Arc<Catalog>> {
        self.temp.borrow().clone()
    }

    /// `main` (the database's catalog, or the open transaction's staged one) with the
    /// connection's temporary objects over it, when it has a temporary schema. The view is
    /// kept until either changes.
    pub(super) fn with_temp(&self, main: Arc<Catalog>) -> Arc<Catalog> {
        let Some(temp) = self.temp_catalog() else {
            return main;
        };
        if let Some((kept_main, merged)) = &*self.merged.borrow() {
            let same_temp = merged.temp().is_some_and(|kept| Arc::ptr_eq(kept, &temp));
            if same_temp && Arc::ptr_eq(kept_main, &main) {
                return Arc::clone(merged);
            }
        }
        let merged = Arc::new(main.with_temp(temp));
        *self.merged.borrow_mut() = Some((main, Arc::clone(&merged)));
        merged
    }

    /// The version of the catalog `with_temp` gives for a `main` of version `main_version`.
    pub(super) fn with_temp_version(&self, main_version: u64) -> u64 {
        match &*self.temp.borrow() {
            Some(temp) => main_version + temp.version(),
            None => main_version,
        }
    }

    /// Runs `run` with schema changes going to the `main` schema (the statements a
    /// temporary schema change runs, such as the insert of CREATE TEMP TABLE .. AS).
    pub(super) fn outside_temp_schema<T>(&self, run: impl FnOnce() -> Result<T>) -> Result<T> {
        let outer = self.temp_ddl.replace(false);
        let result = run();
        self.temp_ddl.set(outer);
        result
    }

    /// Runs `run` with schema changes going to the temporary schema (`Plan::Temp`).
    pub(super) fn in_temp_schema<T>(&self, run: impl FnOnce() -> Result<T>) -> Result<T> {
        let outer = self.temp_ddl.replace(true);
        let result = run();
        self.temp_ddl.set(outer);
        result
    }

    /// The host of a temporary schema change.
    pub(super) fn temp_host(&self) -> TempHost<'_> {
        TempHost {
            shared: &self.db.shared,
            temp: &self.temp,
        }
    }

    /// Drops the temporary table `name` a failed CREATE TEMP TABLE .. AS SELECT made.
    pub(super) fn undo_temp_table(&self, name: &str) {
        let host = self.temp_host();
        let _ = crate::exec::drop_table(&host, name, true);
    }
}
