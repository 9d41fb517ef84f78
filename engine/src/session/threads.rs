//! `PRAGMA threads`: how many helper threads a connection's large scans may use besides the
//! statement's own thread (`pipeline/exec/parallel/`), as SQLite's pragma of that name
//! sets its worker-thread limit: per connection, 0 (every scan on the calling thread) by
//! default, at most `limits::WORKER_THREADS_MAX`; `PRAGMA threads = N` sets it (a negative
//! or non-numeric N changes nothing, as in SQLite) and both forms return the value in force.

use std::cell::Cell;

use ember_storage::Value;
use sqlparser::ast::Statement;

use crate::connection::Outcome;
use crate::error::Result;
use crate::limits::WORKER_THREADS_MAX;

/// Runs `PRAGMA threads[= value]` against a connection's setting; `None` when the statement
/// is another PRAGMA.
pub(crate) fn pragma(threads: &Cell<usize>, statement: &Statement) -> Option<Result<Outcome>> {
    let Statement::Pragma { name, value, .. } = statement else {
        return None;
    };
    if !name.to_string().eq_ignore_ascii_case("threads") {
        return None;
    }
    if let Some(value) = value {
        let text = value.to_string();
        if let Ok(requested) = text.trim().trim_matches('\'').trim().parse::<i64>() {
            if requested >= 0 {
                let capped = requested.min(WORKER_THREADS_MAX as i64);
                threads.set(usize::try_from(capped).unwrap_or(0));
            }
        }
    }
    Some(Ok(Outcome {
        columns: vec!["threads".to_string()],
        rows: vec![vec![Value::Integer(threads.get() as i64)]],
        changes: 0,
    }))
}
