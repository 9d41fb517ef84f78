//! Physical strategies of aggregates and DISTINCTs (`plan/strategy.rs`), chosen once per
//! statement over the whole tree after the columns each scan reads are known
//! (`prune_columns`: a `count(*)` that reads no column can come from the row count). The
//! rules, first match wins:
//!
//! - `GroupWalk`: GROUP BY plain columns an index range reads in order (`plan::group_walk`).
//! - `TableCount`: only `count(*)`, no GROUP BY, a whole table with no filter, no column read.
//! - `RangeCount`: only counts the range decides (`plan::counts_range_rows`); what its walk
//!   still checks is noted on the access (`TableAccess::key_residual`).
//! - `KeyCount`: only `count(*)` (no DISTINCT, no FILTER, no GROUP BY) of an index lookup's
//!   rows; what its count still checks is the lookup's `key_residual`.
//! - `DistinctCount`: one `count(DISTINCT col)` in the range's order
//!   (`plan::counts_distinct_in_order`).
//! - `ColumnBatches`: an aggregate over a full scan whose calls, GROUP BY terms and filter
//!   a column batch serves (`exec::aggregate::reads_in_column_batches`); parallel as
//!   `ScanHash`.
//! - `ScanHash`: any other aggregate over a full scan, key range or index range; parallel
//!   when its shape merges exactly (`exec::aggregate::parallel::splits`).
//! - `UnionStream`: an OR union of lookups feeding built-in aggregates of plain columns
//!   grouped by plain columns.
//! - `Hash` otherwise.
//!
//! A counting strategy (`RangeCount`, `KeyCount`, `DistinctCount`) reads no row: under a
//! bare column, which reads its group's first row, the aggregate is a `ScanHash` instead.
//!
//! A DISTINCT over a projection of plain columns that an index range reads in order is an
//! `IndexWalk` (`plan::distinct_walk`); otherwise `Hash`.

use crate::expr::Expr;
use crate::plan::{
    AccessPath, AggregateCall, AggregateFunction, AggregateStrategy, DistinctStrategy, Node,
    TableAccess,
};

/// Chooses the strategy of every aggregate and DISTINCT in `node`'s tree.
pub fn choose_strategies(node: &mut Node) {
    node.for_each_input_mut(&mut choose_strategies);
    match node {
        Node::Aggregate {
            input,
            group_by,
            aggregates,
            strategy,
            bare_reads,
            ..
        } => {
            // A counting walk reads no row: a bare column above, which reads its group's
            // first row, keeps the grouped scan.
            let counts = bare_reads
                .as_ref()
                .is_some_and(|reads| !reads.contains(&true));
            *strategy = aggregate_strategy(input, group_by, aggregates, counts);
            if *strategy == AggregateStrategy::RangeCount {
                if let Node::Scan(access) = input.as_mut() {
                    note_range_residual(access);
                }
            }
        }
        Node::Distinct {
            input,
            collations,
            strategy,
        } => {
            *strategy = match crate::plan::distinct_walk(input, collations) {
                Some(_) => DistinctStrategy::IndexWalk,
                None => DistinctStrategy::Hash,
            }
        }
        _ => {}
    }
}

/// The strategy of an aggregate over `input` (see the file comment); a counting one only
/// when `counts` (no bare column reads the group's row).
pub fn aggregate_strategy(
    input: &Node,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
    counts: bool,
) -> AggregateStrategy {
    let Node::Scan(access) = input else {
        return AggregateStrategy::Hash;
    };
    if crate::plan::group_walk(input, group_by).is_some() {
        return AggregateStrategy::GroupWalk;
    }
    let parallel = crate::exec::aggregate::parallel::splits(input, group_by, aggregates).is_some();
    match &access.path {
        AccessPath::FullScan if counts_table_rows(access, group_by, aggregates) => {
            AggregateStrategy::TableCount { parallel }
        }
        AccessPath::IndexRange(range)
            if counts && crate::plan::counts_range_rows(range, group_by, aggregates) =>
        {
            AggregateStrategy::RangeCount
        }
        AccessPath::IndexLookup { .. } if counts && counts_rows_only(group_by, aggregates) => {
            AggregateStrategy::KeyCount
        }
        AccessPath::IndexRange(range)
            if counts
                && crate::plan::counts_distinct_in_order(range, group_by, aggregates).is_some() =>
        {
            AggregateStrategy::DistinctCount
        }
        AccessPath::FullScan
            if crate::exec::aggregate::reads_in_column_batches(access, group_by, aggregates) =>
        {
            AggregateStrategy::ColumnBatches { parallel }
        }
        AccessPath::FullScan | AccessPath::IndexRange(_) | AccessPath::KeyRange(_) => {
            AggregateStrategy::ScanHash { parallel }
        }
        AccessPath::OrUnion(_) if crate::exec::streams_union(group_by, aggregates) => {
            AggregateStrategy::UnionStream
        }
        _ => AggregateStrategy::Hash,
    }
}

/// Whether an aggregate over `access` is only `count(*)` (no DISTINCT, no FILTER) of every
/// row of a table with no filter (a table with row expiry always has one), reading no column
/// (a bare column would need the first row).
fn counts_table_rows(
    access: &TableAccess,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
) -> bool {
    let counts_only = counts_rows_only(group_by, aggregates);
    let reads_nothing = access
        .read
        .columns()
        .is_some_and(|columns| columns.iter().all(|read| !read));
    counts_only
        && matches!(access.path, AccessPath::FullScan)
        && access.filter.is_none()
        && reads_nothing
}

/// Whether an aggregate is only `count(*)` calls (no DISTINCT, no FILTER), at least one,
/// with no GROUP BY: what counting the rows a read reaches answers.
fn counts_rows_only(group_by: &[Expr], aggregates: &[AggregateCall]) -> bool {
    group_by.is_empty()
        && !aggregates.is_empty()
        && aggregates.iter().all(|call| {
            call.function == AggregateFunction::CountStar
                && call.args.is_empty()
                && !call.distinct
                && call.filter.is_none()
        })
}

/// Records on a counted range's `access` what its walk still checks: the filter without
/// the conjuncts the range decides (`TableAccess::key_residual`).
fn note_range_residual(access: &mut TableAccess) {
    let AccessPath::IndexRange(range) = &access.path else {
        return;
    };
    let undecided: Vec<Expr> = access
        .filter
        .clone()
        .map(Expr::into_conjuncts)
        .unwrap_or_default()
        .into_iter()
        .filter(|term| !crate::optimize::range_decides(range, term))
        .collect();
    access.key_residual = Some(Box::new(Expr::from_conjuncts(undecided)));
}
