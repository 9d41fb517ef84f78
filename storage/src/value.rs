//! The scalars a row can hold (`Value`) and the column types a table declares (`DataType`).
//! This file knows storage rules only (what fits a column); SQL semantics such as three-valued
//! comparison and arithmetic live in the engine.

use std::fmt;

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

/// Formats a REAL as SQLite's `%!.15g` does: 15 significant digits, trailing zeros removed,
/// but always a decimal point or exponent so it reads back as a real.
pub fn format_real(r: f64) -> String {
    if r.is_nan() {
        return "NaN".to_string();
    }
    if r.is_infinite() {
        return if r > 0.0 {
            "Inf".to_string()
        } else {
            "-Inf".to_string()
        };
    }
    if r == 0.0 {
        // SQLite prints -0.0 as 0.0 (its decimal conversion drops the sign of a zero).
        return "0.0".to_string();
    }
    let exponent = r.abs().log10().floor() as i32;
    if !(-5..15).contains(&exponent) {
        let text = format!("{:.14e}", r);
        let (mantissa, exp) = text.split_once('e').unwrap_or((&text, "0"));
        let mantissa = trim_fraction(mantissa);
        let exp: i32 = exp.parse().unwrap_or(0);
        let mantissa = if mantissa.contains('.') {
            mantissa
        } else {
            format!("{mantissa}.0")
        };
        let sign = if exp < 0 { '-' } else { '+' };
        return format!("{mantissa}e{sign}{:02}", exp.abs());
    }
    let decimals = (14 - exponent).max(0) as usize;
    let text = trim_fraction(&format!("{:.*}", decimals, r));
    if text.contains('.') {
        text
    } else {
        format!("{text}.0")
    }
}

fn trim_fraction(text: &str) -> String {
    if !text.contains('.') {
        return text.to_string();
    }
    let trimmed = text.trim_end_matches('0');
    let trimmed = trimmed.strip_suffix('.').unwrap_or(trimmed);
    trimmed.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reals_render_like_sqlite() {
        assert_eq!(format_real(1.0), "1.0");
        assert_eq!(format_real(-0.0), "0.0");
        assert_eq!(format_real(0.1), "0.1");
        assert_eq!(format_real(-2.5), "-2.5");
        assert_eq!(format_real(1.0 / 3.0), "0.333333333333333");
        assert_eq!(format_real(1e20), "1.0e+20");
        assert_eq!(format_real(123456.789), "123456.789");
        assert_eq!(format_real(1.5e-7), "1.5e-07");
    }

    #[test]
    fn tags_round_trip() {
        for t in [
            DataType::Integer,
            DataType::Real,
            DataType::Text,
            DataType::Boolean,
            DataType::Blob,
            DataType::Any,
        ] {
            assert_eq!(DataType::from_tag(t.tag()), Some(t));
        }
        assert_eq!(DataType::from_tag(0), None);
    }
}
