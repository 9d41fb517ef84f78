//! The storage layer's error: a kind the engine maps onto its public `ErrorKind`, and a
//! message that names the table, key or limit involved.

use std::fmt;

/// What went wrong, as far as the caller needs to decide what to do next.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum StorageErrorKind {
    /// A write-write conflict with a concurrent transaction; retrying the transaction may succeed.
    Conflict,
    /// A unique key (primary key or unique index) already holds a visible row.
    UniqueViolation,
    /// A value does not fit its column, or a row breaks a storage rule.
    InvalidData,
    /// An input passed one of the limits in `limits`.
    Limit,
    /// The memory budget would be exceeded.
    MemoryBudget,
    /// The transaction is no longer usable (already committed or aborted).
    TransactionClosed,
    /// A file-system operation failed (or a earlier failure made the log unusable).
    Io,
    /// Bytes read from disk are damaged; the message names the file and offset.
    Corruption,
    /// The database was opened read-only (by request, or because its disk could not be
    /// written at open); the message says why.
    ReadOnly,
}

/// An error from the storage layer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageError {
    pub kind: StorageErrorKind,
    pub message: String,
    /// For `UniqueViolation` from a secondary index: the index's name (`None` for the
    /// primary key and for every other kind).
    pub index: Option<String>,
}

impl fmt::Display for StorageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for StorageError {}

impl StorageError {
    pub fn new(kind: StorageErrorKind, message: impl Into<String>) -> Self {
        StorageError {
            kind,
            message: message.into(),
            index: None,
        }
    }

    /// A unique secondary index already holds `index`'s key for a row the writer sees.
    pub fn unique_violation(index: &str) -> Self {
        StorageError {
            kind: StorageErrorKind::UniqueViolation,
            message: format!("duplicate key in unique index {index}"),
            index: Some(index.to_string()),
        }
    }
}

impl StorageError {
    /// An `Io` error that says what was being done to which file.
    pub fn io(what: impl fmt::Display, error: &std::io::Error) -> Self {
        StorageError::new(StorageErrorKind::Io, format!("{what}: {error}"))
    }
}

pub type StorageResult<T> = Result<T, StorageError>;
