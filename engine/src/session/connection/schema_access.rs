//! Which schema a connection's statements see (the published catalog, the open
//! transaction's staged one, with the connection's temporary objects over it) and where
//! its schema changes go (`SchemaHost`: the database at once in autocommit, the staged
//! schema inside a transaction, the temporary schema for `Plan::Temp`).

use std::sync::Arc;

use super::{in_transaction, Connection, StagedSchema, TransactionState};
use crate::error::Result;
use crate::exec;

impl Connection {
    /// The current catalog version; a prepared plan bound against another is stale.
    #[inline]
    pub(crate) fn catalog_version(&self) -> u64 {
        let main = match &*self.staged.borrow() {
            None => self.db.shared.catalog_version(),
            Some(staged) => staged.version(),
        };
        self.with_temp_version(main)
    }

    /// The catalog this connection's statements see: the published one, with the open
    /// transaction's schema changes when it made some, and the connection's temporary
    /// objects over it (`connection/temp_schema.rs`).
    pub(crate) fn catalog(&self) -> Arc<crate::catalog::Catalog> {
        self.with_temp(self.main_catalog())
    }

    /// The `main` schema this connection's statements see: the published catalog, with
    /// the open transaction's schema changes when it made some.
    pub(crate) fn main_catalog(&self) -> Arc<crate::catalog::Catalog> {
        match &*self.staged.borrow() {
            None => self.db.shared.catalog.load_full(),
            Some(staged) => staged.current(),
        }
    }

    /// Runs a schema change: at once in autocommit, staged in the open transaction (which
    /// takes the schema with its first one; a failed change undoes only itself).
    pub(crate) fn change_schema<T>(
        &self,
        change: impl FnOnce(&dyn exec::SchemaHost) -> Result<T>,
    ) -> Result<T> {
        if self.temp_ddl.get() {
            if matches!(*self.state.borrow(), TransactionState::Aborted) {
                return Err(in_transaction::aborted_transaction());
            }
            return change(&self.temp_host());
        }
        match &*self.state.borrow() {
            TransactionState::Autocommit => return change(&*self.db.shared),
            TransactionState::Aborted => return Err(in_transaction::aborted_transaction()),
            TransactionState::Explicit(_) => {}
        }
        if self.staged.borrow().is_none() {
            let staged = StagedSchema::begin(&self.db.shared)?;
            if let TransactionState::Explicit(txn) = &mut *self.state.borrow_mut() {
                txn.set_schema_owner(staged.owner());
            }
            *self.staged.borrow_mut() = Some(staged);
        }
        let staged = self.staged.borrow();
        let staged = staged.as_ref().expect("set just above");
        let mark = staged.mark();
        let changed = change(staged);
        if changed.is_err() {
            staged.rollback_to(Some(&mark));
        }
        changed
    }

    /// Undoes the open transaction's schema changes (its rows were rolled back first).
    pub(super) fn discard_staged_schema(&self) {
        let staged = self.staged.borrow_mut().take();
        drop(staged);
    }
}
