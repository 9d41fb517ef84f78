//! The PRAGMAs that read the catalog, with SQLite's columns and values: `table_info`,
//! `table_xinfo`, `index_list`, `index_info`, `index_xinfo`, `foreign_key_list` and
//! `table_list` (every table and view, or the one named, with its schema). The
//! statement form (`PRAGMA table_info(t)`) and the table-valued form (`SELECT * FROM
//! pragma_table_info('t')`, whose rows also carry the hidden columns `arg` and `schema`)
//! both read these rows. A name that is no table (or index) gives no rows, as in SQLite; a
//! view's `table_info` lists the columns its query has now.
//! Column types, NOT NULL and DEFAULT come from the table's CREATE text as SQLite keeps it
//! (`dflt_value` is the default expression's text); the hidden write-time column of a
//! table with `ttl` is the engine's own and not listed.

use std::collections::HashMap;

use ember_storage::Value;
use sqlparser::ast::{self, ColumnOption, Statement};

use crate::bind::ColumnOrigin;
use crate::catalog::{
    parse_one, sqlite_indexes, Catalog, SqliteIndex, TableDef, ViewDef, HEADER_TABLE,
};
use crate::error::Result;
use crate::expr::Affinity;

use super::super::Row;

/// A catalog PRAGMA.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogPragma {
    TableInfo,
    TableXInfo,
    IndexList,
    IndexInfo,
    IndexXInfo,
    ForeignKeyList,
    TableList,
}

const TABLE_INFO_COLUMNS: &[&str] = &["cid", "name", "type", "notnull", "dflt_value", "pk"];
const TABLE_XINFO_COLUMNS: &[&str] = &[
    "cid",
    "name",
    "type",
    "notnull",
    "dflt_value",
    "pk",
    "hidden",
];
const INDEX_LIST_COLUMNS: &[&str] = &["seq", "name", "unique", "origin", "partial"];
const INDEX_INFO_COLUMNS: &[&str] = &["seqno", "cid", "name"];
const INDEX_XINFO_COLUMNS: &[&str] = &["seqno", "cid", "name", "desc", "coll", "key"];
/// `PRAGMA foreign_key_list`'s columns.
pub const FOREIGN_KEY_LIST_COLUMNS: &[&str] = &[
    "id",
    "seq",
    "table",
    "from",
    "to",
    "on_update",
    "on_delete",
    "match",
];

/// `PRAGMA table_list`'s columns.
const TABLE_LIST_COLUMNS: &[&str] = &["schema", "name", "type", "ncol", "wr", "strict"];

/// `PRAGMA database_list`'s columns (also `pragma_database_list`'s, which has no hidden
/// ones: the PRAGMA takes no argument).
pub const DATABASE_LIST_COLUMNS: &[&str] = &["seq", "name", "file"];

/// `PRAGMA database_list`'s rows, as SQLite lists them: `main` with the database's `file`
/// ('' in memory), then `temp` ('') once the connection made a temporary object
/// (`has_temp`).
pub fn database_list_rows(file: &str, has_temp: bool) -> Vec<Row> {
    let row = |seq: i64, name: &str, file: &str| {
        vec![
            Value::Integer(seq),
            Value::Text(name.into()),
            Value::Text(file.into()),
        ]
    };
    let mut rows = vec![row(0, "main", file)];
    if has_temp {
        rows.push(row(1, "temp", ""));
    }
    rows
}

/// The hidden columns of a table-valued PRAGMA: its argument and its schema.
pub const PRAGMA_FUNCTION_HIDDEN_COLUMNS: &[&str] = &["arg", "schema"];

impl CatalogPragma {
    /// The PRAGMA named `name` (any case).
    pub fn by_name(name: &str) -> Option<CatalogPragma> {
        Some(match name.to_ascii_lowercase().as_str() {
            "table_info" => CatalogPragma::TableInfo,
            "table_xinfo" => CatalogPragma::TableXInfo,
            "index_list" => CatalogPragma::IndexList,
            "index_info" => CatalogPragma::IndexInfo,
            "index_xinfo" => CatalogPragma::IndexXInfo,
            "foreign_key_list" => CatalogPragma::ForeignKeyList,
            "table_list" => CatalogPragma::TableList,
            _ => return None,
        })
    }

    /// The PRAGMA of the table-valued function `name` (`pragma_table_info`, ..).
    pub fn by_function_name(name: &str) -> Option<CatalogPragma> {
        let lower = name.to_ascii_lowercase();
        CatalogPragma::by_name(lower.strip_prefix("pragma_")?)
    }

    pub fn name(self) -> &'static str {
        match self {
            CatalogPragma::TableInfo => "table_info",
            CatalogPragma::TableXInfo => "table_xinfo",
            CatalogPragma::IndexList => "index_list",
            CatalogPragma::IndexInfo => "index_info",
            CatalogPragma::IndexXInfo => "index_xinfo",
            CatalogPragma::ForeignKeyList => "foreign_key_list",
            CatalogPragma::TableList => "table_list",
        }
    }

    /// The columns of its rows (the table-valued form adds `PRAGMA_FUNCTION_HIDDEN_COLUMNS`).
    pub fn columns(self) -> &'static [&'static str] {
        match self {
            CatalogPragma::TableInfo => TABLE_INFO_COLUMNS,
            CatalogPragma::TableXInfo => TABLE_XINFO_COLUMNS,
            CatalogPragma::IndexList => INDEX_LIST_COLUMNS,
            CatalogPragma::IndexInfo => INDEX_INFO_COLUMNS,
            CatalogPragma::IndexXInfo => INDEX_XINFO_COLUMNS,
            CatalogPragma::ForeignKeyList => FOREIGN_KEY_LIST_COLUMNS,
            CatalogPragma::TableList => TABLE_LIST_COLUMNS,
        }
    }

    /// Its rows for the object named `arg` (`None` or an unknown name: none). The columns of
    /// a view come from binding its query, which fails as SQLite's does when a table it
    /// reads is gone.
    pub fn rows(self, catalog: &Catalog, arg: Option<&str>) -> Result<Vec<Row>> {
        if self == CatalogPragma::TableList {
            // `main`'s, then the temporary schema's when `catalog` has one.
            let mut rows = table_list_rows(catalog.main_schema(), "main", arg);
            if let Some(temp) = catalog.temp() {
                rows.extend(table_list_rows(temp, "temp", arg));
            }
            return Ok(rows);
        }
        let Some(arg) = arg else {
            return Ok(Vec::new());
        };
        Ok(match self {
            CatalogPragma::TableInfo | CatalogPragma::TableXInfo => {
                let extended = self == CatalogPragma::TableXInfo;
                match (catalog.table(arg), catalog.view(arg)) {
                    (Some(table), _) => column_rows(table, extended),
                    (None, Some(view)) => view_column_rows(catalog, view, extended)?,
                    (None, None) => Vec::new(),
                }
            }
            CatalogPragma::IndexList => catalog.table(arg).map(index_list).unwrap_or_default(),
            CatalogPragma::IndexInfo | CatalogPragma::IndexXInfo => {
                index_columns(catalog, arg, self == CatalogPragma::IndexXInfo)
            }
            CatalogPragma::ForeignKeyList => {
                catalog.table(arg).map(foreign_key_rows).unwrap_or_default()
            }
            CatalogPragma::TableList => Vec::new(),
        })
    }
}

/// `PRAGMA table_list`'s rows of the schema `schema` (named `label`): its tables and views
/// by name, or only the one named `only`, and its own schema table (`sqlite_schema`, or
/// `sqlite_temp_schema`), as SQLite lists them: `ncol` counts every column (generated ones
/// too, as `table_xinfo` lists them), `wr` is 1 for a WITHOUT ROWID table, `strict` 1 for a
/// STRICT one.
pub fn table_list_rows(schema: &Catalog, label: &str, only: Option<&str>) -> Vec<Row> {
    let wanted = |name: &str| only.is_none_or(|only| only.eq_ignore_ascii_case(name));
    let row = |name: &str, kind: &str, columns: usize, without_rowid: bool, strict: bool| {
        vec![
            Value::Text(label.into()),
            Value::Text(name.into()),
            Value::Text(kind.into()),
            Value::Integer(columns as i64),
            Value::Integer(i64::from(without_rowid)),
            Value::Integer(i64::from(strict)),
        ]
    };
    let mut rows = Vec::new();
    for table in schema.tables() {
        // The header values' table is the engine's, not one SQLite would have.
        if wanted(&table.name) && !table.name.eq_ignore_ascii_case(HEADER_TABLE) {
            let without_rowid = table.is_without_rowid();
            let columns = column_rows(table, true).len();
            rows.push(row(
                &table.name,
                "table",
                columns,
                without_rowid,
                table.is_strict(),
            ));
        }
    }
    for view in schema.views() {
        if wanted(&view.name) {
            // A view that no longer binds (a table it reads is gone) counts no column.
            let columns = view_column_rows(schema, view, true).map_or(0, |rows| rows.len());
            rows.push(row(&view.name, "view", columns, false, false));
        }
    }
    let own = if label == "temp" {
        "sqlite_temp_schema"
    } else {
        "sqlite_schema"
    };
    if wanted(own) {
        rows.push(row(own, "table", 5, false, false));
    }
    rows
}

/// What a column's definition in the CREATE text says: its declared type, whether it says
/// NOT NULL, and its DEFAULT expression's text.
#[derive(Default)]
struct DeclaredColumn {
    declared_type: String,
    not_null: bool,
    default: Option<String>,
}

/// The declared columns of `table`'s CREATE text, by lowercase name.
fn declared_columns(table: &TableDef) -> HashMap<String, DeclaredColumn> {
    let Ok(Statement::CreateTable(create)) = parse_one(&table.sql) else {
        return HashMap::new();
    };
    create
        .columns
        .iter()
        .map(|column| {
            let declared_type = written_type(&table.sql, column)
                .unwrap_or_else(|| declared_type(&column.data_type));
            let mut declared = DeclaredColumn {
                declared_type,
                ..DeclaredColumn::default()
            };
            for option in &column.options {
                match &option.option {
                    ColumnOption::NotNull => declared.not_null = true,
                    ColumnOption::Default(expr) => declared.default = Some(default_text(expr)),
                    _ => {}
                }
            }
            (column.name.value.to_lowercase(), declared)
        })
        .collect()
}

/// A declared type as the parser prints it (for a CREATE text whose type words cannot be
/// found); none is ''.
fn declared_type(data_type: &ast::DataType) -> String {
    match data_type {
        ast::DataType::Unspecified => String::new(),
        other => other.to_string(),
    }
}

/// The words that end a column's type in its definition (its constraints begin).
const CONSTRAINT_WORDS: &[&str] = &[
    "CONSTRAINT",
    "PRIMARY",
    "NOT",
    "NULL",
    "UNIQUE",
    "CHECK",
    "DEFAULT",
    "COLLATE",
    "REFERENCES",
    "GENERATED",
    "AS",
];

/// `column`'s declared type as SQLite shows it: the text of its type words in `sql` (the
/// CREATE text it was parsed from) as written, `varchar(20)` or `double  precision`, except
/// the standard names INT, INTEGER, REAL, TEXT, BLOB and ANY, upper case. `None` when the
/// text is not found.
fn written_type(sql: &str, column: &ast::ColumnDef) -> Option<String> {
    use sqlparser::tokenizer::{Token, Tokenizer};
    let start = crate::parse::byte_offset(sql, column.name.span.end)?;
    let rest = sql.get(start..)?;
    let tokens = Tokenizer::new(&crate::dialect::EmberDialect::default(), rest)
        .tokenize_with_location()
        .ok()?;
    let (mut first, mut last) = (None, None);
    let mut depth = 0usize;
    for token in &tokens {
        match &token.token {
            Token::Whitespace(_) => continue,
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => break,
            Token::RParen => depth -= 1,
            Token::Comma | Token::SemiColon | Token::EOF if depth == 0 => break,
            Token::Word(word)
                if depth == 0
                    && word.quote_style.is_none()
                    && CONSTRAINT_WORDS
                        .iter()
                        .any(|w| w.eq_ignore_ascii_case(&word.value)) =>
            {
                break
            }
            _ => {}
        }
        first.get_or_insert(token.span.start);
        last = Some(token.span.end);
    }
    let (Some(first), Some(last)) = (first, last) else {
        return Some(String::new());
    };
    let text =
        rest.get(crate::parse::byte_offset(rest, first)?..crate::parse::byte_offset(rest, last)?)?;
    let standard = ["INT", "INTEGER", "REAL", "TEXT", "BLOB", "ANY"]
        .iter()
        .find(|name| name.eq_ignore_ascii_case(text));
    Some(match standard {
        Some(name) => name.to_string(),
        None => text.to_string(),
    })
}

/// A DEFAULT expression's text, without the parentheses of `DEFAULT (expr)`.
fn default_text(expr: &ast::Expr) -> String {
    match expr {
        ast::Expr::Nested(inner) => inner.to_string(),
        other => other.to_string(),
    }
}

/// `table_info` / `table_xinfo` rows.
fn column_rows(table: &TableDef, extended: bool) -> Vec<Row> {
    let declared = declared_columns(table);
    // A WITHOUT ROWID table's key columns are NOT NULL whatever their definition says.
    let key_not_null = table.is_without_rowid();
    // table_info leaves generated columns out and numbers the others without them, as
    // SQLite; table_xinfo shows them (`hidden` 2 for VIRTUAL, 3 for STORED).
    // Numbered among the visible columns (the implicit rowid, first, is not one).
    table
        .visible_columns()
        .enumerate()
        .filter(|(_, (_, column))| extended || column.generated.is_none())
        .enumerate()
        .map(|(shown, (visible, (position, column)))| {
            let cid = if extended { visible } else { shown };
            let found = declared.get(&column.name.to_lowercase());
            let pk = table
                .declared_primary_key()
                .iter()
                .position(|&key| key == position)
                .map_or(0, |at| at as i64 + 1);
            let not_null = match found {
                Some(found) => found.not_null || (key_not_null && pk > 0),
                None => column.not_null && pk == 0,
            };
            let default = match found {
                Some(found) => found.default.clone().map_or(Value::Null, Value::Text),
                None => column
                    .default
                    .as_ref()
                    .map_or(Value::Null, |expr| Value::Text(expr.to_string())),
            };
            let mut row = vec![
                Value::Integer(cid as i64),
                Value::Text(column.name.clone()),
                Value::Text(found.map(|f| f.declared_type.clone()).unwrap_or_default()),
                Value::Integer(i64::from(not_null)),
                default,
                Value::Integer(pk),
            ];
            if extended {
                let hidden = match &column.generated {
                    None => 0,
                    Some(generated) if generated.stored => 3,
                    Some(_) => 2,
                };
                row.push(Value::Integer(hidden));
            }
            row
        })
        .collect()
}

/// `table_info` / `table_xinfo` rows of a view: its columns as its query names them, each
/// with the declared type of the table column it passes through whole (the affinity's name
/// for a CAST or an untyped column, '' for any other expression), never NOT NULL, no
/// default, no key.
fn view_column_rows(catalog: &Catalog, view: &ViewDef, extended: bool) -> Result<Vec<Row>> {
    let columns = crate::bind::Binder::new(catalog).view_columns(view)?;
    // Each table's CREATE text is parsed once, however many of its columns the view reads.
    let mut declared_by_table: HashMap<String, HashMap<String, DeclaredColumn>> = HashMap::new();
    Ok(columns
        .into_iter()
        .enumerate()
        .map(|(cid, (name, origin))| {
            let declared = match &origin {
                Some(ColumnOrigin::Column { table, column }) => declared_by_table
                    .entry(table.name.to_lowercase())
                    .or_insert_with(|| declared_columns(table))
                    .get(&table.columns[*column].name.to_lowercase())
                    .map(|declared| declared.declared_type.clone())
                    .filter(|declared| !declared.is_empty()),
                Some(ColumnOrigin::Cast(_)) | None => None,
            };
            let declared_type = declared
                .or_else(|| origin.map(|origin| affinity_type_name(origin.affinity()).into()))
                .unwrap_or_default();
            let mut row = vec![
                Value::Integer(cid as i64),
                Value::Text(name),
                Value::Text(declared_type),
                Value::Integer(0),
                Value::Null,
                Value::Integer(0),
            ];
            if extended {
                row.push(Value::Integer(0));
            }
            row
        })
        .collect())
}

/// The type SQLite names a view column with no declared type of its own by (a CAST, or a
/// table column declared without a type).
fn affinity_type_name(affinity: Affinity) -> &'static str {
    match affinity {
        Affinity::Integer => "INT",
        Affinity::Real => "REAL",
        Affinity::Text => "TEXT",
        Affinity::Numeric => "NUM",
        Affinity::Blob => "BLOB",
    }
}

/// `index_list` rows: newest index first, as SQLite lists them.
fn index_list(table: &std::sync::Arc<TableDef>) -> Vec<Row> {
    sqlite_indexes(table)
        .into_iter()
        .rev()
        .enumerate()
        .map(|(seq, index)| {
            vec![
                Value::Integer(seq as i64),
                Value::Text(index.name),
                Value::Integer(i64::from(index.unique)),
                Value::Text(index.origin.code().to_string()),
                Value::Integer(i64::from(index.partial)),
            ]
        })
        .collect()
}

/// `index_info` / `index_xinfo` rows of the index named `name`: its key columns, and for
/// `index_xinfo` then the rowid every index entry also holds (cid -1, not a key).
fn index_columns(catalog: &Catalog, name: &str, extended: bool) -> Vec<Row> {
    let found = catalog.tables().into_iter().find_map(|table| {
        sqlite_indexes(table)
            .into_iter()
            .find(|index| index.name.eq_ignore_ascii_case(name))
            .map(|index| (table, index))
    });
    let Some((table, index)) = found else {
        return Vec::new();
    };
    let SqliteIndex { columns, .. } = index;
    // A cid counts the table's visible columns, as `table_xinfo` does: not the implicit
    // rowid, which is first (and whose own cid is -1).
    let hidden_first = i64::from(table.has_implicit_rowid());
    let mut rows: Vec<Row> = columns
        .into_iter()
        .enumerate()
        .map(|(seqno, key)| {
            // An expression has cid -2 and no name, as SQLite shows it.
            let (cid, name) = match key.column {
                Some(column) => (
                    column as i64 - hidden_first,
                    Value::Text(table.columns[column].name.clone()),
                ),
                None => (-2, Value::Null),
            };
            let mut row = vec![Value::Integer(seqno as i64), Value::Integer(cid), name];
            if extended {
                row.extend([
                    Value::Integer(i64::from(key.descending)),
                    Value::Text(key.collation),
                    Value::Integer(1),
                ]);
            }
            row
        })
        .collect();
    if extended {
        rows.push(vec![
            Value::Integer(rows.len() as i64),
            Value::Integer(-1),
            Value::Null,
            Value::Integer(0),
            Value::Text("BINARY".to_string()),
            Value::Integer(0),
        ]);
    }
    rows
}

/// `foreign_key_list` rows: one per column of each foreign key, numbered as SQLite numbers
/// them (the last defined key is 0).
fn foreign_key_rows(table: &std::sync::Arc<TableDef>) -> Vec<Row> {
    let text = |s: &str| Value::Text(s.into());
    let mut rows = Vec::new();
    for (id, key) in table.constraints.foreign_keys.iter().rev().enumerate() {
        for (seq, &column) in key.columns.iter().enumerate() {
            let to = key.parent_columns.get(seq).map_or(Value::Null, |c| text(c));
            rows.push(vec![
                Value::Integer(id as i64),
                Value::Integer(seq as i64),
                text(&key.parent),
                text(&table.columns[column].name),
                to,
                text(&key.on_update.to_string()),
                text(&key.on_delete.to_string()),
                text("NONE"),
            ]);
        }
    }
    rows
}
