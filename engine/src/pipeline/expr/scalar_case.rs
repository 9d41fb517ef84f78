//! CASE of compiled scalars (`Scalar::Case`, iif() included): which branch a row takes,
//! decided as the tree walker decides it (the operand once, then each WHEN in order), a
//! simple CASE's test an equality decided inline for texts and integers (the binder gave
//! the WHEN values the comparison affinity already).

use std::borrow::Cow;
use std::cmp::Ordering;

use ember_storage::Value;

use super::ops::{sql_compare, truth};
use super::scalar::Scalar;
use crate::error::Result;

/// Which branch of a CASE is taken over `row` (`None`: none, the ELSE applies), as the
/// tree decides it: the operand once, then each WHEN in order until one equals it (or,
/// without an operand, until one is TRUE).
#[inline(always)]
pub(super) fn taken_branch(
    operand: Option<&Scalar>,
    branches: &[(Scalar, Scalar)],
    row: &[Value],
) -> Result<Option<usize>> {
    let operand = match operand {
        Some(operand) => Some(operand.value(row)?),
        None => None,
    };
    for (at, (when, _)) in branches.iter().enumerate() {
        let taken = match (&operand, when) {
            (Some(operand), Scalar::Constant(constant)) => equal_values(operand, constant),
            (None, Scalar::Predicate(compiled)) => compiled.quick_truth(row) == Some(true),
            (None, when) => truth(&*when.value(row)?) == Some(true),
            (Some(operand), when) => equal_values(operand, &*when.value(row)?),
        };
        if taken {
            return Ok(Some(at));
        }
    }
    Ok(None)
}

/// Whether `sql_compare(left, right)` is `Equal` (a simple CASE's test: the binder gave
/// the WHEN values the comparison affinity already), two texts and two integers decided
/// inline.
#[inline(always)]
pub(super) fn equal_values(left: &Value, right: &Value) -> bool {
    match (left, right) {
        (Value::Text(a), Value::Text(b)) => a == b,
        (Value::Integer(a), Value::Integer(b)) => a == b,
        _ => sql_compare(left, right) == Some(Ordering::Equal),
    }
}

/// A CASE's value over `row`, as the tree computes it: the taken branch's result, else
/// the ELSE's (NULL without one).
#[inline]
pub(super) fn case<'r>(
    operand: Option<&'r Scalar>,
    branches: &'r [(Scalar, Scalar)],
    otherwise: Option<&'r Scalar>,
    row: &'r [Value],
) -> Result<Cow<'r, Value>> {
    match taken_branch(operand, branches, row)? {
        Some(at) => branches[at].1.value(row),
        None => match otherwise {
            Some(otherwise) => otherwise.value(row),
            None => Ok(Cow::Owned(Value::Null)),
        },
    }
}
