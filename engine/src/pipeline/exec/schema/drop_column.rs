//! ALTER TABLE DROP COLUMN: the rows are copied, without the column, into a new storage
//! table (as SQLite rewrites the table), which the published definition then names.
//!
//! Under the DDL lock: the new table and its indexes are made; the old table is closed
//! (`Store::close_for_rebuild`: every commit that wrote to it is published, any later one
//! is refused with a retryable conflict), then every row the newest snapshot sees is copied
//! in one transaction committed as pre-existing (every snapshot, however old, sees the copy
//! whole). The statement is logged (`CatalogOp::RebuildTable`, naming the new table's id)
//! and the new definition published. Statements still running on the old table read it as
//! it was; the catalog version bump makes every prepared statement bind again. A failure
//! (the memory budget, the log) reopens the old table and changes nothing.
//!
//! The copy inserts the rows in the order of the old table's row ids: a table without an
//! integer key numbers them 0, 1, ... (logged as `RebuildTable`), a clustered one names them
//! by key or overflow slot (`RebuildKeepingIds`). Recovery makes the copy again from the
//! replayed table, in the order of the row ids the log used for it (`order`), which gives
//! the copy's rows the same ids, so later logged commits name the same rows.
//!
//! Inside an explicit transaction the copy is the transaction's own (`DropCopy::
//! InTransaction`): the rows it sees, its own writes among them, are inserted into the new
//! table by it, so its ROLLBACK (TO) undoes them and no other connection sees them before
//! COMMIT. The schema host holds every other transaction's writes to the old table from
//! committing until it ends (`SchemaHost::hold_writes`), and the drop fails (a retryable
//! `SerializationConflict`) when a commit to the table landed after the transaction's
//! snapshot, which the copy would miss. The new table is made as a CREATE TABLE inside the
//! transaction is, the old one dropped at COMMIT as a DROP TABLE inside it is; the record
//! (`CatalogOp::ReplaceTable`) replays as an empty new table (`DropCopy::Replayed`), which
//! the rows of the same commit record fill, so a crash before COMMIT leaves no trace.

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{RowId, Table, TableSchema, Transaction};

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;

use super::super::SchemaHost;

/// How a DROP COLUMN copies the rows into the new table.
pub(crate) enum DropCopy<'a> {
    /// In a transaction of its own, committed as pre-existing before the statement ends
    /// (autocommit); recovery passes the old table's rows in the order the log knew them.
    Committed(Option<&'a [RowId]>),
    /// In the open explicit transaction, with its own writes; undone with it.
    InTransaction(&'a mut Transaction),
    /// No copy: recovery of an in-transaction drop, whose commit record holds the rows.
    Replayed,
}

/// Copies `before`'s rows without column `position` into a new table, which `after` (the
/// definition without the column) is made to name, and logs `sql`. Returns the row ids of
/// the copy, in the order it copied them. Call under the DDL lock.
pub(super) fn rebuild_without_column(
    host: &dyn SchemaHost,
    before: &TableDef,
    after: &mut TableDef,
    position: usize,
    sql: &str,
    order: Option<&[RowId]>,
) -> Result<Vec<RowId>> {
    let old = &before.storage;
    let table = table_without_column(host, before, after, position)?;
    let store = host.store();
    store.close_for_rebuild(old);
    let copied = copy_rows(host, old, &table, position, order).and_then(|rows| {
        let numbered = rows.iter().enumerate().all(|(at, row)| *row == at as RowId);
        let op = if numbered {
            CatalogOp::RebuildTable
        } else {
            CatalogOp::RebuildKeepingIds
        };
        host.log_catalog(op, table.id(), &after.name, sql)?;
        Ok(rows)
    });
    match copied {
        Ok(rows) => {
            old.mark_dropped();
            Ok(rows)
        }
        Err(error) => {
            store.reopen_after_failed_rebuild(old);
            Err(error)
        }
    }
}

/// Gives table `before` new storage without column `position`, which `after` (the
/// definition without the column) is made to name: inside an explicit transaction
/// (`txn`), the transaction copies the rows it sees; without one (recovery of such a drop),
/// the new table starts empty and the replayed commit fills it. The old table is dropped as
/// a DROP TABLE of the same transaction is. Call under the DDL lock.
pub(super) fn replace_without_column(
    host: &dyn SchemaHost,
    before: &TableDef,
    after: &mut TableDef,
    position: usize,
    sql: &str,
    txn: Option<&mut Transaction>,
) -> Result<Vec<RowId>> {
    let old = &before.storage;
    let mut txn = txn;
    if let Some(txn) = txn.as_deref_mut() {
        // Held first: a commit to the table lands before it (and is seen just below) or is
        // refused.
        host.hold_writes(old);
        if !txn.sees_every_commit_to(old) {
            return Err(crate::err!(
                SerializationConflict,
                "ALTER TABLE DROP COLUMN of table {} inside a transaction: another connection \
                 committed to the table after the transaction began; retry the transaction",
                before.name
            ));
        }
    }
    let table = table_without_column(host, before, after, position)?;
    host.created_table(&table);
    let Some(txn) = txn else {
        host.log_catalog(CatalogOp::ReplaceTable, table.id(), &after.name, sql)?;
        host.drop_table_storage(old);
        return Ok(Vec::new());
    };
    let savepoint = txn.savepoint();
    let copied = copy_rows_in(txn, old, &table, position).and_then(|rows| {
        host.log_catalog(CatalogOp::ReplaceTable, table.id(), &after.name, sql)?;
        Ok(rows)
    });
    match copied {
        Ok(rows) => {
            host.drop_table_storage(old);
            Ok(rows)
        }
        Err(error) => {
            // The rows first: the host then undoes the new table.
            txn.rollback_to(savepoint);
            Err(error)
        }
    }
}

/// A new, empty storage table for `before` without column `position` (the same key, key
/// collations and indexes), which `after` is made to name.
fn table_without_column(
    host: &dyn SchemaHost,
    before: &TableDef,
    after: &mut TableDef,
    position: usize,
) -> Result<Arc<Table>> {
    let old = &before.storage;
    let schema = old.schema();
    if schema.types.len() != before.columns.len() || position >= before.columns.len() {
        return Err(crate::err!(
            Internal,
            "table {} has {} columns but its storage {}",
            before.name,
            before.columns.len(),
            schema.types.len()
        ));
    }
    let mut types = schema.types.clone();
    types.remove(position);
    let table = host.store().create_table_keyed(
        TableSchema {
            types,
            key_columns: after.primary_key.clone(),
            added: Vec::new(),
        },
        old.key_collations().to_vec(),
    );
    recreate_indexes(&table, &mut after.indexes)?;
    after.storage = Arc::clone(&table);
    Ok(table)
}

/// Copies the rows of `old` that `txn` sees, by row id, into `new` without column
/// `position`, as `txn`'s own inserts.
fn copy_rows_in(
    txn: &mut Transaction,
    old: &Table,
    new: &Arc<Table>,
    position: usize,
) -> Result<Vec<RowId>> {
    let mut values = Vec::new();
    let mut copied = Vec::new();
    for row in old.row_ranges().into_iter().flatten() {
        if !txn.read_row(old, row, &mut values)? {
            continue;
        }
        values.remove(position);
        copied.push(txn.insert(new, &values)?);
    }
    Ok(copied)
}

/// Makes each of `indexes` anew, empty, on `table` (a table that replaces theirs): the same
/// kind of index (ordered or not, keyed under the same collations, over the same columns
/// or expressions, partial or not); each definition is made to name its new index.
pub(super) fn recreate_indexes(table: &Arc<Table>, indexes: &mut [IndexDef]) -> Result<()> {
    for index in indexes {
        let ordering = index
            .storage
            .ordered()
            .map(|ordered| ordered.collations().to_vec());
        let derivation = index
            .keys
            .clone()
            .map(|keys| keys as Arc<dyn ember_storage::index::KeyDerivation>);
        index.storage = table.create_derived_index(
            &index.name,
            index.columns.clone(),
            index.unique,
            (ordering, index.storage.key_collations().to_vec()),
            derivation,
        )?;
    }
    Ok(())
}

/// Copies the rows of `old` the newest snapshot sees (those of `order`, in its order, when
/// given; else every row, by row id) into the empty `new`, without column `position`.
fn copy_rows(
    host: &dyn SchemaHost,
    old: &Table,
    new: &Arc<Table>,
    position: usize,
    order: Option<&[RowId]>,
) -> Result<Vec<RowId>> {
    let mut txn = host.store().begin()?;
    // The rows were unique in the old table and stay so.
    txn.skip_unique_checks();
    let mut values = Vec::new();
    let mut copied = Vec::new();
    let mut copy = |row: RowId| -> Result<()> {
        if !txn.read_row(old, row, &mut values)? {
            return Ok(());
        }
        values.remove(position);
        copied.push(txn.insert(new, &values)?);
        Ok(())
    };
    match order {
        Some(order) => order.iter().try_for_each(|&row| copy(row))?,
        None => old
            .row_ranges()
            .into_iter()
            .flatten()
            .try_for_each(&mut copy)?,
    }
    txn.commit_preexisting()?;
    Ok(copied)
}
