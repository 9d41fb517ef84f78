//! CREATE TABLE and DROP TABLE: build a new catalog with the change and swap it in, under
//! the database's DDL lock so concurrent DDL cannot lose an update.

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;
use ember_storage::TableSchema;

use crate::catalog::TableDef;
use crate::database::Shared;
use crate::error::Result;
use crate::plan::CreateTable;

pub(crate) fn create_table(shared: &Shared, create: &CreateTable) -> Result<()> {
    let _ddl = shared.lock_ddl();
    let catalog = shared.catalog.load();
    if catalog.view(&create.name).is_some() {
        return Err(crate::err!(
            AlreadyExists,
            "view {} already exists",
            create.name
        ));
    }
    if catalog.table(&create.name).is_some() {
        if create.if_not_exists {
            return Ok(());
        }
        return Err(crate::err!(
            AlreadyExists,
            "table {} already exists",
            create.name
        ));
    }
    let schema = TableSchema {
        types: create.columns.iter().map(|c| c.data_type).collect(),
        key_columns: create.primary_key.clone(),
    };
    let table = TableDef {
        name: create.name.clone(),
        columns: create.columns.clone(),
        primary_key: create.primary_key.clone(),
        unique: create.unique.clone(),
        sql: create.sql.clone(),
        storage: shared.store.create_table(schema),
    };
    crate::durability::log_catalog(
        shared,
        CatalogOp::CreateTable,
        table.storage.id(),
        &table.name,
        &table.sql,
    )?;
    shared.catalog.store(Arc::new(catalog.with_table(table)));
    Ok(())
}

pub(crate) fn drop_table(shared: &Shared, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = shared.lock_ddl();
    let catalog = shared.catalog.load();
    let Some(table) = catalog.table(name) else {
        if catalog.view(name).is_some() {
            return Err(crate::err!(
                InvalidInput,
                "use DROP VIEW to delete view {name}"
            ));
        }
        if if_exists {
            return Ok(());
        }
        return Err(crate::err!(NotFound, "no such table: {name}"));
    };
    let sql = format!("DROP TABLE {}", table.name);
    crate::durability::log_catalog(
        shared,
        CatalogOp::DropTable,
        table.storage.id(),
        &table.name,
        &sql,
    )?;
    shared.catalog.store(Arc::new(catalog.without_table(name)));
    Ok(())
}
