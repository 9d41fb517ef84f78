//! The query pipeline: SQL text to rows, given a catalog snapshot and a storage transaction.
//! `parse` (sqlparser with the size and depth limits) -> `bind` (names resolved against a
//! `catalog::Catalog`, a `plan::Plan` built) -> `optimize` (access paths, pruning) -> `exec`
//! (pull-based operators over a storage transaction, with `expr` evaluating expressions).
//! Nothing here imports the session layer (`crate::session`): what the pipeline needs from
//! the database it runs in comes through `exec::SchemaHost` (DDL), `exec::schema::system::
//! DurabilityRow` (the `ember_durability` row) and `expr::StatementEnv` (parameters, row cap,
//! interrupt flag, statement bounds). `tests/integration/tidy.rs` keeps the rule.

pub mod ast_drop;
pub(crate) mod ast_visit;
pub mod bind;
pub mod catalog;
pub(crate) mod dialect;
pub mod exec;
pub mod expr;
pub(crate) mod fast_hash;
pub mod optimize;
pub mod parse;
pub mod plan;
pub mod script;
