//! Pushed execution of a consumer's input: instead of pulling one owned row per `next`, an
//! operator that reads its whole input (an aggregate) hands a sink to `rows`, which runs
//! the input to its end and calls the sink with each row in a buffer the producer reuses.
//! Joins (index and hash, INNER and LEFT) run pushed over pushed inputs, a full scan or
//! index range below them through `scan::for_each_row` (rows decoded in place), so a join
//! feeding an aggregate allocates no row per match; a filter is pushed through (its test
//! applied in the sink), so a join under a WHERE term still runs pushed; a secondary-index
//! lookup (one key, an IN list or set) hands each row over as it decodes it; every other
//! node is pulled through its operator. EXPLAIN ANALYZE runs these same paths, each
//! counting the rows it hands on for its node (`profile::Tally`).

use ember_storage::Value;

use crate::error::Result;
use crate::expr::RowTest;
use crate::plan::{AccessPath, JoinKind, Node, TableAccess};

use super::query::Projection;
use super::{build, profile, ExecContext};

/// A consumer of pushed rows. It may read the row, or swap it for an empty buffer or one
/// the same producer handed it earlier (a join writes every position the plan reads into
/// whichever buffer it holds; the others are never read), never keep a reference past the
/// call.
pub(super) type RowSink<'s> = &'s mut dyn FnMut(&mut Vec<Value>) -> Result<()>;

/// A consumer of a join's left rows (read only).
pub(super) type LeftVisit<'s> = &'s mut dyn FnMut(&[Value]) -> Result<()>;

/// Runs `node` to its end, calling `sink` with each of its rows in the order its operator
/// returns them; stops at the first error.
pub(super) fn rows(node: &Node, context: &ExecContext<'_>, sink: RowSink<'_>) -> Result<()> {
    if let Node::Filter { input, predicate } = node {
        // Pushed through: a join below still runs pushed, and the rows that fail the
        // predicate are never handed on (its test is `FilterOperator`'s).
        let mut test = RowTest::new(predicate);
        let mut tally = profile::Tally::of(node);
        return rows(input, context, &mut |row| {
            if test.matches(row, &context.eval)? {
                tally.row();
                sink(row)?;
            }
            Ok(())
        });
    }
    if let Node::Project { input, exprs } = node {
        // Pushed through as the filter is: a join below runs pushed, and each projected
        // row is built in one reused buffer (its values moved out of the input row where
        // they are last used; the producer writes every value the plan reads anew).
        let mut projection = Projection::new(exprs);
        let mut projected = Vec::with_capacity(exprs.len());
        let mut tally = profile::Tally::of(node);
        return rows(input, context, &mut |row| {
            tally.row();
            if projection.passes_through(row) {
                return sink(row);
            }
            projection.project_into(row, &mut projected, context)?;
            sink(&mut projected)
        });
    }
    if let Node::Scan(access) = node {
        if matches!(
            access.path,
            AccessPath::IndexLookup { .. }
                | AccessPath::IndexIn { .. }
                | AccessPath::IndexInSet { .. }
                | AccessPath::KeyInSet(_)
        ) {
            let mut tally = profile::Tally::of(node);
            if index_rows(access, context, &mut |row| {
                tally.row();
                sink(row)
            })? {
                return Ok(());
            }
            // The index is gone: nothing was read, and the scan below counts itself.
            tally.forget();
        }
    }
    if let Node::Join(join) = node {
        let mut tally = profile::Tally::of(node);
        let mut counted = |row: &mut Vec<Value>| {
            tally.row();
            sink(row)
        };
        match (join.kind, &join.probe) {
            (JoinKind::Inner | JoinKind::Left, Some(probe)) => {
                return super::join::index_join::push(join, probe, context, &mut counted);
            }
            (JoinKind::Inner | JoinKind::Left, None) => {
                return super::join::push(join, context, &mut counted);
            }
            (JoinKind::Right | JoinKind::Full, _) => tally.forget(),
        }
    }
    let mut operator = build(node);
    while let Some(mut row) = operator.next(context)? {
        sink(&mut row)?;
        operator.recycle(row);
    }
    Ok(())
}

/// The rows of a secondary-index lookup (one key, an IN list, an IN subquery's set), each
/// handed to `sink` as it is decoded into the connection's kept lookup buffer (no row is
/// queued or allocated); `Ok(false)` when the index no longer exists (nothing was read:
/// the caller scans instead).
fn index_rows(access: &TableAccess, context: &ExecContext<'_>, sink: RowSink<'_>) -> Result<bool> {
    // Taken while in use: a lookup nested in the sink finds it empty and allocates.
    let mut buffer = context
        .buffers
        .map(|buffers| buffers.lookup.take())
        .unwrap_or_default();
    let found = super::scan::for_each_index_row(access, context, &mut buffer, |_, values| {
        sink(values)?;
        Ok(true)
    });
    if let Some(buffers) = context.buffers {
        buffers.lookup.set(buffer);
    }
    found
}

/// `rows` for a join's input, read only: a full scan or index range decodes each row in
/// place and shows it (`scan::for_each_row`: the access's filter applied, interrupts
/// checked once per batch).
pub(super) fn left_rows(
    node: &Node,
    context: &ExecContext<'_>,
    visit: LeftVisit<'_>,
) -> Result<()> {
    match node {
        Node::Scan(access)
            if matches!(
                access.path,
                AccessPath::FullScan | AccessPath::IndexRange(_) | AccessPath::KeyRange(_)
            ) =>
        {
            let mut tally = profile::Tally::of(node);
            super::scan::for_each_row(access, context, |_, row| {
                tally.row();
                visit(row)
            })
        }
        node => rows(node, context, &mut |row| visit(row)),
    }
}

/// The positions of `node`'s rows that the plan reads above it: for a table access, the
/// columns `optimize::prune_columns` marked (no operator above reads the others, so a join
/// copying rows together writes only these); every position otherwise.
pub(super) fn columns_read(node: &Node, width: usize) -> Vec<usize> {
    match node {
        Node::Scan(access) => access_columns_read(access),
        _ => (0..width).collect(),
    }
}

/// `columns_read` of a table access.
pub(super) fn access_columns_read(access: &TableAccess) -> Vec<usize> {
    match access.read.columns() {
        Some(read) => (0..read.len()).filter(|&column| read[column]).collect(),
        None => (0..access.table.columns.len()).collect(),
    }
}
