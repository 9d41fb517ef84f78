//! The scalars a row can hold (`Value`) and the column types a table declares (`DataType`).
//! This file knows storage rules only (what fits a column); SQL semantics such as three-valued
//! comparison and arithmetic live in the engine.

use std::fmt;

pub use crate::real_text::{format_real, format_real_15};

/// A column's declared type. `Any` holds any value, as an untyped SQLite column does.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DataType {
    Integer,
    Real,
    Text,
    Boolean,
    Blob,
    Any,
}

impl DataType {
    /// Every type, in declaration order.
    pub const ALL: [DataType; 6] = [
        DataType::Integer,
        DataType::Real,
        DataType::Text,
        DataType::Boolean,
        DataType::Blob,
        DataType::Any,
    ];

    /// The SQL name used in `.schema`, `EXPLAIN` and error messages.
    pub fn name(self) -> &'static str {
        match self {
            DataType::Integer => "INTEGER",
            DataType::Real => "REAL",
            DataType::Text => "TEXT",
            DataType::Boolean => "BOOLEAN",
            DataType::Blob => "BLOB",
            DataType::Any => "ANY",
        }
    }

    /// The numeric tag used for this type in encodings (row codec, WAL, snapshots).
    pub fn tag(self) -> u8 {
        match self {
            DataType::Integer => 1,
            DataType::Real => 2,
            DataType::Text => 3,
            DataType::Boolean => 4,
            DataType::Blob => 5,
            DataType::Any => 6,
        }
    }

    pub fn from_tag(tag: u8) -> Option<DataType> {
        Some(match tag {
            1 => DataType::Integer,
            2 => DataType::Real,
            3 => DataType::Text,
            4 => DataType::Boolean,
            5 => DataType::Blob,
            6 => DataType::Any,
            _ => return None,
        })
    }
}

impl fmt::Display for DataType {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// One SQL value.
#[derive(Debug, Clone, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
    Blob(Vec<u8>),
}

impl Value {
    pub fn is_null(&self) -> bool {
        matches!(self, Value::Null)
    }

    /// The type this value has on its own; `None` for NULL.
    pub fn data_type(&self) -> Option<DataType> {
        match self {
            Value::Null => None,
            Value::Integer(_) => Some(DataType::Integer),
            Value::Real(_) => Some(DataType::Real),
            Value::Text(_) => Some(DataType::Text),
            Value::Boolean(_) => Some(DataType::Boolean),
            Value::Blob(_) => Some(DataType::Blob),
        }
    }

    /// The name `typeof()` reports, SQLite style.
    pub fn type_name(&self) -> &'static str {
        match self {
            Value::Null => "null",
            Value::Integer(_) | Value::Boolean(_) => "integer",
            Value::Real(_) => "real",
            Value::Text(_) => "text",
            Value::Blob(_) => "blob",
        }
    }

    /// Bytes this value occupies as raw payload (used for memory accounting and stats).
    pub fn payload_bytes(&self) -> usize {
        match self {
            Value::Null => 0,
            Value::Integer(_) | Value::Real(_) => 8,
            Value::Boolean(_) => 1,
            Value::Text(s) => s.len(),
            Value::Blob(b) => b.len(),
        }
    }
}

impl fmt::Display for Value {
    /// Renders a value the way sqlite3's list mode does: NULL as empty, reals with at most 15
    /// significant digits and a `.0` when integral, blobs as raw bytes (lossy UTF-8).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Value::Null => Ok(()),
            Value::Integer(i) => write!(f, "{i}"),
            Value::Real(r) => f.write_str(&format_real(*r)),
            Value::Text(s) => f.write_str(s),
            Value::Boolean(b) => f.write_str(if *b { "1" } else { "0" }),
            Value::Blob(b) => f.write_str(&String::from_utf8_lossy(b)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tags_round_trip() {
        for t in DataType::ALL {
            assert_eq!(DataType::from_tag(t.tag()), Some(t));
        }
        assert_eq!(DataType::from_tag(0), None);
    }
}
