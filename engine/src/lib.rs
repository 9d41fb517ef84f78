//! EmberDB: an embedded, in-memory SQL database engine with MVCC transactions.
//!
//! The life of a statement: `parse` (sqlparser, with size and depth limits) -> `bind`
//! (names resolved against a catalog snapshot, producing a `plan::Plan`) -> `optimize`
//! (access paths: primary-key lookup or scan) -> `exec` (pull-based operators over a
//! storage transaction) -> commit.
//!
//! ```
//! use ember::Database;
//!
//! let db = Database::in_memory();
//! let mut conn = db.connect();
//! conn.execute_batch("CREATE TABLE users(id INT PRIMARY KEY, name TEXT NOT NULL);
//!                     INSERT INTO users VALUES (1, 'ada'), (2, 'grace');").unwrap();
//! let rows = conn.query("SELECT name FROM users WHERE id >= ? ORDER BY id", [2]).unwrap();
//! let names: Vec<String> = rows.into_iter().map(|row| row.get(0).unwrap()).collect();
//! assert_eq!(names, ["grace"]);
//! ```

// Two layers, each a folder: the query pipeline (`pipeline/`: parse, bind, plan, optimize,
// exec, expr, catalog), which never imports the session, and the session (`session/`: the
// API types, shared state, durability), which calls the pipeline. Their modules are
// re-exported here under their short names (`crate::exec`, `crate::database`, ...). The
// pipeline's modules are public for the REPL, the benches and the tests, hidden from the
// docs: they are not part of the stable API (that is the re-exports at the end).
mod error;
#[doc(hidden)]
pub mod limits;
#[doc(hidden)]
pub mod pipeline;
mod session;

#[doc(hidden)]
pub use pipeline::{ast_drop, bind, catalog, exec, expr, optimize, parse, plan, script};
pub(crate) use pipeline::{ast_visit, dialect, fast_hash};
pub(crate) use session::{
    backup, budget, connection, cursor, database, de, durability, expiry_sweep, functions, gc,
    interrupt, memory, options, params, plan_cache, pressure, recovery, rows, snapshots, statement,
    timeout, transaction, value,
};

pub use backup::BackupInfo;
pub use connection::{Connection, ConnectionStats, Outcome};
pub use cursor::{MappedRows, Rows};
pub use database::Database;
pub use durability::{CheckpointReport, DurabilityStats};
pub use ember_storage::{DataType, Isolation, Value};
pub use error::{Error, ErrorKind, OptionalExtension, Result};
pub use exec::schema::system;
pub use expr::WallClock;
pub use functions::{Aggregate, FunctionContext, FunctionFlags};
pub use interrupt::InterruptHandle;
pub use options::{Options, SyncPolicy};
pub use params::Params;
pub use recovery::RecoveryReport;
pub use rows::{ColumnIndex, Row, RowRef, RowRefs, RowSet, RowSetIter, RowSlices, RowValues};
pub use session::open_dir::IN_MEMORY_PATH;
pub use statement::Statement;
pub use transaction::Transaction;
pub use value::{FromValue, ToValue};

/// The README's Rust blocks, compiled and run as doctests so the first code a newcomer copies
/// keeps working.
#[cfg(doctest)]
#[doc = include_str!("../../README.md")]
pub struct ReadmeExamples;
