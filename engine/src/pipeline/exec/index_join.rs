//! Index nested-loop joins (INNER and LEFT): left rows stream; each left row's probe values
//! (its side of the key equalities, converted to the key columns' types as the lookup
//! access paths convert constants) are looked up in the right table's primary key or
//! secondary index, and every row found that passes the right access's filter, every key
//! equality (SQL equality of both sides' values) and the join condition joins it. A LEFT
//! join emits an unmatched left row once, padded with NULLs. The right table is never read
//! whole, unless the probed index was dropped after the plan was made: then its rows are
//! read once and every one is a candidate.

use std::sync::Arc;

use ember_storage::index::{IndexKey, SecondaryIndex};
use ember_storage::{DataType, Value};

use crate::error::Result;
use crate::expr::{coerce_to_column, Expr};
use crate::plan::{Join, JoinKind, JoinProbe, Node, TableAccess};

use super::join_table::keys_match;
use super::{build, ExecContext, Operator, Row};

/// What the probe reads.
enum Target {
    PrimaryKey,
    Index(Arc<SecondaryIndex>),
    /// The index is gone: every row of the table (filtered), read once.
    AllRows(Vec<Row>),
}

/// The left row being joined, its candidate right rows, how far through them, whether any
/// joined.
struct Current {
    row: Row,
    position: usize,
    matched: bool,
}

pub struct IndexJoinOperator<'p> {
    join: &'p Join,
    probe: &'p JoinProbe,
    access: &'p TableAccess,
    left: Box<dyn Operator + 'p>,
    target: Option<Target>,
    current: Option<Current>,
    /// The current left row's candidates are `candidates[..candidate_count]`; the rows
    /// past it are spare buffers, reused so a probe allocates no row.
    candidates: Vec<Row>,
    candidate_count: usize,
    /// Reused decode buffer of a secondary-index lookup.
    buffer: Row,
    /// Reused probe values.
    probe_values: Vec<Value>,
    /// The join's one key equality is `<probe value> = <INTEGER primary key>` (see
    /// `integer_key_join`): an integer probe value is the key itself, and a row found under
    /// it satisfies the equality, so it is not compared again.
    integer_key: bool,
    /// Whether the current left row's candidates were found by an integer key as above.
    probe_exact: bool,
}

impl<'p> IndexJoinOperator<'p> {
    pub fn new(join: &'p Join, probe: &'p JoinProbe) -> Self {
        debug_assert!(matches!(join.kind, JoinKind::Inner | JoinKind::Left));
        let Node::Scan(access) = &join.right else {
            unreachable!("the planner probes only base-table scans")
        };
        let mut left = build(&join.left);
        left.reserve_extra_width(join.right_width);
        IndexJoinOperator {
            join,
            probe,
            access,
            left,
            target: None,
            current: None,
            candidates: Vec::new(),
            candidate_count: 0,
            buffer: Vec::new(),
            probe_values: Vec::new(),
            integer_key: integer_key_join(join, probe, access),
            probe_exact: false,
        }
    }

    fn resolve_target(&self, context: &ExecContext<'_>) -> Result<Target> {
        let Some(index) = &self.probe.index else {
            return Ok(Target::PrimaryKey);
        };
        if let Some(storage) = self.access.table.storage.index(index.storage.id()) {
            return Ok(Target::Index(storage));
        }
        let mut scan = build(&self.join.right);
        let mut rows = Vec::new();
        while let Some(row) = scan.next(context)? {
            context.check_rows(rows.len())?;
            rows.push(row);
        }
        Ok(Target::AllRows(rows))
    }

    /// The key columns probed, in key order.
    fn key_columns(&self) -> &'p [usize] {
        match &self.probe.index {
            Some(index) => &index.columns,
            None => &self.access.table.primary_key,
        }
    }

    /// The index key `left` probes with, or `None` when no stored row can match (a NULL
    /// probe value, or one the key column cannot hold).
    fn probe_key(&mut self, left: &[Value], context: &ExecContext<'_>) -> Result<Option<IndexKey>> {
        let table = &self.access.table;
        let columns = self.key_columns();
        let values = &mut self.probe_values;
        values.clear();
        for (&column, probe) in columns.iter().zip(&self.probe.values) {
            let value = probe.eval(left, &context.eval)?;
            match coerce_to_column(value, &table.columns[column]) {
                Ok(Value::Null) | Err(_) => return Ok(None),
                Ok(value) => values.push(value),
            }
        }
        // Under the key's collations (a collated unique key finds the rows equal under it;
        // the key equalities are rechecked on each).
        Ok(match &self.probe.index {
            Some(index) => index.storage.key_from_values(values.iter()),
            None => table.storage.key_from_values(values.iter()),
        })
    }

    /// Makes `values` the next candidate, in a spare buffer when there is one.
    fn push_candidate(candidates: &mut Vec<Row>, count: &mut usize, values: &[Value]) {
        match candidates.get_mut(*count) {
            Some(spare) => {
                spare.clear();
                spare.extend_from_slice(values);
            }
            None => candidates.push(values.to_vec()),
        }
        *count += 1;
    }

    /// Fills `candidates` with the right rows `left` may join: those under its key that
    /// pass the access filter.
    fn find_candidates(&mut self, left: &[Value], context: &ExecContext<'_>) -> Result<()> {
        self.candidate_count = 0;
        let target = self.target.as_ref().expect("resolved before probing");
        if let Target::AllRows(rows) = target {
            self.candidates.clear();
            self.candidates.extend(rows.iter().cloned());
            self.candidate_count = self.candidates.len();
            return Ok(());
        }
        self.probe_exact = false;
        let integer = match (self.integer_key, self.probe.values.as_slice()) {
            (true, [Expr::Column { index, .. }]) => match left.get(*index) {
                Some(Value::Integer(int)) => Some(*int),
                _ => None,
            },
            (true, [probe]) => match probe.eval(left, &context.eval)? {
                Value::Integer(int) => Some(int),
                _ => None,
            },
            _ => None,
        };
        let key = match integer {
            // An integer needs no conversion to the INTEGER key column and finds it exactly.
            Some(int) => {
                self.probe_exact = true;
                IndexKey::Int(int)
            }
            None => match self.probe_key(left, context)? {
                Some(key) => key,
                None => return Ok(()),
            },
        };
        let access = self.access;
        let storage = &access.table.storage;
        let target = self.target.as_ref().expect("resolved before probing");
        match target {
            Target::PrimaryKey => {
                if self.candidates.is_empty() {
                    self.candidates.push(Vec::new());
                }
                let slot = &mut self.candidates[0];
                let found =
                    context
                        .txn
                        .read_key_decoded(storage, &key, access.read.decoder(), slot)?;
                if found.is_some() && passes_filter(access, slot, context)? {
                    self.candidate_count = 1;
                }
            }
            Target::Index(index) => {
                let mut failure = None;
                let candidates = &mut self.candidates;
                let count = &mut self.candidate_count;
                context
                    .txn
                    .index_lookup(storage, index, &key, &mut self.buffer, |_, values| {
                        match passes_filter(access, values, context).and_then(|keep| {
                            if keep {
                                context.check_rows(*count)?;
                            }
                            Ok(keep)
                        }) {
                            Ok(true) => Self::push_candidate(candidates, count, values),
                            Ok(false) => {}
                            Err(error) => failure = Some(error),
                        }
                        failure.is_none()
                    })?;
                if let Some(error) = failure {
                    return Err(error);
                }
            }
            Target::AllRows(_) => unreachable!("handled above"),
        }
        Ok(())
    }
}

/// Whether `join`'s only key equality is the probe value (the left key) equal to the right
/// table's one-column INTEGER primary key, probed through that key: then a row found under
/// an integer probe value `v` has key `v`, and the equality holds without comparing again.
fn integer_key_join(join: &Join, probe: &JoinProbe, access: &TableAccess) -> bool {
    let table = &access.table;
    let ([key_column], [left_key], [right_key], [probe_value], None) = (
        table.primary_key.as_slice(),
        join.left_keys.as_slice(),
        join.right_keys.as_slice(),
        probe.values.as_slice(),
        &probe.index,
    ) else {
        return false;
    };
    table.columns[*key_column].data_type == DataType::Integer
        && left_key == probe_value
        && matches!(right_key, Expr::Column { index, .. } if index == key_column)
}

fn passes_filter(access: &TableAccess, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
    match &access.filter {
        Some(filter) => filter.matches(row, &context.eval),
        None => Ok(true),
    }
}

impl Operator for IndexJoinOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.target.is_none() {
            self.target = Some(self.resolve_target(context)?);
        }
        loop {
            if self.current.is_none() {
                context.check_interrupt()?;
                let Some(left) = self.left.next(context)? else {
                    return Ok(None);
                };
                self.find_candidates(&left, context)?;
                self.current = Some(Current {
                    row: left,
                    position: 0,
                    matched: false,
                });
            }
            let current = self.current.as_mut().expect("set above");
            while current.position < self.candidate_count {
                let candidate = &mut self.candidates[current.position];
                current.position += 1;
                let last = current.position == self.candidate_count;
                let join = self.join;
                if !self.probe_exact
                    && !keys_match(
                        &join.left_keys,
                        &current.row,
                        &join.right_keys,
                        candidate,
                        &context.eval,
                    )?
                {
                    continue;
                }
                let left_width = current.row.len();
                // The last candidate takes the left row itself (no copy).
                let mut joined = if last {
                    std::mem::take(&mut current.row)
                } else {
                    let mut copy = Vec::with_capacity(left_width + candidate.len());
                    copy.extend_from_slice(&current.row);
                    copy
                };
                // Each candidate joins the left row once: its values move out, leaving
                // NULLs the next probe's decode overwrites in place.
                joined.extend(
                    candidate
                        .iter_mut()
                        .map(|value| std::mem::replace(value, Value::Null)),
                );
                let passes = match &self.join.condition {
                    Some(condition) => condition.matches(&joined, &context.eval)?,
                    None => true,
                };
                if passes {
                    current.matched = true;
                    if last {
                        self.current = None;
                    }
                    return Ok(Some(joined));
                }
                if last {
                    joined.truncate(left_width);
                    current.row = joined;
                }
            }
            let Current {
                row: mut left,
                matched,
                ..
            } = self.current.take().expect("set above");
            if self.join.kind == JoinKind::Left && !matched {
                left.resize(left.len() + self.join.right_width, Value::Null);
                return Ok(Some(left));
            }
            self.left.recycle(left);
        }
    }

    fn reserve_extra_width(&mut self, extra: usize) {
        self.left.reserve_extra_width(self.join.right_width + extra);
    }

    fn recycle(&mut self, row: Row) {
        // A joined row is a left row (or a copy of one) extended: its buffer fits the next.
        self.left.recycle(row);
    }
}
