//! DISTINCT and `count(DISTINCT col)` over an index walk that reads the distinct columns in
//! index order (`plan/index_distinct.rs`): equal values arrive adjacent, so each entry's
//! encoded key parts are compared with those of the last row taken
//! (`RangeCursor::refill_distinct`): an equal entry is stepped over without reading or
//! decoding its row, and only the first row of each run is read, as any index walk reads
//! it (checked against the row version the snapshot sees, `exec::scan::index_range`). The
//! encoding is canonical (`1` and `1.0` share one, text is its bytes), so parts are equal
//! exactly when DISTINCT finds the values equal. An index dropped after planning is not
//! read: the DISTINCT then hashes the rows of the scan its input falls back to, and the
//! count is left to the aggregate's own walk.

use std::collections::VecDeque;

use ember_storage::{KeyParts, Value};

use crate::error::Result;
use crate::expr::{Collation, KeyRef};
use crate::plan::{AccessPath, AggregateCall, DistinctWalk, Node, TableAccess};

use super::super::scan::index_range::{count_distinct_range, visit_range_rows, RangeCursor};
use super::super::{build, ExecContext, Operator, Row};
use super::distinct::DistinctOperator;

/// Result rows handed back (`recycle`) kept for the next rows, at most.
const SPARE_ROWS_KEPT: usize = 4;

/// Rows of a `Distinct` over an index walk in order (see the file comment).
pub struct IndexDistinctOperator<'p> {
    walk: DistinctWalk<'p>,
    /// The `Distinct`'s input and collations, for the hashing fallback.
    input: &'p Node,
    collations: &'p [Collation],
    state: WalkState<'p>,
}

enum WalkState<'p> {
    Unopened,
    Walking {
        cursor: Box<RangeCursor>,
        /// The values of the result rows of the last batch not yet returned, row after
        /// row (each as wide as the walk's columns).
        pending: VecDeque<Value>,
        /// Result rows handed back, emptied, to build later ones in.
        spare: Vec<Row>,
        /// The decode buffer of the walk's rows (the table's width).
        buffer: Row,
        /// The encoded parts of the last row taken (empty before the first).
        taken: Vec<u8>,
    },
    /// The index no longer exists: its input's rows, hashed.
    Hashing(DistinctOperator<'p>),
}

impl<'p> IndexDistinctOperator<'p> {
    pub fn new(walk: DistinctWalk<'p>, input: &'p Node, collations: &'p [Collation]) -> Self {
        IndexDistinctOperator {
            walk,
            input,
            collations,
            state: WalkState::Unopened,
        }
    }
}

/// The key parts a walk of `walk` compares: its columns, after the range's equality prefix.
fn walk_parts(walk: &DistinctWalk<'_>) -> KeyParts {
    KeyParts {
        skip: walk.range.ranged_position(),
        count: walk.columns.len(),
    }
}

/// Queues the result row of decoded row `values`: its `columns`' values moved out (the
/// next decode writes new ones).
/// One `push_back` per value: a queue's `extend` from a mapped iterator costs several times
/// the move itself per value, and a DISTINCT over a nearly unique column moves every row.
fn project(values: &mut [Value], columns: &[usize], pending: &mut VecDeque<Value>) {
    for &column in columns {
        let value = values
            .get_mut(column)
            .map_or(Value::Null, |value| std::mem::replace(value, Value::Null));
        pending.push_back(value);
    }
}

/// Moves the next `width` values of `pending` (there are at least that many) into `row`,
/// one `pop_front` each (a `drain` and `extend` cost several times the moves).
fn take_row(pending: &mut VecDeque<Value>, width: usize, row: &mut Row) {
    debug_assert!(pending.len() >= width, "a whole row is queued");
    for _ in 0..width {
        if let Some(value) = pending.pop_front() {
            row.push(value);
        }
    }
}

impl Operator for IndexDistinctOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let access: &TableAccess = self.walk.access;
        let columns = &self.walk.columns;
        loop {
            match &mut self.state {
                WalkState::Unopened => {
                    self.state = match RangeCursor::open(access, self.walk.range, context)? {
                        Some(cursor) => WalkState::Walking {
                            cursor: Box::new(cursor),
                            pending: VecDeque::new(),
                            spare: Vec::new(),
                            buffer: Vec::with_capacity(access.read.decoder().width()),
                            taken: Vec::new(),
                        },
                        None => WalkState::Hashing(DistinctOperator::new(
                            build(self.input),
                            self.collations,
                        )),
                    };
                }
                WalkState::Hashing(hashing) => return hashing.next(context),
                WalkState::Walking {
                    cursor,
                    pending,
                    spare,
                    buffer,
                    taken,
                } => {
                    if pending.len() >= columns.len() {
                        let mut row = spare
                            .pop()
                            .unwrap_or_else(|| Vec::with_capacity(columns.len()));
                        take_row(pending, columns.len(), &mut row);
                        return Ok(Some(row));
                    }
                    if cursor.is_finished() {
                        return Ok(None);
                    }
                    let parts = walk_parts(&self.walk);
                    cursor.refill_distinct(access, context, parts, buffer, taken, |values| {
                        project(values, columns, pending);
                    })?;
                }
            }
        }
    }

    fn recycle(&mut self, mut row: Row) {
        match &mut self.state {
            WalkState::Hashing(hashing) => hashing.recycle(row),
            WalkState::Walking { spare, .. } if spare.len() < SPARE_ROWS_KEPT => {
                row.clear();
                spare.push(row);
            }
            _ => {}
        }
    }
}

/// Whether `a` and `b` are equal as `count(DISTINCT)` compares them under `collation`.
fn same_under(collation: Collation, a: &Value, b: &Value) -> bool {
    match (collation, a, b) {
        (Collation::NoCase, Value::Text(x), Value::Text(y)) => x.eq_ignore_ascii_case(y),
        (Collation::RTrim, Value::Text(x), Value::Text(y)) => {
            x.trim_end_matches(' ') == y.trim_end_matches(' ')
        }
        _ => KeyRef::of(a) == KeyRef::of(b),
    }
}

/// For one `count(DISTINCT col)` over an index walk that reads `col` in order
/// (`plan::counts_distinct_in_order`): the count of distinct non-NULL values; `None` when
/// the shape does not allow it or the index no longer exists.
pub(super) fn counted_distinct_rows(
    access: &TableAccess,
    group_by: &[crate::expr::Expr],
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Result<Option<u64>> {
    let AccessPath::IndexRange(range) = &access.path else {
        return Ok(None);
    };
    let Some((column, collation)) =
        crate::plan::counts_distinct_in_order(range, group_by, aggregates)
    else {
        return Ok(None);
    };
    let parts = KeyParts {
        skip: range.ranged_position(),
        count: 1,
    };
    if let Some(counted) = count_distinct_range(access, range, parts, context)? {
        return Ok(Some(counted.0));
    }
    // A filter the range does not decide, or a descending walk: rows read and compared.
    let mut distinct = 0u64;
    let mut previous: Option<Value> = None;
    let mut buffer = Vec::new();
    let walked = visit_range_rows(access, range, context, &mut buffer, |_, values| {
        let value = values.get_mut(column).ok_or_else(|| {
            crate::err!(Internal, "a count(DISTINCT) column past the decoded row")
        })?;
        let repeated = previous
            .as_ref()
            .is_some_and(|previous| same_under(collation, previous, value));
        if !value.is_null() && !repeated {
            distinct += 1;
            // Swapped: the next row's text is decoded into the previous one's memory.
            match &mut previous {
                Some(previous) => std::mem::swap(previous, value),
                None => previous = Some(std::mem::replace(value, Value::Null)),
            }
        }
        Ok(true)
    })?;
    Ok(walked.then_some(distinct))
}
