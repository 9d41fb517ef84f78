//! A connection's per-connection settings reached through methods: the statement timeout
//! (`PRAGMA statement_timeout` sets it too); and where a PRAGMA goes: the connection's
//! own settings (`statement_timeout`, `foreign_keys` and `defer_foreign_keys` in
//! `session/foreign_keys.rs`, `recursive_triggers` in `session/recursive_triggers.rs`,
//! `bloom_filter_joins` in `session/bloom_joins.rs`, `threads` in `session/threads.rs`,
//! `isolation` in `connection/isolation.rs`, SQLite's tuning PRAGMAs in
//! `session/tuning_pragmas.rs`), the catalog's (`session/catalog_pragmas.rs`), the
//! maintenance statements' (`session/maintenance_pragmas.rs`: integrity checks, ANALYZE), else the
//! database's (`durability::pragma`).

use super::Connection;
use crate::error::Result;
use crate::exec::{self, RowSink};

impl Connection {
    /// Runs a PRAGMA, feeding its rows to `sink`; the number of changes it made.
    pub(super) fn run_pragma(
        &self,
        statement: &sqlparser::ast::Statement,
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        let outcome = match crate::timeout::pragma(&self.statement_timeout, statement)
            .or_else(|| crate::session::foreign_keys::pragma(self, statement))
            .or_else(|| crate::session::recursive_triggers::pragma(self, statement))
            .or_else(|| crate::session::bloom_joins::pragma(self, statement))
            .or_else(|| crate::session::catalog_pragmas::pragma(self, statement))
            .or_else(|| crate::session::maintenance_pragmas::pragma(self, statement))
            .or_else(|| crate::session::threads::pragma(&self.threads, statement))
            .or_else(|| crate::session::history::pragma(&self.db, statement))
            .or_else(|| self.isolation_pragma(statement))
            .or_else(|| crate::session::tuning_pragmas::pragma(self, statement))
        {
            Some(outcome) => outcome?,
            None => crate::durability::pragma(&self.db, statement)?,
        };
        exec::feed(outcome.rows, sink)?;
        Ok(outcome.changes)
    }

    /// Stops each later statement of this connection that runs longer than `timeout` with
    /// an `Interrupted` error, its changes undone (`None`: no limit). What `PRAGMA
    /// statement_timeout` sets; starts at `Options::statement_timeout`.
    ///
    /// ```
    /// use std::time::Duration;
    /// let conn = ember::Database::in_memory().connect();
    /// conn.execute_batch("CREATE TABLE t(a INT); INSERT INTO t VALUES (1), (2), (3), (4)")
    ///     .unwrap();
    /// conn.set_statement_timeout(Some(Duration::from_millis(50)));
    /// let error = conn
    ///     .query("SELECT count(*) FROM t, t t2, t t3, t t4, t t5, t t6, t t7, t t8, t t9, \
    ///             t t10, t t11, t t12, t t13", ())
    ///     .unwrap_err();
    /// assert_eq!(error.kind(), ember::ErrorKind::Interrupted);
    /// assert!(error.message().contains("statement timeout"));
    /// ```
    pub fn set_statement_timeout(&self, timeout: Option<std::time::Duration>) {
        self.statement_timeout.set(timeout);
    }

    /// This connection's statement timeout (see `set_statement_timeout`).
    pub fn statement_timeout(&self) -> Option<std::time::Duration> {
        self.statement_timeout.get()
    }
}
