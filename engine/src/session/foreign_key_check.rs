//! `PRAGMA foreign_key_check [(table)]`: the rows whose foreign keys find no parent row, as
//! SQLite lists them (`table, rowid, parent, fkid`), whatever `PRAGMA foreign_keys` says.
//! A row is a violation when every child column of the key is non-NULL and no parent row
//! holds the key (every such row when the parent table does not exist); `fkid` numbers the
//! table's keys as `foreign_key_list` does (the last defined is 0). Each key is checked by
//! one query (`NOT EXISTS` over the parent, `catalog::violations`) run in the connection's
//! transaction. Rows come table by table (by name), in rowid order, then by `fkid`. `rowid`
//! is the INTEGER PRIMARY KEY or the implicit rowid, or NULL for a table with neither (a
//! PRIMARY KEY that is not one INTEGER column, or a table made before the implicit rowid).

use ember_storage::Value;

use crate::catalog::{
    schema_holding, violations, Catalog, ForeignKeyDef, TableDef, FOREIGN_KEY_CHECK_COLUMNS,
};
use crate::connection::{Connection, Outcome};
use crate::error::Result;

/// The columns of `PRAGMA foreign_key_check`, as SQLite names them.
pub(crate) const COLUMNS: [&str; 4] = FOREIGN_KEY_CHECK_COLUMNS;

/// The check of every table (or of `table`) the connection sees, or of schema `schema`'s
/// alone (`main` or `temp`) when it is named.
pub(crate) fn foreign_key_check(
    conn: &Connection,
    schema: Option<&str>,
    table: Option<&str>,
) -> Result<Outcome> {
    let catalog = conn.catalog();
    let (scope, schema) = match schema {
        None => (&*catalog, None),
        Some(name) if name.eq_ignore_ascii_case("main") => (catalog.main_schema(), Some("main")),
        Some(name) if name.eq_ignore_ascii_case("temp") => (catalog.temp_schema(), Some("temp")),
        Some(name) => return Err(crate::err!(NotFound, "unknown database {name}")),
    };
    let tables = match table {
        Some(name) => match scope.table(name) {
            Some(table) => vec![table],
            None => return Err(crate::err!(NotFound, "no such table: {name}")),
        },
        None => scope.tables(),
    };
    let mut rows = Vec::new();
    for child in tables {
        let mut violations: Vec<(Value, usize, &str)> = Vec::new();
        for (fkid, key) in child.constraints.foreign_keys.iter().rev().enumerate() {
            let sql = violations_query(scope, schema, child, key)?;
            for row in conn.query(&sql, ())?.into_values() {
                let rowid = row.into_iter().next().unwrap_or(Value::Null);
                violations.push((rowid, fkid, &key.parent));
            }
        }
        // Rowid order, then fkid (a stable sort keeps NULL rowids in scan order).
        violations.sort_by(|a, b| match (&a.0, &b.0) {
            (Value::Integer(x), Value::Integer(y)) => x.cmp(y).then(a.1.cmp(&b.1)),
            _ => std::cmp::Ordering::Equal,
        });
        for (rowid, fkid, parent) in violations {
            rows.push(vec![
                Value::Text(child.name.clone()),
                rowid,
                Value::Text(parent.to_string()),
                Value::Integer(fkid as i64),
            ]);
        }
    }
    Ok(Outcome {
        columns: COLUMNS.map(String::from).to_vec(),
        rows,
        changes: 0,
    })
}

/// The query listing the rowids of `child`'s rows that break `key` (`child` of `schema`
/// when named, else of the schema its name finds).
fn violations_query(
    catalog: &Catalog,
    schema: Option<&str>,
    child: &TableDef,
    key: &ForeignKeyDef,
) -> Result<String> {
    let schema = schema.unwrap_or_else(|| schema_holding(catalog, &child.name));
    let (rowid, from) = violations(catalog, schema, child, key)?;
    let order = match rowid.as_str() {
        "NULL" => String::new(),
        _ => format!(" ORDER BY {rowid}"),
    };
    Ok(format!("SELECT {rowid} {from}{order}"))
}
