//! Top-k sorts: a `Sort` directly under a `Limit` (through at most a projection) whose
//! LIMIT and OFFSET are literals or parameters needs only its first `limit + offset` rows,
//! so it gets a `SortTop` bound and runs as a top-k (`exec::sort::top_k`) instead of a full sort.
//! The top-k also skips the first OFFSET rows itself (left unsorted among themselves, not
//! read whole, and not projected by a projection between the two), so the `Limit` above
//! keeps its LIMIT and loses its OFFSET.
//!
//! A LIMIT that is any other expression (a subquery, a function call such as `random()`)
//! keeps the full sort: the bound is evaluated a second time, which must give the same
//! count the `Limit` evaluates.

use crate::expr::Expr;
use crate::plan::{Node, SortTop};

/// Gives the sort that `node` (the input of a `Limit` with these counts) ends in a top-k
/// bound, when the counts allow it; whether the sort then skips the OFFSET (the `Limit`
/// above must not).
pub fn bound_sort(node: &mut Node, limit: Option<&Expr>, offset: Option<&Expr>) -> bool {
    let Some(limit) = limit.filter(|limit| is_fixed_count(limit)) else {
        return false;
    };
    if offset.is_some_and(|offset| !is_fixed_count(offset)) {
        return false;
    }
    let sort = match node {
        Node::Project { input, .. } => input.as_mut(),
        other => other,
    };
    let Node::Sort { top, .. } = sort else {
        return false;
    };
    *top = Some(Box::new(SortTop {
        limit: limit.clone(),
        offset: offset.cloned(),
        threshold: None,
    }));
    offset.is_some()
}

/// Whether `expr` always evaluates to the same value within one execution: literals and
/// parameters, combined by operators.
pub(super) fn is_fixed_count(expr: &Expr) -> bool {
    match expr {
        Expr::Literal(_) | Expr::Parameter(_) => true,
        Expr::Unary(_, operand) => is_fixed_count(operand),
        Expr::Binary(_, left, right) => is_fixed_count(left) && is_fixed_count(right),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ember_storage::Value;

    fn sort_node() -> Node {
        Node::Sort {
            input: Box::new(Node::Values { rows: Vec::new() }),
            keys: Vec::new(),
            top: None,
        }
    }

    fn bounded(node: &Node) -> bool {
        match node {
            Node::Sort { top, .. } => top.is_some(),
            Node::Project { input, .. } => bounded(input),
            _ => false,
        }
    }

    #[test]
    fn literal_and_parameter_counts_bound_the_sort() {
        let ten = Expr::Literal(Value::Integer(10));
        let mut node = sort_node();
        bound_sort(&mut node, Some(&ten), Some(&Expr::Parameter(0)));
        assert!(bounded(&node));
        let mut projected = Node::Project {
            input: Box::new(sort_node()),
            exprs: Vec::new(),
        };
        bound_sort(&mut projected, Some(&Expr::Parameter(0)), None);
        assert!(bounded(&projected));
    }

    #[test]
    fn other_counts_and_shapes_keep_the_full_sort() {
        let mut node = sort_node();
        bound_sort(&mut node, None, None);
        assert!(!bounded(&node));
        let column = Expr::Column {
            index: 0,
            name: "a".into(),
            meta: Default::default(),
        };
        bound_sort(&mut node, Some(&column), None);
        assert!(!bounded(&node));
        let ten = Expr::Literal(Value::Integer(10));
        bound_sort(&mut node, Some(&ten), Some(&column));
        assert!(!bounded(&node));
        let mut distinct = Node::Distinct {
            input: Box::new(sort_node()),
            collations: Vec::new(),
            strategy: crate::plan::DistinctStrategy::Hash,
        };
        bound_sort(&mut distinct, Some(&ten), None);
        assert!(!bounded(&distinct));
    }
}
