//! Running an `IndexRange` access (plan/index_range.rs): the bounds are evaluated once and
//! encoded as the index encodes keys; the index is then walked a batch at a time (resuming
//! after the last entry, so nothing stays pinned between batches and a LIMIT above stops
//! the walk early), rechecking the access filter on every row. A text prefix in either
//! case is several ranges, walked one after another in key order. A bound that is NULL
//! reaches no row (NULL is in no range). An index dropped after planning is not read: the
//! caller falls back to a full scan.

use std::collections::VecDeque;
use std::ops::Bound;
use std::sync::Arc;

use ember_storage::index::{
    encode_ordered_part, encode_ordered_text_prefix, prefix_successor, KeyCollation, SecondaryIndex,
};
use ember_storage::{RangeProgress, RangeScratch, RowId, Value};

use crate::error::Result;
use crate::expr::{holds_as_is, BinaryOp, Expr, Predicate};
use crate::plan::{IndexRange, TableAccess, CASED_LETTERS_MAX};

use super::super::{ExecContext, Row};

#[path = "range_skip.rs"]
mod skip;

#[path = "distinct_range.rs"]
mod distinct;
pub(in crate::pipeline::exec) use distinct::count_distinct_range;

/// Entries examined by the first batch; each later batch doubles, up to the last size.
const FIRST_BATCH_ENTRIES: usize = 16;
const MAX_BATCH_ENTRIES: usize = 1024;

/// Largest key buffer (bytes) a connection keeps from one range walk for the next: walks
/// over ordinary keys then allocate nothing, and a huge key's buffer is not held.
const RANGE_SCRATCH_KEPT_BYTES: usize = 1024;

/// Lower and upper bounds of encoded keys.
type KeyRange = (Bound<Vec<u8>>, Bound<Vec<u8>>);

/// A walk through an index range, between batches.
pub struct RangeCursor {
    index: Arc<SecondaryIndex>,
    lower: Bound<Vec<u8>>,
    upper: Bound<Vec<u8>>,
    descending: bool,
    first_only: bool,
    /// Every prefix and bound value is one its column holds as it is (`holds_as_is`): a
    /// row the walk reaches then satisfies every filter term the range was made from.
    exact_bounds: bool,
    batch: usize,
    finished: bool,
    /// Ranges still to walk after the current one (bounds), the next last: a text prefix
    /// in either case is one range per case variant, walked in key order.
    more_ranges: Vec<KeyRange>,
    /// The storage read's reused buffers (the staleness check's key, the resume key).
    scratch: RangeScratch,
}

/// Encodes `value` as part `position` of the index's keys, after `out`.
fn encode_part(index: &SecondaryIndex, position: usize, value: &Value, out: &mut Vec<u8>) {
    encode_ordered_part(value, part_collation(index, position), out);
}

/// The collation of part `position` of the index's keys.
fn part_collation(index: &SecondaryIndex, position: usize) -> KeyCollation {
    index
        .ordered()
        .and_then(|ordered| ordered.collations().get(position).copied())
        .unwrap_or(KeyCollation::Binary)
}

/// Whether `test` holds for every conjunct of `filter` (its AND terms, nested ones
/// flattened), visited in place.
fn every_conjunct(filter: &Expr, test: &mut impl FnMut(&Expr) -> bool) -> bool {
    match filter {
        Expr::Binary(BinaryOp::And, left, right) => {
            every_conjunct(left, test) && every_conjunct(right, test)
        }
        term => test(term),
    }
}

/// Bound just past every key that starts with `prefix` (`Unbounded` when none is).
fn past(prefix: &[u8]) -> Bound<Vec<u8>> {
    match prefix_successor(prefix) {
        Some(successor) => Bound::Excluded(successor),
        None => Bound::Unbounded,
    }
}

impl RangeCursor {
    /// Evaluates the range's bounds; `None` when the index no longer exists.
    pub fn open(
        access: &TableAccess,
        range: &IndexRange,
        context: &ExecContext<'_>,
    ) -> Result<Option<RangeCursor>> {
        let Some(index) = access
            .table
            .storage
            .attached_index(&range.index.storage)
            .cloned()
        else {
            return Ok(None);
        };
        let mut cursor = RangeCursor {
            index,
            lower: Bound::Unbounded,
            upper: Bound::Unbounded,
            descending: range.descending,
            first_only: range.first_only,
            // A text prefix is text, which a TEXT column (the only kind ranged by one)
            // holds as it is; whether the range decides its LIKE is `range_decides`'s.
            exact_bounds: true,
            batch: FIRST_BATCH_ENTRIES,
            finished: false,
            more_ranges: Vec::new(),
            // The connection's kept key buffers, when it has them (given back by
            // `visit_range_rows`).
            scratch: context
                .buffers
                .map(|buffers| buffers.range_scratch.take())
                .unwrap_or_default(),
        };
        if cursor.index.ordered().is_none() {
            return Ok(None);
        }
        let columns = &access.table.columns;
        let holds = |position: usize, value: &Value| {
            range.index.columns.get(position).is_some_and(|&column| {
                columns
                    .get(column)
                    .is_some_and(|definition| holds_as_is(value, definition.data_type))
            })
        };
        let mut prefix = Vec::new();
        for (position, expr) in range.prefix.iter().enumerate() {
            let value = expr.eval(&[], &context.eval)?;
            if value == Value::Null {
                cursor.finished = true;
                return Ok(Some(cursor));
            }
            cursor.exact_bounds &= holds(position, &value);
            encode_part(&cursor.index, position, &value, &mut prefix);
        }
        let position = range.ranged_position();
        if range.only_nulls {
            // `col IS NULL`: the keys holding NULL after the prefix; none beside a bound.
            let bounded = range.skip_nulls
                || range.lower.is_some()
                || range.upper.is_some()
                || range.text_prefix.is_some();
            if bounded || position >= range.index.columns.len() {
                cursor.finished = true;
                return Ok(Some(cursor));
            }
            let mut start = prefix;
            encode_part(&cursor.index, position, &Value::Null, &mut start);
            cursor.upper = past(&start);
            cursor.lower = Bound::Included(start);
            return Ok(Some(cursor));
        }
        if let Some(text) = &range.text_prefix {
            let collation = part_collation(&cursor.index, position);
            let mut starts = Vec::new();
            for variant in case_variants(text, range.prefix_either_case) {
                let mut start = prefix.clone();
                if encode_ordered_text_prefix(&variant, collation, &mut start).is_none() {
                    // The planner never ranges a prefix under a collation that cannot hold
                    // one.
                    return Ok(None);
                }
                starts.push(start);
            }
            // Variants of one length are disjoint ranges; walked in key order (the last
            // is walked first when descending).
            starts.sort_unstable();
            starts.dedup();
            if !cursor.descending {
                starts.reverse();
            }
            cursor.more_ranges = starts
                .into_iter()
                .map(|start| {
                    let upper = past(&start);
                    (Bound::Included(start), upper)
                })
                .collect();
            cursor.next_range();
            return Ok(Some(cursor));
        }
        let mut exact_bounds = cursor.exact_bounds;
        let mut bound_key = |expr: &crate::expr::Expr| -> Result<Option<Vec<u8>>> {
            let value = expr.eval(&[], &context.eval)?;
            if value == Value::Null {
                return Ok(None);
            }
            exact_bounds &= holds(position, &value);
            let mut key = prefix.clone();
            encode_part(&cursor.index, position, &value, &mut key);
            Ok(Some(key))
        };
        let lower = match &range.lower {
            Some(bound) => match bound_key(&bound.value)? {
                None => None,
                Some(key) if bound.inclusive => Some(Bound::Included(key)),
                Some(key) => match past(&key) {
                    Bound::Excluded(successor) => Some(Bound::Included(successor)),
                    _ => None,
                },
            },
            None => Some(Bound::Unbounded),
        };
        let upper = match &range.upper {
            Some(bound) => match bound_key(&bound.value)? {
                None => None,
                Some(key) if bound.inclusive => Some(past(&key)),
                Some(key) => Some(Bound::Excluded(key)),
            },
            None => Some(Bound::Unbounded),
        };
        cursor.exact_bounds = exact_bounds;
        let (Some(mut lower), Some(mut upper)) = (lower, upper) else {
            cursor.finished = true;
            return Ok(Some(cursor));
        };
        if matches!(lower, Bound::Unbounded) {
            // Within the prefix; past the NULLs of the ranged column when it is bounded.
            let skip_nulls = range.skip_nulls || range.upper.is_some();
            let mut start = prefix.clone();
            if skip_nulls && position < range.index.columns.len() {
                encode_part(&cursor.index, position, &Value::Null, &mut start);
                lower = match past(&start) {
                    Bound::Excluded(successor) => Bound::Included(successor),
                    _ => Bound::Unbounded,
                };
            } else if !start.is_empty() {
                lower = Bound::Included(start);
            }
        }
        if matches!(upper, Bound::Unbounded) && !prefix.is_empty() {
            upper = past(&prefix);
        }
        cursor.lower = lower;
        cursor.upper = upper;
        Ok(Some(cursor))
    }

    /// The cursor of `open` whose first batch reads as many entries as the LIMIT (and
    /// OFFSET) above it take, when they are non-negative integers: a queue of rows (the
    /// operator tree's scan) then holds no more than the query returns. The direct path
    /// (`visit_range_rows`) stops at its last row itself and reads batches of the largest
    /// size, so it evaluates no hint.
    pub fn open_batched(
        access: &TableAccess,
        range: &IndexRange,
        context: &ExecContext<'_>,
    ) -> Result<Option<RangeCursor>> {
        let Some(mut cursor) = RangeCursor::open(access, range, context)? else {
            return Ok(None);
        };
        if let Some(taken) = &range.rows_taken {
            let count = |expr: &crate::expr::Expr| -> Result<Option<i64>> {
                Ok(match expr.eval(&[], &context.eval)? {
                    Value::Integer(n) => Some(n),
                    _ => None,
                })
            };
            let limit = count(&taken.0)?;
            let offset = match &taken.1 {
                Some(offset) => count(offset)?,
                None => Some(0),
            };
            // Anything but non-negative integers is left to the Limit (no hint).
            if let (Some(limit), Some(offset)) = (limit, offset) {
                if limit >= 0 && offset >= 0 {
                    let rows = limit.saturating_add(offset).max(1);
                    cursor.batch = usize::try_from(rows)
                        .map_or(MAX_BATCH_ENTRIES, |rows| rows.min(MAX_BATCH_ENTRIES));
                }
            }
        }
        Ok(Some(cursor))
    }

    /// Gives the walk's key buffers to the connection for its next walk (unless large).
    fn keep_scratch(self, context: &ExecContext<'_>) {
        if let Some(buffers) = context.buffers {
            if self.scratch.capacity() <= RANGE_SCRATCH_KEPT_BYTES {
                buffers.range_scratch.set(self.scratch);
            }
        }
    }

    /// Moves to the next range to walk, or finishes the walk when none is left.
    fn next_range(&mut self) {
        match self.more_ranges.pop() {
            Some((lower, upper)) => (self.lower, self.upper) = (lower, upper),
            None => self.finished = true,
        }
    }

    pub fn is_finished(&self) -> bool {
        self.finished
    }

    /// Reads the next batch of rows that pass the access filter into `pending`, each
    /// decoded into a buffer from `spare` (rows the consumer handed back) or a new one with
    /// room for `row_capacity` values.
    pub fn refill(
        &mut self,
        access: &TableAccess,
        context: &ExecContext<'_>,
        pending: &mut VecDeque<Row>,
        spare: &mut Vec<Row>,
        row_capacity: usize,
    ) -> Result<()> {
        let filter = access
            .filter
            .as_ref()
            .map(|f| Predicate::new(f, &context.eval));
        let mut fresh_buffer = || {
            spare
                .pop()
                .unwrap_or_else(|| Vec::with_capacity(row_capacity))
        };
        let mut buffer = fresh_buffer();
        // Room for a batch at once (the queue is reused by later batches), instead of
        // growing from empty through every power of two.
        pending.reserve(self.batch);
        while pending.is_empty() && !self.finished {
            context.check_interrupt()?;
            let mut failure = None;
            let first_only = self.first_only;
            let progress = context.txn.index_range(
                &access.table.storage,
                &self.index,
                as_slices(&self.lower),
                as_slices(&self.upper),
                self.descending,
                self.batch,
                access.read.decoder(),
                &mut buffer,
                &mut self.scratch,
                |_, values| {
                    let keep = match &filter {
                        None => Ok(true),
                        Some(predicate) => predicate.matches(values, &context.eval),
                    };
                    match keep {
                        Ok(true) => {
                            pending.push_back(std::mem::replace(values, fresh_buffer()));
                            !first_only
                        }
                        Ok(false) => true,
                        Err(error) => {
                            failure = Some(error);
                            false
                        }
                    }
                },
            )?;
            if let Some(error) = failure {
                return Err(error);
            }
            self.advance(progress);
            if self.first_only && !pending.is_empty() {
                self.finished = true;
            }
        }
        // The buffer no row went out in serves the next batch (one taken, one returned).
        spare.push(buffer);
        Ok(())
    }

    /// Moves an ascending counting walk past a batch: the next batch starts at the entry
    /// this one stopped before (kept as the scratch's resume key), or at the next range.
    fn advance_counted(&mut self, progress: RangeProgress) {
        match progress {
            RangeProgress::Done => self.next_range(),
            RangeProgress::Stopped => {
                let mut key = match std::mem::replace(&mut self.lower, Bound::Unbounded) {
                    Bound::Included(key) | Bound::Excluded(key) => key,
                    Bound::Unbounded => Vec::new(),
                };
                self.scratch.swap_resume_into(&mut key);
                self.lower = Bound::Included(key);
            }
        }
    }

    /// Moves the walk past what a batch read: the bound it resumes from becomes the entry
    /// it stopped after (the bound's old bytes are kept as the scratch's next buffer).
    fn advance(&mut self, progress: RangeProgress) {
        match progress {
            RangeProgress::Done => self.next_range(),
            RangeProgress::Stopped => {
                let bound = if self.descending {
                    &mut self.upper
                } else {
                    &mut self.lower
                };
                let mut key = match std::mem::replace(bound, Bound::Unbounded) {
                    Bound::Included(key) | Bound::Excluded(key) => key,
                    Bound::Unbounded => Vec::new(),
                };
                self.scratch.swap_resume_into(&mut key);
                *bound = Bound::Excluded(key);
                self.batch = (self.batch * 2).min(MAX_BATCH_ENTRIES);
            }
        }
    }
}

/// The prefixes a text prefix's range is made of: itself, or with `either_case` every
/// upper/lower case spelling of it cut after its first `CASED_LETTERS_MAX` ASCII letters
/// (`LIKE` folds ASCII letters only).
fn case_variants(prefix: &str, either_case: bool) -> Vec<String> {
    if !either_case {
        return vec![prefix.to_string()];
    }
    let mut variants = vec![String::new()];
    let mut letters = 0;
    for c in prefix.chars() {
        if c.is_ascii_alphabetic() {
            if letters == CASED_LETTERS_MAX {
                break;
            }
            letters += 1;
            variants = variants
                .into_iter()
                .flat_map(|variant| {
                    let mut upper = variant.clone();
                    upper.push(c.to_ascii_uppercase());
                    let mut lower = variant;
                    lower.push(c.to_ascii_lowercase());
                    [upper, lower]
                })
                .collect();
        } else {
            variants.iter_mut().for_each(|variant| variant.push(c));
        }
    }
    variants
}

fn as_slices(bound: &Bound<Vec<u8>>) -> Bound<&[u8]> {
    bound.as_ref().map(Vec::as_slice)
}

/// Calls `visit` with every row (id and values, decoded into one reused buffer) of an index
/// range that passes the access filter, in index order; `Ok(false)` when the index no
/// longer exists (nothing was visited: the caller scans instead).
pub fn for_each_range_row(
    access: &TableAccess,
    range: &IndexRange,
    context: &ExecContext<'_>,
    visit: &mut impl FnMut(RowId, &[Value]) -> Result<()>,
) -> Result<bool> {
    let mut buffer = Vec::new();
    visit_range_rows(access, range, context, &mut buffer, |row_id, values| {
        visit(row_id, values)?;
        Ok(true)
    })
}

/// Calls `visit` with every row of an index range that passes the access filter, in index
/// order, each decoded into `buffer` (which `visit` may take, leaving another buffer in its
/// place), until `visit` returns `Ok(false)`; `Ok(false)` when the index no longer exists
/// (nothing was visited: the caller scans instead). The walk goes a batch of entries at a
/// time (no epoch stays pinned between batches), checking for an interrupt before each.
pub fn visit_range_rows(
    access: &TableAccess,
    range: &IndexRange,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    visit_range_rows_after(access, range, 0, context, buffer, visit)
}

/// `visit_range_rows` after stepping over the first `skip` rows that pass the access
/// filter (an OFFSET): when the range decides the filter, by index entries without reading
/// a row (`range_skip.rs`), else by reading and dropping them.
pub fn visit_range_rows_after(
    access: &TableAccess,
    range: &IndexRange,
    skip: u64,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    walk_range_deciding(
        access,
        range,
        access.filter.as_ref(),
        true,
        skip,
        context,
        buffer,
        visit,
    )
}

/// The rows of an ascending index range the transaction sees, counted with no filter (the
/// caller vouches that the range decides the whole access filter: `counted.rs`), and the
/// row of the greatest entry counted: the storage counts (`count_index_range`) a batch at a time
/// (no epoch stays pinned between batches, an interrupt is checked before each). `None`
/// when the index no longer exists (the caller scans instead).
pub(in crate::pipeline::exec) fn count_range(
    access: &TableAccess,
    range: &IndexRange,
    context: &ExecContext<'_>,
) -> Result<Option<(u64, Option<RowId>)>> {
    debug_assert!(!range.descending);
    let Some(mut cursor) = RangeCursor::open(access, range, context)? else {
        return Ok(None);
    };
    let mut buffer = Vec::new();
    let (mut rows, mut last) = (0u64, None);
    while !cursor.finished {
        context.check_interrupt()?;
        let (counted, greatest, progress) = context.txn.count_index_range(
            &access.table.storage,
            &cursor.index,
            as_slices(&cursor.lower),
            as_slices(&cursor.upper),
            MAX_BATCH_ENTRIES,
            access.read.decoder(),
            &mut buffer,
            &mut cursor.scratch,
        )?;
        rows += counted;
        last = greatest.or(last);
        cursor.advance_counted(progress);
    }
    cursor.keep_scratch(context);
    Ok(Some((rows, last)))
}

/// `visit_range_rows` checking `filter` on each row instead of the access's filter (the
/// caller vouches that the range decides the rest: `counted.rs`).
pub(in crate::pipeline::exec) fn walk_range(
    access: &TableAccess,
    range: &IndexRange,
    filter: Option<&crate::expr::Expr>,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    walk_range_deciding(access, range, filter, false, 0, context, buffer, visit)
}

/// `walk_range`; with `skip_decided`, a filter whose every conjunct the range decides
/// (`optimize::range_decides`: `a >= 30000` over a range from 30000 up) is not checked
/// when the bounds' values are exact (`RangeCursor::exact_bounds`): every row the walk
/// reaches passes it (the storage checks each entry against its row's current key). The
/// first `skip` rows that pass are not visited; with no filter left to check, they are
/// stepped over by entries (`RangeCursor::skip_rows`).
#[allow(clippy::too_many_arguments)]
fn walk_range_deciding(
    access: &TableAccess,
    range: &IndexRange,
    filter: Option<&crate::expr::Expr>,
    skip_decided: bool,
    mut skip: u64,
    context: &ExecContext<'_>,
    buffer: &mut Vec<Value>,
    mut visit: impl FnMut(RowId, &mut Vec<Value>) -> Result<bool>,
) -> Result<bool> {
    let Some(mut cursor) = RangeCursor::open(access, range, context)? else {
        return Ok(false);
    };
    let filter = filter.filter(|filter| {
        !(skip_decided
            && cursor.exact_bounds
            && every_conjunct(filter, &mut |term| {
                crate::optimize::range_decides(range, term)
            }))
    });
    if filter.is_none() && skip > 0 {
        cursor.skip_rows(access, context, buffer, &mut skip)?;
    }
    let filter = filter.map(|f| Predicate::new(f, &context.eval));
    let mut visited = false;
    let mut stopped = false;
    while !cursor.finished {
        context.check_interrupt()?;
        let mut failure = None;
        let progress = context.txn.index_range(
            &access.table.storage,
            &cursor.index,
            as_slices(&cursor.lower),
            as_slices(&cursor.upper),
            cursor.descending,
            MAX_BATCH_ENTRIES,
            access.read.decoder(),
            buffer,
            &mut cursor.scratch,
            |row_id, values| {
                let outcome = match &filter {
                    None => Ok(true),
                    Some(predicate) => predicate.matches(values, &context.eval),
                }
                .and_then(|keep| {
                    if !keep {
                        return Ok(true);
                    }
                    if skip > 0 {
                        skip -= 1;
                        return Ok(true);
                    }
                    visited = true;
                    visit(row_id, values)
                });
                match outcome {
                    Ok(go_on) => {
                        stopped = !go_on;
                        go_on && !(cursor.first_only && visited)
                    }
                    Err(error) => {
                        failure = Some(error);
                        false
                    }
                }
            },
        )?;
        if let Some(error) = failure {
            return Err(error);
        }
        if stopped || (cursor.first_only && visited) {
            break;
        }
        cursor.advance(progress);
    }
    cursor.keep_scratch(context);
    Ok(true)
}
