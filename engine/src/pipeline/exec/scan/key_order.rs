//! Running a `KeyOrder` access (plan/index_range.rs): a clustered table's rows in the order
//! of its INTEGER key, or its reverse. A direct row's id is its key, so the slots in the
//! key range's window are walked up (or down) in batches, the first as small as the LIMIT
//! above allows, each later one twice as large. The overflow rows (keys that address no
//! slot: negative or far ones, or values that are not integers) are read first, sorted by
//! key as `ORDER BY` compares (`compare_for_sort`), and merged in before the first direct
//! row they do not follow. Under a LIMIT only the first `limit + offset` of them in walk
//! order are kept (trimmed as they come, so no more than twice that is held).

use std::cmp::Ordering;
use std::ops::Range;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::compare_for_sort;
use crate::plan::{KeyOrder, TableAccess};

use super::super::{ExecContext, Row};
use super::scan_filter::ScanFilter;
use super::{SCAN_BATCH_ROWS, SCAN_BATCH_SLOTS};

/// Slots the first batch of a walk examines when no LIMIT sizes it.
const FIRST_BATCH_SLOTS: u64 = 64;
/// Slots a batch examines at most: no more rows than a scan queues at once
/// (`SCAN_BATCH_ROWS`), so the consumer hands every buffer back before the next batch
/// decodes into them (a batch walked down is queued whole before its first row goes out).
const MAX_BATCH_SLOTS: u64 = SCAN_BATCH_ROWS as u64;

/// A walk in key order, between batches.
pub struct KeyOrderCursor {
    descending: bool,
    /// The direct row ids not walked yet (the next batch is taken from the front when
    /// walking up, from the back when walking down).
    direct: Range<RowId>,
    /// Slots the next batch examines.
    batch: u64,
    /// The rows a LIMIT above takes (its OFFSET's included), when there is one.
    taken: Option<u64>,
    /// The overflow rows that passed the filter, in reverse walk order (the next is last).
    overflow: Vec<(RowId, Row)>,
    /// Where the key is among the decoded values.
    key_column: usize,
    /// The rows of the current direct batch, reused from batch to batch.
    direct_rows: Vec<(RowId, Row)>,
    finished: bool,
}

impl KeyOrderCursor {
    /// Evaluates the walk's window and LIMIT, and reads, filters and sorts the overflow
    /// rows.
    pub fn open(
        access: &TableAccess,
        order: &KeyOrder,
        filter: &ScanFilter<'_>,
        context: &ExecContext<'_>,
    ) -> Result<KeyOrderCursor> {
        let Some(&key_column) = access.table.primary_key.first() else {
            return Err(crate::err!(
                Internal,
                "a key-order walk of a table without a key"
            ));
        };
        debug_assert!(access.read.decoder().decodes(key_column));
        let [direct, overflow_ids] = super::key_range::access_row_ranges(access, context)?;
        let taken = rows_taken(order, context)?;
        let mut cursor = KeyOrderCursor {
            descending: order.descending,
            direct,
            // Under a LIMIT the first batch examines as many slots as rows are taken (a
            // dense key range fills it exactly); later batches double.
            batch: taken.map_or(FIRST_BATCH_SLOTS, |rows| {
                u64::try_from(rows)
                    .unwrap_or(MAX_BATCH_SLOTS)
                    .clamp(1, MAX_BATCH_SLOTS)
            }),
            taken: taken.and_then(|rows| u64::try_from(rows).ok()),
            overflow: Vec::new(),
            key_column,
            direct_rows: Vec::new(),
            finished: false,
        };
        cursor.read_overflow(access, filter, context, overflow_ids, taken)?;
        Ok(cursor)
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Most rows the next `refill` hands out from the direct slots (a bound to size the
    /// consumer's queue by; overflow rows merged in can add a few).
    pub fn next_batch_rows(&self) -> usize {
        usize::try_from(self.batch.min(self.direct.end - self.direct.start)).unwrap_or(0)
    }

    /// Whether the key `left` comes before the key `right` in walk order.
    fn before(&self, left: &Value, right: &Value) -> bool {
        let expected = if self.descending {
            Ordering::Greater
        } else {
            Ordering::Less
        };
        compare_for_sort(left, right) == expected
    }

    /// Reads the overflow rows that pass the filter into `self.overflow`, in reverse walk
    /// order; with `taken`, keeps only the first `taken` in walk order.
    fn read_overflow(
        &mut self,
        access: &TableAccess,
        filter: &ScanFilter<'_>,
        context: &ExecContext<'_>,
        ids: Range<RowId>,
        taken: Option<usize>,
    ) -> Result<()> {
        let key_column = self.key_column;
        let descending = self.descending;
        // Walk order: by key, reversed when descending.
        let in_walk_order = |left: &(RowId, Row), right: &(RowId, Row)| {
            let order = compare_for_sort(&left.1[key_column], &right.1[key_column]);
            if descending {
                order.reverse()
            } else {
                order
            }
        };
        let kept = taken.map(|rows| rows.max(1));
        let mut rows: Vec<(RowId, Row)> = Vec::new();
        let mut buffer = Vec::new();
        let mut next = ids.start;
        while next < ids.end {
            context.check_interrupt()?;
            let end = ids.end.min(next.saturating_add(SCAN_BATCH_SLOTS));
            let mut failure = None;
            filter.scan_batch(
                access,
                context,
                next..end,
                &mut buffer,
                &mut failure,
                |id, values| {
                    rows.push((id, std::mem::take(values)));
                    true
                },
            )?;
            if let Some(error) = failure {
                return Err(error);
            }
            next = end;
            match kept {
                Some(kept) if rows.len() >= kept.saturating_mul(2) => {
                    rows.select_nth_unstable_by(kept - 1, in_walk_order);
                    rows.truncate(kept);
                }
                _ => context.check_rows(rows.len())?,
            }
        }
        rows.sort_by(in_walk_order);
        if let Some(kept) = kept {
            rows.truncate(kept);
        }
        rows.reverse();
        self.overflow = rows;
        Ok(())
    }

    /// Hands the next rows in walk order to `emit` (at least one unless the walk is done),
    /// each decoded into a buffer from `spare` or a new one with room for `row_capacity`
    /// values.
    pub fn refill(
        &mut self,
        access: &TableAccess,
        filter: &ScanFilter<'_>,
        context: &ExecContext<'_>,
        spare: &mut Vec<Row>,
        row_capacity: usize,
        emit: &mut dyn FnMut(RowId, Row),
    ) -> Result<()> {
        while !self.finished {
            context.check_interrupt()?;
            if self.direct.is_empty() {
                // The direct rows are done: the overflow rows left come after them all.
                for _ in 0..SCAN_BATCH_ROWS {
                    match self.overflow.pop() {
                        Some((id, row)) => emit(id, row),
                        None => {
                            self.finished = true;
                            break;
                        }
                    }
                }
                return Ok(());
            }
            let range = self.next_batch();
            let mut rows = std::mem::take(&mut self.direct_rows);
            // At most one row per slot: sized once rather than grown row by row.
            rows.reserve(usize::try_from(range.end - range.start).unwrap_or(0));
            let mut failure = None;
            let mut buffer = spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(row_capacity));
            filter.scan_batch(
                access,
                context,
                range,
                &mut buffer,
                &mut failure,
                |id, values| {
                    let next = spare
                        .pop()
                        .unwrap_or_else(|| Vec::with_capacity(row_capacity));
                    rows.push((id, std::mem::replace(values, next)));
                    true
                },
            )?;
            spare.push(buffer);
            if let Some(error) = failure {
                return Err(error);
            }
            if self.descending {
                rows.reverse();
            }
            let emitted = !rows.is_empty();
            for (id, row) in rows.drain(..) {
                // A direct row id is below `TABLE_SLOTS_MAX`, far below `i64::MAX`.
                debug_assert!(i64::try_from(id).is_ok());
                let key = Value::Integer(id as i64);
                while let Some((_, next)) = self.overflow.last() {
                    if !self.before(&next[self.key_column], &key) {
                        break;
                    }
                    let Some((overflow_id, overflow_row)) = self.overflow.pop() else {
                        break;
                    };
                    emit(overflow_id, overflow_row);
                }
                emit(id, row);
            }
            self.direct_rows = rows;
            if emitted {
                return Ok(());
            }
        }
        Ok(())
    }

    /// Steps over up to `*rows` rows of the walk without decoding them, taking those
    /// stepped over from `*rows` (an OFFSET, when the access has no filter: every visible
    /// row is one the walk gives). A direct row is seen by its slot's visibility alone.
    /// The next batch then examines as many slots as rows are left to take (the LIMIT's).
    pub fn skip_rows(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        rows: &mut u64,
    ) -> Result<()> {
        let asked = *rows;
        self.step_over(access, context, rows)?;
        if let Some(taken) = self.taken {
            let left = taken.saturating_sub(asked - *rows);
            self.batch = left.clamp(1, MAX_BATCH_SLOTS);
        }
        Ok(())
    }

    /// `skip_rows` but for the size of the batch after it.
    fn step_over(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        rows: &mut u64,
    ) -> Result<()> {
        debug_assert!(access.filter.is_none());
        let mut ids = Vec::new();
        while *rows > 0 && !self.direct.is_empty() {
            context.check_interrupt()?;
            let width = SCAN_BATCH_SLOTS.min(self.direct.end - self.direct.start);
            let range = if self.descending {
                self.direct.end - width..self.direct.end
            } else {
                self.direct.start..self.direct.start + width
            };
            ids.clear();
            // Visibility alone: no payload is read.
            context
                .txn
                .visible_rows_batch(&access.table.storage, range.clone(), |id| {
                    ids.push(id);
                    true
                });
            if self.descending {
                ids.reverse();
            }
            // The batch is walked; what is not stepped over is given back below.
            if self.descending {
                self.direct.end = range.start;
            } else {
                self.direct.start = range.end;
            }
            for &id in &ids {
                // A direct row id is below `TABLE_SLOTS_MAX`, far below `i64::MAX`.
                let key = Value::Integer(id as i64);
                while *rows > 0 {
                    match self.overflow.last() {
                        Some((_, next)) if self.before(&next[self.key_column], &key) => {
                            self.overflow.pop();
                            *rows -= 1;
                        }
                        _ => break,
                    }
                }
                if *rows == 0 {
                    // The walk resumes at this row.
                    if self.descending {
                        self.direct.end = id + 1;
                    } else {
                        self.direct.start = id;
                    }
                    return Ok(());
                }
                *rows -= 1;
            }
        }
        while *rows > 0 && self.direct.is_empty() && self.overflow.pop().is_some() {
            *rows -= 1;
        }
        self.finished = self.direct.is_empty() && self.overflow.is_empty();
        Ok(())
    }

    /// Takes the next batch of direct row ids off the window, in walk order's direction,
    /// and doubles the batch after it.
    fn next_batch(&mut self) -> Range<RowId> {
        let width = self.batch.min(self.direct.end - self.direct.start);
        self.batch = (self.batch * 2).min(MAX_BATCH_SLOTS);
        if self.descending {
            let start = self.direct.end - width;
            let range = start..self.direct.end;
            self.direct.end = start;
            range
        } else {
            let end = self.direct.start + width;
            let range = self.direct.start..end;
            self.direct.start = end;
            range
        }
    }
}

/// `limit + offset` of the LIMIT above the walk, when both are non-negative integers.
fn rows_taken(order: &KeyOrder, context: &ExecContext<'_>) -> Result<Option<usize>> {
    let Some(taken) = &order.rows_taken else {
        return Ok(None);
    };
    let count = |expr: &crate::expr::Expr| -> Result<Option<i64>> {
        Ok(match expr.eval(&[], &context.eval)? {
            Value::Integer(n) if n >= 0 => Some(n),
            _ => None,
        })
    };
    let limit = count(&taken.0)?;
    let offset = match &taken.1 {
        Some(offset) => count(offset)?,
        None => Some(0),
    };
    Ok(match (limit, offset) {
        (Some(limit), Some(offset)) => usize::try_from(limit.saturating_add(offset)).ok(),
        _ => None,
    })
}

/// Calls `visit` with every row (id and values) of the key-order walk `order` of `access`
/// that passes its filter, in walk order.
pub fn for_each_key_order_row(
    access: &TableAccess,
    order: &KeyOrder,
    context: &ExecContext<'_>,
    visit: &mut impl FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<()> {
    let filter = ScanFilter::new(access, context);
    let mut cursor = KeyOrderCursor::open(access, order, &filter, context)?;
    let mut rows = Vec::new();
    let mut spare = Vec::new();
    let width = access.read.decoder().width();
    while !cursor.is_finished() {
        cursor.refill(
            access,
            &filter,
            context,
            &mut spare,
            width,
            &mut |id, row| rows.push((id, row)),
        )?;
        for (id, mut row) in rows.drain(..) {
            visit(id, &row)?;
            row.clear();
            spare.push(row);
        }
        spare.truncate(SCAN_BATCH_ROWS);
    }
    Ok(())
}
