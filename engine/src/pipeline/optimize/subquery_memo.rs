//! Rule: a correlated subquery is memoized by its outer values (`expr/subquery_memo.rs`)
//! only where those values can repeat. Over the rows of one table (a scan, under filters,
//! sorts and limits that keep its row layout), a subquery whose reads of the row cover the
//! table's primary key or one of its UNIQUE column sets sees each combination once per
//! run of the scan: its memo would only cost (a map entry and a key copy per row), so the
//! rule turns it off (`SubqueryExpr::memo_key` = `None`).

use crate::expr::{Expr, OuterRead};
use crate::plan::Node;

/// Applies the rule to every node of `node`'s tree.
pub fn memo_only_repeating(node: &mut Node) {
    node.for_each_input_mut(&mut memo_only_repeating);
    match node {
        Node::Scan(access) => {
            let keys = key_sets(&access.table.primary_key, &access.table.unique);
            if let Some(filter) = &mut access.filter {
                drop_unrepeatable_memos(filter, &keys);
            }
        }
        Node::Project { input, exprs } => {
            let keys = unique_keys_of(input);
            for expr in exprs {
                drop_unrepeatable_memos(expr, &keys);
            }
        }
        Node::Filter { input, predicate } => {
            let keys = unique_keys_of(input);
            drop_unrepeatable_memos(predicate, &keys);
        }
        _ => {}
    }
}

/// The column sets each of which no two rows of `node` share (in `node`'s row layout).
fn unique_keys_of(node: &Node) -> Vec<Vec<usize>> {
    match node {
        Node::Scan(access) => key_sets(&access.table.primary_key, &access.table.unique),
        Node::Filter { input, .. } | Node::Sort { input, .. } | Node::Limit { input, .. } => {
            unique_keys_of(input)
        }
        _ => Vec::new(),
    }
}

fn key_sets(primary_key: &[usize], unique: &[Vec<usize>]) -> Vec<Vec<usize>> {
    let primary = (!primary_key.is_empty()).then(|| primary_key.to_vec());
    primary
        .into_iter()
        .chain(unique.iter().filter(|set| !set.is_empty()).cloned())
        .collect()
}

/// Turns off the memo of each correlated subquery in `expr` whose reads of the row cover
/// one of `keys`.
fn drop_unrepeatable_memos(expr: &mut Expr, keys: &[Vec<usize>]) {
    if keys.is_empty() {
        return;
    }
    expr.walk_mut(&mut |node| {
        let Expr::Subquery(subquery) = node else {
            return;
        };
        let covers = |key: &Vec<usize>| {
            key.iter().all(|&index| {
                subquery
                    .outer_reads
                    .contains(&OuterRead { level: 1, index })
            })
        };
        if subquery.memo_key.is_some() && keys.iter().any(covers) {
            subquery.memo_key = None;
        }
    });
}
