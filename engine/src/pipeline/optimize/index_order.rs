//! Reading a table in index order instead of sorting or aggregating all of it:
//! - `ORDER BY k [DESC] [, k2 ..]` directly over a table access, when an ordered index has
//!   the sort keys as its columns after a prefix the WHERE clause pins by equalities: the
//!   sort is dropped and the access walks the index forward or backward. Done when the
//!   access is already a range of that index, or (for a full scan) when a LIMIT stops the
//!   walk early; a full sort stays cheaper than a whole-table walk in index order. The
//!   INTEGER key of a clustered table is such an index too (`KeyOrder`: its slots are in
//!   key order, its overflow rows are sorted and merged in).
//! - `min(k)` / `max(k)` alone, without GROUP BY: the access reads only the first (last)
//!   non-NULL entry in index order whose row passes the filter, as SQLite's min/max
//!   optimization does. Several of them together: `min_max_split.rs`.
//!
//! NULLs sort first in an ordered index, as in SQLite's default `ASC` (`NULLS FIRST`) and
//! `DESC` (`NULLS LAST`); a sort key with an explicit other NULLS placement keeps the sort.

use crate::catalog::TableDef;
use crate::expr::Expr;
use crate::plan::{
    AccessPath, AggregateCall, AggregateFunction, IndexRange, KeyOrder, KeyRange, Node, SortKey,
};

use super::index_range::{column_collation, equality_prefix, index_collations};

/// Applies both rewrites to the query tree `node` (the body of one query level); `limited`:
/// the query has a LIMIT.
pub fn order_by_index(node: &mut Node, limited: bool) {
    super::min_max_split::split_min_max(node);
    let inner = match node {
        Node::Project { input, .. } => input.as_mut(),
        other => other,
    };
    match inner {
        Node::Sort { input, keys, .. } => {
            if let Node::Scan(access) = input.as_mut() {
                if sort_by_index(
                    &access.table,
                    &mut access.path,
                    access.filter.as_ref(),
                    keys,
                    limited,
                ) {
                    let Node::Sort { input, .. } =
                        std::mem::replace(inner, Node::Values { rows: Vec::new() })
                    else {
                        unreachable!("matched a sort above");
                    };
                    *inner = *input;
                }
            }
        }
        Node::Aggregate {
            input,
            group_by,
            aggregates,
            ..
        } if group_by.is_empty() => {
            // A min()/max() with the bare columns it decides (`bind/min_max_row.rs`): the
            // one row read is the row they come from.
            if let (Node::Scan(access), [call, companions @ ..]) =
                (input.as_mut(), aggregates.as_slice())
            {
                if !companions
                    .iter()
                    .all(|companion| decided_by(companion, call))
                {
                    return;
                }
                min_max_by_index(
                    &access.table,
                    &mut access.path,
                    access.filter.as_ref(),
                    call,
                );
            }
        }
        _ => {}
    }
}

/// Under a `LIMIT` with fixed counts, tells an unfiltered index walk how many rows will be
/// taken (`limit + offset`), so its first batch reads no more entries than that.
pub fn hint_index_walk(node: &mut Node, limit: Option<&Expr>, offset: Option<&Expr>) {
    let Some(limit) = limit.filter(|limit| super::top_k::is_fixed_count(limit)) else {
        return;
    };
    if offset.is_some_and(|offset| !super::top_k::is_fixed_count(offset)) {
        return;
    }
    let inner = match node {
        Node::Project { input, .. } => input.as_mut(),
        other => other,
    };
    if let Node::Scan(access) = inner {
        let taken = || Some(Box::new((limit.clone(), offset.cloned())));
        match (&mut access.path, &access.filter) {
            (AccessPath::IndexRange(range), None) => range.rows_taken = taken(),
            // A key-order walk keeps the overflow rows that pass its filter: the first
            // `limit + offset` of them are all a LIMIT can take, filtered or not.
            (AccessPath::KeyOrder(order), _) => order.rows_taken = taken(),
            _ => {}
        }
    }
}

/// The equality terms of a filter.
fn conjuncts(filter: Option<&Expr>) -> Vec<Expr> {
    filter.map_or_else(Vec::new, |filter| filter.clone().into_conjuncts())
}

/// Makes `path` read in the order of `keys`, if an ordered index allows; returns whether
/// it did (the sort is then redundant).
fn sort_by_index(
    table: &TableDef,
    path: &mut AccessPath,
    filter: Option<&Expr>,
    keys: &[SortKey],
    limited: bool,
) -> bool {
    let Some(first) = keys.first() else {
        return false;
    };
    let descending = first.descending;
    if keys.iter().any(|key| {
        key.descending != descending || key.nulls_first == descending || key.collation.is_some()
    }) {
        return false;
    }
    let follows = |range: &IndexRange| {
        let Some(collations) = index_collations(&range.index) else {
            return false;
        };
        let start = range.ranged_position();
        if range.index.on_expressions() {
            // Its key parts are the expressions (`expression_index::sorts_as_part`).
            return keys.iter().enumerate().all(|(offset, key)| {
                super::expression_index::sorts_as_part(
                    &range.index,
                    start + offset,
                    &key.expr,
                    &collations,
                )
            });
        }
        keys.len() <= range.index.columns.len().saturating_sub(start)
            && keys.iter().enumerate().all(|(offset, key)| {
                let column = range.index.columns[start + offset];
                column_collation(&key.expr, column) == Some(collations[start + offset])
            })
    };
    if let Some(order) = key_order(table, path, filter, keys, limited) {
        *path = order;
        return true;
    }
    match path {
        AccessPath::IndexRange(range) if follows(range) => {
            range.descending = descending;
            true
        }
        AccessPath::FullScan if limited => {
            let terms = conjuncts(filter);
            for index in super::partial_index::usable_indexes(table, &terms) {
                let Some(collations) = index_collations(index) else {
                    continue;
                };
                let mut range = IndexRange {
                    index: index.clone(),
                    prefix: equality_prefix(index, &collations, &terms),
                    lower: None,
                    upper: None,
                    text_prefix: None,
                    prefix_either_case: false,
                    descending,
                    skip_nulls: false,
                    only_nulls: false,
                    first_only: false,
                    rows_taken: None,
                };
                super::null_range::narrow_by_null_test(&mut range, &terms);
                if follows(&range) {
                    *path = AccessPath::IndexRange(Box::new(range));
                    return true;
                }
            }
            for mut range in super::expression_index::order_ranges(table, &terms) {
                if follows(&range) {
                    range.descending = descending;
                    *path = AccessPath::IndexRange(Box::new(range));
                    return true;
                }
            }
            false
        }
        _ => false,
    }
}

/// A walk of a clustered table in the order of its INTEGER key for `keys` when they are that
/// key alone under BINARY: over a key range always (its rows come in slot order, which
/// puts the overflow rows last), over a full scan only when a LIMIT stops the walk early.
/// Not over a full scan whose filter matches an enclosing query's row by equality: inside a
/// correlated subquery that scan reads only the matching rows through a map
/// (`exec::scan::outer_probe`), where a walk in key order would read the whole table for each
/// enclosing row. Key order and NULL placement are `sort_by_index`'s to check.
fn key_order(
    table: &TableDef,
    path: &mut AccessPath,
    filter: Option<&Expr>,
    keys: &[SortKey],
    limited: bool,
) -> Option<AccessPath> {
    let ([key], [column]) = (keys, table.primary_key.as_slice()) else {
        return None;
    };
    let storage = &table.storage;
    if !storage.is_clustered()
        || storage.schema().integer_key_column() != Some(*column)
        || column_collation(&key.expr, *column) != Some(crate::expr::Collation::Binary)
    {
        return None;
    }
    let range = match path {
        AccessPath::FullScan if limited && !filter.is_some_and(crate::exec::may_probe) => {
            KeyRange {
                lower: None,
                upper: None,
            }
        }
        AccessPath::KeyRange(range) => KeyRange {
            lower: range.lower.take(),
            upper: range.upper.take(),
        },
        _ => return None,
    };
    Some(AccessPath::KeyOrder(Box::new(KeyOrder {
        range,
        descending: key.descending,
        rows_taken: None,
    })))
}

/// Whether `companion` is a bare column `call` (a min() or max()) decides.
fn decided_by(companion: &AggregateCall, call: &AggregateCall) -> bool {
    let function = match call.function {
        AggregateFunction::Min => AggregateFunction::ValueAtMin,
        AggregateFunction::Max => AggregateFunction::ValueAtMax,
        _ => return false,
    };
    companion.function == function
        && companion.collation == call.collation
        && companion.args.first() == call.args.first()
}

/// Makes `path` read only the row holding the minimum (maximum) of `call`'s column.
pub(super) fn min_max_by_index(
    table: &TableDef,
    path: &mut AccessPath,
    filter: Option<&Expr>,
    call: &AggregateCall,
) {
    let descending = match call.function {
        AggregateFunction::Min => false,
        AggregateFunction::Max => true,
        _ => return,
    };
    let ([argument], None) = (call.args.as_slice(), &call.filter) else {
        return;
    };
    let follows = |range: &IndexRange| {
        let Some(collations) = index_collations(&range.index) else {
            return false;
        };
        let position = range.ranged_position();
        range.index.columns.get(position).is_some_and(|&column| {
            column_collation(argument, column) == Some(crate::expr::Collation::Binary)
                && collations[position] == call.collation
        })
    };
    let mut chosen = match path {
        AccessPath::IndexRange(range) if follows(range) => {
            std::mem::replace(path, AccessPath::FullScan)
        }
        AccessPath::FullScan => {
            let terms = conjuncts(filter);
            let found = super::partial_index::usable_indexes(table, &terms).find_map(|index| {
                let collations = index_collations(index)?;
                let range = IndexRange {
                    index: index.clone(),
                    prefix: equality_prefix(index, &collations, &terms),
                    lower: None,
                    upper: None,
                    text_prefix: None,
                    prefix_either_case: false,
                    descending,
                    skip_nulls: false,
                    only_nulls: false,
                    first_only: false,
                    rows_taken: None,
                };
                follows(&range).then_some(range)
            });
            match found {
                Some(range) => AccessPath::IndexRange(Box::new(range)),
                None => return,
            }
        }
        _ => return,
    };
    if let AccessPath::IndexRange(range) = &mut chosen {
        range.descending = descending;
        range.skip_nulls = true;
        range.first_only = true;
    }
    *path = chosen;
}
