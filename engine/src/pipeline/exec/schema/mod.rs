//! Schema statements and the catalog's own rows: CREATE/DROP TABLE and INDEX (`ddl`),
//! ALTER TABLE (`alter`, `drop_column`), the truncate of a whole-table DELETE
//! (`truncate`), views (`view`), trigger DDL (`trigger_ddl`), the
//! DDL lock (`ddl_lock`) and what DDL needs from its database (`schema_host`), the catalog
//! PRAGMAs (`catalog_pragma`) and the system tables (`system`, `system_schema`).

pub(super) mod alter;
pub mod catalog_pragma;
pub(super) mod ddl;
pub(crate) mod ddl_lock;
pub(super) mod drop_column;
pub(super) mod schema_host;
pub mod system;
pub(super) mod system_schema;
pub(super) mod trigger_ddl;
pub(super) mod truncate;
pub(super) mod view;

use std::sync::Arc;

use crate::catalog::{Catalog, TableDef};

/// Fails (a retryable conflict) unless `table`, the definition a `statement` (its name, for
/// the message) was bound against, is still the one `catalog` holds: a schema change in
/// between would make the statement apply to a table it did not see.
pub(super) fn check_still_bound(
    catalog: &Catalog,
    table: &Arc<TableDef>,
    statement: &str,
) -> crate::error::Result<()> {
    match catalog.table(&table.name) {
        Some(current) if Arc::ptr_eq(current, table) => Ok(()),
        _ => Err(crate::err!(
            SerializationConflict,
            "table {} changed while {statement} was prepared; run it again",
            table.name
        )),
    }
}
