//! Row operators over an input: literal VALUES rows, filter, projection, sort and
//! LIMIT/OFFSET.

pub(super) mod as_of;
pub(super) mod cte;
pub(super) mod fused_read;
pub(super) mod key_lookup;
pub(super) mod recursive;
pub(super) mod table_function;

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, Computed, Expr, RowTest};
use crate::plan::SortKey;

use super::{ExecContext, Operator, Row};

pub struct ValuesOperator<'p> {
    rows: std::slice::Iter<'p, Vec<Expr>>,
}

impl<'p> ValuesOperator<'p> {
    pub fn new(rows: &'p [Vec<Expr>]) -> Self {
        ValuesOperator { rows: rows.iter() }
    }
}

impl Operator for ValuesOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let Some(exprs) = self.rows.next() else {
            return Ok(None);
        };
        let row = exprs
            .iter()
            .map(|e| e.eval(&[], &context.eval))
            .collect::<Result<Row>>()?;
        Ok(Some(row))
    }
}

pub struct FilterOperator<'p> {
    input: Box<dyn Operator + 'p>,
    /// The predicate, compiled at the first `next` (`RowTest`).
    test: RowTest<'p>,
}

impl<'p> FilterOperator<'p> {
    pub fn new(input: Box<dyn Operator + 'p>, predicate: &'p Expr) -> Self {
        FilterOperator {
            input,
            test: RowTest::new(predicate),
        }
    }
}

impl Operator for FilterOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        while let Some(row) = self.input.next(context)? {
            if self.test.matches(&row, &context.eval)? {
                return Ok(Some(row));
            }
            self.input.recycle(row);
        }
        Ok(None)
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.input.reserve_extra_width(extra);
    }

    fn recycle(&mut self, row: Row) {
        self.input.recycle(row);
    }

    fn rewind(&mut self) -> bool {
        // A subquery's value is read once when the predicate compiles: a rewound filter
        // would keep it, so one with a subquery is built anew.
        !self.test.expr().has_subquery() && self.input.rewind()
    }
}

pub struct ProjectOperator<'p> {
    input: Box<dyn Operator + 'p>,
    projection: Projection<'p>,
    /// Emptied output rows handed back by the consumer (`Operator::recycle`), at most
    /// `PROJECT_SPARE_ROWS`: later output rows are built in them.
    spare: Vec<Row>,
    /// Values a consumer will append to each output row (`Operator::reserve_extra_width`).
    extra_width: usize,
}

/// Output rows a projection keeps for reuse.
const PROJECT_SPARE_ROWS: usize = 16;

/// A projection list and what is known of its shape: built per execution without
/// allocating (the column map of a list of bare columns is made at the first row that
/// needs it, so `SELECT *` never makes one).
pub struct Projection<'p> {
    exprs: &'p [Expr],
    /// Whether the list is the input's columns in order (`SELECT *`): a row of that width
    /// passes through untouched.
    identity: bool,
    /// When every expression is a bare column: for each, its column and whether it is the
    /// column's last use (its value then moves out of the input row instead of being
    /// cloned). `None` until first needed; `Some(None)` for any other list.
    columns: Option<Option<Vec<(usize, bool)>>>,
    /// For any other list: each expression, compiled when arithmetic (its constants read
    /// at the first row). Empty until then.
    computed: Vec<Computed<'p>>,
    /// Beside `computed`: for each expression, the column it moves out of the input row
    /// (a bare column no other expression of the list reads, `moved_columns`), else
    /// `None`.
    moved: Vec<Option<usize>>,
}

impl<'p> Projection<'p> {
    pub fn new(exprs: &'p [Expr]) -> Self {
        let identity = exprs
            .iter()
            .enumerate()
            .all(|(at, expr)| matches!(expr, Expr::Column { index, .. } if *index == at));
        Projection {
            exprs,
            identity,
            columns: None,
            computed: Vec::new(),
            moved: Vec::new(),
        }
    }

    /// Whether `row` is its own projection (the list is its columns, in order).
    #[inline]
    pub fn passes_through(&self, row: &Row) -> bool {
        self.identity && row.len() == self.exprs.len()
    }

    /// The number of output values.
    pub fn width(&self) -> usize {
        self.exprs.len()
    }

    /// Projects `row` into `projected`, moving values out of `row` where that is their
    /// last use (`row` is left to be recycled). `projected` is empty, or a recycled output
    /// row of this projection still holding its old values (`keeps_recycled_values`):
    /// then a moved value trades places with the old one, so `row` keeps that old text or
    /// blob buffer and the next decode into `row` fills it in place instead of allocating.
    pub fn project_into(
        &mut self,
        row: &mut Row,
        projected: &mut Row,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let exprs = self.exprs;
        let columns = self.columns.get_or_insert_with(|| column_map(exprs));
        if let Some(columns) = columns {
            if projected.len() == columns.len() {
                for (slot, &(index, last_use)) in projected.iter_mut().zip(columns.iter()) {
                    if index == NULL_OUTPUT {
                        if !slot.is_null() {
                            *slot = Value::Null;
                        }
                        continue;
                    }
                    let value = &mut row[index];
                    if !last_use {
                        slot.clone_from(value);
                    } else if reusable_buffer(slot) {
                        std::mem::swap(slot, value);
                    } else {
                        *slot = std::mem::replace(value, Value::Null);
                    }
                }
                return Ok(());
            }
            projected.clear();
            projected.extend(columns.iter().map(|&(index, last_use)| {
                if index == NULL_OUTPUT {
                    return Value::Null;
                }
                let value = &mut row[index];
                if last_use {
                    std::mem::replace(value, Value::Null)
                } else {
                    value.clone()
                }
            }));
        } else {
            projected.clear();
            if self.computed.len() != exprs.len() {
                self.computed = exprs
                    .iter()
                    .map(|expr| Computed::new(expr, &context.eval))
                    .collect();
                self.moved = moved_columns(exprs);
            }
            for (computed, moved) in self.computed.iter_mut().zip(&self.moved) {
                let value = match moved.and_then(|index| row.get_mut(index)) {
                    Some(value) => std::mem::replace(value, Value::Null),
                    None => computed.eval(row, &context.eval)?,
                };
                projected.push(value);
            }
        }
        Ok(())
    }

    /// Whether a recycled output row is worth keeping with its values: the list is bare
    /// columns (`project_into` then trades the old values for the new ones).
    fn keeps_recycled_values(&self, row: &Row) -> bool {
        matches!(&self.columns, Some(Some(columns)) if columns.len() == row.len())
    }
}

/// The largest text or blob buffer a recycled output row hands back to the input row
/// (`Projection::project_into`); a larger one is freed, so a huge value read once is not
/// kept for the rest of the scan.
const REUSED_BUFFER_BYTES_MAX: usize = 4096;

/// Whether `old`, a recycled output row's value, holds a text or blob buffer the input
/// row's next decode can fill in place.
fn reusable_buffer(old: &Value) -> bool {
    match old {
        Value::Text(text) => text.capacity() <= REUSED_BUFFER_BYTES_MAX,
        Value::Blob(bytes) => bytes.capacity() <= REUSED_BUFFER_BYTES_MAX,
        _ => false,
    }
}

/// The index `column_map` gives an output that is NULL whatever the row (an output nobody
/// reads, which `optimize::prune_columns` made NULL).
const NULL_OUTPUT: usize = usize::MAX;

/// For a list of bare columns and NULLs: each one's index (`NULL_OUTPUT` for a NULL) and
/// whether it is its last use; `None` for any other list.
fn column_map(exprs: &[Expr]) -> Option<Vec<(usize, bool)>> {
    let column = |expr: &Expr| match expr {
        Expr::Column { index, .. } => Some(*index),
        Expr::Literal(Value::Null) => Some(NULL_OUTPUT),
        _ => None,
    };
    if !exprs.iter().all(|expr| column(expr).is_some()) {
        return None;
    }
    // One allocation, sized: the map is made per execution.
    let mut map = Vec::with_capacity(exprs.len());
    for (at, expr) in exprs.iter().enumerate() {
        let index = column(expr)?;
        let used_later = index != NULL_OUTPUT
            && exprs[at + 1..]
                .iter()
                .any(|later| column(later) == Some(index));
        map.push((index, !used_later));
    }
    Some(map)
}

/// For each expression of a list that is not all bare columns: the column it can move out
/// of the input row instead of cloning, which is a bare column that no other expression of
/// the list reads (a correlated subquery's reads of the row included: it reads the row
/// while a later expression is evaluated, or an earlier one moved it).
fn moved_columns(exprs: &[Expr]) -> Vec<Option<usize>> {
    let mut reads: Vec<u32> = Vec::new();
    for expr in exprs {
        expr.for_each_row_read(&mut |index| {
            if reads.len() <= index {
                reads.resize(index + 1, 0);
            }
            reads[index] += 1;
        });
    }
    exprs
        .iter()
        .map(|expr| match expr {
            Expr::Column { index, .. } if reads[*index] == 1 => Some(*index),
            _ => None,
        })
        .collect()
}

impl<'p> ProjectOperator<'p> {
    pub fn new(input: Box<dyn Operator + 'p>, exprs: &'p [Expr]) -> Self {
        ProjectOperator {
            input,
            projection: Projection::new(exprs),
            spare: Vec::new(),
            extra_width: 0,
        }
    }

    /// A row to build the next output row in: empty, or a recycled one with its old
    /// values (`Projection::project_into` overwrites them).
    fn output_row(&mut self) -> Row {
        self.spare
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.projection.width() + self.extra_width))
    }
}

impl Operator for ProjectOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let Some(mut row) = self.input.next(context)? else {
            return Ok(None);
        };
        if self.projection.passes_through(&row) {
            return Ok(Some(row));
        }
        let mut projected = self.output_row();
        self.projection
            .project_into(&mut row, &mut projected, context)?;
        self.input.recycle(row);
        Ok(Some(projected))
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.extra_width = extra;
        if self.projection.identity {
            // Its rows are (mostly) the input's own.
            self.input.reserve_extra_width(extra);
        }
    }

    fn recycle(&mut self, mut row: Row) {
        if self.projection.identity {
            // Its rows are (mostly) the input's own.
            self.input.recycle(row);
        } else if self.spare.len() < PROJECT_SPARE_ROWS {
            if !self.projection.keeps_recycled_values(&row) {
                row.clear();
            }
            self.spare.push(row);
        }
    }

    fn rewind(&mut self) -> bool {
        // As a filter's: a subquery's value is read once when the projection compiles.
        if self.projection.exprs.iter().any(Expr::has_subquery) || !self.input.rewind() {
            return false;
        }
        if self.projection.exprs.iter().any(Expr::reads_outer_row) {
            // Compiled with the enclosing row's values as constants: compiled again.
            self.projection.computed.clear();
        }
        true
    }
}

/// Materializes its input, sorts it by the keys (stable), then yields rows in order.
pub struct SortOperator<'p> {
    input: Box<dyn Operator + 'p>,
    keys: &'p [SortKey],
    sorted: Option<std::vec::IntoIter<Row>>,
    /// The memory the sorted rows hold, released when the operator goes.
    memory: Option<super::MemoryCharge>,
}

impl<'p> SortOperator<'p> {
    pub fn new(input: Box<dyn Operator + 'p>, keys: &'p [SortKey]) -> Self {
        SortOperator {
            input,
            keys,
            sorted: None,
            memory: None,
        }
    }

    /// Reads every input row, then returns them in key order (stable). The keys of all
    /// rows live in one flat vector (`keys.len()` values per row) and a permutation is
    /// sorted, so a row costs no key allocation of its own.
    fn sort_input(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let width = self.keys.len();
        let mut key_values: Vec<Value> = Vec::new();
        let mut rows: Vec<Row> = Vec::new();
        let memory = self.memory.insert(context.memory_charge("a sort"));
        // Compiled for this execution (an enclosing row's values read as constants, as
        // a projection's are: the operator sorts once per execution).
        let mut computed: Vec<Computed<'_>> = self
            .keys
            .iter()
            .map(|key| Computed::new(&key.expr, &context.eval))
            .collect();
        while let Some(row) = self.input.next(context)? {
            let start = key_values.len();
            for key in &mut computed {
                key_values.push(key.eval(&row, &context.eval)?);
            }
            context.check_rows(rows.len())?;
            memory.add(super::row_bytes(&key_values[start..]) + super::row_bytes(&row))?;
            rows.push(row);
        }
        let keys = self.keys;
        let key_of = |row: usize| &key_values[row * width..(row + 1) * width];
        let mut order: Vec<usize> = (0..rows.len()).collect();
        // Stable: rows with equal keys keep their input order.
        order.sort_by(|&a, &b| compare_keys(keys, key_of(a), key_of(b)));
        if keys.iter().any(|key| key.collation.is_some()) {
            crate::expr::UserCollation::take_panic()?;
        }
        let mut taken: Vec<Option<Row>> = rows.into_iter().map(Some).collect();
        let sorted: Vec<Row> = order
            .into_iter()
            .filter_map(|row| taken.get_mut(row).and_then(Option::take))
            .collect();
        debug_assert_eq!(sorted.len(), taken.len(), "the order is a permutation");
        Ok(sorted)
    }
}

/// Compares two rows' sort keys: NULLs placed by `nulls_first`, then values in SQL order.
pub fn compare_keys(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for ((key, left), right) in keys.iter().zip(a).zip(b) {
        let ordering = compare_key_values(
            left,
            right,
            (key.descending, key.nulls_first),
            key.collation.as_ref(),
        );
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Compares two values of one sort key: NULLs first or last as `nulls_first` says (whatever
/// the direction), the others in SQL order (or by an application's `collation`), reversed
/// when `descending`.
pub fn compare_key_values(
    left: &Value,
    right: &Value,
    (descending, nulls_first): (bool, bool),
    collation: Option<&crate::expr::UserCollation>,
) -> Ordering {
    match (left.is_null(), right.is_null()) {
        (true, true) => Ordering::Equal,
        (true, false) if nulls_first => Ordering::Less,
        (true, false) => Ordering::Greater,
        (false, true) if nulls_first => Ordering::Greater,
        (false, true) => Ordering::Less,
        (false, false) => {
            let ordering = match collation {
                None => compare_for_sort(left, right),
                Some(collation) => collation.compare(left, right),
            };
            if descending {
                ordering.reverse()
            } else {
                ordering
            }
        }
    }
}

impl Operator for SortOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.sorted.is_none() {
            let rows = self.sort_input(context)?;
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().and_then(Iterator::next))
    }
}

pub struct LimitOperator<'p> {
    input: Box<dyn Operator + 'p>,
    limit: Option<&'p Expr>,
    offset: Option<&'p Expr>,
    /// (rows still to skip, rows still to return); `None` until first evaluated.
    remaining: Option<(u64, Option<u64>)>,
}

impl<'p> LimitOperator<'p> {
    pub fn new(
        input: Box<dyn Operator + 'p>,
        limit: Option<&'p Expr>,
        offset: Option<&'p Expr>,
    ) -> Self {
        LimitOperator {
            input,
            limit,
            offset,
            remaining: None,
        }
    }
}

/// Evaluates a LIMIT or OFFSET expression to a count; negative means "no limit" for LIMIT
/// (as in SQLite) and 0 for OFFSET. Text that is a whole number counts as that number, as
/// SQLite reads `LIMIT '2'`.
pub(super) fn count_of(expr: &Expr, what: &str, context: &ExecContext<'_>) -> Result<Option<u64>> {
    let value = match expr.eval(&[], &context.eval)? {
        Value::Text(text) => crate::expr::numeric_text(&text).unwrap_or(Value::Text(text)),
        value => value,
    };
    match value {
        Value::Integer(n) if n < 0 => Ok(None),
        Value::Integer(n) => Ok(Some(n as u64)),
        Value::Real(r) if r.fract() == 0.0 => Ok(if r < 0.0 { None } else { Some(r as u64) }),
        other => Err(crate::err!(
            Type,
            "{what} must be an integer, not {}",
            other.type_name()
        )),
    }
}

/// The rows an OFFSET skips and the most a LIMIT takes (`None`: no limit), evaluated in
/// that order of errors: LIMIT first, then OFFSET (`count_of`).
pub(in crate::pipeline::exec) fn skip_and_limit(
    limit: Option<&Expr>,
    offset: Option<&Expr>,
    context: &ExecContext<'_>,
) -> Result<(u64, Option<u64>)> {
    let limit = match limit {
        Some(expr) => count_of(expr, "LIMIT", context)?,
        None => None,
    };
    let skip = match offset {
        Some(expr) => count_of(expr, "OFFSET", context)?.unwrap_or(0),
        None => 0,
    };
    Ok((skip, limit))
}

impl Operator for LimitOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        let (skip, left) = match self.remaining {
            Some(state) => state,
            None => skip_and_limit(self.limit, self.offset, context)?,
        };
        let mut skip = skip;
        if left == Some(0) {
            self.remaining = Some((skip, left));
            return Ok(None);
        }
        while skip > 0 {
            if self.input.next(context)?.is_none() {
                self.remaining = Some((0, Some(0)));
                return Ok(None);
            }
            skip -= 1;
        }
        let row = self.input.next(context)?;
        self.remaining = Some((0, left.map(|n| if row.is_some() { n - 1 } else { 0 })));
        Ok(row)
    }
}
