//! DISTINCT and the set operations. Rows are compared by their `KeyValue`s, so NULLs equal
//! NULLs and 1 equals 1.0, as SQLite compares rows for DISTINCT and compounds. UNION ALL
//! streams both inputs; UNION, INTERSECT and EXCEPT return distinct rows, in row order as
//! SQLite's compound sorter does.

use std::collections::HashSet;

use crate::error::Result;
use crate::expr::{row_key, Collation, KeyValue};
use crate::plan::{Node, SetOperator, SortKey};

use super::query::compare_keys;
use super::{build, ExecContext, Operator, Row};

pub struct DistinctOperator<'p> {
    input: Box<dyn Operator + 'p>,
    /// Each column's collation (empty: all BINARY); rows compare by collation keys.
    collations: &'p [Collation],
    seen: HashSet<Vec<KeyValue>>,
    /// The memory `seen` holds, charged once the first row comes.
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
            seen: HashSet::new(),
            memory: None,
        }
    }
}

impl Operator for DistinctOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        while let Some(row) = self.input.next(context)? {
            let key = if self.collations.is_empty() {
                row_key(&row)
            } else {
                row.iter()
                    .zip(self.collations)
                    .map(|(value, collation)| KeyValue::new(&collation.key(value.clone())))
                    .collect()
            };
            if !self.seen.contains(&key) {
                context.check_rows(self.seen.len())?;
                self.memory
                    .get_or_insert_with(|| context.memory_charge("DISTINCT"))
                    .add(key_bytes(&key))?;
                self.seen.insert(key);
                return Ok(Some(row));
            }
        }
        Ok(None)
    }
}

pub struct SetOperationOperator<'p> {
    op: SetOperator,
    left: &'p Node,
    right: &'p Node,
    /// UNION ALL: the input being streamed (false = left, true = right).
    streaming_right: bool,
    streaming: Option<Box<dyn Operator + 'p>>,
    output: Option<std::vec::IntoIter<Row>>,
}

impl<'p> SetOperationOperator<'p> {
    pub fn new(op: SetOperator, left: &'p Node, right: &'p Node) -> Self {
        SetOperationOperator {
            op,
            left,
            right,
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

    fn compute(&self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let mut output: Vec<Row> = Vec::new();
        let mut memory = context.memory_charge("a UNION / INTERSECT / EXCEPT");
        let mut emitted: HashSet<Vec<KeyValue>> = HashSet::new();
        let mut left = build(self.left);
        match self.op {
            SetOperator::Union => {
                let mut right = build(self.right);
                for input in [&mut left, &mut right] {
                    while let Some(row) = input.next(context)? {
                        let key = row_key(&row);
                        if !emitted.contains(&key) {
                            context.check_rows(output.len())?;
                            memory.add(key_bytes(&key) + super::row_bytes(&row))?;
                            emitted.insert(key);
                            output.push(row);
                        }
                    }
                }
            }
            SetOperator::Intersect | SetOperator::Except => {
                let mut right_keys = HashSet::new();
                let mut right = build(self.right);
                while let Some(row) = right.next(context)? {
                    let key = row_key(&row);
                    if !right_keys.contains(&key) {
                        context.check_rows(right_keys.len())?;
                        memory.add(key_bytes(&key))?;
                        right_keys.insert(key);
                    }
                }
                let keep_common = self.op == SetOperator::Intersect;
                while let Some(row) = left.next(context)? {
                    let key = row_key(&row);
                    if right_keys.contains(&key) == keep_common && !emitted.contains(&key) {
                        context.check_rows(output.len())?;
                        memory.add(key_bytes(&key) + super::row_bytes(&row))?;
                        emitted.insert(key);
                        output.push(row);
                    }
                }
            }
            SetOperator::UnionAll => {
                return Err(crate::err!(Internal, "UNION ALL is streamed, not computed"))
            }
        }
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
            })
            .collect();
        output.sort_by(|a, b| compare_keys(&keys, a, b));
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
