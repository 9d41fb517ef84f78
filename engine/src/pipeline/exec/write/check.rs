//! CHECK constraints: a row passes every CHECK of its table unless one evaluates to FALSE
//! (NULL passes), as in SQLite; the error names the constraint (`CHECK constraint failed:
//! name`) or, unnamed, its expression. Run on every inserted row (INSERT OR IGNORE skips
//! a failing row) and on every updated row for the checks that read an assigned column.

use std::borrow::Borrow;

use ember_storage::Value;

use crate::catalog::{CheckDef, TableDef};
use crate::error::{Error, Result};
use crate::expr::{truth, EvalContext};

/// Checks `row` (the whole new row, in table order) against `checks`.
pub(super) fn check_row<V: Borrow<Value>>(checks: &[&CheckDef], row: &[V]) -> Result<()> {
    if checks.is_empty() {
        return Ok(());
    }
    let values: Vec<Value> = row.iter().map(|value| value.borrow().clone()).collect();
    check_values(checks, &values)
}

/// `check_row` over plain values.
pub(super) fn check_values(checks: &[&CheckDef], row: &[Value]) -> Result<()> {
    let context = EvalContext::default();
    for check in checks {
        let value = check.expr.eval(row, &context)?;
        if truth(&value) == Some(false) {
            return Err(check_error(check));
        }
    }
    Ok(())
}

/// The checks of `table` an UPDATE of `assigned` columns must run: those reading any of them.
pub(super) fn checks_reading(
    table: &TableDef,
    mut assigned: impl FnMut(usize) -> bool,
) -> Vec<&CheckDef> {
    table
        .constraints
        .checks
        .iter()
        .filter(|check| check.expr.columns_read().into_iter().any(&mut assigned))
        .collect()
}

fn check_error(check: &CheckDef) -> Error {
    crate::err!(Constraint, "CHECK constraint failed: {}", check.label())
}

/// Whether `error` is a CHECK failure (which INSERT OR IGNORE skips, as SQLite does).
pub(super) fn is_check_failure(error: &Error) -> bool {
    error.kind() == crate::ErrorKind::Constraint && error.message().starts_with("CHECK ")
}
