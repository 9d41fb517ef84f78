//! Bound scalar expressions and their evaluation over a row, with SQL three-valued logic.
//! Names are resolved by the binder: a column is a position in the input row. Evaluation
//! recurses over the tree, which the binder keeps within `limits::EXPR_DEPTH_MAX`.

mod arithmetic;
mod batch;
mod build_info;
mod cast;
mod coerce;
mod collate;
mod collated_call;
mod compile;
mod concat;
mod datetime;
mod expiry;
mod fold_search;
mod function;
mod in_constants;
mod json;
mod key;
mod like;
mod made_text;
mod math;
mod number_fn;
mod ops;
mod predicate;
mod printf;
mod printf_real;
mod round;
mod round_decimal;
mod row_in;
mod row_test;
mod scalar;
mod scalar_case;
mod scalar_in_place;
mod scalar_number;
mod series;
mod session_values;
pub mod sketch;
mod spare_text;
mod staged;
mod subquery;
mod subquery_by_groups;
mod subquery_memo;
mod subquery_tree;
mod text;
mod text_view;
mod unistr;
mod user;
mod visit;

use std::cmp::Ordering;
use std::fmt;

use ember_storage::Value;

use crate::error::Result;

pub use arithmetic::{Arithmetic, Computed};
#[cfg(test)]
pub(crate) use batch::tests::batch_of;
pub use batch::{BatchNumber, BatchPool, BatchTruth, Lane, Numbers, Truth};
pub use build_info::COMPILE_OPTIONS;
pub use cast::{apply_affinity, Affinity};
pub use coerce::{coerce_to_column, fits_column, holds_as_is, numeric_text};
pub use collate::{Collation, ColumnMeta};
pub use collated_call::CollatedCall;
pub use compile::{Compiled, Predicate};
pub use datetime::DateFunction;
pub use expiry::{expiry_ms, format_unix_ms, row_expiry_ms, TransactionTime, WallClock};
pub use function::Function;
pub use json::{
    json_quote_text, JsonFunction, TableFunction, TABLE_FUNCTION_COLUMNS,
    TABLE_FUNCTION_VISIBLE_COLUMNS,
};
pub use key::{row_key, KeyLookup, KeyRef, KeyValue};
pub use math::Math;
pub(crate) use ops::numeric_value;
pub use ops::{compare_for_sort, sql_compare, truth, BinaryOp, UnaryOp};
pub use row_test::{passes, RowTest};
pub use scalar::Scalar;
pub use series::{Series, SERIES_COLUMNS, SERIES_VISIBLE_COLUMNS};
pub use session_values::{ChangeCounters, SessionFunction};
pub use staged::Staged;
pub use subquery::{
    OuterFrame, RuntimeCaches, StatementEnv, SubqueryExpr, SubqueryKind, SubqueryRun,
    SubqueryRuntime,
};
pub use subquery_by_groups::GroupedSubquery;
pub use subquery_memo::OuterRead;
pub use user::{
    check_registration, AggregateFactory, AggregateRun, CollationBody, ScalarBody, UserBody,
    UserCollation, UserFunction, UserFunctionDef, UserFunctions,
};

/// A scalar expression, bound to input row positions.
#[derive(Debug, Clone, PartialEq)]
pub enum Expr {
    Literal(Value),
    /// The value at `index` of the input row; `name` is kept for EXPLAIN, `meta` (the
    /// column's affinity and collation) for binding comparisons.
    Column {
        index: usize,
        name: String,
        meta: ColumnMeta,
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
        meta: ColumnMeta,
    },
    /// A subquery: scalar, EXISTS or IN.
    Subquery(Box<SubqueryExpr>),
    // Scalar expressions of the SQL-breadth work (predicate.rs and the files it names).
    /// `expr [NOT] BETWEEN low AND high`: `low <= expr AND expr <= high`, three-valued.
    Between {
        expr: Box<Expr>,
        low: Box<Expr>,
        high: Box<Expr>,
        negated: bool,
    },
    /// `expr [NOT] IN (list)` with SQLite's NULL rules (see `predicate::in_list`).
    InList {
        expr: Box<Expr>,
        list: Vec<Expr>,
        negated: bool,
    },
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`. With an operand, a branch is taken
    /// when `operand = when` is TRUE; without, when `when` is TRUE. No branch and no ELSE
    /// gives NULL.
    Case {
        operand: Option<Box<Expr>>,
        branches: Vec<(Expr, Expr)>,
        else_result: Option<Box<Expr>>,
    },
    /// `CAST(expr AS type)`, the type reduced to its affinity (cast.rs).
    Cast {
        expr: Box<Expr>,
        affinity: Affinity,
    },
    /// A scalar function call (function.rs); LIKE and GLOB are calls of like()/glob().
    Function {
        function: Function,
        args: Vec<Expr>,
    },
    /// An operand of a comparison converted by SQLite's comparison affinity (the binder adds
    /// it, see bind/compare.rs); shown in EXPLAIN as the bare operand.
    Affinity {
        expr: Box<Expr>,
        affinity: Affinity,
    },
    /// `expr COLLATE name`: the value of `expr`; the collation decides comparisons it is an
    /// operand of (the binder reads it, see bind/compare.rs).
    Collate {
        expr: Box<Expr>,
        collation: Collation,
    },
    /// The collation key of `expr` (collate.rs), which the binder puts on both operands of a
    /// comparison under a collation other than BINARY; shown in EXPLAIN as `x COLLATE NAME`.
    CollationKey {
        expr: Box<Expr>,
        collation: Collation,
    },
    /// A call of a function the application registered (user.rs).
    UserFunction {
        function: UserFunction,
        args: Vec<Expr>,
    },
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

/// The value bound to parameter `index`.
#[inline]
fn parameter(context: &EvalContext<'_>, index: usize) -> Result<Value> {
    match context.params.get(index) {
        Some(value) => Ok(value.clone()),
        None => Err(crate::err!(
            InvalidInput,
            "parameter ${} has no value bound",
            index + 1
        )),
    }
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
    /// The expression's value over `row`. The leaves (column, parameter, literal) are
    /// inlined at the call site; everything else goes through `eval_node`.
    #[inline]
    pub fn eval(&self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        match self {
            Expr::Column { index, .. } => Ok(row[*index].clone()),
            Expr::Parameter(index) => parameter(context, *index),
            Expr::Literal(value) => Ok(value.clone()),
            _ => self.eval_node(row, context),
        }
    }

    #[inline(never)]
    fn eval_node(&self, row: &[Value], context: &EvalContext<'_>) -> Result<Value> {
        Ok(match self {
            Expr::Literal(value) => value.clone(),
            Expr::Column { index, .. } => row[*index].clone(),
            Expr::Parameter(index) => parameter(context, *index)?,
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
            // A literal's text is appended where it stands, not cloned first.
            Expr::Binary(BinaryOp::Concat, left, right) => {
                let left = left.eval(row, context)?;
                match right.as_ref() {
                    Expr::Literal(literal) => ops::concat(left, literal)?,
                    right => ops::concat(left, &right.eval(row, context)?)?,
                }
            }
            Expr::Binary(op, left, right) => {
                op.apply(left.eval(row, context)?, right.eval(row, context)?)?
            }
            Expr::IsNull { expr, negated } => {
                Value::Boolean(expr.eval(row, context)?.is_null() != *negated)
            }
            Expr::OuterColumn {
                level, index, name, ..
            } => match context.outer.and_then(|frame| frame.value(*level, *index)) {
                Some(value) => value.clone(),
                None => {
                    return Err(crate::err!(
                        Internal,
                        "outer column {name} evaluated outside its query"
                    ))
                }
            },
            Expr::Subquery(subquery) => subquery.eval(row, context)?,
            // Scalar expressions of the SQL-breadth work.
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => predicate::between(
                &expr.eval(row, context)?,
                &low.eval(row, context)?,
                &high.eval(row, context)?,
                *negated,
            ),
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let value = expr.eval(row, context)?;
                predicate::in_list(&value, list, *negated, |item| item.eval(row, context))?
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => {
                let operand = match operand {
                    Some(operand) => Some(operand.eval(row, context)?),
                    None => None,
                };
                for (when, then) in branches {
                    let when = when.eval(row, context)?;
                    let taken = match &operand {
                        Some(operand) => sql_compare(operand, &when) == Some(Ordering::Equal),
                        None => truth(&when) == Some(true),
                    };
                    if taken {
                        return then.eval(row, context);
                    }
                }
                match else_result {
                    Some(else_result) => else_result.eval(row, context)?,
                    None => Value::Null,
                }
            }
            Expr::Cast { expr, affinity } => cast::cast(expr.eval(row, context)?, *affinity),
            Expr::Function {
                function: Function::Session(session),
                ..
            } => session.eval(context)?,
            Expr::Function {
                function: Function::Unexpired,
                args,
            } => match args.as_slice() {
                [arg] => expiry::unexpired(expiry_ms(&arg.eval(row, context)?), context)?,
                [expire, written, ttl] => {
                    let ttl = match ttl {
                        Expr::Literal(Value::Integer(ms)) => *ms,
                        _ => return Err(crate::err!(Internal, "unexpired() without its ttl")),
                    };
                    let expiry = expiry::row_expiry_ms(
                        &expire.eval(row, context)?,
                        Some((&written.eval(row, context)?, ttl)),
                    );
                    expiry::unexpired(expiry, context)?
                }
                _ => return Err(crate::err!(Internal, "unexpired() takes 1 or 3 arguments")),
            },
            Expr::Function {
                function: Function::WriteTime,
                ..
            } => expiry::write_time(context)?,
            Expr::Function { function, args } => {
                function::eval_call(*function, args, |arg| arg.eval(row, context))?
            }
            Expr::Affinity { expr, affinity } => {
                cast::apply_affinity(expr.eval(row, context)?, *affinity)
            }
            Expr::Collate { expr, .. } => expr.eval(row, context)?,
            Expr::CollationKey { expr, collation } => collation.key(expr.eval(row, context)?),
            Expr::UserFunction { function, args } => {
                let values = args
                    .iter()
                    .map(|arg| arg.eval(row, context))
                    .collect::<Result<Vec<Value>>>()?;
                function.call(&values)?
            }
        })
    }

    /// Evaluates a predicate: only TRUE passes (NULL and FALSE do not).
    pub fn matches(&self, row: &[Value], context: &EvalContext<'_>) -> Result<bool> {
        Ok(truth(&self.eval(row, context)?) == Some(true))
    }

    /// Whether the expression holds a subquery.
    pub fn has_subquery(&self) -> bool {
        let mut found = false;
        self.walk(&mut |node| found |= matches!(node, Expr::Subquery(_)));
        found
    }

    /// Whether the expression reads a column of an enclosing query's row (which compiling
    /// would read once, as a constant).
    pub fn reads_outer_row(&self) -> bool {
        let mut outer = false;
        self.walk(&mut |e| outer |= matches!(e, Expr::OuterColumn { .. }));
        outer
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
            // Scalar expressions of the SQL-breadth work.
            Expr::Between {
                expr, low, high, ..
            } => expr.is_constant() && low.is_constant() && high.is_constant(),
            Expr::InList { expr, list, .. } => {
                expr.is_constant() && list.iter().all(Expr::is_constant)
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => {
                operand.as_ref().is_none_or(|operand| operand.is_constant())
                    && branches
                        .iter()
                        .all(|(when, then)| when.is_constant() && then.is_constant())
                    && else_result
                        .as_ref()
                        .is_none_or(|result| result.is_constant())
            }
            Expr::Cast { expr, .. } => expr.is_constant(),
            Expr::Function { function, args } => {
                function.is_deterministic() && args.iter().all(Expr::is_constant)
            }
            Expr::Affinity { expr, .. }
            | Expr::Collate { expr, .. }
            | Expr::CollationKey { expr, .. } => expr.is_constant(),
            Expr::UserFunction { function, args } => {
                function.is_deterministic() && args.iter().all(Expr::is_constant)
            }
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

/// `name(arg, arg, ..)`: a built-in or user function call as EXPLAIN shows it.
fn write_call(f: &mut fmt::Formatter<'_>, name: &dyn fmt::Display, args: &[Expr]) -> fmt::Result {
    write!(f, "{name}(")?;
    for (position, arg) in args.iter().enumerate() {
        if position > 0 {
            f.write_str(", ")?;
        }
        write!(f, "{arg}")?;
    }
    f.write_str(")")
}

impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Expr::Literal(Value::Text(text)) => write!(f, "'{}'", text.replace('\'', "''")),
            Expr::Literal(Value::Null) => f.write_str("NULL"),
            Expr::Literal(value) => write!(f, "{value}"),
            Expr::Column { name, index, .. } if name.is_empty() => write!(f, "#{index}"),
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
            // Scalar expressions of the SQL-breadth work.
            Expr::Between {
                expr,
                low,
                high,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}BETWEEN {low} AND {high})")
            }
            Expr::InList {
                expr,
                list,
                negated,
            } => {
                let not = if *negated { "NOT " } else { "" };
                write!(f, "({expr} {not}IN (")?;
                for (position, item) in list.iter().enumerate() {
                    if position > 0 {
                        f.write_str(", ")?;
                    }
                    write!(f, "{item}")?;
                }
                f.write_str("))")
            }
            Expr::Case {
                operand,
                branches,
                else_result,
            } => {
                f.write_str("CASE")?;
                if let Some(operand) = operand {
                    write!(f, " {operand}")?;
                }
                for (when, then) in branches {
                    write!(f, " WHEN {when} THEN {then}")?;
                }
                if let Some(else_result) = else_result {
                    write!(f, " ELSE {else_result}")?;
                }
                f.write_str(" END")
            }
            Expr::Cast { expr, affinity } => write!(f, "CAST({expr} AS {affinity})"),
            Expr::Function {
                function: Function::Json(op @ (JsonFunction::Arrow | JsonFunction::LongArrow)),
                args,
            } if args.len() == 2 => write!(f, "({} {} {})", args[0], op.name(), args[1]),
            Expr::Function { function, args } => write_call(f, function, args),
            Expr::UserFunction { function, args } => write_call(f, function, args),
            Expr::Affinity { expr, .. } => write!(f, "{expr}"),
            Expr::Collate { expr, collation } | Expr::CollationKey { expr, collation } => {
                write!(f, "({expr} COLLATE {collation})")
            }
        }
    }
}
