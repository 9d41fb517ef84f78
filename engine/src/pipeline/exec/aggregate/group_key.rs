//! A group of the aggregate operator and its key: the key a group keeps (one value in
//! place, or several), the GROUP BY terms a row's key is read from, the order groups come
//! out in (group key order, as SQLite's sorter gives them), and the direct slot of a small
//! integer key.

use ember_storage::index::{encode_ordered_part, KeyCollation};
use ember_storage::{RowId, Value};

use crate::expr::{compare_for_sort, Computed, EvalContext, Expr, KeyValue};

use super::{Row, DIRECT_KEYS_MAX};

pub(in crate::pipeline::exec) struct Group {
    /// The key as the group's first row gave it.
    pub(super) key: GroupKey,
    /// The group's first input row; over a table scan it is read at the end from
    /// `first_row_id` and stays empty until then.
    pub(super) first_row: Row,
    pub(super) first_row_id: RowId,
}

impl Group {
    /// The key's values, one per GROUP BY term.
    pub(super) fn key_values(&self) -> &[Value] {
        match &self.key {
            GroupKey::One(value) => std::slice::from_ref(value),
            GroupKey::Many(values) => values,
        }
    }
}

/// A group's key: a single value in place (no allocation of its own), or several.
pub(super) enum GroupKey {
    One(Value),
    Many(Vec<Value>),
}

/// A GROUP BY term: a plain column (read in place) or a computed value.
pub(super) enum GroupTerm<'p> {
    Column(usize),
    Computed(Computed<'p>),
}

impl<'p> GroupTerm<'p> {
    pub(super) fn of(expr: &'p Expr, context: &EvalContext<'_>) -> GroupTerm<'p> {
        match expr {
            Expr::Column { index, .. } => GroupTerm::Column(*index),
            expr => GroupTerm::Computed(Computed::new(expr, context)),
        }
    }
}

/// The values of the group key of a row: each term's column of `row`, or its next value in
/// `computed` (the computed terms' values, in order).
pub(super) fn term_values<'v>(
    terms: &'v [GroupTerm<'_>],
    row: &'v [Value],
    computed: &'v [Value],
) -> impl Iterator<Item = &'v Value> + Clone {
    let mut next = 0;
    terms.iter().map(move |term| match term {
        GroupTerm::Column(index) => &row[*index],
        GroupTerm::Computed(_) => {
            next += 1;
            &computed[next - 1]
        }
    })
}

/// The positions of `groups` in group key order (groups of equal keys, which only keys
/// that differ yet sort alike make, keep their order). A single INTEGER or TEXT key, the
/// common case of many groups, is sorted as plain (key, position) pairs; others by their
/// keys' order-preserving encodings (`encode_ordered_part`), each comparison one `memcmp`.
pub(super) fn key_order(groups: &[Group]) -> Vec<usize> {
    if groups.len() < 2 {
        // Nothing to sort (a statement without GROUP BY has one group).
        return (0..groups.len()).collect();
    }
    let single_integers: Option<Vec<(i64, usize)>> = groups
        .iter()
        .enumerate()
        .map(|(at, group)| match group.key_values() {
            [Value::Integer(key)] => Some((*key, at)),
            _ => None,
        })
        .collect();
    if let Some(mut keys) = single_integers {
        keys.sort_unstable();
        return keys.into_iter().map(|(_, at)| at).collect();
    }
    let single_texts: Option<Vec<(&[u8], usize)>> = groups
        .iter()
        .enumerate()
        .map(|(at, group)| match group.key_values() {
            [Value::Text(key)] => Some((key.as_bytes(), at)),
            _ => None,
        })
        .collect();
    if let Some(mut keys) = single_texts {
        keys.sort_unstable();
        return keys.into_iter().map(|(_, at)| at).collect();
    }
    // Each group's key encoded once in an order-preserving form (the ordered index's, under
    // BINARY: comparing two encodings bytewise orders the keys as `compare_keys` does, and
    // 1 and 1.0 encode alike), so a comparison is one `memcmp`; equal encodings keep the
    // groups' order by their positions.
    let mut encoded = Vec::with_capacity(groups.len() * 16);
    let mut ends = Vec::with_capacity(groups.len());
    for group in groups {
        for value in group.key_values() {
            encode_ordered_part(value, KeyCollation::Binary, &mut encoded);
        }
        ends.push(encoded.len());
    }
    // Each encoding's first 16 bytes as a big-endian integer (zero bytes past its end)
    // order the keys as their bytes do, or tie: most comparisons are of two integers.
    let mut keys: Vec<(u128, &[u8], usize)> = Vec::with_capacity(groups.len());
    let mut start = 0;
    for (at, &end) in ends.iter().enumerate() {
        let bytes = &encoded[start..end];
        let mut head = [0u8; 16];
        let taken = bytes.len().min(head.len());
        head[..taken].copy_from_slice(&bytes[..taken]);
        keys.push((u128::from_be_bytes(head), bytes, at));
        start = end;
    }
    keys.sort_unstable();
    debug_assert!(keys.windows(2).all(|pair| compare_keys(
        groups[pair[0].2].key_values(),
        groups[pair[1].2].key_values()
    )
    .is_le()));
    keys.into_iter().map(|(_, _, at)| at).collect()
}

/// Two group keys in sort order, term by term (`compare_for_sort`, with integers and texts
/// compared in line).
#[inline]
fn compare_keys(a: &[Value], b: &[Value]) -> std::cmp::Ordering {
    for (x, y) in a.iter().zip(b) {
        let ordering = match (x, y) {
            (Value::Integer(x), Value::Integer(y)) => x.cmp(y),
            (Value::Text(x), Value::Text(y)) => x.as_bytes().cmp(y.as_bytes()),
            _ => compare_for_sort(x, y),
        };
        if ordering.is_ne() {
            return ordering;
        }
    }
    std::cmp::Ordering::Equal
}

/// Whether a group key value is the very value of every row of its group: an INTEGER,
/// TEXT, BLOB or NULL (a REAL or BOOLEAN may equal a group's key of another type or
/// form: 2.0 groups with 2).
#[inline(always)]
pub(super) fn exact_key(value: &Value) -> bool {
    !matches!(value, Value::Real(_) | Value::Boolean(_))
}

/// The `direct` slot of a single group key: the key's integer form (as `KeyValue` makes it,
/// so 2, 2.0 and TRUE-ish values group as they do when hashed) when in `0..DIRECT_KEYS_MAX`.
#[inline]
pub(super) fn direct_slot(value: &Value) -> Option<usize> {
    let key = match value {
        Value::Integer(key) => *key,
        Value::Null | Value::Text(_) | Value::Blob(_) => return None,
        number => match KeyValue::new(number) {
            KeyValue::Integer(key) => key,
            _ => return None,
        },
    };
    (0..DIRECT_KEYS_MAX).contains(&key).then_some(key as usize)
}
