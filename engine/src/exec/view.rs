//! CREATE VIEW and DROP VIEW: swap in a catalog with the change, under the DDL lock, after
//! logging the statement for recovery (replayed from its SQL text).

use ember_storage::wal::record::CatalogOp;

use crate::catalog::ViewDef;
use crate::database::Shared;
use crate::error::Result;

pub(crate) fn create_view(shared: &Shared, view: &ViewDef, if_not_exists: bool) -> Result<()> {
    let _ddl = shared.lock_ddl();
    let catalog = shared.catalog.load();
    if catalog.check_new_name("view", &view.name, if_not_exists)? {
        return Ok(());
    }
    crate::durability::log_catalog(shared, CatalogOp::Other, 0, &view.name, &view.sql)?;
    shared.publish_catalog(catalog.with_view(view.clone()));
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
    shared.publish_catalog(catalog.without_view(name));
    Ok(())
}
