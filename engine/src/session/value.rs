//! Conversions between Rust types and SQL values: `ToValue` for parameters, `FromValue` for
//! reading columns. NULL maps to `Option::None`; reading NULL into a non-Option type is an
//! error, as is reading a value into a type it does not fit. Cargo features add chrono's,
//! time's, uuid's and serde_json's types (`value/*.rs`).

use ember_storage::Value;

use crate::error::Result;

#[cfg(feature = "chrono")]
mod chrono_types;
#[cfg(any(feature = "chrono", feature = "time"))]
mod date_text;
#[cfg(feature = "serde_json")]
mod json_type;
#[cfg(feature = "time")]
mod time_types;
#[cfg(feature = "uuid")]
mod uuid_type;

/// Converts a Rust value into a SQL value (for parameters).
///
/// ```
/// use ember::{ToValue, Value};
/// assert_eq!(42i32.to_value(), Value::Integer(42));
/// assert_eq!(Some("x").to_value(), Value::Text("x".into()));
/// assert_eq!(None::<i64>.to_value(), Value::Null);
/// ```
pub trait ToValue {
    /// The SQL value for `self`.
    fn to_value(&self) -> Value;

    /// Stores the SQL value for `self` in `slot`. Text and blob values reuse the buffer a
    /// text or blob already in `slot` holds, so a connection binding parameters into the same
    /// slots statement after statement does not allocate for them.
    ///
    /// ```
    /// use ember::{ToValue, Value};
    /// let mut slot = Value::Text(String::with_capacity(32));
    /// "ada".write_value(&mut slot);
    /// assert_eq!(slot, Value::Text("ada".into()));
    /// 7.write_value(&mut slot);
    /// assert_eq!(slot, Value::Integer(7));
    /// ```
    fn write_value(&self, slot: &mut Value) {
        *slot = self.to_value();
    }
}

/// `slot` becomes a text value holding `text`, in the text buffer `slot` holds if any.
#[inline(always)]
fn write_text(text: &str, slot: &mut Value) {
    match slot {
        Value::Text(buffer) => {
            buffer.clear();
            buffer.push_str(text);
        }
        other => *other = Value::Text(text.to_string()),
    }
}

/// `slot` becomes a blob holding `bytes`, in the blob buffer `slot` holds if any.
#[inline]
fn write_blob(bytes: &[u8], slot: &mut Value) {
    match slot {
        Value::Blob(buffer) => {
            buffer.clear();
            buffer.extend_from_slice(bytes);
        }
        other => *other = Value::Blob(bytes.to_vec()),
    }
}

/// Converts a SQL value into a Rust value (for reading rows).
///
/// ```
/// use ember::{FromValue, Value};
/// assert_eq!(i64::from_value(&Value::Integer(7)).unwrap(), 7);
/// assert_eq!(Option::<String>::from_value(&Value::Null).unwrap(), None);
/// assert!(i64::from_value(&Value::Null).is_err()); // NULL needs an Option
/// ```
pub trait FromValue: Sized {
    /// Converts `value`, or fails with a `Type` error naming both types.
    fn from_value(value: &Value) -> Result<Self>;
}

impl ToValue for Value {
    fn to_value(&self) -> Value {
        self.clone()
    }

    fn write_value(&self, slot: &mut Value) {
        match self {
            Value::Text(text) => write_text(text, slot),
            Value::Blob(bytes) => write_blob(bytes, slot),
            other => *slot = other.clone(),
        }
    }
}

impl<T: ToValue + ?Sized> ToValue for &T {
    fn to_value(&self) -> Value {
        (**self).to_value()
    }

    fn write_value(&self, slot: &mut Value) {
        (**self).write_value(slot);
    }
}

impl<T: ToValue> ToValue for Option<T> {
    fn to_value(&self) -> Value {
        self.as_ref().map_or(Value::Null, ToValue::to_value)
    }

    fn write_value(&self, slot: &mut Value) {
        match self {
            Some(value) => value.write_value(slot),
            None => *slot = Value::Null,
        }
    }
}

macro_rules! integer_to_value {
    ($($t:ty),+) => {$(
        impl ToValue for $t {
            fn to_value(&self) -> Value {
                Value::Integer(*self as i64)
            }
        }
    )+};
}
integer_to_value!(i8, i16, i32, i64, u8, u16, u32, isize);

impl ToValue for u64 {
    fn to_value(&self) -> Value {
        i64::try_from(*self).map_or(Value::Real(*self as f64), Value::Integer)
    }
}

impl ToValue for f64 {
    fn to_value(&self) -> Value {
        Value::Real(*self)
    }
}

impl ToValue for f32 {
    fn to_value(&self) -> Value {
        Value::Real(f64::from(*self))
    }
}

impl ToValue for bool {
    fn to_value(&self) -> Value {
        Value::Boolean(*self)
    }
}

impl ToValue for str {
    fn to_value(&self) -> Value {
        Value::Text(self.to_string())
    }

    #[inline]
    fn write_value(&self, slot: &mut Value) {
        write_text(self, slot);
    }
}

impl ToValue for String {
    fn to_value(&self) -> Value {
        Value::Text(self.clone())
    }

    #[inline]
    fn write_value(&self, slot: &mut Value) {
        write_text(self, slot);
    }
}

impl ToValue for [u8] {
    fn to_value(&self) -> Value {
        Value::Blob(self.to_vec())
    }

    fn write_value(&self, slot: &mut Value) {
        write_blob(self, slot);
    }
}

impl ToValue for Vec<u8> {
    fn to_value(&self) -> Value {
        Value::Blob(self.clone())
    }

    fn write_value(&self, slot: &mut Value) {
        write_blob(self, slot);
    }
}

fn wrong_type(value: &Value, wanted: &str) -> crate::Error {
    if value.is_null() {
        crate::err!(Type, "cannot read NULL into {wanted}; use Option<{wanted}>")
    } else {
        crate::err!(
            Type,
            "cannot read {} value {value} into {wanted}",
            value.type_name()
        )
    }
}

impl FromValue for Value {
    fn from_value(value: &Value) -> Result<Self> {
        Ok(value.clone())
    }
}

impl<T: FromValue> FromValue for Option<T> {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Null => Ok(None),
            other => T::from_value(other).map(Some),
        }
    }
}

impl FromValue for i64 {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Integer(i) => Ok(*i),
            Value::Boolean(b) => Ok(i64::from(*b)),
            other => Err(wrong_type(other, "i64")),
        }
    }
}

macro_rules! narrow_integer_from_value {
    ($($t:ty),+) => {$(
        impl FromValue for $t {
            fn from_value(value: &Value) -> Result<Self> {
                let wide = i64::from_value(value).map_err(|_| wrong_type(value, stringify!($t)))?;
                <$t>::try_from(wide).map_err(|_| {
                    crate::err!(Type, "value {wide} is out of range for {}", stringify!($t))
                })
            }
        }
    )+};
}
narrow_integer_from_value!(i8, i16, i32, u8, u16, u32, u64, isize, usize);

impl FromValue for f64 {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Real(r) => Ok(*r),
            Value::Integer(i) => Ok(*i as f64),
            other => Err(wrong_type(other, "f64")),
        }
    }
}

impl FromValue for bool {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Boolean(b) => Ok(*b),
            Value::Integer(i) => Ok(*i != 0),
            other => Err(wrong_type(other, "bool")),
        }
    }
}

impl FromValue for String {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Text(text) => Ok(text.clone()),
            other => Err(wrong_type(other, "String")),
        }
    }
}

impl FromValue for Vec<u8> {
    fn from_value(value: &Value) -> Result<Self> {
        match value {
            Value::Blob(bytes) => Ok(bytes.clone()),
            Value::Text(text) => Ok(text.as_bytes().to_vec()),
            other => Err(wrong_type(other, "Vec<u8>")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    #[test]
    fn null_needs_option() {
        let error = i64::from_value(&Value::Null).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Type);
        assert_eq!(Option::<i64>::from_value(&Value::Null).unwrap(), None);
    }

    #[test]
    fn narrowing_checks_range() {
        assert_eq!(u8::from_value(&Value::Integer(255)).unwrap(), 255);
        assert!(u8::from_value(&Value::Integer(256)).is_err());
        assert!(String::from_value(&Value::Integer(1)).is_err());
    }
}
