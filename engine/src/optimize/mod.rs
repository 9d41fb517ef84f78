//! The optimizer's access-path choice, per base table: a primary-key lookup when the WHERE
//! clause pins every key column with `col = <constant or parameter>`; otherwise a
//! secondary-index lookup when it pins every column of an index that way (unique indexes and
//! then wider indexes first); otherwise a full scan. The whole predicate stays on the access
//! as a recheck, so a lookup can only narrow, never change, the result.

use std::sync::Arc;

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};
use crate::plan::{AccessPath, TableAccess};

/// Chooses how to reach the rows of `table` that pass `filter`.
pub fn choose_access(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
    let path = match &filter {
        Some(predicate) => {
            let terms = predicate.clone().into_conjuncts();
            key_lookup(&table, &terms).or_else(|| index_lookup(&table, &terms))
        }
        None => None,
    };
    TableAccess {
        table,
        path: path.unwrap_or(AccessPath::FullScan),
        filter,
    }
}

fn key_lookup(table: &TableDef, terms: &[Expr]) -> Option<AccessPath> {
    if table.primary_key.is_empty() {
        return None;
    }
    let values = pinned_values(&table.primary_key, terms)?;
    Some(AccessPath::KeyLookup(values))
}

/// The best secondary index whose every column the conjuncts pin to a constant.
fn index_lookup(table: &TableDef, terms: &[Expr]) -> Option<AccessPath> {
    let mut candidates: Vec<&IndexDef> = table.indexes.iter().collect();
    // Unique first (at most one row), then more columns (more selective); stable otherwise.
    candidates.sort_by_key(|index| (!index.unique, std::cmp::Reverse(index.columns.len())));
    candidates.into_iter().find_map(|index| {
        let values = pinned_values(&index.columns, terms)?;
        Some(AccessPath::IndexLookup {
            index: index.clone(),
            values,
        })
    })
}

/// For each of `columns`, the constant some conjunct equates it with; `None` unless all are.
fn pinned_values(columns: &[usize], terms: &[Expr]) -> Option<Vec<Expr>> {
    columns
        .iter()
        .map(|&column| terms.iter().find_map(|term| equated_constant(term, column)))
        .collect()
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
            Some(constant.clone())
        }
        _ => None,
    }
}
