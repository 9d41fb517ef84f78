//! Where the DML executors call CHECK and FOREIGN KEY enforcement and derive the keys of
//! partial indexes and indexes on expressions first (`derived_keys.rs`): a `RowGuard` made
//! once per statement, `None` (nothing to do, nothing paid) when the table has no CHECK, no
//! index whose keys the statement derives, and no foreign key applies (`PRAGMA foreign_keys`
//! is off, or no key involves the table). INSERT
//! asks it to admit each row and tells it what was inserted; UPDATE and DELETE hand it the
//! row writes; every statement calls `finish` before it returns.

use std::borrow::Borrow;

use ember_storage::{RowId, Transaction, Value};

use crate::catalog::{CheckDef, TableDef};
use crate::error::Result;
use crate::expr::StatementEnv;
use crate::plan::OnConflict;

use super::check::{check_row, checks_reading, is_check_failure};
use super::derived_keys::DerivedKeys;
use super::foreign_key::{keys_of_child, ForeignKeys, Resolved};

/// The constraints one DML statement enforces on its table.
pub(in crate::pipeline::exec) struct RowGuard<'a> {
    table: &'a TableDef,
    checks: Vec<&'a CheckDef>,
    /// The indexes whose keys each written row derives first (boxed: a guard is moved
    /// about on every write path, which most tables' writes pay for by its size).
    derived: Option<Box<DerivedKeys<'a>>>,
    foreign: Option<Foreign<'a>>,
}

/// The foreign-key side: the statement's state and the table's own keys it writes.
struct Foreign<'a> {
    keys: ForeignKeys<'a>,
    /// This table's foreign keys whose columns the statement writes.
    own: Vec<Resolved<'a>>,
    /// Whether any key references this table (its deletes and key updates have actions).
    referenced: bool,
}

impl<'a> RowGuard<'a> {
    /// The guard of an INSERT into `table` (`replace`: OR REPLACE, whose deletes of the rows
    /// holding a new row's keys apply the ON DELETE actions).
    pub fn for_insert(
        table: &'a TableDef,
        env: &StatementEnv<'a>,
        replace: bool,
    ) -> Result<Option<Self>> {
        if !RowGuard::may_apply(table, env) {
            return Ok(None);
        }
        let checks = table.constraints.checks.iter().collect();
        RowGuard::new(table, env, checks, &|_| true, replace)
    }

    /// The guard of an UPDATE of the columns `assigned` selects.
    pub fn for_update(
        table: &'a TableDef,
        env: &StatementEnv<'a>,
        assigned: &dyn Fn(usize) -> bool,
    ) -> Result<Option<Self>> {
        if !RowGuard::may_apply(table, env) {
            return Ok(None);
        }
        let checks = checks_reading(table, assigned);
        RowGuard::new(table, env, checks, assigned, true)
    }

    /// The guard of a DELETE.
    pub fn for_delete(table: &'a TableDef, env: &StatementEnv<'a>) -> Result<Option<Self>> {
        if !RowGuard::may_apply(table, env) {
            return Ok(None);
        }
        RowGuard::new(table, env, Vec::new(), &|_| false, true)
    }

    /// Whether a guard may be needed at all: the table has CHECK constraints or an index
    /// with derived keys, or foreign keys are enforced. Inlined, so the write paths of
    /// plain tables pay a few tests per statement.
    #[inline]
    fn may_apply(table: &TableDef, env: &StatementEnv<'_>) -> bool {
        !table.constraints.checks.is_empty()
            || env.foreign_keys.is_some()
            || table.derives_index_keys()
    }

    fn new(
        table: &'a TableDef,
        env: &StatementEnv<'a>,
        checks: Vec<&'a CheckDef>,
        written: &dyn Fn(usize) -> bool,
        as_parent: bool,
    ) -> Result<Option<Self>> {
        let foreign = match env.foreign_keys {
            Some(catalog) => {
                // The catalog's own definition (the plan's is the same version).
                let table = catalog.table(&table.name).map_or(table, |t| &**t);
                let keys = ForeignKeys::new(catalog, env.deferred_keys);
                let own = keys_of_child(catalog, table, |key| {
                    key.columns.iter().any(|&c| written(c))
                })?;
                let referenced = as_parent && !keys.referencing(table)?.is_empty();
                (referenced || !own.is_empty()).then_some(Foreign {
                    keys,
                    own,
                    referenced,
                })
            }
            None => None,
        };
        let derived = DerivedKeys::of(table, written).map(Box::new);
        if checks.is_empty() && derived.is_none() && foreign.is_none() {
            return Ok(None);
        }
        Ok(Some(RowGuard {
            table,
            checks,
            derived,
            foreign,
        }))
    }

    /// Checks a row about to be inserted, then derives its keys: false when INSERT OR
    /// IGNORE skips it (a failed CHECK; a failed key derivation fails it, as in SQLite).
    pub fn admit(&self, row: &[Value], on_conflict: OnConflict) -> Result<bool> {
        match check_row(&self.checks, row) {
            Err(error) if on_conflict == OnConflict::Ignore && is_check_failure(&error) => {
                return Ok(false)
            }
            other => other?,
        }
        if let Some(derived) = &self.derived {
            derived.check_values(row)?;
        }
        Ok(true)
    }

    /// Before INSERT OR REPLACE writes `row`: deletes the rows holding its primary key or
    /// one of its unique keys as a DELETE would, applying the ON DELETE actions of the keys
    /// that reference the table (SQLite does). Without such keys, storage replaces them.
    pub fn replace_holders<V: Borrow<Value>>(
        &self,
        txn: &mut Transaction,
        row: &[V],
        on_conflict: OnConflict,
    ) -> Result<()> {
        let Some(foreign) = &self.foreign else {
            return Ok(());
        };
        let table = self.table;
        if !on_conflict.may_act_as(table, OnConflict::Replace) || !foreign.referenced {
            return Ok(());
        }
        let mut holders = Vec::new();
        for key in super::conflict::replaced_keys(txn, table, row, on_conflict)? {
            if let Some(id) = super::conflict::find_holder(txn, table, row, key)? {
                if !holders.contains(&id) {
                    holders.push(id);
                }
            }
        }
        for id in holders {
            foreign.keys.delete_row(txn, table, id, 0)?;
        }
        Ok(())
    }

    /// A row was inserted: its foreign keys must find their parents.
    pub fn inserted<V: Borrow<Value>>(&self, txn: &Transaction, row: &[V]) -> Result<()> {
        if let Some(foreign) = &self.foreign {
            let values: Vec<Value> = row.iter().map(|v| v.borrow().clone()).collect();
            foreign
                .keys
                .child_written(txn, &foreign.own, &values, None)?;
        }
        Ok(())
    }

    /// Writes an UPDATE's `changes` (coerced, in column order) to `row_id`, enforcing the
    /// constraints; false when a cascade of this statement already deleted the row.
    pub fn update_row(
        &self,
        txn: &mut Transaction,
        row_id: RowId,
        changes: &[(usize, Value)],
    ) -> Result<bool> {
        match &self.foreign {
            Some(foreign) => foreign.keys.update_row(
                txn,
                self.table,
                row_id,
                changes,
                (&self.checks, self.derived.as_deref(), &foreign.own),
                0,
            ),
            None => {
                let mut row = Vec::new();
                if !txn.read_row(&self.table.storage, row_id, &mut row)? {
                    return Ok(false);
                }
                for (column, value) in changes {
                    row[*column] = value.clone();
                }
                super::check::check_values(&self.checks, &row)?;
                if let Some(derived) = &self.derived {
                    derived.check_values(&row)?;
                }
                txn.update_columns(&self.table.storage, row_id, changes)
                    .map_err(|e| super::dml::storage_error(self.table, e))?;
                Ok(true)
            }
        }
    }

    /// Deletes `row_id`, applying the ON DELETE actions of the keys referencing the table;
    /// false when a cascade of this statement already deleted the row.
    pub fn delete_row(&self, txn: &mut Transaction, row_id: RowId) -> Result<bool> {
        match &self.foreign {
            Some(foreign) if foreign.referenced => {
                foreign.keys.delete_row(txn, self.table, row_id, 0)
            }
            _ => {
                txn.delete(&self.table.storage, row_id)
                    .map_err(|e| super::dml::storage_error(self.table, e))?;
                Ok(true)
            }
        }
    }

    /// The end of the statement: the foreign-key checks left for it must hold.
    pub fn finish(&self, txn: &Transaction) -> Result<()> {
        match &self.foreign {
            Some(foreign) => foreign.keys.finish(txn),
            None => Ok(()),
        }
    }
}
