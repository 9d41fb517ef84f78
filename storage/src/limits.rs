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

const _: () = assert!(VALUE_BYTES_MAX < ROW_BYTES_MAX);
const _: () = assert!(COLUMNS_MAX < u16::MAX as usize);
