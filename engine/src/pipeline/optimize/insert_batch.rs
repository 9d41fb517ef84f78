//! How an INSERT writes its rows: those of a query source in batches
//! (`InsertWrite::Batched`: each batch's rows linked, then each index's entries added at
//! once, `exec::write::insert_batch`) when no row needs the row-by-row path. That path stays for
//! `VALUES` (each row is evaluated after the rows before it went in; so is a query's
//! projection that reads `last_insert_rowid()`, `Insert::projection_each_row`), a conflict clause
//! other than ABORT, ON CONFLICT (upsert), RETURNING, an AUTOINCREMENT table, a table with
//! triggers, CHECK or FOREIGN KEY constraints, generated columns, or rows that expire
//! (`expire_at`, `ttl`: a key held by an expired row is freed on conflict).
//! A batched INSERT whose rows are another table's, encoded alike, copies them as they are
//! encoded instead (`InsertWrite::CopyRows`, `insert_copy.rs`).

use crate::plan::{Insert, InsertWrite, Node, OnConflict};

/// Chooses how `insert` writes its rows; `has_triggers`: the target table has triggers.
pub fn batch_insert(insert: &mut Insert, has_triggers: bool) {
    insert.write = if projects_each_row(insert, has_triggers) {
        InsertWrite::EachRowProjected
    } else if !batchable(insert, has_triggers) {
        InsertWrite::RowByRow
    } else if super::insert_copy::copies_rows(insert) {
        InsertWrite::CopyRows
    } else {
        InsertWrite::Batched
    };
}

/// Whether `insert`'s rows are projected one at a time, each just before it goes in: its
/// projection reads `last_insert_rowid()` over a source whose rows stream
/// (`Insert::projection_each_row`), into a table without triggers (SQLite runs the source
/// of a table with triggers to its end first).
pub fn projects_each_row(insert: &Insert, has_triggers: bool) -> bool {
    !has_triggers && insert.projection_each_row().is_some()
}

/// Whether no row of `insert` needs the row-by-row path (see the module comment).
fn batchable(insert: &Insert, has_triggers: bool) -> bool {
    let table = &insert.table;
    !matches!(insert.source, Node::Values { .. })
        && insert.on_conflict == OnConflict::Abort
        && insert.upsert.is_none()
        && insert.returning.is_none()
        && insert.sequence.is_none()
        && !has_triggers
        && table.constraints.is_empty()
        && !table.has_generated()
        && !table.expires()
}
