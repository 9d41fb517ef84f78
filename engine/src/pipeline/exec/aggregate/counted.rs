//! Counting walks of an index range (the `RangeCount` strategy, `plan/strategy.rs`) and
//! counts of an index lookup's rows (`KeyCount`); a whole table's `count(*)` is the
//! storage's live-row count, `exec/aggregate/mod.rs`.
//!
//! Over an index range (`count(*)`, or `count(col)` of a column the range never reaches
//! NULL in: a prefix column or the bounded ranged one), a counting walk: each entry is
//! still checked for visibility and staleness by the storage walk, but only the filter's
//! conjuncts the range does not decide (noted by the optimizer in
//! `TableAccess::key_residual`) are checked, and no
//! aggregate is stepped per row. When the range decides the whole filter (and ascends), the
//! walk is the storage's counting one (`index_range::count_range`, which reads no row into
//! the executor). A bare column above reads the group's first row, which only a walk that
//! steps the rows gives: the operator scans instead of counting then.
//!
//! A scalar subquery's `count(*)` of a read by index (`count_rows`) counts the rows the read
//! finds the same way, with no operator tree built or rewound per run.

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{
    AccessPath, AggregateCall, AggregateOfRead, AggregateStrategy, Node, TableAccess,
};

use super::super::scan::for_each_indexed_row;
use super::super::{profile, ExecContext};

/// The rows an index-range walk of `access` would feed aggregates that are all counts of
/// rows (see the file comment), counted without stepping them; `None` when the shape does
/// not allow it or the index no longer exists.
pub(super) fn counted_range_rows(
    access: &TableAccess,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Result<Option<u64>> {
    let AccessPath::IndexRange(range) = &access.path else {
        return Ok(None);
    };
    if !crate::plan::counts_range_rows(range, group_by, aggregates) {
        return Ok(None);
    }
    // What the optimizer noted the range leaves to check; the whole filter otherwise.
    let residual = match &access.key_residual {
        Some(residual) => residual.as_ref().as_ref(),
        None => access.filter.as_ref(),
    };
    if residual.is_none() && !range.descending {
        let counted = super::super::scan::index_range::count_range(access, range, context)?;
        return Ok(counted.map(|(rows, _)| rows));
    }
    let mut rows = 0u64;
    let mut buffer = Vec::new();
    let walked = super::super::scan::index_range::walk_range(
        access,
        range,
        residual,
        context,
        &mut buffer,
        |_, _| {
            rows += 1;
            Ok(true)
        },
    )?;
    Ok(walked.then_some(rows))
}

/// The rows an index lookup of `access` reaches that pass its filter (the `KeyCount`
/// strategy), counted without stepping an aggregate. A settled index counts the rows under
/// the key from its entries when the key decides the whole filter
/// (`scan::settled_key_rows`: no row read); otherwise each row found is read, checked and
/// counted. When the index no longer exists: `None`, and the caller scans.
pub(super) fn counted_key_rows(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> Result<Option<u64>> {
    if let Some(rows) = super::super::scan::settled_key_rows(access, context)? {
        return Ok(Some(rows));
    }
    count_found_rows(access, context)
}

/// The rows a read by index of `access` finds that pass its filter, each read and
/// counted; `None` when the index no longer exists.
fn count_found_rows(access: &TableAccess, context: &ExecContext<'_>) -> Result<Option<u64>> {
    let mut rows = 0u64;
    let mut buffer = Vec::new();
    let read = for_each_indexed_row(access, context, &mut buffer, |_, _| {
        rows += 1;
        Ok(true)
    })?;
    Ok(read.then_some(rows))
}

/// The `count(*)` a subquery counts without an operator tree (`SubqueryRun::CountRows`):
/// `node` is a projection of that count over an aggregate of a read by index, as the
/// optimizer chose it (`optimize/subquery_run.rs`). The rows the read finds are counted
/// (an index range's by the counting walk when the optimizer chose one); each node is
/// counted under EXPLAIN ANALYZE as its operator would be. `None` when the index no
/// longer exists (the caller runs the operator tree).
pub(crate) fn count_rows(node: &Node, context: &ExecContext<'_>) -> Result<Option<u64>> {
    let Some(plan) = AggregateOfRead::of(node) else {
        return Ok(None);
    };
    let (access, group_by, aggregates) = (plan.access, plan.group_by, plan.aggregates);
    debug_assert!(group_by.is_empty(), "a subquery's count has no GROUP BY");
    let started = profile::active().then(std::time::Instant::now);
    let rows = match (&access.path, plan.strategy) {
        (AccessPath::IndexRange(_), AggregateStrategy::RangeCount) => {
            counted_range_rows(access, group_by, aggregates, context)?
        }
        (AccessPath::IndexLookup { .. }, AggregateStrategy::KeyCount) => {
            counted_key_rows(access, context)?
        }
        _ => count_found_rows(access, context)?,
    };
    if let (Some(started), Some(rows)) = (started, rows) {
        profile::Tally::since(plan.read, started).rows(rows);
        profile::Tally::since(plan.aggregate, started).row();
        profile::Tally::since(plan.project, started).row();
    }
    Ok(rows)
}
