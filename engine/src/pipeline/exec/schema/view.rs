//! CREATE VIEW and DROP VIEW: swap in a catalog with the change, under the DDL lock, after
//! logging the statement for recovery (replayed from its SQL text).

use ember_storage::wal::record::CatalogOp;

use crate::catalog::ViewDef;
use crate::error::Result;

use super::super::SchemaHost;

pub(crate) fn create_view(
    host: &dyn SchemaHost,
    view: &ViewDef,
    if_not_exists: bool,
) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    if catalog.check_new_name("view", &view.name, if_not_exists)? {
        return Ok(());
    }
    host.log_catalog(CatalogOp::Other, 0, &view.name, &view.sql)?;
    host.publish_catalog(catalog.with_view(view.clone()));
    Ok(())
}

pub(crate) fn drop_view(host: &dyn SchemaHost, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
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
    host.log_catalog(CatalogOp::Other, 0, &view.name, &sql)?;
    host.publish_catalog(catalog.without_view(name).without_triggers_on(name));
    Ok(())
}
