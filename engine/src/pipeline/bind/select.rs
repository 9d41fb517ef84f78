//! Binding of queries: a SELECT core (FROM/WHERE via `from.rs`, projection, GROUP BY,
//! HAVING, aggregates, DISTINCT, ORDER BY), compounds (UNION [ALL], INTERSECT, EXCEPT),
//! VALUES, and LIMIT/OFFSET. A SELECT core's node tree is
//! `input -> Aggregate? -> Filter(HAVING)? -> Window? -> Sort? -> Project -> Distinct?`:
//! sorting happens before projection, so ORDER BY may use input columns that are not
//! projected; a compound's ORDER BY sorts its output columns.

use sqlparser::ast::{
    self, Distinct, GroupByExpr, LimitClause, OrderByKind, OrderBySort, SelectItem,
    SelectItemQualifiedWildcardKind, SetExpr, SetQuantifier,
};

use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::limits::{COMPOUND_SELECT_TERMS_MAX, QUERY_DEPTH_MAX};
use crate::plan::{Node, Query, SetOperator, SortKey};

use super::aggregate::AggregateCollector;
use super::min_max_row::{take_bare_columns_from_min_max_row, AggregateReaders};
use super::window::{reads_window, remap_window_columns, WindowCollector};
use super::{object_name, Binder, Scope};

/// A bound projection: expressions and their output names.
struct Projection {
    exprs: Vec<Expr>,
    names: Vec<String>,
    /// For each output column, the alias it was given (`AS name`), if any.
    aliases: Vec<Option<String>>,
}

impl Binder<'_> {
    pub fn bind_query(&mut self, query: &ast::Query) -> Result<Query> {
        if self.query_depth >= QUERY_DEPTH_MAX {
            return Err(crate::err!(
                Limit,
                "queries nest deeper than the limit of {QUERY_DEPTH_MAX}"
            ));
        }
        self.query_depth += 1;
        // An inner query's names never fall back to this query's output aliases.
        let aliases = std::mem::take(&mut self.output_aliases);
        let where_aliases = std::mem::take(&mut self.where_aliases);
        let result = self.bind_query_inner(query);
        (self.output_aliases, self.where_aliases) = (aliases, where_aliases);
        self.query_depth -= 1;
        result
    }

    fn bind_query_inner(&mut self, query: &ast::Query) -> Result<Query> {
        let pushed = self.push_with(query.with.as_ref())?;
        let bound = self.bind_query_clauses(query);
        self.pop_with(pushed);
        bound
    }

    fn bind_query_clauses(&mut self, query: &ast::Query) -> Result<Query> {
        super::query_grammar::refuse_foreign_clauses(query)?;
        let (mut node, columns) = match query.body.as_ref() {
            SetExpr::Select(select) => self.bind_select(select, query.order_by.as_ref())?,
            body => {
                let (node, columns) = self.bind_set_expr(body)?;
                match &query.order_by {
                    Some(order_by) => {
                        let keys = self.bind_compound_order_by(order_by, &columns, &node)?;
                        let node = Node::Sort {
                            input: Box::new(node),
                            keys,
                            top: None,
                        };
                        (node, columns)
                    }
                    None => (node, columns),
                }
            }
        };
        crate::optimize::query_level(&mut node, query.limit_clause.is_some(), &columns);
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
            node = crate::optimize::limited_level(node, limit, offset);
        }
        Ok(Query { node, columns })
    }

    /// Binds a query body that is part of a compound, or a compound itself.
    pub(super) fn bind_set_expr(&mut self, body: &SetExpr) -> Result<(Node, Vec<String>)> {
        match body {
            SetExpr::Select(select) => self.bind_select(select, None),
            SetExpr::Query(query) => {
                let query = self.bind_query(query)?;
                Ok((query.node, query.columns))
            }
            SetExpr::SetOperation {
                op,
                set_quantifier,
                left,
                right,
            } => {
                let all = match set_quantifier {
                    SetQuantifier::None | SetQuantifier::Distinct => false,
                    SetQuantifier::All => true,
                    other => return Err(unsupported(format!("{op} {other}"))),
                };
                let operator = match (op, all) {
                    (ast::SetOperator::Union, false) => SetOperator::Union,
                    (ast::SetOperator::Union, true) => SetOperator::UnionAll,
                    (ast::SetOperator::Intersect, false) => SetOperator::Intersect,
                    (ast::SetOperator::Except, false) => SetOperator::Except,
                    _ => return Err(unsupported(format!("{op} {set_quantifier}"))),
                };
                if self.compound_terms + 1 >= COMPOUND_SELECT_TERMS_MAX {
                    return Err(crate::err!(
                        Limit,
                        "compound SELECT has more than the limit of \
                         {COMPOUND_SELECT_TERMS_MAX} terms"
                    ));
                }
                self.compound_terms += 1;
                let bound = self
                    .bind_set_expr(left)
                    .and_then(|left| Ok((left, self.bind_set_expr(right)?)));
                self.compound_terms -= 1;
                let ((left, columns), (right, right_columns)) = bound?;
                if columns.len() != right_columns.len() {
                    return Err(crate::err!(
                        InvalidInput,
                        "SELECTs to the left and right of {op} do not have the same number \
                         of result columns"
                    ));
                }
                let mut left = left;
                let collations = super::compare::compound_collations(&left, &right, columns.len());
                super::compare::set_compound_collations(&mut left, &collations);
                let node = Node::SetOperation {
                    op: operator,
                    left: Box::new(left),
                    right: Box::new(right),
                    collations,
                    width: columns.len(),
                    unsorted: false,
                };
                Ok((node, columns))
            }
            SetExpr::Values(values) => self.bind_values_query(values),
            other => Err(unsupported(format!("query body {other}"))),
        }
    }

    /// `VALUES (..), (..)` as a query: columns named column1, column2, ...
    fn bind_values_query(&mut self, values: &ast::Values) -> Result<(Node, Vec<String>)> {
        if values.rows.len() > crate::limits::VALUES_ROWS_MAX {
            return Err(crate::err!(
                Limit,
                "VALUES has {} rows; the limit is {}",
                values.rows.len(),
                crate::limits::VALUES_ROWS_MAX
            ));
        }
        let width = values.rows.first().map_or(0, |row| row.len());
        let empty = Scope::default();
        let mut rows = Vec::with_capacity(values.rows.len());
        for row in &values.rows {
            if row.len() != width {
                return Err(crate::err!(
                    InvalidInput,
                    "all VALUES must have the same number of terms"
                ));
            }
            rows.push(
                row.iter()
                    .map(|expr| self.bind_expr(expr, &empty))
                    .collect::<Result<Vec<_>>>()?,
            );
        }
        let names = (1..=width).map(|i| format!("column{i}")).collect();
        Ok((Node::Values { rows }, names))
    }

    /// Binds one SELECT core with the ORDER BY that applies to it.
    fn bind_select(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
    ) -> Result<(Node, Vec<String>)> {
        self.check_select_clauses(select)?;
        let distinct = match &select.distinct {
            None | Some(Distinct::All) => false,
            Some(Distinct::Distinct) => true,
            Some(Distinct::On(_)) => return Err(unsupported("DISTINCT ON")),
        };
        // Window calls are bound only in this SELECT's projection and ORDER BY.
        let outer_windows = self.windows.take();
        let bound = self.bind_select_core(select, order_by, distinct);
        self.windows = outer_windows;
        bound
    }

    /// `bind_select` past the clauses' checks, with no window collector active.
    fn bind_select_core(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        distinct: bool,
    ) -> Result<(Node, Vec<String>)> {
        self.where_aliases = super::subquery::where_aliases(select);
        let from = self.bind_select_from(select);
        self.where_aliases.clear();
        let (input, scope) = from?;
        let input_width = scope.columns.len();

        let saved = self
            .aggregates
            .replace(AggregateCollector::new(input_width));
        self.windows = Some(WindowCollector::new(&select.named_window)?);
        let bound = self.bind_select_terms(select, order_by, &scope);
        let collector = std::mem::replace(&mut self.aggregates, saved);
        let windows = self.windows.take();
        let (mut projection, mut having, mut keys) = bound?;
        let mut calls = collector.map(|c| c.calls).unwrap_or_default();

        let group_by = self.bind_group_by(select, &scope, &projection, input_width)?;
        let readers = AggregateReaders::new(&mut projection.exprs, having.as_mut(), &mut keys);
        take_bare_columns_from_min_max_row(&mut calls, &group_by, input_width, &windows, readers);
        let mut node = input;
        let mut window_input_width = input_width;
        if !group_by.is_empty() || having.is_some() || !calls.is_empty() {
            window_input_width += calls.len();
            node = Node::Aggregate {
                input: Box::new(node),
                group_by,
                aggregates: calls,
                input_width,
                strategy: crate::plan::AggregateStrategy::Hash,
                bare_reads: None,
            };
        }
        if let Some(predicate) = having {
            node = Node::Filter {
                input: Box::new(node),
                predicate,
            };
        }
        if let Some(windows) = windows.filter(|windows| !windows.is_empty()) {
            node = windows.into_node(node, window_input_width);
            for expr in &mut projection.exprs {
                *expr = remap_window_columns(expr, window_input_width);
            }
            for key in &mut keys {
                key.expr = remap_window_columns(&key.expr, window_input_width);
            }
        }
        if !keys.is_empty() {
            node = Node::Sort {
                input: Box::new(node),
                keys,
                top: None,
            };
        }
        let collations = super::compare::distinct_collations(&projection.exprs);
        node = Node::Project {
            input: Box::new(node),
            exprs: projection.exprs,
        };
        if distinct {
            node = Node::Distinct {
                input: Box::new(node),
                collations,
                strategy: crate::plan::DistinctStrategy::Hash,
            };
        }
        Ok((node, projection.names))
    }

    /// The projection, HAVING and ORDER BY of a SELECT, bound with aggregates collected.
    fn bind_select_terms(
        &mut self,
        select: &ast::Select,
        order_by: Option<&ast::OrderBy>,
        scope: &Scope,
    ) -> Result<(Projection, Option<Expr>, Vec<SortKey>)> {
        let mut projection = Projection {
            exprs: Vec::new(),
            names: Vec::new(),
            aliases: Vec::new(),
        };
        for item in &select.projection {
            self.bind_select_item(item, scope, &mut projection)?;
        }
        super::aggregate::check_having(self.aggregates.as_ref(), select)?;
        self.output_aliases = output_aliases(&projection);
        self.allow_windows(false);
        let having = select
            .having
            .as_ref()
            .map(|having| self.bind_expr(having, scope))
            .transpose();
        self.allow_windows(true);
        let keys = match (having.is_ok(), order_by) {
            (true, Some(order_by)) => self.bind_order_by(order_by, scope, &projection),
            _ => Ok(Vec::new()),
        };
        self.output_aliases.clear();
        Ok((projection, having?, keys?))
    }

    /// GROUP BY terms: positions and output aliases name projection expressions; anything
    /// else is an expression over the input. Aggregates are not allowed here.
    fn bind_group_by(
        &mut self,
        select: &ast::Select,
        scope: &Scope,
        projection: &Projection,
        input_width: usize,
    ) -> Result<Vec<Expr>> {
        let GroupByExpr::Expressions(terms, modifiers) = &select.group_by else {
            return Err(unsupported("GROUP BY ALL"));
        };
        if !modifiers.is_empty() {
            return Err(unsupported("GROUP BY modifiers (ROLLUP, CUBE, ...)"));
        }
        let mut group_by = Vec::with_capacity(terms.len());
        for term in terms {
            // A position under COLLATE is the output column under it (as SQLite skips
            // COLLATE before reading a position).
            let (bare, collation, sign) = skip_collate(term);
            let expr = match position_of(bare, sign, projection.exprs.len())? {
                Some(position) => {
                    let expr = projection.exprs[position].clone();
                    match collation {
                        Some(name) => Expr::Collate {
                            expr: Box::new(expr),
                            collation: self
                                .collation_named(&super::object_name(name)?, "GROUP BY")?,
                        },
                        None => expr,
                    }
                }
                None => {
                    self.output_aliases = output_aliases(projection);
                    let bound = self.bind_expr(term, scope);
                    self.output_aliases.clear();
                    bound?
                }
            };
            if reads_window(&expr) {
                return Err(crate::err!(
                    InvalidInput,
                    "misuse of window function in GROUP BY"
                ));
            }
            let mut reads_aggregate = false;
            expr.walk(&mut |e| {
                if let Expr::Column { index, .. } = e {
                    reads_aggregate |= *index >= input_width;
                }
            });
            if reads_aggregate {
                return Err(crate::err!(
                    InvalidInput,
                    "aggregate functions are not allowed in the GROUP BY clause"
                ));
            }
            group_by.push(super::compare::sort_key_of(expr));
        }
        Ok(group_by)
    }

    fn check_select_clauses(&self, select: &ast::Select) -> Result<()> {
        if select.top.is_some() || select.into.is_some() {
            return Err(unsupported("TOP / SELECT INTO"));
        }
        if !select.lateral_views.is_empty()
            || select.prewhere.is_some()
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

    fn bind_select_item(
        &mut self,
        item: &SelectItem,
        scope: &Scope,
        projection: &mut Projection,
    ) -> Result<()> {
        match item {
            SelectItem::UnnamedExpr(expr) => {
                projection.exprs.push(self.bind_expr(expr, scope)?);
                projection.names.push(match expr {
                    ast::Expr::Identifier(ident) => ident.value.clone(),
                    ast::Expr::CompoundIdentifier(parts) => {
                        parts.last().map(|p| p.value.clone()).unwrap_or_default()
                    }
                    other => super::window::column_name(other),
                });
                projection.aliases.push(None);
            }
            SelectItem::ExprWithAlias { expr, alias } => {
                projection.exprs.push(self.bind_expr(expr, scope)?);
                projection.names.push(alias.value.clone());
                projection.aliases.push(Some(alias.value.clone()));
            }
            SelectItem::Wildcard(_) => {
                if scope.columns.is_empty() {
                    return Err(crate::err!(InvalidInput, "no tables specified for *"));
                }
                // SQLite expands `*` over an aliased parenthesized join by name: the bare
                // name when it is the only FROM item (ambiguous when two of its columns
                // share it), else qualified by the column's own table (ambiguous when
                // another FROM item has that name and column).
                // (The engine's own columns, never shown, do not count.)
                let mut shown = scope.columns.iter().filter(|c| !c.system);
                let only_join = shown.clone().next().and_then(|c| c.join_alias.as_ref());
                let only_join = only_join.is_some_and(|first| {
                    shown.all(|c| {
                        c.join_alias
                            .as_ref()
                            .is_some_and(|join| join.alias == first.alias)
                    })
                });
                for (index, column) in scope.columns.iter().enumerate() {
                    if column.hidden {
                        continue;
                    }
                    match &column.join_alias {
                        None => push_column(projection, index, &column.name, column.meta),
                        Some(join) if only_join => {
                            let resolved = scope.resolve(None, &column.name)?;
                            let meta = scope.columns[resolved].meta;
                            push_column(projection, resolved, &join.name, meta);
                        }
                        Some(join) => {
                            if let Some(clash) = other_item_column(scope, column) {
                                return Err(crate::err!(
                                    InvalidInput,
                                    "ambiguous column name: {clash}.{}",
                                    column.name
                                ));
                            }
                            push_column(projection, index, &join.name, column.meta);
                        }
                    }
                }
            }
            SelectItem::QualifiedWildcard(SelectItemQualifiedWildcardKind::ObjectName(name), _) => {
                let qualifier = object_name(name)?;
                let mut found = false;
                for (index, column) in scope.columns.iter().enumerate() {
                    if !column.system
                        && column
                            .table
                            .as_deref()
                            .is_some_and(|t| t.eq_ignore_ascii_case(&qualifier))
                    {
                        found = true;
                        push_column(projection, index, &column.name, column.meta);
                    }
                }
                if !found {
                    return Err(crate::err!(NotFound, "no such table: {qualifier}"));
                }
            }
            other => return Err(unsupported(format!("select item {other}"))),
        }
        if projection.exprs.len() > crate::limits::COLUMNS_MAX {
            return Err(crate::err!(
                Limit,
                "more than {} result columns",
                crate::limits::COLUMNS_MAX
            ));
        }
        Ok(())
    }

    fn bind_order_by(
        &mut self,
        order_by: &ast::OrderBy,
        scope: &Scope,
        projection: &Projection,
    ) -> Result<Vec<SortKey>> {
        let OrderByKind::Expressions(terms) = &order_by.kind else {
            return Err(unsupported("ORDER BY ALL"));
        };
        let mut keys = Vec::with_capacity(terms.len());
        for term in terms {
            // An output alias or position, also under COLLATE and in parentheses (which
            // SQLite skips before reading either), is the output column under the collation.
            let (bare, collation_name, sign) = skip_collate(&term.expr);
            let output = match position_of(bare, sign, projection.exprs.len())? {
                Some(position) => Some(position),
                None => match bare {
                    ast::Expr::Identifier(ident) if sign.is_none() => {
                        alias_position(projection, &ident.value)
                    }
                    _ => None,
                },
            };
            let (expr, collation) = match output {
                Some(position) => {
                    self.collated(projection.exprs[position].clone(), collation_name)?
                }
                None => {
                    let (term_expr, collation) = self.order_collation(&term.expr)?;
                    (self.bind_expr(term_expr, scope)?, collation)
                }
            };
            keys.push(sort_key(term, expr, collation)?);
        }
        Ok(keys)
    }

    /// ORDER BY of a compound: positions, output names, or expressions over the output.
    pub(super) fn bind_compound_order_by(
        &mut self,
        order_by: &ast::OrderBy,
        columns: &[String],
        compound: &Node,
    ) -> Result<Vec<SortKey>> {
        let OrderByKind::Expressions(terms) = &order_by.kind else {
            return Err(unsupported("ORDER BY ALL"));
        };
        let mut output = Scope {
            columns: columns
                .iter()
                .map(|name| super::ScopeColumn {
                    table: None,
                    name: name.clone(),
                    hidden: false,
                    system: false,
                    meta: crate::expr::ColumnMeta::default(),
                    join_alias: None,
                })
                .collect(),
            ..Scope::default()
        };
        super::compare::take_output_meta(&mut output, compound);
        if let Node::SetOperation { collations, .. } = compound {
            // ORDER BY on a compound compares by the compound's collations.
            for (column, collation) in output.columns.iter_mut().zip(collations) {
                column.meta.collation = *collation;
            }
        }
        let mut keys = Vec::with_capacity(terms.len());
        for term in terms {
            let (bare, collation_name, sign) = skip_collate(&term.expr);
            let (expr, collation) = match position_of(bare, sign, columns.len())? {
                Some(index) => self.collated(
                    Expr::Column {
                        index,
                        name: columns[index].clone(),
                        meta: output.columns[index].meta,
                    },
                    collation_name,
                )?,
                None => {
                    let (term_expr, collation) = self.order_collation(&term.expr)?;
                    (self.bind_expr(term_expr, &output)?, collation)
                }
            };
            keys.push(sort_key(term, expr, collation)?);
        }
        Ok(keys)
    }

    /// An ORDER BY term `expr COLLATE name` with a collation the application registered:
    /// `expr` and the collation; any other term as it is.
    fn order_collation<'e>(
        &self,
        term: &'e ast::Expr,
    ) -> Result<(&'e ast::Expr, Option<crate::expr::UserCollation>)> {
        if let ast::Expr::Collate { expr, collation } = term {
            let name = super::object_name(collation)?;
            if let Some(user) = self.catalog.user_functions().collation(&name) {
                return Ok((expr, Some(user.clone())));
            }
        }
        Ok((term, None))
    }

    /// `expr` (the output column an ORDER BY term names) under the term's outermost
    /// COLLATE `name`, if any: a registered collation apart (the sort compares by it), a
    /// built-in one as a COLLATE operator.
    fn collated(
        &self,
        expr: Expr,
        name: Option<&ast::ObjectName>,
    ) -> Result<(Expr, Option<crate::expr::UserCollation>)> {
        let Some(name) = name else {
            return Ok((expr, None));
        };
        let name = super::object_name(name)?;
        if let Some(user) = self.catalog.user_functions().collation(&name) {
            return Ok((expr, Some(user.clone())));
        }
        let collation = self.collation_named(&name, "ORDER BY")?;
        Ok((
            Expr::Collate {
                expr: Box::new(expr),
                collation,
            },
            None,
        ))
    }

    /// The built-in collation `name`; a registered one is refused in `place` (only an
    /// ORDER BY term uses those).
    pub(super) fn collation_named(
        &self,
        name: &str,
        place: &str,
    ) -> Result<crate::expr::Collation> {
        if self.catalog.user_functions().collation(name).is_some() {
            return Err(unsupported(format!("user collation {name} in {place}")));
        }
        crate::expr::Collation::by_name(name)
    }
}

/// The qualifier of a column outside any aliased parenthesized join that has `column`'s
/// table and name, if any (`*` over `(a JOIN c) AS j, c` names `c.w` twice).
fn other_item_column<'s>(scope: &'s Scope, column: &super::ScopeColumn) -> Option<&'s str> {
    let table = column.table.as_deref()?;
    scope.columns.iter().find_map(|other| {
        let other_table = other.table.as_deref()?;
        (other.join_alias.is_none()
            && other_table.eq_ignore_ascii_case(table)
            && other.name.eq_ignore_ascii_case(&column.name))
        .then_some(other_table)
    })
}

/// Appends column `index` of the scope (a `*` expansion), with its affinity and collation,
/// which a subquery, view or CTE reading `*` passes on as SQLite does.
fn push_column(
    projection: &mut Projection,
    index: usize,
    name: &str,
    meta: crate::expr::ColumnMeta,
) {
    projection.exprs.push(Expr::Column {
        index,
        name: name.to_string(),
        meta,
    });
    projection.names.push(name.to_string());
    projection.aliases.push(None);
}

/// The projection's aliases with their expressions, for name fallback.
fn output_aliases(projection: &Projection) -> Vec<(String, Expr)> {
    projection
        .aliases
        .iter()
        .zip(&projection.exprs)
        .filter_map(|(alias, expr)| alias.clone().map(|alias| (alias, expr.clone())))
        .collect()
}

/// The output column an alias names (the first, as SQLite picks).
fn alias_position(projection: &Projection, name: &str) -> Option<usize> {
    projection.aliases.iter().position(|alias| {
        alias
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case(name))
    })
}

/// An ORDER BY / GROUP BY term without the COLLATE operators and parentheses around it,
/// the outermost collation's name, and whether a sign was taken off with them (negative or
/// not): SQLite reads a term as an output position or alias without them
/// (`sqlite3ExprSkipCollate`), then sorts under that collation. The parser binds `-1
/// COLLATE x` as `-(1 COLLATE x)` where SQLite reads `(-1) COLLATE x`, so a sign right
/// over a COLLATE comes off with it.
fn skip_collate(term: &ast::Expr) -> (&ast::Expr, Option<&ast::ObjectName>, Option<bool>) {
    fn over_collate(term: &ast::Expr) -> bool {
        match term {
            ast::Expr::UnaryOp {
                op: ast::UnaryOperator::Minus | ast::UnaryOperator::Plus,
                expr,
            } => over_collate(expr),
            ast::Expr::Collate { .. } => true,
            _ => false,
        }
    }
    let mut term = term;
    let mut outermost = None;
    let mut sign: Option<bool> = None;
    loop {
        term = match term {
            ast::Expr::Nested(inner) => inner,
            ast::Expr::Collate { expr, collation } => {
                outermost.get_or_insert(collation);
                expr
            }
            ast::Expr::UnaryOp {
                op: op @ (ast::UnaryOperator::Minus | ast::UnaryOperator::Plus),
                expr,
            } if over_collate(expr) => {
                let negative = sign.unwrap_or(false) ^ (*op == ast::UnaryOperator::Minus);
                sign = Some(negative);
                expr
            }
            _ => return (term, outermost, sign),
        };
    }
}

/// For an integer literal term (`ORDER BY 2`, `GROUP BY 1`, also signed or parenthesized, as
/// SQLite reads them), the 0-based output position. Any other term is an expression, an
/// integer past a C int's range too (SQLite reads only those as positions).
fn position_of(term: &ast::Expr, sign: Option<bool>, width: usize) -> Result<Option<usize>> {
    let mut term = term;
    let mut negative = sign.unwrap_or(false);
    loop {
        term = match term {
            ast::Expr::Nested(inner) => inner,
            ast::Expr::UnaryOp {
                op: op @ (ast::UnaryOperator::Minus | ast::UnaryOperator::Plus),
                expr,
            } => {
                negative ^= *op == ast::UnaryOperator::Minus;
                expr
            }
            _ => break,
        };
    }
    let ast::Expr::Value(value) = term else {
        return Ok(None);
    };
    let ast::Value::Number(text, _) = &value.value else {
        return Ok(None);
    };
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return Ok(None);
    }
    match text.parse::<u32>() {
        Ok(value) if value <= i32::MAX as u32 => {}
        _ => return Ok(None),
    }
    match text.parse::<usize>() {
        Ok(position) if !negative && (1..=width).contains(&position) => Ok(Some(position - 1)),
        _ => Err(crate::err!(
            InvalidInput,
            "term {}{text} out of range - should be between 1 and {width}",
            if negative { "-" } else { "" }
        )),
    }
}

pub(super) fn sort_key(
    term: &ast::OrderByExpr,
    expr: Expr,
    collation: Option<crate::expr::UserCollation>,
) -> Result<SortKey> {
    if term.with_fill.is_some() {
        return Err(unsupported("ORDER BY ... WITH FILL"));
    }
    let descending = match &term.options.sort {
        None | Some(OrderBySort::Asc) => false,
        Some(OrderBySort::Desc) => true,
        Some(_) => return Err(unsupported("ORDER BY ... USING")),
    };
    let nulls_first = term.options.nulls_first.unwrap_or(!descending);
    Ok(SortKey {
        // A registered collation compares the value itself; a built-in one, its key.
        expr: match collation {
            Some(_) => expr,
            None => super::compare::sort_key_of(expr),
        },
        descending,
        nulls_first,
        collation,
    })
}
