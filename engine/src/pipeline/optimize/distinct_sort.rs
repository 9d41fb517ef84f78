//! `SELECT DISTINCT exprs .. ORDER BY keys` sorts after removing duplicates when every sort
//! key is one of the output expressions (by position, alias or the same expression, under
//! any collation): the binder's `Distinct(Project(Sort(input)))` becomes
//! `Sort(Distinct(Project(input)))`, the keys reading the output columns. The hash set then
//! sees every input row as before, but the sort orders only the distinct rows (SQLite too
//! deduplicates before it sorts), and a LIMIT above bounds that sort (`top_k.rs`).
//!
//! Both plans return the same rows: each distinct output row once, ordered by values the
//! row itself holds. Rows equal under the sort keys but distinct stay in an unspecified
//! order, as SQL leaves them. A key that is not an output expression keeps the plan: which
//! of a duplicate's input rows sorts it would change the order.

use crate::expr::Expr;
use crate::plan::{Node, SortKey};

/// Applies the rewrite (see the module comment) to the query tree `node`, whose output
/// columns are named `names`.
pub fn sort_distinct_rows(node: &mut Node, names: &[String]) {
    let Node::Distinct { input, .. } = node else {
        return;
    };
    let Node::Project {
        input: below,
        exprs,
    } = input.as_mut()
    else {
        return;
    };
    let Node::Sort {
        keys, top: None, ..
    } = below.as_ref()
    else {
        return;
    };
    let Some(output_keys) = keys
        .iter()
        .map(|key| output_key(key, exprs, names))
        .collect::<Option<Vec<SortKey>>>()
    else {
        return;
    };
    // Take the sort out from between the projection and its input ...
    let placeholder = Node::Values { rows: Vec::new() };
    let Node::Sort { input: sorted, .. } = std::mem::replace(below.as_mut(), placeholder) else {
        debug_assert!(false, "matched a Sort above");
        return;
    };
    **below = *sorted;
    // ... and put it above the DISTINCT.
    let distinct = std::mem::replace(node, Node::Values { rows: Vec::new() });
    *node = Node::Sort {
        input: Box::new(distinct),
        keys: output_keys,
        top: None,
    };
}

/// `key` rewritten to read the output column whose expression (among `exprs`, named
/// `names`) it sorts by, directly or under a built-in collation; `None` when it sorts by
/// anything else.
fn output_key(key: &SortKey, exprs: &[Expr], names: &[String]) -> Option<SortKey> {
    let column = |expr: &Expr| {
        let index = exprs.iter().position(|output| output == expr)?;
        Some(Expr::Column {
            index,
            name: names.get(index).cloned().unwrap_or_default(),
            meta: Default::default(),
        })
    };
    let expr = match (column(&key.expr), &key.expr) {
        (Some(whole), _) => whole,
        (None, Expr::CollationKey { expr, collation }) => {
            // `COLLATE` only names the collation the key already applies.
            let mut inner = expr.as_ref();
            while let Expr::Collate { expr, .. } = inner {
                inner = expr;
            }
            Expr::CollationKey {
                expr: Box::new(column(expr).or_else(|| column(inner))?),
                collation: *collation,
            }
        }
        (None, _) => return None,
    };
    Some(SortKey {
        expr,
        descending: key.descending,
        nulls_first: key.nulls_first,
        collation: key.collation.clone(),
    })
}
