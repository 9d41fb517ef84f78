//! Multi-version concurrency control.
//!
//! VERSIONS. A table is a growable array of row slots. A slot points at its newest `Version`;
//! each version holds `begin` and `end` stamps, a pointer to the next older version and the
//! encoded row. A stamp is either a commit timestamp (below `TXN_ID_BASE`) or the id of the
//! transaction that wrote it and has not committed yet (at or above `TXN_ID_BASE`).
//!
//! VISIBILITY. A snapshot `(read_ts, txn_id)` sees a version when its begin is a commit
//! timestamp `<= read_ts` or its own id, and its end is neither a commit timestamp
//! `<= read_ts` nor its own id. Commits are stamped under the commit lock *before* the clock
//! advances, so a snapshot taken at `read_ts` never sees a half-stamped commit:
//!
//! ```text
//!   key   ts: 1    2    3    4
//!   a         a1---------a2---->      T(read_ts=2) sees a1; T(read_ts=3) sees a2
//!   b              b1---x            T(read_ts=3) sees nothing for b (deleted at 3)
//! ```
//!
//! WRITES. First updater wins: a writer claims the visible head version by a CAS of its end
//! from INFINITY to its own id. If the head was written by an uncommitted transaction, or
//! committed after the writer's snapshot, or is already claimed, the write fails at once with
//! a `Conflict` error and the caller retries the whole transaction.
//!
//! GARBAGE COLLECTION. Versions whose end is a commit timestamp below the oldest active
//! snapshot can be seen by nobody; `gc` unlinks them and frees them through crossbeam-epoch
//! once no reader can still hold them.
//!
//! FROZEN ROWS. A row whose only version every snapshot sees loses its header: the slot's
//! head points at the bare payload (`head.rs`), until a writer thaws it (`claim.rs`).

mod active;
mod budget;
mod checked_scan;
mod claim;
mod claim_visible;
mod clock;
mod clustered;
mod column_scan;
mod commit_log;
mod compact;
mod copy_rows;
mod evict;
mod gathered_entries;
mod gathered_rows;
mod gc;
mod head;
mod history;
mod idle;
mod index_reset;
mod indexing;
mod insert;
mod insert_batch;
mod isolation;
mod key_only_read;
mod live_count;
mod ordered_read;
mod patch;
mod read_ranges;
mod read_set;
mod rebuild;
mod settled_index;
mod settled_probe;
mod slot_array;
mod slot_release;
mod slot_reuse;
mod spare;
mod store_view;
mod table;
mod transaction;
mod unindex;
mod version;
mod widening;
mod write_pin;

pub use active::ActiveSnapshots;
pub use budget::{AccessMarks, MarkMode, TableBudget, LOG_COUNTER_INITIAL};
pub use clock::{Clock, TXN_ID_BASE};
pub(crate) use commit_log::SerialState;
pub use commit_log::{SerialStats, LOG_ENTRIES_MAX, WRITTEN_ROWS_LOGGED_MAX};
pub use compact::WalkedSlots;
pub use copy_rows::RowCopies;
pub use evict::HandStep;
pub use gc::GcReport;
pub(crate) use head::FrozenSlot;
pub use history::{CommitTime, History, HistoryGap, HistoryStats};
pub use idle::IdleTransaction;
pub use insert_batch::BatchInsert;
pub use isolation::Isolation;
pub use ordered_read::{KeyParts, RangeProgress, RangeScratch, RunVisit};
pub use read_set::{READ_RANGES_MAX, READ_ROWS_MAX};
pub use settled_probe::SettledProbes;
pub(crate) use spare::SpareHeaders;
pub use table::{RowId, Table, TableSchema, TableStats};
pub use transaction::{Snapshot, Transaction};
pub use version::END_INFINITY;
pub(crate) use version::VERSION_HEADER_BYTES;
pub use write_pin::{WritePin, ROWS_PER_PIN};

#[cfg(test)]
mod clustered_tests;
#[cfg(test)]
mod copy_rows_tests;
#[cfg(test)]
mod derived_key_tests;
#[cfg(test)]
mod freeze_tests;
#[cfg(test)]
mod insert_batch_tests;
#[cfg(test)]
mod key_left_out_tests;
#[cfg(test)]
mod partial_index_tests;
#[cfg(test)]
mod serializable_tests;
#[cfg(test)]
mod slot_reuse_tests;
#[cfg(test)]
mod transaction_tests;
