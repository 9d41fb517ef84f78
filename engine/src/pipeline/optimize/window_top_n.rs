//! Top-N per partition: a filter that keeps only rows whose row_number(), rank() or
//! dense_rank() is at most k (`r <= k`, `r < k`, `r = k`, `r BETWEEN .. AND k`, with the
//! value reaching the filter through bare-column projections) marks the Window below it
//! (`Window::top_n`), so the Window keeps only the first rows of each partition
//! (`exec/window/window_top_n.rs`). Every row left out fails that term, and every kept row's
//! window values are those of the whole partition, because the kept rows are a prefix of
//! their partition's window order and every call of the pass depends only on the rows
//! before it (and, for a rank bound, on its peers, which are kept with it). The filter
//! stays, so the answer is the filter's either way. A `LIMIT` straight over the Window
//! bounds it the same way, by row_number (`bound_window_by_limit`).

use ember_storage::Value;

use crate::expr::{BinaryOp, Expr};
use crate::plan::{FrameBound, FrameUnits, Node, Window, WindowFunction, WindowPass, WindowTopN};

/// Marks the Window under `input` (through bare-column projections) with the tightest
/// ranking bound among `predicate`'s conjuncts, when the Window's calls allow it.
pub(super) fn bound_window(input: &mut Node, predicate: &Expr) {
    for term in predicate.clone().into_conjuncts() {
        let Some((column, limit)) = ranking_bound(&term) else {
            continue;
        };
        let Some((window, slot)) = window_column(input, column) else {
            continue;
        };
        let Some(function) = allowed_bound(window, slot) else {
            continue;
        };
        if window.top_n.is_some_and(|top| top.limit <= limit) {
            continue;
        }
        window.top_n = Some(WindowTopN {
            slot,
            function,
            limit,
        });
    }
}

/// `(column, k)` for a term that holds only when input column `column` is at most `k`
/// (an integer bound; a negative bound is 0: no ranking value is below 1).
fn ranking_bound(term: &Expr) -> Option<(usize, u64)> {
    let (column, limit) = match term {
        Expr::Binary(op, left, right) => match (left.as_ref(), right.as_ref()) {
            (Expr::Column { index, .. }, Expr::Literal(Value::Integer(k))) => {
                (*index, upper_bound(*op, *k)?)
            }
            (Expr::Literal(Value::Integer(k)), Expr::Column { index, .. }) => {
                (*index, upper_bound(flipped(*op)?, *k)?)
            }
            _ => return None,
        },
        Expr::Between {
            expr,
            high,
            negated: false,
            ..
        } => match (expr.as_ref(), high.as_ref()) {
            (Expr::Column { index, .. }, Expr::Literal(Value::Integer(k))) => (*index, *k),
            _ => return None,
        },
        _ => return None,
    };
    Some((column, u64::try_from(limit).unwrap_or(0)))
}

/// The largest value `column op k` lets through, for the operators that bound it above.
fn upper_bound(op: BinaryOp, k: i64) -> Option<i64> {
    match op {
        BinaryOp::LessOrEqual | BinaryOp::Equal => Some(k),
        BinaryOp::Less => Some(k.saturating_sub(1)),
        _ => None,
    }
}

/// `op` with its operands swapped (`k > r` is `r < k`).
fn flipped(op: BinaryOp) -> Option<BinaryOp> {
    match op {
        BinaryOp::Greater => Some(BinaryOp::Less),
        BinaryOp::GreaterOrEqual => Some(BinaryOp::LessOrEqual),
        BinaryOp::Equal => Some(BinaryOp::Equal),
        _ => None,
    }
}

/// The Window whose call value output column `column` of `node` is (through projections
/// of bare columns), and the call's slot.
fn window_column(node: &mut Node, column: usize) -> Option<(&mut Window, usize)> {
    match node {
        Node::Project { input, exprs } => match exprs.get(column)? {
            Expr::Column { index, .. } => window_column(input, *index),
            _ => None,
        },
        Node::Window(window) => {
            let slot = column.checked_sub(window.input_width)?;
            Some((window, slot))
        }
        _ => None,
    }
}

/// The ranking function of call `slot` when a bound on it may cut the partitions: the
/// Window has one pass (another pass would see the rows left out), the call is
/// row_number, rank or dense_rank, and every call of the pass depends only on the rows up
/// to its own (and its peers, under a rank bound).
fn allowed_bound(window: &Window, slot: usize) -> Option<WindowFunction> {
    let [pass] = window.passes.as_slice() else {
        return None;
    };
    let call = pass.calls.iter().find(|call| call.slot == slot)?;
    let function = call.function;
    if !matches!(
        function,
        WindowFunction::RowNumber | WindowFunction::Rank | WindowFunction::DenseRank
    ) {
        return None;
    }
    prefix_only(pass, function != WindowFunction::RowNumber).then_some(function)
}

/// Under `LIMIT k [OFFSET m]` (integer literals) straight over a Window (through a
/// projection), the rows taken are the first `k + m` the Window gives, which come in its
/// one pass's order: marks the Window to keep only the first `k + m` rows of each
/// partition by row_number (ties in input order, as the full sort keeps them), when every
/// call of the pass depends only on the rows before its own.
pub fn bound_window_by_limit(node: &mut Node, limit: Option<&Expr>, offset: Option<&Expr>) {
    let Some(Expr::Literal(Value::Integer(limit))) = limit else {
        return;
    };
    let offset = match offset {
        None => 0,
        Some(Expr::Literal(Value::Integer(offset))) => *offset,
        Some(_) => return,
    };
    // A negative LIMIT takes every row; a negative OFFSET skips none.
    let (Ok(limit), offset) = (u64::try_from(*limit), u64::try_from(offset).unwrap_or(0)) else {
        return;
    };
    let window = match node {
        Node::Project { input, .. } => match input.as_mut() {
            Node::Window(window) => window,
            _ => return,
        },
        Node::Window(window) => window,
        _ => return,
    };
    let ([pass], None) = (window.passes.as_slice(), window.top_n) else {
        return;
    };
    let Some(first) = pass.calls.first() else {
        return;
    };
    if prefix_only(pass, false) {
        window.top_n = Some(WindowTopN {
            slot: first.slot,
            function: WindowFunction::RowNumber,
            limit: limit.saturating_add(offset),
        });
    }
}

/// Whether every call of `pass` depends only on the rows before its own in window order
/// (and on its peers, when `peers_kept`: a rank bound keeps the ties of the last row).
fn prefix_only(pass: &WindowPass, peers_kept: bool) -> bool {
    pass.calls.iter().all(|call| match call.function {
        WindowFunction::RowNumber | WindowFunction::Rank | WindowFunction::DenseRank => true,
        WindowFunction::Aggregate(_)
        | WindowFunction::FirstValue
        | WindowFunction::LastValue
        | WindowFunction::NthValue => match &call.frame.end {
            FrameBound::UnboundedPreceding | FrameBound::Preceding(_) => true,
            FrameBound::CurrentRow => call.frame.units == FrameUnits::Rows || peers_kept,
            FrameBound::Following(_) | FrameBound::UnboundedFollowing => false,
        },
        WindowFunction::PercentRank
        | WindowFunction::CumeDist
        | WindowFunction::Ntile
        | WindowFunction::Lag
        | WindowFunction::Lead => false,
    })
}
