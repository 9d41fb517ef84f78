//! How a query or DML statement runs: inside the open explicit transaction (a failure
//! undoes only the statement, unless its conflict clause says otherwise), or in a
//! transaction of its own that commits when it succeeds (autocommit). A write refused at
//! the memory budget while the collector had memory to give back runs once more after
//! reclaiming it (`pressure::reclaim_before_retry`). Also the dispatch of a data plan to
//! the executor, and a read of storage in the snapshot a statement would see.

use ember_storage::{Transaction as StorageTransaction, Value};

use super::conflict_clause::{failure_keeps_changes, failure_rolls_back_transaction};
use super::{Connection, TransactionState};
use crate::error::{ErrorKind, Result};
use crate::exec::{self, RowSink};
use crate::expr::StatementEnv;
use crate::plan::Plan;

impl Connection {
    /// Runs a query or DML statement in the open transaction, or in its own one.
    #[inline]
    pub(super) fn run_in_transaction(
        &self,
        plan: &Plan,
        params: &[Value],
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        let bounds = self.statement_bounds();
        // Only when the connection enforces foreign keys: the catalog they resolve against.
        let foreign_key_catalog = self.foreign_keys.get().then(|| self.catalog());
        // Only for a statement that changes rows while some trigger exists.
        let triggers = match plan {
            Plan::Query(_) => None,
            _ if self.catalog().has_triggers() => exec::TriggerRuntime::for_catalog(
                self.catalog(),
                self.recursive_triggers.get(),
                plan,
            ),
            _ => None,
        };
        let env = StatementEnv {
            foreign_keys: foreign_key_catalog.as_deref(),
            deferred_keys: self.deferred_keys_sink(),
            triggers: triggers.as_ref(),
            ..self.statement_env(params, bounds.as_ref())
        };
        let mut state = self.state.borrow_mut();
        match &mut *state {
            TransactionState::Autocommit => {
                drop(state);
                self.time.reset();
                // The statement is its own transaction, whose end turns `PRAGMA
                // defer_foreign_keys` off, as in SQLite (its checks wait for that end anyway).
                if self.deferred_keys.defer_all() {
                    self.deferred_keys.set_defer_all(false);
                }
                if matches!(plan, Plan::Query(_)) {
                    // A query writes nothing: it runs inside the kept transaction object.
                    if let Ok(mut idle) = self.idle.try_borrow_mut() {
                        if let Some(idle) = idle.as_mut() {
                            return idle
                                .read_in_place(|txn| exec::run_data_plan(txn, plan, env, sink))?;
                        }
                    }
                }
                let rejected_before = crate::pressure::rejected_before_statement(&self.db.shared);
                let mut fed_rows = false;
                let outcome = self.run_autocommit(plan, env, &mut |row| {
                    fed_rows = true;
                    sink(row)
                });
                match outcome {
                    Err(error)
                        if !fed_rows
                            && crate::pressure::reclaim_before_retry(
                                &self.db.shared,
                                &error,
                                rejected_before,
                            ) =>
                    {
                        self.run_autocommit(plan, env, sink)
                    }
                    outcome => outcome,
                }
            }
            TransactionState::Explicit(txn) => {
                let savepoint = txn.savepoint();
                let rejected_before = crate::pressure::rejected_before_statement(&self.db.shared);
                let mut fed_rows = false;
                let mut outcome = exec::run_data_plan(txn, plan, env, &mut |row| {
                    fed_rows = true;
                    sink(row)
                });
                if let Err(error) = &outcome {
                    let undone_alone = error.kind() == ErrorKind::MemoryBudget
                        && !failure_keeps_changes(plan, error)
                        && !failure_rolls_back_transaction(plan, error);
                    if !fed_rows && undone_alone {
                        // Undone first: the retry starts from the statement's savepoint.
                        txn.rollback_to(savepoint);
                        if crate::pressure::reclaim_before_retry(
                            &self.db.shared,
                            error,
                            rejected_before,
                        ) {
                            outcome = exec::run_data_plan(txn, plan, env, sink);
                        }
                    }
                }
                match outcome {
                    Ok(outcome) => Ok(outcome),
                    Err(error) if failure_keeps_changes(plan, &error) => Err(error),
                    Err(error) if failure_rolls_back_transaction(plan, &error) => {
                        // OR ROLLBACK: the transaction ends, as in SQLite.
                        self.savepoints.borrow_mut().clear();
                        if let TransactionState::Explicit(txn) =
                            std::mem::replace(&mut *state, TransactionState::Autocommit)
                        {
                            self.keep_idle(txn.rollback_reusable());
                        }
                        self.discard_transaction_schema();
                        Err(error)
                    }
                    Err(error) if error.kind() == ErrorKind::SerializationConflict => {
                        if let TransactionState::Explicit(txn) =
                            std::mem::replace(&mut *state, TransactionState::Aborted)
                        {
                            self.keep_idle(txn.rollback_reusable());
                        }
                        self.discard_transaction_schema();
                        Err(error)
                    }
                    Err(error) => {
                        txn.rollback_to(savepoint);
                        Err(error)
                    }
                }
            }
            TransactionState::Aborted => Err(aborted_transaction()),
        }
    }

    /// A writing statement in a transaction of its own: commits when it succeeds, else
    /// undoes everything (unless its conflict clause keeps the changes made before the
    /// failure). The transaction runs inside the kept transaction object, never moved.
    fn run_autocommit(
        &self,
        plan: &Plan,
        env: StatementEnv<'_>,
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        if let Ok(mut idle) = self.idle.try_borrow_mut() {
            if let Some(idle) = idle.as_mut() {
                let isolation = self.isolation.get();
                return idle.write_in_place_with(isolation, |txn| {
                    self.run_and_commit(txn, plan, env, sink)
                })?;
            }
        }
        // No kept object (the connection's first statement, or one run while another
        // holds it): a new transaction, kept afterwards.
        let mut txn = self.start_transaction(self.isolation.get())?;
        let outcome = self.run_and_commit(&mut txn, plan, env, sink);
        self.keep_idle(txn.rollback_reusable());
        outcome
    }

    /// Runs `plan` in `txn` and ends `txn` in place: committed when the statement succeeds
    /// (or fails under a clause that keeps its earlier changes), else rolled back.
    #[inline]
    fn run_and_commit(
        &self,
        txn: &mut StorageTransaction,
        plan: &Plan,
        env: StatementEnv<'_>,
        sink: &mut RowSink<'_>,
    ) -> Result<usize> {
        let outcome = exec::run_data_plan(txn, plan, env, sink);
        if let Err(error) = &outcome {
            if failure_keeps_changes(plan, error) {
                return self.commit_before_failure(txn, outcome);
            }
        }
        if txn.is_unwritten() {
            // Nothing written: ending the snapshot is the whole commit.
            txn.end_unwritten();
            return outcome;
        }
        let outcome = match outcome {
            Ok(outcome) => outcome,
            Err(error) => {
                txn.rollback_kept();
                return Err(error);
            }
        };
        crate::durability::commit_kept(&self.db.shared, txn)?;
        Ok(outcome)
    }

    /// The memory account and deadline of a statement starting now (`None`: neither a
    /// budget nor a timeout, the common case, so nothing is built).
    #[inline]
    pub(super) fn statement_bounds(&self) -> Option<exec::StatementBounds<'_>> {
        let account = self.db.shared.store.memory();
        let timeout = self.statement_timeout.get();
        if timeout.is_none() && account.budget().is_none() {
            None
        } else {
            exec::StatementBounds::starting_now(account, timeout)
        }
    }

    /// The helper threads a statement of this connection may split a scan across, as EXPLAIN
    /// tells: none while a statement timeout is in force (the deadline is checked on the
    /// statement's own thread only, see `exec::parallel`).
    pub(super) fn explain_helper_threads(&self) -> usize {
        if self.statement_timeout.get().is_some() {
            0
        } else {
            self.threads.get()
        }
    }

    /// The environment a statement of this connection runs in (enforcing no foreign keys:
    /// a writing statement sets the catalog they resolve against).
    #[inline]
    pub(super) fn statement_env<'a>(
        &'a self,
        params: &'a [Value],
        bounds: Option<&'a exec::StatementBounds<'a>>,
    ) -> StatementEnv<'a> {
        StatementEnv {
            params,
            rows_max: self.db.options().statement_rows_max,
            interrupt: Some(self.interrupt.flag()),
            durable: self.db.shared.durable.get().map(|durable| durable as _),
            buffers: Some(&self.buffers),
            bounds,
            counters: Some(&self.counters),
            foreign_keys: None,
            deferred_keys: None,
            helper_threads: self.threads.get(),
            bloom_joins: self.bloom_joins.get(),
            time: Some(&self.time),
            triggers: None,
        }
    }
    /// OR FAIL in autocommit: the rows the statement changed before `failure` commit, and
    /// the statement still fails (with the commit's own error if that fails instead).
    #[cold]
    fn commit_before_failure(
        &self,
        txn: &mut StorageTransaction,
        failure: Result<usize>,
    ) -> Result<usize> {
        debug_assert!(failure.is_err());
        if txn.is_unwritten() {
            txn.end_unwritten();
        } else {
            crate::durability::commit_kept(&self.db.shared, txn)?;
        }
        failure
    }

    /// EXPLAIN ANALYZE: runs `plan` (its result rows counted, not kept; a DML statement's
    /// changes are made) with every operator counted, then renders the plan with the counts
    /// and a last line with the whole statement's rows and time.
    #[cold]
    pub(super) fn explain_analyze(&self, plan: &Plan, params: &[Value]) -> Result<Vec<String>> {
        let profiling = exec::profile::Profiling::start()?;
        let started = std::time::Instant::now();
        let mut rows = 0u64;
        let outcome = self.run_in_transaction(plan, params, &mut |_| {
            rows += 1;
            Ok(true)
        })?;
        let elapsed = started.elapsed();
        let helpers = self.explain_helper_threads();
        let mut lines = profiling.finish(|| {
            exec::parallel_note::with_explain_threads(helpers, params, || plan.explain_lines())
        });
        let plural = |n: u64| if n == 1 { "" } else { "s" };
        let what = match plan {
            Plan::Query(_) => format!("{rows} row{}", plural(rows)),
            _ => format!("{outcome} row{} changed", plural(outcome as u64)),
        };
        lines.push(format!(
            "Execution: {what} in {:.3} ms",
            elapsed.as_secs_f64() * 1000.0
        ));
        Ok(lines)
    }
}

impl Connection {
    /// Runs `read` in the snapshot the connection's next statement would read, for a
    /// statement that walks rows and indexes itself instead of running a plan (`PRAGMA
    /// integrity_check`'s index checks): the open transaction's (its own writes included),
    /// else a snapshot of its own, ended unwritten. `read` must not run statements on the
    /// connection.
    pub(crate) fn read_in_snapshot<R>(
        &self,
        read: impl FnOnce(&StorageTransaction) -> Result<R>,
    ) -> Result<R> {
        let state = self.state.borrow();
        match &*state {
            TransactionState::Explicit(txn) => read(txn),
            TransactionState::Aborted => Err(aborted_transaction()),
            TransactionState::Autocommit => {
                drop(state);
                let txn = self.start_transaction(ember_storage::Isolation::Snapshot)?;
                let outcome = read(&txn);
                self.keep_idle(txn.rollback_reusable());
                outcome
            }
        }
    }
}

/// The error of a statement run in a transaction a serialization conflict aborted.
pub(crate) fn aborted_transaction() -> crate::Error {
    crate::err!(
        Transaction,
        "the current transaction was aborted by a serialization conflict; ROLLBACK and retry it"
    )
}
