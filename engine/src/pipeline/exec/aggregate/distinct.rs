//! DISTINCT and the set operations. Rows are compared by their values' keys, so NULLs equal
//! NULLs and 1 equals 1.0, as SQLite compares rows for DISTINCT and compounds: a DISTINCT
//! and the right side of an INTERSECT / EXCEPT remember only the keys (`KeySet`: compact
//! bytes, looked up by the borrowed row), the rows a compound returns are kept in a
//! `RowSet` (borrowed, copied only when new). UNION ALL
//! streams both inputs; UNION, INTERSECT and EXCEPT read theirs pushed (`push::rows`, rows in
//! reused buffers: only the rows kept are copied) and return distinct rows, in row order as
//! SQLite's compound sorter does.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, Collation};
use crate::plan::{Node, SetOperator};

use super::super::hash::key_set::KeySet;
use super::super::hash::row_set::{stored_bytes, RowSet};
use super::super::push::rows;
use super::super::{build, ExecContext, Operator, Row};

pub struct DistinctOperator<'p> {
    input: Box<dyn Operator + 'p>,
    /// Each column's collation (empty: all BINARY); rows compare by collation keys.
    collations: &'p [Collation],
    /// The rows seen (their collation keys).
    seen: KeySet,
    /// Every column compares under BINARY: a row is its own key.
    binary: bool,
    /// The collation keys of the row being looked up (reused from row to row).
    collated: Vec<Value>,
    /// The memory the set holds, charged once the first row comes.
    memory: Option<super::super::MemoryCharge>,
}

impl<'p> DistinctOperator<'p> {
    pub fn new(input: Box<dyn Operator + 'p>, collations: &'p [Collation]) -> Self {
        DistinctOperator {
            input,
            collations,
            seen: KeySet::default(),
            binary: is_binary(collations),
            collated: Vec::new(),
            memory: None,
        }
    }

    /// Whether `row` is new (then remembered).
    fn first_seen(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        let key = if self.binary {
            row
        } else {
            collation_keys_into(row, self.collations, &mut self.collated);
            &self.collated
        };
        let Some(bytes) = self.seen.insert(key)? else {
            return Ok(false);
        };
        context.check_rows(self.seen.len() - 1)?;
        self.memory
            .get_or_insert_with(|| context.memory_charge("DISTINCT"))
            .add(bytes)?;
        Ok(true)
    }
}

impl Operator for DistinctOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        while let Some(row) = self.input.next(context)? {
            if self.first_seen(&row, context)? {
                return Ok(Some(row));
            }
            // A repeated row's buffer goes back to the input for its next row.
            self.input.recycle(row);
        }
        Ok(None)
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.input.reserve_extra_width(extra);
    }

    /// Its rows are its input's: handed back to it.
    fn recycle(&mut self, row: Row) {
        self.input.recycle(row);
    }
}

/// Whether every column compares under BINARY (`collations` empty: all do).
fn is_binary(collations: &[Collation]) -> bool {
    collations.iter().all(|c| *c == Collation::Binary)
}

/// Fills `keys` with a row's values under each column's collation, the key DISTINCT and
/// compounds compare rows by.
fn collation_keys_into(row: &[Value], collations: &[Collation], keys: &mut Vec<Value>) {
    keys.clear();
    keys.extend(
        row.iter()
            .zip(collations)
            .map(|(value, collation)| collation.key(value.clone())),
    );
}

/// How compound results are ordered (SQLite's compound sorter): by each column's key, NULLs
/// first, then as `compare_for_sort` orders values.
fn compare_key_rows(a: &[Value], b: &[Value]) -> Ordering {
    for (a, b) in a.iter().zip(b) {
        let ordering = match (a.is_null(), b.is_null()) {
            (true, true) => Ordering::Equal,
            (true, false) => Ordering::Less,
            (false, true) => Ordering::Greater,
            (false, false) => compare_for_sort(a, b),
        };
        if ordering.is_ne() {
            return ordering;
        }
    }
    Ordering::Equal
}

/// The distinct rows a UNION, INTERSECT or EXCEPT keeps, by key, in the order first read.
struct CompoundRows {
    /// Each row's key (its collation keys); under BINARY, the row itself.
    keys: Option<RowSet>,
    /// The rows themselves when a collation other than BINARY makes them differ from
    /// their keys (different spellings of one key under NOCASE or RTRIM).
    rows: Option<Vec<Row>>,
    /// Whether the right SELECT gave each row.
    from_right: Vec<bool>,
    memory: super::super::MemoryCharge,
}

impl CompoundRows {
    fn new(binary: bool, context: &ExecContext<'_>) -> Self {
        CompoundRows {
            keys: None,
            rows: (!binary).then(Vec::new),
            from_right: Vec::new(),
            memory: context.memory_charge("a UNION / INTERSECT / EXCEPT"),
        }
    }

    /// Keeps `row` (whose key is `key`) unless a row of its key is kept; a UNION's right
    /// SELECT's row replaces its left's.
    fn emit(
        &mut self,
        key: &[Value],
        row: &[Value],
        right: bool,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        let keys = self.keys.get_or_insert_with(|| RowSet::new(key.len()));
        let (position, new) = keys.insert(key)?;
        if new {
            context.check_rows(position)?;
            let mut bytes = stored_bytes(key);
            if let Some(rows) = &mut self.rows {
                bytes += super::super::row_bytes(row);
                rows.push(row.to_vec());
            }
            self.memory.add(bytes)?;
            self.from_right.push(right);
            return Ok(());
        }
        match self.from_right.get_mut(position) {
            Some(from_right) if right && !*from_right => *from_right = true,
            _ => return Ok(()),
        }
        match &mut self.rows {
            Some(rows) => {
                if let Some(kept) = rows.get_mut(position) {
                    kept.clear();
                    kept.extend_from_slice(row);
                }
            }
            None => keys.replace(position, row),
        }
        Ok(())
    }

    /// The rows kept, in the compound's order when `sorted`, else as first read.
    fn into_rows(self, sorted: bool) -> Vec<Row> {
        let Some(keys) = self.keys else {
            return Vec::new();
        };
        let mut order: Vec<usize> = (0..keys.len()).collect();
        if sorted {
            order.sort_by(|&a, &b| compare_key_rows(keys.row(a), keys.row(b)));
        }
        match self.rows {
            Some(mut rows) => order
                .into_iter()
                .map(|position| {
                    rows.get_mut(position)
                        .map(std::mem::take)
                        .unwrap_or_default()
                })
                .collect(),
            None => {
                let width = keys.width();
                let mut values = keys.into_values();
                order
                    .into_iter()
                    .map(|position| {
                        let start = position * width;
                        values
                            .get_mut(start..start + width)
                            .map(|row| {
                                row.iter_mut()
                                    .map(|value| std::mem::replace(value, Value::Null))
                                    .collect()
                            })
                            .unwrap_or_default()
                    })
                    .collect()
            }
        }
    }
}

pub struct SetOperationOperator<'p> {
    op: SetOperator,
    left: &'p Node,
    right: &'p Node,
    collations: &'p [Collation],
    /// The distinct rows are returned as first read (the sort above orders them).
    unsorted: bool,
    /// UNION ALL: the input being streamed (false = left, true = right).
    streaming_right: bool,
    streaming: Option<Box<dyn Operator + 'p>>,
    output: Option<std::vec::IntoIter<Row>>,
}

impl<'p> SetOperationOperator<'p> {
    pub fn new(
        op: SetOperator,
        (left, right): (&'p Node, &'p Node),
        collations: &'p [Collation],
        unsorted: bool,
    ) -> Self {
        SetOperationOperator {
            op,
            left,
            right,
            collations,
            unsorted,
            streaming_right: false,
            streaming: None,
            output: None,
        }
    }

    fn next_union_all(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        loop {
            if self.streaming.is_none() {
                self.streaming = Some(build(self.left));
            }
            let input = self.streaming.as_mut().expect("set above");
            if let Some(row) = input.next(context)? {
                return Ok(Some(row));
            }
            if self.streaming_right {
                return Ok(None);
            }
            self.streaming_right = true;
            self.streaming = Some(build(self.right));
        }
    }

    /// The distinct rows of a UNION, INTERSECT or EXCEPT, in the compound's order. Of rows
    /// equal under the collations (different spellings under NOCASE or RTRIM), the first
    /// read from a SELECT stands for it, and a UNION's right SELECT replaces its left's, as
    /// SQLite 3.54 chooses without ORDER BY.
    fn compute(&self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let binary = is_binary(self.collations);
        let mut kept = CompoundRows::new(binary, context);
        // Collation keys of the row being read (reused from row to row).
        let mut collated: Vec<Value> = Vec::new();
        let collations = self.collations;
        // The inputs run pushed (`push::rows`: each row in a reused buffer); only the rows
        // kept are copied out.
        match self.op {
            SetOperator::Union => {
                for (input, from_right) in [(self.left, false), (self.right, true)] {
                    rows(input, context, &mut |row| {
                        if binary {
                            return kept.emit(row, row, from_right, context);
                        }
                        collation_keys_into(row, collations, &mut collated);
                        kept.emit(&collated, row, from_right, context)
                    })?;
                }
            }
            SetOperator::Intersect | SetOperator::Except => {
                let mut right_keys = KeySet::default();
                let mut right_memory = context.memory_charge("an INTERSECT / EXCEPT");
                rows(self.right, context, &mut |row| {
                    let key: &[Value] = if binary {
                        row
                    } else {
                        collation_keys_into(row, collations, &mut collated);
                        &collated
                    };
                    if let Some(bytes) = right_keys.insert(key)? {
                        context.check_rows(right_keys.len() - 1)?;
                        right_memory.add(bytes)?;
                    }
                    Ok(())
                })?;
                let keep_common = self.op == SetOperator::Intersect;
                rows(self.left, context, &mut |row| {
                    let key: &[Value] = if binary {
                        row
                    } else {
                        collation_keys_into(row, collations, &mut collated);
                        &collated
                    };
                    let common = right_keys.contains(key);
                    if common == keep_common {
                        kept.emit(key, row, false, context)?;
                    }
                    Ok(())
                })?;
            }
            SetOperator::UnionAll => {
                return Err(crate::err!(Internal, "UNION ALL is streamed, not computed"))
            }
        }
        Ok(kept.into_rows(!self.unsorted))
    }
}

impl Operator for SetOperationOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.op == SetOperator::UnionAll {
            return self.next_union_all(context);
        }
        if self.output.is_none() {
            self.output = Some(self.compute(context)?.into_iter());
        }
        Ok(self.output.as_mut().and_then(Iterator::next))
    }
}
