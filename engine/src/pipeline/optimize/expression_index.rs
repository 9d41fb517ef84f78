//! When an index on expressions (`CREATE INDEX i ON t(lower(email))`, mixed with columns as
//! in `ON t(a, b + 1)`) may serve a query: only by looking up keys the query pins every key
//! part of: an expression part by a conjunct `expr = constant` or `expr IN (constants)`
//! whose `expr` is the part's expression (structurally equal once bound, column names
//! aside, so the same functions, columns and collations), a column part as for any index
//! (`pinned_keys`). A query that does not name the expression never reads through the
//! index, and no other rule sees it (`partial_index::usable`): they take key parts for
//! column values. A partial one serves only queries whose WHERE implies its clause.
//! Expression parts key under BINARY only (a part that names another collation is not
//! matched), and the probe is the constant as it is: the part has no column type to
//! coerce it to, as SQLite gives an expression no affinity. The whole filter is rechecked
//! on every row the lookup finds (no key residual).

use crate::catalog::{column_part, IndexDef, TableDef};
use crate::expr::{BinaryOp, Collation, Expr};
use crate::plan::AccessPath;

use super::partial_index::{predicate_implied, without_names};
use super::{equated_under, in_list_constants, index_key_collations, Pinned};

/// The best index on expressions of `table` whose every key part the conjuncts `terms`
/// pin to constants (by equalities only, or with one IN list when `with_in`): unique
/// first, then more parts.
pub(super) fn expression_lookup(
    table: &TableDef,
    terms: &[Expr],
    with_in: bool,
) -> Option<AccessPath> {
    let mut candidates: Vec<&IndexDef> = table
        .indexes
        .iter()
        .filter(|index| index.on_expressions() && predicate_implied(index, terms))
        .collect();
    candidates.sort_by_key(|index| (!index.unique, std::cmp::Reverse(parts_of(index).len())));
    let terms: Vec<Expr> = terms.iter().map(without_names).collect();
    candidates.into_iter().find_map(|index| {
        let collations = index_key_collations(index);
        match pinned_parts(parts_of(index), &collations, &terms, with_in)? {
            Pinned::One(values) => Some(AccessPath::IndexLookup {
                index: index.clone(),
                values,
            }),
            Pinned::Many(keys) => Some(AccessPath::IndexIn {
                index: index.clone(),
                keys,
            }),
        }
    })
}

/// The key parts of an index on expressions.
pub(super) fn parts_of(index: &IndexDef) -> &[Expr] {
    index.keys.as_ref().map_or(&[], |keys| &keys.parts)
}

/// `pinned_keys` over key parts: for each part (keyed under its collation), the constant
/// some conjunct equates it with; with `with_in`, exactly one part may instead be pinned
/// by an IN list of constants. `terms` are without column names.
fn pinned_parts(
    parts: &[Expr],
    collations: &[Collation],
    terms: &[Expr],
    with_in: bool,
) -> Option<Pinned> {
    debug_assert_eq!(parts.len(), collations.len());
    let mut values = Vec::with_capacity(parts.len());
    let mut list: Option<(usize, &[Expr])> = None;
    for (position, (part, &collation)) in parts.iter().zip(collations).enumerate() {
        let part = without_names(part);
        if let Some(value) = terms
            .iter()
            .find_map(|term| part_equated(term, &part, collation))
        {
            values.push(value);
            continue;
        }
        if !with_in || list.is_some() {
            return None;
        }
        let members = terms
            .iter()
            .find_map(|term| part_in_list(term, &part, collation))?;
        list = Some((position, members));
        values.push(Expr::Literal(ember_storage::Value::Null));
    }
    let Some((position, members)) = list else {
        return (!with_in).then_some(Pinned::One(values));
    };
    let keys = members
        .iter()
        .map(|member| {
            let mut key = values.clone();
            key[position] = member.clone();
            key
        })
        .collect();
    Some(Pinned::Many(keys))
}

/// If `term` is `part = constant` (either side), the constant: a column part as any
/// index's column (`equated_under`), an expression part (keyed under BINARY) when one
/// side is the part's expression itself.
fn part_equated(term: &Expr, part: &Expr, collation: Collation) -> Option<Expr> {
    if let Some(column) = column_part(part) {
        return equated_under(term, column, collation);
    }
    if collation != Collation::Binary {
        return None;
    }
    let Expr::Binary(BinaryOp::Equal, left, right) = term else {
        return None;
    };
    let constant = if left.as_ref() == part {
        right
    } else if right.as_ref() == part {
        left
    } else {
        return None;
    };
    constant.is_constant().then(|| constant.as_ref().clone())
}

/// If `term` is `part IN (constants)` (not negated), the constants (see `part_equated`).
fn part_in_list<'t>(term: &'t Expr, part: &Expr, collation: Collation) -> Option<&'t [Expr]> {
    if let Some(column) = column_part(part) {
        return in_list_constants(term, column, collation);
    }
    let Expr::InList {
        expr,
        list,
        negated: false,
    } = term
    else {
        return None;
    };
    (collation == Collation::Binary && expr.as_ref() == part && list.iter().all(Expr::is_constant))
        .then_some(list.as_slice())
}

#[cfg(test)]
#[path = "expression_index_tests.rs"]
mod tests;
