//! Inserting one row under a conflict policy: `INSERT` (abort the statement on a duplicate
//! key), `INSERT OR IGNORE` (skip the row) and `INSERT OR REPLACE` / `REPLACE` (delete the
//! rows holding the row's primary key or unique-index keys, then insert), as in SQLite.
//! Each attempt runs under a savepoint, so a failed attempt leaves nothing behind.

use std::borrow::Borrow;

use ember_storage::{RowId, StorageError, StorageErrorKind, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::plan::OnConflict;

/// Inserts `row` (already checked against the column types); false when IGNORE skipped it.
/// The first attempt is the whole cost of a row without a conflict; `settle_conflict`
/// handles the rest.
pub fn insert_row<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    on_conflict: OnConflict,
    map_error: impl Fn(StorageError) -> crate::Error,
) -> Result<bool> {
    let savepoint = txn.savepoint();
    match txn.insert(&table.storage, row) {
        Ok(_) => Ok(true),
        Err(error) => settle_conflict(
            txn,
            table,
            (row, on_conflict),
            &map_error,
            (savepoint, error),
        ),
    }
}

/// What follows a failed first attempt of `insert_row` (`failed`: its savepoint and
/// error): a unique violation is undone, then the statement fails (ABORT), the row is
/// skipped (IGNORE), or the rows holding its keys are deleted and the insert retried
/// (REPLACE).
#[cold]
#[inline(never)]
fn settle_conflict<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    (row, on_conflict): (&[V], OnConflict),
    map_error: &impl Fn(StorageError) -> crate::Error,
    failed: (usize, StorageError),
) -> Result<bool> {
    // Each replacement removes one conflicting row; a row can conflict with at most one
    // row per unique key (the primary key and each unique index), plus the final insert.
    let attempts = table.indexes.len() + 2;
    let (mut savepoint, mut error) = failed;
    for attempt in 1.. {
        if error.kind != StorageErrorKind::UniqueViolation {
            return Err(map_error(error));
        }
        txn.rollback_to(savepoint);
        match on_conflict {
            OnConflict::Abort | OnConflict::Fail | OnConflict::Rollback => {
                return Err(map_error(error))
            }
            OnConflict::Ignore => return Ok(false),
            OnConflict::Replace => {
                if !delete_holder(txn, table, row, error.index.as_deref())? {
                    // The key is held by a row this transaction cannot see (a concurrent
                    // writer): nothing to replace, so it is a conflict.
                    return Err(map_error(error));
                }
            }
        }
        if attempt == attempts {
            break;
        }
        savepoint = txn.savepoint();
        match txn.insert(&table.storage, row) {
            Ok(_) => return Ok(true),
            Err(next) => error = next,
        }
    }
    Err(crate::err!(
        Internal,
        "INSERT OR REPLACE into {} did not settle after {attempts} attempts",
        table.name
    ))
}

/// Deletes the visible row holding `row`'s key in the primary key (`index` None) or in the
/// named unique index; false when no visible row holds it.
fn delete_holder<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    index: Option<&str>,
) -> Result<bool> {
    match find_holder(txn, table, row, index)? {
        Some(id) => {
            txn.delete(&table.storage, id)?;
            Ok(true)
        }
        None => Ok(false),
    }
}

/// The visible row holding `row`'s key in the primary key (`index` None) or in the named
/// unique index, if any.
pub(super) fn find_holder<V: Borrow<Value>>(
    txn: &Transaction,
    table: &TableDef,
    row: &[V],
    index: Option<&str>,
) -> Result<Option<RowId>> {
    Ok(match index {
        None => {
            let key = table
                .storage
                .key_from_values(table.primary_key.iter().map(|&c| row[c].borrow()));
            key.and_then(|key| txn.find_key(&table.storage, &key))
        }
        Some(name) => {
            let Some(index) = table.index(name) else {
                return Ok(None);
            };
            let Some(key) = index.storage.key_of(row) else {
                return Ok(None);
            };
            let mut found = None;
            let mut buffer = Vec::new();
            txn.index_lookup(
                &table.storage,
                &index.storage,
                &key,
                &mut buffer,
                |id, _| {
                    found = Some(id);
                    false
                },
            )?;
            found
        }
    })
}
