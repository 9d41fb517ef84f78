//! The rows a DML statement targets: every row its access path reaches (primary-key
//! lookup or IN list, secondary-index lookup or range, key range, union of those for an
//! OR, full scan) that passes the access filter, each once, within the statement's row
//! limit. `visit_targets` hands
//! each to a visitor as it is decoded, into one reused buffer (a full scan through the
//! scans' compiled, staged filter: `scan::scan_slots`), so an UPDATE that needs
//! only the new values computes them in passing and keeps no copy of the rows;
//! `collect_targets` keeps the rows (DELETE .. RETURNING, conflict resolution, foreign
//! keys). Either way a statement reads all its targets before it changes any, so it never
//! sees its own changes.

use std::collections::HashSet;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::plan::{AccessPath, TableAccess};

use crate::limits::TARGETS_PRESIZED_MAX;

use super::super::{ExecContext, Row};
use super::index_range::visit_range_rows;
use super::key_range::access_row_ranges;
use super::{for_each_index_row, lookup_key_into, scan_slots};

/// Calls `visit` with every target row of `access` (its id and its values, decoded into a
/// reused buffer), in the access path's order.
pub fn visit_targets(
    access: &TableAccess,
    context: &ExecContext<'_>,
    visit: &mut dyn FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    // The connection's key-lookup buffer (taken while in use: a statement nested in this
    // one finds it empty and allocates its own).
    let mut buffer = context
        .buffers
        .map(|buffers| buffers.lookup.take())
        .unwrap_or_default();
    let visited = visit_targets_into(access, context, &mut buffer, visit);
    if let Some(buffers) = context.buffers {
        buffers.lookup.set(buffer);
    }
    visited
}

/// `visit_targets` decoding into `buffer`.
#[inline(always)]
fn visit_targets_into(
    access: &TableAccess,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    visit: &mut dyn FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    let mut visited = 0usize;
    // Every target counts against the statement's row limit before it is handed over.
    let mut counted = |row_id: RowId, values: &[Value]| -> Result<()> {
        context.check_rows(visited)?;
        visited += 1;
        visit(row_id, values)
    };
    match &access.path {
        AccessPath::KeyLookup(key) => {
            buffer.reserve_exact(access.table.columns.len());
            if let Some(row_id) = lookup_key_into(access, key, context, buffer)? {
                counted(row_id, buffer)?;
            }
            Ok(())
        }
        AccessPath::KeyIn(keys) => {
            let mut seen = HashSet::with_capacity(keys.len());
            for key in keys {
                buffer.reserve_exact(access.table.columns.len());
                if let Some(row_id) = lookup_key_into(access, key, context, buffer)? {
                    if seen.insert(row_id) {
                        counted(row_id, buffer)?;
                    }
                }
            }
            Ok(())
        }
        AccessPath::IndexLookup { .. }
        | AccessPath::IndexIn { .. }
        | AccessPath::IndexInSet { .. }
        | AccessPath::KeyInSet(_) => {
            let found = for_each_index_row(access, context, buffer, |row_id, values| {
                counted(row_id, values)?;
                Ok(true)
            })?;
            if found {
                return Ok(());
            }
            scan_slots(access, access.read.decoder(), context, &mut counted)
        }
        AccessPath::IndexRange(range) => {
            let found = visit_range_rows(access, range, context, buffer, |row_id, values| {
                counted(row_id, values)?;
                Ok(true)
            })?;
            if found {
                return Ok(());
            }
            scan_slots(access, access.read.decoder(), context, &mut counted)
        }
        AccessPath::OrUnion(union) => {
            // Each row once (deduplicated by the union), read before any is visited.
            match super::or_union::union_rows(access, union, context, 0, &mut Vec::new())? {
                Some(rows) => rows
                    .into_iter()
                    .try_for_each(|(row_id, row)| counted(row_id, &row)),
                None => super::or_union::scan_instead(access, context, &mut counted),
            }
        }
        // A statement's targets are visited in any order: slot order.
        AccessPath::FullScan | AccessPath::KeyRange(_) | AccessPath::KeyOrder(_) => {
            scan_slots(access, access.read.decoder(), context, &mut counted)
        }
    }
}

/// The room to make for the targets of `access` before walking it: at most the rows its
/// key lookup, key list or key range can reach (bounded by `TARGETS_PRESIZED_MAX`), so a
/// list of them is made once at its size instead of growing through every power of two;
/// 0 (grow as found) for paths with no such bound (a scan's filter may pass few rows).
pub fn targets_at_most(access: &TableAccess, context: &ExecContext<'_>) -> Result<usize> {
    let reachable = match &access.path {
        AccessPath::KeyLookup(_) => 1,
        AccessPath::KeyIn(keys) => keys.len(),
        AccessPath::KeyRange(_) => {
            let [direct, overflow] = access_row_ranges(access, context)?;
            let width = |range: std::ops::Range<RowId>| range.end.saturating_sub(range.start);
            usize::try_from(width(direct).saturating_add(width(overflow))).unwrap_or(usize::MAX)
        }
        _ => 0,
    };
    Ok(reachable.min(TARGETS_PRESIZED_MAX))
}

/// Every (row id, row) the access reaches and its filter passes, collected up front.
pub fn collect_targets(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> Result<Vec<(RowId, Row)>> {
    let mut targets: Vec<(RowId, Row)> = Vec::with_capacity(targets_at_most(access, context)?);
    visit_targets(access, context, &mut |row_id, values| {
        targets.push((row_id, values.to_vec()));
        Ok(())
    })?;
    Ok(targets)
}
