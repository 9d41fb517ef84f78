//! Binding of `FROM t FOR SYSTEM_TIME AS OF <expr>` (one table reference read at a past
//! commit): the table's scan under a `Node::AsOf`, `<expr>` bound without columns (a
//! literal, a parameter, or an expression of them). Other versioning syntaxes sqlparser
//! knows, and AS OF on a view, a CTE or a system table, are errors naming them.

use sqlparser::ast::{self, TableVersion};

use crate::error::{unsupported, Result};
use crate::plan::{AsOfScan, Node, TableAccess};

use super::{object_name, Binder, Scope};

impl Binder<'_> {
    pub(super) fn bind_as_of(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
        version: &TableVersion,
    ) -> Result<(Node, Scope)> {
        let TableVersion::ForSystemTimeAsOf(at) = version else {
            return Err(unsupported(format!(
                "the table version clause {version} (write FOR SYSTEM_TIME AS OF <commit or time>)"
            )));
        };
        let written = object_name(name)?;
        let cte = self.cte_reference(name, alias)?.is_some();
        if cte || self.catalog.table(&written).is_none() {
            let what = if cte {
                "a CTE"
            } else if self.catalog.view(&written).is_some() {
                "a view"
            } else if self.system_table(name).is_some() {
                "a system table"
            } else {
                return Err(self.table(name).err().unwrap_or_else(|| {
                    crate::err!(Internal, "table {written} both missing and present")
                }));
            };
            return Err(unsupported(format!(
                "FOR SYSTEM_TIME AS OF on {what} ({written}); only tables keep history"
            )));
        }
        let table = self.table(name)?;
        let qualifier = super::from::table_alias(alias, &table.name)?;
        let scope = Scope::for_table_def(&qualifier, &table);
        let at = self.bind_expr(at, &Scope::default())?;
        let input = Node::Scan(TableAccess::every_live_row(table.clone()));
        let node = Node::AsOf(Box::new(AsOfScan { table, at, input }));
        Ok((node, scope))
    }
}
