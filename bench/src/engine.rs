//! The engine abstraction: every engine under test opens a database (`Db`) that hands out
//! per-thread sessions (`Session`) offering the handful of operations the workloads need.
//! A `BenchError` says whether a cell is missing (the engine lacks a feature: the table
//! prints `n/a (missing: X)`) or failed.

use std::fmt;

use crate::data::Person;
use crate::sql::Query;

/// Why an operation did not produce a measurement.
#[derive(Debug, Clone)]
pub enum BenchError {
    /// The engine does not offer what the workload needs (yet).
    Missing(String),
    /// The engine failed.
    Failed(String),
}

impl fmt::Display for BenchError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            BenchError::Missing(what) => write!(f, "missing: {what}"),
            BenchError::Failed(message) => write!(f, "failed: {message}"),
        }
    }
}

pub type BenchResult<T> = Result<T, BenchError>;

/// Turns any displayable engine error into a failure.
pub fn failed(error: impl fmt::Display) -> BenchError {
    BenchError::Failed(error.to_string())
}

/// A parameter value of a statement.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Param<'a> {
    Int(i64),
    Real(f64),
    Text(&'a str),
}

/// A value of a result row, as the workloads check it.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Null,
    Int(i64),
    Real(f64),
    Text(String),
    /// A BLOB, as its bytes (no workload reads one; here so that no engine's blob is
    /// checked as the text it is not).
    Blob(Vec<u8>),
}

impl Cell {
    /// The value as a float (integers widen); None for NULL and text.
    pub fn number(&self) -> Option<f64> {
        match self {
            Cell::Int(value) => Some(*value as f64),
            Cell::Real(value) => Some(*value),
            _ => None,
        }
    }
}

/// What a point select read from every column of its row, folded so that reading a row
/// allocates nothing: the column count, the sum of the integers, the sum of the reals and
/// the total length of the texts.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct RowSum {
    pub columns: usize,
    pub ints: i64,
    pub reals: f64,
    pub text_bytes: usize,
}

/// One session (connection) on a database; used by one thread.
pub trait Session: Send {
    fn create_table(&mut self) -> BenchResult<()>;
    fn begin(&mut self) -> BenchResult<()>;
    fn commit(&mut self) -> BenchResult<()>;
    fn insert(&mut self, row: &Person) -> BenchResult<()>;
    /// Point select by primary key; returns the row's age if it exists.
    fn select_age(&mut self, id: i64) -> BenchResult<Option<i64>>;
    /// Runs the one-parameter `query` (a point select) and folds every column of its first
    /// row into a `RowSum`; None when it returns no row.
    fn point_row(&mut self, query: Query, key: i64) -> BenchResult<Option<RowSum>>;
    /// Runs a statement that returns no rows; returns the rows it changed.
    fn execute(&mut self, query: Query, params: &[Param]) -> BenchResult<usize>;
    /// Runs a query and returns all its rows.
    fn query(&mut self, query: Query, params: &[Param]) -> BenchResult<Vec<Vec<Cell>>>;
    /// `UPDATE t SET score = ? WHERE id = ?`; returns rows changed.
    fn update_score(&mut self, id: i64, score: f64) -> BenchResult<usize>;
    /// Reclaims old row versions / free space, as the engine offers.
    fn collect_garbage(&mut self) -> BenchResult<()>;
    /// Keeps replaced row versions for reads of the past for `retention` ('10 minutes'),
    /// or no longer (`None`). EmberDB only (W3H).
    fn set_history_retention(&mut self, _retention: Option<&str>) -> BenchResult<()> {
        Err(BenchError::Missing(
            "history_retention (EmberDB only)".into(),
        ))
    }
}

/// An open database.
pub trait Db: Send + Sync {
    /// A new session for the calling thread.
    fn connect(&self) -> BenchResult<Box<dyn Session>>;
}

/// Where an engine keeps its data.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Storage {
    Memory,
    /// A file, synced on every commit (SQLite: WAL + synchronous=FULL).
    DurableFull,
    /// SQLite WAL + synchronous=NORMAL (syncs at checkpoints only).
    DurableNormal,
}

/// One engine configuration that appears in the table.
pub struct EngineSpec {
    /// Name printed in the table.
    pub name: &'static str,
    pub storage: Storage,
    /// The reference engine for the ratio column of its workloads.
    pub is_baseline: bool,
    /// A remark printed under the table (configuration, caveats).
    pub remark: &'static str,
    /// Opens a fresh database in `dir` (a private, empty directory).
    pub open: OpenFn,
    /// How M1 opens it, when not as `open` does (M1 uses one session).
    pub open_m1: Option<OpenFn>,
}

/// Opens a fresh database in a private, empty directory.
pub type OpenFn = fn(&std::path::Path) -> BenchResult<Box<dyn Db>>;
