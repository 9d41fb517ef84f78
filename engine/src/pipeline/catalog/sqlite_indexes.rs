//! A table's indexes as SQLite lists them (`sqlite_schema`, `PRAGMA index_list`,
//! `index_info`, `index_xinfo`): first the automatic indexes of its PRIMARY KEY (unless it
//! is the INTEGER PRIMARY KEY, the rowid) and UNIQUE constraints, in the order the CREATE
//! TABLE text gives them, a constraint on the same columns as an earlier one making none,
//! named `sqlite_autoindex_<table>_<n>`; then the indexes CREATE INDEX made, in creation
//! order. The engine keeps a PRIMARY KEY as the table's own key, not an index, and names its
//! UNIQUE indexes `ember_autoindex_..`; this is the SQLite face of both.

use sqlparser::ast::{self, ColumnOption, Statement, TableConstraint};

use super::{parse_one, TableDef};

/// Why an index exists (`PRAGMA index_list`'s `origin`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IndexOrigin {
    /// CREATE INDEX (`c`).
    Created,
    /// A UNIQUE constraint (`u`).
    Unique,
    /// The PRIMARY KEY (`pk`).
    PrimaryKey,
}

impl IndexOrigin {
    pub fn code(self) -> &'static str {
        match self {
            IndexOrigin::Created => "c",
            IndexOrigin::Unique => "u",
            IndexOrigin::PrimaryKey => "pk",
        }
    }
}

/// One key column of an index.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IndexKeyColumn {
    /// Position in the table; `None` for an expression (SQLite's cid -2).
    pub column: Option<usize>,
    pub descending: bool,
    /// The collation's name: as the index names it, else the column's.
    pub collation: String,
}

/// An index as SQLite shows it.
#[derive(Debug, Clone)]
pub struct SqliteIndex {
    pub name: String,
    pub origin: IndexOrigin,
    pub unique: bool,
    /// A partial index (CREATE INDEX .. WHERE).
    pub partial: bool,
    pub columns: Vec<IndexKeyColumn>,
    /// The CREATE INDEX text; `None` for an automatic index.
    pub sql: Option<String>,
}

/// `table`'s indexes, automatic ones first (see the module comment).
pub fn sqlite_indexes(table: &TableDef) -> Vec<SqliteIndex> {
    let mut indexes: Vec<SqliteIndex> = Vec::new();
    for (origin, columns) in constraint_keys(table) {
        let same = |index: &SqliteIndex| {
            index
                .columns
                .iter()
                .map(|c| c.column)
                .eq(columns.iter().map(|c| c.column))
        };
        if columns.is_empty() || indexes.iter().any(same) {
            continue;
        }
        indexes.push(SqliteIndex {
            name: format!("sqlite_autoindex_{}_{}", table.name, indexes.len() + 1),
            origin,
            unique: true,
            partial: false,
            columns,
            sql: None,
        });
    }
    for index in &table.indexes {
        let Some(sql) = &index.sql else {
            continue;
        };
        let columns = created_index_columns(table, sql).unwrap_or_else(|| {
            index
                .columns
                .iter()
                .map(|&column| plain_key_column(table, column))
                .collect()
        });
        indexes.push(SqliteIndex {
            name: index.name.clone(),
            origin: IndexOrigin::Created,
            unique: index.unique,
            partial: index.is_partial(),
            columns,
            sql: Some(sql.clone()),
        });
    }
    indexes
}

fn plain_key_column(table: &TableDef, column: usize) -> IndexKeyColumn {
    IndexKeyColumn {
        column: Some(column),
        descending: false,
        collation: table.columns[column].collation.name().to_string(),
    }
}

/// The key columns of an index column list (`a DESC`, `b COLLATE NOCASE`, an expression
/// such as `lower(c)`, which has no column); `None` when a name is not a column of `table`.
fn key_columns(table: &TableDef, list: &[ast::IndexColumn]) -> Option<Vec<IndexKeyColumn>> {
    list.iter()
        .map(|item| {
            let (expr, collation) = match &item.column.expr {
                ast::Expr::Collate { expr, collation } => (
                    expr.as_ref(),
                    Some(collation.to_string().trim_matches('"').to_string()),
                ),
                other => (other, None),
            };
            let column = match expr {
                ast::Expr::Identifier(ident) => Some(table.column_index(&ident.value)?),
                // An expression is BINARY unless it names a collation.
                _ => None,
            };
            let collation = collation.unwrap_or_else(|| match column {
                Some(column) => table.columns[column].collation.name().to_string(),
                None => "BINARY".to_string(),
            });
            Some(IndexKeyColumn {
                column,
                descending: matches!(item.column.options.sort, Some(ast::OrderBySort::Desc)),
                collation,
            })
        })
        .collect()
}

/// The columns of a CREATE INDEX text, if it parses as one over `table`'s columns.
fn created_index_columns(table: &TableDef, sql: &str) -> Option<Vec<IndexKeyColumn>> {
    match parse_one(sql).ok()? {
        Statement::CreateIndex(create) => key_columns(table, &create.columns),
        _ => None,
    }
}

/// The PRIMARY KEY (unless it is the rowid) and UNIQUE constraints of `table`'s CREATE
/// TABLE text, in text order. A text that does not parse gives the definition's keys.
fn constraint_keys(table: &TableDef) -> Vec<(IndexOrigin, Vec<IndexKeyColumn>)> {
    let create = match parse_one(&table.sql) {
        Ok(Statement::CreateTable(create)) if !create.columns.is_empty() => create,
        _ => return definition_keys(table),
    };
    let rowid = table.rowid_column;
    let is_rowid = |columns: &[IndexKeyColumn]| {
        rowid.is_some() && matches!(columns, [only] if only.column == rowid)
    };
    let mut keys = Vec::new();
    for column in &create.columns {
        let Some(position) = table.column_index(&column.name.value) else {
            continue;
        };
        for option in &column.options {
            let origin = match option.option {
                ColumnOption::PrimaryKey(_) => IndexOrigin::PrimaryKey,
                ColumnOption::Unique(_) => IndexOrigin::Unique,
                _ => continue,
            };
            let key = vec![plain_key_column(table, position)];
            if !(origin == IndexOrigin::PrimaryKey && is_rowid(&key)) {
                keys.push((origin, key));
            }
        }
    }
    for constraint in &create.constraints {
        let (origin, list) = match constraint {
            TableConstraint::PrimaryKey(key) => (IndexOrigin::PrimaryKey, &key.columns),
            TableConstraint::Unique(key) => (IndexOrigin::Unique, &key.columns),
            _ => continue,
        };
        let Some(key) = key_columns(table, list) else {
            continue;
        };
        if !(origin == IndexOrigin::PrimaryKey && is_rowid(&key)) {
            keys.push((origin, key));
        }
    }
    keys
}

/// The keys of a definition whose text gives none: the primary key (unless the rowid),
/// then the unique column sets.
fn definition_keys(table: &TableDef) -> Vec<(IndexOrigin, Vec<IndexKeyColumn>)> {
    let plain = |columns: &[usize]| -> Vec<IndexKeyColumn> {
        columns
            .iter()
            .map(|&c| plain_key_column(table, c))
            .collect()
    };
    // A PRIMARY KEY kept as a UNIQUE constraint is the first of `unique`: shown once, as
    // the key.
    debug_assert!(
        table.keyed_by_unique.is_empty() || table.unique.first() == Some(&table.keyed_by_unique)
    );
    let declared = table.declared_primary_key();
    let is_rowid = matches!(declared, [only] if table.rowid_column == Some(*only));
    let primary =
        (!is_rowid && !declared.is_empty()).then(|| (IndexOrigin::PrimaryKey, plain(declared)));
    primary
        .into_iter()
        .chain(
            table
                .unique
                .iter()
                .skip(usize::from(!table.keyed_by_unique.is_empty()))
                .map(|set| (IndexOrigin::Unique, plain(set))),
        )
        .collect()
}
