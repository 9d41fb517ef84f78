//! GROUP BY over an index walk that reads the GROUP BY terms in index order
//! (`plan/index_group.rs`): a group's rows arrive together, so each row is compared with
//! the group being folded (under each term's collation) and fed to its accumulators;
//! when a row of another key comes, the folded group is returned. Nothing is hashed or
//! sorted, one group is held at a time, and a LIMIT above stops the walk after its last
//! group.
//!
//! When the aggregates read no column but BINARY INTEGER or TEXT group terms (whose value
//! is the same in every row of a group), the walk folds by runs of equal encoded key parts
//! instead (`Transaction::index_range_runs`, with no filter left for the rows): only a
//! group's first row is decoded, and each later row feeds the group's accumulators with
//! that first row; on a settled index such a row is not read at all, so `count(*)` per
//! group costs a byte comparison per row. A group's accumulators (their allocation) are
//! reused by the next group.
//!
//! A group's output row is its first row in walk order, then its aggregates, as SQLite's
//! index walk makes it (the bare columns of a group come from one of its rows, which SQL
//! leaves open; the hashing aggregate takes its first row too). The walk sees what
//! any index walk sees (each entry checked against the row version the snapshot sees,
//! `exec::scan::index_range`; a settled index gives rows from its entries alone when they hold
//! every column read). An index dropped after planning is not read: the aggregate then
//! hashes the rows of the scan its input falls back to.

use std::collections::VecDeque;

use ember_storage::{KeyParts, Value};

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::{Affinity, Collation, Expr, KeyRef};
use crate::plan::{AggregateCall, AggregateStrategy, GroupWalk, Node};

use super::super::scan::index_range::RangeCursor;
use super::super::{ExecContext, Operator, Row};
use super::accumulator::Accumulator;
use super::aggregate_feed::Feeder;
use super::AggregateOperator;

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
    /// Set when the walk folds by runs of equal key parts (see the file comment).
    runs: Option<Runs>,
}

/// The state of a walk folding by runs.
struct Runs {
    /// The key parts of the GROUP BY terms.
    parts: KeyParts,
    /// The parts of the run being read.
    running: Vec<u8>,
    /// The storage read's decode buffer.
    buffer: Vec<Value>,
    /// Output rows of groups finished by the last batch, not yet returned.
    ready: VecDeque<Row>,
}

/// Whether the walk of `walk` may fold by runs (see the file comment): every aggregate
/// argument and FILTER reads only columns that are BINARY group terms of INTEGER or TEXT
/// affinity (equal for GROUP BY only when identical), and no correlated subquery.
fn folds_by_runs(walk: &GroupWalk<'_>, aggregates: &[AggregateCall]) -> bool {
    let table: &TableDef = &walk.access.table;
    let fixed = |column: usize| {
        walk.terms.iter().any(|&(term, collation)| {
            term == column
                && collation == Collation::Binary
                && table.columns.get(column).is_some_and(|definition| {
                    matches!(definition.affinity, Affinity::Integer | Affinity::Text)
                })
        })
    };
    aggregates.iter().all(|call| {
        call.args.iter().chain(&call.filter).all(|expr| {
            !expr.has_correlated_subquery() && expr.columns_read().into_iter().all(fixed)
        })
    })
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
        let mut hashing = AggregateOperator::new(
            self.input,
            self.group_by,
            self.aggregates,
            self.input_width,
            AggregateStrategy::ScanHash { parallel: false },
            None,
        );
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
                    let ended = self.group.take();
                    let mut accumulators = Vec::new();
                    let finished = match ended {
                        Some((ended, ended_accumulators)) => {
                            let finished = group_row(ended, &ended_accumulators, input_width)?;
                            accumulators = ended_accumulators;
                            Some(finished)
                        }
                        None => None,
                    };
                    self.feeder
                        .refill_accumulators(&mut accumulators, context.rows_max);
                    self.feeder
                        .feed(&mut accumulators, &row, context, |_, _| {})?;
                    self.group = Some((row, accumulators));
                    if finished.is_some() {
                        return Ok(finished);
                    }
                }
            }
        }
    }

    /// As `next_group`, folding by runs of equal key parts (`runs`).
    fn next_run_group(
        &mut self,
        walk: &GroupWalk<'p>,
        input_width: usize,
        walk_aggregates: usize,
        context: &ExecContext<'_>,
    ) -> Result<Option<Row>> {
        let Walking {
            cursor,
            spare,
            width,
            feeder,
            group,
            runs: Some(runs),
            ..
        } = self
        else {
            return Err(crate::err!(
                Internal,
                "a group walk by runs has no run state"
            ));
        };
        loop {
            if let Some(row) = runs.ready.pop_front() {
                return Ok(Some(row));
            }
            if cursor.is_finished() {
                return match group.take() {
                    Some((row, accumulators)) => {
                        group_row(row, &accumulators, input_width).map(Some)
                    }
                    None => Ok(None),
                };
            }
            let ready = &mut runs.ready;
            cursor.refill_runs(
                walk.access,
                context,
                runs.parts,
                &mut runs.buffer,
                &mut runs.running,
                |values| match (values, group.as_mut()) {
                    // A later row of the run: its group columns are the first row's.
                    (None, Some((first, accumulators))) => {
                        feeder.feed(accumulators, first, context, |_, _| {})
                    }
                    (None, None) => Err(crate::err!(
                        Internal,
                        "a group walk by runs was given a run's later row first"
                    )),
                    (Some(values), Some((first, accumulators)))
                        if same_group(first, values, &walk.terms) =>
                    {
                        feeder.feed(accumulators, values, context, |_, _| {})
                    }
                    (Some(values), _) => {
                        let buffer = spare
                            .pop()
                            .unwrap_or_else(|| Vec::with_capacity(*width + walk_aggregates));
                        let row = std::mem::replace(values, buffer);
                        let mut accumulators = Vec::new();
                        if let Some((ended, ended_accumulators)) = group.take() {
                            ready.push_back(group_row(ended, &ended_accumulators, input_width)?);
                            accumulators = ended_accumulators;
                        }
                        feeder.refill_accumulators(&mut accumulators, context.rows_max);
                        feeder.feed(&mut accumulators, &row, context, |_, _| {})?;
                        *group = Some((row, accumulators));
                        Ok(())
                    }
                },
            )?;
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
                        Some(cursor) => {
                            let by_runs = cursor.decides_filter(access, self.walk.range)
                                && folds_by_runs(&self.walk, self.aggregates);
                            let runs = by_runs.then(|| Runs {
                                parts: KeyParts {
                                    skip: self.walk.range.ranged_position(),
                                    count: self.walk.terms.len(),
                                },
                                running: Vec::new(),
                                buffer: Vec::new(),
                                ready: VecDeque::new(),
                            });
                            WalkState::Walking(Box::new(Walking {
                                cursor,
                                pending: VecDeque::new(),
                                spare: Vec::new(),
                                width: access.read.decoder().width(),
                                feeder: Feeder::new(self.aggregates, context),
                                group: None,
                                runs,
                            }))
                        }
                        None => WalkState::Hashed(self.hashed(context)?.into_iter()),
                    };
                }
                WalkState::Walking(walking) => {
                    let (walk, width) = (&self.walk, self.input_width);
                    let aggregates = self.aggregates.len();
                    return if walking.runs.is_some() {
                        walking.next_run_group(walk, width, aggregates, context)
                    } else {
                        walking.next_group(walk, width, aggregates, context)
                    };
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
