//! The threshold a top-k sort shares with a join below it (`optimize/top_threshold.rs`).
//!
//! Once the top-k is full, the worst key it keeps is published in a `TopThreshold`; the
//! join's streamed input runs through a `ThresholdGate`, which drops a streamed row whose
//! sort key does not sort before that key. Every joined row a dropped row would give has
//! its key (the keys read only the streamed side) and comes later in input order, so the
//! top would refuse it (ties keep the earlier row): dropping it early spares the probe, the
//! joined row and the comparison, and never changes the answer. A key that fails to
//! evaluate lets the row through, so the top-k meets the error as it would have.
//!
//! The threshold lives in the execution's runtime (`SubqueryRuntime::top_threshold`), keyed
//! by the id the plan gives both sides; the top-k empties it each time it starts choosing.

use std::cell::RefCell;
use std::cmp::Ordering;
use std::rc::Rc;

use ember_storage::Value;

use crate::error::Result;
use crate::plan::{Join, JoinSide, ThresholdId, TopGate};

use super::super::{ExecContext, Operator, Row};
use super::top_k_key::{compare_key_lists, compare_row_columns, KeyReader};

/// The worst key a full top-k keeps (`None` while it is not full: every row may enter).
#[derive(Default)]
pub struct TopThreshold {
    worst: RefCell<Option<Vec<Value>>>,
}

impl TopThreshold {
    /// Forgets the key: the top-k starts choosing anew.
    pub(super) fn clear(&self) {
        *self.worst.borrow_mut() = None;
    }

    /// Makes `worst` the key a row must sort before.
    pub(super) fn publish(&self, worst: &[Value]) {
        let mut held = self.worst.borrow_mut();
        match held.as_mut() {
            // Texts copied into the buffers the key holds.
            Some(key) if key.len() == worst.len() => key.clone_from_slice(worst),
            _ => *held = Some(worst.to_vec()),
        }
    }
}

/// The threshold `id` of this execution (`None` outside a statement's runtime: no gate
/// then, which only costs the rows it would have dropped).
pub(super) fn threshold_of(id: ThresholdId, context: &ExecContext<'_>) -> Option<Rc<TopThreshold>> {
    context
        .eval
        .subqueries
        .map(|runtime| runtime.top_threshold(id))
}

/// `join`'s streamed input `stream` (its `side`), behind the join's gate when it has one.
pub(in super::super) fn gated<'p>(
    join: &'p Join,
    side: JoinSide,
    stream: Box<dyn Operator + 'p>,
) -> Box<dyn Operator + 'p> {
    match &join.top_gate {
        Some(gate) if gate.side == side => Box::new(ThresholdGate {
            input: stream,
            gate,
            reader: KeyReader::of(&gate.keys),
            threshold: None,
            started: false,
            scratch: Vec::new(),
        }),
        _ => stream,
    }
}

/// Passes on the rows of its input whose key sorts before the threshold's.
struct ThresholdGate<'p> {
    input: Box<dyn Operator + 'p>,
    gate: &'p TopGate,
    reader: KeyReader<'p>,
    /// Fetched at the first row.
    threshold: Option<Rc<TopThreshold>>,
    started: bool,
    /// The computed key of the row being tested (reused from row to row).
    scratch: Vec<Value>,
}

impl ThresholdGate<'_> {
    /// Whether the top-k above would refuse every joined row of `row`.
    fn refuses(&mut self, row: &[Value], context: &ExecContext<'_>) -> bool {
        let Some(threshold) = &self.threshold else {
            return false;
        };
        let held = threshold.worst.borrow();
        let Some(worst) = held.as_deref() else {
            return false;
        };
        let keys = &self.gate.keys;
        match &mut self.reader {
            // Equal keys: the joined rows come after the row the top keeps, so stay out.
            KeyReader::Columns(columns) => {
                compare_row_columns(keys, columns, row, worst) != Ordering::Less
            }
            KeyReader::Computed(computed) => {
                computed.compile(keys, &context.eval);
                self.scratch.clear();
                for expr in computed.keys.iter_mut() {
                    match expr.eval_borrowed(row, &context.eval) {
                        Ok(value) => self.scratch.push(value.into_owned()),
                        // The top-k evaluates the key again and meets the error itself.
                        Err(_) => return false,
                    }
                }
                compare_key_lists(keys, &self.scratch, worst) != Ordering::Less
            }
        }
    }
}

impl Operator for ThresholdGate<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if !self.started {
            self.started = true;
            self.threshold = threshold_of(self.gate.threshold, context);
        }
        loop {
            let Some(row) = self.input.next(context)? else {
                return Ok(None);
            };
            if self.refuses(&row, context) {
                self.input.recycle(row);
                continue;
            }
            return Ok(Some(row));
        }
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.input.reserve_extra_width(extra);
    }

    fn recycle(&mut self, row: Row) {
        self.input.recycle(row);
    }

    fn rewind(&mut self) -> bool {
        self.input.rewind()
    }
}
