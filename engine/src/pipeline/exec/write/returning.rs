//! RETURNING: the rows an INSERT, UPDATE or DELETE wrote (or deleted) are kept while it
//! runs, then, after the last write, its expressions are evaluated over each and the results
//! handed to the statement's row sink, as SQLite does (it too runs every change first).

use ember_storage::{Transaction, Value};

use crate::error::Result;
use crate::expr::{Expr, StatementEnv, SubqueryRuntime};
use crate::plan::Returning;

use super::super::{ExecContext, MemoryCharge, Row, RowSink};

/// The rows a statement with RETURNING wrote, counted against its row cap and memory
/// budget as they are kept.
pub(super) struct WrittenRows {
    rows: Vec<Row>,
    rows_max: usize,
    memory: MemoryCharge,
}

impl WrittenRows {
    pub(super) fn new(env: &StatementEnv<'_>, memory: MemoryCharge) -> WrittenRows {
        WrittenRows {
            rows: Vec::new(),
            rows_max: env.rows_max.min(crate::limits::STATEMENT_ROWS_MAX),
            memory,
        }
    }

    /// Keeps one written row.
    pub(super) fn push(&mut self, row: Row) -> Result<()> {
        if self.rows.len() >= self.rows_max {
            return Err(crate::err!(
                Limit,
                "statement materializes more than the limit of {} rows",
                self.rows_max
            ));
        }
        self.memory.add_row(&row)?;
        self.rows.push(row);
        Ok(())
    }

    /// Evaluates `returning` over every kept row and hands the results to `sink`. A bare
    /// column no other expression reads is moved out of its row, not copied.
    pub(super) fn emit(
        self,
        txn: &Transaction,
        env: StatementEnv<'_>,
        returning: &Returning,
        sink: &mut RowSink<'_>,
    ) -> Result<()> {
        let runtime = SubqueryRuntime::new(txn, env);
        let context = ExecContext::new(&runtime);
        let moved = moved_columns(&returning.exprs);
        // One output row, lent to the sink for each row and refilled.
        let mut values: Vec<Value> = Vec::with_capacity(returning.exprs.len());
        for mut row in self.rows {
            values.clear();
            for (expr, moved) in returning.exprs.iter().zip(&moved) {
                let value = match moved.and_then(|column| row.get_mut(column)) {
                    Some(value) => std::mem::replace(value, Value::Null),
                    None => expr.eval(&row, &context.eval)?,
                };
                values.push(value);
            }
            if !sink(&mut values)? {
                break;
            }
        }
        Ok(())
    }
}

/// For each RETURNING expression, the column it can take from the row by value: a bare
/// column that no other expression reads (`None`: evaluate it). Nothing is moved when a
/// correlated subquery may read the row.
fn moved_columns(exprs: &[Expr]) -> Vec<Option<usize>> {
    if exprs.iter().any(Expr::has_correlated_subquery) {
        return vec![None; exprs.len()];
    }
    let mut reads: Vec<usize> = Vec::new();
    for expr in exprs {
        expr.walk(&mut |expr| {
            if let Expr::Column { index, .. } = expr {
                reads.push(*index);
            }
        });
    }
    exprs
        .iter()
        .map(|expr| match expr {
            Expr::Column { index, .. } if reads.iter().filter(|&r| r == index).count() == 1 => {
                Some(*index)
            }
            _ => None,
        })
        .collect()
}

/// A memory charge for the rows kept for RETURNING.
pub(super) fn written_rows_charge(env: &StatementEnv<'_>) -> MemoryCharge {
    let account = env.bounds.and_then(|bounds| bounds.memory);
    MemoryCharge::new(account, "the rows of RETURNING")
}
