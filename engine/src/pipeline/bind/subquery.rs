//! Binding of subqueries in expressions, and of names that reach an enclosing query. A
//! subquery is bound with the current scope pushed as its outer scope; a name it cannot
//! resolve locally is looked up outward and becomes an `OuterColumn`, marking every
//! subquery between the two as correlated.

use std::sync::Arc;

use sqlparser::ast;

use ember_storage::Value;

use crate::error::{ErrorKind, Result};
use crate::expr::{Expr, SubqueryExpr, SubqueryKind};

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
        }
        for (distance, outer) in self.outer_scopes.iter().rev().enumerate() {
            match outer.resolve(qualifier, name) {
                Ok(index) => {
                    let level = distance + 1;
                    let depth = self.correlated.len();
                    for flag in &mut self.correlated[depth - level..] {
                        *flag = true;
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
            return Err(crate::error::unsupported(format!(
                "{name} of a table without an INTEGER PRIMARY KEY column"
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
        self.correlated.push(false);
        let saved_aggregates = self.aggregates.take();
        let saved_depth = self.enclosing_expr_depth;
        self.enclosing_expr_depth += depth + SUBQUERY_EXPR_DEPTH_COST;
        let bound = self.bind_query(query);
        self.enclosing_expr_depth = saved_depth;
        self.aggregates = saved_aggregates;
        let correlated = self.correlated.pop().unwrap_or(false);
        self.outer_scopes.pop();
        let mut bound = bound?;
        // Its scans decode only the columns its operators read, as the statement's own do
        // (`Prepared::bind` prunes only the statement's tree).
        crate::optimize::prune_columns(&mut bound.node);
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
        Ok(Expr::Subquery(Box::new(SubqueryExpr {
            id,
            kind,
            query: Arc::new(bound),
            correlated,
        })))
    }
}
