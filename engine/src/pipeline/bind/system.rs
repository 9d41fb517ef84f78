//! Binding of system tables (`ember_tables`, `ember_indexes`, `ember_stats`) in FROM: a user
//! table of the same name wins; otherwise the query reads the system table's computed rows.

use sqlparser::ast;

use crate::error::{unsupported, Result};
use crate::exec::system::SystemTable;
use crate::plan::Node;

use super::{object_name, Binder, Scope};

impl Binder<'_> {
    /// The system table `name` refers to, unless a user table shadows it.
    pub(super) fn system_table(&self, name: &ast::ObjectName) -> Option<SystemTable> {
        let name = object_name(name).ok()?;
        if self.catalog.table(&name).is_some() {
            return None;
        }
        SystemTable::by_name(&name)
    }

    pub(super) fn bind_system_table(
        &mut self,
        system: SystemTable,
        alias: Option<&ast::TableAlias>,
    ) -> Result<(Node, Scope)> {
        let alias = match alias {
            Some(alias) if alias.columns.is_empty() => alias.name.value.clone(),
            Some(_) => return Err(unsupported("column aliases on a table")),
            None => system.name().to_string(),
        };
        let scope = Scope::for_table(&alias, system.columns().iter().map(|c| c.to_string()));
        let node = Node::System {
            table: system,
            tables: self.catalog.tables().into_iter().cloned().collect(),
        };
        Ok((node, scope))
    }
}
