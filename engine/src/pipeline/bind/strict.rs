//! Columns of STRICT tables, as SQLite defines them (stricttables.html): the declared type
//! must be one of INT, INTEGER, REAL, TEXT, BLOB or ANY (any case); each gives the column
//! type and affinity its values convert by. A value that does not convert losslessly is
//! refused when written (`expr/coerce.rs`); an ANY column keeps every value as given and,
//! like a BLOB one, converts nothing in comparisons.

use ember_storage::DataType;

use crate::catalog::StrictColumn;
use crate::error::Result;
use crate::expr::Affinity;

/// The column type, affinity and error naming of column `column` of STRICT table `table`,
/// declared `declared` (empty: no type).
pub(super) fn strict_column(
    table: &str,
    column: &str,
    declared: &str,
) -> Result<(DataType, Affinity, StrictColumn)> {
    if declared.trim().is_empty() {
        return Err(crate::err!(
            InvalidInput,
            "missing datatype for {table}.{column}"
        ));
    }
    let (data_type, affinity, type_name) = match declared.to_ascii_uppercase().as_str() {
        "INT" => (DataType::Integer, Affinity::Integer, "INT"),
        "INTEGER" => (DataType::Integer, Affinity::Integer, "INTEGER"),
        "REAL" => (DataType::Real, Affinity::Real, "REAL"),
        "TEXT" => (DataType::Text, Affinity::Text, "TEXT"),
        "BLOB" => (DataType::Blob, Affinity::Blob, "BLOB"),
        "ANY" => (DataType::Any, Affinity::Blob, "ANY"),
        _ => {
            return Err(crate::err!(
                InvalidInput,
                "unknown datatype for {table}.{column}: \"{declared}\""
            ))
        }
    };
    let strict = StrictColumn {
        table: table.to_string(),
        type_name,
    };
    Ok((data_type, affinity, strict))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_six_types_are_allowed() {
        let (data_type, affinity, strict) = strict_column("t", "c", "int").unwrap();
        assert_eq!(
            (data_type, affinity),
            (DataType::Integer, Affinity::Integer)
        );
        assert_eq!(strict.type_name, "INT");
        let (data_type, affinity, _) = strict_column("t", "c", "Any").unwrap();
        assert_eq!((data_type, affinity), (DataType::Any, Affinity::Blob));
        let error = strict_column("t", "c", "VARCHAR(20)").unwrap_err();
        assert_eq!(error.message(), "unknown datatype for t.c: \"VARCHAR(20)\"");
        assert!(strict_column("t", "c", "BOOLEAN").is_err());
        assert_eq!(
            strict_column("t", "c", "").unwrap_err().message(),
            "missing datatype for t.c"
        );
    }
}
