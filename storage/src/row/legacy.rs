//! Payloads in the row format of files written before the compact REAL encoding (`real.rs`):
//! snapshot formats 1 and 2 and WAL segments `EMBRWAL1`/`EMBRWAL2` hold every REAL (a REAL
//! column's, or an `Any` column's after its tag) as 8 bytes little-endian; every other
//! column is encoded as today. Recovery and backup loading name the format of what they read
//! (`RowFormat`), and `upgrade_fixed_reals` rewrites such a payload into the current format
//! (each REAL re-encoded, every other byte copied) before it is decoded. The old bytes are
//! untrusted: a malformed payload is an `InvalidData` error, never a panic.

use crate::error::StorageResult;
use crate::mvcc::TableSchema;
use crate::row_splice::column_end;
use crate::value::{DataType, Value};

use super::added::{ADDED_NULL, ADDED_VALUE};
use super::invalid;
use super::real::encode_real;

/// How the payloads of a file encode REALs, and how they typed a column declared `BLOB`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RowFormat {
    /// Every REAL as 8 bytes little-endian (snapshot formats 1-2, WAL `EMBRWAL1`/`EMBRWAL2`);
    /// columns declared `BLOB` typed `Blob`, as in `BlobTypedColumns`.
    FixedReals,
    /// Compact REALs, but a column declared `BLOB`, `BYTEA` or `BINARY` was a `Blob` column
    /// (bytes with no type tag), where today it is an `Any` column (snapshot format 3, WAL
    /// `EMBRWAL3`). The reader decodes such payloads with the types of that time.
    BlobTypedColumns,
    /// The current row format (`real.rs`).
    #[default]
    Current,
}

impl RowFormat {
    /// Whether the payloads typed a column declared `BLOB` (`BYTEA`, `BINARY`) `Blob`, so
    /// that they decode with those column types rather than the table's current ones.
    pub fn types_declared_blob_as_blob(self) -> bool {
        self != RowFormat::Current
    }
}

/// Rewrites `old`, a payload of a table of `types` whose last `added` columns were added
/// after the others (`added.rs`), from `RowFormat::FixedReals` into the current format in
/// `out` (replacing its contents).
pub fn upgrade_fixed_reals(
    types: &[DataType],
    added: usize,
    old: &[u8],
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    debug_assert!(added <= types.len());
    let base = types.len() - added;
    let bitmap_len = base.div_ceil(8);
    let Some(bitmap) = old.get(..bitmap_len) else {
        return Err(invalid("row payload is shorter than its null bitmap"));
    };
    out.clear();
    out.extend_from_slice(bitmap);
    let mut position = bitmap_len;
    for (column, &column_type) in types[..base].iter().enumerate() {
        if bitmap[column / 8] & (1 << (column % 8)) == 0 {
            position = upgrade_column(column_type, old, position, out)?;
        }
    }
    for &column_type in &types[base..] {
        // A row written before this column was added stops here.
        let Some(&marker) = old.get(position) else {
            break;
        };
        out.push(marker);
        position += 1;
        match marker {
            ADDED_NULL => {}
            ADDED_VALUE => position = upgrade_column(column_type, old, position, out)?,
            other => {
                return Err(invalid(format!(
                    "invalid added-column marker {other} in row"
                )))
            }
        }
    }
    if position != old.len() {
        return Err(invalid("row payload has trailing bytes"));
    }
    super::check_row_bytes(out.len())
}

/// Rewrites the non-NULL column of `column_type` that starts at `position` in `old` into
/// `out`; returns where it ends in `old`.
fn upgrade_column(
    column_type: DataType,
    old: &[u8],
    mut position: usize,
    out: &mut Vec<u8>,
) -> StorageResult<usize> {
    let truncated = || invalid("row payload truncated or malformed");
    let value_type = if column_type == DataType::Any {
        let &tag = old.get(position).ok_or_else(truncated)?;
        match DataType::from_tag(tag) {
            Some(value_type) if value_type != DataType::Any => {
                out.push(tag);
                position += 1;
                value_type
            }
            _ => return Err(invalid(format!("unknown value tag {tag} in row payload"))),
        }
    } else {
        column_type
    };
    if value_type == DataType::Real {
        let Some(bytes) = old.get(position..).and_then(|rest| rest.first_chunk::<8>()) else {
            return Err(truncated());
        };
        encode_real(f64::from_le_bytes(*bytes), out);
        return Ok(position + 8);
    }
    let end = column_end(value_type, old, position).ok_or_else(truncated)?;
    out.extend_from_slice(&old[position..end]);
    Ok(end)
}

impl TableSchema {
    /// Decodes a whole row of this table stored in `format` (a snapshot's or a WAL
    /// segment's; see `RowFormat`).
    pub fn decode_stored(
        &self,
        row: u64,
        bytes: &[u8],
        format: RowFormat,
    ) -> StorageResult<Vec<Value>> {
        match format {
            RowFormat::Current | RowFormat::BlobTypedColumns => self.decode(row, bytes),
            RowFormat::FixedReals => {
                let mut upgraded = Vec::with_capacity(bytes.len());
                upgrade_fixed_reals(&self.types, self.added.len(), bytes, &mut upgraded)?;
                self.decode(row, &upgraded)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{encode, write_varint};

    /// The row encoder as it was before the compact REAL encoding (REALs 8 bytes little-endian),
    /// written out here so the test does not depend on today's encoder for the old bytes.
    fn encode_fixed_reals(types: &[DataType], added: usize, values: &[Value]) -> Vec<u8> {
        fn value_bytes(value: &Value, out: &mut Vec<u8>) {
            match value {
                Value::Integer(i) => write_varint(((i << 1) ^ (i >> 63)) as u64, out),
                Value::Real(r) => out.extend_from_slice(&r.to_le_bytes()),
                Value::Boolean(b) => out.push(u8::from(*b)),
                Value::Text(text) => {
                    write_varint(text.len() as u64, out);
                    out.extend_from_slice(text.as_bytes());
                }
                Value::Blob(blob) => {
                    write_varint(blob.len() as u64, out);
                    out.extend_from_slice(blob);
                }
                Value::Null => unreachable!("NULLs live in the bitmap"),
            }
        }
        fn column(column_type: DataType, value: &Value, out: &mut Vec<u8>) {
            if column_type == DataType::Any {
                out.push(value.data_type().expect("not NULL").tag());
            }
            value_bytes(value, out);
        }
        let base = types.len() - added;
        let mut out = vec![0u8; base.div_ceil(8)];
        for (index, value) in values[..base].iter().enumerate() {
            if value.is_null() {
                out[index / 8] |= 1 << (index % 8);
            } else {
                column(types[index], value, &mut out);
            }
        }
        for (&column_type, value) in types[base..].iter().zip(&values[base..]) {
            if value.is_null() {
                out.push(ADDED_NULL);
            } else {
                out.push(ADDED_VALUE);
                column(column_type, value, &mut out);
            }
        }
        out
    }

    fn same_bits(left: &[Value], right: &[Value]) -> bool {
        left.len() == right.len()
            && left.iter().zip(right).all(|pair| match pair {
                (Value::Real(a), Value::Real(b)) => a.to_bits() == b.to_bits(),
                (a, b) => a == b,
            })
    }

    fn schema(types: Vec<DataType>, added: Vec<Value>) -> TableSchema {
        TableSchema {
            types,
            key_columns: vec![0],
            added,
        }
    }

    #[test]
    fn old_payloads_of_every_real_read_back_bit_for_bit() {
        let table = schema(
            vec![
                DataType::Integer,
                DataType::Real,
                DataType::Text,
                DataType::Any,
                DataType::Real,
                DataType::Any,
            ],
            vec![Value::Real(0.5), Value::Integer(3)],
        );
        let mut rng = fastrand::Rng::with_seed(11);
        let mut reals: Vec<f64> = [
            0.0,
            -0.0,
            1.5,
            228.0,
            499.5,
            0.1,
            1e20,
            f64::INFINITY,
            f64::NEG_INFINITY,
            f64::NAN,
            f64::from_bits(1),
            f64::from_bits(0x7FF0_0000_0000_0001),
            f64::from_bits(0xFFF8_0000_0000_1234),
            (1u64 << 53) as f64,
            -((1u64 << 53) as f64),
        ]
        .to_vec();
        reals.extend((0..2000).map(|_| f64::from_bits(rng.u64(..))));
        let mut upgraded = Vec::new();
        for (index, &real) in reals.iter().enumerate() {
            let other = reals[(index * 7 + 3) % reals.len()];
            let row = vec![
                Value::Integer(index as i64),
                Value::Real(real),
                Value::Text(format!("row {index}")),
                if index % 3 == 0 {
                    Value::Text("any".into())
                } else {
                    Value::Real(other)
                },
                if index % 5 == 0 {
                    Value::Null
                } else {
                    Value::Real(-other)
                },
                Value::Real(real),
            ];
            let old = encode_fixed_reals(&table.types, 2, &row);
            let decoded = table.decode_stored(0, &old, RowFormat::FixedReals).unwrap();
            assert!(same_bits(&decoded, &row), "{decoded:?} != {row:?}");
            // The upgraded payload is exactly what today's encoder writes.
            upgrade_fixed_reals(&table.types, 2, &old, &mut upgraded).unwrap();
            let mut current = Vec::new();
            table.encode_into(&row, false, &mut current).unwrap();
            assert_eq!(upgraded, current);
            // Written before the columns were added: the payload stops after the base ones.
            let before = encode_fixed_reals(&table.types[..4], 0, &row[..4]);
            let decoded = table
                .decode_stored(0, &before, RowFormat::FixedReals)
                .unwrap();
            let mut expected = row[..4].to_vec();
            expected.extend(table.added.iter().cloned());
            assert!(same_bits(&decoded, &expected), "{decoded:?}");
        }
    }

    #[test]
    fn the_documented_old_row_reads_back() {
        // docs/architecture.md "Memory per row": row 123456 of M1 as main stored it before
        // the compact REAL encoding.
        let mut old = vec![0x00, 0x80, 0x89, 0x0f, 0x0a];
        old.extend_from_slice(b"user123456");
        old.push(0x16);
        old.extend_from_slice(b"user123456@example.com");
        old.push(0x3c);
        old.extend_from_slice(&[0x00, 0x00, 0x00, 0x00, 0x00, 0x80, 0x6c, 0x40]);
        let table = schema(
            vec![
                DataType::Integer,
                DataType::Text,
                DataType::Text,
                DataType::Integer,
                DataType::Real,
            ],
            Vec::new(),
        );
        let row = vec![
            Value::Integer(123_456),
            Value::Text("user123456".into()),
            Value::Text("user123456@example.com".into()),
            Value::Integer(30),
            Value::Real(228.0),
        ];
        assert_eq!(
            table.decode_stored(0, &old, RowFormat::FixedReals).unwrap(),
            row
        );
        // 228.0 now takes 3 bytes instead of 8 (the picture in docs/architecture.md).
        let current = encode(&table.types, &row).unwrap();
        assert_eq!(current.len(), old.len() - 5);
        assert_eq!(current[..old.len() - 8], old[..old.len() - 8]);
        assert_eq!(current[old.len() - 8..], [0x7f, 0x01, 0x39]);
        // The same bytes read as the current format are not that row.
        assert_ne!(table.decode(0, &old).ok(), Some(row));
    }

    #[test]
    fn damaged_old_payloads_are_errors_not_panics() {
        let table = schema(
            vec![DataType::Real, DataType::Any, DataType::Text],
            vec![Value::Null],
        );
        let row = [Value::Real(0.1), Value::Real(2.0), Value::Text("t".into())];
        let old = encode_fixed_reals(&table.types, 1, &row);
        for cut in 0..old.len() {
            // A cut just before the added column's marker is a row written before it.
            let result = table.decode_stored(0, &old[..cut], RowFormat::FixedReals);
            assert_eq!(result.is_ok(), cut == old.len() - 3, "cut at {cut}");
        }
        for bit in 0..old.len() * 8 {
            let mut damaged = old.clone();
            damaged[bit / 8] ^= 1 << (bit % 8);
            let _ = table.decode_stored(0, &damaged, RowFormat::FixedReals);
        }
        let mut bad_tag = old.clone();
        bad_tag[9] = 0xee;
        assert!(table
            .decode_stored(0, &bad_tag, RowFormat::FixedReals)
            .is_err());
    }
}
