//! When a partial index may serve a query: only when the query's WHERE implies the
//! index's WHERE clause, so every row the query wants is in the index. Proven per conjunct
//! of the index's clause, as SQLite's `sqlite3ExprImpliesExpr` does for the simple cases:
//! the query has the same conjunct (structurally equal once bound), or the conjunct is
//! `col IS NOT NULL` and the query compares `col` in a way no NULL passes (`=`, `<>`, `<`,
//! `<=`, `>`, `>=`, `BETWEEN`, `IN (..)`).

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Expr};

/// Whether a query whose WHERE has the conjuncts `terms` (over the table's row) may read
/// through `index`: always for a full index, for a partial one when `terms` imply its
/// WHERE clause.
pub(super) fn usable(index: &IndexDef, terms: &[Expr]) -> bool {
    // An index on expressions serves only the rules that match its expressions
    // (`expression_index.rs`): the others take its key parts for columns.
    !index.on_expressions() && predicate_implied(index, terms)
}

/// Whether the conjuncts `terms` imply the WHERE clause of `index` (always, for an index
/// that is not partial).
pub(super) fn predicate_implied(index: &IndexDef, terms: &[Expr]) -> bool {
    let Some(predicate) = &index.predicate else {
        return true;
    };
    let terms: Vec<Expr> = terms.iter().map(without_names).collect();
    predicate
        .conjuncts
        .iter()
        .all(|conjunct| implied(&without_names(conjunct), &terms))
}

/// The indexes of `table` a query with conjuncts `terms` may read through.
pub(super) fn usable_indexes<'t>(
    table: &'t TableDef,
    terms: &'t [Expr],
) -> impl Iterator<Item = &'t IndexDef> + 't {
    table
        .indexes
        .iter()
        .filter(move |index| usable(index, terms))
}

/// The indexes of `table` that hold every row under its columns' values: what a read that
/// has no WHERE to prove a partial index's clause from may use (an index on expressions
/// is not one: see `usable`).
pub(super) fn full_indexes(table: &TableDef) -> impl Iterator<Item = &IndexDef> {
    table.indexes.iter().filter(|index| index.is_plain())
}

/// Whether one of `terms` implies `conjunct` (both without column names).
fn implied(conjunct: &Expr, terms: &[Expr]) -> bool {
    if terms.iter().any(|term| term == conjunct) {
        return true;
    }
    match conjunct {
        Expr::IsNull {
            expr,
            negated: true,
        } => match column_of(expr) {
            Some(column) => terms.iter().any(|term| refuses_null(term, column)),
            None => false,
        },
        _ => false,
    }
}

/// Whether `term` is a comparison of column `column` that is never TRUE when the column
/// is NULL.
fn refuses_null(term: &Expr, column: usize) -> bool {
    let is_column = |expr: &Expr| column_of(expr) == Some(column);
    match term {
        Expr::Binary(op, left, right) => {
            use BinaryOp::*;
            matches!(
                op,
                Equal | NotEqual | Less | LessOrEqual | Greater | GreaterOrEqual
            ) && (is_column(left) || is_column(right))
        }
        Expr::Between {
            expr,
            negated: false,
            ..
        }
        | Expr::InList {
            expr,
            negated: false,
            ..
        } => is_column(expr),
        Expr::IsNull {
            expr,
            negated: true,
        } => is_column(expr),
        _ => false,
    }
}

/// The column `expr` is, under the affinity and collation wrappers binding puts on a
/// comparison's operands.
fn column_of(expr: &Expr) -> Option<usize> {
    match expr {
        Expr::Column { index, .. } => Some(*index),
        Expr::Affinity { expr, .. }
        | Expr::Collate { expr, .. }
        | Expr::CollationKey { expr, .. } => column_of(expr),
        _ => None,
    }
}

/// `expr` with its columns' names blanked: the names only label EXPLAIN, and a query may
/// qualify a column the index's clause names bare.
pub(super) fn without_names(expr: &Expr) -> Expr {
    expr.without_column_names()
}

#[cfg(test)]
#[path = "partial_index_tests.rs"]
mod tests;
