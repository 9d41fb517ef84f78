//! Binding of FROM and WHERE: each FROM item (table, view, system table, subquery) becomes a
//! `Relation`; joins' ON / USING / NATURAL constraints and WHERE become conjuncts over the
//! syntactic row layout (every relation's columns in FROM order). `join::plan_joins` then
//! places each conjunct and orders the joins.

use std::sync::Arc;

use sqlparser::ast::{self, JoinConstraint, JoinOperator, TableFactor};

use crate::catalog::TableDef;
use crate::error::{unsupported, Result};
use crate::expr::{BinaryOp, Expr};
use crate::plan::{JoinKind, Node};

use super::join::plan_joins;
use super::{object_name, Binder, Scope};

/// Where a relation's rows come from.
pub(super) enum RelationSource {
    /// A base table: its access path is chosen once its pushed-down filters are known.
    Table(Arc<TableDef>),
    /// Anything already planned: a subquery, a view, a system table.
    Node(Node),
}

/// One FROM item, bound.
pub(super) struct Relation {
    pub source: RelationSource,
    pub width: usize,
    /// Position of its first column in the syntactic row layout.
    pub offset: usize,
    /// How it joins the relations before it (ignored for the first).
    pub kind: JoinKind,
    /// Its join's ON / USING conjuncts, over the syntactic layout.
    pub on: Vec<Expr>,
}

impl Binder<'_> {
    /// Binds FROM and WHERE into a node whose rows follow the syntactic layout of `Scope`.
    pub(super) fn bind_from(
        &mut self,
        from: &[ast::TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<(Node, Scope)> {
        let mut relations: Vec<Relation> = Vec::new();
        let mut scope = Scope::default();
        for item in from {
            self.add_relation(
                &item.relation,
                JoinKind::Inner,
                None,
                &mut relations,
                &mut scope,
            )?;
            for join in &item.joins {
                if join.global {
                    return Err(unsupported("GLOBAL JOIN"));
                }
                let (kind, constraint) = match &join.join_operator {
                    JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => {
                        (JoinKind::Inner, c)
                    }
                    JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
                    JoinOperator::Right(_) | JoinOperator::RightOuter(_) => {
                        return Err(unsupported("RIGHT JOIN"))
                    }
                    JoinOperator::FullOuter(_) => return Err(unsupported("FULL OUTER JOIN")),
                    other => return Err(unsupported(format!("join {other:?}"))),
                };
                self.add_relation(
                    &join.relation,
                    kind,
                    Some(constraint),
                    &mut relations,
                    &mut scope,
                )?;
            }
        }
        let where_terms = match selection {
            Some(predicate) => self.bind_expr(predicate, &scope)?.into_conjuncts(),
            None => Vec::new(),
        };
        if relations.is_empty() {
            let node = Node::Values {
                rows: vec![Vec::new()],
            };
            let node = match Expr::from_conjuncts(where_terms) {
                Some(predicate) => Node::Filter {
                    input: Box::new(node),
                    predicate,
                },
                None => node,
            };
            return Ok((node, scope));
        }
        let node = plan_joins(relations, where_terms)?;
        Ok((node, scope))
    }

    /// Binds one FROM item and its join constraint, appending it to `relations` and `scope`.
    fn add_relation(
        &mut self,
        factor: &TableFactor,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
        relations: &mut Vec<Relation>,
        scope: &mut Scope,
    ) -> Result<()> {
        if relations.len() >= crate::limits::JOIN_RELATIONS_MAX {
            return Err(crate::err!(
                Limit,
                "more than {} tables in one FROM clause",
                crate::limits::JOIN_RELATIONS_MAX
            ));
        }
        let (source, own_scope) = self.bind_factor(factor)?;
        let offset = scope.columns.len();
        let width = own_scope.columns.len();
        let left_width = offset;
        scope.columns.extend(own_scope.columns);
        let mut on = Vec::new();
        match constraint {
            None | Some(JoinConstraint::None) => {}
            Some(JoinConstraint::On(expr)) => on = self.bind_expr(expr, scope)?.into_conjuncts(),
            Some(JoinConstraint::Using(names)) => {
                for name in names {
                    let name = object_name(name)?;
                    on.push(merge_columns(scope, left_width, offset, &name)?);
                }
            }
            Some(JoinConstraint::Natural) => {
                let right_names: Vec<String> = scope.columns[offset..]
                    .iter()
                    .map(|column| column.name.clone())
                    .collect();
                for name in right_names {
                    let on_left = scope.columns[..left_width]
                        .iter()
                        .any(|c| !c.hidden && c.name.eq_ignore_ascii_case(&name));
                    if on_left {
                        on.push(merge_columns(scope, left_width, offset, &name)?);
                    }
                }
            }
        }
        if relations.is_empty() && !on.is_empty() {
            return Err(crate::err!(
                InvalidInput,
                "a join constraint needs a table on its left"
            ));
        }
        relations.push(Relation {
            source,
            width,
            offset,
            kind,
            on,
        });
        Ok(())
    }

    /// Binds a table, view, system table or subquery in FROM.
    fn bind_factor(&mut self, factor: &TableFactor) -> Result<(RelationSource, Scope)> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: None,
                partitions,
                ..
            } if with_hints.is_empty() && partitions.is_empty() => {
                if let Some(system) = self.system_table(name) {
                    let (node, scope) = self.bind_system_table(system, alias.as_ref())?;
                    return Ok((RelationSource::Node(node), scope));
                }
                if let Some(view) = self.catalog.view(&object_name(name)?).cloned() {
                    if self.catalog.table(&view.name).is_none() {
                        let qualifier = table_alias(alias.as_ref(), &view.name)?;
                        let query = self.bind_view(&view)?;
                        let mut scope = Scope::for_table(&qualifier, query.columns);
                        super::compare::take_output_meta(&mut scope, &query.node);
                        return Ok((RelationSource::Node(query.node), scope));
                    }
                }
                let table = self.table(name)?;
                let qualifier = table_alias(alias.as_ref(), &table.name)?;
                let scope = Scope::for_columns(&qualifier, &table.columns);
                Ok((RelationSource::Table(table), scope))
            }
            TableFactor::Derived {
                lateral: false,
                subquery,
                alias,
                ..
            } => {
                let query = self.bind_query(subquery)?;
                let mut names = query.columns;
                let qualifier = match alias {
                    Some(alias) => {
                        if !alias.columns.is_empty() {
                            if alias.columns.len() != names.len() {
                                return Err(crate::err!(
                                    InvalidInput,
                                    "subquery {} has {} columns but {} names",
                                    alias.name.value,
                                    names.len(),
                                    alias.columns.len()
                                ));
                            }
                            names = alias.columns.iter().map(|c| c.name.value.clone()).collect();
                        }
                        alias.name.value.clone()
                    }
                    None => String::new(),
                };
                let mut scope = Scope::for_table(&qualifier, names);
                super::compare::take_output_meta(&mut scope, &query.node);
                if alias.is_none() {
                    scope
                        .columns
                        .iter_mut()
                        .for_each(|column| column.table = None);
                }
                Ok((RelationSource::Node(query.node), scope))
            }
            other => Err(unsupported(format!("FROM item {other}"))),
        }
    }
}

/// The qualifier of a table in FROM: its alias, else its name.
fn table_alias(alias: Option<&ast::TableAlias>, name: &str) -> Result<String> {
    match alias {
        Some(alias) if alias.columns.is_empty() => Ok(alias.name.value.clone()),
        Some(_) => Err(unsupported("column aliases on a table")),
        None => Ok(name.to_string()),
    }
}

/// For `USING (name)` / NATURAL: `left.name = right.name`, hiding the right column so `*` and
/// unqualified `name` see it once.
fn merge_columns(scope: &mut Scope, left_width: usize, offset: usize, name: &str) -> Result<Expr> {
    let find = |range: std::ops::Range<usize>, scope: &Scope| {
        let mut found = range.clone().filter(|&i| {
            !scope.columns[i].hidden && scope.columns[i].name.eq_ignore_ascii_case(name)
        });
        let first = found.next();
        match (first, found.next()) {
            (Some(index), None) => Ok(index),
            (None, _) => Err(crate::err!(
                NotFound,
                "cannot join using column {name} - column not present in both tables"
            )),
            (Some(_), Some(_)) => Err(crate::err!(InvalidInput, "ambiguous column name: {name}")),
        }
    };
    let left = find(0..left_width, scope)?;
    let right = find(offset..scope.columns.len(), scope)?;
    scope.columns[right].hidden = true;
    let column = |index: usize| Expr::Column {
        index,
        name: name.to_string(),
        meta: scope.columns[index].meta,
    };
    Ok(Expr::Binary(
        BinaryOp::Equal,
        Box::new(column(left)),
        Box::new(column(right)),
    ))
}
