//! DISTINCT and the set operations. Rows are compared by their `KeyValue`s, so NULLs equal
//! NULLs and 1 equals 1.0, as SQLite compares rows for DISTINCT and compounds. UNION ALL
//! streams both inputs; UNION, INTERSECT and EXCEPT read theirs pushed (`push::rows`, rows in
//! reused buffers: only the rows kept are copied) and return distinct rows, in row order as
//! SQLite's compound sorter does.

use std::collections::{HashMap, HashSet};

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, row_key, Collation, KeyLookup, KeyRef, KeyValue};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{Node, SetOperator, SortKey};

use super::push::rows;
use super::query::compare_keys;
use super::{build, ExecContext, Operator, Row};

pub struct DistinctOperator<'p> {
    input: Box<dyn Operator + 'p>,
    /// Each column's collation (empty: all BINARY); rows compare by collation keys.
    collations: &'p [Collation],
    seen: HashSet<Vec<KeyValue>, FastBuildHasher>,
    /// The keys seen of one-column rows under BINARY (`SELECT DISTINCT col`): probed with
    /// the value borrowed, so a row seen before costs no allocation.
    seen_single: HashSet<KeyValue, FastBuildHasher>,
    /// Every column compares under BINARY (`seen_single` serves one-column rows).
    binary: bool,
    /// The memory the sets hold, charged once the first row comes.
    memory: Option<super::MemoryCharge>,
}

/// Estimated bytes a key held in a hash set takes: its values, their heap bytes, and the
/// set's entry.
fn key_bytes(key: &[KeyValue]) -> u64 {
    let mut bytes = (std::mem::size_of::<Vec<KeyValue>>() + std::mem::size_of_val(key)) as u64;
    for value in key {
        match value {
            KeyValue::Text(text) => bytes += text.len() as u64,
            KeyValue::Blob(blob) => bytes += blob.len() as u64,
            _ => {}
        }
    }
    bytes + 8
}

impl<'p> DistinctOperator<'p> {
    pub fn new(input: Box<dyn Operator + 'p>, collations: &'p [Collation]) -> Self {
        DistinctOperator {
            input,
            collations,
            seen: HashSet::default(),
            seen_single: HashSet::default(),
            binary: collations.iter().all(|c| *c == Collation::Binary),
            memory: None,
        }
    }

    /// Whether `row` is new (then remembered).
    fn first_seen(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        if let ([value], true) = (row, self.binary) {
            let probe = KeyRef::of(value);
            if self.seen_single.contains(&probe as &dyn KeyLookup) {
                return Ok(false);
            }
            context.check_rows(self.seen_single.len())?;
            let key = KeyValue::new(value);
            self.memory
                .get_or_insert_with(|| context.memory_charge("DISTINCT"))
                .add(key_bytes(std::slice::from_ref(&key)))?;
            self.seen_single.insert(key);
            return Ok(true);
        }
        let key = collated_key(row, self.collations);
        if self.seen.contains(&key) {
            return Ok(false);
        }
        context.check_rows(self.seen.len())?;
        self.memory
            .get_or_insert_with(|| context.memory_charge("DISTINCT"))
            .add(key_bytes(&key))?;
        self.seen.insert(key);
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
}

/// A row's key for DISTINCT and compounds: its values under each column's collation
/// (`collations` empty: all BINARY).
fn collated_key(row: &[Value], collations: &[Collation]) -> Vec<KeyValue> {
    if collations.is_empty() {
        row_key(row)
    } else {
        row.iter()
            .zip(collations)
            .map(|(value, collation)| KeyValue::new(&collation.key(value.clone())))
            .collect()
    }
}

pub struct SetOperationOperator<'p> {
    op: SetOperator,
    left: &'p Node,
    right: &'p Node,
    collations: &'p [Collation],
    /// UNION ALL: the input being streamed (false = left, true = right).
    streaming_right: bool,
    streaming: Option<Box<dyn Operator + 'p>>,
    output: Option<std::vec::IntoIter<Row>>,
}

impl<'p> SetOperationOperator<'p> {
    pub fn new(
        op: SetOperator,
        left: &'p Node,
        right: &'p Node,
        collations: &'p [Collation],
    ) -> Self {
        SetOperationOperator {
            op,
            left,
            right,
            collations,
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
        let mut output: Vec<Row> = Vec::new();
        let mut memory = context.memory_charge("a UNION / INTERSECT / EXCEPT");
        // Each distinct key's row in `output`, and whether the right SELECT gave it.
        let mut emitted: HashMap<Vec<KeyValue>, (usize, bool), FastBuildHasher> =
            HashMap::default();
        // The inputs run pushed (`push::rows`: each row in a reused buffer); only the rows
        // kept are copied out.
        let mut emit =
            |key: Vec<KeyValue>, row: &[Value], right: bool, output: &mut Vec<Row>| -> Result<()> {
                match emitted.get_mut(&key) {
                    Some((position, from_right)) => {
                        if right && !*from_right {
                            output[*position] = row.to_vec();
                            *from_right = true;
                        }
                    }
                    None => {
                        context.check_rows(output.len())?;
                        memory.add(key_bytes(&key) + super::row_bytes(row))?;
                        emitted.insert(key, (output.len(), right));
                        output.push(row.to_vec());
                    }
                }
                Ok(())
            };
        match self.op {
            SetOperator::Union => {
                for (input, from_right) in [(self.left, false), (self.right, true)] {
                    rows(input, context, &mut |row| {
                        let key = collated_key(row, self.collations);
                        emit(key, row, from_right, &mut output)
                    })?;
                }
            }
            SetOperator::Intersect | SetOperator::Except => {
                let mut right_keys: HashSet<Vec<KeyValue>, FastBuildHasher> = HashSet::default();
                let mut right_memory = context.memory_charge("an INTERSECT / EXCEPT");
                rows(self.right, context, &mut |row| {
                    let key = collated_key(row, self.collations);
                    if !right_keys.contains(&key) {
                        context.check_rows(right_keys.len())?;
                        right_memory.add(key_bytes(&key))?;
                        right_keys.insert(key);
                    }
                    Ok(())
                })?;
                let keep_common = self.op == SetOperator::Intersect;
                rows(self.left, context, &mut |row| {
                    let key = collated_key(row, self.collations);
                    if right_keys.contains(&key) == keep_common {
                        emit(key, row, false, &mut output)?;
                    }
                    Ok(())
                })?;
            }
            SetOperator::UnionAll => {
                return Err(crate::err!(Internal, "UNION ALL is streamed, not computed"))
            }
        }
        if self.collations.is_empty() {
            let width = output.first().map_or(0, Vec::len);
            let keys: Vec<SortKey> = (0..width)
                .map(|index| SortKey {
                    expr: crate::expr::Expr::Column {
                        index,
                        name: String::new(),
                        meta: Default::default(),
                    },
                    descending: false,
                    nulls_first: true,
                    collation: None,
                })
                .collect();
            output.sort_by(|a, b| compare_keys(&keys, a, b));
        } else {
            // In the compound's order: by each column's value under its collation.
            let collated = |row: &Row| -> Row {
                row.iter()
                    .zip(self.collations)
                    .map(|(value, collation)| collation.key(value.clone()))
                    .collect()
            };
            let mut keyed: Vec<(Row, Row)> = output
                .into_iter()
                .map(|row| (collated(&row), row))
                .collect();
            keyed.sort_by(|(a, _), (b, _)| {
                a.iter()
                    .zip(b)
                    .map(|(a, b)| match (a.is_null(), b.is_null()) {
                        (true, true) => std::cmp::Ordering::Equal,
                        (true, false) => std::cmp::Ordering::Less,
                        (false, true) => std::cmp::Ordering::Greater,
                        (false, false) => compare_for_sort(a, b),
                    })
                    .find(|ordering| ordering.is_ne())
                    .unwrap_or(std::cmp::Ordering::Equal)
            });
            output = keyed.into_iter().map(|(_, row)| row).collect();
        }
        Ok(output)
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
