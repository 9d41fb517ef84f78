//! Compiled scalar operands: columns, constants, compiled arithmetic (`arithmetic.rs`),
//! calls of the common scalar functions over compiled arguments, CAST, and `[NOT] LIKE` /
//! GLOB with a constant pattern, turned once per scan into a tree whose evaluation borrows
//! what it can: a column's value is read in place (a `Cow` borrowed from the row), a
//! constant is read from the tree, and a function gets its arguments as borrowed values,
//! so `length(s)` or `s LIKE '%x%'` copy no text. Compiled filters (`compile.rs`) compare
//! these operands; compiled projections and aggregate arguments (`Computed`) evaluate them.
//!
//! Semantics are the tree walker's exactly, by construction: a call goes through the
//! same `function::call` code (its `Arguments` are only borrowed instead of owned), with
//! the same lazy evaluation for COALESCE and IFNULL; a constant LIKE or GLOB pattern is
//! prepared once by `like::Pattern`, which answers what `like` / `glob` answer; a row
//! that compiled arithmetic does not cover is computed by the arithmetic's tree, as
//! `Computed` does. Only functions that are deterministic and read nothing but their
//! arguments compile; `can_fail` says whether one of them may give an error (`abs` of the
//! smallest integer, a result over the size limit), which compiled filters refuse (they
//! cannot fail: `staged.rs`). Every other shape keeps the tree.

use std::borrow::Cow;

use ember_storage::Value;

use super::arithmetic::Arithmetic;
use super::cast::{cast, Affinity};
use super::function::{call_borrowed, Function};
use super::like::Pattern;
use super::text::{single_char, text_of};
use super::{EvalContext, Expr};
use crate::error::Result;

/// The most arguments a compiled call evaluates into a buffer on the stack; calls with
/// more (min, max, coalesce of many) evaluate into a vector.
const STACK_ARGUMENTS_MAX: usize = 3;

/// A compiled scalar expression.
#[derive(Debug, Clone)]
pub enum Scalar {
    /// The value at this index of the row.
    Column(usize),
    Constant(Value),
    /// Compiled arithmetic, and its tree (parameters replaced by their values) for the
    /// rows the program does not cover.
    Arithmetic(Arithmetic, Box<Expr>),
    /// A call of `function` (arity checked when compiled) over compiled arguments.
    Call {
        function: Function,
        args: Box<[Scalar]>,
    },
    /// `CAST(operand AS affinity)`.
    Cast {
        operand: Box<Scalar>,
        affinity: Affinity,
    },
    /// `text LIKE pattern` or `text GLOB pattern` with a constant, non-NULL pattern (and
    /// ESCAPE character): TRUE, FALSE, or NULL for a NULL text.
    Match {
        text: Box<Scalar>,
        pattern: Pattern,
    },
}

impl Scalar {
    /// Compiles `expr` (its constants read in `context`); `None` for a shape not covered.
    pub fn of(expr: &Expr, context: &EvalContext<'_>) -> Option<Scalar> {
        if let Some(constant) = constant_value(expr, context) {
            return Some(Scalar::Constant(constant));
        }
        if let Some(program) = Arithmetic::of(expr, context) {
            return Some(Scalar::Arithmetic(
                program,
                Box::new(with_parameters(expr, context)?),
            ));
        }
        Some(match expr {
            Expr::Column { index, .. } => Scalar::Column(*index),
            Expr::Cast { expr, affinity } => Scalar::Cast {
                operand: Box::new(Scalar::of(expr, context)?),
                affinity: *affinity,
            },
            Expr::Function { function, args } => {
                call_can_fail(*function)?;
                function.check_arity(args.len()).ok()?;
                if let Some(matcher) = Scalar::pattern_match(*function, args, context) {
                    return Some(matcher);
                }
                Scalar::Call {
                    function: *function,
                    args: args
                        .iter()
                        .map(|arg| Scalar::of(arg, context))
                        .collect::<Option<_>>()?,
                }
            }
            _ => return None,
        })
    }

    /// `like(pattern, text[, escape])` or `glob(pattern, text)` with a constant non-NULL
    /// pattern and escape, as a `Match`; `None` for any other call (and for a pattern the
    /// call would refuse, which then fails per row as before).
    fn pattern_match(
        function: Function,
        args: &[Expr],
        context: &EvalContext<'_>,
    ) -> Option<Scalar> {
        let (pattern, text, escape) = match (function, args) {
            (Function::Like | Function::Glob, [pattern, text]) => (pattern, text, None),
            (Function::Like, [pattern, text, escape]) => (pattern, text, Some(escape)),
            _ => return None,
        };
        let pattern = constant_value(pattern, context)?;
        let pattern = text_of(&pattern)?;
        let pattern = match (function, escape) {
            (Function::Glob, _) => Pattern::glob(&pattern).ok()?,
            (_, None) => Pattern::like(&pattern, None).ok()?,
            (_, Some(escape)) => {
                let escape = constant_value(escape, context)?;
                let escape = single_char(&text_of(&escape)?).ok()?;
                Pattern::like(&pattern, Some(escape)).ok()?
            }
        };
        Some(Scalar::Match {
            text: Box::new(Scalar::of(text, context)?),
            pattern,
        })
    }

    /// Whether evaluating may give an error (a call of a function that can fail).
    pub fn can_fail(&self) -> bool {
        match self {
            Scalar::Column(_) | Scalar::Constant(_) | Scalar::Arithmetic(..) => false,
            Scalar::Call { function, args } => {
                call_can_fail(*function) != Some(false) || args.iter().any(Scalar::can_fail)
            }
            Scalar::Cast { operand, .. } => operand.can_fail(),
            Scalar::Match { text, .. } => text.can_fail(),
        }
    }

    /// Whether this is more than a column or a constant (whose tree evaluation is as
    /// cheap as the compiled one).
    pub fn computes(&self) -> bool {
        !matches!(self, Scalar::Column(_) | Scalar::Constant(_))
    }

    /// Calls `visit` with every column the expression reads.
    pub fn for_each_column(&self, visit: &mut impl FnMut(usize)) {
        match self {
            Scalar::Column(index) => visit(*index),
            Scalar::Constant(_) => {}
            Scalar::Arithmetic(program, _) => program.for_each_column(visit),
            Scalar::Call { args, .. } => {
                for arg in args.iter() {
                    arg.for_each_column(visit);
                }
            }
            Scalar::Cast { operand, .. } => operand.for_each_column(visit),
            Scalar::Match { text, .. } => text.for_each_column(visit),
        }
    }

    /// The expression's value over `row` (what `Expr::eval` gives), borrowed from the row
    /// or the constant when it is one.
    #[inline]
    pub fn eval<'r>(&'r self, row: &'r [Value]) -> Result<Cow<'r, Value>> {
        Ok(match self {
            Scalar::Column(index) => Cow::Borrowed(&row[*index]),
            Scalar::Constant(value) => Cow::Borrowed(value),
            Scalar::Arithmetic(program, tree) => Cow::Owned(match program.value(row) {
                Some(value) => value,
                None => tree.eval(row, &EvalContext::default())?,
            }),
            Scalar::Call { function, args } => Cow::Owned(call(*function, args, row)?),
            Scalar::Cast { operand, affinity } => {
                Cow::Owned(cast(operand.eval(row)?.into_owned(), *affinity))
            }
            Scalar::Match { text, pattern } => {
                let text = text.eval(row)?;
                Cow::Owned(match text_of(&text) {
                    None => Value::Null,
                    Some(text) => Value::Boolean(pattern.matches(&text)),
                })
            }
        })
    }
}

/// A compiled call's value over `row`: its arguments evaluated left to right (lazily
/// for COALESCE and IFNULL, as `function::eval_call` does), then `function::call`'s code.
#[inline]
fn call(function: Function, args: &[Scalar], row: &[Value]) -> Result<Value> {
    if matches!(function, Function::Coalesce | Function::IfNull) {
        for arg in args {
            let value = arg.eval(row)?;
            if !value.is_null() {
                return Ok(value.into_owned());
            }
        }
        return Ok(Value::Null);
    }
    match args {
        [a] => call_borrowed(function, &[a.eval(row)?]),
        [a, b] => call_borrowed(function, &[a.eval(row)?, b.eval(row)?]),
        [a, b, c] => call_borrowed(function, &[a.eval(row)?, b.eval(row)?, c.eval(row)?]),
        _ => {
            debug_assert!(args.is_empty() || args.len() > STACK_ARGUMENTS_MAX);
            let values = args
                .iter()
                .map(|arg| arg.eval(row))
                .collect::<Result<Vec<_>>>()?;
            call_borrowed(function, &values)
        }
    }
}

/// For a function a compiled call may apply: whether it can fail (`Some(true)`: `abs`
/// overflows on the smallest integer, a text result may pass the size limit, a pattern
/// or ESCAPE read per row may be refused). `None` for a function that does not compile:
/// one that is not deterministic, reads the statement, evaluates lazily in a way the
/// compiled call does not (IIF), or is rare enough to keep the tree.
fn call_can_fail(function: Function) -> Option<bool> {
    match function {
        Function::Length
        | Function::OctetLength
        | Function::Lower
        | Function::Upper
        | Function::Substr
        | Function::Trim
        | Function::LTrim
        | Function::RTrim
        | Function::Instr
        | Function::Unicode
        | Function::Round
        | Function::Sign
        | Function::TypeOf
        | Function::Likely
        | Function::Unlikely
        | Function::Coalesce
        | Function::IfNull
        | Function::NullIf
        | Function::Min
        | Function::Max
        | Function::Math(_) => Some(false),
        Function::Abs
        | Function::Hex
        | Function::Replace
        | Function::Concat
        | Function::ConcatWs
        | Function::Like
        | Function::Glob => Some(true),
        _ => None,
    }
}

/// The value of a constant operand (a literal or parameter, possibly under the binder's
/// affinity wrapper), evaluated now; `None` for any other expression, or when evaluating
/// fails (the tree walker then reports the error on the first row, as before).
pub(crate) fn constant_value(expr: &Expr, context: &EvalContext<'_>) -> Option<Value> {
    let leaf = match expr {
        Expr::Affinity { expr, .. } => expr.as_ref(),
        other => other,
    };
    match leaf {
        Expr::Literal(_) | Expr::Parameter(_) => expr.eval(&[], context).ok(),
        _ => None,
    }
}

/// `expr` (arithmetic over columns, literals and parameters) with each parameter replaced
/// by its value, to evaluate without the context; `None` for a parameter with no value.
fn with_parameters(expr: &Expr, context: &EvalContext<'_>) -> Option<Expr> {
    Some(match expr {
        Expr::Parameter(index) => Expr::Literal(context.params.get(*index)?.clone()),
        Expr::Unary(op, operand) => Expr::Unary(*op, Box::new(with_parameters(operand, context)?)),
        Expr::Binary(op, left, right) => Expr::Binary(
            *op,
            Box::new(with_parameters(left, context)?),
            Box::new(with_parameters(right, context)?),
        ),
        other => other.clone(),
    })
}

#[cfg(test)]
#[path = "scalar_tests.rs"]
mod tests;
