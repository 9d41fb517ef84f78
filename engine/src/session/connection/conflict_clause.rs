//! `INSERT OR FAIL` and `INSERT OR ROLLBACK` (and `UPDATE OR ...`), which differ from
//! ABORT only in what a constraint failure undoes: FAIL keeps the rows the statement
//! changed before it (and in autocommit mode commits them), ROLLBACK ends the whole
//! transaction. The executor fails the statement as for ABORT; the connection decides
//! what to roll back.

use crate::error::ErrorKind;
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

/// `INSERT OR FAIL` that failed on a constraint: the rows it changed before stay.
pub(super) fn failure_keeps_changes(plan: &Plan, error: &crate::Error) -> bool {
    conflict_clause(plan) == OnConflict::Fail && conflict_clause_applies(error)
}

/// `INSERT OR ROLLBACK` that failed on a constraint: the whole transaction rolls back.
pub(super) fn failure_rolls_back_transaction(plan: &Plan, error: &crate::Error) -> bool {
    conflict_clause(plan) == OnConflict::Rollback && conflict_clause_applies(error)
}
