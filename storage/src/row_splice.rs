//! Patching an encoded row: a new row image made from an old one by replacing some columns,
//! without decoding the others. The bytes before, between and after the replaced columns
//! are copied as they are; only the replaced columns are encoded (and their NULL bits set or
//! cleared). An UPDATE that assigns a few columns pays for those columns, not for the row.
//!
//! The old image is treated as untrusted like any payload: every length up to the last
//! replaced column is checked, and a malformed row is an `InvalidData` error. The bytes past
//! the last replaced column are copied unread (a damaged tail stays exactly as damaged).

use crate::error::StorageResult;
use crate::row::{check_row_bytes, encode_column, invalid};
use crate::value::{DataType, Value};

/// Writes into `out` (replacing its contents) the row `old` (encoded for `types`) with each
/// `(column, value)` of `changes` put in. `changes` must name columns in strictly
/// increasing order; values must already have their column's type (or be NULL).
pub fn splice_into(
    types: &[DataType],
    old: &[u8],
    changes: &[(usize, Value)],
    out: &mut Vec<u8>,
) -> StorageResult<()> {
    let ordered = changes.windows(2).all(|pair| pair[0].0 < pair[1].0);
    let in_range = changes
        .last()
        .is_none_or(|(column, _)| *column < types.len());
    if !ordered || !in_range {
        return Err(invalid(format!(
            "row changes must name distinct columns below {} in increasing order",
            types.len()
        )));
    }
    let bitmap_len = types.len().div_ceil(8);
    let Some(bitmap) = old.get(..bitmap_len) else {
        return Err(invalid("row payload is shorter than its null bitmap"));
    };
    let is_null = |column: usize| bitmap[column / 8] & (1 << (column % 8)) != 0;
    out.clear();
    let truncated = || invalid("row payload truncated or malformed");
    // `position`: where the current column starts in `old`. Bytes of `old` before `copied`
    // are in `out` already (or were replaced). The bitmap goes with the bytes before the
    // first replaced column (one copy), so it is in `out` before any of its bits is set.
    let mut position = bitmap_len;
    let mut copied = 0;
    let mut column = 0;
    for (target, value) in changes {
        while column < *target {
            if !is_null(column) {
                position = column_end(types[column], old, position).ok_or_else(truncated)?;
            }
            column += 1;
        }
        let start = position;
        if !is_null(column) {
            position = column_end(types[column], old, position).ok_or_else(truncated)?;
        }
        out.extend_from_slice(&old[copied..start]);
        copied = position;
        let bit = 1u8 << (column % 8);
        if value.is_null() {
            out[column / 8] |= bit;
        } else {
            out[column / 8] &= !bit;
            encode_column(types[column], value, out)?;
        }
        column += 1;
    }
    out.extend_from_slice(&old[copied..]);
    check_row_bytes(out.len())
}

/// Where the non-NULL column of `column_type` that starts at `position` in `row` ends (an
/// `Any` column's type tag included); `None` when it runs past the end or is malformed.
#[inline]
pub(crate) fn column_end(column_type: DataType, row: &[u8], mut position: usize) -> Option<usize> {
    let value_type = if column_type == DataType::Any {
        let tag = *row.get(position)?;
        position += 1;
        match DataType::from_tag(tag)? {
            DataType::Any => return None,
            value_type => value_type,
        }
    } else {
        column_type
    };
    let end = match value_type {
        DataType::Integer => varint(row, position)?.1,
        DataType::Real => crate::row::real_end(row, position)?,
        DataType::Boolean => position + 1,
        DataType::Text | DataType::Blob => {
            let (len, start) = varint(row, position)?;
            start.checked_add(usize::try_from(len).ok()?)?
        }
        DataType::Any => return None,
    };
    (end <= row.len()).then_some(end)
}

/// The LEB128 varint at `position` in `row` and the position after it.
#[inline]
fn varint(row: &[u8], position: usize) -> Option<(u64, usize)> {
    let first = *row.get(position)?;
    if first & 0x80 == 0 {
        return Some((u64::from(first), position + 1));
    }
    let mut value = 0u64;
    for (offset, byte) in row.get(position..)?.iter().take(10).enumerate() {
        value |= u64::from(byte & 0x7f) << (7 * offset);
        if byte & 0x80 == 0 {
            return Some((value, position + offset + 1));
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::{decode, encode};

    fn types() -> Vec<DataType> {
        vec![
            DataType::Integer,
            DataType::Text,
            DataType::Real,
            DataType::Any,
            DataType::Boolean,
            DataType::Blob,
            DataType::Integer,
            DataType::Text,
            DataType::Integer,
        ]
    }

    fn rows() -> Vec<Vec<Value>> {
        vec![
            vec![
                Value::Integer(1),
                Value::Text("ada".into()),
                Value::Real(2.5),
                Value::Text("any".into()),
                Value::Boolean(true),
                Value::Blob(vec![1, 2, 3]),
                Value::Integer(-300),
                Value::Text("x".repeat(200)),
                Value::Integer(9),
            ],
            vec![Value::Null; 9],
            vec![
                Value::Null,
                Value::Text(String::new()),
                Value::Null,
                Value::Integer(i64::MIN),
                Value::Null,
                Value::Blob(Vec::new()),
                Value::Null,
                Value::Null,
                Value::Integer(i64::MAX),
            ],
        ]
    }

    /// A replacement value of each column's type, different from every row's.
    fn replacement(column: usize) -> Value {
        match column {
            0 | 6 | 8 => Value::Integer(1 << 40),
            1 | 7 => Value::Text("replaced".into()),
            2 => Value::Real(-0.125),
            3 => Value::Blob(vec![7; 3]),
            4 => Value::Boolean(false),
            _ => Value::Blob(vec![9; 130]),
        }
    }

    #[test]
    fn splicing_any_column_set_equals_encoding_the_patched_row() {
        let types = types();
        let mut out = Vec::new();
        for row in rows() {
            let old = encode(&types, &row).unwrap();
            // Every subset of columns, replaced by a value and by NULL.
            for mask in 0u32..(1 << types.len()) {
                for null in [false, true] {
                    let changes: Vec<(usize, Value)> = (0..types.len())
                        .filter(|column| mask & (1 << column) != 0)
                        .map(|column| {
                            let value = if null && column % 2 == 0 {
                                Value::Null
                            } else {
                                replacement(column)
                            };
                            (column, value)
                        })
                        .collect();
                    let mut expected = row.clone();
                    for (column, value) in &changes {
                        expected[*column] = value.clone();
                    }
                    splice_into(&types, &old, &changes, &mut out).unwrap();
                    assert_eq!(out, encode(&types, &expected).unwrap(), "mask {mask:09b}");
                    assert_eq!(decode(&types, &out).unwrap(), expected);
                }
            }
        }
    }

    #[test]
    fn bad_changes_and_damaged_rows_are_errors() {
        let types = types();
        let row = &rows()[0];
        let old = encode(&types, row).unwrap();
        let mut out = Vec::new();
        let unordered = [(3, Value::Null), (1, Value::Null)];
        assert!(splice_into(&types, &old, &unordered, &mut out).is_err());
        let repeated = [(1, Value::Null), (1, Value::Null)];
        assert!(splice_into(&types, &old, &repeated, &mut out).is_err());
        let past_end = [(types.len(), Value::Null)];
        assert!(splice_into(&types, &old, &past_end, &mut out).is_err());
        let wrong_type = [(0, Value::Text("one".into()))];
        assert!(splice_into(&types, &old, &wrong_type, &mut out).is_err());
        let last = [(8, Value::Integer(1))];
        for cut in 0..old.len() {
            // The last column is cut off: an error, never a panic.
            assert!(splice_into(&types, &old[..cut], &last, &mut out).is_err());
        }
        for position in 0..old.len() {
            for bit in 0..8 {
                let mut damaged = old.clone();
                damaged[position] ^= 1 << bit;
                let _ = splice_into(&types, &damaged, &last, &mut out);
            }
        }
    }
}
