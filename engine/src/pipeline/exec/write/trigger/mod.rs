//! Firing triggers. A statement that changes rows while the catalog holds triggers runs with
//! a `TriggerRuntime` in its environment; INSERT, UPDATE and DELETE look up the triggers on
//! their table (`RowTriggers::find`) and, for each row, fire the BEFORE ones before the
//! change and the AFTER ones after it, newest first as SQLite does. A trigger's WHEN and
//! body are bound the first time it fires in the statement (`body.rs`) and run in the same
//! transaction, with the row's old and new values as parameters, so a failure in a body
//! fails (and undoes) the statement. As with SQLite's default `recursive_triggers = OFF`, a
//! trigger does not fire while it is already running (with the PRAGMA on, it does); nesting
//! (a body's change firing triggers) stops at `TRIGGER_DEPTH_MAX`. `RAISE(IGNORE)` ends the
//! trigger and skips the rest of the row's change; the other RAISE actions fail the
//! statement (`expr::raise`).

mod body;
mod delete;
mod instead;
mod replace;

use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use std::sync::Arc;

use ember_storage::{Transaction, Value};

use crate::catalog::{Catalog, TableDef, TriggerDef, TriggerEventKind, TriggerTiming};
use crate::error::{RaiseAction, Result};
use crate::expr::{coerce_to_column, fits_column, StatementEnv, SubqueryRuntime};
use crate::limits::TRIGGER_DEPTH_MAX;
use crate::plan::{OnConflict, Plan};

pub(super) use delete::{delete_with_triggers, still_there};
pub(in crate::pipeline::exec) use instead::write_view;
pub(in crate::pipeline::exec) use replace::{delete_holders, replace_delete_triggers};

use body::CompiledTrigger;

use super::super::{run_query, ExecContext};

/// The triggers one statement may fire: the catalog it runs against, the triggers running
/// now, and the ones bound so far.
pub struct TriggerRuntime {
    catalog: Arc<Catalog>,
    /// `PRAGMA recursive_triggers`: a running trigger may fire again (up to
    /// `TRIGGER_DEPTH_MAX` levels).
    recursive: bool,
    /// Names of the triggers running now, outermost first.
    running: RefCell<Vec<String>>,
    /// Bound triggers, by name (the catalog does not change during the statement).
    compiled: RefCell<HashMap<String, Rc<CompiledTrigger>>>,
    /// The conflict clause of the statement that fires the triggers (`INSERT OR IGNORE`,
    /// `UPDATE OR REPLACE`, ...), which SQLite uses for every INSERT and UPDATE of the
    /// trigger programs instead of their own; `None` for a statement without one (its
    /// bodies keep their clauses). A plain statement and `OR ABORT` read alike in a plan,
    /// so `OR ABORT` leaves the bodies' clauses as they are.
    outer_conflict: Option<OnConflict>,
}

impl TriggerRuntime {
    /// The runtime of a statement run against `catalog`; `None` when it holds no trigger.
    /// `recursive`: `PRAGMA recursive_triggers` is on.
    /// `statement`: the plan that runs under the runtime (its conflict clause, if any, is
    /// the one the bodies' writes use).
    pub fn for_catalog(
        catalog: Arc<Catalog>,
        recursive: bool,
        statement: &Plan,
    ) -> Option<TriggerRuntime> {
        let outer_conflict = match statement {
            Plan::Insert(insert) => Some(insert.on_conflict),
            Plan::Update { on_conflict, .. } => Some(*on_conflict),
            _ => None,
        }
        .filter(|clause| !matches!(clause, OnConflict::Abort | OnConflict::Declared));
        catalog.has_triggers().then(|| TriggerRuntime {
            catalog,
            recursive,
            running: RefCell::new(Vec::new()),
            compiled: RefCell::new(HashMap::new()),
            outer_conflict,
        })
    }

    fn compiled(&self, trigger: &TriggerDef, table: &TableDef) -> Result<Rc<CompiledTrigger>> {
        if let Some(compiled) = self.compiled.borrow().get(&trigger.name) {
            return Ok(Rc::clone(compiled));
        }
        let mut compiled = body::compile(&self.catalog, trigger, table)?;
        if let Some(clause) = self.outer_conflict {
            body::use_outer_clause(&mut compiled.body, clause);
        }
        let compiled = Rc::new(compiled);
        self.compiled
            .borrow_mut()
            .insert(trigger.name.clone(), Rc::clone(&compiled));
        Ok(compiled)
    }

    /// `compiled` for an INSTEAD OF trigger on a view with `columns`.
    fn compiled_for_view(
        &self,
        trigger: &TriggerDef,
        columns: &[String],
    ) -> Result<Rc<CompiledTrigger>> {
        if let Some(compiled) = self.compiled.borrow().get(&trigger.name) {
            return Ok(Rc::clone(compiled));
        }
        let compiled = Rc::new(body::compile_for_view(&self.catalog, trigger, columns)?);
        self.compiled
            .borrow_mut()
            .insert(trigger.name.clone(), Rc::clone(&compiled));
        Ok(compiled)
    }
}

/// The BEFORE and AFTER triggers on one table for one kind of change, newest first.
pub(crate) struct RowTriggers<'r> {
    runtime: &'r TriggerRuntime,
    table: &'r TableDef,
    before: Vec<Arc<TriggerDef>>,
    after: Vec<Arc<TriggerDef>>,
}

impl<'r> RowTriggers<'r> {
    /// The triggers a change of `event` kind to `table`'s rows fires (an UPDATE's
    /// `assigned` tells whether it sets the column of a name); `None` when there are none.
    pub(crate) fn find(
        env: &StatementEnv<'r>,
        table: &'r TableDef,
        event: TriggerEventKind,
        assigned: &dyn Fn(&str) -> bool,
    ) -> Option<RowTriggers<'r>> {
        let runtime = env.triggers?;
        let on_table = runtime.catalog.triggers_of(table);
        if on_table.is_empty() {
            return None;
        }
        let pick = |timing| -> Vec<Arc<TriggerDef>> {
            on_table
                .iter()
                .rev()
                .filter(|trigger| trigger.fires_on(&table.name, timing, event, assigned))
                .map(|trigger| Arc::clone(trigger))
                .collect()
        };
        let (before, after) = (pick(TriggerTiming::Before), pick(TriggerTiming::After));
        (!before.is_empty() || !after.is_empty()).then_some(RowTriggers {
            runtime,
            table,
            before,
            after,
        })
    }

    pub(crate) fn has_before(&self) -> bool {
        !self.before.is_empty()
    }

    pub(crate) fn has_after(&self) -> bool {
        !self.after.is_empty()
    }

    /// Fires the BEFORE triggers for one row; false when one ended in `RAISE(IGNORE)`, so
    /// the row is not changed.
    pub(crate) fn before(
        &self,
        txn: &mut Transaction,
        env: StatementEnv<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<bool> {
        self.fire(&self.before, txn, env, old, new)
    }

    /// Fires the AFTER triggers for one row (a `RAISE(IGNORE)` ends them; the row stays
    /// changed).
    pub(crate) fn after(
        &self,
        txn: &mut Transaction,
        env: StatementEnv<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<()> {
        self.fire(&self.after, txn, env, old, new).map(|_| ())
    }

    /// `row` as a BEFORE trigger sees the new row: each value with its column's type
    /// applied where it converts, and an INTEGER PRIMARY KEY not given yet -1, as in SQLite.
    pub(crate) fn new_row_before(&self, row: &[Value]) -> Vec<Value> {
        row.iter()
            .zip(&self.table.columns)
            .enumerate()
            .map(|(position, (value, column))| {
                if value.is_null() && self.table.rowid_column == Some(position) {
                    Value::Integer(-1)
                } else if value.is_null() || fits_column(value, column) {
                    value.clone()
                } else {
                    coerce_to_column(value.clone(), column).unwrap_or_else(|_| value.clone())
                }
            })
            .collect()
    }

    fn fire(
        &self,
        triggers: &[Arc<TriggerDef>],
        txn: &mut Transaction,
        env: StatementEnv<'_>,
        old: Option<&[Value]>,
        new: Option<&[Value]>,
    ) -> Result<bool> {
        if triggers.is_empty() {
            return Ok(true);
        }
        let width = self.table.columns.len();
        let null_row = vec![Value::Null; width];
        let rows = (old.unwrap_or(&null_row), new.unwrap_or(&null_row));
        let compile = |trigger: &TriggerDef| self.runtime.compiled(trigger, self.table);
        fire_all(self.runtime, triggers, txn, env, rows, width, &compile)
    }
}

/// Fires `triggers` (newest first) for one row change with its `(old, new)` values, each
/// `width` wide; `compile` binds a trigger for the rows. False when one ended in
/// `RAISE(IGNORE)` (the rest do not run).
fn fire_all(
    runtime: &TriggerRuntime,
    triggers: &[Arc<TriggerDef>],
    txn: &mut Transaction,
    env: StatementEnv<'_>,
    (old, new): (&[Value], &[Value]),
    width: usize,
    compile: &dyn Fn(&TriggerDef) -> Result<Rc<CompiledTrigger>>,
) -> Result<bool> {
    debug_assert_eq!(old.len(), width);
    debug_assert_eq!(new.len(), width);
    let mut params = Vec::with_capacity(2 * width);
    params.extend_from_slice(old);
    params.extend_from_slice(new);
    let env = StatementEnv {
        params: &params,
        ..env
    };
    for trigger in triggers {
        let depth = {
            let running = runtime.running.borrow();
            if !runtime.recursive && running.iter().any(|name| name == &trigger.name) {
                // recursive_triggers is OFF: a running trigger does not fire again.
                continue;
            }
            running.len()
        };
        if depth >= TRIGGER_DEPTH_MAX {
            return Err(crate::err!(
                Limit,
                "too many levels of trigger recursion (triggers nest at most \
                     {TRIGGER_DEPTH_MAX} deep)"
            ));
        }
        let compiled = compile(trigger)?;
        if let Some(when) = &compiled.when {
            match condition_holds(txn, when, env) {
                Ok(true) => {}
                Ok(false) => continue,
                Err(error) if error.raise_action() == Some(RaiseAction::Ignore) => {
                    return Ok(false)
                }
                Err(error) => return Err(error),
            }
        }
        runtime.running.borrow_mut().push(trigger.name.clone());
        // As in SQLite, `last_insert_rowid()` is the body's own while it runs, and what
        // it was before once the trigger ends.
        let saved_rowid = env.counters.map(|counters| counters.last_insert_rowid());
        let outcome = compiled
            .body
            .iter()
            .try_for_each(|plan| run_body_statement(txn, plan, env));
        if let (Some(counters), Some(rowid)) = (env.counters, saved_rowid) {
            counters.set_last_insert_rowid(rowid);
        }
        runtime.running.borrow_mut().pop();
        match outcome {
            Ok(()) => {}
            Err(error) if error.raise_action() == Some(RaiseAction::Ignore) => return Ok(false),
            Err(error) => return Err(error),
        }
    }
    Ok(true)
}

/// Whether a trigger's WHEN query gives a true value.
fn condition_holds(txn: &Transaction, when: &Plan, env: StatementEnv<'_>) -> Result<bool> {
    let Plan::Query(query) = when else {
        return Err(crate::err!(
            Internal,
            "a trigger's WHEN bound to a plan that is not a query"
        ));
    };
    let runtime = SubqueryRuntime::new(txn, env);
    let context = ExecContext::new(&runtime);
    let mut holds = false;
    run_query(&query.node, &context, &mut |row| {
        holds = row.first().and_then(crate::expr::truth) == Some(true);
        Ok(false)
    })?;
    Ok(holds)
}

/// Runs one statement of a trigger body (a SELECT's rows are dropped).
fn run_body_statement(txn: &mut Transaction, plan: &Plan, env: StatementEnv<'_>) -> Result<()> {
    let mut discard = |_: &mut Vec<Value>| Ok(true);
    super::super::run_data_plan(txn, plan, env, &mut discard).map(|_| ())
}
