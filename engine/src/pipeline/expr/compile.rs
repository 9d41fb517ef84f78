//! Compiled scan predicates: the common filter shapes turned once per scan into a small
//! tree that reads the row's values in place: `column <op> constant` either way round,
//! `column [NOT] BETWEEN constant AND constant`, `column IS [NOT] NULL` (answered without
//! building a value), the same three over compiled operands (`scalar.rs`: arithmetic,
//! function calls, CAST, columns, constants: `b % 7 = 3`, `upper(substr(s, 1, 2)) = 'K5'`),
//! `operand [NOT] IN (constants)` (the list evaluated once, `in_constants.rs`), a compiled
//! operand read as a truth value (`s LIKE '%99%'`, a bare column), and AND / OR
//! / NOT of those. Constants (literals, parameters, and those under the binder's affinity
//! wrapper) are evaluated once, when the predicate is compiled.
//!
//! Semantics are the tree walker's exactly: comparisons go through the same `sql_compare`
//! with the operands in the written order, BETWEEN through `predicate::between`, and the
//! three-valued AND / OR / NOT of `ops`, with AND and OR stopping at the same operand the
//! tree walker stops at. A compiled predicate cannot fail (staging reorders its terms,
//! parallel workers run it): an operand that could fail (`Scalar::can_fail`) keeps the
//! tree, and so does every other shape (a collation, an affinity on the column side, a
//! correlated subquery, a function that does not compile).
//!
//! A filter whose only obstacle is an operand that may fail (`g || '-' || b = 'g7-7'`,
//! `replace(s, 'k', '') = '1'`) compiles as `Predicate::Checked`: the compiled tree runs,
//! and on a row where an operand fails (`infallible` notes it in `OPERAND_FAILED`) the
//! expression tree answers that row instead, so the row's result or error is the tree's.
//! A checked predicate is evaluated whole, in the tree's order, so it is never staged,
//! reordered or given to parallel workers: only `Predicate::Compiled` is.

use std::cell::Cell;
use std::cmp::Ordering;

use ember_storage::Value;

use super::in_constants::InConstants;
use super::number_fn::{between_numbers, NumberFn};
use super::ops::{compare_numbers, sql_compare, truth, BinaryOp, UnaryOp};
use super::scalar::{constant_value, Operand, Scalar};
use super::scalar_case::taken_branch;
use super::text_view::TextView;
use super::{EvalContext, Expr};
use crate::error::Result;

/// A scan filter: compiled when its shape allows, else the expression tree.
pub enum Predicate<'e> {
    /// Compiled over operands that cannot fail: its terms may run in any order.
    Compiled(Compiled),
    /// Compiled over operands some of which may fail; `tree` answers the rows where one
    /// does (module comment).
    Checked {
        compiled: Compiled,
        tree: &'e Expr,
    },
    Tree(&'e Expr),
}

thread_local! {
    /// Set by `infallible` when a compiled operand fails; read and cleared by a checked
    /// predicate after each row. A strict predicate's operands never set it (and a value
    /// left set costs a checked predicate one row answered by the tree, not a wrong one).
    static OPERAND_FAILED: Cell<bool> = const { Cell::new(false) };
}

/// Whether a compiled operand failed since the last call (and clears the note).
#[inline]
fn take_operand_failure() -> bool {
    OPERAND_FAILED.with(|failed| failed.replace(false))
}

impl<'e> Predicate<'e> {
    /// Compiles `expr` (its constants evaluated in `context`), checked when an operand
    /// may fail, or keeps the tree.
    pub fn new(expr: &'e Expr, context: &EvalContext<'_>) -> Predicate<'e> {
        if let Some(compiled) = Compiled::of(expr, context) {
            return Predicate::Compiled(compiled);
        }
        match Compiled::of_fallible(expr, context, true) {
            Some(compiled) => Predicate::Checked {
                compiled,
                tree: expr,
            },
            None => Predicate::Tree(expr),
        }
    }

    /// Whether `row` passes (only TRUE passes).
    #[inline]
    pub fn matches(&self, row: &[Value], context: &EvalContext<'_>) -> Result<bool> {
        match self {
            Predicate::Compiled(compiled) => {
                let passes = compiled.passes(row);
                debug_assert!(!take_operand_failure(), "a strict compiled operand failed");
                Ok(passes)
            }
            Predicate::Checked { compiled, tree } => {
                let passes = compiled.passes(row);
                if take_operand_failure() {
                    // An operand failed: the tree gives this row's answer or its error.
                    return tree.matches(row, context);
                }
                Ok(passes)
            }
            Predicate::Tree(expr) => expr.matches(row, context),
        }
    }

    /// Whether the predicate compiled over operands that cannot fail (`Compiled`).
    pub fn is_compiled(&self) -> bool {
        matches!(self, Predicate::Compiled(_))
    }
}

/// A compiled predicate tree.
#[derive(Debug, Clone)]
pub enum Compiled {
    /// `row[column] <op> constant`, or `constant <op> row[column]` with `constant_first`.
    Compare {
        column: usize,
        op: BinaryOp,
        constant: Value,
        constant_first: bool,
    },
    Between {
        column: usize,
        low: Value,
        high: Value,
        negated: bool,
    },
    IsNull {
        column: usize,
        negated: bool,
    },
    /// `left <op> right` over compiled operands (neither side a column compared with a
    /// constant: that is `Compare`).
    CompareScalars {
        op: BinaryOp,
        left: Scalar,
        right: Scalar,
        /// When both sides are of a `Scalar::numeric_shape` (decided once, not per row):
        /// their numbers as closures (`number_fn.rs`).
        numbers: Option<Box<(NumberFn, NumberFn)>>,
    },
    /// `operand [NOT] BETWEEN low AND high` over compiled operands.
    BetweenScalars {
        operand: Scalar,
        low: Scalar,
        high: Scalar,
        negated: bool,
        /// When all three are of a `Scalar::numeric_shape`: their numbers as closures.
        numbers: Option<Box<[NumberFn; 3]>>,
    },
    /// `operand IS [NOT] NULL` of a computed operand.
    IsNullScalar {
        operand: Scalar,
        negated: bool,
        /// When the operand is of a `Scalar::numeric_shape`: its number as a closure.
        number: Option<NumberFn>,
    },
    /// `operand [NOT] IN (constants)`, the list evaluated once (`in_constants.rs`).
    InList {
        operand: Scalar,
        constants: Box<InConstants>,
    },
    /// `operand [NOT] IN (SELECT ..)` of an uncorrelated subquery: its set, computed once
    /// per execution (the statement's cache shares it), probed per row.
    InSet {
        operand: Scalar,
        set: Box<super::subquery::InSet>,
    },
    /// A compiled operand's truth: `s LIKE 'a%'`, a bare column, a function's result.
    Truth(Scalar),
    /// AND (`decisive` false) or OR (`decisive` true) of every term: the `decisive` truth
    /// if any term has it, else NULL if any term is NULL, else the other truth.
    Junction {
        decisive: bool,
        terms: Vec<Compiled>,
    },
    Not(Box<Compiled>),
}

impl Compiled {
    /// `expr` compiled over operands that cannot fail; `None` for a shape not covered.
    pub(super) fn of(expr: &Expr, context: &EvalContext<'_>) -> Option<Compiled> {
        Compiled::of_fallible(expr, context, false)
    }

    /// `expr` compiled; with `fallible`, over operands that may fail too (for
    /// `Predicate::Checked` only: nothing else notices a failure).
    fn of_fallible(expr: &Expr, context: &EvalContext<'_>, fallible: bool) -> Option<Compiled> {
        let operand = |expr: &Expr, context: &EvalContext<'_>| operand(expr, context, fallible);
        Some(match expr {
            Expr::Binary(op @ (BinaryOp::And | BinaryOp::Or), left, right) => {
                // Nested junctions of the same kind flatten: three-valued AND and OR are
                // associative.
                let decisive = *op == BinaryOp::Or;
                let mut terms = Vec::new();
                for side in [left, right] {
                    match Compiled::of_fallible(side, context, fallible)? {
                        Compiled::Junction {
                            decisive: inner,
                            terms: more,
                        } if inner == decisive => terms.extend(more),
                        term => terms.push(term),
                    }
                }
                Compiled::Junction { decisive, terms }
            }
            Expr::Unary(UnaryOp::Not, operand) => {
                Compiled::Not(Box::new(Compiled::of_fallible(operand, context, fallible)?))
            }
            Expr::Binary(op, left, right) if is_comparison(*op) => {
                match column_compare(*op, left, right, context) {
                    Some(compare) => compare,
                    None => {
                        let (left, right) = (operand(left, context)?, operand(right, context)?);
                        Compiled::CompareScalars {
                            op: *op,
                            numbers: (left.numeric_shape() && right.numeric_shape())
                                .then(|| Box::new((NumberFn::of(&left), NumberFn::of(&right)))),
                            left,
                            right,
                        }
                    }
                }
            }
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let bounds = (constant_value(low, context), constant_value(high, context));
                match (expr.as_ref(), bounds) {
                    (Expr::Column { index, .. }, (Some(low), Some(high))) => Compiled::Between {
                        column: *index,
                        low,
                        high,
                        negated: *negated,
                    },
                    _ => {
                        let sides = [expr, low, high].map(|side| operand(side, context));
                        let [Some(operand), Some(low), Some(high)] = sides else {
                            return None;
                        };
                        let numbers = [&operand, &low, &high]
                            .iter()
                            .all(|side| side.numeric_shape())
                            .then(|| Box::new([&operand, &low, &high].map(NumberFn::of)));
                        Compiled::BetweenScalars {
                            operand,
                            low,
                            high,
                            negated: *negated,
                            numbers,
                        }
                    }
                }
            }
            Expr::IsNull { expr, negated } => match expr.as_ref() {
                Expr::Column { index, .. } => Compiled::IsNull {
                    column: *index,
                    negated: *negated,
                },
                _ => {
                    let operand = operand(expr, context)?;
                    Compiled::IsNullScalar {
                        number: operand.numeric_shape().then(|| NumberFn::of(&operand)),
                        operand,
                        negated: *negated,
                    }
                }
            },
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let constants = list
                    .iter()
                    .map(|item| constant_value(item, context))
                    .collect::<Option<Vec<Value>>>()?;
                Compiled::InList {
                    operand: operand(expr, context)?,
                    constants: Box::new(InConstants::new(constants, *negated)),
                }
            }
            Expr::Subquery(subquery) if !subquery.correlated => match &subquery.kind {
                super::SubqueryKind::In { expr, .. } => {
                    // The operand first: the set is computed only for a term that compiles.
                    let operand = operand(expr, context)?;
                    Compiled::InSet {
                        operand,
                        set: Box::new(subquery.in_set(context)?),
                    }
                }
                _ => Compiled::Truth(operand(expr, context)?),
            },
            other => Compiled::Truth(operand(other, context)?),
        })
    }

    /// Calls `visit` with every column the predicate reads.
    pub fn for_each_column(&self, visit: &mut impl FnMut(usize)) {
        match self {
            Compiled::Compare { column, .. }
            | Compiled::Between { column, .. }
            | Compiled::IsNull { column, .. } => visit(*column),
            Compiled::CompareScalars { left, right, .. } => {
                left.for_each_column(visit);
                right.for_each_column(visit);
            }
            Compiled::BetweenScalars {
                operand, low, high, ..
            } => {
                operand.for_each_column(visit);
                low.for_each_column(visit);
                high.for_each_column(visit);
            }
            Compiled::IsNullScalar { operand, .. }
            | Compiled::Truth(operand)
            | Compiled::InList { operand, .. }
            | Compiled::InSet { operand, .. } => operand.for_each_column(visit),
            Compiled::Junction { terms, .. } => {
                for term in terms {
                    term.for_each_column(visit);
                }
            }
            Compiled::Not(operand) => operand.for_each_column(visit),
        }
    }

    /// Whether the predicate is TRUE over `row` (`truth(row) == Some(true)`). A comparison
    /// or BETWEEN of a column with constants of its own numeric class (both integers or
    /// both reals, the common scan filter) is answered inline, without `truth`'s call;
    /// every other case goes to `truth`.
    #[inline(always)]
    pub fn passes(&self, row: &[Value]) -> bool {
        match self.same_class_truth(row) {
            Some(answer) => answer,
            None => self.truth(row) == Some(true),
        }
    }

    /// The truth of a comparison or BETWEEN of a column with constants of its own numeric
    /// class (both integers or both reals), or of a column's IS [NOT] NULL, which is never
    /// NULL; `None` for every other predicate and operand pair (`truth` answers those).
    #[inline(always)]
    fn same_class_truth(&self, row: &[Value]) -> Option<bool> {
        match self {
            Compiled::Compare {
                column,
                op,
                constant,
                constant_first,
            } => {
                let ordering = same_class_order(&row[*column], constant)?;
                let ordering = if *constant_first {
                    ordering.reverse()
                } else {
                    ordering
                };
                Some(compared(*op, ordering))
            }
            Compiled::Between {
                column,
                low,
                high,
                negated,
            } => {
                let value = &row[*column];
                let from_low = same_class_order(value, low)?;
                let to_high = same_class_order(value, high)?;
                let inside = from_low != Ordering::Less && to_high != Ordering::Greater;
                Some(inside != *negated)
            }
            Compiled::IsNull { column, negated } => Some(row[*column].is_null() != *negated),
            _ => None,
        }
    }

    /// The predicate's truth over `row`: `None` for NULL (unknown).
    pub fn truth(&self, row: &[Value]) -> Option<bool> {
        match self {
            Compiled::Compare {
                column,
                op,
                constant,
                constant_first,
            } => {
                // Both numbers of one kind: `sql_compare`'s answer without its calls.
                if let Some(answer) = self.same_class_truth(row) {
                    return Some(answer);
                }
                let value = &row[*column];
                let ordering = if *constant_first {
                    sql_compare(constant, value)?
                } else {
                    sql_compare(value, constant)?
                };
                Some(compared(*op, ordering))
            }
            Compiled::Between {
                column,
                low,
                high,
                negated,
            } => {
                if let Some(answer) = self.same_class_truth(row) {
                    return Some(answer);
                }
                truth(&super::predicate::between(
                    &row[*column],
                    low,
                    high,
                    *negated,
                ))
            }
            Compiled::IsNull { column, negated } => Some(row[*column].is_null() != *negated),
            Compiled::CompareScalars {
                op,
                left,
                right,
                numbers,
            } => {
                if let Some(numbers) = numbers {
                    // Numbers compared as numbers, no `Value` built (NULL: unknown).
                    let (left, right) = &**numbers;
                    if let (Some(a), Some(b)) = (left.number(row), right.number(row)) {
                        return Some(compared(*op, compare_numbers(a?, b?)));
                    }
                }
                if let (Some(a), Some(b)) = (left.text_in_place(row), right.text_in_place(row)) {
                    // Two texts where they lie (columns, constants, substr() of those).
                    return Some(compared(*op, a.as_bytes().cmp(b.as_bytes())));
                }
                if let Some(answer) = super::made_text::made_text_compare(*op, left, right, row) {
                    return answer;
                }
                let left = infallible(left.operand(row))?;
                let right = infallible(right.operand(row))?;
                let ordering = match (left, right) {
                    (Operand::Value(left), Operand::Value(right)) => {
                        match same_class_order(&left, &right) {
                            Some(ordering) => ordering,
                            None => sql_compare(&left, &right)?,
                        }
                    }
                    // A text made by substr/upper/lower, compared in place with text.
                    (left, right) => match (left.into_text(), right.into_text()) {
                        (Ok(left), Ok(right)) => left.cmp_text(&right),
                        (left, right) => {
                            let left = left.map_or_else(|value| value, |view| view_value(view));
                            let right = right.map_or_else(|value| value, |view| view_value(view));
                            sql_compare(&left, &right)?
                        }
                    },
                };
                Some(compared(*op, ordering))
            }
            Compiled::BetweenScalars {
                operand,
                low,
                high,
                negated,
                numbers,
            } => {
                if let Some(numbers) = numbers {
                    let [value, low, high] = &**numbers;
                    if let (Some(value), Some(low), Some(high)) =
                        (value.number(row), low.number(row), high.number(row))
                    {
                        return between_numbers(value, low, high, *negated);
                    }
                }
                let value = infallible(operand.eval(row))?;
                let low = infallible(low.eval(row))?;
                let high = infallible(high.eval(row))?;
                truth(&super::predicate::between(&value, &low, &high, *negated))
            }
            Compiled::IsNullScalar {
                operand,
                negated,
                number,
            } => {
                if let Some(number) = number.as_ref().and_then(|number| number.number(row)) {
                    return Some(number.is_none() != *negated);
                }
                Some(infallible(operand.eval(row))?.is_null() != *negated)
            }
            Compiled::InList { operand, constants } => {
                constants.truth(&*infallible(operand.eval(row))?)
            }
            Compiled::InSet { operand, set } => set.truth(&*infallible(operand.eval(row))?),
            Compiled::Truth(operand) => scalar_truth(operand, row),
            Compiled::Junction { decisive, terms } => {
                let mut unknown = false;
                for term in terms {
                    match term.quick_truth(row) {
                        Some(truth) if truth == *decisive => return Some(truth),
                        Some(_) => {}
                        None => unknown = true,
                    }
                }
                (!unknown).then_some(!*decisive)
            }
            Compiled::Not(operand) => operand.quick_truth(row).map(|value| !value),
        }
    }

    /// `truth`, with a comparison of a column with a constant of its own numeric class
    /// answered inline (a junction's terms, a CASE's WHEN and THEN).
    #[inline(always)]
    pub(super) fn quick_truth(&self, row: &[Value]) -> Option<bool> {
        match self.same_class_truth(row) {
            Some(answer) => Some(answer),
            None => self.truth(row),
        }
    }
}

/// A compiled operand's truth over `row`, as `truth(&operand.eval(row))` gives it, without
/// a `Value` for a predicate, a LIKE / GLOB of text in place, or a CASE whose results are
/// those (`CASE WHEN b > 5 THEN c > 0.5 ELSE c < 0.1 END`): a predicate's truth is read
/// directly, a CASE's is its taken branch's. An error reads as NULL and is noted
/// (`infallible`).
fn scalar_truth(operand: &Scalar, row: &[Value]) -> Option<bool> {
    match operand {
        Scalar::Predicate(compiled) => compiled.quick_truth(row),
        Scalar::Case {
            operand,
            branches,
            otherwise,
        } => {
            let taken = match infallible(taken_branch(operand.as_deref(), branches, row))? {
                Some(at) => &branches[at].1,
                None => otherwise.as_deref()?,
            };
            scalar_truth(taken, row)
        }
        Scalar::Match { text, pattern } => match text.text_in_place(row) {
            // Text where it lies, matched as it is (as `Scalar::eval` does).
            Some(text) => Some(pattern.matches(text)),
            None => truth(&*infallible(operand.eval(row))?),
        },
        other => truth(&*infallible(other.eval(row))?),
    }
}

/// How `value` orders against `constant` when both are integers or both reals (as
/// `compare_for_sort` orders them); `None` for every other pair, which takes the general path.
#[inline(always)]
fn same_class_order(value: &Value, constant: &Value) -> Option<Ordering> {
    match (value, constant) {
        (Value::Integer(a), Value::Integer(b)) => Some(a.cmp(b)),
        (Value::Real(a), Value::Real(b)) => Some(a.partial_cmp(b).unwrap_or(Ordering::Equal)),
        _ => None,
    }
}

pub(super) fn is_comparison(op: BinaryOp) -> bool {
    matches!(
        op,
        BinaryOp::Equal
            | BinaryOp::NotEqual
            | BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual
    )
}

/// What a comparison `op` gives for operands ordered `ordering` (as `BinaryOp::apply`).
#[inline(always)]
pub(super) fn compared(op: BinaryOp, ordering: Ordering) -> bool {
    match op {
        BinaryOp::Equal => ordering == Ordering::Equal,
        BinaryOp::NotEqual => ordering != Ordering::Equal,
        BinaryOp::Less => ordering == Ordering::Less,
        BinaryOp::LessOrEqual => ordering != Ordering::Greater,
        BinaryOp::Greater => ordering == Ordering::Greater,
        _ => ordering != Ordering::Less,
    }
}

/// `row[column] <op> constant` or `constant <op> row[column]` as a `Compare`; `None` for
/// other operands.
fn column_compare(
    op: BinaryOp,
    left: &Expr,
    right: &Expr,
    context: &EvalContext<'_>,
) -> Option<Compiled> {
    let (column, constant, constant_first) = match (left, right) {
        (Expr::Column { index, .. }, constant) => (*index, constant, false),
        (constant, Expr::Column { index, .. }) => (*index, constant, true),
        _ => return None,
    };
    Some(Compiled::Compare {
        column,
        op,
        constant: constant_value(constant, context)?,
        constant_first,
    })
}

/// A text view's value, for a comparison with a value that is not text.
fn view_value(view: TextView<'_>) -> std::borrow::Cow<'_, Value> {
    std::borrow::Cow::Owned(view.into_value())
}

/// `expr` compiled as an operand that cannot fail (or, with `fallible`, that may);
/// `None` otherwise.
fn operand(expr: &Expr, context: &EvalContext<'_>, fallible: bool) -> Option<Scalar> {
    Scalar::of(expr, context).filter(|scalar| fallible || !scalar.can_fail())
}

/// An operand's value; an error reads as NULL and is noted in `OPERAND_FAILED`, for a
/// checked predicate to answer the row by the tree (a strict predicate's operands cannot
/// fail: `Predicate::matches` asserts it).
#[inline(always)]
pub(super) fn infallible<T>(result: Result<T>) -> Option<T> {
    match result {
        Ok(value) => Some(value),
        Err(_) => {
            OPERAND_FAILED.with(|failed| failed.set(true));
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ColumnMeta;

    fn column(index: usize) -> Box<Expr> {
        Box::new(Expr::Column {
            index,
            name: format!("c{index}"),
            meta: ColumnMeta::default(),
        })
    }

    fn literal(value: Value) -> Box<Expr> {
        Box::new(Expr::Literal(value))
    }

    /// Every compiled shape agrees with the tree walker over rows of every storage class.
    #[test]
    fn compiled_predicates_agree_with_the_tree_walker() {
        let values = [
            Value::Null,
            Value::Integer(3),
            Value::Integer(-1),
            Value::Real(3.0),
            Value::Real(2.5),
            Value::Integer(i64::MIN),
            Value::Real(-0.0),
            Value::Text("3".into()),
            Value::Text("abc".into()),
            Value::Blob(b"x".to_vec()),
        ];
        let ops = [
            BinaryOp::Equal,
            BinaryOp::NotEqual,
            BinaryOp::Less,
            BinaryOp::LessOrEqual,
            BinaryOp::Greater,
            BinaryOp::GreaterOrEqual,
        ];
        let params = [Value::Integer(3)];
        let context = EvalContext::with_params(&params);
        let mut exprs = Vec::new();
        for constant in &values {
            for op in ops {
                exprs.push(Expr::Binary(op, column(0), literal(constant.clone())));
                exprs.push(Expr::Binary(op, literal(constant.clone()), column(1)));
            }
            exprs.push(Expr::Between {
                expr: column(0),
                low: literal(constant.clone()),
                high: Box::new(Expr::Parameter(0)),
                negated: false,
            });
            for high in [Value::Integer(3), Value::Real(2.5), Value::Real(-0.0)] {
                for negated in [false, true] {
                    exprs.push(Expr::Between {
                        expr: column(1),
                        low: literal(constant.clone()),
                        high: literal(high.clone()),
                        negated,
                    });
                }
            }
        }
        let base = exprs.len();
        for i in 0..base {
            let next = exprs[(i * 7 + 3) % base].clone();
            let this = exprs[i].clone();
            let next_again = next.clone();
            exprs.push(Expr::Binary(
                BinaryOp::And,
                Box::new(this.clone()),
                Box::new(next.clone()),
            ));
            exprs.push(Expr::Binary(
                BinaryOp::Or,
                Box::new(this.clone()),
                Box::new(next_again),
            ));
            exprs.push(Expr::Unary(UnaryOp::Not, Box::new(this.clone())));
            // Chains of three (flattened when compiled), and the two mixed.
            let third = exprs[(i * 13 + 5) % base].clone();
            for (outer, inner) in [
                (BinaryOp::And, BinaryOp::And),
                (BinaryOp::Or, BinaryOp::Or),
                (BinaryOp::And, BinaryOp::Or),
                (BinaryOp::Or, BinaryOp::And),
            ] {
                let pair = Expr::Binary(inner, Box::new(this.clone()), Box::new(next.clone()));
                exprs.push(Expr::Binary(
                    outer,
                    Box::new(pair.clone()),
                    Box::new(third.clone()),
                ));
                exprs.push(Expr::Binary(outer, Box::new(third.clone()), Box::new(pair)));
            }
        }
        exprs.push(Expr::IsNull {
            expr: column(1),
            negated: true,
        });
        for expr in &exprs {
            let predicate = Predicate::new(expr, &context);
            assert!(predicate.is_compiled(), "{expr}");
            for a in &values {
                for b in &values {
                    let row = [a.clone(), b.clone()];
                    assert_eq!(
                        predicate.matches(&row, &context).unwrap(),
                        expr.matches(&row, &context).unwrap(),
                        "{expr} over {row:?}"
                    );
                    if let Predicate::Compiled(compiled) = &predicate {
                        assert_eq!(
                            compiled.passes(&row),
                            compiled.truth(&row) == Some(true),
                            "{expr} over {row:?}"
                        );
                        assert_eq!(
                            compiled.truth(&row),
                            truth(&expr.eval(&row, &context).unwrap()),
                            "{expr} over {row:?}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn other_shapes_keep_the_tree() {
        let context = EvalContext::with_params(&[]);
        let joined = Expr::Binary(BinaryOp::Concat, column(0), column(1));
        let fallible = Expr::Function {
            function: crate::expr::Function::Abs,
            args: vec![*column(0)],
        };
        let shapes = [
            Expr::Binary(
                BinaryOp::Equal,
                Box::new(joined),
                literal(Value::Integer(1)),
            ),
            // abs() can fail (abs(-9223372036854775808)): the tree reports it.
            Expr::Binary(
                BinaryOp::Less,
                Box::new(fallible),
                literal(Value::Integer(1)),
            ),
            // A missing parameter: the tree walker reports it when a row comes.
            Expr::Binary(BinaryOp::Equal, column(0), Box::new(Expr::Parameter(0))),
        ];
        for expr in &shapes {
            assert!(!Predicate::new(expr, &context).is_compiled(), "{expr}");
        }
    }
}
