//! ALTER TABLE, bound: the table as the binder saw it and as it will be (columns, stored
//! text, index definitions), plus the storage change an ADD or DROP COLUMN makes.

use std::sync::Arc;

use ember_storage::{DataType, Value};

use crate::catalog::{TableDef, ViewDef};

/// ALTER TABLE .. ADD COLUMN / DROP COLUMN / RENAME COLUMN / RENAME TO.
pub struct AlterTable {
    /// The table the statement was bound against; the change applies only while it is
    /// still the current definition.
    pub before: Arc<TableDef>,
    /// The definition after the change (same storage table).
    pub after: TableDef,
    /// For ADD COLUMN: the new column's storage type and the value rows already written
    /// read for it (its DEFAULT, coerced to the column's type).
    pub added: Option<(DataType, Value)>,
    /// For DROP COLUMN: the dropped column's position in `before`. The rows are copied into
    /// a new storage table without it (`exec/drop_column.rs`); `after.storage` and its
    /// indexes' storage are replaced then.
    pub dropped: Option<usize>,
    /// Views rewritten to name the table's new name (RENAME TO), replacing their old
    /// definitions.
    pub views: Vec<ViewDef>,
    /// The statement's text, logged for recovery.
    pub sql: String,
}
