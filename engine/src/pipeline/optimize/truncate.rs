//! The whole-table delete rule: a `DELETE FROM t` that reaches every row (no WHERE, or a
//! WHERE that is a constant true), returns nothing and has nothing to do per row becomes
//! `Plan::DeleteAll`: in autocommit a truncate (`exec/schema/truncate.rs`: a new, empty
//! storage table), inside a transaction one bulk claim of every visible row
//! (`Transaction::delete_visible_rows`): no row is decoded, listed or looked up.
//!
//! Nothing to do per row means: no DELETE trigger on the table, and no foreign key of any
//! table referencing it (whether `PRAGMA foreign_keys` is on is a connection setting that
//! a cached plan does not see, so any referencing key keeps the general delete, which
//! checks the pragma when it runs). Every other DELETE keeps its plan.

use crate::catalog::Catalog;
use crate::plan::Plan;

/// Rewrites `plan` into `Plan::DeleteAll` when it is a DELETE the rule applies to (see the
/// module comment); leaves any other plan as it is.
pub fn delete_whole_table(plan: &mut Plan, catalog: &Catalog) {
    let applies = match &*plan {
        Plan::Delete {
            target, returning, ..
        } => {
            returning.is_none()
                && target.reaches_every_row()
                && catalog.deletes_run_nothing_per_row(&target.table)
        }
        _ => false,
    };
    if !applies {
        return;
    }
    *plan = match std::mem::replace(plan, Plan::Rollback) {
        Plan::Delete { mut target, .. } => {
            // A constant true filter decides nothing: every row passes it.
            target.filter = None;
            Plan::DeleteAll { target }
        }
        other => other,
    };
}
