//! Every bound the storage layer enforces, named once, with compile-time checks of how they
//! relate. Inputs that pass a limit get a `StorageErrorKind::Limit` error, never a panic.

/// Most columns a table may have.
pub const COLUMNS_MAX: usize = 2000;

/// Largest encoded row payload, in bytes.
pub const ROW_BYTES_MAX: usize = 64 << 20;

/// Largest single TEXT or BLOB value, in bytes.
pub const VALUE_BYTES_MAX: usize = ROW_BYTES_MAX - 64;

/// Most row slots in one table (slot ids are `u32`-sized chunks addressed by `slot_chunk_of`).
pub const TABLE_SLOTS_MAX: u64 = 1 << 40;

/// Most row changes one WAL commit record may carry.
pub const WAL_CHANGES_MAX: u64 = 1 << 32;

/// Most catalog changes one WAL schema commit record may carry.
pub const WAL_CATALOG_CHANGES_MAX: u64 = 1 << 20;

/// Longest name or SQL text in a WAL catalog record or snapshot, in bytes.
pub const WAL_TEXT_BYTES_MAX: usize = 1 << 20;

/// Largest WAL record or snapshot block payload, in bytes.
pub const FRAME_PAYLOAD_BYTES_MAX: usize = 1 << 30;

/// Most columns one secondary index may cover.
pub const INDEX_COLUMNS_MAX: usize = 32;

/// Most secondary indexes one table may have.
pub const TABLE_INDEXES_MAX: usize = 64;

/// Default size past which the WAL starts a new segment file, in bytes.
pub const WAL_SEGMENT_BYTES_DEFAULT: u64 = 16 << 20;

/// Most space kept aside for the log (`wal.reserve`), released to commits when the disk
/// fills; a log with smaller segments keeps one segment's worth.
pub const WAL_RESERVE_BYTES_MAX: u64 = 1 << 20;

/// Most rows one typed column batch holds (`row::ColumnBatch`, `scan_column_batch`).
pub const COLUMN_BATCH_ROWS_MAX: usize = 4096;

/// Bytes of text and blobs one column of a column batch takes before the batch ends: no
/// column's buffer grows past this plus one value, so every offset fits in 32 bits.
pub const COLUMN_BATCH_BYTES_MAX: usize = 8 << 20;

const _: () = assert!(VALUE_BYTES_MAX < ROW_BYTES_MAX);
const _: () = assert!(COLUMN_BATCH_BYTES_MAX + VALUE_BYTES_MAX < u32::MAX as usize);
const _: () = assert!(COLUMNS_MAX < u16::MAX as usize);

/// Most entries the commit-time log of `mvcc::history` keeps (one per distinct wall-clock
/// millisecond that saw a commit, 16 bytes each): past it the oldest entries are dropped and
/// the history readable with AS OF starts later.
pub const HISTORY_LOG_ENTRIES_MAX: usize = 1 << 20;

/// Most (table, row) entries a SERIALIZABLE transaction's read set keeps before it folds
/// them into whole-table entries (`mvcc/read_set.rs`).
pub const READ_ROWS_MAX: usize = 1 << 16;

/// Most commits the SERIALIZABLE validation log keeps one by one; older ones fold into a
/// table-level summary (`mvcc/commit_log.rs`).
pub const LOG_ENTRIES_MAX: usize = 4096;

/// Most emptied entries the SERIALIZABLE validation log keeps for reuse
/// (`mvcc/commit_log.rs`), each at most `2 * WRITTEN_ROWS_LOGGED_MAX` rows of capacity.
pub const LOG_SPARE_ENTRIES_MAX: usize = 128;

/// Most key ranges of ordered indexes a SERIALIZABLE transaction's read set keeps; past it
/// they fold into whole-table entries (`mvcc/read_ranges.rs`).
pub const READ_RANGES_MAX: usize = 64;

/// Most rows one logged commit names; a larger commit is logged by its tables.
pub const WRITTEN_ROWS_LOGGED_MAX: usize = 256;
