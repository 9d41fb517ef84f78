//! Converting a value to a column's declared type on INSERT and UPDATE, as SQLite's column
//! affinity converts it where that is lossless (text '12' into INTEGER, 3 into REAL, 3.0
//! into INTEGER, 5 into TEXT '5'; into a NUMERIC column '1.0' and 3.0 become the integers 1
//! and 3, and other text that is a whole number becomes that number); anything else is a
//! `Type` error naming the column and the value (a column of a typed EmberDB table behaves
//! like a column of SQLite's STRICT tables there). Untyped (BLOB affinity) columns keep
//! values as they are. A column of a STRICT table converts the same way, refuses a value
//! that does not convert with SQLite's constraint error (`cannot store TEXT value in INT
//! column t.c`), and as SQLite's STRICT tables do, a BLOB column takes only blobs and an
//! ANY column keeps every value as given.

use ember_storage::{DataType, Value};

use crate::catalog::{ColumnDef, StrictColumn};
use crate::error::Result;

use super::ops::{numeric_prefix, Numeric};
use super::Affinity;

/// Whether `value` can be stored in `column` as it is: coercing it would return it
/// unchanged, so writers may skip `coerce_to_column`.
#[inline]
pub fn fits_column(value: &Value, column: &ColumnDef) -> bool {
    match column.data_type {
        DataType::Any => {
            column.affinity != Affinity::Numeric
                || !matches!(value, Value::Text(_) | Value::Real(_))
        }
        data_type => value.data_type() == Some(data_type),
    }
}

/// Converts `value` for storage in `column`.
pub fn coerce_to_column(value: Value, column: &ColumnDef) -> Result<Value> {
    if let Some(strict) = &column.strict {
        return coerce_strict(value, column, strict);
    }
    match (column.data_type, column.affinity) {
        (DataType::Any, Affinity::Numeric) => Ok(numeric_affinity(value)),
        (data_type, _) => coerce(value, data_type, &column.name),
    }
}

/// `value` as a column of type `data_type` and affinity `affinity` stores it (a value
/// such a column refuses is left as it is: the write that stores it reports that).
pub fn stored_form(value: Value, data_type: DataType, affinity: Affinity) -> Value {
    match (data_type, affinity) {
        _ if value.is_null() => value,
        (DataType::Any, Affinity::Numeric) => numeric_affinity(value),
        (data_type, _) => match coerce(value.clone(), data_type, "") {
            Ok(stored) => stored,
            Err(_) => value,
        },
    }
}

/// Converts `value` for storage in `column` of a STRICT table.
fn coerce_strict(value: Value, column: &ColumnDef, strict: &StrictColumn) -> Result<Value> {
    // SQLite has no boolean values: TRUE and FALSE are the integers 1 and 0.
    let value = match value {
        Value::Boolean(b) => Value::Integer(i64::from(b)),
        other => other,
    };
    let refused = |value_type: &str| {
        crate::err!(
            Constraint,
            "cannot store {value_type} value in {} column {}.{}",
            strict.type_name,
            strict.table,
            column.name
        )
    };
    match (column.data_type, value) {
        (_, Value::Null) => Ok(Value::Null),
        (DataType::Any, value) => Ok(value),
        (DataType::Blob, value @ Value::Blob(_)) => Ok(value),
        (data_type, value) => {
            let value_type = strict_type_name(&value, data_type);
            if data_type == DataType::Blob {
                return Err(refused(value_type));
            }
            coerce(value, data_type, &column.name).map_err(|_| refused(value_type))
        }
    }
}

/// How SQLite names a value it refuses for a STRICT column of `data_type`: by its type
/// after the column's affinity converted it (text that is a number is a REAL by then when
/// the INTEGER column could not take it).
fn strict_type_name(value: &Value, data_type: DataType) -> &'static str {
    match value {
        Value::Null => "NULL",
        Value::Integer(_) | Value::Boolean(_) => "INT",
        Value::Real(_) => "REAL",
        Value::Text(text)
            if data_type == DataType::Integer && parse_whole_number(text).is_some() =>
        {
            "REAL"
        }
        Value::Text(_) => "TEXT",
        Value::Blob(_) => "BLOB",
    }
}

/// SQLite's NUMERIC affinity on storage: text that is entirely a number becomes it (an
/// integral real in the 64-bit range becomes an INTEGER), as does an integral REAL.
fn numeric_affinity(value: Value) -> Value {
    let real_or_integer = |r: f64| {
        if r.fract() == 0.0 && r.abs() < 9.2e18 {
            Value::Integer(r as i64)
        } else {
            Value::Real(r)
        }
    };
    match value {
        Value::Text(text) => match parse_whole_number(&text) {
            Some(Numeric::Integer(i)) => Value::Integer(i),
            Some(Numeric::Real(r)) => real_or_integer(r),
            None => Value::Text(text),
        },
        Value::Real(r) => real_or_integer(r),
        other => other,
    }
}

/// Text that is entirely a number (spaces around it allowed), as the number SQLite's
/// NUMERIC affinity makes of it; `None` for any other text.
pub fn numeric_text(text: &str) -> Option<Value> {
    parse_whole_number(text).map(|number| match number {
        Numeric::Integer(i) => Value::Integer(i),
        Numeric::Real(r) => Value::Real(r),
    })
}

/// Converts `value` for storage in a column of type `data_type` named `column`.
fn coerce(value: Value, data_type: DataType, column: &str) -> Result<Value> {
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

/// Whether a column of `data_type` stores `value` unchanged, so that a row found under the
/// value's key holds a value equal to it under the key's collation: an integer in an
/// INTEGER column, a text in a TEXT column (which stores nothing but text, above).
/// Equality under another collation than the key's is left to the residual filter
/// (`optimize::key_residual` keeps such terms).
pub fn holds_as_is(value: &Value, data_type: DataType) -> bool {
    matches!(
        (value, data_type),
        (Value::Integer(_), DataType::Integer) | (Value::Text(_), DataType::Text)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn column_of(data_type: DataType, affinity: Affinity) -> ColumnDef {
        ColumnDef {
            name: "c".into(),
            data_type,
            not_null: false,
            default: None,
            affinity,
            collation: crate::expr::Collation::Binary,
            hidden: false,
            strict: None,
            generated: None,
        }
    }

    #[test]
    fn numeric_columns_convert_numbers_in_text_and_integral_reals() {
        let numeric = column_of(DataType::Any, Affinity::Numeric);
        let store = |v: Value| {
            let fits = fits_column(&v, &numeric);
            let stored = coerce_to_column(v.clone(), &numeric).unwrap();
            assert!(!fits || stored == v, "{v:?} fits but changes");
            stored
        };
        assert_eq!(store(Value::Text("1.0".into())), Value::Integer(1));
        assert_eq!(store(Value::Text(" 12 ".into())), Value::Integer(12));
        assert_eq!(store(Value::Text("1.5".into())), Value::Real(1.5));
        assert_eq!(store(Value::Text("1e3".into())), Value::Integer(1000));
        assert_eq!(
            store(Value::Text("0x10".into())),
            Value::Text("0x10".into())
        );
        assert_eq!(store(Value::Real(3.0)), Value::Integer(3));
        assert_eq!(store(Value::Integer(7)), Value::Integer(7));
        let untyped = column_of(DataType::Any, Affinity::Blob);
        assert!(fits_column(&Value::Text("1".into()), &untyped));
        assert_eq!(
            coerce_to_column(Value::Real(3.0), &untyped).unwrap(),
            Value::Real(3.0)
        );
    }

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
                let column = column_of(data_type, Affinity::Blob);
                if fits_column(value, &column) {
                    let coerced = coerce(value.clone(), data_type, "c").unwrap();
                    assert_eq!(&coerced, value, "{value:?} into {data_type}");
                }
            }
        }
    }

    #[test]
    fn strict_columns_convert_losslessly_or_refuse_with_sqlites_error() {
        let strict = |data_type, type_name| ColumnDef {
            strict: Some(StrictColumn {
                table: "t".into(),
                type_name,
            }),
            ..column_of(data_type, Affinity::Blob)
        };
        let int = strict(DataType::Integer, "INT");
        assert_eq!(
            coerce_to_column(Value::Text("3.0".into()), &int).unwrap(),
            Value::Integer(3)
        );
        assert_eq!(
            coerce_to_column(Value::Boolean(true), &int).unwrap(),
            Value::Integer(1)
        );
        let error = coerce_to_column(Value::Real(2.5), &int).unwrap_err();
        assert_eq!(error.kind(), crate::ErrorKind::Constraint);
        assert_eq!(error.message(), "cannot store REAL value in INT column t.c");
        // Named by the type the column's affinity left it: '2.5' is a REAL by then.
        assert_eq!(
            coerce_to_column(Value::Text("2.5".into()), &int)
                .unwrap_err()
                .message(),
            "cannot store REAL value in INT column t.c"
        );
        assert_eq!(
            coerce_to_column(Value::Text("abc".into()), &int)
                .unwrap_err()
                .message(),
            "cannot store TEXT value in INT column t.c"
        );
        let text = strict(DataType::Text, "TEXT");
        assert_eq!(
            coerce_to_column(Value::Real(1.5), &text).unwrap(),
            Value::Text("1.5".into())
        );
        assert_eq!(
            coerce_to_column(Value::Blob(vec![1]), &text)
                .unwrap_err()
                .message(),
            "cannot store BLOB value in TEXT column t.c"
        );
        let blob = strict(DataType::Blob, "BLOB");
        assert_eq!(
            coerce_to_column(Value::Text("x".into()), &blob)
                .unwrap_err()
                .message(),
            "cannot store TEXT value in BLOB column t.c"
        );
        assert_eq!(
            coerce_to_column(Value::Integer(1), &blob)
                .unwrap_err()
                .message(),
            "cannot store INT value in BLOB column t.c"
        );
        assert_eq!(coerce_to_column(Value::Null, &blob).unwrap(), Value::Null);
        let any = strict(DataType::Any, "ANY");
        for value in [
            Value::Text("1".into()),
            Value::Real(1.0),
            Value::Blob(vec![]),
        ] {
            assert!(fits_column(&value, &any));
            assert_eq!(coerce_to_column(value.clone(), &any).unwrap(), value);
        }
    }

    #[test]
    fn lossless_conversions_succeed() {
        let to_int = |v| coerce(v, DataType::Integer, "c");
        assert_eq!(
            to_int(Value::Text(" 12 ".into())).unwrap(),
            Value::Integer(12)
        );
        assert_eq!(to_int(Value::Real(3.0)).unwrap(), Value::Integer(3));
        assert_eq!(
            coerce(Value::Integer(3), DataType::Real, "c").unwrap(),
            Value::Real(3.0)
        );
        assert_eq!(
            coerce(Value::Integer(3), DataType::Text, "c").unwrap(),
            Value::Text("3".into())
        );
    }

    #[test]
    fn lossy_conversions_fail_with_the_column_named() {
        let error = coerce(Value::Text("abc".into()), DataType::Integer, "age").unwrap_err();
        assert!(error.message().contains("age"), "{error}");
        assert!(coerce(Value::Real(3.5), DataType::Integer, "c").is_err());
        assert!(coerce(Value::Text("inf".into()), DataType::Real, "c").is_err());
    }
}
