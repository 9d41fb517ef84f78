//! Table and column definitions as the SQL layer sees them: names, declared types,
//! constraints, defaults, and the storage table that holds the rows.

use std::sync::Arc;

use ember_storage::{DataType, Table};

use crate::expr::Expr;

/// One column of a table.
#[derive(Clone)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    /// Evaluated for each inserted row that gives no value (constant expressions only).
    pub default: Option<Expr>,
}

/// A table: its columns, keys and the storage that holds its rows.
#[derive(Clone)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Column positions of the primary key; empty when the table has none.
    pub primary_key: Vec<usize>,
    /// Column sets that must be unique (UNIQUE constraints), NULLs never conflicting.
    pub unique: Vec<Vec<usize>>,
    /// The CREATE TABLE statement, normalized, as `.schema` shows it.
    pub sql: String,
    pub storage: Arc<Table>,
}

impl TableDef {
    /// Position of a column by name, case-insensitively.
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|column| column.name.eq_ignore_ascii_case(name))
    }

    pub fn column_types(&self) -> Vec<DataType> {
        self.columns.iter().map(|column| column.data_type).collect()
    }
}
