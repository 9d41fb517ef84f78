//! INSERT, UPDATE and DELETE on a view (`plan::ViewWrite`): the rows the statement acts on
//! (OLD values, then NEW values) are all read first, then each fires the view's INSTEAD OF
//! triggers for the change, newest first; nothing else is written. A view without such a
//! trigger is SQLite's error `cannot modify v because it is a view`.

use std::sync::Arc;

use ember_storage::{Transaction, Value};

use crate::catalog::{TriggerDef, TriggerTiming};
use crate::error::Result;
use crate::expr::{StatementEnv, SubqueryRuntime};
use crate::plan::ViewWrite;

use super::super::super::{run_query, ExecContext};
use super::fire_all;

/// Runs `write`. As in SQLite, the rows of a view count as no change (`changes()` reads 0
/// after it; the trigger bodies' changes count in `total_changes()`).
pub(in crate::pipeline::exec) fn write_view(
    txn: &mut Transaction,
    write: &ViewWrite,
    env: StatementEnv<'_>,
) -> Result<usize> {
    let cannot = || {
        crate::err!(
            InvalidInput,
            "cannot modify {} because it is a view",
            write.view
        )
    };
    let runtime = env.triggers.ok_or_else(cannot)?;
    let assigned = |name: &str| write.assigned.iter().any(|a| a.eq_ignore_ascii_case(name));
    let triggers: Vec<Arc<TriggerDef>> = runtime
        .catalog
        .triggers_on(&write.view)
        .into_iter()
        .rev()
        .filter(|trigger| {
            trigger.fires_on(
                &write.view,
                TriggerTiming::InsteadOf,
                write.event,
                &assigned,
            )
        })
        .cloned()
        .collect();
    if triggers.is_empty() {
        return Err(cannot());
    }
    let width = write.columns.len();
    let mut rows: Vec<Vec<Value>> = Vec::new();
    {
        let subqueries = SubqueryRuntime::new(txn, env);
        let context = ExecContext::new(&subqueries);
        let mut memory = context.memory_charge("the rows of a write to a view");
        run_query(&write.source, &context, &mut |row| {
            debug_assert_eq!(row.len(), 2 * width);
            memory.add_row(row)?;
            rows.push(std::mem::take(row));
            Ok(true)
        })?;
    }
    let compile = |trigger: &TriggerDef| runtime.compiled_for_view(trigger, &write.columns);
    for row in &rows {
        let (old, new) = row.split_at(width);
        fire_all(runtime, &triggers, txn, env, (old, new), width, &compile)?;
    }
    if let Some(counters) = env.counters {
        counters.statement_changed(0);
    }
    Ok(0)
}
