//! Reading storage directly in the connection's snapshot, for statements that walk rows and
//! indexes themselves instead of running a plan (`PRAGMA integrity_check`'s index checks):
//! the open explicit transaction's snapshot, its own writes included, or a snapshot of
//! its own (ended, never committed, when the reading is done).

use ember_storage::Transaction as StorageTransaction;

use super::in_transaction::aborted_transaction;
use super::{Connection, TransactionState};
use crate::error::Result;

impl Connection {
    /// Runs `read` in the snapshot the connection's next statement would read: the open
    /// transaction's, else a new one. `read` must not run statements on the connection.
    pub(crate) fn read_in_snapshot<R>(
        &self,
        read: impl FnOnce(&StorageTransaction) -> Result<R>,
    ) -> Result<R> {
        let state = self.state.borrow();
        match &*state {
            TransactionState::Explicit(txn) => read(txn),
            TransactionState::Aborted => Err(aborted_transaction()),
            TransactionState::Autocommit => {
                drop(state);
                let txn = self.start_transaction(ember_storage::Isolation::Snapshot)?;
                let outcome = read(&txn);
                self.keep_idle(txn.rollback_reusable());
                outcome
            }
        }
    }
}
