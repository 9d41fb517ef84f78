//! Copying rows of one table into another whose rows are encoded alike (`Table::encodes_like`:
//! the same column types, added columns, primary key and key collations), without decoding
//! them into values. `Transaction::read_copies` reads a run of the source's visible rows:
//! each payload's bytes as they are, and decoded only the columns the target's primary key
//! and secondary indexes read. `BatchInsert::copies` inserts them with the effect and the
//! errors of `BatchInsert::rows` given the decoded rows: each payload's bytes go into the
//! target's pool as they are, except that the key column of an INTEGER primary key is put in
//! or left out where the row's place in the target asks (a clustered table's direct row
//! leaves it out, `clustered.rs`; `row_splice.rs` patches that one column).
//!
//! An index created on the target while a batch is linked may read a column the batch did
//! not decode: the batch is then undone and its rows inserted again one by one, each decoded
//! whole, as is every row of a batch in which a row fails.

use std::sync::Arc;

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::row::RowDecoder;
use crate::row_splice::splice_into;
use crate::slab::Payload;
use crate::value::Value;

use super::insert_batch::BatchInsert;
use super::table::{visible_in, RowId, Table};
use super::transaction::Transaction;

impl Table {
    /// Whether a payload of `other` decodes in this table exactly as it does in `other`, and
    /// the two key it alike: same column types, added columns, primary-key columns and key
    /// collations.
    pub fn encodes_like(&self, other: &Table) -> bool {
        self.schema() == other.schema() && self.key_collations() == other.key_collations()
    }
}

/// Rows read from one table for copying into another (see the module comment).
pub struct RowCopies {
    /// The payloads read, side by side.
    bytes: Vec<u8>,
    /// Where each payload ends in `bytes`.
    ends: Vec<usize>,
    /// Each row's id in the source (a clustered table's row whose payload leaves its key
    /// out reads it there).
    rows: Vec<RowId>,
    /// `width` values per row held (`held_values`): the columns `decoded` marks, the
    /// others NULL. Past them, the rows of an earlier run, kept so that decoding a row over
    /// one reuses its texts' buffers instead of allocating.
    values: Vec<Value>,
    width: usize,
    decoded: Vec<bool>,
    decoder: RowDecoder,
    /// `width` values a row is decoded in (each row's values trade places with it).
    buffer: Vec<Value>,
}

impl RowCopies {
    /// Copies from `source` into `target`, which must encode alike (`Table::encodes_like`).
    pub fn new(source: &Table, target: &Table) -> StorageResult<RowCopies> {
        if !target.encodes_like(source) {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "rows are copied only between tables that encode them alike",
            ));
        }
        let schema = source.schema();
        let width = schema.types.len();
        let mut decoded = vec![false; width];
        let indexes = target.secondary.load();
        let read = schema.key_columns.iter().chain(
            indexes
                .iter()
                .flat_map(|index| index.source_columns().iter()),
        );
        for &column in read {
            if let Some(marked) = decoded.get_mut(column) {
                *marked = true;
            }
        }
        Ok(RowCopies {
            bytes: Vec::new(),
            ends: Vec::new(),
            rows: Vec::new(),
            values: Vec::new(),
            width,
            decoder: schema.decoder(Some(&decoded)),
            decoded,
            buffer: Vec::with_capacity(width),
        })
    }

    /// Rows held.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// Bytes the held rows take (their buffers' capacity).
    pub fn held_bytes(&self) -> usize {
        self.bytes.capacity()
            + 8 * (self.ends.capacity() + self.rows.capacity())
            + std::mem::size_of::<Value>() * self.values.capacity()
    }

    /// Column `column` of row `row` when it is one the copy decodes (a primary-key or
    /// indexed column); `None` otherwise.
    pub fn decoded_value(&self, row: usize, column: usize) -> Option<&Value> {
        if !self.decoded.get(column).copied().unwrap_or(false) || row >= self.len() {
            return None;
        }
        self.held_values().get(row * self.width + column)
    }

    /// The values of the rows held, `width` a row.
    fn held_values(&self) -> &[Value] {
        &self.values[..self.len() * self.width]
    }

    fn clear(&mut self) {
        self.bytes.clear();
        self.ends.clear();
        self.rows.clear();
    }

    /// The payload of row `at`.
    fn payload(&self, at: usize) -> &[u8] {
        let start = at.checked_sub(1).map_or(0, |before| self.ends[before]);
        &self.bytes[start..self.ends[at]]
    }
}

impl Transaction {
    /// Reads into `copies` (replacing what it held) the rows of `source` this transaction
    /// sees with ids in `rows`, in row id order; returns the next row id to resume from, as
    /// `scan_batch` does.
    pub fn read_copies(
        &self,
        source: &Table,
        rows: std::ops::Range<RowId>,
        copies: &mut RowCopies,
    ) -> StorageResult<RowId> {
        self.note_table_read(source);
        copies.clear();
        let guard = epoch::pin();
        let mut failure = None;
        let resume = source.for_each_slot(rows, &guard, |row, slot| {
            let Some(payload) = visible_in(slot, &self.snapshot, &guard) else {
                return true;
            };
            // The row decodes over the values an earlier run left in its place.
            let width = copies.width;
            let start = copies.rows.len() * width;
            if copies.values.len() < start + width {
                copies.values.resize(start + width, Value::Null);
            }
            let place = &mut copies.values[start..start + width];
            let decoded = if copies.decoder.decodes_in_place() {
                copies.decoder.decode_in_place(row, payload, place)
            } else {
                // A table that grew columns: decoded through a row-wide buffer.
                let buffer = &mut copies.buffer;
                buffer.resize(width, Value::Null);
                buffer.swap_with_slice(place);
                let decoded = copies.decoder.decode_into(row, payload, buffer);
                buffer.swap_with_slice(place);
                decoded
            };
            if let Err(error) = decoded {
                failure = Some(error);
                return false;
            }
            copies.bytes.extend_from_slice(payload);
            copies.ends.push(copies.bytes.len());
            copies.rows.push(row);
            true
        });
        debug_assert!(copies.values.len() >= copies.len() * copies.width);
        match failure {
            Some(error) => Err(error),
            None => Ok(resume),
        }
    }

    /// `insert` of a row whose payload, `bytes`, is encoded for `table` (read from a table
    /// that encodes alike); `values` hold its primary-key and indexed columns.
    fn insert_copy(
        &mut self,
        table: &Arc<Table>,
        bytes: &[u8],
        values: &[Value],
    ) -> StorageResult<RowId> {
        self.insert_made(table, values, &mut |txn, key_left_out| {
            txn.copied_payload(table, bytes, values, key_left_out)
        })
    }

    /// A payload of `table` holding `bytes`, with the INTEGER key column (its value in
    /// `values`) put in or left out as `key_left_out` says.
    fn copied_payload(
        &mut self,
        table: &Table,
        bytes: &[u8],
        values: &[Value],
        key_left_out: bool,
    ) -> StorageResult<Payload> {
        let schema = table.schema();
        let (pool, headroom) = (table.pool(), table.index_headroom_bytes());
        let Some(key) = schema.integer_key_column() else {
            return Payload::new_reserved(pool, &mut self.slots, bytes, headroom);
        };
        let Some(bitmap_byte) = bytes.get(key / 8) else {
            return Err(StorageError::new(
                StorageErrorKind::InvalidData,
                "row payload is shorter than its null bitmap",
            ));
        };
        // A key is never NULL: a payload with the key column NULL left it out.
        let leaves_key_out = bitmap_byte & (1 << (key % 8)) != 0;
        if leaves_key_out == key_left_out {
            return Payload::new_reserved(pool, &mut self.slots, bytes, headroom);
        }
        let value = if key_left_out {
            Value::Null
        } else {
            values[key].clone()
        };
        debug_assert!(key < schema.base_width() && matches!(values[key], Value::Integer(_)));
        let mut spliced = std::mem::take(&mut self.encoded);
        let base_types = &schema.types[..schema.base_width()];
        let payload = splice_into(base_types, bytes, &[(key, value)], &mut spliced)
            .and_then(|()| Payload::new_reserved(pool, &mut self.slots, &spliced, headroom));
        self.encoded = spliced;
        payload
    }
}

impl BatchInsert<'_> {
    /// Inserts the rows `copies` holds (read from a table that encodes as this one does), in
    /// order: the rows, index entries, write log and error of `rows` given the rows decoded.
    /// `inserted` is set to the number of rows in.
    pub fn copies(&mut self, copies: &RowCopies, inserted: &mut usize) -> StorageResult<()> {
        if copies.is_empty() {
            *inserted = 0;
            return Ok(());
        }
        let link = |txn: &mut Transaction, table: &Arc<Table>, at: usize, row: &[Value]| {
            txn.insert_copy(table, copies.payload(at), row)
        };
        let redo = |txn: &mut Transaction, table: &Arc<Table>, at: usize, _: &[Value]| {
            let whole = table.schema().decode(copies.rows[at], copies.payload(at))?;
            txn.insert(table, &whole)
        };
        let rows = (copies.held_values(), copies.width);
        self.insert_each(rows, Some(&copies.decoded), inserted, (link, redo))
    }
}
