//! The aggregate operator: reads its whole input, groups rows by the GROUP BY values (NULLs
//! form one group), feeds each group's accumulators, and emits one row per group in group
//! key order (as SQLite's sorter does): the group's first input row, then the aggregates
//! (a bare column reads the group's first row, as SQLite's does).
//! Without GROUP BY it emits exactly one row, with NULLs for the input row when empty.
//!
//! Over a full table scan the operator reads the scan's decoded rows in place (no row is
//! moved or copied): a group remembers its first row's slot, and the row is read again, once,
//! when the groups are emitted. A single small non-negative integer group key finds its group
//! by direct indexing instead of hashing, a single TEXT key through `TextGroups` (its bytes
//! hashed and compared in place), a key of several values through `KeyGroups` (the row's
//! values hashed and compared in place; a key is copied only for a new group). Column
//! arguments feed the accumulators by reference; arithmetic arguments and group terms run
//! compiled (`expr::Computed`).

pub(super) mod accumulator;
pub(super) mod aggregate_feed;
pub(super) mod aggregate_input;
pub(super) mod aggregate_order;
pub(super) mod column_aggregate;
pub(super) mod column_args;
pub(super) mod compensated_sum;
pub(crate) use column_aggregate::reads_in_column_batches;
pub(super) mod counted;
pub(super) mod distinct;
pub(super) mod distinct_walk;
pub(super) mod folded;
pub(super) mod group_key;
pub(super) mod group_walk;
pub(crate) mod parallel;
pub(super) mod parallel_grouped;
pub(super) mod sketch_state;
pub(super) mod sum_bound;

use std::collections::HashMap;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{Expr, KeyLookup, KeyRef, KeyValue};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{AggregateCall, AggregateStrategy, Node};

use super::hash::key_groups::{finish_key_hash, key_hash, mix_key_hash, same_key, KeyGroups};
use super::hash::text_groups::{bytes_hash, text_hash, TextGroups};
use super::{profile, ExecContext, Operator, Row};
use accumulator::Accumulator;
use aggregate_feed::{Feeder, GroupAccumulators};
pub(crate) use aggregate_input::streams_union;
use group_key::{direct_slot, exact_key, key_order, term_values, GroupTerm};
use group_key::{Group, GroupKey};

/// Group keys below this (a single integer key) are found by direct indexing.
const DIRECT_KEYS_MAX: i64 = 4096;
/// A `direct` slot with no group yet.
const NO_GROUP: u32 = u32::MAX;

/// Estimated bytes of one aggregate's accumulator in a group.
const GROUP_ACCUMULATOR_BYTES: usize = 64;
/// Estimated bytes of a group's own fields and its entries in the lookup structures.
const GROUP_OVERHEAD_BYTES: u64 = 256;

pub struct AggregateOperator<'p> {
    input: &'p Node,
    group_by: &'p [Expr],
    aggregates: &'p [AggregateCall],
    input_width: usize,
    strategy: AggregateStrategy,
    /// The node's `bare_reads`: the first-row columns read above (`None`: every one).
    bare_reads: Option<&'p [bool]>,
    output: Option<std::vec::IntoIter<Row>>,
    /// Whether a rewound run may reuse the last run's grouper, emptied (`Grouper::reset`):
    /// no GROUP BY term, argument or FILTER reads an enclosing query's row or a subquery
    /// (which compiling reads once, as constants) and no call keeps a sketch.
    reuses_grouper: bool,
    /// The last run's grouper, kept for the next run when `reuses_grouper` (boxed: a
    /// grouper is a few hundred bytes, moved in and out once a run).
    kept: Option<Box<Grouper<'p>>>,
}

/// The groups built so far (in the order their first rows came) and the lookup structures
/// that find a row's group.
pub(super) struct Grouper<'p> {
    pub(super) group_by: &'p [Expr],
    pub(super) aggregates: &'p [AggregateCall],
    /// Feeds a row to a group's accumulators.
    feeder: Feeder<'p>,
    /// No GROUP BY, no FILTER, and every argument COUNT(*) or one plain column: a row only
    /// feeds the one group's accumulators (`add_plain`).
    plain: bool,
    pub(super) input_width: usize,
    pub(super) groups: Vec<Group>,
    /// Every group's accumulators, in `groups` order.
    pub(super) accumulators: GroupAccumulators,
    /// Whether every key value fed so far is the very value its group keeps: a single
    /// term's an INTEGER, TEXT or NULL, several terms' `exact_key` (a REAL may equal a
    /// group's key of another type or form: 2.0 groups with 2).
    pub(super) exact_keys: bool,
    /// Each GROUP BY term, in `group_by` order.
    terms: Vec<GroupTerm<'p>>,
    /// When every term is a plain column (and there are several): their indexes, the key
    /// read straight from the row.
    key_columns: Box<[usize]>,
    /// A key of several terms (or none): its group, probed with the borrowed values.
    keys: KeyGroups,
    /// A single group key that is neither a small integer nor text: its group, probed with
    /// the borrowed key (a row of an existing group allocates nothing).
    single: HashMap<KeyValue, usize, FastBuildHasher>,
    /// A single TEXT group key: its group, by the key's bytes.
    texts: TextGroups,
    /// Single integer key `k` in `0..DIRECT_KEYS_MAX`: `direct[k]` is its group (or
    /// `NO_GROUP`); grown on demand.
    direct: Vec<u32>,
    /// Reused per row: the computed group terms' values (a row of an existing group
    /// allocates nothing for a key of plain columns).
    key_values: Vec<Value>,
    /// The memory the groups hold (charged to the account when there is a budget).
    memory: super::MemoryCharge,
    /// Output rows handed back (`AggregateOperator::recycle`), at most
    /// `GROUPER_SPARE_ROWS`: the next groups' first-row buffers.
    spare_rows: Vec<Row>,
    /// Set when the operators above read no column of a group's first row but key columns
    /// (`aggregate_input::read_first_rows`): for each GROUP BY term, the column its value
    /// fills, if read. `finish` then makes each first row NULLs and moves the group's key
    /// values into those columns (the key is not needed once the groups are ordered).
    keys_fill_rows: Option<Vec<Option<usize>>>,
}

/// Output rows a kept grouper holds for its next run's groups.
const GROUPER_SPARE_ROWS: usize = 4;

impl<'p> Grouper<'p> {
    /// No groups yet, for the aggregate `aggregates` over rows `input_width` wide grouped by
    /// `group_by`.
    pub(super) fn new(
        group_by: &'p [Expr],
        aggregates: &'p [AggregateCall],
        input_width: usize,
        context: &ExecContext<'_>,
    ) -> Grouper<'p> {
        Grouper {
            memory: context.memory_charge("GROUP BY groups"),
            group_by,
            aggregates,
            feeder: Feeder::new(aggregates, context),
            plain: group_by.is_empty() && Feeder::all_plain(aggregates),
            input_width,
            groups: Vec::new(),
            accumulators: GroupAccumulators::new(aggregates.len()),
            exact_keys: true,
            terms: group_by
                .iter()
                .map(|expr| GroupTerm::of(expr, &context.eval))
                .collect(),
            key_columns: match group_by {
                [_, _, ..] => group_by
                    .iter()
                    .map(|expr| match expr {
                        Expr::Column { index, .. } => Some(*index),
                        _ => None,
                    })
                    .collect::<Option<_>>()
                    .unwrap_or_default(),
                _ => Box::default(),
            },
            keys: KeyGroups::default(),
            single: HashMap::default(),
            texts: TextGroups::default(),
            direct: Vec::new(),
            key_values: Vec::with_capacity(group_by.len()),
            spare_rows: Vec::new(),
            keys_fill_rows: None,
        }
    }

    /// Appends a group of the key `key` with fresh accumulators.
    fn new_group(&mut self, key: GroupKey, first_row: Row, rows_max: usize) {
        self.groups.push(Group {
            key,
            first_row,
            first_row_id: 0,
        });
        self.feeder
            .push_accumulators(&mut self.accumulators, rows_max);
        debug_assert_eq!(self.accumulators.groups(), self.groups.len());
    }

    /// The accumulators of the group at `position`.
    #[inline(always)]
    pub(super) fn group_accumulators(&mut self, position: usize) -> &mut [Accumulator] {
        self.accumulators.group_mut(position)
    }

    /// `add` when the aggregate is `plain` and its one group exists (false, nothing done,
    /// otherwise): the row feeds the accumulators directly, no key and no expression.
    #[inline(always)]
    fn add_plain(&mut self, row: &[Value]) -> Result<bool> {
        if !self.plain {
            return Ok(false);
        }
        if self.groups.is_empty() {
            return Ok(false);
        }
        self.feeder
            .feed_plain(self.accumulators.group_mut(0), row)?;
        Ok(true)
    }

    /// Finds (or creates) the group of `row`, feeds its accumulators, and returns the
    /// group's position (the caller stores the row when it made the group: its first row).
    fn add(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        self.add_noting(row, context, |_, _| {})
    }

    /// `add`, also showing `note` each value fed to a one-argument aggregate (with the
    /// aggregate's position): a parallel worker measures its sums' inputs so.
    #[inline(always)]
    pub(super) fn add_noting(
        &mut self,
        row: &[Value],
        context: &ExecContext<'_>,
        note: impl FnMut(usize, &Value),
    ) -> Result<usize> {
        let position = self.find(row, context)?;
        self.feeder
            .feed(self.accumulators.group_mut(position), row, context, note)?;
        Ok(position)
    }

    /// The position of `row`'s group, created (with fresh accumulators) when new.
    #[inline(always)]
    pub(super) fn find(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        Ok(match self.terms.as_mut_slice() {
            // No GROUP BY: one group, made at the first row (no key to hash per row).
            [] if !self.groups.is_empty() => 0,
            [GroupTerm::Column(index)] => {
                let index = *index;
                self.find_single(&row[index], context)?
            }
            [GroupTerm::Computed(_)] => self.find_single_computed(row, context)?,
            _ if !self.key_columns.is_empty() => self.find_column_key(row, context)?,
            _ => self.find_row_key(row, context)?,
        })
    }

    /// The position of the group whose key is `key_values` (one value per GROUP BY term),
    /// created (with fresh accumulators) when there is none yet.
    pub(super) fn group_of_key(
        &mut self,
        key_values: &[Value],
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        debug_assert_eq!(key_values.len(), self.group_by.len());
        match key_values {
            [value] => self.find_single(value, context),
            values => self.find_key(values.iter(), context),
        }
    }

    /// The group of `row`'s single computed key, its value borrowed (text it makes is
    /// written into the term's buffer: a row of an existing group allocates nothing).
    #[inline(always)]
    fn find_single_computed(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        // Taken out of `self` while the key borrows it (and put back even on an error).
        let mut terms = std::mem::take(&mut self.terms);
        let found = match terms.as_mut_slice() {
            [GroupTerm::Computed(term)] => match term.eval_borrowed(row, &context.eval) {
                Ok(value) => self.find_single(&value, context),
                Err(error) => Err(error),
            },
            _ => Err(crate::err!(
                Internal,
                "a single computed group key was expected"
            )),
        };
        self.terms = terms;
        found
    }

    /// The group of the single key `value` (created when new). Only the small-integer and
    /// text probes are inlined into the per-row loop; other keys go to the hash map out of
    /// line.
    #[inline(always)]
    pub(super) fn find_single(
        &mut self,
        value: &Value,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        if let Value::Text(text) = value {
            return self.find_text(text, context);
        }
        if let Value::Integer(key) = value {
            // `direct` only holds slots below DIRECT_KEYS_MAX.
            if let Some(&position) = usize::try_from(*key)
                .ok()
                .and_then(|slot| self.direct.get(slot))
            {
                if position != NO_GROUP {
                    return Ok(position as usize);
                }
            }
        }
        self.find_single_hashed(value, context)
    }

    /// `find_single` of the TEXT key `text`, borrowed (a column batch's text).
    #[inline(always)]
    pub(super) fn find_text(&mut self, text: &str, context: &ExecContext<'_>) -> Result<usize> {
        let hash = text_hash(text);
        if let Some(position) = self.texts.get(text, hash) {
            return Ok(position);
        }
        self.new_text_group(text, hash, context)
    }

    /// `find_text` of a TEXT key given as its UTF-8 bytes (a column batch's span): probed
    /// as bytes; checked to be text only when it makes a new group.
    #[inline(always)]
    pub(super) fn find_text_bytes(
        &mut self,
        bytes: &[u8],
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        let hash = bytes_hash(bytes);
        if let Some(position) = self.texts.get_bytes(bytes, hash) {
            return Ok(position);
        }
        match std::str::from_utf8(bytes) {
            Ok(text) => self.new_text_group(text, hash, context),
            Err(_) => Err(crate::err!(Internal, "a TEXT group key that is not UTF-8")),
        }
    }

    /// `find_single` for a key that is not a small integer already seen: the hash map
    /// (borrowed-key probe), else a new group.
    #[inline(never)]
    fn find_single_hashed(&mut self, value: &Value, context: &ExecContext<'_>) -> Result<usize> {
        if !matches!(value, Value::Integer(_) | Value::Null) {
            self.exact_keys = false;
        }
        if let Some(slot) = direct_slot(value) {
            if let Some(&position) = self.direct.get(slot) {
                if position != NO_GROUP {
                    return Ok(position as usize);
                }
            }
        } else {
            if let Some(&position) = self.single.get(&KeyRef::of(value) as &dyn KeyLookup) {
                return Ok(position);
            }
        }
        self.find_single_slow(value, context)
    }

    /// A new group for the single TEXT key `text` (hashed to `hash`), which has none.
    #[inline(never)]
    fn new_text_group(
        &mut self,
        text: &str,
        hash: u64,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        let position = self.push_group(GroupKey::One(Value::Text(text.to_owned())), context)?;
        let group = u32::try_from(position).map_err(|_| crate::err!(Limit, "too many groups"))?;
        self.texts.insert(text, hash, group);
        Ok(position)
    }

    /// A new group for the single key `value` (not text: `new_text_group` makes those).
    #[inline(never)]
    fn find_single_slow(&mut self, value: &Value, context: &ExecContext<'_>) -> Result<usize> {
        debug_assert!(!matches!(value, Value::Text(_)));
        let key_values = GroupKey::One(value.clone());
        match direct_slot(value) {
            Some(slot) => self.new_direct_group(slot, key_values, context),
            None => {
                let position = self.push_group(key_values, context)?;
                self.single.insert(KeyValue::new(value), position);
                Ok(position)
            }
        }
    }

    /// The group of `row`'s key of several plain columns (`key_columns`), read in place:
    /// hashed and compared column by column against the group's own key (no iterator of
    /// the key's values is built and cloned per row); copied only for a new group.
    #[inline(never)]
    fn find_column_key(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        let columns = &self.key_columns;
        // Hashed and checked for exactness in one pass over the key's values.
        let mut hash = 0u64;
        let mut exact = true;
        for &index in columns.iter() {
            let value = &row[index];
            exact &= exact_key(value);
            hash = mix_key_hash(hash, KeyRef::of(value));
        }
        let hash = finish_key_hash(hash);
        self.exact_keys &= exact;
        let groups = &self.groups;
        let found = self.keys.get(hash, |position| match &groups[position].key {
            GroupKey::Many(key) => {
                key.len() == columns.len()
                    && columns
                        .iter()
                        .zip(key)
                        .all(|(&index, key)| same_key(&row[index], key))
            }
            GroupKey::One(_) => false,
        });
        match found {
            Some(position) => Ok(position),
            None => {
                let key = columns.iter().map(|&index| row[index].clone()).collect();
                self.new_key_group(GroupKey::Many(key), hash, context)
            }
        }
    }

    /// The group of `row`'s key of several terms (or none), created when new: the computed
    /// terms are evaluated into `key_values`, the columns read in place.
    #[inline(never)]
    fn find_row_key(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<usize> {
        // Taken out of `self` while the key borrows it (and put back even on an error).
        let mut computed = std::mem::take(&mut self.key_values);
        computed.clear();
        let mut found = Ok(0);
        for term in &mut self.terms {
            if let GroupTerm::Computed(term) = term {
                match term.eval(row, &context.eval) {
                    Ok(value) => computed.push(value),
                    Err(error) => {
                        found = Err(error);
                        break;
                    }
                }
            }
        }
        if found.is_ok() {
            let terms = std::mem::take(&mut self.terms);
            found = self.find_key(term_values(&terms, row, &computed), context);
            self.terms = terms;
        }
        self.key_values = computed;
        found
    }

    /// The group of the key `values` (one per GROUP BY term; several, or none), created
    /// (with its own copy of the values) when there is none yet.
    #[inline(always)]
    fn find_key<'v>(
        &mut self,
        values: impl Iterator<Item = &'v Value> + Clone,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        if self.exact_keys && !values.clone().all(exact_key) {
            self.exact_keys = false;
        }
        let hash = key_hash(values.clone());
        let groups = &self.groups;
        let found = self.keys.get(hash, |position| {
            values
                .clone()
                .zip(groups[position].key_values())
                .all(|(value, key)| same_key(value, key))
        });
        match found {
            Some(position) => Ok(position),
            None => self.new_key_group(GroupKey::Many(values.cloned().collect()), hash, context),
        }
    }

    /// A new group for the key `key_values` (hashed to `hash`), which has none.
    #[inline(never)]
    fn new_key_group(
        &mut self,
        key_values: GroupKey,
        hash: u64,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        let position = self.push_group(key_values, context)?;
        let group = u32::try_from(position)
            .ok()
            .filter(|&group| group != u32::MAX)
            .ok_or_else(|| crate::err!(Limit, "too many groups"))?;
        self.keys.insert(hash, group);
        Ok(position)
    }

    /// A new group for the single small-integer key `key_values`, at `direct[slot]`.
    fn new_direct_group(
        &mut self,
        slot: usize,
        key_values: GroupKey,
        context: &ExecContext<'_>,
    ) -> Result<usize> {
        let position = self.push_group(key_values, context)?;
        if self.direct.len() <= slot {
            self.direct.resize(slot + 1, NO_GROUP);
        }
        self.direct[slot] = u32::try_from(position)
            .ok()
            .filter(|&position| position != NO_GROUP)
            .ok_or_else(|| crate::err!(Limit, "too many groups"))?;
        Ok(position)
    }

    /// Appends a group for the key `key_values` (within the statement's row cap).
    fn push_group(&mut self, key: GroupKey, context: &ExecContext<'_>) -> Result<usize> {
        context.check_rows(self.groups.len())?;
        let key_values = match &key {
            GroupKey::One(value) => std::slice::from_ref(value),
            GroupKey::Many(values) => values.as_slice(),
        };
        // The key (in the group and again in a lookup structure), the group's first row (its
        // values and, not known yet, a small heap block each), its accumulators and
        // bookkeeping.
        let bytes = 2 * super::row_bytes(key_values)
            + (self.input_width * 2 * std::mem::size_of::<Value>()) as u64
            + (self.aggregates.len() * GROUP_ACCUMULATOR_BYTES) as u64
            + GROUP_OVERHEAD_BYTES;
        self.memory.add(bytes)?;
        // The buffer the group's first row is kept in, sized for the aggregates `finish`
        // appends: a join handing rows over swaps it for the row it gives (the join then
        // writes the next row into it with room to spare), a scan reads the row into it.
        let width = self.input_width + self.aggregates.len();
        let first_row = match self.spare_rows.pop() {
            Some(mut spare) => {
                debug_assert!(spare.is_empty(), "spare rows are kept empty");
                spare.reserve_exact(width);
                spare
            }
            None => Vec::with_capacity(width),
        };
        self.new_group(key, first_row, context.rows_max);
        Ok(self.groups.len() - 1)
    }

    /// No groups again, for another run over rows of the same statement execution (a
    /// rewound correlated subquery's): the compiled terms, arguments and filters are kept,
    /// the groups, their accumulators and lookup structures emptied (keeping their room),
    /// and the memory the groups held released.
    fn reset(&mut self, context: &ExecContext<'_>) {
        self.groups.clear();
        self.accumulators.clear();
        self.exact_keys = true;
        self.keys = KeyGroups::default();
        self.single.clear();
        self.texts = TextGroups::default();
        self.direct.clear();
        self.key_values.clear();
        self.keys_fill_rows = None;
        // The old charge, dropped, gives back what the last run's groups held.
        self.memory = context.memory_charge("GROUP BY groups");
    }

    /// The one group of `rows` rows fed to aggregates that are all COUNT(*)
    /// (`counted.rs`); none for no rows (`finish` makes the empty group).
    fn push_counted(&mut self, rows: u64, context: &ExecContext<'_>) {
        debug_assert!(self.groups.is_empty() && self.group_by.is_empty());
        if rows == 0 {
            return;
        }
        self.new_group(GroupKey::Many(Vec::new()), Vec::new(), context.rows_max);
        for accumulator in self.group_accumulators(0) {
            accumulator.add_rows(rows);
        }
    }

    /// Each group's row: its first input row (`input_width` values) and its aggregates'
    /// results, in group key order. The groups' first rows are taken: `reset` before the
    /// grouper is fed again.
    fn finish(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        if self.groups.is_empty() && self.group_by.is_empty() {
            self.new_group(GroupKey::Many(Vec::new()), Vec::new(), context.rows_max);
        }
        // One group (no GROUP BY) needs no order, nor a list of it.
        let sorted;
        let order: &[usize] = if self.groups.len() < 2 {
            &[0][..self.groups.len()]
        } else {
            sorted = key_order(&self.groups);
            &sorted
        };
        let input_width = self.input_width;
        let width = self.aggregates.len();
        let mut rows = Vec::with_capacity(order.len());
        for &at in order {
            let group = &mut self.groups[at];
            let mut row = std::mem::take(&mut group.first_row);
            if row.is_empty() {
                // A group always has a first row (or none had any input: all NULL), made
                // at its full width at once.
                row.reserve_exact(input_width + width);
                row.resize(input_width, Value::Null);
            }
            if let Some(columns) = &self.keys_fill_rows {
                let keys = match &mut group.key {
                    GroupKey::One(value) => std::slice::from_mut(value),
                    GroupKey::Many(values) => values.as_mut_slice(),
                };
                for (column, key) in columns.iter().zip(keys) {
                    if let Some(slot) = column.and_then(|column| row.get_mut(column)) {
                        *slot = std::mem::replace(key, Value::Null);
                    }
                }
            }
            debug_assert_eq!(row.len(), input_width);
            row.reserve_exact(width);
            for accumulator in self.accumulators.group(at) {
                row.push(accumulator.finish()?);
            }
            rows.push(row);
        }
        Ok(rows)
    }
}

impl<'p> AggregateOperator<'p> {
    pub fn new(
        input: &'p Node,
        group_by: &'p [Expr],
        aggregates: &'p [AggregateCall],
        input_width: usize,
        strategy: AggregateStrategy,
        bare_reads: Option<&'p [bool]>,
    ) -> Self {
        let compiles_constants = |expr: &Expr| expr.has_subquery() || expr.reads_outer_row();
        let reuses_grouper = !group_by
            .iter()
            .chain(
                aggregates
                    .iter()
                    .flat_map(|call| call.args.iter().chain(&call.filter)),
            )
            .any(compiles_constants)
            && !aggregates.iter().any(|call| call.function.is_sketch());
        AggregateOperator {
            input,
            group_by,
            aggregates,
            input_width,
            strategy,
            bare_reads,
            output: None,
            reuses_grouper,
            kept: None,
        }
    }

    fn compute(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let mut grouper = match self.kept.take() {
            Some(mut kept) => {
                kept.reset(context);
                kept
            }
            None => Box::new(Grouper::new(
                self.group_by,
                self.aggregates,
                self.input_width,
                context,
            )),
        };
        let rows = self.group_rows(&mut grouper, context)?;
        if self.reuses_grouper {
            self.kept = Some(grouper);
        }
        Ok(rows)
    }

    /// Feeds every input row to `grouper` by the operator's strategy, then takes its groups'
    /// rows.
    fn group_rows(&self, grouper: &mut Grouper<'p>, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let access = match self.input {
            Node::Scan(access) => Some(access),
            _ => None,
        };
        match (self.strategy, access) {
            (AggregateStrategy::TableCount { parallel }, Some(access)) => {
                match context.txn.count_rows(&access.table.storage) {
                    Some(rows) => {
                        profile::Tally::of(self.input).rows(rows);
                        grouper.push_counted(rows, context)
                    }
                    None => self.scan_groups(access, (parallel, false), grouper, context)?,
                }
            }
            (AggregateStrategy::RangeCount | AggregateStrategy::DistinctCount, Some(access)) => {
                let count = match self.strategy {
                    AggregateStrategy::RangeCount => counted::counted_range_rows,
                    _ => distinct_walk::counted_distinct_rows,
                };
                debug_assert!(!self.reads_first_row(), "the optimizer counts no bare row");
                let counted = count(access, self.group_by, self.aggregates, context)?;
                self.counted_or_scanned(counted, access, grouper, context)?
            }
            (AggregateStrategy::KeyCount, Some(access)) => {
                debug_assert!(!self.reads_first_row(), "the optimizer counts no bare row");
                let counted = counted::counted_key_rows(access, context)?;
                self.counted_or_scanned(counted, access, grouper, context)?
            }
            (AggregateStrategy::ScanHash { parallel }, Some(access)) => {
                self.scan_groups(access, (parallel, false), grouper, context)?
            }
            (AggregateStrategy::ColumnBatches { parallel }, Some(access)) => {
                self.scan_groups(access, (parallel, true), grouper, context)?
            }
            // Built only when its group walk cannot be (`exec::build`): the scan hashed.
            (AggregateStrategy::GroupWalk, Some(access)) => {
                self.scan_groups(access, (false, false), grouper, context)?
            }
            (AggregateStrategy::UnionStream, Some(access)) => {
                self.union_groups(access, grouper, context)?
            }
            _ => {
                // Pushed: a join below hands each joined row in a buffer it reuses; a new
                // group keeps its first row by swapping buffers (the join writes the next row
                // whole into the one it gets back).
                super::push::rows(self.input, context, &mut |row| {
                    let before = grouper.groups.len();
                    let position = if grouper.add_plain(row)? {
                        0
                    } else {
                        grouper.add(row, context)?
                    };
                    if position == before {
                        std::mem::swap(&mut grouper.groups[position].first_row, row);
                    }
                    Ok(())
                })?;
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

    fn rewind(&mut self) -> bool {
        // Each run computes its groups from its input anew (`compute`).
        self.output = None;
        true
    }

    fn recycle(&mut self, row: Row) {
        // A kept grouper makes its next groups' first rows in the rows handed back.
        if let Some(kept) = self.kept.as_mut() {
            if kept.spare_rows.len() < GROUPER_SPARE_ROWS {
                let mut row = row;
                row.clear();
                kept.spare_rows.push(row);
            }
        }
    }
}
