//! Binding of common table expressions (`WITH [RECURSIVE] name[(columns)] AS (query), ...`)
//! with SQLite's scoping: a CTE name shadows a table; every CTE of one WITH sees the others
//! (a cycle is a `circular reference`); an inner query's CTE shadows an outer one.
//! - A CTE that reads no enclosing row is bound once into a shared `CteQuery` (`CteScan`),
//!   when its WITH is (so chains bind one level deep), else where first read;
//! - one that reads a row of an enclosing query is bound again at each reference, inline;
//! - an error in a CTE's body is reported only when the CTE is read, as in SQLite.
//!
//! A body `initial UNION [ALL] term ...` whose rightmost terms name the CTE in their FROM is
//! recursive (the keyword RECURSIVE is optional, as in SQLite): the terms become a
//! `RecursiveUnion` reading the CTE through `WorkTable`. As SQLite, a recursive term may name
//! the CTE once, not inside a subquery, and may not aggregate.

use std::sync::Arc;

use sqlparser::ast::{self, SetExpr, SetOperator, SetQuantifier, TableFactor};

use crate::error::{unsupported, ErrorKind, Result};
use crate::limits::QUERY_DEPTH_MAX;
use crate::plan::{CteQuery, Node, Query, RecursiveUnion};

use super::{Binder, Scope};
use crate::plan::RelationSource;

/// The CTEs of one WITH clause.
pub(super) struct WithFrame {
    ctes: Vec<CteDef>,
}

struct CteDef {
    name: String,
    query: Box<ast::Query>,
    /// The column list `name(a, b)`, if given.
    columns: Vec<String>,
    /// How many enclosing query scopes the WITH clause had (the body may read those).
    outer_depth: usize,
    /// The first anonymous parameter (`?`) slot of the body: bodies are numbered in text
    /// order wherever they are bound.
    first_parameter: usize,
    state: CteState,
    /// References bound so far.
    uses: usize,
}

enum CteState {
    Unbound,
    /// Its body is being bound: a reference now is recursive, or circular.
    Binding,
    Shared(Arc<CteQuery>),
    /// Reads an enclosing row: bound again at each reference.
    Correlated,
}

/// The recursive term being bound: which CTE it may read, at which query depth.
pub(super) struct Recursion {
    frame: usize,
    index: usize,
    depth: usize,
    id: usize,
    referenced: bool,
}

impl Binder<'_> {
    /// Makes a WITH clause's CTEs visible; `pop_with` with the result ends their scope.
    pub(super) fn push_with(&mut self, with: Option<&ast::With>) -> Result<bool> {
        let Some(with) = with else {
            return Ok(false);
        };
        let mut ctes: Vec<CteDef> = Vec::with_capacity(with.cte_tables.len());
        for cte in &with.cte_tables {
            if cte.from.is_some() {
                return Err(unsupported("CTE ... FROM"));
            }
            let name = cte.alias.name.value.clone();
            if ctes.iter().any(|c| c.name.eq_ignore_ascii_case(&name)) {
                return Err(crate::err!(
                    InvalidInput,
                    "duplicate WITH table name: {name}"
                ));
            }
            let first_parameter = self.next_anonymous_parameter;
            self.next_anonymous_parameter += anonymous_parameters(&cte.query);
            self.parameter_count = self.parameter_count.max(self.next_anonymous_parameter);
            ctes.push(CteDef {
                name,
                query: cte.query.clone(),
                columns: cte
                    .alias
                    .columns
                    .iter()
                    .map(|c| c.name.value.clone())
                    .collect(),
                outer_depth: self.outer_scopes.len(),
                first_parameter,
                state: CteState::Unbound,
                uses: 0,
            });
        }
        self.with_frames.push(WithFrame { ctes });
        self.prebind_ctes();
        Ok(true)
    }

    /// Binds the innermost WITH's CTEs that read no enclosing row, in order, so that a chain
    /// (each CTE reading the one before) binds one level deep instead of nesting one query
    /// level per link. A CTE that fails here (it reads an enclosing row, or has an error
    /// SQLite reports only when the CTE is read) stays unbound until it is read.
    fn prebind_ctes(&mut self) {
        let frame = self.with_frames.len() - 1;
        for index in 0..self.with_frames[frame].ctes.len() {
            if !matches!(self.with_frames[frame].ctes[index].state, CteState::Unbound) {
                continue;
            }
            if let Ok((mut query, false)) = self.bind_cte_body(frame, index, false) {
                crate::optimize::finish_query(&mut query.node);
                let def = &mut self.with_frames[frame].ctes[index];
                let id = self.next_subquery_id;
                self.next_subquery_id += 1;
                let cte = Arc::new(CteQuery::new(id, def.name.clone(), query));
                def.state = CteState::Shared(cte);
            }
        }
    }

    pub(super) fn pop_with(&mut self, pushed: bool) {
        if pushed {
            self.with_frames.pop();
        }
    }

    /// `WITH ... INSERT / UPDATE / DELETE`: the statement bound with the CTEs in scope.
    pub(super) fn bind_with_statement(
        &mut self,
        query: &ast::Query,
        statement: &ast::Statement,
    ) -> Result<crate::plan::Plan> {
        if query.order_by.is_some() || query.limit_clause.is_some() {
            return Err(unsupported("ORDER BY / LIMIT on a data-changing statement"));
        }
        let pushed = self.push_with(query.with.as_ref())?;
        let bound = self.bind_statement(statement);
        self.pop_with(pushed);
        bound
    }

    /// If `name` names a CTE in scope, its rows and scope as a FROM item.
    pub(super) fn cte_reference(
        &mut self,
        name: &ast::ObjectName,
        alias: Option<&ast::TableAlias>,
    ) -> Result<Option<(RelationSource, Scope)>> {
        let [part] = name.0.as_slice() else {
            return Ok(None);
        };
        let Some(ident) = part.as_ident() else {
            return Ok(None);
        };
        let Some((frame, index)) = self.find_cte(&ident.value) else {
            return Ok(None);
        };
        let cte_name = self.with_frames[frame].ctes[index].name.clone();
        let qualifier = match alias {
            Some(alias) if alias.columns.is_empty() => alias.name.value.clone(),
            Some(_) => return Err(unsupported("column aliases on a table")),
            None => cte_name.clone(),
        };
        let (node, columns) = match &self.with_frames[frame].ctes[index].state {
            CteState::Binding => self.recursive_reference(frame, index, &cte_name)?,
            CteState::Shared(cte) => {
                let cte = cte.clone();
                self.count_use(frame, index, &cte);
                let columns = cte.query.columns.clone();
                (Node::CteScan(cte), columns)
            }
            CteState::Unbound | CteState::Correlated => {
                let (query, correlated) = self.bind_cte_body(frame, index, true)?;
                let def = &mut self.with_frames[frame].ctes[index];
                if correlated {
                    def.state = CteState::Correlated;
                    (query.node, query.columns)
                } else {
                    // Materialized on its own: pruned here, as a subquery is.
                    let mut query = query;
                    crate::optimize::finish_query(&mut query.node);
                    let id = self.next_subquery_id;
                    self.next_subquery_id += 1;
                    let columns = query.columns.clone();
                    let cte = Arc::new(CteQuery::new(id, cte_name, query));
                    def.state = CteState::Shared(cte.clone());
                    self.count_use(frame, index, &cte);
                    (Node::CteScan(cte), columns)
                }
            }
        };
        let mut scope = Scope::for_table(&qualifier, columns);
        super::compare::take_output_meta(&mut scope, &node);
        Ok(Some((RelationSource::Node(node), scope)))
    }

    fn count_use(&mut self, frame: usize, index: usize, cte: &CteQuery) {
        let def = &mut self.with_frames[frame].ctes[index];
        def.uses += 1;
        if def.uses > 1 {
            cte.mark_shared();
        }
    }

    /// The innermost CTE named `name`: (frame, index).
    pub(super) fn find_cte(&self, name: &str) -> Option<(usize, usize)> {
        self.with_frames
            .iter()
            .enumerate()
            .rev()
            .find_map(|(frame, with)| {
                let index = with
                    .ctes
                    .iter()
                    .position(|c| c.name.eq_ignore_ascii_case(name))?;
                Some((frame, index))
            })
    }

    /// A reference to a CTE whose body is being bound: the work table when it is the one
    /// direct reference of a recursive term, else an error as SQLite gives.
    fn recursive_reference(
        &mut self,
        frame: usize,
        index: usize,
        name: &str,
    ) -> Result<(Node, Vec<String>)> {
        let depth = self.query_depth;
        let Some(recursion) = self
            .recursion
            .as_mut()
            .filter(|r| r.frame == frame && r.index == index)
        else {
            return Err(crate::err!(InvalidInput, "circular reference: {name}"));
        };
        if recursion.depth != depth {
            return Err(crate::err!(
                InvalidInput,
                "multiple recursive references: {name}"
            ));
        }
        if recursion.referenced {
            return Err(crate::err!(
                InvalidInput,
                "multiple references to recursive table: {name}"
            ));
        }
        recursion.referenced = true;
        let id = recursion.id;
        let columns = self.recursive_columns.clone();
        Ok((
            Node::WorkTable {
                id,
                name: name.to_string(),
            },
            columns,
        ))
    }

    /// Binds CTE `(frame, index)`'s body where it is defined: only its WITH clause and the
    /// enclosing ones in scope. First without the enclosing queries' scopes; if a name is
    /// then missing and `may_correlate`, again with them (a correlated CTE). Returns the
    /// query, its columns named, and whether it is correlated.
    fn bind_cte_body(
        &mut self,
        frame: usize,
        index: usize,
        may_correlate: bool,
    ) -> Result<(Query, bool)> {
        let def = &mut self.with_frames[frame].ctes[index];
        def.state = CteState::Binding;
        let query = def.query.clone();
        let (outer_depth, first_parameter) = (def.outer_depth, def.first_parameter);
        let later = self.with_frames.split_off(frame + 1);
        let recursion = self.recursion.take();
        let recursive_columns = std::mem::take(&mut self.recursive_columns);
        let aggregates = self.aggregates.take();
        let next_parameter = self.next_anonymous_parameter;

        let outer_scopes = std::mem::take(&mut self.outer_scopes);
        let flags = std::mem::take(&mut self.correlated);
        self.next_anonymous_parameter = first_parameter;
        let mut bound = self.bind_cte_query(&query, frame, index);
        self.correlated = flags;
        let retry = may_correlate
            && matches!(&bound, Err(e) if e.kind() == ErrorKind::NotFound)
            && outer_depth > 0;
        if retry {
            // Only the scopes enclosing the WITH clause are visible; deeper ones (where the
            // CTE is read) are blanked, keeping the levels of outer references right.
            self.outer_scopes = outer_scopes
                .iter()
                .enumerate()
                .map(|(i, scope)| {
                    if i < outer_depth {
                        scope.clone()
                    } else {
                        Scope::default()
                    }
                })
                .collect();
            self.next_anonymous_parameter = first_parameter;
            bound = self.bind_cte_query(&query, frame, index);
        }
        self.outer_scopes = outer_scopes;

        self.next_anonymous_parameter = next_parameter;
        self.aggregates = aggregates;
        self.recursive_columns = recursive_columns;
        self.recursion = recursion;
        self.with_frames.extend(later);
        let def = &mut self.with_frames[frame].ctes[index];
        def.state = CteState::Unbound;
        let mut query = bound?;
        if !def.columns.is_empty() {
            if def.columns.len() != query.columns.len() {
                return Err(crate::err!(
                    InvalidInput,
                    "table {} has {} values for {} columns",
                    def.name,
                    query.columns.len(),
                    def.columns.len()
                ));
            }
            query.columns = def.columns.clone();
        }
        Ok((query, retry))
    }

    /// Binds a CTE body: recursive when its rightmost compound terms read the CTE.
    fn bind_cte_query(&mut self, query: &ast::Query, frame: usize, index: usize) -> Result<Query> {
        let name = self.with_frames[frame].ctes[index].name.clone();
        let Some((initial, terms, all)) = split_recursive(&query.body, &name) else {
            return self.bind_query(query).map(table_rows);
        };
        if self.query_depth >= QUERY_DEPTH_MAX {
            return Err(crate::err!(
                Limit,
                "queries nest deeper than the limit of {QUERY_DEPTH_MAX}"
            ));
        }
        self.query_depth += 1;
        let aliases = std::mem::take(&mut self.output_aliases);
        let pushed = self.push_with(query.with.as_ref());
        let bound = match pushed {
            Ok(pushed) => {
                let bound = self.bind_recursive(query, initial, &terms, all, frame, index);
                self.pop_with(pushed);
                bound
            }
            Err(error) => Err(error),
        };
        self.output_aliases = aliases;
        self.query_depth -= 1;
        bound
    }

    fn bind_recursive(
        &mut self,
        query: &ast::Query,
        initial: &SetExpr,
        terms: &[&SetExpr],
        all: bool,
        frame: usize,
        index: usize,
    ) -> Result<Query> {
        if query.fetch.is_some() || !query.locks.is_empty() || query.for_clause.is_some() {
            return Err(unsupported("FETCH / FOR UPDATE clauses"));
        }
        let def = &self.with_frames[frame].ctes[index];
        let (name, declared) = (def.name.clone(), def.columns.clone());
        let (initial, initial_columns) = self.bind_set_expr(initial)?;
        // The compound's ORDER BY sees its own output names (the first SELECT's), as in SQLite.
        let compound_columns = initial_columns.clone();
        let columns = if declared.is_empty() {
            initial_columns
        } else if declared.len() != initial_columns.len() {
            return Err(crate::err!(
                InvalidInput,
                "table {name} has {} values for {} columns",
                initial_columns.len(),
                declared.len()
            ));
        } else {
            declared
        };
        let id = self.next_subquery_id;
        self.next_subquery_id += 1;
        let mut recursive = Vec::with_capacity(terms.len());
        for term in terms {
            self.recursion = Some(Recursion {
                frame,
                index,
                depth: self.query_depth,
                id,
                referenced: false,
            });
            self.recursive_columns = columns.clone();
            let bound = self.bind_set_expr(term);
            self.recursion = None;
            self.recursive_columns = Vec::new();
            let (node, term_columns) = bound?;
            if term_columns.len() != columns.len() {
                return Err(crate::err!(
                    InvalidInput,
                    "SELECTs to the left and right of UNION do not have the same number of \
                     result columns"
                ));
            }
            if aggregates_on_top(&node) {
                return Err(crate::err!(
                    InvalidInput,
                    "recursive aggregate queries not supported"
                ));
            }
            recursive.push(node);
        }
        // Terms are listed right to left by `split_recursive`; they run left to right.
        recursive.reverse();
        let (initial, recursive) =
            super::compare::convert_recursive_arms(initial, recursive, columns.len());
        let order = match &query.order_by {
            Some(order_by) => {
                let keys = self.bind_compound_order_by(order_by, &compound_columns, &initial)?;
                if let Some(key) = keys.iter().find_map(|key| key.collation.as_ref()) {
                    return Err(unsupported(format!(
                        "user collation {} in the ORDER BY of a recursive CTE",
                        key.name()
                    )));
                }
                keys
            }
            None => Vec::new(),
        };
        let (limit, offset) = self.bind_limit(query.limit_clause.as_ref())?;
        let node = Node::RecursiveUnion(Box::new(RecursiveUnion {
            id,
            name,
            initial,
            recursive,
            distinct: !all,
            order,
            limit,
            offset,
        }));
        Ok(Query { node, columns })
    }

    /// LIMIT / OFFSET expressions of a clause.
    fn bind_limit(
        &mut self,
        clause: Option<&ast::LimitClause>,
    ) -> Result<(Option<crate::expr::Expr>, Option<crate::expr::Expr>)> {
        let (limit, offset) = match clause {
            None => (None, None),
            Some(ast::LimitClause::LimitOffset {
                limit,
                offset,
                limit_by,
            }) => {
                if !limit_by.is_empty() {
                    return Err(unsupported("LIMIT BY"));
                }
                (limit.as_ref(), offset.as_ref().map(|o| &o.value))
            }
            Some(ast::LimitClause::OffsetCommaLimit { offset, limit }) => {
                (Some(limit), Some(offset))
            }
        };
        let empty = Scope::default();
        let limit = limit.map(|e| self.bind_expr(e, &empty)).transpose()?;
        let offset = offset.map(|e| self.bind_expr(e, &empty)).transpose()?;
        Ok((limit, offset))
    }
}

/// A query's rows as read from a table holding them (`compare::convert_compound_query`).
pub(super) fn table_rows(query: Query) -> Query {
    let node = super::compare::convert_compound_query(query.node, query.columns.len());
    Query {
        node,
        columns: query.columns,
    }
}

/// For a body `initial OP term_1 OP ... OP term_n` (OP one of UNION, UNION ALL, the same
/// throughout the right part), the initial part and the recursive terms (rightmost first):
/// the longest run of rightmost terms whose FROM names `name` directly, as SQLite splits it.
/// `None` when no term reads it (not recursive). The flag: UNION ALL.
fn split_recursive<'q>(
    body: &'q SetExpr,
    name: &str,
) -> Option<(&'q SetExpr, Vec<&'q SetExpr>, bool)> {
    let SetExpr::SetOperation {
        op: SetOperator::Union,
        set_quantifier: top_quantifier,
        ..
    } = body
    else {
        return None;
    };
    let all = matches!(top_quantifier, SetQuantifier::All);
    let same = |q: &SetQuantifier| {
        matches!(q, SetQuantifier::All) == all
            && matches!(
                q,
                SetQuantifier::All | SetQuantifier::None | SetQuantifier::Distinct
            )
    };
    let mut terms = Vec::new();
    let mut node = body;
    while let SetExpr::SetOperation {
        op: SetOperator::Union,
        set_quantifier,
        left,
        right,
    } = node
    {
        if !same(set_quantifier) || !reads_directly(right, name) {
            break;
        }
        terms.push(right.as_ref());
        node = left;
    }
    if terms.is_empty() {
        None
    } else {
        Some((node, terms, all))
    }
}

/// Whether a compound term is a SELECT naming `name` among its FROM items.
fn reads_directly(term: &SetExpr, name: &str) -> bool {
    let SetExpr::Select(select) = term else {
        return false;
    };
    let names = |factor: &TableFactor| match factor {
        TableFactor::Table { name: table, .. } => match table.0.as_slice() {
            [part] => part
                .as_ident()
                .is_some_and(|ident| ident.value.eq_ignore_ascii_case(name)),
            _ => false,
        },
        _ => false,
    };
    select
        .from
        .iter()
        .any(|item| names(&item.relation) || item.joins.iter().any(|join| names(&join.relation)))
}

/// Whether a SELECT core's node aggregates (an Aggregate under its projection).
fn aggregates_on_top(node: &Node) -> bool {
    match node {
        Node::Aggregate { .. } => true,
        Node::Project { input, .. }
        | Node::Distinct { input, .. }
        | Node::Sort { input, .. }
        | Node::Filter { input, .. }
        | Node::Limit { input, .. } => aggregates_on_top(input),
        _ => false,
    }
}

/// The anonymous parameters (`?`) of a query, counted in the AST.
fn anonymous_parameters(query: &ast::Query) -> usize {
    let mut count = 0;
    let _ = crate::ast_visit::exprs(query, |expr| {
        if let ast::Expr::Value(value) = expr {
            if matches!(&value.value, ast::Value::Placeholder(p) if p == "?") {
                count += 1;
            }
        }
        std::ops::ControlFlow::Continue(())
    });
    count
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::catalog::Catalog;
    use crate::plan::Plan;

    fn query(sql: &str) -> ast::Query {
        let parsed = crate::parse::parse_statements(sql).unwrap();
        match &parsed[0] {
            ast::Statement::Query(query) => query.as_ref().clone(),
            other => panic!("not a query: {other}"),
        }
    }

    fn cte_body(sql: &str) -> ast::Query {
        *query(sql).with.unwrap().cte_tables[0].query.clone()
    }

    fn explain(sql: &str) -> String {
        let catalog = Catalog::default();
        let statement = &crate::parse::parse_statements(sql).unwrap()[0];
        let plan = Binder::new(&catalog).bind_statement(statement).unwrap();
        assert!(matches!(plan, Plan::Query(_)));
        plan.explain_lines().join("\n") + "\n"
    }

    #[test]
    fn the_rightmost_terms_naming_the_cte_recurse() {
        let body = cte_body(
            "WITH c(x) AS (SELECT 1 UNION ALL SELECT 2 UNION ALL SELECT x FROM c \
             UNION ALL SELECT x FROM t JOIN c) SELECT 1",
        );
        let (initial, terms, all) = split_recursive(&body.body, "C").unwrap();
        assert!(all);
        assert_eq!(terms.len(), 2);
        assert_eq!(initial.to_string(), "SELECT 1 UNION ALL SELECT 2");
        // A body with no direct reference, or a different operator, is not recursive.
        let body = cte_body("WITH c AS (SELECT 1 UNION SELECT x FROM (SELECT x FROM c)) SELECT 1");
        assert!(split_recursive(&body.body, "c").is_none());
        let body = cte_body("WITH c AS (SELECT 1 INTERSECT SELECT x FROM c) SELECT 1");
        assert!(split_recursive(&body.body, "c").is_none());
    }

    #[test]
    fn anonymous_parameters_are_counted() {
        let body = cte_body("WITH c AS (SELECT ?, ?2 WHERE ? IN (SELECT ?)) SELECT 1");
        assert_eq!(anonymous_parameters(&body), 3);
    }

    #[test]
    fn a_cte_read_twice_is_shared_and_once_is_not() {
        let twice = explain("WITH c AS (SELECT 1 AS x) SELECT * FROM c, c AS d");
        assert_eq!(twice.matches("CteScan c (materialized once)").count(), 2);
        let once = explain("WITH c AS (SELECT 1 AS x), d AS (SELECT 2) SELECT * FROM c");
        assert!(
            once.contains("CteScan c\n") && !once.contains("materialized"),
            "{once}"
        );
        let recursive = explain(
            "WITH RECURSIVE c(x) AS (SELECT 1 UNION SELECT x + 1 FROM c ORDER BY 1 LIMIT 9) \
             SELECT x FROM c",
        );
        assert!(
            recursive.contains("RecursiveUnion c order by"),
            "{recursive}"
        );
        assert!(recursive.contains("WorkTable c"), "{recursive}");
    }
}
