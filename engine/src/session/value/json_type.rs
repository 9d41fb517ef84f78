//! `ToValue` / `FromValue` for `serde_json::Value` (cargo feature `serde_json`), as rusqlite
//! maps it: JSON null is SQL NULL, an integer or float number is an INTEGER or REAL, anything
//! else (strings, booleans, arrays, objects) is stored as its JSON text, which SQL's `json_*`
//! functions and `->` / `->>` read. Reading parses TEXT (or a BLOB of UTF-8) as JSON, and
//! takes INTEGER and REAL as numbers and NULL as JSON null.

use ember_storage::Value;

use super::{FromValue, ToValue};
use crate::error::Result;

/// ```
/// use ember::{FromValue, ToValue, Value};
/// let doc = serde_json::json!({"name": "ada", "tags": [1, 2]});
/// assert_eq!(doc.to_value(), Value::Text(r#"{"name":"ada","tags":[1,2]}"#.into()));
/// assert_eq!(serde_json::Value::from_value(&doc.to_value()).unwrap(), doc);
/// assert_eq!(serde_json::json!(7).to_value(), Value::Integer(7));
/// ```
impl ToValue for serde_json::Value {
    fn to_value(&self) -> Value {
        match self {
            serde_json::Value::Null => Value::Null,
            serde_json::Value::Number(number) => match (number.as_i64(), number.as_f64()) {
                (Some(integer), _) => Value::Integer(integer),
                (None, Some(real)) => Value::Real(real),
                (None, None) => Value::Text(number.to_string()),
            },
            other => Value::Text(other.to_string()),
        }
    }
}

impl FromValue for serde_json::Value {
    fn from_value(value: &Value) -> Result<Self> {
        let parsed = match value {
            Value::Null => return Ok(serde_json::Value::Null),
            Value::Integer(integer) => return Ok((*integer).into()),
            Value::Boolean(truth) => return Ok((*truth).into()),
            Value::Real(real) => {
                return serde_json::Number::from_f64(*real)
                    .map(serde_json::Value::Number)
                    .ok_or_else(|| {
                        crate::err!(
                            Type,
                            "cannot read REAL {real} as JSON: JSON has no NaN or infinity"
                        )
                    });
            }
            Value::Text(text) => serde_json::from_str(text),
            Value::Blob(bytes) => serde_json::from_slice(bytes),
        };
        parsed.map_err(|error| {
            crate::err!(
                Type,
                "cannot read {} value as JSON: {error}",
                value.type_name()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_maps_as_rusqlite_does_and_bad_text_fails() {
        assert_eq!(serde_json::Value::Null.to_value(), Value::Null);
        assert_eq!(serde_json::json!(1.5).to_value(), Value::Real(1.5));
        assert_eq!(
            serde_json::json!("a").to_value(),
            Value::Text("\"a\"".into())
        );
        assert_eq!(
            serde_json::json!(true).to_value(),
            Value::Text("true".into())
        );
        assert_eq!(
            serde_json::Value::from_value(&Value::Real(2.5)).unwrap(),
            serde_json::json!(2.5)
        );
        let error = serde_json::Value::from_value(&Value::Text("{oops".into())).unwrap_err();
        assert!(error.to_string().contains("as JSON"), "{error}");
    }
}
