//! `InConstants`: the list of `x [NOT] IN (constants)`, evaluated once when a predicate is
//! compiled (`compile.rs`), so a row costs comparisons only: no list item evaluated or
//! cloned per row. The constants are kept sorted (as `compare_for_sort` orders them, NULLs
//! set apart): a short list is searched in order, a long one by halves.
//!
//! Semantics are `predicate::in_list`'s: an empty list gives FALSE (TRUE for NOT IN) even
//! for a NULL value; otherwise a NULL value gives NULL; a match gives TRUE (FALSE for NOT
//! IN); no match with a NULL in the list gives NULL; no match at all gives FALSE (TRUE).
//! A match is `sql_compare` equality (1 = 1.0, text by its bytes, no affinity: the binder's
//! affinity wrappers are evaluated with the constants). A collation other than BINARY never
//! reaches here: its operand is a collation key, which does not compile to a column.

use std::cmp::Ordering;

use ember_storage::Value;

use super::ops::compare_for_sort;

/// Lists up to this long are searched item by item (cheaper than halving when short).
const LINEAR_MAX: usize = 8;

#[derive(Debug, Clone)]
pub struct InConstants {
    /// The list's non-NULL constants, sorted by `compare_for_sort`.
    sorted: Box<[Value]>,
    /// Whether the list holds a NULL.
    has_null: bool,
    /// Whether the list is empty (decides even for a NULL value).
    empty: bool,
    negated: bool,
}

impl InConstants {
    pub fn new(constants: Vec<Value>, negated: bool) -> Self {
        let empty = constants.is_empty();
        let has_null = constants.iter().any(Value::is_null);
        let mut sorted: Vec<Value> = constants.into_iter().filter(|v| !v.is_null()).collect();
        sorted.sort_by(compare_for_sort);
        InConstants {
            sorted: sorted.into_boxed_slice(),
            has_null,
            empty,
            negated,
        }
    }

    /// The predicate's truth for `value`: `None` for NULL (unknown).
    #[inline]
    pub fn truth(&self, value: &Value) -> Option<bool> {
        if self.empty {
            return Some(self.negated);
        }
        if value.is_null() {
            return None;
        }
        if self.contains(value) {
            return Some(!self.negated);
        }
        (!self.has_null).then_some(self.negated)
    }

    /// The list's texts, sorted by their bytes, when it is `IN` (not NOT IN) of texts only
    /// (no NULL, no other class, not empty): then a value passes exactly when it is one of
    /// them (a raw text check, `staged/raw.rs`).
    pub fn text_members(&self) -> Option<Vec<String>> {
        if self.negated || self.has_null || self.empty {
            return None;
        }
        self.sorted
            .iter()
            .map(|value| match value {
                Value::Text(text) => Some(text.clone()),
                _ => None,
            })
            .collect()
    }

    /// Whether a non-NULL `value` equals one of the constants.
    #[inline]
    fn contains(&self, value: &Value) -> bool {
        if self.sorted.len() <= LINEAR_MAX {
            return self
                .sorted
                .iter()
                .any(|constant| same_value(value, constant));
        }
        self.sorted
            .binary_search_by(|constant| compare_for_sort(constant, value))
            .is_ok()
    }
}

/// `sql_compare` equality of two non-NULL values, text and integers without the general
/// comparison's call.
#[inline(always)]
fn same_value(value: &Value, constant: &Value) -> bool {
    match (value, constant) {
        (Value::Text(a), Value::Text(b)) => a.as_bytes() == b.as_bytes(),
        (Value::Integer(a), Value::Integer(b)) => a == b,
        _ => compare_for_sort(value, constant) == Ordering::Equal,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::expr::predicate::in_list;

    fn values() -> Vec<Value> {
        vec![
            Value::Null,
            Value::Integer(1),
            Value::Real(1.0),
            Value::Real(1.5),
            Value::Boolean(true),
            Value::Integer(-3),
            Value::Text("1".into()),
            Value::Text("g1".into()),
            Value::Text("G1".into()),
            Value::Text(String::new()),
            Value::Blob(b"g1".to_vec()),
            Value::Integer(i64::MAX),
            Value::Real(9_223_372_036_854_775_807.0),
        ]
    }

    /// Every value against lists of every length drawn from the values (short and long,
    /// with and without NULL, negated or not) answers as `predicate::in_list`.
    #[test]
    fn answers_as_the_tree_walker() {
        let all = values();
        let mut lists: Vec<Vec<Value>> = vec![Vec::new()];
        for start in 0..all.len() {
            for len in 1..=all.len() - start {
                lists.push(all[start..start + len].to_vec());
                lists.push(all[start..start + len].iter().rev().cloned().collect());
            }
        }
        for list in &lists {
            for negated in [false, true] {
                let compiled = InConstants::new(list.clone(), negated);
                for value in &all {
                    let expected =
                        in_list(value, list, negated, |item| Ok(item.clone())).expect("in");
                    let expected = match expected {
                        Value::Boolean(b) => Some(b),
                        _ => None,
                    };
                    assert_eq!(
                        compiled.truth(value),
                        expected,
                        "{value:?} IN {list:?} negated {negated}"
                    );
                }
            }
        }
    }
}
