//! Running an `OrUnion` access (plan/or_union.rs): each branch's lookup or range is read in
//! the OR's order (through `targets::visit_targets`, which rechecks the filter on every
//! row, less what the branch's exact key decides: `optimize/or_union.rs`; a `column IS
//! NULL` branch walks its ordered index's NULL keys here), and a row a branch reaches
//! that an earlier branch already gave is skipped (by row id: a search of the few rows
//! held, a set past `LINEAR_DEDUP_ROWS`), so a DML statement targets each row once.
//! Every read goes through the statement's transaction, so each row is the version its
//! snapshot sees.
//!
//! The rows are collected before any is handed on (`union_rows`); an aggregate is fed each
//! as it is read (`walk_union`, holding only the ids) and starts over when the union gives
//! way. When they pass half the table's rows
//! after a branch (the estimate that chose the union was wrong), or an index a branch reads
//! was dropped after planning, the caller scans instead: the filter gives the same rows.

use std::collections::HashSet;
use std::ops::Bound;

use ember_storage::index::{encode_ordered_part, prefix_successor, KeyCollation};
use ember_storage::{RangeProgress, RangeScratch, RowId, Value};

use crate::catalog::IndexDef;
use crate::error::Result;
use crate::expr::Predicate;
use crate::fast_hash::FastBuildHasher;
use crate::plan::{OrUnion, TableAccess};

use super::super::{ExecContext, Row};

/// Entries a NULL-key walk reads per batch (no epoch stays pinned between batches).
const NULL_KEYS_BATCH: usize = 1024;
/// Rows up to which a union finds a repeated row id by searching the rows it holds; past
/// them it keeps a set of their ids.
const LINEAR_DEDUP_ROWS: usize = 16;

/// The rows (with their ids) `union`, the path of `access`, reaches that pass the filter,
/// each once, in branch order, each with room for `row_capacity` values (copied into the
/// buffers of `spare` while it has any); `None` when the caller should scan instead (see
/// the module comment).
pub(super) fn union_rows(
    access: &TableAccess,
    union: &OrUnion,
    context: &ExecContext<'_>,
    row_capacity: usize,
    spare: &mut Vec<Row>,
) -> Result<Option<Vec<(RowId, Row)>>> {
    let most = crate::optimize::table_rows(&access.table) / 2;
    // The ids of `rows`, once they are too many to search (most unions reach a few rows).
    let mut seen: Option<HashSet<RowId, FastBuildHasher>> = None;
    let mut rows: Vec<(RowId, Row)> = Vec::new();
    for branch in &union.branches {
        let mut keep = |row_id: RowId, values: &[Value]| -> Result<()> {
            let fresh = match &mut seen {
                Some(seen) => seen.insert(row_id),
                None => !rows.iter().any(|&(id, _)| id == row_id),
            };
            if fresh {
                context.check_rows(rows.len())?;
                let mut row = spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(row_capacity.max(values.len())));
                // Overwrites a spare row's values in place (its text buffers reused).
                values.clone_into(&mut row);
                row.reserve(row_capacity.saturating_sub(row.len()));
                rows.push((row_id, row));
                if seen.is_none() && rows.len() > LINEAR_DEDUP_ROWS {
                    seen = Some(rows.iter().map(|&(id, _)| id).collect());
                }
            }
            debug_assert!(seen.as_ref().is_none_or(|seen| seen.len() == rows.len()));
            Ok(())
        };
        match &branch.null_keys {
            Some(index) => {
                if !visit_null_keys(&branch.access, index, context, &mut keep)? {
                    return Ok(None);
                }
            }
            None => super::targets::visit_targets(&branch.access, context, &mut keep)?,
        }
        if rows.len() as u64 > most {
            return Ok(None);
        }
    }
    Ok(Some(rows))
}

/// Hands `visit` each row `union`, the path of `access`, reaches that passes the filter,
/// once, in branch order, as it is read (nothing copied); `false` when the caller should
/// scan instead (see the module comment): `visit` has then seen some of the rows, and
/// whatever it made of them must be thrown away. The ids of the rows visited are held
/// (within the statement's row cap) to find a row a later branch reaches again.
pub(in crate::pipeline::exec) fn walk_union(
    access: &TableAccess,
    union: &OrUnion,
    context: &ExecContext<'_>,
    visit: &mut dyn FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<bool> {
    let most = crate::optimize::table_rows(&access.table) / 2;
    // The ids of the rows visited; once they are too many to search, a set of them (most
    // unions reach a few rows).
    let mut ids: Vec<RowId> = Vec::new();
    let mut seen: Option<HashSet<RowId, FastBuildHasher>> = None;
    for branch in &union.branches {
        let mut keep = |row_id: RowId, values: &[Value]| -> Result<()> {
            let fresh = match &mut seen {
                Some(seen) => seen.insert(row_id),
                None if ids.contains(&row_id) => false,
                None => {
                    ids.push(row_id);
                    true
                }
            };
            if fresh {
                // The rows held before this one, within the row cap.
                let held = seen.as_ref().map_or(ids.len(), HashSet::len) - 1;
                context.check_rows(held)?;
                if seen.is_none() && ids.len() > LINEAR_DEDUP_ROWS {
                    seen = Some(ids.drain(..).collect());
                }
                visit(row_id, values)?;
            }
            Ok(())
        };
        match &branch.null_keys {
            Some(index) => {
                if !visit_null_keys(&branch.access, index, context, &mut keep)? {
                    return Ok(false);
                }
            }
            None => super::targets::visit_targets(&branch.access, context, &mut keep)?,
        }
        let held = seen.as_ref().map_or(ids.len(), HashSet::len);
        if held as u64 > most {
            return Ok(false);
        }
    }
    Ok(true)
}

/// The full scan a union gives way to (`union_rows` gave `None`): every row that passes
/// the filter, to `visit`. Out of line, so the other scans' code stays as it was.
#[inline(never)]
pub(in crate::pipeline::exec) fn scan_instead(
    access: &TableAccess,
    context: &ExecContext<'_>,
    visit: &mut dyn FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    super::scan_slots(access, access.read.decoder(), context, visit)
}

/// Calls `visit` with every row `access` sees whose key in `index` (an ordered index) has
/// NULL for its first part and that passes the access filter (its `key_residual`, when
/// set), in index order; `Ok(false)`
/// when the index no longer exists (nothing was visited).
fn visit_null_keys(
    access: &TableAccess,
    index: &IndexDef,
    context: &ExecContext<'_>,
    visit: &mut dyn FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<bool> {
    let table = &access.table.storage;
    let Some(storage) = table.index(index.storage.id()) else {
        return Ok(false);
    };
    let Some(ordered) = storage.ordered() else {
        return Ok(false);
    };
    let collation = ordered
        .collations()
        .first()
        .copied()
        .unwrap_or(KeyCollation::Binary);
    let mut start = Vec::new();
    encode_ordered_part(&Value::Null, collation, &mut start);
    let upper = match prefix_successor(&start) {
        Some(successor) => Bound::Excluded(successor),
        None => Bound::Unbounded,
    };
    let mut lower = Bound::Included(start);
    // Compiled at the first entry found: most NULL runs are empty.
    let mut filter: Option<Option<Predicate<'_>>> = None;
    let mut scratch = RangeScratch::default();
    let mut buffer = Vec::new();
    loop {
        context.check_interrupt()?;
        let mut failure = None;
        let progress = context.txn.index_range(
            table,
            &storage,
            lower.as_ref().map(Vec::as_slice),
            upper.as_ref().map(Vec::as_slice),
            false,
            NULL_KEYS_BATCH,
            access.read.decoder(),
            &mut buffer,
            &mut scratch,
            |row_id, values| {
                let compiled = filter.get_or_insert_with(|| {
                    // Without the `IS NULL` the walk decides, when the plan found it did.
                    let predicate = match &access.key_residual {
                        Some(residual) => residual.as_ref().as_ref(),
                        None => access.filter.as_ref(),
                    };
                    predicate.map(|filter| Predicate::new(filter, &context.eval))
                });
                let outcome = match compiled {
                    None => Ok(true),
                    Some(predicate) => predicate.matches(values, &context.eval),
                }
                .and_then(|keep| if keep { visit(row_id, values) } else { Ok(()) });
                match outcome {
                    Ok(()) => true,
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            },
        )?;
        if let Some(error) = failure {
            return Err(error);
        }
        match progress {
            RangeProgress::Done => return Ok(true),
            RangeProgress::Stopped => {
                // The next batch resumes after the last entry this one examined.
                let mut key = Vec::new();
                scratch.swap_resume_into(&mut key);
                lower = Bound::Excluded(key);
            }
        }
    }
}
