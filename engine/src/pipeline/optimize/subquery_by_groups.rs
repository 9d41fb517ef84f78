//! Rule: a correlated scalar subquery is decorrelated into groups (`expr/subquery_by_groups.rs`)
//! when running it once per outer row would cost more than grouping its table once.
//!
//! The subquery qualifies when it is `(SELECT <one expression of aggregates> FROM t WHERE
//! <conjuncts>)` over one table, with no GROUP BY, HAVING, LIMIT or bare column, that
//! calls nothing non-deterministic (`memo_key` is set), and whose only reads of the outer
//! row are conjuncts `t.a = outer.x` between plain columns of one affinity class (INTEGER,
//! REAL and NUMERIC are one; so no affinity is applied by the comparison) and of BINARY
//! collation.
//! Its grouped form drops those conjuncts and groups by their inner sides.
//!
//! Whether it pays is known only as it runs: a run per outer row costs a lookup and an
//! aggregate's start and end, grouping costs about half as much per row of the table. So
//! the grouped form waits until the per-row runs have cost about what grouping would
//! (`expr/subquery_by_groups.rs`), and a subquery run for a few outer rows never groups.

use std::sync::Arc;

use crate::expr::{Affinity, BinaryOp, Collation, ColumnMeta, Expr, GroupedSubquery, OuterRead};
use crate::expr::{SubqueryExpr, SubqueryKind};
use crate::plan::{AggregateOfRead, AggregateStrategy, Node, Query};

use super::access_for;

/// Applies the rule to every node of `node`'s tree: the subqueries of projections and
/// filters (a scan's included).
pub fn decorrelate_by_groups(node: &mut Node) {
    node.for_each_input_mut(&mut decorrelate_by_groups);
    match node {
        Node::Scan(access) => {
            if let Some(filter) = &mut access.filter {
                group_in(filter);
            }
        }
        Node::Project { exprs, .. } => exprs.iter_mut().for_each(group_in),
        Node::Filter { predicate, .. } => group_in(predicate),
        _ => {}
    }
}

/// Gives each qualifying subquery of `expr` its grouped form.
fn group_in(expr: &mut Expr) {
    expr.walk_mut(&mut |node| {
        if let Expr::Subquery(subquery) = node {
            if subquery.grouped.is_none() {
                subquery.grouped = grouped_form(subquery).map(Arc::new);
            }
        }
    });
}

/// The grouped form of `subquery`, when it qualifies (see the module comment).
fn grouped_form(subquery: &SubqueryExpr) -> Option<GroupedSubquery> {
    if !matches!(subquery.kind, SubqueryKind::Scalar)
        || !subquery.correlated
        || subquery.memo_key.is_none()
        || subquery.outer_reads.iter().any(|read| read.level != 1)
    {
        return None;
    }
    let plan = AggregateOfRead::of(&subquery.query.node)?;
    let (access, aggregates, [value]) = (plan.access, plan.aggregates, plan.exprs) else {
        return None;
    };
    if !plan.group_by.is_empty()
        || reads_outside(value)
        || plan.reads_bare_column(value)
        || aggregates
            .iter()
            .any(|call| call.args.iter().chain(&call.filter).any(reads_outside))
    {
        return None;
    }
    let mut keys: Vec<(Expr, OuterRead, String)> = Vec::new();
    let mut rest: Vec<Expr> = Vec::new();
    for term in access.filter.clone()?.into_conjuncts() {
        match key_equality(&term) {
            Some(key) => keys.push(key),
            None if reads_outside(&term) => return None,
            None => rest.push(term),
        }
    }
    let mut outer: Vec<OuterRead> = keys.iter().map(|(_, read, _)| *read).collect();
    outer.sort_unstable();
    outer.dedup();
    if keys.is_empty() || outer.as_slice() != &*subquery.outer_reads {
        return None;
    }
    let group_by: Vec<Expr> = keys.iter().map(|(inner, _, _)| inner.clone()).collect();
    let mut columns: Vec<String> = keys.iter().map(|(inner, _, _)| inner.to_string()).collect();
    columns.push(value.to_string());
    let mut project: Vec<Expr> = group_by.clone();
    project.push(value.clone());
    let mut node = Node::Project {
        input: Box::new(Node::Aggregate {
            input: Box::new(Node::Scan(access_for(
                access.table.clone(),
                Expr::from_conjuncts(rest),
            ))),
            group_by,
            aggregates: aggregates.to_vec(),
            input_width: plan.input_width,
            strategy: AggregateStrategy::Hash,
            bare_reads: None,
        }),
        exprs: project,
    };
    super::finish_query(&mut node);
    Some(GroupedSubquery {
        query: Query { node, columns },
        outer_keys: keys.iter().map(|(_, read, _)| *read).collect(),
        outer_names: keys.into_iter().map(|(_, _, name)| name).collect(),
        table: access.table.clone(),
    })
}

/// If `term` is `column = outer column` (either way round) that groups by SQL equality of
/// the raw values: both plain columns of BINARY collation and of one affinity class. Gives
/// the inner column, the outer read and the outer column's name.
fn key_equality(term: &Expr) -> Option<(Expr, OuterRead, String)> {
    let Expr::Binary(BinaryOp::Equal, left, right) = term else {
        return None;
    };
    let (inner, outer) = match (left.as_ref(), right.as_ref()) {
        (inner @ Expr::Column { .. }, outer @ Expr::OuterColumn { .. })
        | (outer @ Expr::OuterColumn { .. }, inner @ Expr::Column { .. }) => (inner, outer),
        _ => return None,
    };
    let (
        Expr::Column {
            meta: inner_meta, ..
        },
        Expr::OuterColumn {
            level,
            index,
            name,
            meta: outer_meta,
        },
    ) = (inner, outer)
    else {
        return None;
    };
    let compares_raw = inner_meta.collation == Collation::Binary
        && outer_meta.collation == Collation::Binary
        && affinity_class(inner_meta) == affinity_class(outer_meta);
    compares_raw.then(|| {
        let read = OuterRead {
            level: *level,
            index: *index,
        };
        (inner.clone(), read, name.clone())
    })
}

/// A column's affinity class for comparisons: numeric (INTEGER, REAL, NUMERIC), TEXT, or
/// none (BLOB, or an expression with no affinity).
fn affinity_class(meta: &ColumnMeta) -> u8 {
    match meta.affinity {
        Some(Affinity::Integer | Affinity::Real | Affinity::Numeric) => 1,
        Some(Affinity::Text) => 2,
        Some(Affinity::Blob) | None => 0,
    }
}

/// Whether `expr` reads an outer row or holds a subquery.
fn reads_outside(expr: &Expr) -> bool {
    let mut outside = false;
    expr.walk(&mut |node| {
        outside |= matches!(node, Expr::OuterColumn { .. } | Expr::Subquery(_));
    });
    outside
}
