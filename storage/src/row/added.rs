//! Rows of tables that grew columns (ALTER TABLE ADD COLUMN) without rewriting their rows.
//! The columns a table had before its first ADD COLUMN (its *base* columns) keep the plain
//! format; each added column follows as a marker byte (0: NULL, 1: a value follows, encoded
//! as in the plain format) and its value. A row written before a column was added simply
//! stops there: a payload that ends at an added column's marker reads that column, and every
//! later one, as the value the column was added with (its DEFAULT).
//!
//! ```text
//! [null bitmap of the base columns][base columns][0|1 value][0|1 value]...   (may stop
//!                                                                  before any marker)
//! ```
//! Every added column a row has takes at least its marker byte, so where a payload ends says
//! how many columns it holds: no payload is ambiguous. A table that never grew (`added` is
//! empty) has the plain format only, and its rows pay nothing for this.

use std::borrow::Borrow;

use crate::error::StorageResult;
use crate::mvcc::TableSchema;
use crate::value::{DataType, Value};

use super::{
    check_row_bytes, encode_column, encode_leaving_out, fill_left_out_key, invalid, RowDecoder,
    NO_COLUMN,
};

/// Marker of an added column holding NULL.
pub(crate) const ADDED_NULL: u8 = 0;
/// Marker of an added column holding a value, which follows.
pub(crate) const ADDED_VALUE: u8 = 1;

/// Encodes a full row of a table whose last `added` columns were added after its base ones.
pub fn encode_with_added<V: Borrow<Value>>(
    types: &[DataType],
    added: usize,
    values: &[V],
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    encode_with_added_leaving_out(types, added, values, NO_COLUMN, out)
}

/// `encode_with_added` that writes base column `left_out` as NULL (see `encode_leaving_out`).
fn encode_with_added_leaving_out<V: Borrow<Value>>(
    types: &[DataType],
    added: usize,
    values: &[V],
    left_out: usize,
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    if types.len() != values.len() || added > types.len() {
        return Err(invalid(format!(
            "row has {} values but the table has {} columns",
            values.len(),
            types.len()
        )));
    }
    let base = types.len() - added;
    encode_leaving_out(&types[..base], &values[..base], left_out, out)?;
    for (&column_type, value) in types[base..].iter().zip(&values[base..]) {
        let value = value.borrow();
        if value.is_null() {
            out.push(ADDED_NULL);
        } else {
            out.push(ADDED_VALUE);
            encode_column(column_type, value, out)?;
        }
    }
    check_row_bytes(out.len())
}

impl TableSchema {
    /// Columns the table had before its first ADD COLUMN (all of them if it never grew).
    pub fn base_width(&self) -> usize {
        self.types.len() - self.added.len()
    }

    /// This schema with one more column of `column_type`, which rows written before it read
    /// as `missing` (`Value::Null` or a value of that type).
    pub fn with_added_column(&self, column_type: DataType, missing: Value) -> TableSchema {
        let mut next = self.clone();
        next.types.push(column_type);
        next.added.push(missing);
        next
    }

    /// A decoder for this table's rows that decodes the columns `wanted` marks (every column
    /// when `None`).
    pub fn decoder(&self, wanted: Option<&[bool]>) -> RowDecoder {
        RowDecoder::with_added(&self.types, wanted, &self.added)
            .for_clustered_key(self.integer_key_column())
    }

    /// Encodes a row of this table into `out`, replacing its contents. `key_left_out`: the
    /// row goes where its row id is its key (a clustered table's direct row,
    /// `mvcc/clustered.rs`), so its key column is written as NULL and decoders put the row
    /// id back; ignored for other tables.
    #[inline]
    pub fn encode_into<V: Borrow<Value>>(
        &self,
        values: &[V],
        key_left_out: bool,
        out: &mut Vec<u8>,
    ) -> StorageResult<()> {
        let left_out = if key_left_out {
            self.integer_key_column().unwrap_or(NO_COLUMN)
        } else {
            NO_COLUMN
        };
        if self.added.is_empty() {
            encode_leaving_out(&self.types, values, left_out, out)
        } else {
            encode_with_added_leaving_out(&self.types, self.added.len(), values, left_out, out)
        }
    }

    /// Decodes a whole row of this table (row id `row`) into `values`, replacing its
    /// contents.
    pub fn decode_into(
        &self,
        row: u64,
        bytes: &[u8],
        values: &mut Vec<Value>,
    ) -> StorageResult<()> {
        self.decode_columns_into(row, bytes, None, values)
    }

    /// Decodes a whole row of this table (row id `row`).
    pub fn decode(&self, row: u64, bytes: &[u8]) -> StorageResult<Vec<Value>> {
        let mut values = Vec::with_capacity(self.types.len());
        self.decode_into(row, bytes, &mut values)?;
        Ok(values)
    }

    /// `row::decode_columns_into` for this table's rows (row id `row`: a clustered table's
    /// key left out of the payload reads it).
    pub fn decode_columns_into(
        &self,
        row: u64,
        bytes: &[u8],
        wanted: Option<&[bool]>,
        values: &mut Vec<Value>,
    ) -> StorageResult<()> {
        if !self.added.is_empty() {
            return self.decoder(wanted).decode_into(row, bytes, values);
        }
        super::decode_columns_into(&self.types, bytes, wanted, values)?;
        if let Some(key) = self.integer_key_column() {
            if super::is_wanted(wanted, key) {
                fill_left_out_key(key, row, values);
            }
        }
        Ok(())
    }

    /// `decode_columns_into` of the `wanted` columns that reads no further into the payload
    /// than the last of them (`row::decode_wanted_prefix_into`; a table that grew columns
    /// decodes as `decode_columns_into` does).
    pub fn decode_wanted_prefix_into(
        &self,
        row: u64,
        bytes: &[u8],
        wanted: &[bool],
        values: &mut Vec<Value>,
    ) -> StorageResult<()> {
        if !self.added.is_empty() {
            return self.decode_columns_into(row, bytes, Some(wanted), values);
        }
        super::decode_wanted_prefix_into(&self.types, bytes, wanted, values)?;
        if let Some(key) = self.integer_key_column() {
            if super::is_wanted(Some(wanted), key) {
                fill_left_out_key(key, row, values);
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(value: i64) -> Value {
        Value::Integer(value)
    }

    fn text(value: &str) -> Value {
        Value::Text(value.to_string())
    }

    fn grown() -> TableSchema {
        TableSchema {
            types: vec![DataType::Integer, DataType::Text],
            key_columns: vec![0],
            added: Vec::new(),
        }
        .with_added_column(DataType::Integer, Value::Integer(7))
        .with_added_column(DataType::Text, Value::Null)
    }

    #[test]
    fn rows_written_before_a_column_was_added_read_its_missing_value() {
        let schema = grown();
        let old = super::super::encode(&schema.types[..2], &[int(1), text("a")]).unwrap();
        assert_eq!(
            schema.decode(0, &old).unwrap(),
            vec![int(1), text("a"), Value::Integer(7), Value::Null]
        );
        // Written when only the first column had been added.
        let mut middle = Vec::new();
        encode_with_added(
            &schema.types[..3],
            1,
            &[int(2), Value::Null, int(9)],
            &mut middle,
        )
        .unwrap();
        assert_eq!(
            schema.decode(0, &middle).unwrap(),
            vec![int(2), Value::Null, int(9), Value::Null]
        );
    }

    #[test]
    fn full_rows_round_trip_with_nulls_and_values_in_added_columns() {
        let schema = grown();
        for row in [
            vec![int(1), text("x"), Value::Null, text("t")],
            vec![int(2), Value::Null, int(5), Value::Null],
        ] {
            let mut bytes = Vec::new();
            schema.encode_into(&row, false, &mut bytes).unwrap();
            assert_eq!(schema.decode(0, &bytes).unwrap(), row);
            // An explicit NULL is not the missing value.
            assert_ne!(bytes.len(), 0);
        }
    }

    #[test]
    fn masked_decoding_reads_unwanted_columns_as_null() {
        let schema = grown();
        let old = super::super::encode(&schema.types[..2], &[int(1), text("a")]).unwrap();
        let mut values = Vec::new();
        let wanted = [false, true, false, false];
        schema
            .decode_columns_into(0, &old, Some(&wanted), &mut values)
            .unwrap();
        assert_eq!(
            values,
            vec![Value::Null, text("a"), Value::Null, Value::Null]
        );
        let wanted = [false, false, true, false];
        schema
            .decode_columns_into(0, &old, Some(&wanted), &mut values)
            .unwrap();
        assert_eq!(values, vec![Value::Null, Value::Null, int(7), Value::Null]);
    }

    #[test]
    fn damaged_payloads_are_errors() {
        let schema = grown();
        let mut bytes = Vec::new();
        schema
            .encode_into(&[int(1), text("x"), int(3), text("t")], false, &mut bytes)
            .unwrap();
        let mut bad_marker = bytes.clone();
        let base_len = super::super::encode(&schema.types[..2], &[int(1), text("x")])
            .unwrap()
            .len();
        bad_marker[base_len] = 9;
        assert!(schema.decode(0, &bad_marker).is_err());
        let mut trailing = bytes.clone();
        trailing.push(0);
        assert!(schema.decode(0, &trailing).is_err());
        // Cut inside an added column's value (after its marker).
        assert!(schema.decode(0, &bytes[..bytes.len() - 1]).is_err());
        assert!(encode_with_added(&schema.types, 2, &[Value::Null], &mut bytes).is_err());
    }
}
