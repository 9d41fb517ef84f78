//! Compiled scalars and predicates evaluated a column batch at a time (`row::ColumnBatch`):
//! each node of a compiled predicate (`Compiled`) or scalar (`Scalar`) becomes a node that
//! computes its answer for every row of the batch in one loop over plain vectors (a lane
//! and a 64-bit word per row), its operands' vectors computed first. No `Value` is built
//! and nothing is allocated per row once the pool's vectors have grown.
//!
//! Semantics are the row evaluator's exactly, by construction: a node computes a row only
//! where its answer is one `Compiled::truth` / `Scalar::number` give with the same helpers
//! (`ops::compare_numbers`, `arithmetic::apply`, `ops::negate`, `text_view::char_count`,
//! `number_fn::between_numbers`); every other row is marked not covered (`Lane::Other`,
//! `Truth::Uncovered`), and its consumer computes that row with the row evaluator. A shape
//! with no batch node marks every row so. `batch_tests.rs` checks, over random batches,
//! that every covered answer is the row evaluator's.

use std::cmp::Ordering;

use ember_storage::row::{ColumnVector, Kind};
use ember_storage::Value;

mod number;
mod truth;

pub use number::BatchNumber;
pub use truth::BatchTruth;

/// What a number node knows of one row's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Lane {
    Null,
    /// The word is the integer's bits.
    Integer,
    /// The word is the `f64`'s bits.
    Real,
    /// Not covered: the row evaluator computes the row.
    Other,
}

/// A predicate's answer for one row.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Truth {
    False,
    True,
    Null,
    /// Not covered: the row evaluator computes the row.
    Uncovered,
}

impl Truth {
    /// The row evaluator's answer (`None` for NULL) as a batch answer.
    #[inline(always)]
    fn of(answer: Option<bool>) -> Truth {
        match answer {
            Some(true) => Truth::True,
            Some(false) => Truth::False,
            None => Truth::Null,
        }
    }
}

/// A number node's answers for the rows of a batch: `lanes[r]`, `words[r]` for row `r`.
#[derive(Debug, Default)]
pub struct Numbers {
    pub lanes: Vec<Lane>,
    pub words: Vec<u64>,
}

impl Numbers {
    /// Sized for `rows` rows (their contents are written by the node).
    fn size(&mut self, rows: usize) {
        self.lanes.resize(rows, Lane::Other);
        self.words.resize(rows, 0);
    }

    /// Row `at` as the row evaluator's number: `Some(Some(_))` a number, `Some(None)`
    /// NULL, `None` not covered.
    #[inline(always)]
    pub(crate) fn number(&self, at: usize) -> Option<Option<super::ops::Numeric>> {
        number_of(self.lanes[at], self.words[at])
    }
}

/// A lane and its word as the row evaluator's number (see `Numbers::number`).
#[inline(always)]
fn number_of(lane: Lane, word: u64) -> Option<Option<super::ops::Numeric>> {
    use super::ops::Numeric;
    match lane {
        Lane::Integer => Some(Some(Numeric::Integer(word as i64))),
        Lane::Real => Some(Some(Numeric::Real(f64::from_bits(word)))),
        Lane::Null => Some(None),
        Lane::Other => None,
    }
}

/// A number as a lane and its word.
#[inline(always)]
fn lane_of(number: Option<Option<super::ops::Numeric>>) -> (Lane, u64) {
    use super::ops::Numeric;
    match number {
        Some(Some(Numeric::Integer(i))) => (Lane::Integer, i as u64),
        Some(Some(Numeric::Real(r))) => (Lane::Real, r.to_bits()),
        Some(None) => (Lane::Null, 0),
        None => (Lane::Other, 0),
    }
}

/// The vectors a batch evaluation borrows for its nodes' operands, kept between batches
/// (one pool per consumer: nodes themselves hold none, so a plan is shared by workers).
#[derive(Debug, Default)]
pub struct BatchPool {
    numbers: Vec<Numbers>,
    truths: Vec<Vec<Truth>>,
}

impl BatchPool {
    fn take_numbers(&mut self) -> Numbers {
        self.numbers.pop().unwrap_or_default()
    }

    fn give_numbers(&mut self, numbers: Numbers) {
        self.numbers.push(numbers);
    }

    fn take_truths(&mut self) -> Vec<Truth> {
        self.truths.pop().unwrap_or_default()
    }

    fn give_truths(&mut self, truths: Vec<Truth>) {
        self.truths.push(truths);
    }
}

/// How a column's row `at` orders against a constant, as `ops::sql_compare` orders the
/// values: `Some(None)` when either is NULL, `None` when not covered (a boolean, a blob,
/// a blob constant).
#[inline(always)]
fn order_against(
    vector: &ColumnVector,
    at: usize,
    constant: &Constant,
) -> Option<Option<Ordering>> {
    let word = vector.words()[at];
    let value = match vector.kinds()[at] {
        Kind::Null => return Some(None),
        Kind::Integer => super::ops::Numeric::Integer(word as i64),
        Kind::Real => super::ops::Numeric::Real(f64::from_bits(word)),
        Kind::Text => {
            return match constant {
                Constant::Null => Some(None),
                // Numbers order before text (`compare_for_sort`'s classes).
                Constant::Number(_) => Some(Some(Ordering::Greater)),
                Constant::Text(text) => Some(Some(vector.span_bytes(at).cmp(text.as_bytes()))),
                Constant::Other => None,
            };
        }
        Kind::Boolean | Kind::Blob => return None,
    };
    match constant {
        Constant::Null => Some(None),
        Constant::Number(constant) => Some(Some(super::ops::compare_numbers(value, *constant))),
        Constant::Text(_) => Some(Some(Ordering::Less)),
        Constant::Other => None,
    }
}

/// A constant operand of a comparison, read once.
#[derive(Debug, Clone)]
enum Constant {
    Null,
    Number(super::ops::Numeric),
    Text(String),
    /// A blob or a boolean: rows compared with it are not covered.
    Other,
}

impl Constant {
    fn of(value: &Value) -> Constant {
        match value {
            Value::Null => Constant::Null,
            Value::Integer(i) => Constant::Number(super::ops::Numeric::Integer(*i)),
            Value::Real(r) => Constant::Number(super::ops::Numeric::Real(*r)),
            Value::Text(text) => Constant::Text(text.clone()),
            Value::Boolean(_) | Value::Blob(_) => Constant::Other,
        }
    }
}

#[cfg(test)]
#[path = "batch_tests.rs"]
pub(crate) mod tests;
