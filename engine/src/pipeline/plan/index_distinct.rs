//! DISTINCT and `count(DISTINCT col)` over an ordered index walk: when the walk reads the
//! distinct columns in index order, equal values arrive next to each other, so each row
//! (value) is compared with the previous one instead of being hashed, as SQLite's index
//! walk does. These tests say when a plan has that shape; `optimize::distinct_order` makes
//! it, `exec::aggregate::distinct_walk` runs it, EXPLAIN shows it (`by index order`).
//!
//! - `Distinct` over `Project(columns)` over an `IndexRange` whose columns after its
//!   equality prefix are those columns, in order: every column BINARY in the index and in
//!   the DISTINCT, and of INTEGER, REAL or TEXT affinity, so that values equal for
//!   DISTINCT are the very same value (`1` and `1.0` are one stored form there) and the
//!   row kept of a run of equal ones is the one a hash would keep.
//! - `count(DISTINCT col)` alone, without GROUP BY or FILTER, over an `IndexRange` ranged on
//!   `col` under the call's collation: equal values (under it) are one run of the index
//!   order whatever the column's affinity (numbers compare by value, `1 = 1.0`), and only
//!   the count of runs is read.

use crate::catalog::TableDef;
use crate::expr::{Affinity, Collation, Expr};

use super::{AggregateCall, AggregateFunction, IndexRange, Node, TableAccess};

/// A `Distinct` whose input is read in index order (see the module comment).
pub struct DistinctWalk<'n> {
    pub access: &'n TableAccess,
    pub range: &'n IndexRange,
    /// The table columns the projection outputs, in output order.
    pub columns: Vec<usize>,
}

/// The index walk a `Distinct` over `input` (its columns compared under `collations`,
/// empty when all BINARY) runs as, when its rows arrive with equal ones adjacent.
pub fn distinct_walk<'n>(input: &'n Node, collations: &[Collation]) -> Option<DistinctWalk<'n>> {
    if collations
        .iter()
        .any(|collation| *collation != Collation::Binary)
    {
        return None;
    }
    let Node::Project { input, exprs } = input else {
        return None;
    };
    let Node::Scan(access) = input.as_ref() else {
        return None;
    };
    let super::AccessPath::IndexRange(range) = &access.path else {
        return None;
    };
    let columns: Vec<usize> = exprs
        .iter()
        .map(|expr| match expr {
            Expr::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect::<Option<_>>()?;
    (range_walks_distinct(&access.table, range, &columns)).then_some(DistinctWalk {
        access,
        range,
        columns,
    })
}

/// Whether a walk of `range` (an index of `table`) reads the table columns `columns` (at
/// least one) in index order with equal rows adjacent, as `distinct_walk` needs.
pub fn range_walks_distinct(table: &TableDef, range: &IndexRange, columns: &[usize]) -> bool {
    let start = range.ranged_position();
    let Some(ordered) = range.index.storage.ordered() else {
        return false;
    };
    let binary = Collation::Binary.index_collation();
    !columns.is_empty()
        && !range.first_only
        && range.index.columns.get(start..start + columns.len()) == Some(columns)
        && columns.iter().enumerate().all(|(offset, &column)| {
            ordered.collations().get(start + offset) == Some(&binary)
                && ties_identical(table, column)
        })
}

/// Whether the values of `table`'s column `column` that DISTINCT finds equal are the same
/// value: INTEGER, REAL or TEXT affinity (under BINARY, checked by the caller).
fn ties_identical(table: &TableDef, column: usize) -> bool {
    table.columns.get(column).is_some_and(|definition| {
        matches!(
            definition.affinity,
            Affinity::Integer | Affinity::Real | Affinity::Text
        )
    })
}

/// For aggregates `aggregates` grouped by `group_by` over a walk of `range`: when they are
/// one `count(DISTINCT col)` that the walk reads in order (see the module comment), the
/// column and the collation its values compare under.
pub fn counts_distinct_in_order(
    range: &IndexRange,
    group_by: &[Expr],
    aggregates: &[AggregateCall],
) -> Option<(usize, Collation)> {
    let [call] = aggregates else {
        return None;
    };
    let (AggregateFunction::Count, true, None, [Expr::Column { index, .. }]) = (
        call.function,
        call.distinct,
        &call.filter,
        call.args.as_slice(),
    ) else {
        return None;
    };
    let position = range.ranged_position();
    let ordered = range.index.storage.ordered()?;
    let in_order = group_by.is_empty()
        && !range.first_only
        && range.index.columns.get(position) == Some(index)
        && ordered.collations().get(position) == Some(&call.collation.index_collation());
    in_order.then_some((*index, call.collation))
}
