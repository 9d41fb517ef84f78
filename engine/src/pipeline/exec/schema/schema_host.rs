//! What DDL needs from the database it changes, as a trait the session layer implements:
//! the DDL lock, the current catalog and the store, publishing a new catalog, logging the
//! change for recovery, and the storage side of a change (a table or index made or removed,
//! a column added). `database::Shared` applies a change at once (autocommit); an explicit
//! transaction's staged schema (`session/connection/staged_schema.rs`) keeps it private
//! until COMMIT and undoes it on ROLLBACK. The executor's DDL (`ddl.rs`, `view.rs`,
//! `alter.rs`) reaches the shared state only through it, so the query pipeline does not
//! import the session.

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{DataType, Store, Table, Value};

use super::ddl_lock::DdlGuard;
use crate::catalog::Catalog;
use crate::error::Result;

/// The database a DDL statement changes.
pub trait SchemaHost {
    /// Takes the DDL lock: catalog changes are serialized under it. Fails (`Busy`) when
    /// another transaction owns the schema for longer than the busy timeout.
    fn lock_ddl(&self) -> Result<DdlGuard<'_>>;
    /// The current catalog (the one the change applies to).
    fn catalog(&self) -> Arc<Catalog>;
    /// The storage the tables live in.
    fn store(&self) -> &Store;
    /// Makes `catalog` the current one (call under the DDL lock).
    fn publish_catalog(&self, catalog: Catalog);
    /// Logs a catalog change for recovery before it is published (a no-op in memory).
    fn log_catalog(&self, op: CatalogOp, table_id: u64, name: &str, sql: &str) -> Result<()>;
    /// `table` was made for a CREATE TABLE (or a rebuild) of this change.
    fn created_table(&self, table: &Arc<Table>);
    /// Index `index_id` was made on `table` for a CREATE INDEX of this change.
    fn created_index(&self, table: &Arc<Table>, index_id: u64);
    /// Holds every other transaction's writes to `table` from committing until the
    /// transaction making this change ends (a copy of the table it makes would miss them).
    fn hold_writes(&self, table: &Arc<Table>);
    /// Removes `table` (DROP TABLE): no later commit may write to it.
    fn drop_table_storage(&self, table: &Arc<Table>);
    /// Removes index `index_id` of `table` (DROP INDEX).
    fn drop_index_storage(&self, table: &Arc<Table>, index_id: u64);
    /// Adds a column to `table`'s storage (ALTER TABLE ADD COLUMN, see `Table::add_column`).
    fn add_column(&self, table: &Arc<Table>, data_type: DataType, missing: Value);
}
