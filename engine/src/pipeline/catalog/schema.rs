//! Table, column and index definitions as the SQL layer sees them: names, declared types,
//! constraints, defaults, secondary indexes, and the storage table that holds the rows.

use std::sync::Arc;

use ember_storage::index::SecondaryIndex;
use ember_storage::{DataType, Table};

use crate::expr::{Affinity, Collation, ColumnMeta, Expr};

/// The table that keeps, per AUTOINCREMENT table (`name`), the largest key it ever held
/// (`seq`), as SQLite's does; created with the first AUTOINCREMENT table.
pub const SEQUENCE_TABLE: &str = "sqlite_sequence";

/// Its CREATE statement (IF NOT EXISTS: recovery may meet it after a table that made it).
pub const SEQUENCE_TABLE_SQL: &str = "CREATE TABLE IF NOT EXISTS sqlite_sequence(name, seq)";

/// The table that keeps the database's header values SQLite keeps in its file header
/// (`PRAGMA user_version`, `application_id`: `name`, `value`), created by the first PRAGMA
/// that sets one. Its rows are written in the setting transaction, so ROLLBACK undoes a
/// set and the WAL and snapshots keep it like any table; `sqlite_schema`, `.tables`,
/// `.schema` and `.dump` leave it out.
pub const HEADER_TABLE: &str = "sqlite_ember_header";

/// Its CREATE statement.
pub const HEADER_TABLE_SQL: &str =
    "CREATE TABLE IF NOT EXISTS sqlite_ember_header(name TEXT PRIMARY KEY, value INTEGER)";

/// The name of the hidden last column of a table with `WITH (ttl = ..)`: each row's write
/// time, unix milliseconds (catalog/options.rs).
pub const WRITE_TIME_COLUMN: &str = "_ember_written";

/// One column of a table.
#[derive(Clone)]
pub struct ColumnDef {
    pub name: String,
    pub data_type: DataType,
    pub not_null: bool,
    /// Evaluated for each inserted row that gives no value (constant expressions only).
    pub default: Option<Expr>,
    /// SQLite's affinity of the declared type (comparisons and, for ANY columns, inserts
    /// follow it: a NUMERIC column stores '1.0' as 1).
    pub affinity: Affinity,
    /// `COLLATE name` of the definition (BINARY without one).
    pub collation: Collation,
    /// The engine's own column, not the user's: the row write time of a table with `ttl`
    /// (`WRITE_TIME_COLUMN`) or the implicit rowid (`IMPLICIT_ROWID_COLUMN`). `SELECT *`
    /// and `INSERT` without a column list leave it out, no statement names it by its name
    /// (the rowid's names reach the implicit rowid), and it is not in the CREATE TABLE text.
    pub hidden: bool,
    /// A column of a STRICT table (`bind/strict.rs`): its values convert only losslessly and
    /// as its type allows, else the write fails with SQLite's error.
    pub strict: Option<StrictColumn>,
    /// `GENERATED ALWAYS AS (expr) VIRTUAL|STORED` (also `AS (expr)`): the column's value
    /// is computed from the row's other columns on every write (`exec/write/generated.rs`) and
    /// no statement writes it.
    pub generated: Option<Box<GeneratedColumn>>,
}

/// The expression of a generated column, bound over its table's row. EmberDB stores the
/// values of VIRTUAL and STORED columns alike; `stored` is what the definition says (PRAGMA
/// table_xinfo shows it as `hidden` 3, VIRTUAL as 2).
#[derive(Clone, Debug)]
pub struct GeneratedColumn {
    pub expr: Expr,
    pub stored: bool,
}

/// What a STRICT table's column knows for its errors: the table's name and the column's
/// type as SQLite names it (`INT`, `INTEGER`, `REAL`, `TEXT`, `BLOB`, `ANY`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StrictColumn {
    pub table: String,
    pub type_name: &'static str,
}

impl ColumnDef {
    /// The hidden write-time column of a table with `ttl` (`WRITE_TIME_COLUMN`).
    pub fn write_time() -> ColumnDef {
        ColumnDef::hidden_integer(WRITE_TIME_COLUMN, false)
    }

    /// A hidden INTEGER column named `name` (no statement names it unless asked to).
    pub(super) fn hidden_integer(name: &str, not_null: bool) -> ColumnDef {
        ColumnDef {
            name: name.to_string(),
            data_type: DataType::Integer,
            not_null,
            default: None,
            affinity: Affinity::Integer,
            collation: Collation::Binary,
            hidden: true,
            strict: None,
            generated: None,
        }
    }

    /// What a reference to this column carries into comparisons.
    pub fn meta(&self) -> ColumnMeta {
        ColumnMeta {
            affinity: Some(self.affinity),
            collation: self.collation,
        }
    }
}

/// A table: its columns, keys and the storage that holds its rows.
#[derive(Clone)]
pub struct TableDef {
    pub name: String,
    pub columns: Vec<ColumnDef>,
    /// Column positions of the key the table is stored clustered on; empty when it has
    /// none. For a table with the implicit rowid it is the rowid (see `keyed_by_unique`).
    pub primary_key: Vec<usize>,
    /// The declared PRIMARY KEY of a table with the implicit rowid (one that is not a single
    /// INTEGER column): kept as a UNIQUE constraint, also in `unique`, whose index is the
    /// table's first; NULLs allowed unless NOT NULL. Empty for every other table.
    pub keyed_by_unique: Vec<usize>,
    /// Column sets that must be unique (UNIQUE constraints), NULLs never conflicting.
    pub unique: Vec<Vec<usize>>,
    /// The CREATE TABLE statement, normalized, as `.schema` shows it.
    pub sql: String,
    pub storage: Arc<Table>,
    /// Secondary indexes: one per UNIQUE constraint (created with the table), then those
    /// CREATE INDEX added, in creation order.
    pub indexes: Vec<IndexDef>,
    /// The INTEGER PRIMARY KEY column, SQLite's rowid alias (`rowid`, `oid`, `_rowid_`
    /// name it; a key is assigned when an INSERT gives none), if the table has one: a
    /// declared one, or the hidden first column of a table without (`implicit_rowid.rs`).
    pub rowid_column: Option<usize>,
    /// AUTOINCREMENT: assigned keys never reuse one used before (`sqlite_sequence`).
    pub autoincrement: bool,
    /// CHECK and FOREIGN KEY constraints (catalog/constraint.rs).
    pub constraints: super::TableConstraints,
    /// `WITH (..)` / `ALTER TABLE .. SET (..)` options (catalog/options.rs).
    pub options: super::TableOptions,
    /// Expired rows the collector deleted from this table (`ember_tables.rows_expired`);
    /// shared by every version of the definition.
    pub rows_expired: Arc<std::sync::atomic::AtomicU64>,
}

/// A secondary hash index of a table.
#[derive(Clone)]
pub struct IndexDef {
    pub name: String,
    /// Indexed column positions, in key order; empty for an index on expressions, whose
    /// key parts are `keys.parts`.
    pub columns: Vec<usize>,
    pub unique: bool,
    /// The CREATE INDEX statement; `None` for the index of a UNIQUE constraint, which the
    /// CREATE TABLE statement recreates.
    pub sql: Option<String>,
    /// A partial index's WHERE clause (shared with storage, where it decides which rows
    /// the index holds); `None`: every row.
    pub predicate: Option<Arc<super::IndexPredicate>>,
    /// How storage derives the keys of a partial index or an index on expressions (the
    /// predicate and the key parts); `None`: the columns' values, for every row.
    pub keys: Option<Arc<super::IndexKeys>>,
    pub storage: Arc<SecondaryIndex>,
}

impl IndexDef {
    /// Whether the index holds only the rows its WHERE clause accepts.
    pub fn is_partial(&self) -> bool {
        self.predicate.is_some()
    }

    /// Whether the index holds every row under its columns' values (neither partial nor on
    /// expressions): what a lookup by column values (a foreign key's, a conflict target's)
    /// may read through.
    pub fn is_plain(&self) -> bool {
        self.keys.is_none()
    }

    /// Whether some key part is an expression (`CREATE INDEX .. ON t(lower(a))`): then
    /// `columns` is empty and no key part may be taken for a column's value.
    pub fn on_expressions(&self) -> bool {
        self.keys.as_ref().is_some_and(|keys| keys.on_expressions())
    }

    /// How key part `position` reads in EXPLAIN: the column's name, the expression's text
    /// (`?` past the last part).
    pub fn part_name(&self, position: usize, table: &TableDef) -> String {
        match self.keys.as_ref().filter(|keys| keys.on_expressions()) {
            Some(keys) => keys
                .parts
                .get(position)
                .map_or_else(|| "?".to_string(), |part| part.to_string()),
            None => self
                .columns
                .get(position)
                .map_or_else(|| "?".to_string(), |&c| table.columns[c].name.clone()),
        }
    }

    /// Key parts joined with ", ": the columns' names, an expression's text.
    pub fn column_list(&self, table: &TableDef) -> String {
        let names: Vec<String> = match self.keys.as_ref().filter(|keys| keys.on_expressions()) {
            Some(keys) => keys.parts.iter().map(|part| part.to_string()).collect(),
            None => self
                .columns
                .iter()
                .map(|&c| table.columns[c].name.clone())
                .collect(),
        };
        names.join(", ")
    }
}

impl TableDef {
    /// Whether the table was created STRICT (its user columns are; hidden ones never).
    pub fn is_strict(&self) -> bool {
        self.columns
            .iter()
            .find(|c| !c.hidden)
            .is_some_and(|c| c.strict.is_some())
    }

    /// Position of a column by name, case-insensitively (the hidden write-time column
    /// has none: no statement names it).
    pub fn column_index(&self, name: &str) -> Option<usize> {
        self.columns
            .iter()
            .position(|column| !column.hidden && column.name.eq_ignore_ascii_case(name))
    }

    /// The hidden column holding each row's write time, for a table with `ttl` (its last).
    #[inline]
    pub fn write_time_column(&self) -> Option<usize> {
        self.options.ttl_ms.map(|_| {
            debug_assert!(self.columns.last().is_some_and(|c| c.hidden));
            self.columns.len() - 1
        })
    }

    /// Whether rows of this table expire (`expire_at` or `ttl`).
    #[inline]
    pub fn expires(&self) -> bool {
        self.options.expire_at.is_some() || self.options.ttl_ms.is_some()
    }

    /// The expiry time of a stored row of this table, unix milliseconds (`None`: never):
    /// the earliest of its `expire_at` value and its write time plus the `ttl`.
    pub fn row_expiry_ms(&self, row: &[ember_storage::Value]) -> Option<f64> {
        let null = ember_storage::Value::Null;
        let expire = self.options.expire_at.and_then(|c| row.get(c));
        let written = self.write_time_column().and_then(|c| row.get(c));
        let ttl = self.options.ttl_ms.map(|ms| ms as i64);
        crate::expr::row_expiry_ms(expire.unwrap_or(&null), written.zip(ttl))
    }

    /// Whether some index derives its keys (a partial index, an index on expressions):
    /// then every written row's keys are derived first (`exec::write::derived_keys`).
    pub fn derives_index_keys(&self) -> bool {
        self.indexes.iter().any(|index| !index.is_plain())
    }

    /// Whether some column is generated (`ColumnDef::generated`).
    pub fn has_generated(&self) -> bool {
        self.columns.iter().any(|column| column.generated.is_some())
    }

    /// The columns a user sees (`SELECT *`, `.dump`): all but the hidden one.
    pub fn visible_columns(&self) -> impl Iterator<Item = (usize, &ColumnDef)> {
        self.columns
            .iter()
            .enumerate()
            .filter(|(_, column)| !column.hidden)
    }

    /// The index named `name` (case-insensitively).
    pub fn index(&self, name: &str) -> Option<&IndexDef> {
        self.indexes
            .iter()
            .find(|index| index.name.eq_ignore_ascii_case(name))
    }

    pub fn column_types(&self) -> Vec<DataType> {
        self.columns.iter().map(|column| column.data_type).collect()
    }
}
