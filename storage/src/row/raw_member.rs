//! A membership test of one column's value read straight from a row's payload bytes
//! (`MemberCheck`, run by `RawChecks`' walk): the engine hands down a test of the raw
//! value (a hash join's runtime bloom filter hashes it as the join hashes the decoded
//! value), so a row the test rejects never builds a `Value`. Only INTEGER, REAL and TEXT
//! columns are read raw; a NULL never passes, and a clustered table's key left out of the
//! payload reads the row id, as the decoded row would.

use std::fmt;
use std::sync::Arc;

/// A column's value as the raw walk reads it, before any `Value` is built.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum RawValue<'a> {
    Integer(i64),
    Real(f64),
    /// Checked to be UTF-8, as a decode checks it.
    Text(&'a str),
}

/// A test of a raw value (shared by the scan's worker threads).
pub type MemberTest = Arc<dyn Fn(RawValue<'_>) -> bool + Send + Sync>;

/// A test of column `column`'s non-NULL values: a row passes when `test` says so.
#[derive(Clone)]
pub struct MemberCheck {
    pub column: usize,
    pub test: MemberTest,
}

impl fmt::Debug for MemberCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "MemberCheck(column {})", self.column)
    }
}

#[cfg(test)]
#[path = "raw_member_tests.rs"]
mod tests;
