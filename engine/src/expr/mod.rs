//! Bound scalar expressions and their evaluation over a row, with SQL three-valued logic.
//! Names are resolved by the binder: a column is a position in the input row. Evaluation
//! recurses over the tree, which the binder keeps within `limits::EXPR_DEPTH_MAX`.

mod coerce;
mod key;
mod ops;
mod subquery;
mod visit;

use std::fmt;

use ember_storage::Value;

use crate::error::Result;

pub use coerce::coerce_to_column;
pub use key::{row_key, KeyValue};
pub(crate) use ops::numeric_value;
pub use ops::{compare_for_sort, sql_compare, truth, BinaryOp, UnaryOp};
pub use subquery::{OuterFrame, SubqueryExpr, SubqueryKind, SubqueryRuntime};

/// A scalar expression, bound to input row positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// The value at `index` of the input row; `name` is kept for EXPLAIN.
    Column {
        index: usize,
        name: String,
    },
    /// The 0-based positional parameter `index` (`?`, `$1`).
    Parameter(usize),
    Unary(UnaryOp, Box<Expr>),
    Binary(BinaryOp, Box<Expr>, Box<Expr>),
    IsNull {
        expr: Box<Expr>,
        negated: bool,
    },
    /// A column of an enclosing query's current row, `level` scopes out (1 = the query
    /// just outside the subquery this expression sits in).
    OuterColumn {
        level: usize,
        index: usize,
        name: String,
    },
    /// A subquery: scalar, EXISTS or IN.
    Subquery(Box<SubqueryExpr>),
}

/// What evaluation may read besides the row: bound parameter values, the runtime that
/// executes subqueries (absent where no subquery can appear, e.g. column defaults), and the
/// rows of enclosing queries for correlated subqueries.
#[derive(Clone, Copy, Default)]
pub struct EvalContext<'a> {
    pub params: &'a [Value],
    pub subqueries: Option<&'a SubqueryRuntime<'a>>,
    pub outer: Option<&'a OuterFrame<'a>>,
}

impl<'a> EvalContext<'a> {
    /// A context with parameters only.
    pub fn with_params(params: &'a [Value]) -> EvalContext<'a> {
        EvalContext {
            params,
            subqueries: None,
            outer: None,
        }
    }
}

impl Expr {
    pub fn eval(&self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        Ok(match self {
            Expr::Literal(value) => value.clone(),
            Expr::Column { index, .. } => row[*index].clone(),
            Expr::Parameter(index) => context.params.get(*index).cloned().ok_or_else(|| {
                crate::err!(InvalidInput, "parameter ${} has no value bound", index + 1)
            })?,
            Expr::Unary(op, operand) => op.apply(operand.eval(row, context)?)?,
            Expr::Binary(BinaryOp::And, left, right) => {
                let left = truth(&left.eval(row, context)?);
                if left == Some(false) {
                    return Ok(Value::Boolean(false));
                }
                let right = truth(&right.eval(row, context)?);
                ops::and(left, right)
            }
            Expr::Binary(BinaryOp::Or, left, right) => {
                let left = truth(&left.eval(row, context)?);
                if left == Some(true) {
                    return Ok(Value::Boolean(true));
                }
                let right = truth(&right.eval(row, context)?);
                ops::or(left, right)
            }
            Expr::Binary(op, left, right) => {
                op.apply(left.eval(row, context)?, right.eval(row, context)?)?
            }
            Expr::IsNull { expr, negated } => {
                Value::Boolean(expr.eval(row, context)?.is_null() != *negated)
            }
            Expr::OuterColumn { level, index, name } => {
                let frame = context.outer.and_then(|frame| frame.up(*level));
                match frame.and_then(|frame| frame.row.get(*index)) {
                    Some(value) => value.clone(),
                    None => {
                        return Err(crate::err!(
                            Internal,
                            "outer column {name} evaluated outside its query"
                        ))
                    }
                }
            }
            Expr::Subquery(subquery) => subquery.eval(row, context)?,
        })
    }

    /// Evaluates a predicate: only TRUE passes (NULL and FALSE do not).
    pub fn matches(&self, row: &[Value], context: &EvalContext<'_>) -> Result<bool> {
        Ok(truth(&self.eval(row, context)?) == Some(true))
    }

    /// Whether the expression reads no column (so it can be evaluated once, before a scan).
    pub fn is_constant(&self) -> bool {
        match self {
            Expr::Literal(_) | Expr::Parameter(_) => true,
            Expr::Column { .. } => false,
            Expr::Unary(_, operand) => operand.is_constant(),
            Expr::Binary(_, left, right) => left.is_constant() && right.is_constant(),
            Expr::IsNull { expr, .. } => expr.is_constant(),
            // Constant for the current row's query: it reads an enclosing query's row.
            Expr::OuterColumn { .. } => true,
            Expr::Subquery(subquery) => !subquery.correlated && subquery.operands_constant(),
        }
    }

    /// Splits a predicate into its top-level AND terms.
    pub fn into_conjuncts(self) -> Vec<Expr> {
        match self {
            Expr::Binary(BinaryOp::And, left, right) => {
                let mut terms = left.into_conjuncts();
                terms.extend(right.into_conjuncts());
                terms
            }
            other => vec![other],
        }
    }

    /// Joins terms back with AND; `None` for no terms.
    pub fn from_conjuncts(terms: Vec<Expr>) -> Option<Expr> {
        terms
            .into_iter()
            .reduce(|left, right| Expr::Binary(BinaryOp::And, Box::new(left), Box::new(right)))
    }
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(Value::Text(text)) => write!(f, "'{}'", text.replace('\'', "''")),
            Expr::Literal(Value::Null) => f.write_str("NULL"),
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Column { name, .. } => f.write_str(name),
            Expr::Parameter(index) => write!(f, "${}", index + 1),
            Expr::Unary(op, operand) => write!(f, "{op}({operand})"),
            Expr::Binary(op, left, right) => write!(f, "({left} {op} {right})"),
            Expr::IsNull {
                expr,
                negated: false,
            } => write!(f, "({expr} IS NULL)"),
            Expr::IsNull {
                expr,
                negated: true,
            } => write!(f, "({expr} IS NOT NULL)"),
            Expr::OuterColumn { name, .. } => write!(f, "outer.{name}"),
            Expr::Subquery(subquery) => write!(f, "{subquery}"),
        }
    }
}
