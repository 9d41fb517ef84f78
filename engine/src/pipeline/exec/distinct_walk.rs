//! DISTINCT and `count(DISTINCT col)` over an index walk that reads the distinct columns in
//! index order (`plan/index_distinct.rs`): equal values arrive adjacent, so each row is
//! compared with the first of the run it may belong to, and nothing is hashed or
//! remembered beyond that row.
//! The walk sees what any index walk sees (each entry checked against the row version the
//! snapshot sees, `exec::index_range`). An index dropped after planning is not read: the
//! DISTINCT then hashes the rows of the scan its input falls back to, and the count is
//! left to the aggregate's own walk.

use std::collections::VecDeque;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::expr::{Collation, KeyRef};
use crate::plan::{AccessPath, AggregateCall, DistinctWalk, Node, TableAccess};

use super::distinct::DistinctOperator;
use super::index_range::{visit_range_rows, RangeCursor};
use super::{build, ExecContext, Operator, Row};

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
        /// Decoded rows of the last batch, not yet compared.
        pending: VecDeque<Row>,
        /// Decode buffers of rows already compared or returned.
        spare: Vec<Row>,
        /// The decoded first row of the run of equal rows being read, returned when the
        /// next run begins (or the walk ends): its values then move to the result row,
        /// so no value is copied.
        run: Option<Row>,
        /// The decoded rows' width.
        width: usize,
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

/// Whether rows `a` and `b` hold the same values in `columns` (as DISTINCT compares under
/// BINARY: NULLs equal, `KeyValue` equality).
fn same_columns(a: &[Value], b: &[Value], columns: &[usize]) -> bool {
    columns
        .iter()
        .all(|&column| match (a.get(column), b.get(column)) {
            (Some(x), Some(y)) => KeyRef::of(x) == KeyRef::of(y),
            _ => false,
        })
}

/// The result row of decoded row `row`: its `columns`' values moved out (the emptied
/// decoded row becomes a spare buffer; the values of rows compared and dropped stay in
/// theirs, which the next decodes overwrite in place).
fn project_run(mut row: Row, columns: &[usize], spare: &mut Vec<Row>) -> Result<Row> {
    let mut out = Vec::with_capacity(columns.len());
    for &column in columns {
        let value = row
            .get_mut(column)
            .ok_or_else(|| crate::err!(Internal, "a distinct column past the decoded row"))?;
        out.push(std::mem::replace(value, Value::Null));
    }
    spare.push(row);
    Ok(out)
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
                            run: None,
                            width: access.read.decoder().width(),
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
                    run,
                    width,
                } => {
                    let Some(row) = pending.pop_front() else {
                        if cursor.is_finished() {
                            return run
                                .take()
                                .map(|last| project_run(last, columns, spare))
                                .transpose();
                        }
                        cursor.refill(access, context, pending, spare, *width)?;
                        continue;
                    };
                    match run {
                        Some(first) if same_columns(first, &row, columns) => spare.push(row),
                        Some(_) => {
                            let ended = run.replace(row);
                            if let Some(ended) = ended {
                                return project_run(ended, columns, spare).map(Some);
                            }
                        }
                        None => *run = Some(row),
                    }
                }
            }
        }
    }

    fn recycle(&mut self, row: Row) {
        if let WalkState::Hashing(hashing) = &mut self.state {
            hashing.recycle(row);
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
/// (`plan::counts_distinct_in_order`): the count of distinct non-NULL values, and the row
/// of the last entry walked (the bare columns' row, as a counting walk's: `counted.rs`);
/// `None` when the shape does not allow it or the index no longer exists.
pub(super) fn counted_distinct_rows(
    access: &TableAccess,
    group_by: &[crate::expr::Expr],
    aggregates: &[AggregateCall],
    context: &ExecContext<'_>,
) -> Result<Option<(u64, Option<RowId>)>> {
    let AccessPath::IndexRange(range) = &access.path else {
        return Ok(None);
    };
    let Some((column, collation)) =
        crate::plan::counts_distinct_in_order(range, group_by, aggregates)
    else {
        return Ok(None);
    };
    let mut distinct = 0u64;
    let mut last = None;
    let mut previous: Option<Value> = None;
    let mut buffer = Vec::new();
    let walked = visit_range_rows(access, range, context, &mut buffer, |row_id, values| {
        last = Some(row_id);
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
    Ok(walked.then_some((distinct, last)))
}
