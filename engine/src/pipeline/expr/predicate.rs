//! The multi-operand predicates `BETWEEN` and `IN (list)`, with SQLite's three-valued
//! results: a NULL operand makes the answer unknown unless the outcome is decided anyway.

use std::cmp::Ordering;

use ember_storage::Value;

use crate::error::Result;

use super::ops::{and, sql_compare};

/// `value [NOT] BETWEEN low AND high`, i.e. `low <= value AND value <= high` (negated with
/// NOT afterwards): `NULL BETWEEN 1 AND 2` is NULL, `5 BETWEEN NULL AND 2` is FALSE.
pub(crate) fn between(value: &Value, low: &Value, high: &Value, negated: bool) -> Value {
    let above_low = sql_compare(value, low).map(|ordering| ordering != Ordering::Less);
    let below_high = sql_compare(value, high).map(|ordering| ordering != Ordering::Greater);
    match and(above_low, below_high) {
        Value::Boolean(inside) => Value::Boolean(inside != negated),
        other => other,
    }
}

/// `value [NOT] IN (list)`, SQLite's rules: an empty list gives FALSE (TRUE for NOT IN) even
/// for a NULL value; otherwise a NULL value gives NULL; a match gives TRUE (FALSE for NOT
/// IN); no match with a NULL in the list gives NULL; no match at all gives FALSE (TRUE).
/// List items are evaluated lazily, left to right, by `eval_item`, and stop at a match.
pub(crate) fn in_list<T>(
    value: &Value,
    list: &[T],
    negated: bool,
    mut eval_item: impl FnMut(&T) -> Result<Value>,
) -> Result<Value> {
    if list.is_empty() {
        return Ok(Value::Boolean(negated));
    }
    if value.is_null() {
        return Ok(Value::Null);
    }
    let mut saw_null = false;
    for item in list {
        match sql_compare(value, &eval_item(item)?) {
            Some(Ordering::Equal) => return Ok(Value::Boolean(!negated)),
            Some(_) => {}
            None => saw_null = true,
        }
    }
    Ok(if saw_null {
        Value::Null
    } else {
        Value::Boolean(negated)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    fn in_values(value: Value, list: &[Value], negated: bool) -> Value {
        in_list(&value, list, negated, |item| Ok(item.clone())).unwrap()
    }

    #[test]
    fn between_is_three_valued() {
        let yes = Value::Boolean(true);
        let no = Value::Boolean(false);
        assert_eq!(between(&int(2), &int(1), &int(3), false), yes);
        assert_eq!(between(&int(1), &int(1), &int(1), false), yes);
        assert_eq!(between(&int(4), &int(1), &int(3), false), no);
        assert_eq!(between(&int(4), &int(1), &int(3), true), yes);
        assert_eq!(between(&Value::Null, &int(1), &int(3), false), Value::Null);
        assert_eq!(between(&Value::Null, &int(1), &int(3), true), Value::Null);
        // One side decides FALSE even when the other is unknown.
        assert_eq!(between(&int(5), &Value::Null, &int(3), false), no);
        assert_eq!(between(&int(5), &Value::Null, &int(3), true), yes);
        assert_eq!(between(&int(2), &Value::Null, &int(3), false), Value::Null);
        assert_eq!(
            between(&Value::Real(1.5), &int(1), &int(2), false),
            Value::Boolean(true)
        );
    }

    #[test]
    fn in_list_follows_sqlite_null_rules() {
        let yes = Value::Boolean(true);
        let no = Value::Boolean(false);
        let list = [int(1), int(2)];
        let with_null = [int(1), Value::Null];
        assert_eq!(in_values(int(1), &list, false), yes);
        assert_eq!(in_values(int(3), &list, false), no);
        assert_eq!(in_values(int(3), &list, true), yes);
        assert_eq!(in_values(int(1), &with_null, false), yes);
        assert_eq!(in_values(int(1), &with_null, true), no);
        assert_eq!(in_values(int(3), &with_null, false), Value::Null);
        assert_eq!(in_values(int(3), &with_null, true), Value::Null);
        assert_eq!(in_values(Value::Null, &list, false), Value::Null);
        assert_eq!(in_values(Value::Null, &list, true), Value::Null);
        assert_eq!(in_values(Value::Null, &[], false), no);
        assert_eq!(in_values(Value::Null, &[], true), yes);
        assert_eq!(in_values(Value::Real(2.0), &list, false), yes);
        assert_eq!(in_values(Value::Text("1".into()), &list, false), no);
    }

    #[test]
    fn in_list_stops_at_the_first_match() {
        let mut evaluated = 0;
        let result = in_list(&int(1), &[int(1), int(2)], false, |item| {
            evaluated += 1;
            Ok(item.clone())
        })
        .unwrap();
        assert_eq!(result, Value::Boolean(true));
        assert_eq!(evaluated, 1);
    }
}
