//! Table-valued functions whose arguments read the relations to their left
//! (`FROM t, json_each(t.doc) AS j`): those relations are planned first, with the WHERE
//! terms that read only them, into the input the function's arguments are evaluated over,
//! row by row (`exec/query/table_function.rs`).

use crate::error::{unsupported, Result};
use crate::expr::Expr;
use crate::plan::{JoinKind, Node, Relation, RelationSource};

use super::join_order::plan_joins;

/// Whether a relation is a table-valued function whose arguments read relations before it.
fn is_lateral(relation: &Relation) -> bool {
    matches!(&relation.source,
        RelationSource::Node(Node::TableFunction(scan)) if scan.lateral)
}

/// Rewrites the FROM relations so no lateral table function is left: the relations before
/// the last lateral one are planned into its input (recursively), taking the WHERE terms
/// that read only them. Returns the relations and the WHERE terms left.
pub(super) fn join_laterally(
    mut relations: Vec<Relation>,
    where_terms: Vec<Expr>,
) -> Result<(Vec<Relation>, Vec<Expr>)> {
    let Some(last) = relations.iter().rposition(is_lateral) else {
        return Ok((relations, where_terms));
    };
    let later = relations.split_off(last + 1);
    let Some(mut lateral) = relations.pop() else {
        return Err(crate::err!(Internal, "lateral relation vanished"));
    };
    let prefix_width = lateral.offset;
    let (inner_terms, mut outer_terms): (Vec<Expr>, Vec<Expr>) =
        where_terms.into_iter().partition(|term| {
            let read = term.columns_read();
            !read.is_empty()
                && read.iter().all(|&column| column < prefix_width)
                && !term.has_correlated_subquery()
        });
    let (prefix, inner_terms) = join_laterally(relations, inner_terms)?;
    let input = plan_joins(prefix, inner_terms)?;
    let RelationSource::Node(Node::TableFunction(scan)) = &mut lateral.source else {
        return Err(crate::err!(
            Internal,
            "lateral relation is not a table function"
        ));
    };
    scan.input = Some(input);
    scan.lateral = false;
    match lateral.kind {
        JoinKind::Left => {
            scan.left = true;
            scan.condition = Expr::from_conjuncts(std::mem::take(&mut lateral.on));
        }
        JoinKind::Inner => outer_terms.append(&mut lateral.on),
        JoinKind::Right | JoinKind::Full => {
            return Err(unsupported(
                "RIGHT or FULL JOIN of a table-valued function that reads the tables before it",
            ))
        }
    }
    let mut joined = vec![Relation {
        source: lateral.source,
        width: prefix_width + lateral.width,
        offset: 0,
        kind: JoinKind::Inner,
        on: Vec::new(),
    }];
    joined.extend(later);
    Ok((joined, outer_terms))
}
