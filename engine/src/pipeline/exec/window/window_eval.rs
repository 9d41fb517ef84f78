//! Computing one window call over one sorted partition: the ranking functions (from the
//! peer groups), lag/lead, first/last/nth_value (from the frame), and aggregates over the
//! frame. Aggregates reuse `Accumulator` and pick the cheapest way SQLite's results allow:
//! a frame that starts at UNBOUNDED PRECEDING only ever adds rows; a sliding frame adds the
//! rows that enter and removes those that leave (count, sum, total, avg), keeps a monotonic
//! queue of candidates (min, max), or recomputes (group_concat); a frame with EXCLUDE is
//! recomputed row by row, as SQLite does.

use std::collections::VecDeque;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, passes, RowTest};
use crate::plan::{AggregateFunction, FrameExclude, SortKey, WindowCall, WindowFunction};

use super::super::aggregate::accumulator::Accumulator;
use super::super::{ExecContext, Row};
use super::window_frame::{Bound, FrameSpec, Peers};

/// Rows between two interrupt checks in long partitions.
const INTERRUPT_EVERY: usize = 1024;

/// One sorted partition, as the window calls see it.
pub(super) struct Partition<'a> {
    /// The partition's rows, in window order.
    pub rows: Vec<&'a Row>,
    pub peers: Peers,
    /// The single ORDER BY term's values and key (for RANGE with an offset).
    pub range_keys: Option<(Vec<Value>, &'a SortKey)>,
}

impl Partition<'_> {
    fn len(&self) -> usize {
        self.rows.len()
    }

    fn range_keys(&self) -> Option<(&[Value], &SortKey)> {
        self.range_keys
            .as_ref()
            .map(|(values, key)| (values.as_slice(), *key))
    }
}

/// The values of `call` for every row of `partition`, in partition order.
pub(super) fn evaluate(
    call: &WindowCall,
    frame: &FrameSpec,
    partition: &Partition<'_>,
    context: &ExecContext<'_>,
) -> Result<Vec<Value>> {
    let len = partition.len();
    let peers = &partition.peers;
    let eval = |expr: &crate::expr::Expr, position: usize| {
        expr.eval(partition.rows[position], &context.eval)
    };
    Ok(match call.function {
        WindowFunction::RowNumber => (1..=len as i64).map(Value::Integer).collect(),
        WindowFunction::Rank => (0..len)
            .map(|p| Value::Integer(peers.start_of(peers.group(p)) as i64 + 1))
            .collect(),
        WindowFunction::DenseRank => (0..len)
            .map(|p| Value::Integer(peers.group(p) as i64 + 1))
            .collect(),
        WindowFunction::PercentRank => (0..len)
            .map(|p| {
                let before = peers.start_of(peers.group(p));
                Value::Real(if len > 1 {
                    before as f64 / (len - 1) as f64
                } else {
                    0.0
                })
            })
            .collect(),
        WindowFunction::CumeDist => (0..len)
            .map(|p| Value::Real(peers.end_of(peers.group(p)) as f64 / len as f64))
            .collect(),
        WindowFunction::Ntile => {
            let buckets = match len {
                0 => 1,
                _ => ntile_buckets(&eval(&call.args[0], 0)?)?,
            };
            (0..len)
                .map(|p| Value::Integer(ntile(p, len, buckets)))
                .collect()
        }
        WindowFunction::Lag | WindowFunction::Lead => {
            let mut values = Vec::with_capacity(len);
            for position in 0..len {
                check_interrupt(position, context)?;
                let offset = match call.args.get(1) {
                    Some(expr) => eval(expr, position)?,
                    None => Value::Integer(1),
                };
                let lead = call.function == WindowFunction::Lead;
                values.push(match shifted_position(position, &offset, lead, len) {
                    Some(target) => eval(&call.args[0], target)?,
                    None => match call.args.get(2) {
                        Some(default) => eval(default, position)?,
                        None => Value::Null,
                    },
                });
            }
            values
        }
        WindowFunction::FirstValue | WindowFunction::LastValue | WindowFunction::NthValue => {
            let mut values = Vec::with_capacity(len);
            for position in 0..len {
                check_interrupt(position, context)?;
                let rows = frame.rows(peers, partition.range_keys(), position);
                let target = match call.function {
                    WindowFunction::FirstValue => rows.nth(0),
                    WindowFunction::LastValue => rows.last(),
                    _ => rows.nth(nth_value_index(&eval(&call.args[1], position)?)?),
                };
                values.push(match target {
                    Some(target) => eval(&call.args[0], target)?,
                    None => Value::Null,
                });
            }
            values
        }
        WindowFunction::Aggregate(function) => {
            aggregate(call, function, frame, partition, context)?
        }
    })
}

fn check_interrupt(position: usize, context: &ExecContext<'_>) -> Result<()> {
    if position % INTERRUPT_EVERY == INTERRUPT_EVERY - 1 {
        context.check_interrupt()?;
    }
    Ok(())
}

/// ntile's argument, read as SQLite reads it (as an integer; not positive is an error).
fn ntile_buckets(value: &Value) -> Result<i64> {
    let buckets = match value {
        Value::Integer(n) => *n,
        Value::Real(r) => *r as i64,
        Value::Boolean(b) => i64::from(*b),
        Value::Text(text) => match crate::expr::numeric_value(text) {
            Value::Integer(n) => n,
            Value::Real(r) => r as i64,
            _ => 0,
        },
        Value::Null | Value::Blob(_) => 0,
    };
    if buckets <= 0 {
        return Err(crate::err!(
            InvalidInput,
            "argument of ntile must be a positive integer"
        ));
    }
    Ok(buckets)
}

/// The bucket (from 1) of `position` among `len` rows split into `buckets` (SQLite's
/// arithmetic: the first `len % buckets` buckets hold one row more).
fn ntile(position: usize, len: usize, buckets: i64) -> i64 {
    let (position, len) = (position as i64, len as i64);
    let size = len / buckets;
    if size == 0 {
        return position + 1;
    }
    let large = len - buckets * size;
    let small_start = large * (size + 1);
    if position < small_start {
        1 + position / (size + 1)
    } else {
        1 + large + (position - small_start) / size
    }
}

/// The position `offset` rows after (lead) or before (lag) `position`, if in the partition.
/// The offset converts as SQLite's arithmetic does: a NULL or non-integral offset finds
/// no row, a negative one looks the other way.
fn shifted_position(position: usize, offset: &Value, lead: bool, len: usize) -> Option<usize> {
    let offset = match offset {
        Value::Integer(n) => *n,
        Value::Boolean(b) => i64::from(*b),
        Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => *r as i64,
        Value::Text(text) => match crate::expr::numeric_value(text) {
            Value::Integer(n) => n,
            Value::Real(r) if r.fract() == 0.0 && r.abs() < 9.0e18 => r as i64,
            _ => return None,
        },
        _ => return None,
    };
    let position = position as i64;
    let target = if lead {
        position.checked_add(offset)?
    } else {
        position.checked_sub(offset)?
    };
    usize::try_from(target).ok().filter(|&target| target < len)
}

/// nth_value's N as a 0-based frame index (N must be a positive integer).
fn nth_value_index(value: &Value) -> Result<usize> {
    let n = match value {
        Value::Integer(n) => Some(*n),
        Value::Real(r) if r.fract() == 0.0 => Some(*r as i64),
        Value::Text(text) => match crate::expr::numeric_value(text) {
            Value::Integer(n) if text.trim().parse::<i64>().is_ok() => Some(n),
            _ => None,
        },
        _ => None,
    };
    match n {
        Some(n) if n > 0 => Ok(usize::try_from(n - 1).unwrap_or(usize::MAX)),
        _ => Err(crate::err!(
            InvalidInput,
            "second argument to nth_value must be a positive integer"
        )),
    }
}

/// An aggregate's argument values and FILTER result for each row of a partition.
struct AggregateInput {
    /// Each row's arguments, `arity` per row (none for count(*); NULLs for a row the
    /// FILTER leaves out), in one buffer.
    args: Vec<Value>,
    arity: usize,
    /// Whether the row passes the FILTER (every row without one).
    included: Vec<bool>,
}

impl AggregateInput {
    fn new(
        call: &WindowCall,
        partition: &Partition<'_>,
        context: &ExecContext<'_>,
    ) -> Result<Self> {
        let arity = call.args.len();
        let mut args = Vec::with_capacity(partition.len() * arity);
        let mut included = Vec::with_capacity(partition.len());
        let mut filter = call.filter.as_ref().map(RowTest::new);
        for (position, row) in partition.rows.iter().enumerate() {
            check_interrupt(position, context)?;
            let kept = passes(&mut filter, row, &context.eval)?;
            included.push(kept);
            for expr in &call.args {
                args.push(if kept {
                    expr.eval(row, &context.eval)?
                } else {
                    Value::Null
                });
            }
        }
        Ok(AggregateInput {
            args,
            arity,
            included,
        })
    }

    /// The arguments of the row at `position`.
    fn row_args(&self, position: usize) -> &[Value] {
        &self.args[position * self.arity..(position + 1) * self.arity]
    }

    fn add(&self, accumulator: &mut Accumulator, position: usize) -> Result<()> {
        if self.included[position] {
            accumulator.add(self.row_args(position))?;
        }
        Ok(())
    }

    fn remove(&self, accumulator: &mut Accumulator, position: usize) -> Result<()> {
        if self.included[position] {
            accumulator.remove(self.row_args(position))?;
        }
        Ok(())
    }

    /// The single argument of a min/max at `position`, when it counts (included, not NULL).
    fn extreme_candidate(&self, position: usize) -> Option<&Value> {
        if !self.included[position] {
            return None;
        }
        self.row_args(position)
            .first()
            .filter(|value| !value.is_null())
    }
}

fn aggregate(
    call: &WindowCall,
    function: AggregateFunction,
    frame: &FrameSpec,
    partition: &Partition<'_>,
    context: &ExecContext<'_>,
) -> Result<Vec<Value>> {
    let input = AggregateInput::new(call, partition, context)?;
    let len = partition.len();
    let keys = partition.range_keys();
    let peers = &partition.peers;
    let mut values = Vec::with_capacity(len);
    // A sketch here is one frame's at a time, bounded by its kind (not charged).
    let fresh = || {
        Accumulator::new(function, false)
            .with_seen_max(context.rows_max)
            .with_user(call.user.as_ref())
    };
    // Aggregates that cannot take rows back (group_concat, the JSON aggregates, user
    // aggregates) recompute a frame whose start moves.
    let cannot_remove = function.is_sketch()
        || matches!(
            function,
            AggregateFunction::GroupConcat
                | AggregateFunction::JsonGroupArray
                | AggregateFunction::JsonGroupObject
                | AggregateFunction::User
        );
    if frame.exclude != FrameExclude::NoOthers
        || (cannot_remove && frame.start != Bound::UnboundedPreceding)
    {
        // Recomputed for every row over exactly its frame (a whole frame's work between
        // two interrupt checks).
        for position in 0..len {
            context.check_interrupt()?;
            let mut accumulator = fresh();
            for row in frame.rows(peers, keys, position).positions() {
                input.add(&mut accumulator, row)?;
            }
            values.push(accumulator.finish()?);
        }
        return Ok(values);
    }
    if matches!(function, AggregateFunction::Min | AggregateFunction::Max)
        && frame.start != Bound::UnboundedPreceding
    {
        return sliding_extreme(&input, function, frame, partition, context);
    }
    // Frame [start, end) of the previous row; both only move forward.
    let (mut start, mut end) = (0, 0);
    let mut accumulator = fresh();
    for position in 0..len {
        check_interrupt(position, context)?;
        let (next_start, next_end) = frame.bounds(peers, keys, position);
        debug_assert!(
            next_start >= start && next_end >= end,
            "frames move forward"
        );
        for row in start..next_start.min(end) {
            input.remove(&mut accumulator, row)?;
        }
        for row in end.max(next_start)..next_end {
            input.add(&mut accumulator, row)?;
        }
        (start, end) = (next_start, next_end);
        values.push(accumulator.finish()?);
    }
    Ok(values)
}

/// min/max over a sliding frame: a queue of the positions that can still be the extreme
/// (values strictly improving from front to back), so each row enters and leaves once.
fn sliding_extreme(
    input: &AggregateInput,
    function: AggregateFunction,
    frame: &FrameSpec,
    partition: &Partition<'_>,
    context: &ExecContext<'_>,
) -> Result<Vec<Value>> {
    let wanted = if function == AggregateFunction::Min {
        std::cmp::Ordering::Less
    } else {
        std::cmp::Ordering::Greater
    };
    let mut queue: VecDeque<usize> = VecDeque::new();
    let mut end = 0;
    let mut values = Vec::with_capacity(partition.len());
    for position in 0..partition.len() {
        check_interrupt(position, context)?;
        let (next_start, next_end) =
            frame.bounds(&partition.peers, partition.range_keys(), position);
        for row in end.max(next_start)..next_end {
            let Some(value) = input.extreme_candidate(row) else {
                continue;
            };
            while let Some(&back) = queue.back() {
                let held = input.extreme_candidate(back).unwrap_or(&Value::Null);
                if compare_for_sort(value, held) == wanted {
                    queue.pop_back();
                } else {
                    break;
                }
            }
            queue.push_back(row);
        }
        end = end.max(next_end);
        while queue.front().is_some_and(|&front| front < next_start) {
            queue.pop_front();
        }
        values.push(match queue.front() {
            Some(&front) => input
                .extreme_candidate(front)
                .cloned()
                .unwrap_or(Value::Null),
            None => Value::Null,
        });
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ntile_splits_as_sqlite() {
        let buckets = |len, n| (0..len).map(|p| ntile(p, len, n)).collect::<Vec<_>>();
        assert_eq!(buckets(5, 2), [1, 1, 1, 2, 2]);
        assert_eq!(buckets(7, 3), [1, 1, 1, 2, 2, 3, 3]);
        assert_eq!(buckets(2, 5), [1, 2]);
        assert!(ntile_buckets(&Value::Integer(0)).is_err());
        assert!(ntile_buckets(&Value::Null).is_err());
        assert_eq!(ntile_buckets(&Value::Real(2.7)).unwrap(), 2);
    }

    #[test]
    fn lag_and_lead_offsets() {
        assert_eq!(shifted_position(2, &Value::Integer(1), false, 5), Some(1));
        assert_eq!(shifted_position(2, &Value::Integer(-1), false, 5), Some(3));
        assert_eq!(shifted_position(4, &Value::Integer(1), true, 5), None);
        assert_eq!(shifted_position(2, &Value::Real(1.5), true, 5), None);
        assert_eq!(shifted_position(2, &Value::Null, true, 5), None);
        assert_eq!(
            shifted_position(2, &Value::Text("abc".into()), true, 5),
            Some(2)
        );
        assert_eq!(
            shifted_position(0, &Value::Integer(i64::MIN), true, 5),
            None
        );
    }
}
