//! CREATE TABLE .. AS SELECT: the new table's columns are the query's output columns (a
//! repeated name gets SQLite's `:N` suffix), each declared with the type SQLite gives it: the
//! affinity of a column reference or CAST (`INT`, `TEXT`, `REAL`, `NUM`), none for any other
//! expression (the leftmost SELECT of a compound decides). The table is bound as an ordinary
//! CREATE TABLE of that text, kept in `sqlite_schema` as SQLite writes it (`CREATE TABLE
//! t(a INT,"b c")`); the session creates it, then inserts the query's rows.

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
        // The text kept in sqlite_schema is SQLite's for such a table, when it reads back
        // as the same columns (else the text above, which always does).
        let declared: Vec<(&str, Option<&str>)> = names
            .iter()
            .enumerate()
            .map(|(position, name)| (name.as_str(), types.get(position).copied().flatten()))
            .collect();
        let bare_name = match create.name.0.last().and_then(|part| part.as_ident()) {
            Some(ident) => ident.value.clone(),
            None => name.clone(),
        };
        let sqlite_text = sqlite_text(&bare_name, &declared);
        let same_columns = match crate::parse::parse_statements(&sqlite_text).as_deref() {
            Ok([ast::Statement::CreateTable(kept)]) => {
                kept.columns.len() == table.columns.len()
                    && kept
                        .columns
                        .iter()
                        .zip(&table.columns)
                        .all(|(kept, column)| kept.name.value == column.name.value)
            }
            _ => false,
        };
        self.creation_text = same_columns.then_some(sqlite_text);
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

/// The CREATE TABLE text SQLite keeps for a table made by CREATE TABLE .. AS SELECT
/// (build.c's `createTableStmt`): names quoted only where needed, each column's declared
/// type after it, all on one line when the names are short, else a column a line.
fn sqlite_text(table: &str, columns: &[(&str, Option<&str>)]) -> String {
    let length = ident_length(table)
        + columns
            .iter()
            .map(|(name, _)| ident_length(name) + 5)
            .sum::<usize>();
    let (first, between, end) = if length < 50 {
        ("", ",", ")")
    } else {
        ("\n  ", ",\n  ", "\n)")
    };
    let mut text = format!("CREATE TABLE {}(", ident_put(table));
    for (position, (name, declared)) in columns.iter().enumerate() {
        text.push_str(if position == 0 { first } else { between });
        text.push_str(&ident_put(name));
        if let Some(declared) = declared {
            text.push(' ');
            text.push_str(declared);
        }
    }
    text.push_str(end);
    text
}

/// build.c's `identLength`: the bytes of `name` in double quotes, its quotes doubled.
fn ident_length(name: &str) -> usize {
    name.len() + name.bytes().filter(|&byte| byte == b'"').count() + 2
}

/// build.c's `identPut`: `name` as it is when it is a plain word (ASCII letters, digits and
/// `_`, not starting with a digit) and not one of SQLite's keywords, else in double quotes.
fn ident_put(name: &str) -> String {
    let plain = name
        .bytes()
        .next()
        .is_some_and(|first| !first.is_ascii_digit())
        && name
            .bytes()
            .all(|byte| byte.is_ascii_alphanumeric() || byte == b'_')
        && !SQLITE_KEYWORDS
            .iter()
            .any(|keyword| keyword.eq_ignore_ascii_case(name));
    if plain {
        name.to_string()
    } else {
        quote(name)
    }
}

/// SQLite's keywords (its tokenizer's list), which `identPut` quotes.
const SQLITE_KEYWORDS: [&str; 147] = [
    "ABORT",
    "ACTION",
    "ADD",
    "AFTER",
    "ALL",
    "ALTER",
    "ALWAYS",
    "ANALYZE",
    "AND",
    "AS",
    "ASC",
    "ATTACH",
    "AUTOINCREMENT",
    "BEFORE",
    "BEGIN",
    "BETWEEN",
    "BY",
    "CASCADE",
    "CASE",
    "CAST",
    "CHECK",
    "COLLATE",
    "COLUMN",
    "COMMIT",
    "CONFLICT",
    "CONSTRAINT",
    "CREATE",
    "CROSS",
    "CURRENT",
    "CURRENT_DATE",
    "CURRENT_TIME",
    "CURRENT_TIMESTAMP",
    "DATABASE",
    "DEFAULT",
    "DEFERRABLE",
    "DEFERRED",
    "DELETE",
    "DESC",
    "DETACH",
    "DISTINCT",
    "DO",
    "DROP",
    "EACH",
    "ELSE",
    "END",
    "ESCAPE",
    "EXCEPT",
    "EXCLUDE",
    "EXCLUSIVE",
    "EXISTS",
    "EXPLAIN",
    "FAIL",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FOR",
    "FOREIGN",
    "FROM",
    "FULL",
    "GENERATED",
    "GLOB",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "IMMEDIATE",
    "IN",
    "INDEX",
    "INDEXED",
    "INITIALLY",
    "INNER",
    "INSERT",
    "INSTEAD",
    "INTERSECT",
    "INTO",
    "IS",
    "ISNULL",
    "JOIN",
    "KEY",
    "LAST",
    "LEFT",
    "LIKE",
    "LIMIT",
    "MATCH",
    "MATERIALIZED",
    "NATURAL",
    "NO",
    "NOT",
    "NOTHING",
    "NOTNULL",
    "NULL",
    "NULLS",
    "OF",
    "OFFSET",
    "ON",
    "OR",
    "ORDER",
    "OTHERS",
    "OUTER",
    "OVER",
    "PARTITION",
    "PLAN",
    "PRAGMA",
    "PRECEDING",
    "PRIMARY",
    "QUERY",
    "RAISE",
    "RANGE",
    "RECURSIVE",
    "REFERENCES",
    "REGEXP",
    "REINDEX",
    "RELEASE",
    "RENAME",
    "REPLACE",
    "RESTRICT",
    "RETURNING",
    "RIGHT",
    "ROLLBACK",
    "ROW",
    "ROWS",
    "SAVEPOINT",
    "SELECT",
    "SET",
    "TABLE",
    "TEMP",
    "TEMPORARY",
    "THEN",
    "TIES",
    "TO",
    "TRANSACTION",
    "TRIGGER",
    "UNBOUNDED",
    "UNION",
    "UNIQUE",
    "UPDATE",
    "USING",
    "VACUUM",
    "VALUES",
    "VIEW",
    "VIRTUAL",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
    "WITHOUT",
];

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
