//! The Window operator's input under a top-N bound (`Window::top_n`, set by
//! `optimize::window_top_n`): the rows are pushed through (`push::rows`, no row allocated
//! by the scan), grouped by their PARTITION BY values as they come, and each partition
//! keeps only the rows that can still be among its first `limit` in window order (by
//! row_number; with the ties of the last one for rank; the first `limit` peer groups for
//! dense_rank). Rows are copied only when kept; once a partition has been cut down, a row
//! whose ORDER BY values come after the last kept row's (at or after it for row_number:
//! ties keep their input order) is dropped unread. The kept rows are returned in input
//! order, so the Window's usual pass orders and numbers them as it would all the rows.

use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{BuildHasher, Hash, Hasher};

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Expr, KeyRef};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{SortKey, Window, WindowFunction, WindowPass, WindowTopN};

use super::super::query::compare_keys;
use super::super::{push, ExecContext, MemoryCharge, Row};

/// Rows between two interrupt checks.
const INTERRUPT_EVERY: usize = 1024;

/// Where one key value (PARTITION BY or ORDER BY) of an incoming row is read.
#[derive(Clone, Copy)]
enum Source {
    /// The row's own column.
    Column(usize),
    /// Computed into the collector's `computed` (for the incoming row) and appended to a
    /// kept row at `width + offset`.
    Computed(usize),
}

/// One kept row: its position in the input and its values (`width` of them, then the
/// computed ORDER BY values, dropped before the rows are returned).
struct Candidate {
    sequence: usize,
    row: Row,
}

/// The rows kept so far for one partition.
struct PartitionRows {
    values: Vec<Value>,
    /// The next partition whose values hash alike.
    next_same_hash: Option<usize>,
    /// Sorted in window order up to the last cut, then in input order.
    candidates: Vec<Candidate>,
    /// After a cut that left the partition full: the last kept row's ORDER BY values.
    cutoff: Option<Vec<Value>>,
    /// The number of candidates at which the partition is cut next.
    cut_at: usize,
}

/// Collects the Window's input rows, keeping per partition only those `top` lets through.
pub(super) fn collect_rows(
    plan: &Window,
    top: WindowTopN,
    memory: &mut MemoryCharge,
    context: &ExecContext<'_>,
) -> Result<Vec<Row>> {
    let [pass] = plan.passes.as_slice() else {
        return Err(crate::err!(
            Internal,
            "a window top-N bound on several passes"
        ));
    };
    let mut collector = Collector::new(pass, top, plan.input_width, plan.call_count);
    push::rows(&plan.input, context, &mut |row| {
        collector.offer(row, memory, context)
    })?;
    collector.finish(context)
}

struct Collector<'p> {
    order_by: &'p [SortKey],
    function: WindowFunction,
    limit: usize,
    /// The Window's input width, and its output width (then the calls' values).
    input_width: usize,
    width: usize,
    partition_by: Vec<Source>,
    order_keys: Vec<Source>,
    /// The expressions computed per row (not bare columns), partition ones first.
    computed_exprs: Vec<&'p Expr>,
    /// Their values for the incoming row.
    computed: Vec<Value>,
    partitions: Vec<PartitionRows>,
    by_hash: HashMap<u64, usize, FastBuildHasher>,
    hasher: FastBuildHasher,
    sequence: usize,
    held: usize,
}

impl<'p> Collector<'p> {
    fn new(pass: &'p WindowPass, top: WindowTopN, input_width: usize, calls: usize) -> Self {
        let mut computed_exprs = Vec::new();
        let mut source = |expr: &'p Expr| match expr {
            Expr::Column { index, .. } => Source::Column(*index),
            _ => {
                computed_exprs.push(expr);
                Source::Computed(computed_exprs.len() - 1)
            }
        };
        let partition_by = pass.partition_by.iter().map(&mut source).collect();
        let order_keys = pass.order_by.iter().map(|key| source(&key.expr)).collect();
        Collector {
            order_by: &pass.order_by,
            function: top.function,
            limit: usize::try_from(top.limit).unwrap_or(usize::MAX),
            input_width,
            width: input_width + calls,
            partition_by,
            order_keys,
            computed_exprs,
            computed: Vec::new(),
            partitions: Vec::new(),
            by_hash: HashMap::default(),
            hasher: FastBuildHasher::default(),
            sequence: 0,
            held: 0,
        }
    }

    /// The value of `source` for the incoming `row`.
    fn incoming<'a>(&'a self, row: &'a [Value], source: Source) -> &'a Value {
        match source {
            Source::Column(index) => &row[index],
            Source::Computed(offset) => &self.computed[offset],
        }
    }

    /// Takes in one input row: kept (copied) when it may be among its partition's first.
    fn offer(
        &mut self,
        row: &[Value],
        memory: &mut MemoryCharge,
        context: &ExecContext<'_>,
    ) -> Result<()> {
        self.sequence += 1;
        if self.sequence.is_multiple_of(INTERRUPT_EVERY) {
            context.check_interrupt()?;
        }
        self.computed.clear();
        for expr in &self.computed_exprs {
            let value = expr.eval(row, &context.eval)?;
            self.computed.push(value);
        }
        let partition = self.partition_of(row);
        if self.limit == 0 || self.cut_off(partition, row) {
            return Ok(());
        }
        let mut kept = Vec::with_capacity(self.width + self.computed.len());
        kept.extend_from_slice(&row[..row.len().min(self.input_width)]);
        kept.resize(self.width, Value::Null);
        kept.append(&mut self.computed);
        context.check_rows(self.held)?;
        memory.add_row(&kept)?;
        self.held += 1;
        let rows = &mut self.partitions[partition];
        rows.candidates.push(Candidate {
            sequence: self.sequence,
            row: kept,
        });
        if rows.candidates.len() >= rows.cut_at {
            self.cut(partition);
        }
        Ok(())
    }

    /// The number of the incoming row's partition (a new one when its values are new).
    fn partition_of(&mut self, row: &[Value]) -> usize {
        let mut hasher = self.hasher.build_hasher();
        for &source in &self.partition_by {
            KeyRef::of(self.incoming(row, source)).hash(&mut hasher);
        }
        let hash = hasher.finish();
        let mut next = self.by_hash.get(&hash).copied();
        while let Some(number) = next {
            let rows = &self.partitions[number];
            let same = self
                .partition_by
                .iter()
                .zip(&rows.values)
                .all(|(&source, value)| {
                    KeyRef::of(self.incoming(row, source)) == KeyRef::of(value)
                });
            if same {
                return number;
            }
            next = rows.next_same_hash;
        }
        let number = self.partitions.len();
        let values = self
            .partition_by
            .iter()
            .map(|&source| self.incoming(row, source).clone())
            .collect();
        let next_same_hash = self.by_hash.insert(hash, number);
        self.partitions.push(PartitionRows {
            values,
            next_same_hash,
            candidates: Vec::new(),
            cutoff: None,
            cut_at: self.first_cut(),
        });
        number
    }

    /// The candidate count at which a partition is first cut down.
    fn first_cut(&self) -> usize {
        self.limit.saturating_mul(2).saturating_add(8)
    }

    /// Whether the incoming row comes after the last row its full partition keeps.
    fn cut_off(&self, partition: usize, row: &[Value]) -> bool {
        let Some(cutoff) = &self.partitions[partition].cutoff else {
            return false;
        };
        let ordering = self.compare(
            |key| self.incoming(row, self.order_keys[key]),
            |key| &cutoff[key],
        );
        match self.function {
            // A tie comes after the kept row (input order): past the limit.
            WindowFunction::RowNumber => ordering.is_ge(),
            _ => ordering.is_gt(),
        }
    }

    /// Compares two rows' ORDER BY values (`left(k)`, `right(k)` reading key k's).
    fn compare<'a>(
        &self,
        left: impl Fn(usize) -> &'a Value,
        right: impl Fn(usize) -> &'a Value,
    ) -> Ordering {
        for (key, sort_key) in self.order_by.iter().enumerate() {
            let ordering = compare_keys(
                std::slice::from_ref(sort_key),
                std::slice::from_ref(left(key)),
                std::slice::from_ref(right(key)),
            );
            if ordering.is_ne() {
                return ordering;
            }
        }
        Ordering::Equal
    }

    /// Sorts partition `partition`'s candidates into window order (stably: ties keep their
    /// input order) and drops those past its first `limit` (by the bound's function).
    fn cut(&mut self, partition: usize) {
        let mut candidates = std::mem::take(&mut self.partitions[partition].candidates);
        candidates.sort_by(|a, b| {
            self.compare(|key| self.kept_value(a, key), |key| self.kept_value(b, key))
        });
        let peers = |at: usize| {
            self.compare(
                |key| self.kept_value(&candidates[at - 1], key),
                |key| self.kept_value(&candidates[at], key),
            )
            .is_eq()
        };
        let (keep, full) = match self.function {
            WindowFunction::RowNumber => {
                let keep = candidates.len().min(self.limit);
                (keep, keep == self.limit)
            }
            WindowFunction::Rank => {
                let mut keep = candidates.len().min(self.limit);
                let full = keep == self.limit;
                while full && keep < candidates.len() && peers(keep) {
                    keep += 1;
                }
                (keep, full)
            }
            _ => {
                let mut groups = 0;
                let mut keep = 0;
                while keep < candidates.len() {
                    if keep == 0 || !peers(keep) {
                        if groups == self.limit {
                            break;
                        }
                        groups += 1;
                    }
                    keep += 1;
                }
                (keep, groups == self.limit)
            }
        };
        let cutoff = (full && keep > 0).then(|| {
            (0..self.order_keys.len())
                .map(|key| self.kept_value(&candidates[keep - 1], key).clone())
                .collect()
        });
        self.held -= candidates.len() - keep;
        candidates.truncate(keep);
        let cut_at = keep.saturating_mul(2).max(self.first_cut());
        let rows = &mut self.partitions[partition];
        rows.cut_at = cut_at;
        rows.cutoff = cutoff;
        rows.candidates = candidates;
    }

    /// Key `key` of the ORDER BY values of a kept row.
    fn kept_value<'c>(&self, candidate: &'c Candidate, key: usize) -> &'c Value {
        match self.order_keys[key] {
            Source::Column(index) => &candidate.row[index],
            Source::Computed(offset) => &candidate.row[self.width + offset],
        }
    }

    /// The kept rows, in input order, at the Window's width.
    fn finish(mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        for partition in 0..self.partitions.len() {
            self.cut(partition);
        }
        if self.order_by.iter().any(|key| key.collation.is_some()) {
            crate::expr::UserCollation::take_panic()?;
        }
        context.check_interrupt()?;
        let mut kept: Vec<Candidate> = self
            .partitions
            .into_iter()
            .flat_map(|partition| partition.candidates)
            .collect();
        kept.sort_unstable_by_key(|candidate| candidate.sequence);
        Ok(kept
            .into_iter()
            .map(|mut candidate| {
                candidate.row.truncate(self.width);
                candidate.row
            })
            .collect())
    }
}
