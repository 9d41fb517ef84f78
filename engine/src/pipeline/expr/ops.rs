//! Operators on values, with SQLite's semantics: NULL propagates, integers stay integers
//! (overflow falls back to REAL), integer division truncates, division by zero gives NULL,
//! numbers sort before text before blobs, and truth is three-valued.

use std::cmp::Ordering;
use std::fmt;

use ember_storage::Value;

use crate::error::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UnaryOp {
    Negate,
    Plus,
    Not,
    /// `~x`: bitwise complement of the integer value.
    BitNot,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BinaryOp {
    Add,
    Subtract,
    Multiply,
    Divide,
    Modulo,
    Equal,
    NotEqual,
    Less,
    LessOrEqual,
    Greater,
    GreaterOrEqual,
    And,
    Or,
    Concat,
    /// `&` and `|` on the integer values of the operands.
    BitAnd,
    BitOr,
    /// `<<` and `>>` on integer values; a negative amount shifts the other way.
    ShiftLeft,
    ShiftRight,
    /// `IS NOT DISTINCT FROM` / `IS DISTINCT FROM`: comparisons where NULL equals NULL and
    /// the result is never NULL.
    IsNotDistinctFrom,
    IsDistinctFrom,
}

impl fmt::Display for UnaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            UnaryOp::Negate => "-",
            UnaryOp::Plus => "+",
            UnaryOp::Not => "NOT ",
            UnaryOp::BitNot => "~",
        })
    }
}

impl fmt::Display for BinaryOp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            BinaryOp::Add => "+",
            BinaryOp::Subtract => "-",
            BinaryOp::Multiply => "*",
            BinaryOp::Divide => "/",
            BinaryOp::Modulo => "%",
            BinaryOp::Equal => "=",
            BinaryOp::NotEqual => "<>",
            BinaryOp::Less => "<",
            BinaryOp::LessOrEqual => "<=",
            BinaryOp::Greater => ">",
            BinaryOp::GreaterOrEqual => ">=",
            BinaryOp::And => "AND",
            BinaryOp::Or => "OR",
            BinaryOp::Concat => "||",
            BinaryOp::BitAnd => "&",
            BinaryOp::BitOr => "|",
            BinaryOp::ShiftLeft => "<<",
            BinaryOp::ShiftRight => ">>",
            BinaryOp::IsNotDistinctFrom => "IS NOT DISTINCT FROM",
            BinaryOp::IsDistinctFrom => "IS DISTINCT FROM",
        })
    }
}

/// The truth of a value: NULL is unknown, numbers are true when non-zero, text by its
/// numeric prefix.
pub fn truth(value: &Value) -> Option<bool> {
    match value {
        Value::Null => None,
        Value::Boolean(b) => Some(*b),
        Value::Integer(i) => Some(*i != 0),
        Value::Real(r) => Some(*r != 0.0),
        Value::Text(text) => Some(match numeric_prefix(text) {
            Numeric::Integer(i) => i != 0,
            Numeric::Real(r) => r != 0.0,
        }),
        Value::Blob(_) => Some(false),
    }
}

pub(crate) fn and(left: Option<bool>, right: Option<bool>) -> Value {
    match (left, right) {
        (Some(false), _) | (_, Some(false)) => Value::Boolean(false),
        (Some(true), Some(true)) => Value::Boolean(true),
        _ => Value::Null,
    }
}

pub(crate) fn or(left: Option<bool>, right: Option<bool>) -> Value {
    match (left, right) {
        (Some(true), _) | (_, Some(true)) => Value::Boolean(true),
        (Some(false), Some(false)) => Value::Boolean(false),
        _ => Value::Null,
    }
}

/// A number parsed from text or taken from a value.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) enum Numeric {
    Integer(i64),
    Real(f64),
}

/// The leading number of `text` (SQLite's rule for text in arithmetic): "12abc" is 12,
/// "abc" is 0, " 1.5e3x" is 1500.0.
pub(crate) fn numeric_prefix(text: &str) -> Numeric {
    let trimmed = text.trim_start();
    let bytes = trimmed.as_bytes();
    let mut end = 0;
    if end < bytes.len() && (bytes[end] == b'+' || bytes[end] == b'-') {
        end += 1;
    }
    let digits_start = end;
    while end < bytes.len() && bytes[end].is_ascii_digit() {
        end += 1;
    }
    let mut is_real = false;
    if end < bytes.len() && bytes[end] == b'.' {
        let mut next = end + 1;
        while next < bytes.len() && bytes[next].is_ascii_digit() {
            next += 1;
        }
        if next > digits_start + 1 {
            is_real = true;
            end = next;
        }
    }
    if end > digits_start && end < bytes.len() && (bytes[end] == b'e' || bytes[end] == b'E') {
        let mut next = end + 1;
        if next < bytes.len() && (bytes[next] == b'+' || bytes[next] == b'-') {
            next += 1;
        }
        let exponent_start = next;
        while next < bytes.len() && bytes[next].is_ascii_digit() {
            next += 1;
        }
        if next > exponent_start {
            is_real = true;
            end = next;
        }
    }
    let number = &trimmed[..end];
    if !is_real {
        if let Ok(i) = number.parse::<i64>() {
            return Numeric::Integer(i);
        }
    }
    match number.parse::<f64>() {
        Ok(r) => Numeric::Real(r),
        Err(_) => Numeric::Integer(0),
    }
}

/// The leading number of `text` as a value (INTEGER or REAL).
pub(crate) fn numeric_value(text: &str) -> Value {
    match numeric_prefix(text) {
        Numeric::Integer(i) => Value::Integer(i),
        Numeric::Real(r) => Value::Real(r),
    }
}

fn to_numeric(value: &Value) -> Option<Numeric> {
    match value {
        Value::Null => None,
        Value::Integer(i) => Some(Numeric::Integer(*i)),
        Value::Boolean(b) => Some(Numeric::Integer(i64::from(*b))),
        Value::Real(r) => Some(Numeric::Real(*r)),
        Value::Text(text) => Some(numeric_prefix(text)),
        Value::Blob(bytes) => Some(numeric_prefix(&String::from_utf8_lossy(bytes))),
    }
}

/// SQLite's `<<` (`left` true) and `>>`: shifts of 64 or more give 0 (or -1 for a negative
/// value shifted right); right shifts are arithmetic.
fn shift(value: i64, amount: i64, left: bool) -> i64 {
    let (left, amount) = if amount < 0 {
        (!left, amount.checked_neg().unwrap_or(64).min(64))
    } else {
        (left, amount)
    };
    if amount >= 64 {
        return if value >= 0 || left { 0 } else { -1 };
    }
    if left {
        ((value as u64) << amount) as i64
    } else {
        value >> amount
    }
}

/// The integer SQLite's bitwise operators (and `sqlite3_value_int64`, as `generate_series`
/// reads its arguments) read: reals truncate, text by its integer prefix; `None` for NULL.
pub(super) fn integer_value(value: &Value) -> Option<i64> {
    Some(match value {
        Value::Null => return None,
        Value::Integer(i) => *i,
        Value::Boolean(b) => i64::from(*b),
        Value::Real(r) => super::cast::real_to_integer(*r),
        Value::Text(text) => super::cast::integer_prefix(text),
        Value::Blob(bytes) => super::cast::integer_prefix(&String::from_utf8_lossy(bytes)),
    })
}

pub(crate) fn as_real(number: Numeric) -> f64 {
    match number {
        Numeric::Integer(i) => i as f64,
        Numeric::Real(r) => r,
    }
}

/// A REAL result, with NaN (SQLite has none) as NULL.
pub(crate) fn real_result(r: f64) -> Value {
    if r.is_nan() {
        Value::Null
    } else {
        Value::Real(r)
    }
}

impl UnaryOp {
    pub fn apply(self, value: Value) -> Result<Value> {
        Ok(match self {
            UnaryOp::Not => match truth(&value) {
                None => Value::Null,
                Some(b) => Value::Boolean(!b),
            },
            UnaryOp::Plus => value,
            UnaryOp::BitNot => match integer_value(&value) {
                None => Value::Null,
                Some(i) => Value::Integer(!i),
            },
            UnaryOp::Negate => match to_numeric(&value) {
                None => Value::Null,
                Some(number) => number_value(negate(number)),
            },
        })
    }
}

impl BinaryOp {
    pub fn apply(self, left: Value, right: Value) -> Result<Value> {
        use BinaryOp::*;
        Ok(match self {
            Add | Subtract | Multiply | Divide | Modulo => arithmetic(self, &left, &right),
            Equal | NotEqual | Less | LessOrEqual | Greater | GreaterOrEqual => {
                match sql_compare(&left, &right) {
                    None => Value::Null,
                    Some(ordering) => Value::Boolean(match self {
                        Equal => ordering == Ordering::Equal,
                        NotEqual => ordering != Ordering::Equal,
                        Less => ordering == Ordering::Less,
                        LessOrEqual => ordering != Ordering::Greater,
                        Greater => ordering == Ordering::Greater,
                        _ => ordering != Ordering::Less,
                    }),
                }
            }
            And => and(truth(&left), truth(&right)),
            Or => or(truth(&left), truth(&right)),
            Concat => concat(left, &right)?,
            BitAnd | BitOr => match (integer_value(&left), integer_value(&right)) {
                (Some(a), Some(b)) => Value::Integer(if self == BitAnd { a & b } else { a | b }),
                _ => Value::Null,
            },
            ShiftLeft | ShiftRight => match (integer_value(&left), integer_value(&right)) {
                (Some(a), Some(b)) => Value::Integer(shift(a, b, self == ShiftLeft)),
                _ => Value::Null,
            },
            IsNotDistinctFrom | IsDistinctFrom => {
                let same = compare_for_sort(&left, &right) == Ordering::Equal;
                Value::Boolean(same == (self == IsNotDistinctFrom))
            }
        })
    }
}

fn arithmetic(op: BinaryOp, left: &Value, right: &Value) -> Value {
    let (Some(a), Some(b)) = (to_numeric(left), to_numeric(right)) else {
        return Value::Null;
    };
    // SQLite's % on reals works on the operands' integer values: reals truncate, text
    // gives its integer prefix ('1e2' % 2 is 1.0, not 0.0).
    let result = number_arithmetic(op, a, b, || {
        (
            integer_value(left).unwrap_or(0),
            integer_value(right).unwrap_or(0),
        )
    });
    match result {
        Some(number) => number_value(number),
        None => Value::Null,
    }
}

/// A number as a value.
#[inline(always)]
fn number_value(number: Numeric) -> Value {
    match number {
        Numeric::Integer(i) => Value::Integer(i),
        Numeric::Real(r) => Value::Real(r),
    }
}

/// `-x` of a number, as SQLite: an integer stays one unless it is `i64::MIN` (then REAL);
/// a real is computed as `0 - x`, so the negation of 0.0 is 0.0, not -0.0.
#[inline(always)]
pub(crate) fn negate(number: Numeric) -> Numeric {
    match number {
        Numeric::Integer(i) => match i.checked_neg() {
            Some(n) => Numeric::Integer(n),
            None => Numeric::Real(-(i as f64)),
        },
        Numeric::Real(r) => Numeric::Real(0.0 - r),
    }
}

/// A REAL arithmetic result, `None` (NULL) for NaN, which SQLite has not.
#[inline(always)]
fn real_number(r: f64) -> Option<Numeric> {
    (!r.is_nan()).then_some(Numeric::Real(r))
}

/// `a op b` for the arithmetic operators (+ - * / %) on numbers, `None` for NULL: integers
/// stay integers unless + - * / overflow (then REAL), integer division truncates, division
/// or % by zero is NULL, NaN is NULL. `modulo_operands` gives the operands' integer values
/// for % when either is a real (the caller knows them from the values the numbers came
/// from). The one definition behind the tree walker (`BinaryOp::apply`) and compiled
/// arithmetic (`expr/arithmetic.rs`).
#[inline(always)]
pub(crate) fn number_arithmetic(
    op: BinaryOp,
    a: Numeric,
    b: Numeric,
    modulo_operands: impl FnOnce() -> (i64, i64),
) -> Option<Numeric> {
    debug_assert!(matches!(
        op,
        BinaryOp::Add
            | BinaryOp::Subtract
            | BinaryOp::Multiply
            | BinaryOp::Divide
            | BinaryOp::Modulo
    ));
    if let (Numeric::Integer(x), Numeric::Integer(y)) = (a, b) {
        let exact = match op {
            BinaryOp::Add => x.checked_add(y),
            BinaryOp::Subtract => x.checked_sub(y),
            BinaryOp::Multiply => x.checked_mul(y),
            BinaryOp::Divide => {
                if y == 0 {
                    return None;
                }
                // i64::MIN / -1 overflows: SQLite then divides as REAL (9.22337203685478e+18).
                x.checked_div(y)
            }
            _ => {
                if y == 0 {
                    return None;
                }
                Some(x.wrapping_rem(y))
            }
        };
        if let Some(result) = exact {
            return Some(Numeric::Integer(result));
        }
    }
    let (x, y) = (as_real(a), as_real(b));
    match op {
        BinaryOp::Add => real_number(x + y),
        BinaryOp::Subtract => real_number(x - y),
        BinaryOp::Multiply => real_number(x * y),
        BinaryOp::Divide => {
            if y == 0.0 {
                None
            } else {
                real_number(x / y)
            }
        }
        _ => {
            let (xi, yi) = modulo_operands();
            if yi == 0 {
                None
            } else {
                real_number((xi.wrapping_rem(yi)) as f64)
            }
        }
    }
}

/// Rank of a value's storage class in SQLite's cross-type order.
fn class_rank(value: &Value) -> u8 {
    match value {
        Value::Null => 0,
        Value::Integer(_) | Value::Real(_) | Value::Boolean(_) => 1,
        Value::Text(_) => 2,
        Value::Blob(_) => 3,
    }
}

/// SQL comparison: `None` when either side is NULL.
pub fn sql_compare(left: &Value, right: &Value) -> Option<Ordering> {
    if left.is_null() || right.is_null() {
        return None;
    }
    Some(compare_for_sort(left, right))
}

/// A total order for ORDER BY, DISTINCT and grouping: NULL first, then numbers (integers
/// and reals compared by value), then text (bytewise), then blobs.
pub fn compare_for_sort(left: &Value, right: &Value) -> Ordering {
    match (left, right) {
        (Value::Integer(a), Value::Integer(b)) => a.cmp(b),
        (Value::Real(a), Value::Real(b)) => a.partial_cmp(b).unwrap_or(Ordering::Equal),
        (Value::Integer(a), Value::Real(b)) => compare_int_real(*a, *b),
        (Value::Real(a), Value::Integer(b)) => compare_int_real(*b, *a).reverse(),
        (Value::Text(a), Value::Text(b)) => a.as_bytes().cmp(b.as_bytes()),
        (Value::Blob(a), Value::Blob(b)) => a.cmp(b),
        _ => {
            let (rank_left, rank_right) = (class_rank(left), class_rank(right));
            if rank_left != rank_right || rank_left == 0 {
                return rank_left.cmp(&rank_right);
            }
            compare_numbers(
                to_numeric(left).expect("number"),
                to_numeric(right).expect("number"),
            )
        }
    }
}

pub(crate) fn compare_numbers(a: Numeric, b: Numeric) -> Ordering {
    match (a, b) {
        (Numeric::Integer(x), Numeric::Integer(y)) => x.cmp(&y),
        (Numeric::Integer(x), Numeric::Real(y)) => compare_int_real(x, y),
        (Numeric::Real(x), Numeric::Integer(y)) => compare_int_real(y, x).reverse(),
        (Numeric::Real(x), Numeric::Real(y)) => x.partial_cmp(&y).unwrap_or(Ordering::Equal),
    }
}

fn compare_int_real(integer: i64, real: f64) -> Ordering {
    let as_real = integer as f64;
    match as_real.partial_cmp(&real) {
        Some(Ordering::Equal) => {
            // Both round to the same double; compare exactly where the real is integral.
            if real.fract() == 0.0 && real.abs() < 9.2e18 {
                integer.cmp(&(real as i64))
            } else {
                Ordering::Equal
            }
        }
        Some(ordering) => ordering,
        None => Ordering::Less,
    }
}

/// `left || right`: NULL when either is NULL, else the left text's own buffer grown by the
/// right value's text (one allocation at most, none for a left text with room).
pub(crate) fn concat(left: Value, right: &Value) -> Result<Value> {
    if left.is_null() || right.is_null() {
        return Ok(Value::Null);
    }
    let mut text = match left {
        Value::Text(text) => text,
        Value::Integer(i) => {
            let mut text = String::with_capacity(24);
            super::text::push_integer(&mut text, i);
            text
        }
        other => other.to_string(),
    };
    match right {
        Value::Text(right) => text.push_str(right),
        Value::Integer(i) => super::text::push_integer(&mut text, *i),
        other => {
            let _ = std::fmt::Write::write_fmt(&mut text, format_args!("{other}"));
        }
    }
    if text.len() > crate::limits::TEXT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "|| result of {} bytes exceeds the limit of {} bytes",
            text.len(),
            crate::limits::TEXT_BYTES_MAX
        ));
    }
    Ok(Value::Text(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    #[test]
    fn integer_arithmetic_follows_sqlite() {
        let negated_zero = UnaryOp::Negate.apply(Value::Real(0.0)).unwrap();
        assert!(matches!(negated_zero, Value::Real(r) if r.is_sign_positive()));
        assert_eq!(BinaryOp::Divide.apply(int(7), int(2)).unwrap(), int(3));
        assert_eq!(BinaryOp::Divide.apply(int(-7), int(2)).unwrap(), int(-3));
        assert_eq!(BinaryOp::Divide.apply(int(1), int(0)).unwrap(), Value::Null);
        assert_eq!(BinaryOp::Modulo.apply(int(7), int(0)).unwrap(), Value::Null);
        assert_eq!(
            BinaryOp::Add.apply(int(i64::MAX), int(1)).unwrap(),
            Value::Real(9.223372036854776e18)
        );
        assert_eq!(
            BinaryOp::Add.apply(int(1), Value::Real(0.5)).unwrap(),
            Value::Real(1.5)
        );
        assert_eq!(
            BinaryOp::Add.apply(int(1), Value::Null).unwrap(),
            Value::Null
        );
        assert_eq!(
            BinaryOp::Add
                .apply(Value::Text("12abc".into()), int(1))
                .unwrap(),
            int(13)
        );
        let text = |s: &str| Value::Text(s.to_string());
        assert_eq!(
            BinaryOp::Modulo.apply(text("1e2"), int(2)).unwrap(),
            Value::Real(1.0)
        );
        assert_eq!(
            BinaryOp::Modulo
                .apply(Value::Real(-2.5), text(" 3 "))
                .unwrap(),
            Value::Real(-2.0)
        );
        assert_eq!(
            BinaryOp::Modulo.apply(text("5"), Value::Real(2.5)).unwrap(),
            Value::Real(1.0)
        );
    }

    #[test]
    fn integer_overflow_becomes_real_as_in_sqlite() {
        let real = |op: BinaryOp, a, b| match op.apply(int(a), int(b)).unwrap() {
            Value::Real(r) => r,
            other => panic!("{op:?}({a}, {b}) gave {other:?}"),
        };
        assert_eq!(
            real(BinaryOp::Divide, i64::MIN, -1),
            9.223_372_036_854_776e18
        );
        assert_eq!(
            real(BinaryOp::Multiply, i64::MIN, -1),
            9.223_372_036_854_776e18
        );
        assert_eq!(real(BinaryOp::Add, i64::MAX, 1), 9.223_372_036_854_776e18);
        assert_eq!(
            real(BinaryOp::Subtract, i64::MIN, 1),
            -9.223_372_036_854_776e18
        );
        assert_eq!(
            BinaryOp::Modulo.apply(int(i64::MIN), int(-1)).unwrap(),
            int(0)
        );
        assert_eq!(
            BinaryOp::Divide.apply(int(i64::MIN), int(1)).unwrap(),
            int(i64::MIN)
        );
        assert_eq!(
            UnaryOp::Negate.apply(int(i64::MIN)).unwrap(),
            Value::Real(9.223_372_036_854_776e18)
        );
    }

    #[test]
    fn bitwise_and_null_safe_comparison() {
        assert_eq!(BinaryOp::BitAnd.apply(int(6), int(3)).unwrap(), int(2));
        assert_eq!(
            BinaryOp::BitOr
                .apply(Value::Real(4.9), Value::Text("1x".into()))
                .unwrap(),
            int(5)
        );
        assert_eq!(
            BinaryOp::BitOr.apply(int(1), Value::Null).unwrap(),
            Value::Null
        );
        assert_eq!(UnaryOp::BitNot.apply(int(1)).unwrap(), int(-2));
        let shl = |a, b| BinaryOp::ShiftLeft.apply(int(a), int(b)).unwrap();
        let shr = |a, b| BinaryOp::ShiftRight.apply(int(a), int(b)).unwrap();
        assert_eq!(shl(1, 63), int(i64::MIN));
        assert_eq!(shl(1, 64), int(0));
        assert_eq!(shl(8, -2), int(2));
        assert_eq!(shr(-8, 1), int(-4));
        assert_eq!(shr(-8, 100), int(-1));
        assert_eq!(shr(8, i64::MIN), int(0));
        assert_eq!(shr(1, -3), int(8));
        assert_eq!(UnaryOp::BitNot.apply(Value::Null).unwrap(), Value::Null);
        let is = |a, b| BinaryOp::IsNotDistinctFrom.apply(a, b).unwrap();
        assert_eq!(is(Value::Null, Value::Null), Value::Boolean(true));
        assert_eq!(is(int(1), Value::Null), Value::Boolean(false));
        assert_eq!(is(int(1), Value::Real(1.0)), Value::Boolean(true));
        assert_eq!(
            BinaryOp::IsDistinctFrom.apply(int(1), Value::Null).unwrap(),
            Value::Boolean(true)
        );
    }

    #[test]
    fn three_valued_logic() {
        let null = || None;
        assert_eq!(and(Some(false), null()), Value::Boolean(false));
        assert_eq!(and(Some(true), null()), Value::Null);
        assert_eq!(or(Some(true), null()), Value::Boolean(true));
        assert_eq!(or(Some(false), null()), Value::Null);
        assert_eq!(UnaryOp::Not.apply(Value::Null).unwrap(), Value::Null);
    }

    #[test]
    fn cross_type_order() {
        let values = [
            Value::Null,
            int(1),
            Value::Real(1.5),
            int(2),
            Value::Text("a".into()),
            Value::Blob(vec![0]),
        ];
        for pair in values.windows(2) {
            assert_eq!(
                compare_for_sort(&pair[0], &pair[1]),
                Ordering::Less,
                "{pair:?}"
            );
        }
        assert_eq!(
            sql_compare(&int(1), &Value::Real(1.0)),
            Some(Ordering::Equal)
        );
        assert_eq!(sql_compare(&Value::Null, &int(1)), None);
    }

    #[test]
    fn numeric_prefixes() {
        assert_eq!(numeric_prefix("12abc"), Numeric::Integer(12));
        assert_eq!(numeric_prefix("abc"), Numeric::Integer(0));
        assert_eq!(numeric_prefix(" 1.5e3x"), Numeric::Real(1500.0));
        assert_eq!(numeric_prefix("-7"), Numeric::Integer(-7));
    }
}
