//! The sort key of a top-k candidate row (`top_k::TopRows`): how it is read and how it is
//! compared with the worst key the top keeps.
//!
//! When every sort key is a plain column of the input row (`ORDER BY score DESC, id`), the
//! candidate's key is read in place, borrowed from the decoded row: a row that does not
//! enter the top (nearly every row of a large input) is compared without evaluating an
//! expression, cloning a value or touching a key vector. Other keys are compiled
//! (`expr::Computed`: arithmetic, compiled scalars) when the top meets its first row, and
//! evaluated one by one, borrowed, each compared with the worst kept key as soon as it is
//! known: a row the first key already puts after the worst one costs that key's
//! evaluation and one comparison (no clone, and the later keys are not evaluated when
//! none of them can fail, so no error is lost).
//!
//! The comparison is `query::compare_keys`'s order exactly (NULL placement, DESC,
//! collations, mixed types), with the commonest cases (two INTEGERs, two REALs, no
//! collation) decided inline; everything else goes through `compare_keys` itself.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::expr::{Computed, EvalContext, Expr};
use crate::plan::SortKey;

use super::super::query::compare_keys;

/// Where a candidate row's sort key comes from.
pub(super) enum KeyReader<'k> {
    /// Every key is the input row's column at these positions (one per key, in order).
    Columns(Vec<usize>),
    /// Some key is an expression: the keys are evaluated, compiled (`ComputedKeys`).
    Computed(ComputedKeys<'k>),
}

/// The sort keys of a `KeyReader::Computed`, compiled when the first row comes (the
/// constants are read in the statement's context then).
#[derive(Default)]
pub(super) struct ComputedKeys<'k> {
    /// One per sort key once compiled; empty before.
    pub(super) keys: Vec<Computed<'k>>,
    /// `infallible_after[i]`: no key after key `i` can fail to evaluate, so a row that key
    /// `i` already rejects needs no more of them.
    pub(super) infallible_after: Vec<bool>,
}

impl<'k> ComputedKeys<'k> {
    /// Compiles `keys` once (a no-op after the first call).
    #[inline]
    pub(super) fn compile(&mut self, keys: &'k [SortKey], context: &EvalContext<'_>) {
        if self.keys.len() == keys.len() {
            return;
        }
        self.keys = keys
            .iter()
            .map(|key| Computed::new(&key.expr, context))
            .collect();
        let mut infallible = true;
        self.infallible_after = vec![true; keys.len()];
        for (at, key) in self.keys.iter().enumerate().rev() {
            self.infallible_after[at] = infallible;
            infallible &= !key.can_fail();
        }
    }
}

impl<'k> KeyReader<'k> {
    pub(super) fn of(keys: &[SortKey]) -> KeyReader<'k> {
        let columns: Option<Vec<usize>> = keys
            .iter()
            .map(|key| match &key.expr {
                Expr::Column { index, .. } => Some(*index),
                _ => None,
            })
            .collect();
        match columns {
            Some(columns) => KeyReader::Columns(columns),
            None => KeyReader::Computed(ComputedKeys::default()),
        }
    }
}

/// `compare_keys` for one key's values.
#[inline(always)]
pub(super) fn compare_value(key: &SortKey, left: &Value, right: &Value) -> Ordering {
    let ordering = match (left, right) {
        // As `compare_for_sort` orders them (no collation applies to numbers of one type).
        (Value::Integer(a), Value::Integer(b)) if key.collation.is_none() => a.cmp(b),
        (Value::Real(a), Value::Real(b)) if key.collation.is_none() => {
            a.partial_cmp(b).unwrap_or(Ordering::Equal)
        }
        _ => {
            return compare_keys(
                std::slice::from_ref(key),
                std::slice::from_ref(left),
                std::slice::from_ref(right),
            )
        }
    };
    if key.descending {
        ordering.reverse()
    } else {
        ordering
    }
}

/// `compare_keys(keys, a, b)`, each key compared by `compare_value`.
#[inline(always)]
pub(super) fn compare_key_lists(keys: &[SortKey], a: &[Value], b: &[Value]) -> Ordering {
    for ((key, left), right) in keys.iter().zip(a).zip(b) {
        let ordering = compare_value(key, left, right);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

/// Compares the key of `row` read at `columns` (one per key) with the key `kept`.
#[inline(always)]
pub(super) fn compare_row_columns(
    keys: &[SortKey],
    columns: &[usize],
    row: &[Value],
    kept: &[Value],
) -> Ordering {
    debug_assert_eq!(keys.len(), columns.len());
    for ((key, &column), right) in keys.iter().zip(columns).zip(kept) {
        let ordering = compare_value(key, &row[column], right);
        if ordering != Ordering::Equal {
            return ordering;
        }
    }
    Ordering::Equal
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::ColumnMeta;

    fn column(index: usize) -> Expr {
        Expr::Column {
            index,
            name: format!("c{index}"),
            meta: ColumnMeta::default(),
        }
    }

    fn key(expr: Expr, descending: bool, nulls_first: bool) -> SortKey {
        SortKey {
            expr,
            descending,
            nulls_first,
            collation: None,
        }
    }

    fn values() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Integer(-3),
            Value::Integer(7),
            Value::Real(-2.5),
            Value::Real(7.0),
            Value::Real(7.5),
            Value::Text("a".into()),
            Value::Text("B".into()),
            Value::Blob(vec![1]),
            Value::Boolean(true),
        ]
    }

    #[test]
    fn inline_comparison_agrees_with_compare_keys_on_every_pair() {
        for (descending, nulls_first) in
            [(false, true), (true, false), (false, false), (true, true)]
        {
            let keys = [key(column(0), descending, nulls_first)];
            for left in values() {
                for right in values() {
                    let a = std::slice::from_ref(&left);
                    let b = std::slice::from_ref(&right);
                    assert_eq!(
                        compare_value(&keys[0], &left, &right),
                        compare_keys(&keys, a, b),
                        "{left:?} vs {right:?}, desc {descending}, nulls first {nulls_first}"
                    );
                    assert_eq!(compare_key_lists(&keys, a, b), compare_keys(&keys, a, b));
                }
            }
        }
    }

    #[test]
    fn several_keys_compare_in_order_and_columns_read_in_place() {
        let keys = [key(column(2), true, false), key(column(0), false, true)];
        let KeyReader::Columns(columns) = KeyReader::of(&keys) else {
            panic!("plain columns are read in place");
        };
        assert_eq!(columns, [2, 0]);
        let row = [Value::Integer(1), Value::Text("x".into()), Value::Real(2.0)];
        // Equal first key, the second decides (ascending).
        let kept = [Value::Real(2.0), Value::Integer(0)];
        assert_eq!(
            compare_row_columns(&keys, &columns, &row, &kept),
            Ordering::Greater
        );
        let kept = [Value::Real(2.0), Value::Integer(1)];
        assert_eq!(
            compare_row_columns(&keys, &columns, &row, &kept),
            Ordering::Equal
        );
        // DESC first key: a larger value comes first; NULL comes last.
        let kept = [Value::Real(1.0), Value::Integer(9)];
        assert_eq!(
            compare_row_columns(&keys, &columns, &row, &kept),
            Ordering::Less
        );
        let kept = [Value::Null, Value::Integer(9)];
        assert_eq!(
            compare_row_columns(&keys, &columns, &row, &kept),
            Ordering::Less
        );
        for (left, right) in [(&row[2], &kept[0]), (&row[0], &kept[1])] {
            let pair_keys = &keys[..1];
            assert_eq!(
                compare_key_lists(
                    pair_keys,
                    std::slice::from_ref(left),
                    std::slice::from_ref(right)
                ),
                compare_keys(
                    pair_keys,
                    std::slice::from_ref(left),
                    std::slice::from_ref(right)
                ),
            );
        }
    }

    #[test]
    fn an_expression_key_is_computed() {
        let sum = Expr::Binary(
            crate::expr::BinaryOp::Add,
            Box::new(column(0)),
            Box::new(Expr::Literal(Value::Integer(1))),
        );
        let keys = [key(column(1), false, true), key(sum, false, true)];
        assert!(matches!(KeyReader::of(&keys), KeyReader::Computed(_)));
    }
}
