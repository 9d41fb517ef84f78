//! Collating sequences (SQLite's BINARY, NOCASE, RTRIM) and what a column carries into a
//! comparison (`ColumnMeta`: its affinity and collation). A comparison under a collation
//! other than BINARY compares *collation keys*: text folded so that a bytewise comparison of
//! the keys is the collation's comparison of the texts (NOCASE lowers ASCII letters, RTRIM
//! drops trailing spaces); numbers, blobs and NULL are their own keys. Hash joins, GROUP BY,
//! DISTINCT and indexes hash the keys, so the same folding serves equality and hashing.

use std::fmt;

use ember_storage::Value;

use crate::error::Result;

use super::Affinity;

/// A collating sequence for text comparisons.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Collation {
    /// Bytewise (SQLite's default).
    #[default]
    Binary,
    /// ASCII letters compare case-insensitively (as SQLite: other characters bytewise).
    NoCase,
    /// Trailing spaces are ignored.
    RTrim,
}

impl Collation {
    /// The storage's name for this collation (what an ordered index column keys by).
    pub fn index_collation(self) -> ember_storage::index::KeyCollation {
        use ember_storage::index::KeyCollation;
        match self {
            Collation::Binary => KeyCollation::Binary,
            Collation::NoCase => KeyCollation::NoCase,
            Collation::RTrim => KeyCollation::Rtrim,
        }
    }

    /// The collation named `name` (case-insensitively), or SQLite's error.
    pub fn by_name(name: &str) -> Result<Collation> {
        match name.to_ascii_uppercase().as_str() {
            "BINARY" => Ok(Collation::Binary),
            "NOCASE" => Ok(Collation::NoCase),
            "RTRIM" => Ok(Collation::RTrim),
            _ => Err(crate::err!(
                InvalidInput,
                "no such collation sequence: {name}"
            )),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Collation::Binary => "BINARY",
            Collation::NoCase => "NOCASE",
            Collation::RTrim => "RTRIM",
        }
    }

    /// The value whose bytewise comparison is this collation's comparison of `value`.
    pub fn key(self, value: Value) -> Value {
        match (self, value) {
            (Collation::NoCase, Value::Text(text))
                if text.bytes().any(|b| b.is_ascii_uppercase()) =>
            {
                Value::Text(text.to_ascii_lowercase())
            }
            (Collation::RTrim, Value::Text(text)) if text.ends_with(' ') => {
                Value::Text(text.trim_end_matches(' ').to_string())
            }
            (_, value) => value,
        }
    }
}

impl fmt::Display for Collation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// What a column reference carries into comparisons: the column's affinity (`None` for a
/// computed column of a subquery or view, which has none) and its collation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ColumnMeta {
    pub affinity: Option<Affinity>,
    pub collation: Collation,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(s: &str) -> Value {
        Value::Text(s.into())
    }

    #[test]
    fn keys_fold_text_only() {
        assert_eq!(Collation::NoCase.key(text("AbC")), text("abc"));
        assert_eq!(Collation::NoCase.key(text("ÄB")), text("Äb"));
        assert_eq!(Collation::RTrim.key(text("a  ")), text("a"));
        assert_eq!(Collation::RTrim.key(text(" a")), text(" a"));
        assert_eq!(Collation::Binary.key(text("A ")), text("A "));
        assert_eq!(Collation::NoCase.key(Value::Integer(1)), Value::Integer(1));
    }

    #[test]
    fn names_resolve_or_fail_like_sqlite() {
        assert_eq!(Collation::by_name("nocase").unwrap(), Collation::NoCase);
        assert_eq!(Collation::by_name("RTRIM").unwrap(), Collation::RTrim);
        let error = Collation::by_name("french").unwrap_err();
        assert_eq!(error.message(), "no such collation sequence: french");
    }
}
