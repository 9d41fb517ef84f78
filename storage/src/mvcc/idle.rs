//! Reusing transaction objects: an ended transaction becomes an `IdleTransaction` (no
//! snapshot, no writes) that starts the next one. A session reusing it clones no store
//! handle per transaction (a reference count every session would otherwise bounce between
//! cores), and its write log and encode buffer keep their memory instead of growing again
//! (a growing write log reallocates, and large reallocations make the allocator consolidate
//! its free lists).

use crate::error::StorageResult;

use super::transaction::{Change, Snapshot, Transaction};

/// Largest write log (entries of capacity) an ended transaction keeps for the next one.
const WRITE_LOG_KEPT_ENTRIES_MAX: usize = 1 << 14;

/// A transaction object that holds no snapshot: what a transaction becomes when it ends
/// ([`Transaction::into_idle`], [`Transaction::commit_reusable`]), kept to start the next.
pub struct IdleTransaction {
    txn: Transaction,
}

impl Transaction {
    /// Ends a transaction that never wrote (the same as committing it) and keeps the object
    /// for reuse; a transaction that wrote (or took a transaction id) is handed back.
    pub fn into_idle(mut self) -> Result<IdleTransaction, Transaction> {
        if self.has_writes() || self.snapshot.txn_id != 0 {
            return Err(self);
        }
        self.release_snapshot();
        Ok(IdleTransaction { txn: self })
    }

    /// `commit`, handing the ended transaction back to start the next one: its write log
    /// and encode buffer keep their memory, so a session running transaction after
    /// transaction does not grow them again each time.
    pub fn commit_reusable(mut self) -> (StorageResult<u64>, IdleTransaction) {
        let committed = self.commit_in_place();
        (committed, self.into_ended_idle())
    }

    /// `commit_with`, handing the ended transaction back (see `commit_reusable`).
    pub fn commit_with_reusable(
        mut self,
        hook: impl FnOnce(u64, &[Change<'_>]) -> StorageResult<()>,
    ) -> (StorageResult<u64>, IdleTransaction) {
        let committed = self.commit_with_in_place(hook);
        (committed, self.into_ended_idle())
    }

    /// `rollback`, handing the ended transaction back (see `commit_reusable`).
    pub fn rollback_reusable(mut self) -> IdleTransaction {
        self.rollback_to(0);
        self.release_snapshot();
        self.into_ended_idle()
    }

    /// An ended transaction (no snapshot, no writes) kept for reuse, without the memory of
    /// an unusually large one.
    fn into_ended_idle(mut self) -> IdleTransaction {
        debug_assert!(self.active_slot.is_none() && self.writes.is_empty());
        debug_assert!(
            self.tables.is_empty(),
            "an ended transaction holds no table"
        );
        if self.writes.capacity() > WRITE_LOG_KEPT_ENTRIES_MAX {
            self.writes = Vec::new();
        }
        IdleTransaction { txn: self }
    }
}

impl IdleTransaction {
    /// Starts a transaction reading at the newest published commit, like `Store::begin`.
    pub fn begin(mut self) -> StorageResult<Transaction> {
        let txn = &mut self.txn;
        debug_assert!(txn.active_slot.is_none() && txn.writes.is_empty());
        let (slot, read_ts) = txn.store.active.register(&txn.store.clock)?;
        txn.snapshot = Snapshot { read_ts, txn_id: 0 };
        txn.active_slot = Some(slot);
        txn.unique_checks = true;
        Ok(self.txn)
    }
}
