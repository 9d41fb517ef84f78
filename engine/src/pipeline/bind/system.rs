//! Binding of system tables (`ember_tables`, `ember_indexes`, `ember_stats`, ..,
//! `sqlite_schema`) in FROM: a user
//! table of the same name wins; otherwise the query reads the system table's computed rows.

use sqlparser::ast;

use crate::error::{unsupported, Result};
use crate::exec::schema::system::SystemTable;
use crate::plan::Node;

use super::{object_name, Binder, Scope};

impl Binder<'_> {
    /// The system table `name` refers to, unless a user table shadows it.
    /// `main.sqlite_schema` is `sqlite_schema`; `temp.sqlite_schema` (or `temp.sqlite_master`)
    /// is `sqlite_temp_schema`.
    pub(super) fn system_table(&self, name: &ast::ObjectName) -> Option<SystemTable> {
        if let [schema, table] = name.0.as_slice() {
            let (schema, table) = (&schema.as_ident()?.value, &table.as_ident()?.value);
            let system = SystemTable::by_name(table)?;
            return if schema.eq_ignore_ascii_case("main") {
                Some(system)
            } else if schema.eq_ignore_ascii_case("temp") && system == SystemTable::Schema {
                Some(SystemTable::TempSchema)
            } else {
                None
            };
        }
        let name = object_name(name).ok()?;
        if self.catalog.table(&name).is_some() || self.catalog.view(&name).is_some() {
            return None;
        }
        SystemTable::by_name(&name)
    }

    pub(super) fn bind_system_table(
        &mut self,
        system: SystemTable,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        let alias = match alias {
            Some(alias) if alias.columns.is_empty() => alias.name.value.clone(),
            Some(_) => return Err(unsupported("column aliases on a table")),
            // As written: `sqlite_master.name` reads `sqlite_schema` named so.
            None => match name.0.last().and_then(|part| part.as_ident()) {
                Some(ident) => ident.value.clone(),
                None => system.name().to_string(),
            },
        };
        let scope = Scope::for_table(&alias, system.columns().iter().map(|c| c.to_string()));
        // `sqlite_temp_schema` lists the connection's temporary objects; the others `main`.
        let catalog = match system {
            SystemTable::TempSchema => self.catalog.temp_schema(),
            _ => self.catalog.main_schema(),
        };
        let listed = matches!(system, SystemTable::Schema | SystemTable::TempSchema);
        let node = Node::System {
            table: system,
            tables: catalog.tables().into_iter().cloned().collect(),
            views: match listed {
                true => catalog.views().into_iter().cloned().collect(),
                false => Vec::new(),
            },
            triggers: match listed {
                true => catalog.triggers().into_iter().cloned().collect(),
                false => Vec::new(),
            },
        };
        Ok((node, scope))
    }
}
