//! The `KeyRange` access path at run time: its bounds, evaluated, become the window of row
//! ids a walk of the clustered table visits among the slots keys address (the row id of
//! such a row is its key); the overflow rows (keys that address no slot) are walked whole.
//! The window holds every direct row whose key the bounds admit (a superset: the access
//! filter is rechecked on every row), so a bound that is not a number (text, a blob: SQL
//! orders every number below them, and affinity may convert them) does not narrow it.

use std::ops::Range;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::plan::{AccessPath, KeyRange, RangeBound, TableAccess};

use super::super::ExecContext;

/// The row ids among the directly addressed slots that `access` walks: every one for a
/// full scan, the keys between the bounds for a key range.
pub(in crate::pipeline::exec) fn direct_window(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> Result<Range<RowId>> {
    match &access.path {
        AccessPath::KeyRange(range) => window(range, context),
        AccessPath::KeyOrder(order) => window(&order.range, context),
        _ => Ok(0..RowId::MAX),
    }
}

/// Runs `batch` over each range of at most `scan::SCAN_BATCH_SLOTS` slots of a full scan of
/// `access` (within its key window), in slot order, checking for an interrupt before
/// each; `batch` returns where the next range starts.
pub(in crate::pipeline::exec) fn for_each_slot_batch(
    access: &TableAccess,
    context: &ExecContext<'_>,
    mut batch: impl FnMut(Range<RowId>) -> Result<RowId>,
) -> Result<()> {
    let table = &access.table.storage;
    let window = direct_window(access, context)?;
    let mut next_row = 0;
    loop {
        context.check_interrupt()?;
        let Some(range) =
            table.next_scan_batch_in(next_row, super::SCAN_BATCH_SLOTS, window.clone())
        else {
            return Ok(());
        };
        next_row = batch(range)?;
    }
}

/// The row ids a walk of `access` covers, as `Table::row_ranges` gives them for a full
/// scan: for a key range, its window of the direct slots, and every overflow slot.
pub(in crate::pipeline::exec) fn access_row_ranges(
    access: &TableAccess,
    context: &ExecContext<'_>,
) -> Result<[Range<RowId>; 2]> {
    let [direct, overflow] = access.table.storage.row_ranges();
    let window = direct_window(access, context)?;
    let start = window.start.min(direct.end);
    let end = window.end.min(direct.end).max(start);
    Ok([start..end, overflow])
}

/// Whether the window of the key range `access` walks (its `KeyRange`, or its `KeyOrder`'s)
/// holds exactly the keys its bounds admit: every bound is a number or NULL. Then a direct
/// row of the window (whose row id is its key) passes the bounds' own conjuncts, and only
/// the rest of the filter (`TableAccess::key_residual`) needs checking.
pub(super) fn window_is_exact(access: &TableAccess, context: &ExecContext<'_>) -> Result<bool> {
    let range = match &access.path {
        AccessPath::KeyRange(range) => range.as_ref(),
        AccessPath::KeyOrder(order) => &order.range,
        _ => return Ok(false),
    };
    for (bound, admitted) in [
        (
            &range.lower,
            first_admitted as fn(&RangeBound, &ExecContext<'_>) -> Result<Admits>,
        ),
        (&range.upper, last_admitted),
    ] {
        if let Some(bound) = bound {
            if let Admits::Unknown = admitted(bound, context)? {
                return Ok(false);
            }
        }
    }
    Ok(true)
}

fn window(range: &KeyRange, context: &ExecContext<'_>) -> Result<Range<RowId>> {
    let start = match &range.lower {
        None => 0,
        Some(bound) => match first_admitted(bound, context)? {
            Admits::From(key) => key_to_row(key),
            Admits::Nothing => return Ok(0..0),
            Admits::Unknown => 0,
        },
    };
    let end = match &range.upper {
        None => RowId::MAX,
        Some(bound) => match last_admitted(bound, context)? {
            Admits::From(key) => key_to_row(key).saturating_add(u64::from(key >= 0)),
            Admits::Nothing => return Ok(0..0),
            Admits::Unknown => RowId::MAX,
        },
    };
    Ok(start..end.max(start))
}

/// What a bound admits of the integer keys.
enum Admits {
    /// Keys from (a lower bound) or up to (an upper bound) this one, inclusive.
    From(i64),
    /// No key (a NULL bound: the comparison is never TRUE).
    Nothing,
    /// Not known without the comparison's conversions: every key.
    Unknown,
}

/// The smallest integer key `key >= bound` (or `>`) admits.
fn first_admitted(bound: &RangeBound, context: &ExecContext<'_>) -> Result<Admits> {
    Ok(match bound.value.eval(&[], &context.eval)? {
        Value::Null => Admits::Nothing,
        Value::Integer(i) if bound.inclusive => Admits::From(i),
        Value::Integer(i) => match i.checked_add(1) {
            Some(next) => Admits::From(next),
            None => Admits::Nothing,
        },
        Value::Real(r) if r.is_nan() => Admits::Unknown,
        Value::Real(r) => {
            let ceiling = r.ceil();
            let first = if ceiling == r && !bound.inclusive {
                ceiling + 1.0
            } else {
                ceiling
            };
            if first > i64::MAX as f64 {
                Admits::Nothing
            } else {
                // Below i64::MIN saturates to it: every key.
                Admits::From(first as i64)
            }
        }
        _ => Admits::Unknown,
    })
}

/// The largest integer key `key <= bound` (or `<`) admits.
fn last_admitted(bound: &RangeBound, context: &ExecContext<'_>) -> Result<Admits> {
    Ok(match bound.value.eval(&[], &context.eval)? {
        Value::Null => Admits::Nothing,
        Value::Integer(i) if bound.inclusive => Admits::From(i),
        Value::Integer(i) => match i.checked_sub(1) {
            Some(previous) => Admits::From(previous),
            None => Admits::Nothing,
        },
        Value::Real(r) if r.is_nan() => Admits::Unknown,
        Value::Real(r) => {
            let floor = r.floor();
            let last = if floor == r && !bound.inclusive {
                floor - 1.0
            } else {
                floor
            };
            if last < i64::MIN as f64 {
                Admits::Nothing
            } else {
                // Past i64::MAX saturates to it: every key.
                Admits::From(last as i64)
            }
        }
        _ => Admits::Unknown,
    })
}

/// The row id of direct key `key` (negative keys address no slot: 0, the window's floor).
fn key_to_row(key: i64) -> RowId {
    u64::try_from(key).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    fn bound(value: Value, inclusive: bool) -> Option<RangeBound> {
        Some(RangeBound {
            value: Expr::Literal(value),
            inclusive,
        })
    }

    fn window_of(lower: Option<RangeBound>, upper: Option<RangeBound>) -> Range<RowId> {
        let store = ember_storage::Store::new();
        let txn = store.begin().unwrap();
        let context = ExecContext {
            txn: &txn,
            eval: crate::expr::EvalContext::with_params(&[]),
            rows_max: 1000,
            buffers: None,
            work: None,
        };
        window(&KeyRange { lower, upper }, &context).unwrap()
    }

    /// Each window holds exactly the non-negative keys the bounds admit.
    #[test]
    fn windows_hold_the_admitted_keys() {
        use Value::{Integer as I, Real as R};
        let cases: Vec<(Option<RangeBound>, Option<RangeBound>, Range<RowId>)> = vec![
            (bound(I(10), true), bound(I(20), true), 10..21),
            (bound(I(10), false), bound(I(20), false), 11..20),
            (bound(R(9.5), true), bound(R(20.5), true), 10..21),
            (bound(R(10.0), false), bound(R(20.0), false), 11..20),
            (bound(R(10.0), true), bound(R(20.0), true), 10..21),
            (bound(I(-5), true), bound(I(3), true), 0..4),
            (bound(I(-5), true), bound(I(-1), true), 0..0),
            (bound(I(5), true), bound(I(2), true), 5..5),
            (None, bound(I(7), false), 0..7),
            (bound(I(7), true), None, 7..RowId::MAX),
            (bound(Value::Null, true), bound(I(7), true), 0..0),
            (bound(I(1), true), bound(Value::Null, true), 0..0),
            (
                bound(Value::Text("5".into()), true),
                bound(I(9), true),
                0..10,
            ),
            (bound(I(i64::MAX), false), None, 0..0),
            (bound(R(1e300), true), None, 0..0),
            (None, bound(R(1e300), true), 0..1 << 63),
            (None, bound(R(-1e300), true), 0..0),
            (bound(R(-1e300), true), bound(I(2), true), 0..3),
        ];
        for (lower, upper, expected) in cases {
            let described = format!(
                "{:?} {:?}",
                lower.as_ref().map(|b| (b.value.to_string(), b.inclusive)),
                upper.as_ref().map(|b| (b.value.to_string(), b.inclusive))
            );
            assert_eq!(window_of(lower, upper), expected, "{described}");
        }
    }
}
