//! Numeric scalars and predicates compiled once per statement into closures (`NumberFn`,
//! `TruthFn`): each node of a compiled scalar (`scalar.rs`) or predicate (`compile.rs`) that
//! computes on numbers becomes a small closure over the closures of its operands, its
//! shape (which operator, which variant, whether a WHEN is a predicate, a constant's
//! number) decided when compiled instead of matched per row. A row is computed by calls
//! of small functions: no `Value` built, no walk of the enum tree through one large
//! `match` per node.
//!
//! Semantics are `Scalar::number`'s and `Compiled::truth`'s exactly, by construction:
//! every closure does what the arm of those functions it replaces does, with the same
//! helpers (`arithmetic::apply`, `ops::compare_numbers`, `scalar_number::round_number`)
//! and the same answer for a row it does not cover (`None`, which the caller then computes
//! through `eval`); every shape not specialized here calls `Scalar::number` or
//! `Compiled::truth` itself.

use std::cmp::Ordering;
use std::fmt;
use std::sync::Arc;

use ember_storage::Value;

use super::arithmetic::{apply, is_arithmetic, Halt};
use super::compile::{compared, Compiled};
use super::function::Function;
use super::ops::{compare_numbers, BinaryOp, Numeric};
use super::scalar::Scalar;
use super::scalar_case::taken_branch;
use super::scalar_number::{abs_number, nullif_numbers, number_of_value, round_number};
use super::text::instr_of_texts;
use super::text_view::char_count;

/// A number, NULL (`Some(None)`), or not covered (`None`): what `Scalar::number` gives.
type Number = Option<Option<Numeric>>;

/// A closure computing a row's number.
type NumberClosure = Arc<dyn Fn(&[Value]) -> Number + Send + Sync>;

/// A closure computing a row's truth.
type TruthClosure = Arc<dyn Fn(&[Value]) -> Option<bool> + Send + Sync>;

/// A compiled scalar's `number` as a closure, or the scalar itself for a shape not
/// specialized (its `number` called directly: no closure around it).
#[derive(Clone)]
pub struct NumberFn(Runs);

/// What a `NumberFn` runs.
#[derive(Clone)]
enum Runs {
    Closure(NumberClosure),
    Scalar(Arc<Scalar>),
}

/// A compiled predicate's `truth` as a closure (a comparison of a column with a number,
/// AND / OR / NOT specialized; the other shapes call `truth`, whose numeric comparisons,
/// BETWEEN and IS NULL read their operands through `NumberFn`s already).
#[derive(Clone)]
pub struct TruthFn(TruthClosure);

impl fmt::Debug for NumberFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("NumberFn")
    }
}

impl fmt::Debug for TruthFn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TruthFn")
    }
}

impl NumberFn {
    /// `scalar.number` as a closure (any scalar: a shape not specialized calls `number`).
    pub fn of(scalar: &Scalar) -> NumberFn {
        let closure: NumberClosure = match scalar {
            Scalar::Column(index) => {
                let index = *index;
                Arc::new(move |row| number_of_value(&row[index]))
            }
            Scalar::Constant(value) => {
                let number = number_of_value(value);
                Arc::new(move |_| number)
            }
            Scalar::Arithmetic(program, _) => {
                let program = program.clone();
                Arc::new(move |row| program.number(row))
            }
            Scalar::Binary { op, left, right } if is_arithmetic(*op) => {
                binary(*op, NumberFn::of(left), NumberFn::of(right))
            }
            Scalar::Case {
                operand,
                branches,
                otherwise,
            } => case(scalar, operand.as_deref(), branches, otherwise.as_deref()),
            Scalar::Call { function, args } => match call(*function, args) {
                Some(closure) => closure,
                None => return NumberFn(Runs::Scalar(Arc::new(scalar.clone()))),
            },
            other => return NumberFn(Runs::Scalar(Arc::new(other.clone()))),
        };
        NumberFn(Runs::Closure(closure))
    }

    /// The value over `row` as `Scalar::number` gives it.
    #[inline(always)]
    pub(crate) fn number(&self, row: &[Value]) -> Number {
        match &self.0 {
            Runs::Closure(closure) => closure(row),
            Runs::Scalar(scalar) => scalar.number(row),
        }
    }
}

impl TruthFn {
    /// `compiled.truth` as a closure.
    pub fn of(compiled: &Compiled) -> TruthFn {
        TruthFn(match compiled {
            Compiled::Compare {
                column,
                op,
                constant,
                constant_first,
            } if number_of_value(constant).flatten().is_some() => {
                let (column, op, constant_first) = (*column, *op, *constant_first);
                let number = number_of_value(constant).flatten();
                let fallback = compiled.clone();
                Arc::new(move |row| match (number_of_value(&row[column]), number) {
                    // A number against a number: `sql_compare`'s order (`compare_numbers`).
                    (Some(Some(value)), Some(constant)) => {
                        let ordering = compare_numbers(value, constant);
                        Some(compared(
                            op,
                            if constant_first {
                                ordering.reverse()
                            } else {
                                ordering
                            },
                        ))
                    }
                    (Some(None), _) => None,
                    _ => fallback.truth(row),
                })
            }
            Compiled::Junction { decisive, terms } => {
                let decisive = *decisive;
                let terms: Box<[TruthFn]> = terms.iter().map(TruthFn::of).collect();
                Arc::new(move |row| {
                    let mut unknown = false;
                    for term in terms.iter() {
                        match term.truth(row) {
                            Some(truth) if truth == decisive => return Some(truth),
                            Some(_) => {}
                            None => unknown = true,
                        }
                    }
                    (!unknown).then_some(!decisive)
                })
            }
            Compiled::Not(operand) => {
                let operand = TruthFn::of(operand);
                Arc::new(move |row| operand.truth(row).map(|value| !value))
            }
            other => {
                let other = other.clone();
                Arc::new(move |row| other.truth(row))
            }
        })
    }

    /// The predicate's truth over `row` as `Compiled::truth` gives it.
    #[inline(always)]
    pub fn truth(&self, row: &[Value]) -> Option<bool> {
        (self.0)(row)
    }
}

/// `left op right` for an arithmetic operator, as `Scalar::number`'s `Binary` arm.
fn binary(op: BinaryOp, left: NumberFn, right: NumberFn) -> NumberClosure {
    Arc::new(move |row| {
        let (a, b) = (left.number(row)?, right.number(row)?);
        Some(match (a, b) {
            (Some(a), Some(b)) => match apply(op, a, b) {
                Ok(number) => Some(number),
                Err(Halt::Null) => None,
                Err(Halt::Tree) => return None,
            },
            _ => None,
        })
    })
}

/// A CASE as `Scalar::number`'s `Case` arm: the branch taken (decided by compiled WHEN
/// predicates, or a numeric operand against number constants, when the CASE has those
/// shapes; else by `taken_branch`), then that branch's number.
fn case(
    scalar: &Scalar,
    operand: Option<&Scalar>,
    branches: &[(Scalar, Scalar)],
    otherwise: Option<&Scalar>,
) -> NumberClosure {
    let thens: Box<[NumberFn]> = branches
        .iter()
        .map(|(_, then)| NumberFn::of(then))
        .collect();
    let otherwise = otherwise.map(NumberFn::of);
    let otherwise = move |row: &[Value]| match &otherwise {
        Some(otherwise) => otherwise.number(row),
        None => Some(None),
    };
    let predicates: Option<Box<[TruthFn]>> = match operand {
        None => branches
            .iter()
            .map(|(when, _)| match when {
                Scalar::Predicate(compiled) => Some(TruthFn::of(compiled)),
                _ => None,
            })
            .collect(),
        Some(_) => None,
    };
    if let Some(whens) = predicates {
        // Searched CASE: the first WHEN that is TRUE (a compiled predicate never fails).
        return Arc::new(move |row| {
            for (when, then) in whens.iter().zip(thens.iter()) {
                if when.truth(row) == Some(true) {
                    return then.number(row);
                }
            }
            otherwise(row)
        });
    }
    let numbers: Option<Box<[Numeric]>> = branches
        .iter()
        .map(|(when, _)| match when {
            Scalar::Constant(value) => number_of_value(value).flatten(),
            _ => None,
        })
        .collect();
    match (operand, numbers) {
        (Some(operand), Some(whens)) if operand.numeric_shape() => {
            // Simple CASE of a number against number constants: `equal_values` of two
            // numbers is `compare_numbers` Equal; NULL equals no WHEN.
            let operand_number = NumberFn::of(operand);
            let fallback = Fallback::of(scalar);
            Arc::new(move |row| match operand_number.number(row) {
                Some(Some(number)) => {
                    for (when, then) in whens.iter().zip(thens.iter()) {
                        if compare_numbers(number, *when) == Ordering::Equal {
                            return then.number(row);
                        }
                    }
                    otherwise(row)
                }
                Some(None) => otherwise(row),
                None => fallback.number(row),
            })
        }
        _ => {
            let Fallback(scalar) = Fallback::of(scalar);
            let Scalar::Case {
                operand, branches, ..
            } = &*scalar
            else {
                return general(&scalar);
            };
            let (operand, branches) = (operand.clone(), branches.clone());
            Arc::new(
                move |row| match taken_branch(operand.as_deref(), &branches, row).ok()? {
                    Some(at) => thens.get(at)?.number(row),
                    None => otherwise(row),
                },
            )
        }
    }
}

/// A call as `Scalar::number`'s `Call` arm (`scalar_number::number_call`): abs(), sign(),
/// round(x), nullif(), coalesce() and ifnull() over closures of their arguments, length()
/// / octet_length() of a column and instr() of a column with a column or constant read
/// in place; `None` for any other call (the `NumberFn` calls its `number`).
fn call(function: Function, args: &[Scalar]) -> Option<NumberClosure> {
    Some(match (function, args) {
        (Function::Abs, [x]) => {
            let x = NumberFn::of(x);
            Arc::new(move |row| {
                Some(match x.number(row)? {
                    None => None,
                    Some(number) => Some(abs_number(number)?),
                })
            })
        }
        (Function::Sign, [x]) => {
            let x = NumberFn::of(x);
            Arc::new(move |row| {
                Some(x.number(row)?.map(|number| {
                    Numeric::Integer(match number {
                        Numeric::Integer(i) => i.signum(),
                        Numeric::Real(r) if r > 0.0 => 1,
                        Numeric::Real(r) if r < 0.0 => -1,
                        Numeric::Real(_) => 0,
                    })
                }))
            })
        }
        (Function::Round, [x]) => {
            let x = NumberFn::of(x);
            Arc::new(move |row| Some(x.number(row)?.map(|x| round_number(x, 0))))
        }
        (Function::NullIf, [x, y]) => {
            let (x, y) = (NumberFn::of(x), NumberFn::of(y));
            Arc::new(move |row| Some(nullif_numbers(x.number(row)?, y.number(row)?)))
        }
        (Function::Length | Function::OctetLength, [Scalar::Column(index)]) => {
            // A column's text counted where it lies, NULL's length NULL (as `number_call`);
            // a number or a blob is `number_call`'s to answer (its text, its bytes).
            let (index, chars) = (*index, function == Function::Length);
            let fallback = Fallback::of(&Scalar::Call {
                function,
                args: args.into(),
            });
            Arc::new(move |row| match &row[index] {
                Value::Text(text) => {
                    Some(Some(Numeric::Integer(
                        if chars { char_count(text) } else { text.len() } as i64,
                    )))
                }
                Value::Null => Some(None),
                _ => fallback.number(row),
            })
        }
        (Function::Instr, [haystack @ Scalar::Column(_), needle])
            if matches!(needle, Scalar::Column(_) | Scalar::Constant(_)) =>
        {
            // Two texts found in place, NULL when either is NULL (as `number_call`); the
            // other rows are `number_call`'s.
            let (haystack, needle) = (haystack.clone(), needle.clone());
            let fallback = Fallback::of(&Scalar::Call {
                function,
                args: args.into(),
            });
            Arc::new(
                move |row| match (haystack.in_place(row), needle.in_place(row)) {
                    (Some(Value::Text(haystack)), Some(Value::Text(needle))) => {
                        Some(Some(Numeric::Integer(instr_of_texts(haystack, needle))))
                    }
                    (Some(Value::Null), _) | (_, Some(Value::Null)) => Some(None),
                    _ => fallback.number(row),
                },
            )
        }
        (Function::Coalesce | Function::IfNull, _) => {
            // The first argument that is not NULL, lazily (as `number_call`).
            let args: Box<[NumberFn]> = args.iter().map(NumberFn::of).collect();
            Arc::new(move |row| {
                for arg in args.iter() {
                    if let Some(number) = arg.number(row)? {
                        return Some(Some(number));
                    }
                }
                Some(None)
            })
        }
        _ => return None,
    })
}

/// `scalar.number` itself, for a shape this file does not specialize.
fn general(scalar: &Scalar) -> NumberClosure {
    let Fallback(scalar) = Fallback::of(scalar);
    Arc::new(move |row| scalar.number(row))
}

/// A scalar kept whole for the rows a closure does not cover.
struct Fallback(Arc<Scalar>);

impl Fallback {
    fn of(scalar: &Scalar) -> Fallback {
        Fallback(Arc::new(scalar.clone()))
    }

    fn number(&self, row: &[Value]) -> Number {
        self.0.number(row)
    }
}

/// `value BETWEEN low AND high` of numbers (`predicate::between`'s three-valued rules: the
/// two comparisons ANDed, NULL for an unknown one unless the other is FALSE).
pub(super) fn between_numbers(
    value: Option<Numeric>,
    low: Option<Numeric>,
    high: Option<Numeric>,
    negated: bool,
) -> Option<bool> {
    let value = value?;
    let above_low = low.map(|low| compare_numbers(value, low) != Ordering::Less);
    let below_high = high.map(|high| compare_numbers(value, high) != Ordering::Greater);
    between_truth(above_low, below_high, negated)
}

/// `above_low AND below_high` (three-valued: NULL for unknown), NOT of it when `negated`:
/// BETWEEN's truth from its two comparisons.
#[inline(always)]
pub(super) fn between_truth(
    above_low: Option<bool>,
    below_high: Option<bool>,
    negated: bool,
) -> Option<bool> {
    let inside = match (above_low, below_high) {
        (Some(false), _) | (_, Some(false)) => Some(false),
        (Some(true), Some(true)) => Some(true),
        _ => None,
    }?;
    Some(inside != negated)
}

#[cfg(test)]
#[path = "number_fn_tests.rs"]
mod tests;
