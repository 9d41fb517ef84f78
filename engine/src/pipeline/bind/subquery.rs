//! Binding of subqueries in expressions, and of names that reach an enclosing query. A
//! subquery is bound with the current scope pushed as its outer scope; a name it cannot
//! resolve locally is looked up outward and becomes an `OuterColumn`, recorded as an
//! outer read of every subquery between the two (which makes them correlated). A
//! correlated subquery that calls nothing non-deterministic is memoized by the values of
//! its outer reads (`SubqueryExpr::memo_key`).

use std::sync::Arc;

use sqlparser::ast;

use ember_storage::Value;

use crate::error::{ErrorKind, Result};
use crate::expr::{Expr, OuterRead, SubqueryExpr, SubqueryKind};

use super::{Binder, Scope};

/// How many expression levels one subquery level counts toward `EXPR_DEPTH_MAX`: evaluating
/// it goes through the subquery expression, the operator tree and its projection.
const SUBQUERY_EXPR_DEPTH_COST: usize = 4;

impl Binder<'_> {
    /// Resolves `qualifier.name` in `scope`, then in the enclosing queries' scopes.
    pub(super) fn resolve_column(
        &mut self,
        qualifier: Option<&str>,
        name: &str,
        display: String,
        scope: &Scope,
    ) -> Result<Expr> {
        let local = match scope.resolve(qualifier, name) {
            Ok(index) => {
                return Ok(Expr::Column {
                    index,
                    name: display,
                    meta: scope.columns[index].meta,
                })
            }
            Err(error) => error,
        };
        if local.kind() != ErrorKind::NotFound {
            return Err(local);
        }
        if qualifier.is_none() {
            let alias = self
                .output_aliases
                .iter()
                .find(|(alias, _)| alias.eq_ignore_ascii_case(name));
            if let Some((_, expr)) = alias {
                return Ok(expr.clone());
            }
            let position = self
                .where_aliases
                .iter()
                .position(|(alias, _)| alias.eq_ignore_ascii_case(name));
            if let Some(position) = position {
                // A result column's alias in WHERE: its expression bound here, once per use
                // (no alias within it), as SQLite's `resolveAlias` copies it.
                let aliases = std::mem::take(&mut self.where_aliases);
                let bound = self.bind_expr(&aliases[position].1, scope);
                self.where_aliases = aliases;
                return bound;
            }
        }
        for (distance, outer) in self.outer_scopes.iter().rev().enumerate() {
            match outer.resolve(qualifier, name) {
                Ok(index) => {
                    let level = distance + 1;
                    let depth = self.correlated.len();
                    debug_assert!(level <= depth, "one subquery frame per outer scope");
                    // The outermost subquery crossed reads the row one level out of it, the
                    // innermost `level` levels out.
                    let crossed = &mut self.correlated[depth.saturating_sub(level)..];
                    for (position, reads) in crossed.iter_mut().enumerate() {
                        let read = OuterRead {
                            level: position + 1,
                            index,
                        };
                        if !reads.contains(&read) {
                            reads.push(read);
                        }
                    }
                    return Ok(Expr::OuterColumn {
                        level,
                        index,
                        name: display,
                        meta: outer.columns[index].meta,
                    });
                }
                Err(error) if error.kind() == ErrorKind::NotFound => {}
                Err(error) => return Err(error),
            }
        }
        if super::upsert::is_rowid_name(name) && !scope.columns.is_empty() {
            let reason = scope
                .missing_rowid
                .as_deref()
                .map_or(String::new(), |reason| format!(": {reason}"));
            return Err(crate::error::unsupported(format!(
                "{name} of a table without an INTEGER PRIMARY KEY column{reason}"
            )));
        }
        Err(local)
    }

    /// Binds `query` as a subquery of the given kind inside an expression over `scope`, at
    /// expression depth `depth`.
    pub(super) fn bind_subquery(
        &mut self,
        query: &ast::Query,
        scope: &Scope,
        kind: SubqueryKind,
        depth: usize,
    ) -> Result<Expr> {
        self.outer_scopes.push(scope.clone());
        self.correlated.push(Vec::new());
        let impure_calls_before = self.impure_calls;
        let saved_aggregates = self.aggregates.take();
        let saved_depth = self.enclosing_expr_depth;
        self.enclosing_expr_depth += depth + SUBQUERY_EXPR_DEPTH_COST;
        let bound = self.bind_query(query);
        self.enclosing_expr_depth = saved_depth;
        self.aggregates = saved_aggregates;
        let mut outer_reads = self.correlated.pop().unwrap_or_default();
        self.outer_scopes.pop();
        let correlated = !outer_reads.is_empty();
        let pure = self.impure_calls == impure_calls_before;
        outer_reads.sort_unstable();
        let mut bound = bound?;
        // Its scans decode only the columns its operators read, as the statement's own do
        // (`Prepared::bind` prunes only the statement's tree).
        crate::optimize::finish_query(&mut bound.node);
        let width = bound.columns.len();
        if width != 1 && !matches!(kind, SubqueryKind::Exists { .. }) {
            return Err(crate::err!(
                InvalidInput,
                "sub-select returns {width} columns - expected 1"
            ));
        }
        let mut kind = kind;
        if let SubqueryKind::In {
            expr,
            affinity,
            collation,
            ..
        } = &mut kind
        {
            let operand = std::mem::replace(expr.as_mut(), Expr::Literal(Value::Null));
            let (operand, set_affinity, set_collation) =
                super::compare::in_subquery(operand, &bound.node);
            **expr = operand;
            (*affinity, *collation) = (set_affinity, set_collation);
        }
        let id = self.next_subquery_id;
        self.next_subquery_id += 1;
        let run = crate::optimize::subquery_run(&kind, &bound.node);
        Ok(Expr::Subquery(Box::new(SubqueryExpr {
            id,
            kind,
            run,
            query: Arc::new(bound),
            correlated,
            memo_key: (correlated && pure).then(|| outer_reads.as_slice().into()),
            grouped: None,
            outer_reads: outer_reads.into(),
        })))
    }

    /// Notes a call whose result is not a function of its arguments alone (`random()`,
    /// the clock, an application function not declared deterministic): no enclosing
    /// subquery may then be memoized by its outer values.
    pub(super) fn note_call(&mut self, expr: &Expr) {
        let impure = match expr {
            Expr::Function { function, .. } => !function.is_deterministic(),
            Expr::UserFunction { function, .. } => !function.is_deterministic(),
            _ => false,
        };
        if impure {
            self.note_impure_call();
        }
    }

    /// Notes a call that may give different results for the same rows (see `note_call`).
    pub(super) fn note_impure_call(&mut self) {
        self.impure_calls += 1;
    }
}

/// The aliased result columns of `select` (`expr AS name`) its WHERE may name; none
/// without a WHERE.
pub(super) fn where_aliases(
    select: &sqlparser::ast::Select,
) -> Vec<(String, sqlparser::ast::Expr)> {
    if select.selection.is_none() {
        return Vec::new();
    }
    let aliased = select.projection.iter().filter_map(|item| match item {
        sqlparser::ast::SelectItem::ExprWithAlias { expr, alias } => {
            Some((alias.value.clone(), expr.clone()))
        }
        _ => None,
    });
    aliased.collect()
}
