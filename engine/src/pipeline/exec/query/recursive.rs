//! The recursive CTE operator (`plan::RecursiveUnion`), run iteratively as SQLite does: the
//! initial rows fill a queue; then each step takes one row from the queue (first in, first
//! out, or the least by the CTE's ORDER BY), hands it out, and runs every recursive term
//! with that row as the CTE's only row (`ExecContext::work`), queueing their rows. Nothing
//! recurses on the Rust stack, and only the queue (plus, for UNION, the set of rows seen)
//! is held, so UNION ALL over a chain of one row per step runs in constant memory however
//! many steps it takes. A term's operators run once per step: rewound when they can be
//! (`Operator::rewind`: what they compiled is kept), else built anew. The row after the
//! last one handed out is never computed, so an outer LIMIT (or the CTE's own) ends an
//! unbounded recursion. Every step checks the
//! interrupt flag and the statement timeout; the queue and the seen set count against the
//! statement's row cap and memory budget.

use std::cmp::Ordering;
use std::collections::{BinaryHeap, VecDeque};

use ember_storage::Value;

use crate::error::Result;
use crate::plan::{RecursiveUnion, SortKey};

use super::super::hash::key_set::KeySet;
use super::super::{build, row_bytes, ExecContext, MemoryCharge, Operator, Row, WorkRow};
use super::{compare_keys, skip_and_limit};

/// A queued row with its ORDER BY key and arrival number (ties leave in arrival order).
struct Ordered<'p> {
    keys: &'p [SortKey],
    key: Vec<Value>,
    arrival: u64,
    row: Row,
}

impl PartialEq for Ordered<'_> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl Eq for Ordered<'_> {}

impl PartialOrd for Ordered<'_> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for Ordered<'_> {
    /// Reversed: `BinaryHeap` pops the greatest, the queue wants the least.
    fn cmp(&self, other: &Self) -> Ordering {
        compare_keys(self.keys, &self.key, &other.key)
            .then(self.arrival.cmp(&other.arrival))
            .reverse()
    }
}

enum Queue<'p> {
    Fifo(VecDeque<Row>),
    Ordered(BinaryHeap<Ordered<'p>>),
}

impl Queue<'_> {
    fn len(&self) -> usize {
        match self {
            Queue::Fifo(rows) => rows.len(),
            Queue::Ordered(rows) => rows.len(),
        }
    }

    fn pop(&mut self) -> Option<Row> {
        match self {
            Queue::Fifo(rows) => rows.pop_front(),
            Queue::Ordered(rows) => rows.pop().map(|entry| entry.row),
        }
    }
}

pub struct RecursiveUnionOperator<'p> {
    union: &'p RecursiveUnion,
    started: bool,
    queue: Queue<'p>,
    arrivals: u64,
    /// UNION: the keys of every row queued so far.
    seen: KeySet,
    /// The row handed out last, which the recursive terms now run from.
    work: Row,
    /// The recursive term running (its index and operator).
    running: Option<(usize, Box<dyn Operator + 'p>)>,
    /// Each recursive term's operator once it has run to its end, kept to be rewound
    /// for the next step (`Operator::rewind`) instead of built anew.
    finished: Vec<Option<Box<dyn Operator + 'p>>>,
    /// Rows still to skip (OFFSET) and to hand out (LIMIT; `None`: no limit).
    skip: u64,
    left: Option<u64>,
    /// Bytes the queue holds now, and the most it held (what is charged).
    queued_bytes: u64,
    queue_charge: Option<MemoryCharge>,
    seen_charge: Option<MemoryCharge>,
}

impl<'p> RecursiveUnionOperator<'p> {
    pub fn new(union: &'p RecursiveUnion) -> Self {
        let queue = if union.order.is_empty() {
            Queue::Fifo(VecDeque::new())
        } else {
            Queue::Ordered(BinaryHeap::new())
        };
        RecursiveUnionOperator {
            union,
            started: false,
            queue,
            arrivals: 0,
            seen: KeySet::default(),
            work: Vec::new(),
            running: None,
            finished: Vec::new(),
            skip: 0,
            left: None,
            queued_bytes: 0,
            queue_charge: None,
            seen_charge: None,
        }
    }

    /// Queues a row (unless UNION has seen it), counted and charged.
    fn enqueue(&mut self, row: Row, context: &ExecContext<'_>) -> Result<()> {
        if self.union.distinct {
            let Some(bytes) = self.seen.insert(&row)? else {
                return Ok(());
            };
            context.check_rows(self.seen.len() - 1)?;
            self.seen_charge
                .get_or_insert_with(|| context.memory_charge("a recursive UNION's rows"))
                .add(bytes)?;
        }
        context.check_rows(self.queue.len())?;
        let bytes = row_bytes(&row);
        self.queued_bytes += bytes;
        let charge = self
            .queue_charge
            .get_or_insert_with(|| context.memory_charge("a recursive CTE's queue"));
        if self.queued_bytes > charge.charged() {
            charge.add(self.queued_bytes - charge.charged())?;
        }
        match &mut self.queue {
            Queue::Fifo(rows) => rows.push_back(row),
            Queue::Ordered(rows) => {
                let key = self
                    .union
                    .order
                    .iter()
                    .map(|k| k.expr.eval(&row, &context.eval))
                    .collect::<Result<Vec<Value>>>()?;
                self.arrivals += 1;
                rows.push(Ordered {
                    keys: &self.union.order,
                    key,
                    arrival: self.arrivals,
                    row,
                });
            }
        }
        Ok(())
    }

    /// Recursive term `term` made ready to run from the current work row: its last
    /// step's operator rewound when it can be, else built.
    fn start_term(&mut self, term: usize) -> Option<(usize, Box<dyn Operator + 'p>)> {
        let node = self.union.recursive.get(term)?;
        let rewound = self
            .finished
            .get_mut(term)
            .and_then(Option::take)
            .and_then(|mut operator| operator.rewind().then_some(operator));
        let operator = rewound.unwrap_or_else(|| build(node));
        Some((term, operator))
    }

    fn start(&mut self, context: &ExecContext<'_>) -> Result<()> {
        self.started = true;
        (self.skip, self.left) = skip_and_limit(
            self.union.limit.as_ref(),
            self.union.offset.as_ref(),
            context,
        )?;
        let mut initial = build(&self.union.initial);
        while let Some(row) = initial.next(context)? {
            self.enqueue(row, context)?;
        }
        Ok(())
    }
}

impl Operator for RecursiveUnionOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if !self.started {
            self.start(context)?;
        }
        loop {
            if self.left == Some(0) {
                return Ok(None);
            }
            if let Some((term, mut operator)) = self.running.take() {
                let work = WorkRow {
                    id: self.union.id,
                    row: &self.work,
                    parent: context.work,
                };
                let inner = ExecContext {
                    txn: context.txn,
                    eval: context.eval,
                    rows_max: context.rows_max,
                    buffers: context.buffers,
                    work: Some(&work),
                };
                match operator.next(&inner)? {
                    Some(row) => {
                        self.running = Some((term, operator));
                        self.enqueue(row, context)?;
                    }
                    None => {
                        if self.finished.len() <= term {
                            self.finished.resize_with(term + 1, || None);
                        }
                        self.finished[term] = Some(operator);
                        self.running = self.start_term(term + 1);
                    }
                }
                continue;
            }
            context.check_interrupt()?;
            let Some(row) = self.queue.pop() else {
                return Ok(None);
            };
            self.queued_bytes -= row_bytes(&row);
            self.work.clone_from(&row);
            self.running = self.start_term(0);
            if self.skip > 0 {
                self.skip -= 1;
                continue;
            }
            if let Some(left) = &mut self.left {
                *left -= 1;
            }
            return Ok(Some(row));
        }
    }
}
