//! Row decoding: walks a payload column by column, each column's work named by one `Step`
//! (its type, and whether it is decoded or only stepped over). The bytes are untrusted: every
//! read is bounds-checked, and the first fault stops the walk and becomes an `InvalidData`
//! error. Reads return `Option` and park the fault's details in the reader, so the hot path
//! moves no error values around.

use crate::error::{StorageError, StorageResult};
use crate::value::{DataType, Value};

use super::column_batch::Scalar;
use super::fault::Fault;
use super::real::{decode_real, real_len};
use super::utf8::utf8;
use super::{fill_left_out_key, invalid, unzigzag};

/// Bytes of the longest varint (a u64 takes at most 10 groups of 7 bits).
const VARINT_BYTES_MAX: usize = 10;

/// What to do with one non-NULL column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Integer,
    Real,
    Boolean,
    Text,
    Blob,
    /// A type tag, then a value of that type.
    Any,
    SkipVarint,
    SkipReal,
    SkipBoolean,
    /// A varint length, then that many bytes (text or blob).
    SkipBytes,
    SkipAny,
}

impl Step {
    pub(crate) fn new(column_type: DataType, decoded: bool) -> Step {
        match (column_type, decoded) {
            (DataType::Integer, true) => Step::Integer,
            (DataType::Real, true) => Step::Real,
            (DataType::Boolean, true) => Step::Boolean,
            (DataType::Text, true) => Step::Text,
            (DataType::Blob, true) => Step::Blob,
            (DataType::Any, true) => Step::Any,
            (DataType::Integer, false) => Step::SkipVarint,
            (DataType::Real, false) => Step::SkipReal,
            (DataType::Boolean, false) => Step::SkipBoolean,
            (DataType::Text | DataType::Blob, false) => Step::SkipBytes,
            (DataType::Any, false) => Step::SkipAny,
        }
    }
}

impl Step {
    /// The step that steps over a column this step reads.
    pub(crate) fn skipping(self) -> Step {
        match self {
            Step::Integer | Step::SkipVarint => Step::SkipVarint,
            Step::Real | Step::SkipReal => Step::SkipReal,
            Step::Boolean | Step::SkipBoolean => Step::SkipBoolean,
            Step::Text | Step::Blob | Step::SkipBytes => Step::SkipBytes,
            Step::Any | Step::SkipAny => Step::SkipAny,
        }
    }

    /// Whether the step decodes a value (rather than stepping over it).
    pub(crate) fn decodes(self) -> bool {
        matches!(
            self,
            Step::Integer | Step::Real | Step::Boolean | Step::Text | Step::Blob | Step::Any
        )
    }
}

/// Decodes a row of `steps.len()` columns into `values` (see `decode_columns_into`).
#[inline(always)]
pub(crate) fn decode_steps(
    steps: &[Step],
    bytes: &[u8],
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    decode_steps_until(steps, steps.len(), bytes, values)
}

/// Makes `values` `width` NULLs (a fresh buffer's first decode; the decode overwrites
/// them). Built from an iterator of known length, which compiles to one store per value
/// (`resize` clones a NULL per value through `Value::clone`).
#[inline]
fn fill_null(values: &mut Vec<Value>, width: usize) {
    values.clear();
    values.extend(std::iter::repeat_with(|| Value::Null).take(width));
}

/// `decode_steps` that walks only the first `walked` columns (those up to the last one
/// decoded): the later columns are skips, so they are set NULL without reading their
/// bytes, and the payload's end is checked only when every column was walked.
#[inline(always)]
pub(crate) fn decode_steps_until(
    steps: &[Step],
    walked: usize,
    bytes: &[u8],
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    let width = steps.len();
    debug_assert!(walked <= width);
    debug_assert!(steps[walked..].iter().all(|step| !step.decodes()));
    if values.len() != width {
        fill_null(values, width);
    }
    decode_steps_until_in(steps, walked, bytes, values)
}

/// `decode_steps_until` into `values`, exactly as wide as the row (`steps.len()`): a row's
/// slots in a larger buffer, decoded where they are.
#[inline(always)]
pub(crate) fn decode_steps_until_in(
    steps: &[Step],
    walked: usize,
    bytes: &[u8],
    values: &mut [Value],
) -> StorageResult<()> {
    let width = steps.len();
    debug_assert_eq!(values.len(), width);
    let position = decode_prefix(&steps[..walked], width, bytes, values)?;
    for slot in &mut values[walked..] {
        set_null(slot);
    }
    if walked == width && position != bytes.len() {
        return Err(invalid("row payload has trailing bytes"));
    }
    Ok(())
}

/// Decodes the plain-format columns `steps` names from the start of `bytes` (a row of
/// `width` columns, whose null bitmap has a bit for each) into the first `steps.len()` of
/// `values`; returns where they end.
#[inline(always)]
fn decode_prefix(
    steps: &[Step],
    width: usize,
    bytes: &[u8],
    values: &mut [Value],
) -> StorageResult<usize> {
    debug_assert!(steps.len() <= width);
    debug_assert!(values.len() >= steps.len());
    let bitmap_len = width.div_ceil(8);
    let Some(bitmap) = bytes.get(..bitmap_len) else {
        return Err(invalid("row payload is shorter than its null bitmap"));
    };
    let mut reader = Reader {
        bytes,
        position: bitmap_len,
        fault: Fault::Truncated,
    };
    if bitmap_len <= 8 {
        // Up to 64 columns: the whole bitmap in one word, one bit tested per column.
        let nulls = null_word(bitmap);
        for (column, (&step, slot)) in steps.iter().zip(values.iter_mut()).enumerate() {
            if nulls & (1u64 << column) != 0 {
                set_null(slot);
            } else if reader.column(step, slot).is_none() {
                return Err(reader.fault.into_error());
            }
        }
        return Ok(reader.position);
    }
    let mut null_bits = 0u8;
    for (column, (&step, slot)) in steps.iter().zip(values.iter_mut()).enumerate() {
        if column % 8 == 0 {
            // One bitmap byte per eight columns (`bitmap` has one for each).
            null_bits = bitmap.get(column / 8).copied().unwrap_or(u8::MAX);
        }
        if null_bits & 1 != 0 {
            set_null(slot);
        } else if reader.column(step, slot).is_none() {
            return Err(reader.fault.into_error());
        }
        null_bits >>= 1;
    }
    Ok(reader.position)
}

/// `decode_steps_until` that runs `check(stage, values)` as soon as column `stops[stage]`
/// is decoded (`stops` ascending, each below `walked`), and stops at the first check that
/// fails: `Ok(false)`, with `values` partly decoded (the caller drops the row; the next
/// decode into the buffer overwrites every column). A row that passes every check is
/// decoded exactly as `decode_steps_until` decodes it. Rows of more than 64 columns are
/// decoded whole, then checked. `key`: a clustered table's key column and the row's id, put
/// back (`fill_left_out_key`) before any check sees the column.
#[inline(always)]
pub(crate) fn decode_steps_checked(
    steps: &[Step],
    walked: usize,
    bytes: &[u8],
    values: &mut Vec<Value>,
    stops: &[usize],
    key: Option<(usize, u64)>,
    mut check: impl FnMut(usize, &[Value]) -> bool,
) -> StorageResult<bool> {
    let width = steps.len();
    debug_assert!(walked <= width);
    debug_assert!(stops.windows(2).all(|pair| pair[0] < pair[1]));
    debug_assert!(stops.iter().all(|&stop| stop < walked));
    let bitmap_len = width.div_ceil(8);
    if bitmap_len > 8 || stops.is_empty() {
        decode_steps_until(steps, walked, bytes, values)?;
        if let Some((key, row)) = key {
            fill_left_out_key(key, row, values);
        }
        return Ok((0..stops.len()).all(|stage| check(stage, values)));
    }
    if values.len() != width {
        fill_null(values, width);
    }
    let Some(bitmap) = bytes.get(..bitmap_len) else {
        return Err(invalid("row payload is shorter than its null bitmap"));
    };
    let nulls = null_word(bitmap);
    let mut reader = Reader {
        bytes,
        position: bitmap_len,
        fault: Fault::Truncated,
    };
    // Each stage's columns are decoded as one run (one bounds check per run, not per
    // column), then the stage is checked.
    let mut start = 0;
    for (stage, &stop) in stops.iter().enumerate() {
        let run = start..stop + 1;
        if decode_run(
            &mut reader,
            nulls,
            start,
            &steps[run.clone()],
            &mut values[run],
        )
        .is_none()
        {
            return Err(reader.fault.into_error());
        }
        if let Some((key, row)) = key.filter(|(key, _)| (start..=stop).contains(key)) {
            fill_left_out_key(key, row, values);
        }
        if !check(stage, values) {
            return Ok(false);
        }
        start = stop + 1;
    }
    let run = start..walked;
    if decode_run(
        &mut reader,
        nulls,
        start,
        &steps[run.clone()],
        &mut values[run],
    )
    .is_none()
    {
        return Err(reader.fault.into_error());
    }
    if let Some((key, row)) = key.filter(|(key, _)| *key >= start) {
        fill_left_out_key(key, row, values);
    }
    for slot in &mut values[walked..] {
        set_null(slot);
    }
    if walked == width && reader.position != bytes.len() {
        return Err(invalid("row payload has trailing bytes"));
    }
    Ok(true)
}

/// Decodes the run of columns starting at column `first` (`steps` and `slots` of equal
/// length) under the null bitmap word `nulls`.
#[inline(always)]
fn decode_run(
    reader: &mut Reader<'_>,
    nulls: u64,
    first: usize,
    steps: &[Step],
    slots: &mut [Value],
) -> Option<()> {
    debug_assert_eq!(steps.len(), slots.len());
    for (column, (&step, slot)) in (first..).zip(steps.iter().zip(slots.iter_mut())) {
        if nulls & (1u64 << column) != 0 {
            set_null(slot);
        } else {
            reader.column(step, slot)?;
        }
    }
    Some(())
}

/// Decodes a row of a table that grew columns (see `row/added.rs`): the base columns (before
/// `base`) in the plain format, then each added column's marker and value; a payload that
/// stops at an added column reads it and the later ones as their `missing` values (NULL when
/// not wanted).
pub(crate) fn decode_with_added(
    steps: &[Step],
    base: usize,
    missing: &[Value],
    bytes: &[u8],
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    let width = steps.len();
    debug_assert_eq!(width - base, missing.len());
    if values.len() != width {
        fill_null(values, width);
    }
    let position = decode_prefix(&steps[..base], base, bytes, values)?;
    let mut reader = Reader {
        bytes,
        position,
        fault: Fault::Truncated,
    };
    let added = steps[base..].iter().zip(&mut values[base..]).zip(missing);
    for ((&step, slot), missing) in added {
        match bytes.get(reader.position) {
            // Written before this column was added.
            None if step.decodes() => *slot = missing.clone(),
            None => set_null(slot),
            Some(&super::added::ADDED_NULL) => {
                reader.position += 1;
                set_null(slot);
            }
            Some(&super::added::ADDED_VALUE) => {
                reader.position += 1;
                if reader.column(step, slot).is_none() {
                    return Err(reader.fault.into_error());
                }
            }
            Some(&other) => {
                return Err(invalid(format!(
                    "invalid added-column marker {other} in row"
                )))
            }
        }
    }
    if reader.position != bytes.len() {
        return Err(invalid("row payload has trailing bytes"));
    }
    Ok(())
}

/// The null bitmap of a row of at most 64 columns (`bitmap`, at most 8 bytes) as one word:
/// bit `c` set when column `c` is NULL. A row of up to 8 columns (one byte) is the common
/// case, read without the loop.
#[inline(always)]
pub(super) fn null_word(bitmap: &[u8]) -> u64 {
    debug_assert!(bitmap.len() <= 8);
    match bitmap {
        [only] => u64::from(*only),
        _ => bitmap
            .iter()
            .rev()
            .fold(0u64, |word, &byte| (word << 8) | u64::from(byte)),
    }
}

/// Makes `slot` NULL (a no-op when it is: most skipped columns of a reused buffer).
#[inline(always)]
fn set_null(slot: &mut Value) {
    if !slot.is_null() {
        *slot = Value::Null;
    }
}

/// Writes `value` over `slot`: a NULL (what a fresh buffer's slots hold, `fill_null`) owns
/// nothing, so it is overwritten without running the drop glue (an out-of-line call per
/// column otherwise); any other old value is dropped as usual.
#[inline(always)]
fn put(slot: &mut Value, value: Value) {
    if slot.is_null() {
        // Forgetting a NULL leaks nothing: it holds no allocation.
        std::mem::forget(std::mem::replace(slot, value));
    } else {
        *slot = value;
    }
}

/// The varint at the start of `bytes` and its length in bytes, or `None` when it has no
/// last byte within `VARINT_BYTES_MAX` (a free function: the reader stays in registers).
#[inline(never)]
fn decode_varint(bytes: &[u8]) -> Option<(u64, usize)> {
    let mut result: u64 = 0;
    for (index, &byte) in bytes.iter().take(VARINT_BYTES_MAX).enumerate() {
        result |= u64::from(byte & 0x7f) << (7 * index);
        if byte & 0x80 == 0 {
            return Some((result, index + 1));
        }
    }
    None
}

/// A cursor over one payload; `position <= bytes.len()` always.
pub(super) struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
    /// Why the last read that returned `None` failed.
    fault: Fault,
}

impl<'a> Reader<'a> {
    /// A reader of `bytes` from `position` on (at most their length).
    #[inline(always)]
    pub(super) fn at(bytes: &'a [u8], position: usize) -> Reader<'a> {
        Reader {
            bytes,
            position: position.min(bytes.len()),
            fault: Fault::Truncated,
        }
    }

    /// The error of the last read that failed.
    #[cold]
    pub(super) fn into_error(self) -> StorageError {
        self.fault.into_error()
    }

    /// Steps over one non-NULL column of the type `step` reads (decoded or not).
    #[inline(always)]
    pub(super) fn skip(&mut self, step: Step) -> Option<()> {
        match step {
            Step::SkipVarint | Step::Integer => self.skip_varint(),
            Step::SkipReal | Step::Real => self.skip_real(),
            Step::SkipBoolean | Step::Boolean => self.advance(1),
            Step::SkipBytes | Step::Text | Step::Blob => match self.bytes.get(self.position) {
                // A one-byte length (under 128): the common short text.
                Some(&len) if len & 0x80 == 0 => {
                    self.position += 1;
                    self.advance(u64::from(len))
                }
                _ => {
                    let len = self.varint()?;
                    self.advance(len)
                }
            },
            Step::SkipAny | Step::Any => {
                let value_type = self.tag()?;
                match value_type {
                    DataType::Integer => self.skip_varint(),
                    DataType::Real => self.skip_real(),
                    DataType::Boolean => self.advance(1),
                    DataType::Text | DataType::Blob | DataType::Any => {
                        let len = self.varint()?;
                        self.advance(len)
                    }
                }
            }
        }
    }

    /// Records `fault` and fails the read (inlined, so the reader stays in registers).
    #[inline(always)]
    fn fail<T>(&mut self, fault: Fault) -> Option<T> {
        self.fault = fault;
        None
    }

    /// The bytes not read yet.
    #[inline]
    fn rest(&self) -> &'a [u8] {
        debug_assert!(self.position <= self.bytes.len());
        self.bytes.get(self.position..).unwrap_or_default()
    }

    /// Does `step` for one non-NULL column, writing a decoded value into `slot` (NULL for
    /// a skipped one).
    #[inline(always)]
    fn column(&mut self, step: Step, slot: &mut Value) -> Option<()> {
        let skip = match step {
            Step::Integer => return self.read(DataType::Integer, slot),
            Step::Real => return self.read(DataType::Real, slot),
            Step::Boolean => return self.read(DataType::Boolean, slot),
            Step::Text => return self.read(DataType::Text, slot),
            Step::Blob => return self.read(DataType::Blob, slot),
            Step::Any => {
                let value_type = self.tag()?;
                return self.read(value_type, slot);
            }
            // The arms of `skip`, written out again: the decode loops stay as they were
            // compiled before `skip` existed (sharing it cost 2% in full-row scans).
            Step::SkipVarint => self.skip_varint(),
            Step::SkipReal => self.skip_real(),
            Step::SkipBoolean => self.advance(1),
            Step::SkipBytes => match self.bytes.get(self.position) {
                // A one-byte length (under 128): the common short text.
                Some(&len) if len & 0x80 == 0 => {
                    self.position += 1;
                    self.advance(u64::from(len))
                }
                _ => {
                    let len = self.varint()?;
                    self.advance(len)
                }
            },
            Step::SkipAny => {
                let value_type = self.tag()?;
                match value_type {
                    DataType::Integer => self.skip_varint(),
                    DataType::Real => self.skip_real(),
                    DataType::Boolean => self.advance(1),
                    DataType::Text | DataType::Blob | DataType::Any => {
                        let len = self.varint()?;
                        self.advance(len)
                    }
                }
            }
        };
        set_null(slot);
        skip
    }

    /// Decodes one value of `value_type` (never `Any`: `tag` rules it out) into `slot`;
    /// text and blobs reuse the allocation a `slot` of the same type holds.
    #[inline(always)]
    fn read(&mut self, value_type: DataType, slot: &mut Value) -> Option<()> {
        match value_type {
            // A reused buffer's slot holds the column's last value, of the same type: only
            // the number is written (no drop of the old value to check for).
            DataType::Integer => {
                let integer = unzigzag(self.varint()?);
                match slot {
                    Value::Integer(old) => *old = integer,
                    _ => put(slot, Value::Integer(integer)),
                }
            }
            DataType::Real => {
                let real = self.real()?;
                match slot {
                    Value::Real(old) => *old = real,
                    _ => put(slot, Value::Real(real)),
                }
            }
            DataType::Boolean => *slot = Value::Boolean(self.boolean()?),
            DataType::Text => {
                let bytes = self.length_prefixed()?;
                let Some(text) = utf8(bytes) else {
                    return self.fail(Fault::NotUtf8);
                };
                match slot {
                    Value::Text(old) => {
                        old.clear();
                        old.push_str(text);
                    }
                    _ => put(slot, Value::Text(text.to_owned())),
                }
            }
            DataType::Blob | DataType::Any => {
                debug_assert_eq!(value_type, DataType::Blob, "tag() never yields Any");
                let bytes = self.length_prefixed()?;
                match slot {
                    Value::Blob(old) => {
                        old.clear();
                        old.extend_from_slice(bytes);
                    }
                    _ => put(slot, Value::Blob(bytes.to_vec())),
                }
            }
        }
        Some(())
    }

    /// One BOOLEAN byte (0 or 1).
    #[inline(always)]
    fn boolean(&mut self) -> Option<bool> {
        let Some(&byte) = self.rest().first() else {
            return self.fail(Fault::Truncated);
        };
        self.position += 1;
        match byte {
            0 => Some(false),
            1 => Some(true),
            other => self.fail(Fault::Boolean(other)),
        }
    }

    /// The value `step` (a decoding step) reads, borrowed from the payload, with `read`'s
    /// checks: a typed column batch's read (`column_batch.rs`).
    #[inline(always)]
    pub(super) fn scalar(&mut self, step: Step) -> Option<Scalar<'a>> {
        let value_type = match step {
            Step::Integer => DataType::Integer,
            Step::Real => DataType::Real,
            Step::Boolean => DataType::Boolean,
            Step::Text => DataType::Text,
            Step::Blob => DataType::Blob,
            Step::Any => self.tag()?,
            skip => {
                debug_assert!(false, "{skip:?} decodes nothing");
                self.skip(skip)?;
                return Some(Scalar::Null);
            }
        };
        Some(match value_type {
            DataType::Integer => Scalar::Integer(unzigzag(self.varint()?)),
            DataType::Real => Scalar::Real(self.real()?),
            DataType::Boolean => Scalar::Boolean(self.boolean()?),
            DataType::Text => Scalar::Text(self.text()?),
            DataType::Blob | DataType::Any => Scalar::Blob(self.length_prefixed()?),
        })
    }

    /// One INTEGER column's value.
    #[inline(always)]
    pub(super) fn integer(&mut self) -> Option<i64> {
        Some(unzigzag(self.varint()?))
    }

    /// Where the next read starts.
    #[inline(always)]
    pub(super) fn position(&self) -> usize {
        self.position
    }

    /// The value type an `Any` column's tag names (never `Any` itself).
    #[inline]
    fn tag(&mut self) -> Option<DataType> {
        let Some(&tag) = self.rest().first() else {
            return self.fail(Fault::Truncated);
        };
        self.position += 1;
        match DataType::from_tag(tag) {
            Some(value_type) if value_type != DataType::Any => Some(value_type),
            _ => self.fail(Fault::Tag(tag)),
        }
    }

    #[inline(always)]
    pub(super) fn varint(&mut self) -> Option<u64> {
        // One byte holds 0..=127: most lengths and small integers.
        match self.bytes.get(self.position) {
            Some(&byte) if byte & 0x80 == 0 => {
                self.position += 1;
                Some(u64::from(byte))
            }
            _ => self.varint_long(),
        }
    }

    /// `varint` past its one-byte case.
    #[inline(always)]
    fn varint_long(&mut self) -> Option<u64> {
        let rest = self.rest();
        // Two bytes hold up to 16,383: most other lengths and small integers.
        if let [low, high, ..] = rest {
            if high & 0x80 == 0 {
                self.position += 2;
                return Some(u64::from(low & 0x7f) | (u64::from(*high) << 7));
            }
        }
        // Three bytes hold up to 2,097,151: keys and counts of tables past 8,191 rows.
        if let [low, middle, high, ..] = rest {
            if high & 0x80 == 0 {
                self.position += 3;
                return Some(
                    u64::from(low & 0x7f)
                        | (u64::from(middle & 0x7f) << 7)
                        | (u64::from(*high) << 14),
                );
            }
        }
        match decode_varint(rest) {
            Some((value, len)) => {
                self.position += len;
                Some(value)
            }
            None => self.varint_fault(rest.len()),
        }
    }

    /// One REAL (`real.rs`: a plain double is one 8-byte load).
    #[inline(always)]
    pub(super) fn real(&mut self) -> Option<f64> {
        match decode_real(self.bytes, self.position) {
            Some((real, len)) => {
                self.position += len;
                Some(real)
            }
            None => self.fail(Fault::Truncated),
        }
    }

    #[inline(always)]
    fn skip_real(&mut self) -> Option<()> {
        match real_len(self.bytes, self.position) {
            Some(len) => self.advance(len as u64),
            None => self.fail(Fault::Truncated),
        }
    }

    /// Steps over `count` varints: one load when they end within the next 8 bytes.
    #[inline(always)]
    pub(super) fn skip_varints(&mut self, count: usize) -> Option<()> {
        if let Some(word) = self.rest().first_chunk::<8>() {
            let mut ends = !u64::from_le_bytes(*word) & 0x8080_8080_8080_8080;
            for _ in 1..count {
                ends &= ends.wrapping_sub(1);
            }
            if ends != 0 {
                self.position += ends.trailing_zeros() as usize / 8 + 1;
                return Some(());
            }
        }
        (0..count).try_for_each(|_| self.skip_varint())
    }

    #[inline(always)]
    fn skip_varint(&mut self) -> Option<()> {
        let rest = self.rest();
        let len = match rest.first_chunk::<8>() {
            // The first byte without the continuation bit ends the varint.
            Some(word) => match !u64::from_le_bytes(*word) & 0x8080_8080_8080_8080 {
                0 => None,
                ends => Some(ends.trailing_zeros() as usize / 8 + 1),
            },
            None => None,
        };
        let len = match len {
            Some(len) => len,
            // Fewer than 8 bytes left (the row's last columns), or a longer varint.
            None => {
                let mut len = 0;
                loop {
                    match rest.get(len) {
                        Some(byte) if len < VARINT_BYTES_MAX => {
                            len += 1;
                            if byte & 0x80 == 0 {
                                break len;
                            }
                        }
                        _ => return self.varint_fault(rest.len()),
                    }
                }
            }
        };
        self.position += len;
        Some(())
    }

    /// Fails a varint that has no last byte among the `available` bytes left.
    #[inline(always)]
    fn varint_fault<T>(&mut self, available: usize) -> Option<T> {
        if available < VARINT_BYTES_MAX {
            self.fail(Fault::Truncated)
        } else {
            self.fail(Fault::OverlongVarint)
        }
    }

    /// Steps over `len` bytes.
    #[inline(always)]
    fn advance(&mut self, len: u64) -> Option<()> {
        debug_assert!(self.position <= self.bytes.len());
        let remaining = (self.bytes.len() - self.position) as u64;
        if len > remaining {
            return self.fail(Fault::Length { len, remaining });
        }
        self.position += len as usize;
        Some(())
    }

    /// A TEXT column's text (length-prefixed, checked to be UTF-8 as a decode checks it).
    #[inline(always)]
    pub(super) fn text(&mut self) -> Option<&'a str> {
        let bytes = self.length_prefixed()?;
        match utf8(bytes) {
            Some(text) => Some(text),
            None => self.fail(Fault::NotUtf8),
        }
    }

    /// A varint length, then that many bytes.
    #[inline(always)]
    fn length_prefixed(&mut self) -> Option<&'a [u8]> {
        let len = self.varint()?;
        let rest = self.rest();
        if len > rest.len() as u64 {
            return self.fail(Fault::Length {
                len,
                remaining: rest.len() as u64,
            });
        }
        self.position += len as usize;
        Some(&rest[..len as usize])
    }
}
