//! Reading values back out of an ordered index's encoded keys (`order_key.rs`), for the
//! parts whose encoding keeps the value whole: an integer (a number part whose double and
//! tie-break give one i64), a BINARY text (its bytes, unescaped) and a blob. A NOCASE or
//! RTRIM text, a real and a value of a column that may hold any type cannot be read back
//! (the encoding folds case and trailing spaces, and `1 = 1.0` share a number part), so a
//! reader that needs them reads the row. The bytes may come from an entry a writer is
//! changing: every read is checked and a malformed part gives `None`, never a panic.

use crate::row::utf8;
use crate::value::Value;

use super::order_key::{
    strip_integer, NUMBER_PART_BYTES, TAG_BLOB, TAG_NULL, TAG_NUMBER, TAG_TEXT,
};

/// What kind of value an index part is read back as (the column's stored type).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyPartKind {
    /// An INTEGER column: NULL or a number part that is exactly an i64.
    Integer,
    /// A TEXT column keyed BINARY: NULL or a text part (valid UTF-8).
    Text,
    /// A BLOB column: NULL or a blob part.
    Blob,
}

/// Reads the part at the start of `encoded` as a value of `kind` into `slot`; returns the
/// bytes after it, or `None` when the part is not one of that kind (then `slot` is
/// unspecified).
pub fn read_ordered_part<'e>(
    kind: KeyPartKind,
    encoded: &'e [u8],
    slot: &mut Value,
) -> Option<&'e [u8]> {
    let (&tag, rest) = encoded.split_first()?;
    if tag == TAG_NULL {
        *slot = Value::Null;
        return Some(rest);
    }
    match (kind, tag) {
        (KeyPartKind::Integer, TAG_NUMBER) => {
            let (integer, rest) = read_integer(encoded)?;
            *slot = Value::Integer(integer);
            Some(rest)
        }
        (KeyPartKind::Text, TAG_TEXT) => {
            // The common text holds no zero byte: its body is the bytes up to the
            // terminator, copied once.
            let zero = rest.iter().position(|&byte| byte == 0)?;
            if *rest.get(zero + 1)? == 0 {
                let text = utf8(rest.get(..zero)?)?;
                match slot {
                    Value::Text(old) => {
                        old.clear();
                        old.push_str(text);
                    }
                    _ => *slot = Value::Text(text.to_owned()),
                }
                return rest.get(zero + 2..);
            }
            let mut text = match std::mem::replace(slot, Value::Null) {
                Value::Text(text) => text.into_bytes(),
                _ => Vec::new(),
            };
            text.clear();
            let rest = unescape_into(rest, &mut text)?;
            *slot = Value::Text(String::from_utf8(text).ok()?);
            Some(rest)
        }
        (KeyPartKind::Blob, TAG_BLOB) => {
            let mut blob = Vec::new();
            let rest = unescape_into(rest, &mut blob)?;
            *slot = Value::Blob(blob);
            Some(rest)
        }
        _ => None,
    }
}

/// Whether the part at the start of `encoded` is a NULL.
#[inline]
pub fn ordered_part_is_null(encoded: &[u8]) -> bool {
    encoded.first() == Some(&TAG_NULL)
}

/// The bytes after the part at the start of `encoded`, whatever its kind; `None` when
/// malformed.
pub fn skip_ordered_part(encoded: &[u8]) -> Option<&[u8]> {
    let (&tag, rest) = encoded.split_first()?;
    match tag {
        TAG_NULL => Some(rest),
        TAG_NUMBER => encoded.get(NUMBER_PART_BYTES..),
        TAG_TEXT | TAG_BLOB => {
            let mut at = 0;
            loop {
                let zero = at + rest.get(at..)?.iter().position(|&byte| byte == 0)?;
                match rest.get(zero + 1)? {
                    0 => return rest.get(zero + 2..),
                    0xFF => at = zero + 2,
                    _ => return None,
                }
            }
        }
        _ => None,
    }
}

/// The i64 a number part at the start of `encoded` is exactly, and the bytes after it.
fn read_integer(encoded: &[u8]) -> Option<(i64, &[u8])> {
    let part = encoded.get(..NUMBER_PART_BYTES)?;
    let bits = u64::from_be_bytes(part.get(1..9)?.try_into().ok()?);
    let bits = if bits >> 63 == 1 {
        bits & !(1 << 63)
    } else {
        !bits
    };
    let nearest = f64::from_bits(bits);
    let delta = (u16::from_be_bytes(part.get(9..11)?.try_into().ok()?) ^ 0x8000) as i16;
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    if !(-TWO_TO_63..=TWO_TO_63).contains(&nearest) || nearest.fract() != 0.0 {
        return None;
    }
    let integer = if nearest < TWO_TO_63 {
        (nearest as i64).checked_add(i64::from(delta))?
    } else {
        i64::MAX.checked_add(i64::from(delta))?.checked_add(1)?
    };
    // Only a part that is this integer's encoding is one (a real's part, or a tie-break no
    // integer has, is not).
    let rest = strip_integer(integer, encoded)?;
    Some((integer, rest))
}

/// Appends the bytes of an escaped text or blob body (`order_key::escape_into`) to `out`;
/// returns the bytes after its terminator.
fn unescape_into<'e>(mut body: &'e [u8], out: &mut Vec<u8>) -> Option<&'e [u8]> {
    loop {
        let zero = memchr::memchr(0, body)?;
        out.extend_from_slice(&body[..zero]);
        match body.get(zero + 1)? {
            0 => return body.get(zero + 2..),
            0xFF => {
                out.push(0);
                body = body.get(zero + 2..)?;
            }
            _ => return None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::index::order_key::{encode_ordered_part, KeyCollation};

    fn round_trip(kind: KeyPartKind, value: Value) {
        let mut encoded = Vec::new();
        encode_ordered_part(&value, KeyCollation::Binary, &mut encoded);
        encoded.extend_from_slice(b"after");
        let mut slot = Value::Text("old".into());
        let rest = read_ordered_part(kind, &encoded, &mut slot);
        assert_eq!(rest, Some(&b"after"[..]), "{value:?}");
        assert_eq!(slot, value);
        assert_eq!(
            skip_ordered_part(&encoded),
            Some(&b"after"[..]),
            "{value:?}"
        );
    }

    #[test]
    fn integers_texts_and_blobs_read_back_whole() {
        let integers = [
            0,
            1,
            -1,
            42,
            (1 << 53) + 1,
            -(1 << 53) - 1,
            i64::MAX,
            i64::MAX - 1,
            i64::MIN,
            i64::MIN + 1,
            4_611_686_018_427_387_904,
        ];
        for integer in integers {
            round_trip(KeyPartKind::Integer, Value::Integer(integer));
        }
        for text in [
            "",
            "a",
            "k777",
            "with\0zero",
            "\0",
            "\0\0x",
            "é漢字",
            "trail  ",
        ] {
            round_trip(KeyPartKind::Text, Value::Text(text.into()));
        }
        for blob in [&b""[..], b"\0", b"\xff\0\xff", b"abc"] {
            round_trip(KeyPartKind::Blob, Value::Blob(blob.to_vec()));
        }
        for kind in [KeyPartKind::Integer, KeyPartKind::Text, KeyPartKind::Blob] {
            round_trip(kind, Value::Null);
        }
    }

    #[test]
    fn parts_of_another_kind_or_malformed_are_refused() {
        let mut slot = Value::Null;
        let mut real = Vec::new();
        encode_ordered_part(&Value::Real(1.5), KeyCollation::Binary, &mut real);
        assert_eq!(
            read_ordered_part(KeyPartKind::Integer, &real, &mut slot),
            None
        );
        let mut text = Vec::new();
        encode_ordered_part(&Value::Text("ab".into()), KeyCollation::Binary, &mut text);
        assert_eq!(
            read_ordered_part(KeyPartKind::Integer, &text, &mut slot),
            None
        );
        assert_eq!(read_ordered_part(KeyPartKind::Blob, &text, &mut slot), None);
        // Cut short anywhere: refused.
        for cut in 0..text.len() {
            assert_eq!(
                read_ordered_part(KeyPartKind::Text, &text[..cut], &mut slot),
                None
            );
            assert_eq!(skip_ordered_part(&text[..cut]), None);
        }
        let mut integer = Vec::new();
        encode_ordered_part(&Value::Integer(7), KeyCollation::Binary, &mut integer);
        for cut in 0..integer.len() {
            let part = &integer[..cut];
            assert_eq!(
                read_ordered_part(KeyPartKind::Integer, part, &mut slot),
                None
            );
        }
        // Not UTF-8.
        let bad = [TAG_TEXT, 0xC3, 0x28, 0, 0];
        assert_eq!(read_ordered_part(KeyPartKind::Text, &bad, &mut slot), None);
        // A zero followed by neither terminator nor escape.
        let bad = [TAG_TEXT, b'a', 0, 7, 0, 0];
        assert_eq!(read_ordered_part(KeyPartKind::Text, &bad, &mut slot), None);
        assert_eq!(skip_ordered_part(&bad), None);
    }
}
