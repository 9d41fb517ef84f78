//! The number path of compiled scalars (`Scalar::number`): abs(), round(), sign(),
//! nullif(), length() / octet_length() and CAST to INTEGER / REAL computed on `Numeric`s
//! (no `Value` built), with the conversions between values and numbers. Each answers what
//! `function::call` / `cast::cast` answer, or `None` for a row it does not cover, which
//! `Scalar::eval` then computes.

use std::cmp::Ordering;

use ember_storage::Value;

use super::arithmetic::is_arithmetic;
use super::cast::{cast, integer_prefix, real_prefix, real_to_integer, Affinity};
use super::function::Function;
use super::ops::{compare_numbers, Numeric};
use super::round::round_real;
use super::scalar::Scalar;
use super::text::instr_of_texts;
use super::text_view::char_count;

/// CAST(operand AS INTEGER or REAL) as a number, text read in place (`cast::cast`'s
/// rules); `None` for another affinity, or when evaluating the operand fails (then `eval`
/// reports the error).
#[inline]
pub(super) fn cast_number(
    operand: &Scalar,
    affinity: Affinity,
    row: &[Value],
) -> Option<Option<Numeric>> {
    if !matches!(affinity, Affinity::Integer | Affinity::Real) {
        return None;
    }
    // A number (or NULL) converts as a number: no value is built.
    if let Some(number) = operand.number(row) {
        return Some(number.map(|number| cast_numeric(number, affinity)));
    }
    if let Some(text) = operand.text_in_place(row) {
        // Text where it lies (a column, substr() of one): parsed in place.
        return Some(Some(if affinity == Affinity::Integer {
            Numeric::Integer(integer_prefix(text))
        } else {
            Numeric::Real(real_prefix(text))
        }));
    }
    let value = match operand.operand(row).ok()?.into_text() {
        Ok(view) => match view.as_is() {
            Some(text) => {
                return Some(Some(if affinity == Affinity::Integer {
                    Numeric::Integer(integer_prefix(text))
                } else {
                    Numeric::Real(real_prefix(text))
                }))
            }
            None => view.into_value(),
        },
        Err(value) => value.into_owned(),
    };
    number_of_value(&cast(value, affinity))
}

/// CAST of a number to INTEGER (a REAL truncated) or REAL (an INTEGER widened); any other
/// affinity leaves it as it is.
#[inline(always)]
pub(super) fn cast_numeric(number: Numeric, affinity: Affinity) -> Numeric {
    match (affinity, number) {
        (Affinity::Integer, Numeric::Real(r)) => Numeric::Integer(real_to_integer(r)),
        (Affinity::Real, Numeric::Integer(i)) => Numeric::Real(i as f64),
        (_, number) => number,
    }
}

/// abs() of a number; `None` for the smallest integer, whose abs() is an error.
#[inline(always)]
pub(super) fn abs_number(number: Numeric) -> Option<Numeric> {
    Some(match number {
        Numeric::Integer(i) => Numeric::Integer(i.checked_abs()?),
        Numeric::Real(r) => Numeric::Real(r.abs()),
    })
}

/// nullif(x, y) of numbers or NULLs: NULL when the two are equal numbers (1 = 1.0), else x.
#[inline(always)]
pub(super) fn nullif_numbers(x: Option<Numeric>, y: Option<Numeric>) -> Option<Numeric> {
    match (x, y) {
        (Some(a), Some(b)) if compare_numbers(a, b) == Ordering::Equal => None,
        _ => x,
    }
}

/// A value as a number: `Some(Some(_))` for INTEGER and REAL, `Some(None)` for NULL,
/// `None` for any other value.
#[inline(always)]
pub(super) fn number_of_value(value: &Value) -> Option<Option<Numeric>> {
    match value {
        Value::Integer(i) => Some(Some(Numeric::Integer(*i))),
        Value::Real(r) => Some(Some(Numeric::Real(*r))),
        Value::Null => Some(None),
        _ => None,
    }
}

/// A number as a value (NULL for `None`).
#[inline(always)]
pub(super) fn number_value(number: Option<Numeric>) -> Value {
    match number {
        Some(Numeric::Integer(i)) => Value::Integer(i),
        Some(Numeric::Real(r)) => Value::Real(r),
        None => Value::Null,
    }
}

/// Whether `eval` asks `number_call` first for `function` (nullif() is answered borrowed
/// by `eval` itself, numbers or not).
#[inline(always)]
pub(super) fn computes_on_numbers(function: Function) -> bool {
    matches!(
        function,
        Function::Abs | Function::Sign | Function::Round | Function::Length | Function::OctetLength
    )
}

/// abs(), round(), sign() or nullif() of numeric arguments computed on numbers (what
/// `function::call` gives for them); `None` for any other function, an argument that is
/// not a number or NULL, and abs() of the smallest integer (whose error `call` reports).
#[inline]
pub(super) fn number_call(
    function: Function,
    args: &[Scalar],
    row: &[Value],
) -> Option<Option<Numeric>> {
    match (function, args) {
        (Function::Abs, [x]) => Some(match x.number(row)? {
            None => None,
            Some(number) => Some(abs_number(number)?),
        }),
        (Function::Sign, [x]) => Some(x.number(row)?.map(|number| {
            Numeric::Integer(match number {
                Numeric::Integer(i) => i.signum(),
                Numeric::Real(r) if r > 0.0 => 1,
                Numeric::Real(r) if r < 0.0 => -1,
                Numeric::Real(_) => 0,
            })
        })),
        (Function::Round, [x]) => Some(x.number(row)?.map(|x| round_number(x, 0))),
        // Of text (a view included), counted in place; of NULL, NULL; of a number or a
        // blob (and on an error, which `eval` then reports), `call` answers.
        (Function::Length | Function::OctetLength, [x]) => {
            if let Some(text) = x.text_in_place(row) {
                // A column, a constant, coalesce() or substr() of those: counted in place.
                return Some(Some(Numeric::Integer(if function == Function::Length {
                    char_count(text)
                } else {
                    text.len()
                } as i64)));
            }
            if let Some(Value::Null) = x.in_place(row) {
                return Some(None);
            }
            length_of_operand(function, x, row)
        }
        // instr() of two texts, found in place; NULL when either is NULL; of numbers or
        // blobs (and on an error, which `eval` then reports), `call` answers.
        (Function::Instr, [haystack, needle]) => {
            let (haystack, needle) = (haystack.value(row).ok()?, needle.value(row).ok()?);
            match (&*haystack, &*needle) {
                (Value::Text(haystack), Value::Text(needle)) => {
                    Some(Some(Numeric::Integer(instr_of_texts(haystack, needle))))
                }
                (Value::Null, _) | (_, Value::Null) => Some(None),
                _ => None,
            }
        }
        // nullif(x, y): NULL when the two are equal numbers (1 = 1.0), else x.
        (Function::NullIf, [x, y]) => Some(nullif_numbers(x.number(row)?, y.number(row)?)),
        // coalesce() / ifnull(): the first argument that is not NULL, lazily; `None` (and
        // `eval` answers) at the first that is not a number or NULL.
        (Function::Coalesce | Function::IfNull, args) => {
            for arg in args {
                if let Some(number) = arg.number(row)? {
                    return Some(Some(number));
                }
            }
            Some(None)
        }
        (Function::Round, [x, digits]) => {
            // The digits are read first: NULL digits give NULL whatever X is.
            let digits = match digits.number(row)? {
                None => return Some(None),
                Some(Numeric::Integer(i)) => i.clamp(0, 30),
                Some(Numeric::Real(r)) => real_to_integer(r).clamp(0, 30),
            };
            Some(x.number(row)?.map(|x| round_number(x, digits as usize)))
        }
        _ => None,
    }
}

/// length() / octet_length() of a computed operand: of text (a view included), counted in
/// place; of NULL, NULL; `None` for a number or a blob, or on an error.
#[inline]
fn length_of_operand(function: Function, x: &Scalar, row: &[Value]) -> Option<Option<Numeric>> {
    match x.operand(row).ok()?.into_text() {
        Ok(view) => Some(Some(Numeric::Integer(if function == Function::Length {
            view.char_count()
        } else {
            view.unmapped().len()
        } as i64))),
        Err(value) if value.is_null() => Some(None),
        Err(_) => None,
    }
}

/// round() of a number to `digits` decimals: always a REAL.
#[inline]
pub(super) fn round_number(x: Numeric, digits: usize) -> Numeric {
    let r = match x {
        Numeric::Integer(i) => i as f64,
        Numeric::Real(r) => r,
    };
    Numeric::Real(round_real(r, digits))
}

/// Whether the value is a number or NULL whatever the row holds (a number constant,
/// arithmetic, a numeric function, CAST to a number, nullif() or coalesce() of such):
/// a coalesce() with such an argument is worth asking `number`.
pub(super) fn gives_numbers(scalar: &Scalar) -> bool {
    match scalar {
        Scalar::Constant(value) => matches!(value, Value::Integer(_) | Value::Real(_)),
        Scalar::Arithmetic(..) => true,
        Scalar::Binary { op, .. } => is_arithmetic(*op),
        Scalar::Cast { affinity, .. } => matches!(affinity, Affinity::Integer | Affinity::Real),
        Scalar::Call {
            function: Function::NullIf,
            args,
        } => args.first().is_some_and(gives_numbers),
        Scalar::Call {
            function: Function::Coalesce | Function::IfNull,
            args,
        } => args.iter().all(gives_numbers),
        Scalar::Call { function, .. } => matches!(
            function,
            Function::Abs
                | Function::Sign
                | Function::Round
                | Function::Length
                | Function::OctetLength
                | Function::Instr
        ),
        _ => false,
    }
}
