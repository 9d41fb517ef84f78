//! REPLACE under `PRAGMA recursive_triggers = ON`: as SQLite does then, each row a REPLACE
//! removes to make room for its new row (the holder of its primary key, then of each unique
//! key) fires the table's DELETE triggers, BEFORE and AFTER it goes, as a DELETE of it
//! would. With the PRAGMA off (the default) they do not fire, in SQLite as here.

use ember_storage::{RowId, Transaction, Value};

use crate::catalog::{TableDef, TriggerEventKind};
use crate::error::Result;
use crate::expr::StatementEnv;
use crate::plan::{Insert, OnConflict};

use super::super::conflict::{find_holder, replaced_keys};
use super::super::constraint::RowGuard;
use super::RowTriggers;

/// The DELETE triggers an `INSERT OR REPLACE` fires for the rows it removes: `None` unless
/// the statement replaces, `recursive_triggers` is on and the table has some.
pub(in crate::pipeline::exec) fn replace_delete_triggers<'r>(
    env: &StatementEnv<'r>,
    insert: &'r Insert,
) -> Option<RowTriggers<'r>> {
    let replaces = insert
        .on_conflict
        .may_act_as(&insert.table, OnConflict::Replace);
    if !replaces || !env.triggers?.recursive {
        return None;
    }
    RowTriggers::find(env, &insert.table, TriggerEventKind::Delete, &|_| true)
}

/// Deletes the visible rows holding `row`'s primary key or unique keys (those `on_conflict`
/// replaces: `conflict::replaced_keys`), firing `triggers`
/// around each (a row a BEFORE trigger deleted, or kept by `RAISE(IGNORE)`, is skipped:
/// the insert then settles its conflict as a plain REPLACE does).
pub(in crate::pipeline::exec) fn delete_holders(
    txn: &mut Transaction,
    (table, row, on_conflict): (&TableDef, &[Value], OnConflict),
    triggers: &RowTriggers<'_>,
    guard: Option<&RowGuard<'_>>,
    env: StatementEnv<'_>,
) -> Result<()> {
    let mut holders: Vec<RowId> = Vec::new();
    for key in replaced_keys(txn, table, row, on_conflict)? {
        if let Some(holder) = find_holder(txn, table, row, key)? {
            if !holders.contains(&holder) {
                holders.push(holder);
            }
        }
    }
    let mut old = Vec::new();
    for holder in holders {
        if !txn.read_row(&table.storage, holder, &mut old)? {
            continue;
        }
        if !triggers.before(txn, env, Some(&old), None)? {
            continue;
        }
        let mut still = Vec::new();
        if !txn.read_row(&table.storage, holder, &mut still)? {
            continue;
        }
        let deleted = match guard {
            Some(guard) => guard.delete_row(txn, holder)?,
            None => {
                txn.delete(&table.storage, holder)
                    .map_err(|e| super::super::dml::storage_error(table, e))?;
                true
            }
        };
        if deleted {
            triggers.after(txn, env, Some(&old), None)?;
        }
    }
    Ok(())
}
