//! An index nested-loop join's probe of its right table: given a left row, finds the right
//! rows it may join (its probe values, converted to the key columns' types as the lookup
//! access paths convert constants, looked up in the right table's primary key or a
//! secondary index; each row found must pass the right access's filter). The key
//! equalities and the join condition are the caller's to check (`keys_exact` says when the
//! key equality needs no recheck). Shared by the pulled operator (`index_join.rs`) and the
//! pushed loop (`push.rs`); the right table is never read whole, unless the probed index
//! was dropped after the plan was made: then its rows are read once and every one is a
//! candidate.

use std::sync::Arc;

use ember_storage::index::{IndexKey, SecondaryIndex};
use ember_storage::mvcc::SettledProbes;
use ember_storage::row::RowDecoder;
use ember_storage::{DataType, Value};

use crate::error::Result;
use crate::expr::{coerce_to_column, fits_column, passes, Expr, RowTest};
use crate::plan::{Join, JoinProbe, Node, TableAccess};

use super::super::{build, ExecContext, Row};

/// What the probe reads.
enum Target {
    PrimaryKey,
    /// The index, and the decoder of its rows when the plan's does not read every index
    /// column (a row found under a key is checked against its own key): the plan's columns
    /// and the index's. The plan's decoder otherwise, so only the columns the plan reads
    /// are decoded and copied into candidates.
    Index(Arc<SecondaryIndex>, Option<RowDecoder>),
    /// The index is gone: every row of the table (filtered), read once.
    AllRows(Vec<Row>),
}

pub(super) struct JoinProber<'p> {
    join: &'p Join,
    probe: &'p JoinProbe,
    access: &'p TableAccess,
    target: Option<Target>,
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
    /// The probe is one value into a secondary index on one INTEGER (or untyped) column: an
    /// integer probe value is its index key as it is (no conversion; see
    /// `integer_index_probe`).
    integer_index: bool,
    /// Moreover the join's one key equality is that probe value equal to the column: a row
    /// found under an integer probe value satisfies it (see `integer_index_exact`).
    integer_index_exact: bool,
    /// Whether the current left row's candidates were found by an integer key as above.
    exact: bool,
    /// Whether a row found under an integer probe value joins the left row by its key alone
    /// (see `key_alone_joins`): an existence question is then the index's to answer.
    key_alone_joins: bool,
    /// The settled-index token across this join's probes (`settled_any`).
    settled: SettledProbes,
    /// The right access's filter, compiled at its first row.
    filter: Option<RowTest<'p>>,
}

impl<'p> JoinProber<'p> {
    pub fn new(join: &'p Join, probe: &'p JoinProbe) -> Self {
        let Node::Scan(access) = &join.right else {
            unreachable!("the planner probes only base-table scans")
        };
        JoinProber {
            join,
            probe,
            access,
            target: None,
            candidates: Vec::new(),
            candidate_count: 0,
            buffer: Vec::new(),
            probe_values: Vec::new(),
            integer_key: integer_key_join(join, probe, access),
            integer_index: integer_index_probe(probe, access),
            integer_index_exact: integer_index_exact(join, probe, access),
            exact: false,
            key_alone_joins: key_alone_joins(join, probe, access),
            settled: SettledProbes::default(),
            filter: access.filter.as_ref().map(RowTest::new),
        }
    }

    /// The candidates the last `find_candidates` found.
    pub fn candidates(&mut self) -> &mut [Row] {
        &mut self.candidates[..self.candidate_count]
    }

    /// The first candidate buffer, found or not: between probes, a place to hand back
    /// text and blob values whose memory the next probe's decode writes over (every
    /// probe writes each value of a candidate it finds).
    pub fn spare_candidate(&mut self) -> Option<&mut Row> {
        self.candidates.first_mut()
    }

    /// The right table's columns the plan reads (`push::columns_read`).
    pub fn columns_read(&self) -> Vec<usize> {
        super::super::push::access_columns_read(self.access)
    }

    /// Whether every candidate the last `find_candidates` found satisfies the key
    /// equalities (no recheck needed).
    pub fn keys_exact(&self) -> bool {
        self.exact
    }

    fn resolve_target(&self, context: &ExecContext<'_>) -> Result<Target> {
        let Some(index) = &self.probe.index else {
            return Ok(Target::PrimaryKey);
        };
        if let Some(storage) = self.access.table.storage.attached_index(&index.storage) {
            let plan_decoder = self.access.read.decoder();
            let decoder = (!storage
                .source_columns()
                .iter()
                .all(|&c| plan_decoder.decodes(c)))
            .then(|| {
                super::super::scan::with_index_columns(
                    &self.access.table.storage,
                    self.access.read.columns(),
                    storage.source_columns(),
                )
            });
            return Ok(Target::Index(Arc::clone(storage), decoder));
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
            // Value by value over what the spare holds: its texts' memory is reused.
            Some(spare) if spare.len() == values.len() => spare.clone_from_slice(values),
            Some(spare) => {
                spare.clear();
                spare.extend_from_slice(values);
            }
            None => candidates.push(values.to_vec()),
        }
        *count += 1;
    }

    /// The key `left` probes with and whether a row found under it satisfies the key
    /// equality without a recheck; `None` when no stored row can match.
    #[inline(always)]
    fn left_key(
        &mut self,
        left: &[Value],
        context: &ExecContext<'_>,
    ) -> Result<Option<(IndexKey, bool)>> {
        if self.integer_key || self.integer_index {
            let integer = match self.probe.values.as_slice() {
                [Expr::Column { index, .. }] => match left.get(*index) {
                    Some(Value::Integer(int)) => Some(*int),
                    _ => None,
                },
                [probe] => match probe.eval(left, &context.eval)? {
                    Value::Integer(int) => Some(int),
                    _ => None,
                },
                _ => None,
            };
            // An integer needs no conversion to the INTEGER (or untyped) key column; a
            // primary key finds it exactly.
            if let Some(int) = integer {
                let exact = self.integer_key || self.integer_index_exact;
                return Ok(Some((IndexKey::Int(int), exact)));
            }
        }
        if let Some(key) = self.key_in_place(left) {
            return Ok(key.map(|key| (key, false)));
        }
        Ok(self.probe_key(left, context)?.map(|key| (key, false)))
    }

    /// `probe_key` without copying a value, when every probe value is a left column whose
    /// value the key column holds as it is (`fits_column`: the conversion would return it
    /// unchanged, a text say, whose copy would cost an allocation per probe): the key made
    /// from the left row's values in place. `None` when some value is not so (the caller
    /// converts them); `Some(None)` when a value is NULL (no stored row can match).
    #[inline]
    fn key_in_place(&self, left: &[Value]) -> Option<Option<IndexKey>> {
        let columns = self.key_columns();
        let table = &self.access.table;
        for (&column, probe) in columns.iter().zip(&self.probe.values) {
            let Expr::Column { index, .. } = probe else {
                return None;
            };
            match left.get(*index)? {
                Value::Null => return Some(None),
                value if fits_column(value, &table.columns[column]) => {}
                _ => return None,
            }
        }
        let values = self.probe.values.iter().filter_map(|probe| match probe {
            Expr::Column { index, .. } => left.get(*index),
            _ => None,
        });
        Some(match &self.probe.index {
            Some(index) => index.storage.key_from_values(values),
            None => table.storage.key_from_values(values),
        })
    }

    /// Whether some right row joins `left` by the key equality alone, answered by a settled
    /// index from its entries (no row read): `None` when it cannot be (the join has more
    /// to check than the key, the probe value is not an integer, or the index is not
    /// settled for this transaction); the caller then asks `any_match`. The caller checks
    /// that the join has no condition beyond its key equalities.
    pub fn settled_any(
        &mut self,
        left: &[Value],
        context: &ExecContext<'_>,
    ) -> Result<Option<bool>> {
        self.settled_answer(left, context, |txn, table, index, key, settled| {
            txn.settled_index_holds(table, index, key, settled)
        })
    }

    /// How many right rows join `left` by the key equality alone, counted by a settled
    /// index from its entries (no row read): `None` when they cannot be, as for
    /// `settled_any`; the caller then asks `find_candidates`. The caller checks that no
    /// condition beyond the key equalities reads the right row.
    pub fn settled_rows(
        &mut self,
        left: &[Value],
        context: &ExecContext<'_>,
    ) -> Result<Option<usize>> {
        self.settled_answer(left, context, |txn, table, index, key, settled| {
            txn.settled_index_rows(table, index, key, settled)
        })
    }

    /// Whether rows joining by the key alone may be counted (`settled_rows`) rather than
    /// read: the probe is `key_alone_joins`'s.
    pub fn may_count_rows(&self) -> bool {
        self.key_alone_joins
    }

    /// `ask`'s answer for `left`'s integer probe key from the settled index, when the join
    /// is `key_alone_joins`'s; `Some(Default)` (nothing joins) for a NULL probe value.
    fn settled_answer<T: Default>(
        &mut self,
        left: &[Value],
        context: &ExecContext<'_>,
        ask: impl FnOnce(
            &ember_storage::Transaction,
            &ember_storage::Table,
            &SecondaryIndex,
            &IndexKey,
            &mut SettledProbes,
        ) -> Option<T>,
    ) -> Result<Option<T>> {
        if !self.key_alone_joins || self.settled.refused() {
            return Ok(None);
        }
        if self.target.is_none() {
            self.target = Some(self.resolve_target(context)?);
        }
        let Some(Target::Index(index, _)) = &self.target else {
            return Ok(None);
        };
        let integer = match self.probe.values.as_slice() {
            [Expr::Column { index, .. }] => match left.get(*index) {
                Some(Value::Integer(int)) => *int,
                // A NULL probe value joins nothing.
                Some(Value::Null) => return Ok(Some(T::default())),
                _ => return Ok(None),
            },
            _ => return Ok(None),
        };
        let storage = &self.access.table.storage;
        Ok(ask(
            context.txn,
            storage,
            index,
            &IndexKey::Int(integer),
            &mut self.settled,
        ))
    }

    /// Whether some right row `left` may join (under its key, passing the access filter)
    /// is one `accept` takes: stops at the first it takes, collecting no candidate (the
    /// probe of an anti join, whose first match decides). `accept` gets the row (the
    /// columns the plan reads, and the index's) and whether the key equality holds
    /// without a recheck (`keys_exact`).
    pub fn any_match(
        &mut self,
        left: &[Value],
        context: &ExecContext<'_>,
        mut accept: impl FnMut(&[Value], bool) -> Result<bool>,
    ) -> Result<bool> {
        if self.target.is_none() {
            self.target = Some(self.resolve_target(context)?);
        }
        self.candidate_count = 0;
        self.exact = false;
        if let Some(Target::AllRows(rows)) = &self.target {
            for row in rows {
                if accept(row, false)? {
                    return Ok(true);
                }
            }
            return Ok(false);
        }
        let Some((key, exact)) = self.left_key(left, context)? else {
            return Ok(false);
        };
        let access = self.access;
        let storage = &access.table.storage;
        match self.target.as_ref().expect("resolved above") {
            Target::PrimaryKey => {
                let row = &mut self.buffer;
                let found =
                    context
                        .txn
                        .read_key_decoded(storage, &key, access.read.decoder(), row)?;
                Ok(found.is_some()
                    && passes(&mut self.filter, row, &context.eval)?
                    && accept(row, exact)?)
            }
            Target::Index(index, decoder) => {
                let decoder = decoder.as_ref().unwrap_or(access.read.decoder());
                let mut outcome = Ok(false);
                let filter = &mut self.filter;
                context.txn.index_lookup_decoded(
                    storage,
                    index,
                    &key,
                    decoder,
                    &mut self.buffer,
                    |_, values| {
                        outcome = passes(filter, values, &context.eval)
                            .and_then(|keep| Ok(keep && accept(values, exact)?));
                        // Go on while nothing was taken and nothing failed.
                        matches!(outcome, Ok(false))
                    },
                )?;
                outcome
            }
            // Answered before the key was made: an error, not a panic, if it came here.
            Target::AllRows(_) => {
                debug_assert!(false, "an all-rows target reached the key probe");
                Err(crate::err!(
                    Internal,
                    "an all-rows join target reached the key probe"
                ))
            }
        }
    }

    /// Fills the candidates with the right rows `left` may join: those under its key that
    /// pass the access filter. A candidate's values may be moved out by the caller (each
    /// joins `left` at most once); the next call overwrites every candidate.
    pub fn find_candidates(&mut self, left: &[Value], context: &ExecContext<'_>) -> Result<()> {
        if self.target.is_none() {
            self.target = Some(self.resolve_target(context)?);
        }
        self.candidate_count = 0;
        self.exact = false;
        if let Some(Target::AllRows(rows)) = &self.target {
            self.candidates.clear();
            self.candidates.extend(rows.iter().cloned());
            self.candidate_count = self.candidates.len();
            return Ok(());
        }
        let Some((key, exact)) = self.left_key(left, context)? else {
            return Ok(());
        };
        self.exact = exact;
        let access = self.access;
        let storage = &access.table.storage;
        match self.target.as_ref().expect("resolved above") {
            Target::PrimaryKey => {
                if self.candidates.is_empty() {
                    self.candidates.push(Vec::new());
                }
                let slot = &mut self.candidates[0];
                let found =
                    context
                        .txn
                        .read_key_decoded(storage, &key, access.read.decoder(), slot)?;
                if found.is_some() && passes(&mut self.filter, slot, &context.eval)? {
                    self.candidate_count = 1;
                }
            }
            Target::Index(index, decoder) => {
                let mut failure = None;
                let candidates = &mut self.candidates;
                let count = &mut self.candidate_count;
                let filter = &mut self.filter;
                let decoder = decoder.as_ref().unwrap_or(access.read.decoder());
                context.txn.index_lookup_decoded(
                    storage,
                    index,
                    &key,
                    decoder,
                    &mut self.buffer,
                    |_, values| {
                        match passes(filter, values, &context.eval).and_then(|keep| {
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
                    },
                )?;
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

/// Whether the probe is one value into a secondary index on one column of type INTEGER or
/// none: an integer probe value is then stored in that column as it is (`coerce_to_column`
/// keeps it; NUMERIC affinity too) and keyed as `IndexKey::Int` under any collation (the
/// key collations fold only text), so it is the key `probe_key` would make.
fn integer_index_probe(probe: &JoinProbe, access: &TableAccess) -> bool {
    let (Some(index), [_]) = (&probe.index, probe.values.as_slice()) else {
        return false;
    };
    let [column] = index.columns.as_slice() else {
        return false;
    };
    matches!(
        access.table.columns[*column].data_type,
        DataType::Integer | DataType::Any
    )
}

/// Whether a right row found under an integer probe value `v` (`integer_index_probe`)
/// satisfies the join's key equality without a recheck: its only key equality is the probe
/// value equal to the index column. A visible row keyed `Int(v)` (the lookup checks each
/// row's own key) holds `v`, an integral real equal to it, or a boolean of that value: each
/// SQL-equal to `v`.
fn integer_index_exact(join: &Join, probe: &JoinProbe, access: &TableAccess) -> bool {
    let (Some(index), [left_key], [right_key], [probe_value]) = (
        &probe.index,
        join.left_keys.as_slice(),
        join.right_keys.as_slice(),
        probe.values.as_slice(),
    ) else {
        return false;
    };
    let [column] = index.columns.as_slice() else {
        return false;
    };
    integer_index_probe(probe, access)
        && left_key == probe_value
        && matches!(right_key, Expr::Column { index, .. } if index == column)
}

/// Whether a right row found under an integer probe value `v` of a settled index joins the
/// left row by that alone: `integer_index_exact`, the probe value a left column, and no
/// filter on the right access. The index's entries then answer for its rows.
fn key_alone_joins(join: &Join, probe: &JoinProbe, access: &TableAccess) -> bool {
    integer_index_exact(join, probe, access)
        && access.filter.is_none()
        && matches!(probe.values.as_slice(), [Expr::Column { .. }])
}
