//! Whether a row's values make a given index key, decided in place: the check a lookup
//! makes of every row it finds (an entry may be stale), without building the row's key
//! (for a text or composite key, an allocation and a free per row found).

use super::key::{inline_int, normalized, IndexKey};
use super::order_key::KeyCollation;
use crate::value::Value;

impl IndexKey {
    /// Whether `values` (one per key column, in key order) make this key under
    /// `collations` (`collations[i]` for part `i`; a missing one is BINARY), as
    /// `IndexKey::from_values_collated` builds it. No part may be NULL.
    pub fn is_made_of<'a>(
        &self,
        values: impl IntoIterator<Item = &'a Value>,
        collations: &[KeyCollation],
    ) -> bool {
        let collation = |part: usize| {
            collations
                .get(part)
                .copied()
                .unwrap_or(KeyCollation::Binary)
        };
        let mut values = values.into_iter();
        let Some(first) = values.next() else {
            return false;
        };
        let Some(second) = values.next() else {
            // One column: the inline integer form or one encoded part.
            let first = normalized(first, collation(0));
            return match self {
                IndexKey::Int(int) => inline_int(&first) == Some(*int),
                IndexKey::Bytes(bytes) => {
                    inline_int(&first).is_none()
                        && after_part(&first, bytes).is_some_and(<[u8]>::is_empty)
                }
            };
        };
        let IndexKey::Bytes(bytes) = self else {
            return false;
        };
        let mut rest: &[u8] = bytes;
        let parts = [first, second].into_iter().chain(values);
        for (part, value) in parts.enumerate() {
            match after_part(&normalized(value, collation(part)), rest) {
                Some(after) => rest = after,
                None => return false,
            }
        }
        rest.is_empty()
    }
}

/// What follows `value`'s encoded key part (as `encode_key_part` writes it) at the start
/// of `bytes`; `None` when `bytes` does not start with it (or `value` is NULL).
fn after_part<'b>(value: &Value, bytes: &'b [u8]) -> Option<&'b [u8]> {
    let with_word = |tag: u8, word: u64| {
        let (head, rest) = bytes.split_first()?;
        let (word_bytes, rest) = rest.split_first_chunk::<8>()?;
        (*head == tag && *word_bytes == word.to_le_bytes()).then_some(rest)
    };
    let with_bytes = |tag: u8, content: &[u8]| {
        let (head, rest) = bytes.split_first()?;
        if *head != tag {
            return None;
        }
        let mut length = [0u8; 10];
        let length = varint_into(content.len() as u64, &mut length);
        rest.strip_prefix(length)?.strip_prefix(content)
    };
    match value {
        Value::Null => None,
        Value::Text(text) => with_bytes(3, text.as_bytes()),
        Value::Blob(blob) => with_bytes(4, blob),
        Value::Real(real) if inline_int(value).is_none() => with_word(2, real.to_bits()),
        Value::Integer(_) | Value::Real(_) | Value::Boolean(_) => {
            with_word(1, inline_int(value)? as u64)
        }
    }
}

/// `value` as `row::write_varint` writes it, into `out`; the bytes written.
pub(super) fn varint_into(mut value: u64, out: &mut [u8; 10]) -> &[u8] {
    let mut length = 0;
    while value >= 0x80 {
        out[length] = (value as u8) | 0x80;
        value >>= 7;
        length += 1;
    }
    out[length] = value as u8;
    &out[..=length]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    /// Values of every kind, texts of lengths around the varint's one-byte limit.
    fn samples() -> Vec<Value> {
        let mut values = vec![
            Value::Integer(0),
            Value::Integer(-7),
            Value::Integer(i64::MAX),
            Value::Real(3.0),
            Value::Real(3.5),
            Value::Real(-0.0),
            Value::Real(1e300),
            Value::Boolean(true),
            Value::Boolean(false),
            text(""),
            text("a"),
            text("A"),
            text("a "),
            text("ab"),
            Value::Blob(vec![]),
            Value::Blob(b"a".to_vec()),
        ];
        for length in [126, 127, 128, 129, 300, 20_000] {
            values.push(text(&"x".repeat(length)));
            values.push(Value::Blob(vec![7; length]));
        }
        values
    }

    #[test]
    fn a_key_is_made_of_exactly_the_values_that_build_it() {
        let collations = [
            KeyCollation::Binary,
            KeyCollation::NoCase,
            KeyCollation::Rtrim,
        ];
        let samples = samples();
        for &collation in &collations {
            for key_value in &samples {
                let key = IndexKey::from_value_collated(key_value, collation).expect("key");
                for value in &samples {
                    let built = IndexKey::from_value_collated(value, collation);
                    assert_eq!(
                        key.is_made_of([value], &[collation]),
                        built.as_ref() == Some(&key),
                        "{key_value:?} against {value:?} under {collation:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn composite_keys_compare_part_by_part() {
        let samples = samples();
        let collations = [KeyCollation::NoCase, KeyCollation::Binary];
        for a in samples.iter().step_by(3) {
            for b in samples.iter().step_by(2) {
                let key = IndexKey::from_values_collated([a, b], &collations).expect("key");
                for c in &samples {
                    for d in samples.iter().step_by(5) {
                        let built = IndexKey::from_values_collated([c, d], &collations);
                        assert_eq!(
                            key.is_made_of([c, d], &collations),
                            built.as_ref() == Some(&key),
                            "({a:?}, {b:?}) against ({c:?}, {d:?})"
                        );
                    }
                }
                // A prefix or an extension of the key's values is not the key.
                assert!(!key.is_made_of([a], &collations));
                assert!(!key.is_made_of([a, b, a], &collations));
            }
        }
    }

    #[test]
    fn null_parts_and_no_parts_make_no_key() {
        let key = IndexKey::from_values([&text("a"), &Value::Integer(1)]).expect("key");
        assert!(!key.is_made_of([&text("a"), &Value::Null], &[]));
        assert!(!key.is_made_of([], &[]));
        assert!(!IndexKey::Int(0).is_made_of([&Value::Null], &[]));
    }
}
