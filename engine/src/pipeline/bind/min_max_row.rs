//! Bare columns beside min() or max(), as SQLite defines them: in an aggregate query whose
//! min()/max() calls decide (the last one of them, as SQLite's: with a single call, that
//! call), a bare column (one read outside any aggregate, not a GROUP BY term) takes its value
//! from the row that holds the minimum (maximum), the first such row on a tie; other bare
//! columns come from the group's first row. The binder rewrites each such column into an
//! aggregate call of its own, `value_at_max(k, column)` (`exec/aggregate/accumulator.rs`), so every
//! aggregate strategy computes it as it computes any call, or declines it.

use std::collections::BTreeMap;

use crate::expr::{ColumnMeta, Expr};
use crate::plan::{AggregateCall, AggregateFunction, SortKey};

use super::window::WindowCollector;

/// The expressions that read an aggregate's output row (input columns, then one value per
/// call) above it: the projection, HAVING and ORDER BY.
pub(super) struct AggregateReaders<'a> {
    exprs: &'a mut [Expr],
    having: Option<&'a mut Expr>,
    keys: &'a mut [SortKey],
}

impl<'a> AggregateReaders<'a> {
    pub(super) fn new(
        exprs: &'a mut [Expr],
        having: Option<&'a mut Expr>,
        keys: &'a mut [SortKey],
    ) -> AggregateReaders<'a> {
        AggregateReaders {
            exprs,
            having,
            keys,
        }
    }
}

/// Rewrites the bare columns `readers` read (positions below `input_width` that are not a
/// GROUP BY term) to read a `value_at_min`/`value_at_max` call appended to `calls`, when a
/// min()/max() call decides them and the query has no window call (`windows`: its window
/// calls, which read the aggregate's row too, and are left to the first-row rule).
pub(super) fn take_bare_columns_from_min_max_row(
    calls: &mut Vec<AggregateCall>,
    group_by: &[Expr],
    input_width: usize,
    windows: &Option<WindowCollector>,
    readers: AggregateReaders<'_>,
) {
    if windows.as_ref().is_some_and(|windows| !windows.is_empty()) {
        return;
    }
    let Some(deciding) = calls.iter().rposition(|call| {
        matches!(
            call.function,
            AggregateFunction::Min | AggregateFunction::Max
        ) && call.args.len() == 1
    }) else {
        return;
    };
    let call = &calls[deciding];
    if call.distinct || call.filter.is_some() {
        // SQLite's choice of row is not defined by the documentation there: left as the
        // group's first row.
        return;
    }
    let function = match call.function {
        AggregateFunction::Min => AggregateFunction::ValueAtMin,
        _ => AggregateFunction::ValueAtMax,
    };
    let key = call.args[0].clone();
    let collation = call.collation;
    let is_group_term = |index: usize| {
        group_by
            .iter()
            .any(|term| matches!(term, Expr::Column { index: term, .. } if *term == index))
    };
    let mut bare: BTreeMap<usize, (String, ColumnMeta)> = BTreeMap::new();
    // A GROUP BY term read whole (`age % 3` under `GROUP BY age % 3`) is the group's own
    // value, not a bare column: its columns are not looked into.
    let mut collect = |expr: &Expr| {
        expr.walk_pruned(&mut |node| {
            if group_by.contains(node) {
                return false;
            }
            if let Expr::Column { index, name, meta } = node {
                if *index < input_width && !is_group_term(*index) {
                    bare.entry(*index).or_insert_with(|| (name.clone(), *meta));
                }
            }
            true
        })
    };
    readers.exprs.iter().for_each(&mut collect);
    if let Some(having) = readers.having.as_deref() {
        collect(having);
    }
    readers.keys.iter().for_each(|key| collect(&key.expr));
    if bare.is_empty() {
        return;
    }
    // Every reader's positions from `input_width` on name the calls: the new calls come
    // after the existing ones, so those stay where they are.
    let mut moved: BTreeMap<usize, usize> = BTreeMap::new();
    for (index, (name, meta)) in bare {
        moved.insert(index, input_width + calls.len());
        calls.push(AggregateCall {
            function,
            args: vec![key.clone(), Expr::Column { index, name, meta }],
            distinct: false,
            collation,
            filter: None,
            user: None,
            order: Vec::new(),
        });
    }
    let remap =
        |expr: &Expr| expr.map_columns(&|index| moved.get(&index).copied().unwrap_or(index));
    for expr in readers.exprs.iter_mut() {
        *expr = remap(expr);
    }
    if let Some(having) = readers.having {
        *having = remap(having);
    }
    for key in readers.keys.iter_mut() {
        key.expr = remap(&key.expr);
    }
}
