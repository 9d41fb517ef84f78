//! Several `min(k)` / `max(k)` aggregates together, without GROUP BY: when each one alone
//! could read a single index entry (`index_order::min_max_by_index`), the aggregate is split
//! into one single-entry aggregate per call, cross-joined (each gives exactly one row).
//! `SELECT min(a), max(a) FROM t` then reads two index entries instead of every row.
//! (PostgreSQL makes the same rewrite; SQLite's min/max optimization takes one call only.)
//!
//! Done only for calls whose ties are identical values (`ties_identical`), when nothing
//! above reads the aggregate's bare columns (which SQLite takes from the row of one of the
//! min/max calls; a split has no single such row), and when every call gets its
//! single-entry walk that the index range alone decides (no filter left to recheck, which
//! could make each walk read far into the index): otherwise one scan for all calls is
//! cheaper.

use crate::catalog::TableDef;
use crate::expr::{Affinity, Collation, Expr};
use crate::plan::{
    AccessPath, AggregateCall, AggregateFunction, ColumnsRead, Join, JoinKind, Node, TableAccess,
};

use super::index_order::min_max_by_index;
use super::index_range::range_decides;

/// Calls split at most: each becomes its own walk and join level.
const CALLS_SPLIT_MAX: usize = 16;

/// Splits `node` (a query level's body) as the module comment says, if it applies.
pub fn split_min_max(node: &mut Node) {
    let Node::Project { input, exprs } = node else {
        return;
    };
    let Node::Aggregate {
        input: scan,
        group_by,
        aggregates,
        input_width,
        ..
    } = input.as_mut()
    else {
        return;
    };
    let input_width = *input_width;
    let Node::Scan(access) = scan.as_mut() else {
        return;
    };
    let splittable = group_by.is_empty()
        && (2..=CALLS_SPLIT_MAX).contains(&aggregates.len())
        && aggregates.iter().all(|call| {
            matches!(
                call.function,
                AggregateFunction::Min | AggregateFunction::Max
            )
        })
        && exprs.iter().all(|expr| {
            !expr.has_correlated_subquery()
                && expr
                    .columns_read()
                    .iter()
                    .all(|&column| column >= input_width)
        });
    if !splittable {
        return;
    }
    let mut parts = Vec::with_capacity(aggregates.len());
    for call in aggregates.iter() {
        if !ties_identical(&access.table, call) {
            return;
        }
        let Some(path) = same_path(&access.path) else {
            return;
        };
        let mut part = TableAccess {
            table: access.table.clone(),
            path,
            filter: access.filter.clone(),
            read: ColumnsRead::all(&access.table),
            key_residual: None,
        };
        min_max_by_index(&part.table, &mut part.path, part.filter.as_ref(), call);
        let AccessPath::IndexRange(range) = &part.path else {
            return;
        };
        let decided = part.filter.as_ref().is_none_or(|filter| {
            filter
                .clone()
                .into_conjuncts()
                .iter()
                .all(|term| range_decides(range, term))
        });
        if !range.first_only || !decided {
            return;
        }
        parts.push(Node::Aggregate {
            input: Box::new(Node::Scan(part)),
            group_by: Vec::new(),
            aggregates: vec![call.clone()],
            input_width,
            strategy: crate::plan::AggregateStrategy::Hash,
            bare_reads: None,
        });
    }
    let part_width = input_width + 1;
    let mut parts = parts.into_iter();
    let Some(mut joined) = parts.next() else {
        return;
    };
    let mut width = part_width;
    for part in parts {
        joined = Node::Join(Box::new(Join {
            kind: JoinKind::Inner,
            left: joined,
            right: part,
            left_keys: Vec::new(),
            right_keys: Vec::new(),
            condition: None,
            left_width: width,
            right_width: part_width,
            probe: None,
            build_left: false,
            unmatched_only: false,
            existence: None,
            bloom: None,
            top_gate: None,
        }));
        width += part_width;
    }
    // Call `i` was column `input_width + i`; it is now the last column of part `i`.
    let moved = |column: usize| {
        debug_assert!(column >= input_width, "bare columns are never split");
        (column - input_width) * part_width + input_width
    };
    *exprs = exprs
        .iter()
        .map(|expr| expr.map_columns(&moved))
        .collect::<Vec<Expr>>();
    **input = joined;
}

/// Whether values the call finds equal are the very same value, so that the index walk's
/// pick among ties is the one a scan keeps: BINARY text, and INTEGER and REAL columns
/// (their affinity makes `1` and `1.0` one stored form). Under NOCASE, or in a column
/// without affinity, `'a'`/`'A'` or `1`/`1.0` tie, and SQLite's scan keeps the first in
/// row order where a descending walk meets the last.
fn ties_identical(table: &TableDef, call: &AggregateCall) -> bool {
    let [Expr::Column { index, .. }] = call.args.as_slice() else {
        return false;
    };
    table.columns.get(*index).is_some_and(|column| {
        call.collation == Collation::Binary
            && matches!(
                column.affinity,
                Affinity::Integer | Affinity::Real | Affinity::Text
            )
    })
}

/// A copy of a full scan or an index range (the paths a min/max walk can start from).
fn same_path(path: &AccessPath) -> Option<AccessPath> {
    match path {
        AccessPath::FullScan => Some(AccessPath::FullScan),
        AccessPath::IndexRange(range) => Some(AccessPath::IndexRange(range.clone())),
        _ => None,
    }
}
