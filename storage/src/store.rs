//! The `Store`: one clock, one registry of live snapshots, and the tables created in it.
//! Cheap to clone; every clone is the same store.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StorageResult;
use crate::mvcc::{ActiveSnapshots, Clock, Table, TableSchema, Transaction};

pub(crate) struct StoreShared {
    pub(crate) clock: Clock,
    pub(crate) active: ActiveSnapshots,
    next_table_id: AtomicU64,
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
            }),
        }
    }

    /// Starts a transaction reading at the newest published commit.
    pub fn begin(&self) -> StorageResult<Transaction> {
        Transaction::begin(Arc::clone(&self.shared))
    }

    /// Creates an empty table with a fresh id.
    pub fn create_table(&self, schema: TableSchema) -> Arc<Table> {
        let id = self.shared.next_table_id.fetch_add(1, Ordering::Relaxed);
        Arc::new(Table::new(id, schema))
    }

    /// The oldest read timestamp any live snapshot uses.
    pub fn watermark(&self) -> u64 {
        self.shared.active.watermark(&self.shared.clock)
    }

    pub fn clock(&self) -> &Clock {
        &self.shared.clock
    }
}
