//! Reading common table expressions: `CteScan` streams a CTE read once from its query, and
//! scans the rows of one read more than once, computed once per statement execution and
//! kept in the `SubqueryRuntime`; `WorkTable` hands out the row a recursive CTE's recursive
//! term is computing from (`exec::query::recursive` puts it in the `ExecContext`).

use std::rc::Rc;

use crate::error::Result;
use crate::plan::CteQuery;

use super::super::{build, ExecContext, MemoryCharge, Operator, Row};

/// A CTE's rows, materialized once per statement execution, with the memory they hold.
pub struct CteRows {
    rows: Vec<Row>,
    _memory: MemoryCharge,
}

/// The current row of recursive CTE `id`, and the ones of the recursive CTEs around it.
pub struct WorkRow<'a> {
    pub id: usize,
    pub row: &'a [ember_storage::Value],
    pub parent: Option<&'a WorkRow<'a>>,
}

enum CteSource<'p> {
    NotStarted,
    Streaming(Box<dyn Operator + 'p>),
    Materialized { rows: Rc<CteRows>, next: usize },
}

pub struct CteScanOperator<'p> {
    cte: &'p CteQuery,
    source: CteSource<'p>,
}

impl<'p> CteScanOperator<'p> {
    pub fn new(cte: &'p CteQuery) -> Self {
        CteScanOperator {
            cte,
            source: CteSource::NotStarted,
        }
    }
}

/// Runs the CTE's query to the end, its rows counted and charged.
fn materialize(cte: &CteQuery, context: &ExecContext<'_>) -> Result<CteRows> {
    let mut operator = build(&cte.query.node);
    let mut rows = Vec::new();
    let mut memory = context.memory_charge("a common table expression's rows");
    while let Some(row) = operator.next(context)? {
        context.check_rows(rows.len())?;
        memory.add_row(&row)?;
        rows.push(row);
    }
    Ok(CteRows {
        rows,
        _memory: memory,
    })
}

impl Operator for CteScanOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if let CteSource::NotStarted = self.source {
            self.source = if !self.cte.is_shared() {
                CteSource::Streaming(build(&self.cte.query.node))
            } else {
                let runtime = context.eval.subqueries;
                let cached = runtime.and_then(|r| r.cte_rows.borrow().get(&self.cte.id).cloned());
                let rows = match cached {
                    Some(rows) => rows,
                    None => {
                        // Not borrowed while running: the CTE may read other CTEs.
                        let rows = Rc::new(materialize(self.cte, context)?);
                        if let Some(runtime) = runtime {
                            runtime
                                .cte_rows
                                .borrow_mut()
                                .insert(self.cte.id, rows.clone());
                        }
                        rows
                    }
                };
                CteSource::Materialized { rows, next: 0 }
            };
        }
        match &mut self.source {
            CteSource::Streaming(operator) => operator.next(context),
            CteSource::Materialized { rows, next } => {
                let row = rows.rows.get(*next).cloned();
                *next += 1;
                Ok(row)
            }
            CteSource::NotStarted => {
                debug_assert!(false, "started above");
                Ok(None)
            }
        }
    }
}

/// The work row of recursive CTE `id`, once.
pub struct WorkTableOperator {
    id: usize,
    done: bool,
}

impl WorkTableOperator {
    pub fn new(id: usize) -> Self {
        WorkTableOperator { id, done: false }
    }
}

impl Operator for WorkTableOperator {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.done {
            return Ok(None);
        }
        self.done = true;
        let mut frame = context.work;
        while let Some(work) = frame {
            if work.id == self.id {
                return Ok(Some(work.row.to_vec()));
            }
            frame = work.parent;
        }
        Err(crate::err!(
            Internal,
            "a recursive CTE's work table read outside its recursion"
        ))
    }

    /// The next read hands out the work row of the step then running.
    fn rewind(&mut self) -> bool {
        self.done = false;
        true
    }
}
