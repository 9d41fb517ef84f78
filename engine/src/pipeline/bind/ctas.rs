//! CREATE TABLE .. AS SELECT: the new table's columns are the query's output columns (a
//! repeated name gets SQLite's `:N` suffix), each declared with the type SQLite gives it: the
//! affinity of a column reference or CAST (`INT`, `TEXT`, `REAL`, `NUM`), none for any other
//! expression (the leftmost SELECT of a compound decides). The table is bound as an ordinary
//! CREATE TABLE of that text; the session creates it, then inserts the query's rows.

use sqlparser::ast;

use crate::error::{unsupported, Result};
use crate::expr::Affinity;
use crate::plan::{CreateTableAs, Plan};

use super::column_origin::column_origins;
use super::Binder;

impl Binder<'_> {
    pub(super) fn bind_create_table_as(
        &mut self,
        create: &ast::CreateTable,
        query: &ast::Query,
    ) -> Result<Plan> {
        if !create.columns.is_empty() || !create.constraints.is_empty() {
            return Err(unsupported(
                "column definitions in CREATE TABLE ... AS SELECT",
            ));
        }
        if !matches!(create.table_options, ast::CreateTableOptions::None) {
            return Err(unsupported(
                "table options in CREATE TABLE ... AS SELECT (set them with ALTER TABLE .. SET)",
            ));
        }
        let bound = self.bind_query(query)?;
        if self.parameter_count > 0 {
            return Err(unsupported("parameters in CREATE TABLE ... AS SELECT"));
        }
        let types: Vec<Option<&str>> = column_origins(&bound.node)
            .unwrap_or_default()
            .iter()
            .map(|origin| origin.as_ref().and_then(|o| type_of_affinity(o.affinity())))
            .collect();
        let mut names: Vec<String> = Vec::with_capacity(bound.columns.len());
        for name in &bound.columns {
            names.push(unique_name(name, &names));
        }
        let columns: Vec<String> = names
            .iter()
            .enumerate()
            .map(|(position, name)| {
                let declared = types.get(position).copied().flatten().unwrap_or("");
                format!("{} {declared}", quote(name)).trim_end().to_string()
            })
            .collect();
        let if_not_exists = if create.if_not_exists {
            "IF NOT EXISTS "
        } else {
            ""
        };
        // The table's own name: a `temp.` qualifier is the statement's, not the table's.
        let name = match create.name.0.last() {
            Some(part) => part.to_string(),
            None => create.name.to_string(),
        };
        let sql = format!("CREATE TABLE {if_not_exists}{name}({})", columns.join(", "));
        let parsed = crate::parse::parse_statements(&sql)?;
        let [ast::Statement::CreateTable(table)] = &parsed[..] else {
            return Err(crate::err!(
                Internal,
                "CREATE TABLE AS made bad text: {sql}"
            ));
        };
        let Plan::CreateTable(table) = self.bind_create_table(table)? else {
            return Err(crate::err!(Internal, "CREATE TABLE bound to another plan"));
        };
        Ok(Plan::CreateTableAs(Box::new(CreateTableAs {
            table,
            query: query.to_string(),
        })))
    }
}

/// `name`, or `name:N` with the first N that no earlier name takes (case-insensitively).
fn unique_name(name: &str, taken: &[String]) -> String {
    let free = |candidate: &str| !taken.iter().any(|t| t.eq_ignore_ascii_case(candidate));
    if free(name) {
        return name.to_string();
    }
    (1..)
        .map(|n| format!("{name}:{n}"))
        .find(|candidate| free(candidate))
        .unwrap_or_else(|| name.to_string())
}

/// An identifier in double quotes (always: the name may be a keyword or hold anything).
fn quote(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// SQLite's CREATE TABLE AS type name for a column's or CAST's affinity.
fn type_of_affinity(affinity: Affinity) -> Option<&'static str> {
    match affinity {
        Affinity::Integer => Some("INT"),
        Affinity::Real => Some("REAL"),
        Affinity::Text => Some("TEXT"),
        Affinity::Numeric => Some("NUM"),
        Affinity::Blob => None,
    }
}
