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
}
