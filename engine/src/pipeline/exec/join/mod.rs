//! The join operator (INNER and LEFT). One input, the build side, is read once into memory:
//! into a hash table on its key expressions when the join has equality keys (`join_table.rs`),
//! else into a list for a nested loop. It is the right input, or for an INNER join the plan
//! marked `build_left` on (the smaller by estimate), the left. Rows of the other input
//! stream; each is paired with its candidate rows (equal keys), the join condition is
//! checked on the joined row (always left values, then right values), and a LEFT join emits
//! an unmatched left row once, padded with NULLs; an anti join stops at a left row's first
//! match and emits only unmatched rows, padded, and an existence join (`Join::existence`,
//! `[NOT] EXISTS`) stops there too and emits the left row alone, when it joined (semi) or
//! did not (anti). `push` runs the same join to its end,
//! handing each joined row to a consumer in one reused buffer (no row allocated per match).

pub(super) mod bloom;
pub(super) mod index_join;
pub(super) mod index_probe;
pub(super) mod join_table;
pub(super) mod outer_join;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{passes, Expr, RowTest};
use crate::plan::{Join, JoinKind, JoinSide, Node};

use super::push::{columns_read, RowSink};
use super::sort::top_threshold::gated;
use super::{build, row_bytes, ExecContext, MemoryCharge, Operator, Row};
use bloom::{stream_rows, ProbeFilter};
use index_join::{copy_value, fill_left};
use join_table::{hash_key, keys_match, JoinTable, ENTRY_BYTES};

/// The build side, materialized.
enum BuildRows {
    All(Vec<Row>),
    Hashed(JoinTable),
}

impl BuildRows {
    fn row(&self, index: usize) -> &Row {
        match self {
            BuildRows::All(rows) => &rows[index],
            BuildRows::Hashed(table) => table.row(index),
        }
    }

    /// The candidate after `index`.
    fn next(&self, index: usize) -> Option<usize> {
        match self {
            BuildRows::All(rows) => Some(index + 1).filter(|&next| next < rows.len()),
            BuildRows::Hashed(table) => table.next(index),
        }
    }
}

/// The streamed row being joined: its next candidate, whether any joined.
struct Current {
    row: Row,
    candidate: Option<usize>,
    matched: bool,
}

pub struct JoinOperator<'p> {
    join: &'p Join,
    stream: Box<dyn Operator + 'p>,
    built: Option<BuildRows>,
    current: Option<Current>,
    /// The memory the build rows hold, released when the operator goes.
    memory: Option<MemoryCharge>,
    /// Joined rows handed back (`Operator::recycle`) or failing the join's condition, at
    /// most `JOIN_SPARE_ROWS`: the next joined rows are written over them, value by value,
    /// so a text or blob is copied into the buffer it had (no allocation when it fits).
    spare: Vec<Row>,
    /// The runtime bloom filter of the build side's keys (`Join::bloom`).
    filter: Option<ProbeFilter<'p>>,
    /// The join's condition, compiled at its first row.
    condition: Option<RowTest<'p>>,
}

/// Joined rows a join keeps for reuse.
const JOIN_SPARE_ROWS: usize = 16;

impl<'p> JoinOperator<'p> {
    pub fn new(join: &'p Join) -> Self {
        debug_assert!(!join.build_left || join.kind == JoinKind::Inner);
        let side = if join.build_left {
            JoinSide::Right
        } else {
            JoinSide::Left
        };
        let mut stream = gated(join, side, build(stream_side(join)));
        if !join.build_left {
            // A LEFT JOIN's unmatched left row is widened in place by the right side's
            // NULLs: room for them from the start.
            stream.reserve_extra_width(join.right_width);
        }
        JoinOperator {
            join,
            stream,
            built: None,
            current: None,
            memory: None,
            spare: Vec::new(),
            filter: None,
            condition: join.condition.as_ref().map(RowTest::new),
        }
    }

    /// The first candidate for streamed row `row`.
    fn first_candidate(&self, row: &[Value], context: &ExecContext<'_>) -> Result<Option<usize>> {
        let built = self.built.as_ref().expect("loaded first");
        first_candidate(self.join, built, row, context)
    }
}

/// The key expressions of `join`'s (streamed, built) sides.
fn keys(join: &Join) -> (&[Expr], &[Expr]) {
    if join.build_left {
        (&join.right_keys, &join.left_keys)
    } else {
        (&join.left_keys, &join.right_keys)
    }
}

/// The streamed side of `join`.
fn stream_side(join: &Join) -> &Node {
    if join.build_left {
        &join.right
    } else {
        &join.left
    }
}

/// Reads `join`'s build side whole: hashed on its keys (rows with a NULL key dropped: they
/// match nothing), or listed when the join has no keys; charged to `memory`.
fn load(
    join: &Join,
    context: &ExecContext<'_>,
    memory: &mut Option<MemoryCharge>,
) -> Result<BuildRows> {
    let mut operator = build(if join.build_left {
        &join.left
    } else {
        &join.right
    });
    let (_, build_keys) = keys(join);
    if build_keys.is_empty() {
        let mut rows = Vec::new();
        let memory = memory.insert(context.memory_charge("a join's inner rows"));
        while let Some(row) = operator.next(context)? {
            context.check_rows(rows.len())?;
            memory.add_row(&row)?;
            rows.push(row);
        }
        return Ok(BuildRows::All(rows));
    }
    let mut table = JoinTable::default();
    let memory = memory.insert(context.memory_charge("a hash join's build side"));
    while let Some(row) = operator.next(context)? {
        // A row with a NULL key matches nothing: not kept.
        if let Some(hash) = hash_key(build_keys, &row, &context.eval)? {
            context.check_rows(table.len())?;
            memory.add(row_bytes(&row) + ENTRY_BYTES)?;
            table.insert(hash, row);
        }
    }
    Ok(BuildRows::Hashed(table))
}

/// The runtime bloom filter of `join` over its loaded build side, charged to `memory`
/// (`exec/join/bloom.rs`); `None` for a join without one.
fn probe_filter<'j>(
    join: &'j Join,
    built: &BuildRows,
    context: &ExecContext<'_>,
    memory: &mut Option<MemoryCharge>,
) -> Result<Option<ProbeFilter<'j>>> {
    match (built, memory) {
        (BuildRows::Hashed(table), Some(memory)) => {
            ProbeFilter::build(join, table, context, memory)
        }
        _ => Ok(None),
    }
}

/// The first candidate of `built` for streamed row `row`.
#[inline]
fn first_candidate(
    join: &Join,
    built: &BuildRows,
    row: &[Value],
    context: &ExecContext<'_>,
) -> Result<Option<usize>> {
    Ok(match built {
        BuildRows::All(rows) => (!rows.is_empty()).then_some(0),
        BuildRows::Hashed(table) => {
            let (stream_keys, _) = keys(join);
            hash_key(stream_keys, row, &context.eval)?.and_then(|hash| table.first(hash))
        }
    })
}

impl Operator for JoinOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.built.is_none() {
            let built = load(self.join, context, &mut self.memory)?;
            self.filter = probe_filter(self.join, &built, context, &mut self.memory)?;
            self.built = Some(built);
        }
        let join = self.join;
        loop {
            if self.current.is_none() {
                context.check_interrupt()?;
                let Some(row) = self.stream.next(context)? else {
                    return Ok(None);
                };
                if let Some(filter) = &self.filter {
                    if !filter.row_passes(keys(join).0, &row, context)? {
                        // No partner: an inner or semi join gives nothing for it.
                        self.stream.recycle(row);
                        continue;
                    }
                }
                let candidate = self.first_candidate(&row, context)?;
                self.current = Some(Current {
                    row,
                    candidate,
                    matched: false,
                });
            }
            let built = self.built.as_ref().expect("loaded above");
            let hashed = matches!(built, BuildRows::Hashed(_));
            let current = self.current.as_mut().expect("set above");
            while let Some(index) = current.candidate {
                current.candidate = built.next(index);
                let candidate = built.row(index);
                let (left, right) = if join.build_left {
                    (candidate.as_slice(), current.row.as_slice())
                } else {
                    (current.row.as_slice(), candidate.as_slice())
                };
                if hashed
                    && !keys_match(
                        &join.left_keys,
                        left,
                        &join.right_keys,
                        right,
                        &context.eval,
                    )?
                {
                    continue;
                }
                if join.stops_at_first_match() && join.condition.is_none() {
                    // An anti or existence join's first match decides.
                    current.matched = true;
                    break;
                }
                let mut joined = self
                    .spare
                    .pop()
                    .unwrap_or_else(|| Vec::with_capacity(left.len() + right.len()));
                let width = left.len() + right.len();
                if current.candidate.is_none() && join.condition.is_none() && joined.len() == width
                {
                    // The streamed row's last match, which nothing can reject: its values
                    // move into the joined row (the row, handed back after, holds what the
                    // joined row's buffer had), only the build row's are copied.
                    let streamed_at = if join.build_left { candidate.len() } else { 0 };
                    let built_at = if join.build_left {
                        0
                    } else {
                        current.row.len()
                    };
                    joined[built_at..built_at + candidate.len()].clone_from_slice(candidate);
                    let streamed = &mut joined[streamed_at..streamed_at + current.row.len()];
                    for (slot, value) in streamed.iter_mut().zip(current.row.iter_mut()) {
                        std::mem::swap(slot, value);
                    }
                    current.matched = true;
                    return Ok(Some(joined));
                }
                write_joined(&mut joined, left, right);
                let kept = passes(&mut self.condition, &joined, &context.eval)?;
                if kept {
                    current.matched = true;
                    if join.stops_at_first_match() {
                        self.spare.push(joined);
                        break;
                    }
                    return Ok(Some(joined));
                }
                self.spare.push(joined);
            }
            let Current {
                row: mut left,
                matched,
                ..
            } = self.current.take().expect("set above");
            if join.stops_at_first_match() {
                match join.first_match_output(matched) {
                    Some(true) => {
                        left.resize(left.len() + join.right_width, Value::Null);
                        return Ok(Some(left));
                    }
                    Some(false) => return Ok(Some(left)),
                    None => {
                        self.stream.recycle(left);
                        continue;
                    }
                }
            }
            if join.kind == JoinKind::Left && !matched {
                left.resize(left.len() + join.right_width, Value::Null);
                return Ok(Some(left));
            }
            self.stream.recycle(left);
        }
    }

    fn recycle(&mut self, row: Row) {
        if self.spare.len() < JOIN_SPARE_ROWS {
            self.spare.push(row);
        } else if !self.join.build_left {
            // An emitted row is a streamed row (or its copy) extended: its buffer fits the
            // next streamed row.
            self.stream.recycle(row);
        }
    }
}

/// Makes `joined` the values of `left` then `right`: a buffer of that width already is
/// overwritten value by value (`Value::clone_from` copies a text into the text buffer the
/// slot holds), any other one is refilled.
#[inline]
fn write_joined(joined: &mut Row, left: &[Value], right: &[Value]) {
    if joined.len() == left.len() + right.len() {
        let (left_part, right_part) = joined.split_at_mut(left.len());
        left_part.clone_from_slice(left);
        right_part.clone_from_slice(right);
    } else {
        joined.clear();
        joined.extend_from_slice(left);
        joined.extend_from_slice(right);
    }
}

/// Left rows between two interrupt checks of the pushed join (its streamed input may check
/// too, a scan once per batch of slots).
const INTERRUPT_CHECK_ROWS: usize = 256;

/// Runs the (INNER or LEFT) join `join` to its end, handing every joined row to `sink` in
/// one reused buffer (the sink may swap it for another: each row is written whole); the
/// rows come in the order the pulled operator returns them.
pub(super) fn push(join: &Join, context: &ExecContext<'_>, sink: RowSink<'_>) -> Result<()> {
    debug_assert!(matches!(join.kind, JoinKind::Inner | JoinKind::Left));
    let mut memory = None;
    let built = load(join, context, &mut memory)?;
    let filter = probe_filter(join, &built, context, &mut memory)?;
    let hashed = matches!(built, BuildRows::Hashed(_));
    let left_width = join.left_width;
    let width = left_width + join.right_width;
    // Only the columns the plan reads go into the joined row (no operator above the join
    // reads the others: `optimize::prune_columns`).
    let left_columns = columns_read(&join.left, left_width);
    let right_columns = columns_read(&join.right, join.right_width);
    let mut joined: Row = Vec::with_capacity(width);
    // An existence join's rows: the left row alone (`joined` holds its candidates).
    let mut output: Row = Vec::new();
    let mut until_check = INTERRUPT_CHECK_ROWS;
    let stream_keys = keys(join).0;
    let rows = stream_side(join);
    let mut condition = join.condition.as_ref().map(RowTest::new);
    stream_rows(
        rows,
        stream_keys,
        filter.as_ref(),
        context,
        &mut |row: &[Value]| {
            until_check -= 1;
            if until_check == 0 {
                until_check = INTERRUPT_CHECK_ROWS;
                context.check_interrupt()?;
            }
            let mut candidate = first_candidate(join, &built, row, context)?;
            let mut matched = false;
            while let Some(index) = candidate {
                candidate = built.next(index);
                let built_row = built.row(index);
                let (left, right) = if join.build_left {
                    (built_row.as_slice(), row)
                } else {
                    (row, built_row.as_slice())
                };
                if hashed
                    && !keys_match(
                        &join.left_keys,
                        left,
                        &join.right_keys,
                        right,
                        &context.eval,
                    )?
                {
                    continue;
                }
                if join.stops_at_first_match() && join.condition.is_none() {
                    // An anti or existence join's first match decides.
                    matched = true;
                    break;
                }
                fill_left(&mut joined, left, &left_columns, width);
                let joined_right = &mut joined[left_width..];
                for &column in &right_columns {
                    copy_value(&mut joined_right[column], &right[column]);
                }
                let kept = passes(&mut condition, &joined, &context.eval)?;
                if kept {
                    matched = true;
                    if join.stops_at_first_match() {
                        break;
                    }
                    sink(&mut joined)?;
                }
            }
            if join.existence.is_some() {
                if join.first_match_output(matched).is_some() {
                    fill_left(&mut output, row, &left_columns, left_width);
                    sink(&mut output)?;
                }
                return Ok(());
            }
            if join.kind == JoinKind::Left && !matched {
                fill_left(&mut joined, row, &left_columns, width);
                pad_right(
                    &mut joined[left_width..],
                    &right_columns,
                    join.unmatched_only,
                );
                sink(&mut joined)?;
            }
            Ok(())
        },
    )
}

/// NULLs in the right part of an unmatched left row: at the columns the plan reads, or, for
/// an anti join (whose right columns the plan above may read though its right input
/// decodes only its keys: `optimize::prune_columns`), at every one.
pub(super) fn pad_right(joined_right: &mut [Value], columns: &[usize], every: bool) {
    if every {
        // Most are NULL already (a reused buffer padded before): only the others are
        // dropped and written.
        for value in joined_right.iter_mut() {
            if !matches!(value, Value::Null) {
                *value = Value::Null;
            }
        }
    } else {
        for &column in columns {
            joined_right[column] = Value::Null;
        }
    }
}
