//! GROUP BY over an ordered index walk: when the walk reads the GROUP BY terms in index
//! order, the rows of one group arrive together, so each row is compared with the group
//! being folded instead of hashed, and the groups come out in key order with no sort (as
//! SQLite's index walk does). These tests say when a plan has that shape;
//! `optimize::group_order` makes it, `exec::aggregate::group_walk` runs it, EXPLAIN shows it
//! (`Aggregate .. by index order`).
//!
//! The shape: an `Aggregate` over an `IndexRange` whose columns after its equality prefix
//! begin with the GROUP BY terms, in order, each a plain column keyed in the index under
//! the collation it groups by. A BINARY term's column has INTEGER, REAL or TEXT affinity,
//! so values equal for GROUP BY are the very same value (`1` and `1.0` are one stored form
//! there) and the group's key reads the same from any of its rows. A NOCASE or RTRIM term
//! groups by its collation key, which is what such an index orders by.

use crate::catalog::TableDef;
use crate::expr::{Affinity, Collation, Expr};

use super::{AccessPath, AggregateCall, AggregateFunction, IndexRange, Node, TableAccess};

/// An `Aggregate` whose input is read in index order (see the module comment).
pub struct GroupWalk<'n> {
    pub access: &'n TableAccess,
    pub range: &'n IndexRange,
    /// Each GROUP BY term's table column and the collation it groups by, in order.
    pub terms: Vec<(usize, Collation)>,
}

/// The index walk an `Aggregate` grouping `input` by `group_by` runs as, when its rows
/// arrive with each group's rows adjacent.
pub fn group_walk<'n>(input: &'n Node, group_by: &[Expr]) -> Option<GroupWalk<'n>> {
    let Node::Scan(access) = input else {
        return None;
    };
    let AccessPath::IndexRange(range) = &access.path else {
        return None;
    };
    let terms = group_term_columns(group_by)?;
    range_walks_groups(&access.table, range, &terms).then_some(GroupWalk {
        access,
        range,
        terms,
    })
}

/// Each GROUP BY term's column and collation, when every term is a plain column (under
/// its collation key for a collation other than BINARY); `None` otherwise or for none.
pub fn group_term_columns(group_by: &[Expr]) -> Option<Vec<(usize, Collation)>> {
    if group_by.is_empty() {
        return None;
    }
    group_by
        .iter()
        .map(|term| match term {
            Expr::CollationKey { expr, collation } => {
                plain_column(expr).map(|column| (column, *collation))
            }
            term => plain_column(term).map(|column| (column, Collation::Binary)),
        })
        .collect()
}

/// The column `expr` is (under any `COLLATE`, which passes the value).
fn plain_column(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Column { index, .. } => Some(*index),
        Expr::Collate { expr, .. } => plain_column(expr),
        _ => None,
    }
}

/// Whether a walk of `range` (an index of `table`) reads the group terms `terms` in index
/// order with each group's rows adjacent, as `group_walk` needs.
pub fn range_walks_groups(
    table: &TableDef,
    range: &IndexRange,
    terms: &[(usize, Collation)],
) -> bool {
    let start = range.ranged_position();
    let Some(ordered) = range.index.storage.ordered() else {
        return false;
    };
    !terms.is_empty()
        && !range.first_only
        && range.index.columns.len() >= start + terms.len()
        && terms
            .iter()
            .enumerate()
            .all(|(offset, &(column, collation))| {
                range.index.columns[start + offset] == column
                    && ordered.collations().get(start + offset)
                        == Some(&collation.index_collation())
                    && groups_by_stored_value(table, column, collation)
            })
}

/// Whether the values of `table`'s column `column` that GROUP BY under `collation` finds
/// equal are adjacent in the index and one group's key reads the same from any of them
/// (see the module comment).
fn groups_by_stored_value(table: &TableDef, column: usize, collation: Collation) -> bool {
    table.columns.get(column).is_some_and(|definition| {
        match collation {
            Collation::Binary => matches!(
                definition.affinity,
                Affinity::Integer | Affinity::Real | Affinity::Text
            ),
            // The collation key folds text only: numbers keep their BINARY equality,
            // which a TEXT column holds none of (it stores numbers as text).
            Collation::NoCase | Collation::RTrim => definition.affinity == Affinity::Text,
        }
    })
}

/// Whether `aggregates` give the same result whatever order each group's rows are fed in
/// (a walk backwards feeds them in reverse): COUNT, and MIN/MAX under BINARY (ties there
/// are one value). Sums of REALs round by order; text aggregates concatenate in it.
pub fn order_insensitive(aggregates: &[AggregateCall]) -> bool {
    aggregates.iter().all(|call| match call.function {
        AggregateFunction::CountStar | AggregateFunction::Count => true,
        AggregateFunction::Min | AggregateFunction::Max => call.collation == Collation::Binary,
        _ => false,
    })
}
