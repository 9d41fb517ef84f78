//! FOREIGN KEY enforcement under `PRAGMA foreign_keys = ON`, as SQLite does it: a child row's
//! key (no NULL in it) must match a parent row's PRIMARY KEY or UNIQUE key; deleting a parent
//! row or changing its key applies each referencing key's action to the child rows at once
//! (CASCADE, SET NULL, SET DEFAULT, RESTRICT: fail now), recursively up to
//! `limits::FOREIGN_KEY_CASCADE_DEPTH_MAX` levels; NO ACTION and a child written without its
//! parent are checked again when the statement ends (so rows written later in the same
//! statement can satisfy them). `exec::write::constraint::RowGuard` calls in from the DML
//! executors; resolve.rs finds parents and children. Deferred keys wait for COMMIT in an
//! explicit transaction (deferred.rs).

mod deferred;
mod resolve;

use std::cell::RefCell;
use std::rc::Rc;

use ember_storage::{RowId, Transaction, Value};

use crate::catalog::{Catalog, CheckDef, ForeignKeyAction, TableDef};
use crate::error::{Error, Result};
use crate::expr::{coerce_to_column, fits_column, EvalContext};
use crate::limits::FOREIGN_KEY_CASCADE_DEPTH_MAX;

use super::check::{check_values, checks_reading};
use super::derived_keys::DerivedKeys;
use super::dml::storage_error;

pub use deferred::DeferredKeys;
use resolve::keys_referencing;
use resolve::{children, key_values, parent_exists, same_key};
pub(super) use resolve::{keys_of_child, Resolved};

/// The foreign-key state of one statement: the catalog it resolves keys against and the
/// checks left for its end.
pub(super) struct ForeignKeys<'a> {
    catalog: &'a Catalog,
    /// Where the checks of deferred keys wait for COMMIT (`None`: outside an explicit
    /// transaction, where the statement's end is the commit).
    deferred: Option<&'a DeferredKeys>,
    pending: RefCell<Vec<Pending<'a>>>,
    /// The keys referencing each table met so far (by lowercase name).
    referencing: RefCell<Vec<(String, Rc<[Resolved<'a>]>)>>,
}

/// A check left for the end of the statement.
enum Pending<'a> {
    /// A child row was written with this key and no parent held it then.
    Child(Resolved<'a>, Vec<Value>),
    /// A parent key went away (NO ACTION) while child rows still referenced it.
    Parent(Resolved<'a>, Vec<Value>),
}

pub(super) fn constraint_failed() -> Error {
    crate::err!(Constraint, "FOREIGN KEY constraint failed")
}

impl<'a> ForeignKeys<'a> {
    pub fn new(catalog: &'a Catalog, deferred: Option<&'a DeferredKeys>) -> ForeignKeys<'a> {
        ForeignKeys {
            catalog,
            deferred,
            pending: RefCell::new(Vec::new()),
            referencing: RefCell::new(Vec::new()),
        }
    }

    /// The keys whose parent is `table` (resolved once per statement).
    pub fn referencing(&self, table: &TableDef) -> Result<Rc<[Resolved<'a>]>> {
        let name = table.name.to_ascii_lowercase();
        if let Some((_, keys)) = self.referencing.borrow().iter().find(|(n, _)| *n == name) {
            return Ok(keys.clone());
        }
        let keys: Rc<[Resolved<'a>]> = keys_referencing(self.catalog, table)?.into();
        self.referencing.borrow_mut().push((name, keys.clone()));
        Ok(keys)
    }

    /// A child row was written as `row`: each of `keys` whose columns `changed` selects
    /// (all for an insert) must find its parent, now or at the statement's end.
    pub fn child_written(
        &self,
        txn: &Transaction,
        keys: &[Resolved<'a>],
        row: &[Value],
        old: Option<&[Value]>,
    ) -> Result<()> {
        for resolved in keys {
            let Some(key) = key_values(row, &resolved.key.columns) else {
                continue;
            };
            if let Some(old_key) = old.and_then(|old| key_values(old, &resolved.key.columns)) {
                if same_key(&old_key, &key) {
                    continue;
                }
            }
            if !parent_exists(txn, resolved, &key)? {
                self.pending
                    .borrow_mut()
                    .push(Pending::Child(resolved.clone(), key));
            }
        }
        Ok(())
    }

    /// Deletes row `row_id` of `table` and applies the ON DELETE actions of the keys that
    /// reference it; false when this transaction no longer sees the row (a cascade of the
    /// same statement deleted it first).
    pub fn delete_row(
        &self,
        txn: &mut Transaction,
        table: &'a TableDef,
        row_id: RowId,
        depth: usize,
    ) -> Result<bool> {
        check_depth(depth)?;
        let mut old = Vec::new();
        if !txn.read_row(&table.storage, row_id, &mut old)? {
            return Ok(false);
        }
        txn.delete(&table.storage, row_id)
            .map_err(|e| storage_error(table, e))?;
        self.parent_changed(txn, table, &old, None, depth)?;
        Ok(true)
    }

    /// Applies the actions of the keys referencing `table` to the children of its row `old`,
    /// deleted (`new` None) or updated to `new`.
    pub fn parent_changed(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        old: &[Value],
        new: Option<&[Value]>,
        depth: usize,
    ) -> Result<()> {
        let keys = self.referencing(table)?;
        for resolved in keys.iter() {
            let Some(old_key) = key_values(old, &resolved.parent_columns) else {
                continue;
            };
            let action = match new {
                None => resolved.key.on_delete,
                Some(new) => {
                    let new_key = key_values(new, &resolved.parent_columns);
                    if new_key.is_some_and(|new_key| same_key(&old_key, &new_key)) {
                        continue;
                    }
                    resolved.key.on_update
                }
            };
            match action {
                ForeignKeyAction::NoAction => {
                    if !children(txn, resolved, &old_key, 1)?.is_empty() {
                        let pending = Pending::Parent(resolved.clone(), old_key);
                        self.pending.borrow_mut().push(pending);
                    }
                }
                ForeignKeyAction::Restrict => {
                    if !children(txn, resolved, &old_key, 1)?.is_empty() {
                        return Err(constraint_failed());
                    }
                }
                ForeignKeyAction::Cascade if new.is_none() => {
                    for (id, _) in children(txn, resolved, &old_key, usize::MAX)? {
                        self.delete_row(txn, resolved.child, id, depth + 1)?;
                    }
                }
                ForeignKeyAction::Cascade
                | ForeignKeyAction::SetNull
                | ForeignKeyAction::SetDefault => {
                    let values = new_child_values(resolved, action, new)?;
                    for (id, _) in children(txn, resolved, &old_key, usize::MAX)? {
                        let changes = resolved
                            .key
                            .columns
                            .iter()
                            .copied()
                            .zip(values.iter().cloned());
                        self.update_child(txn, resolved.child, id, changes.collect(), depth + 1)?;
                    }
                }
            }
        }
        Ok(())
    }

    /// Updates a child row as an action asks: coerced and checked as an UPDATE would be.
    fn update_child(
        &self,
        txn: &mut Transaction,
        table: &'a TableDef,
        row_id: RowId,
        mut changes: Vec<(usize, Value)>,
        depth: usize,
    ) -> Result<()> {
        changes.sort_unstable_by_key(|(column, _)| *column);
        for (position, value) in changes.iter_mut() {
            let column = &table.columns[*position];
            if !fits_column(value, column) {
                let taken = std::mem::replace(value, Value::Null);
                *value = coerce_to_column(taken, column)?;
            }
            if value.is_null() && column.not_null {
                return Err(crate::err!(
                    Constraint,
                    "NOT NULL constraint failed: {}.{}",
                    table.name,
                    column.name
                ));
            }
        }
        let changed = |column: usize| changes.iter().any(|(c, _)| *c == column);
        let checks = checks_reading(table, changed);
        let derived = DerivedKeys::of(table, &changed);
        let keys = keys_of_child(self.catalog, table, |key| {
            key.columns.iter().any(|&c| changed(c))
        })?;
        let enforced = (&checks[..], derived.as_ref(), &[][..]);
        if self.update_row(txn, table, row_id, &changes, enforced, depth)? && !keys.is_empty() {
            // Each key the action wrote needs its parent, even one it left as it was (SET
            // DEFAULT giving back the key of the parent going away), so the old row is not
            // compared.
            let mut new = Vec::new();
            if txn.read_row(&table.storage, row_id, &mut new)? {
                self.child_written(txn, &keys, &new, None)?;
            }
        }
        Ok(())
    }

    /// Writes `changes` (coerced, in column order) to row `row_id` of `table`, checking
    /// `checks` on the new row and deriving its keys in `derived`'s indexes, the parents of
    /// `keys` (this table's keys over changed columns), and applying the ON UPDATE actions
    /// of the keys referencing the table; false when the row is gone.
    pub fn update_row(
        &self,
        txn: &mut Transaction,
        table: &TableDef,
        row_id: RowId,
        changes: &[(usize, Value)],
        (checks, derived, keys): (&[&CheckDef], Option<&DerivedKeys<'_>>, &[Resolved<'a>]),
        depth: usize,
    ) -> Result<bool> {
        check_depth(depth)?;
        let mut old = Vec::new();
        if !txn.read_row(&table.storage, row_id, &mut old)? {
            return Ok(false);
        }
        let mut new = old.clone();
        for (column, value) in changes {
            new[*column] = value.clone();
        }
        // The generated columns follow the new values (computed again over the new row).
        let with_generated;
        let changes = if table.has_generated() {
            super::generated::fill_generated(table, &mut new)?;
            let mut all = changes.to_vec();
            for (position, column) in table.columns.iter().enumerate() {
                if column.generated.is_some() && all.iter().all(|(c, _)| *c != position) {
                    all.push((position, new[position].clone()));
                }
            }
            all.sort_unstable_by_key(|(column, _)| *column);
            with_generated = all;
            &with_generated[..]
        } else {
            changes
        };
        check_values(checks, &new)?;
        if let Some(derived) = derived {
            derived.check_values(&new)?;
        }
        txn.update_columns(&table.storage, row_id, changes)
            .map_err(|e| storage_error(table, e))?;
        self.child_written(txn, keys, &new, Some(&old))?;
        self.parent_changed(txn, table, &old, Some(&new), depth)?;
        Ok(true)
    }

    /// The checks left for the end of the statement: fails if any still does not hold,
    /// except that those of deferred keys are kept for COMMIT (`deferred.rs`).
    pub fn finish(&self, txn: &Transaction) -> Result<()> {
        for pending in self.pending.borrow().iter() {
            let (resolved, key, holds) = match pending {
                Pending::Child(resolved, key) => {
                    (resolved, key, parent_exists(txn, resolved, key)?)
                }
                Pending::Parent(resolved, key) => (
                    resolved,
                    key,
                    parent_exists(txn, resolved, key)?
                        || children(txn, resolved, key, 1)?.is_empty(),
                ),
            };
            if holds {
                continue;
            }
            match self.deferred {
                Some(deferred) if deferred.defers(resolved) => deferred.keep(resolved, key)?,
                _ => return Err(constraint_failed()),
            }
        }
        Ok(())
    }
}

/// The values an action gives the child's key columns: the parent's new key (CASCADE),
/// NULLs, or the columns' defaults.
fn new_child_values(
    resolved: &Resolved<'_>,
    action: ForeignKeyAction,
    new: Option<&[Value]>,
) -> Result<Vec<Value>> {
    let columns = &resolved.key.columns;
    match (action, new) {
        (ForeignKeyAction::Cascade, Some(new)) => Ok(resolved
            .parent_columns
            .iter()
            .map(|&c| new[c].clone())
            .collect()),
        (ForeignKeyAction::SetDefault, _) => columns
            .iter()
            .map(|&c| match &resolved.child.columns[c].default {
                Some(default) => default.eval(&[], &EvalContext::default()),
                None => Ok(Value::Null),
            })
            .collect(),
        _ => Ok(vec![Value::Null; columns.len()]),
    }
}

fn check_depth(depth: usize) -> Result<()> {
    if depth > FOREIGN_KEY_CASCADE_DEPTH_MAX {
        return Err(crate::err!(
            Limit,
            "foreign key actions nest deeper than {FOREIGN_KEY_CASCADE_DEPTH_MAX} levels \
             (limits::FOREIGN_KEY_CASCADE_DEPTH_MAX)"
        ));
    }
    Ok(())
}
