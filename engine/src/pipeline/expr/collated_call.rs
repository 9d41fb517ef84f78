//! Scalar `min`, `max` and `nullif` under a collation other than BINARY
//! (`Function::Collated`): SQLite compares their arguments under the collation of the first
//! one that has one (a COLLATE, or a column's), and gives the argument chosen as it is.

use std::cmp::Ordering;

use ember_storage::Value;

use super::ops::compare_for_sort;
use super::{Collation, Function};

/// A function `Function::Collated` applies under a collation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CollatedCall {
    Min,
    Max,
    NullIf,
}

impl CollatedCall {
    /// The function this applies under BINARY.
    pub fn function(self) -> Function {
        match self {
            CollatedCall::Min => Function::Min,
            CollatedCall::Max => Function::Max,
            CollatedCall::NullIf => Function::NullIf,
        }
    }

    /// The call of `function` under a collation (`None` for another function).
    pub fn of(function: Function) -> Option<CollatedCall> {
        match function {
            Function::Min => Some(CollatedCall::Min),
            Function::Max => Some(CollatedCall::Max),
            Function::NullIf => Some(CollatedCall::NullIf),
            _ => None,
        }
    }

    /// The value of this call over `args` (their count checked) comparing under
    /// `collation` (texts by their collation keys): the argument chosen, as given.
    pub fn apply(self, collation: Collation, args: &[Value]) -> Value {
        collated(self, collation, args)
    }
}

fn collated(call: CollatedCall, collation: Collation, args: &[Value]) -> Value {
    let compare = |a: &Value, b: &Value| {
        compare_for_sort(&collation.key(a.clone()), &collation.key(b.clone()))
    };
    match call {
        CollatedCall::NullIf => match args {
            [left, right] if compare(left, right) == Ordering::Equal => Value::Null,
            [left, ..] => left.clone(),
            [] => Value::Null,
        },
        CollatedCall::Min | CollatedCall::Max => {
            if args.is_empty() || args.iter().any(Value::is_null) {
                return Value::Null;
            }
            let mut best = &args[0];
            for value in &args[1..] {
                let ordering = compare(value, best);
                let replace = match call {
                    CollatedCall::Min => ordering != Ordering::Greater,
                    _ => ordering == Ordering::Greater,
                };
                if replace {
                    best = value;
                }
            }
            best.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn call(function: Function, args: &[Value]) -> Value {
        match function {
            Function::Collated(call, collation) => call.apply(collation, args),
            other => super::super::function::call(other, args).unwrap(),
        }
    }

    #[test]
    fn collated_min_max_and_nullif_compare_by_the_collation_and_return_the_argument() {
        let text = |s: &str| Value::Text(s.to_string());
        let nocase = |call| Function::Collated(call, Collation::NoCase);
        let (a, b) = (text("apple"), text("B"));
        assert_eq!(call(Function::Max, &[a.clone(), b.clone()]), a);
        assert_eq!(call(nocase(CollatedCall::Max), &[a.clone(), b.clone()]), b);
        assert_eq!(call(nocase(CollatedCall::Min), &[b.clone(), a.clone()]), a);
        assert_eq!(
            call(nocase(CollatedCall::Min), &[a.clone(), Value::Null]),
            Value::Null
        );
        // Ties keep the later argument, as SQLite's min does.
        let upper = text("APPLE");
        assert_eq!(
            call(nocase(CollatedCall::Min), &[a.clone(), upper.clone()]),
            upper
        );
        assert_eq!(
            call(nocase(CollatedCall::NullIf), &[a.clone(), upper]),
            Value::Null
        );
        assert_eq!(call(nocase(CollatedCall::NullIf), &[a.clone(), b]), a);
        assert_eq!(nocase(CollatedCall::NullIf).name(), "nullif");
        assert!(nocase(CollatedCall::Max).check_arity(1).is_err());
    }
}
