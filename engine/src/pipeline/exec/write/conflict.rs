//! Inserting one row under a conflict policy: `INSERT` (abort the statement on a duplicate
//! key), `INSERT OR IGNORE` (skip the row) and `INSERT OR REPLACE` / `REPLACE` (delete the
//! rows holding the row's primary key or unique-index keys, then insert), as in SQLite.
//! Each attempt runs under a savepoint, so a failed attempt leaves nothing behind.

use std::borrow::Borrow;

use ember_storage::{RowId, StorageError, StorageErrorKind, Transaction, Value};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::TransactionTime;
use crate::plan::OnConflict;

/// Inserts `row` (already checked against the column types); false when IGNORE skipped it.
/// The first attempt is the whole cost of a row without a conflict (REPLACE deletes the
/// primary key's holder before it); `settle_conflict` handles the rest. `time` is the
/// transaction's time for row expiry: a key held by an expired row (`expire_at` or `ttl`,
/// not yet swept) is free, the row deleted first. In a table with `ttl`, the row's hidden
/// write-time column is set to that time here, the one place every INSERT path passes
/// (`stamp_write_time`). Inlined: it is every INSERT's per-row path.
#[inline]
pub fn insert_row<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    (on_conflict, time): (OnConflict, Option<&TransactionTime>),
    map_error: impl Fn(StorageError) -> crate::Error,
) -> Result<bool> {
    if on_conflict == OnConflict::Declared {
        return insert_declared(txn, table, row, time, map_error);
    }
    insert_resolved(txn, table, row, (on_conflict, time), map_error)
}

/// `insert_row` under the statement's own clause, or `Declared` from `insert_declared`.
#[inline]
fn insert_resolved<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    (on_conflict, time): (OnConflict, Option<&TransactionTime>),
    map_error: impl Fn(StorageError) -> crate::Error,
) -> Result<bool> {
    if on_conflict.for_key(table, None) == OnConflict::Replace {
        delete_key_holder(txn, table, row)?;
    }
    if let Some(column) = table.write_time_column() {
        return insert_stamped(txn, table, row, (on_conflict, time), map_error, column);
    }
    let savepoint = txn.savepoint();
    match txn.insert(&table.storage, row) {
        Ok(_) => Ok(true),
        Err(error) => settle_conflict(
            txn,
            table,
            (row, on_conflict, time),
            &map_error,
            (savepoint, error),
        ),
    }
}

/// `insert_row` where each key acts by its constraint's declared clause: a row a key
/// declaring IGNORE skips, or one declaring ABORT, FAIL or ROLLBACK fails, leaves nothing
/// behind, not even the rows a key declaring REPLACE deleted for it (SQLite checks REPLACE
/// keys last).
#[cold]
#[inline(never)]
fn insert_declared<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    time: Option<&TransactionTime>,
    map_error: impl Fn(StorageError) -> crate::Error,
) -> Result<bool> {
    let start = txn.savepoint();
    let inserted = insert_resolved(txn, table, row, (OnConflict::Declared, time), map_error);
    if !matches!(inserted, Ok(true)) {
        txn.rollback_to(start);
    }
    inserted
}

/// REPLACE's first step, as SQLite checks the primary key first: the key's visible holder
/// goes before the insert, which then does not fail on it, roll back and run again. (A
/// unique index's holder, or a key held by a row this transaction cannot see, still fails
/// the insert and takes `settle_conflict`.) Out of line: the plain INSERT's path stays as
/// it was.
#[cold]
#[inline(never)]
fn delete_key_holder<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
) -> Result<()> {
    if !table.primary_key.is_empty() {
        delete_holder(txn, table, row, None)?;
    }
    Ok(())
}

/// `insert_row` into a table with `ttl`: the row with its write time (column `column`)
/// set to the transaction's time.
#[cold]
#[inline(never)]
fn insert_stamped<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    (on_conflict, time): (OnConflict, Option<&TransactionTime>),
    map_error: impl Fn(StorageError) -> crate::Error,
    column: usize,
) -> Result<bool> {
    let mut stamped: Vec<Value> = row.iter().map(|value| value.borrow().clone()).collect();
    stamp_write_time(table, &mut stamped, time, column)?;
    let savepoint = txn.savepoint();
    match txn.insert(&table.storage, &stamped) {
        Ok(_) => Ok(true),
        Err(error) => settle_conflict(
            txn,
            table,
            (&stamped, on_conflict, time),
            &map_error,
            (savepoint, error),
        ),
    }
}

/// Sets the write-time column (`column`) of `row`, a row of a table with `ttl`, to the
/// transaction's time (unix milliseconds: the clock row expiry reads).
pub(super) fn stamp_write_time(
    table: &TableDef,
    row: &mut [Value],
    time: Option<&TransactionTime>,
    column: usize,
) -> Result<()> {
    let Some(time) = time else {
        return Err(crate::err!(
            Internal,
            "a row of table {} (ttl) was written outside a statement",
            table.name
        ));
    };
    row[column] = Value::Integer(time.now_ms());
    Ok(())
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
    (row, on_conflict, time): (&[V], OnConflict, Option<&TransactionTime>),
    map_error: &impl Fn(StorageError) -> crate::Error,
    failed: (usize, StorageError),
) -> Result<bool> {
    let mut expired_deleted = 0;
    // Each replacement removes one conflicting row; a row can conflict with at most one
    // row per unique key (the primary key and each unique index), plus the final insert.
    let attempts = table.indexes.len() + 2;
    let (mut savepoint, mut error) = failed;
    for attempt in 1.. {
        if error.kind != StorageErrorKind::UniqueViolation {
            return Err(map_error(error));
        }
        txn.rollback_to(savepoint);
        let holder_expired = match time {
            Some(time) if table.expires() && expired_deleted <= table.indexes.len() => {
                delete_expired_holder(txn, table, row, error.index.as_deref(), time)?
            }
            _ => false,
        };
        if holder_expired {
            expired_deleted += 1;
        } else {
            let resolved = on_conflict.for_key(table, error.index.as_deref());
            match resolved {
                OnConflict::Abort
                | OnConflict::Fail
                | OnConflict::Rollback
                | OnConflict::Declared => return Err(on_conflict.mark(resolved, map_error(error))),
                OnConflict::Ignore => return Ok(false),
                OnConflict::Replace => {
                    if !delete_holder(txn, table, row, error.index.as_deref())? {
                        // The key is held by a row this transaction cannot see (a concurrent
                        // writer): nothing to replace, so it is a conflict.
                        return Err(map_error(error));
                    }
                }
            }
        }
        if attempt == attempts + expired_deleted {
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

/// Deletes the row holding `row`'s key (as `delete_holder`) when it is expired at the
/// transaction's time (`expire_at` or `ttl`); whether it did.
pub(super) fn delete_expired_holder<V: Borrow<Value>>(
    txn: &mut Transaction,
    table: &TableDef,
    row: &[V],
    index: Option<&str>,
    time: &TransactionTime,
) -> Result<bool> {
    let Some(id) = find_holder(txn, table, row, index)? else {
        return Ok(false);
    };
    let mut values = Vec::new();
    if !txn.read_row(&table.storage, id, &mut values)? {
        return Ok(false);
    }
    let expired = table
        .row_expiry_ms(&values)
        .is_some_and(|expiry| expiry <= time.now_ms() as f64);
    if expired {
        txn.delete(&table.storage, id)?;
    }
    Ok(expired)
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

/// The keys (`None`: the primary key; else a unique index's name) whose visible holders a
/// REPLACE removes before inserting `row`: under `OR REPLACE` every one; under `Declared`
/// those whose constraint declares REPLACE, and none when a key acting otherwise is held
/// (that settles the row first: SQLite checks REPLACE keys last).
pub(super) fn replaced_keys<'t, V: Borrow<Value>>(
    txn: &Transaction,
    table: &'t TableDef,
    row: &[V],
    on_conflict: OnConflict,
) -> Result<Vec<Option<&'t str>>> {
    let mut keys: Vec<Option<&'t str>> = Vec::new();
    if !table.primary_key.is_empty() {
        keys.push(None);
    }
    keys.extend(
        table
            .indexes
            .iter()
            .filter(|index| index.unique)
            .map(|index| Some(index.name.as_str())),
    );
    if on_conflict != OnConflict::Declared {
        return Ok(keys);
    }
    let mut replaced = Vec::new();
    for key in keys {
        if on_conflict.for_key(table, key) == OnConflict::Replace {
            replaced.push(key);
        } else if find_holder(txn, table, row, key)?.is_some() {
            return Ok(Vec::new());
        }
    }
    Ok(replaced)
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
