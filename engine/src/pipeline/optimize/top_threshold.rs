//! The top-k threshold rule: a top-k sort whose keys read only the streamed side of a join
//! below it shares its threshold with that join, which then drops a streamed row whose
//! key cannot enter the top before joining it (`exec/sort/top_threshold.rs`). The join
//! gated is the deepest one reached from the sort through filters, bare-column
//! projections and joins' streamed sides; EXPLAIN marks the sort (`threshold pushed`) and
//! the join (`top-k threshold on left` / `on right`).
//!
//! It applies when every joined row of a streamed row carries that row's key and comes
//! after it in input order, and the key is the same however often it is evaluated:
//! - the keys read columns of the streamed input only, hold no subquery, no function
//!   whose value changes from call to call, and no application collation;
//! - the join is an index join (its left input streams), an INNER or LEFT hash or
//!   nested-loop join streaming its left input (also anti and existence joins, whose
//!   output row is the left row), or an INNER join built on its left, streaming its
//!   right. Never a RIGHT or FULL join, whose unmatched right rows come last with a NULL
//!   left side.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::expr::Expr;
use crate::plan::{Join, JoinKind, JoinSide, Node, SortKey, TopGate};

/// The next threshold id: unique among every plan this process makes, so a top-k and its
/// gate never meet another top-k's threshold in one execution.
static NEXT_THRESHOLD: AtomicU64 = AtomicU64::new(1);

/// Gives each top-k sort of `node`'s tree whose keys allow it a gate on a join below it.
pub fn push_top_thresholds(node: &mut Node) {
    node.for_each_input_mut(&mut push_top_thresholds);
    let Node::Sort {
        input,
        keys,
        top: Some(top),
    } = node
    else {
        return;
    };
    if top.threshold.is_some() || !keys.iter().all(gateable) {
        return;
    }
    let id = NEXT_THRESHOLD.fetch_add(1, Ordering::Relaxed);
    if gate_below(input, keys, id) {
        top.threshold = Some(id);
    }
}

/// Whether a sort key can be evaluated on a streamed row instead of the joined row with
/// the same result.
fn gateable(key: &SortKey) -> bool {
    key.collation.is_none() && !key.expr.has_subquery() && is_repeatable(&key.expr)
}

/// Whether `expr` gives the same value each time it is evaluated on one row.
fn is_repeatable(expr: &Expr) -> bool {
    let mut repeatable = true;
    expr.walk(&mut |node| match node {
        Expr::Function { function, .. } if !function.is_deterministic() => repeatable = false,
        Expr::UserFunction { function, .. } if !function.is_deterministic() => repeatable = false,
        _ => {}
    });
    repeatable
}

/// Gates the deepest join reachable from `node` whose streamed rows hold every column
/// `keys` (over `node`'s rows) read; whether one was gated.
fn gate_below(node: &mut Node, keys: &[SortKey], id: u64) -> bool {
    match node {
        Node::Filter { input, .. } => gate_below(input, keys, id),
        Node::Project { input, exprs } => match through_projection(keys, exprs) {
            Some(keys) => gate_below(input, &keys, id),
            None => false,
        },
        Node::Join(join) => gate_join(join, keys, id),
        _ => false,
    }
}

/// `keys` over a projection's input rows, when every column they read is a bare column
/// of it.
fn through_projection(keys: &[SortKey], exprs: &[Expr]) -> Option<Vec<SortKey>> {
    let bare = |column: usize| match exprs.get(column) {
        Some(Expr::Column { index, .. }) => Some(*index),
        _ => None,
    };
    let all_bare = keys.iter().all(|key| {
        key.expr
            .columns_read()
            .into_iter()
            .all(|c| bare(c).is_some())
    });
    all_bare.then(|| remap(keys, &|column| bare(column).unwrap_or(column)))
}

/// Gates `join` (or a join on its streamed side) for `keys` over its joined rows.
fn gate_join(join: &mut Join, keys: &[SortKey], id: u64) -> bool {
    let Some(side) = streamed_side(join) else {
        return false;
    };
    let left_width = join.left_width;
    let columns: Vec<usize> = keys
        .iter()
        .flat_map(|key| key.expr.columns_read())
        .collect();
    let side_keys = match side {
        JoinSide::Left if columns.iter().all(|&c| c < left_width) => keys.to_vec(),
        JoinSide::Right if columns.iter().all(|&c| c >= left_width) => {
            remap(keys, &|column| column - left_width)
        }
        _ => return false,
    };
    let streamed = match side {
        JoinSide::Left => &mut join.left,
        JoinSide::Right => &mut join.right,
    };
    if gate_below(streamed, &side_keys, id) {
        return true;
    }
    join.top_gate = Some(Box::new(TopGate {
        threshold: id,
        side,
        keys: side_keys,
    }));
    true
}

/// The input of `join` whose rows stream through it one at a time, each joined row
/// carrying that row, when the join is one the rule applies to (module comment).
fn streamed_side(join: &Join) -> Option<JoinSide> {
    match join.kind {
        JoinKind::Inner | JoinKind::Left if join.probe.is_some() || !join.build_left => {
            Some(JoinSide::Left)
        }
        JoinKind::Inner if join.build_left => Some(JoinSide::Right),
        _ => None,
    }
}

/// A copy of `keys` with every column position replaced by `map(position)`.
fn remap(keys: &[SortKey], map: &dyn Fn(usize) -> usize) -> Vec<SortKey> {
    keys.iter()
        .map(|key| SortKey {
            expr: key.expr.map_columns(map),
            ..key.clone()
        })
        .collect()
}
