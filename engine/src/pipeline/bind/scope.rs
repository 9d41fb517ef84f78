//! Name resolution: the columns in scope for an expression, each with the table (or alias)
//! it came from, so `name`, `t.name` and ambiguous names resolve or fail clearly. A column a
//! `USING`/`NATURAL` join merged into its left twin is hidden: `*` and unqualified names
//! skip it, `t.name` still reaches it.

use crate::catalog::ColumnDef;
use crate::error::Result;
use crate::expr::ColumnMeta;

#[derive(Clone)]
pub struct ScopeColumn {
    pub table: Option<String>,
    pub name: String,
    pub hidden: bool,
    /// The column's affinity and collation, which comparisons over it follow.
    pub meta: ColumnMeta,
}

/// The columns an expression may reference, in input row order.
#[derive(Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
}

impl Scope {
    /// A scope over one table's columns, qualified by `alias`.
    pub fn for_table(alias: &str, names: impl IntoIterator<Item = String>) -> Scope {
        Scope {
            columns: names
                .into_iter()
                .map(|name| ScopeColumn {
                    table: Some(alias.to_string()),
                    name,
                    hidden: false,
                    meta: ColumnMeta::default(),
                })
                .collect(),
        }
    }

    /// A scope over a table's columns with their affinities and collations.
    pub fn for_columns(alias: &str, columns: &[ColumnDef]) -> Scope {
        let mut scope = Scope::for_table(alias, columns.iter().map(|c| c.name.clone()));
        for (scope_column, column) in scope.columns.iter_mut().zip(columns) {
            scope_column.meta = column.meta();
        }
        scope
    }

    /// Finds the position of `qualifier.name` (or just `name`).
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<usize> {
        let mut found = None;
        for (index, column) in self.columns.iter().enumerate() {
            if !column.name.eq_ignore_ascii_case(name) {
                continue;
            }
            if let Some(qualifier) = qualifier {
                match &column.table {
                    Some(table) if table.eq_ignore_ascii_case(qualifier) => {}
                    _ => continue,
                }
            } else if column.hidden {
                continue;
            }
            if found.is_some() {
                return Err(crate::err!(InvalidInput, "ambiguous column name: {name}"));
            }
            found = Some(index);
        }
        found.ok_or_else(|| match qualifier {
            Some(qualifier) => crate::err!(NotFound, "no such column: {qualifier}.{name}"),
            None => crate::err!(NotFound, "no such column: {name}"),
        })
    }
}
