//! Encoding a row straight into its payload's memory: a length pass, then a write pass into
//! exactly that many bytes, instead of encoding into a buffer and copying the buffer into the
//! slot. Covers the usual rows (at most 64 columns, each NULL or an integer, real, text or
//! blob in a column of that type); `plain_len` says `None` for the rest, which go through
//! `encode_into` (and its error messages). The bytes are the same as `encode_into`'s.

use std::borrow::Borrow;

use crate::limits::VALUE_BYTES_MAX;
use crate::value::{DataType, Value};

use super::zigzag;

/// Columns up to which a row's null bitmap is built in one word.
const PLAIN_COLUMNS_MAX: usize = 64;

/// Bytes of `value` as a LEB128 varint.
#[inline]
fn varint_len(value: u64) -> usize {
    // 1 byte per started group of 7 bits (and 1 for zero).
    let bits = 64 - (value | 1).leading_zeros() as usize;
    bits.div_ceil(7)
}

/// The encoded length of a plain row (see the module comment), or `None` when `encode_into`
/// must encode it.
#[inline]
pub(crate) fn plain_len<V: Borrow<Value>>(types: &[DataType], values: &[V]) -> Option<usize> {
    if types.len() != values.len() || types.len() > PLAIN_COLUMNS_MAX {
        return None;
    }
    let mut len = types.len().div_ceil(8);
    for (column_type, value) in types.iter().zip(values) {
        len += match (column_type, value.borrow()) {
            (_, Value::Null) => 0,
            (DataType::Integer, Value::Integer(int)) => varint_len(zigzag(*int)),
            (DataType::Real, Value::Real(_)) => 8,
            (DataType::Text, Value::Text(text)) if text.len() <= VALUE_BYTES_MAX => {
                varint_len(text.len() as u64) + text.len()
            }
            (DataType::Blob, Value::Blob(blob)) if blob.len() <= VALUE_BYTES_MAX => {
                varint_len(blob.len() as u64) + blob.len()
            }
            _ => return None,
        };
    }
    Some(len)
}

/// A write cursor over raw memory of a known length. Every write checks that it fits, so a
/// wrong length can only stop the program, never write past the memory.
struct RawOut {
    at: *mut u8,
    left: usize,
}

impl RawOut {
    #[inline]
    fn put(&mut self, bytes: &[u8]) {
        assert!(bytes.len() <= self.left, "row encoding overran its length");
        // SAFETY: `at` is valid for `left` more bytes (`encode_plain`'s contract, kept by
        // every write), `bytes` fits, and `bytes` (the caller's values) cannot overlap the
        // fresh memory being written.
        unsafe {
            std::ptr::copy_nonoverlapping(bytes.as_ptr(), self.at, bytes.len());
            self.at = self.at.add(bytes.len());
        }
        self.left -= bytes.len();
    }

    #[inline]
    fn put_byte(&mut self, byte: u8) {
        assert!(self.left > 0, "row encoding overran its length");
        // SAFETY: as in `put`, for one byte.
        unsafe {
            self.at.write(byte);
            self.at = self.at.add(1);
        }
        self.left -= 1;
    }

    #[inline]
    fn put_varint(&mut self, mut value: u64) {
        while value >= 0x80 {
            self.put_byte((value as u8) | 0x80);
            value >>= 7;
        }
        self.put_byte(value as u8);
    }
}

/// Writes a plain row's encoding (the same bytes as `encode_into`'s) into `len` bytes at
/// `out`, where `len` is what `plain_len` returned for the same `types` and `values`.
///
/// # Safety
/// `out` is valid for writes of `len` bytes, and nothing else reads or writes them meanwhile.
pub(crate) unsafe fn encode_plain<V: Borrow<Value>>(
    types: &[DataType],
    values: &[V],
    out: *mut u8,
    len: usize,
) {
    debug_assert_eq!(plain_len(types, values), Some(len));
    let bitmap_len = types.len().div_ceil(8);
    assert!(
        types.len() <= PLAIN_COLUMNS_MAX && bitmap_len <= len,
        "not a plain row of {len} bytes"
    );
    let bitmap_at = out;
    let mut cursor = RawOut {
        // SAFETY: `bitmap_len <= len` (checked above), so this stays inside the memory.
        at: unsafe { out.add(bitmap_len) },
        left: len - bitmap_len,
    };
    let mut nulls = 0u64;
    for (index, (column_type, value)) in types.iter().zip(values).enumerate() {
        match (column_type, value.borrow()) {
            (_, Value::Null) => nulls |= 1 << index,
            (DataType::Integer, Value::Integer(int)) => cursor.put_varint(zigzag(*int)),
            (DataType::Real, Value::Real(real)) => cursor.put(&real.to_le_bytes()),
            (DataType::Text, Value::Text(text)) => {
                cursor.put_varint(text.len() as u64);
                cursor.put(text.as_bytes());
            }
            (DataType::Blob, Value::Blob(blob)) => {
                cursor.put_varint(blob.len() as u64);
                cursor.put(blob);
            }
            _ => panic!("column {index} is not plain: plain_len would have said so"),
        }
    }
    assert_eq!(cursor.left, 0, "row encoding fell short of its length");
    // SAFETY: the bitmap's `bitmap_len` bytes are the first of the memory (`<= len`), and
    // a u64 has at least `bitmap_len` (<= 8) bytes.
    unsafe {
        std::ptr::copy_nonoverlapping(nulls.to_le_bytes().as_ptr(), bitmap_at, bitmap_len);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::row::encode_into;

    fn encode_direct(types: &[DataType], values: &[Value]) -> Option<Vec<u8>> {
        let len = plain_len(types, values)?;
        let mut out = vec![0xAAu8; len + 1];
        // SAFETY: `out` has `len` (+1 guard) bytes of its own.
        unsafe { encode_plain(types, values, out.as_mut_ptr(), len) };
        assert_eq!(out[len], 0xAA, "wrote past the length");
        out.truncate(len);
        Some(out)
    }

    #[test]
    fn varint_lengths_match_the_encoding() {
        let mut out = Vec::new();
        for shift in 0..64 {
            for value in [1u64 << shift, (1u64 << shift) - 1, (1u64 << shift) + 1] {
                out.clear();
                crate::row::write_varint(value, &mut out);
                assert_eq!(varint_len(value), out.len(), "{value}");
            }
        }
        assert_eq!(varint_len(u64::MAX), 10);
        assert_eq!(varint_len(0), 1);
    }

    /// Rows of every plain shape (NULLs anywhere, integers at every varint width, long and
    /// empty texts and blobs, up to 64 columns) encode to exactly `encode_into`'s bytes.
    #[test]
    fn plain_rows_encode_like_encode_into() {
        let mut seed = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let plain = [
            DataType::Integer,
            DataType::Real,
            DataType::Text,
            DataType::Blob,
        ];
        for round in 0..2000 {
            let width = 1 + (next() % if round % 10 == 0 { 64 } else { 9 }) as usize;
            let types: Vec<DataType> = (0..width)
                .map(|_| plain[(next() % 4) as usize])
                .collect();
            let values: Vec<Value> = types
                .iter()
                .map(|column_type| {
                    if next() % 5 == 0 {
                        return Value::Null;
                    }
                    let len = (next() % if next() % 8 == 0 { 400 } else { 20 }) as usize;
                    match column_type {
                        DataType::Integer => Value::Integer((next() >> (next() % 64)) as i64),
                        DataType::Real => Value::Real(f64::from_bits(next())),
                        DataType::Text => Value::Text("é".repeat(len)),
                        _ => Value::Blob(vec![next() as u8; len]),
                    }
                })
                .collect();
            let mut expected = Vec::new();
            encode_into(&types, &values, &mut expected).unwrap();
            assert_eq!(
                encode_direct(&types, &values),
                Some(expected),
                "{types:?} {values:?}"
            );
        }
    }

    #[test]
    fn other_rows_are_left_to_encode_into() {
        let int = [DataType::Integer];
        assert_eq!(plain_len(&int, &[Value::Text("x".into())]), None, "a type error");
        assert_eq!(plain_len(&[DataType::Any], &[Value::Integer(1)]), None);
        assert_eq!(plain_len(&[DataType::Boolean], &[Value::Boolean(true)]), None);
        assert_eq!(plain_len(&int, &[Value::Integer(1), Value::Integer(2)]), None);
        let wide = vec![DataType::Integer; 65];
        assert_eq!(plain_len(&wide, &vec![Value::Null; 65]), None);
        let long = Value::Text("x".repeat(VALUE_BYTES_MAX + 1));
        assert_eq!(plain_len(&[DataType::Text], &[long]), None);
        assert_eq!(encode_direct(&int, &[Value::Null]), Some(vec![1]));
    }
}
