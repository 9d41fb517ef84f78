//! The optimizer's access-path choice, per base table: a primary-key lookup when the WHERE
//! clause pins every key column with `col = <constant or parameter>`; otherwise a
//! secondary-index lookup when it pins every column of an index that way (unique indexes and
//! then wider indexes first); otherwise the same two with one column pinned by
//! `col IN (<constants>)` instead (one lookup per list value); otherwise a range of a
//! clustered table's INTEGER key bounded on both sides, a range of an ordered index, a
//! key range bounded on one side (`index_range.rs`); otherwise, for an OR every branch of
//! which one of those reaches, their union when cheaper (`or_union.rs`); else a full scan. The
//! whole predicate stays on the access as a recheck, so a lookup can only narrow, never
//! change, the result.

mod anti_join;
mod compound_order;
mod distinct_order;
mod distinct_sort;
mod exists_join;
mod expression_index;
mod fused_read;
mod group_order;
mod index_hint;
mod index_order;
mod index_range;
mod insert_batch;
mod insert_copy;
mod join_access;
mod join_bloom;
mod join_order;
mod lateral_join;
mod lookup_count;
mod min_max_split;
mod null_range;
mod or_union;
mod partial_index;
mod prune;
mod statement;
mod strategy;
mod subquery_by_groups;
mod subquery_memo;
mod subquery_run;
mod top_k;
mod top_threshold;
mod truncate;
mod window_top_n;

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Collation, Expr};
use crate::plan::{AccessPath, ColumnsRead, TableAccess};

pub use compound_order::order_compounds_by_sort;
pub use distinct_order::distinct_by_index;
pub use distinct_sort::sort_distinct_rows;
pub use fused_read::fuse_read;
pub use group_order::group_by_index;
pub use index_hint::hinted_access;
pub use index_order::{hint_index_walk, order_by_index};
pub use index_range::{key_range_rows, range_decides};
pub use insert_batch::{batch_insert, projects_each_row};
pub use join_access::{join_access, scanned_rows, table_rows, JoinChoice, DERIVED_ROWS_ESTIMATE};
pub use join_bloom::{bloom_filter_joins, estimated_rows};
pub use join_order::plan_joins;
pub use lookup_count::count_lookup_by_range;
pub use null_range::count_by_index;
pub use prune::{prune_columns, prune_delete, prune_update};
pub use statement::{optimize_statement, optimize_trigger_statement};
pub use strategy::{aggregate_strategy, choose_strategies};
pub use subquery_by_groups::decorrelate_by_groups;
pub use subquery_memo::memo_only_repeating;
pub use subquery_run::subquery_run;
pub use top_k::bound_sort;
pub use top_threshold::push_top_thresholds;
pub use truncate::delete_whole_table;

pub use window_top_n::bound_window_by_limit;

/// The rules over one bound query level (its body, below any LIMIT), in order: ORDER BY
/// read from an index, DISTINCT read from an index, DISTINCT before a sort, GROUP BY read
/// from an index, counts read from an index (a scan's NULL-test range, a lookup's key
/// range). `limited`: a LIMIT bounds the level.
pub fn query_level(node: &mut crate::plan::Node, limited: bool, columns: &[String]) {
    order_by_index(node, limited);
    distinct_by_index(node);
    sort_distinct_rows(node, columns);
    group_by_index(node, limited);
    count_by_index(node);
    count_lookup_by_range(node);
}

/// The level `node` under its LIMIT and OFFSET, after the rules they enable over it, in
/// order: a top-k sort (which skips the OFFSET itself), an index walk's first batch
/// sized, a window's ranking bounded.
pub fn limited_level(
    mut node: crate::plan::Node,
    limit: Option<Expr>,
    offset: Option<Expr>,
) -> crate::plan::Node {
    let sort_skips = bound_sort(&mut node, limit.as_ref(), offset.as_ref());
    hint_index_walk(&mut node, limit.as_ref(), offset.as_ref());
    bound_window_by_limit(&mut node, limit.as_ref(), offset.as_ref());
    crate::plan::Node::Limit {
        input: Box::new(node),
        limit,
        offset: if sort_skips { None } else { offset },
    }
}

/// The passes over a bound query tree that need the whole tree: which compounds leave
/// their order to the sort above them, the columns each scan decodes, then the strategy
/// of each aggregate and DISTINCT (which may depend on them), then which correlated
/// subqueries are decorrelated into groups and which are memoized, then which hash joins
/// get a runtime bloom filter, then which joins test their streamed rows against a
/// top-k's threshold.
pub fn finish_query(node: &mut crate::plan::Node) {
    order_compounds_by_sort(node);
    prune_columns(node);
    choose_strategies(node);
    decorrelate_by_groups(node);
    memo_only_repeating(node);
    bloom_filter_joins(node);
    push_top_thresholds(node);
}

/// Chooses how to reach the rows of `table` that pass `filter` (and, for a table with
/// `expire_at` or `ttl`, are not expired: that test joins the filter, so every access path
/// rechecks it).
pub fn choose_access(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
    let filter = match crate::plan::expiry_test(&table) {
        None => filter,
        Some(live) => Some(match filter {
            Some(filter) => Expr::Binary(BinaryOp::And, Box::new(filter), Box::new(live)),
            None => live,
        }),
    };
    access_for(table, filter)
}

/// Chooses how to reach the rows of `table` that pass `filter`, which already holds the
/// table's expiry test (a filter taken from an access `choose_access` made).
fn access_for(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
    let path = match &filter {
        Some(predicate) => {
            let terms = predicate.clone().into_conjuncts();
            key_lookup(&table, &terms, false)
                .or_else(|| index_lookup(&table, &terms, false))
                .or_else(|| expression_index::expression_lookup(&table, &terms, false))
                .or_else(|| key_lookup(&table, &terms, true))
                .or_else(|| index_lookup(&table, &terms, true))
                .or_else(|| expression_index::expression_lookup(&table, &terms, true))
                .or_else(|| key_in_set(&table, &terms))
                .or_else(|| index_in_set(&table, &terms))
                .or_else(|| index_range::key_range(&table, &terms, true))
                .or_else(|| index_range::index_range(&table, &terms, true))
                .or_else(|| expression_index::expression_range(&table, &terms))
                .or_else(|| index_range::key_range(&table, &terms, false))
                .or_else(|| or_union::choose_or_union(&table, &terms, predicate))
        }
        None => None,
    };
    let key_residual = match (&path, &filter) {
        (Some(path), Some(predicate)) => path_residual(&table, path, predicate),
        _ => None,
    };
    TableAccess {
        read: ColumnsRead::all(&table),
        table,
        path: path.unwrap_or(AccessPath::FullScan),
        filter,
        key_residual,
    }
}

/// What a row `path` reaches must still pass of `filter` when the path's key or window is
/// exact (`TableAccess::key_residual`): the filter without the conjuncts the path decides;
/// `None` for a path that decides none (the whole filter is rechecked).
fn path_residual(table: &TableDef, path: &AccessPath, filter: &Expr) -> Option<Box<Option<Expr>>> {
    let residual = match path {
        // A lookup of an index on expressions rechecks the whole filter.
        AccessPath::IndexLookup { index, .. } | AccessPath::IndexIn { index, .. }
            if index.on_expressions() =>
        {
            return None
        }
        AccessPath::KeyLookup(values) => key_residual(
            &table.primary_key,
            &primary_collations(table),
            std::slice::from_ref(values),
            filter,
        ),
        AccessPath::KeyIn(keys) => {
            key_residual(&table.primary_key, &primary_collations(table), keys, filter)
        }
        AccessPath::IndexLookup { index, values } => key_residual(
            &index.columns,
            &index_key_collations(index),
            std::slice::from_ref(values),
            filter,
        ),
        AccessPath::IndexIn { index, keys } => {
            key_residual(&index.columns, &index_key_collations(index), keys, filter)
        }
        AccessPath::KeyRange(range) => index_range::key_range_residual(table, range, filter),
        _ => return None,
    };
    Some(Box::new(residual))
}

/// The conjuncts of `filter` other than those a lookup of `keys` (each a value per column of
/// `columns`) decides when every key probes exactly: a `column = value` equality every key
/// holds, and the `column IN (..)` list the keys were made from (key `i` holding member `i`).
fn key_residual(
    columns: &[usize],
    collations: &[Collation],
    keys: &[Vec<Expr>],
    filter: &Expr,
) -> Option<Expr> {
    debug_assert!(keys.iter().all(|key| key.len() == columns.len()));
    let decided = |term: &Expr| {
        columns
            .iter()
            .zip(collations)
            .enumerate()
            .any(|(position, (&column, &collation))| {
                if let Some(value) = equated_under(term, column, collation) {
                    return keys.iter().all(|key| key[position] == value);
                }
                in_list_constants(term, column, collation).is_some_and(|members| {
                    members.len() == keys.len()
                        && members
                            .iter()
                            .zip(keys)
                            .all(|(member, key)| key[position] == *member)
                })
            })
    };
    without_terms(filter, decided)
}

/// `filter` without the conjuncts `decided` accepts (what an access path decided);
/// `None` when nothing is left.
fn without_terms(filter: &Expr, decided: impl Fn(&Expr) -> bool) -> Option<Expr> {
    let remaining = filter
        .clone()
        .into_conjuncts()
        .into_iter()
        .filter(|term| !decided(term))
        .collect();
    Expr::from_conjuncts(remaining)
}

/// The collation each primary-key column is keyed under: its own (see `exec/schema/ddl.rs`).
fn primary_collations(table: &TableDef) -> Vec<Collation> {
    table
        .primary_key
        .iter()
        .map(|&column| table.columns[column].collation)
        .collect()
}

/// The collation each column of `index` is keyed under in its hash map: a unique index's
/// columns' collations, BINARY for the others (keyed by raw values).
fn index_key_collations(index: &IndexDef) -> Vec<Collation> {
    let keyed = index.storage.key_collations();
    // One per key part: storage's columns are the parts (the derived key's, for an index
    // on expressions, whose `columns` is empty).
    (0..index.storage.columns().len())
        .map(|position| {
            keyed.get(position).map_or(Collation::Binary, |&key| {
                [Collation::NoCase, Collation::RTrim]
                    .into_iter()
                    .find(|collation| collation.index_collation() == key)
                    .unwrap_or(Collation::Binary)
            })
        })
        .collect()
}

/// A primary-key lookup: by equalities only, or (`with_in`) with one IN list.
fn key_lookup(table: &TableDef, terms: &[Expr], with_in: bool) -> Option<AccessPath> {
    if table.primary_key.is_empty() {
        return None;
    }
    let collations = primary_collations(table);
    match pinned_keys(&table.primary_key, &collations, terms, with_in)? {
        Pinned::One(values) => Some(AccessPath::KeyLookup(values)),
        Pinned::Many(keys) => Some(AccessPath::KeyIn(keys)),
    }
}

/// The best secondary index whose every column the conjuncts pin to constants (by
/// equalities only, or with one IN list when `with_in`).
fn index_lookup(table: &TableDef, terms: &[Expr], with_in: bool) -> Option<AccessPath> {
    let mut candidates: Vec<&IndexDef> = partial_index::usable_indexes(table, terms).collect();
    // Unique first (at most one row), then more columns (more selective); stable otherwise.
    candidates.sort_by_key(|index| (!index.unique, std::cmp::Reverse(index.columns.len())));
    candidates.into_iter().find_map(|index| {
        let index_def = index.clone();
        let collations = index_key_collations(index);
        match pinned_keys(&index.columns, &collations, terms, with_in)? {
            Pinned::One(values) => Some(AccessPath::IndexLookup {
                index: index_def,
                values,
            }),
            Pinned::Many(keys) => Some(AccessPath::IndexIn {
                index: index_def,
                keys,
            }),
        }
    })
}

/// A one-column INTEGER primary key that some conjunct `key IN (SELECT ..)` (uncorrelated,
/// not negated, the column itself compared) tests: its rows are reached by looking up the
/// set's members (`exec/scan/in_set.rs`), the whole filter rechecked on each.
fn key_in_set(table: &TableDef, terms: &[Expr]) -> Option<AccessPath> {
    let [key] = table.primary_key.as_slice() else {
        return None;
    };
    if table.columns[*key].data_type != ember_storage::DataType::Integer {
        return None;
    }
    terms.iter().find_map(|term| {
        let (subquery, column) = uncorrelated_in_subquery(term)?;
        (column == *key).then(|| AccessPath::KeyInSet(Box::new(subquery.clone())))
    })
}

/// `col IN (SELECT ..)`, uncorrelated and not negated, with the column itself compared:
/// the subquery and the column.
fn uncorrelated_in_subquery(term: &Expr) -> Option<(&crate::expr::SubqueryExpr, usize)> {
    let Expr::Subquery(subquery) = term else {
        return None;
    };
    let crate::expr::SubqueryKind::In {
        expr,
        negated: false,
        ..
    } = &subquery.kind
    else {
        return None;
    };
    let Expr::Column { index: column, .. } = expr.as_ref() else {
        return None;
    };
    (!subquery.correlated).then_some((subquery, *column))
}

/// A one-column secondary index on an INTEGER column that some conjunct `col IN (SELECT
/// ..)` (uncorrelated, not negated, the column itself compared) tests: its rows are reached
/// by probing the set's members (`exec/scan/mod.rs`), the whole filter rechecked on each.
fn index_in_set(table: &TableDef, terms: &[Expr]) -> Option<AccessPath> {
    terms.iter().find_map(|term| {
        let (subquery, column) = uncorrelated_in_subquery(term)?;
        if table.columns.get(column)?.data_type != ember_storage::DataType::Integer {
            return None;
        }
        let index = partial_index::usable_indexes(table, terms)
            .find(|index| index.columns[..] == [column])?;
        Some(AccessPath::IndexInSet {
            index: index.clone(),
            subquery: Box::new(subquery.clone()),
        })
    })
}

/// The key values the conjuncts pin `columns` to.
enum Pinned {
    /// One key: every column equated with a constant.
    One(Vec<Expr>),
    /// Several keys: one column in an IN list of constants, the others equated.
    Many(Vec<Vec<Expr>>),
}

/// For each of `columns` (keyed under `collations`), the constant some conjunct equates it
/// with; with `with_in`, one column (exactly one) may instead be pinned by
/// `col IN (constants)`. `None` unless every column is pinned.
fn pinned_keys(
    columns: &[usize],
    collations: &[Collation],
    terms: &[Expr],
    with_in: bool,
) -> Option<Pinned> {
    debug_assert_eq!(columns.len(), collations.len());
    pin_parts(
        columns.iter().copied().zip(collations.iter().copied()),
        with_in,
        |&(column, collation)| {
            terms
                .iter()
                .find_map(|term| equated_under(term, column, collation))
        },
        |&(column, collation)| {
            terms
                .iter()
                .find_map(|term| in_list_constants(term, column, collation))
        },
    )
}

/// The keys a lookup's parts are pinned to: each part by `equated` (the constant a
/// conjunct equates it with) or, with `with_in`, exactly one part by `in_list` (the
/// constants of an IN list it is in). `None` unless every part is pinned.
fn pin_parts<'t, P>(
    parts: impl Iterator<Item = P>,
    with_in: bool,
    equated: impl Fn(&P) -> Option<Expr>,
    in_list: impl Fn(&P) -> Option<&'t [Expr]>,
) -> Option<Pinned> {
    let mut values = Vec::new();
    let mut list: Option<(usize, &[Expr])> = None;
    for (position, part) in parts.enumerate() {
        if let Some(value) = equated(&part) {
            values.push(value);
            continue;
        }
        if !with_in || list.is_some() {
            return None;
        }
        list = Some((position, in_list(&part)?));
        values.push(Expr::Literal(ember_storage::Value::Null));
    }
    let Some((position, members)) = list else {
        return (!with_in).then_some(Pinned::One(values));
    };
    let keys = members
        .iter()
        .map(|member| {
            let mut key = values.clone();
            key[position] = member.clone();
            key
        })
        .collect();
    Some(Pinned::Many(keys))
}

/// If `term` is `column IN (constants)` (not negated) compared under BINARY or under
/// `collation` (the column's key collation), the constants.
fn in_list_constants(term: &Expr, column: usize, collation: Collation) -> Option<&[Expr]> {
    let Expr::InList {
        expr,
        list,
        negated: false,
    } = term
    else {
        return None;
    };
    (keyed_column(expr, column, collation) && list.iter().all(Expr::is_constant))
        .then_some(list.as_slice())
}

/// Whether `expr`, one side of a comparison, is `column` compared under BINARY (the bare
/// column) or under `collation`, the collation the column is keyed under. A key normalized
/// under a collation finds every row equal under it, so a BINARY comparison finds a
/// superset of its rows, which the rechecked filter narrows.
fn keyed_column(expr: &Expr, column: usize, collation: Collation) -> bool {
    match expr {
        Expr::Column { index, .. } => *index == column,
        Expr::CollationKey {
            expr,
            collation: compared,
        } if *compared == collation && collation != Collation::Binary => {
            let mut inner = expr.as_ref();
            while let Expr::Collate { expr, .. } = inner {
                inner = expr;
            }
            matches!(inner, Expr::Column { index, .. } if *index == column)
        }
        _ => false,
    }
}

/// The value a lookup probes with for `constant`: without the comparison-affinity wrapper
/// the binder put on it for the column (`id = ?` binds as `id = Affinity(?)`), because the
/// lookup converts its probe to the column's type, which finds exactly the rows the
/// converted comparison matches; the filter is rechecked unless the probe is an integer for
/// an INTEGER key. So `id = ?` probes as it did before affinity existed.
fn probe_value(constant: &Expr) -> &Expr {
    match constant {
        Expr::Affinity { expr, .. } => expr,
        other => other,
    }
}

/// If `term` is `column = constant` (either side) under BINARY, the constant.
fn equated_constant(term: &Expr, column: usize) -> Option<Expr> {
    equated_under(term, column, Collation::Binary)
}

/// If `term` is `column = constant` (either side) compared under BINARY or under
/// `collation`, the column's key collation (see `keyed_column`), the constant.
fn equated_under(term: &Expr, column: usize, collation: Collation) -> Option<Expr> {
    let Expr::Binary(BinaryOp::Equal, left, right) = term else {
        return None;
    };
    let constant = if keyed_column(left, column, collation) {
        right
    } else if keyed_column(right, column, collation) {
        left
    } else {
        return None;
    };
    if !constant.is_constant() {
        return None;
    }
    // The key builder normalizes the probe under the collation itself.
    let constant = match constant.as_ref() {
        Expr::CollationKey { expr, .. } => expr,
        other => other,
    };
    Some(probe_value(constant).clone())
}
