//! Order-preserving byte encoding of index keys, the key format of the (future) ordered
//! secondary index: comparing two encodings bytewise (`memcmp`) gives exactly SQLite's
//! order of the values under the column's collation:
//! NULL < numbers (INTEGER and REAL compared by exact value, `1 = 1.0`) < TEXT (by
//! collation: BINARY, NOCASE, RTRIM) < BLOB (bytewise).
//!
//! Every part is self-delimiting (numbers have a fixed width, text and blobs are escaped
//! and terminated), so a composite key's encoding is the concatenation of its parts and
//! orders as the tuple does; an entry's full key appends the row id so duplicates coexist.

use crate::value::Value;

/// How text compares in an index column (SQLite's built-in collations).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyCollation {
    /// Bytewise on UTF-8 (`memcmp`).
    Binary,
    /// ASCII upper case folded to lower case, then bytewise.
    NoCase,
    /// Trailing spaces ignored, then bytewise.
    Rtrim,
}

pub(super) const TAG_NULL: u8 = 0x05;
pub(super) const TAG_NUMBER: u8 = 0x10;
pub(super) const TAG_TEXT: u8 = 0x20;
pub(super) const TAG_BLOB: u8 = 0x30;

/// Appends the order-preserving encoding of `value` to `out`.
pub fn encode_ordered_part(value: &Value, collation: KeyCollation, out: &mut Vec<u8>) {
    match value {
        Value::Null => out.push(TAG_NULL),
        Value::Integer(i) => encode_integer(*i, out),
        Value::Boolean(b) => encode_integer(i64::from(*b), out),
        Value::Real(r) => encode_number(*r, 0, out),
        Value::Text(s) => {
            out.push(TAG_TEXT);
            let bytes = s.as_bytes();
            match collation {
                KeyCollation::Binary => escape_into(bytes, out),
                KeyCollation::NoCase => escape_folded_into(bytes, out),
                KeyCollation::Rtrim => {
                    let kept = bytes.len() - bytes.iter().rev().take_while(|b| **b == b' ').count();
                    escape_into(&bytes[..kept], out)
                }
            }
            out.extend_from_slice(&[0, 0]);
        }
        Value::Blob(b) => {
            out.push(TAG_BLOB);
            escape_into(b, out);
            out.extend_from_slice(&[0, 0]);
        }
    }
}

/// If `encoded` starts with the encoding of `value` under `collation` (what
/// `encode_ordered_part` appends), the bytes after it; else `None`. Compares in place:
/// nothing is written or allocated.
#[inline]
pub fn strip_ordered_part<'e>(
    value: &Value,
    collation: KeyCollation,
    encoded: &'e [u8],
) -> Option<&'e [u8]> {
    match value {
        Value::Null => encoded.strip_prefix(&[TAG_NULL]),
        Value::Integer(i) => strip_integer(*i, encoded),
        Value::Boolean(b) => strip_integer(i64::from(*b), encoded),
        Value::Real(r) => encoded.strip_prefix(&number_part(*r, 0)),
        Value::Text(s) => {
            let rest = encoded.strip_prefix(&[TAG_TEXT])?;
            let bytes = s.as_bytes();
            match collation {
                KeyCollation::Binary => strip_escaped_bytes(bytes, rest),
                KeyCollation::NoCase => {
                    strip_escaped(bytes.iter().map(u8::to_ascii_lowercase), rest)
                }
                KeyCollation::Rtrim => {
                    let kept = bytes.len() - bytes.iter().rev().take_while(|b| **b == b' ').count();
                    strip_escaped_bytes(&bytes[..kept], rest)
                }
            }
        }
        Value::Blob(b) => strip_escaped_bytes(b, encoded.strip_prefix(&[TAG_BLOB])?),
    }
}

pub(super) fn strip_integer(i: i64, encoded: &[u8]) -> Option<&[u8]> {
    let nearest = i as f64;
    encoded.strip_prefix(&number_part(nearest, integer_delta(i, nearest)))
}

/// `strip_escaped` of a byte string: one comparison when it holds no zero byte (nothing
/// escaped).
#[inline]
fn strip_escaped_bytes<'e>(bytes: &[u8], encoded: &'e [u8]) -> Option<&'e [u8]> {
    if bytes.contains(&0) {
        return strip_escaped(bytes.iter().copied(), encoded);
    }
    encoded.strip_prefix(bytes)?.strip_prefix(&[0, 0])
}

/// If `encoded` starts with the escaped body of `bytes` and its terminator, the bytes after it.
fn strip_escaped(bytes: impl Iterator<Item = u8>, mut encoded: &[u8]) -> Option<&[u8]> {
    for byte in bytes {
        let (&first, rest) = encoded.split_first()?;
        if first != byte {
            return None;
        }
        encoded = rest;
        if byte == 0 {
            encoded = encoded.strip_prefix(&[0xFF])?;
        }
    }
    encoded.strip_prefix(&[0, 0])
}

/// The encoding of a whole (possibly composite) key, one collation per column.
pub fn encode_ordered_key<'a>(
    values: impl IntoIterator<Item = &'a Value>,
    collations: &[KeyCollation],
) -> Vec<u8> {
    let mut out = Vec::new();
    for (index, value) in values.into_iter().enumerate() {
        let collation = collations
            .get(index)
            .copied()
            .unwrap_or(KeyCollation::Binary);
        encode_ordered_part(value, collation, &mut out);
    }
    out
}

/// The full entry key of an ordered index: the encoded key, then the row id (big-endian),
/// so entries with equal keys coexist and sort by row id.
pub fn ordered_entry_key(encoded_key: &[u8], row: u64) -> Vec<u8> {
    let mut out = Vec::with_capacity(encoded_key.len() + 8);
    out.extend_from_slice(encoded_key);
    out.extend_from_slice(&row.to_be_bytes());
    out
}

/// The smallest entry key greater than every entry whose encoded key starts with `prefix`
/// (an exclusive upper bound for "key <= prefix" over entry keys), or `None` when no such
/// bound exists (the range is unbounded above).
pub fn prefix_successor(prefix: &[u8]) -> Option<Vec<u8>> {
    let mut out = prefix.to_vec();
    while let Some(last) = out.pop() {
        if last != 0xFF {
            out.push(last + 1);
            return Some(out);
        }
    }
    None
}

/// An integer as a number: the nearest double, then the exact difference `i - double`, so
/// integers beyond 2^53 that share a double still order by exact value.
fn encode_integer(i: i64, out: &mut Vec<u8>) {
    let nearest = i as f64;
    encode_number(nearest, integer_delta(i, nearest), out);
}

/// `i` minus `nearest` (the double nearest `i`), exactly. `nearest` is integral and, but for
/// 2^63 (what integers near `i64::MAX` round to), an `i64`, so this needs no 128-bit
/// conversion (a library call) on the common path.
fn integer_delta(i: i64, nearest: f64) -> i16 {
    const TWO_TO_63: f64 = 9_223_372_036_854_775_808.0;
    let delta = if nearest < TWO_TO_63 {
        // `nearest` is within 1024 of `i`, so it converts exactly and the difference fits.
        i - nearest as i64
    } else {
        // i - 2^63, with i > 0: no overflow after the first subtraction.
        (i - i64::MAX) - 1
    };
    debug_assert!(
        delta.abs() <= 1024,
        "an i64 is within half an ulp of its double"
    );
    delta as i16
}

/// A number as (sortable double, signed tie-break); reals always have tie-break 0, which is
/// their exact value's difference from themselves. `-0.0` equals `0.0`; NaN (which SQLite
/// stores as NULL) sorts before every other number.
fn encode_number(real: f64, delta: i16, out: &mut Vec<u8>) {
    out.extend_from_slice(&number_part(real, delta));
}

/// Bytes of a number's part: its tag, the sortable double, the tie-break.
pub(super) const NUMBER_PART_BYTES: usize = 11;

/// `encode_number`'s bytes.
#[inline]
fn number_part(real: f64, delta: i16) -> [u8; NUMBER_PART_BYTES] {
    let canonical = if real == 0.0 { 0.0 } else { real };
    let bits = if canonical.is_nan() {
        0
    } else {
        let bits = canonical.to_bits();
        if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        }
    };
    // The tag, the double, the tie-break: built whole, so it is written at once.
    let mut part = [TAG_NUMBER; NUMBER_PART_BYTES];
    part[1..9].copy_from_slice(&bits.to_be_bytes());
    part[9..].copy_from_slice(&((delta as u16) ^ 0x8000).to_be_bytes());
    part
}

/// The bytes of a text or blob part before its terminator (a 0x00 0x00 pair the caller
/// appends): each 0x00 escaped as 0x00 0xFF, so a shorter string sorts before its
/// extensions and the part delimits itself. The runs between zero bytes (usually the whole
/// value) are copied whole.
fn escape_into(bytes: &[u8], out: &mut Vec<u8>) {
    out.reserve(bytes.len() + 2);
    let mut rest = bytes;
    while let Some(zero) = memchr::memchr(0, rest) {
        out.extend_from_slice(&rest[..=zero]);
        out.push(0xFF);
        rest = &rest[zero + 1..];
    }
    out.extend_from_slice(rest);
}

/// `escape_into` of `bytes` with ASCII upper case folded to lower case (NOCASE): folding
/// leaves zero bytes as they are, so a value without one is folded in one pass.
fn escape_folded_into(bytes: &[u8], out: &mut Vec<u8>) {
    if memchr::memchr(0, bytes).is_some() {
        escape_into(&bytes.to_ascii_lowercase(), out);
        return;
    }
    out.extend(bytes.iter().map(u8::to_ascii_lowercase));
}

/// Appends what the encoding of every TEXT value that starts with `prefix` starts with under
/// `collation` (BINARY or NOCASE; under NOCASE, of every text whose folded form starts with
/// the folded prefix), so `[out, prefix_successor(out))` holds exactly those texts. `None`
/// (nothing appended) for RTRIM, whose keys drop trailing spaces a prefix may end with.
pub fn encode_ordered_text_prefix(
    prefix: &str,
    collation: KeyCollation,
    out: &mut Vec<u8>,
) -> Option<()> {
    let bytes = prefix.as_bytes();
    match collation {
        KeyCollation::Binary => {
            out.push(TAG_TEXT);
            escape_into(bytes, out);
        }
        KeyCollation::NoCase => {
            out.push(TAG_TEXT);
            escape_folded_into(bytes, out);
        }
        KeyCollation::Rtrim => return None,
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn integer_delta_is_the_exact_difference_from_the_nearest_double() {
        let mut samples = vec![0i64, 1, -1, i64::MIN, i64::MIN + 1, i64::MAX, i64::MAX - 1];
        for power in 52..63 {
            let base = 1i64 << power;
            for offset in [
                -1025i64, -513, -512, -511, -3, -1, 0, 1, 3, 511, 512, 513, 1025,
            ] {
                samples.push(base.saturating_add(offset));
                samples.push((-base).saturating_add(offset));
            }
        }
        samples.extend((0..1025).map(|k| i64::MAX - k));
        samples.extend((0..1025).map(|k| i64::MIN + k));
        for i in samples {
            let nearest = i as f64;
            let exact = i128::from(i) - nearest as i128;
            assert_eq!(i128::from(integer_delta(i, nearest)), exact, "{i}");
        }
    }

    /// A text or blob part is its tag, its bytes with each zero byte followed by 0xFF
    /// (NOCASE folding ASCII upper case, RTRIM dropping trailing spaces), then 0x00 0x00:
    /// checked byte for byte against that rule, zero bytes at the start, the end, in runs
    /// and not at all.
    #[test]
    fn text_and_blob_parts_escape_each_zero_byte() {
        let reference = |tag: u8, bytes: &[u8]| {
            let mut out = vec![tag];
            for &byte in bytes {
                out.push(byte);
                if byte == 0 {
                    out.push(0xFF);
                }
            }
            out.extend_from_slice(&[0, 0]);
            out
        };
        let samples: [&[u8]; 8] = [
            b"",
            b"plain@example.com",
            b"\0lead",
            b"trail\0",
            b"in\0\0\0run",
            b"\0",
            b"Mixed\0CASE  ",
            b"spaces   ",
        ];
        for bytes in samples {
            let text = std::str::from_utf8(bytes).unwrap().to_string();
            let mut out = Vec::new();
            encode_ordered_part(&Value::Text(text.clone()), KeyCollation::Binary, &mut out);
            assert_eq!(out, reference(TAG_TEXT, bytes), "{text:?}");
            out.clear();
            encode_ordered_part(&Value::Text(text.clone()), KeyCollation::NoCase, &mut out);
            assert_eq!(
                out,
                reference(TAG_TEXT, &bytes.to_ascii_lowercase()),
                "{text:?}"
            );
            out.clear();
            encode_ordered_part(&Value::Text(text.clone()), KeyCollation::Rtrim, &mut out);
            let kept = bytes.len() - bytes.iter().rev().take_while(|b| **b == b' ').count();
            assert_eq!(out, reference(TAG_TEXT, &bytes[..kept]), "{text:?}");
            out.clear();
            encode_ordered_part(&Value::Blob(bytes.to_vec()), KeyCollation::Binary, &mut out);
            assert_eq!(out, reference(TAG_BLOB, bytes), "{text:?}");
            let mut prefix = Vec::new();
            encode_ordered_text_prefix(&text, KeyCollation::NoCase, &mut prefix);
            let folded = reference(TAG_TEXT, &bytes.to_ascii_lowercase());
            assert_eq!(prefix, folded[..folded.len() - 2], "{text:?}");
        }
    }

    /// `strip_ordered_part` agrees with `encode_ordered_part` on every pair of sample
    /// values under every collation: a value's own encoding strips to what follows it,
    /// another value's strips only when the two encode alike.
    #[test]
    fn strip_ordered_part_matches_exactly_the_values_own_encoding() {
        let values = [
            Value::Null,
            Value::Integer(0),
            Value::Integer(-7),
            Value::Integer(i64::MAX),
            Value::Integer(1 << 60),
            Value::Integer((1 << 60) + 1),
            Value::Real(0.0),
            Value::Real(-0.0),
            Value::Real(-7.0),
            Value::Real(2.5),
            Value::Boolean(true),
            Value::Integer(1),
            Value::Text(String::new()),
            Value::Text("a".into()),
            Value::Text("A".into()),
            Value::Text("a ".into()),
            Value::Text("ab".into()),
            Value::Text("a\0b".into()),
            Value::Text("a\0".into()),
            Value::Blob(vec![]),
            Value::Blob(vec![0]),
            Value::Blob(vec![0, 0xFF]),
            Value::Blob(vec![0x61]),
        ];
        let tail = [0x42u8, 0, 0, 7];
        for collation in [
            KeyCollation::Binary,
            KeyCollation::NoCase,
            KeyCollation::Rtrim,
        ] {
            for stored in &values {
                let mut encoded = Vec::new();
                encode_ordered_part(stored, collation, &mut encoded);
                encoded.extend_from_slice(&tail);
                for probe in &values {
                    let mut own = Vec::new();
                    encode_ordered_part(probe, collation, &mut own);
                    let same = encoded.starts_with(&own) && encoded[own.len()..] == tail;
                    let stripped = strip_ordered_part(probe, collation, &encoded);
                    assert_eq!(
                        stripped,
                        same.then_some(&tail[..]),
                        "{probe:?} against {stored:?} under {collation:?}"
                    );
                }
                let cut = &encoded[..encoded.len() - tail.len() - 1];
                assert_eq!(strip_ordered_part(stored, collation, cut), None);
            }
        }
    }

    use std::cmp::Ordering;

    /// SQLite's order of two values, written from its documented rules (sqlite3MemCompare
    /// and sqlite3IntFloatCompare), as the reference the encoding is checked against.
    fn reference_cmp(a: &Value, b: &Value, collation: KeyCollation) -> Ordering {
        fn rank(v: &Value) -> u8 {
            match v {
                Value::Null => 0,
                Value::Integer(_) | Value::Real(_) | Value::Boolean(_) => 1,
                Value::Text(_) => 2,
                Value::Blob(_) => 3,
            }
        }
        fn exact(v: &Value) -> (f64, i128) {
            match v {
                Value::Integer(i) => {
                    let f = *i as f64;
                    (f, i128::from(*i) - f as i128)
                }
                Value::Boolean(b) => (f64::from(u8::from(*b)), 0),
                Value::Real(r) => (*r, 0),
                _ => unreachable!("numbers only"),
            }
        }
        let (ra, rb) = (rank(a), rank(b));
        if ra != rb {
            return ra.cmp(&rb);
        }
        match (a, b) {
            (Value::Null, Value::Null) => Ordering::Equal,
            (Value::Text(x), Value::Text(y)) => {
                let fold = |s: &str| -> Vec<u8> {
                    match collation {
                        KeyCollation::Binary => s.as_bytes().to_vec(),
                        KeyCollation::NoCase => s.bytes().map(|c| c.to_ascii_lowercase()).collect(),
                        KeyCollation::Rtrim => s.trim_end_matches(' ').as_bytes().to_vec(),
                    }
                };
                fold(x).cmp(&fold(y))
            }
            (Value::Blob(x), Value::Blob(y)) => x.cmp(y),
            _ => {
                let ((fa, da), (fb, db)) = (exact(a), exact(b));
                fa.partial_cmp(&fb).unwrap().then(da.cmp(&db))
            }
        }
    }

    /// A small deterministic generator (xorshift) so the property test needs no crate.
    struct Rng(u64);
    impl Rng {
        fn next(&mut self) -> u64 {
            self.0 ^= self.0 << 13;
            self.0 ^= self.0 >> 7;
            self.0 ^= self.0 << 17;
            self.0
        }
        fn pick<T: Copy>(&mut self, items: &[T]) -> T {
            items[(self.next() % items.len() as u64) as usize]
        }
    }

    fn random_value(rng: &mut Rng) -> Value {
        const INTS: [i64; 10] = [
            0,
            1,
            -1,
            2,
            7,
            i64::MAX,
            i64::MIN,
            1 << 53,
            (1 << 53) + 1,
            -(1 << 60) - 3,
        ];
        const REALS: [f64; 9] = [
            0.0,
            -0.0,
            1.0,
            1.5,
            -2.25,
            9.007199254740992e15,
            9.2e18,
            1e300,
            -1e-300,
        ];
        const TEXTS: [&str; 11] = [
            "", "a", "A", "ab", "aB", "a ", "a  ", "b", "\0", "a\0b", "Zz",
        ];
        match rng.next() % 6 {
            0 => Value::Null,
            1 => Value::Integer(rng.pick(&INTS).wrapping_add((rng.next() % 3) as i64 - 1)),
            2 => Value::Real(rng.pick(&REALS)),
            3 => Value::Text(rng.pick(&TEXTS).into()),
            4 => Value::Blob(rng.pick(&TEXTS).as_bytes().to_vec()),
            _ => Value::Boolean(rng.next().is_multiple_of(2)),
        }
    }

    #[test]
    fn encoding_orders_as_sqlite_compares() {
        let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
        for collation in [
            KeyCollation::Binary,
            KeyCollation::NoCase,
            KeyCollation::Rtrim,
        ] {
            for _ in 0..20_000 {
                let (a, b) = (random_value(&mut rng), random_value(&mut rng));
                let (mut ea, mut eb) = (Vec::new(), Vec::new());
                encode_ordered_part(&a, collation, &mut ea);
                encode_ordered_part(&b, collation, &mut eb);
                assert_eq!(
                    ea.cmp(&eb),
                    reference_cmp(&a, &b, collation),
                    "{a:?} vs {b:?} under {collation:?}"
                );
            }
        }
    }

    #[test]
    fn composite_keys_order_as_tuples() {
        let mut rng = Rng(0x1234_5678_9ABC_DEF1);
        let collations = [KeyCollation::NoCase, KeyCollation::Binary];
        for _ in 0..20_000 {
            let a = [random_value(&mut rng), random_value(&mut rng)];
            let b = [random_value(&mut rng), random_value(&mut rng)];
            let expected = reference_cmp(&a[0], &b[0], collations[0])
                .then_with(|| reference_cmp(&a[1], &b[1], collations[1]));
            let (ea, eb) = (
                encode_ordered_key(&a, &collations),
                encode_ordered_key(&b, &collations),
            );
            assert_eq!(ea.cmp(&eb), expected, "{a:?} vs {b:?}");
        }
    }

    #[test]
    fn a_text_prefix_range_holds_exactly_the_texts_that_start_with_it() {
        let texts = [
            "", "a", "ab", "abc", "abd", "ab\0", "ab\0c", "aB", "AB", "Abc", "b", "ab\u{ff}",
            "ab\u{e9}", "a\u{7f}", "abz",
        ];
        for collation in [KeyCollation::Binary, KeyCollation::NoCase] {
            for prefix in ["a", "ab", "AB", "ab\0", "\u{e9}"] {
                let mut low = Vec::new();
                encode_ordered_text_prefix(prefix, collation, &mut low).unwrap();
                let high = prefix_successor(&low).unwrap();
                for text in texts {
                    let key = encode_ordered_key([&Value::Text(text.into())], &[collation]);
                    let inside = key >= low && key < high;
                    let starts = match collation {
                        KeyCollation::NoCase => text
                            .to_ascii_lowercase()
                            .starts_with(&prefix.to_ascii_lowercase()),
                        _ => text.starts_with(prefix),
                    };
                    assert_eq!(inside, starts, "{text:?} under {prefix:?} ({collation:?})");
                }
            }
            // Numbers sort before and blobs after every text, so neither is in the range.
            let mut low = Vec::new();
            encode_ordered_text_prefix("1", collation, &mut low).unwrap();
            let high = prefix_successor(&low).unwrap();
            for value in [
                Value::Integer(1),
                Value::Real(1.5),
                Value::Blob(b"1".to_vec()),
            ] {
                let key = encode_ordered_key([&value], &[collation]);
                assert!(key < low || key >= high, "{value:?}");
            }
        }
        assert!(encode_ordered_text_prefix("a", KeyCollation::Rtrim, &mut Vec::new()).is_none());
    }

    #[test]
    fn equal_numbers_encode_equally() {
        let one = encode_ordered_key([&Value::Integer(1)], &[]);
        assert_eq!(encode_ordered_key([&Value::Real(1.0)], &[]), one);
        assert_eq!(encode_ordered_key([&Value::Boolean(true)], &[]), one);
        assert_eq!(
            encode_ordered_key([&Value::Real(-0.0)], &[]),
            encode_ordered_key([&Value::Integer(0)], &[])
        );
    }

    #[test]
    fn entry_keys_keep_duplicates_apart_and_bounds_cover_them() {
        let key = encode_ordered_key([&Value::Text("x".into())], &[]);
        let (first, second) = (ordered_entry_key(&key, 1), ordered_entry_key(&key, 2));
        assert!(first < second);
        let upper = prefix_successor(&key).expect("bounded");
        assert!(second < upper && key.as_slice() <= first.as_slice());
        let next = ordered_entry_key(&encode_ordered_key([&Value::Text("x\0".into())], &[]), 0);
        assert!(next > upper);
        assert_eq!(prefix_successor(&[0xFF, 0xFF]), None);
    }
}
