//! The queries behind `PRAGMA foreign_key_check` and its table-valued form
//! `pragma_foreign_key_check`: for each foreign key of a table, the rows whose key columns
//! are all non-NULL and that no parent row holds (every such row when the parent table does
//! not exist). `fkid` numbers a table's keys as `foreign_key_list` does (the last defined is
//! 0). A row's `rowid` is its INTEGER PRIMARY KEY or implicit rowid, NULL for a table with
//! neither. Tables are named with their schema, so no CTE of a statement shadows them.

use super::{Catalog, ForeignKeyDef, TableDef};
use crate::error::Result;

/// The columns of `PRAGMA foreign_key_check`, as SQLite names them.
pub const FOREIGN_KEY_CHECK_COLUMNS: [&str; 4] = ["table", "rowid", "parent", "fkid"];

/// `name` as a quoted SQL identifier.
fn quoted(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// `text` as an SQL string literal.
fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// The schema `name` is read from by `catalog`'s statements.
pub fn schema_holding(catalog: &Catalog, name: &str) -> &'static str {
    match catalog.is_temp_object(name) {
        true => "temp",
        false => "main",
    }
}

/// The rows of `child` (read as `c`, from the schema `schema`) that break `key`, its parent
/// looked up in `catalog` (the same schema's tables, or a connection's view of both): the
/// expression of their rowid (`NULL` for a table without one) and the `FROM .. WHERE ..`
/// that finds them.
pub fn violations(
    catalog: &Catalog,
    schema: &str,
    child: &TableDef,
    key: &ForeignKeyDef,
) -> Result<(String, String)> {
    // The implicit rowid is reached by the first of its names no user column has.
    let implicit = ["rowid", "_rowid_", "oid"]
        .into_iter()
        .find(|name| child.column_index(name).is_none());
    let rowid = match (child.rowid_column, implicit) {
        (Some(_), Some(name)) if child.has_implicit_rowid() => format!("c.{name}"),
        (Some(column), _) if !child.has_implicit_rowid() => {
            format!("c.{}", quoted(&child.columns[column].name))
        }
        _ => "NULL".to_string(),
    };
    let child_columns: Vec<String> = key
        .columns
        .iter()
        .map(|&column| format!("c.{}", quoted(&child.columns[column].name)))
        .collect();
    let mut conditions: Vec<String> = child_columns
        .iter()
        .map(|column| format!("{column} IS NOT NULL"))
        .collect();
    if let Some(parent) = catalog.table(&key.parent) {
        let (positions, _) = key.parent_key(&child.name, parent)?;
        let matches: Vec<String> = positions
            .iter()
            .zip(&child_columns)
            .map(|(&column, child)| format!("p.{} = {child}", quoted(&parent.columns[column].name)))
            .collect();
        conditions.push(format!(
            "NOT EXISTS (SELECT 1 FROM {schema}.{} AS p WHERE {})",
            quoted(&parent.name),
            matches.join(" AND ")
        ));
    }
    let from = format!(
        "FROM {schema}.{} AS c WHERE {}",
        quoted(&child.name),
        conditions.join(" AND ")
    );
    Ok((rowid, from))
}

/// One query giving `pragma_foreign_key_check`'s rows (the columns
/// `FOREIGN_KEY_CHECK_COLUMNS`, then the arguments `arg` and `schema`, NULL when not given)
/// over `tables` of `catalog`, in SQLite's order: table by table as given, each in rowid
/// order, then by `fkid`. `schema`: the schema the call names (`catalog` is then that
/// schema's), else each table's own.
pub fn check_query(
    catalog: &Catalog,
    schema: Option<&str>,
    tables: &[&TableDef],
    arg: Option<&str>,
) -> Result<String> {
    let mut parts = Vec::new();
    for (place, child) in tables.iter().enumerate() {
        let child_schema = schema.unwrap_or_else(|| schema_holding(catalog, &child.name));
        for (fkid, key) in child.constraints.foreign_keys.iter().rev().enumerate() {
            let (rowid, from) = violations(catalog, child_schema, child, key)?;
            parts.push(format!(
                "SELECT {place} AS place, {} AS child, {rowid} AS row_id, {} AS parent, \
                 {fkid} AS fkid {from}",
                literal(&child.name),
                literal(&key.parent),
            ));
        }
    }
    if parts.is_empty() {
        parts.push(
            "SELECT 0 AS place, NULL AS child, NULL AS row_id, NULL AS parent, NULL AS fkid \
             WHERE 0"
                .to_string(),
        );
    }
    let arg = arg.map_or("NULL".to_string(), literal);
    let schema = schema.map_or("NULL".to_string(), literal);
    Ok(format!(
        "SELECT child AS \"table\", row_id AS rowid, parent, fkid, {arg} AS arg, \
         {schema} AS schema FROM ({}) ORDER BY place, row_id, fkid",
        parts.join(" UNION ALL ")
    ))
}
