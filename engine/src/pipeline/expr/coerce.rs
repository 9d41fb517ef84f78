//! Converting a value to a column's declared type on INSERT and UPDATE. Lossless conversions
//! happen (text '12' into INTEGER, 3 into REAL, 3.0 into INTEGER); anything else is a `Type`
//! error naming the column and the value.

use ember_storage::{DataType, Value};

use crate::error::Result;

use super::ops::{numeric_prefix, Numeric};

/// Whether `value` already has `data_type`'s type (or the column takes any): coercing it
/// would return it unchanged, so writers may skip `coerce_to_column`.
pub fn fits_column(value: &Value, data_type: DataType) -> bool {
    data_type == DataType::Any || value.data_type() == Some(data_type)
}

/// Converts `value` for storage in `column` of type `data_type`.
pub fn coerce_to_column(value: Value, data_type: DataType, column: &str) -> Result<Value> {
    let mismatch = |value: &Value| {
        crate::err!(
            Type,
            "cannot store {} value {} in {data_type} column {column}",
            value.type_name(),
            describe(value)
        )
    };
    Ok(match (data_type, value) {
        (_, Value::Null) => Value::Null,
        (DataType::Any, value) => value,
        (DataType::Integer, Value::Integer(i)) => Value::Integer(i),
        (DataType::Integer, Value::Boolean(b)) => Value::Integer(i64::from(b)),
        (DataType::Integer, Value::Real(r)) if r.fract() == 0.0 && r.abs() < 9.2e18 => {
            Value::Integer(r as i64)
        }
        (DataType::Integer, Value::Text(text)) => match parse_whole_number(&text) {
            Some(Numeric::Integer(i)) => Value::Integer(i),
            Some(Numeric::Real(r)) if r.fract() == 0.0 && r.abs() < 9.2e18 => {
                Value::Integer(r as i64)
            }
            _ => return Err(mismatch(&Value::Text(text))),
        },
        (DataType::Real, Value::Real(r)) => Value::Real(r),
        (DataType::Real, Value::Integer(i)) => Value::Real(i as f64),
        (DataType::Real, Value::Boolean(b)) => Value::Real(f64::from(u8::from(b))),
        (DataType::Real, Value::Text(text)) => match parse_whole_number(&text) {
            Some(Numeric::Integer(i)) => Value::Real(i as f64),
            Some(Numeric::Real(r)) => Value::Real(r),
            None => return Err(mismatch(&Value::Text(text))),
        },
        (DataType::Text, Value::Text(text)) => Value::Text(text),
        (DataType::Text, value @ (Value::Integer(_) | Value::Real(_))) => {
            Value::Text(value.to_string())
        }
        (DataType::Boolean, Value::Boolean(b)) => Value::Boolean(b),
        (DataType::Boolean, Value::Integer(i)) if i == 0 || i == 1 => Value::Boolean(i == 1),
        (DataType::Boolean, Value::Text(text)) => match text.to_ascii_lowercase().as_str() {
            "true" | "t" | "1" => Value::Boolean(true),
            "false" | "f" | "0" => Value::Boolean(false),
            _ => return Err(mismatch(&Value::Text(text))),
        },
        (DataType::Blob, Value::Blob(bytes)) => Value::Blob(bytes),
        (DataType::Blob, Value::Text(text)) => Value::Blob(text.into_bytes()),
        (_, value) => return Err(mismatch(&value)),
    })
}

/// Parses text that is a number in its entirety (surrounding spaces allowed).
pub(crate) fn parse_whole_number(text: &str) -> Option<Numeric> {
    let trimmed = text.trim();
    if trimmed.is_empty() {
        return None;
    }
    if let Ok(i) = trimmed.parse::<i64>() {
        return Some(Numeric::Integer(i));
    }
    let parsed = trimmed.parse::<f64>().ok().filter(|r| r.is_finite())?;
    // Reject forms Rust accepts but SQL does not ("inf", "nan").
    match numeric_prefix(trimmed) {
        Numeric::Real(r) if r == parsed => Some(Numeric::Real(r)),
        Numeric::Integer(i) if i as f64 == parsed => Some(Numeric::Real(parsed)),
        _ => None,
    }
}

fn describe(value: &Value) -> String {
    match value {
        Value::Text(text) => format!("'{}'", text.chars().take(40).collect::<String>()),
        Value::Blob(bytes) => format!("of {} bytes", bytes.len()),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fitting_value_is_what_coercion_returns() {
        let values = [
            Value::Null,
            Value::Integer(7),
            Value::Real(2.5),
            Value::Text("x".into()),
            Value::Boolean(true),
            Value::Blob(vec![1]),
        ];
        for data_type in DataType::ALL {
            for value in &values {
                if fits_column(value, data_type) {
                    let coerced = coerce_to_column(value.clone(), data_type, "c").unwrap();
                    assert_eq!(&coerced, value, "{value:?} into {data_type}");
                }
            }
        }
    }

    #[test]
    fn lossless_conversions_succeed() {
        let to_int = |v| coerce_to_column(v, DataType::Integer, "c");
        assert_eq!(
            to_int(Value::Text(" 12 ".into())).unwrap(),
            Value::Integer(12)
        );
        assert_eq!(to_int(Value::Real(3.0)).unwrap(), Value::Integer(3));
        assert_eq!(
            coerce_to_column(Value::Integer(3), DataType::Real, "c").unwrap(),
            Value::Real(3.0)
        );
        assert_eq!(
            coerce_to_column(Value::Integer(3), DataType::Text, "c").unwrap(),
            Value::Text("3".into())
        );
    }

    #[test]
    fn lossy_conversions_fail_with_the_column_named() {
        let error =
            coerce_to_column(Value::Text("abc".into()), DataType::Integer, "age").unwrap_err();
        assert!(error.message().contains("age"), "{error}");
        assert!(coerce_to_column(Value::Real(3.5), DataType::Integer, "c").is_err());
        assert!(coerce_to_column(Value::Text("inf".into()), DataType::Real, "c").is_err());
    }
}
