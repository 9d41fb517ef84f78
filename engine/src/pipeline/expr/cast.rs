//! `CAST(x AS type)` with SQLite's rules: the type name picks an affinity by SQLite's
//! substring rules, and text converts to numbers by its longest numeric prefix ('12abc' is
//! 12, 'abc' is 0), never failing.

use std::fmt;

use ember_storage::Value;

use super::coerce::parse_whole_number;
use super::ops::{numeric_prefix, Numeric};

/// The type a CAST converts to, chosen from the type name as SQLite chooses a column's
/// affinity.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Affinity {
    Integer,
    Text,
    Blob,
    Real,
    Numeric,
}

impl Affinity {
    /// SQLite's rules, in order: a name containing INT is INTEGER; CHAR, CLOB or TEXT is
    /// TEXT; BLOB or no name is BLOB; REAL, FLOA or DOUB is REAL; anything else NUMERIC.
    pub fn from_type_name(name: &str) -> Affinity {
        let name = name.to_ascii_uppercase();
        let has = |part: &str| name.contains(part);
        if has("INT") {
            Affinity::Integer
        } else if has("CHAR") || has("CLOB") || has("TEXT") {
            Affinity::Text
        } else if has("BLOB") || name.trim().is_empty() {
            Affinity::Blob
        } else if has("REAL") || has("FLOA") || has("DOUB") {
            Affinity::Real
        } else {
            Affinity::Numeric
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Affinity::Integer => "INTEGER",
            Affinity::Text => "TEXT",
            Affinity::Blob => "BLOB",
            Affinity::Real => "REAL",
            Affinity::Numeric => "NUMERIC",
        }
    }
}

impl fmt::Display for Affinity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Converts `value` as `CAST(value AS <affinity>)` does in SQLite. NULL stays NULL.
pub(crate) fn cast(value: Value, affinity: Affinity) -> Value {
    let value = match value {
        Value::Null => return Value::Null,
        Value::Boolean(b) => Value::Integer(i64::from(b)),
        other => other,
    };
    match affinity {
        Affinity::Integer => Value::Integer(match value {
            Value::Integer(i) => i,
            Value::Real(r) => real_to_integer(r),
            Value::Text(text) => integer_prefix(&text),
            Value::Blob(bytes) => integer_prefix(&String::from_utf8_lossy(&bytes)),
            Value::Boolean(b) => i64::from(b),
            Value::Null => return Value::Null,
        }),
        Affinity::Real => Value::Real(match value {
            Value::Integer(i) => i as f64,
            Value::Real(r) => r,
            Value::Text(text) => real_prefix(&text),
            Value::Blob(bytes) => real_prefix(&String::from_utf8_lossy(&bytes)),
            Value::Boolean(b) => f64::from(u8::from(b)),
            Value::Null => return Value::Null,
        }),
        Affinity::Numeric => match value {
            Value::Text(text) => numeric_from_text(&text),
            Value::Blob(bytes) => numeric_from_text(&String::from_utf8_lossy(&bytes)),
            number => number,
        },
        Affinity::Text => match value {
            Value::Blob(bytes) => Value::Text(String::from_utf8_lossy(&bytes).into_owned()),
            Value::Text(text) => Value::Text(text),
            number => Value::Text(number.to_string()),
        },
        Affinity::Blob => match value {
            Value::Blob(bytes) => Value::Blob(bytes),
            Value::Text(text) => Value::Blob(text.into_bytes()),
            number => Value::Blob(number.to_string().into_bytes()),
        },
    }
}

/// Applies a comparison affinity (SQLite's applyAffinity): numeric affinities turn text
/// that is entirely a number into that number (other text stays text); TEXT affinity turns
/// numbers into their text; BLOB changes nothing.
pub fn apply_affinity(value: Value, affinity: Affinity) -> Value {
    match (affinity, value) {
        (Affinity::Integer | Affinity::Real | Affinity::Numeric, Value::Text(text)) => {
            match parse_whole_number(&text) {
                Some(Numeric::Integer(i)) => Value::Integer(i),
                Some(Numeric::Real(r)) => Value::Real(r),
                None => Value::Text(text),
            }
        }
        (Affinity::Text, number @ (Value::Integer(_) | Value::Real(_) | Value::Boolean(_))) => {
            Value::Text(number.to_string())
        }
        (_, value) => value,
    }
}

/// A REAL truncated toward zero, saturating at the i64 range (NaN is 0), as SQLite does.
pub(crate) fn real_to_integer(r: f64) -> i64 {
    // `as` saturates and maps NaN to 0.
    r as i64
}

/// SQLite's text-to-integer rule: leading spaces, an optional sign, then the longest run
/// of digits; no digits give 0; too many saturate at the i64 range.
pub(crate) fn integer_prefix(text: &str) -> i64 {
    // One pass over the bytes (the skipped white space and the sign are ASCII), the
    // magnitude held in a u64 that saturates: past u64::MAX it only grows, and every
    // value that large clamps to the same end of i64's range.
    let bytes = text.as_bytes();
    let mut at = 0;
    while at < bytes.len() && matches!(bytes[at], b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') {
        at += 1;
    }
    let negative = match bytes.get(at) {
        Some(b'-') => {
            at += 1;
            true
        }
        Some(b'+') => {
            at += 1;
            false
        }
        _ => false,
    };
    let mut magnitude: u64 = 0;
    for &byte in &bytes[at..] {
        if !byte.is_ascii_digit() {
            break;
        }
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(byte - b'0')))
            .unwrap_or(u64::MAX);
    }
    if negative {
        // -(2^63) is i64::MIN; anything larger in magnitude clamps to it.
        0i64.checked_sub_unsigned(magnitude).unwrap_or(i64::MIN)
    } else {
        i64::try_from(magnitude).unwrap_or(i64::MAX)
    }
}

/// The longest numeric prefix of `text` as a REAL ('1.5e3x' is 1500.0, 'abc' is 0.0).
pub(crate) fn real_prefix(text: &str) -> f64 {
    match numeric_prefix(text) {
        Numeric::Integer(i) => i as f64,
        Numeric::Real(r) => r,
    }
}

/// CAST(text AS NUMERIC): an INTEGER when the prefix is an integer, or a real that is
/// exactly an integer of at most 51 bits; a REAL otherwise.
fn numeric_from_text(text: &str) -> Value {
    match numeric_prefix(text) {
        Numeric::Integer(i) => Value::Integer(i),
        Numeric::Real(r) => {
            const LIMIT: f64 = 2_251_799_813_685_248.0; // 2^51
            if r.fract() == 0.0 && (-LIMIT..LIMIT).contains(&r) {
                Value::Integer(r as i64)
            } else {
                Value::Real(r)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    #[test]
    fn affinity_follows_sqlite_name_rules() {
        use Affinity::*;
        let cases = [
            ("INTEGER", Integer),
            ("BIGINT", Integer),
            ("int", Integer),
            ("VARCHAR(10)", Text),
            ("CLOB", Text),
            ("TEXT", Text),
            ("BLOB", Blob),
            ("", Blob),
            ("REAL", Real),
            ("FLOAT", Real),
            ("DOUBLE PRECISION", Real),
            ("DECIMAL(10,2)", Numeric),
            ("NUMERIC", Numeric),
            ("BOOLEAN", Numeric),
            ("SIGNED", Numeric),
            // INT wins over the later rules, as in SQLite ("POINT" has INT).
            ("FLOATING POINT", Integer),
        ];
        for (name, affinity) in cases {
            assert_eq!(Affinity::from_type_name(name), affinity, "{name}");
        }
    }

    #[test]
    fn text_to_numbers_takes_the_longest_prefix() {
        assert_eq!(cast(text("12abc"), Affinity::Integer), Value::Integer(12));
        assert_eq!(cast(text(" -7"), Affinity::Integer), Value::Integer(-7));
        assert_eq!(cast(text("abc"), Affinity::Integer), Value::Integer(0));
        assert_eq!(cast(text("1.9"), Affinity::Integer), Value::Integer(1));
        assert_eq!(cast(text("1e5"), Affinity::Integer), Value::Integer(1));
        assert_eq!(
            cast(text("99999999999999999999"), Affinity::Integer),
            Value::Integer(i64::MAX)
        );
        assert_eq!(cast(text("1.5e1x"), Affinity::Real), Value::Real(15.0));
        assert_eq!(cast(text("x"), Affinity::Real), Value::Real(0.0));
        assert_eq!(cast(text("3.0"), Affinity::Numeric), Value::Integer(3));
        assert_eq!(cast(text("1.9"), Affinity::Numeric), Value::Real(1.9));
        assert_eq!(cast(text("12abc"), Affinity::Numeric), Value::Integer(12));
        assert_eq!(cast(text("1e3"), Affinity::Numeric), Value::Integer(1000));
    }

    #[test]
    fn integer_prefix_saturates_at_both_ends_of_i64() {
        let cases = [
            ("9223372036854775807", i64::MAX),
            ("9223372036854775808", i64::MAX),
            ("-9223372036854775808", i64::MIN),
            ("-9223372036854775809", i64::MIN),
            ("-99999999999999999999999999", i64::MIN),
            ("18446744073709551615", i64::MAX),
            ("18446744073709551616", i64::MAX),
            ("\t\n\r\x0c +42x", 42),
            ("  -0", 0),
            ("+-3", 0),
            ("-", 0),
            ("", 0),
            ("\u{a0}5", 0),
            ("007", 7),
            ("12\u{e9}", 12),
        ];
        for (text, expected) in cases {
            assert_eq!(integer_prefix(text), expected, "{text:?}");
        }
    }

    #[test]
    fn comparison_affinity_converts_only_whole_numbers() {
        let numeric = |v| apply_affinity(v, Affinity::Numeric);
        assert_eq!(numeric(text(" -4.5 ")), Value::Real(-4.5));
        assert_eq!(numeric(text("12")), Value::Integer(12));
        assert_eq!(numeric(text("12abc")), text("12abc"));
        assert_eq!(numeric(Value::Blob(vec![1])), Value::Blob(vec![1]));
        assert_eq!(
            apply_affinity(Value::Real(2.5), Affinity::Text),
            text("2.5")
        );
        assert_eq!(apply_affinity(text("2"), Affinity::Blob), text("2"));
        assert_eq!(apply_affinity(Value::Null, Affinity::Text), Value::Null);
    }

    #[test]
    fn numbers_and_blobs_convert() {
        assert_eq!(
            cast(Value::Real(-2.7), Affinity::Integer),
            Value::Integer(-2)
        );
        assert_eq!(
            cast(Value::Real(1e300), Affinity::Integer),
            Value::Integer(i64::MAX)
        );
        assert_eq!(cast(Value::Integer(3), Affinity::Real), Value::Real(3.0));
        assert_eq!(cast(Value::Real(2.5), Affinity::Text), text("2.5"));
        assert_eq!(cast(Value::Real(2.0), Affinity::Text), text("2.0"));
        assert_eq!(
            cast(Value::Integer(7), Affinity::Numeric),
            Value::Integer(7)
        );
        assert_eq!(
            cast(Value::Integer(12), Affinity::Blob),
            Value::Blob(b"12".to_vec())
        );
        assert_eq!(
            cast(Value::Blob(b"ab".to_vec()), Affinity::Text),
            text("ab")
        );
        assert_eq!(cast(Value::Boolean(true), Affinity::Text), text("1"));
        assert_eq!(cast(Value::Null, Affinity::Integer), Value::Null);
    }
}
