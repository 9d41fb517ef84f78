//! A table widened (ALTER TABLE ADD COLUMN) by an explicit transaction that has not ended:
//! its storage schema is wider at once, but the change may still be rolled back, which
//! restores the narrower schema. A row another transaction writes meanwhile may be encoded in
//! either width, so no such row may commit: while a widening is open, and for every
//! transaction that began before it ended, a commit that wrote to the table is refused
//! (`Conflict`, retryable) unless it is the widening transaction's own (its *schema owner*).
//!
//! Starts and ends of widenings bump the store's widen epoch under the commit lock; each
//! transaction notes the epoch when it begins. A commit whose epoch is still the store's (the
//! common case: no ALTER TABLE ran meanwhile) and no widening open pays two relaxed loads.

use std::sync::atomic::Ordering;
use std::sync::Arc;

use crate::error::{StorageError, StorageErrorKind};
use crate::store::Store;

use super::table::{Table, TableSchema};
use super::transaction::Transaction;

impl Store {
    /// Opens a widening of `table` by schema owner `owner` (non-zero): from now on only
    /// that owner's transaction commits writes to it, until `end_widening`.
    pub fn begin_widening(&self, table: &Table, owner: u64) {
        debug_assert!(owner != 0);
        let (commit_lock, _) = self.clock().begin_commit();
        let epoch = self.widen_epoch().fetch_add(1, Ordering::Relaxed) + 1;
        table.widened_at.store(epoch, Ordering::Relaxed);
        if table.widened_by.swap(owner, Ordering::Relaxed) == 0 {
            self.widenings_open().fetch_add(1, Ordering::Relaxed);
        }
        drop(commit_lock);
    }

    /// Ends the widening of `table` once its transaction ended: with `restore`, the schema
    /// it had before (`Table::schema_handle`) is made current again (the transaction rolled
    /// back; its rows are already unlinked). Transactions that began before this call and
    /// wrote to the table are refused at commit.
    pub fn end_widening(&self, table: &Table, restore: Option<&Arc<TableSchema>>) {
        let (commit_lock, _) = self.clock().begin_commit();
        if let Some(schema) = restore {
            let restored = table.restore_schema(schema);
            debug_assert!(restored, "the schema came from this table");
        }
        let epoch = self.widen_epoch().fetch_add(1, Ordering::Relaxed) + 1;
        table.widened_at.store(epoch, Ordering::Relaxed);
        if table.widened_by.swap(0, Ordering::Relaxed) != 0 {
            self.widenings_open().fetch_sub(1, Ordering::Relaxed);
        }
        drop(commit_lock);
    }
}

impl Table {
    /// The schema owner whose open transaction widened the table (0: none).
    pub fn widened_by(&self) -> u64 {
        self.widened_by.load(Ordering::Relaxed)
    }
}

impl Transaction {
    /// Makes this transaction schema owner `owner`: the tables that owner widens take its
    /// commit (see the module comment).
    pub fn set_schema_owner(&mut self, owner: u64) {
        self.schema_owner = owner;
    }

    /// The refusal of a commit that wrote to a table widened by another transaction since
    /// this one began. Call under the commit lock.
    pub(super) fn wrote_widened_table(&self) -> Option<StorageError> {
        if self.store.widen_epoch.load(Ordering::Relaxed) == self.begin_epoch
            && self.store.widenings_open.load(Ordering::Relaxed) == 0
        {
            return None;
        }
        let table =
            self.tables
                .iter()
                .find(|table| match table.widened_by.load(Ordering::Relaxed) {
                    0 => table.widened_at.load(Ordering::Relaxed) > self.begin_epoch,
                    owner => owner != self.schema_owner,
                })?;
        Some(widened_while_writing(table.id()))
    }
}

#[cold]
fn widened_while_writing(table_id: u64) -> StorageError {
    StorageError::new(
        StorageErrorKind::Conflict,
        format!(
            "the transaction wrote to a table (id {table_id}) that a concurrent ALTER TABLE ADD \
             or DROP COLUMN changed; nothing was committed, retry the transaction"
        ),
    )
}

#[cfg(test)]
mod tests {
    use crate::store::Store;
    use crate::{DataType, StorageErrorKind, TableSchema, Value};

    #[test]
    fn a_widened_table_takes_only_its_owner_commits_and_its_rollback_restores_the_schema() {
        let store = Store::new();
        let table = store.create_table(TableSchema {
            types: vec![DataType::Integer],
            key_columns: Vec::new(),
            added: Vec::new(),
        });
        let mut before_widening = store.begin().unwrap();
        before_widening
            .insert(&table, &[Value::Integer(1)])
            .unwrap();
        let narrow = table.schema_handle();
        let mut owner = store.begin().unwrap();
        owner.set_schema_owner(7);
        store.begin_widening(&table, 7);
        table.add_column(DataType::Integer, Value::Null);
        owner
            .insert(&table, &[Value::Integer(2), Value::Integer(3)])
            .unwrap();
        let mut during = store.begin().unwrap();
        during
            .insert(&table, &[Value::Integer(4), Value::Integer(5)])
            .unwrap();
        let refused = during.commit().unwrap_err();
        assert_eq!(refused.kind, StorageErrorKind::Conflict);
        // The owner rolls back: its rows go, then the narrow schema comes back.
        owner.rollback();
        store.end_widening(&table, Some(&narrow));
        assert_eq!(table.schema().types.len(), 1);
        // Begun before the widening ended: refused; begun after: commits.
        let refused = before_widening.commit().unwrap_err();
        assert_eq!(refused.kind, StorageErrorKind::Conflict);
        let mut after = store.begin().unwrap();
        after.insert(&table, &[Value::Integer(6)]).unwrap();
        after.commit().unwrap();
    }
}
