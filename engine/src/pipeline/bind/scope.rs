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
    /// Positions of INTEGER PRIMARY KEY columns, which `rowid`, `oid` and `_rowid_` also
    /// name (when no column has that name).
    pub rowid_columns: Vec<usize>,
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
            rowid_columns: Vec::new(),
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

    /// `for_table` over a table's columns, its INTEGER PRIMARY KEY being the rowid.
    pub fn for_table_def(alias: &str, table: &crate::catalog::TableDef) -> Scope {
        let mut scope = Scope::for_columns(alias, &table.columns);
        scope.rowid_columns.extend(table.rowid_column);
        scope
    }

    /// Appends `other`'s columns (a FROM item joined on the right).
    pub fn append(&mut self, other: Scope) {
        let offset = self.columns.len();
        self.rowid_columns
            .extend(other.rowid_columns.iter().map(|position| position + offset));
        self.columns.extend(other.columns);
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
        if found.is_none() && super::upsert::is_rowid_name(name) {
            return self.resolve_rowid(qualifier, name);
        }
        found.ok_or_else(|| match qualifier {
            Some(qualifier) => crate::err!(NotFound, "no such column: {qualifier}.{name}"),
            None => crate::err!(NotFound, "no such column: {name}"),
        })
    }

    /// `rowid` (or `oid`, `_rowid_`) naming the INTEGER PRIMARY KEY column of the table
    /// `qualifier` names (or of the only table with one).
    fn resolve_rowid(&self, qualifier: Option<&str>, name: &str) -> Result<usize> {
        let mut found = None;
        for &position in &self.rowid_columns {
            if let Some(qualifier) = qualifier {
                match &self.columns[position].table {
                    Some(table) if table.eq_ignore_ascii_case(qualifier) => {}
                    _ => continue,
                }
            }
            if found.is_some() {
                return Err(crate::err!(InvalidInput, "ambiguous column name: {name}"));
            }
            found = Some(position);
        }
        found.ok_or_else(|| match qualifier {
            Some(qualifier) => crate::err!(NotFound, "no such column: {qualifier}.{name}"),
            None => crate::err!(NotFound, "no such column: {name}"),
        })
    }
}
