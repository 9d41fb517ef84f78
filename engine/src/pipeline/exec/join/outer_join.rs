//! RIGHT and FULL joins, as SQLite runs them: the right input is read once into a list (with
//! a hash index over it when the join has equality keys) and a flag per row; left rows stream
//! and pair with their candidates as in `join.rs` (a FULL join pads an unmatched left row with
//! NULLs); when the left input ends, every right row no left row matched comes out in input
//! order, NULLs in place of the left row. Inner and LEFT joins keep `join.rs`.

use std::collections::HashMap;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{passes, EvalContext, Expr, KeyValue, RowTest};
use crate::plan::{Join, JoinKind};

use super::super::{build, row_bytes, ExecContext, MemoryCharge, Operator, Row};

/// The right input, materialized, with its match flags.
struct RightSide {
    rows: Vec<Row>,
    matched: Vec<bool>,
    /// Row positions by key (when the join has keys; rows with a NULL key are in no list).
    by_key: Option<HashMap<Vec<KeyValue>, Vec<usize>>>,
}

/// The left row being joined: its key's candidates, how far through them, whether matched.
struct Current {
    row: Row,
    key: Option<Vec<KeyValue>>,
    position: usize,
    matched: bool,
}

pub struct OuterJoinOperator<'p> {
    join: &'p Join,
    left: Box<dyn Operator + 'p>,
    right: Option<RightSide>,
    current: Option<Current>,
    /// After the left input ended: the next right row to consider for NULL padding.
    unmatched_from: Option<usize>,
    memory: Option<MemoryCharge>,
    /// The join's condition, compiled at its first row.
    condition: Option<RowTest<'p>>,
}

impl<'p> OuterJoinOperator<'p> {
    pub fn new(join: &'p Join) -> Self {
        debug_assert!(matches!(join.kind, JoinKind::Right | JoinKind::Full));
        OuterJoinOperator {
            join,
            left: build(&join.left),
            right: None,
            current: None,
            unmatched_from: None,
            memory: None,
            condition: join.condition.as_ref().map(RowTest::new),
        }
    }

    fn load_right(&mut self, context: &ExecContext<'_>) -> Result<RightSide> {
        let mut operator = build(&self.join.right);
        let keyed = !self.join.right_keys.is_empty();
        let mut by_key: HashMap<Vec<KeyValue>, Vec<usize>> = HashMap::new();
        let mut rows = Vec::new();
        let memory = self
            .memory
            .insert(context.memory_charge("an outer join's right rows"));
        while let Some(row) = operator.next(context)? {
            context.check_rows(rows.len())?;
            let mut bytes = row_bytes(&row) + 1;
            if keyed {
                if let Some(key) = eval_key(&self.join.right_keys, &row, &context.eval)? {
                    bytes += (key.len() * KEY_VALUE_BYTES) as u64;
                    by_key.entry(key).or_default().push(rows.len());
                }
            }
            memory.add(bytes)?;
            rows.push(row);
        }
        Ok(RightSide {
            matched: vec![false; rows.len()],
            rows,
            by_key: keyed.then_some(by_key),
        })
    }
}

/// Bytes one key value takes in the table of row positions by key.
const KEY_VALUE_BYTES: usize = std::mem::size_of::<KeyValue>();

/// Evaluates key expressions; `None` when any is NULL (a NULL key matches nothing).
fn eval_key(
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

/// `left` followed by `right` in one new row.
fn joined(left: &[Value], right: &[Value]) -> Row {
    let mut row = Vec::with_capacity(left.len() + right.len());
    row.extend_from_slice(left);
    row.extend_from_slice(right);
    row
}

impl Operator for OuterJoinOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.right.is_none() {
            self.right = Some(self.load_right(context)?);
        }
        let right = self.right.as_mut().expect("loaded above");
        loop {
            if let Some(from) = &mut self.unmatched_from {
                while *from < right.rows.len() {
                    let index = *from;
                    *from += 1;
                    if !right.matched[index] {
                        let mut row = vec![Value::Null; self.join.left_width];
                        row.extend_from_slice(&right.rows[index]);
                        return Ok(Some(row));
                    }
                }
                return Ok(None);
            }
            if self.current.is_none() {
                context.check_interrupt()?;
                let Some(row) = self.left.next(context)? else {
                    self.unmatched_from = Some(0);
                    continue;
                };
                let key = match right.by_key {
                    Some(_) => eval_key(&self.join.left_keys, &row, &context.eval)?,
                    None => None,
                };
                self.current = Some(Current {
                    row,
                    key,
                    position: 0,
                    matched: false,
                });
            }
            let current = self.current.as_mut().expect("set above");
            let candidates: &[usize] = match (&right.by_key, &current.key) {
                (Some(table), Some(key)) => table.get(key).map_or(&[], Vec::as_slice),
                (Some(_), None) => &[],
                (None, _) => &[],
            };
            let count = if right.by_key.is_some() {
                candidates.len()
            } else {
                right.rows.len()
            };
            while current.position < count {
                let index = if right.by_key.is_some() {
                    candidates[current.position]
                } else {
                    current.position
                };
                current.position += 1;
                let row = joined(&current.row, &right.rows[index]);
                if passes(&mut self.condition, &row, &context.eval)? {
                    current.matched = true;
                    right.matched[index] = true;
                    return Ok(Some(row));
                }
            }
            let current = self.current.take().expect("set above");
            if self.join.kind == JoinKind::Full && !current.matched {
                let mut row = current.row;
                row.resize(row.len() + self.join.right_width, Value::Null);
                return Ok(Some(row));
            }
        }
    }
}
