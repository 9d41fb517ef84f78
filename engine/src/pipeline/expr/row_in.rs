//! The rows of a row-value `(a, b, ..) [NOT] IN (SELECT x, y, ..)` and the test of an
//! operand row against them, with SQLite's NULL rules: a row matches when every pair is
//! equal; the result is TRUE when some row matches, else NULL when some row could match
//! (no pair is unequal, a NULL on either side decides none), else FALSE.

use std::collections::HashSet;

use ember_storage::Value;

use crate::error::Result;
use crate::exec::{ExecContext, Operator};
use crate::fast_hash::FastBuildHasher;

use super::key::KeyValue;
use super::{Affinity, Collation};

/// The subquery's rows, converted for comparison: those without a NULL in a hash set,
/// those with one in a list.
pub(super) struct RowSet {
    complete: HashSet<Vec<KeyValue>, FastBuildHasher>,
    partial: Vec<Vec<KeyValue>>,
}

impl RowSet {
    /// Reads every row of `operator`, each value converted by its column's affinity and
    /// collation; the rows are charged to the statement's memory and row limits.
    pub(super) fn collect(
        operator: &mut dyn Operator,
        context: &ExecContext<'_>,
        affinities: &[Option<Affinity>],
        collations: &[Collation],
    ) -> Result<RowSet> {
        debug_assert_eq!(affinities.len(), collations.len());
        let mut set = RowSet {
            complete: HashSet::default(),
            partial: Vec::new(),
        };
        let mut memory = context.memory_charge("an IN (SELECT ...) set of rows");
        while let Some(row) = operator.next(context)? {
            memory.add_row(&row)?;
            context.check_rows(set.complete.len() + set.partial.len())?;
            let key: Vec<KeyValue> = row
                .into_iter()
                .zip(affinities.iter().zip(collations))
                .map(|(mut value, (affinity, collation))| {
                    if let Some(affinity) = affinity {
                        value = super::apply_affinity(value, *affinity);
                    }
                    KeyValue::new(&collation.key(value))
                })
                .collect();
            if key.iter().any(KeyValue::is_null) {
                set.partial.push(key);
            } else {
                set.complete.insert(key);
            }
        }
        Ok(set)
    }

    /// Estimated bytes the set holds (for a memo's memory account).
    pub(super) fn bytes(&self) -> u64 {
        let rows = self.complete.iter().chain(&self.partial);
        rows.map(|row| {
            let heap: usize = row.iter().map(KeyValue::heap_bytes).sum();
            (2 * std::mem::size_of::<Vec<KeyValue>>()
                + std::mem::size_of_val(row.as_slice())
                + heap) as u64
        })
        .sum()
    }

    /// `values [NOT] IN` these rows (values already converted for the comparison).
    pub(super) fn test(&self, values: &[Value], negated: bool) -> Value {
        let probe: Vec<KeyValue> = values.iter().map(KeyValue::new).collect();
        if self.complete.is_empty() && self.partial.is_empty() {
            return Value::Boolean(negated);
        }
        let complete_probe = !probe.iter().any(KeyValue::is_null);
        if complete_probe && self.complete.contains(&probe) {
            return Value::Boolean(!negated);
        }
        let could_match = |row: &Vec<KeyValue>| {
            row.iter()
                .zip(&probe)
                .all(|(a, b)| a.is_null() || b.is_null() || a == b)
        };
        // A complete probe matched no complete row exactly, so only the partial rows
        // can leave the answer open.
        let open = self.partial.iter().any(could_match)
            || (!complete_probe && self.complete.iter().any(could_match));
        if open {
            Value::Null
        } else {
            Value::Boolean(negated)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn set(rows: &[&[Value]]) -> RowSet {
        let mut set = RowSet {
            complete: HashSet::default(),
            partial: Vec::new(),
        };
        for row in rows {
            let key: Vec<KeyValue> = row.iter().map(KeyValue::new).collect();
            if key.iter().any(KeyValue::is_null) {
                set.partial.push(key);
            } else {
                set.complete.insert(key);
            }
        }
        set
    }

    #[test]
    fn null_rules_are_sqlites() {
        use Value::{Integer as I, Null};
        let rows = set(&[&[I(1), I(2)], &[I(3), Null]]);
        assert_eq!(rows.test(&[I(1), I(2)], false), Value::Boolean(true));
        assert_eq!(rows.test(&[I(1), I(2)], true), Value::Boolean(false));
        // (3, 9) against (3, NULL): open.
        assert_eq!(rows.test(&[I(3), I(9)], false), Value::Null);
        // (4, 2): every row has an unequal pair.
        assert_eq!(rows.test(&[I(4), I(2)], false), Value::Boolean(false));
        assert_eq!(rows.test(&[I(4), I(2)], true), Value::Boolean(true));
        // (1, NULL) against (1, 2): open; (5, NULL): no row could match.
        assert_eq!(rows.test(&[I(1), Null], false), Value::Null);
        assert_eq!(rows.test(&[I(5), Null], false), Value::Boolean(false));
        // An empty set is FALSE even for NULLs.
        assert_eq!(set(&[]).test(&[Null, Null], false), Value::Boolean(false));
    }
}
