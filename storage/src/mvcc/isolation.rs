//! Isolation levels: SNAPSHOT (the default: a transaction reads its snapshot, writes follow
//! first-updater-wins) and SERIALIZABLE (also keeps a read set, `read_set.rs`, validated at
//! commit against the commits logged since its snapshot, `commit_log.rs`). Here: starting a
//! transaction at a level, and the two commit steps validation adds.

use std::sync::Arc;

use crate::error::StorageResult;

use super::commit_log::{read_conflict, SerialStats, WRITTEN_ROWS_LOGGED_MAX};
use super::read_set::ReadTracker;
use super::transaction::{Snapshot, Transaction};

/// How much a transaction is isolated from concurrent ones.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Hash)]
pub enum Isolation {
    /// Snapshot isolation: reads see the snapshot taken at BEGIN; concurrent writes to one
    /// row conflict. Allows write skew.
    #[default]
    Snapshot,
    /// Serializable: snapshot isolation plus validation of the transaction's reads at
    /// commit; the commit order of SERIALIZABLE transactions is a serial order.
    Serializable,
}

impl Isolation {
    /// The level's SQL name (`PRAGMA isolation` shows it).
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Snapshot => "snapshot",
            Isolation::Serializable => "serializable",
        }
    }
}

impl Transaction {
    /// A transaction at `isolation`, its snapshot registered.
    pub(crate) fn begin_at(
        store: Arc<crate::store::StoreShared>,
        isolation: Isolation,
    ) -> StorageResult<Transaction> {
        let begin_epoch = store.widen_epoch.load(std::sync::atomic::Ordering::Relaxed);
        let mut txn = Transaction::read_only_at(store, 0);
        txn.begin_epoch = begin_epoch;
        txn.register_at(isolation)?;
        Ok(txn)
    }

    /// The transaction's isolation level.
    pub fn isolation(&self) -> Isolation {
        if self.reads.is_some() {
            Isolation::Serializable
        } else {
            Isolation::Snapshot
        }
    }

    /// Registers a snapshot at the newest published commit, at `isolation`: a SERIALIZABLE
    /// one counts itself open first (see `commit_log.rs` for why first).
    pub(super) fn register_at(&mut self, isolation: Isolation) -> StorageResult<()> {
        debug_assert!(self.active_slot.is_none() && self.reads.is_none());
        if isolation == Isolation::Serializable {
            self.store.serial.begin();
            self.reads = Some(self.spare_reads.take().unwrap_or_default());
        }
        match self.store.active.register(&self.store.clock) {
            Ok((slot, read_ts)) => {
                self.snapshot = Snapshot { read_ts, txn_id: 0 };
                self.active_slot = Some(slot);
                Ok(())
            }
            Err(error) => {
                self.end_isolation();
                Err(error)
            }
        }
    }

    /// Ends what the isolation level holds (with the snapshot).
    pub(super) fn end_isolation(&mut self) {
        if let Some(reads) = self.reads.take() {
            self.store.serial.end();
            let (serial, account) = (&self.store.serial, self.store.pool.account());
            if reads.empty_for_reuse(|bytes| serial.note_read_set_bytes(bytes, true, account)) {
                self.spare_reads = Some(reads);
            }
        }
    }

    /// Under the commit lock, before stamping: refuses the commit of a SERIALIZABLE
    /// transaction when a commit after its snapshot wrote what it read.
    pub(super) fn validate_reads(&self) -> Option<crate::error::StorageError> {
        let reads: &ReadTracker = self.reads.as_deref()?;
        let set = reads.lock();
        let read_ts = self.snapshot.read_ts;
        let conflicts = self.store.serial.validate(read_ts, |table, row| {
            set.covers(table, row)
                || match row {
                    Some(row) => set.ranges_hold_row(table, row, read_ts),
                    None => set.ranges.iter().any(|range| range.table.id() == table),
                }
        });
        (!conflicts.is_empty()).then(|| read_conflict(&conflicts))
    }

    /// Under the commit lock, after publishing `ts`: logs what this commit wrote while a
    /// SERIALIZABLE transaction other than this one is open.
    #[inline]
    pub(super) fn log_for_validation(&self, ts: u64) {
        if !self.store.serial.logging(self.reads.is_some()) {
            return;
        }
        let store = &self.store;
        store.serial.append(
            ts,
            |entry| {
                entry
                    .tables
                    .extend(self.tables.iter().map(|table| table.id()));
                entry.rows_complete = self.writes.len() <= WRITTEN_ROWS_LOGGED_MAX * 2;
                if entry.rows_complete {
                    let tables = &entry.tables;
                    let rows = self
                        .writes
                        .iter()
                        .map(|write| (tables[write.table as usize], write.row));
                    entry.rows.extend(rows);
                    entry.rows.dedup();
                }
            },
            || store.active.watermark(&store.clock),
            store.pool.account(),
        );
    }
}

impl Transaction {
    /// Counters of SERIALIZABLE validation of this transaction's store.
    pub fn store_serial_stats(&self) -> SerialStats {
        self.store.serial.stats()
    }
}
