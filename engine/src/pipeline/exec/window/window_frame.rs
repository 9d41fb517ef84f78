//! Window frame arithmetic: the peer groups of a sorted partition, frame offsets checked
//! as SQLite checks them, and the positions of the rows in the current row's frame (ROWS,
//! RANGE and GROUPS units, every bound kind, EXCLUDE) as half-open ranges of partition
//! positions. Frame starts and ends never move backwards as the current row advances,
//! which the sliding aggregates in `window_eval.rs` rely on.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::compare_for_sort;
use crate::plan::{Frame, FrameBound, FrameExclude, FrameUnits, SortKey};

use super::super::ExecContext;

/// The peer groups of one sorted partition (rows whose ORDER BY values are all equal; with
/// no ORDER BY, the whole partition is one group).
pub(super) struct Peers {
    /// The group of each position.
    group_of: Vec<usize>,
    /// The first position of each group, then the partition's length.
    starts: Vec<usize>,
}

impl Peers {
    /// Groups `len` positions; `peer_of_previous(p)` says whether position `p` (from 1) is
    /// a peer of position `p - 1`.
    pub fn new(len: usize, peer_of_previous: impl Fn(usize) -> bool) -> Peers {
        let mut group_of = Vec::with_capacity(len);
        let mut starts = Vec::new();
        for position in 0..len {
            if position == 0 || !peer_of_previous(position) {
                starts.push(position);
            }
            group_of.push(starts.len() - 1);
        }
        starts.push(len);
        Peers { group_of, starts }
    }

    pub fn len(&self) -> usize {
        self.group_of.len()
    }

    pub fn group(&self, position: usize) -> usize {
        self.group_of[position]
    }

    pub fn group_count(&self) -> usize {
        self.starts.len() - 1
    }

    pub fn start_of(&self, group: usize) -> usize {
        self.starts[group]
    }

    /// One past the last position of `group`.
    pub fn end_of(&self, group: usize) -> usize {
        self.starts[group + 1]
    }
}

/// A frame bound with its offset evaluated and checked.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum Bound {
    UnboundedPreceding,
    Preceding(Value),
    CurrentRow,
    Following(Value),
    UnboundedFollowing,
}

/// A frame ready to place: bounds evaluated once per statement.
#[derive(Debug, Clone)]
pub(super) struct FrameSpec {
    pub units: FrameUnits,
    pub start: Bound,
    pub end: Bound,
    pub exclude: FrameExclude,
}

impl FrameSpec {
    /// Evaluates `frame`'s offsets (constant expressions) and checks them as SQLite does:
    /// a non-negative integer for ROWS and GROUPS, a non-negative number for RANGE.
    pub fn evaluate(frame: &Frame, context: &ExecContext<'_>) -> Result<FrameSpec> {
        let bound = |bound: &FrameBound, which: &str| -> Result<Bound> {
            Ok(match bound {
                FrameBound::UnboundedPreceding => Bound::UnboundedPreceding,
                FrameBound::CurrentRow => Bound::CurrentRow,
                FrameBound::UnboundedFollowing => Bound::UnboundedFollowing,
                FrameBound::Preceding(expr) => Bound::Preceding(check_offset(
                    expr.eval(&[], &context.eval)?,
                    frame.units,
                    which,
                )?),
                FrameBound::Following(expr) => Bound::Following(check_offset(
                    expr.eval(&[], &context.eval)?,
                    frame.units,
                    which,
                )?),
            })
        };
        Ok(FrameSpec {
            units: frame.units,
            start: bound(&frame.start, "starting")?,
            end: bound(&frame.end, "ending")?,
            exclude: frame.exclude,
        })
    }

    /// The frame of `position` before EXCLUDE: positions `start..end` (empty when
    /// `start >= end`). `range_keys` are the single ORDER BY term's values and its sort
    /// direction, needed by RANGE with an offset.
    pub fn bounds(
        &self,
        peers: &Peers,
        range_keys: Option<(&[Value], &SortKey)>,
        position: usize,
    ) -> (usize, usize) {
        let start = self.place(&self.start, false, peers, range_keys, position);
        let end = self.place(&self.end, true, peers, range_keys, position);
        (start, end.max(start))
    }

    /// The rows of `position`'s frame after EXCLUDE, as up to three ranges in order.
    pub fn rows(
        &self,
        peers: &Peers,
        range_keys: Option<(&[Value], &SortKey)>,
        position: usize,
    ) -> FrameRows {
        let (start, end) = self.bounds(peers, range_keys, position);
        let mut rows = FrameRows::default();
        let group = peers.group(position);
        let (group_start, group_end) = (peers.start_of(group), peers.end_of(group));
        match self.exclude {
            FrameExclude::NoOthers => rows.push(start, end, (start, end)),
            FrameExclude::CurrentRow => {
                rows.push(start, position, (start, end));
                rows.push(position + 1, end, (start, end));
            }
            FrameExclude::Group => {
                rows.push(start, group_start, (start, end));
                rows.push(group_end, end, (start, end));
            }
            FrameExclude::Ties => {
                rows.push(start, group_start, (start, end));
                rows.push(position, position + 1, (start, end));
                rows.push(group_end, end, (start, end));
            }
        }
        rows
    }

    /// Where `bound` places the frame's start (or, with `is_end`, one past its end).
    fn place(
        &self,
        bound: &Bound,
        is_end: bool,
        peers: &Peers,
        range_keys: Option<(&[Value], &SortKey)>,
        position: usize,
    ) -> usize {
        let len = peers.len();
        let group = peers.group(position);
        match (bound, self.units) {
            (Bound::UnboundedPreceding, _) => 0,
            (Bound::UnboundedFollowing, _) => len,
            (Bound::CurrentRow, FrameUnits::Rows) => position + usize::from(is_end),
            (Bound::CurrentRow, _) if is_end => peers.end_of(group),
            (Bound::CurrentRow, _) => peers.start_of(group),
            (Bound::Preceding(offset), FrameUnits::Rows) => {
                let anchor = position + usize::from(is_end);
                anchor.saturating_sub(count_of(offset))
            }
            (Bound::Following(offset), FrameUnits::Rows) => {
                let anchor = position + usize::from(is_end);
                anchor.saturating_add(count_of(offset)).min(len)
            }
            (Bound::Preceding(offset), FrameUnits::Groups) => {
                let back = count_of(offset);
                match (is_end, group.checked_sub(back)) {
                    (false, target) => peers.start_of(target.unwrap_or(0)),
                    (true, Some(target)) => peers.end_of(target),
                    (true, None) => 0,
                }
            }
            (Bound::Following(offset), FrameUnits::Groups) => {
                let target = group.saturating_add(count_of(offset));
                match (is_end, target < peers.group_count()) {
                    (false, true) => peers.start_of(target),
                    (false, false) => len,
                    (true, true) => peers.end_of(target),
                    (true, false) => len,
                }
            }
            (Bound::Preceding(offset) | Bound::Following(offset), FrameUnits::Range) => {
                let Some((keys, key)) = range_keys else {
                    // The binder requires one ORDER BY term for a RANGE offset.
                    debug_assert!(false, "RANGE offset without its ORDER BY values");
                    return if is_end { len } else { 0 };
                };
                let forward = matches!(bound, Bound::Following(_)) != key.descending;
                let target = shift(&keys[position], offset, forward);
                if is_end {
                    keys.partition_point(|value| {
                        sort_order(value, &target, key) != Ordering::Greater
                    })
                } else {
                    keys.partition_point(|value| sort_order(value, &target, key) == Ordering::Less)
                }
            }
        }
    }
}

/// Up to three ranges of partition positions, in order.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct FrameRows {
    ranges: [(usize, usize); 3],
    count: usize,
}

impl FrameRows {
    /// Adds `start..end` clipped to `frame`, when not empty.
    fn push(&mut self, start: usize, end: usize, frame: (usize, usize)) {
        let (start, end) = (start.max(frame.0), end.min(frame.1));
        if start < end {
            self.ranges[self.count] = (start, end);
            self.count += 1;
        }
    }

    /// The frame's positions, in order.
    pub fn positions(&self) -> impl Iterator<Item = usize> + '_ {
        self.ranges[..self.count]
            .iter()
            .flat_map(|&(start, end)| start..end)
    }

    /// The `n`th position (0-based), if the frame has that many rows.
    pub fn nth(&self, mut n: usize) -> Option<usize> {
        for &(start, end) in &self.ranges[..self.count] {
            if n < end - start {
                return Some(start + n);
            }
            n -= end - start;
        }
        None
    }

    pub fn last(&self) -> Option<usize> {
        self.ranges[..self.count].last().map(|&(_, end)| end - 1)
    }
}

/// A checked offset's row or group count (saturating: a huge offset reaches past any
/// partition).
fn count_of(offset: &Value) -> usize {
    match offset {
        Value::Integer(n) => usize::try_from(*n).unwrap_or(usize::MAX),
        _ => 0,
    }
}

/// Checks a frame offset: ROWS and GROUPS take a non-negative integer (an integral real or
/// an integer-looking text converts), RANGE a non-negative number.
fn check_offset(value: Value, units: FrameUnits, which: &str) -> Result<Value> {
    let numeric = match &value {
        Value::Text(text) => crate::expr::numeric_value(text),
        Value::Boolean(b) => Value::Integer(i64::from(*b)),
        other => other.clone(),
    };
    let text_like = matches!(value, Value::Text(_) | Value::Blob(_));
    let checked = match (units, numeric) {
        (FrameUnits::Range, _) if text_like => None,
        (FrameUnits::Range, Value::Integer(n)) if n >= 0 => Some(Value::Integer(n)),
        (FrameUnits::Range, Value::Real(r)) if r >= 0.0 => Some(Value::Real(r)),
        (_, Value::Integer(n)) if n >= 0 && !is_non_integer_text(&value) => Some(Value::Integer(n)),
        (_, Value::Real(r)) if r >= 0.0 && r.fract() == 0.0 && !text_like => {
            Some(Value::Integer(r as i64))
        }
        _ => None,
    };
    checked.ok_or_else(|| {
        let kind = if units == FrameUnits::Range {
            "number"
        } else {
            "integer"
        };
        crate::err!(
            InvalidInput,
            "frame {which} offset must be a non-negative {kind}"
        )
    })
}

/// Whether `value` is a text that does not read entirely as an integer.
fn is_non_integer_text(value: &Value) -> bool {
    match value {
        Value::Text(text) => text.trim().parse::<i64>().is_err(),
        Value::Blob(_) => true,
        _ => false,
    }
}

/// The ORDER BY value `offset` away from `value`, forwards (added) or backwards, with
/// SQLite's arithmetic: NULL stays NULL, and a text or blob is not moved.
fn shift(value: &Value, offset: &Value, forward: bool) -> Value {
    let base = match value {
        Value::Integer(i) => Value::Integer(*i),
        Value::Boolean(b) => Value::Integer(i64::from(*b)),
        Value::Real(r) => Value::Real(*r),
        _ => return value.clone(),
    };
    match (base, offset) {
        (Value::Integer(i), Value::Integer(n)) => {
            let moved = if forward {
                i.checked_add(*n)
            } else {
                i.checked_sub(*n)
            };
            match moved {
                Some(moved) => Value::Integer(moved),
                None if forward => Value::Real(i as f64 + *n as f64),
                None => Value::Real(i as f64 - *n as f64),
            }
        }
        (base, offset) => {
            let (b, n) = (as_real(&base), as_real(offset));
            Value::Real(if forward { b + n } else { b - n })
        }
    }
}

fn as_real(value: &Value) -> f64 {
    match value {
        Value::Integer(i) => *i as f64,
        Value::Real(r) => *r,
        _ => 0.0,
    }
}

/// Compares two values of one ORDER BY term in its sort order (NULLs placed as it says).
pub(super) fn sort_order(left: &Value, right: &Value, key: &SortKey) -> Ordering {
    match (left.is_null(), right.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if key.nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if key.nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let ordering = compare_for_sort(left, right);
            if key.descending {
                ordering.reverse()
            } else {
                ordering
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::Expr;

    fn spec(units: FrameUnits, start: Bound, end: Bound, exclude: FrameExclude) -> FrameSpec {
        FrameSpec {
            units,
            start,
            end,
            exclude,
        }
    }

    fn int(n: i64) -> Value {
        Value::Integer(n)
    }

    /// Peers of sorted values: equal neighbours are peers.
    fn peers_of(values: &[Value]) -> Peers {
        Peers::new(values.len(), |p| {
            compare_for_sort(&values[p], &values[p - 1]) == Ordering::Equal
        })
    }

    fn ascending() -> SortKey {
        SortKey {
            expr: Expr::Literal(Value::Null),
            descending: false,
            nulls_first: true,
            collation: None,
        }
    }

    #[test]
    fn rows_bounds_clamp_to_the_partition() {
        let peers = Peers::new(5, |_| false);
        let frame = spec(
            FrameUnits::Rows,
            Bound::Preceding(int(2)),
            Bound::Following(int(1)),
            FrameExclude::NoOthers,
        );
        let placed: Vec<_> = (0..5).map(|p| frame.bounds(&peers, None, p)).collect();
        assert_eq!(placed, [(0, 2), (0, 3), (0, 4), (1, 5), (2, 5)]);
        // 1 FOLLOWING .. 3 FOLLOWING is empty for the last row.
        let ahead = spec(
            FrameUnits::Rows,
            Bound::Following(int(1)),
            Bound::Following(int(3)),
            FrameExclude::NoOthers,
        );
        assert_eq!(ahead.bounds(&peers, None, 4), (5, 5));
        assert_eq!(ahead.bounds(&peers, None, 0), (1, 4));
        // A huge offset saturates.
        let huge = spec(
            FrameUnits::Rows,
            Bound::Preceding(int(i64::MAX)),
            Bound::Following(int(i64::MAX)),
            FrameExclude::NoOthers,
        );
        assert_eq!(huge.bounds(&peers, None, 2), (0, 5));
    }

    #[test]
    fn groups_and_range_current_row_use_peers() {
        let values = [int(1), int(1), int(2), int(3), int(3), int(3)];
        let peers = peers_of(&values);
        assert_eq!(peers.group_count(), 3);
        let groups = spec(
            FrameUnits::Groups,
            Bound::Preceding(int(1)),
            Bound::CurrentRow,
            FrameExclude::NoOthers,
        );
        assert_eq!(groups.bounds(&peers, None, 0), (0, 2));
        assert_eq!(groups.bounds(&peers, None, 2), (0, 3));
        assert_eq!(groups.bounds(&peers, None, 4), (2, 6));
        let range = spec(
            FrameUnits::Range,
            Bound::UnboundedPreceding,
            Bound::CurrentRow,
            FrameExclude::NoOthers,
        );
        assert_eq!(range.bounds(&peers, None, 3), (0, 6));
        assert_eq!(range.bounds(&peers, None, 1), (0, 2));
    }

    #[test]
    fn range_offsets_compare_values() {
        let values = [
            Value::Null,
            int(1),
            int(2),
            int(4),
            Value::Real(4.5),
            int(7),
        ];
        let peers = peers_of(&values);
        let key = ascending();
        let frame = spec(
            FrameUnits::Range,
            Bound::Preceding(int(2)),
            Bound::Following(Value::Real(0.5)),
            FrameExclude::NoOthers,
        );
        let keys = Some((&values[..], &key));
        // NULL's frame is its peers (the NULLs).
        assert_eq!(frame.bounds(&peers, keys, 0), (0, 1));
        // 2: values in [0, 2.5].
        assert_eq!(frame.bounds(&peers, keys, 2), (1, 3));
        // 4: values in [2, 4.5].
        assert_eq!(frame.bounds(&peers, keys, 3), (2, 5));
        // 7: values in [5, 7.5].
        assert_eq!(frame.bounds(&peers, keys, 5), (5, 6));
        let descending = SortKey {
            descending: true,
            nulls_first: false,
            ..ascending()
        };
        let down = [int(7), int(5), int(4), int(1)];
        let peers = peers_of(&down);
        let keys = Some((&down[..], &descending));
        // 5 DESC, 2 PRECEDING .. 0.5 FOLLOWING: values in [4.5, 7].
        assert_eq!(frame.bounds(&peers, keys, 1), (0, 2));
    }

    #[test]
    fn exclusion_cuts_the_frame() {
        let values = [int(1), int(2), int(2), int(2), int(3)];
        let peers = peers_of(&values);
        let rows = |exclude| {
            let frame = spec(
                FrameUnits::Rows,
                Bound::UnboundedPreceding,
                Bound::UnboundedFollowing,
                exclude,
            );
            frame.rows(&peers, None, 2).positions().collect::<Vec<_>>()
        };
        assert_eq!(rows(FrameExclude::NoOthers), [0, 1, 2, 3, 4]);
        assert_eq!(rows(FrameExclude::CurrentRow), [0, 1, 3, 4]);
        assert_eq!(rows(FrameExclude::Group), [0, 4]);
        assert_eq!(rows(FrameExclude::Ties), [0, 2, 4]);
        let frame = spec(
            FrameUnits::Rows,
            Bound::UnboundedPreceding,
            Bound::UnboundedFollowing,
            FrameExclude::Ties,
        );
        let cut = frame.rows(&peers, None, 2);
        assert_eq!(
            (cut.nth(1), cut.nth(3), cut.last()),
            (Some(2), None, Some(4))
        );
    }

    #[test]
    fn offsets_are_checked_as_sqlite_does() {
        let rows = |value| check_offset(value, FrameUnits::Rows, "starting");
        assert_eq!(rows(int(3)).unwrap(), int(3));
        assert_eq!(rows(Value::Real(2.0)).unwrap(), int(2));
        assert_eq!(rows(Value::Text("4".into())).unwrap(), int(4));
        for bad in [
            int(-1),
            Value::Real(1.5),
            Value::Null,
            Value::Text("x".into()),
        ] {
            let error = rows(bad).unwrap_err();
            assert!(
                error.to_string().contains("non-negative integer"),
                "{error}"
            );
        }
        let range = |value| check_offset(value, FrameUnits::Range, "ending");
        assert_eq!(range(Value::Real(1.5)).unwrap(), Value::Real(1.5));
        for bad in [Value::Real(-0.5), Value::Null, Value::Text("1".into())] {
            let error = range(bad).unwrap_err();
            assert!(error
                .to_string()
                .contains("ending offset must be a non-negative number"));
        }
    }
}
