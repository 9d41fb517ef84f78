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

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{RowId, Table, TableSchema};

use crate::catalog::{IndexDef, TableDef};
use crate::error::Result;

use super::super::SchemaHost;

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
