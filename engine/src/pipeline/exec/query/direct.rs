//! Queries of the commonest shape, `[LIMIT/OFFSET] over [a projection] over one table
//! access` (any access path: scan, index lookup, index range), run without building an
//! operator tree: no boxed operator, no virtual call per row, no projection state
//! allocated per execution. A secondary-index lookup (one key or an IN list) and an index
//! range (ORDER BY an indexed column [LIMIT], ranges, prefix LIKE) read straight from the
//! index into the connection's kept decode buffer, as a primary-key lookup does
//! (`exec::key_lookup`), and build their result rows in place (the connection's kept
//! result row first): no row queue, no cursor allocated, and a LIMIT stops the index walk
//! at its last row. The rows, their row cap and memory charge, LIMIT/OFFSET's evaluation and
//! errors are those of the operator tree (`ScanOperator`, `ProjectOperator`,
//! `LimitOperator`); under EXPLAIN ANALYZE the same path runs and counts each fused node's
//! rows (`Shape::tally`).

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AccessPath, Node, TableAccess};

use super::super::scan::index_range::visit_range_rows_after;
use super::super::scan::{for_each_index_row, ScanOperator};
use super::super::{ExecContext, Row, RowSink};
use super::{count_of, Projection};

/// A node tree of the shape this file runs.
struct Shape<'n> {
    /// The LIMIT and OFFSET expressions, when the root is a `Limit`.
    limit: Option<(Option<&'n Expr>, Option<&'n Expr>)>,
    /// The projection list, when there is one.
    exprs: Option<&'n [Expr]>,
    access: &'n TableAccess,
    /// The nodes fused: the `Limit` (if any), the `Project` (if any), the `Scan`; EXPLAIN
    /// ANALYZE counts each one's rows.
    nodes: [Option<&'n Node>; 3],
}

impl<'n> Shape<'n> {
    fn of(root: &'n Node) -> Option<Shape<'n>> {
        let (limit, limit_node, node) = match root {
            Node::Limit {
                input,
                limit,
                offset,
            } => (
                Some((limit.as_ref(), offset.as_ref())),
                Some(root),
                input.as_ref(),
            ),
            other => (None, None, other),
        };
        let (exprs, project_node, node) = match node {
            Node::Project { input, exprs } => (Some(exprs.as_slice()), Some(node), input.as_ref()),
            other => (None, None, other),
        };
        match node {
            Node::Scan(access) => Some(Shape {
                limit,
                exprs,
                access,
                nodes: [limit_node, project_node, Some(node)],
            }),
            _ => None,
        }
    }

    /// Counts, for EXPLAIN ANALYZE, what each fused node returned: the scan and projection
    /// every row the limit took (skipped ones included), the limit the rows delivered.
    fn tally(&self, skipped: u64, delivered: usize, started: std::time::Instant) {
        let delivered = delivered as u64;
        let [limit, project, scan] = self.nodes;
        for node in [project, scan].into_iter().flatten() {
            super::super::profile::Tally::since(node, started).rows(skipped + delivered);
        }
        if let Some(limit) = limit {
            super::super::profile::Tally::since(limit, started).rows(delivered);
        }
    }
}

/// The rows still to skip and still to return (`None`: no limit).
struct Counts {
    skip: u64,
    left: Option<u64>,
}

impl Counts {
    fn of(
        limit: Option<(Option<&Expr>, Option<&Expr>)>,
        context: &ExecContext<'_>,
    ) -> Result<Self> {
        let Some((limit, offset)) = limit else {
            return Ok(Counts {
                skip: 0,
                left: None,
            });
        };
        // In LimitOperator's order: LIMIT first, then OFFSET.
        let left = match limit {
            Some(expr) => count_of(expr, "LIMIT", context)?,
            None => None,
        };
        let skip = match offset {
            Some(expr) => count_of(expr, "OFFSET", context)?.unwrap_or(0),
            None => 0,
        };
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

/// Runs `node` when it has the shape this file handles; `Ok(false)` (nothing done) for any
/// other node.
pub(in crate::pipeline::exec) fn run(
    node: &Node,
    context: &ExecContext<'_>,
    sink: &mut RowSink<'_>,
) -> Result<bool> {
    let Some(shape) = Shape::of(node) else {
        return Ok(false);
    };
    // Read only under EXPLAIN ANALYZE (a clock read costs a plain run nothing then).
    let started = super::super::profile::active().then(std::time::Instant::now);
    let mut counts = Counts::of(shape.limit, context)?;
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
        run_fused(&shape, &mut counts, &mut delivery, context)
    };
    if let Some(started) = started {
        shape.tally(skip - counts.skip, delivery.delivered, started);
    }
    outcome.map(|()| true)
}

/// Runs the fused scan, projection and limit of `shape`.
fn run_fused(
    shape: &Shape<'_>,
    counts: &mut Counts,
    delivery: &mut Delivery<'_, '_>,
    context: &ExecContext<'_>,
) -> Result<()> {
    let mut projection = shape.exprs.map(Projection::new);
    if matches!(
        shape.access.path,
        AccessPath::IndexLookup { .. }
            | AccessPath::IndexIn { .. }
            | AccessPath::IndexInSet { .. }
            | AccessPath::KeyInSet(_)
            | AccessPath::IndexRange(_)
    ) && index_rows(shape.access, projection.as_mut(), counts, delivery, context)?
    {
        return Ok(());
    }
    let mut scan = ScanOperator::new(shape.access);
    // A walk in key order without a filter steps over the OFFSET's rows undecoded.
    // A full scan steps over them unbuilt (each still tested by the filter).
    if counts.skip > 0 {
        match (&shape.access.path, &shape.access.filter) {
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
