//! The PRAGMAs tools read the schema and their bookkeeping with, as SQLite has them:
//! `table_info`, `table_xinfo`, `index_list`, `index_info`, `index_xinfo` and
//! `foreign_key_list`, `table_list` (rows from `exec::schema::catalog_pragma`); `user_version` and
//! `application_id` (read and set: 32-bit integers kept in the header table
//! `catalog::HEADER_TABLE`, written in the setting transaction, so durable and undone by
//! ROLLBACK as SQLite's are); `schema_version` (read: the catalog version, which every
//! schema change advances); and `database_list` (`main`, with its directory, '' in
//! memory, and `temp` once the connection made a temporary object, as SQLite lists it).
//! A PRAGMA may name its schema as SQLite's do: `main.` is this database, `temp.` the
//! connection's temporary objects (the catalog PRAGMAs only); an unqualified catalog
//! PRAGMA finds a temporary object first.

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::catalog::{HEADER_TABLE, HEADER_TABLE_SQL};
use crate::connection::{Connection, Outcome};
use crate::error::{OptionalExtension, Result};
use crate::exec::schema::catalog_pragma::{
    database_list_rows, table_list_rows, CatalogPragma, DATABASE_LIST_COLUMNS,
};

/// The header values a PRAGMA reads and sets.
const HEADER_PRAGMAS: &[&str] = &["user_version", "application_id"];

/// The columns of the PRAGMA `name` of this module, with `value` its argument (`None`:
/// not one of them, or one that returns no rows).
pub(crate) fn columns(name: &str, has_value: bool) -> Option<Vec<String>> {
    let (_, name) = schema_and_name(name);
    let owned = |columns: &[&str]| columns.iter().map(|c| c.to_string()).collect();
    if let Some(pragma) = CatalogPragma::by_name(name) {
        return Some(owned(pragma.columns()));
    }
    let lower = name.to_ascii_lowercase();
    match lower.as_str() {
        "user_version" | "application_id" if !has_value => Some(vec![lower]),
        "schema_version" => Some(vec![lower]),
        "database_list" => Some(owned(DATABASE_LIST_COLUMNS)),
        _ => None,
    }
}

/// Runs the PRAGMA if it is one of this module's; `None` otherwise.
pub(crate) fn pragma(conn: &Connection, statement: &Statement) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    let full_name = name.to_string();
    let (schema, name) = schema_and_name(&full_name);
    let lower = name.to_ascii_lowercase();
    let argument = value.as_ref().map(|value| unquote(&value.to_string()));
    let main = schema.is_some_and(|schema| schema.eq_ignore_ascii_case("main"));
    let temp = match schema {
        None => false,
        Some(_) if main => false,
        Some(schema) if schema.eq_ignore_ascii_case("temp") => true,
        Some(schema) => {
            return columns(name, argument.is_some())
                .map(|_| Err(crate::err!(NotFound, "unknown database {schema}")))
        }
    };
    let rows_of = |columns: &[&str], rows| Outcome {
        columns: columns.iter().map(|c| c.to_string()).collect(),
        rows,
        changes: 0,
    };
    if let Some(pragma) = CatalogPragma::by_name(&lower) {
        let catalog = conn.catalog();
        // Unqualified: a temporary object first, as a statement's name finds it.
        let schema = match (temp, main) {
            (true, _) => catalog.temp_schema(),
            (false, true) => catalog.main_schema(),
            (false, false) => &catalog,
        };
        let rows = match (pragma, temp) {
            // The temporary schema alone, named as such.
            (CatalogPragma::TableList, true) => Ok(table_list_rows(
                catalog.temp_schema(),
                "temp",
                argument.as_deref(),
            )),
            _ => pragma.rows(schema, argument.as_deref()),
        };
        return Some(rows.map(|rows| rows_of(pragma.columns(), rows)));
    }
    if temp {
        return columns(name, argument.is_some()).map(|_| {
            Err(crate::err!(
                Unsupported,
                "not supported: PRAGMA temp.{name} (only the catalog PRAGMAs read the \
                 temporary schema)"
            ))
        });
    }
    match lower.as_str() {
        "user_version" | "application_id" => Some(match argument {
            None => header_value(conn, &lower)
                .map(|value| rows_of(&[lower.as_str()], vec![vec![Value::Integer(value)]])),
            Some(text) => set_header_value(conn, &lower, sqlite_atoi(&text)).map(|()| Outcome {
                columns: Vec::new(),
                rows: Vec::new(),
                changes: 0,
            }),
        }),
        "schema_version" if argument.is_none() => {
            let version = conn.catalog_version();
            let value = crate::exec::schema::system::int(version);
            Some(Ok(rows_of(&["schema_version"], vec![vec![value]])))
        }
        "schema_version" => Some(Err(crate::err!(
            Unsupported,
            "not supported: setting PRAGMA schema_version (it counts schema changes)"
        ))),
        "database_list" => {
            let rows = database_list_rows(&database_file(conn), conn.catalog().temp().is_some());
            Some(Ok(rows_of(DATABASE_LIST_COLUMNS, rows)))
        }
        _ => None,
    }
}

/// The database's file as `database_list` names it: its directory ('' in memory).
pub(crate) fn database_file(conn: &Connection) -> String {
    conn.database()
        .shared
        .durable
        .get()
        .map_or_else(String::new, |durable| durable.dir.display().to_string())
}

/// A PRAGMA name's schema (`main` of `main.table_info`) and the name itself.
fn schema_and_name(name: &str) -> (Option<&str>, &str) {
    match name.split_once('.') {
        Some((schema, name)) => (Some(schema.trim_matches('"')), name),
        None => (None, name),
    }
}

/// A PRAGMA argument without its quotes (`'t'`, `"t"`).
fn unquote(text: &str) -> String {
    let trimmed = text.trim();
    for quote in ['\'', '"'] {
        if let Some(inner) = trimmed
            .strip_prefix(quote)
            .and_then(|rest| rest.strip_suffix(quote))
        {
            let doubled = format!("{quote}{quote}");
            return inner.replace(&doubled, &quote.to_string());
        }
    }
    trimmed.to_string()
}

/// A header value as SQLite reads a PRAGMA's integer: an optional sign and the digits
/// that follow (`'12abc'` is 12, `1.7` is 1); no digits, or a value past 32 bits, is 0.
fn sqlite_atoi(text: &str) -> i64 {
    let text = text.trim();
    let (negative, rest) = match text.as_bytes().first() {
        Some(b'-') => (true, &text[1..]),
        Some(b'+') => (false, &text[1..]),
        _ => (false, text),
    };
    let digits: &str = &rest[..rest.bytes().take_while(u8::is_ascii_digit).count()];
    let digits = digits.trim_start_matches('0');
    if digits.len() > 10 {
        return 0;
    }
    let Ok(magnitude) =
        digits
            .parse::<i64>()
            .or_else(|e| if digits.is_empty() { Ok(0) } else { Err(e) })
    else {
        return 0;
    };
    let value = if negative { -magnitude } else { magnitude };
    if i32::try_from(value).is_ok() {
        value
    } else {
        0
    }
}

/// The header value `name` as the connection's transaction sees it (0 when never set).
fn header_value(conn: &Connection, name: &str) -> Result<i64> {
    debug_assert!(HEADER_PRAGMAS.contains(&name));
    if conn.catalog().table(HEADER_TABLE).is_none() {
        return Ok(0);
    }
    let sql = format!("SELECT value FROM {HEADER_TABLE} WHERE name = '{name}'");
    Ok(conn.query_value::<i64>(&sql, ()).optional()?.unwrap_or(0))
}

/// Sets the header value `name` in the connection's transaction (its own when none is
/// open), creating the header table on first use; the change counters do not move.
fn set_header_value(conn: &Connection, name: &str, value: i64) -> Result<()> {
    debug_assert!(HEADER_PRAGMAS.contains(&name));
    conn.counters.uncounted(|| {
        if conn.catalog().table(HEADER_TABLE).is_none() {
            conn.execute(HEADER_TABLE_SQL, ())?;
        }
        let sql = format!(
            "INSERT INTO {HEADER_TABLE}(name, value) VALUES ('{name}', {value}) \
             ON CONFLICT(name) DO UPDATE SET value = excluded.value"
        );
        conn.execute(&sql, ()).map(|_| ())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_values_are_read_as_sqlite_reads_them() {
        assert_eq!(sqlite_atoi("12"), 12);
        assert_eq!(sqlite_atoi("'x'"), 0);
        assert_eq!(sqlite_atoi("abc"), 0);
        assert_eq!(sqlite_atoi("1.7"), 1);
        assert_eq!(sqlite_atoi("-3"), -3);
        assert_eq!(sqlite_atoi("12abc"), 12);
        assert_eq!(sqlite_atoi("2147483647"), 2147483647);
        assert_eq!(sqlite_atoi("-2147483648"), -2147483648);
        assert_eq!(sqlite_atoi("2147483648"), 0);
        assert_eq!(sqlite_atoi("4294967297"), 0);
        assert_eq!(sqlite_atoi("000000000000012"), 12);
    }

    #[test]
    fn pragma_arguments_lose_their_quotes() {
        assert_eq!(unquote("'t'"), "t");
        assert_eq!(unquote("\"my \"\"t\"\"\""), "my \"t\"");
        assert_eq!(unquote("t"), "t");
    }
}
