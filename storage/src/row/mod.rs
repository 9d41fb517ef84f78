//! Compact row codec: a null bitmap, then each non-null column in declared order. Integers are
//! zigzag varints, reals 8 bytes big-endian when plain and 2 to 7 bytes when a multiple of
//! 1/8 of moderate size (`real.rs`), booleans 1 byte, text and blobs a varint
//! length then the bytes; an `Any` column prefixes its value with the value's type tag.
//!
//! ```text
//! [null bitmap: ceil(n/8) bytes][col 0][col 2]...   (NULL columns take no bytes)
//! ```
//! Files written before the compact REAL encoding (8 bytes little-endian) are read through
//! `legacy.rs`.
//! Decoding treats the bytes as untrusted: every length is checked against the bytes left
//! before anything is allocated, and a malformed payload is an `InvalidData` error.

use std::borrow::Borrow;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::{ROW_BYTES_MAX, VALUE_BYTES_MAX};
use crate::value::{DataType, Value};

mod added;
mod column_batch;
mod fault;
mod legacy;
mod raw_check;
mod raw_member;
mod reader;
mod real;
mod same_columns;
mod utf8;

pub use added::encode_with_added;
pub use column_batch::{ColumnBatch, ColumnVector, Kind, Scalar};
pub use legacy::{upgrade_fixed_reals, RowFormat};
pub use raw_check::{
    key_real, real_key, RawCheck, RawChecks, RawClass, TextCheck, TextTest, RAW_COLUMNS_MAX,
};
pub use raw_member::{MemberCheck, MemberTest, RawValue};
pub(crate) use real::real_end;
pub(crate) use same_columns::identical_columns;
pub(crate) use utf8::utf8;

use reader::Step;

/// Encodes `values` (already coerced to `types`) into `out`, replacing its contents. The
/// values may be owned or borrowed (`Value`, `&Value`, `Cow<Value>`).
pub fn encode_into<V: Borrow<Value>>(
    types: &[DataType],
    values: &[V],
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    encode_leaving_out(types, values, NO_COLUMN, out)
}

/// No column: `encode_leaving_out` keeps every value.
pub(crate) const NO_COLUMN: usize = usize::MAX;

/// `encode_into` that writes column `left_out` as NULL whatever its value (no column when
/// `NO_COLUMN`): a clustered table's key column in a row whose row id is its key (see
/// `RowDecoder::decode_into`, which puts the key back).
#[inline]
pub(crate) fn encode_leaving_out<V: Borrow<Value>>(
    types: &[DataType],
    values: &[V],
    left_out: usize,
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    if types.len() != values.len() {
        return Err(invalid(format!(
            "row has {} values but the table has {} columns",
            values.len(),
            types.len()
        )));
    }
    out.clear();
    let bitmap_len = types.len().div_ceil(8);
    out.resize(bitmap_len, 0);
    for (index, (column_type, value)) in types.iter().zip(values).enumerate() {
        let value = value.borrow();
        // The common cases inline; the rest (ANY columns, booleans, blobs, long text and
        // type errors) through `encode_value`.
        match (column_type, value) {
            (_, Value::Null) => {
                out[index / 8] |= 1 << (index % 8);
                continue;
            }
            _ if index == left_out => {
                out[index / 8] |= 1 << (index % 8);
                continue;
            }
            (DataType::Integer, Value::Integer(i)) => {
                write_varint(zigzag(*i), out);
                continue;
            }
            (DataType::Real, Value::Real(r)) => {
                real::encode_real(*r, out);
                continue;
            }
            (DataType::Text, Value::Text(text)) if text.len() < 0x80 => {
                out.push(text.len() as u8);
                out.extend_from_slice(text.as_bytes());
                continue;
            }
            _ => {}
        }
        encode_column(*column_type, value, out)?;
    }
    check_row_bytes(out.len())
}

/// Appends one non-NULL column value, an `Any` column's with its type tag first.
pub(crate) fn encode_column(
    column_type: DataType,
    value: &Value,
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    debug_assert!(!value.is_null(), "NULLs live in the bitmap");
    match (column_type, value.data_type()) {
        (DataType::Any, Some(value_type)) => {
            out.push(value_type.tag());
            encode_value(value_type, value, out)
        }
        _ => encode_value(column_type, value, out),
    }
}

/// Fails when an encoded row of `len` bytes passes `ROW_BYTES_MAX`.
pub(crate) fn check_row_bytes(len: usize) -> StorageResult<()> {
    if len > ROW_BYTES_MAX {
        return Err(StorageError::new(
            StorageErrorKind::Limit,
            format!("row of {len} bytes exceeds the limit of {ROW_BYTES_MAX} bytes"),
        ));
    }
    Ok(())
}

/// Encodes a row into a new buffer.
pub fn encode(types: &[DataType], values: &[Value]) -> StorageResult<Vec<u8>> {
    let mut out = Vec::with_capacity(types.len() * 9);
    encode_into(types, values, &mut out)?;
    Ok(out)
}

pub(crate) fn encode_value(
    column_type: DataType,
    value: &Value,
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    match (column_type, value) {
        (DataType::Integer, Value::Integer(i)) => write_varint(zigzag(*i), out),
        (DataType::Real, Value::Real(r)) => real::encode_real(*r, out),
        (DataType::Boolean, Value::Boolean(b)) => out.push(u8::from(*b)),
        (DataType::Text, Value::Text(s)) => write_bytes(s.as_bytes(), out)?,
        (DataType::Blob, Value::Blob(b)) => write_bytes(b, out)?,
        (expected, other) => {
            return Err(invalid(format!(
                "value of type {} cannot be stored in a {expected} column",
                other.type_name()
            )))
        }
    }
    Ok(())
}

fn write_bytes(bytes: &[u8], out: &mut Vec<u8>) -> StorageResult<()> {
    if bytes.len() > VALUE_BYTES_MAX {
        return Err(StorageError::new(
            StorageErrorKind::Limit,
            format!(
                "value of {} bytes exceeds the limit of {VALUE_BYTES_MAX} bytes",
                bytes.len()
            ),
        ));
    }
    write_varint(bytes.len() as u64, out);
    out.extend_from_slice(bytes);
    Ok(())
}

/// Decodes a whole row.
pub fn decode(types: &[DataType], bytes: &[u8]) -> StorageResult<Vec<Value>> {
    let mut values = Vec::with_capacity(types.len());
    decode_into(types, bytes, &mut values)?;
    Ok(values)
}

/// Decodes a whole row into `values`, replacing its contents (lets scans reuse one buffer).
pub fn decode_into(types: &[DataType], bytes: &[u8], values: &mut Vec<Value>) -> StorageResult<()> {
    decode_columns_into(types, bytes, None, values)
}

/// Decodes the columns `wanted` marks (every column when `None`) into `values`; the other
/// columns read as NULL and are only skipped over (no allocation, no UTF-8 check), though
/// their lengths are still checked. A `wanted` shorter than the row leaves the columns past
/// its end undecoded.
///
/// A `values` already as wide as the row is overwritten in place (a scan reusing one buffer
/// writes only the decoded columns, and a text or blob column reuses its old allocation);
/// any other is replaced. On error `values` holds a partly decoded row.
pub fn decode_columns_into(
    types: &[DataType],
    bytes: &[u8],
    wanted: Option<&[bool]>,
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    let steps = types
        .iter()
        .enumerate()
        .map(|(column, &column_type)| Step::new(column_type, is_wanted(wanted, column)));
    // Point reads of ordinary tables lay their steps out on the stack.
    let mut on_stack = [Step::SkipVarint; STACK_STEPS_MAX];
    if types.len() <= STACK_STEPS_MAX {
        for (slot, step) in on_stack.iter_mut().zip(steps) {
            *slot = step;
        }
        reader::decode_steps(&on_stack[..types.len()], bytes, values)
    } else {
        reader::decode_steps(&steps.collect::<Vec<_>>(), bytes, values)
    }
}

/// `decode_columns_into` of the columns `wanted` marks that reads the payload only as far
/// as the last of them: the later columns read NULL and their bytes are not looked at (nor
/// is the payload's end checked). For the index upkeep of an update or a collection, which
/// needs a few columns of payloads stored whole already.
pub fn decode_wanted_prefix_into(
    types: &[DataType],
    bytes: &[u8],
    wanted: &[bool],
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    if types.len() > STACK_STEPS_MAX {
        return decode_columns_into(types, bytes, Some(wanted), values);
    }
    let walked = wanted
        .iter()
        .rposition(|&wanted| wanted)
        .map_or(0, |last| last + 1)
        .min(types.len());
    let mut steps = [Step::SkipVarint; STACK_STEPS_MAX];
    for (column, (slot, &column_type)) in steps.iter_mut().zip(types).enumerate() {
        *slot = Step::new(column_type, is_wanted(Some(wanted), column));
    }
    reader::decode_steps_until(&steps[..types.len()], walked, bytes, values)
}

/// Columns up to which `decode_columns_into` needs no allocation for its steps.
const STACK_STEPS_MAX: usize = 64;

/// Whether column `column` is decoded under the mask `wanted` (see `decode_columns_into`).
fn is_wanted(wanted: Option<&[bool]>, column: usize) -> bool {
    wanted.is_none_or(|wanted| wanted.get(column).copied().unwrap_or(false))
}

/// `decode_columns_into` prepared once for many rows of one table (a scan): each column's
/// type and whether it is decoded are folded into one step.
#[derive(Debug, Clone, PartialEq)]
pub struct RowDecoder {
    steps: Vec<Step>,
    /// For a table that grew columns (`added.rs`): where its added columns start and what
    /// rows written before each read for it. `None` for the plain format.
    added: Option<Box<(usize, Vec<Value>)>>,
    /// Whether every step only skips.
    decodes_nothing: bool,
    /// The column decoded, when exactly one is.
    sole_decoded: Option<usize>,
    /// Columns walked per row: up to the last decoded one (the rest are skips).
    walked: usize,
    /// A clustered table's key column, when it is decoded: a row whose payload has it NULL
    /// reads its row id there (`fill_left_out_key`).
    row_key: Option<usize>,
    /// The integer key column of the table the decoder was made for
    /// (`TableSchema::integer_key_column`), decoded or not.
    integer_key: Option<usize>,
}

/// Row ids from here on are not keys (a clustered table's overflow rows,
/// `mvcc/clustered.rs`), so a payload never leaves their key out.
pub(crate) const FIRST_ROW_ID_NOT_A_KEY: u64 = 1 << 62;

/// Puts back a clustered table's key left out of a row's payload: column `key` of a row
/// whose row id is its key reads that id when the payload has it NULL (a PRIMARY KEY is
/// never NULL, so the NULL bit says the key was left out, `encode_leaving_out`).
#[inline(always)]
pub(crate) fn fill_left_out_key(key: usize, row: u64, values: &mut [Value]) {
    if row < FIRST_ROW_ID_NOT_A_KEY {
        if let Some(value @ Value::Null) = values.get_mut(key) {
            *value = Value::Integer(row as i64);
        }
    }
}

impl RowDecoder {
    /// A decoder for rows of `types` that decodes the columns `wanted` marks (every column
    /// when `None`), as `decode_columns_into` does.
    pub fn new(types: &[DataType], wanted: Option<&[bool]>) -> RowDecoder {
        RowDecoder::with_added(types, wanted, &[])
    }

    /// A decoder for rows of a table whose last `added.len()` columns were added after the
    /// others (see `added.rs`), rows written before each reading it as its `added` value.
    pub fn with_added(types: &[DataType], wanted: Option<&[bool]>, added: &[Value]) -> RowDecoder {
        debug_assert!(added.len() <= types.len());
        let steps = types
            .iter()
            .enumerate()
            .map(|(column, &column_type)| Step::new(column_type, is_wanted(wanted, column)));
        let steps: Vec<Step> = steps.collect();
        let mut decoded = steps
            .iter()
            .enumerate()
            .filter(|(_, step)| step.decodes())
            .map(|(column, _)| column);
        let sole_decoded = match (decoded.next(), decoded.next()) {
            (Some(column), None) => Some(column),
            _ => None,
        };
        let walked = steps
            .iter()
            .rposition(|step| step.decodes())
            .map_or(0, |last| last + 1);
        RowDecoder {
            row_key: None,
            integer_key: None,
            walked,
            added: (!added.is_empty())
                .then(|| Box::new((types.len() - added.len(), added.to_vec()))),
            decodes_nothing: steps.iter().all(|step| !step.decodes()),
            sole_decoded,
            steps,
        }
    }

    /// This decoder for a table clustered on column `key` (`mvcc/clustered.rs`): when it
    /// decodes that column, a payload that leaves it out reads the row id there.
    pub(crate) fn for_clustered_key(mut self, key: Option<usize>) -> RowDecoder {
        self.row_key = key.filter(|&key| self.steps.get(key).is_some_and(|step| step.decodes()));
        self.integer_key = key;
        self
    }

    /// The integer key column of the table the decoder was made for (`for_clustered_key`).
    #[inline]
    pub(crate) fn integer_key(&self) -> Option<usize> {
        self.integer_key
    }

    /// The column this decoder decodes, when it decodes exactly one.
    pub fn sole_decoded_column(&self) -> Option<usize> {
        self.sole_decoded
    }

    /// Whether the decoder decodes column `column`.
    pub fn decodes(&self, column: usize) -> bool {
        self.steps.get(column).is_some_and(|step| step.decodes())
    }

    /// The stored type column `column` is decoded as, when this decoder decodes it.
    pub fn decoded_type(&self, column: usize) -> Option<DataType> {
        match self.steps.get(column)? {
            reader::Step::Integer => Some(DataType::Integer),
            reader::Step::Real => Some(DataType::Real),
            reader::Step::Boolean => Some(DataType::Boolean),
            reader::Step::Text => Some(DataType::Text),
            reader::Step::Blob => Some(DataType::Blob),
            reader::Step::Any => Some(DataType::Any),
            _ => None,
        }
    }

    /// Whether some rows read columns added after they were written (their values come
    /// from the decoder, not the payload).
    pub(crate) fn reads_added_columns(&self) -> bool {
        self.added.is_some()
    }

    /// The column a clustered table's row id fills when the payload leaves it out.
    pub(crate) fn row_key_column(&self) -> Option<usize> {
        self.row_key
    }

    /// Whether the decoder decodes no column at all.
    pub fn decodes_nothing(&self) -> bool {
        self.decodes_nothing
    }

    /// Columns of the rows this decoder reads.
    pub fn width(&self) -> usize {
        self.steps.len()
    }

    /// Decodes `bytes`, the payload of row `row`, into `values` (see
    /// `decode_columns_into`; a clustered table's key left out of the payload reads `row`).
    /// When no column is decoded (a scan that only counts rows), the payload is not read:
    /// every column is NULL.
    #[inline(always)]
    pub fn decode_into(
        &self,
        row: u64,
        bytes: &[u8],
        values: &mut Vec<Value>,
    ) -> StorageResult<()> {
        self.decode_payload(bytes, values)?;
        if let Some(key) = self.row_key {
            fill_left_out_key(key, row, values);
        }
        Ok(())
    }

    /// `decode_into` over `values`, a row's slots exactly `width()` wide (in a buffer that
    /// holds several rows), decoded where they are: a text or blob column reuses its old
    /// allocation. Rows of a table that grew columns are decoded through `decode_into`
    /// (`decodes_in_place` is false); such a decoder fails here.
    #[inline(always)]
    pub fn decode_in_place(
        &self,
        row: u64,
        bytes: &[u8],
        values: &mut [Value],
    ) -> StorageResult<()> {
        if values.len() != self.steps.len() || self.added.is_some() {
            return Err(invalid(
                "a row decoded in place needs slots as wide as the row and no added columns",
            ));
        }
        if self.decodes_nothing {
            values.iter_mut().for_each(|value| {
                if !value.is_null() {
                    *value = Value::Null;
                }
            });
        } else {
            reader::decode_steps_until_in(&self.steps, self.walked, bytes, values)?;
        }
        if let Some(key) = self.row_key {
            fill_left_out_key(key, row, values);
        }
        Ok(())
    }

    /// Whether `decode_in_place` reads this decoder's rows (no column was added after them).
    pub fn decodes_in_place(&self) -> bool {
        self.added.is_none()
    }

    /// `decode_into` without putting a left-out key back.
    #[inline(always)]
    fn decode_payload(&self, bytes: &[u8], values: &mut Vec<Value>) -> StorageResult<()> {
        if self.decodes_nothing {
            values.resize(self.steps.len(), Value::Null);
            values.truncate(self.steps.len());
            values.iter_mut().for_each(|value| {
                if !value.is_null() {
                    *value = Value::Null;
                }
            });
            return Ok(());
        }
        match &self.added {
            None => reader::decode_steps_until(&self.steps, self.walked, bytes, values),
            Some(added) => reader::decode_with_added(&self.steps, added.0, &added.1, bytes, values),
        }
    }
}

impl RowDecoder {
    /// `decode_into` (of row `row`) that runs `check(stage, values)` as soon as column
    /// `stops[stage]` is decoded (`stops` ascending, each a decoded column) and stops at the
    /// first failing check: `Ok(false)`, the row rejected and `values` unspecified (a later
    /// decode into the same buffer overwrites it). A filter whose terms read early columns
    /// rejects most rows without decoding or stepping over the later ones. `Ok(true)`: every
    /// check passed and `values` is the decoded row.
    #[inline(always)]
    pub fn decode_checked(
        &self,
        row: u64,
        bytes: &[u8],
        values: &mut Vec<Value>,
        stops: &[usize],
        mut check: impl FnMut(usize, &[Value]) -> bool,
    ) -> StorageResult<bool> {
        debug_assert!(stops
            .iter()
            .all(|&stop| self.steps.get(stop).is_some_and(|step| step.decodes())));
        if self.added.is_some() || self.decodes_nothing {
            self.decode_into(row, bytes, values)?;
            return Ok((0..stops.len()).all(|stage| check(stage, values)));
        }
        let key = self.row_key.map(|key| (key, row));
        reader::decode_steps_checked(&self.steps, self.walked, bytes, values, stops, key, check)
    }

    /// Whether `decode_to_batch` reads this decoder's rows: the plain format (no columns
    /// added after rows were written).
    pub fn decodes_to_batch(&self) -> bool {
        self.added.is_none()
    }

    /// Decodes the payloads `rows` (each with its row id) into `batch`, emptied first, as a
    /// scan's batch is filled (`Transaction::scan_column_batch`): for a consumer holding
    /// payloads outside a table. At most `COLUMN_BATCH_ROWS_MAX` rows.
    pub fn decode_batch(
        &self,
        rows: &[(u64, &[u8])],
        batch: &mut ColumnBatch,
    ) -> StorageResult<()> {
        if !self.decodes_to_batch() || rows.len() > crate::limits::COLUMN_BATCH_ROWS_MAX {
            return Err(invalid(
                "a column batch holds at most COLUMN_BATCH_ROWS_MAX rows of the plain format",
            ));
        }
        self.start_batch(batch, rows.len());
        let decoded = rows
            .iter()
            .try_for_each(|&(row, bytes)| self.decode_to_batch(row, bytes, batch));
        batch.finish();
        decoded
    }

    /// Empties `batch` for rows this decoder reads, room made for `rows` rows.
    pub(crate) fn start_batch(&self, batch: &mut ColumnBatch, rows: usize) {
        batch.start(&self.steps, rows);
    }

    /// Appends row `row`, whose payload is `bytes`, to `batch` (started by `start_batch`):
    /// the columns this decoder decodes, each into its vector, with `decode_into`'s checks.
    #[inline(always)]
    pub(crate) fn decode_to_batch(
        &self,
        row: u64,
        bytes: &[u8],
        batch: &mut ColumnBatch,
    ) -> StorageResult<()> {
        debug_assert!(self.decodes_to_batch());
        batch.push_row(&self.steps, self.walked, self.row_key, row, bytes)
    }

    /// How column `column`'s bytes can be checked raw (`RawChecks`): its class for an
    /// INTEGER or REAL column of a plain-format row of at most `RAW_COLUMNS_MAX` columns,
    /// `None` otherwise (a table that grew columns, another type, no such column).
    pub fn raw_class(&self, column: usize) -> Option<RawClass> {
        if self.added.is_some() || self.steps.len() > RAW_COLUMNS_MAX {
            return None;
        }
        match self.steps.get(column)? {
            Step::Integer | Step::SkipVarint => Some(RawClass::Integer),
            Step::Real | Step::SkipReal => Some(RawClass::Real),
            _ => None,
        }
    }

    /// `checks` prepared for the rows this decoder reads; `None` when there are none, or
    /// one is on a column `raw_class` does not give its class.
    pub fn raw_checks(&self, checks: Vec<RawCheck>) -> Option<RawChecks> {
        self.raw_checks_with_texts(checks, Vec::new())
    }

    /// `raw_checks` with `texts`, each on a TEXT column this decoder decodes
    /// (`raw_text_column`).
    pub fn raw_checks_with_texts(
        &self,
        checks: Vec<RawCheck>,
        texts: Vec<TextCheck>,
    ) -> Option<RawChecks> {
        if checks
            .iter()
            .any(|check| self.raw_class(check.column) != Some(check.class))
            || texts.iter().any(|text| !self.raw_text_column(text.column))
        {
            return None;
        }
        RawChecks::new(&self.steps, checks, texts, None, self.integer_key)
    }

    /// `member` prepared as a raw check for the rows this decoder reads; `None` when its
    /// column is not an INTEGER, REAL or decoded TEXT column of a plain-format row of at
    /// most `RAW_COLUMNS_MAX` columns (the caller then tests decoded values).
    pub fn raw_member_check(&self, member: MemberCheck) -> Option<RawChecks> {
        let readable =
            self.raw_class(member.column).is_some() || self.raw_text_column(member.column);
        if !readable {
            return None;
        }
        RawChecks::new(
            &self.steps,
            Vec::new(),
            Vec::new(),
            Some(member),
            self.integer_key,
        )
    }

    /// Whether column `column` is a TEXT column this decoder decodes, of a plain-format
    /// row of at most `RAW_COLUMNS_MAX` columns: its text can be checked raw (`TextCheck`).
    pub fn raw_text_column(&self, column: usize) -> bool {
        self.added.is_none()
            && self.steps.len() <= RAW_COLUMNS_MAX
            && self.steps.get(column) == Some(&Step::Text)
    }

    /// Fails unless `raw` was made for rows as wide as this decoder's (`raw_checks`): run
    /// once before a batch of `decode_raw_checked`.
    pub fn check_raw(&self, raw: &RawChecks) -> StorageResult<()> {
        raw.check_width(self.steps.len())
    }

    /// `decode_checked` that first runs `raw` (made by this decoder's `raw_checks`, see
    /// `check_raw`) on the
    /// payload's bytes: a row it rejects is `Ok(false)` with nothing decoded (`values`
    /// unspecified); a row it passes is decoded and checked by stage as `decode_checked`
    /// does. `raw` `None` is `decode_checked`.
    #[inline(always)]
    pub fn decode_raw_checked(
        &self,
        row: u64,
        bytes: &[u8],
        values: &mut Vec<Value>,
        raw: Option<&RawChecks>,
        stops: &[usize],
        check: impl FnMut(usize, &[Value]) -> bool,
    ) -> StorageResult<bool> {
        if let Some(raw) = raw {
            if !self.passes_raw(raw, row, bytes)? {
                return Ok(false);
            }
        }
        self.decode_checked(row, bytes, values, stops, check)
    }

    /// Whether row `row`'s payload `bytes` passes `raw` (made by this decoder's
    /// `raw_checks`, checked by `check_raw`).
    #[inline(always)]
    pub(crate) fn passes_raw(
        &self,
        raw: &RawChecks,
        row: u64,
        bytes: &[u8],
    ) -> StorageResult<bool> {
        debug_assert!(self.added.is_none());
        raw.passes(self.steps.len(), row, bytes, self.row_key)
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> StorageError {
    StorageError::new(StorageErrorKind::InvalidData, message)
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

#[inline(always)]
fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as a LEB128 varint.
#[inline]
pub fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests;
