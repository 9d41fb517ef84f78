//! The parts of a DML plan beyond writing rows: an INSERT's `ON CONFLICT` clause (`Upsert`)
//! and the `RETURNING` clause of INSERT, UPDATE and DELETE (`Returning`).

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::expr::Expr;

use super::Plan;

/// `RETURNING expr, ...`: expressions over a written row (the table's columns in table
/// order: the values written, or for DELETE the row deleted), and their output names.
pub struct Returning {
    pub exprs: Vec<Expr>,
    pub columns: Vec<String>,
}

/// `ON CONFLICT [target] DO NOTHING | DO UPDATE SET .. [WHERE ..]`, bound, and the
/// clauses that follow it on the same INSERT (only the last may lack a target).
pub struct Upsert {
    /// The uniqueness constraint the clause applies to; `None`: any of them.
    pub target: Option<ConflictTarget>,
    pub action: UpsertAction,
    /// The next clause: a conflict this clause's target does not name goes to it.
    pub next: Option<Box<Upsert>>,
}

impl Upsert {
    /// This clause and the ones after it, in order.
    pub fn clauses(&self) -> impl Iterator<Item = &Upsert> {
        std::iter::successors(Some(self), |clause| clause.next.as_deref())
    }
}

/// The constraint an `ON CONFLICT (columns)` names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ConflictTarget {
    PrimaryKey,
    /// A unique index, by name.
    Index(String),
}

pub enum UpsertAction {
    Nothing,
    /// Updates the row that holds the key. The expressions read a row made of the existing
    /// row's columns followed by the proposed row's (`excluded.col`), both in table order.
    Update {
        assignments: Vec<(usize, Expr)>,
        filter: Option<Expr>,
        /// The existing row's columns the assignments and the filter read (`holder_reads`);
        /// `None`: any of them.
        holder_columns: Option<Vec<bool>>,
    },
}

impl UpsertAction {
    /// DO UPDATE over a table of `width` columns, with the columns it reads of the row
    /// holding the key worked out once.
    pub fn update(
        assignments: Vec<(usize, Expr)>,
        filter: Option<Expr>,
        width: usize,
    ) -> UpsertAction {
        let holder_columns = holder_reads(&assignments, filter.as_ref(), width);
        UpsertAction::Update {
            assignments,
            filter,
            holder_columns,
        }
    }
}

/// Which of the first `width` positions (the existing row's columns) of the row a DO
/// UPDATE evaluates over its assignments and filter read; `None` when a correlated
/// subquery may read any of them.
fn holder_reads(
    assignments: &[(usize, Expr)],
    filter: Option<&Expr>,
    width: usize,
) -> Option<Vec<bool>> {
    let mut read = vec![false; width];
    let exprs = assignments.iter().map(|(_, expr)| expr).chain(filter);
    for expr in exprs {
        if expr.has_correlated_subquery() {
            return None;
        }
        expr.walk(&mut |expr| {
            if let Expr::Column { index, .. } = expr {
                if let Some(slot) = read.get_mut(*index) {
                    *slot = true;
                }
            }
        });
    }
    Some(read)
}

/// What an AUTOINCREMENT table's INSERT needs: the `sqlite_sequence` table that keeps the
/// largest key each such table ever held.
pub struct Sequence {
    pub table: Arc<TableDef>,
}

impl Plan {
    /// The RETURNING clause of an INSERT, UPDATE or DELETE, if it has one.
    pub fn returning(&self) -> Option<&Returning> {
        match self {
            Plan::Insert(insert) => insert.returning.as_deref(),
            Plan::Update { returning, .. } | Plan::Delete { returning, .. } => returning.as_deref(),
            _ => None,
        }
    }

    /// Whether the plan is a statement that writes rows (INSERT, UPDATE, DELETE, or one of
    /// them on a view), which in autocommit is a transaction of its own.
    pub fn writes_rows(&self) -> bool {
        matches!(
            self,
            Plan::Insert(_)
                | Plan::Update { .. }
                | Plan::Delete { .. }
                | Plan::DeleteAll { .. }
                | Plan::ViewWrite(_)
        )
    }
}

/// " returning e1, e2" for EXPLAIN ("" without RETURNING).
pub(super) fn returning_text(returning: Option<&Returning>) -> String {
    match returning {
        Some(returning) => {
            let exprs: Vec<String> = returning.exprs.iter().map(Expr::to_string).collect();
            format!(" returning {}", exprs.join(", "))
        }
        None => String::new(),
    }
}

impl super::Insert {
    /// The ON CONFLICT and RETURNING clauses for EXPLAIN: " upsert on (PRIMARY KEY) do
    /// update set c = ..." and " returning ..." ("" for neither).
    pub(super) fn clauses_text(&self) -> String {
        let mut text = String::new();
        for upsert in self.upsert.iter().flat_map(|upsert| upsert.clauses()) {
            let target = match &upsert.target {
                None => "any".to_string(),
                Some(ConflictTarget::PrimaryKey) => "PRIMARY KEY".to_string(),
                Some(ConflictTarget::Index(name)) => name.clone(),
            };
            text.push_str(&format!(" upsert on ({target}) do "));
            match &upsert.action {
                UpsertAction::Nothing => text.push_str("nothing"),
                UpsertAction::Update {
                    assignments,
                    filter,
                    ..
                } => {
                    let sets: Vec<String> = assignments
                        .iter()
                        .map(|(column, expr)| {
                            format!("{} = {expr}", self.table.columns[*column].name)
                        })
                        .collect();
                    text.push_str(&format!("update set {}", sets.join(", ")));
                    if let Some(filter) = filter {
                        text.push_str(&format!(" where {filter}"));
                    }
                }
            }
        }
        text.push_str(&returning_text(self.returning.as_deref()));
        text
    }
}
