//! What a table-valued function call reads (`TableFunctionScan::function`): a JSON
//! function, a catalog PRAGMA's table-valued form, `generate_series`, or
//! `pragma_database_list`; its columns and its name in EXPLAIN.

use std::sync::Arc;

use crate::exec::schema::catalog_pragma::DATABASE_LIST_COLUMNS;
use crate::exec::Row;

/// What a table-valued function call reads.
pub enum TableFunctionKind {
    /// `json_each` / `json_tree`.
    Json(crate::expr::TableFunction),
    /// A catalog PRAGMA's table-valued form (`pragma_table_info('t')`), over the catalog
    /// the statement was bound with (a schema change binds the statement again).
    Pragma(
        crate::exec::schema::catalog_pragma::CatalogPragma,
        Arc<crate::catalog::Catalog>,
    ),
    /// `generate_series(start[, stop[, step]])` (`expr/series.rs`).
    Series,
    /// `pragma_database_list`: the rows `PRAGMA database_list` gives, made when the
    /// statement was bound (the database's file and whether the connection's catalog had
    /// temporary objects then; a change of the latter binds the statement again).
    DatabaseList(Vec<Row>),
}

impl TableFunctionKind {
    /// Every column of its rows, the hidden ones last.
    pub fn column_names(&self) -> Vec<&'static str> {
        match self {
            TableFunctionKind::Json(_) => crate::expr::TABLE_FUNCTION_COLUMNS.to_vec(),
            TableFunctionKind::Pragma(pragma, _) => pragma
                .columns()
                .iter()
                .chain(crate::exec::schema::catalog_pragma::PRAGMA_FUNCTION_HIDDEN_COLUMNS)
                .copied()
                .collect(),
            TableFunctionKind::Series => crate::expr::SERIES_COLUMNS.to_vec(),
            TableFunctionKind::DatabaseList(_) => DATABASE_LIST_COLUMNS.to_vec(),
        }
    }

    /// How many leading columns `SELECT *` shows.
    pub fn visible_columns(&self) -> usize {
        match self {
            TableFunctionKind::Json(_) => crate::expr::TABLE_FUNCTION_VISIBLE_COLUMNS,
            TableFunctionKind::Pragma(pragma, _) => pragma.columns().len(),
            TableFunctionKind::Series => crate::expr::SERIES_VISIBLE_COLUMNS,
            TableFunctionKind::DatabaseList(_) => DATABASE_LIST_COLUMNS.len(),
        }
    }
}

impl std::fmt::Display for TableFunctionKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            TableFunctionKind::Json(function) => write!(f, "{function}"),
            TableFunctionKind::Pragma(pragma, _) => write!(f, "pragma_{}", pragma.name()),
            TableFunctionKind::Series => write!(f, "generate_series"),
            TableFunctionKind::DatabaseList(_) => write!(f, "pragma_database_list"),
        }
    }
}
