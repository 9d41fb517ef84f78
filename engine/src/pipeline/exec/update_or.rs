//! `UPDATE OR IGNORE | REPLACE | FAIL | ROLLBACK`: writing one row's changes under the
//! statement's conflict clause, as SQLite does, row by row in target order. Each write runs
//! under a savepoint, so a row that fails leaves nothing behind:
//! - IGNORE skips a row that would break a NOT NULL, CHECK, PRIMARY KEY or UNIQUE
//!   constraint (its changes are not written, it is not counted);
//! - REPLACE gives a NULL written to a NOT NULL column the column's default (no default:
//!   the statement fails) and first deletes the other rows holding the row's new primary
//!   key or unique-index keys (a deleted row the statement also targets is then skipped);
//! - FAIL and ROLLBACK fail the statement like ABORT; the session keeps the rows written
//!   before (FAIL) or rolls back the transaction (ROLLBACK).
//!
//! FOREIGN KEY failures always fail the statement, and a CHECK failure under REPLACE too.

use std::collections::HashSet;

use ember_storage::{RowId, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::{Error, Result};
use crate::expr::{Expr, StatementEnv, SubqueryRuntime};
use crate::plan::OnConflict;

use super::check::is_check_failure;
use super::conflict::find_holder;
use super::constraint::RowGuard;
use super::dml::{check_changes, is_not_null, storage_error};
use super::ExecContext;

/// The state of one UPDATE under a conflict clause other than ABORT.
pub(super) struct Resolution<'a> {
    table: &'a TableDef,
    on_conflict: OnConflict,
    /// REPLACE: the default of each assigned NOT NULL column that has one (by position).
    defaults: Vec<Option<Value>>,
    /// REPLACE: the rows this statement deleted as holders of a key.
    replaced: HashSet<RowId>,
}

impl<'a> Resolution<'a> {
    pub fn new(
        txn: &Transaction,
        table: &'a TableDef,
        on_conflict: OnConflict,
        assignments: &[(usize, Expr)],
        env: StatementEnv<'_>,
    ) -> Result<Self> {
        debug_assert!(on_conflict != OnConflict::Abort);
        let mut defaults = Vec::new();
        if on_conflict == OnConflict::Replace {
            let runtime = SubqueryRuntime::new(txn, env);
            let context = ExecContext::new(&runtime);
            defaults.resize(table.columns.len(), None);
            for &(position, _) in assignments {
                let column = &table.columns[position];
                if let (true, Some(default)) = (column.not_null, &column.default) {
                    defaults[position] = Some(default.eval(&[], &context.eval)?);
                }
            }
        }
        Ok(Resolution {
            table,
            on_conflict,
            defaults,
            replaced: HashSet::new(),
        })
    }

    /// Writes `changes` (in column order) to the row `row_id` holding `old_row` (every
    /// column under REPLACE); false when the row was skipped: IGNORE met a constraint it
    /// applies to, or REPLACE already deleted the row, or a cascade did.
    pub fn write_row(
        &mut self,
        txn: &mut Transaction,
        guard: Option<&RowGuard<'_>>,
        (row_id, old_row): (RowId, &[Value]),
        changes: &mut [(usize, Value)],
    ) -> Result<bool> {
        let table = self.table;
        if self.replaced.contains(&row_id) {
            return Ok(false);
        }
        if self.on_conflict == OnConflict::Replace {
            for (position, value) in changes.iter_mut() {
                if let (Value::Null, Some(default)) = (&*value, &self.defaults[*position]) {
                    *value = default.clone();
                }
            }
        }
        match check_changes(table, changes) {
            Err(error) if self.on_conflict == OnConflict::Ignore && is_not_null(&error) => {
                return Ok(false)
            }
            other => other?,
        }
        let savepoint = txn.savepoint();
        let written = (|| {
            if self.on_conflict == OnConflict::Replace {
                self.delete_holders(txn, guard, (row_id, old_row), changes)?;
            }
            match guard {
                Some(guard) => guard.update_row(txn, row_id, changes),
                None => {
                    txn.update_columns(&table.storage, row_id, changes)
                        .map_err(|e| storage_error(table, e))?;
                    Ok(true)
                }
            }
        })();
        match written {
            Ok(written) => Ok(written),
            Err(error) => {
                txn.rollback_to(savepoint);
                if self.on_conflict == OnConflict::Ignore
                    && (is_unique(&error) || is_check_failure(&error))
                {
                    return Ok(false);
                }
                Err(error)
            }
        }
    }

    /// Deletes the other rows holding the row's new primary key or a new key of a unique
    /// index (only the keys the changes touch), as a DELETE would.
    fn delete_holders(
        &mut self,
        txn: &mut Transaction,
        guard: Option<&RowGuard<'_>>,
        (row_id, old_row): (RowId, &[Value]),
        changes: &[(usize, Value)],
    ) -> Result<()> {
        let table = self.table;
        debug_assert_eq!(old_row.len(), table.columns.len());
        let touched = |columns: &[usize]| {
            columns
                .iter()
                .any(|c| changes.iter().any(|(position, _)| position == c))
        };
        let mut new_row = old_row.to_vec();
        for (position, value) in changes {
            new_row[*position] = value.clone();
        }
        let mut keys: Vec<Option<&str>> = Vec::new();
        if !table.primary_key.is_empty() && touched(&table.primary_key) {
            keys.push(None);
        }
        for index in &table.indexes {
            if index.unique && touched(&index.columns) {
                keys.push(Some(&index.name));
            }
        }
        for key in keys {
            let Some(holder) = find_holder(txn, table, &new_row, key)? else {
                continue;
            };
            if holder == row_id {
                continue;
            }
            match guard {
                Some(guard) => {
                    guard.delete_row(txn, holder)?;
                }
                None => txn
                    .delete(&table.storage, holder)
                    .map_err(|e| storage_error(table, e))?,
            }
            self.replaced.insert(holder);
        }
        Ok(())
    }
}

/// Whether `error` is a PRIMARY KEY or UNIQUE failure.
fn is_unique(error: &Error) -> bool {
    error.kind() == crate::ErrorKind::Constraint
        && error.message().starts_with("UNIQUE constraint failed")
}
