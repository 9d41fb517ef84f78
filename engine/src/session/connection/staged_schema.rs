//! Transactional DDL: the schema changes an explicit transaction made, staged on its
//! connection until the transaction ends.
//!
//! From its first DDL statement the transaction owns the schema (`exec/schema/ddl_lock.rs`): any
//! other connection's schema change waits for it to end (at most the busy timeout). Each DDL
//! statement runs the executor's usual code against this host (`SchemaHost`): it builds a
//! new catalog as always, but the catalog is kept here, private to the connection (its
//! statements bind against it; other connections keep the published one); the catalog
//! records are kept for the commit record; and the storage side of each change is applied in
//! a way that can be undone, or deferred:
//!
//! | change | at the statement | ROLLBACK (TO) | COMMIT |
//! |---|---|---|---|
//! | CREATE TABLE | new storage table | marked dropped | - |
//! | CREATE INDEX | index built and kept up | index dropped | - |
//! | ADD COLUMN | storage schema widened | earlier schema restored (after the rows) | - |
//! | DROP COLUMN | new table, rows copied in | marked dropped | old one as DROP TABLE |
//! | DROP TABLE | - | - | marked dropped under the commit lock |
//! | DROP INDEX | - | - | index dropped |
//! | RENAME, views | catalog only | - | - |
//!
//! A table widened by ADD COLUMN takes no other transaction's commit until this one ends,
//! nor that of any transaction begun before it ended (`storage/src/mvcc/widening.rs`): a
//! row written meanwhile could have either width. A table DROP COLUMN copied is held the
//! same way (`hold_writes`): a row committed to it meanwhile would be missing from the copy.
//!
//! COMMIT logs the catalog records and the rows in one WAL record (`durability::commit_schema`)
//! and publishes the catalog; a crash before it leaves no trace of the DDL. ROLLBACK, or a
//! ROLLBACK TO a savepoint before a change, restores the catalog of that point under a
//! catalog version past every one used since, so no cached plan of the undone schema is
//! reused.

use std::cell::{Cell, RefCell};
use std::sync::Arc;

use ember_storage::wal::record::{CatalogChange, CatalogOp};
use ember_storage::{DataType, Store, Table, TableSchema, Value};

use crate::catalog::Catalog;
use crate::database::Shared;
use crate::error::Result;
use crate::exec::schema::ddl_lock::{new_owner, DdlGuard, DdlOwner};
use crate::limits::TRANSACTION_SCHEMA_CHANGES_MAX;

/// One storage effect of a staged change.
enum Step {
    /// Undone by marking it dropped.
    CreatedTable(Arc<Table>),
    /// Undone by dropping the index.
    CreatedIndex(Arc<Table>, u64),
    /// Undone by restoring the schema the table had before.
    AddedColumn(Arc<Table>, Arc<TableSchema>),
    /// Marked dropped when the transaction commits.
    DroppedTable(Arc<Table>),
    /// Dropped when the transaction commits.
    DroppedIndex(Arc<Table>, u64),
}

/// Where a savepoint finds the staged schema.
pub(crate) struct SchemaMark {
    steps: usize,
    records: usize,
    catalog: Arc<Catalog>,
}

/// The schema changes of an explicit transaction (see the module comment).
pub(crate) struct StagedSchema {
    shared: Arc<Shared>,
    owner: DdlOwner,
    /// The published catalog when the transaction took the schema.
    base: Arc<Catalog>,
    /// The catalog with the changes so far (the connection's statements bind against it).
    catalog: RefCell<Arc<Catalog>>,
    /// The largest catalog version the transaction's catalogs have had.
    version_max: Cell<u64>,
    records: RefCell<Vec<CatalogChange>>,
    steps: RefCell<Vec<Step>>,
    /// The tables the transaction widened (ADD COLUMN); their widening ends with it.
    widened: RefCell<Vec<Arc<Table>>>,
    /// Committed or rolled back: nothing is left to undo.
    ended: Cell<bool>,
}

impl StagedSchema {
    /// Makes the open transaction own the schema (waiting, at most the busy timeout, for
    /// another transaction that owns it).
    pub(crate) fn begin(shared: &Arc<Shared>) -> Result<StagedSchema> {
        let owner = new_owner();
        shared.ddl.take_owner(owner, shared.busy_timeout())?;
        let base = shared.catalog.load_full();
        Ok(StagedSchema {
            shared: Arc::clone(shared),
            owner,
            version_max: Cell::new(base.version()),
            catalog: RefCell::new(Arc::clone(&base)),
            base,
            records: RefCell::new(Vec::new()),
            steps: RefCell::new(Vec::new()),
            widened: RefCell::new(Vec::new()),
            ended: Cell::new(false),
        })
    }

    /// The token the transaction's storage transaction carries
    /// (`Transaction::set_schema_owner`): tables it widens take its commits.
    pub(crate) fn owner(&self) -> DdlOwner {
        self.owner
    }

    /// The catalog with the transaction's changes.
    pub(crate) fn current(&self) -> Arc<Catalog> {
        Arc::clone(&self.catalog.borrow())
    }

    /// The version of `current()`.
    pub(crate) fn version(&self) -> u64 {
        self.catalog.borrow().version()
    }

    /// The point a savepoint set now goes back to.
    pub(crate) fn mark(&self) -> SchemaMark {
        SchemaMark {
            steps: self.steps.borrow().len(),
            records: self.records.borrow().len(),
            catalog: self.current(),
        }
    }

    /// Undoes the changes made after `mark` (`None`: every change). Call after the
    /// transaction's row writes since then were rolled back.
    pub(crate) fn rollback_to(&self, mark: Option<&SchemaMark>) {
        let (steps, records, catalog) = match mark {
            Some(mark) => (mark.steps, mark.records, Arc::clone(&mark.catalog)),
            None => (0, 0, Arc::clone(&self.base)),
        };
        self.undo_steps(steps);
        self.records.borrow_mut().truncate(records);
        if !Arc::ptr_eq(&catalog, &self.catalog.borrow()) {
            let version = self.version_max.get() + 1;
            self.version_max.set(version);
            *self.catalog.borrow_mut() = Arc::new(catalog.renumbered(version));
        }
    }

    /// The short DDL lock, as the schema's owner (the commit takes it first).
    pub(crate) fn lock(&self) -> Result<DdlGuard<'_>> {
        self.shared
            .ddl
            .lock_for_change(Some(self.owner), self.shared.busy_timeout())
    }

    /// The catalog records, in the order the changes were made.
    pub(crate) fn records(&self) -> std::cell::Ref<'_, Vec<CatalogChange>> {
        self.records.borrow()
    }

    /// The tables the transaction dropped (the commit marks them under the commit lock).
    pub(crate) fn dropped_tables(&self) -> Vec<Arc<Table>> {
        self.steps
            .borrow()
            .iter()
            .filter_map(|step| match step {
                Step::DroppedTable(table) => Some(Arc::clone(table)),
                _ => None,
            })
            .collect()
    }

    /// After the transaction committed (its record logged, its dropped tables marked):
    /// publishes the catalog, drops the indexes it dropped and releases the schema. Call
    /// under the short DDL lock (`lock`).
    pub(crate) fn publish_committed(&self) {
        debug_assert!(self.shared.ddl.is_held());
        let published = self.shared.catalog.load_full();
        let staged = self.current();
        let next = if published.version() == self.base.version() {
            Catalog::clone(&staged)
        } else {
            // Functions registered meanwhile (the registry does not wait for the schema).
            let version = self.version_max.get().max(published.version()) + 1;
            staged.with_functions_of(&published).renumbered(version)
        };
        self.shared.publish_catalog(next);
        for step in self.steps.borrow_mut().drain(..) {
            if let Step::DroppedIndex(table, index) = step {
                table.drop_index(index);
            }
        }
        self.end();
    }

    fn undo_steps(&self, keep: usize) {
        let undone: Vec<Step> = {
            let mut steps = self.steps.borrow_mut();
            let at = keep.min(steps.len());
            steps.drain(at..).collect()
        };
        for step in undone.into_iter().rev() {
            match step {
                Step::CreatedTable(table) => table.mark_dropped(),
                Step::CreatedIndex(table, index) => {
                    table.drop_index(index);
                }
                Step::AddedColumn(table, schema) => {
                    let restored = table.restore_schema(&schema);
                    debug_assert!(restored, "the schema came from this table");
                }
                Step::DroppedTable(_) | Step::DroppedIndex(..) => {}
            }
        }
    }

    fn end(&self) {
        for table in self.widened.borrow_mut().drain(..) {
            self.shared.store.end_widening(&table, None);
        }
        if !self.ended.replace(true) {
            self.shared.ddl.release_owner(self.owner);
        }
    }
}

impl Drop for StagedSchema {
    /// A transaction that did not commit: its changes are undone. The published catalog
    /// moves to a version past the staged ones, so no connection reuses a plan bound
    /// against them.
    fn drop(&mut self) {
        if self.ended.get() {
            return;
        }
        self.undo_steps(0);
        if self.version_max.get() != self.base.version() {
            let _ddl = self.shared.ddl.lock();
            let published = self.shared.catalog.load_full();
            let version = self.version_max.get().max(published.version()) + 1;
            self.shared.publish_catalog(published.renumbered(version));
        }
        self.end();
    }
}

/// DDL inside the transaction: staged here (see the module comment).
impl crate::exec::SchemaHost for StagedSchema {
    fn lock_ddl(&self) -> Result<DdlGuard<'_>> {
        self.lock()
    }

    fn catalog(&self) -> Arc<Catalog> {
        self.current()
    }

    fn store(&self) -> &Store {
        &self.shared.store
    }

    fn publish_catalog(&self, catalog: Catalog) {
        self.version_max
            .set(self.version_max.get().max(catalog.version()));
        *self.catalog.borrow_mut() = Arc::new(catalog);
    }

    fn log_catalog(&self, op: CatalogOp, table_id: u64, name: &str, sql: &str) -> Result<()> {
        let mut records = self.records.borrow_mut();
        if records.len() >= TRANSACTION_SCHEMA_CHANGES_MAX {
            return Err(crate::err!(
                Limit,
                "a transaction may make at most {TRANSACTION_SCHEMA_CHANGES_MAX} schema changes \
                 (COMMIT and go on in another)"
            ));
        }
        records.push(CatalogChange {
            op,
            table_id,
            name: name.to_string(),
            sql: sql.to_string(),
        });
        Ok(())
    }

    fn created_table(&self, table: &Arc<Table>) {
        self.steps
            .borrow_mut()
            .push(Step::CreatedTable(Arc::clone(table)));
    }

    fn created_index(&self, table: &Arc<Table>, index_id: u64) {
        self.steps
            .borrow_mut()
            .push(Step::CreatedIndex(Arc::clone(table), index_id));
    }

    fn drop_table_storage(&self, table: &Arc<Table>) {
        self.steps
            .borrow_mut()
            .push(Step::DroppedTable(Arc::clone(table)));
    }

    fn drop_index_storage(&self, table: &Arc<Table>, index_id: u64) {
        self.steps
            .borrow_mut()
            .push(Step::DroppedIndex(Arc::clone(table), index_id));
    }

    /// The table takes only this transaction's commits until it ends (a widening that
    /// changes no schema, `storage/src/mvcc/widening.rs`).
    fn hold_writes(&self, table: &Arc<Table>) {
        if table.widened_by() != self.owner {
            self.shared.store.begin_widening(table, self.owner);
            self.widened.borrow_mut().push(Arc::clone(table));
        }
    }

    fn add_column(&self, table: &Arc<Table>, data_type: DataType, missing: Value) {
        let before = table.schema_handle();
        self.hold_writes(table);
        table.add_column(data_type, missing);
        self.steps
            .borrow_mut()
            .push(Step::AddedColumn(Arc::clone(table), before));
    }
}
