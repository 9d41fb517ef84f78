//! What a transaction tells about the store it belongs to: the GC watermark, memory
//! counters, the AS OF history and reads at a past commit, the newest commit and how many
//! snapshots are live. For callers that hold a transaction and no store handle.

use std::sync::Arc;

use super::transaction::Transaction;

impl Transaction {
    /// The oldest read timestamp any live snapshot of the store uses (the GC watermark).
    pub fn store_watermark(&self) -> u64 {
        self.store.active.watermark(&self.store.clock)
    }

    /// The store's memory counters (slab pool, usage, budget).
    pub fn store_memory(&self) -> crate::slab::MemoryStats {
        self.store.pool.account().stats()
    }

    /// The history kept for AS OF reads (`history.rs`).
    pub fn store_history(&self) -> &super::History {
        &self.store.history
    }

    /// The newest published commit.
    pub fn store_read_ts(&self) -> u64 {
        self.store.clock.read_ts()
    }

    /// A read-only transaction at past commit `commit` (see `Store::begin_as_of`).
    pub fn begin_as_of(
        &self,
        commit: u64,
        retention_ms: u64,
        now_ms: i64,
    ) -> Result<crate::AsOfRead, Option<super::HistoryGap>> {
        crate::Store::from_shared(Arc::clone(&self.store)).begin_as_of(commit, retention_ms, now_ms)
    }

    /// Number of snapshots (open transactions) live in the store.
    pub fn store_active_snapshots(&self) -> usize {
        self.store.active.live_count()
    }
}
