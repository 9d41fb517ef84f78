//! DELETE from a table with DELETE triggers: the target rows (every column) are collected
//! first (in rowid order), then each row fires its BEFORE triggers, is deleted, and fires its AFTER
//! triggers. A row a trigger already deleted is skipped.

use ember_storage::{Transaction, Value};

use crate::error::Result;
use crate::expr::{StatementEnv, SubqueryRuntime};
use crate::plan::{Returning, TableAccess};

use super::super::super::scan::targets::collect_targets;
use super::super::super::{ExecContext, RowSink};
use super::super::constraint::RowGuard;
use super::super::returning::{written_rows_charge, WrittenRows};
use super::super::update_or::sort_in_key_order;
use super::RowTriggers;

/// Deletes the rows `target` reaches, firing `triggers` around each; returns the count.
pub(in crate::pipeline::exec) fn delete_with_triggers(
    txn: &mut Transaction,
    (target, guard): (&TableAccess, Option<&RowGuard<'_>>),
    triggers: &RowTriggers<'_>,
    returning: Option<&Returning>,
    env: StatementEnv<'_>,
    sink: &mut RowSink<'_>,
) -> Result<usize> {
    let mut targets = {
        let runtime = SubqueryRuntime::new(txn, env);
        collect_targets(target, &ExecContext::new(&runtime))?
    };
    // What the triggers see depends on the order the rows go in: SQLite's is rowid order.
    sort_in_key_order(&target.table, &mut targets);
    let mut written = returning.map(|_| WrittenRows::new(&env, written_rows_charge(&env)));
    let mut deleted = 0;
    for (row_id, row) in targets {
        if !still_there(txn, target, row_id)? {
            continue;
        }
        if !triggers.before(txn, env, Some(&row), None)? || !still_there(txn, target, row_id)? {
            continue;
        }
        super::super::dml::delete_target(txn, target, guard, row_id)?;
        deleted += 1;
        triggers.after(txn, env, Some(&row), None)?;
        if let Some(written) = &mut written {
            written.push(row)?;
        }
    }
    if let Some(guard) = guard {
        guard.finish(txn)?;
    }
    if let (Some(written), Some(returning)) = (written, returning) {
        written.emit(txn, env, returning, sink)?;
    }
    Ok(deleted)
}

/// Whether the row is still visible to the statement (a trigger may have deleted it).
pub(in crate::pipeline::exec) fn still_there(
    txn: &Transaction,
    target: &TableAccess,
    row_id: ember_storage::RowId,
) -> Result<bool> {
    let mut scratch: Vec<Value> = Vec::new();
    let nothing = vec![false; target.table.columns.len()];
    txn.read_row_columns(&target.table.storage, row_id, Some(&nothing), &mut scratch)
        .map_err(|e| super::super::dml::storage_error(&target.table, e))
}
