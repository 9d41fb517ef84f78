//! The aggregate operator: reads its whole input, groups rows by the GROUP BY values (NULLs
//! form one group), feeds each group's accumulators, and emits one row per group in group
//! key order (as SQLite's sorter does): the group's last input row, then the aggregates.
//! Without GROUP BY it emits exactly one row, with NULLs for the input row when empty.
//!
//! Over a full table scan the operator reads the scan's decoded rows in place (no row is
//! moved or copied unless it becomes a group's last row), and a single small non-negative
//! integer group key finds its group by direct indexing instead of hashing.

use std::collections::HashMap;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, Expr, KeyValue};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{AccessPath, AggregateCall, Node};

use super::accumulator::Accumulator;
use super::{build, scan, ExecContext, Operator, Row};

/// Group keys below this (a single integer key) are found by direct indexing.
const DIRECT_KEYS_MAX: i64 = 4096;
/// A `direct` slot with no group yet.
const NO_GROUP: u32 = u32::MAX;

struct Group {
    key_values: Vec<Value>,
    last_row: Row,
    accumulators: Vec<Accumulator>,
}

pub struct AggregateOperator<'p> {
    input: &'p Node,
    group_by: &'p [Expr],
    aggregates: &'p [AggregateCall],
    input_width: usize,
    output: Option<std::vec::IntoIter<Row>>,
}

/// The groups built so far and the lookup structures that find a row's group.
struct Grouper<'p> {
    group_by: &'p [Expr],
    aggregates: &'p [AggregateCall],
    input_width: usize,
    groups: Vec<Group>,
    index: HashMap<Vec<KeyValue>, usize, FastBuildHasher>,
    /// Single integer key `k` in `0..DIRECT_KEYS_MAX`: `direct[k]` is its group (or
    /// `NO_GROUP`); grown on demand.
    direct: Vec<u32>,
    // Reused per row: a row of an existing group allocates nothing for its key.
    key_values: Vec<Value>,
    key: Vec<KeyValue>,
    args: Vec<Value>,
}

impl<'p> Grouper<'p> {
    fn new(operator: &AggregateOperator<'p>) -> Grouper<'p> {
        Grouper {
            group_by: operator.group_by,
            aggregates: operator.aggregates,
            input_width: operator.input_width,
            groups: Vec::new(),
            index: HashMap::default(),
            direct: Vec::new(),
            key_values: Vec::with_capacity(operator.group_by.len()),
            key: Vec::with_capacity(operator.group_by.len()),
            args: Vec::new(),
        }
    }

    fn new_group(&self, key_values: Vec<Value>, rows_max: usize) -> Group {
        Group {
            key_values,
            last_row: vec![Value::Null; self.input_width],
            accumulators: self
                .aggregates
                .iter()
                .map(|call| Accumulator::new(call.function, call.distinct).with_seen_max(rows_max))
                .collect(),
        }
    }

    /// Finds (or creates) the group of `row`, feeds its accumulators, and returns the
    /// group's position (the caller stores the row as the group's last row).
    fn add(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        self.key_values.clear();
        for expr in self.group_by {
            self.key_values.push(expr.eval(row, &context.eval)?);
        }
        self.key.clear();
        self.key.extend(self.key_values.iter().map(KeyValue::new));
        let direct_slot = match self.key.as_slice() {
            [KeyValue::Integer(k)] if (0..DIRECT_KEYS_MAX).contains(k) => Some(*k as usize),
            _ => None,
        };
        let found = match direct_slot {
            Some(slot) => self
                .direct
                .get(slot)
                .filter(|&&position| position != NO_GROUP)
                .map(|&position| position as usize),
            None => self.index.get(self.key.as_slice()).copied(),
        };
        let position = match found {
            Some(position) => position,
            None => {
                context.check_rows(self.groups.len())?;
                let position = self.groups.len();
                match direct_slot {
                    Some(slot) => {
                        if self.direct.len() <= slot {
                            self.direct.resize(slot + 1, NO_GROUP);
                        }
                        self.direct[slot] = u32::try_from(position).unwrap_or(NO_GROUP);
                        if self.direct[slot] == NO_GROUP {
                            return Err(crate::err!(Limit, "too many groups"));
                        }
                    }
                    None => {
                        self.index.insert(self.key.clone(), position);
                    }
                }
                let group = self.new_group(self.key_values.clone(), context.rows_max);
                self.groups.push(group);
                position
            }
        };
        let group = &mut self.groups[position];
        for (call, accumulator) in self.aggregates.iter().zip(&mut group.accumulators) {
            self.args.clear();
            for arg in &call.args {
                self.args.push(arg.eval(row, &context.eval)?);
            }
            accumulator.add(&self.args)?;
        }
        Ok(position)
    }

    fn finish(mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        if self.groups.is_empty() && self.group_by.is_empty() {
            let group = self.new_group(Vec::new(), context.rows_max);
            self.groups.push(group);
        }
        let mut groups = self.groups;
        groups.sort_by(|a, b| {
            a.key_values
                .iter()
                .zip(&b.key_values)
                .map(|(x, y)| compare_for_sort(x, y))
                .find(|ordering| ordering.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        let input_width = self.input_width;
        groups
            .into_iter()
            .map(|group| {
                let mut row = group.last_row;
                debug_assert_eq!(row.len(), input_width);
                for accumulator in &group.accumulators {
                    row.push(accumulator.finish()?);
                }
                Ok(row)
            })
            .collect()
    }
}

impl<'p> AggregateOperator<'p> {
    pub fn new(
        input: &'p Node,
        group_by: &'p [Expr],
        aggregates: &'p [AggregateCall],
        input_width: usize,
    ) -> Self {
        AggregateOperator {
            input,
            group_by,
            aggregates,
            input_width,
            output: None,
        }
    }

    fn compute(&self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let mut grouper = Grouper::new(self);
        match self.input {
            Node::Scan(access) if matches!(access.path, AccessPath::FullScan) => {
                scan::for_each_row(access, context, |row| {
                    let position = grouper.add(row, context)?;
                    let last_row = &mut grouper.groups[position].last_row;
                    if last_row.len() == row.len() {
                        last_row.clone_from_slice(row);
                    } else {
                        last_row.clear();
                        last_row.extend_from_slice(row);
                    }
                    Ok(())
                })?;
            }
            input => {
                let mut input = build(input);
                while let Some(row) = input.next(context)? {
                    let position = grouper.add(&row, context)?;
                    grouper.groups[position].last_row = row;
                }
            }
        }
        grouper.finish(context)
    }
}

impl Operator for AggregateOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.output.is_none() {
            self.output = Some(self.compute(context)?.into_iter());
        }
        Ok(self.output.as_mut().and_then(Iterator::next))
    }
}
