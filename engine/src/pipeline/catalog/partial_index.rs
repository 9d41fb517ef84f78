//! The WHERE clause of a partial index (`CREATE INDEX .. WHERE pred`): bound over the
//! table's row, it decides which rows the index holds (a row is in the index when the
//! predicate is TRUE; part of the key derivation storage asks, `index_keys.rs`) and what
//! the optimizer proves a query's WHERE implies before it reads through the index
//! (`optimize::partial_index`).

use ember_storage::Value;

use crate::expr::{truth, EvalContext, Expr};

/// A partial index's predicate, bound (deterministic: no subqueries, parameters or
/// non-deterministic functions, checked by the binder).
pub struct IndexPredicate {
    /// Over the table's row (column i at position i).
    pub expr: Expr,
    /// `expr`'s top-level AND terms.
    pub conjuncts: Vec<Expr>,
    /// The columns `expr` reads.
    reads: Vec<usize>,
}

impl IndexPredicate {
    pub fn new(expr: Expr) -> IndexPredicate {
        let mut reads = expr.columns_read();
        reads.sort_unstable();
        reads.dedup();
        IndexPredicate {
            conjuncts: expr.clone().into_conjuncts(),
            expr,
            reads,
        }
    }

    /// Whether the index holds `row` (the predicate's columns decoded at their positions).
    pub fn holds(&self, row: &[Value]) -> bool {
        // No written row fails (`holds_or_fails` refused it); should one fail anyway, a
        // deterministic predicate fails the same way every time: the row is left out, as a
        // NULL or FALSE predicate leaves it.
        self.holds_or_fails(row).unwrap_or(false)
    }

    /// Whether the index holds `row`, or the predicate's error when it fails to evaluate
    /// (which fails a write of the row, as in SQLite).
    pub fn holds_or_fails(&self, row: &[Value]) -> crate::error::Result<bool> {
        let value = self.expr.eval(row, &EvalContext::default())?;
        Ok(truth(&value) == Some(true))
    }

    /// The columns the predicate reads.
    pub fn reads(&self) -> &[usize] {
        &self.reads
    }
}
