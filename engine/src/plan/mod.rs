//! Plans: what the binder produces and the executor runs. A statement becomes a `Plan`; a
//! query becomes a tree of `Node`s that the executor turns into pull-based operators.
//!
//! ```text
//! SELECT name FROM t WHERE id = 5 ORDER BY name LIMIT 1
//!
//! Limit 1
//! └─ Project name
//!    └─ Sort name ASC
//!       └─ KeyLookup t (id = 5) filter (id = 5)
//! ```
//! The primary-key lookup was chosen by `optimize::choose_access`; the filter stays on the
//! access as a recheck.

mod display;

use std::sync::Arc;

use crate::catalog::{ColumnDef, IndexDef, TableDef};
use crate::expr::Expr;

/// A bound statement, ready to execute.
pub enum Plan {
    CreateTable(CreateTable),
    DropTable {
        name: String,
        if_exists: bool,
    },
    CreateIndex(CreateIndex),
    DropIndex {
        name: String,
        if_exists: bool,
    },
    Insert {
        table: Arc<TableDef>,
        columns: Vec<usize>,
        source: Node,
    },
    Update {
        target: TableAccess,
        assignments: Vec<(usize, Expr)>,
    },
    Delete {
        target: TableAccess,
    },
    Query(Query),
    Begin,
    Commit,
    Rollback,
    Explain(Box<Plan>),
    /// VACUUM: garbage-collect old versions of every table now.
    Vacuum,
    /// PRAGMA (synchronous, wal_checkpoint / CHECKPOINT): run by `durability::pragma`.
    Pragma(Box<sqlparser::ast::Statement>),
}

/// CREATE TABLE, bound: column definitions checked, constraints resolved to positions.
pub struct CreateTable {
    pub name: String,
    pub if_not_exists: bool,
    pub columns: Vec<ColumnDef>,
    pub primary_key: Vec<usize>,
    pub unique: Vec<Vec<usize>>,
    pub sql: String,
}

/// CREATE [UNIQUE] INDEX, bound: the table and column positions resolved.
pub struct CreateIndex {
    pub name: String,
    pub table: String,
    pub columns: Vec<usize>,
    pub unique: bool,
    pub if_not_exists: bool,
    pub sql: String,
}

/// A query: its operator tree and the names of its output columns.
pub struct Query {
    pub node: Node,
    pub columns: Vec<String>,
}

/// How rows of one table are reached, with a predicate rechecked on every row.
pub struct TableAccess {
    pub table: Arc<TableDef>,
    pub path: AccessPath,
    pub filter: Option<Expr>,
}

pub enum AccessPath {
    /// Every visible row, in slot order.
    FullScan,
    /// The one row whose primary key equals these values (in key column order).
    KeyLookup(Vec<Expr>),
    /// The rows whose primary key equals any of these keys (`id IN (...)`).
    KeyIn(Vec<Vec<Expr>>),
    /// The rows whose key in a secondary index equals these values (in index column order).
    IndexLookup { index: IndexDef, values: Vec<Expr> },
    /// The rows whose key in a secondary index equals any of these keys (`col IN (...)`).
    IndexIn {
        index: IndexDef,
        keys: Vec<Vec<Expr>>,
    },
}

/// One ORDER BY key.
pub struct SortKey {
    pub expr: Expr,
    pub descending: bool,
    pub nulls_first: bool,
}

/// A node of a query's operator tree.
pub enum Node {
    Scan(TableAccess),
    /// The rows of a system table (`crate::system`), computed when the query runs.
    System {
        table: crate::system::SystemTable,
        tables: Vec<Arc<TableDef>>,
    },
    /// Literal rows (also the single empty row of a SELECT without FROM).
    Values {
        rows: Vec<Vec<Expr>>,
    },
    Filter {
        input: Box<Node>,
        predicate: Expr,
    },
    Project {
        input: Box<Node>,
        exprs: Vec<Expr>,
    },
    Sort {
        input: Box<Node>,
        keys: Vec<SortKey>,
    },
    Limit {
        input: Box<Node>,
        limit: Option<Expr>,
        offset: Option<Expr>,
    },
}
