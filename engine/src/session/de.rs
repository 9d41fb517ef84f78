//! serde support: rows deserialize onto user structs by column name
//! (`row.deserialize::<T>()`, `conn.query_as::<T>()`), each value through a small
//! `Deserializer` over a SQL value (NULL -> `None`, INTEGER -> i64, REAL -> f64, TEXT -> str,
//! BLOB -> bytes, BOOLEAN -> bool).

use serde::de::value::MapDeserializer;
use serde::de::{self, IntoDeserializer, Visitor};
use serde::forward_to_deserialize_any;

use ember_storage::Value;

use crate::error::{Error, ErrorKind};

impl de::Error for Error {
    fn custom<T: std::fmt::Display>(message: T) -> Error {
        Error::new(ErrorKind::Type, message.to_string())
    }
}

/// Deserializes one SQL value.
pub(crate) struct ValueDeserializer<'v>(pub(crate) &'v Value);

impl<'de> IntoDeserializer<'de, Error> for ValueDeserializer<'_> {
    type Deserializer = Self;

    fn into_deserializer(self) -> Self {
        self
    }
}

impl<'de> de::Deserializer<'de> for ValueDeserializer<'_> {
    type Error = Error;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_unit(),
            Value::Integer(n) => visitor.visit_i64(*n),
            Value::Real(x) => visitor.visit_f64(*x),
            Value::Text(text) => visitor.visit_str(text),
            Value::Boolean(b) => visitor.visit_bool(*b),
            Value::Blob(bytes) => visitor.visit_bytes(bytes),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    /// SQLite-style booleans: integers 0 and 1 read as `bool`.
    fn deserialize_bool<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Integer(n @ (0 | 1)) => visitor.visit_bool(*n == 1),
            _ => self.deserialize_any(visitor),
        }
    }

    /// Integers read as `f64` fields.
    fn deserialize_f64<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        match self.0 {
            Value::Integer(n) => visitor.visit_f64(*n as f64),
            _ => self.deserialize_any(visitor),
        }
    }

    fn deserialize_f32<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, Error> {
        self.deserialize_f64(visitor)
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, Error> {
        visitor.visit_newtype_struct(self)
    }

    forward_to_deserialize_any! {
        i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 char str string
        bytes byte_buf unit unit_struct seq tuple
        tuple_struct map struct enum identifier ignored_any
    }
}

/// Deserializes a row as a map from column name to value.
pub(crate) fn deserialize_row<'de, T: de::Deserialize<'de>>(
    columns: &[String],
    values: &[Value],
) -> Result<T, Error> {
    let entries = columns
        .iter()
        .map(String::as_str)
        .zip(values.iter().map(ValueDeserializer));
    T::deserialize(MapDeserializer::new(entries))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(serde::Deserialize, Debug, PartialEq)]
    struct Item {
        id: i32,
        price: f64,
        label: Option<String>,
        flag: bool,
    }

    fn columns() -> Vec<String> {
        ["id", "price", "label", "flag"].map(String::from).to_vec()
    }

    #[test]
    fn maps_columns_onto_fields_by_name() {
        let values = vec![
            Value::Integer(3),
            Value::Integer(2),
            Value::Null,
            Value::Integer(1),
        ];
        let item: Item = deserialize_row(&columns(), &values).unwrap();
        assert_eq!(
            item,
            Item {
                id: 3,
                price: 2.0,
                label: None,
                flag: true
            }
        );
    }

    #[test]
    fn null_into_non_option_is_a_type_error() {
        let values = vec![
            Value::Null,
            Value::Real(1.0),
            Value::Null,
            Value::Boolean(false),
        ];
        let error = deserialize_row::<Item>(&columns(), &values).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    }

    #[test]
    fn out_of_range_integer_is_a_type_error() {
        let values = vec![
            Value::Integer(i64::MAX),
            Value::Real(1.0),
            Value::Null,
            Value::Boolean(false),
        ];
        let error = deserialize_row::<Item>(&columns(), &values).unwrap_err();
        assert_eq!(error.kind(), ErrorKind::Type, "{error}");
    }
}
