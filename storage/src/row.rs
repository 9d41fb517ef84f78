//! Compact row codec: a null bitmap, then each non-null column in declared order. Integers are
//! zigzag varints, reals 8 bytes little-endian, booleans 1 byte, text and blobs a varint
//! length then the bytes; an `Any` column prefixes its value with the value's type tag.
//!
//! ```text
//! [null bitmap: ceil(n/8) bytes][col 0][col 2]...   (NULL columns take no bytes)
//! ```
//! Decoding treats the bytes as untrusted: every length is checked against the bytes left
//! before anything is allocated, and a malformed payload is an `InvalidData` error.

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::limits::{ROW_BYTES_MAX, VALUE_BYTES_MAX};
use crate::value::{DataType, Value};

/// Encodes `values` (already coerced to `types`) into `out`, replacing its contents.
pub fn encode_into(types: &[DataType], values: &[Value], out: &mut Vec<u8>) -> StorageResult<()> {
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
        if value.is_null() {
            out[index / 8] |= 1 << (index % 8);
            continue;
        }
        if *column_type == DataType::Any {
            let value_type = value.data_type().expect("non-null value has a type");
            out.push(value_type.tag());
            encode_value(value_type, value, out)?;
        } else {
            encode_value(*column_type, value, out)?;
        }
    }
    if out.len() > ROW_BYTES_MAX {
        return Err(StorageError::new(
            StorageErrorKind::Limit,
            format!(
                "row of {} bytes exceeds the limit of {ROW_BYTES_MAX} bytes",
                out.len()
            ),
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
        (DataType::Real, Value::Real(r)) => out.extend_from_slice(&r.to_le_bytes()),
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

/// Decodes the columns `wanted` marks (every column when `None`) into `values`, replacing its
/// contents; the other columns read as NULL and are only skipped over (no allocation, no
/// UTF-8 check), though their lengths are still checked. A `wanted` shorter than the row
/// leaves the columns past its end undecoded.
pub fn decode_columns_into(
    types: &[DataType],
    bytes: &[u8],
    wanted: Option<&[bool]>,
    values: &mut Vec<Value>,
) -> StorageResult<()> {
    values.clear();
    values.reserve(types.len());
    let bitmap_len = types.len().div_ceil(8);
    let Some(bitmap) = bytes.get(..bitmap_len) else {
        return Err(invalid("row payload is shorter than its null bitmap"));
    };
    let mut reader = Reader {
        bytes,
        position: bitmap_len,
    };
    for (index, column_type) in types.iter().enumerate() {
        if bitmap[index / 8] & (1 << (index % 8)) != 0 {
            values.push(Value::Null);
            continue;
        }
        let value_type = if *column_type == DataType::Any {
            let tag = reader.byte()?;
            match DataType::from_tag(tag) {
                Some(t) if t != DataType::Any => t,
                _ => return Err(invalid(format!("unknown value tag {tag} in row payload"))),
            }
        } else {
            *column_type
        };
        match wanted {
            Some(wanted) if !wanted.get(index).copied().unwrap_or(false) => {
                reader.skip(value_type)?;
                values.push(Value::Null);
            }
            _ => values.push(reader.value(value_type)?),
        }
    }
    if reader.position != bytes.len() {
        return Err(invalid("row payload has trailing bytes"));
    }
    Ok(())
}

struct Reader<'a> {
    bytes: &'a [u8],
    position: usize,
}

impl Reader<'_> {
    #[inline]
    fn byte(&mut self) -> StorageResult<u8> {
        let byte = *self
            .bytes
            .get(self.position)
            .ok_or_else(|| invalid("row payload truncated"))?;
        self.position += 1;
        Ok(byte)
    }

    #[inline]
    fn take(&mut self, len: usize) -> StorageResult<&[u8]> {
        let end = self
            .position
            .checked_add(len)
            .filter(|end| *end <= self.bytes.len());
        let end = end.ok_or_else(|| invalid("row payload truncated"))?;
        let slice = &self.bytes[self.position..end];
        self.position = end;
        Ok(slice)
    }

    #[inline]
    fn varint(&mut self) -> StorageResult<u64> {
        // One byte holds 0..=127: most lengths and small integers.
        if let Some(&byte) = self.bytes.get(self.position) {
            if byte & 0x80 == 0 {
                self.position += 1;
                return Ok(u64::from(byte));
            }
        }
        self.varint_long()
    }

    fn varint_long(&mut self) -> StorageResult<u64> {
        let mut result: u64 = 0;
        for shift in (0..64).step_by(7) {
            let byte = self.byte()?;
            result |= u64::from(byte & 0x7f) << shift;
            if byte & 0x80 == 0 {
                return Ok(result);
            }
        }
        Err(invalid("overlong varint in row payload"))
    }

    fn value(&mut self, value_type: DataType) -> StorageResult<Value> {
        Ok(match value_type {
            DataType::Integer => Value::Integer(unzigzag(self.varint()?)),
            DataType::Real => {
                let bytes: [u8; 8] = self.take(8)?.try_into().expect("took 8 bytes");
                Value::Real(f64::from_le_bytes(bytes))
            }
            DataType::Boolean => match self.byte()? {
                0 => Value::Boolean(false),
                1 => Value::Boolean(true),
                other => return Err(invalid(format!("invalid boolean byte {other}"))),
            },
            DataType::Text => {
                let len = self.length()?;
                let bytes = self.take(len)?;
                let text = std::str::from_utf8(bytes)
                    .map_err(|_| invalid("text value in row payload is not UTF-8"))?;
                Value::Text(text.to_string())
            }
            DataType::Blob => {
                let len = self.length()?;
                Value::Blob(self.take(len)?.to_vec())
            }
            DataType::Any => return Err(invalid("nested ANY value in row payload")),
        })
    }

    /// Steps over one encoded value of `value_type` without materializing it.
    #[inline]
    fn skip(&mut self, value_type: DataType) -> StorageResult<()> {
        match value_type {
            DataType::Integer => {
                self.varint()?;
            }
            DataType::Real => {
                self.take(8)?;
            }
            DataType::Boolean => {
                self.byte()?;
            }
            DataType::Text | DataType::Blob => {
                let len = self.length()?;
                self.take(len)?;
            }
            DataType::Any => return Err(invalid("nested ANY value in row payload")),
        }
        Ok(())
    }

    #[inline]
    fn length(&mut self) -> StorageResult<usize> {
        let len = self.varint()?;
        let remaining = (self.bytes.len() - self.position) as u64;
        if len > remaining {
            return Err(invalid(format!(
                "length {len} passes the {remaining} bytes left in row"
            )));
        }
        Ok(len as usize)
    }
}

pub(crate) fn invalid(message: impl Into<String>) -> StorageError {
    StorageError::new(StorageErrorKind::InvalidData, message)
}

fn zigzag(value: i64) -> u64 {
    ((value << 1) ^ (value >> 63)) as u64
}

fn unzigzag(value: u64) -> i64 {
    ((value >> 1) as i64) ^ -((value & 1) as i64)
}

/// Appends `value` as a LEB128 varint.
pub fn write_varint(mut value: u64, out: &mut Vec<u8>) {
    while value >= 0x80 {
        out.push((value as u8) | 0x80);
        value >>= 7;
    }
    out.push(value as u8);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn all_types() -> Vec<DataType> {
        vec![
            DataType::Integer,
            DataType::Real,
            DataType::Text,
            DataType::Boolean,
            DataType::Blob,
            DataType::Any,
        ]
    }

    #[test]
    fn round_trips_every_type_and_nulls() {
        let types = all_types();
        let rows = vec![
            vec![
                Value::Integer(-5),
                Value::Real(2.5),
                Value::Text("héllo".into()),
                Value::Boolean(true),
                Value::Blob(vec![0, 1, 255]),
                Value::Text("any".into()),
            ],
            vec![Value::Null; 6],
            vec![
                Value::Integer(i64::MIN),
                Value::Null,
                Value::Text(String::new()),
                Value::Boolean(false),
                Value::Null,
                Value::Integer(i64::MAX),
            ],
        ];
        for row in rows {
            let bytes = encode(&types, &row).unwrap();
            assert_eq!(decode(&types, &bytes).unwrap(), row);
        }
    }

    #[test]
    fn small_integers_are_compact() {
        let bytes = encode(&[DataType::Integer], &[Value::Integer(3)]).unwrap();
        assert_eq!(bytes.len(), 2, "bitmap byte + one varint byte");
    }

    #[test]
    fn wrong_type_is_rejected() {
        let err = encode(&[DataType::Integer], &[Value::Text("x".into())]).unwrap_err();
        assert_eq!(err.kind, StorageErrorKind::InvalidData);
    }

    #[test]
    fn every_truncation_and_corruption_is_an_error_not_a_panic() {
        let types = all_types();
        let row = vec![
            Value::Integer(300),
            Value::Real(1.0),
            Value::Text("abc".into()),
            Value::Boolean(true),
            Value::Blob(vec![9; 20]),
            Value::Real(3.0),
        ];
        let bytes = encode(&types, &row).unwrap();
        for cut in 0..bytes.len() {
            assert!(decode(&types, &bytes[..cut]).is_err(), "cut at {cut}");
        }
        for position in 0..bytes.len() {
            for bit in 0..8 {
                let mut damaged = bytes.clone();
                damaged[position] ^= 1 << bit;
                let _ = decode(&types, &damaged);
            }
        }
        let huge_length = [0u8, 0xff, 0xff, 0xff, 0xff, 0x0f];
        assert!(decode(&[DataType::Text], &huge_length).is_err());
    }

    #[test]
    fn projected_decode_reads_only_wanted_columns() {
        let types = all_types();
        let row = vec![
            Value::Integer(300),
            Value::Real(1.5),
            Value::Text("abc".into()),
            Value::Null,
            Value::Blob(vec![9; 20]),
            Value::Text("any".into()),
        ];
        let bytes = encode(&types, &row).unwrap();
        let mut out = Vec::new();
        for mask in 0u32..64 {
            let wanted: Vec<bool> = (0..6).map(|i| mask & (1 << i) != 0).collect();
            decode_columns_into(&types, &bytes, Some(&wanted), &mut out).unwrap();
            let expected: Vec<Value> = row
                .iter()
                .zip(&wanted)
                .map(|(value, &keep)| if keep { value.clone() } else { Value::Null })
                .collect();
            assert_eq!(out, expected, "mask {mask:06b}");
        }
        // A short mask leaves the rest undecoded; truncation is still caught when skipping.
        decode_columns_into(&types, &bytes, Some(&[true]), &mut out).unwrap();
        assert_eq!(out[0], Value::Integer(300));
        assert!(out[1..].iter().all(Value::is_null));
        for cut in 0..bytes.len() {
            let result = decode_columns_into(&types, &bytes[..cut], Some(&[false; 6]), &mut out);
            assert!(result.is_err(), "cut at {cut}");
        }
    }
}
