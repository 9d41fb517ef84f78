//! Writing rows: INSERT (`insert`, `insert_batch`, `upsert`, `conflict`, `rowid`), UPDATE
//! and DELETE (`dml`, `update_from`, `update_or`), RETURNING (`returning`), and what every
//! write checks or fires: CHECK (`check`), generated columns (`generated`), the keys of
//! indexes that derive them (`derived_keys`), the row guard (`constraint`), foreign keys
//! (`foreign_key/`) and triggers (`trigger/`).

pub(super) mod check;
pub(super) mod conflict;
pub(super) mod constraint;
pub(super) mod derived_keys;
pub(super) mod dml;
pub(super) mod foreign_key;
pub(super) mod generated;
pub(super) mod insert;
pub(super) mod insert_batch;
pub(super) mod insert_copy;
pub(super) mod returning;
pub(super) mod rowid;
pub(super) mod trigger;
pub(super) mod update_from;
pub(super) mod update_or;
pub(super) mod upsert;
