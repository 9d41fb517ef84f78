//! The top-k sort (`Sort` with a `SortTop` bound): keeps only the first `limit + offset`
//! rows in sort order (`TopRows`: a buffer cut back to the best k by a selection whenever
//! it fills, O(n + k log k) time, O(k) memory), and returns them in order. Ties keep input
//! order (each row carries its input position, which breaks ties), so the rows are
//! exactly the first ones a stable full sort would give. The first OFFSET of them are
//! skipped here (`SortTop`: the `Limit` above applies the LIMIT only): a selection finds
//! where the rest start, only those are sorted, and only those are read whole.
//!
//! Over a full scan of a large table with helper threads (`PRAGMA threads`), the kept rows
//! are chosen on several threads (`parallel_top_k`, the same rows in the same order).
//!
//! Over a full scan of a table, the choosing phase decodes only the columns the sort keys
//! and the scan filter read and keeps row ids; the rows kept are then read whole (as the
//! scan would have decoded them) by id, from the same snapshot. Rows that are never kept
//! are never decoded beyond their keys; with no filter and a first key that is a plain
//! INTEGER or REAL column, rows that cannot beat the threshold (the worst kept key once a
//! selection ran) are rejected on their payload bytes (`top_k_bound`).
//!
//! A candidate row's key is read and compared as `top_k_key` says: keys that are plain
//! columns are compared in place against the threshold key, so a row that is not kept
//! costs one comparison (no evaluation, no clone, no allocation).

use std::cmp::Ordering;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::plan::{AccessPath, Node, SortKey, SortTop, TableAccess};

use super::super::query::count_of;
use super::super::{ExecContext, Operator, Row};
use super::top_k_bound::RawBound;
use super::top_k_key::{compare_key_lists, compare_row_columns, compare_value, KeyReader};

/// Builds the top-k operator of a bounded sort over `input`.
pub fn build<'p>(input: &'p Node, keys: &'p [SortKey], top: &'p SortTop) -> Box<dyn Operator + 'p> {
    let source = match input {
        Node::Scan(access)
            if matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_)) =>
        {
            Source::Scan(access)
        }
        other => Source::Rows(super::super::build(other)),
    };
    Box::new(TopKOperator {
        source: Some(source),
        keys,
        top,
        sorted: None,
        memory: None,
    })
}

enum Source<'p> {
    Rows(Box<dyn Operator + 'p>),
    Scan(&'p TableAccess),
}

pub struct TopKOperator<'p> {
    /// Taken when the top is built.
    source: Option<Source<'p>>,
    keys: &'p [SortKey],
    top: &'p SortTop,
    sorted: Option<std::vec::IntoIter<Row>>,
    /// The memory the kept rows hold, released when the operator goes.
    memory: Option<super::super::MemoryCharge>,
}

impl Operator for TopKOperator<'_> {
    fn next(&mut self, context: &ExecContext<'_>) -> Result<Option<Row>> {
        if self.sorted.is_none() {
            let rows = self.select(context)?;
            if self.keys.iter().any(|key| key.collation.is_some()) {
                crate::expr::UserCollation::take_panic()?;
            }
            self.sorted = Some(rows.into_iter());
        }
        Ok(self.sorted.as_mut().and_then(Iterator::next))
    }
}

impl TopKOperator<'_> {
    /// How many rows to keep, LIMIT + OFFSET, and how many of them to skip, OFFSET
    /// (`SortTop`); evaluated as `LimitOperator` evaluates its counts (a negative LIMIT
    /// keeps every row).
    fn bound(&self, context: &ExecContext<'_>) -> Result<(usize, usize)> {
        let offset = match &self.top.offset {
            Some(offset) => count_of(offset, "OFFSET", context)?.unwrap_or(0),
            None => 0,
        };
        let unordered = usize::try_from(offset).unwrap_or(usize::MAX);
        let Some(limit) = count_of(&self.top.limit, "LIMIT", context)? else {
            return Ok((usize::MAX, unordered));
        };
        let bound = usize::try_from(limit.saturating_add(offset)).unwrap_or(usize::MAX);
        Ok((bound, unordered))
    }

    fn select(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let (bound, unordered) = self.bound(context)?;
        let memory = self.memory.insert(context.memory_charge("a top-k sort"));
        let mut top = TopRows::<Row>::new(self.keys, bound);
        match self.source.take() {
            None => Ok(Vec::new()),
            Some(Source::Rows(mut input)) => {
                if bound == 0 {
                    return Ok(Vec::new());
                }
                // The worst key kept, published to the join gate below (if the plan
                // has one) each time a selection moves it.
                let threshold = self
                    .top
                    .threshold
                    .and_then(|id| super::top_threshold::threshold_of(id, context));
                if let Some(threshold) = &threshold {
                    threshold.clear();
                }
                let mut published = 0;
                let mut seq = 0;
                while let Some(row) = input.next(context)? {
                    if top.admit(&row, context)? {
                        top.push(seq, row, context, memory)?;
                        if let Some(threshold) = &threshold {
                            if top.selections != published {
                                published = top.selections;
                                if let Some(worst) = top.threshold_key() {
                                    threshold.publish(worst);
                                }
                            }
                        }
                    } else {
                        // A row that cannot enter goes back to the input, whose next row
                        // may be written over it.
                        input.recycle(row);
                    }
                    seq += 1;
                }
                Ok(top.into_sorted(unordered).skip(unordered).collect())
            }
            Some(Source::Scan(access)) => {
                if bound == 0 {
                    return Ok(Vec::new());
                }
                let counts = (bound, unordered);
                if let Some(rows) =
                    super::parallel_top_k::select(access, self.keys, counts, context, memory)?
                {
                    return Ok(rows);
                }
                scan_into(access, top, unordered, context, memory)
            }
        }
    }
}

/// Fills `top` from a full scan of `access` and returns the kept rows in order, the first
/// `skipped` left out. When the keys and filter read fewer columns than the scan decodes,
/// the top holds row ids and the rows returned are read whole afterwards.
fn scan_into(
    access: &TableAccess,
    mut top: TopRows<'_, Row>,
    skipped: usize,
    context: &ExecContext<'_>,
    memory: &mut super::super::MemoryCharge,
) -> Result<Vec<Row>> {
    let Some(keys_mask) = keys_mask(access, top.keys) else {
        let decoder = access.read.decoder();
        if let Some(bound) = raw_bound(access, top.keys, decoder) {
            super::top_k_bound::scan_bounded(
                access,
                decoder,
                &bound,
                &mut top,
                context,
                memory,
                |_, values| values.to_vec(),
            )?;
            return Ok(top.into_sorted(skipped).skip(skipped).collect());
        }
        let mut seq = 0;
        super::super::scan::scan_slots(access, access.read.decoder(), context, |_, values| {
            if top.admit(values, context)? {
                top.push(seq, values.to_vec(), context, memory)?;
            }
            seq += 1;
            Ok(())
        })?;
        return Ok(top.into_sorted(skipped).skip(skipped).collect());
    };
    let table = &access.table.storage;
    let decoder = table.schema().decoder(Some(&keys_mask));
    let mut ids: TopRows<'_, RowId> = TopRows::new(top.keys, top.bound);
    if let Some(bound) = raw_bound(access, top.keys, &decoder) {
        super::top_k_bound::scan_bounded(
            access,
            &decoder,
            &bound,
            &mut ids,
            context,
            memory,
            |row_id, _| row_id,
        )?;
    } else {
        super::super::scan::scan_slots(access, &decoder, context, |row_id, values| {
            if ids.admit(values, context)? {
                ids.push(row_id, row_id, context, memory)?;
            }
            Ok(())
        })?;
    }
    let ids: Vec<RowId> = ids.into_sorted(skipped).skip(skipped).collect();
    let mut rows = Vec::with_capacity(ids.len());
    for row_id in ids {
        let mut row = Vec::with_capacity(access.table.columns.len());
        let found = context
            .txn
            .read_row_columns(table, row_id, access.read.columns(), &mut row)?;
        debug_assert!(found, "a row the scan saw is visible to the same snapshot");
        if found {
            memory.add_row(&row)?;
            rows.push(row);
        }
    }
    Ok(rows)
}

/// The raw bound of the scan of `access` decoded by `decoder`, when it has no filter (a
/// filter's rows are checked by its own stages) and the first key allows one.
pub(super) fn raw_bound(
    access: &TableAccess,
    keys: &[SortKey],
    decoder: &ember_storage::row::RowDecoder,
) -> Option<RawBound> {
    match access.filter {
        None => RawBound::of(keys, decoder),
        Some(_) => None,
    }
}

/// The columns the sort keys and the access filter read, when that is fewer than the
/// access decodes (`None`: decode as the access does).
pub(super) fn keys_mask(access: &TableAccess, keys: &[SortKey]) -> Option<Vec<bool>> {
    let width = access.table.columns.len();
    let mut mask = vec![false; width];
    let exprs = keys.iter().map(|key| &key.expr).chain(access.filter.iter());
    for expr in exprs {
        if expr.has_correlated_subquery() {
            return None;
        }
        for column in expr.columns_read() {
            *mask.get_mut(column)? = true;
        }
    }
    let decoded = access.read.columns();
    let fewer = (0..width).any(|column| !mask[column] && decoded.is_none_or(|read| read[column]));
    fewer.then_some(mask)
}

/// Most entries a `TopRows` holds past its bound before a selection: twice the bound for
/// bounds up to this, so each entry is moved O(1) times on average, and this many for
/// larger bounds, so the slack a selection works over stays bounded.
const SELECTION_SLACK_MAX: usize = 1 << 16;

/// The best `bound` entries offered so far, by (sort key, input position). Entries are
/// appended to a buffer of up to `bound` plus `slack`; when it fills, a selection
/// (`select_nth_unstable`) keeps the best `bound`, and the worst of those becomes the
/// threshold a later row must beat to enter. An entry is moved a constant number of times
/// on average (a binary heap sifts each admitted row through log k levels), and a row that
/// cannot enter costs one comparison with the threshold.
pub(super) struct TopRows<'k, T> {
    keys: &'k [SortKey],
    /// How a candidate row's key is read (in place when the keys are plain columns).
    reader: KeyReader<'k>,
    bound: usize,
    /// Entries held past `bound` before a selection runs.
    slack: usize,
    entries: Vec<Entry<'k, T>>,
    /// Once a selection ran: the position in `entries` of the worst kept entry, the
    /// threshold (every entry before it sorts at or before it; entries after it came later).
    threshold: Option<usize>,
    /// Selections run so far (each may move the threshold).
    selections: u64,
    /// The sort key of the row being offered (reused: a row that does not enter allocates
    /// no key vector).
    scratch: Vec<Value>,
    /// Key vectors of entries a selection dropped, emptied, for the next admitted keys.
    spare_keys: Vec<Vec<Value>>,
    /// Bytes the entries hold now, and the most they held (what was charged).
    held: u64,
    charged: u64,
}

/// An entry a `TopRows` kept, out of it (the parallel top-k merges workers' entries).
pub(super) struct Kept<T> {
    pub key: Vec<Value>,
    pub seq: u64,
    pub item: T,
}

struct Entry<'k, T> {
    keys: &'k [SortKey],
    key: Vec<Value>,
    seq: u64,
    item: T,
}

impl<T> Ord for Entry<'_, T> {
    fn cmp(&self, other: &Self) -> Ordering {
        compare_key_lists(self.keys, &self.key, &other.key).then(self.seq.cmp(&other.seq))
    }
}

impl<T> PartialOrd for Entry<'_, T> {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl<T> PartialEq for Entry<'_, T> {
    fn eq(&self, other: &Self) -> bool {
        self.cmp(other) == Ordering::Equal
    }
}

impl<T> Eq for Entry<'_, T> {}

/// What an entry's item holds in memory beyond the entry itself.
pub(super) trait HeldBytes {
    fn held_bytes(&self) -> u64;
}

impl HeldBytes for Row {
    fn held_bytes(&self) -> u64 {
        super::super::row_bytes(self)
    }
}

impl HeldBytes for RowId {
    fn held_bytes(&self) -> u64 {
        0
    }
}

impl<'k, T: HeldBytes> TopRows<'k, T> {
    pub(super) fn new(keys: &'k [SortKey], bound: usize) -> Self {
        TopRows {
            keys,
            reader: KeyReader::of(keys),
            bound,
            slack: bound.clamp(1, SELECTION_SLACK_MAX),
            entries: Vec::new(),
            threshold: None,
            selections: 0,
            scratch: Vec::with_capacity(keys.len()),
            spare_keys: Vec::new(),
            held: 0,
            charged: 0,
        }
    }

    /// The worst kept entry's key, which a row must sort before to enter: `None` while
    /// every row enters (no selection yet).
    #[inline(always)]
    fn threshold_key(&self) -> Option<&[Value]> {
        self.threshold.map(|at| self.entries[at].key.as_slice())
    }

    /// The first sort key of the threshold entry, once there is one (a row must sort at or
    /// before it on that key to enter).
    pub(super) fn worst_first_key_when_full(&self) -> Option<&Value> {
        self.threshold_key().and_then(<[Value]>::first)
    }

    /// Whether `row` (coming after every row offered so far) enters; if it does, its sort
    /// key is in the scratch key, for `push`. Keys that are plain columns are compared in
    /// place: the key is copied out only for a row that enters. (Inlined into the scan's
    /// loop: a row that stays out costs a comparison and no call.)
    #[inline(always)]
    pub(super) fn admit(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        let KeyReader::Columns(columns) = &self.reader else {
            return self.admit_computed(row, context);
        };
        if self.bound == 0 {
            return Ok(false);
        }
        if let Some(worst) = self.threshold_key() {
            // Equal keys: the newcomer comes later in input order, so it stays out.
            if compare_row_columns(self.keys, columns, row, worst) != Ordering::Less {
                return Ok(false);
            }
        }
        self.copy_key_columns(row);
        Ok(true)
    }

    /// `admit` for keys that are evaluated: each key compiled, evaluated borrowed and
    /// compared with the threshold key's as soon as it is known (`top_k_key`); the key is
    /// copied into the scratch key only for a row that enters.
    #[inline(never)]
    fn admit_computed(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        if self.bound == 0 {
            return Ok(false);
        }
        let KeyReader::Computed(computed) = &mut self.reader else {
            debug_assert!(false, "admit_computed over keys read in place");
            return Err(crate::err!(Internal, "top-k keys are not computed"));
        };
        computed.compile(self.keys, &context.eval);
        self.scratch.clear();
        // Until decided, the row's key so far equals the threshold's (a row offered before
        // the first selection is admitted whatever its key).
        let worst = self.threshold.map(|at| &self.entries[at].key);
        let mut admitted = worst.is_none();
        for (at, (key, expr)) in self.keys.iter().zip(&mut computed.keys).enumerate() {
            let value = expr.eval_borrowed(row, &context.eval)?;
            if !admitted {
                let Some(kept) = worst.and_then(|worst| worst.get(at)) else {
                    return Ok(false);
                };
                match compare_value(key, &value, kept) {
                    Ordering::Less => admitted = true,
                    Ordering::Greater if computed.infallible_after[at] => return Ok(false),
                    Ordering::Greater => {
                        // Rejected, but the later keys are evaluated for their errors.
                        drop(value);
                        for later in computed.keys.iter_mut().skip(at + 1) {
                            later.eval_borrowed(row, &context.eval)?;
                        }
                        return Ok(false);
                    }
                    Ordering::Equal => {}
                }
            }
            self.scratch.push(value.into_owned());
        }
        // Equal keys: the newcomer comes later in input order, so it stays out.
        Ok(admitted)
    }

    /// Copies the key columns of an admitted `row` into the scratch key.
    #[inline(never)]
    fn copy_key_columns(&mut self, row: &[Value]) {
        let KeyReader::Columns(columns) = &self.reader else {
            debug_assert!(false, "only keys read in place are copied");
            return;
        };
        self.scratch.clear();
        self.scratch
            .extend(columns.iter().map(|&column| row[column].clone()));
    }

    /// Whether the row whose key is in the scratch key (coming after every row offered so
    /// far) would enter.
    fn admits(&self) -> bool {
        match self.threshold_key() {
            // Equal keys: the newcomer comes later in input order, so it stays out.
            Some(worst) => compare_key_lists(self.keys, &self.scratch, worst) == Ordering::Less,
            None => self.bound > 0,
        }
    }

    /// Puts in the row `admit` just admitted (its key in the scratch key), at input
    /// position `seq` (greater than every position offered before), with its `item`; a
    /// selection runs when the buffer is full.
    pub(super) fn push(
        &mut self,
        seq: u64,
        item: T,
        context: &ExecContext<'_>,
        memory: &mut super::super::MemoryCharge,
    ) -> Result<()> {
        debug_assert!(self.admits(), "push follows an admit that said yes");
        if self.entries.len() < self.bound {
            // The rows kept count against the statement's row cap (the slack above the
            // bound is dropped at the next selection).
            context.check_rows(self.entries.len())?;
        }
        let bytes = super::super::row_bytes(&self.scratch) + item.held_bytes();
        let next_key = self
            .spare_keys
            .pop()
            .unwrap_or_else(|| Vec::with_capacity(self.keys.len()));
        let key = std::mem::replace(&mut self.scratch, next_key);
        self.entries.push(Entry {
            keys: self.keys,
            key,
            seq,
            item,
        });
        self.held += bytes;
        if self.held > self.charged {
            memory.add(self.held - self.charged)?;
            self.charged = self.held;
        }
        if self.entries.len() >= self.bound.saturating_add(self.slack) {
            self.select();
        }
        Ok(())
    }

    /// Keeps the best `bound` entries (the others dropped, their key vectors kept for
    /// reuse) and makes the worst of them the threshold.
    fn select(&mut self) {
        if self.entries.len() <= self.bound || self.bound == 0 {
            return;
        }
        let last = self.bound - 1;
        self.entries.select_nth_unstable(last);
        for dropped in self.entries.drain(self.bound..) {
            let bytes = super::super::row_bytes(&dropped.key) + dropped.item.held_bytes();
            self.held -= bytes.min(self.held);
            let mut key = dropped.key;
            key.clear();
            self.spare_keys.push(key);
        }
        self.spare_keys.truncate(self.slack);
        self.threshold = Some(last);
        self.selections += 1;
        debug_assert!(self.entries[..last]
            .iter()
            .all(|entry| entry <= &self.entries[last]));
    }

    /// The kept entries as (sort key, input position, item), in no particular order.
    pub(super) fn into_kept(mut self) -> Vec<Kept<T>> {
        self.select();
        self.entries
            .into_iter()
            .map(|entry| Kept {
                key: entry.key,
                seq: entry.seq,
                item: entry.item,
            })
            .collect()
    }

    /// The kept items, best first (ties in input order), except that the first
    /// `unordered` of them come in no particular order (they are the right items, only not
    /// sorted among themselves: rows an OFFSET skips).
    fn into_sorted(mut self, unordered: usize) -> impl Iterator<Item = T> + 'k
    where
        T: 'k,
    {
        self.select();
        // Input positions are distinct, so the order is total and unstable sorts exact.
        let first_sorted = unordered.min(self.entries.len());
        if first_sorted > 0 && first_sorted < self.entries.len() {
            self.entries.select_nth_unstable(first_sorted);
        }
        self.entries[first_sorted..].sort_unstable();
        self.entries.into_iter().map(|entry| entry.item)
    }
}
