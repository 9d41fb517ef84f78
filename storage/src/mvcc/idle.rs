//! Reusing transaction objects: an ended transaction becomes an `IdleTransaction` (no
//! snapshot, no writes) that starts the next one. A session reusing it clones no store
//! handle per transaction (a reference count every session would otherwise bounce between
//! cores), and its write log and encode buffer keep their memory instead of growing again
//! (a growing write log reallocates, and large reallocations make the allocator consolidate
//! its free lists).

use crate::error::StorageResult;

use super::isolation::Isolation;
use super::transaction::{Change, Transaction};

/// Largest write log (entries of capacity) an ended transaction keeps for the next one
/// (96 KiB: transactions of up to ~2,000 changed rows reuse it; a larger one's log goes back
/// to the allocator when it ends, so an idle connection does not hold the log of the
/// largest transaction it ever ran).
const WRITE_LOG_KEPT_ENTRIES_MAX: usize = 1 << 12;

/// A transaction object that holds no snapshot: what a transaction becomes when it ends
/// ([`Transaction::into_idle`], [`Transaction::commit_reusable`]), kept to start the next.
pub struct IdleTransaction {
    txn: Transaction,
}

impl Transaction {
    /// Ends a transaction that never wrote (the same as committing it) and keeps the object
    /// for reuse; a transaction that wrote (or took a transaction id) is handed back.
    // The "error" is the transaction itself, handed back by value: boxing it would cost an
    // allocation per statement, which this function exists to avoid.
    #[allow(clippy::result_large_err)]
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
        let committed = self.commit_kept();
        (committed, IdleTransaction { txn: self })
    }

    /// `commit_with`, handing the ended transaction back (see `commit_reusable`).
    pub fn commit_with_reusable(
        mut self,
        hook: impl FnOnce(u64, &[Change<'_>]) -> StorageResult<()>,
    ) -> (StorageResult<u64>, IdleTransaction) {
        let committed = self.commit_with_kept(hook);
        (committed, IdleTransaction { txn: self })
    }

    /// `rollback`, handing the ended transaction back (see `commit_reusable`).
    pub fn rollback_reusable(mut self) -> IdleTransaction {
        self.rollback_kept();
        IdleTransaction { txn: self }
    }

    /// `commit` of a transaction that stays where it is (one begun by
    /// [`IdleTransaction::write_in_place`]): ended, it keeps its write log and encode buffer
    /// for the next one, and no one moves it (a `Transaction` is ~200 bytes: a statement
    /// handing it by value from begin to commit to idle copied it some twenty times).
    pub fn commit_kept(&mut self) -> StorageResult<u64> {
        let committed = self.commit_in_place();
        self.end_kept();
        committed
    }

    /// `commit_with` of a transaction that stays where it is (see `commit_kept`).
    pub fn commit_with_kept(
        &mut self,
        hook: impl FnOnce(u64, &[Change<'_>]) -> StorageResult<()>,
    ) -> StorageResult<u64> {
        let committed = self.commit_with_in_place(hook);
        self.end_kept();
        committed
    }

    /// `rollback` of a transaction that stays where it is (see `commit_kept`).
    pub fn rollback_kept(&mut self) {
        self.rollback_to(0);
        self.release_snapshot();
        self.end_kept();
    }

    /// Whether the transaction neither wrote nor took a transaction id: ending its snapshot
    /// ([`Transaction::end_unwritten`]) is then the whole of its commit.
    pub fn is_unwritten(&self) -> bool {
        !self.has_writes() && self.snapshot.txn_id == 0
    }

    /// Ends a transaction that [`Transaction::is_unwritten`] (a commit that has nothing to
    /// publish); it stays where it is, ready to be begun again.
    pub fn end_unwritten(&mut self) {
        debug_assert!(self.is_unwritten());
        self.rollback_kept();
    }

    /// The ended transaction (no snapshot, no writes) as kept for reuse, without the memory
    /// of an unusually large one.
    fn end_kept(&mut self) {
        debug_assert!(self.active_slot.is_none() && self.writes.is_empty());
        debug_assert!(
            self.tables.is_empty(),
            "an ended transaction holds no table"
        );
        if self.writes.capacity() > WRITE_LOG_KEPT_ENTRIES_MAX {
            self.writes = Vec::new();
        }
    }
}

impl IdleTransaction {
    /// Runs `read` in a transaction begun inside this object (reading at the newest
    /// published commit, like `begin`) and ends it, without moving the transaction in and
    /// out: for read-only statements, one after another. Whatever `read` wrote is rolled
    /// back; the snapshot ends even if `read` panics.
    pub fn read_in_place<T>(
        &mut self,
        read: impl FnOnce(&mut Transaction) -> T,
    ) -> StorageResult<T> {
        self.run_in_place(Isolation::Snapshot, read)
    }

    /// Runs `write` in a transaction begun inside this object (like `begin`), which `write`
    /// ends in place: [`Transaction::commit_kept`] (or `commit_with_kept`, `rollback_kept`,
    /// `end_unwritten`). Whatever it leaves uncommitted (an error path that forgot, a panic)
    /// is rolled back. For autocommit statements: the transaction is never moved.
    pub fn write_in_place<T>(
        &mut self,
        write: impl FnOnce(&mut Transaction) -> T,
    ) -> StorageResult<T> {
        self.run_in_place(Isolation::Snapshot, write)
    }

    fn run_in_place<T>(
        &mut self,
        isolation: Isolation,
        run: impl FnOnce(&mut Transaction) -> T,
    ) -> StorageResult<T> {
        struct EndOnDrop<'t>(&'t mut Transaction);
        impl Drop for EndOnDrop<'_> {
            fn drop(&mut self) {
                let txn = &mut *self.0;
                txn.rollback_to(0);
                txn.release_snapshot();
                // An id taken (stamped by a commit, or undone): the next transaction
                // started here reads as a fresh one.
                txn.snapshot.txn_id = 0;
                txn.tables.clear();
                txn.end_kept();
            }
        }
        self.restart(isolation)?;
        let active = EndOnDrop(&mut self.txn);
        Ok(run(active.0))
    }

    /// Starts a transaction reading at the newest published commit, like `Store::begin`.
    pub fn begin(self) -> StorageResult<Transaction> {
        self.begin_with(Isolation::Snapshot)
    }

    /// `begin` at `isolation`.
    pub fn begin_with(mut self, isolation: Isolation) -> StorageResult<Transaction> {
        self.restart(isolation)?;
        Ok(self.txn)
    }

    /// `write_in_place` at `isolation`.
    pub fn write_in_place_with<T>(
        &mut self,
        isolation: Isolation,
        write: impl FnOnce(&mut Transaction) -> T,
    ) -> StorageResult<T> {
        self.run_in_place(isolation, write)
    }

    /// Registers a snapshot at the newest published commit for the kept transaction.
    fn restart(&mut self, isolation: Isolation) -> StorageResult<()> {
        let txn = &mut self.txn;
        debug_assert!(txn.active_slot.is_none() && txn.writes.is_empty());
        txn.register_at(isolation)?;
        txn.unique_checks = true;
        txn.begin_epoch = txn
            .store
            .widen_epoch
            .load(std::sync::atomic::Ordering::Relaxed);
        txn.schema_owner = 0;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use crate::index::IndexKey;
    use crate::mvcc::TableSchema;
    use crate::store::Store;
    use crate::value::{DataType, Value};

    #[test]
    fn a_read_in_place_sees_the_newest_commit_and_ends_its_snapshot() {
        let store = Store::new();
        let table = store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let mut idle = store.begin().unwrap().into_idle().ok().unwrap();
        for value in 0..3 {
            let mut txn = store.begin().unwrap();
            txn.insert(&table, &[Value::Integer(value), Value::Integer(value)])
                .unwrap();
            txn.commit().unwrap();
            let seen = idle
                .read_in_place(|txn| {
                    (0..=value)
                        .filter(|key| txn.find_key(&table, &IndexKey::Int(*key)).is_some())
                        .count()
                })
                .unwrap();
            assert_eq!(seen, value as usize + 1);
            assert_eq!(store.begin().unwrap().store_active_snapshots(), 1);
        }
        // Writes made in place are undone, and a panic inside still ends the snapshot.
        idle.read_in_place(|txn| {
            txn.insert(&table, &[Value::Integer(9), Value::Integer(9)])
                .unwrap()
        })
        .unwrap();
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            idle.read_in_place(|_| panic!("reader failed")).unwrap();
        }));
        assert!(panicked.is_err());
        let reader = store.begin().unwrap();
        assert_eq!(reader.store_active_snapshots(), 1, "only this reader");
        assert!(reader.find_key(&table, &IndexKey::Int(9)).is_none());
        let txn = idle.begin().unwrap();
        assert_eq!(txn.snapshot().txn_id, 0);
    }

    #[test]
    fn a_write_in_place_keeps_what_it_commits_and_undoes_what_it_leaves() {
        let store = Store::new();
        let table = store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let row = |key: i64| [Value::Integer(key), Value::Integer(key * 10)];
        let visible = |key: i64| {
            let txn = store.begin().unwrap();
            txn.find_key(&table, &IndexKey::Int(key)).is_some()
        };
        let mut idle = store.begin().unwrap().into_idle().ok().unwrap();
        // Committed in place: visible, and the object starts its next transaction fresh.
        let committed = idle
            .write_in_place(|txn| {
                txn.insert(&table, &row(1)).unwrap();
                txn.commit_kept()
            })
            .unwrap();
        assert!(committed.is_ok());
        assert!(visible(1));
        // Written and not ended (an error path that forgot): rolled back.
        idle.write_in_place(|txn| {
            assert_eq!(
                txn.snapshot().txn_id,
                0,
                "a fresh transaction after a commit"
            );
            txn.insert(&table, &row(2)).unwrap();
        })
        .unwrap();
        assert!(!visible(2));
        // Rolled back or ended unwritten in place.
        idle.write_in_place(|txn| {
            txn.insert(&table, &row(3)).unwrap();
            txn.rollback_kept();
        })
        .unwrap();
        idle.write_in_place(|txn| {
            assert!(txn.is_unwritten());
            txn.end_unwritten();
        })
        .unwrap();
        assert!(!visible(3));
        // A panic after a write: undone, and the snapshot ends.
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            idle.write_in_place(|txn| {
                txn.insert(&table, &row(4)).unwrap();
                panic!("statement failed");
            })
            .unwrap();
        }));
        assert!(panicked.is_err());
        assert!(!visible(4));
        let reader = store.begin().unwrap();
        assert_eq!(reader.store_active_snapshots(), 1, "only this reader");
        drop(reader);
        // The object still works after all that.
        idle.write_in_place(|txn| {
            txn.insert(&table, &row(5)).unwrap();
            txn.commit_kept().unwrap();
        })
        .unwrap();
        assert!(visible(5) && visible(1));
    }

    #[test]
    fn an_ended_transaction_keeps_a_small_write_log_and_drops_a_large_one() {
        let store = Store::new();
        let table = store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let mut next_key = 0;
        let mut write = |idle: super::IdleTransaction, rows: usize| {
            let mut txn = idle.begin().unwrap();
            for _ in 0..rows {
                next_key += 1;
                txn.insert(&table, &[Value::Integer(next_key), Value::Integer(0)])
                    .unwrap();
            }
            let (committed, idle) = txn.commit_reusable();
            committed.unwrap();
            idle
        };
        let idle = store.begin().unwrap().into_idle().ok().unwrap();
        let small = write(idle, 1_000);
        let kept = small.txn.writes.capacity();
        assert!(
            (1_000..=super::WRITE_LOG_KEPT_ENTRIES_MAX).contains(&kept),
            "{kept} entries kept after 1,000 writes"
        );
        let large = write(small, super::WRITE_LOG_KEPT_ENTRIES_MAX * 2 + 1);
        assert_eq!(large.txn.writes.capacity(), 0, "the large log went back");
        let reader = store.begin().unwrap();
        let found = (1..=next_key)
            .filter(|key| reader.find_key(&table, &IndexKey::Int(*key)).is_some())
            .count();
        assert_eq!(found, next_key as usize, "every committed row reads back");
    }
}
