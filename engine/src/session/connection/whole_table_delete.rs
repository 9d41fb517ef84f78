//! `Plan::DeleteAll` in autocommit: a truncate (`exec/schema/truncate.rs`), which visits no
//! row. Inside an explicit transaction (whose later statements and rollback must see the
//! rows deleted one by one), for a temporary table, and while the store keeps history for
//! `AS OF` (which reads the deleted rows back through the table's storage), the rows are
//! deleted as one bulk write of the statement's transaction instead (`exec::delete_all`),
//! as they are when another transaction holds uncommitted writes to the table. The old
//! storage table is handed to the database's retired tables, which the collector frees
//! once nothing else holds it (`gc::release_retired_tables`).

use ember_storage::Value;

use super::{Connection, TransactionState};
use crate::error::Result;
use crate::exec::{self, RowSink};
use crate::plan::TableAccess;

impl Connection {
    /// Runs `Plan::DeleteAll` on `target`; returns the rows deleted.
    pub(super) fn delete_whole_table(
        &self,
        target: &TableAccess,
        plan: &crate::plan::Plan,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        let autocommit = matches!(*self.state.borrow(), TransactionState::Autocommit);
        let storage = &target.table.storage;
        if !autocommit
            || self.temp_ddl.get()
            || storage.is_unlogged()
            || self.db.shared.store.history().enabled()
        {
            return self.run_in_transaction(plan, params, sink);
        }
        let rows_max = self.db.options().statement_rows_max;
        let truncated =
            self.change_schema(|host| exec::truncate_table(host, &target.table, rows_max, false));
        let deleted = match truncated {
            Ok(None) => return self.run_in_transaction(plan, params, sink),
            Ok(Some(rows)) => {
                self.db.shared.retire_table(&target.table.storage);
                Ok(usize::try_from(rows).unwrap_or(usize::MAX))
            }
            Err(error) => Err(error),
        };
        self.counters.record(&deleted);
        deleted
    }
}
