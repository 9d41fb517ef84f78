//! Compiled `||` chains: `a || b || c` (parsed as `(a || b) || c`) is one list of parts
//! written, in order, into one text buffer, instead of a `String` made and then grown per
//! operator. A consumer that only reads the text (an aggregate's argument, a group key, a
//! sort key: `Computed::eval_borrowed`) gives a buffer it keeps between rows, so a row
//! allocates nothing; `Scalar::eval` writes into a new `String` sized once.
//!
//! Semantics are `BinaryOp::apply`'s exactly, operator by operator: every part is evaluated
//! left to right (an error in any part is reported, even after a NULL one); a NULL part
//! makes the result NULL; each part is written as `format!("{left}{right}")` writes it
//! (`Value`'s `Display`: blobs as lossy UTF-8, reals as SQLite prints them); and after each
//! operator the text so far is held to `limits::TEXT_BYTES_MAX` with the tree's message.
//! Only the left spine is flattened: `a || (b || c)` keeps `b || c` as one part, whose own
//! limit check comes first, as in the tree.

use std::borrow::Cow;
use std::fmt::Write as _;

use ember_storage::Value;

use super::ops::BinaryOp;
use super::scalar::{Operand, Scalar};
use super::scalar_number::gives_numbers;
use super::text::push_integer;
use super::{EvalContext, Expr};
use crate::error::Result;

/// The parts of the `||` chain `expr` (its left spine), compiled; `None` when one of them
/// does not compile.
pub(super) fn compile_chain(expr: &Expr, context: &EvalContext<'_>) -> Option<Box<[Scalar]>> {
    let mut rights = Vec::new();
    let mut leftmost = expr;
    while let Expr::Binary(BinaryOp::Concat, left, right) = leftmost {
        rights.push(right.as_ref());
        leftmost = left.as_ref();
    }
    debug_assert!(!rights.is_empty(), "compile_chain of a non-|| expression");
    let mut parts = Vec::with_capacity(rights.len() + 1);
    parts.push(Scalar::of(leftmost, context)?);
    for right in rights.into_iter().rev() {
        parts.push(Scalar::of(right, context)?);
    }
    Some(parts.into_boxed_slice())
}

/// The most bytes a number (or a truth value) is written as by `push_value`: an INTEGER
/// takes 20 at most, a REAL (`format_real`: 17 digits, a sign, a point and an exponent)
/// fewer than 30.
const NUMBER_TEXT_BYTES_MAX: usize = 64;

/// Whether the chain may fail: when a part may, or when its text may pass
/// `limits::TEXT_BYTES_MAX` (`check_size`), which a chain of constants and numbers (`'+'
/// || (b % 30) || ' days'`) cannot, so it compiles in a filter.
pub(super) fn chain_can_fail(parts: &[Scalar]) -> bool {
    parts.iter().any(Scalar::can_fail)
        || chain_bytes_bound(parts).is_none_or(|bytes| bytes > crate::limits::TEXT_BYTES_MAX)
}

/// The most bytes the chain's text can take over any row; `None` when a part is not
/// bounded (a column, a function's text).
fn chain_bytes_bound(parts: &[Scalar]) -> Option<usize> {
    parts.iter().try_fold(0usize, |total, part| {
        total.checked_add(part_bytes_bound(part)?)
    })
}

/// The most bytes `push_value` writes for `part` over any row; `None` when not bounded.
fn part_bytes_bound(part: &Scalar) -> Option<usize> {
    match part {
        Scalar::Constant(Value::Text(text)) => Some(text.len()),
        Scalar::Constant(Value::Blob(bytes)) => Some(String::from_utf8_lossy(bytes).len()),
        Scalar::Constant(_) | Scalar::Predicate(_) => Some(NUMBER_TEXT_BYTES_MAX),
        Scalar::Concat(parts) => chain_bytes_bound(parts),
        other if gives_numbers(other) => Some(NUMBER_TEXT_BYTES_MAX),
        _ => None,
    }
}

/// Writes the chain `parts` over `row` into `out` (cleared first): `Ok(true)` when the
/// result is that text, `Ok(false)` when it is NULL (then `out` holds nothing useful).
pub(super) fn write_chain(parts: &[Scalar], row: &[Value], out: &mut String) -> Result<bool> {
    out.clear();
    let mut null = false;
    for (at, part) in parts.iter().enumerate() {
        let before = out.len();
        // A column or constant part is read where it is; any other is evaluated (even
        // after a NULL part: its error is still reported).
        if let Some(text) = part.text_in_place(row) {
            if !null {
                out.push_str(text);
                check_size(at, out.len())?;
            }
            continue;
        }
        let operand = match part.in_place(row) {
            Some(_) if null => continue,
            Some(value) => Operand::Value(Cow::Borrowed(value)),
            None => part.operand(row)?,
        };
        if null {
            continue;
        }
        match operand {
            Operand::Text(view) => view.push_to(out),
            Operand::Value(value) => {
                if !push_value(&value, out) {
                    null = true;
                    continue;
                }
            }
        }
        debug_assert!(out.len() >= before);
        check_size(at, out.len())?;
    }
    Ok(!null)
}

/// The tree's check after each `||` (none before the first operator): the text so far
/// within `limits::TEXT_BYTES_MAX`.
#[inline(always)]
fn check_size(at: usize, bytes: usize) -> Result<()> {
    if at > 0 && bytes > crate::limits::TEXT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "|| result of {} bytes exceeds the limit of {} bytes",
            bytes,
            crate::limits::TEXT_BYTES_MAX
        ));
    }
    Ok(())
}

/// Appends `value` as `format!` writes it; `false` (nothing written) for NULL.
#[inline(always)]
fn push_value(value: &Value, out: &mut String) -> bool {
    match value {
        Value::Null => return false,
        Value::Text(text) => out.push_str(text),
        Value::Integer(i) => push_integer(out, *i),
        other => {
            // Writing into a String cannot fail.
            let _ = write!(out, "{other}");
        }
    }
    true
}

/// The chain's value over `row` in a new text (NULL when a part is NULL).
pub(super) fn chain_value(parts: &[Scalar], row: &[Value]) -> Result<Value> {
    let mut out = String::new();
    Ok(if write_chain(parts, row, &mut out)? {
        Value::Text(out)
    } else {
        Value::Null
    })
}
