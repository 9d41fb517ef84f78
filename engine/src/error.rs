//! The one public error type: a kind the caller can match on, and a message that points at
//! the cause (the table, column, value or position involved).

use std::fmt;

use ember_storage::{StorageError, StorageErrorKind};

/// What kind of failure an [`Error`] is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum ErrorKind {
    /// The SQL text does not parse.
    Syntax,
    /// The SQL parses but uses a construct EmberDB does not implement.
    Unsupported,
    /// A table, column, index or other name does not exist.
    NotFound,
    /// A name being created already exists.
    AlreadyExists,
    /// A constraint (primary key, unique, not null) would be violated.
    Constraint,
    /// A value has the wrong type, or cannot be converted to the column's type.
    Type,
    /// A concurrent transaction conflicted; retrying the transaction may succeed.
    SerializationConflict,
    /// The memory budget would be exceeded.
    MemoryBudget,
    /// A limit on input size or depth was passed.
    Limit,
    /// The statement is not valid in the current transaction state.
    Transaction,
    /// Reading or writing a file failed.
    Io,
    /// Data read from disk is damaged.
    Corruption,
    /// A query expected to return a row (`query_row`, `query_one`, `query_value`) returned
    /// none.
    NoRows,
    /// A query expected to return exactly one row (`query_one`) returned more.
    TooManyRows,
    /// `execute` ran a statement that returned a row (a SELECT, VALUES, a PRAGMA that
    /// reports a value, RETURNING), as rusqlite's `ExecuteReturnedResults`: `query`,
    /// `query_row` or `query_value` read rows.
    ExecuteReturnedResults,
    /// Anything else that is the caller's mistake (wrong argument count, bad value).
    InvalidInput,
    /// A broken internal invariant: a bug in EmberDB, reported instead of a panic.
    Internal,
    /// The statement was stopped through its connection's [`crate::InterruptHandle`].
    Interrupted,
    /// A write to a database that was opened read-only ([`crate::Options::read_only`], or
    /// because its directory could not be written at open: a full disk); the message says
    /// why.
    ReadOnly,
    /// The database directory is locked by another open handle (of this process or
    /// another) and stayed locked for [`crate::Options::busy_timeout`]; opening again later
    /// may succeed.
    Busy,
    /// An `AS OF` read names a commit or time older than the history kept (`PRAGMA
    /// history_retention`, the table option `history_retention`, what survived a reopen);
    /// the message names the oldest readable commit and its time.
    HistoryUnavailable,
}

/// An EmberDB error.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Error {
    kind: ErrorKind,
    message: String,
    /// Set for the error a trigger's `RAISE(...)` made, or a constraint declaring FAIL or
    /// ROLLBACK: what it undoes.
    raised: Option<RaiseAction>,
}

/// The action of SQLite's `RAISE(...)` in a trigger: IGNORE drops the row being changed
/// (no error reaches the caller); ABORT undoes the statement, FAIL keeps the statement's
/// earlier row changes, ROLLBACK ends the transaction (each failing with the message).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum RaiseAction {
    Ignore,
    Abort,
    Fail,
    Rollback,
}

impl Error {
    /// An error of `kind` with `message` (for code that wraps EmberDB and reports alike).
    ///
    /// ```
    /// use ember::{Error, ErrorKind};
    /// let error = Error::new(ErrorKind::InvalidInput, "bad input");
    /// assert_eq!(error.kind(), ErrorKind::InvalidInput);
    /// assert_eq!(error.message(), "bad input");
    /// ```
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> Error {
        Error {
            kind,
            message: message.into(),
            raised: None,
        }
    }

    /// The error a trigger's `RAISE(action, message)` makes (a constraint failure).
    pub(crate) fn raised(action: RaiseAction, message: impl Into<String>) -> Error {
        Error {
            kind: ErrorKind::Constraint,
            message: message.into(),
            raised: Some(action),
        }
    }

    /// This constraint error, failing as a constraint's declared `ON CONFLICT FAIL` or
    /// `ROLLBACK` says (`action`): the connection undoes what it undoes for a trigger's
    /// `RAISE(FAIL | ROLLBACK, ..)`.
    pub(crate) fn acting_as(mut self, action: RaiseAction) -> Error {
        debug_assert!(matches!(action, RaiseAction::Fail | RaiseAction::Rollback));
        self.raised = Some(action);
        self
    }

    /// The `RAISE` action that made this error, if a trigger raised it (or the declared
    /// FAIL or ROLLBACK action of the constraint it violated: `acting_as`).
    pub(crate) fn raise_action(&self) -> Option<RaiseAction> {
        self.raised
    }

    /// What kind of failure this is, to match on.
    ///
    /// ```
    /// let conn = ember::Database::in_memory().connect();
    /// let error = conn.execute("SELECT * FROM missing", ()).unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::NotFound);
    /// assert_eq!(error.message(), "no such table: missing");
    /// ```
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }

    /// The message, naming the table, column, value or position involved.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// Whether retrying the whole transaction may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(
            self.kind,
            ErrorKind::SerializationConflict | ErrorKind::Busy
        )
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Error {}

impl From<StorageError> for Error {
    fn from(error: StorageError) -> Error {
        let kind = match error.kind {
            StorageErrorKind::Conflict => ErrorKind::SerializationConflict,
            StorageErrorKind::UniqueViolation => ErrorKind::Constraint,
            StorageErrorKind::InvalidData => ErrorKind::Type,
            StorageErrorKind::Limit => ErrorKind::Limit,
            StorageErrorKind::MemoryBudget => ErrorKind::MemoryBudget,
            StorageErrorKind::TransactionClosed => ErrorKind::Transaction,
            StorageErrorKind::Io => ErrorKind::Io,
            StorageErrorKind::Corruption => ErrorKind::Corruption,
            StorageErrorKind::ReadOnly => ErrorKind::ReadOnly,
            _ => ErrorKind::InvalidInput,
        };
        Error::new(kind, error.message)
    }
}

/// Turns a "no rows" error into `Ok(None)` (rusqlite's `OptionalExtension`).
///
/// ```
/// use ember::OptionalExtension;
/// let conn = ember::Database::in_memory().connect();
/// conn.execute("CREATE TABLE t(a INT)", ()).unwrap();
/// let a: Option<i64> = conn.query_value("SELECT a FROM t", ()).optional().unwrap();
/// assert_eq!(a, None);
/// ```
pub trait OptionalExtension<T> {
    /// `Ok(None)` for an [`ErrorKind::NoRows`] error, the value or other errors unchanged.
    fn optional(self) -> Result<Option<T>>;
}

impl<T> OptionalExtension<T> for Result<T> {
    fn optional(self) -> Result<Option<T>> {
        match self {
            Ok(value) => Ok(Some(value)),
            Err(error) if error.kind() == ErrorKind::NoRows => Ok(None),
            Err(error) => Err(error),
        }
    }
}

/// `Result` with [`Error`].
pub type Result<T, E = Error> = std::result::Result<T, E>;

/// Builds an [`Error`]: `err!(NotFound, "no such table: {name}")`.
#[macro_export]
macro_rules! err {
    ($kind:ident, $($arg:tt)*) => {
        $crate::Error::new($crate::ErrorKind::$kind, format!($($arg)*))
    };
}

/// Shorthand for an `Unsupported` error naming the construct.
pub(crate) fn unsupported(construct: impl fmt::Display) -> Error {
    Error::new(
        ErrorKind::Unsupported,
        format!("not supported: {construct}"),
    )
}
