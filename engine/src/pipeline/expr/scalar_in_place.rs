//! Compiled scalars read in place: the value an operand has over a row when the row or the
//! compiled tree already holds it (a column, a constant, coalesce() / ifnull() / nullif()
//! of such operands), and text lying there (substr() and the trim family as slices of
//! it), with no `Value` built or moved. Consumers (CAST, length, `||`, LIKE, comparisons,
//! substr/upper/lower arguments) try these first and fall back to `Scalar::eval`, which
//! answers the same.

use std::cmp::Ordering;

use ember_storage::Value;

use super::function::Function;
use super::ops::compare_for_sort;
use super::scalar::Scalar;
use super::text::integer_of;
use super::text_view::substr_bytes;

impl Scalar {
    /// The value over `row` when it is one the row or the compiled tree already holds (a
    /// column, a constant, coalesce() / ifnull() / nullif() of such operands), read
    /// without building or moving a `Value`; `None` when the expression computes its
    /// value (then `value` or `eval` answers, with the same result: none of these can
    /// fail).
    #[inline(always)]
    pub(super) fn in_place<'r>(&'r self, row: &'r [Value]) -> Option<&'r Value> {
        match self {
            Scalar::Column(index) => Some(&row[*index]),
            Scalar::Constant(value) => Some(value),
            Scalar::Call { function, args } => call_in_place(*function, args, row),
            _ => None,
        }
    }

    /// The value over `row` when it is text that lies in the row or the compiled tree: a
    /// column's or a constant's text (coalesce() of those included), and substr() or
    /// trim() / ltrim() / rtrim() of such text with arguments read in place, a slice of
    /// it. `None` when the value is
    /// not text (NULL, a number, a blob) or is made (upper(), `||`, ...): then `operand`,
    /// `value` or `eval` answers, with the same text (none of these can fail).
    #[inline]
    pub(super) fn text_in_place<'r>(&'r self, row: &'r [Value]) -> Option<&'r str> {
        match self {
            Scalar::Call {
                function: Function::Substr,
                args,
            } => {
                let (source, start, length) = match &**args {
                    [source, start] => (source, start, None),
                    [source, start, length] => (source, start, Some(length)),
                    _ => return None,
                };
                let text = source.text_in_place(row)?;
                let start = c_int_in_place(start, row)?;
                let length = match length {
                    Some(length) => Some(c_int_in_place(length, row)?),
                    None => None,
                };
                let (from, to) = substr_bytes(text, start, length);
                Some(&text[from..to])
            }
            Scalar::Call {
                function: function @ (Function::Trim | Function::LTrim | Function::RTrim),
                args,
            } => trim_in_place(*function, args, row),
            other => match other.in_place(row)? {
                Value::Text(text) => Some(text),
                _ => None,
            },
        }
    }
}

/// A numeric argument of substr() read in place as SQLite reads it (the low 32 bits of
/// the integer: `text_call`); `None` for NULL (whose substr() is NULL) or one not in place.
#[inline(always)]
fn c_int_in_place(arg: &Scalar, row: &[Value]) -> Option<i64> {
    match arg.in_place(row)? {
        Value::Null => None,
        value => Some(i64::from(integer_of(value) as i32)),
    }
}

/// NULL, for an in-place answer that is none of the row's values.
static NULL: Value = Value::Null;

/// coalesce() / ifnull() (the first non-NULL argument) or nullif() (x, or NULL when it
/// equals y, as `Scalar::eval` decides) of arguments read in place (`Scalar::in_place`);
/// `None` for another function or an argument that is not in place.
#[inline(never)]
fn call_in_place<'r>(
    function: Function,
    args: &'r [Scalar],
    row: &'r [Value],
) -> Option<&'r Value> {
    match (function, args) {
        (Function::Coalesce | Function::IfNull, _) => {
            for arg in args {
                let value = arg.in_place(row)?;
                if !value.is_null() {
                    return Some(value);
                }
            }
            Some(&NULL)
        }
        (Function::NullIf, [x, y]) => {
            let (x, y) = (x.in_place(row)?, y.in_place(row)?);
            Some(if compare_for_sort(x, y) == Ordering::Equal {
                &NULL
            } else {
                x
            })
        }
        _ => None,
    }
}

/// trim() / ltrim() / rtrim() of text read in place with a set read in place (a space
/// when there is none): the slice left, as `text::call_with` trims; `None` for a NULL or
/// non-text argument (then the call answers).
#[inline]
fn trim_in_place<'r>(function: Function, args: &'r [Scalar], row: &'r [Value]) -> Option<&'r str> {
    let (text, set) = match args {
        [text] => (text.text_in_place(row)?, " "),
        [text, set] => (text.text_in_place(row)?, set.text_in_place(row)?),
        _ => return None,
    };
    let in_set = |c: char| set.contains(c);
    Some(match function {
        Function::LTrim => text.trim_start_matches(in_set),
        Function::RTrim => text.trim_end_matches(in_set),
        _ => text.trim_matches(in_set),
    })
}
