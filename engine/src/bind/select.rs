//! Binding of queries: SELECT with FROM (one table), WHERE, the projection (`*`, `t.*`,
//! expressions, aliases), ORDER BY (expressions, output aliases, positions) and
//! LIMIT/OFFSET. The node tree is Scan -> Sort -> Project -> Limit, so ORDER BY may use
//! input columns that are not projected.

use sqlparser::ast::{
    self, GroupByExpr, LimitClause, OrderByKind, OrderBySort, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, TableFactor,
};

use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::optimize::choose_access;
use crate::plan::{Node, Query, SortKey};

use super::{object_name, Binder, Scope};

impl Binder<'_> {
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<Query> {
        if query.with.is_some() {
            return Err(unsupported("WITH (common table expressions)"));
        }
        if query.fetch.is_some() || !query.locks.is_empty() || query.for_clause.is_some() {
            return Err(unsupported("FETCH / FOR UPDATE clauses"));
        }
        if query.settings.is_some() || query.format_clause.is_some() {
            return Err(unsupported("SETTINGS / FORMAT clauses"));
        }
        if !query.pipe_operators.is_empty() {
            return Err(unsupported("pipe operators"));
        }
        let select = match query.body.as_ref() {
            SetExpr::Select(select) => select,
            SetExpr::Query(inner) if query.order_by.is_none() && query.limit_clause.is_none() => {
                return self.bind_query(inner);
            }
            SetExpr::SetOperation { op, .. } => return Err(unsupported(op.to_string())),
            SetExpr::Values(_) => return Err(unsupported("VALUES as a query")),
            other => return Err(unsupported(format!("query body {other}"))),
        };
        self.check_select_clauses(select)?;
        let (input, scope) = self.bind_from(&select.from, select.selection.as_ref())?;

        let mut exprs = Vec::new();
        let mut names = Vec::new();
        for item in &select.projection {
            self.bind_select_item(item, &scope, &mut exprs, &mut names)?;
        }

        let mut node = input;
        if let Some(order_by) = &query.order_by {
            let keys = self.bind_order_by(order_by, &scope, &exprs, &names, &select.projection)?;
            if !keys.is_empty() {
                node = Node::Sort {
                    input: Box::new(node),
                    keys,
                };
            }
        }
        node = Node::Project {
            input: Box::new(node),
            exprs,
        };
        if let Some(limit_clause) = &query.limit_clause {
            let (limit, offset) = match limit_clause {
                LimitClause::LimitOffset {
                    limit,
                    offset,
                    limit_by,
                } => {
                    if !limit_by.is_empty() {
                        return Err(unsupported("LIMIT BY"));
                    }
                    (limit.as_ref(), offset.as_ref().map(|o| &o.value))
                }
                LimitClause::OffsetCommaLimit { offset, limit } => (Some(limit), Some(offset)),
            };
            let empty = Scope::default();
            let limit = limit.map(|e| self.bind_expr(e, &empty)).transpose()?;
            let offset = offset.map(|e| self.bind_expr(e, &empty)).transpose()?;
            node = Node::Limit {
                input: Box::new(node),
                limit,
                offset,
            };
        }
        Ok(Query {
            node,
            columns: names,
        })
    }

    fn check_select_clauses(&self, select: &ast::Select) -> Result<()> {
        if select.distinct.is_some() {
            return Err(unsupported("SELECT DISTINCT"));
        }
        if select.top.is_some() || select.into.is_some() {
            return Err(unsupported("TOP / SELECT INTO"));
        }
        match &select.group_by {
            GroupByExpr::Expressions(exprs, modifiers)
                if exprs.is_empty() && modifiers.is_empty() => {}
            _ => return Err(unsupported("GROUP BY")),
        }
        if select.having.is_some() {
            return Err(unsupported("HAVING"));
        }
        if !select.lateral_views.is_empty()
            || select.prewhere.is_some()
            || !select.named_window.is_empty()
            || select.qualify.is_some()
            || !select.cluster_by.is_empty()
            || !select.distribute_by.is_empty()
            || !select.sort_by.is_empty()
            || !select.connect_by.is_empty()
        {
            return Err(unsupported("dialect-specific SELECT clauses"));
        }
        Ok(())
    }

    /// Binds FROM and WHERE into an access node and the scope of its rows.
    fn bind_from(
        &mut self,
        from: &[ast::TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<(Node, Scope)> {
        match from {
            [] => {
                let scope = Scope::default();
                let node = Node::Values {
                    rows: vec![Vec::new()],
                };
                let node = match selection {
                    Some(predicate) => {
                        let predicate = self.bind_expr(predicate, &scope)?;
                        Node::Filter {
                            input: Box::new(node),
                            predicate,
                        }
                    }
                    None => node,
                };
                Ok((node, scope))
            }
            [single] if single.joins.is_empty() => {
                let TableFactor::Table {
                    name,
                    alias,
                    args: None,
                    ..
                } = &single.relation
                else {
                    return Err(unsupported(format!("FROM {}", single.relation)));
                };
                if let Some(system) = self.system_table(name) {
                    return self.bind_system_table(system, alias.as_ref(), selection);
                }
                let table = self.table(name)?;
                let alias = match alias {
                    Some(alias) if alias.columns.is_empty() => alias.name.value.clone(),
                    Some(_) => return Err(unsupported("column aliases on a table")),
                    None => object_name(name)?,
                };
                let scope = Scope::for_table(&alias, table.columns.iter().map(|c| c.name.clone()));
                let filter = selection.map(|p| self.bind_expr(p, &scope)).transpose()?;
                Ok((Node::Scan(choose_access(table, filter)), scope))
            }
            _ => Err(unsupported("joins and several tables in FROM")),
        }
    }

    fn bind_select_item(
        &mut self,
        item: &SelectItem,
        scope: &Scope,
        exprs: &mut Vec<Expr>,
        names: &mut Vec<String>,
    ) -> Result<()> {
        match item {
            SelectItem::UnnamedExpr(expr) => {
                exprs.push(self.bind_expr(expr, scope)?);
                names.push(match expr {
                    ast::Expr::Identifier(ident) => ident.value.clone(),
                    ast::Expr::CompoundIdentifier(parts) => {
                        parts.last().map(|p| p.value.clone()).unwrap_or_default()
                    }
                    other => other.to_string(),
                });
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                exprs.push(self.bind_expr(expr, scope)?);
                names.push(alias.value.clone());
            }
            SelectItem::Wildcard(_) => {
                if scope.columns.is_empty() {
                    return Err(crate::err!(InvalidInput, "no tables specified for *"));
                }
                for (index, column) in scope.columns.iter().enumerate() {
                    exprs.push(Expr::Column {
                        index,
                        name: column.name.clone(),
                    });
                    names.push(column.name.clone());
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                let qualifier = object_name(name)?;
                let before = exprs.len();
                for (index, column) in scope.columns.iter().enumerate() {
                    if column
                        .table
                        .as_deref()
                        .is_some_and(|t| t.eq_ignore_ascii_case(&qualifier))
                    {
                        exprs.push(Expr::Column {
                            index,
                            name: column.name.clone(),
                        });
                        names.push(column.name.clone());
                    }
                }
                if exprs.len() == before {
                    return Err(crate::err!(NotFound, "no such table: {qualifier}"));
                }
            }
            other => return Err(unsupported(format!("select item {other}"))),
        }
        Ok(())
    }

    fn bind_order_by(
        &mut self,
        order_by: &ast::OrderBy,
        scope: &Scope,
        exprs: &[Expr],
        names: &[String],
        projection: &[SelectItem],
    ) -> Result<Vec<SortKey>> {
        let OrderByKind::Expressions(terms) = &order_by.kind else {
            return Err(unsupported("ORDER BY ALL"));
        };
        let mut keys = Vec::with_capacity(terms.len());
        for term in terms {
            if term.with_fill.is_some() {
                return Err(unsupported("ORDER BY ... WITH FILL"));
            }
            let expr = match &term.expr {
                ast::Expr::Value(value) if matches!(value.value, ast::Value::Number(..)) => {
                    let position = value.value.to_string().parse::<usize>().unwrap_or(0);
                    if position == 0 || position > exprs.len() {
                        return Err(crate::err!(
                            InvalidInput,
                            "ORDER BY term out of range - should be between 1 and {}",
                            exprs.len()
                        ));
                    }
                    exprs[position - 1].clone()
                }
                ast::Expr::Identifier(ident) => {
                    let alias = projection.iter().zip(names).position(|(item, name)| {
                        matches!(item, SelectItem::ExprWithAlias { .. })
                            && name.eq_ignore_ascii_case(&ident.value)
                    });
                    match alias {
                        Some(position) => exprs[position].clone(),
                        None => self.bind_expr(&term.expr, scope)?,
                    }
                }
                other => self.bind_expr(other, scope)?,
            };
            let descending = match &term.options.sort {
                None | Some(OrderBySort::Asc) => false,
                Some(OrderBySort::Desc) => true,
                Some(_) => return Err(unsupported("ORDER BY ... USING")),
            };
            let nulls_first = term.options.nulls_first.unwrap_or(!descending);
            keys.push(SortKey {
                expr,
                descending,
                nulls_first,
            });
        }
        Ok(keys)
    }
}
