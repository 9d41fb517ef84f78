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
//!
//! A TEXT column's terms are `TextCheck`s: a test of the column's text (read in place,
//! checked to be UTF-8 as a decode checks it) that the engine makes from the term (an
//! equality with a text, a LIKE or GLOB pattern); a NULL never passes.
//!
//! A `MemberCheck` (`raw_member.rs`) tests one INTEGER, REAL or TEXT column's raw value with
//! a test the engine hands down (a hash join's bloom filter); it shares no column with
//! other checks.

use std::fmt;
use std::sync::Arc;

use crate::error::StorageResult;

use super::raw_member::{MemberCheck, RawValue};
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

/// How a segment reads its column: as a `RawClass` for interval checks, or as text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Read {
    Integer,
    Real,
    Text,
    /// The member test's column, read as its class (`RawChecks::member`).
    MemberInteger,
    MemberReal,
    MemberText,
}

/// A test of a text (shared by the scan's worker threads).
pub type TextTest = Arc<dyn Fn(&str) -> bool + Send + Sync>;

/// A test of a TEXT column's text: its non-NULL values pass when `test` says so; a NULL
/// never passes.
#[derive(Clone)]
pub struct TextCheck {
    pub column: usize,
    pub test: TextTest,
}

impl fmt::Debug for TextCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TextCheck(column {})", self.column)
    }
}

/// One term on one column: a non-NULL value whose key `k` has `(low <= k && k <= high) ==
/// inside` passes (a NaN REAL passes when `nan_passes`). `low > high` with `inside` never
/// passes. A NULL passes when `null_passes` (never for a filter's term, whose comparison
/// with NULL is never TRUE; a top-k bound lets NULLs through when they sort first).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RawCheck {
    pub column: usize,
    pub class: RawClass,
    pub low: i64,
    pub high: i64,
    pub inside: bool,
    pub nan_passes: bool,
    pub null_passes: bool,
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

/// A run of columns the raw walk steps over, all read by `step` (a skipping step); the
/// table's integer key column (left out of a clustered row's payload) is a run of its own.
/// A NULL column takes no bytes, so the run steps over its non-NULL columns as one stretch.
#[derive(Debug, Clone, Copy)]
struct Run {
    /// The run's bits in the null bitmap word.
    mask: u64,
    count: usize,
    step: Step,
}

/// One step of the raw walk.
#[derive(Debug, Clone)]
enum Op {
    Skip(Run),
    Check(Segment),
}

/// One check of the raw walk: column `column`'s.
#[derive(Debug, Clone)]
struct Segment {
    column: usize,
    read: Read,
    /// The column's first check, and any more in `RawChecks::extra[extra.0..extra.1]`
    /// (a TEXT column: unused, its checks are `RawChecks::texts[texts.0..texts.1]`).
    check: RawCheck,
    extra: (usize, usize),
    texts: (usize, usize),
}

/// `RawCheck`s prepared for the rows one `RowDecoder` reads: ordered by column (checks on
/// one column that are both intervals merged into one), with the walk that steps over the
/// columns between them.
#[derive(Debug, Clone)]
pub struct RawChecks {
    /// Every check, ordered by column.
    checks: Vec<RawCheck>,
    /// The walk: each checked column after the runs that step over the columns before it.
    ops: Vec<Op>,
    /// The second and later checks of a column (rare: those that do not merge).
    extra: Vec<RawCheck>,
    /// The TEXT columns' checks, ordered by column.
    texts: Vec<TextCheck>,
    /// The member check, its test run by the segment that reads its column.
    member: Option<MemberCheck>,
    /// Columns of the rows (the decoder's width).
    width: usize,
    /// Bytes of the null bitmap, and the mask of their bits in a little-endian word.
    bitmap_len: usize,
    bitmap_mask: u64,
}

/// Rows wider than this (the null bitmap more than one word) are not checked raw.
pub const RAW_COLUMNS_MAX: usize = 64;

impl RawChecks {
    /// Prepares `checks`, `texts` and `member` for rows of `steps` (a plain-format decoder
    /// of at most `RAW_COLUMNS_MAX` columns); `None` when there are none, or one is on a
    /// column whose type is not its class (a text check needs a decoded TEXT column), or
    /// the member's column has other checks too; the engine then checks the terms on
    /// decoded values. `key`: the table's integer key column, stepped over as a run of its
    /// own (only the walk's speed depends on it).
    pub(crate) fn new(
        steps: &[Step],
        mut checks: Vec<RawCheck>,
        mut texts: Vec<TextCheck>,
        member: Option<MemberCheck>,
        key: Option<usize>,
    ) -> Option<RawChecks> {
        let width = steps.len();
        if (checks.is_empty() && texts.is_empty() && member.is_none()) || width > RAW_COLUMNS_MAX {
            return None;
        }
        let member_read = match &member {
            None => None,
            Some(member) => Some(match steps.get(member.column)? {
                Step::Integer | Step::SkipVarint => Read::MemberInteger,
                Step::Real | Step::SkipReal => Read::MemberReal,
                Step::Text => Read::MemberText,
                _ => return None,
            }),
        };
        let member_column = member.as_ref().map(|member| member.column);
        if checks
            .iter()
            .any(|check| Some(check.column) == member_column)
            || texts.iter().any(|text| Some(text.column) == member_column)
        {
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
        if texts
            .iter()
            .any(|text| steps.get(text.column) != Some(&Step::Text))
        {
            return None;
        }
        // Stable: the checks of one column keep their order.
        checks.sort_by_key(|check| check.column);
        texts.sort_by_key(|text| text.column);
        let mut merged: Vec<RawCheck> = Vec::with_capacity(checks.len());
        for check in checks {
            match merged.last_mut() {
                Some(last) if last.column == check.column && last.inside && check.inside => {
                    last.low = last.low.max(check.low);
                    last.high = last.high.min(check.high);
                    last.nan_passes &= check.nan_passes;
                    last.null_passes &= check.null_passes;
                }
                _ => merged.push(check),
            }
        }
        let mut columns: Vec<usize> = merged
            .iter()
            .map(|check| check.column)
            .chain(texts.iter().map(|text| text.column))
            .chain(member_column)
            .collect();
        columns.sort_unstable();
        columns.dedup();
        let mut ops: Vec<Op> = Vec::with_capacity(2 * columns.len());
        let mut extra = Vec::new();
        let mut first = 0;
        for column in columns {
            for skipped in first..column {
                let step = steps.get(skipped)?.skipping();
                match ops.last_mut() {
                    Some(Op::Skip(run))
                        if run.step == step
                            && key != Some(skipped)
                            && key.and_then(|key| key.checked_add(1)) != Some(skipped) =>
                    {
                        run.mask |= 1u64 << skipped;
                        run.count += 1;
                    }
                    _ => ops.push(Op::Skip(Run {
                        mask: 1u64 << skipped,
                        count: 1,
                        step,
                    })),
                }
            }
            first = column + 1;
            let start = texts.partition_point(|text| text.column < column);
            let end = texts.partition_point(|text| text.column <= column);
            let mut numeric = merged.iter().filter(|check| check.column == column);
            let no_check = RawCheck {
                column,
                class: RawClass::Integer,
                low: i64::MAX,
                high: i64::MIN,
                inside: true,
                nan_passes: false,
                null_passes: false,
            };
            let segment = match numeric.next() {
                _ if member_column == Some(column) => Segment {
                    column,
                    read: member_read?,
                    check: no_check,
                    extra: (0, 0),
                    texts: (0, 0),
                },
                // One column has one type: numeric checks and text checks never share it.
                Some(_) if start != end => return None,
                Some(&check) => {
                    let extra_start = extra.len();
                    extra.extend(numeric.copied());
                    let extra_range = match extra.len() - extra_start {
                        0 => (0, 0),
                        _ => (extra_start, extra.len()),
                    };
                    Segment {
                        column,
                        read: match check.class {
                            RawClass::Integer => Read::Integer,
                            RawClass::Real => Read::Real,
                        },
                        check,
                        extra: extra_range,
                        texts: (0, 0),
                    }
                }
                None => Segment {
                    column,
                    read: Read::Text,
                    check: no_check,
                    extra: (0, 0),
                    texts: (start, end),
                },
            };
            ops.push(Op::Check(segment));
        }
        Some(RawChecks {
            checks: merged,
            ops,
            extra,
            texts,
            member,
            width,
            bitmap_len: width.div_ceil(8),
            bitmap_mask: match width.div_ceil(8) {
                8 => u64::MAX,
                bytes => (1u64 << (8 * bytes)) - 1,
            },
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
        let bitmap_len = self.bitmap_len;
        // The bitmap (at most 8 bytes) in one load when the payload has 8 bytes.
        let nulls = match bytes.first_chunk::<8>() {
            Some(word) => u64::from_le_bytes(*word) & self.bitmap_mask,
            None => match bytes.get(..bitmap_len) {
                Some(bitmap) => super::reader::null_word(bitmap),
                None => return Err(invalid("row payload is shorter than its null bitmap")),
            },
        };
        let mut reader = Reader::at(bytes, bitmap_len);
        for op in &self.ops {
            let segment = match op {
                Op::Skip(run) => {
                    let null = nulls & run.mask;
                    let present = if null == 0 {
                        run.count
                    } else if null == run.mask {
                        0
                    } else {
                        run.count - null.count_ones() as usize
                    };
                    if skip_run(&mut reader, run.step, present).is_none() {
                        return Err(reader.into_error());
                    }
                    continue;
                }
                Op::Check(segment) => segment,
            };
            let extra = match segment.extra {
                (_, 0) => &[][..],
                (first, end) => self.extra.get(first..end).unwrap_or_default(),
            };
            if nulls & (1u64 << segment.column) != 0 {
                if self.null_passes(segment, row, key) {
                    continue;
                }
                return Ok(false);
            }
            let passes = match segment.read {
                Read::Integer => match reader.varint() {
                    Some(zigzag) => {
                        let key = unzigzag(zigzag);
                        segment.check.passes_key(key)
                            && extra.iter().all(|check| check.passes_key(key))
                    }
                    None => return Err(reader.into_error()),
                },
                Read::Real => match reader.real() {
                    Some(real) => {
                        segment.check.passes_real(real)
                            && extra.iter().all(|check| check.passes_real(real))
                    }
                    None => return Err(reader.into_error()),
                },
                Read::Text => match reader.text() {
                    Some(text) => self
                        .texts
                        .get(segment.texts.0..segment.texts.1)
                        .unwrap_or_default()
                        .iter()
                        .all(|check| (check.test)(text)),
                    None => return Err(reader.into_error()),
                },
                Read::MemberInteger => match reader.varint() {
                    Some(zigzag) => self.member_passes(RawValue::Integer(unzigzag(zigzag))),
                    None => return Err(reader.into_error()),
                },
                Read::MemberReal => match reader.real() {
                    Some(real) => self.member_passes(RawValue::Real(real)),
                    None => return Err(reader.into_error()),
                },
                Read::MemberText => match reader.text() {
                    Some(text) => self.member_passes(RawValue::Text(text)),
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

impl RawChecks {
    /// Whether the member check's test passes `value`.
    #[inline(always)]
    fn member_passes(&self, value: RawValue<'_>) -> bool {
        debug_assert!(self.member.is_some(), "a member segment has its test");
        self.member
            .as_ref()
            .is_none_or(|member| (member.test)(value))
    }

    /// Whether a checked column NULL in the payload passes: a left-out key reads the row
    /// id (an INTEGER); any other NULL passes only checks that let NULLs through (a TEXT
    /// or member segment's never do).
    #[inline(never)]
    fn null_passes(&self, segment: &Segment, row: u64, key: Option<usize>) -> bool {
        let extra = match segment.extra {
            (_, 0) => &[][..],
            (first, end) => self.extra.get(first..end).unwrap_or_default(),
        };
        if segment.read == Read::MemberInteger {
            return key == Some(segment.column)
                && row < FIRST_ROW_ID_NOT_A_KEY
                && self.member_passes(RawValue::Integer(row as i64));
        }
        if matches!(segment.read, Read::MemberReal | Read::MemberText) {
            return false;
        }
        if key == Some(segment.column) {
            segment.read == Read::Integer
                && row < FIRST_ROW_ID_NOT_A_KEY
                && segment.check.passes_key(row as i64)
                && extra.iter().all(|check| check.passes_key(row as i64))
        } else {
            segment.read != Read::Text
                && segment.check.null_passes
                && extra.iter().all(|check| check.null_passes)
        }
    }
}

/// Steps over `count` non-NULL columns that `step` (a skipping step) reads (loops written
/// out: an iterator's `try_for_each` is left out of line).
#[inline(always)]
fn skip_run(reader: &mut Reader<'_>, step: Step, count: usize) -> Option<()> {
    match (step, count) {
        (_, 0) => {}
        (Step::SkipVarint, _) => reader.skip_varints(count)?,
        (Step::SkipReal, _) => {
            for _ in 0..count {
                reader.skip(Step::SkipReal)?;
            }
        }
        (Step::SkipBytes, _) => {
            for _ in 0..count {
                reader.skip(Step::SkipBytes)?;
            }
        }
        (step, _) => {
            for _ in 0..count {
                reader.skip(step)?;
            }
        }
    }
    Some(())
}

#[cfg(test)]
#[path = "raw_check_tests.rs"]
mod tests;
