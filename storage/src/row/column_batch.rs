//! Typed column batches: the rows of one scan batch decoded column by column into plain
//! vectors (a kind and a 64-bit word per row; a text's or blob's bytes in one buffer per
//! column), for operators that fold many rows (an aggregate over a full scan). No `Value`
//! is built per column and nothing is allocated per row once the vectors have grown: a
//! consumer reads each column in a tight loop. `Transaction::scan_column_batch` fills a
//! batch through `RowDecoder::decode_to_batch`, which reads a payload with the row
//! decoder's own checks (a damaged payload is an `InvalidData` error, never a wrong value).

use crate::error::StorageResult;
use crate::limits::COLUMN_BATCH_BYTES_MAX;
use crate::value::Value;

use super::reader::{null_word, Reader, Step};
use super::utf8::utf8;
use super::{invalid, FIRST_ROW_ID_NOT_A_KEY};

/// The type of one decoded value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    Null,
    Integer,
    Real,
    Boolean,
    Text,
    Blob,
}

/// One decoded value, borrowed from its batch (a payload while it is decoded).
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Scalar<'a> {
    Null,
    Integer(i64),
    Real(f64),
    Boolean(bool),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl Scalar<'_> {
    /// The value as an owned `Value` (a text or blob is copied).
    pub fn to_value(self) -> Value {
        match self {
            Scalar::Null => Value::Null,
            Scalar::Integer(integer) => Value::Integer(integer),
            Scalar::Real(real) => Value::Real(real),
            Scalar::Boolean(boolean) => Value::Boolean(boolean),
            Scalar::Text(text) => Value::Text(text.to_owned()),
            Scalar::Blob(bytes) => Value::Blob(bytes.to_vec()),
        }
    }
}

/// One column's values for the rows of a batch: `kinds[r]` and `words[r]` for row `r`.
/// An INTEGER's word is its bits, a REAL's its `f64` bits, a BOOLEAN's 0 or 1, a text's or
/// blob's its offset in `bytes` (high 32 bits) and length (low 32 bits).
#[derive(Debug, Default)]
pub struct ColumnVector {
    /// Sized for the most rows a batch held yet (written by row index, never cleared):
    /// the first `len` are the batch's.
    kinds: Vec<Kind>,
    words: Vec<u64>,
    /// The batch's rows (`ColumnBatch::finish`).
    len: usize,
    bytes: Vec<u8>,
}

impl ColumnVector {
    /// The kinds of the batch's rows, in row order.
    #[inline]
    pub fn kinds(&self) -> &[Kind] {
        &self.kinds[..self.len]
    }

    /// The words of the batch's rows, in row order (see the type's comment).
    #[inline]
    pub fn words(&self) -> &[u64] {
        &self.words[..self.len]
    }

    /// The value of row `row` (below the batch's length).
    #[inline(always)]
    pub fn get(&self, row: usize) -> Scalar<'_> {
        let word = self.words()[row];
        match self.kinds()[row] {
            Kind::Null => Scalar::Null,
            Kind::Integer => Scalar::Integer(word as i64),
            Kind::Real => Scalar::Real(f64::from_bits(word)),
            Kind::Boolean => Scalar::Boolean(word != 0),
            Kind::Text => {
                let bytes = self.span(word);
                // Only `push` writes a text's span, with bytes the decode checked to be
                // UTF-8 (`Reader::text`); a span that is not is a bug, read as a blob.
                match utf8(bytes) {
                    Some(text) => Scalar::Text(text),
                    None => {
                        debug_assert!(false, "a text span holds UTF-8");
                        Scalar::Blob(bytes)
                    }
                }
            }
            Kind::Blob => Scalar::Blob(self.span(word)),
        }
    }

    /// The bytes of every text and blob of the batch's rows, in row order (each row's
    /// span lies in them): a test of all of them at once holds for each.
    #[inline]
    pub fn all_bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The bytes of row `row`'s text or blob (a text's are UTF-8, checked when decoded);
    /// empty for a value of another kind.
    #[inline(always)]
    pub fn span_bytes(&self, row: usize) -> &[u8] {
        match self.kinds()[row] {
            Kind::Text | Kind::Blob => self.span(self.words()[row]),
            _ => &[],
        }
    }

    /// The bytes a text's or blob's word names.
    #[inline(always)]
    fn span(&self, word: u64) -> &[u8] {
        let start = (word >> 32) as usize;
        let len = (word & u64::from(u32::MAX)) as usize;
        self.bytes.get(start..start + len).unwrap_or_default()
    }

    /// Writes row `row`'s value (the vector is sized for the batch, `ColumnBatch::start`).
    #[inline(always)]
    fn set(&mut self, row: usize, kind: Kind, word: u64) {
        if let (Some(kind_slot), Some(word_slot)) =
            (self.kinds.get_mut(row), self.words.get_mut(row))
        {
            *kind_slot = kind;
            *word_slot = word;
        } else {
            debug_assert!(false, "row {row} past the batch's room");
            self.kinds.push(kind);
            self.words.push(word);
        }
    }

    /// `value`'s kind and word, a text's or blob's bytes copied into the buffer.
    #[inline]
    fn kind_and_word(&mut self, value: Scalar<'_>) -> (Kind, u64) {
        match value {
            Scalar::Null => (Kind::Null, 0),
            Scalar::Integer(integer) => (Kind::Integer, integer as u64),
            Scalar::Real(real) => (Kind::Real, real.to_bits()),
            Scalar::Boolean(boolean) => (Kind::Boolean, u64::from(boolean)),
            Scalar::Text(text) => (Kind::Text, self.keep(text.as_bytes())),
            Scalar::Blob(bytes) => (Kind::Blob, self.keep(bytes)),
        }
    }

    /// Copies `bytes` into the buffer; the word naming them.
    #[inline]
    fn keep(&mut self, bytes: &[u8]) -> u64 {
        debug_assert!(self.bytes.len() + bytes.len() < u32::MAX as usize);
        let start = self.bytes.len() as u64;
        self.bytes.extend_from_slice(bytes);
        (start << 32) | bytes.len() as u64
    }

    /// Empties the vector and makes room for `rows` rows.
    fn clear(&mut self, rows: usize) {
        self.len = 0;
        self.bytes.clear();
        if self.kinds.len() < rows {
            self.kinds.resize(rows, Kind::Null);
            self.words.resize(rows, 0);
        }
    }
}

/// The rows of one scan batch, decoded column by column: the row ids, and one
/// `ColumnVector` for each column the decoder decodes (ascending column order).
#[derive(Debug, Default)]
pub struct ColumnBatch {
    row_ids: Vec<u64>,
    /// Whether some column may keep text or blob bytes (one of TEXT, BLOB or any type).
    keeps_bytes: bool,
    /// The table column each vector holds, ascending.
    columns: Vec<usize>,
    vectors: Vec<ColumnVector>,
}

impl ColumnBatch {
    pub fn new() -> ColumnBatch {
        ColumnBatch::default()
    }

    /// Rows in the batch.
    #[inline]
    pub fn len(&self) -> usize {
        self.row_ids.len()
    }

    pub fn is_empty(&self) -> bool {
        self.row_ids.is_empty()
    }

    /// The row ids, in row order.
    #[inline]
    pub fn row_ids(&self) -> &[u64] {
        &self.row_ids
    }

    /// Bytes the batch's vectors hold allocated (what keeping it between scans costs).
    pub fn capacity_bytes(&self) -> usize {
        let vectors: usize = self
            .vectors
            .iter()
            .map(|vector| {
                vector.kinds.capacity()
                    + vector.words.capacity() * std::mem::size_of::<u64>()
                    + vector.bytes.capacity()
            })
            .sum();
        vectors + self.row_ids.capacity() * std::mem::size_of::<u64>()
    }

    /// The values of table column `column`, when the decoder decodes it.
    #[inline]
    pub fn column(&self, column: usize) -> Option<&ColumnVector> {
        let at = self.columns.binary_search(&column).ok()?;
        self.vectors.get(at)
    }

    /// Empties the batch for rows of `steps` (one vector per decoding step), room made for
    /// `rows` rows.
    pub(crate) fn start(&mut self, steps: &[Step], rows: usize) {
        self.row_ids.clear();
        self.row_ids.reserve(rows);
        self.columns.clear();
        self.columns.extend(
            steps
                .iter()
                .enumerate()
                .filter(|(_, step)| step.decodes())
                .map(|(column, _)| column),
        );
        self.keeps_bytes = steps
            .iter()
            .any(|step| matches!(step, Step::Text | Step::Blob | Step::Any));
        self.vectors
            .resize_with(self.columns.len(), ColumnVector::default);
        for vector in &mut self.vectors {
            vector.clear(rows);
        }
    }

    /// Whether a column's buffer passed `COLUMN_BATCH_BYTES_MAX`: the scan ends the batch.
    #[inline(always)]
    pub(crate) fn is_full(&self) -> bool {
        self.keeps_bytes
            && self
                .vectors
                .iter()
                .any(|vector| vector.bytes.len() >= COLUMN_BATCH_BYTES_MAX)
    }

    /// Appends row `row` from its payload `bytes` (plain format, decoded by `steps` up to
    /// column `walked`; `key`: a clustered table's key column, read as the row id where the
    /// payload leaves it out). On error the batch keeps the rows before it (`finish`).
    #[inline(always)]
    pub(crate) fn push_row(
        &mut self,
        steps: &[Step],
        walked: usize,
        key: Option<usize>,
        row: u64,
        bytes: &[u8],
    ) -> StorageResult<()> {
        let width = steps.len();
        debug_assert!(walked <= width);
        let bitmap_len = width.div_ceil(8);
        let Some(bitmap) = bytes.get(..bitmap_len) else {
            return Err(invalid("row payload is shorter than its null bitmap"));
        };
        // Two copies of the walk: a bitmap of one word tested by shifts (rows of up to 64
        // columns), and a wider one tested byte by byte.
        if bitmap_len <= 8 {
            let nulls = null_word(bitmap);
            self.decode_columns(steps, walked, key, row, bytes, |column| {
                nulls & (1u64 << column) != 0
            })?;
        } else {
            self.decode_columns(steps, walked, key, row, bytes, |column| {
                bitmap[column / 8] & (1 << (column % 8)) != 0
            })?;
        }
        self.row_ids.push(row);
        Ok(())
    }

    /// Ends every vector at the rows pushed: run once the batch is filled (or failed).
    pub(crate) fn finish(&mut self) {
        let rows = self.row_ids.len();
        for vector in &mut self.vectors {
            debug_assert!(rows <= vector.kinds.len());
            vector.len = rows.min(vector.kinds.len());
        }
    }

    /// `push_row`'s decode past the null bitmap, `is_null(column)` reading it.
    #[inline(always)]
    fn decode_columns(
        &mut self,
        steps: &[Step],
        walked: usize,
        key: Option<usize>,
        row: u64,
        bytes: &[u8],
        is_null: impl Fn(usize) -> bool,
    ) -> StorageResult<()> {
        let width = steps.len();
        let bitmap_len = width.div_ceil(8);
        let at = self.row_ids.len();
        let mut reader = Reader::at(bytes, bitmap_len);
        let mut vectors = self.vectors.iter_mut();
        for (column, &step) in steps[..walked].iter().enumerate() {
            if !step.decodes() {
                if !is_null(column) && reader.skip(step).is_none() {
                    return Err(reader.into_error());
                }
                continue;
            }
            let Some(vector) = vectors.next() else {
                return Err(invalid("column batch made for other rows"));
            };
            let (kind, word) = if is_null(column) {
                if key == Some(column) && row < FIRST_ROW_ID_NOT_A_KEY {
                    (Kind::Integer, row)
                } else {
                    (Kind::Null, 0)
                }
            } else {
                let value = match step {
                    Step::Integer => reader
                        .integer()
                        .map(|integer| (Kind::Integer, integer as u64)),
                    Step::Real => reader.real().map(|real| (Kind::Real, real.to_bits())),
                    _ => reader.scalar(step).map(|value| vector.kind_and_word(value)),
                };
                match value {
                    Some(value) => value,
                    None => return Err(reader.into_error()),
                }
            };
            vector.set(at, kind, word);
        }
        if walked == width && reader.position() != bytes.len() {
            return Err(invalid("row payload has trailing bytes"));
        }
        Ok(())
    }
}

#[cfg(test)]
#[path = "column_batch_tests.rs"]
mod tests;
