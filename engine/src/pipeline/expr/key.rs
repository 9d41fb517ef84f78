//! `KeyValue`: a value normalized so that hashing and `Eq` agree with SQL equality, for hash
//! joins, GROUP BY, DISTINCT, set operations and IN-subquery sets. Integers, booleans and
//! integral reals that compare equal in SQL become the same key; NULL is a key of its own
//! (grouping and DISTINCT treat NULLs as equal; joins and IN skip NULL keys themselves).

use std::borrow::Borrow;
use std::hash::{Hash, Hasher};

use ember_storage::row::Scalar;
use ember_storage::Value;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyValue {
    Null,
    Integer(i64),
    /// A real with a fractional part (or outside the i64 range), by its bits; -0.0 and 0.0
    /// never reach here (both are the integer 0).
    Real(u64),
    Text(Box<str>),
    Blob(Box<[u8]>),
}

impl KeyValue {
    pub fn new(value: &Value) -> KeyValue {
        match value {
            Value::Null => KeyValue::Null,
            Value::Integer(i) => KeyValue::Integer(*i),
            Value::Boolean(b) => KeyValue::Integer(i64::from(*b)),
            Value::Real(r) => real_key(*r),
            Value::Text(text) => KeyValue::Text(text.as_str().into()),
            Value::Blob(bytes) => KeyValue::Blob(bytes.as_slice().into()),
        }
    }

    /// Bytes the key's text or blob holds on the heap (0 for the others).
    pub fn heap_bytes(&self) -> usize {
        match self {
            KeyValue::Text(text) => text.len(),
            KeyValue::Blob(blob) => blob.len(),
            _ => 0,
        }
    }

    pub fn is_null(&self) -> bool {
        matches!(self, KeyValue::Null)
    }

    /// The key, borrowed.
    pub fn as_key_ref(&self) -> KeyRef<'_> {
        match self {
            KeyValue::Null => KeyRef::Null,
            KeyValue::Integer(i) => KeyRef::Integer(*i),
            KeyValue::Real(bits) => KeyRef::Real(*bits),
            KeyValue::Text(text) => KeyRef::Text(text),
            KeyValue::Blob(bytes) => KeyRef::Blob(bytes),
        }
    }
}

/// A `KeyValue` borrowed from a value (no text or bytes copied): what a hash map keyed by
/// `KeyValue` is probed with (`map.get(&KeyRef::of(value) as &dyn KeyLookup)`), so that a
/// key already in the map costs no allocation. Hashes as the `KeyValue` it views.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum KeyRef<'a> {
    Null,
    Integer(i64),
    Real(u64),
    Text(&'a str),
    Blob(&'a [u8]),
}

impl<'a> KeyRef<'a> {
    /// The key of `value` (as `KeyValue::new` normalizes it), borrowed.
    pub fn of(value: &'a Value) -> KeyRef<'a> {
        match value {
            Value::Null => KeyRef::Null,
            Value::Integer(i) => KeyRef::Integer(*i),
            Value::Boolean(b) => KeyRef::Integer(i64::from(*b)),
            Value::Real(r) => match real_key(*r) {
                KeyValue::Integer(i) => KeyRef::Integer(i),
                _ => KeyRef::Real(r.to_bits()),
            },
            Value::Text(text) => KeyRef::Text(text),
            Value::Blob(bytes) => KeyRef::Blob(bytes),
        }
    }

    /// The key of a value of a column batch, as `of` gives it for the value the scalar
    /// stands for (`Scalar::to_value`).
    #[inline(always)]
    pub fn of_scalar(scalar: Scalar<'a>) -> KeyRef<'a> {
        match scalar {
            Scalar::Null => KeyRef::Null,
            Scalar::Integer(i) => KeyRef::Integer(i),
            Scalar::Boolean(b) => KeyRef::Integer(i64::from(b)),
            Scalar::Real(r) => match real_key(r) {
                KeyValue::Integer(i) => KeyRef::Integer(i),
                _ => KeyRef::Real(r.to_bits()),
            },
            Scalar::Text(text) => KeyRef::Text(text),
            Scalar::Blob(bytes) => KeyRef::Blob(bytes),
        }
    }
}

impl Hash for KeyValue {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.as_key_ref().hash(state);
    }
}

/// A key a `KeyValue`-keyed map can be probed with (owned or borrowed).
pub trait KeyLookup {
    fn key_ref(&self) -> KeyRef<'_>;
}

impl KeyLookup for KeyValue {
    fn key_ref(&self) -> KeyRef<'_> {
        self.as_key_ref()
    }
}

impl KeyLookup for KeyRef<'_> {
    fn key_ref(&self) -> KeyRef<'_> {
        *self
    }
}

impl<'a> Borrow<dyn KeyLookup + 'a> for KeyValue {
    fn borrow(&self) -> &(dyn KeyLookup + 'a) {
        self
    }
}

impl Hash for dyn KeyLookup + '_ {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.key_ref().hash(state);
    }
}

impl PartialEq for dyn KeyLookup + '_ {
    fn eq(&self, other: &Self) -> bool {
        self.key_ref() == other.key_ref()
    }
}

impl Eq for dyn KeyLookup + '_ {}

/// 2^63 as f64: reals in [-2^63, 2^63) with no fraction convert to i64 exactly.
const I64_BOUND: f64 = 9_223_372_036_854_775_808.0;

fn real_key(real: f64) -> KeyValue {
    if real.fract() == 0.0 && (-I64_BOUND..I64_BOUND).contains(&real) {
        KeyValue::Integer(real as i64)
    } else {
        KeyValue::Real(real.to_bits())
    }
}

/// The key of a whole row (or of several key expressions' values).
pub fn row_key(values: &[Value]) -> Vec<KeyValue> {
    values.iter().map(KeyValue::new).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::sql_compare;
    use std::cmp::Ordering;

    #[test]
    fn borrowed_keys_find_owned_ones() {
        use std::collections::HashMap;
        let values = [
            Value::Integer(1),
            Value::Real(1.0),
            Value::Real(1.5),
            Value::Text("a".into()),
            Value::Blob(b"a".to_vec()),
            Value::Null,
            Value::Boolean(false),
        ];
        let map: HashMap<KeyValue, usize> = values
            .iter()
            .enumerate()
            .map(|(i, value)| (KeyValue::new(value), i))
            .collect();
        for value in &values {
            let found = map.get(&KeyRef::of(value) as &dyn KeyLookup);
            assert_eq!(found, map.get(&KeyValue::new(value)), "{value:?}");
            assert!(found.is_some());
        }
        assert_eq!(map.get(&KeyRef::Text("b") as &dyn KeyLookup), None);
    }

    #[test]
    fn keys_agree_with_sql_equality() {
        let values = [
            Value::Integer(1),
            Value::Real(1.0),
            Value::Boolean(true),
            Value::Real(1.5),
            Value::Real(-0.0),
            Value::Integer(0),
            Value::Text("1".into()),
            Value::Blob(b"1".to_vec()),
            Value::Real(1e300),
            Value::Integer(i64::MIN),
            Value::Real(-9_223_372_036_854_775_808.0),
        ];
        for a in &values {
            for b in &values {
                let sql_equal = sql_compare(a, b) == Some(Ordering::Equal);
                assert_eq!(
                    KeyValue::new(a) == KeyValue::new(b),
                    sql_equal,
                    "{a:?} vs {b:?}"
                );
            }
        }
    }

    /// A column batch's value keys as the value it stands for does.
    #[test]
    fn scalar_keys_are_value_keys() {
        use ember_storage::row::Scalar;
        let scalars = [
            Scalar::Null,
            Scalar::Integer(7),
            Scalar::Integer(i64::MIN),
            Scalar::Real(7.0),
            Scalar::Real(-0.0),
            Scalar::Real(7.25),
            Scalar::Real(f64::NAN),
            Scalar::Real(9_223_372_036_854_775_808.0),
            Scalar::Boolean(true),
            Scalar::Boolean(false),
            Scalar::Text("7"),
            Scalar::Text(""),
            Scalar::Blob(b"7"),
        ];
        for scalar in scalars {
            let value = scalar.to_value();
            assert_eq!(KeyRef::of_scalar(scalar), KeyRef::of(&value), "{scalar:?}");
        }
    }
}
