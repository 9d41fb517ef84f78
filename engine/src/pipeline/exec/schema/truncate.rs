//! `DELETE FROM t` as a truncate: the table is given a new, empty storage table (with its indexes
//! made anew, empty), which the published definition then names; no row is visited. The rows stay
//! in the old storage table, which snapshots taken before the truncate still read (an explicit
//! transaction reads the catalog of its snapshot, `session/connection/snapshot_catalog.rs`), and
//! are freed whole when the last of them lets it go.
//!
//! Under the DDL lock: the definition is checked to be the one the statement was bound against, and
//! still to have nothing to do per row (no DELETE trigger, no foreign key referencing it: a trigger
//! made since binding would otherwise be skipped); the new storage table is made; the old one is
//! closed (`Store::close_for_truncate`: every commit that wrote to it is published, any later one
//! is refused with a retryable conflict; a table another transaction holds uncommitted writes to is
//! left open and its rows deleted one by one instead, so that transaction may still commit) and its
//! committed rows counted (the statement's change count, held to its row limit); the truncate is
//! logged (`CatalogOp::Truncate`, naming the new table's id) and the new definition published. A
//! failure (the row limit, the log) reopens the old table and changes nothing.

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{Table, TableSchema};

use crate::catalog::TableDef;
use crate::error::Result;

use super::super::SchemaHost;

/// Empties table `table` (the definition the statement was bound against) by giving it a
/// new storage table; returns the rows it held, or `None` (nothing changed) when another
/// transaction holds uncommitted writes to it: those stay its own to commit, so the rows
/// are to be deleted one by one, as any DELETE does. `rows_max` bounds the rows a statement
/// may change. Recovery passes `replaying`: the table is emptied whatever its triggers,
/// as the logged statement did.
pub(crate) fn truncate_table(
    host: &dyn SchemaHost,
    table: &Arc<TableDef>,
    rows_max: usize,
    replaying: bool,
) -> Result<Option<u64>> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    super::check_still_bound(&catalog, table, "DELETE")?;
    if !replaying && !catalog.deletes_run_nothing_per_row(table) {
        return Err(crate::err!(
            SerializationConflict,
            "a trigger or foreign key on {} was made while DELETE was prepared; run it again",
            table.name
        ));
    }
    let old = &table.storage;
    let schema = old.schema();
    let new = host.store().create_table_keyed(
        TableSchema {
            types: schema.types.clone(),
            key_columns: schema.key_columns.clone(),
            added: schema.added.clone(),
        },
        old.key_collations().to_vec(),
    );
    host.created_table(&new);
    let mut emptied = TableDef::clone(table);
    super::drop_column::recreate_indexes(&new, &mut emptied.indexes)?;
    emptied.storage = Arc::clone(&new);
    let store = host.store();
    if !store.close_for_truncate(old) {
        return Ok(None);
    }
    let logged = committed_rows(host, old).and_then(|rows| {
        if rows > rows_max as u64 {
            return Err(crate::err!(
                Limit,
                "statement materializes more than the limit of {rows_max} rows"
            ));
        }
        let sql = format!("DELETE FROM \"{}\"", table.name.replace('"', "\"\""));
        host.log_catalog(CatalogOp::Truncate, new.id(), &table.name, &sql)?;
        Ok(rows)
    });
    match logged {
        Ok(rows) => {
            old.mark_dropped();
            host.publish_catalog(catalog.without_table(&table.name).with_table(emptied));
            Ok(Some(rows))
        }
        Err(error) => {
            store.reopen_after_failed_rebuild(old);
            Err(error)
        }
    }
}

/// The rows committed to `table`, closed to commits: the newest snapshot sees them all.
fn committed_rows(host: &dyn SchemaHost, table: &Table) -> Result<u64> {
    let txn = host.store().begin()?;
    if let Some(rows) = txn.count_rows(table) {
        return Ok(rows);
    }
    let mut values = Vec::new();
    let mut rows = 0;
    for row in table.row_ranges().into_iter().flatten() {
        if txn.read_row(table, row, &mut values)? {
            rows += 1;
        }
    }
    Ok(rows)
}
