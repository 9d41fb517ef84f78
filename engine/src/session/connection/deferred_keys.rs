//! The connection's side of deferred foreign keys (`exec::DeferredKeys`): statements of an
//! explicit transaction keep their deferred checks in the connection's list, and COMMIT
//! checks them first: while one fails, COMMIT fails with `FOREIGN KEY constraint failed`
//! and the transaction stays open (fix the rows and COMMIT again, or ROLLBACK), as in SQLite.

use super::{Connection, TransactionState};
use crate::error::Result;
use crate::exec::DeferredKeys;

impl Connection {
    /// Where a statement's deferred checks go: the connection's list inside an explicit
    /// transaction; `None` in autocommit, where the statement's end is the commit.
    pub(super) fn deferred_keys_sink(&self) -> Option<&DeferredKeys> {
        let explicit = matches!(*self.state.borrow(), TransactionState::Explicit(_));
        explicit.then_some(&self.deferred_keys)
    }

    /// COMMIT's check of the deferred foreign keys (nothing to do when none waits).
    pub(super) fn check_deferred_keys(&self) -> Result<()> {
        if self.deferred_keys.pending() == 0 {
            return Ok(());
        }
        let state = self.state.borrow();
        let TransactionState::Explicit(txn) = &*state else {
            return Ok(());
        };
        self.deferred_keys.check(txn, &self.catalog())
    }
}
