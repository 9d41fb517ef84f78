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
#[derive(Debug, PartialEq)]
pub enum Value {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Boolean(bool),
    Blob(Vec<u8>),
}

impl Clone for Value {
    #[inline]
    fn clone(&self) -> Value {
        match self {
            Value::Null => Value::Null,
            Value::Integer(int) => Value::Integer(*int),
            Value::Real(real) => Value::Real(*real),
            Value::Text(text) => Value::Text(text.clone()),
            Value::Boolean(boolean) => Value::Boolean(*boolean),
            Value::Blob(blob) => Value::Blob(blob.clone()),
        }
    }

    /// Copies text or a blob into the buffer `self` already holds when it is one of the
    /// same kind (no allocation when it has room): a row of values overwritten in place
    /// (`<[Value]>::clone_into`, `Vec::clone_from`) keeps its buffers.
    #[inline]
    fn clone_from(&mut self, source: &Value) {
        match (self, source) {
            (Value::Text(text), Value::Text(source)) => text.clone_from(source),
            (Value::Blob(blob), Value::Blob(source)) => blob.clone_from(source),
            (slot, source) => *slot = source.clone(),
        }
    }
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

    #[test]
    fn clone_from_copies_every_kind_and_reuses_a_text_or_blob_buffer() {
        let all = [
            Value::Null,
            Value::Integer(-7),
            Value::Real(2.5),
            Value::Text("some text".into()),
            Value::Boolean(true),
            Value::Blob(vec![1, 2, 3]),
        ];
        for source in &all {
            assert_eq!(&source.clone(), source);
            for start in &all {
                let mut slot = start.clone();
                slot.clone_from(source);
                assert_eq!(&slot, source, "{start:?} overwritten by {source:?}");
            }
        }
        let mut text = Value::Text(String::with_capacity(64));
        let Value::Text(buffer) = &text else {
            unreachable!()
        };
        let before = buffer.as_ptr();
        text.clone_from(&Value::Text("short".into()));
        assert!(matches!(&text, Value::Text(t) if t == "short" && t.as_ptr() == before));
        let mut row = vec![Value::Text("old".into()), Value::Integer(1)];
        let source: &[Value] = &[Value::Integer(2)];
        source.clone_into(&mut row);
        assert_eq!(row, vec![Value::Integer(2)]);
    }
}
