//! The optimizer's access-path choice, per base table: a primary-key lookup when the WHERE
//! clause pins every key column with `col = <constant or parameter>`; otherwise a
//! secondary-index lookup when it pins every column of an index that way (unique indexes and
//! then wider indexes first); otherwise the same two with one column pinned by
//! `col IN (<constants>)` instead (one lookup per list value); otherwise a range of an
//! ordered index (`index_range.rs`); otherwise a full scan. The
//! whole predicate stays on the access as a recheck, so a lookup can only narrow, never
//! change, the result.

mod index_order;
mod index_range;
mod join_access;
mod prune;
mod top_k;

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};
use crate::plan::{AccessPath, ColumnsRead, TableAccess};

pub use index_order::{hint_index_walk, order_by_index};
pub use join_access::{join_access, table_rows, JoinChoice};
pub use prune::{prune_columns, prune_delete, prune_update};
pub use top_k::bound_sort;

/// Chooses how to reach the rows of `table` that pass `filter`.
pub fn choose_access(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
    let path = match &filter {
        Some(predicate) => {
            let terms = predicate.clone().into_conjuncts();
            key_lookup(&table, &terms, false)
                .or_else(|| index_lookup(&table, &terms, false))
                .or_else(|| key_lookup(&table, &terms, true))
                .or_else(|| index_lookup(&table, &terms, true))
                .or_else(|| index_range::index_range(&table, &terms))
        }
        None => None,
    };
    let key_residual = match (&path, &filter) {
        (Some(AccessPath::KeyLookup(values)), Some(predicate)) => Some(Box::new(key_residual(
            &table.primary_key,
            values,
            predicate,
        ))),
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

/// The conjuncts of `filter` other than the `column = value` equalities a key lookup on
/// `columns` with `values` was built from.
fn key_residual(columns: &[usize], values: &[Expr], filter: &Expr) -> Option<Expr> {
    let remaining = filter
        .clone()
        .into_conjuncts()
        .into_iter()
        .filter(|term| {
            !columns
                .iter()
                .zip(values)
                .any(|(&column, value)| equated_constant(term, column).as_ref() == Some(value))
        })
        .collect();
    Expr::from_conjuncts(remaining)
}

/// A primary-key lookup: by equalities only, or (`with_in`) with one IN list.
fn key_lookup(table: &TableDef, terms: &[Expr], with_in: bool) -> Option<AccessPath> {
    if table.primary_key.is_empty() {
        return None;
    }
    match pinned_keys(&table.primary_key, terms, with_in)? {
        Pinned::One(values) => Some(AccessPath::KeyLookup(values)),
        Pinned::Many(keys) => Some(AccessPath::KeyIn(keys)),
    }
}

/// The best secondary index whose every column the conjuncts pin to constants (by
/// equalities only, or with one IN list when `with_in`).
fn index_lookup(table: &TableDef, terms: &[Expr], with_in: bool) -> Option<AccessPath> {
    let mut candidates: Vec<&IndexDef> = table.indexes.iter().collect();
    // Unique first (at most one row), then more columns (more selective); stable otherwise.
    candidates.sort_by_key(|index| (!index.unique, std::cmp::Reverse(index.columns.len())));
    candidates.into_iter().find_map(|index| {
        let index_def = index.clone();
        match pinned_keys(&index.columns, terms, with_in)? {
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

/// The key values the conjuncts pin `columns` to.
enum Pinned {
    /// One key: every column equated with a constant.
    One(Vec<Expr>),
    /// Several keys: one column in an IN list of constants, the others equated.
    Many(Vec<Vec<Expr>>),
}

/// For each of `columns`, the constant some conjunct equates it with; with `with_in`, one
/// column (exactly one) may instead be pinned by `col IN (constants)`. `None` unless every
/// column is pinned.
fn pinned_keys(columns: &[usize], terms: &[Expr], with_in: bool) -> Option<Pinned> {
    let mut values = Vec::with_capacity(columns.len());
    let mut list: Option<(usize, &[Expr])> = None;
    for (position, &column) in columns.iter().enumerate() {
        if let Some(value) = terms.iter().find_map(|term| equated_constant(term, column)) {
            values.push(value);
            continue;
        }
        if !with_in || list.is_some() {
            return None;
        }
        let members = terms
            .iter()
            .find_map(|term| in_list_constants(term, column))?;
        list = Some((position, members));
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

/// If `term` is `column IN (constants)` (not negated), the constants.
fn in_list_constants(term: &Expr, column: usize) -> Option<&[Expr]> {
    let Expr::InList {
        expr,
        list,
        negated: false,
    } = term
    else {
        return None;
    };
    match expr.as_ref() {
        Expr::Column { index, .. } if *index == column && list.iter().all(Expr::is_constant) => {
            Some(list)
        }
        _ => None,
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

/// If `term` is `column = constant` (either side), the constant.
fn equated_constant(term: &Expr, column: usize) -> Option<Expr> {
    let Expr::Binary(BinaryOp::Equal, left, right) = term else {
        return None;
    };
    match (left.as_ref(), right.as_ref()) {
        (Expr::Column { index, .. }, constant) | (constant, Expr::Column { index, .. })
            if *index == column && constant.is_constant() =>
        {
            Some(probe_value(constant).clone())
        }
        _ => None,
    }
}
