//! DISTINCT and `count(DISTINCT col)` read in index order (`plan/index_distinct.rs`: equal
//! values then arrive adjacent and are compared with the previous one, not hashed):
//! - `SELECT DISTINCT cols FROM t [ORDER BY cols]` over a whole table without a filter
//!   becomes a walk of an ordered index whose leading columns are `cols` (BINARY, of
//!   INTEGER, REAL or TEXT affinity); an ORDER BY of those columns in one direction (with
//!   the default NULLS placement) is then the walk's order, and its sort is dropped, so a
//!   LIMIT stops the walk after its last distinct row. A range already chosen for the
//!   WHERE clause is kept when it walks `cols` in order.
//! - `SELECT count(DISTINCT col) FROM t` without a filter becomes a walk of an ordered
//!   index led by `col` under the call's collation, past the NULLs (which count(DISTINCT)
//!   ignores), when nothing above reads the aggregate's bare columns (a scan's first row
//!   differs from a walk's).
//!
//! A filter the chosen access does not decide keeps the plan as it is: a walk would read
//! every row out of table order to test it, where a scan reads them in order.

use crate::catalog::TableDef;
use crate::expr::{Collation, Expr};
use crate::plan::{
    counts_distinct_in_order, range_walks_distinct, AccessPath, IndexRange, Node, SortKey,
};

use super::index_range::column_collation;
use super::partial_index::full_indexes;

/// Applies both rewrites to the query tree `node` (the body of one query level).
pub fn distinct_by_index(node: &mut Node) {
    match node {
        Node::Distinct {
            input, collations, ..
        } => distinct_rows(input, collations),
        Node::Project { input, exprs } => count_distinct(input, exprs),
        _ => {}
    }
}

/// `Distinct` over `input` (see the module comment).
fn distinct_rows(input: &mut Node, collations: &[Collation]) {
    if collations
        .iter()
        .any(|collation| *collation != Collation::Binary)
    {
        return;
    }
    let Node::Project {
        input: below,
        exprs,
    } = input
    else {
        return;
    };
    let Some(columns) = exprs
        .iter()
        .map(|expr| match expr {
            Expr::Column { index, .. } => Some(*index),
            _ => None,
        })
        .collect::<Option<Vec<usize>>>()
    else {
        return;
    };
    let sorted = match below.as_ref() {
        Node::Sort {
            input,
            keys,
            top: None,
        } if matches!(input.as_ref(), Node::Scan(_)) => match sort_direction(keys, &columns) {
            Some(descending) => Some(descending),
            None => return,
        },
        Node::Scan(_) => None,
        _ => return,
    };
    let scan = match below.as_mut() {
        Node::Sort { input, .. } => input.as_mut(),
        other => other,
    };
    let Node::Scan(access) = scan else {
        return;
    };
    let descending = sorted.unwrap_or(false);
    match &mut access.path {
        AccessPath::IndexRange(range) if range_walks_distinct(&access.table, range, &columns) => {
            range.descending = descending;
        }
        AccessPath::FullScan if access.filter.is_none() => {
            let found = full_indexes(&access.table).find_map(|index| {
                let mut range = IndexRange::whole(index);
                range.descending = descending;
                range_walks_distinct(&access.table, &range, &columns).then_some(range)
            });
            match found {
                Some(range) => access.path = AccessPath::IndexRange(Box::new(range)),
                None => return,
            }
        }
        _ => return,
    }
    if let Node::Sort { input: scan, .. } = below.as_mut() {
        let scan = std::mem::replace(scan.as_mut(), Node::Values { rows: Vec::new() });
        **below = scan;
    }
}

/// The direction of sort `keys` when they order by a leading run of `columns` (the table
/// columns a DISTINCT outputs), all one way with the default NULLS placement and BINARY.
fn sort_direction(keys: &[SortKey], columns: &[usize]) -> Option<bool> {
    let descending = keys.first()?.descending;
    let follows = keys.len() <= columns.len()
        && keys.iter().zip(columns).all(|(key, &column)| {
            key.descending == descending
                && key.nulls_first != descending
                && key.collation.is_none()
                && column_collation(&key.expr, column) == Some(Collation::Binary)
        });
    follows.then_some(descending)
}

/// `count(DISTINCT col)` aggregated under a projection of `exprs` (see the module comment).
fn count_distinct(input: &mut Node, exprs: &[Expr]) {
    let Node::Aggregate {
        input: scan,
        group_by,
        aggregates,
        input_width,
        ..
    } = input
    else {
        return;
    };
    let reads_bare = exprs.iter().any(|expr| {
        expr.has_correlated_subquery()
            || expr
                .columns_read()
                .iter()
                .any(|&column| column < *input_width)
    });
    let Node::Scan(access) = scan.as_mut() else {
        return;
    };
    if reads_bare || !matches!(access.path, AccessPath::FullScan) || access.filter.is_some() {
        return;
    }
    let found = walk_counting(&access.table, group_by, aggregates);
    if let Some(range) = found {
        access.path = AccessPath::IndexRange(Box::new(range));
    }
}

/// A walk of one of `table`'s indexes, past NULLs, that counts the one `count(DISTINCT
/// col)` of `aggregates` in order.
fn walk_counting(
    table: &TableDef,
    group_by: &[Expr],
    aggregates: &[crate::plan::AggregateCall],
) -> Option<IndexRange> {
    full_indexes(table).find_map(|index| {
        let mut range = IndexRange::whole(index);
        range.skip_nulls = true;
        counts_distinct_in_order(&range, group_by, aggregates).map(|_| range)
    })
}
