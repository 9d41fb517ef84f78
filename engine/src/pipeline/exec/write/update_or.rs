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
//! Without a clause on the statement, on a table whose constraints declare their own
//! (`OnConflict::Declared`), each violated constraint acts by its clause: the NOT NULL
//! ones column by column, then the keys that do not declare REPLACE, then those that do.
//!
//! FOREIGN KEY failures always fail the statement, and a CHECK failure under REPLACE too.
//! The rows are taken in INTEGER PRIMARY KEY order, SQLite's rowid order (a scan here goes
//! in storage slot order, a FROM join in its own), since which rows a clause keeps depends
//! on it.

use std::collections::HashSet;

use ember_storage::index::IndexKey;
use ember_storage::{RowId, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::{Error, Result};
use crate::expr::{Expr, StatementEnv, SubqueryRuntime};
use crate::plan::OnConflict;

use super::super::ExecContext;
use super::check::is_check_failure;
use super::conflict::find_holder;
use super::constraint::RowGuard;
use super::dml::{check_changes, is_not_null, storage_error, Targets};

/// The state of one UPDATE under a conflict clause other than ABORT.
pub(super) struct Resolution<'a> {
    table: &'a TableDef,
    on_conflict: OnConflict,
    /// REPLACE assigning the INTEGER PRIMARY KEY: targets are found by key (`occupant`).
    follows_keys: bool,
    /// With `follows_keys` and without FROM: the assignments, which a row that moved onto a
    /// later target's key is updated by again (with FROM, by that target's new values).
    reevaluate: Option<&'a [(usize, Expr)]>,
    /// The keys this statement moved rows onto (with `follows_keys`). A moved key is a
    /// delete and an insert in storage, which may reuse a deleted row's id: rows are told
    /// apart by key here, not by id.
    moved_onto: HashSet<i64>,
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
        (assignments, from): (&'a [(usize, Expr)], bool),
        env: StatementEnv<'_>,
    ) -> Result<Self> {
        debug_assert!(on_conflict != OnConflict::Abort);
        let mut defaults = Vec::new();
        if on_conflict.may_act_as(table, OnConflict::Replace) {
            let runtime = SubqueryRuntime::new(txn, env);
            let context = ExecContext::new(&runtime);
            defaults.resize(table.columns.len(), None);
            for &(position, _) in assignments {
                let column = &table.columns[position];
                let replaces = on_conflict.for_not_null(table, position) == OnConflict::Replace;
                if let (true, true, Some(default)) = (column.not_null, replaces, &column.default) {
                    defaults[position] = Some(default.eval(&[], &context.eval)?);
                }
            }
        }
        let moves_keys = table
            .rowid_column
            .is_some_and(|key| assignments.iter().any(|(c, _)| *c == key));
        let follows_keys = on_conflict.for_key(table, None) == OnConflict::Replace && moves_keys;
        Ok(Resolution {
            table,
            on_conflict,
            follows_keys,
            reevaluate: (!from).then_some(assignments),
            moved_onto: HashSet::new(),
            defaults,
            replaced: HashSet::new(),
        })
    }

    /// The row to update for the target `row_id` holding `old_row`. Under REPLACE
    /// assigning the INTEGER PRIMARY KEY, SQLite takes the targets by key and re-reads each
    /// key's row when its turn comes: a row an earlier write moved onto the key is updated
    /// (again): by the assignments over its current values, or with FROM by the target's
    /// new values `changes` (SQLite computes those first); a key nobody holds any more is
    /// skipped.
    pub fn occupant(
        &self,
        txn: &Transaction,
        (row_id, old_row, changes): (RowId, &[Value], &[(usize, Value)]),
        env: StatementEnv<'_>,
    ) -> Result<Occupant> {
        let (true, Some(key_column)) = (self.follows_keys, self.table.rowid_column) else {
            return Ok(match self.replaced.contains(&row_id) {
                true => Occupant::Gone,
                false => Occupant::Same,
            });
        };
        let table = self.table;
        let holder = IndexKey::from_values([&old_row[key_column]])
            .and_then(|key| txn.find_key(&table.storage, &key));
        let Some(holder) = holder else {
            return Ok(Occupant::Gone);
        };
        let moved_onto = match &old_row[key_column] {
            Value::Integer(key) => self.moved_onto.contains(key),
            _ => false,
        };
        if !moved_onto {
            debug_assert_eq!(holder, row_id);
            return Ok(Occupant::Same);
        }
        let mut row = Vec::new();
        if !txn.read_row(&table.storage, holder, &mut row)? {
            return Ok(Occupant::Gone);
        }
        let Some(assignments) = self.reevaluate else {
            return Ok(Occupant::Moved(holder, row, changes.to_vec()));
        };
        let runtime = SubqueryRuntime::new(txn, env);
        let context = ExecContext::new(&runtime);
        let mut changes = Vec::with_capacity(assignments.len());
        for (position, expr) in assignments {
            changes.push((*position, expr.eval(&row, &context.eval)?));
        }
        changes.sort_unstable_by_key(|(position, _)| *position);
        Ok(Occupant::Moved(holder, row, changes))
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
        // (With `follows_keys`, `occupant` found the row by its key.)
        if !self.follows_keys && self.replaced.contains(&row_id) {
            return Ok(false);
        }
        if !self.defaults.is_empty() {
            for (position, value) in changes.iter_mut() {
                if let (Value::Null, Some(default)) = (&*value, &self.defaults[*position]) {
                    *value = default.clone();
                }
            }
        }
        let mut failing = self.on_conflict;
        if self.on_conflict == OnConflict::Declared {
            let is_null = |column: usize| {
                changes
                    .iter()
                    .any(|(position, value)| *position == column && value.is_null())
            };
            match super::dml::declared_nulls(table, is_null) {
                super::dml::DeclaredNulls::Skip => return Ok(false),
                super::dml::DeclaredNulls::Write { failing: by, .. } => failing = by,
            }
        }
        match check_changes(table, changes) {
            Err(error) if self.on_conflict == OnConflict::Ignore && is_not_null(&error) => {
                return Ok(false)
            }
            Err(error) if is_not_null(&error) => return Err(self.on_conflict.mark(failing, error)),
            other => other?,
        }
        // Under `Declared`: how the first key held by another row acts, unless it replaces.
        let held = match self.on_conflict {
            OnConflict::Declared => self.held_key(txn, (row_id, old_row), changes)?,
            _ => None,
        };
        if held == Some(OnConflict::Ignore) {
            return Ok(false);
        }
        let savepoint = txn.savepoint();
        let written = (|| {
            if self.on_conflict.may_act_as(table, OnConflict::Replace) && held.is_none() {
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
            Ok(written) => {
                if let (true, Some(key)) = (self.follows_keys, table.rowid_column) {
                    let new_key = changes.iter().find(|(c, _)| *c == key);
                    if let Some((_, Value::Integer(new_key))) = new_key {
                        self.moved_onto.insert(*new_key);
                    }
                }
                Ok(written)
            }
            Err(error) => {
                txn.rollback_to(savepoint);
                if self.on_conflict == OnConflict::Ignore
                    && (is_unique(&error) || is_check_failure(&error))
                {
                    return Ok(false);
                }
                match held {
                    Some(resolved) if is_unique(&error) => {
                        Err(self.on_conflict.mark(resolved, error))
                    }
                    _ => Err(error),
                }
            }
        }
    }

    /// The row's new values, and the keys (`None`: the primary key; else a unique index's
    /// name) the changes touch.
    fn touched_keys(
        &self,
        old_row: &[Value],
        changes: &[(usize, Value)],
    ) -> (Vec<Value>, Vec<Option<&'a str>>) {
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
        let mut keys: Vec<Option<&'a str>> = Vec::new();
        if !table.primary_key.is_empty() && touched(&table.primary_key) {
            keys.push(None);
        }
        for index in &table.indexes {
            if index.unique && touched(index.storage.source_columns()) {
                keys.push(Some(&index.name));
            }
        }
        (new_row, keys)
    }

    /// Under `Declared`: the action of the first key the changes touch that another row
    /// holds and whose constraint does not declare REPLACE (SQLite checks those first).
    fn held_key(
        &self,
        txn: &Transaction,
        (row_id, old_row): (RowId, &[Value]),
        changes: &[(usize, Value)],
    ) -> Result<Option<OnConflict>> {
        let table = self.table;
        let (new_row, keys) = self.touched_keys(old_row, changes);
        for key in keys {
            let resolved = self.on_conflict.for_key(table, key);
            if resolved == OnConflict::Replace {
                continue;
            }
            if find_holder(txn, table, &new_row, key)?.is_some_and(|holder| holder != row_id) {
                return Ok(Some(resolved));
            }
        }
        Ok(None)
    }

    /// Deletes the other rows holding the row's new primary key or a new key of a unique
    /// index (only the keys the changes touch and the statement replaces), as a DELETE
    /// would.
    fn delete_holders(
        &mut self,
        txn: &mut Transaction,
        guard: Option<&RowGuard<'_>>,
        (row_id, old_row): (RowId, &[Value]),
        changes: &[(usize, Value)],
    ) -> Result<()> {
        let table = self.table;
        let (new_row, keys) = self.touched_keys(old_row, changes);
        let replaced = keys
            .into_iter()
            .filter(|&key| self.on_conflict.for_key(table, key) == OnConflict::Replace);
        for key in replaced {
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

/// The row an UPDATE under a conflict clause writes for a target (`Resolution::occupant`).
pub(super) enum Occupant {
    /// The target row itself, as it was read.
    Same,
    /// No row holds the target's key any more (REPLACE deleted it): skipped.
    Gone,
    /// Another row, or the target row once more, that moved onto the target's key: its id,
    /// current values and new values.
    Moved(RowId, Vec<Value>, Vec<(usize, Value)>),
}

/// Whether `error` is a PRIMARY KEY or UNIQUE failure.
fn is_unique(error: &Error) -> bool {
    error.kind() == crate::ErrorKind::Constraint
        && error.message().starts_with("UNIQUE constraint failed")
}

/// The rowid of a target row: its INTEGER PRIMARY KEY column `key` (a target that does not
/// hold it, its column pruned, sorts first).
fn rowid_value(row: &[Value], key: usize) -> i64 {
    match row[key] {
        Value::Integer(key) => key,
        _ => i64::MIN,
    }
}

/// Sorts `targets` (whole rows) by the table's INTEGER PRIMARY KEY, as SQLite takes the rows
/// of an UPDATE or DELETE whose triggers fire (unchanged without one).
pub(super) fn sort_in_key_order(table: &TableDef, targets: &mut Targets) {
    let Some(key) = table.rowid_column else {
        return;
    };
    if !in_rowid_order(targets, key) {
        targets.sort_by_key(|(_, row)| rowid_value(row, key));
    }
}

/// Whether `targets` are already in the order of their INTEGER PRIMARY KEY column `key`.
fn in_rowid_order(targets: &Targets, key: usize) -> bool {
    targets
        .windows(2)
        .all(|pair| rowid_value(&pair[0].1, key) <= rowid_value(&pair[1].1, key))
}

/// `targets` and their `changes` (`width` per target) sorted by the table's INTEGER PRIMARY
/// KEY (unchanged without one).
pub(super) fn in_key_order(
    table: &TableDef,
    targets: Targets,
    changes: Vec<(usize, Value)>,
    width: usize,
) -> (Targets, Vec<(usize, Value)>) {
    let Some(key) = table.rowid_column else {
        return (targets, changes);
    };
    debug_assert_eq!(changes.len(), targets.len() * width);
    if in_rowid_order(&targets, key) {
        return (targets, changes);
    }
    let mut rows: Vec<_> = targets.into_iter().enumerate().collect();
    rows.sort_by_key(|(_, (_, row))| rowid_value(row, key));
    let mut chunks: Vec<Option<Vec<(usize, Value)>>> = Vec::with_capacity(rows.len());
    let mut changes = changes.into_iter();
    for _ in 0..rows.len() {
        chunks.push(Some(changes.by_ref().take(width).collect()));
    }
    let mut sorted_changes = Vec::with_capacity(rows.len() * width);
    let sorted_targets = rows
        .into_iter()
        .map(|(index, target)| {
            sorted_changes.extend(chunks[index].take().expect("each chunk taken once"));
            target
        })
        .collect();
    (sorted_targets, sorted_changes)
}
