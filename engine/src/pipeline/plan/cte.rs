//! Plan nodes of common table expressions (`WITH`): a CTE read in FROM (`CteScan`), a
//! recursive CTE (`RecursiveUnion`) and the row its recursive terms read (`WorkTable`).

use std::sync::atomic::{AtomicBool, Ordering};

use crate::expr::Expr;

use super::{Node, Query, SortKey};

/// A non-recursive-use CTE that reads no enclosing row: bound once per statement and
/// shared by every reference. Read once, its query streams into the reader; read more than
/// once (`shared`), it runs once per statement execution and every reader scans its rows.
pub struct CteQuery {
    /// Unique within the statement: the key of its materialized rows.
    pub id: usize,
    pub name: String,
    pub query: Query,
    shared: AtomicBool,
}

impl CteQuery {
    pub fn new(id: usize, name: String, query: Query) -> CteQuery {
        CteQuery {
            id,
            name,
            query,
            shared: AtomicBool::new(false),
        }
    }

    /// Whether more than one reference reads it (then its rows are materialized once).
    pub fn is_shared(&self) -> bool {
        self.shared.load(Ordering::Relaxed)
    }

    /// Marks it read by more than one reference (set while binding, before any run).
    pub fn mark_shared(&self) {
        self.shared.store(true, Ordering::Relaxed);
    }
}

/// A recursive CTE: `initial UNION [ALL] recursive_1 [UNION [ALL] recursive_2 ...]
/// [ORDER BY ..] [LIMIT ..]`, computed as SQLite does: the initial rows fill a queue; then
/// one row at a time is taken from the queue (first in first out, or the least by `order`),
/// handed out, and each recursive term runs with that row as the CTE's only row
/// (`Node::WorkTable`), its rows going to the queue. With UNION (`distinct`), a row already
/// seen is dropped before it is queued. LIMIT/OFFSET count the rows handed out.
pub struct RecursiveUnion {
    /// Names the work table the recursive terms read.
    pub id: usize,
    pub name: String,
    pub initial: Node,
    pub recursive: Vec<Node>,
    pub distinct: bool,
    /// Keys over the CTE's columns ordering the queue (empty: first in, first out).
    pub order: Vec<SortKey>,
    pub limit: Option<Expr>,
    pub offset: Option<Expr>,
}
