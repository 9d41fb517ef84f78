//! When an index on expressions (`CREATE INDEX i ON t(lower(email))`, mixed with columns as
//! in `ON t(a, b + 1)`) may serve a query: only where the query names its expressions. A
//! part is named by a conjunct or sort key whose expression is the part's (structurally
//! equal once bound, column names aside, so the same functions, columns and collations); a
//! column part as for any index. Three shapes:
//! - a lookup (`expression_lookup`): every part pinned by `expr = constant`, or all but one
//!   that way and one by `expr IN (constants)`;
//! - a range of an ordered one (`expression_range`): leading parts pinned by equalities,
//!   then `>`, `>=`, `<`, `<=` or `BETWEEN` constants on the next part;
//! - an ORDER BY walk (`index_order.rs` asks `sorts_as_part`, and `order_ranges` gives the
//!   walks over a full scan).
//!
//! A query that does not name the expressions never reads through the index, and no other
//! rule sees it (`partial_index::usable`): they take key parts for column values. A partial
//! one serves only queries whose WHERE implies its clause. Expression parts key and order
//! under BINARY only (a part that names another collation is not matched), and a probe or
//! bound is the constant as bound (comparison affinity applied): the part has no column
//! type to coerce it to. The whole filter is rechecked on every row the path reaches (no
//! key residual, and `range_decides` finds no column to decide).

use crate::catalog::{column_part, IndexDef, TableDef};
use crate::expr::{BinaryOp, Collation, Expr};
use crate::plan::{AccessPath, IndexRange, RangeBound};

use super::index_range::index_collations;
use super::partial_index::{predicate_implied, without_names};
use super::{equated_under, in_list_constants, index_key_collations, pin_parts, Pinned};

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
    pin_parts(
        parts
            .iter()
            .map(without_names)
            .zip(collations.iter().copied()),
        with_in,
        |(part, collation)| {
            terms
                .iter()
                .find_map(|term| part_equated(term, part, *collation))
        },
        |(part, collation)| {
            terms
                .iter()
                .find_map(|term| part_in_list(term, part, *collation))
        },
    )
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

/// The best range over an ordered index on expressions of `table` the conjuncts allow:
/// leading parts pinned by equalities (`part_equated`), then bounds (`>`, `>=`, `<`,
/// `<=`, `BETWEEN`) on the next part when it is an expression; most pinned parts, then
/// most bounds. `None` when no index gets a prefix or a bound.
pub(super) fn expression_range(table: &TableDef, terms: &[Expr]) -> Option<AccessPath> {
    let unnamed: Vec<Expr> = terms.iter().map(without_names).collect();
    let mut best: Option<(usize, IndexRange)> = None;
    for index in table
        .indexes
        .iter()
        .filter(|index| index.on_expressions() && predicate_implied(index, terms))
    {
        let Some(collations) = index_collations(index) else {
            continue;
        };
        let parts: Vec<Expr> = parts_of(index).iter().map(without_names).collect();
        let mut prefix = Vec::new();
        for (part, &collation) in parts.iter().zip(&collations) {
            match unnamed
                .iter()
                .find_map(|term| part_equated(term, part, collation))
            {
                Some(value) => prefix.push(value),
                None => break,
            }
        }
        let (lower, upper) = match parts.get(prefix.len()) {
            Some(part) if collations[prefix.len()] == Collation::Binary => {
                part_bounds(&unnamed, part)
            }
            _ => (None, None),
        };
        let score = 2 * prefix.len() + usize::from(lower.is_some()) + usize::from(upper.is_some());
        if score == 0 || best.as_ref().is_some_and(|(best, _)| *best >= score) {
            continue;
        }
        let mut range = IndexRange::whole(index);
        range.prefix = prefix;
        range.lower = lower;
        range.upper = upper;
        best = Some((score, range));
    }
    best.map(|(_, range)| AccessPath::IndexRange(Box::new(range)))
}

/// The bounds the conjuncts `terms` put on expression `part` (compared under BINARY, with
/// constants): the first lower and the first upper bound found.
fn part_bounds(terms: &[Expr], part: &Expr) -> (Option<RangeBound>, Option<RangeBound>) {
    if column_part(part).is_some() {
        return (None, None);
    }
    let (mut lower, mut upper) = (None, None);
    let bound = |value: &Expr, inclusive| {
        value.is_constant().then(|| RangeBound {
            value: value.clone(),
            inclusive,
        })
    };
    for term in terms {
        match term {
            Expr::Between {
                expr,
                low,
                high,
                negated: false,
            } if expr.as_ref() == part => {
                lower = lower.or_else(|| bound(low, true));
                upper = upper.or_else(|| bound(high, true));
            }
            Expr::Binary(op, left, right) => {
                use BinaryOp::*;
                // `part op value`, or `value op part` read the other way round.
                let (op, value) = if left.as_ref() == part {
                    (*op, right)
                } else if right.as_ref() == part {
                    let flipped = match op {
                        Greater => Less,
                        GreaterOrEqual => LessOrEqual,
                        Less => Greater,
                        LessOrEqual => GreaterOrEqual,
                        _ => continue,
                    };
                    (flipped, left)
                } else {
                    continue;
                };
                match op {
                    Greater => lower = lower.or_else(|| bound(value, false)),
                    GreaterOrEqual => lower = lower.or_else(|| bound(value, true)),
                    Less => upper = upper.or_else(|| bound(value, false)),
                    LessOrEqual => upper = upper.or_else(|| bound(value, true)),
                    _ => {}
                }
            }
            _ => {}
        }
    }
    (lower, upper)
}

/// Whether sort key `key` (a bound ORDER BY expression) orders as key part `position` of
/// `index`, an index on expressions, is ordered (`collations`: its ordering collations):
/// the part's own expression, under BINARY.
pub(super) fn sorts_as_part(
    index: &IndexDef,
    position: usize,
    key: &Expr,
    collations: &[Collation],
) -> bool {
    let (Some(part), Some(&collation)) = (parts_of(index).get(position), collations.get(position))
    else {
        return false;
    };
    match column_part(part) {
        Some(column) => super::index_range::column_collation(key, column) == Some(collation),
        None => collation == Collation::Binary && without_names(key) == without_names(part),
    }
}

/// The ranges an ORDER BY over a full scan may walk instead (`index_order.rs`, with a
/// LIMIT): for each ordered index on expressions of `table` the conjuncts `terms` may read
/// through, a whole walk after the parts they pin by equalities.
pub(super) fn order_ranges<'t>(
    table: &'t TableDef,
    terms: &'t [Expr],
) -> impl Iterator<Item = IndexRange> + 't {
    let unnamed: Vec<Expr> = terms.iter().map(without_names).collect();
    table
        .indexes
        .iter()
        .filter(move |index| index.on_expressions() && predicate_implied(index, terms))
        .filter_map(move |index| {
            let collations = index_collations(index)?;
            let mut range = IndexRange::whole(index);
            for (part, &collation) in parts_of(index).iter().zip(&collations) {
                let part = without_names(part);
                match unnamed
                    .iter()
                    .find_map(|term| part_equated(term, &part, collation))
                {
                    Some(value) => range.prefix.push(value),
                    None => break,
                }
            }
            Some(range)
        })
}

#[cfg(test)]
#[path = "expression_index_tests.rs"]
mod tests;
