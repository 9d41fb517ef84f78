//! BEGIN, and SAVEPOINT, RELEASE and ROLLBACK TO with SQLite's semantics: named marks in
//! the open transaction's write log, innermost last. `SAVEPOINT` outside a transaction
//! starts one, which the RELEASE of that (outermost) savepoint commits; `ROLLBACK TO` undoes
//! the writes made since the savepoint and keeps it (dropping the newer ones); names match
//! case-insensitively, the newest of a repeated name first. A rollback to a savepoint undoes
//! the schema changes made since too (`staged_schema.rs`, and the temporary schema's in
//! `temp_schema.rs`), after the rows.

use super::{Connection, TransactionState};
use crate::error::Result;
use crate::plan::SavepointOp;

/// One savepoint of the open transaction.
pub(super) struct SavepointMark {
    name: String,
    /// The length of the transaction's write log when it was set.
    write_mark: usize,
    /// Whether this SAVEPOINT started the transaction (its RELEASE commits).
    starts_transaction: bool,
    /// The transaction's staged schema when it was set (`None`: no schema change yet).
    schema: Option<super::staged_schema::SchemaMark>,
    /// The length of the temporary schema's journal when it was set (`temp_schema.rs`).
    temp_mark: usize,
}

impl Connection {
    /// BEGIN: opens an explicit transaction.
    /// BEGIN, at `isolation` (`None`: the connection's default).
    pub(crate) fn begin(&self, isolation: Option<ember_storage::Isolation>) -> Result<()> {
        let mut state = self.state.borrow_mut();
        if !matches!(*state, TransactionState::Autocommit) {
            return Err(crate::err!(
                Transaction,
                "cannot start a transaction within a transaction"
            ));
        }
        let isolation = isolation.unwrap_or(self.isolation.get());
        *state = TransactionState::Explicit(self.start_explicit(isolation)?);
        self.transactions_begun
            .set(self.transactions_begun.get().wrapping_add(1));
        self.time.start();
        Ok(())
    }

    /// Runs one savepoint statement.
    pub(crate) fn run_savepoint(&self, op: &SavepointOp) -> Result<()> {
        match op {
            SavepointOp::Begin(name) => self.set_savepoint(name),
            SavepointOp::Release(name) => {
                let position = self.find_savepoint(name)?;
                if self.savepoints.borrow()[position].starts_transaction {
                    // A RELEASE that commits fails, keeping its savepoints, while a deferred
                    // foreign key does not hold.
                    self.check_deferred_keys()?;
                }
                let starts_transaction = {
                    let mut savepoints = self.savepoints.borrow_mut();
                    let starts = savepoints[position].starts_transaction;
                    savepoints.truncate(position);
                    starts
                };
                if starts_transaction {
                    self.commit()
                } else {
                    Ok(())
                }
            }
            SavepointOp::RollbackTo(name) => {
                let position = self.find_savepoint(name)?;
                let mut savepoints = self.savepoints.borrow_mut();
                let write_mark = savepoints[position].write_mark;
                match &mut *self.state.borrow_mut() {
                    TransactionState::Explicit(txn) => txn.rollback_to(write_mark),
                    _ => return Err(aborted()),
                }
                if let Some(staged) = &*self.staged.borrow() {
                    staged.rollback_to(savepoints[position].schema.as_ref());
                }
                self.undo_temp_steps(savepoints[position].temp_mark);
                savepoints.truncate(position + 1);
                Ok(())
            }
        }
    }

    fn set_savepoint(&self, name: &str) -> Result<()> {
        let mut state = self.state.borrow_mut();
        let starts_transaction = match &*state {
            TransactionState::Autocommit => {
                debug_assert!(self.savepoints.borrow().is_empty());
                *state = TransactionState::Explicit(self.start_explicit(self.isolation.get())?);
                self.time.start();
                true
            }
            TransactionState::Explicit(_) => false,
            TransactionState::Aborted => return Err(aborted()),
        };
        let TransactionState::Explicit(txn) = &*state else {
            unreachable!("set just above");
        };
        self.savepoints.borrow_mut().push(SavepointMark {
            name: name.to_string(),
            write_mark: txn.savepoint(),
            starts_transaction,
            schema: self.staged.borrow().as_ref().map(|staged| staged.mark()),
            temp_mark: self.temp_mark(),
        });
        Ok(())
    }

    /// The position of the newest savepoint named `name`, or SQLite's error.
    fn find_savepoint(&self, name: &str) -> Result<usize> {
        if matches!(*self.state.borrow(), TransactionState::Aborted) {
            return Err(aborted());
        }
        self.savepoints
            .borrow()
            .iter()
            .rposition(|mark| mark.name.eq_ignore_ascii_case(name))
            .ok_or_else(|| crate::err!(NotFound, "no such savepoint: {name}"))
    }
}

fn aborted() -> crate::Error {
    crate::err!(
        Transaction,
        "the current transaction was aborted by a serialization conflict; ROLLBACK and retry it"
    )
}
