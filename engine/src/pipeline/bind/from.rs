//! Binding of FROM and WHERE: each FROM item (table, view, system table, subquery) becomes a
//! `Relation`; joins' ON / USING / NATURAL constraints and WHERE become conjuncts over the
//! syntactic row layout (every relation's columns in FROM order). `optimize::plan_joins` then
//! places each conjunct and orders the joins. A parenthesized join is flattened into the
//! list or bound as one relation; a RIGHT / FULL join is planned where it stands
//! (`outer_join.rs`).

use sqlparser::ast::{self, JoinConstraint, JoinOperator, TableFactor};

use crate::error::{unsupported, Result};
use crate::expr::{BinaryOp, Expr};
use crate::optimize::plan_joins;
use crate::plan::{IndexHint, JoinKind, Node, Relation, RelationSource};

use super::outer_join::collapse;
use super::{object_name, Binder, Scope};

/// The (left, right) column pairs a USING / NATURAL join merged.
type MergedColumns = Vec<(usize, usize)>;

/// The FROM clause bound so far.
#[derive(Default)]
pub(super) struct FromState {
    pub relations: Vec<Relation>,
    pub scope: Scope,
    /// ON terms of inner joins that attach a flattened parenthesized join: WHERE-like.
    pub inner_terms: Vec<Expr>,
    /// Where the innermost parenthesized join being flattened starts: a USING / NATURAL
    /// inside it sees only columns from here on its left.
    pub base: usize,
}

impl Binder<'_> {
    /// Binds FROM and WHERE into a node whose rows follow the syntactic layout of `Scope`.
    pub(super) fn bind_from(
        &mut self,
        from: &[ast::TableWithJoins],
        selection: Option<&ast::Expr>,
    ) -> Result<(Node, Scope)> {
        let FromState {
            relations,
            scope,
            inner_terms,
            ..
        } = self.bind_from_items(from)?;
        let mut where_terms = match selection {
            Some(predicate) => self.bind_expr(predicate, &scope)?.into_conjuncts(),
            None => Vec::new(),
        };
        where_terms.extend(inner_terms);
        Ok((plan_from(relations, where_terms)?, scope))
    }

    /// The FROM items bound as relations, not yet planned (`plan_from` plans them).
    pub(super) fn bind_from_items(&mut self, from: &[ast::TableWithJoins]) -> Result<FromState> {
        let mut state = FromState::default();
        for item in from {
            self.add_join_tree(item, JoinKind::Inner, None, &mut state)?;
        }
        Ok(state)
    }

    /// Adds one FROM item with its joins, the first attached by `kind` / `constraint`.
    fn add_join_tree(
        &mut self,
        item: &ast::TableWithJoins,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
        state: &mut FromState,
    ) -> Result<()> {
        self.add_item(&item.relation, kind, constraint, state)?;
        for join in &item.joins {
            if join.global {
                return Err(unsupported("GLOBAL JOIN"));
            }
            let (kind, constraint) = join_kind(&join.join_operator)?;
            self.add_item(&join.relation, kind, Some(constraint), state)?;
        }
        Ok(())
    }

    /// Adds one FROM item: a parenthesized join is flattened into the FROM list when it
    /// holds only inner and LEFT joins and attaches by an inner join (the same rows, and
    /// the planner may reorder it), else bound on its own as one relation.
    fn add_item(
        &mut self,
        factor: &TableFactor,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
        state: &mut FromState,
    ) -> Result<()> {
        let TableFactor::NestedJoin {
            table_with_joins: nested,
            alias,
        } = factor
        else {
            let (source, own_scope) = match self.bind_table_function(factor, &state.scope)? {
                Some(bound) => bound,
                None => self.bind_factor(factor)?,
            };
            return self.add_relation(source, own_scope, kind, constraint, state);
        };
        if let Some(alias) = alias {
            return self.add_aliased_join(nested, alias, kind, constraint, state);
        }
        if nested.joins.is_empty() {
            return self.add_item(&nested.relation, kind, constraint, state);
        }
        let flat = kind == JoinKind::Inner
            && nested.joins.iter().all(|join| {
                matches!(
                    join_kind(&join.join_operator),
                    Ok((JoinKind::Inner | JoinKind::Left, _))
                )
            });
        if !flat {
            let (node, own_scope) = self.bind_from(std::slice::from_ref(nested.as_ref()), None)?;
            return self.add_relation(
                RelationSource::Node(node),
                own_scope,
                kind,
                constraint,
                state,
            );
        }
        let offset = state.scope.columns.len();
        let first = state.relations.len();
        let base = std::mem::replace(&mut state.base, offset);
        let added = self.add_join_tree(nested, JoinKind::Inner, None, state);
        state.base = base;
        added?;
        let left = base..offset;
        let (on, _) = self.bind_constraint(constraint, left, offset, &mut state.scope)?;
        if first == 0 && !on.is_empty() {
            return Err(crate::err!(
                InvalidInput,
                "a join constraint needs a table on its left"
            ));
        }
        state.inner_terms.extend(on);
        Ok(())
    }

    /// `( ... ) AS alias`, as SQLite reads it: a single parenthesized item takes the alias
    /// instead of its own; a join is bound on its own, as one relation, whose columns the
    /// alias also names (see `Scope::alias_join`).
    fn add_aliased_join(
        &mut self,
        nested: &ast::TableWithJoins,
        alias: &ast::TableAlias,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
        state: &mut FromState,
    ) -> Result<()> {
        let name = table_alias(Some(alias), "")?;
        if nested.joins.is_empty() {
            let mut item = nested.relation.clone();
            match &mut item {
                TableFactor::Table { alias: own, .. }
                | TableFactor::Derived { alias: own, .. }
                | TableFactor::NestedJoin { alias: own, .. }
                | TableFactor::Function { alias: own, .. }
                | TableFactor::TableFunction { alias: own, .. } => *own = Some(alias.clone()),
                other => return Err(unsupported(format!("an alias on ({other})"))),
            }
            return self.add_item(&item, kind, constraint, state);
        }
        let (node, mut own_scope) = self.bind_from(std::slice::from_ref(nested), None)?;
        own_scope.alias_join(&name);
        self.add_relation(
            RelationSource::Node(node),
            own_scope,
            kind,
            constraint,
            state,
        )
    }

    /// Appends one bound FROM item and its join constraint to `state`. A RIGHT or FULL join
    /// is planned at once with everything on its left as one relation (see `outer_join`).
    fn add_relation(
        &mut self,
        source: RelationSource,
        own_scope: Scope,
        kind: JoinKind,
        constraint: Option<&JoinConstraint>,
        state: &mut FromState,
    ) -> Result<()> {
        if state.relations.len() >= crate::limits::JOIN_RELATIONS_MAX {
            return Err(crate::err!(
                Limit,
                "more than {} tables in one FROM clause",
                crate::limits::JOIN_RELATIONS_MAX
            ));
        }
        let outer = matches!(kind, JoinKind::Right | JoinKind::Full);
        if outer && !state.relations.is_empty() {
            collapse(state, Vec::new(), kind)?;
        }
        let offset = state.scope.columns.len();
        let width = own_scope.columns.len();
        state.scope.append(own_scope);
        let left = state.base..offset;
        let (on, merged) = self.bind_constraint(constraint, left, offset, &mut state.scope)?;
        if state.relations.is_empty() && !on.is_empty() {
            return Err(crate::err!(
                InvalidInput,
                "a join constraint needs a table on its left"
            ));
        }
        state.relations.push(Relation {
            source,
            width,
            offset,
            kind,
            on,
        });
        if outer && state.relations.len() > 1 {
            collapse(state, merged, kind)?;
        }
        Ok(())
    }

    /// Binds a join's ON / USING / NATURAL over `scope` (the left side is `left`, the joined
    /// item `offset..`): its conjuncts, and the (left, right) columns USING or NATURAL
    /// merged.
    fn bind_constraint(
        &mut self,
        constraint: Option<&JoinConstraint>,
        left: std::ops::Range<usize>,
        offset: usize,
        scope: &mut Scope,
    ) -> Result<(Vec<Expr>, MergedColumns)> {
        let mut on = Vec::new();
        let mut merged = Vec::new();
        match constraint {
            None | Some(JoinConstraint::None) => {}
            Some(JoinConstraint::On(expr)) => on = self.bind_expr(expr, scope)?.into_conjuncts(),
            Some(JoinConstraint::Using(names)) => {
                for name in names {
                    let name = object_name(name)?;
                    on.push(merge_columns(
                        scope,
                        left.clone(),
                        offset,
                        &name,
                        &mut merged,
                    )?);
                }
            }
            Some(JoinConstraint::Natural) => {
                let right_names: Vec<String> = scope.columns[offset..]
                    .iter()
                    .filter(|column| !column.hidden)
                    .map(|column| column.join_name().to_string())
                    .collect();
                for name in right_names {
                    let on_left = scope.columns[left.clone()]
                        .iter()
                        .any(|c| !c.hidden && c.join_name().eq_ignore_ascii_case(&name));
                    if on_left {
                        on.push(merge_columns(
                            scope,
                            left.clone(),
                            offset,
                            &name,
                            &mut merged,
                        )?);
                    }
                }
            }
        }
        Ok((on, merged))
    }

    /// Binds a table, view, system table or subquery in FROM.
    fn bind_factor(&mut self, factor: &TableFactor) -> Result<(RelationSource, Scope)> {
        match factor {
            TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: Some(version),
                partitions,
                ..
            } if with_hints.is_empty() && partitions.is_empty() => {
                let (node, scope) = self.bind_as_of(name, alias.as_ref(), version)?;
                Ok((RelationSource::Node(node), scope))
            }
            TableFactor::Table {
                name,
                alias,
                args: None,
                with_hints,
                version: None,
                partitions,
                ..
            } if partitions.is_empty() => {
                // SQLite's INDEXED BY / NOT INDEXED, on a table only.
                let hint = index_hint(with_hints)?;
                if hint.is_some() && self.table(name).is_err() {
                    return Err(unsupported(
                        "INDEXED BY / NOT INDEXED on a view, a CTE or a system table",
                    ));
                }
                if let Some(cte) = self.cte_reference(name, alias.as_ref())? {
                    return Ok(cte);
                }
                if let Some(system) = self.system_table(name) {
                    let (node, scope) = self.bind_system_table(system, name, alias.as_ref())?;
                    return Ok((RelationSource::Node(node), scope));
                }
                let (plain, catalog) = self.schema_of(name)?;
                if let Some(view) = catalog.view(&plain).cloned() {
                    // A temporary view shadows a `main` table of its name.
                    let temp_view = catalog.temp_schema().view(&view.name).is_some();
                    if catalog.table(&view.name).is_none() || temp_view {
                        let qualifier = table_alias(alias.as_ref(), &view.name)?;
                        let query = super::cte::table_rows(self.bind_view(&view)?);
                        let mut scope = Scope::for_table(&qualifier, query.columns);
                        super::compare::take_output_meta(&mut scope, &query.node);
                        return Ok((RelationSource::Node(query.node), scope));
                    }
                }
                let table = self.table(name)?;
                if let Some(IndexHint::IndexedBy(index)) = &hint {
                    if table.index(index).is_none() {
                        return Err(crate::err!(NotFound, "no such index: {index}"));
                    }
                }
                let qualifier = table_alias(alias.as_ref(), &table.name)?;
                let scope = Scope::for_table_def(&qualifier, &table);
                Ok((RelationSource::Table(table, hint), scope))
            }
            TableFactor::Derived {
                lateral: false,
                subquery,
                alias,
                ..
            } => {
                super::query_grammar::refuse_alias_columns(alias.as_ref())?;
                let query = super::cte::table_rows(self.bind_query(subquery)?);
                let names = query.columns;
                let qualifier = alias
                    .as_ref()
                    .map_or(String::new(), |a| a.name.value.clone());
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

/// SQLite's index hint of a table in FROM, as `parse.rs` writes it into the table hints
/// (`None` without one). The binder checks the index is the table's and carries the hint
/// in the table reference; the optimizer honours it (`optimize/index_hint.rs`). Other
/// table hints are not supported.
pub(super) fn index_hint(hints: &[ast::Expr]) -> Result<Option<IndexHint>> {
    let [hint] = hints else {
        return match hints {
            [] => Ok(None),
            _ => Err(unsupported("table hints WITH (..)")),
        };
    };
    let text = hint.to_string();
    if text == crate::parse::NOT_INDEXED_HINT {
        return Ok(Some(IndexHint::NotIndexed));
    }
    let index = text
        .strip_prefix(crate::parse::INDEXED_BY_HINT)
        .and_then(|rest| rest.strip_prefix("(\""))
        .and_then(|rest| rest.strip_suffix("\")"));
    match index {
        Some(index) => Ok(Some(IndexHint::IndexedBy(index.replace("\"\"", "\"")))),
        None => Err(unsupported(format!("table hint WITH ({text})"))),
    }
}

/// The qualifier of a table in FROM: its alias, else its name.
/// Plans the joins of `relations` with the conjuncts `where_terms` (over their syntactic
/// layout); no relation: the single empty row, filtered.
pub(super) fn plan_from(relations: Vec<Relation>, where_terms: Vec<Expr>) -> Result<Node> {
    if relations.is_empty() {
        let node = Node::Values {
            rows: vec![Vec::new()],
        };
        return Ok(match Expr::from_conjuncts(where_terms) {
            Some(predicate) => Node::Filter {
                input: Box::new(node),
                predicate,
            },
            None => node,
        });
    }
    plan_joins(relations, where_terms)
}

pub(super) fn table_alias(alias: Option<&ast::TableAlias>, name: &str) -> Result<String> {
    match alias {
        Some(alias) if alias.columns.is_empty() => Ok(alias.name.value.clone()),
        Some(_) => Err(unsupported("column aliases on a table")),
        None => Ok(name.to_string()),
    }
}

/// For `USING (name)` / NATURAL: `left.name = right.name`, hiding the right column so `*` and
/// unqualified `name` see it once.
fn merge_columns(
    scope: &mut Scope,
    left_range: std::ops::Range<usize>,
    offset: usize,
    name: &str,
    merged: &mut Vec<(usize, usize)>,
) -> Result<Expr> {
    let find = |range: std::ops::Range<usize>, scope: &Scope| {
        let mut found = range.clone().filter(|&i| {
            !scope.columns[i].hidden && scope.columns[i].join_name().eq_ignore_ascii_case(name)
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
    let left = find(left_range, scope)?;
    let right = find(offset..scope.columns.len(), scope)?;
    scope.columns[right].hidden = true;
    merged.push((left, right));
    let column = |index: usize| Expr::Column {
        index,
        name: name.to_string(),
        meta: scope.columns[index].meta,
    };
    // Compared as `left = right` is: affinity and collation as SQLite applies them.
    let (left, right) = super::compare::comparison(column(left), column(right));
    Ok(Expr::Binary(
        BinaryOp::Equal,
        Box::new(left),
        Box::new(right),
    ))
}

/// The join kind and constraint of a join operator.
fn join_kind(operator: &JoinOperator) -> Result<(JoinKind, &JoinConstraint)> {
    Ok(match operator {
        JoinOperator::Join(c) | JoinOperator::Inner(c) | JoinOperator::CrossJoin(c) => {
            (JoinKind::Inner, c)
        }
        JoinOperator::Left(c) | JoinOperator::LeftOuter(c) => (JoinKind::Left, c),
        JoinOperator::Right(c) | JoinOperator::RightOuter(c) => (JoinKind::Right, c),
        JoinOperator::FullOuter(c) => (JoinKind::Full, c),
        other => return Err(unsupported(format!("join {other:?}"))),
    })
}
