//! Text a compiled scalar makes per row (a `||` chain, replace(), hex(), printf(), a text
//! view, date(), time(), datetime(), strftime()) written into a caller's buffer instead of
//! a new `String` (`Scalar::eval_into`: a computed projection or aggregate argument keeps
//! its buffer between rows), and such
//! text compared with text lying in place by a compiled filter (`made_text_compare`,
//! through a spare buffer of this thread), so neither allocates per row.

use std::borrow::Cow;

use ember_storage::Value;

use super::compile::{compared, infallible};
use super::concat::write_chain;
use super::datetime::DateFunction;
use super::function::{call_borrowed, Function};
use super::ops::{sql_compare, BinaryOp};
use super::scalar::{Operand, Scalar, Written};
use super::spare_text::{date_lent, give_back, printf_lent, take_spare};
use super::text::{hex_into, replace_into};
use crate::error::Result;

impl Scalar {
    /// Writes the value over `row` into `out` when it is text this expression makes (a
    /// `||` chain, a text view, replace() of texts, hex(), printf()): `Ok(Written::Text)`
    /// with the text in `out`; else `Ok(Written::Value(value))`, what `eval` gives
    /// (borrowed when it can be; NULL for a chain with a NULL part). A consumer that only
    /// reads the value keeps `out` between rows, so such text allocates nothing.
    #[inline]
    pub fn eval_into<'r>(&'r self, row: &'r [Value], out: &mut String) -> Result<Written<'r>> {
        match self {
            Scalar::Concat(parts) => Ok(if write_chain(parts, row, out)? {
                Written::Text
            } else {
                Written::Value(Cow::Owned(Value::Null))
            }),
            Scalar::Call {
                function: Function::Replace,
                args,
            } => match &**args {
                [source, pattern, replacement] => {
                    let source = source.value(row)?;
                    let pattern = pattern.value(row)?;
                    let replacement = replacement.value(row)?;
                    match (&*source, &*pattern, &*replacement) {
                        // Three texts, a pattern to find: `text::replace_into`, as `call`.
                        (Value::Text(text), Value::Text(find), Value::Text(by))
                            if !find.is_empty() =>
                        {
                            replace_into(text, find, by, out)?;
                            Ok(Written::Text)
                        }
                        _ => Ok(Written::Value(Cow::Owned(call_borrowed(
                            Function::Replace,
                            &[source, pattern, replacement],
                        )?))),
                    }
                }
                _ => Ok(Written::Value(self.eval(row)?)),
            },
            Scalar::Call {
                function: Function::Trim | Function::LTrim | Function::RTrim,
                ..
            } => match self.text_in_place(row) {
                Some(text) => {
                    out.clear();
                    out.push_str(text);
                    Ok(Written::Text)
                }
                None => Ok(Written::Value(self.eval(row)?)),
            },
            Scalar::Call {
                function: Function::Hex,
                args,
            } => match &**args {
                [x] => {
                    hex_into(&*x.value(row)?, out)?;
                    Ok(Written::Text)
                }
                _ => Ok(Written::Value(self.eval(row)?)),
            },
            Scalar::Call {
                function: Function::Printf,
                args,
            } => {
                // The arguments as `call` evaluates them (a `||` one into a spare buffer).
                let written = match &**args {
                    [a] => printf_lent([a.argument(row)?], out)?,
                    [a, b] => printf_lent([a.argument(row)?, b.argument(row)?], out)?,
                    [a, b, c] => {
                        printf_lent([a.argument(row)?, b.argument(row)?, c.argument(row)?], out)?
                    }
                    _ => return Ok(Written::Value(self.eval(row)?)),
                };
                Ok(if written {
                    Written::Text
                } else {
                    Written::Value(Cow::Owned(Value::Null))
                })
            }
            Scalar::Call {
                function: Function::Date(date),
                args,
            } => date_into(self, *date, args, row, out),
            other => match other.operand(row)? {
                Operand::Text(view) => {
                    out.clear();
                    view.push_to(out);
                    Ok(Written::Text)
                }
                Operand::Value(value) => Ok(Written::Value(value)),
            },
        }
    }
}

/// `eval_into` of a date/time function call (`self`): its text written into `out` by
/// `datetime::call_into`, its arguments evaluated as `call` evaluates them (a `||` one into
/// a spare buffer). Not inlined: `eval_into`'s other arms stay as small as they were.
#[inline(never)]
fn date_into<'r>(
    call: &'r Scalar,
    date: DateFunction,
    args: &'r [Scalar],
    row: &'r [Value],
    out: &mut String,
) -> Result<Written<'r>> {
    let value = match args {
        [a] => date_lent(date, [a.argument(row)?], out),
        [a, b] => date_lent(date, [a.argument(row)?, b.argument(row)?], out),
        [a, b, c] => date_lent(
            date,
            [a.argument(row)?, b.argument(row)?, c.argument(row)?],
            out,
        ),
        _ => return Ok(Written::Value(call.eval(row)?)),
    };
    Ok(match value {
        None => Written::Text,
        Some(value) => Written::Value(Cow::Owned(value)),
    })
}

/// Text made per row (a `||` chain, replace(), hex(), printf(): `Scalar::eval_into`)
/// compared with text lying in place (a column's, a constant's): the made text is written
/// into a spare buffer of this thread (`spare_text`), so no text is allocated per row;
/// `None` for other operand pairs. A NULL gives NULL; an error reads as NULL and is noted
/// (`infallible`), as its `operand` would be. A value the call gives instead of writing it
/// (replace() of non-texts, text too) is compared as the tree does.
#[inline]
pub(super) fn made_text_compare(
    op: BinaryOp,
    left: &Scalar,
    right: &Scalar,
    row: &[Value],
) -> Option<Option<bool>> {
    let (made, other, made_first) = if writes_text(left) {
        (left, right, true)
    } else if writes_text(right) {
        (right, left, false)
    } else {
        return None;
    };
    let text = other.text_in_place(row)?;
    let mut out = take_spare();
    let ordering = match infallible(made.eval_into(row, &mut out)) {
        Some(Written::Text) => Some(out.as_bytes().cmp(text.as_bytes())),
        Some(Written::Value(value)) => match &*value {
            Value::Null => None,
            Value::Text(made) => Some(made.as_bytes().cmp(text.as_bytes())),
            value => sql_compare(value, &Value::Text(text.to_string())),
        },
        // An error.
        None => None,
    };
    give_back(out);
    Some(ordering.map(|ordering| {
        compared(
            op,
            if made_first {
                ordering
            } else {
                ordering.reverse()
            },
        )
    }))
}

/// Whether `scalar` writes the text it makes into a buffer (`Scalar::eval_into`) rather
/// than allocating it.
fn writes_text(scalar: &Scalar) -> bool {
    matches!(
        scalar,
        Scalar::Concat(_)
            | Scalar::Call {
                function: Function::Replace
                    | Function::Hex
                    | Function::Printf
                    | Function::Date(
                        DateFunction::Date
                            | DateFunction::Time
                            | DateFunction::DateTime
                            | DateFunction::Strftime
                    ),
                ..
            }
    )
}
