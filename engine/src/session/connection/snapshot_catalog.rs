//! The catalog of an explicit transaction's snapshot: BEGIN takes the published catalog
//! together with the storage snapshot (the catalog read before and after the snapshot is
//! taken, until both reads agree, so no schema change falls between them), and the
//! transaction's statements bind against that catalog until it ends, as its rows are read
//! at that snapshot. A schema change another connection publishes meanwhile is not seen:
//! a table emptied by a truncate (`exec/schema/truncate.rs`) still reads its old rows, from
//! its old storage table, for this transaction. Writes to a table whose storage was
//! replaced since are refused at COMMIT (`Store::close_for_rebuild`), and the
//! transaction's own first schema change, when another connection's was published after
//! its snapshot, fails with a serialization conflict (the change would apply to a schema
//! the transaction does not see).

use std::sync::Arc;

use ember_storage::{Isolation, Transaction as StorageTransaction};

use super::Connection;
use crate::catalog::Catalog;
use crate::error::Result;

/// Attempts at taking a snapshot with no schema change published meanwhile, before BEGIN
/// gives up (each attempt is a few loads; a schema change takes a lock and a log write).
const SNAPSHOT_ATTEMPTS_MAX: usize = 64;

impl Connection {
    /// A storage transaction for an explicit transaction, and the published catalog of its
    /// snapshot, which the connection keeps for the transaction's statements.
    pub(super) fn start_explicit(&self, isolation: Isolation) -> Result<StorageTransaction> {
        for _ in 0..SNAPSHOT_ATTEMPTS_MAX {
            let catalog = self.db.shared.catalog.load_full();
            let txn = self.start_transaction(isolation)?;
            if Arc::ptr_eq(&catalog, &self.db.shared.catalog.load()) {
                *self.snapshot_catalog.borrow_mut() = Some(catalog);
                return Ok(txn);
            }
            drop(txn);
        }
        Err(crate::err!(
            Busy,
            "the schema changed {SNAPSHOT_ATTEMPTS_MAX} times while the transaction began"
        ))
    }

    /// The catalog of the open explicit transaction's snapshot (`None` outside one).
    pub(super) fn snapshot_catalog(&self) -> Option<Arc<Catalog>> {
        self.snapshot_catalog.borrow().clone()
    }

    /// Fails when the open transaction's first schema change would apply to a schema other
    /// than the one its statements see (another connection published a change after the
    /// transaction's snapshot).
    pub(super) fn check_snapshot_catalog(&self, published: &Arc<Catalog>) -> Result<()> {
        match &*self.snapshot_catalog.borrow() {
            Some(seen) if !Arc::ptr_eq(seen, published) => Err(crate::err!(
                SerializationConflict,
                "another connection changed the schema after this transaction began; roll \
                 back and retry it"
            )),
            _ => Ok(()),
        }
    }
}
