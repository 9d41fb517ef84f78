//! CREATE VIEW and DROP VIEW: swap in a catalog with the change, under the DDL lock, after
//! logging the statement for recovery (replayed from its SQL text).

use std::sync::Arc;

use ember_storage::wal::record::CatalogOp;

use crate::catalog::ViewDef;
use crate::database::Shared;
use crate::error::Result;

pub(crate) fn create_view(shared: &Shared, view: &ViewDef, if_not_exists: bool) -> Result<()> {
    let _ddl = shared.lock_ddl();
    let catalog = shared.catalog.load();
    if catalog.view(&view.name).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(crate::err!(
            AlreadyExists,
            "view {} already exists",
            view.name
        ));
    }
    if catalog.table(&view.name).is_some() {
        return Err(crate::err!(
            AlreadyExists,
            "table {} already exists",
            view.name
        ));
    }
    crate::durability::log_catalog(shared, CatalogOp::Other, 0, &view.name, &view.sql)?;
    let view = ViewDef {
        name: view.name.clone(),
        columns: view.columns.clone(),
        query: view.query.clone(),
        sql: view.sql.clone(),
        created: 0,
    };
    shared.catalog.store(Arc::new(catalog.with_view(view)));
    Ok(())
}

pub(crate) fn drop_view(shared: &Shared, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = shared.lock_ddl();
    let catalog = shared.catalog.load();
    let Some(view) = catalog.view(name) else {
        if catalog.table(name).is_some() {
            return Err(crate::err!(
                InvalidInput,
                "use DROP TABLE to delete table {name}"
            ));
        }
        if if_exists {
            return Ok(());
        }
        return Err(crate::err!(NotFound, "no such view: {name}"));
    };
    let sql = format!("DROP VIEW {}", view.name);
    crate::durability::log_catalog(shared, CatalogOp::Other, 0, &view.name, &sql)?;
    shared.catalog.store(Arc::new(catalog.without_view(name)));
    Ok(())
}
