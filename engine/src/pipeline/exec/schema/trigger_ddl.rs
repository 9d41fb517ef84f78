//! CREATE TRIGGER and DROP TRIGGER: swap in a catalog with the change, under the DDL lock,
//! after logging the statement for recovery (replayed from its SQL text, as views are).

use ember_storage::wal::record::CatalogOp;

use crate::catalog::TriggerDef;
use crate::error::Result;

use super::schema_host::SchemaHost;

pub(crate) fn create_trigger(
    host: &dyn SchemaHost,
    trigger: &TriggerDef,
    if_not_exists: bool,
) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    if catalog.trigger(&trigger.name).is_some() {
        if if_not_exists {
            return Ok(());
        }
        return Err(crate::err!(
            AlreadyExists,
            "trigger {} already exists",
            trigger.name
        ));
    }
    // A temporary trigger on a `main` table is kept where its table is not.
    let elsewhere = trigger.temporary && !trigger.on_temporary;
    if !elsewhere
        && catalog.table(&trigger.table).is_none()
        && catalog.view(&trigger.table).is_none()
    {
        // Dropped since the statement was bound.
        return Err(crate::err!(
            NotFound,
            "no such table: main.{}",
            trigger.table
        ));
    }
    host.log_catalog(CatalogOp::Other, 0, &trigger.name, &trigger.sql)?;
    host.publish_catalog(catalog.with_trigger(trigger.clone()));
    Ok(())
}

pub(crate) fn drop_trigger(host: &dyn SchemaHost, name: &str, if_exists: bool) -> Result<()> {
    let _ddl = host.lock_ddl()?;
    let catalog = host.catalog();
    let Some(trigger) = catalog.trigger(name) else {
        if if_exists {
            return Ok(());
        }
        return Err(crate::err!(NotFound, "no such trigger: {name}"));
    };
    let sql = format!("DROP TRIGGER \"{}\"", trigger.name.replace('"', "\"\""));
    host.log_catalog(CatalogOp::Other, 0, &trigger.name, &sql)?;
    host.publish_catalog(catalog.without_trigger(name));
    Ok(())
}
