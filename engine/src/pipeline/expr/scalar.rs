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
//! `Computed` does. Only functions that read nothing but their arguments compile (and the
//! date functions, which read the clock for 'now' per call, as the tree does); `can_fail`
//! says whether one of them may give an error (`abs` of the smallest integer, a result
//! over the size limit), which compiled filters refuse (they cannot fail: `staged.rs`).
//! Every other shape keeps the tree.

use std::borrow::Cow;
use std::cmp::Ordering;

use ember_storage::Value;

use super::arithmetic::{apply, is_arithmetic, Arithmetic, Halt};
use super::cast::{cast, Affinity};
use super::compile::{is_comparison, Compiled};
use super::concat::{chain_can_fail, chain_value, compile_chain};
use super::function::{call_borrowed, Function};
use super::like::Pattern;
use super::ops::{compare_for_sort, BinaryOp, Numeric, UnaryOp};
use super::scalar_case::{case, taken_branch};
use super::scalar_number::{
    cast_number, computes_on_numbers, gives_numbers, number_call, number_of_value, number_value,
};
use super::spare_text::call_lent;
use super::text::{integer_of, single_char, text_of};
use super::text_view::{Case, TextView};
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
    /// A comparison, BETWEEN, IS [NOT] NULL, AND, OR or NOT, compiled as a filter is
    /// (`compile.rs`): its value is TRUE, FALSE or NULL, as the tree's is.
    Predicate(Box<Compiled>),
    /// `CASE [operand] WHEN .. THEN .. [ELSE ..] END`.
    Case {
        operand: Option<Box<Scalar>>,
        branches: Box<[(Scalar, Scalar)]>,
        otherwise: Option<Box<Scalar>>,
    },
    /// A `||` chain: its parts written in order into one text (`concat.rs`).
    Concat(Box<[Scalar]>),
    /// `left op right` for an operator `Arithmetic` does not cover (bit operators, shifts,
    /// IS [NOT] DISTINCT FROM), or an arithmetic operator over operands it does not cover
    /// (`CAST(..) % 7`, `length(s) * 2`), applied by `BinaryOp::apply` as the tree does
    /// (arithmetic on numbers without a `Value` when both operands give numbers).
    Binary {
        op: BinaryOp,
        left: Box<Scalar>,
        right: Box<Scalar>,
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
            Expr::Binary(BinaryOp::And | BinaryOp::Or, ..)
            | Expr::Unary(UnaryOp::Not, _)
            | Expr::Between { .. }
            | Expr::IsNull { .. } => Scalar::Predicate(Box::new(Compiled::of(expr, context)?)),
            Expr::Binary(op, ..) if is_comparison(*op) => {
                Scalar::Predicate(Box::new(Compiled::of(expr, context)?))
            }
            Expr::Binary(BinaryOp::Concat, ..) => Scalar::Concat(compile_chain(expr, context)?),
            Expr::Binary(op, left, right) => Scalar::Binary {
                op: *op,
                left: Box::new(Scalar::of(left, context)?),
                right: Box::new(Scalar::of(right, context)?),
            },
            Expr::Case {
                operand,
                branches,
                else_result,
            } => Scalar::Case {
                operand: match operand {
                    Some(operand) => Some(Box::new(Scalar::of(operand, context)?)),
                    None => None,
                },
                branches: branches
                    .iter()
                    .map(|(when, then)| {
                        Some((Scalar::of(when, context)?, Scalar::of(then, context)?))
                    })
                    .collect::<Option<_>>()?,
                otherwise: match else_result {
                    Some(otherwise) => Some(Box::new(Scalar::of(otherwise, context)?)),
                    None => None,
                },
            },
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
            (Function::Like | Function::LikeCaseSensitive | Function::Glob, [pattern, text]) => {
                (pattern, text, None)
            }
            (Function::Like | Function::LikeCaseSensitive, [pattern, text, escape]) => {
                (pattern, text, Some(escape))
            }
            _ => return None,
        };
        let pattern = constant_value(pattern, context)?;
        let pattern = text_of(&pattern)?;
        let escape = match escape {
            Some(escape) => Some(single_char(&text_of(&constant_value(escape, context)?)?).ok()?),
            None => None,
        };
        let pattern = match (function, escape) {
            (Function::Glob, _) => Pattern::glob(&pattern).ok()?,
            (Function::LikeCaseSensitive, _) => {
                Pattern::like_case_sensitive(&pattern, escape).ok()?
            }
            (_, escape) => Pattern::like(&pattern, escape).ok()?,
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
            // abs() fails only on the smallest integer, which a REAL operand never is.
            Scalar::Call {
                function: Function::Abs,
                args,
            } if matches!(&**args, [x] if x.never_integer()) => args[0].can_fail(),
            Scalar::Call { function, args } => {
                call_can_fail(*function) != Some(false) || args.iter().any(Scalar::can_fail)
            }
            Scalar::Cast { operand, .. } => operand.can_fail(),
            Scalar::Match { text, .. } => text.can_fail(),
            Scalar::Predicate(_) => false,
            Scalar::Case {
                operand,
                branches,
                otherwise,
            } => {
                operand.as_deref().is_some_and(Scalar::can_fail)
                    || branches
                        .iter()
                        .any(|(when, then)| when.can_fail() || then.can_fail())
                    || otherwise.as_deref().is_some_and(Scalar::can_fail)
            }
            // Arithmetic never fails (NULL for what it cannot compute).
            Scalar::Binary { op, left, right } if is_arithmetic(*op) => {
                left.can_fail() || right.can_fail()
            }
            // `||` may pass the text size limit, unless its parts are bounded (`concat.rs`).
            Scalar::Concat(parts) => chain_can_fail(parts),
            // The other operators are kept as failing.
            Scalar::Binary { .. } => true,
        }
    }

    /// Whether the value is REAL or NULL over every row, never an INTEGER: a REAL or NULL
    /// constant, round(), abs() of such a value, and arithmetic whose outermost operator
    /// has a REAL constant operand (a number with a REAL gives a REAL, or NULL: `ops::
    /// number_arithmetic`, for the tree's rows too, which read their operands as numbers).
    fn never_integer(&self) -> bool {
        match self {
            Scalar::Constant(value) => matches!(value, Value::Real(_) | Value::Null),
            Scalar::Arithmetic(_, tree) => match tree.as_ref() {
                Expr::Binary(_, left, right) => [left, right]
                    .iter()
                    .any(|side| matches!(side.as_ref(), Expr::Literal(Value::Real(_)))),
                _ => false,
            },
            Scalar::Call {
                function: Function::Round,
                ..
            } => true,
            Scalar::Call {
                function: Function::Abs,
                args,
            } => matches!(&**args, [x] if x.never_integer()),
            _ => false,
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
            Scalar::Predicate(compiled) => compiled.for_each_column(visit),
            Scalar::Case {
                operand,
                branches,
                otherwise,
            } => {
                for scalar in operand.iter().chain(otherwise.iter()) {
                    scalar.for_each_column(visit);
                }
                for (when, then) in branches.iter() {
                    when.for_each_column(visit);
                    then.for_each_column(visit);
                }
            }
            Scalar::Concat(parts) => {
                for part in parts.iter() {
                    part.for_each_column(visit);
                }
            }
            Scalar::Binary { left, right, .. } => {
                left.for_each_column(visit);
                right.for_each_column(visit);
            }
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
            Scalar::Call { function, args } => {
                if makes_text_view(*function) {
                    return Ok(text_call(*function, args, row)?.into_value());
                }
                if computes_on_numbers(*function) {
                    if let Some(number) = number_call(*function, args, row) {
                        return Ok(Cow::Owned(number_value(number)));
                    }
                }
                if let (Function::NullIf, [x, y]) = (function, &**args) {
                    // x, borrowed, unless the two are equal (as `function::call` decides).
                    let (x, y) = (x.value(row)?, y.value(row)?);
                    return Ok(if compare_for_sort(&x, &y) == Ordering::Equal {
                        Cow::Owned(Value::Null)
                    } else {
                        x
                    });
                }
                if matches!(function, Function::Coalesce | Function::IfNull) {
                    // The first non-NULL argument, lazily, borrowed when it is a column.
                    for arg in args.iter() {
                        let value = arg.value(row)?;
                        if !value.is_null() {
                            return Ok(value);
                        }
                    }
                    return Ok(Cow::Owned(Value::Null));
                }
                Cow::Owned(call(*function, args, row)?)
            }
            Scalar::Cast { operand, affinity } => {
                Cow::Owned(cast(operand.eval(row)?.into_owned(), *affinity))
            }
            Scalar::Predicate(compiled) => Cow::Owned(match compiled.truth(row) {
                Some(truth) => Value::Boolean(truth),
                None => Value::Null,
            }),
            Scalar::Case {
                operand,
                branches,
                otherwise,
            } => return case(operand.as_deref(), branches, otherwise.as_deref(), row),
            Scalar::Concat(parts) => Cow::Owned(chain_value(parts, row)?),
            Scalar::Binary { op, left, right } => {
                if is_arithmetic(*op) {
                    if let Some(number) = self.number(row) {
                        return Ok(Cow::Owned(number_value(number)));
                    }
                }
                let (left, right) = (left.value(row)?, right.value(row)?);
                Cow::Owned(op.apply(left.into_owned(), right.into_owned())?)
            }
            Scalar::Match { text, pattern } => Cow::Owned(match text.text_in_place(row) {
                // Text where it lies (a column, substr() of one), matched as it is.
                Some(text) => Value::Boolean(pattern.matches(text)),
                None => match_operand(pattern, text.operand(row)?)?,
            }),
        })
    }

    /// `eval` with a column or constant read inline (the common arguments of a call).
    #[inline(always)]
    pub(super) fn value<'r>(&'r self, row: &'r [Value]) -> Result<Cow<'r, Value>> {
        match self {
            Scalar::Column(index) => Ok(Cow::Borrowed(&row[*index])),
            Scalar::Constant(value) => Ok(Cow::Borrowed(value)),
            other => other.eval(row),
        }
    }

    /// The expression's value over `row` as `eval` gives it, except that text made by
    /// substr(), upper() or lower() comes as a `TextView` of the text it reads (no
    /// `String` built): for a consumer that only compares, counts or matches it.
    #[inline]
    pub fn operand<'r>(&'r self, row: &'r [Value]) -> Result<Operand<'r>> {
        match self {
            Scalar::Call { function, args } if makes_text_view(*function) => {
                text_call(*function, args, row)
            }
            other => Ok(Operand::Value(other.value(row)?)),
        }
    }

    /// Whether `number` can answer for this operand (a column, a constant, arithmetic, a
    /// numeric function of those): a cheap test made before asking it.
    #[inline]
    pub fn numeric_shape(&self) -> bool {
        match self {
            Scalar::Column(_) | Scalar::Constant(_) | Scalar::Arithmetic(..) => true,
            // coalesce() / ifnull() of numeric arguments, one of which gives only numbers
            // (`coalesce(s, g)`, `coalesce(nullif(g, 'x'), s)` likely give text: `eval`).
            Scalar::Call {
                function: Function::Coalesce | Function::IfNull,
                args,
            } => args.iter().all(Scalar::numeric_shape) && args.iter().any(gives_numbers),
            Scalar::Call { function, .. } => {
                matches!(
                    function,
                    Function::Abs
                        | Function::Round
                        | Function::Sign
                        | Function::NullIf
                        | Function::Length
                        | Function::OctetLength
                        | Function::Instr
                )
            }
            Scalar::Binary { op, left, right } => {
                is_arithmetic(*op) && left.numeric_shape() && right.numeric_shape()
            }
            // CAST to INTEGER or REAL gives a number (or NULL) whatever it reads.
            Scalar::Cast { affinity, .. } => matches!(affinity, Affinity::Integer | Affinity::Real),
            // A CASE whose every result is numeric (a missing ELSE is NULL).
            Scalar::Case {
                branches,
                otherwise,
                ..
            } => {
                branches.iter().all(|(_, then)| then.numeric_shape())
                    && otherwise.as_deref().is_none_or(Scalar::numeric_shape)
            }
            _ => false,
        }
    }

    /// The value over `row` as a number without building a `Value`: `Some(Some(number))`
    /// for an INTEGER or REAL, `Some(None)` for NULL, `None` when it is something else or
    /// the expression is not of a `numeric_shape` (then `eval` answers).
    #[inline(always)]
    pub(crate) fn number(&self, row: &[Value]) -> Option<Option<Numeric>> {
        match self {
            Scalar::Column(index) => number_of_value(&row[*index]),
            Scalar::Constant(value) => number_of_value(value),
            Scalar::Arithmetic(program, _) => program.number(row),
            Scalar::Call { function, args } => number_call(*function, args, row),
            Scalar::Binary { op, left, right } if is_arithmetic(*op) => {
                let (a, b) = (left.number(row)?, right.number(row)?);
                Some(match (a, b) {
                    (Some(a), Some(b)) => match apply(*op, a, b) {
                        Ok(number) => Some(number),
                        Err(Halt::Null) => None,
                        Err(Halt::Tree) => return None,
                    },
                    _ => None,
                })
            }
            Scalar::Cast { operand, affinity } => cast_number(operand, *affinity, row),
            Scalar::Case {
                operand,
                branches,
                otherwise,
            } => match taken_branch(operand.as_deref(), branches, row).ok()? {
                Some(at) => branches[at].1.number(row),
                None => match otherwise {
                    Some(otherwise) => otherwise.number(row),
                    None => Some(None),
                },
            },
            _ => None,
        }
    }
}

/// What `Scalar::eval_into` gave.
#[derive(Debug)]
pub enum Written<'r> {
    /// The value is the text written into the caller's buffer.
    Text,
    Value(Cow<'r, Value>),
}

/// A compiled operand's value (`Scalar::operand`): a value, or text read in place.
#[derive(Debug)]
pub enum Operand<'r> {
    Value(Cow<'r, Value>),
    Text(TextView<'r>),
}

impl<'r> Operand<'r> {
    /// The value (a text view made into its text).
    pub fn into_value(self) -> Cow<'r, Value> {
        match self {
            Operand::Value(value) => value,
            Operand::Text(view) => Cow::Owned(view.into_value()),
        }
    }

    /// The operand as a text view when it is text; the value back otherwise.
    pub fn into_text(self) -> std::result::Result<TextView<'r>, Cow<'r, Value>> {
        match self {
            Operand::Value(value) => TextView::of_value(value),
            Operand::Text(view) => Ok(view),
        }
    }
}

/// `pattern` matched against a computed operand: TRUE or FALSE, NULL for NULL.
fn match_operand(pattern: &Pattern, operand: Operand<'_>) -> Result<Value> {
    Ok(match operand.into_text() {
        Ok(view) => match view.as_is() {
            Some(text) => Value::Boolean(pattern.matches(text)),
            None => match view.into_value() {
                Value::Text(text) => Value::Boolean(pattern.matches(&text)),
                // A text view always makes a text: an error, not a panic, if not.
                other => {
                    debug_assert!(false, "a text view made {other:?}");
                    return Err(crate::err!(Internal, "a text view made {other:?}"));
                }
            },
        },
        Err(value) => match text_of(&value) {
            None => Value::Null,
            Some(text) => Value::Boolean(pattern.matches(&text)),
        },
    })
}

/// Whether `function` gives a text view of its first argument's text (`text_call`).
#[inline(always)]
fn makes_text_view(function: Function) -> bool {
    matches!(
        function,
        Function::Substr | Function::Upper | Function::Lower
    )
}

/// substr(), upper() or lower() over `row`: a view of the first argument's text (itself a
/// view when it is one of these calls), or, when that argument is not text (NULL, a
/// number, a blob), the value `function::call` gives.
fn text_call<'r>(function: Function, args: &'r [Scalar], row: &'r [Value]) -> Result<Operand<'r>> {
    debug_assert!(makes_text_view(function));
    let Some((source, rest)) = args.split_first() else {
        return Ok(Operand::Value(Cow::Owned(call(function, args, row)?)));
    };
    let view = match source.text_in_place(row) {
        // Text where it lies (a column, a constant, substr() of one): viewed as it is.
        Some(text) => TextView::of_str(text),
        None => match source.operand(row)?.into_text() {
            Ok(view) => view,
            Err(first) => {
                return Ok(Operand::Value(Cow::Owned(call_after_first(
                    function, first, rest, row,
                )?)))
            }
        },
    };
    Ok(Operand::Text(match (function, rest) {
        (Function::Upper, []) => view.with_case(Case::Upper),
        (Function::Lower, []) => view.with_case(Case::Lower),
        (Function::Substr, [start, length @ ..]) if length.len() <= 1 => {
            // Arguments evaluate left to right, then any NULL makes the result NULL.
            let start = start.value(row)?;
            let length = match length.first() {
                Some(length) => Some(length.value(row)?),
                None => None,
            };
            if start.is_null() || length.as_ref().is_some_and(|length| length.is_null()) {
                return Ok(Operand::Value(Cow::Owned(Value::Null)));
            }
            // SQLite reads substr's numbers as C ints: the low 32 bits of the integer.
            view.substr(
                i64::from(integer_of(&start) as i32),
                length.map(|length| i64::from(integer_of(&length) as i32)),
            )
        }
        _ => {
            debug_assert!(false, "{function} with {} arguments compiled", args.len());
            return Ok(Operand::Value(Cow::Owned(call(function, args, row)?)));
        }
    }))
}

/// `function` applied to `first` (already evaluated) and the rest of its arguments.
fn call_after_first(
    function: Function,
    first: Cow<'_, Value>,
    rest: &[Scalar],
    row: &[Value],
) -> Result<Value> {
    match rest {
        [] => call_borrowed(function, &[first]),
        [b] => call_borrowed(function, &[first, b.value(row)?]),
        [b, c] => call_borrowed(function, &[first, b.value(row)?, c.value(row)?]),
        _ => {
            let mut values = Vec::with_capacity(rest.len() + 1);
            values.push(first);
            for arg in rest {
                values.push(arg.value(row)?);
            }
            call_borrowed(function, &values)
        }
    }
}

/// A compiled call's value over `row`: its arguments evaluated left to right, then
/// `function::call`'s code (COALESCE and IFNULL, lazy as `function::eval_call` is, are
/// answered by `Scalar::eval`, their value borrowed when it is a column's).
#[inline]
fn call(function: Function, args: &[Scalar], row: &[Value]) -> Result<Value> {
    // COALESCE and IFNULL are lazy: `Scalar::eval` answers them before this.
    debug_assert!(!matches!(function, Function::Coalesce | Function::IfNull));
    if let (Function::Length | Function::OctetLength, [a]) = (function, args) {
        // Of text (a view included), counted in place.
        return match a.operand(row)?.into_text() {
            Ok(view) => Ok(Value::Integer(if function == Function::Length {
                view.char_count()
            } else {
                view.unmapped().len()
            } as i64)),
            Err(value) => call_borrowed(function, &[value]),
        };
    }
    // A `||` argument is written into a spare buffer, given back after (`spare_text.rs`).
    match args {
        [a] => call_lent(function, [a.argument(row)?]),
        [a, b] => call_lent(function, [a.argument(row)?, b.argument(row)?]),
        [a, b, c] => call_lent(
            function,
            [a.argument(row)?, b.argument(row)?, c.argument(row)?],
        ),
        _ => {
            debug_assert!(args.is_empty() || args.len() > STACK_ARGUMENTS_MAX);
            let values = args
                .iter()
                .map(|arg| arg.value(row))
                .collect::<Result<Vec<_>>>()?;
            call_borrowed(function, &values)
        }
    }
}

/// For a function a compiled call may apply: whether it can fail (`Some(true)`: `abs`
/// overflows on the smallest integer, a text result may pass the size limit, a pattern
/// or ESCAPE read per row may be refused). `None` for a function that does not compile:
/// one that is not deterministic, reads the statement, evaluates lazily in a way the
/// compiled call does not (IIF compiles as a CASE instead), or is rare enough to keep the
/// tree; a JSON function that reads JSON flags (the others fail on bad JSON or paths).
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
        | Function::Soundex
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
        | Function::Math(_)
        // Date functions give NULL for what they cannot read, and read the clock for 'now'
        // per call (as the tree does: a compiled call is evaluated per row too).
        | Function::Date(_) => Some(false),
        Function::Abs
        | Function::Hex
        | Function::Replace
        | Function::Concat
        | Function::ConcatWs
        | Function::Like
        | Function::LikeCaseSensitive
        | Function::Glob
        | Function::Printf => Some(true),
        _ => matches!(function, Function::Json(json) if !json.reads_flags()).then_some(true),
    }
}

/// A constant operand's value, now: a literal, parameter or `SubqueryExpr::gives_one_value`
/// (in an affinity wrapper too); `None` otherwise or on an error (the tree reports it).
pub(crate) fn constant_value(expr: &Expr, context: &EvalContext<'_>) -> Option<Value> {
    let leaf = match expr {
        Expr::Affinity { expr, .. } => expr.as_ref(),
        other => other,
    };
    match leaf {
        Expr::Literal(_) | Expr::Parameter(_) => expr.eval(&[], context).ok(),
        Expr::Subquery(subquery) if subquery.gives_one_value() => expr.eval(&[], context).ok(),
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
