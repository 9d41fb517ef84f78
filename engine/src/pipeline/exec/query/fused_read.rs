//! The fused read's operator (`plan::FusedRead`): a statement that reads one table (any
//! access path: scan, key lookup, index lookup, index range), at most projects each row
//! and at most applies a LIMIT/OFFSET, run as one loop: no boxed operator, no virtual
//! call per row, no projection state allocated per execution. A primary-key lookup
//! without LIMIT decodes into the connection's kept buffers (`key_lookup.rs`); a
//! secondary-index lookup (one key or an IN list) and an index range (ORDER BY an indexed
//! column [LIMIT], ranges, prefix LIKE) read straight from the index into the kept decode
//! buffer and build their result rows in place (the connection's kept result row first):
//! no row queue, no cursor allocated, and a LIMIT stops the index walk at its last row.
//! The rows, their row cap and memory charge, LIMIT/OFFSET's evaluation and errors are
//! those of the operators the parts would build (`ScanOperator`, `ProjectOperator`,
//! `LimitOperator`, which `exec::build` composes for a fused read pulled lazily); under
//! EXPLAIN ANALYZE the same loop runs and counts the node's rows.

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AccessPath, FusedRead, Node, ReadLimit, TableAccess};

use super::super::scan::index_range::visit_range_rows_after;
use super::super::scan::{for_each_index_row, ScanOperator};
use super::super::{ExecContext, Row, RowSink};
use super::key_lookup::lookup_row;
use super::{skip_and_limit, Projection};

/// The rows still to skip and still to return (`None`: no limit).
struct Counts {
    skip: u64,
    left: Option<u64>,
}

impl Counts {
    fn of(limit: Option<&ReadLimit>, context: &ExecContext<'_>) -> Result<Self> {
        let Some(ReadLimit { limit, offset }) = limit else {
            return Ok(Counts {
                skip: 0,
                left: None,
            });
        };
        let (skip, left) = skip_and_limit(limit.as_ref(), offset.as_ref(), context)?;
        Ok(Counts { skip, left })
    }

    /// Whether no more rows are wanted.
    fn done(&self) -> bool {
        self.left == Some(0)
    }

    /// Takes one input row: `false` when it is skipped (OFFSET).
    fn take(&mut self) -> bool {
        if self.skip > 0 {
            self.skip -= 1;
            return false;
        }
        if let Some(left) = &mut self.left {
            debug_assert!(*left > 0);
            *left -= 1;
        }
        true
    }
}

/// Hands result rows to the sink, each counted against the statement's row cap and
/// charged to its memory budget (as `run_query` does).
struct Delivery<'s, 'c> {
    sink: &'s mut RowSink<'c>,
    delivered: usize,
    memory: super::super::MemoryCharge,
}

impl Delivery<'_, '_> {
    /// Whether the sink wants more. The row is lent (see `RowSink`): the caller builds its
    /// next row in the same buffer.
    fn deliver(&mut self, row: &mut Row, context: &ExecContext<'_>) -> Result<bool> {
        context.check_rows(self.delivered)?;
        self.memory.add_row(row)?;
        self.delivered += 1;
        (self.sink)(row)
    }
}

/// Runs the fused read `read` (the plan's node `node`), handing its rows to `sink`.
pub(in crate::pipeline::exec) fn run(
    node: &Node,
    read: &FusedRead,
    context: &ExecContext<'_>,
    sink: &mut RowSink<'_>,
) -> Result<()> {
    if let Some(key) = read.point_key() {
        return run_point(node, read, key, context, sink);
    }
    // Read only under EXPLAIN ANALYZE (a clock read costs a plain run nothing then).
    let started = super::super::profile::active().then(std::time::Instant::now);
    let mut counts = Counts::of(read.limit.as_ref(), context)?;
    let skip = counts.skip;
    let mut delivery = Delivery {
        sink,
        delivered: 0,
        // The rows handed over are held (a result set) while the statement runs.
        memory: context.memory_charge("the result rows"),
    };
    let outcome = if counts.done() {
        Ok(())
    } else {
        run_fused(read, &mut counts, &mut delivery, context)
    };
    if let Some(started) = started {
        let delivered = delivery.delivered as u64;
        super::super::profile::Tally::since(node, started).rows(delivered);
        // The projection and the access passed every row the limit took, skipped or not.
        let taken = skip - counts.skip + delivered;
        for part in read.counted_parts().into_iter().flatten() {
            super::super::profile::Tally::at(part, started).rows(taken);
        }
    }
    outcome
}

/// Runs a fused read by the whole primary key, without LIMIT: at most one row.
fn run_point(
    node: &Node,
    read: &FusedRead,
    key: &[Expr],
    context: &ExecContext<'_>,
    sink: &mut RowSink<'_>,
) -> Result<()> {
    let found = lookup_row(&read.access, key, read.exprs.as_deref(), context)?;
    if super::super::profile::active() {
        count_point(node, read, found.is_some());
    }
    let Some(mut row) = found else {
        return Ok(());
    };
    context.check_rows(0)?;
    sink(&mut row)?;
    // The row's buffer (emptied when the sink took its values) builds the next
    // statement's result row; `query_row` puts an empty one in the place of the row it
    // takes, and keeps its row itself.
    if row.capacity() != 0 {
        if let Some(buffers) = context.buffers {
            buffers.recycle_result(row);
        }
    }
    Ok(())
}

/// Counts, under EXPLAIN ANALYZE, the row a point read found (or not) on each of its lines.
pub(in crate::pipeline::exec) fn count_point(node: &Node, read: &FusedRead, found: bool) {
    let started = std::time::Instant::now();
    super::super::profile::Tally::since(node, started).rows(u64::from(found));
    for part in read.counted_parts().into_iter().flatten() {
        super::super::profile::Tally::at(part, started).rows(u64::from(found));
    }
}

/// Runs the fused scan, projection and limit of `read`.
fn run_fused(
    read: &FusedRead,
    counts: &mut Counts,
    delivery: &mut Delivery<'_, '_>,
    context: &ExecContext<'_>,
) -> Result<()> {
    let mut projection = read.exprs.as_deref().map(Projection::new);
    if matches!(
        read.access.path,
        AccessPath::IndexLookup { .. }
            | AccessPath::IndexIn { .. }
            | AccessPath::IndexInSet { .. }
            | AccessPath::KeyInSet(_)
            | AccessPath::IndexRange(_)
    ) && index_rows(&read.access, projection.as_mut(), counts, delivery, context)?
    {
        return Ok(());
    }
    let mut scan = ScanOperator::new(&read.access);
    // A walk in key order without a filter steps over the OFFSET's rows undecoded.
    // A full scan steps over them unbuilt (each still tested by the filter).
    if counts.skip > 0 {
        match (&read.access.path, &read.access.filter) {
            (AccessPath::KeyOrder(order), None) => {
                scan.skip_key_order_rows(order, context, &mut counts.skip)?
            }
            _ => scan.skip_scan_rows(context, &mut counts.skip)?,
        }
    }
    let outcome = scan_rows(&mut scan, projection.as_mut(), counts, delivery, context);
    scan.leave_spare(context);
    outcome
}

/// Pulls the access's rows from a scan operator (on the stack), projecting each.
fn scan_rows(
    scan: &mut ScanOperator<'_>,
    mut projection: Option<&mut Projection<'_>>,
    counts: &mut Counts,
    delivery: &mut Delivery<'_, '_>,
    context: &ExecContext<'_>,
) -> Result<()> {
    use super::super::Operator;
    // One output row for the whole scan: the sink takes its values (or reads them), and
    // the next row is projected into the same buffer.
    let mut projected = Row::new();
    while let Some(mut row) = scan.next(context)? {
        if !counts.take() {
            scan.recycle(row);
            continue;
        }
        let more = match projection.as_deref_mut() {
            Some(projection) if !projection.passes_through(&row) => {
                if projected.capacity() == 0 {
                    projected.reserve_exact(projection.width());
                }
                projection.project_into(&mut row, &mut projected, context)?;
                scan.recycle(row);
                delivery.deliver(&mut projected, context)?
            }
            _ => {
                let more = delivery.deliver(&mut row, context)?;
                scan.recycle(row);
                more
            }
        };
        if !more || counts.done() {
            break;
        }
    }
    Ok(())
}

/// Reads a secondary-index lookup's or index range's rows into the connection's kept
/// decode buffer, projects each into a result row (the connection's kept one first) and
/// hands it over, stopping when the sink or the LIMIT has enough; `Ok(false)` when the
/// index no longer exists (nothing was read: the caller scans instead).
fn index_rows(
    access: &TableAccess,
    mut projection: Option<&mut Projection<'_>>,
    counts: &mut Counts,
    delivery: &mut Delivery<'_, '_>,
    context: &ExecContext<'_>,
) -> Result<bool> {
    // Taken while in use: a lookup nested in a projection finds it empty and allocates.
    let mut buffer = context
        .buffers
        .map(|buffers| buffers.lookup.take())
        .unwrap_or_default();
    // The output row, reused for every row: the sink takes its values (or reads them) and
    // the next row is projected into the same buffer. The connection's kept result row,
    // taken at the first projected row (a query whose decoded rows go out whole leaves it
    // to the sink: `query_row` puts it in the place of the row it takes).
    let mut projected: Option<Row> = None;
    // An index range walk skips the OFFSET's rows itself (by index entries when it can).
    let walk_skip = match access.path {
        AccessPath::IndexRange(_) => std::mem::take(&mut counts.skip),
        _ => 0,
    };
    let mut visit = |_, decoded: &mut Row| -> Result<bool> {
        if !counts.take() {
            return Ok(true);
        }
        let more = match projection.as_deref_mut() {
            Some(projection) if !projection.passes_through(decoded) => {
                let out = projected.get_or_insert_with(|| {
                    let mut kept = context
                        .buffers
                        .map(|buffers| buffers.result.take())
                        .unwrap_or_default();
                    // Recycled result rows keep their values (`RowBuffers::recycle_result`).
                    kept.clear();
                    kept.reserve_exact(projection.width());
                    kept
                });
                projection.project_into(decoded, out, context)?;
                delivery.deliver(out, context)?
            }
            // The decoded row itself goes out; the next decode refills it (a sink that took
            // its values leaves it empty: the decode makes it as wide as a row again).
            _ => delivery.deliver(decoded, context)?,
        };
        Ok(more && !counts.done())
    };
    let found = match &access.path {
        AccessPath::IndexRange(range) => {
            visit_range_rows_after(access, range, walk_skip, context, &mut buffer, &mut visit)
        }
        _ => for_each_index_row(access, context, &mut buffer, &mut visit),
    };
    if !matches!(found, Ok(true)) {
        // Nothing was read (the index is gone: the caller scans) or the walk failed.
        counts.skip += walk_skip;
    }
    if let Some(buffers) = context.buffers {
        buffers.lookup.set(buffer);
        if let Some(projected) = projected.filter(|row| row.capacity() != 0) {
            buffers.recycle_result(projected);
        }
    }
    found
}
