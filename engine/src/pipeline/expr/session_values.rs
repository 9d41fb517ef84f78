//! The connection's change counters and the SQL functions that read them:
//! `last_insert_rowid()`, `changes()` and `total_changes()`, with SQLite's rules. The
//! connection owns one `ChangeCounters` and lends it to each statement through
//! `StatementEnv::counters`; INSERT sets the last rowid as each row goes in, and every
//! INSERT, UPDATE and DELETE that succeeds records its row count when it ends (so inside a
//! statement `changes()` and `total_changes()` still read the statements before it).

use std::cell::Cell;

use ember_storage::Value;

use crate::error::Result;

use super::EvalContext;

/// What one connection's INSERT, UPDATE and DELETE statements changed.
#[derive(Debug, Default)]
pub struct ChangeCounters {
    last_insert_rowid: Cell<i64>,
    changes: Cell<u64>,
    total_changes: Cell<u64>,
}

impl ChangeCounters {
    /// The INTEGER PRIMARY KEY of the row the last successful INSERT put in (0 before any).
    pub fn last_insert_rowid(&self) -> i64 {
        self.last_insert_rowid.get()
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE that completed.
    pub fn changes(&self) -> u64 {
        self.changes.get()
    }

    /// Rows changed by every INSERT, UPDATE and DELETE completed so far.
    pub fn total_changes(&self) -> u64 {
        self.total_changes.get()
    }

    pub fn set_last_insert_rowid(&self, rowid: i64) {
        self.last_insert_rowid.set(rowid);
    }

    /// Runs `work` without letting the statements it runs change the counters (the
    /// internal DELETE a DROP TABLE makes, which SQLite does not count).
    pub fn uncounted<T>(&self, work: impl FnOnce() -> T) -> T {
        let saved = (
            self.last_insert_rowid.get(),
            self.changes.get(),
            self.total_changes.get(),
        );
        let result = work();
        self.last_insert_rowid.set(saved.0);
        self.changes.set(saved.1);
        self.total_changes.set(saved.2);
        result
    }

    /// Records the row count of an INSERT, UPDATE or DELETE that completed.
    pub fn statement_changed(&self, rows: usize) {
        let rows = rows as u64;
        self.changes.set(rows);
        self.total_changes
            .set(self.total_changes.get().saturating_add(rows));
    }

    /// Records how an INSERT, UPDATE or DELETE ended: a failed one changed nothing
    /// (`changes()` reads 0 after it, as in SQLite; the rowid it last assigned stays).
    pub fn record(&self, outcome: &Result<usize>) {
        match outcome {
            Ok(rows) => self.statement_changed(*rows),
            Err(_) => self.changes.set(0),
        }
    }
}

/// A function reading the connection's counters.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SessionFunction {
    LastInsertRowid,
    Changes,
    TotalChanges,
}

impl SessionFunction {
    /// The function called `name` (lower case).
    pub fn from_name(name: &str) -> Option<SessionFunction> {
        Some(match name {
            "last_insert_rowid" => SessionFunction::LastInsertRowid,
            "changes" => SessionFunction::Changes,
            "total_changes" => SessionFunction::TotalChanges,
            _ => return None,
        })
    }

    pub fn name(self) -> &'static str {
        match self {
            SessionFunction::LastInsertRowid => "last_insert_rowid",
            SessionFunction::Changes => "changes",
            SessionFunction::TotalChanges => "total_changes",
        }
    }

    /// The value for the statement `context` evaluates in.
    pub(crate) fn eval(self, context: &EvalContext<'_>) -> Result<Value> {
        let counters = context.subqueries.and_then(|runtime| runtime.env.counters);
        let Some(counters) = counters else {
            return Err(crate::err!(
                InvalidInput,
                "{}() cannot be used here (it reads the connection running a statement)",
                self.name()
            ));
        };
        let value = match self {
            SessionFunction::LastInsertRowid => counters.last_insert_rowid(),
            SessionFunction::Changes => counters.changes().min(i64::MAX as u64) as i64,
            SessionFunction::TotalChanges => counters.total_changes().min(i64::MAX as u64) as i64,
        };
        Ok(Value::Integer(value))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counters_record_statements() {
        let counters = ChangeCounters::default();
        counters.statement_changed(3);
        counters.statement_changed(2);
        counters.set_last_insert_rowid(7);
        assert_eq!(counters.changes(), 2);
        assert_eq!(counters.total_changes(), 5);
        assert_eq!(counters.last_insert_rowid(), 7);
        let function = SessionFunction::from_name("total_changes").unwrap();
        assert_eq!(function.name(), "total_changes");
        assert!(function.eval(&EvalContext::default()).is_err());
    }
}
