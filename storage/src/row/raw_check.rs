//! Scan filter terms checked straight on a row's payload bytes: a term that compares an
//! INTEGER or REAL column with constants is turned (by the engine, which knows SQL's
//! comparison rules) into a `RawCheck`, an interval test on the column's value read as an
//! `i64` key, and `RawChecks` walks the payload up to the last checked column, stepping over
//! the others, so a rejected row never builds a `Value`.
//!
//! The key of an INTEGER is the integer; the key of a non-NaN REAL is its IEEE bits made
//! monotone (`real_key`: `-0.0` just below `0.0`), so every comparison with a constant
//! that is monotone in the column's value is an interval of keys, or the complement of one.
//! A NaN REAL has no key: its answer is `RawCheck::nan_passes`. A NULL column never passes
//! (a comparison with NULL is never TRUE); a clustered table's key left out of the payload
//! (`fill_left_out_key`) reads the row id, as the decoded row would.

use crate::error::StorageResult;

use super::reader::{Reader, Step};
use super::{invalid, unzigzag, FIRST_ROW_ID_NOT_A_KEY};

/// How a checked column's bytes are read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RawClass {
    /// An INTEGER column: a zigzag varint, its key the integer.
    Integer,
    /// A REAL column (`real.rs`), its key `real_key` of the double.
    Real,
}

/// One term on one column: a non-NULL value whose key `k` has `(low <= k && k <= high) ==
/// inside` passes (a NaN REAL passes when `nan_passes`). `low > high` with `inside` never
/// passes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCheck {
    pub column: usize,
    pub class: RawClass,
    pub low: i64,
    pub high: i64,
    pub inside: bool,
    pub nan_passes: bool,
}

impl RawCheck {
    /// Whether a value of key `key` passes.
    #[inline(always)]
    pub fn passes_key(&self, key: i64) -> bool {
        ((self.low <= key) & (key <= self.high)) == self.inside
    }

    /// Whether the REAL `real` passes.
    #[inline(always)]
    pub fn passes_real(&self, real: f64) -> bool {
        if real.is_nan() {
            return self.nan_passes;
        }
        self.passes_key(real_key(real))
    }
}

/// The key of a REAL: its bits as a signed integer, the magnitude bits flipped for negative
/// doubles, so keys order as the doubles do (`f64::total_cmp`; `-0.0` is the key just below
/// `0.0`, NaNs lie past the infinities).
#[inline(always)]
pub fn real_key(real: f64) -> i64 {
    let bits = real.to_bits() as i64;
    bits ^ (((bits >> 63) as u64) >> 1) as i64
}

/// The REAL of key `key` (`real_key`'s inverse).
pub fn key_real(key: i64) -> f64 {
    f64::from_bits((key ^ (((key >> 63) as u64) >> 1) as i64) as u64)
}

/// One stretch of the raw walk: step over the columns `first..column` (each unless NULL),
/// then check column `column`.
#[derive(Debug, Clone)]
struct Segment {
    first: usize,
    column: usize,
    class: RawClass,
    /// The column's first check, and any more in `RawChecks::extra[extra.0..extra.1]`.
    check: RawCheck,
    extra: (usize, usize),
}

/// `RawCheck`s prepared for the rows one `RowDecoder` reads: ordered by column (checks on
/// one column that are both intervals merged into one), with the walk that steps over the
/// columns between them.
#[derive(Debug, Clone)]
pub struct RawChecks {
    /// Every check, ordered by column.
    checks: Vec<RawCheck>,
    segments: Vec<Segment>,
    /// The second and later checks of a column (rare: those that do not merge).
    extra: Vec<RawCheck>,
    /// How to step over each column up to the last checked one.
    skips: Vec<Step>,
    /// Columns of the rows (the decoder's width).
    width: usize,
}

/// Rows wider than this (the null bitmap more than one word) are not checked raw.
pub const RAW_COLUMNS_MAX: usize = 64;

impl RawChecks {
    /// Prepares `checks` for rows of `steps` (a plain-format decoder of at most
    /// `RAW_COLUMNS_MAX` columns); `None` when there are none, or one is on a column whose
    /// type is not its class (the engine then checks the terms on decoded values).
    pub(crate) fn new(steps: &[Step], mut checks: Vec<RawCheck>) -> Option<RawChecks> {
        let width = steps.len();
        if checks.is_empty() || width > RAW_COLUMNS_MAX {
            return None;
        }
        for check in &checks {
            let class = match steps.get(check.column)? {
                Step::Integer | Step::SkipVarint => RawClass::Integer,
                Step::Real | Step::SkipReal => RawClass::Real,
                _ => return None,
            };
            if class != check.class {
                return None;
            }
        }
        // Stable: the checks of one column keep their order.
        checks.sort_by_key(|check| check.column);
        let mut merged: Vec<RawCheck> = Vec::with_capacity(checks.len());
        for check in checks {
            match merged.last_mut() {
                Some(last) if last.column == check.column && last.inside && check.inside => {
                    last.low = last.low.max(check.low);
                    last.high = last.high.min(check.high);
                    last.nan_passes &= check.nan_passes;
                }
                _ => merged.push(check),
            }
        }
        let last = merged.last()?.column;
        let mut segments: Vec<Segment> = Vec::new();
        let mut extra = Vec::new();
        for &check in &merged {
            match segments.last_mut() {
                Some(segment) if segment.column == check.column => {
                    if segment.extra.0 == segment.extra.1 {
                        segment.extra = (extra.len(), extra.len());
                    }
                    extra.push(check);
                    segment.extra.1 += 1;
                }
                previous => {
                    let first = previous.map_or(0, |segment| segment.column + 1);
                    segments.push(Segment {
                        first,
                        column: check.column,
                        class: check.class,
                        check,
                        extra: (0, 0),
                    });
                }
            }
        }
        Some(RawChecks {
            checks: merged,
            segments,
            extra,
            skips: steps[..=last].iter().map(|step| step.skipping()).collect(),
            width,
        })
    }

    /// The prepared checks, ordered by column.
    pub fn checks(&self) -> &[RawCheck] {
        &self.checks
    }

    /// Fails unless the checks were prepared for rows of `width` columns.
    pub(crate) fn check_width(&self, width: usize) -> StorageResult<()> {
        if width != self.width {
            return Err(invalid(format!(
                "raw checks prepared for rows of {} columns read a row of {width}",
                self.width
            )));
        }
        Ok(())
    }

    /// Whether the payload `bytes` of row `row` (of `width` columns, `check_width`)
    /// passes every check, reading only the columns up to the last checked one. `key`:
    /// the clustered table's key column whose left-out value reads the row id
    /// (`fill_left_out_key`). A payload cut short or malformed before that column is an
    /// error.
    #[inline(always)]
    pub(crate) fn passes(
        &self,
        width: usize,
        row: u64,
        bytes: &[u8],
        key: Option<usize>,
    ) -> StorageResult<bool> {
        debug_assert_eq!(width, self.width, "checked by `RowDecoder::check_raw`");
        let bitmap_len = width.div_ceil(8);
        let Some(bitmap) = bytes.get(..bitmap_len) else {
            return Err(invalid("row payload is shorter than its null bitmap"));
        };
        let nulls = bitmap
            .iter()
            .rev()
            .fold(0u64, |word, &byte| (word << 8) | u64::from(byte));
        let mut reader = Reader::at(bytes, bitmap_len);
        for segment in &self.segments {
            let skips = self
                .skips
                .get(segment.first..segment.column)
                .unwrap_or_default();
            for (column, &skip) in (segment.first..).zip(skips) {
                if nulls & (1u64 << column) == 0 && reader.skip(skip).is_none() {
                    return Err(reader.into_error());
                }
            }
            let extra = match segment.extra {
                (_, 0) => &[][..],
                (first, end) => self.extra.get(first..end).unwrap_or_default(),
            };
            if nulls & (1u64 << segment.column) != 0 {
                // A left-out key reads the row id (an INTEGER); any other NULL fails.
                let passes = key == Some(segment.column)
                    && segment.class == RawClass::Integer
                    && row < FIRST_ROW_ID_NOT_A_KEY
                    && segment.check.passes_key(row as i64)
                    && extra.iter().all(|check| check.passes_key(row as i64));
                if passes {
                    continue;
                }
                return Ok(false);
            }
            let passes = match segment.class {
                RawClass::Integer => match reader.varint() {
                    Some(zigzag) => {
                        let key = unzigzag(zigzag);
                        segment.check.passes_key(key)
                            && extra.iter().all(|check| check.passes_key(key))
                    }
                    None => return Err(reader.into_error()),
                },
                RawClass::Real => match reader.real() {
                    Some(real) => {
                        segment.check.passes_real(real)
                            && extra.iter().all(|check| check.passes_real(real))
                    }
                    None => return Err(reader.into_error()),
                },
            };
            if !passes {
                return Ok(false);
            }
        }
        Ok(true)
    }
}

#[cfg(test)]
#[path = "raw_check_tests.rs"]
mod tests;
