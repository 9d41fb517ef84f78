//! How a query read lazily (`Statement::query`'s `Rows`) runs: started once (its snapshot
//! taken, its operator tree built), then resumed for each row the caller pulls, and ended
//! when the rows run out or the caller drops them. Statements other than a plain query
//! (DML with RETURNING, PRAGMA, EXPLAIN) run to completion at the start, as SQLite computes
//! RETURNING rows at the first step.

use ember_storage::{Transaction as StorageTransaction, Value};

use super::in_transaction::aborted_transaction;
use super::{Connection, TransactionState};
use crate::error::Result;
use crate::exec::{self, ExecContext, Operator, QueryStart, Row};
use crate::expr::{RuntimeCaches, SubqueryRuntime};
use crate::plan::Plan;
use crate::plan_cache::Prepared;

/// A query started for lazy reading.
pub(crate) enum Started<'s> {
    /// Every row, computed at the start.
    Computed(Vec<Vec<Value>>),
    /// A query whose rows are computed as they are pulled.
    Running(Box<Running<'s>>),
}

/// The state of a query between two pulled rows.
pub(crate) struct Running<'s> {
    operator: Box<dyn Operator + 's>,
    params: Vec<Value>,
    reading: Reading,
    caches: RuntimeCaches,
    bounds: Option<exec::StatementBounds<'s>>,
    /// The time a query read in its own transaction tests row expiry at (read once, at the
    /// first test; the connection's own `time` serves its other statements meanwhile).
    own_time: crate::expr::TransactionTime,
}

/// Which transaction the rows are read in. The transaction is held inline, not boxed: one
/// value per open `Rows`, and no allocation per query.
#[allow(clippy::large_enum_variant)]
enum Reading {
    /// Autocommit: a read transaction of the query's own, held until the rows end.
    Own(StorageTransaction),
    /// The connection's explicit transaction, known by its number among those begun on the
    /// connection: a COMMIT or ROLLBACK between two pulls ends the query.
    Explicit { number: u64 },
}

impl Connection {
    /// Starts `prepared` with `params` for lazy reading.
    pub(crate) fn start_rows<'s>(
        &'s self,
        prepared: &'s Prepared,
        params: Vec<Value>,
    ) -> Result<Started<'s>> {
        let Plan::Query(query) = &prepared.plan else {
            let (rows, _) = self.collect_prepared(prepared, &params)?;
            return Ok(Started::Computed(rows.into_values()));
        };
        if params.len() != prepared.parameter_count {
            // The same check and message as an eager run.
            self.collect_prepared(prepared, &params)?;
        }
        self.interrupt.reset();
        let reading = match &*self.state.borrow() {
            TransactionState::Autocommit => None,
            TransactionState::Explicit(_) => Some(Reading::Explicit {
                number: self.transactions_begun.get(),
            }),
            TransactionState::Aborted => return Err(aborted_transaction()),
        };
        let reading = match reading {
            Some(reading) => reading,
            None => Reading::Own(self.start_transaction(ember_storage::Isolation::Snapshot)?),
        };
        let mut running = Running {
            operator: Box::new(NoRows),
            params,
            reading,
            caches: RuntimeCaches::default(),
            bounds: self.statement_bounds(),
            own_time: crate::expr::TransactionTime::new(self.db.shared.clock.clone()),
        };
        let started = self.resume(&mut running, |context| {
            exec::start_query(&query.node, context)
        });
        match started {
            Ok(QueryStart::Operator(operator)) => {
                running.operator = operator;
                Ok(Started::Running(Box::new(running)))
            }
            Ok(QueryStart::Looked(row)) => {
                self.end_rows(running);
                Ok(Started::Computed(row.into_iter().collect()))
            }
            Err(error) => {
                self.end_rows(running);
                Err(error)
            }
        }
    }

    /// Computes the query's next row (`None`: no more rows).
    pub(crate) fn pull_row(&self, running: &mut Running<'_>) -> Result<Option<Vec<Value>>> {
        let mut operator = std::mem::replace(&mut running.operator, Box::new(NoRows));
        let row = self.resume(running, |context| operator.next(context));
        running.operator = operator;
        row
    }

    /// Ends a query read lazily: its own read transaction is kept for the next statement.
    pub(crate) fn end_rows(&self, running: Running<'_>) {
        if let Reading::Own(txn) = running.reading {
            match txn.into_idle() {
                Ok(idle) => self.keep_idle(idle),
                Err(txn) => self.keep_idle(txn.rollback_reusable()),
            }
        }
    }

    /// Runs `step` with the query's execution context rebuilt around its transaction and
    /// what it computed before.
    fn resume<T>(
        &self,
        running: &mut Running<'_>,
        step: impl FnOnce(&ExecContext<'_>) -> Result<T>,
    ) -> Result<T> {
        let state;
        let txn = match &running.reading {
            Reading::Own(txn) => txn,
            Reading::Explicit { number } => {
                state = self.state.try_borrow().map_err(|_| {
                    crate::err!(Busy, "the connection is busy with another statement")
                })?;
                match &*state {
                    TransactionState::Explicit(txn) if self.transactions_begun.get() == *number => {
                        txn
                    }
                    _ => {
                        return Err(crate::err!(
                            Transaction,
                            "the transaction these rows were read in has ended (COMMIT or \
                             ROLLBACK ran while they were being read); run the query again"
                        ))
                    }
                }
            }
        };
        let mut env = self.statement_env(&running.params, running.bounds.as_ref());
        if let Reading::Own(_) = running.reading {
            env.time = Some(&running.own_time);
        }
        let runtime = SubqueryRuntime::resume(txn, env, std::mem::take(&mut running.caches));
        let result = step(&ExecContext::new(&runtime));
        running.caches = runtime.into_caches();
        result
    }
}

/// The operator a running query holds while its own is out being pulled from.
struct NoRows;

impl Operator for NoRows {
    fn next(&mut self, _context: &ExecContext<'_>) -> Result<Option<Row>> {
        Ok(None)
    }
}
