//! The session layer: the public API (`Database`, `Connection`, `Statement`, `Transaction`, `Rows`,
//! `Options`, parameters and values) and the shared state it owns (the store, the catalog, the plan
//! caches), with durability (`durability`, `recovery`, `open_dir`), the garbage-collection driver
//! (`gc`), memory settings (`memory`, `physical_memory`), the statement timeout (`timeout`) and
//! interrupts. It calls the query pipeline (`crate::pipeline`) and implements the traits the
//! pipeline asks for.

pub(crate) mod backup;
mod blob_typed_rows;
pub(crate) mod bloom_joins;
pub(crate) mod budget;
pub(crate) mod catalog_pragmas;
pub(crate) mod connection;
pub(crate) mod cursor;
pub(crate) mod database;
pub(crate) mod de;
pub(crate) mod durability;
pub(crate) mod expiry_sweep;
pub(crate) mod foreign_key_check;
pub(crate) mod foreign_keys;
pub(crate) mod functions;
pub(crate) mod gc;
pub(crate) mod history;
pub(crate) mod index_check;
pub(crate) mod interrupt;
pub(crate) mod maintenance_pragmas;
pub(crate) mod memory;
mod open_beside_writer;
pub(crate) mod open_dir;
mod open_registry;
pub(crate) mod options;
pub(crate) mod params;
pub(crate) mod physical_memory;
pub(crate) mod plan_cache;
pub(crate) mod pressure;
pub(crate) mod quiet_compaction;
pub(crate) mod recovery;
pub(crate) mod recovery_time;
pub(crate) mod recursive_triggers;
pub(crate) mod row_views;
pub(crate) mod rows;
pub(crate) mod snapshots;
pub(crate) mod statement;
pub(crate) mod threads;
pub(crate) mod timeout;
pub(crate) mod transaction;
pub(crate) mod tuning_pragmas;
pub(crate) mod value;
