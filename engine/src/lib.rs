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

// The layers below are public for the REPL, the benches and the tests, hidden from the
// docs: they are not part of the stable API (that is the re-exports at the end).
#[doc(hidden)]
pub mod ast_drop;
#[doc(hidden)]
pub mod bind;
#[doc(hidden)]
pub mod catalog;
mod connection;
mod database;
mod de;
mod dialect;
mod durability;
mod error;
#[doc(hidden)]
pub mod exec;
#[doc(hidden)]
pub mod expr;
mod fast_hash;
mod gc;
mod interrupt;
#[doc(hidden)]
pub mod limits;
mod memory;
mod open_dir;
#[doc(hidden)]
pub mod optimize;
mod options;
mod params;
#[doc(hidden)]
pub mod parse;
#[doc(hidden)]
pub mod plan;
mod plan_cache;
mod recovery;
mod rows;
#[doc(hidden)]
pub mod script;
mod statement;
#[doc(hidden)]
mod timeout;
mod transaction;
mod value;

pub use connection::{Connection, ConnectionStats, Outcome};
pub use database::Database;
pub use durability::{CheckpointReport, DurabilityStats};
pub use ember_storage::{DataType, Value};
pub use error::{Error, ErrorKind, OptionalExtension, Result};
pub use exec::system;
pub use interrupt::InterruptHandle;
pub use options::{Options, SyncPolicy};
pub use params::Params;
pub use recovery::RecoveryReport;
pub use rows::{ColumnIndex, Row, Rows};
pub use statement::Statement;
pub use transaction::Transaction;
pub use value::{FromValue, ToValue};
