//! Which schema a connection's statements see (the published catalog, the open
//! transaction's staged one, with the connection's temporary objects over it) and where
//! its schema changes go (`SchemaHost`: the database at once in autocommit, the staged
//! schema inside a transaction, the temporary schema for `Plan::Temp`).

use std::sync::Arc;

use super::{in_transaction, Connection, StagedSchema, TransactionState};
use crate::error::Result;
use crate::exec;

/// Times an autocommit write refused by a concurrent schema change is bound and run again
/// while schema changes keep refusing it (SQLite re-prepares a statement whose schema
/// changed up to 50 times, `SQLITE_MAX_SCHEMA_RETRY`). A rerun binds the statement anew,
/// so a stream of truncates of its table each closing the table the last binding named can
/// refuse a few in a row; the bound stops a livelock, and the caller then gets the
/// retryable conflict.
const SCHEMA_RERUNS_MAX: usize = 50;

impl Connection {
    /// The current catalog version; a prepared plan bound against another is stale.
    #[inline]
    pub(crate) fn catalog_version(&self) -> u64 {
        let main = match &*self.staged.borrow() {
            None => match &*self.snapshot_catalog.borrow() {
                None => self.db.shared.catalog_version(),
                Some(catalog) => catalog.version(),
            },
            Some(staged) => staged.version(),
        };
        self.with_temp_version(main)
    }

    /// The catalog this connection's statements see: the published one, with the open
    /// transaction's schema changes when it made some, and the connection's temporary
    /// objects over it (`connection/temp_schema.rs`).
    pub(crate) fn catalog(&self) -> Arc<crate::catalog::Catalog> {
        self.with_temp(self.main_catalog())
    }

    /// The `main` schema this connection's statements see: the published catalog (in an
    /// explicit transaction, the one of its snapshot), with the open transaction's schema
    /// changes when it made some.
    pub(crate) fn main_catalog(&self) -> Arc<crate::catalog::Catalog> {
        match &*self.staged.borrow() {
            None => self
                .snapshot_catalog()
                .unwrap_or_else(|| self.db.shared.catalog.load_full()),
            Some(staged) => staged.current(),
        }
    }

    /// Runs a schema change: at once in autocommit, staged in the open transaction (which
    /// takes the schema with its first one; a failed change undoes only itself).
    pub(crate) fn change_schema<T>(
        &self,
        change: impl FnOnce(&dyn exec::SchemaHost) -> Result<T>,
    ) -> Result<T> {
        if self.temp_ddl.get() {
            if matches!(*self.state.borrow(), TransactionState::Aborted) {
                return Err(in_transaction::aborted_transaction());
            }
            return change(&self.temp_host());
        }
        match &*self.state.borrow() {
            TransactionState::Autocommit => {
                let changed = change(&*self.db.shared);
                if changed.is_ok() {
                    // The storage the change dropped or replaced, which this connection's
                    // older plans hold, is freed by this statement rather than the next.
                    if let Ok(mut cache) = self.cache.try_borrow_mut() {
                        cache.forget_other_versions(self.catalog_version());
                    }
                }
                return changed;
            }
            TransactionState::Aborted => return Err(in_transaction::aborted_transaction()),
            TransactionState::Explicit(_) => {}
        }
        if self.staged.borrow().is_none() {
            let staged = StagedSchema::begin(&self.db.shared)?;
            self.check_snapshot_catalog(&staged.current())?;
            if let TransactionState::Explicit(txn) = &mut *self.state.borrow_mut() {
                txn.set_schema_owner(staged.owner());
            }
            *self.staged.borrow_mut() = Some(staged);
        }
        let staged = self.staged.borrow();
        let staged = staged.as_ref().expect("set just above");
        let mark = staged.mark();
        let changed = change(staged);
        if changed.is_err() {
            staged.rollback_to(Some(&mark));
        }
        changed
    }

    /// Undoes the open transaction's schema changes (its rows were rolled back first) and
    /// lets go of the catalog of its snapshot.
    pub(super) fn discard_transaction_schema(&self) {
        self.snapshot_catalog.borrow_mut().take();
        let staged = self.staged.borrow_mut().take();
        drop(staged);
    }

    /// `ran`, the outcome of an autocommit statement bound against `bound_version`, or,
    /// when a serialization conflict failed it (nothing committed) and the catalog moved
    /// on since it was bound (a truncate or DROP COLUMN replaced a table it wrote: its
    /// commit to the old storage was refused), the outcome of binding and running it once
    /// more: a statement that had begun before the schema change runs as one begun after.
    pub(crate) fn rerun_if_schema_moved(
        &self,
        ran: Result<usize>,
        plan: &crate::plan::Plan,
        bound_version: u64,
        sql: &str,
        values: &[ember_storage::Value],
    ) -> Result<usize> {
        let conflict =
            matches!(&ran, Err(error) if error.kind() == crate::ErrorKind::SerializationConflict);
        // A write that ran as its own transaction (one in an explicit transaction that
        // failed so left it aborted, not in autocommit).
        let moved = conflict
            && plan.writes_rows()
            && matches!(*self.state.borrow(), TransactionState::Autocommit)
            && self.schema_moved_since(bound_version);
        if !moved {
            return ran;
        }
        let mut reruns = 0;
        loop {
            let prepared = self.prepared(sql)?;
            let ran =
                self.run_prepared(&prepared, values, &mut super::execute_sink(&prepared.plan));
            reruns += 1;
            let moved_again =
                is_conflict(&ran) && self.schema_moved_since(prepared.catalog_version);
            if !moved_again || reruns == SCHEMA_RERUNS_MAX {
                return ran;
            }
        }
    }

    /// Whether the catalog is past `version`, once any schema change under way ended (a
    /// truncate closes its table before it publishes the catalog that replaces it).
    fn schema_moved_since(&self, version: u64) -> bool {
        drop(self.db.shared.lock_ddl());
        self.catalog_version() != version
    }
}

/// Whether `ran` failed with a serialization conflict.
fn is_conflict(ran: &Result<usize>) -> bool {
    matches!(ran, Err(error) if error.kind() == crate::ErrorKind::SerializationConflict)
}

#[cfg(test)]
mod tests {
    use crate::Database;

    #[test]
    fn a_schema_change_drops_the_connections_older_plans_at_once() {
        let conn = Database::in_memory().connect();
        conn.execute("CREATE TABLE t(a INT, b TEXT)", ()).unwrap();
        conn.execute("CREATE INDEX t_b ON t(b)", ()).unwrap();
        conn.execute("INSERT INTO t VALUES (1, 'x')", ()).unwrap();
        let found: i64 = conn
            .query_row("SELECT a FROM t WHERE b = 'x'", (), |row| row.get(0))
            .unwrap();
        assert_eq!(found, 1);
        assert!(conn.cache.borrow().len() >= 2);
        conn.execute("DROP INDEX t_b", ()).unwrap();
        // The plans bound before the drop (the DROP INDEX's own among them) are gone, with
        // the index storage they held.
        assert_eq!(conn.cache.borrow().len(), 0);
        let found: i64 = conn
            .query_row("SELECT a FROM t WHERE b = 'x'", (), |row| row.get(0))
            .unwrap();
        assert_eq!(found, 1);
    }
}
