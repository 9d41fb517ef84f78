//! `INSERT OR FAIL` and `INSERT OR ROLLBACK` (and `UPDATE OR ...`), which differ from
//! ABORT only in what a constraint failure undoes: FAIL keeps the rows the statement
//! changed before it (and in autocommit mode commits them), ROLLBACK ends the whole
//! transaction. The executor fails the statement as for ABORT; the connection decides
//! what to roll back. A trigger's `RAISE(FAIL | ROLLBACK, ..)` acts the same way.

use crate::error::{ErrorKind, RaiseAction};
use crate::plan::{OnConflict, Plan};

/// The conflict clause of an INSERT or UPDATE (`OR FAIL`, `OR ROLLBACK`, ...); ABORT for
/// the rest.
fn conflict_clause(plan: &Plan) -> OnConflict {
    match plan {
        Plan::Insert(insert) => insert.on_conflict,
        Plan::Update { on_conflict, .. } => *on_conflict,
        _ => OnConflict::Abort,
    }
}

/// Whether a failed statement's conflict clause applies to its error: a UNIQUE, NOT NULL,
/// CHECK or PRIMARY KEY constraint (not FOREIGN KEY ones, as in SQLite).
fn conflict_clause_applies(error: &crate::Error) -> bool {
    error.kind() == ErrorKind::Constraint && !error.message().starts_with("FOREIGN KEY")
}

/// `INSERT OR FAIL` that failed on a constraint, or a statement a trigger's `RAISE(FAIL,
/// ..)` failed: the rows it changed before stay.
pub(super) fn failure_keeps_changes(plan: &Plan, error: &crate::Error) -> bool {
    match error.raise_action() {
        Some(action) => action == RaiseAction::Fail,
        None => conflict_clause(plan) == OnConflict::Fail && conflict_clause_applies(error),
    }
}

/// `INSERT OR ROLLBACK` that failed on a constraint, or a statement a trigger's
/// `RAISE(ROLLBACK, ..)` failed: the whole transaction rolls back.
pub(super) fn failure_rolls_back_transaction(plan: &Plan, error: &crate::Error) -> bool {
    match error.raise_action() {
        Some(action) => action == RaiseAction::Rollback,
        None => conflict_clause(plan) == OnConflict::Rollback && conflict_clause_applies(error),
    }
}
