//! The predicate an operator tests its rows with (a filter, a join's condition): compiled
//! once per execution, at the first row tested, when its constants and parameters can be
//! read in the execution's context (`Predicate::new`); the expression tree when the
//! predicate reads an enclosing query's row, which compiling would read once, as a
//! constant. Every operator that tests rows goes through it, so a predicate runs compiled
//! or checked wherever it stands in the plan.

use ember_storage::Value;

use super::compile::Predicate;
use super::{EvalContext, Expr};
use crate::error::Result;

/// A row predicate compiled at its first use (module comment).
pub struct RowTest<'e> {
    expr: &'e Expr,
    test: Option<Predicate<'e>>,
}

impl<'e> RowTest<'e> {
    pub fn new(expr: &'e Expr) -> RowTest<'e> {
        RowTest { expr, test: None }
    }

    /// The predicate tested.
    pub fn expr(&self) -> &'e Expr {
        self.expr
    }

    /// Whether `row` passes (only TRUE passes), as `Expr::matches` answers.
    #[inline]
    pub fn matches(&mut self, row: &[Value], context: &EvalContext<'_>) -> Result<bool> {
        let expr = self.expr;
        let test = self.test.get_or_insert_with(|| {
            if expr.reads_outer_row() {
                Predicate::Tree(expr)
            } else {
                Predicate::new(expr, context)
            }
        });
        test.matches(row, context)
    }
}

/// `RowTest::matches` of an optional predicate: no predicate passes every row.
#[inline]
pub fn passes(
    test: &mut Option<RowTest<'_>>,
    row: &[Value],
    context: &EvalContext<'_>,
) -> Result<bool> {
    match test {
        Some(test) => test.matches(row, context),
        None => Ok(true),
    }
}
