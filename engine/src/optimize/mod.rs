//! The optimizer's access-path choice: a primary-key lookup when the WHERE clause pins every
//! key column with `col = <constant or parameter>`, a full scan otherwise. The whole predicate
//! stays on the access as a recheck, so the lookup can only narrow, never change, the result.

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::expr::{BinaryOp, Expr};
use crate::plan::{AccessPath, TableAccess};

/// Chooses how to reach the rows of `table` that pass `filter`.
pub fn choose_access(table: Arc<TableDef>, filter: Option<Expr>) -> TableAccess {
    let path = match &filter {
        Some(predicate) if !table.primary_key.is_empty() => key_lookup(&table, predicate),
        _ => None,
    };
    TableAccess {
        table,
        path: path.unwrap_or(AccessPath::FullScan),
        filter,
    }
}

fn key_lookup(table: &TableDef, predicate: &Expr) -> Option<AccessPath> {
    let terms = predicate.clone().into_conjuncts();
    let mut values = Vec::with_capacity(table.primary_key.len());
    for &key_column in &table.primary_key {
        let value = terms
            .iter()
            .find_map(|term| equated_constant(term, key_column))?;
        values.push(value);
    }
    Some(AccessPath::KeyLookup(values))
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
