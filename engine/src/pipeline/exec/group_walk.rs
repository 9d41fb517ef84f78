//! GROUP BY over an index walk that reads the GROUP BY terms in index order
//! (`plan/index_group.rs`): a group's rows arrive together, so each row is compared with
//! the group being folded (under each term's collation) and fed to its accumulators;
//! when a row of another key comes, the folded group is returned. Nothing is hashed or
//! sorted, one group is held at a time, and a LIMIT above stops the walk after its last
//! group.
//!
//! A group's output row is its first row in walk order, then its aggregates, as SQLite's
//! index walk makes it (the bare columns of a group come from one of its rows, which SQL
//! leaves open; the hashing aggregate takes its last row of a scan). The walk sees what
//! any index walk sees (each entry checked against the row version the snapshot sees,
//! `exec::index_range`; a settled index gives rows from its entries alone when they hold
//! every column read). An index dropped after planning is not read: the aggregate then
//! hashes the rows of the scan its input falls back to.

use std::collections::VecDeque;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Collation, Expr, KeyRef};
use crate::plan::{AggregateCall, GroupWalk, Node};

use super::accumulator::Accumulator;
use super::aggregate::AggregateOperator;
use super::aggregate_feed::Feeder;
use super::index_range::RangeCursor;
use super::{ExecContext, Operator, Row};

/// Decode buffers kept for later rows at most (a batch's worth).
const RECYCLED_ROWS_MAX: usize = 1024;

/// Groups of an `Aggregate` read in index order (see the file comment).
pub struct GroupWalkOperator<'p> {
    walk: GroupWalk<'p>,
    /// The `Aggregate`'s input, terms, calls and input width, for the hashing fallback.
    input: &'p Node,
    group_by: &'p [Expr],
    aggregates: &'p [AggregateCall],
    input_width: usize,
    state: WalkState<'p>,
}

enum WalkState<'p> {
    Unopened,
    Walking(Box<Walking<'p>>),
    /// The index no longer exists: the groups the hashing aggregate made, in walk order.
    Hashed(std::vec::IntoIter<Row>),
}

struct Walking<'p> {
    cursor: RangeCursor,
    /// Decoded rows of the last batch, not yet folded.
    pending: VecDeque<Row>,
    /// Decode buffers of rows already folded.
    spare: Vec<Row>,
    /// The decoded rows' width.
    width: usize,
    feeder: Feeder<'p>,
    /// The group being folded: its first row (which its output starts with), and its
    /// accumulators.
    group: Option<(Row, Vec<Accumulator>)>,
}

impl<'p> GroupWalkOperator<'p> {
    pub fn new(
        walk: GroupWalk<'p>,
        input: &'p Node,
        group_by: &'p [Expr],
        aggregates: &'p [AggregateCall],
        input_width: usize,
    ) -> Self {
        GroupWalkOperator {
            walk,
            input,
            group_by,
            aggregates,
            input_width,
            state: WalkState::Unopened,
        }
    }

    /// The groups of the hashing aggregate over the input, in the walk's direction.
    fn hashed(&self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let mut hashing =
            AggregateOperator::new(self.input, self.group_by, self.aggregates, self.input_width);
        let mut rows = Vec::new();
        while let Some(row) = hashing.next(context)? {
            rows.push(row);
        }
        // Hashed groups come in ascending key order.
        if self.walk.range.descending {
            rows.reverse();
        }
        Ok(rows)
    }
}

/// Whether `a` and `b` are equal as GROUP BY compares them under `collation` (the
/// collation key's equality: NULLs equal, numbers by value, NOCASE text folding ASCII
/// letters, RTRIM text ignoring trailing spaces).
fn same_under(collation: Collation, a: &Value, b: &Value) -> bool {
    match (collation, a, b) {
        (Collation::NoCase, Value::Text(x), Value::Text(y)) => x.eq_ignore_ascii_case(y),
        (Collation::RTrim, Value::Text(x), Value::Text(y)) => {
            x.trim_end_matches(' ') == y.trim_end_matches(' ')
        }
        _ => KeyRef::of(a) == KeyRef::of(b),
    }
}

/// Whether rows `a` and `b` have the same group key (`terms`: each term's column and
/// collation).
fn same_group(a: &[Value], b: &[Value], terms: &[(usize, Collation)]) -> bool {
    terms.iter().all(
        |&(column, collation)| match (a.get(column), b.get(column)) {
            (Some(x), Some(y)) => same_under(collation, x, y),
            _ => false,
        },
    )
}

/// The output row of a folded group: its row (`input_width` values), then each
/// aggregate's result.
fn group_row(row: Row, accumulators: &[Accumulator], input_width: usize) -> Result<Row> {
    let mut row = row;
    if row.len() != input_width {
        return Err(crate::err!(
            Internal,
            "a walked group's row has {} values, not {input_width}",
            row.len()
        ));
    }
    row.reserve(accumulators.len());
    for accumulator in accumulators {
        row.push(accumulator.finish()?);
    }
    Ok(row)
}

impl<'p> Walking<'p> {
    /// The next folded group's output row, or `None` after the last.
    fn next_group(
        &mut self,
        walk: &GroupWalk<'p>,
        input_width: usize,
        walk_aggregates: usize,
        context: &ExecContext<'_>,
    ) -> Result<Option<Row>> {
        loop {
            let Some(row) = self.pending.pop_front() else {
                if self.cursor.is_finished() {
                    return match self.group.take() {
                        Some((row, accumulators)) => {
                            group_row(row, &accumulators, input_width).map(Some)
                        }
                        None => Ok(None),
                    };
                }
                // A new buffer has room for the aggregates a group's row gets.
                self.cursor.refill(
                    walk.access,
                    context,
                    &mut self.pending,
                    &mut self.spare,
                    self.width + walk_aggregates,
                )?;
                continue;
            };
            match &mut self.group {
                Some((kept, accumulators)) if same_group(kept, &row, &walk.terms) => {
                    self.feeder.feed(accumulators, &row, context, |_, _| {})?;
                    self.spare.push(row);
                }
                _ => {
                    let mut accumulators = self.feeder.accumulators(context.rows_max);
                    self.feeder
                        .feed(&mut accumulators, &row, context, |_, _| {})?;
                    if let Some((ended, ended_accumulators)) =
                        self.group.replace((row, accumulators))
                    {
                        return group_row(ended, &ended_accumulators, input_width).map(Some);
                    }
                }
            }
        }
    }
}

impl Operator for GroupWalkOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        loop {
            match &mut self.state {
                WalkState::Unopened => {
                    let access = self.walk.access;
                    self.state = match RangeCursor::open(access, self.walk.range, context)? {
                        Some(cursor) => WalkState::Walking(Box::new(Walking {
                            cursor,
                            pending: VecDeque::new(),
                            spare: Vec::new(),
                            width: access.read.decoder().width(),
                            feeder: Feeder::new(self.aggregates, context),
                            group: None,
                        })),
                        None => WalkState::Hashed(self.hashed(context)?.into_iter()),
                    };
                }
                WalkState::Walking(walking) => {
                    let aggregates = self.aggregates.len();
                    return walking.next_group(&self.walk, self.input_width, aggregates, context);
                }
                WalkState::Hashed(rows) => return Ok(rows.next()),
            }
        }
    }

    fn recycle(&mut self, row: Row) {
        // A group's row the consumer is done with decodes a later row (its text buffers
        // too), up to a batch's worth of them.
        if let WalkState::Walking(walking) = &mut self.state {
            if walking.spare.len() < RECYCLED_ROWS_MAX {
                let mut row = row;
                row.truncate(walking.width);
                walking.spare.push(row);
            }
        }
    }
}
