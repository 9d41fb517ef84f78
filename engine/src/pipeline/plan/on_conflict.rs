//! What an INSERT or UPDATE does with a row that violates a constraint (`OnConflict`): the
//! statement's own clause (`INSERT OR IGNORE`, `UPDATE OR REPLACE`, ..), or each violated
//! constraint's declared clause (`UNIQUE ON CONFLICT REPLACE`) when it names none.

/// What an INSERT or UPDATE does with a row that violates a constraint.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OnConflict {
    /// Fail the statement (plain INSERT, OR ABORT).
    Abort,
    /// Skip the row (OR IGNORE).
    Ignore,
    /// Delete the rows holding its keys, then insert it (OR REPLACE, REPLACE).
    Replace,
    /// Fail the statement but keep the rows it already changed (OR FAIL; the session
    /// layer skips the statement's rollback on a constraint error).
    Fail,
    /// Fail the statement and roll back the whole transaction (OR ROLLBACK).
    Rollback,
    /// No clause on the statement, on a table whose constraints declare their own
    /// (`UNIQUE ON CONFLICT REPLACE`): each violated constraint acts by its clause, ABORT
    /// when it declares none (`resolve`).
    Declared,
}

impl OnConflict {
    /// What a violated constraint declaring `declared` does: the statement's own clause,
    /// or under `Declared` the constraint's (ABORT when it has none).
    pub fn resolve(self, declared: Option<OnConflict>) -> OnConflict {
        match self {
            OnConflict::Declared => declared.unwrap_or(OnConflict::Abort),
            clause => clause,
        }
    }

    /// The action on a NOT NULL failure of `column` of `table`.
    pub fn for_not_null(self, table: &crate::catalog::TableDef, column: usize) -> OnConflict {
        match self {
            OnConflict::Declared => self.resolve(table.constraints.conflict.of_not_null(column)),
            clause => clause,
        }
    }

    /// The action on a conflict in `table`'s primary key (`index` None) or named unique
    /// index.
    pub fn for_key(self, table: &crate::catalog::TableDef, index: Option<&str>) -> OnConflict {
        match self {
            OnConflict::Declared => self.resolve(table.constraints.conflict.of_key(table, index)),
            clause => clause,
        }
    }

    /// `error`, a violation of a constraint that acts as `resolved` under this clause:
    /// under `Declared`, a FAIL or ROLLBACK the constraint declares is marked on it (the
    /// connection reads it there, as for a statement's own `OR FAIL`).
    pub fn mark(self, resolved: OnConflict, error: crate::Error) -> crate::Error {
        use crate::error::RaiseAction;
        match (self, resolved) {
            (OnConflict::Declared, OnConflict::Fail) => error.acting_as(RaiseAction::Fail),
            (OnConflict::Declared, OnConflict::Rollback) => error.acting_as(RaiseAction::Rollback),
            _ => error,
        }
    }

    /// Whether `error` (a failed statement's) keeps the rows the statement changed before
    /// it: a UNIQUE, NOT NULL or CHECK failure under `OR FAIL`, or one whose constraint
    /// declares FAIL.
    pub fn keeps_changes(self, error: &crate::Error) -> bool {
        let constraint = error.kind() == crate::ErrorKind::Constraint
            && !error.message().starts_with("FOREIGN KEY");
        constraint
            && (self == OnConflict::Fail
                || error.raise_action() == Some(crate::error::RaiseAction::Fail))
    }

    /// Whether some violated constraint of `table` may act as `clause` under this one.
    pub fn may_act_as(self, table: &crate::catalog::TableDef, clause: OnConflict) -> bool {
        self == clause
            || (self == OnConflict::Declared && table.constraints.conflict.declares(clause))
    }
}
