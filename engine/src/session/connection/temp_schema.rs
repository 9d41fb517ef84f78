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
//! A temporary schema change (`Plan::Temp`) takes effect at once. Inside an explicit
//! transaction it is journaled (`TempStep`): ROLLBACK, or ROLLBACK TO a savepoint set
//! before it, undoes it after the rows (the earlier catalog comes back under a newer
//! version; an index made is dropped, a column added is taken off the storage again), and
//! an index dropped is kept until COMMIT, which drops it. No other connection sees the
//! temporary schema, so none waits for the transaction: it takes no schema ownership.

use std::cell::RefCell;
use std::sync::{Arc, Mutex, Weak};

use ember_storage::wal::record::CatalogOp;
use ember_storage::{DataType, Store, Table, TableSchema, Value};

use super::Connection;
use crate::catalog::Catalog;
use crate::database::Shared;
use crate::error::Result;
use crate::exec::schema::ddl_lock::DdlGuard;
use crate::limits::TRANSACTION_SCHEMA_CHANGES_MAX;

/// The storage of every connection's temporary tables, for the database's garbage
/// collector and compaction (which walk the published catalog, where these never are).
/// Weak: a table still goes with its connection.
#[derive(Default)]
pub(crate) struct TempTables(Mutex<Vec<Weak<Table>>>);

impl TempTables {
    fn register(&self, table: &Arc<Table>) {
        let mut tables = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tables.retain(|table| table.strong_count() > 0);
        tables.push(Arc::downgrade(table));
    }

    /// The temporary tables that still exist.
    pub(crate) fn live(&self) -> Vec<Arc<Table>> {
        let mut tables = self.0.lock().unwrap_or_else(|e| e.into_inner());
        tables.retain(|table| table.strong_count() > 0);
        tables.iter().filter_map(Weak::upgrade).collect()
    }
}

/// What a temporary schema change inside an explicit transaction did, to undo it.
pub(super) enum TempStep {
    /// The temporary catalog before a change (`None`: the connection had none).
    Catalog(Option<Arc<Catalog>>),
    /// Undone by dropping the index.
    CreatedIndex(Arc<Table>, u64),
    /// Undone by restoring the schema the table had before.
    AddedColumn(Arc<Table>, Arc<TableSchema>),
    /// Dropped at COMMIT; a rollback keeps the index.
    DroppedIndex(Arc<Table>, u64),
}

/// The connection's temporary schema, as the DDL executor changes it.
pub(super) struct TempHost<'a> {
    shared: &'a Shared,
    temp: &'a RefCell<Option<Arc<Catalog>>>,
    /// The open explicit transaction's journal (`None` in autocommit: nothing to undo).
    journal: Option<&'a RefCell<Vec<TempStep>>>,
}

impl TempHost<'_> {
    fn record(&self, step: TempStep) {
        if let Some(journal) = self.journal {
            journal.borrow_mut().push(step);
        }
    }
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
        let before = self.temp.borrow_mut().replace(Arc::new(catalog));
        self.record(TempStep::Catalog(before));
    }

    /// Never logged: a temporary object is gone after a reopen. Inside a transaction the
    /// journal is bounded as a transaction's schema changes are.
    fn log_catalog(&self, _op: CatalogOp, _table_id: u64, _name: &str, _sql: &str) -> Result<()> {
        let journaled = self.journal.map_or(0, |journal| journal.borrow().len());
        if journaled >= TRANSACTION_SCHEMA_CHANGES_MAX {
            return Err(crate::err!(
                Limit,
                "a transaction may make at most {TRANSACTION_SCHEMA_CHANGES_MAX} schema changes \
                 (COMMIT and go on in another)"
            ));
        }
        Ok(())
    }

    fn created_table(&self, table: &Arc<Table>) {
        table.mark_unlogged();
        self.shared.temp_tables.register(table);
    }

    fn created_index(&self, table: &Arc<Table>, index_id: u64) {
        self.record(TempStep::CreatedIndex(Arc::clone(table), index_id));
    }

    /// Nothing to hold: no other connection writes to a temporary table.
    fn hold_writes(&self, _table: &Arc<Table>) {}

    /// Nothing to do: no other connection writes to the table and the WAL never names it;
    /// its storage goes with the last catalog or plan that holds it (a rollback may bring
    /// it back).
    fn drop_table_storage(&self, _table: &Arc<Table>) {}

    fn drop_index_storage(&self, table: &Arc<Table>, index_id: u64) {
        match self.journal {
            Some(_) => self.record(TempStep::DroppedIndex(Arc::clone(table), index_id)),
            None => {
                table.drop_index(index_id);
            }
        }
    }

    fn add_column(&self, table: &Arc<Table>, data_type: DataType, missing: Value) {
        let before = table.schema_handle();
        table.add_column(data_type, missing);
        self.record(TempStep::AddedColumn(Arc::clone(table), before));
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

    /// Opens the connection's temporary schema, empty, unless it has one: what SQLite does
    /// when a statement first touches `temp` (an ALTER TABLE that renames a table or a
    /// column, or drops a column, rewrites `sqlite_temp_schema` too). From then on `PRAGMA
    /// database_list` lists `temp`; a ROLLBACK does not close it (nor does SQLite's).
    pub(super) fn open_temp_schema(&self) {
        let mut temp = self.temp.borrow_mut();
        if temp.is_none() {
            *temp = Some(Arc::new(Catalog::default()));
        }
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

    /// The host of a temporary schema change: journaled inside an explicit transaction.
    pub(super) fn temp_host(&self) -> TempHost<'_> {
        let in_transaction = matches!(*self.state.borrow(), super::TransactionState::Explicit(_));
        TempHost {
            shared: &self.db.shared,
            temp: &self.temp,
            journal: in_transaction.then_some(&self.temp_steps),
        }
    }

    /// Where a savepoint set now finds the temporary schema's journal.
    pub(super) fn temp_mark(&self) -> usize {
        self.temp_steps.borrow().len()
    }

    /// Undoes the temporary schema changes journaled from `mark` on, newest first (call
    /// after the transaction's rows were rolled back to the same point). The catalog
    /// before them comes back as a version past the current one, so no plan bound since
    /// is reused.
    pub(super) fn undo_temp_steps(&self, mark: usize) {
        let undone: Vec<TempStep> = {
            let mut steps = self.temp_steps.borrow_mut();
            if steps.len() <= mark {
                return;
            }
            steps.drain(mark..).collect()
        };
        let mut restored = None;
        for step in undone.into_iter().rev() {
            match step {
                TempStep::Catalog(before) => restored = Some(before),
                TempStep::CreatedIndex(table, index) => {
                    table.drop_index(index);
                }
                TempStep::AddedColumn(table, schema) => {
                    let done = table.restore_schema(&schema);
                    debug_assert!(done, "the schema came from this table");
                }
                TempStep::DroppedIndex(..) => {}
            }
        }
        if let Some(before) = restored {
            let mut temp = self.temp.borrow_mut();
            let version = temp.as_ref().map_or(0, |current| current.version()) + 1;
            let before = before.map_or_else(Catalog::default, |before| Catalog::clone(&before));
            *temp = Some(Arc::new(before.renumbered(version)));
        }
    }

    /// COMMIT of the journaled temporary schema changes: the index drops are done.
    pub(super) fn finish_temp_steps(&self) {
        let steps = std::mem::take(&mut *self.temp_steps.borrow_mut());
        for step in steps {
            if let TempStep::DroppedIndex(table, index) = step {
                table.drop_index(index);
            }
        }
    }

    /// Drops the temporary table `name` a failed CREATE TEMP TABLE .. AS SELECT made.
    pub(super) fn undo_temp_table(&self, name: &str) {
        let host = self.temp_host();
        let _ = crate::exec::drop_table(&host, name, true);
    }
}
