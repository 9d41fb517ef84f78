//! Row values, as SQLite has them: `(a, b) = (1, 2)` and the other comparisons, `IS`,
//! `BETWEEN`, `(a, b) IN ((1, 2), ..)`, `(a, b) IN (SELECT x, y ..)`, a multi-column
//! `(SELECT x, y ..)` as an operand, and `UPDATE t SET (a, b) = (..)`. Comparisons become
//! their scalar expansion (`a = 1 AND b = 2`; `a < x OR (a = x AND b < y)`), which gives
//! SQLite's NULL rules; `IN (SELECT ..)` is a subquery of kind `InRow`. A row value anywhere
//! else is `row value misused`, as SQLite says.

use std::sync::Arc;

use sqlparser::ast::{self, BinaryOperator};

use crate::error::Result;
use crate::expr::{BinaryOp, Expr, SubqueryExpr, SubqueryKind};
use crate::plan::{Node, Query};

use super::function::negate_if;
use super::scope::Scope;
use super::Binder;

/// The error of a row value where SQLite takes none (or of the wrong size).
pub(super) fn misused() -> crate::error::Error {
    crate::err!(InvalidInput, "row value misused")
}

/// Whether `expr` is a row value on its face: a parenthesized list of two or more
/// expressions, or a subquery whose SELECT lists two or more items.
pub(super) fn is_row(expr: &ast::Expr) -> bool {
    match expr {
        ast::Expr::Nested(inner) => is_row(inner),
        ast::Expr::Tuple(_) => true,
        ast::Expr::Subquery(query) => match query.body.as_ref() {
            ast::SetExpr::Select(select) => select.projection.len() > 1,
            _ => false,
        },
        _ => false,
    }
}

/// The comparison operators a row value may be an operand of.
pub(super) fn is_row_comparison(op: &BinaryOperator) -> bool {
    matches!(
        op,
        BinaryOperator::Eq
            | BinaryOperator::NotEq
            | BinaryOperator::Lt
            | BinaryOperator::LtEq
            | BinaryOperator::Gt
            | BinaryOperator::GtEq
    )
}

impl Binder<'_> {
    /// The values of a row operand: the items of `(a, b, ..)`, or one scalar subquery per
    /// column of a multi-column `(SELECT ..)`. `width` is the size the other operand asks
    /// for (`None`: this operand decides).
    pub(super) fn bind_row_operand(
        &mut self,
        expr: &ast::Expr,
        scope: &Scope,
        depth: usize,
        width: Option<usize>,
    ) -> Result<Vec<Expr>> {
        let values = match expr {
            ast::Expr::Nested(inner) => return self.bind_row_operand(inner, scope, depth, width),
            ast::Expr::Tuple(items) => items
                .iter()
                .map(|item| self.bind_expr_at(item, scope, depth))
                .collect::<Result<Vec<_>>>()?,
            ast::Expr::Subquery(query) => self.bind_row_subquery(query, scope, depth)?,
            _ => return Err(misused()),
        };
        match width {
            Some(width) if width != values.len() => Err(misused()),
            _ => Ok(values),
        }
    }

    /// `(SELECT x, y ..)` as a row: column `i` is the scalar subquery of the query with
    /// only its column `i` projected (each column's subquery is bound on its own, so each
    /// is cached or rerun as any scalar subquery).
    fn bind_row_subquery(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
        depth: usize,
    ) -> Result<Vec<Expr>> {
        let first = self.bind_query_of_width(query, scope, depth, None)?;
        let width = first.query.columns.len();
        let mut columns = Vec::with_capacity(width);
        columns.push(column_subquery(first, 0)?);
        for index in 1..width {
            let bound = self.bind_query_of_width(query, scope, depth, Some(width))?;
            columns.push(column_subquery(bound, index)?);
        }
        Ok(columns)
    }

    /// Binds `query` as a subquery over `scope`, checking its width against `width`.
    fn bind_query_of_width(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
        depth: usize,
        width: Option<usize>,
    ) -> Result<SubqueryExpr> {
        // Bound as EXISTS, the one kind that takes any number of columns.
        let exists = SubqueryKind::Exists { negated: false };
        let Expr::Subquery(bound) = self.bind_subquery(query, scope, exists, depth)? else {
            return Err(crate::err!(
                Internal,
                "a subquery bound to another expression"
            ));
        };
        let columns = bound.query.columns.len();
        match width {
            Some(width) if width != columns => Err(crate::err!(
                InvalidInput,
                "sub-select returns {columns} columns - expected {width}"
            )),
            _ => Ok(*bound),
        }
    }

    /// `left op right` where either side is a row value.
    pub(super) fn bind_row_comparison(
        &mut self,
        left: &ast::Expr,
        op: BinaryOp,
        right: &ast::Expr,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let (left, right) = self.bind_row_pair(left, right, scope, depth)?;
        Ok(compare_rows(op, left, right))
    }

    /// Both operands of a row comparison, of one size.
    fn bind_row_pair(
        &mut self,
        left: &ast::Expr,
        right: &ast::Expr,
        scope: &Scope,
        depth: usize,
    ) -> Result<(Vec<Expr>, Vec<Expr>)> {
        let width = tuple_width(left).or_else(|| tuple_width(right));
        let left = self.bind_row_operand(left, scope, depth, width)?;
        let right = self.bind_row_operand(right, scope, depth, Some(left.len()))?;
        Ok((left, right))
    }

    /// `row [NOT] BETWEEN low AND high`: `row >= low AND row <= high`.
    pub(super) fn bind_row_between(
        &mut self,
        operand: &ast::Expr,
        low: &ast::Expr,
        high: &ast::Expr,
        negated: bool,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let (value, low) = self.bind_row_pair(operand, low, scope, depth)?;
        let high = self.bind_row_operand(high, scope, depth, Some(value.len()))?;
        let range = and(
            compare_rows(BinaryOp::GreaterOrEqual, value.clone(), low),
            compare_rows(BinaryOp::LessOrEqual, value, high),
        );
        Ok(negate_if(negated, range))
    }

    /// `row [NOT] IN (row, row, ..)`: the rows' equalities OR-ed.
    pub(super) fn bind_row_in_list(
        &mut self,
        operand: &ast::Expr,
        list: &[ast::Expr],
        negated: bool,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let value = self.bind_row_operand(operand, scope, depth, None)?;
        let mut any: Option<Expr> = None;
        for item in list {
            let terms = match unnested(item) {
                ast::Expr::Tuple(items) => items.len(),
                _ => 1,
            };
            if terms != value.len() {
                let plural = if terms == 1 { "" } else { "s" };
                return Err(crate::err!(
                    InvalidInput,
                    "IN(...) element has {terms} term{plural} - expected {}",
                    value.len()
                ));
            }
            let item = self.bind_row_operand(item, scope, depth, Some(value.len()))?;
            let equal = compare_rows(BinaryOp::Equal, value.clone(), item);
            any = Some(match any {
                None => equal,
                Some(before) => Expr::Binary(BinaryOp::Or, Box::new(before), Box::new(equal)),
            });
        }
        let any = any.unwrap_or(Expr::Literal(ember_storage::Value::Boolean(false)));
        Ok(negate_if(negated, any))
    }

    /// `row [NOT] IN (SELECT x, y ..)`: a subquery of kind `InRow`, each operand value
    /// converted for its comparison with the subquery's column (as `x IN (SELECT ..)`).
    pub(super) fn bind_row_in_subquery(
        &mut self,
        operand: &ast::Expr,
        query: &ast::Query,
        negated: bool,
        scope: &Scope,
        depth: usize,
    ) -> Result<Expr> {
        let values = self.bind_row_operand(operand, scope, depth, None)?;
        let mut bound = self.bind_query_of_width(query, scope, depth, Some(values.len()))?;
        let mut exprs = Vec::with_capacity(values.len());
        let mut affinities = Vec::with_capacity(values.len());
        let mut collations = Vec::with_capacity(values.len());
        for (index, value) in values.into_iter().enumerate() {
            let (value, affinity, collation) =
                super::compare::in_subquery_column(value, &bound.query.node, index);
            exprs.push(value);
            affinities.push(affinity);
            collations.push(collation);
        }
        bound.kind = SubqueryKind::InRow {
            exprs,
            negated,
            affinities,
            collations,
        };
        bound.run = crate::optimize::subquery_run(&bound.kind, &bound.query.node);
        Ok(Expr::Subquery(Box::new(bound)))
    }

    /// `SET (a, b, ..) = row`: one (column name, value) pair per column, the sizes as
    /// SQLite checks them (`2 columns assigned 3 values`).
    pub(super) fn bind_row_assignment(
        &mut self,
        columns: &[ast::ObjectName],
        value: &ast::Expr,
        scope: &Scope,
    ) -> Result<Vec<(String, Expr)>> {
        let names = columns
            .iter()
            .map(
                |column| match column.0.last().and_then(|part| part.as_ident()) {
                    Some(ident) => Ok(ident.value.clone()),
                    None => Err(crate::error::unsupported(format!(
                        "assignment target {column}"
                    ))),
                },
            )
            .collect::<Result<Vec<_>>>()?;
        let values = match unnested(value) {
            ast::Expr::Tuple(_) | ast::Expr::Subquery(_) => {
                self.bind_row_operand(value, scope, 0, None)?
            }
            other => vec![self.bind_expr(other, scope)?],
        };
        if values.len() != names.len() {
            return Err(crate::err!(
                InvalidInput,
                "{} columns assigned {} values",
                names.len(),
                values.len()
            ));
        }
        Ok(names.into_iter().zip(values).collect())
    }
}

/// `expr` without the parentheses around it.
fn unnested(expr: &ast::Expr) -> &ast::Expr {
    match expr {
        ast::Expr::Nested(inner) => unnested(inner),
        other => other,
    }
}

/// The size of a `(a, b, ..)` operand (`None` for a subquery or anything else).
fn tuple_width(expr: &ast::Expr) -> Option<usize> {
    match unnested(expr) {
        ast::Expr::Tuple(items) => Some(items.len()),
        _ => None,
    }
}

/// The scalar subquery of column `index` of `bound`'s query.
fn column_subquery(bound: SubqueryExpr, index: usize) -> Result<Expr> {
    let Ok(query) = Arc::try_unwrap(bound.query) else {
        return Err(crate::err!(Internal, "a subquery bound just now is shared"));
    };
    let name = query.columns.get(index).cloned().unwrap_or_default();
    let meta = super::compare::output_meta(&query.node, index);
    let node = Node::Project {
        input: Box::new(query.node),
        exprs: vec![Expr::Column {
            index,
            name: name.clone(),
            meta,
        }],
    };
    let run = crate::optimize::subquery_run(&SubqueryKind::Scalar, &node);
    Ok(Expr::Subquery(Box::new(SubqueryExpr {
        id: bound.id,
        kind: SubqueryKind::Scalar,
        run,
        query: Arc::new(Query {
            node,
            columns: vec![name],
        }),
        correlated: bound.correlated,
        memo_key: bound.memo_key,
        grouped: None,
        outer_reads: bound.outer_reads,
    })))
}

fn and(left: Expr, right: Expr) -> Expr {
    Expr::Binary(BinaryOp::And, Box::new(left), Box::new(right))
}

fn or(left: Expr, right: Expr) -> Expr {
    Expr::Binary(BinaryOp::Or, Box::new(left), Box::new(right))
}

/// The scalar expansion of `left op right` over rows of one size, with SQLite's NULL
/// rules: `=` and `IS` AND the pairs; `<>` and `IS NOT` OR them; an ordering compares
/// the first pair that is not equal (`a < x OR (a = x AND rest)`), NULL when a pair before
/// the deciding one is NULL.
pub(super) fn compare_rows(op: BinaryOp, left: Vec<Expr>, right: Vec<Expr>) -> Expr {
    debug_assert_eq!(left.len(), right.len());
    debug_assert!(!left.is_empty());
    let mut pairs: Vec<(Expr, Expr)> = left.into_iter().zip(right).collect();
    match op {
        BinaryOp::Equal | BinaryOp::IsNotDistinctFrom => fold(op, pairs, and),
        BinaryOp::NotEqual | BinaryOp::IsDistinctFrom => fold(op, pairs, or),
        _ => {
            let strict = match op {
                BinaryOp::LessOrEqual => BinaryOp::Less,
                BinaryOp::GreaterOrEqual => BinaryOp::Greater,
                other => other,
            };
            let Some((last_left, last_right)) = pairs.pop() else {
                return Expr::Literal(ember_storage::Value::Null);
            };
            let mut result = super::expr::binary(op, last_left, last_right);
            while let Some((left, right)) = pairs.pop() {
                let decides = super::expr::binary(strict, left.clone(), right.clone());
                let ties = super::expr::binary(BinaryOp::Equal, left, right);
                result = or(decides, and(ties, result));
            }
            result
        }
    }
}

/// The pairs compared by `op`, combined by `join` left to right.
fn fold(op: BinaryOp, pairs: Vec<(Expr, Expr)>, join: fn(Expr, Expr) -> Expr) -> Expr {
    pairs
        .into_iter()
        .map(|(left, right)| super::expr::binary(op, left, right))
        .reduce(join)
        .unwrap_or(Expr::Literal(ember_storage::Value::Null))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn literal(value: i64) -> Expr {
        Expr::Literal(ember_storage::Value::Integer(value))
    }

    #[test]
    fn orderings_expand_lexicographically() {
        let less = compare_rows(
            BinaryOp::LessOrEqual,
            vec![literal(1), literal(2)],
            vec![literal(3), literal(4)],
        );
        let Expr::Binary(BinaryOp::Or, decides, rest) = less else {
            panic!("an ordering is an OR");
        };
        assert!(matches!(*decides, Expr::Binary(BinaryOp::Less, ..)));
        let Expr::Binary(BinaryOp::And, ties, last) = *rest else {
            panic!("the rest is an AND");
        };
        assert!(matches!(*ties, Expr::Binary(BinaryOp::Equal, ..)));
        assert!(matches!(*last, Expr::Binary(BinaryOp::LessOrEqual, ..)));
    }

    #[test]
    fn equality_ands_and_inequality_ors() {
        let pair = || (vec![literal(1), literal(2)], vec![literal(1), literal(3)]);
        let (l, r) = pair();
        assert!(matches!(
            compare_rows(BinaryOp::Equal, l, r),
            Expr::Binary(BinaryOp::And, ..)
        ));
        let (l, r) = pair();
        assert!(matches!(
            compare_rows(BinaryOp::NotEqual, l, r),
            Expr::Binary(BinaryOp::Or, ..)
        ));
    }
}
