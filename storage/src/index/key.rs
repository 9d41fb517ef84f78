//! Index keys: a single integer inline (the common primary key), anything else as encoded
//! bytes. Also the small Fx-style hash used by the hash index.
//!
//! A key column under a collation other than BINARY (a PRIMARY KEY or UNIQUE column with
//! `COLLATE NOCASE` or `RTRIM`) keys its text by the collation-normalized form (ASCII upper
//! case folded to lower case; trailing spaces removed), so texts equal under the collation
//! make one key: hashing and equality follow the collation while the row keeps its text.

use super::key_bytes::KeyBytes;
use super::order_key::KeyCollation;
use crate::row::write_varint;
use crate::value::Value;

/// A key in a hash index.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum IndexKey {
    Int(i64),
    Bytes(KeyBytes),
}

/// The first byte of a text's key part (`encode_key_part`).
const TEXT_TAG: u8 = 3;

/// The first byte of a blob's key part.
const BLOB_TAG: u8 = 4;

const FX_SEED: u64 = 0x51_7c_c1_b7_27_22_0a_95;

/// Fx-style hash of a byte string (fast, not DoS resistant; keys are not attacker-chosen
/// buckets of a server).
pub fn fx_hash_bytes(bytes: &[u8]) -> u64 {
    fx_finish(fx_add(0, bytes) ^ bytes.len() as u64)
}

/// Folds `bytes` into a running Fx hash state: a rotate, xor and multiply per 8 bytes.
pub fn fx_add(mut hash: u64, bytes: &[u8]) -> u64 {
    let mut chunks = bytes.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("chunk of 8"));
        hash = fx_add_word(hash, word);
    }
    for byte in chunks.remainder() {
        hash = fx_add_word(hash, u64::from(*byte));
    }
    hash
}

/// Folds one word into a running Fx hash state: one rotate, xor and multiply (`fx_add`'s
/// step).
#[inline]
pub fn fx_add_word(hash: u64, word: u64) -> u64 {
    (hash.rotate_left(5) ^ word).wrapping_mul(FX_SEED)
}

/// The final mix of an Fx hash state.
#[inline]
pub fn fx_finish(hash: u64) -> u64 {
    // A final avalanche so that the low bits used for bucket selection depend on all bits.
    let mut h = hash;
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h
}

impl IndexKey {
    /// Builds the key for the given column values. `None` if any part is NULL: NULL keys are
    /// never equal to anything, so they are not indexed.
    pub fn from_values<'a>(values: impl IntoIterator<Item = &'a Value>) -> Option<IndexKey> {
        let mut iter = values.into_iter().peekable();
        let first = iter.next()?;
        if iter.peek().is_none() {
            return IndexKey::from_value(first);
        }
        let mut bytes = Vec::new();
        for value in std::iter::once(first).chain(iter) {
            encode_key_part(value, &mut bytes)?;
        }
        Some(IndexKey::Bytes(bytes.into()))
    }

    /// The key of a single-column key value (what `from_values` makes of one value).
    #[inline]
    pub fn from_value(value: &Value) -> Option<IndexKey> {
        // The common single-integer key: no allocation.
        if let Some(int) = inline_int(value) {
            return Some(IndexKey::Int(int));
        }
        match value {
            // NULL has no key (and no buffer is allocated to find that out).
            Value::Null => return None,
            // Texts and blobs: tag, length and bytes, in place when short.
            Value::Text(text) => {
                return Some(IndexKey::Bytes(KeyBytes::tagged(TEXT_TAG, text.as_bytes())))
            }
            Value::Blob(blob) => return Some(IndexKey::Bytes(KeyBytes::tagged(BLOB_TAG, blob))),
            _ => {}
        }
        // Every value whose encoding is the integer one (integers, integral reals,
        // booleans) takes the inline form, so equal values always make equal keys.
        let mut part = Vec::with_capacity(encoded_part_len(value));
        encode_key_part(value, &mut part)?;
        debug_assert_eq!(part.len(), encoded_part_len(value));
        if part[0] == 1 {
            let int = i64::from_le_bytes(part[1..9].try_into().expect("8 bytes"));
            return Some(IndexKey::Int(int));
        }
        Some(IndexKey::Bytes(part.into()))
    }

    /// `from_values` with each part's text normalized under its column's collation
    /// (`collations[i]` for part `i`; a missing one is BINARY).
    pub fn from_values_collated<'a>(
        values: impl IntoIterator<Item = &'a Value>,
        collations: &[KeyCollation],
    ) -> Option<IndexKey> {
        if collations.iter().all(|&c| c == KeyCollation::Binary) {
            return IndexKey::from_values(values);
        }
        let mut iter = values.into_iter().peekable();
        let first = iter.next()?;
        if iter.peek().is_none() {
            return IndexKey::from_value_collated(first, collations[0]);
        }
        let mut bytes = Vec::new();
        for (index, value) in std::iter::once(first).chain(iter).enumerate() {
            let collation = collations
                .get(index)
                .copied()
                .unwrap_or(KeyCollation::Binary);
            encode_key_part(&normalized(value, collation), &mut bytes)?;
        }
        Some(IndexKey::Bytes(bytes.into()))
    }

    /// `from_value` of `value`'s text normalized under `collation`.
    pub fn from_value_collated(value: &Value, collation: KeyCollation) -> Option<IndexKey> {
        IndexKey::from_value(&normalized(value, collation))
    }

    #[inline]
    pub fn hash(&self) -> u64 {
        match self {
            IndexKey::Int(i) => fx_finish((*i as u64).wrapping_mul(FX_SEED)),
            IndexKey::Bytes(bytes) => fx_hash_bytes(bytes),
        }
    }
}

/// The integer a value's key encoding carries when it takes the integer form (integers,
/// integral reals in range, booleans), matching `encode_key_part`.
pub(super) fn inline_int(value: &Value) -> Option<i64> {
    match value {
        Value::Integer(i) => Some(*i),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => Some(*r as i64),
        Value::Boolean(b) => Some(i64::from(*b)),
        _ => None,
    }
}

/// `value` with its text in the collation-normalized form (other values as they are).
pub(super) fn normalized(value: &Value, collation: KeyCollation) -> std::borrow::Cow<'_, Value> {
    use std::borrow::Cow;
    let Value::Text(text) = value else {
        return Cow::Borrowed(value);
    };
    match collation {
        KeyCollation::NoCase if text.bytes().any(|b| b.is_ascii_uppercase()) => {
            Cow::Owned(Value::Text(text.to_ascii_lowercase()))
        }
        KeyCollation::Rtrim if text.ends_with(' ') => {
            Cow::Owned(Value::Text(text.trim_end_matches(' ').to_string()))
        }
        _ => Cow::Borrowed(value),
    }
}

/// The bytes `encode_key_part` writes for `value`: the key's buffer is made at its size
/// (no regrowth, and `into_boxed_slice` keeps it).
fn encoded_part_len(value: &Value) -> usize {
    let with_length = |length: usize| {
        1 + (usize::BITS - (length | 1).leading_zeros()).div_ceil(7) as usize + length
    };
    match value {
        Value::Text(text) => with_length(text.len()),
        Value::Blob(blob) => with_length(blob.len()),
        _ => 9,
    }
}

fn encode_key_part(value: &Value, out: &mut Vec<u8>) -> Option<()> {
    match value {
        Value::Null => return None,
        Value::Integer(i) => {
            out.push(1);
            out.extend_from_slice(&i.to_le_bytes());
        }
        Value::Real(r) => {
            // Integral reals share the integer encoding so 1 and 1.0 find each other in ANY
            // columns, matching SQL equality.
            if r.fract() == 0.0 && r.abs() < 9.0e18 {
                out.push(1);
                out.extend_from_slice(&(*r as i64).to_le_bytes());
            } else {
                out.push(2);
                out.extend_from_slice(&r.to_bits().to_le_bytes());
            }
        }
        Value::Boolean(b) => {
            out.push(1);
            out.extend_from_slice(&i64::from(*b).to_le_bytes());
        }
        Value::Text(s) => {
            out.push(TEXT_TAG);
            write_varint(s.len() as u64, out);
            out.extend_from_slice(s.as_bytes());
        }
        Value::Blob(b) => {
            out.push(BLOB_TAG);
            write_varint(b.len() as u64, out);
            out.extend_from_slice(b);
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A single text or blob key holds exactly the part `encode_key_part` writes, at
    /// lengths on both sides of the in-place limit and of a two-byte length.
    #[test]
    fn text_and_blob_keys_hold_their_encoded_part() {
        for len in [0usize, 1, 19, 20, 21, 22, 127, 128, 300] {
            let text = "x".repeat(len);
            for value in [
                Value::Text(text.clone()),
                Value::Blob(text.clone().into_bytes()),
            ] {
                let mut part = Vec::new();
                encode_key_part(&value, &mut part).expect("not NULL");
                assert_eq!(part.len(), encoded_part_len(&value));
                let key = IndexKey::from_value(&value).expect("not NULL");
                let IndexKey::Bytes(bytes) = &key else {
                    panic!("{value:?} keyed as an integer")
                };
                assert_eq!(bytes.as_slice(), &part[..], "{value:?}");
                assert_eq!(key.hash(), fx_hash_bytes(&part));
            }
        }
    }

    #[test]
    fn single_integer_keys_are_inline() {
        assert_eq!(
            IndexKey::from_values([&Value::Integer(7)]),
            Some(IndexKey::Int(7))
        );
        assert_eq!(IndexKey::from_values([&Value::Null]), None);
        assert_eq!(
            IndexKey::from_values([&Value::Integer(1), &Value::Null]),
            None
        );
    }

    #[test]
    fn equal_numbers_make_equal_keys() {
        let int = IndexKey::from_values([&Value::Integer(3)]);
        assert_eq!(IndexKey::from_values([&Value::Real(3.0)]), int);
        assert_eq!(
            IndexKey::from_values([&Value::Boolean(true)]),
            IndexKey::from_values([&Value::Integer(1)])
        );
        assert_ne!(IndexKey::from_values([&Value::Real(3.5)]), int);
    }

    #[test]
    fn collated_keys_follow_the_collation() {
        let text = |s: &str| Value::Text(s.into());
        let nocase = |s: &str| IndexKey::from_value_collated(&text(s), KeyCollation::NoCase);
        assert_eq!(nocase("ABC"), nocase("abc"));
        assert_eq!(nocase("abc"), IndexKey::from_value(&text("abc")));
        // ASCII only, as SQLite's NOCASE.
        assert_ne!(nocase("\u{c9}"), nocase("\u{e9}"));
        let rtrim = |s: &str| IndexKey::from_value_collated(&text(s), KeyCollation::Rtrim);
        assert_eq!(rtrim("a  "), rtrim("a"));
        assert_ne!(rtrim(" a"), rtrim("a"));
        assert_eq!(
            IndexKey::from_value_collated(&Value::Integer(4), KeyCollation::NoCase),
            Some(IndexKey::Int(4))
        );
        let pair = |a: &str, b: &str| {
            IndexKey::from_values_collated(
                [&text(a), &text(b)],
                &[KeyCollation::NoCase, KeyCollation::Binary],
            )
        };
        assert_eq!(pair("X", "y"), pair("x", "y"));
        assert_ne!(pair("x", "Y"), pair("x", "y"));
        assert_eq!(
            pair("x", "y"),
            IndexKey::from_values([&text("x"), &text("y")])
        );
    }

    #[test]
    fn composite_keys_do_not_collide_on_boundaries() {
        let a = IndexKey::from_values([&Value::Text("ab".into()), &Value::Text("c".into())]);
        let b = IndexKey::from_values([&Value::Text("a".into()), &Value::Text("bc".into())]);
        assert_ne!(a, b);
    }
}
