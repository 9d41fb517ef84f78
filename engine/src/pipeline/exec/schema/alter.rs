//! ALTER TABLE: under the DDL lock, checks that the table is still the one the statement
//! was bound against, logs the statement, makes the storage change (ADD COLUMN swaps in a
//! wider row format: no row is rewritten, see `storage/src/row/added.rs`; DROP COLUMN copies
//! the rows into a new table, see `drop_column.rs`) and publishes the
//! new definition, which bumps the catalog version so cached plans and prepared statements
//! bind again.
//!
//! Concurrent transactions: rows they wrote under the old definition stay valid (narrower
//! rows read the added column as its default), so they commit normally; a statement still
//! running a plan bound before the change fails with an error instead of misreading a row
//! (its row width no longer matches), and runs correctly when retried.

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::{RowId, Transaction};

use crate::catalog::{Catalog, TriggerDef, ViewDef};
use crate::error::Result;
use crate::plan::AlterTable;

use super::super::SchemaHost;
pub(crate) use super::drop_column::DropCopy;

pub(crate) fn alter_table(host: &dyn SchemaHost, alter: &AlterTable) -> Result<()> {
    replay_alter_table(host, alter, DropCopy::Committed(None)).map(|_| ())
}

/// `alter_table` inside an explicit transaction: a DROP COLUMN copies the rows `txn` sees
/// in `txn` itself, so its ROLLBACK undoes the copy (`drop_column.rs`).
pub(crate) fn alter_table_in(
    host: &dyn SchemaHost,
    alter: &AlterTable,
    txn: &mut Transaction,
) -> Result<()> {
    replay_alter_table(host, alter, DropCopy::InTransaction(txn)).map(|_| ())
}

/// `alter_table`, for recovery too: a DROP COLUMN copies the rows as `copy` says and
/// returns the new table's id and the row ids of the copy, in copy order (none when it
/// copied no row itself; see `drop_column.rs`).
pub(crate) fn replay_alter_table(
    host: &dyn SchemaHost,
    alter: &AlterTable,
    copy: DropCopy<'_>,
) -> Result<Option<(u64, Vec<RowId>)>> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    let before = &alter.before;
    super::check_still_bound(&catalog, before, "ALTER TABLE")?;
    let after = &alter.after;
    let renamed = !after.name.eq(&before.name);
    if renamed && catalog.object_kind(&after.name).is_some() {
        return Err(crate::err!(
            AlreadyExists,
            "there is already another table or index with this name: {}",
            after.name
        ));
    }
    if alter.added.is_some() && before.storage.schema().types.len() != before.columns.len() {
        return Err(crate::err!(
            Internal,
            "table {} has {} columns but its storage {}",
            before.name,
            before.columns.len(),
            before.storage.schema().types.len()
        ));
    }
    let mut rebuilt = None;
    let mut next_definition = None;
    if let Some(position) = alter.dropped {
        let mut without = after.clone();
        let rows = match copy {
            DropCopy::Committed(order) => super::drop_column::rebuild_without_column(
                host,
                before,
                &mut without,
                position,
                &alter.sql,
                order,
            )?,
            DropCopy::InTransaction(txn) => super::drop_column::replace_without_column(
                host,
                before,
                &mut without,
                position,
                &alter.sql,
                Some(txn),
            )?,
            DropCopy::Replayed => super::drop_column::replace_without_column(
                host,
                before,
                &mut without,
                position,
                &alter.sql,
                None,
            )?,
        };
        rebuilt = Some((without.storage.id(), rows));
        next_definition = Some(without);
    } else {
        host.log_catalog(
            CatalogOp::Other,
            before.storage.id(),
            &after.name,
            &alter.sql,
        )?;
    }
    if let Some((data_type, missing)) = &alter.added {
        host.add_column(&before.storage, *data_type, missing.clone());
    }
    let after = next_definition.unwrap_or_else(|| after.clone());
    let mut next = catalog.without_table(&before.name).with_table(after);
    // Views over a renamed table or naming a renamed column, unless one was dropped or
    // recreated since binding.
    for view in &alter.views {
        if catalog
            .view(&view.name)
            .is_some_and(|current| current.created == view.created)
        {
            next = next.with_view_replaced(view.clone());
        }
    }
    // Tables whose foreign keys reference a renamed column, unless changed since binding.
    for (table, renamed) in &alter.referencing {
        if catalog
            .table(&table.name)
            .is_some_and(|current| Arc::ptr_eq(current, table))
        {
            next = next.without_table(&table.name).with_table(renamed.clone());
        }
    }
    // Triggers naming a renamed column, unless one was dropped or recreated since binding.
    for trigger in &alter.triggers {
        if catalog
            .trigger(&trigger.name)
            .is_some_and(|current| current.created == trigger.created)
        {
            next = next.with_trigger_replaced(trigger.clone());
        }
    }
    host.publish_catalog(next);
    Ok(rebuilt)
}

/// Puts the views and triggers a rename rewrote in place of their definitions in `host`'s
/// schema (the connection's temporary one, after a `main` table's RENAME COLUMN), unless
/// one was dropped or recreated since binding.
pub(crate) fn replace_rewritten(
    host: &dyn SchemaHost,
    views: &[ViewDef],
    triggers: &[TriggerDef],
) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    let mut next = Catalog::clone(&catalog);
    for view in views {
        if catalog
            .view(&view.name)
            .is_some_and(|current| current.created == view.created)
        {
            next = next.with_view_replaced(view.clone());
        }
    }
    for trigger in triggers {
        if catalog
            .trigger(&trigger.name)
            .is_some_and(|current| current.created == trigger.created)
        {
            next = next.with_trigger_replaced(trigger.clone());
        }
    }
    host.publish_catalog(next);
    Ok(())
}
