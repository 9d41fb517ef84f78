//! The `Store`: one clock, one registry of live snapshots, the slab pool (and memory account)
//! of its payloads, and the tables created in it.
//! Cheap to clone; every clone is the same store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StorageResult;
use crate::mvcc::{ActiveSnapshots, Clock, History, HistoryGap, Table, TableSchema, Transaction};
use crate::slab::{CompactionReport, MemoryAccount, SlabPool};

pub(crate) struct StoreShared {
    pub(crate) clock: Clock,
    pub(crate) active: ActiveSnapshots,
    pub(crate) history: History,
    next_table_id: AtomicU64,
    /// Counts starts and ends of tables' widenings (`mvcc/widening.rs`).
    pub(crate) widen_epoch: AtomicU64,
    /// Widenings begun and not ended.
    pub(crate) widenings_open: AtomicU64,
    pub(crate) pool: Arc<SlabPool>,
    /// SERIALIZABLE validation: open count and commit log (`mvcc/commit_log.rs`).
    pub(crate) serial: crate::mvcc::SerialState,
}

#[derive(Clone)]
pub struct Store {
    shared: Arc<StoreShared>,
}

impl Default for Store {
    fn default() -> Self {
        Store::new()
    }
}

impl Store {
    pub fn new() -> Store {
        Store {
            shared: Arc::new(StoreShared {
                clock: Clock::new(0),
                active: ActiveSnapshots::new(),
                history: History::default(),
                next_table_id: AtomicU64::new(1),
                widen_epoch: AtomicU64::new(0),
                widenings_open: AtomicU64::new(0),
                pool: Arc::new(SlabPool::new(Arc::new(MemoryAccount::new()))),
                serial: Default::default(),
            }),
        }
    }

    pub(crate) fn from_shared(shared: Arc<StoreShared>) -> Store {
        Store { shared }
    }

    /// Starts a transaction reading at the newest published commit.
    pub fn begin(&self) -> StorageResult<Transaction> {
        Transaction::begin(Arc::clone(&self.shared))
    }

    /// Starts a transaction at `isolation`.
    pub fn begin_with(&self, isolation: crate::mvcc::Isolation) -> StorageResult<Transaction> {
        Transaction::begin_at(Arc::clone(&self.shared), isolation)
    }

    /// Counters of SERIALIZABLE validation.
    pub fn serial_stats(&self) -> crate::mvcc::SerialStats {
        self.shared.serial.stats()
    }

    /// The count of widenings begun and ended (`mvcc/widening.rs`).
    pub(crate) fn widen_epoch(&self) -> &AtomicU64 {
        &self.shared.widen_epoch
    }

    /// The count of widenings begun and not ended (`mvcc/widening.rs`).
    pub(crate) fn widenings_open(&self) -> &AtomicU64 {
        &self.shared.widenings_open
    }

    /// Creates an empty table with a fresh id.
    pub fn create_table(&self, schema: TableSchema) -> Arc<Table> {
        self.create_table_keyed(schema, Vec::new())
    }

    /// `create_table` with primary-key column `i` keyed under `key_collations[i]` (empty:
    /// all BINARY; see `Table::with_key_collations`).
    pub fn create_table_keyed(
        &self,
        schema: TableSchema,
        key_collations: Vec<crate::index::KeyCollation>,
    ) -> Arc<Table> {
        let id = self.shared.next_table_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Table::with_key_collations(
            id,
            schema,
            Arc::clone(&self.shared.pool),
            key_collations,
        ))
    }

    /// The slab pool every table of the store keeps its payloads in.
    pub fn pool(&self) -> &SlabPool {
        &self.shared.pool
    }

    /// The store's memory account (usage, budget, slab counters).
    pub fn memory(&self) -> &Arc<MemoryAccount> {
        self.shared.pool.account()
    }

    /// Compaction: moves live payloads of `tables` (every table of the store) out of pages
    /// with at most `used_percent_max` of their slots in use, waits for the moved-out slots
    /// to be freed, and releases the emptied pages.
    pub fn compact(&self, tables: &[&Table], used_percent_max: u64) -> CompactionReport {
        let pool = &self.shared.pool;
        pool.drain_deferred_frees();
        pool.release_empty_pages();
        let compaction = pool.begin_compaction(used_percent_max);
        let moved = tables
            .iter()
            .map(|table| table.compact_payloads(&compaction))
            .sum();
        compaction.finish(moved)
    }

    /// The oldest read timestamp any live snapshot uses.
    pub fn watermark(&self) -> u64 {
        self.shared.active.watermark(&self.shared.clock)
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }

    /// The history kept for AS OF reads (`mvcc::history`).
    pub fn history(&self) -> &History {
        &self.shared.history
    }

    /// Sets how long history is kept (0: none, the default); `now_ms` is the wall time.
    pub fn set_history_retention(&self, retention_ms: u64, now_ms: i64) -> StorageResult<()> {
        let shared = &self.shared;
        shared
            .history
            .set_retention(&shared.active, &shared.clock, retention_ms, now_ms)
    }

    /// Moves the history pin forward to what the retention keeps at `now_ms`.
    pub fn advance_history(&self, now_ms: i64) {
        self.shared.history.advance(&self.shared.active, now_ms);
    }

    /// A read-only transaction seeing the state right after commit `commit`, if the history a
    /// table keeping `retention_ms` may read at `now_ms` reaches back to it. The error names
    /// the oldest readable commit (`None`: history is off).
    pub fn begin_as_of(
        &self,
        commit: u64,
        retention_ms: u64,
        now_ms: i64,
    ) -> Result<AsOfRead, Option<HistoryGap>> {
        debug_assert!(commit <= self.shared.clock.read_ts());
        self.shared
            .history
            .begin_read(commit, retention_ms, now_ms)?;
        Ok(AsOfRead {
            txn: Transaction::read_only_at(Arc::clone(&self.shared), commit),
            commit,
        })
    }
}

/// A read of the state after one past commit (`Store::begin_as_of`); the history pin stays
/// at or before it until it drops.
pub struct AsOfRead {
    txn: Transaction,
    commit: u64,
}

impl AsOfRead {
    pub fn transaction(&self) -> &Transaction {
        &self.txn
    }

    pub fn commit(&self) -> u64 {
        self.commit
    }
}

impl Drop for AsOfRead {
    fn drop(&mut self) {
        self.txn.store.history.end_read(self.commit);
    }
}
