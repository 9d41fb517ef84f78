//! Correlated `[NOT] EXISTS` in WHERE as semi and anti joins. A WHERE conjunct
//! `[NOT] EXISTS (SELECT .. FROM r WHERE ..)` whose subquery reads one base table, and
//! whose filter's conjuncts are each
//! - uncorrelated (reads only r's row, no subquery): a filter of r's access;
//! - `inner = outer` (one side reads only r's row, the other only this query's row, both
//!   pure): a join key (at least one is needed);
//! - any other pure expression of both rows: the join condition,
//!
//! is planned as a join of this query's row with r (`Join::existence`): each row is kept
//! once when some row of r joins it (EXISTS) or when none does (NOT EXISTS), through an
//! index probe or a hash table as for any join, instead of running the subquery per row.
//! The answer is the subquery's: the join's key equalities are SQL equalities (a NULL key
//! joins nothing, so `NOT EXISTS` keeps a row whose key is NULL), the first joining row
//! decides (duplicates in r do not repeat the row), and the subquery's select list, which
//! EXISTS never reads, may only be columns and literals. Any other shape (a conjunct under
//! OR, aggregates, LIMIT, DISTINCT, joins or subqueries inside) keeps the per-row subquery.

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::expr::{BinaryOp, Expr, SubqueryKind};
use crate::plan::{AccessPath, Existence, Join, JoinKind, Node};

use super::{choose_access, join_access, table_rows};

/// A WHERE conjunct planned as an existence join.
pub(super) struct ExistsJoin {
    table: Arc<TableDef>,
    /// The uncorrelated conjuncts, over r's row.
    filter: Vec<Expr>,
    /// Join keys: over this query's row, and over r's row.
    outer_keys: Vec<Expr>,
    inner_keys: Vec<Expr>,
    /// The other correlated conjuncts, over r's row with `OuterColumn`s of level 1 (mapped
    /// when the join is made).
    condition: Vec<Expr>,
    existence: Existence,
}

/// Takes the conjuncts of `terms` that are existence joins out of it.
pub(super) fn take_exists_joins(terms: &mut Vec<Expr>) -> Vec<ExistsJoin> {
    let mut joins = Vec::new();
    terms.retain(|term| match exists_join(term) {
        Some(join) => {
            joins.push(join);
            false
        }
        None => true,
    });
    joins
}

/// `term` as an existence join, if it has the shape the module comment describes.
fn exists_join(term: &Expr) -> Option<ExistsJoin> {
    let Expr::Subquery(subquery) = term else {
        return None;
    };
    let SubqueryKind::Exists { negated } = subquery.kind else {
        return None;
    };
    if !subquery.correlated {
        return None;
    }
    let access = match &subquery.query.node {
        Node::Scan(access) => access,
        Node::Project { input, exprs } if exprs.iter().all(is_plain) => match input.as_ref() {
            Node::Scan(access) => access,
            _ => return None,
        },
        _ => return None,
    };
    let table = Arc::clone(&access.table);
    // The access's filter is the subquery's WHERE plus the table's expiry test, which
    // `choose_access` adds again.
    let expiry = crate::plan::expiry_test(&table);
    let mut join = ExistsJoin {
        table,
        filter: Vec::new(),
        outer_keys: Vec::new(),
        inner_keys: Vec::new(),
        condition: Vec::new(),
        existence: if negated {
            Existence::Anti
        } else {
            Existence::Semi
        },
    };
    let conjuncts = access.filter.clone()?.into_conjuncts();
    for conjunct in conjuncts {
        if expiry.as_ref() == Some(&conjunct) {
            continue;
        }
        let reads = reads_of(&conjunct)?;
        if !reads.outer {
            join.filter.push(conjunct);
            continue;
        }
        match key_pair(&conjunct) {
            Some((outer, inner)) => {
                join.outer_keys.push(lift_outer(outer));
                join.inner_keys.push(inner.clone());
            }
            None => join.condition.push(conjunct),
        }
    }
    (!join.outer_keys.is_empty()).then_some(join)
}

/// A select-list item EXISTS may skip: evaluating it cannot fail or have an effect.
fn is_plain(expr: &Expr) -> bool {
    matches!(
        expr,
        Expr::Column { .. } | Expr::OuterColumn { .. } | Expr::Literal(_)
    )
}

/// What a pure conjunct of the subquery reads.
struct Reads {
    inner: bool,
    outer: bool,
}

/// What `expr` reads; `None` when it is not pure (a subquery, an application function, a
/// non-deterministic function) or reads a query further out than this one.
fn reads_of(expr: &Expr) -> Option<Reads> {
    let (mut inner, mut outer, mut pure) = (false, false, true);
    expr.walk(&mut |node| match node {
        Expr::Column { .. } => inner = true,
        Expr::OuterColumn { level: 1, .. } => outer = true,
        Expr::OuterColumn { .. } | Expr::Subquery(_) | Expr::UserFunction { .. } => pure = false,
        Expr::Function { function, .. } if !function.is_deterministic() => pure = false,
        _ => {}
    });
    pure.then_some(Reads { inner, outer })
}

/// If `conjunct` is `inner = outer` (one side reads only r's row, the other only this
/// query's): (outer side, inner side).
fn key_pair(conjunct: &Expr) -> Option<(&Expr, &Expr)> {
    let Expr::Binary(BinaryOp::Equal, left, right) = conjunct else {
        return None;
    };
    let side = |expr: &Expr| reads_of(expr).map(|reads| (reads.inner, reads.outer));
    match (side(left)?, side(right)?) {
        ((true, false), (false, true)) => Some((right, left)),
        ((false, true), (true, false)) => Some((left, right)),
        _ => None,
    }
}

/// `expr` (reading only this query's row as `OuterColumn`s of level 1) over that row.
fn lift_outer(expr: &Expr) -> Expr {
    expr.map_leaves(&|leaf| match leaf {
        Expr::OuterColumn {
            level: 1,
            index,
            name,
            meta,
        } => Some(Expr::Column {
            index: *index,
            name: name.clone(),
            meta: *meta,
        }),
        _ => None,
    })
}

/// `node` (about `rows` rows of `width` values, this query's row layout) joined with each
/// of `joins` in turn: the rows that pass them all, unchanged.
pub(super) fn attach(mut node: Node, width: usize, rows: u64, joins: Vec<ExistsJoin>) -> Node {
    for exists in joins {
        let access = choose_access(exists.table, Expr::from_conjuncts(exists.filter));
        let inner_rows = match &access.path {
            AccessPath::FullScan => table_rows(&access.table),
            AccessPath::KeyRange(range) => super::key_range_rows(range, &access.table),
            _ => 1,
        };
        let right_width = access.table.columns.len();
        let right = Node::Scan(access);
        let choice = join_access(
            &right,
            &exists.outer_keys,
            &exists.inner_keys,
            rows,
            inner_rows,
            false,
        );
        // The condition reads this query's row, then r's.
        let condition = exists
            .condition
            .iter()
            .map(|term| {
                term.map_leaves(&|leaf| match leaf {
                    Expr::Column { index, name, meta } => Some(Expr::Column {
                        index: width + index,
                        name: name.clone(),
                        meta: *meta,
                    }),
                    Expr::OuterColumn { .. } => Some(lift_outer(leaf)),
                    _ => None,
                })
            })
            .collect();
        node = Node::Join(Box::new(Join {
            kind: JoinKind::Left,
            left: node,
            right,
            left_keys: exists.outer_keys,
            right_keys: exists.inner_keys,
            condition: Expr::from_conjuncts(condition),
            left_width: width,
            right_width,
            probe: choice.probe.map(Box::new),
            build_left: false,
            unmatched_only: false,
            existence: Some(exists.existence),
            bloom: None,
            top_gate: None,
        }));
    }
    node
}
