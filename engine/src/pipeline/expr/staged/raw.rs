//! Turns a compiled term that compares an INTEGER or REAL column with constants into a
//! `RawCheck` (storage `row::RawChecks`): an interval of the column's keys (the integer, or
//! the REAL's monotone bits), or the complement of one, plus the answer for NaN.
//!
//! The interval is not derived from SQL's rules by hand: it is found by binary search with
//! the term's own `Compiled::truth` on single values, so it has exactly the semantics the
//! decoded path has (`compare_int_real` near 2^53 and the i64 limits, TEXT constants above
//! every number, `-0.0` equal to `0.0`). That needs each comparison `value <op> constant` to
//! be monotone in the value, which `compare_for_sort` is over the non-NaN numbers (an
//! INTEGER maps to a double monotonically; a REAL's key orders as `total_cmp`, which
//! `partial_cmp` agrees with up to the equal zeros, adjacent keys). The found check is
//! then probed at its boundaries, the domain's ends and a few edge values against `truth`,
//! and refused (the term stays on decoded values) if any probe disagrees.

use std::sync::Arc;

use ember_storage::row::{key_real, real_key, RawCheck, RawClass, RowDecoder, TextCheck, TextTest};
use ember_storage::Value;

use crate::expr::compile::{compared, Compiled};
use crate::expr::function::Function;
use crate::expr::ops::{compare_numbers, BinaryOp, Numeric};
use crate::expr::scalar::Scalar;
use crate::expr::text::instr_of_texts;
use crate::expr::text_view::char_count;

/// The test of `term` on the text of a TEXT column `decoder` decodes, when `term` is an
/// equality or inequality of the column with a text, the column `IN` a list of texts,
/// `[NOT] LIKE` / GLOB of the column with a constant pattern, or a comparison of the
/// column's `length()`, `octet_length()` or `instr(.., constant)` with a number: the
/// answers a decoded row gets (only TRUE passes; a NULL, which the check never passes, is
/// never TRUE for these).
/// Probed against `Compiled::truth` on sample texts before use, and refused if any answer
/// differs.
pub(super) fn text_check(term: &Compiled, decoder: &RowDecoder) -> Option<TextCheck> {
    let (column, test): (usize, TextTest) = match term {
        Compiled::Compare {
            column,
            op: op @ (BinaryOp::Equal | BinaryOp::NotEqual),
            constant: Value::Text(constant),
            ..
        } => {
            let (constant, equal) = (constant.clone(), *op == BinaryOp::Equal);
            (
                *column,
                Arc::new(move |text: &str| (text == constant) == equal),
            )
        }
        Compiled::Truth(Scalar::Match { text, pattern }) => match text.as_ref() {
            Scalar::Column(column) => {
                let pattern = pattern.clone();
                (*column, Arc::new(move |text: &str| pattern.matches(text)))
            }
            _ => return None,
        },
        Compiled::InList {
            operand: Scalar::Column(column),
            constants,
        } => {
            let members = constants.text_members()?;
            (
                *column,
                Arc::new(move |text: &str| is_member(&members, text)),
            )
        }
        Compiled::CompareScalars {
            op, left, right, ..
        } => text_number_compare(*op, left, right)?,
        Compiled::Not(inner) => match inner.as_ref() {
            Compiled::Truth(Scalar::Match { text, pattern }) => match text.as_ref() {
                Scalar::Column(column) => {
                    let pattern = pattern.clone();
                    (*column, Arc::new(move |text: &str| !pattern.matches(text)))
                }
                _ => return None,
            },
            _ => return None,
        },
        _ => return None,
    };
    if !decoder.raw_text_column(column) {
        return None;
    }
    let mut row = vec![Value::Null; column + 1];
    if term.truth(&row) == Some(true) {
        return None;
    }
    let mut samples: Vec<String> = [
        "", "a", "A", "abc", "ABC", "k1", "x99x", "é", "_%", "abcd", "abcde", "99", "a99b99",
    ]
    .iter()
    .map(|sample| sample.to_string())
    .collect();
    let constants: Vec<String> = match term {
        Compiled::Compare {
            constant: Value::Text(constant),
            ..
        } => vec![constant.clone()],
        Compiled::InList { constants, .. } => constants.text_members().unwrap_or_default(),
        _ => Vec::new(),
    };
    for constant in constants.iter().take(16) {
        samples.extend([
            constant.clone(),
            format!("{constant} "),
            constant.to_uppercase(),
        ]);
    }
    for sample in samples {
        let passes = test(&sample);
        row[column] = Value::Text(sample);
        if (term.truth(&row) == Some(true)) != passes {
            return None;
        }
    }
    Some(TextCheck { column, test })
}

/// A number of a column's text compared with a numeric constant (`length(s) = 5`,
/// `instr(s, '@') > 0`, `3 < octet_length(s)`): the column and the test of its text.
fn text_number_compare(op: BinaryOp, left: &Scalar, right: &Scalar) -> Option<(usize, TextTest)> {
    let (scalar, constant, op) = match (left, right) {
        (scalar, Scalar::Constant(constant)) => (scalar, constant, op),
        (Scalar::Constant(constant), scalar) => (scalar, constant, mirrored(op)?),
        _ => return None,
    };
    // Only the comparisons `mirrored` knows are tested raw.
    mirrored(op)?;
    let constant = match constant {
        Value::Integer(i) => Numeric::Integer(*i),
        Value::Real(r) => Numeric::Real(*r),
        _ => return None,
    };
    let (column, number) = text_number(scalar)?;
    let test: TextTest = Arc::new(move |text: &str| {
        compared(
            op,
            compare_numbers(Numeric::Integer(number(text)), constant),
        )
    });
    Some((column, test))
}

/// `x <op> y` as `y <mirror> x`, for the ordering comparisons and (in)equality; `None` for
/// any other operator.
fn mirrored(op: BinaryOp) -> Option<BinaryOp> {
    Some(match op {
        BinaryOp::Equal | BinaryOp::NotEqual => op,
        BinaryOp::Less => BinaryOp::Greater,
        BinaryOp::LessOrEqual => BinaryOp::GreaterOrEqual,
        BinaryOp::Greater => BinaryOp::Less,
        BinaryOp::GreaterOrEqual => BinaryOp::LessOrEqual,
        _ => return None,
    })
}

/// A number computed from a column's text alone, as the decoded path computes it:
/// `length()` (characters, to the first NUL), `octet_length()` (bytes) and `instr()` with
/// a constant text needle; the column and the function.
type TextNumber = Arc<dyn Fn(&str) -> i64 + Send + Sync>;

fn text_number(scalar: &Scalar) -> Option<(usize, TextNumber)> {
    let Scalar::Call { function, args } = scalar else {
        return None;
    };
    match (function, &args[..]) {
        (Function::Length, [Scalar::Column(column)]) => {
            Some((*column, Arc::new(|text: &str| char_count(text) as i64)))
        }
        (Function::OctetLength, [Scalar::Column(column)]) => {
            Some((*column, Arc::new(|text: &str| text.len() as i64)))
        }
        (Function::Instr, [Scalar::Column(column), Scalar::Constant(Value::Text(needle))]) => {
            let needle = needle.clone();
            Some((
                *column,
                Arc::new(move |text: &str| instr_of_texts(text, &needle)),
            ))
        }
        _ => None,
    }
}

/// Whether `text` is one of `members` (sorted by their bytes): in order when few, by halves
/// when many.
fn is_member(members: &[String], text: &str) -> bool {
    if members.len() <= 8 {
        members.iter().any(|member| member == text)
    } else {
        members
            .binary_search_by(|member| member.as_str().cmp(text))
            .is_ok()
    }
}

/// The raw check of `term` on a column of class `class`, when `term` is a comparison or
/// BETWEEN of one column with non-NULL constants.
pub(super) fn raw_check(term: &Compiled, class: RawClass) -> Option<RawCheck> {
    let mut domain = Domain::of(class);
    match term {
        Compiled::Compare { constant, .. } => domain.hint_near(constant),
        Compiled::Between { low, high, .. } => {
            domain.hint_near(low);
            domain.hint_near(high);
        }
        _ => {}
    }
    let (column, low, high, inside) = match term {
        Compiled::Compare {
            column,
            op,
            constant,
            constant_first,
        } if !constant.is_null() => {
            let compare = |op| Compiled::Compare {
                column: *column,
                op,
                constant: constant.clone(),
                constant_first: *constant_first,
            };
            // `c <op> v` rises in `v` where `v <op> c` falls.
            let rising =
                |op| matches!(op, BinaryOp::Greater | BinaryOp::GreaterOrEqual) != *constant_first;
            match op {
                BinaryOp::Equal | BinaryOp::NotEqual => {
                    // Equal is TRUE where both `<=` and `>=` are (the constant is not NULL,
                    // so none is NULL); NotEqual is its complement.
                    let (low_op, high_op) = if *constant_first {
                        (BinaryOp::LessOrEqual, BinaryOp::GreaterOrEqual)
                    } else {
                        (BinaryOp::GreaterOrEqual, BinaryOp::LessOrEqual)
                    };
                    let low = domain.first_passing(&compare(low_op), *column);
                    let high = domain.last_passing(&compare(high_op), *column);
                    (*column, low, high, *op == BinaryOp::Equal)
                }
                _ if rising(*op) => {
                    let low = domain.first_passing(term, *column);
                    (*column, low, domain.max, true)
                }
                _ => {
                    let high = domain.last_passing(term, *column);
                    (*column, domain.min, high, true)
                }
            }
        }
        Compiled::Between {
            column,
            low,
            high,
            negated,
        } if !low.is_null() && !high.is_null() => {
            // Inside when `v >= low` and `v <= high` are both TRUE (neither is NULL); NOT
            // BETWEEN is the complement.
            let bound = |op, constant: &Value| Compiled::Compare {
                column: *column,
                op,
                constant: constant.clone(),
                constant_first: false,
            };
            let first = domain.first_passing(&bound(BinaryOp::GreaterOrEqual, low), *column);
            let last = domain.last_passing(&bound(BinaryOp::LessOrEqual, high), *column);
            (*column, first, last, !*negated)
        }
        _ => return None,
    };
    let (low, high) = if low > high {
        // Empty: never inside (and always outside).
        (i64::MAX, i64::MIN)
    } else {
        (i64::try_from(low).ok()?, i64::try_from(high).ok()?)
    };
    let check = RawCheck {
        column,
        class,
        low,
        high,
        inside,
        nan_passes: class == RawClass::Real
            && domain.passes(term, column, f64::NAN.to_bits() as i64, true),
        // A comparison with NULL is never TRUE.
        null_passes: false,
    };
    domain.agrees(term, &check).then_some(check)
}

/// The keys of one class of column.
struct Domain {
    class: RawClass,
    min: i128,
    max: i128,
    /// The row a term is asked about (reused: a search asks up to 65 times).
    row: Vec<Value>,
    /// Keys where a search's answer likely changes (at and next to the constants' keys),
    /// tried before the binary search.
    hints: Vec<i128>,
}

impl Domain {
    fn of(class: RawClass) -> Domain {
        match class {
            RawClass::Integer => Domain {
                class,
                min: i128::from(i64::MIN),
                max: i128::from(i64::MAX),
                row: Vec::new(),
                hints: Vec::new(),
            },
            RawClass::Real => Domain {
                class,
                min: i128::from(real_key(f64::NEG_INFINITY)),
                max: i128::from(real_key(f64::INFINITY)),
                row: Vec::new(),
                hints: Vec::new(),
            },
        }
    }

    /// Adds the keys at and next to `constant`'s value (and the domain's ends) to the
    /// hints.
    fn hint_near(&mut self, constant: &Value) {
        let near = match (self.class, constant) {
            (RawClass::Integer, Value::Integer(i)) => Some(i128::from(*i)),
            (RawClass::Integer, Value::Real(r)) => Some(r.floor() as i128),
            (RawClass::Real, Value::Integer(i)) => Some(i128::from(real_key(*i as f64))),
            (RawClass::Real, Value::Real(r)) => Some(i128::from(real_key(*r))),
            _ => None,
        };
        if let Some(key) = near {
            // Far outside the domain (an infinite constant) helps no search.
            let key = key.clamp(self.min - 1, self.max + 1);
            self.hints.extend([key, key + 1, key + 2]);
        }
        if matches!(constant, Value::Real(r) if *r == 0.0) {
            self.hints.push(i128::from(real_key(-0.0)));
        }
        self.hints.extend([self.min, self.max + 1]);
    }

    /// The value of key `key` (`nan`: a NaN REAL, whatever the key).
    fn value(&self, key: i64, nan: bool) -> Value {
        match self.class {
            RawClass::Integer => Value::Integer(key),
            RawClass::Real if nan => Value::Real(f64::NAN),
            RawClass::Real => Value::Real(key_real(key)),
        }
    }

    /// Whether `term` is TRUE over a row whose column `column` holds key `key`'s value.
    fn passes(&mut self, term: &Compiled, column: usize, key: i64, nan: bool) -> bool {
        if self.row.len() <= column {
            self.row.resize(column + 1, Value::Null);
        }
        self.row[column] = self.value(key, nan);
        term.truth(&self.row) == Some(true)
    }

    /// The first key where `term` (FALSE then TRUE as keys rise) is TRUE; `max + 1` when
    /// none is.
    fn first_passing(&mut self, term: &Compiled, column: usize) -> i128 {
        self.first_where(term, column, true)
    }

    /// The last key where `term` (TRUE then FALSE as keys rise) is TRUE; `min - 1` when
    /// none is.
    fn last_passing(&mut self, term: &Compiled, column: usize) -> i128 {
        self.first_where(term, column, false) - 1
    }

    /// The first key of the domain where `term` passes (`passing`) or fails (not
    /// `passing`), the answer before it being the other one throughout; `max + 1` when
    /// there is none.
    fn first_where(&mut self, term: &Compiled, column: usize, passing: bool) -> i128 {
        // A hint where the answer before is the other one and the answer at it the sought
        // one is the change (the answers change once).
        for index in 0..self.hints.len() {
            let hint = self.hints[index];
            if hint < self.min || hint > self.max + 1 {
                continue;
            }
            let before =
                hint == self.min || self.passes(term, column, (hint - 1) as i64, false) != passing;
            if before
                && (hint == self.max + 1
                    || self.passes(term, column, hint as i64, false) == passing)
            {
                return hint;
            }
        }
        let (mut low, mut high) = (self.min, self.max + 1);
        // Invariant: the other answer below `low`, the sought one from `high` on.
        while low < high {
            let middle = low + (high - low) / 2;
            let key = i64::try_from(middle).expect("a key of the domain");
            if self.passes(term, column, key, false) == passing {
                high = middle;
            } else {
                low = middle + 1;
            }
        }
        low
    }

    /// Whether `check` answers as `term` at its interval's ends and their neighbours, the
    /// domain's ends, NaN, and edge values of the class.
    fn agrees(&mut self, term: &Compiled, check: &RawCheck) -> bool {
        let column = check.column;
        let mut keys: Vec<i128> = vec![self.min, self.max];
        for end in [check.low, check.high] {
            let end = i128::from(end);
            keys.extend([end - 1, end, end + 1]);
        }
        match self.class {
            RawClass::Integer => {
                for edge in [0i64, 1 << 53, 1 << 62, i64::MAX - 1, i64::MIN + 1] {
                    let edge = i128::from(edge);
                    keys.extend([edge - 1, edge, edge + 1, -edge]);
                }
            }
            RawClass::Real => {
                for real in [
                    0.0,
                    -0.0,
                    1.0,
                    -1.0,
                    0.5,
                    9007199254740992.0,
                    9.2e18,
                    -9.2e18,
                ] {
                    let key = i128::from(real_key(real));
                    keys.extend([key - 1, key, key + 1]);
                }
                let nan = self.passes(term, column, 0, true);
                if nan != check.nan_passes {
                    return false;
                }
            }
        }
        let (min, max) = (self.min, self.max);
        keys.into_iter()
            .filter(|key| (min..=max).contains(key))
            .all(|key| {
                let key = key as i64;
                let raw = match self.class {
                    RawClass::Integer => check.passes_key(key),
                    RawClass::Real => check.passes_real(key_real(key)),
                };
                raw == self.passes(term, column, key, false)
            })
    }
}

#[cfg(test)]
#[path = "raw_tests.rs"]
mod tests;
