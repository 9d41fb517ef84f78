//! `SELECT count(*) FROM t` answered from the table's count of committed live rows
//! (storage `live_count.rs`) instead of a walk: when every aggregate is a plain COUNT(*)
//! (no DISTINCT, no FILTER), there is no GROUP BY, the scan is a whole table with no filter
//! (a table with row expiry always has one: `unexpired(..)`), and no column is read (a bare
//! column would need the last row). The storage answers only when the transaction's
//! snapshot is at or past the last commit to the table (its own writes added), so the count
//! is the one a walk would give; otherwise the walk runs.

use crate::expr::Expr;
use crate::plan::{AccessPath, AggregateCall, AggregateFunction, TableAccess};

use super::ExecContext;

/// The rows a walk of `access` would feed the aggregates, when the shape allows answering
/// without one (see the file comment).
pub(super) fn counted_rows(
    access: &TableAccess,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Option<u64> {
    let counts_only = aggregates.iter().all(|call| {
        call.function == AggregateFunction::CountStar
            && call.args.is_empty()
            && !call.distinct
            && call.filter.is_none()
    });
    let reads_nothing = access
        .read
        .columns()
        .is_some_and(|columns| columns.iter().all(|read| !read));
    if !(counts_only
        && !aggregates.is_empty()
        && group_by.is_empty()
        && matches!(access.path, AccessPath::FullScan)
        && access.filter.is_none()
        && reads_nothing)
    {
        return None;
    }
    context.txn.count_rows(&access.table.storage)
}
