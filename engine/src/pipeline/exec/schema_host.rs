//! What DDL needs from the database it changes, as a trait the session layer implements
//! (`database::Shared`): the DDL lock, the current catalog and the store, publishing a new
//! catalog, and logging the change for recovery. The executor's DDL (`ddl.rs`, `view.rs`)
//! reaches the shared state only through it, so the query pipeline does not import the
//! session.

use std::sync::{Arc, MutexGuard};

use ember_storage::wal::record::CatalogOp;
use ember_storage::Store;

use crate::catalog::Catalog;
use crate::error::Result;

/// The database a DDL statement changes.
pub trait SchemaHost {
    /// Takes the DDL lock: catalog changes are serialized under it.
    fn lock_ddl(&self) -> MutexGuard<'_, ()>;
    /// The current catalog.
    fn catalog(&self) -> Arc<Catalog>;
    /// The storage the tables live in.
    fn store(&self) -> &Store;
    /// Makes `catalog` the current one (call under the DDL lock).
    fn publish_catalog(&self, catalog: Catalog);
    /// Logs a catalog change for recovery before it is published (a no-op in memory).
    fn log_catalog(&self, op: CatalogOp, table_id: u64, name: &str, sql: &str) -> Result<()>;
}
