//! GROUP BY read in index order (`plan/index_group.rs`: each group's rows then arrive
//! together and are folded as they come, with no hash and no sort):
//! - An aggregate whose access is already a range of an index that walks the GROUP BY
//!   terms in order (chosen for the WHERE clause) folds its groups in walk order: its rows
//!   are read through that index either way.
//! - An aggregate over a whole-table scan becomes a walk of an ordered index led by the
//!   GROUP BY terms when everything the query level reads of the table is in that index's
//!   entries whole (INTEGER or BINARY TEXT columns: a settled index then gives each row
//!   without reading it, `storage::key_only_read`), or when a LIMIT stops a walk that
//!   gives the ORDER BY's order early. Otherwise the walk would read every row out of
//!   table order (a cache miss each), where a scan reads them in order and hashing them
//!   costs less.
//!
//! An ORDER BY of the GROUP BY terms (a leading run of them, ascending, or all of them
//! descending, with the default NULLS placement and each term's collation) is the walk's
//! order: its sort is dropped, and a LIMIT stops the walk after its last group. A walk
//! backwards feeds each group's rows in reverse, so it is taken only for aggregates whose
//! result does not depend on that order (`plan::order_insensitive`).

use crate::catalog::TableDef;
use crate::expr::{Affinity, Collation, Expr};
use crate::plan::{
    group_term_columns, order_insensitive, range_walks_groups, AccessPath, AggregateCall,
    IndexRange, Node, SortKey,
};

use super::index_range::column_collation;

/// What the rewrite does to one query level.
struct Rewrite {
    /// The walk the access becomes (a new whole-index walk, or its range in a direction).
    path: IndexRange,
    /// The ORDER BY sort above the aggregate is the walk's order and goes.
    drop_sort: bool,
}

/// Applies the rewrite to the query tree `node` (the body of one query level); `limited`:
/// the query has a LIMIT.
pub fn group_by_index(node: &mut Node, limited: bool) {
    let Some(rewrite) = plan_rewrite(node, limited) else {
        return;
    };
    let Node::Project { input, .. } = node else {
        return;
    };
    if rewrite.drop_sort {
        if let Node::Sort { input: below, .. } = input.as_mut() {
            let below = std::mem::replace(below.as_mut(), Node::Values { rows: Vec::new() });
            **input = below;
        }
    }
    let aggregate = match input.as_mut() {
        Node::Sort { input, .. } => input.as_mut(),
        other => other,
    };
    let aggregate = match aggregate {
        Node::Filter { input, .. } => input.as_mut(),
        other => other,
    };
    if let Node::Aggregate { input: scan, .. } = aggregate {
        if let Node::Scan(access) = scan.as_mut() {
            access.path = AccessPath::IndexRange(Box::new(rewrite.path));
        }
    }
}

/// The rewrite of `node` (see the module comment), if it applies.
fn plan_rewrite(node: &Node, limited: bool) -> Option<Rewrite> {
    let Node::Project { input, exprs } = node else {
        return None;
    };
    let (sort, below) = match input.as_ref() {
        Node::Sort {
            input,
            keys,
            top: None,
        } => (Some(keys.as_slice()), input.as_ref()),
        other => (None, other),
    };
    let (having, aggregate) = match below {
        Node::Filter { input, predicate } => (Some(predicate), input.as_ref()),
        other => (None, other),
    };
    let Node::Aggregate {
        input: scan,
        group_by,
        aggregates,
        input_width,
        ..
    } = aggregate
    else {
        return None;
    };
    let Node::Scan(access) = scan.as_ref() else {
        return None;
    };
    let terms = group_term_columns(group_by)?;
    let descending = sort.and_then(|keys| sort_direction(keys, &terms, aggregates));
    let drop_sort = descending.is_some();
    let mut path = match &access.path {
        AccessPath::IndexRange(range) if range_walks_groups(&access.table, range, &terms) => {
            range.as_ref().clone()
        }
        AccessPath::FullScan => {
            let mut read = Vec::new();
            let mut opaque = false;
            let mut note = |expr: &Expr| {
                opaque |= expr.has_correlated_subquery();
                read.extend(expr.columns_read());
            };
            exprs.iter().for_each(&mut note);
            sort.into_iter().flatten().for_each(|key| note(&key.expr));
            having.into_iter().for_each(&mut note);
            group_by.iter().for_each(&mut note);
            for call in aggregates {
                call.args.iter().chain(&call.filter).for_each(&mut note);
            }
            access.filter.iter().for_each(&mut note);
            read.retain(|&column| column < *input_width);
            super::partial_index::full_indexes(&access.table).find_map(|index| {
                let range = IndexRange::whole(index);
                let walks = range_walks_groups(&access.table, &range, &terms);
                let worth = (limited && drop_sort)
                    || (!opaque
                        && read
                            .iter()
                            .all(|&column| in_entries_whole(&access.table, &range, column)));
                (walks && worth).then_some(range)
            })?
        }
        _ => return None,
    };
    path.descending = descending.unwrap_or(false);
    Some(Rewrite { path, drop_sort })
}

/// The direction of sort `keys` when the walk of GROUP BY `terms` gives their order (see
/// the module comment), backwards only for `aggregates` that allow it.
fn sort_direction(
    keys: &[SortKey],
    terms: &[(usize, Collation)],
    aggregates: &[AggregateCall],
) -> Option<bool> {
    let descending = keys.first()?.descending;
    let follows = keys.len() <= terms.len()
        && keys.iter().zip(terms).all(|(key, &(column, collation))| {
            key.descending == descending
                && key.nulls_first != descending
                && key.collation.is_none()
                && column_collation(&key.expr, column) == Some(collation)
        });
    let backwards_allowed = keys.len() == terms.len() && order_insensitive(aggregates);
    (follows && (!descending || backwards_allowed)).then_some(descending)
}

/// Whether `column` of `table` is in the entries of `range`'s index whole (an INTEGER or
/// BINARY TEXT key part), so a key-only read gives it without reading the row.
fn in_entries_whole(table: &TableDef, range: &IndexRange, column: usize) -> bool {
    let Some(position) = range.index.columns.iter().position(|&part| part == column) else {
        return false;
    };
    let binary = range
        .index
        .storage
        .ordered()
        .and_then(|ordered| ordered.collations().get(position).copied())
        == Some(Collation::Binary.index_collation());
    table.columns.get(column).is_some_and(|definition| {
        definition.affinity == Affinity::Integer
            || (binary && definition.affinity == Affinity::Text)
    })
}
