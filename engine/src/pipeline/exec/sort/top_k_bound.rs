//! The bound a top-k's threshold puts on the rows still to come, checked on their payload
//! bytes: once a selection made a threshold (`TopRows`, the worst kept entry), a row whose
//! first sort key sorts after the threshold's first key cannot enter, so when that key is a
//! plain INTEGER or REAL column the scan rejects such rows raw (`RawChecks`, the walk a
//! filter's raw terms use) before decoding anything or comparing keys. Nearly every row of
//! a large input is one of them.
//!
//! The bound is inclusive (a row whose first key ties with the threshold's may still enter
//! on a later key, and is offered to the kept rows as before), lets through the rows the
//! check cannot order (a NaN REAL), and lets NULLs through when NULLs sort first. It is
//! rebuilt between scan batches as the threshold improves; batches start small so the
//! bound starts early. `TopRows` still decides every row that passes, so the rows kept are
//! exactly those of the unbounded scan.

use ember_storage::row::{real_key, RawCheck, RawChecks, RawClass, RowDecoder};
use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{SortKey, TableAccess};

use super::super::ExecContext;
use super::top_k::TopRows;

/// Slots of the first bounded scan batch; each next batch is twice as large, up to
/// `scan::SCAN_BATCH_SLOTS`.
const FIRST_BATCH_SLOTS: u64 = 256;

/// How the first sort key can be bounded raw: a plain column of a raw-checkable class.
pub(super) struct RawBound {
    column: usize,
    class: RawClass,
    descending: bool,
    nulls_first: bool,
}

impl RawBound {
    /// The bound for `keys` over rows `decoder` reads, when the first key is a plain
    /// INTEGER or REAL column compared without a collation.
    pub(super) fn of(keys: &[SortKey], decoder: &RowDecoder) -> Option<RawBound> {
        let first = keys.first()?;
        if first.collation.is_some() {
            return None;
        }
        let Expr::Column { index, .. } = &first.expr else {
            return None;
        };
        Some(RawBound {
            column: *index,
            class: decoder.raw_class(*index)?,
            descending: first.descending,
            nulls_first: first.nulls_first,
        })
    }

    /// The raw check passing every row that could still enter kept rows whose threshold's
    /// first key is `worst` (a superset: `TopRows` decides); `None` when every row could.
    pub(super) fn check(&self, worst: &Value) -> Option<RawCheck> {
        let key = match (worst, self.class) {
            (Value::Integer(integer), RawClass::Integer) => *integer,
            // Both zeros compare equal: the bound takes in both.
            (Value::Real(real), RawClass::Real) if !real.is_nan() => {
                let zero_side = if self.descending { -0.0 } else { 0.0 };
                real_key(if *real == 0.0 { zero_side } else { *real })
            }
            // A NULL worst key: non-NULL rows sort after it when NULLs sort first (only
            // NULLs can still tie); otherwise every row sorts before or ties with it.
            (Value::Null, _) if self.nulls_first => {
                return Some(RawCheck {
                    column: self.column,
                    class: self.class,
                    low: i64::MAX,
                    high: i64::MIN,
                    inside: true,
                    nan_passes: true,
                    null_passes: true,
                })
            }
            _ => return None,
        };
        // Rows at or before the worst key in sort order: at or above it when descending.
        let (low, high) = if self.descending {
            (key, i64::MAX)
        } else {
            (i64::MIN, key)
        };
        Some(RawCheck {
            column: self.column,
            class: self.class,
            low,
            high,
            inside: true,
            nan_passes: true,
            null_passes: self.nulls_first,
        })
    }
}

/// Offers every visible row of `access` (which has no filter) to `top`, decoded by
/// `decoder`, each kept as `item(row id, row)` at its row id's position, rejecting raw the
/// rows `bound` says cannot enter.
pub(super) fn scan_bounded<T: super::top_k::HeldBytes>(
    access: &TableAccess,
    decoder: &RowDecoder,
    bound: &RawBound,
    top: &mut TopRows<'_, T>,
    context: &ExecContext<'_>,
    memory: &mut super::super::MemoryCharge,
    item: impl Fn(RowId, &[Value]) -> T,
) -> Result<()> {
    debug_assert!(access.filter.is_none(), "a filter's rows are checked apart");
    let table = &access.table.storage;
    let window = super::super::scan::key_range::direct_window(access, context)?;
    let mut batches = BatchSlots::default();
    let mut buffer = Vec::new();
    let mut next_row = 0;
    loop {
        context.check_interrupt()?;
        let Some(range) = table.next_scan_batch_in(next_row, batches.next(), window.clone()) else {
            return Ok(());
        };
        next_row = offer_batch(
            access,
            range,
            decoder,
            bound,
            top,
            &mut buffer,
            context,
            memory,
            &item,
        )?;
    }
}

/// The sizes of successive bounded batches: small first, so the bound starts early.
pub(super) struct BatchSlots(u64);

impl Default for BatchSlots {
    fn default() -> Self {
        BatchSlots(FIRST_BATCH_SLOTS)
    }
}

impl BatchSlots {
    /// The next batch's slots (doubling up to `scan::SCAN_BATCH_SLOTS`).
    pub(super) fn next(&mut self) -> u64 {
        let slots = self.0;
        self.0 = (slots * 2).min(super::super::scan::SCAN_BATCH_SLOTS);
        slots
    }
}

/// Offers the visible rows of the slots `batch` to `top` (each kept as `item(row id,
/// row)`), rejecting raw those its threshold rules out; returns the next slot to scan.
#[allow(clippy::too_many_arguments)]
pub(super) fn offer_batch<T: super::top_k::HeldBytes>(
    access: &TableAccess,
    batch: std::ops::Range<RowId>,
    decoder: &RowDecoder,
    bound: &RawBound,
    top: &mut TopRows<'_, T>,
    buffer: &mut Vec<Value>,
    context: &ExecContext<'_>,
    memory: &mut super::super::MemoryCharge,
    item: impl Fn(RowId, &[Value]) -> T,
) -> Result<RowId> {
    let raw: Option<RawChecks> = top
        .worst_first_key_when_full()
        .and_then(|worst| bound.check(worst))
        .and_then(|check| decoder.raw_checks(vec![check]));
    let mut failure = None;
    let next = context.txn.scan_batch_raw_checked(
        &access.table.storage,
        batch,
        decoder,
        buffer,
        raw.as_ref(),
        &[],
        |_, _| true,
        |row_id, values| {
            let offered = match top.admit(values, context) {
                Ok(true) => top.push(row_id, item(row_id, values), context, memory),
                Ok(false) => Ok(()),
                Err(error) => Err(error),
            };
            match offered {
                Ok(()) => true,
                Err(error) => {
                    failure = Some(error);
                    false
                }
            }
        },
    )?;
    match failure {
        Some(error) => Err(error),
        None => Ok(next),
    }
}
