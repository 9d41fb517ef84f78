//! The compound order rule: a UNION, INTERSECT or EXCEPT directly under a sort need not
//! order its distinct rows itself. Its own order (each column's collation key, NULLs
//! first, in column order: SQLite's compound sorter) only decides how the sort above
//! breaks ties, so the rule appends every column, ascending, by that key, to the sort's
//! keys, which makes the sort's order total and the same as before, and marks the compound
//! `unsorted`: it returns its rows as first read (EXPLAIN `Union (rows unsorted)`). SQLite
//! extends a compound's ORDER BY with its other columns the same way
//! (`multiSelectOrderBy`).

use crate::expr::{Collation, ColumnMeta, Expr};
use crate::plan::{Node, SetOperator, SortKey};

/// Applies the rule to every sort over a compound in `node`'s tree.
pub fn order_compounds_by_sort(node: &mut Node) {
    node.for_each_input_mut(&mut order_compounds_by_sort);
    let Node::Sort { input, keys, .. } = node else {
        return;
    };
    let Node::SetOperation {
        op,
        collations,
        width,
        unsorted,
        ..
    } = input.as_mut()
    else {
        return;
    };
    if *op == SetOperator::UnionAll || *unsorted {
        return;
    }
    for column in 0..*width {
        let collation = collations.get(column).copied().unwrap_or_default();
        let bare = Expr::Column {
            index: column,
            name: format!("#{}", column + 1),
            meta: ColumnMeta::default(),
        };
        let expr = match collation {
            Collation::Binary => bare,
            collation => Expr::CollationKey {
                expr: Box::new(bare),
                collation,
            },
        };
        keys.push(SortKey {
            expr,
            descending: false,
            nulls_first: true,
            collation: None,
        });
    }
    *unsorted = true;
}
