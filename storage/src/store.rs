//! The `Store`: one clock, one registry of live snapshots, the slab pool (and memory account)
//! of its payloads, and the tables created in it.
//! Cheap to clone; every clone is the same store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StorageResult;
use crate::mvcc::{ActiveSnapshots, Clock, Table, TableSchema, Transaction};
use crate::slab::{CompactionReport, MemoryAccount, SlabPool};

pub(crate) struct StoreShared {
    pub(crate) clock: Clock,
    pub(crate) active: ActiveSnapshots,
    next_table_id: AtomicU64,
    pub(crate) pool: Arc<SlabPool>,
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
                next_table_id: AtomicU64::new(1),
                pool: Arc::new(SlabPool::new(Arc::new(MemoryAccount::new()))),
            }),
        }
    }

    /// Starts a transaction reading at the newest published commit.
    pub fn begin(&self) -> StorageResult<Transaction> {
        Transaction::begin(Arc::clone(&self.shared))
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

    /// Compaction: moves live payloads of `tables` (every table of the store) out of sparse
    /// pages, waits for the moved-out slots to be freed, and releases the emptied pages.
    pub fn compact(&self, tables: &[&Table]) -> CompactionReport {
        let pool = &self.shared.pool;
        pool.drain_deferred_frees();
        pool.release_empty_pages();
        let compaction = pool.begin_compaction();
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
}
