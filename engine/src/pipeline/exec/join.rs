//! The join operator. The right input is read once into memory: into a hash table on its key
//! expressions when the join has equality keys, else into a list for a nested loop. Left rows
//! stream; each is paired with its candidate right rows, the join condition is checked on the
//! joined row, and a LEFT join emits an unmatched left row once, padded with NULLs.

use std::collections::HashMap;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{EvalContext, Expr, KeyValue};
use crate::plan::{Join, JoinKind};

use super::{build, row_bytes, ExecContext, MemoryCharge, Operator, Row};

/// The right input, materialized.
enum RightRows {
    All(Vec<Row>),
    ByKey(HashMap<Vec<KeyValue>, Vec<Row>>),
}

pub struct JoinOperator<'p> {
    join: &'p Join,
    left: Box<dyn Operator + 'p>,
    right: Option<RightRows>,
    /// The current left row and how far through its candidates we are.
    current: Option<(Row, usize, bool)>,
    /// The current left row's candidate list when hashing (empty when its key had no match).
    candidates_key: Option<Vec<KeyValue>>,
    /// The memory the right rows hold, released when the operator goes.
    memory: Option<MemoryCharge>,
}

/// Bytes one key value takes in a hash join's table.
pub(super) const KEY_VALUE_BYTES: usize = std::mem::size_of::<KeyValue>();

impl<'p> JoinOperator<'p> {
    pub fn new(join: &'p Join) -> Self {
        JoinOperator {
            join,
            left: build(&join.left),
            right: None,
            current: None,
            candidates_key: None,
            memory: None,
        }
    }

    fn load_right(&mut self, context: &ExecContext<'_>) -> Result<RightRows> {
        let mut operator = build(&self.join.right);
        if self.join.right_keys.is_empty() {
            let mut rows = Vec::new();
            let memory = self
                .memory
                .insert(context.memory_charge("a join's inner rows"));
            while let Some(row) = operator.next(context)? {
                context.check_rows(rows.len())?;
                memory.add_row(&row)?;
                rows.push(row);
            }
            return Ok(RightRows::All(rows));
        }
        let mut table: HashMap<Vec<KeyValue>, Vec<Row>> = HashMap::new();
        let mut held = 0;
        let memory = self
            .memory
            .insert(context.memory_charge("a hash join's build side"));
        while let Some(row) = operator.next(context)? {
            if let Some(key) = eval_key(&self.join.right_keys, &row, &context.eval)? {
                context.check_rows(held)?;
                // The key is held beside the row (once per distinct key, counted per row).
                memory.add(row_bytes(&row) + (key.len() * KEY_VALUE_BYTES) as u64)?;
                held += 1;
                table.entry(key).or_default().push(row);
            }
        }
        Ok(RightRows::ByKey(table))
    }
}

/// The right rows a left row may join with: all of them, or those under its key.
fn candidates_for<'r>(right: &'r RightRows, key: Option<&Vec<KeyValue>>) -> &'r [Row] {
    match right {
        RightRows::All(rows) => rows,
        RightRows::ByKey(table) => key
            .and_then(|key| table.get(key))
            .map_or(&[], Vec::as_slice),
    }
}

/// Evaluates key expressions; `None` when any is NULL (a NULL key matches nothing).
pub(super) fn eval_key(
    exprs: &[Expr],
    row: &[Value],
    context: &EvalContext<'_>,
) -> Result<Option<Vec<KeyValue>>> {
    let mut key = Vec::with_capacity(exprs.len());
    for expr in exprs {
        let value = expr.eval(row, context)?;
        if value.is_null() {
            return Ok(None);
        }
        key.push(KeyValue::new(&value));
    }
    Ok(Some(key))
}

impl Operator for JoinOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.right.is_none() {
            self.right = Some(self.load_right(context)?);
        }
        loop {
            if self.current.is_none() {
                context.check_interrupt()?;
                let Some(left) = self.left.next(context)? else {
                    return Ok(None);
                };
                if !self.join.left_keys.is_empty() {
                    self.candidates_key = eval_key(&self.join.left_keys, &left, &context.eval)?;
                }
                self.current = Some((left, 0, false));
            }
            let right = self.right.as_ref().expect("loaded above");
            let candidates = candidates_for(right, self.candidates_key.as_ref());
            let (left, position, matched) = self.current.as_mut().expect("set above");
            while *position < candidates.len() {
                let candidate = &candidates[*position];
                *position += 1;
                let mut joined = Vec::with_capacity(left.len() + candidate.len());
                joined.extend_from_slice(left);
                joined.extend_from_slice(candidate);
                let passes = match &self.join.condition {
                    Some(condition) => condition.matches(&joined, &context.eval)?,
                    None => true,
                };
                if passes {
                    *matched = true;
                    return Ok(Some(joined));
                }
            }
            let (mut left, _, matched) = self.current.take().expect("set above");
            if self.join.kind == JoinKind::Left && !matched {
                left.resize(left.len() + self.join.right_width, Value::Null);
                return Ok(Some(left));
            }
        }
    }
}
