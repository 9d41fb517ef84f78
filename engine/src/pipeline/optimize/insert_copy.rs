//! The row copy rule (SQLite's transfer optimization): a batched `INSERT INTO t2 SELECT *
//! FROM t` copies the rows of `t` as they are encoded (`InsertWrite::CopyRows`) when every
//! row of `t` is, unchanged, a valid row of `t2` that `t2` decodes to the same values:
//!
//! - the source is a full scan of one other table with no filter (or a constant true one:
//!   `TableAccess::reaches_every_row`), giving every column in table order into every
//!   column of the target (`Insert::copied_scan`);
//! - column by column, the same type, affinity and collation; a NOT NULL or STRICT target
//!   column only where the source column is as strict;
//! - the same primary key (columns and INTEGER PRIMARY KEY), so a source row's key is its
//!   key in the target and a repeated key fails as it does when rows are decoded;
//! - storage encodes the rows of both tables alike (`Table::encodes_like`: the same column
//!   types, the same columns added by ALTER TABLE ADD COLUMN with the same values for the
//!   rows written before them, the same key collations).
//!
//! The batched path's own conditions (`batchable`) hold already: no conflict clause but
//! ABORT, no RETURNING, upsert, AUTOINCREMENT, trigger, CHECK, FOREIGN KEY, generated
//! column or expiry on the target. Defaults never apply (every column is given).

use std::sync::Arc;

use crate::catalog::{ColumnDef, TableDef};
use crate::plan::{Insert, Node};

/// Whether `insert`, which the batched path may write, copies its rows (see the module
/// comment).
pub(super) fn copies_rows(insert: &Insert) -> bool {
    let Some(Node::Scan(access)) = insert.copied_scan() else {
        return false;
    };
    let (source, target) = (&*access.table, &*insert.table);
    access.reaches_every_row()
        && !Arc::ptr_eq(&source.storage, &target.storage)
        && same_keys(source, target)
        && source.columns.len() == target.columns.len()
        && source
            .columns
            .iter()
            .zip(&target.columns)
            .all(|(from, to)| copies_column(from, to))
        && target.storage.encodes_like(&source.storage)
}

/// Whether both tables key their rows by the same columns.
fn same_keys(source: &TableDef, target: &TableDef) -> bool {
    source.primary_key == target.primary_key && source.rowid_column == target.rowid_column
}

/// Whether every value of column `from` is as it is a valid value of column `to`.
fn copies_column(from: &ColumnDef, to: &ColumnDef) -> bool {
    let strict_type = |column: &ColumnDef| column.strict.as_ref().map(|strict| strict.type_name);
    from.data_type == to.data_type
        && from.affinity == to.affinity
        && from.collation == to.collation
        && (from.not_null || !to.not_null)
        && (to.strict.is_none() || strict_type(from) == strict_type(to))
        && !from.hidden
        && !to.hidden
        && to.generated.is_none()
}
