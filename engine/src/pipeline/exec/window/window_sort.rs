//! Ordering one window pass's rows. Each row's PARTITION BY values are hashed to find its
//! partition (rows of different partitions are never compared), only the distinct
//! partition values are sorted, a counting sort groups the rows partition by partition, and
//! each partition is sorted alone by its ORDER BY values, which are first moved next to
//! each other so the sort reads them in place. The values of bare columns are borrowed
//! from the rows, not copied. The result is the order one stable sort by (PARTITION BY
//! values, NULLs first; ORDER BY terms) gives, as SQLite orders a window's rows.

use std::borrow::Cow;
use std::cmp::Ordering;
use std::collections::HashMap;
use std::hash::{Hash, Hasher};
use std::ops::Range;

use ember_storage::Value;

use crate::error::Result;
use crate::expr::{compare_for_sort, Expr, KeyRef};
use crate::fast_hash::FastBuildHasher;
use crate::plan::{SortKey, WindowPass};

use super::super::query::compare_keys;
use super::super::{ExecContext, MemoryCharge, Row};

/// Rows between two interrupt checks.
const INTERRUPT_EVERY: usize = 1024;

/// A pass's rows in window order.
pub(super) struct PassOrder<'r> {
    /// Row indexes: partition after partition, each in its ORDER BY order.
    pub order: Vec<usize>,
    /// Each partition's positions in `order`, in partition order.
    pub partitions: Vec<Range<usize>>,
    /// The ORDER BY values of the row at each position of `order`, `width` per row.
    order_keys: Vec<Cow<'r, Value>>,
    width: usize,
}

impl<'r> PassOrder<'r> {
    /// The ORDER BY values of the row at `position` of `order`.
    pub fn order_values(&self, position: usize) -> &[Cow<'r, Value>] {
        &self.order_keys[position * self.width..(position + 1) * self.width]
    }

    /// Whether the rows at `position - 1` and `position` of `order` are peers (their
    /// ORDER BY values all equal).
    pub fn peer_of_previous(&self, keys: &[SortKey], position: usize) -> bool {
        debug_assert!(position > 0);
        let (previous, this) = (self.order_values(position - 1), self.order_values(position));
        keys.iter()
            .zip(previous)
            .zip(this)
            .all(|((key, left), right)| match plain_equal(key, left, right) {
                Some(equal) => equal,
                None => compare_keys(
                    std::slice::from_ref(key),
                    std::slice::from_ref(left),
                    std::slice::from_ref(right),
                )
                .is_eq(),
            })
    }
}

/// Whether two ORDER BY values of `key` are equal, when both are plain values of one kind
/// that compare without the general path (what `compare_keys` says for them); `None` for
/// any other pair.
#[inline]
fn plain_equal(key: &SortKey, left: &Value, right: &Value) -> Option<bool> {
    match (left, right) {
        (Value::Integer(left), Value::Integer(right)) => Some(left == right),
        (Value::Real(left), Value::Real(right)) if !left.is_nan() && !right.is_nan() => {
            Some(left == right)
        }
        (Value::Text(left), Value::Text(right)) if key.collation.is_none() => Some(left == right),
        _ => None,
    }
}

/// Sorts `incoming` (every index of `rows` once, in the order the previous pass left them)
/// into `pass`'s window order, stably.
pub(super) fn sort_pass<'r>(
    pass: &WindowPass,
    rows: &'r [Row],
    incoming: Vec<usize>,
    memory: &mut MemoryCharge,
    context: &ExecContext<'_>,
) -> Result<PassOrder<'r>> {
    debug_assert_eq!(incoming.len(), rows.len());
    let split = pass.partition_by.len();
    let width = pass.order_by.len();
    let mut partition_keys: Vec<Cow<'r, Value>> = Vec::with_capacity(rows.len() * split);
    let mut row_order_keys: Vec<Cow<'r, Value>> = Vec::with_capacity(rows.len() * width);
    for (index, row) in rows.iter().enumerate() {
        if index % INTERRUPT_EVERY == INTERRUPT_EVERY - 1 {
            context.check_interrupt()?;
        }
        let (partition_start, order_start) = (partition_keys.len(), row_order_keys.len());
        for expr in &pass.partition_by {
            partition_keys.push(value_of(expr, row, context)?);
        }
        for key in &pass.order_by {
            row_order_keys.push(value_of(&key.expr, row, context)?);
        }
        memory.add(
            held_bytes(&partition_keys[partition_start..])
                + held_bytes(&row_order_keys[order_start..]),
        )?;
    }
    let (mut order, partitions) =
        group_partitions(incoming, &partition_keys, split, memory, context)?;
    drop(partition_keys);
    // The ORDER BY values moved into window order, so each partition's are contiguous.
    let mut order_keys = Vec::with_capacity(row_order_keys.len());
    for &row in &order {
        order_keys.extend(
            row_order_keys[row * width..(row + 1) * width]
                .iter_mut()
                .map(take),
        );
    }
    drop(row_order_keys);
    if width > 0 {
        sort_partitions(
            &pass.order_by,
            &mut order,
            &mut order_keys,
            &partitions,
            context,
        )?;
        if pass.order_by.iter().any(|key| key.collation.is_some()) {
            crate::expr::UserCollation::take_panic()?;
        }
    }
    Ok(PassOrder {
        order,
        partitions,
        order_keys,
        width,
    })
}

/// `expr`'s value for `row`: a bare column's borrowed, anything else computed.
fn value_of<'r>(expr: &Expr, row: &'r Row, context: &ExecContext<'_>) -> Result<Cow<'r, Value>> {
    Ok(match expr {
        Expr::Column { index, .. } => Cow::Borrowed(&row[*index]),
        _ => Cow::Owned(expr.eval(row, &context.eval)?),
    })
}

/// Estimated bytes `values` hold: their slots and the heap blocks of computed text and
/// blobs (borrowed values are the rows' own, charged with them).
fn held_bytes(values: &[Cow<'_, Value>]) -> u64 {
    let mut bytes = std::mem::size_of_val(values) as u64;
    for value in values {
        if let Cow::Owned(Value::Text(text)) = value {
            bytes += text.len() as u64 + 16;
        } else if let Cow::Owned(Value::Blob(blob)) = value {
            bytes += blob.len() as u64 + 16;
        }
    }
    bytes
}

/// Moves a key value out, leaving a NULL that holds nothing.
fn take<'r>(value: &mut Cow<'r, Value>) -> Cow<'r, Value> {
    std::mem::replace(value, Cow::Owned(Value::Null))
}

/// A row's PARTITION BY values, hashed and compared as SQL equality does (NULLs equal
/// NULLs, 1 equals 1.0), without copying them.
struct PartitionKey<'k, 'r>(&'k [Cow<'r, Value>]);

impl Hash for PartitionKey<'_, '_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        for value in self.0 {
            KeyRef::of(value).hash(state);
        }
    }
}

impl PartialEq for PartitionKey<'_, '_> {
    fn eq(&self, other: &Self) -> bool {
        self.0
            .iter()
            .zip(other.0)
            .all(|(left, right)| KeyRef::of(left) == KeyRef::of(right))
    }
}

impl Eq for PartitionKey<'_, '_> {}

/// Groups `incoming` by partition (stably), the partitions in their values' sort order;
/// returns the grouped indexes and each partition's range in them. `keys` holds each row's
/// `split` PARTITION BY values.
fn group_partitions(
    incoming: Vec<usize>,
    keys: &[Cow<'_, Value>],
    split: usize,
    memory: &mut MemoryCharge,
    context: &ExecContext<'_>,
) -> Result<(Vec<usize>, Vec<Range<usize>>)> {
    let len = incoming.len();
    if len == 0 {
        return Ok((incoming, Vec::new()));
    }
    if split == 0 {
        return Ok((incoming, std::iter::once(0..len).collect()));
    }
    let values_of = |row: usize| &keys[row * split..(row + 1) * split];
    // Each partition's number (in order of first appearance) and a row of it.
    let mut numbers: HashMap<PartitionKey<'_, '_>, usize, FastBuildHasher> = HashMap::default();
    let mut first_rows: Vec<usize> = Vec::new();
    let mut partition_of: Vec<usize> = Vec::with_capacity(len);
    for (position, &row) in incoming.iter().enumerate() {
        if position % INTERRUPT_EVERY == INTERRUPT_EVERY - 1 {
            context.check_interrupt()?;
        }
        let next = first_rows.len();
        let number = *numbers.entry(PartitionKey(values_of(row))).or_insert(next);
        if number == next {
            first_rows.push(row);
            memory.add(64)?;
        }
        partition_of.push(number);
    }
    drop(numbers);
    // Each partition's rank in sort order (values the hash told apart but that compare
    // equal would share one).
    let mut sorted: Vec<usize> = (0..first_rows.len()).collect();
    let compare = |a: usize, b: usize| {
        compare_partition_values(values_of(first_rows[a]), values_of(first_rows[b]))
    };
    sorted.sort_by(|&a, &b| compare(a, b));
    let mut rank_of = vec![0; first_rows.len()];
    let mut ranks = 0;
    for (at, &number) in sorted.iter().enumerate() {
        if at > 0 && compare(sorted[at - 1], number).is_ne() {
            ranks += 1;
        }
        rank_of[number] = ranks;
    }
    let ranks = ranks + 1;
    // A counting sort by rank: stable, so each partition keeps the incoming order.
    let mut starts = vec![0; ranks + 1];
    for &number in &partition_of {
        starts[rank_of[number] + 1] += 1;
    }
    for rank in 0..ranks {
        starts[rank + 1] += starts[rank];
    }
    let partitions: Vec<Range<usize>> = starts.windows(2).map(|w| w[0]..w[1]).collect();
    let mut next_slot = starts;
    let mut grouped = vec![0; len];
    for (&row, &number) in incoming.iter().zip(&partition_of) {
        let slot = &mut next_slot[rank_of[number]];
        grouped[*slot] = row;
        *slot += 1;
    }
    Ok((grouped, partitions))
}

/// Partition values compare in sort order, NULLs first.
fn compare_partition_values(left: &[Cow<'_, Value>], right: &[Cow<'_, Value>]) -> Ordering {
    left.iter()
        .zip(right)
        .map(|(left, right)| compare_for_sort(left, right))
        .find(|ordering| ordering.is_ne())
        .unwrap_or(Ordering::Equal)
}

/// Compares two rows' ORDER BY values.
fn compare_order(keys: &[SortKey], left: &[Cow<'_, Value>], right: &[Cow<'_, Value>]) -> Ordering {
    for ((key, left), right) in keys.iter().zip(left).zip(right) {
        let ordering = compare_keys(
            std::slice::from_ref(key),
            std::slice::from_ref(left),
            std::slice::from_ref(right),
        );
        if ordering.is_ne() {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Sorts each partition's range of `order` (and of `order_keys`, `keys.len()` values per
/// position) by the ORDER BY values, stably.
fn sort_partitions(
    keys: &[SortKey],
    order: &mut [usize],
    order_keys: &mut [Cow<'_, Value>],
    partitions: &[Range<usize>],
    context: &ExecContext<'_>,
) -> Result<()> {
    let width = keys.len();
    let mut permutation: Vec<usize> = Vec::new();
    let mut moved_rows: Vec<usize> = Vec::new();
    let mut moved_keys = Vec::new();
    let mut scratch = KeyScratch::default();
    for range in partitions {
        context.check_interrupt()?;
        if range.len() < 2 {
            continue;
        }
        let values = &order_keys[range.start * width..range.end * width];
        let values_at = |at: usize| &values[at * width..(at + 1) * width];
        permutation.clear();
        if !single_key_permutation(keys, values, &mut permutation, &mut scratch) {
            permutation.extend(0..range.len());
            permutation.sort_by(|&a, &b| compare_order(keys, values_at(a), values_at(b)));
        }
        if permutation.iter().enumerate().all(|(at, &from)| at == from) {
            continue;
        }
        moved_rows.clear();
        moved_rows.extend(permutation.iter().map(|&from| order[range.start + from]));
        order[range.clone()].copy_from_slice(&moved_rows);
        moved_keys.clear();
        for &from in &permutation {
            let at = (range.start + from) * width;
            moved_keys.extend(order_keys[at..at + width].iter_mut().map(take));
        }
        for (slot, value) in order_keys[range.start * width..range.end * width]
            .iter_mut()
            .zip(moved_keys.drain(..))
        {
            *slot = value;
        }
    }
    Ok(())
}

/// Reused buffers of `single_key_permutation`.
#[derive(Default)]
struct KeyScratch {
    integers: Vec<(i64, usize)>,
    reals: Vec<(PlainReal, usize)>,
    nulls: Vec<usize>,
}

/// The class of a partition's ORDER BY values that `single_key_permutation` sorts directly.
#[derive(Clone, Copy, PartialEq, Eq)]
enum KeyClass {
    Integer,
    Real,
    Text,
}

/// With one ORDER BY key of the built-in collations and every non-NULL value of the
/// partition (`values`) an integer, every one a real (none NaN), or every one a text: fills
/// `permutation` with the positions in sorted order (NULLs first or last, in input order)
/// and returns true; the order `compare_order`'s stable sort gives, found by comparing the
/// plain values (ties broken by position). Any other partition returns false, untouched.
fn single_key_permutation(
    keys: &[SortKey],
    values: &[Cow<'_, Value>],
    permutation: &mut Vec<usize>,
    scratch: &mut KeyScratch,
) -> bool {
    let [key] = keys else {
        return false;
    };
    if key.collation.is_some() {
        return false;
    }
    let mut class = None;
    for value in values {
        let this = match value.as_ref() {
            Value::Null => continue,
            Value::Integer(_) => KeyClass::Integer,
            Value::Real(real) if !real.is_nan() => KeyClass::Real,
            Value::Text(_) => KeyClass::Text,
            _ => return false,
        };
        if *class.get_or_insert(this) != this {
            return false;
        }
    }
    let Some(class) = class else {
        return false;
    };
    debug_assert!(permutation.is_empty());
    scratch.nulls.clear();
    let order = SortOrder {
        descending: key.descending,
        nulls_first: key.nulls_first,
    };
    let KeyScratch {
        integers,
        reals,
        nulls,
    } = scratch;
    match class {
        KeyClass::Integer => sort_plain(values, integers, nulls, permutation, order, |v| match v {
            Value::Integer(integer) => Some(*integer),
            _ => None,
        }),
        // No NaN: `partial_cmp` is total here, and equal (0.0, -0.0) as SQL says.
        KeyClass::Real => sort_plain(values, reals, nulls, permutation, order, |v| match v {
            Value::Real(real) => Some(PlainReal(*real)),
            _ => None,
        }),
        KeyClass::Text => {
            let mut texts = Vec::with_capacity(values.len());
            sort_plain(values, &mut texts, nulls, permutation, order, |v| match v {
                Value::Text(text) => Some(text.as_bytes()),
                _ => None,
            });
        }
    }
    true
}

/// How one key sorts: direction and NULL placement.
#[derive(Clone, Copy)]
struct SortOrder {
    descending: bool,
    nulls_first: bool,
}

/// A non-NaN REAL, totally ordered by `partial_cmp` (0.0 and -0.0 equal, as SQL says).
#[derive(Clone, Copy, PartialEq)]
struct PlainReal(f64);

impl Eq for PlainReal {}

impl PartialOrd for PlainReal {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PlainReal {
    fn cmp(&self, other: &Self) -> Ordering {
        self.0.partial_cmp(&other.0).unwrap_or(Ordering::Equal)
    }
}

/// Sorts the values `plain` reads (NULLs apart, in input order) with ties in position
/// order (a stable sort's order), and writes the positions into `permutation` with the
/// NULLs first or last.
fn sort_plain<'v, K: Ord>(
    values: &'v [Cow<'_, Value>],
    pairs: &mut Vec<(K, usize)>,
    nulls: &mut Vec<usize>,
    permutation: &mut Vec<usize>,
    order: SortOrder,
    plain: impl Fn(&'v Value) -> Option<K>,
) {
    pairs.clear();
    for (at, value) in values.iter().enumerate() {
        match plain(value.as_ref()) {
            Some(key) => pairs.push((key, at)),
            None => nulls.push(at),
        }
    }
    if order.descending {
        pairs.sort_unstable_by(|a, b| b.0.cmp(&a.0).then(a.1.cmp(&b.1)));
    } else {
        pairs.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(a.1.cmp(&b.1)));
    }
    place(
        permutation,
        nulls,
        order.nulls_first,
        pairs.iter().map(|p| p.1),
    );
}

/// Writes the sorted positions and the NULLs' positions (first or last) into `permutation`.
fn place(
    permutation: &mut Vec<usize>,
    nulls: &[usize],
    nulls_first: bool,
    sorted: impl Iterator<Item = usize>,
) {
    if nulls_first {
        permutation.extend_from_slice(nulls);
        permutation.extend(sorted);
    } else {
        permutation.extend(sorted);
        permutation.extend_from_slice(nulls);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(descending: bool, nulls_first: bool) -> SortKey {
        SortKey {
            expr: Expr::Column {
                index: 0,
                name: "k".into(),
                meta: Default::default(),
            },
            descending,
            nulls_first,
            collation: None,
        }
    }

    /// The general path's order: a stable sort by `compare_order`.
    fn stable_order(keys: &[SortKey], values: &[Cow<'_, Value>]) -> Vec<usize> {
        let mut order: Vec<usize> = (0..values.len()).collect();
        order.sort_by(|&a, &b| {
            compare_order(
                keys,
                std::slice::from_ref(&values[a]),
                std::slice::from_ref(&values[b]),
            )
        });
        order
    }

    /// A few values of one class with repeats and NULLs, in a scrambled order.
    fn partitions() -> Vec<Vec<Value>> {
        let scramble = |values: Vec<Value>| -> Vec<Value> {
            let len = values.len();
            (0..len)
                .map(|at| values[(at * 7 + 3) % len].clone())
                .collect()
        };
        let integers = [5, -3, 5, i64::MAX, i64::MIN, 0, -3, 12, 5, 7, 0];
        let reals = [
            0.5, -0.0, 0.0, 2.5, -1e300, 1e300, 0.5, -2.25, 2.5, 3.0, 0.0,
        ];
        let texts = [
            "pear", "", "Apple", "apple", "pear", "b", "B", "zz", "", "é", "a",
        ];
        let with_nulls = |mut values: Vec<Value>| {
            values.insert(2, Value::Null);
            values.insert(6, Value::Null);
            values.push(Value::Null);
            values
        };
        let integers: Vec<Value> = integers.iter().map(|&i| Value::Integer(i)).collect();
        let reals: Vec<Value> = reals.iter().map(|&r| Value::Real(r)).collect();
        let texts: Vec<Value> = texts.iter().map(|&t| Value::Text(t.into())).collect();
        vec![
            scramble(integers.clone()),
            scramble(with_nulls(integers)),
            scramble(reals.clone()),
            scramble(with_nulls(reals)),
            scramble(texts.clone()),
            scramble(with_nulls(texts)),
        ]
    }

    #[test]
    fn single_key_sort_gives_the_stable_sorts_order() {
        let mut scratch = KeyScratch::default();
        for values in partitions() {
            let values: Vec<Cow<'_, Value>> = values.iter().map(Cow::Borrowed).collect();
            for descending in [false, true] {
                for nulls_first in [false, true] {
                    let keys = [key(descending, nulls_first)];
                    let mut permutation = Vec::new();
                    assert!(single_key_permutation(
                        &keys,
                        &values,
                        &mut permutation,
                        &mut scratch
                    ));
                    assert_eq!(
                        permutation,
                        stable_order(&keys, &values),
                        "{values:?} descending {descending} nulls_first {nulls_first}"
                    );
                }
            }
        }
    }

    #[test]
    fn other_partitions_take_the_general_sort() {
        let mut scratch = KeyScratch::default();
        let mixed = [Value::Integer(1), Value::Real(0.5)];
        let blobs = [Value::Blob(vec![1]), Value::Blob(vec![0])];
        let nan = [Value::Real(1.0), Value::Real(f64::NAN)];
        let nulls = [Value::Null, Value::Null];
        for values in [&mixed[..], &blobs, &nan, &nulls] {
            let values: Vec<Cow<'_, Value>> = values.iter().map(Cow::Borrowed).collect();
            let mut permutation = Vec::new();
            assert!(!single_key_permutation(
                &[key(false, true)],
                &values,
                &mut permutation,
                &mut scratch
            ));
            assert!(permutation.is_empty());
        }
        // Two keys, or a collation the application registered, also take it.
        let values: Vec<Cow<'_, Value>> = [Value::Integer(2), Value::Integer(1)]
            .iter()
            .map(Cow::Borrowed)
            .collect();
        let mut permutation = Vec::new();
        let two = [key(false, true), key(false, true)];
        assert!(!single_key_permutation(
            &two,
            &values,
            &mut permutation,
            &mut scratch
        ));
    }
}
