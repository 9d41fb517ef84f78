//! Name resolution: the columns in scope for an expression, each with the table (or alias)
//! it came from, so `name`, `t.name` and ambiguous names resolve or fail clearly. A column a
//! `USING`/`NATURAL` join merged into its left twin is hidden: `*` and unqualified names
//! skip it, `t.name` still reaches it.
//!
//! The columns of an aliased parenthesized join (`(a JOIN b ON ...) AS j`, which SQLite
//! reads as the subquery `(SELECT * FROM a JOIN b ON ...) AS j`) keep their own tables'
//! names (`a.x`, and `x` when no other column has it) and are also named `j.<name>`, with
//! the names made unique among the join's visible columns as SQLite names a subquery's
//! columns (`x`, `x:1`, `x:2`, ...): `j.x` is the first `x`.

use crate::catalog::ColumnDef;
use crate::error::Result;
use crate::expr::ColumnMeta;

#[derive(Clone)]
pub struct ScopeColumn {
    pub table: Option<String>,
    pub name: String,
    pub hidden: bool,
    /// The engine's own column (a `ttl` table's write time): hidden, and out of `t.*` too.
    pub system: bool,
    /// The column's affinity and collation, which comparisons over it follow.
    pub meta: ColumnMeta,
    /// Its name as a column of an aliased parenthesized join, if it is one.
    pub join_alias: Option<Box<JoinAlias>>,
}

/// How an aliased parenthesized join names one of its columns: `alias.name`.
#[derive(Clone)]
pub struct JoinAlias {
    pub alias: String,
    /// The column's name made unique among the join's visible columns.
    pub name: String,
}

impl ScopeColumn {
    /// The name USING and NATURAL match the column by: its name as a column of an aliased
    /// parenthesized join, else its own.
    pub fn join_name(&self) -> &str {
        self.join_alias
            .as_ref()
            .map_or(self.name.as_str(), |join| join.name.as_str())
    }
}

/// The columns an expression may reference, in input row order.
#[derive(Clone, Default)]
pub struct Scope {
    pub columns: Vec<ScopeColumn>,
    /// Positions of INTEGER PRIMARY KEY columns, which `rowid`, `oid` and `_rowid_` also
    /// name (when no column has that name).
    pub rowid_columns: Vec<usize>,
    /// Why a table in scope has no rowid (`TableDef::missing_rowid_reason`), for the error
    /// of a `rowid` that names none.
    pub missing_rowid: Option<String>,
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
                    system: false,
                    meta: ColumnMeta::default(),
                    join_alias: None,
                })
                .collect(),
            rowid_columns: Vec::new(),
            missing_rowid: None,
        }
    }

    /// `for_table` over the columns of a table being defined (for its CHECK constraints and
    /// generated columns): its hidden engine columns (the implicit rowid) out of reach.
    pub fn for_definition(alias: &str, columns: &[ColumnDef]) -> Scope {
        let mut scope = Scope::for_table(alias, columns.iter().map(|c| c.name.clone()));
        for (scope_column, column) in scope.columns.iter_mut().zip(columns) {
            scope_column.hidden = column.hidden;
            scope_column.system = column.hidden;
        }
        scope
    }

    /// A scope over a table's columns with their affinities and collations.
    pub fn for_columns(alias: &str, columns: &[ColumnDef]) -> Scope {
        let mut scope = Scope::for_table(alias, columns.iter().map(|c| c.name.clone()));
        for (scope_column, column) in scope.columns.iter_mut().zip(columns) {
            scope_column.meta = column.meta();
            // The write time of a table with `ttl`, the implicit rowid: out of `*`, never
            // named by their names (the rowid's names reach the implicit rowid).
            scope_column.hidden = column.hidden;
            scope_column.system = column.hidden;
        }
        scope
    }

    /// `for_table` over a table's columns, its INTEGER PRIMARY KEY being the rowid.
    pub fn for_table_def(alias: &str, table: &crate::catalog::TableDef) -> Scope {
        let mut scope = Scope::for_columns(alias, &table.columns);
        scope.rowid_columns.extend(table.rowid_column);
        if table.rowid_column.is_none() {
            scope.missing_rowid = Some(table.missing_rowid_reason());
        }
        scope
    }

    /// Appends `other`'s columns (a FROM item joined on the right).
    pub fn append(&mut self, other: Scope) {
        let offset = self.columns.len();
        self.rowid_columns
            .extend(other.rowid_columns.iter().map(|position| position + offset));
        self.columns.extend(other.columns);
        if self.missing_rowid.is_none() {
            self.missing_rowid = other.missing_rowid;
        }
    }

    /// Makes these columns (a parenthesized join's, bound) the columns of `(...) AS alias`:
    /// each visible one is also named `alias.<name>` (made unique: `x`, `x:1`, ...); the
    /// join's rowids are not the subquery's.
    pub fn alias_join(&mut self, alias: &str) {
        let mut taken: Vec<String> = Vec::new();
        for column in self.columns.iter_mut() {
            if column.hidden {
                column.join_alias = None;
                continue;
            }
            let mut name = column.name.clone();
            let mut count = 0;
            while taken.iter().any(|t| t.eq_ignore_ascii_case(&name)) {
                count += 1;
                name = format!("{}:{count}", column.name);
            }
            taken.push(name.clone());
            column.join_alias = Some(Box::new(JoinAlias {
                alias: alias.to_string(),
                name,
            }));
        }
        self.rowid_columns.clear();
        self.missing_rowid = None;
    }

    /// Finds the position of `qualifier.name` (or just `name`).
    pub fn resolve(&self, qualifier: Option<&str>, name: &str) -> Result<usize> {
        let mut found = None;
        for (index, column) in self.columns.iter().enumerate() {
            let named = match qualifier {
                Some(qualifier) => {
                    let by_table = !column.system
                        && column.name.eq_ignore_ascii_case(name)
                        && column
                            .table
                            .as_deref()
                            .is_some_and(|table| table.eq_ignore_ascii_case(qualifier));
                    // `j.x` of an aliased join: its (unique) name for the column.
                    by_table
                        || column.join_alias.as_ref().is_some_and(|join| {
                            join.alias.eq_ignore_ascii_case(qualifier)
                                && join.name.eq_ignore_ascii_case(name)
                        })
                }
                None => !column.hidden && column.name.eq_ignore_ascii_case(name),
            };
            if !named {
                continue;
            }
            if found.is_some() {
                return Err(crate::err!(InvalidInput, "ambiguous column name: {name}"));
            }
            found = Some(index);
        }
        if found.is_none() && qualifier.is_none() {
            found = self.resolve_hidden(name)?;
        }
        if found.is_none() && super::upsert::is_rowid_name(name) {
            return self.resolve_rowid(qualifier, name);
        }
        found.ok_or_else(|| match qualifier {
            Some(qualifier) => crate::err!(NotFound, "no such column: {qualifier}.{name}"),
            None => crate::err!(NotFound, "no such column: {name}"),
        })
    }

    /// An unqualified `name` no visible column has: the one hidden column of that name (a
    /// table-valued function's arguments, `json_each`'s `json`, `pragma_table_info`'s
    /// `arg`, which SQLite resolves unqualified too), never the engine's own column.
    fn resolve_hidden(&self, name: &str) -> Result<Option<usize>> {
        let mut found = None;
        for (index, column) in self.columns.iter().enumerate() {
            if column.hidden && !column.system && column.name.eq_ignore_ascii_case(name) {
                if found.is_some() {
                    return Err(crate::err!(InvalidInput, "ambiguous column name: {name}"));
                }
                found = Some(index);
            }
        }
        Ok(found)
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
