//! The top-k sort (`Sort` with a `SortTop` bound): keeps only the first `limit + offset`
//! rows in sort order, in a bounded max-heap (O(n log k) time, O(k) memory), and returns
//! them in order. Ties keep input order (each row carries its input position, which breaks
//! ties), so the rows are exactly the first ones a stable full sort would give.
//!
//! Over a full scan of a large table with helper threads (`PRAGMA threads`), the heap is
//! built on several threads (`parallel::top_k`, the same rows in the same order).
//!
//! Over a full scan of a table, the heap phase decodes only the columns the sort keys and
//! the scan filter read and keeps row ids; the rows that end in the heap are then read
//! whole (as the scan would have decoded them) by id, from the same snapshot. Rows that
//! never enter the heap are never decoded beyond their keys; with no filter and a first key
//! that is a plain INTEGER or REAL column, rows that cannot beat the full heap's worst key
//! are rejected on their payload bytes (`top_k_bound`).
//!
//! A candidate row's key is read and compared as `top_k_key` says: keys that are plain
//! columns are compared in place against the heap's worst key, so a row that does not
//! enter the heap costs one comparison (no evaluation, no clone, no allocation).

use std::cmp::Ordering;
use std::collections::BinaryHeap;

use ember_storage::{RowId, Value};

use crate::error::Result;
use crate::plan::{AccessPath, Node, SortKey, SortTop, TableAccess};

use super::query::count_of;
use super::top_k_bound::RawBound;
use super::top_k_key::{compare_key_lists, compare_row_columns, compare_value, KeyReader};
use super::{ExecContext, Operator, Row};

/// Builds the top-k operator of a bounded sort over `input`.
pub fn build<'p>(input: &'p Node, keys: &'p [SortKey], top: &'p SortTop) -> Box<dyn Operator + 'p> {
    let source = match input {
        Node::Scan(access)
            if matches!(access.path, AccessPath::FullScan | AccessPath::KeyRange(_)) =>
        {
            Source::Scan(access)
        }
        other => Source::Rows(super::build(other)),
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
    /// Taken when the heap is built.
    source: Option<Source<'p>>,
    keys: &'p [SortKey],
    top: &'p SortTop,
    sorted: Option<std::vec::IntoIter<Row>>,
    /// The memory the kept rows hold, released when the operator goes.
    memory: Option<super::MemoryCharge>,
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
    /// How many rows to keep: LIMIT + OFFSET, evaluated as `LimitOperator` does (a negative
    /// LIMIT keeps every row).
    fn bound(&self, context: &ExecContext<'_>) -> Result<usize> {
        let Some(limit) = count_of(&self.top.limit, "LIMIT", context)? else {
            return Ok(usize::MAX);
        };
        let offset = match &self.top.offset {
            Some(offset) => count_of(offset, "OFFSET", context)?.unwrap_or(0),
            None => 0,
        };
        Ok(usize::try_from(limit.saturating_add(offset)).unwrap_or(usize::MAX))
    }

    fn select(&mut self, context: &ExecContext<'_>) -> Result<Vec<Row>> {
        let bound = self.bound(context)?;
        let memory = self.memory.insert(context.memory_charge("a top-k sort"));
        let mut heap = TopHeap::<Row>::new(self.keys, bound);
        match self.source.take() {
            None => Ok(Vec::new()),
            Some(Source::Rows(mut input)) => {
                if bound == 0 {
                    return Ok(Vec::new());
                }
                let mut seq = 0;
                while let Some(row) = input.next(context)? {
                    if heap.admit(&row, context)? {
                        heap.push(seq, row, context, memory)?;
                    }
                    seq += 1;
                }
                Ok(heap.into_sorted().collect())
            }
            Some(Source::Scan(access)) => {
                if bound == 0 {
                    return Ok(Vec::new());
                }
                if let Some(rows) =
                    super::parallel::top_k::select(access, self.keys, bound, context, memory)?
                {
                    return Ok(rows);
                }
                scan_into(access, heap, context, memory)
            }
        }
    }
}

/// Fills `heap` from a full scan of `access` and returns the kept rows in order. When the
/// keys and filter read fewer columns than the scan decodes, the heap holds row ids and the
/// kept rows are read whole afterwards.
fn scan_into(
    access: &TableAccess,
    mut heap: TopHeap<'_, Row>,
    context: &ExecContext<'_>,
    memory: &mut super::MemoryCharge,
) -> Result<Vec<Row>> {
    let Some(keys_mask) = keys_mask(access, heap.keys) else {
        let decoder = access.read.decoder();
        if let Some(bound) = raw_bound(access, heap.keys, decoder) {
            super::top_k_bound::scan_bounded(
                access,
                decoder,
                &bound,
                &mut heap,
                context,
                memory,
                |_, values| values.to_vec(),
            )?;
            return Ok(heap.into_sorted().collect());
        }
        let mut seq = 0;
        super::scan::scan_slots(access, access.read.decoder(), context, |_, values| {
            if heap.admit(values, context)? {
                heap.push(seq, values.to_vec(), context, memory)?;
            }
            seq += 1;
            Ok(())
        })?;
        return Ok(heap.into_sorted().collect());
    };
    let table = &access.table.storage;
    let decoder = table.schema().decoder(Some(&keys_mask));
    let mut ids: TopHeap<'_, RowId> = TopHeap::new(heap.keys, heap.bound);
    if let Some(bound) = raw_bound(access, heap.keys, &decoder) {
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
        super::scan::scan_slots(access, &decoder, context, |row_id, values| {
            if ids.admit(values, context)? {
                ids.push(row_id, row_id, context, memory)?;
            }
            Ok(())
        })?;
    }
    let mut rows = Vec::with_capacity(ids.len());
    for row_id in ids.into_sorted() {
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

/// A bounded max-heap of (sort key, input position, item): its top is the entry that
/// leaves first when a better one comes.
pub(super) struct TopHeap<'k, T> {
    keys: &'k [SortKey],
    /// How a candidate row's key is read (in place when the keys are plain columns).
    reader: KeyReader<'k>,
    bound: usize,
    heap: BinaryHeap<Entry<'k, T>>,
    /// The sort key of the row being offered (reused: a row that does not enter the heap
    /// allocates no key vector).
    scratch: Vec<Value>,
    /// Bytes the entries hold now, and the most they held (what was charged).
    held: u64,
    charged: u64,
}

/// An entry a heap kept, out of the heap (the parallel top-k merges workers' entries).
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
        super::row_bytes(self)
    }
}

impl HeldBytes for RowId {
    fn held_bytes(&self) -> u64 {
        0
    }
}

impl<'k, T: HeldBytes> TopHeap<'k, T> {
    pub(super) fn new(keys: &'k [SortKey], bound: usize) -> Self {
        TopHeap {
            keys,
            reader: KeyReader::of(keys),
            bound,
            heap: BinaryHeap::new(),
            scratch: Vec::with_capacity(keys.len()),
            held: 0,
            charged: 0,
        }
    }

    fn len(&self) -> usize {
        self.heap.len()
    }

    /// The first sort key of the worst entry, once the heap is full (a row must sort at or
    /// before it on that key to enter).
    pub(super) fn worst_first_key_when_full(&self) -> Option<&Value> {
        if self.heap.len() < self.bound {
            return None;
        }
        self.heap.peek().and_then(|worst| worst.key.first())
    }

    /// Whether `row` (coming after every row offered so far) enters the heap; if it does,
    /// its sort key is in the scratch key, for `push`. Keys that are plain columns are
    /// compared in place: the key is copied out only for a row that enters. (Inlined into
    /// the scan's loop: a row that stays out costs a comparison and no call.)
    #[inline(always)]
    pub(super) fn admit(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        let KeyReader::Columns(columns) = &self.reader else {
            return self.admit_computed(row, context);
        };
        if self.heap.len() >= self.bound {
            match self.heap.peek() {
                // Equal keys: the newcomer comes later in input order, so it stays out.
                Some(worst)
                    if compare_row_columns(self.keys, columns, row, &worst.key)
                        == Ordering::Less => {}
                _ => return Ok(false),
            }
        }
        self.copy_key_columns(row);
        Ok(true)
    }

    /// `admit` for keys that are evaluated: each key compiled, evaluated borrowed and
    /// compared with the worst kept key's as soon as it is known (`top_k_key`); the key is
    /// copied into the scratch key only for a row that enters.
    #[inline(never)]
    fn admit_computed(&mut self, row: &[Value], context: &ExecContext<'_>) -> Result<bool> {
        let KeyReader::Computed(computed) = &mut self.reader else {
            debug_assert!(false, "admit_computed over keys read in place");
            return Err(crate::err!(Internal, "top-k keys are not computed"));
        };
        computed.compile(self.keys, &context.eval);
        self.scratch.clear();
        // Until decided, the row's key so far equals the worst kept key's (a row of a
        // heap not yet full is admitted whatever its key).
        let worst = if self.heap.len() >= self.bound {
            match self.heap.peek() {
                Some(worst) => Some(&worst.key),
                None => return Ok(false),
            }
        } else {
            None
        };
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
    /// far) would enter the heap.
    fn admits(&self) -> bool {
        if self.heap.len() < self.bound {
            return true;
        }
        match self.heap.peek() {
            // Equal keys: the newcomer comes later in input order, so it stays out.
            Some(worst) => {
                compare_key_lists(self.keys, &self.scratch, &worst.key) == Ordering::Less
            }
            None => false,
        }
    }

    /// Puts in the row `admit` just admitted (its key in the scratch key), at input
    /// position `seq` (greater than every position offered before), with its `item`; the
    /// worst entry leaves when the heap is full.
    pub(super) fn push(
        &mut self,
        seq: u64,
        item: T,
        context: &ExecContext<'_>,
        memory: &mut super::MemoryCharge,
    ) -> Result<()> {
        debug_assert!(self.admits(), "push follows an admit that said yes");
        let bytes = super::row_bytes(&self.scratch) + item.held_bytes();
        if self.heap.len() < self.bound {
            context.check_rows(self.heap.len())?;
            let key = std::mem::replace(&mut self.scratch, Vec::with_capacity(self.keys.len()));
            self.heap.push(Entry {
                keys: self.keys,
                key,
                seq,
                item,
            });
            self.held += bytes;
        } else {
            let Some(mut worst) = self.heap.peek_mut() else {
                return Ok(());
            };
            let old = super::row_bytes(&worst.key) + worst.item.held_bytes();
            // The leaving entry's key vector becomes the next scratch key.
            std::mem::swap(&mut worst.key, &mut self.scratch);
            worst.seq = seq;
            worst.item = item;
            // Dropping `worst` sifts the updated entry down to its place.
            drop(worst);
            self.held = self.held - old.min(self.held) + bytes;
        }
        if self.held > self.charged {
            memory.add(self.held - self.charged)?;
            self.charged = self.held;
        }
        Ok(())
    }

    /// The kept entries as (sort key, input position, item), in no particular order.
    pub(super) fn into_kept(self) -> Vec<Kept<T>> {
        self.heap
            .into_vec()
            .into_iter()
            .map(|entry| Kept {
                key: entry.key,
                seq: entry.seq,
                item: entry.item,
            })
            .collect()
    }

    /// The kept items, best first (ties in input order).
    fn into_sorted(self) -> impl Iterator<Item = T> + 'k
    where
        T: 'k,
    {
        self.heap
            .into_sorted_vec()
            .into_iter()
            .map(|entry| entry.item)
    }
}
