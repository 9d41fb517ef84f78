//! The arithmetic of SUM, TOTAL and AVG as SQLite does it: a compensated sum of reals
//! (Kahan–Babuška–Neumaier), integers past 2^52 added in two exact parts, and which summed
//! inputs count as integers (an integer, or a text that reads entirely as one).

use ember_storage::Value;

/// A sum of reals with Kahan–Babuška–Neumaier compensation, as SQLite (3.43 and later) sums
/// for SUM, TOTAL and AVG: `sum` is the running total and `error` collects the low-order bits
/// each addition lost.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct CompensatedSum {
    pub(super) sum: f64,
    pub(super) error: f64,
}

/// Integers at or past 2^52 in magnitude are added in two parts so no bit is lost.
const EXACT_INTEGER_BOUND: i64 = 1 << 52;

/// `value` as a large part and a small remainder, each exact as an f64 (SQLite's split:
/// the remainder modulo 16384 for magnitudes from 2^52 up, else no remainder).
fn split_integer(value: i64) -> (f64, f64) {
    if value.abs_diff(0) >= EXACT_INTEGER_BOUND as u64 {
        let small = value % 16384;
        ((value - small) as f64, small as f64)
    } else {
        (value as f64, 0.0)
    }
}

impl CompensatedSum {
    pub(super) fn from_integer(value: i64) -> CompensatedSum {
        let (large, small) = split_integer(value);
        CompensatedSum {
            sum: large,
            error: small,
        }
    }

    pub(super) fn add(&mut self, addend: f64) {
        let total = self.sum + addend;
        if self.sum.abs() > addend.abs() {
            self.error += (self.sum - total) + addend;
        } else {
            self.error += (addend - total) + self.sum;
        }
        self.sum = total;
    }

    pub(super) fn add_integer(&mut self, value: i64) {
        let (large, small) = split_integer(value);
        self.add(large);
        if small != 0.0 {
            self.add(small);
        }
    }

    /// Adds `-value` (as SQLite does, `i64::MIN` in two steps).
    pub(super) fn add_integer_negated(&mut self, value: i64) {
        match value.checked_neg() {
            Some(negated) => self.add_integer(negated),
            None => {
                self.add_integer(i64::MAX);
                self.add_integer(1);
            }
        }
    }

    /// The compensated total; the error term is dropped when it is not finite.
    pub(super) fn value(&self) -> f64 {
        if self.error.is_finite() {
            self.sum + self.error
        } else {
            self.sum
        }
    }
}

/// A summed input that counts as an integer (an integer, or a text that reads entirely as
/// one); `None` makes the sum a real.
pub(super) fn integer_of(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Boolean(b) => Some(i64::from(*b)),
        Value::Text(text) => match crate::expr::numeric_value(text) {
            Value::Integer(i) if text.trim().parse::<i64>().is_ok() => Some(i),
            _ => None,
        },
        _ => None,
    }
}

/// A summed input that is not an integer, as a real.
pub(super) fn real_of_input(value: &Value) -> f64 {
    match value {
        Value::Real(r) => *r,
        Value::Text(text) => real_of(&crate::expr::numeric_value(text)),
        Value::Blob(bytes) => real_of(&crate::expr::numeric_value(&String::from_utf8_lossy(bytes))),
        Value::Integer(_) | Value::Boolean(_) | Value::Null => 0.0,
    }
}

fn real_of(value: &Value) -> f64 {
    match value {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => 0.0,
    }
}
