//! EmberDB storage: the layer under SQL. It owns values and their compact row encoding
//! (`value`, `row`), MVCC tables made of row slots with version chains (`mvcc`), the hash
//! indexes that map keys to slots (`index`), and the `Store` that ties tables to one clock.
//!
//! Data flow of a write: `Transaction::insert` encodes the row (`row::encode`), creates a
//! `Version` stamped with the writer's transaction id, links it at the head of a slot and
//! records it in the write set. `Transaction::commit` takes a commit timestamp and restamps
//! every version in the write set, then publishes the timestamp so new snapshots see it.
//! Readers never lock: they pin an epoch and walk version chains to the version their
//! snapshot may see.
//!
//! Payloads live in a slab pool (`slab`) that also keeps the memory account and budget;
//! garbage collection frees versions and compaction empties sparse pages (all at once, or
//! in bounded steps while the store is quiet: `compact_step`).
//!
//! Durability lives here too, below SQL: the file-system seam (`vfs`), the write-ahead log
//! (`wal`: framed redo records, segments, group commit, recovery scan) and checkpoint
//! snapshot files (`snapshot`).

pub mod asymmetric_fence;
pub mod compact_step;
#[cfg(test)]
mod compact_step_tests;
pub mod error;
pub mod index;
pub mod limits;
pub mod mvcc;
mod prefetch;
pub mod real_digits;
pub mod real_text;
pub mod row;
pub mod row_splice;
pub mod slab;
pub mod snapshot;
pub mod store;
pub mod value;
pub mod vfs;
pub mod wal;

pub use error::{StorageError, StorageErrorKind, StorageResult};
pub use mvcc::{
    BatchInsert, IdleTransaction, Isolation, KeyParts, RangeProgress, RangeScratch, RowCopies,
    RowId, RunVisit, SerialStats, Snapshot, Table, TableSchema, Transaction, WritePin,
};
pub use store::{AsOfRead, Store};
pub use value::{DataType, Value};
