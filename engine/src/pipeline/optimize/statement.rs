//! The optimizer's pass over one bound statement, run once per statement before its plan
//! is cached (`session/plan_cache.rs`) or a trigger body is kept: the statement-level rules
//! in the order they apply.
//!
//! 1. `choose_write_target`: the access path of an UPDATE's or DELETE's target rows, as any
//!    table read's is chosen (`choose_access`; the binder leaves the target unplanned),
//!    following the target's `INDEXED BY` / `NOT INDEXED` as a read's
//!    (`index_hint.rs`; `no query solution` when the index cannot serve).
//! 2. `delete_whole_table`: a DELETE of every row becomes a truncate or one bulk claim
//!    (`truncate.rs`).
//! 3. `finish_query` over the statement's query tree (a SELECT's, an INSERT's source): the
//!    columns each scan decodes, the strategies of aggregates and DISTINCTs, memoized
//!    subqueries, runtime bloom filters (`mod.rs`).
//! 4. `batch_insert`: an INSERT .. SELECT written in batches (`insert_batch.rs`), or its
//!    rows copied as encoded from a table that encodes them alike (`insert_copy.rs`), or
//!    each row projected as it goes in (a projection reading `last_insert_rowid()`).
//! 5. `prune_update` / `prune_delete`: the target columns a plain UPDATE or DELETE decodes.
//! 6. `choose_strategies` over the plans beside a statement's own tree (UPDATE .. FROM's
//!    source, a view write's rows).
//!
//! EXPLAIN shows (and EXPLAIN ANALYZE runs) the plan the statement itself would run, so
//! the rules apply to the statement an EXPLAIN holds.

use crate::catalog::{Catalog, TableDef};
use crate::error::Result;
use crate::plan::{InsertWrite, OnConflict, Plan, Returning};

/// Applies the statement-level rules to `plan` (see the module comment).
pub fn optimize_statement(plan: &mut Plan, catalog: &Catalog) -> Result<()> {
    let plan = match plan {
        Plan::Explain(inner) | Plan::ExplainAnalyze(inner) => inner.as_mut(),
        other => other,
    };
    // A table with triggers keeps its target rows whole: the triggers read OLD.*.
    let has_triggers =
        |table: &TableDef| catalog.has_triggers() && !catalog.triggers_of(table).is_empty();
    choose_write_target(plan)?;
    super::delete_whole_table(plan, catalog);
    match plan {
        Plan::Update { target, .. } | Plan::Delete { target, .. }
            if has_triggers(&target.table) => {}
        Plan::Query(query) => {
            super::finish_query(&mut query.node);
            super::fuse_read(&mut query.node);
        }
        Plan::Insert(insert) => {
            super::finish_query(&mut insert.source);
            let has_triggers = has_triggers(&insert.table);
            super::batch_insert(insert, has_triggers);
        }
        // With FROM or a conflict clause (REPLACE finds the rows holding the new keys;
        // the rows are taken in key order) the target rows keep every column.
        Plan::Update {
            target,
            assignments,
            returning,
            on_conflict: OnConflict::Abort,
            from: None,
            ..
        } => super::prune_update(target, assignments, returning_exprs(returning)),
        Plan::Delete {
            target, returning, ..
        } => super::prune_delete(target, returning_exprs(returning)),
        _ => {}
    }
    match plan {
        Plan::Update {
            from: Some(from), ..
        } => super::choose_strategies(&mut from.source),
        Plan::ViewWrite(write) => super::choose_strategies(&mut write.source),
        _ => {}
    }
    Ok(())
}

/// The rules a statement of a trigger's body gets when the trigger is compiled: its
/// target's access path and its query tree's finish. The rest of `optimize_statement`
/// assumes a statement that runs on its own (a bulk delete counts its rows for the
/// connection, a pruned target reads fewer columns than a nested trigger may need).
pub fn optimize_trigger_statement(plan: &mut Plan, catalog: &Catalog) -> Result<()> {
    choose_write_target(plan)?;
    match plan {
        Plan::Query(query) => {
            super::finish_query(&mut query.node);
            super::fuse_read(&mut query.node);
        }
        Plan::Insert(insert) => {
            super::finish_query(&mut insert.source);
            let has_triggers =
                catalog.has_triggers() && !catalog.triggers_of(&insert.table).is_empty();
            if super::projects_each_row(insert, has_triggers) {
                insert.write = InsertWrite::EachRowProjected;
            }
        }
        _ => {}
    }
    Ok(())
}

/// Chooses the access path of an UPDATE's or DELETE's target, which the binder left
/// unplanned (`TableAccess::unplanned`): its filter (with the expiry test of a table whose
/// rows expire) decides a key or index lookup, a range, or a scan, as for any read, under
/// the target's index hint.
fn choose_write_target(plan: &mut Plan) -> Result<()> {
    if let Plan::Update { target, hint, .. } | Plan::Delete { target, hint, .. } = plan {
        debug_assert!(
            target.is_unplanned(),
            "a write target's path is chosen once, here"
        );
        let filter = target.filter.take();
        // SQLite empties a table whatever its hint: a DELETE with no WHERE ignores it.
        let hint = hint.as_ref().filter(|_| filter.is_some());
        *target = super::hinted_access(target.table.clone(), hint, filter, &[])?;
    }
    Ok(())
}

fn returning_exprs(returning: &Option<Box<Returning>>) -> &[crate::expr::Expr] {
    returning.as_ref().map_or(&[], |returning| &returning.exprs)
}
