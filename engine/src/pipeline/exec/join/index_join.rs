//! Index nested-loop joins (INNER and LEFT): left rows stream; each left row's candidate
//! right rows come from probing the right table's primary key or a secondary index
//! (`index_probe.rs`), and every candidate that passes every key equality (SQL equality of
//! both sides' values) and the join condition joins it. A LEFT join emits an unmatched left
//! row once, padded with NULLs; an anti join (`Join::unmatched_only`) emits only those,
//! and its probe stops at the first right row that joins, as an existence join's
//! (`Join::existence`, `[NOT] EXISTS`) does, which emits the left row alone when one
//! joined (semi) or none did (anti). Two drivers share the probe: the
//! pulled operator, one joined row per `next`, and `push`, which runs the join to its end
//! handing each joined row to a consumer in one reused buffer (no row allocated per
//! match).

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{passes, RowTest};
use crate::plan::{Join, JoinKind, JoinProbe, JoinSide};

use super::super::push::{columns_read, left_rows, RowSink};
use super::super::sort::top_threshold::gated;
use super::super::{build, ExecContext, Operator, Row};
use super::index_probe::JoinProber;
use super::join_table::keys_match;
use super::pad_right;

/// Left rows between two interrupt checks of the pushed join (its left input may check
/// too, a scan once per batch of slots).
const INTERRUPT_CHECK_ROWS: usize = 256;

/// Counted matches of one left row handed on between two interrupt checks (a key held by
/// many rows joins each left row that many times).
const INTERRUPT_CHECK_MATCHES: usize = 4096;

/// The left row being joined, how far through its candidates, whether any joined.
struct Current {
    row: Row,
    position: usize,
    matched: bool,
}

pub struct IndexJoinOperator<'p> {
    join: &'p Join,
    left: Box<dyn Operator + 'p>,
    prober: JoinProber<'p>,
    current: Option<Current>,
    /// The width of the left rows joined so far (where a joined row's right part starts).
    left_width: usize,
    /// The join's condition, compiled at its first row.
    condition: Option<RowTest<'p>>,
}

impl<'p> IndexJoinOperator<'p> {
    pub fn new(join: &'p Join, probe: &'p JoinProbe) -> Self {
        debug_assert!(matches!(join.kind, JoinKind::Inner | JoinKind::Left));
        let mut left = gated(join, JoinSide::Left, build(&join.left));
        left.reserve_extra_width(join.right_width);
        IndexJoinOperator {
            join,
            left,
            prober: JoinProber::new(join, probe),
            current: None,
            left_width: 0,
            condition: join.condition.as_ref().map(RowTest::new),
        }
    }
}

/// Whether `candidate` joins `left`: the key equalities (unless the probe found it by an
/// exact key) and the join condition, checked on `joined` once it holds both.
fn keys_hold(
    join: &Join,
    exact: bool,
    left: &[Value],
    candidate: &[Value],
    context: &ExecContext<'_>,
) -> Result<bool> {
    Ok(exact
        || keys_match(
            &join.left_keys,
            left,
            &join.right_keys,
            candidate,
            &context.eval,
        )?)
}

/// For an anti join: whether some right row joins `left` (passes the key equalities and
/// the join condition, which `condition` checks on the candidate when there is one). The
/// probe stops at the first such row: nothing is collected or copied for the others.
fn any_joins(
    join: &Join,
    prober: &mut JoinProber<'_>,
    left: &[Value],
    context: &ExecContext<'_>,
    mut condition: impl FnMut(&[Value]) -> Result<bool>,
) -> Result<bool> {
    debug_assert!(join.stops_at_first_match());
    if join.condition.is_none() {
        if let Some(found) = prober.settled_any(left, context)? {
            return Ok(found);
        }
    }
    prober.any_match(left, context, |candidate, exact| {
        Ok(keys_hold(join, exact, left, candidate, context)?
            && (join.condition.is_none() || condition(candidate)?))
    })
}

impl Operator for IndexJoinOperator<'_> {
    /// An anti join (`unmatched_only`) asks the probe only whether some right row joins
    /// (`any_joins`); other joins walk the left row's candidates, one joined row per call.
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let join = self.join;
        loop {
            if self.current.is_none() {
                context.check_interrupt()?;
                let Some(mut left) = self.left.next(context)? else {
                    return Ok(None);
                };
                if join.stops_at_first_match() {
                    let matched = any_joins(join, &mut self.prober, &left, context, |candidate| {
                        let mut joined = Vec::with_capacity(left.len() + candidate.len());
                        joined.extend_from_slice(&left);
                        joined.extend_from_slice(candidate);
                        passes(&mut self.condition, &joined, &context.eval)
                    })?;
                    match join.first_match_output(matched) {
                        Some(padded) => {
                            if padded {
                                left.resize(left.len() + join.right_width, Value::Null);
                            }
                            return Ok(Some(left));
                        }
                        None => {
                            self.left.recycle(left);
                            continue;
                        }
                    }
                }
                self.prober.find_candidates(&left, context)?;
                self.current = Some(Current {
                    row: left,
                    position: 0,
                    matched: false,
                });
            }
            let current = self.current.as_mut().expect("set above");
            let exact = self.prober.keys_exact();
            let candidates = self.prober.candidates();
            let count = candidates.len();
            while current.position < count {
                let candidate = &mut candidates[current.position];
                current.position += 1;
                let last = current.position == count;
                if !keys_hold(join, exact, &current.row, candidate, context)? {
                    continue;
                }
                let left_width = current.row.len();
                self.left_width = left_width;
                // The last candidate takes the left row itself (no copy).
                let mut joined = if last {
                    std::mem::take(&mut current.row)
                } else {
                    let mut copy = Vec::with_capacity(left_width + candidate.len());
                    copy.extend_from_slice(&current.row);
                    copy
                };
                // Each candidate joins the left row once: its values move out, leaving
                // NULLs the next probe's decode overwrites in place.
                joined.extend(
                    candidate
                        .iter_mut()
                        .map(|value| std::mem::replace(value, Value::Null)),
                );
                if passes(&mut self.condition, &joined, &context.eval)? {
                    current.matched = true;
                    if last {
                        self.current = None;
                    }
                    return Ok(Some(joined));
                }
                if last {
                    joined.truncate(left_width);
                    current.row = joined;
                }
            }
            let Current {
                row: mut left,
                matched,
                ..
            } = self.current.take().expect("set above");
            if join.kind == JoinKind::Left && !matched {
                left.resize(left.len() + join.right_width, Value::Null);
                return Ok(Some(left));
            }
            self.left.recycle(left);
        }
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.left.reserve_extra_width(self.join.right_width + extra);
    }

    fn recycle(&mut self, mut row: Row) {
        // The texts and blobs of the right part go back to a candidate emptied by a move
        // (`next` moves them out), so the next probe decodes into their memory; only
        // between left rows, when no candidate is still to be joined.
        if self.current.is_none() {
            let right = self.left_width..self.left_width + self.join.right_width;
            if let (Some(spare), Some(right)) = (self.prober.spare_candidate(), row.get_mut(right))
            {
                for (slot, value) in spare.iter_mut().zip(right) {
                    if matches!(slot, Value::Null)
                        && matches!(value, Value::Text(_) | Value::Blob(_))
                    {
                        std::mem::swap(slot, value);
                    }
                }
            }
        }
        // A joined row is a left row (or a copy of one) extended: its buffer fits the next.
        self.left.recycle(row);
    }
}

/// Runs the index join `join` to its end, handing every joined row to `sink` in one reused
/// buffer (the sink may swap it for an empty buffer or one it got from this call; every
/// value the plan reads is written for each row). Rows come in the order the pulled
/// operator returns them.
pub(in crate::pipeline::exec) fn push(
    join: &Join,
    probe: &JoinProbe,
    context: &ExecContext<'_>,
    sink: RowSink<'_>,
) -> Result<()> {
    debug_assert!(matches!(join.kind, JoinKind::Inner | JoinKind::Left));
    let mut prober = JoinProber::new(join, probe);
    let left_width = join.left_width;
    let width = left_width + join.right_width;
    // Only the columns the plan reads go into the joined row (no operator above the join
    // reads the others: `optimize::prune_columns`).
    let left_columns = columns_read(&join.left, left_width);
    let right_columns = prober.columns_read();
    // Nothing reads a joined row's right values and a settled index can count the rows
    // joining by the key alone: each left row's matches are counted, none is read.
    let count_matches = probe.right_unread && prober.may_count_rows();
    let mut joined: Row = Vec::with_capacity(width);
    let mut condition = join.condition.as_ref().map(RowTest::new);
    let mut until_check = INTERRUPT_CHECK_ROWS;
    left_rows(&join.left, context, &mut |left: &[Value]| {
        debug_assert_eq!(left.len(), left_width);
        until_check -= 1;
        if until_check == 0 {
            until_check = INTERRUPT_CHECK_ROWS;
            context.check_interrupt()?;
        }
        if join.stops_at_first_match() {
            let columns = (left_columns.as_slice(), right_columns.as_slice());
            let joined = (&mut joined, &mut condition);
            return push_first_match(join, &mut prober, left, columns, joined, context, sink);
        }
        if count_matches {
            if let Some(rows) = prober.settled_rows(left, context)? {
                let columns = (left_columns.as_slice(), right_columns.as_slice());
                let joined = (&mut joined, &mut condition);
                return push_counted(join, rows, left, columns, joined, context, sink);
            }
        }
        prober.find_candidates(left, context)?;
        let exact = prober.keys_exact();
        let mut matched = false;
        for candidate in prober.candidates() {
            debug_assert_eq!(candidate.len(), join.right_width);
            if !keys_hold(join, exact, left, candidate, context)? {
                continue;
            }
            fill_left(&mut joined, left, &left_columns, width);
            let right = &mut joined[left_width..];
            // The candidate joins `left` once: its values move into the joined row (the
            // next probe's decode overwrites what it gets back).
            for &column in &right_columns {
                move_value(&mut right[column], &mut candidate[column]);
            }
            if passes(&mut condition, &joined, &context.eval)? {
                matched = true;
                sink(&mut joined)?;
            }
        }
        if join.kind == JoinKind::Left && !matched {
            fill_left(&mut joined, left, &left_columns, width);
            pad_right(&mut joined[left_width..], &right_columns, false);
            sink(&mut joined)?;
        }
        Ok(())
    })
}

/// `push`'s step for one left row that `rows` right rows join by the key alone, when no
/// condition or operator reads their values (`JoinProbe::right_unread`): the left row
/// joined with NULLs as the right values `rows` times, each if the condition (reading the
/// left values alone) holds; a LEFT join's unmatched row as usual. Out of line, as
/// `push_first_match`.
#[inline(never)]
fn push_counted(
    join: &Join,
    rows: usize,
    left: &[Value],
    (left_columns, right_columns): (&[usize], &[usize]),
    (joined, condition): (&mut Row, &mut Option<RowTest<'_>>),
    context: &ExecContext<'_>,
    sink: RowSink<'_>,
) -> Result<()> {
    let left_width = join.left_width;
    let width = left_width + join.right_width;
    let fill = |joined: &mut Row| {
        fill_left(joined, left, left_columns, width);
        pad_right(&mut joined[left_width..], right_columns, false);
    };
    fill(joined);
    let matched = rows > 0 && passes(condition, joined, &context.eval)?;
    if matched {
        for emitted in 0..rows {
            if emitted % INTERRUPT_CHECK_MATCHES == INTERRUPT_CHECK_MATCHES - 1 {
                context.check_interrupt()?;
            }
            // The sink may have swapped the buffer: every value read is written again.
            if emitted > 0 {
                fill(joined);
            }
            sink(joined)?;
        }
    } else if join.kind == JoinKind::Left {
        sink(joined)?;
    }
    Ok(())
}

/// An anti or existence join's step for one left row of `push`: hands `sink` what the
/// left row gives once it is known whether some right row joins it (`Join::
/// first_match_output`: nothing, the row NULL-padded, or the row alone). Out of line, so
/// the per-row loop of the other joins stays as small as it was.
#[inline(never)]
fn push_first_match(
    join: &Join,
    prober: &mut JoinProber<'_>,
    left: &[Value],
    (left_columns, right_columns): (&[usize], &[usize]),
    (joined, condition): (&mut Row, &mut Option<RowTest<'_>>),
    context: &ExecContext<'_>,
    sink: RowSink<'_>,
) -> Result<()> {
    let left_width = join.left_width;
    let width = left_width + join.right_width;
    let matched = any_joins(join, prober, left, context, |candidate| {
        fill_left(joined, left, left_columns, width);
        let right = &mut joined[left_width..];
        for &column in right_columns {
            copy_value(&mut right[column], &candidate[column]);
        }
        passes(condition, joined, &context.eval)
    })?;
    match join.first_match_output(matched) {
        Some(true) => {
            fill_left(joined, left, left_columns, width);
            pad_right(&mut joined[left_width..], right_columns, true);
            sink(joined)?;
        }
        Some(false) => {
            // The left row alone; the next candidate's check widens the buffer again.
            fill_left(joined, left, left_columns, left_width);
            sink(joined)?;
        }
        None => {}
    }
    Ok(())
}

/// Makes `joined` `width` values long, with `left`'s values at the positions `columns`
/// (the rest is the caller's to write, or never read).
#[inline(always)]
pub(super) fn fill_left(joined: &mut Row, left: &[Value], columns: &[usize], width: usize) {
    if joined.len() != width {
        joined.clear();
        joined.resize(width, Value::Null);
    }
    for &column in columns {
        copy_value(&mut joined[column], &left[column]);
    }
}

/// `*slot = value.clone()`, with NULLs and numbers written in place (no call, no drop of a
/// value that owns nothing) and a text or blob copied into the one `slot` holds (its
/// memory reused: a buffer that carried a row of the same shape allocates nothing).
#[inline(always)]
pub(super) fn copy_value(slot: &mut Value, value: &Value) {
    match (slot, value) {
        (Value::Null, Value::Null) => {}
        (Value::Integer(to), Value::Integer(from)) => *to = *from,
        (Value::Real(to), Value::Real(from)) => *to = *from,
        (Value::Text(to), Value::Text(from)) => to.clone_from(from),
        (Value::Blob(to), Value::Blob(from)) => to.clone_from(from),
        (slot, value) => *slot = value.clone(),
    }
}

/// Moves `value` into `slot` (what `slot` held goes to `value`, to be overwritten: a text
/// or blob's memory is then reused by the next decode into it).
#[inline(always)]
fn move_value(slot: &mut Value, value: &mut Value) {
    match (slot, value) {
        (Value::Null, Value::Null) => {}
        (Value::Integer(to), Value::Integer(from)) => *to = *from,
        (Value::Real(to), Value::Real(from)) => *to = *from,
        (slot, value) => std::mem::swap(slot, value),
    }
}
