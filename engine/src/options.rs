//! `Options`: how a database is opened. A builder, so new knobs (durability policy,
//! checkpoint size, ...) can be added without breaking callers.

/// Settings for opening a [`crate::Database`].
///
/// ```
/// let options = ember::Options::new().memory_budget_bytes(64 << 20);
/// let db = ember::Database::in_memory_with(options);
/// # let _ = db;
/// ```
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Options {
    /// Most bytes the database may hold in rows and indexes; `None` for no limit.
    pub memory_budget_bytes: Option<u64>,
    /// Most rows one statement may materialize at once; `None` means
    /// [`crate::limits::STATEMENT_ROWS_MAX`]. Values above that limit are clamped to it.
    pub statement_rows_max: Option<usize>,
}

impl Options {
    pub fn new() -> Options {
        Options::default()
    }

    /// Caps the memory the database may use for data; writes past it fail.
    pub fn memory_budget_bytes(mut self, bytes: u64) -> Options {
        self.memory_budget_bytes = Some(bytes);
        self
    }

    /// Caps the rows one statement may materialize (sort input, result set, DML targets).
    pub fn statement_rows_max(mut self, rows: usize) -> Options {
        self.statement_rows_max = Some(rows);
        self
    }

    /// The effective per-statement row cap.
    pub fn effective_statement_rows_max(&self) -> usize {
        let limit = crate::limits::STATEMENT_ROWS_MAX;
        self.statement_rows_max
            .map_or(limit, |rows| rows.min(limit))
    }
}
