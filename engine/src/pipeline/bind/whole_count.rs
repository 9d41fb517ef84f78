//! SQLite's count of a whole table: `SELECT count(*) FROM t` (the one result column is
//! `count(*)` with no DISTINCT, FILTER or OVER; one table in FROM, no join; no WHERE,
//! GROUP BY or HAVING) counts every row of the table whatever index hint the table
//! carries, as SQLite answers it from the table (or any index that is not partial), not
//! through the hinted index: `INDEXED BY` a partial index counts every row, where any
//! other query through it whose WHERE does not imply the index's fails with `no query
//! solution`. The binder checks the hint as for any reference (the index must be the
//! table's) and leaves it out of the plan; the optimizer chooses how to count.

use sqlparser::ast::{self, FunctionArg, FunctionArgExpr, FunctionArguments, GroupByExpr};

use crate::error::Result;
use crate::plan::{Node, RelationSource};

use super::from::plan_from;
use super::{Binder, Scope};

impl Binder<'_> {
    /// Binds the FROM and WHERE of `select` (`bind_from`), without the index hint of a
    /// whole table's count (see the module comment).
    pub(super) fn bind_select_from(&mut self, select: &ast::Select) -> Result<(Node, Scope)> {
        if !counts_whole_table(select) {
            return self.bind_from(&select.from, select.selection.as_ref());
        }
        let mut from = self.bind_from_items(&select.from)?;
        for relation in &mut from.relations {
            if let RelationSource::Table(_, hint) = &mut relation.source {
                *hint = None;
            }
        }
        Ok((plan_from(from.relations, from.inner_terms)?, from.scope))
    }
}

/// Whether `select` is SQLite's count of a whole table (see the module comment).
fn counts_whole_table(select: &ast::Select) -> bool {
    let no_grouping = match &select.group_by {
        GroupByExpr::Expressions(terms, modifiers) => terms.is_empty() && modifiers.is_empty(),
        GroupByExpr::All(_) => false,
    };
    let one_table = match select.from.as_slice() {
        [item] => item.joins.is_empty() && matches!(item.relation, ast::TableFactor::Table { .. }),
        _ => false,
    };
    let count = match select.projection.as_slice() {
        [ast::SelectItem::UnnamedExpr(expr)] => expr,
        [ast::SelectItem::ExprWithAlias { expr, .. }] => expr,
        _ => return false,
    };
    no_grouping
        && one_table
        && select.selection.is_none()
        && select.having.is_none()
        && is_count_star(count)
}

/// Whether `expr` is `count(*)` (or `count()`), with no DISTINCT, FILTER or OVER.
fn is_count_star(expr: &ast::Expr) -> bool {
    let ast::Expr::Function(function) = expr else {
        return false;
    };
    let named_count = match function.name.0.as_slice() {
        [part] => part
            .as_ident()
            .is_some_and(|ident| ident.value.eq_ignore_ascii_case("count")),
        _ => false,
    };
    let star = match &function.args {
        FunctionArguments::List(list) => {
            list.duplicate_treatment.is_none()
                && list.clauses.is_empty()
                && matches!(
                    list.args.as_slice(),
                    [] | [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)]
                )
        }
        _ => false,
    };
    named_count
        && star
        && function.filter.is_none()
        && function.over.is_none()
        && function.within_group.is_empty()
        && matches!(function.parameters, FunctionArguments::None)
}
