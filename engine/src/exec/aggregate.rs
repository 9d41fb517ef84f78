//! The aggregate operator: reads its whole input, groups rows by the GROUP BY values (NULLs
//! form one group), feeds each group's accumulators, and emits one row per group in group
//! key order (as SQLite's sorter does): the group's last input row, then the aggregates.
//! Without GROUP BY it emits exactly one row, with NULLs for the input row when empty.

use std::collections::HashMap;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, KeyValue};
use crate::fast_hash::FastBuildHasher;
use crate::plan::AggregateCall;

use super::accumulator::Accumulator;
use super::{build, ExecContext, Operator, Row};
use crate::plan::Node;

struct Group {
    key_values: Vec<Value>,
    last_row: Row,
    accumulators: Vec<Accumulator>,
}

pub struct AggregateOperator<'p> {
    input: &'p Node,
    group_by: &'p [crate::expr::Expr],
    aggregates: &'p [AggregateCall],
    input_width: usize,
    output: Option<std::vec::IntoIter<Row>>,
}

impl<'p> AggregateOperator<'p> {
    pub fn new(
        input: &'p Node,
        group_by: &'p [crate::expr::Expr],
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

    fn compute(&self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let mut input = build(self.input);
        let mut groups: Vec<Group> = Vec::new();
        let mut index: HashMap<Vec<KeyValue>, usize, FastBuildHasher> = HashMap::default();
        let mut args = Vec::new();
        // Reused per row: a row of an existing group allocates nothing for its key.
        let mut key_values: Vec<Value> = Vec::with_capacity(self.group_by.len());
        let mut key: Vec<KeyValue> = Vec::with_capacity(self.group_by.len());
        while let Some(row) = input.next(context)? {
            key_values.clear();
            for expr in self.group_by {
                key_values.push(expr.eval(&row, &context.eval)?);
            }
            key.clear();
            key.extend(key_values.iter().map(KeyValue::new));
            let position = match index.get(key.as_slice()) {
                Some(&position) => position,
                None => {
                    context.check_rows(groups.len())?;
                    index.insert(key.clone(), groups.len());
                    groups.push(self.new_group(key_values.clone(), context.rows_max));
                    groups.len() - 1
                }
            };
            let group = &mut groups[position];
            for (call, accumulator) in self.aggregates.iter().zip(&mut group.accumulators) {
                args.clear();
                for arg in &call.args {
                    args.push(arg.eval(&row, &context.eval)?);
                }
                accumulator.add(&args)?;
            }
            group.last_row = row;
        }
        if groups.is_empty() && self.group_by.is_empty() {
            groups.push(self.new_group(Vec::new(), context.rows_max));
        }
        groups.sort_by(|a, b| {
            a.key_values
                .iter()
                .zip(&b.key_values)
                .map(|(x, y)| compare_for_sort(x, y))
                .find(|ordering| ordering.is_ne())
                .unwrap_or(std::cmp::Ordering::Equal)
        });
        groups
            .into_iter()
            .map(|group| {
                let mut row = group.last_row;
                debug_assert_eq!(row.len(), self.input_width);
                for accumulator in &group.accumulators {
                    row.push(accumulator.finish()?);
                }
                Ok(row)
            })
            .collect()
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
