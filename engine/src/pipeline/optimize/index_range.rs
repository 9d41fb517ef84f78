//! Range access through ordered secondary indexes: from the WHERE conjuncts, the longest
//! run of leading index columns equated with constants (`prefix`), then bounds on the next
//! column from `<`, `<=`, `>`, `>=` and BETWEEN with constants. A term is used only when
//! its column side is the bare column (no affinity conversion of the column: the stored
//! values are compared as they are, in SQLite's order of types, which is the index's order)
//! and its comparison collation is the index column's; then `column op bound` holds exactly
//! when the encoded key is on the right side of the encoded bound, so the range reaches
//! every row the term admits, and the rechecked filter decides the rest.
//!
//! `col LIKE 'abc%'` and `col GLOB 'abc*'` (a literal pattern, no ESCAPE) on a TEXT column
//! (which holds only text or NULL) give a text-prefix range on the next column instead of
//! bounds, when the index column's collation admits every text the pattern can match: a
//! NOCASE column for LIKE (ASCII case folding both), or a BINARY one, where a prefix with
//! ASCII letters ranges over each case variant of its first letters (`prefix_either_case`:
//! a union of ranges, a superset the recheck narrows); GLOB under BINARY, or under NOCASE
//! (a superset the recheck narrows); case-sensitive LIKE (`PRAGMA case_sensitive_like`)
//! under BINARY only, as SQLite: one range of the prefix as written.

use ember_storage::{DataType, Value};

use crate::catalog::{IndexDef, TableDef};
use crate::expr::{BinaryOp, Collation, Expr, Function};
use crate::plan::{AccessPath, IndexRange, KeyRange, RangeBound};

use super::null_range::{add_null_test, null_test_decides};

/// The comparison `op` seen from the column's side (`5 < k` is `k > 5`).
fn flipped(op: BinaryOp) -> BinaryOp {
    match op {
        BinaryOp::Less => BinaryOp::Greater,
        BinaryOp::LessOrEqual => BinaryOp::GreaterOrEqual,
        BinaryOp::Greater => BinaryOp::Less,
        BinaryOp::GreaterOrEqual => BinaryOp::LessOrEqual,
        other => other,
    }
}

/// If `expr` reads table column `column` as it is stored, the collation comparing it.
pub(super) fn column_collation(expr: &Expr, column: usize) -> Option<Collation> {
    match expr {
        // Not under a collation key: the comparison (or sort) is BINARY.
        Expr::Column { .. } | Expr::Collate { .. } => {
            is_column(expr, column).then_some(Collation::Binary)
        }
        Expr::CollationKey { expr, collation } => is_column(expr, column).then_some(*collation),
        _ => None,
    }
}

/// Whether `expr` is column `column` itself (under any `COLLATE`, which passes the value).
fn is_column(expr: &Expr, column: usize) -> bool {
    match expr {
        Expr::Column { index, .. } => *index == column,
        Expr::Collate { expr, .. } => is_column(expr, column),
        _ => false,
    }
}

/// If `term` is `column op constant` (either side) under `collation`, the operator seen
/// from the column and the constant (as the comparison evaluates it).
fn compared(term: &Expr, column: usize, collation: Collation) -> Option<(BinaryOp, &Expr)> {
    let Expr::Binary(op, left, right) = term else {
        return None;
    };
    if !matches!(
        op,
        BinaryOp::Equal
            | BinaryOp::Less
            | BinaryOp::LessOrEqual
            | BinaryOp::Greater
            | BinaryOp::GreaterOrEqual
    ) {
        return None;
    }
    if column_collation(left, column) == Some(collation) && right.is_constant() {
        return Some((*op, right));
    }
    if column_collation(right, column) == Some(collation) && left.is_constant() {
        return Some((flipped(*op), left));
    }
    None
}

/// The bounds the conjuncts put on `column` under `collation` (the first of each side).
fn bounds_of(
    terms: &[Expr],
    column: usize,
    collation: Collation,
) -> (Option<RangeBound>, Option<RangeBound>) {
    let (mut lower, mut upper) = (None, None);
    let bound = |value: &Expr, inclusive| RangeBound {
        value: value.clone(),
        inclusive,
    };
    for term in terms {
        if let Expr::Between {
            expr,
            low,
            high,
            negated: false,
        } = term
        {
            if column_collation(expr, column) == Some(collation)
                && low.is_constant()
                && high.is_constant()
            {
                lower = lower.or_else(|| Some(bound(low, true)));
                upper = upper.or_else(|| Some(bound(high, true)));
            }
            continue;
        }
        match compared(term, column, collation) {
            Some((BinaryOp::Greater, value)) if lower.is_none() => {
                lower = Some(bound(value, false))
            }
            Some((BinaryOp::GreaterOrEqual, value)) if lower.is_none() => {
                lower = Some(bound(value, true))
            }
            Some((BinaryOp::Less, value)) if upper.is_none() => upper = Some(bound(value, false)),
            Some((BinaryOp::LessOrEqual, value)) if upper.is_none() => {
                upper = Some(bound(value, true))
            }
            _ => {}
        }
    }
    (lower, upper)
}

/// The literal text every match of `term` starts with, when `term` is `column LIKE 'p..'` or
/// `column GLOB 'p..'` on TEXT column `column` and an index column under `collation` holds
/// every text that starts with it together, or (true beside it) every text that starts with
/// one of its case variants (see the module comment).
fn text_prefix_of(
    table: &TableDef,
    term: &Expr,
    column: usize,
    collation: Collation,
) -> Option<(String, bool)> {
    let Expr::Function { function, args } = term else {
        return None;
    };
    let [Expr::Literal(Value::Text(pattern)), Expr::Column { index, .. }] = args.as_slice() else {
        return None;
    };
    if *index != column || table.columns.get(column)?.data_type != DataType::Text {
        return None;
    }
    let wildcards: &[char] = match function {
        Function::Like | Function::LikeCaseSensitive => &['%', '_'],
        Function::Glob => &['*', '?', '['],
        _ => return None,
    };
    let prefix = &pattern[..pattern.find(wildcards).unwrap_or(pattern.len())];
    let either_case = match (function, collation) {
        (Function::Like, Collation::NoCase)
        | (Function::Glob | Function::LikeCaseSensitive, Collation::Binary)
        | (Function::Glob, Collation::NoCase) => false,
        (Function::Like, Collation::Binary) => prefix.bytes().any(|b| b.is_ascii_alphabetic()),
        _ => return None,
    };
    (!prefix.is_empty()).then(|| (prefix.to_string(), either_case))
}

/// The collation of each column of an ordered index (`None` for a hash index).
pub(super) fn index_collations(index: &IndexDef) -> Option<Vec<Collation>> {
    let ordered = index.storage.ordered()?;
    Some(
        ordered
            .collations()
            .iter()
            .map(|&key| {
                [Collation::Binary, Collation::NoCase, Collation::RTrim]
                    .into_iter()
                    .find(|collation| collation.index_collation() == key)
                    .unwrap_or(Collation::Binary)
            })
            .collect(),
    )
}

/// The constants the conjuncts equate the leading columns of `index` with (as long a run
/// as they pin), under each column's collation.
pub(super) fn equality_prefix(
    index: &IndexDef,
    collations: &[Collation],
    terms: &[Expr],
) -> Vec<Expr> {
    let mut prefix = Vec::new();
    for (&column, &collation) in index.columns.iter().zip(collations) {
        let pinned = terms
            .iter()
            .find_map(|term| match compared(term, column, collation) {
                Some((BinaryOp::Equal, value)) => Some(value.clone()),
                _ => None,
            });
        match pinned {
            Some(value) => prefix.push(value),
            None => break,
        }
    }
    prefix
}

/// Whether conjunct `term` of an access's filter holds for exactly the rows `range`
/// reaches (the module comment): a prefix column's `= value`, or the ranged column's bound
/// (`BETWEEN` both bounds), with the very value and collation the range was made from, or
/// a NULL test the range holds (`null_range::null_test_decides`). A
/// walk of the range need not check it again (`exec::aggregate::counted`).
pub fn range_decides(range: &IndexRange, term: &Expr) -> bool {
    if matches!(term, Expr::IsNull { .. }) {
        return null_test_decides(range, term);
    }
    let Some(collations) = index_collations(&range.index) else {
        return false;
    };
    let columns = &range.index.columns;
    let prefix_decides = range
        .prefix
        .iter()
        .zip(columns.iter().zip(&collations))
        .any(|(value, (&column, &collation))| {
            matches!(compared(term, column, collation),
                Some((BinaryOp::Equal, equated)) if equated == value)
        });
    if prefix_decides {
        return true;
    }
    let position = range.ranged_position();
    let (Some(&column), Some(&collation)) = (columns.get(position), collations.get(position))
    else {
        return false;
    };
    if let Some(prefix) = &range.text_prefix {
        return text_prefix_decides(range, prefix, term, column, collation);
    }
    bounds_decide(&range.lower, &range.upper, term, column, collation)
}

/// Whether `term` is exactly one of the bounds `lower` and `upper` of `column` (under
/// `collation`) were made from (`bounds_of`): `>`, `>=`, `<`, `<=` with the bound's value
/// and inclusiveness, or a `BETWEEN` whose two ends are both bounds. Such a term holds for
/// every row of a walk between those bounds.
fn bounds_decide(
    lower: &Option<RangeBound>,
    upper: &Option<RangeBound>,
    term: &Expr,
    column: usize,
    collation: Collation,
) -> bool {
    let is_bound = |bound: &Option<RangeBound>, value: &Expr, inclusive: bool| {
        bound
            .as_ref()
            .is_some_and(|bound| bound.inclusive == inclusive && bound.value == *value)
    };
    if let Expr::Between {
        expr,
        low,
        high,
        negated: false,
    } = term
    {
        return column_collation(expr, column) == Some(collation)
            && is_bound(lower, low, true)
            && is_bound(upper, high, true);
    }
    match compared(term, column, collation) {
        Some((BinaryOp::Greater, value)) => is_bound(lower, value, false),
        Some((BinaryOp::GreaterOrEqual, value)) => is_bound(lower, value, true),
        Some((BinaryOp::Less, value)) => is_bound(upper, value, false),
        Some((BinaryOp::LessOrEqual, value)) => is_bound(upper, value, true),
        _ => false,
    }
}

/// Whether `term` holds for exactly the texts a range of text `prefix` on `column` (under
/// `collation`) reaches: `column LIKE 'prefix%'` under NOCASE or BINARY (ASCII letters in
/// either case, when none was cut off, `CASED_LETTERS_MAX`), or `column GLOB 'prefix*'`
/// or case-sensitive `column LIKE 'prefix%'` under BINARY. The column is TEXT (the range
/// was made from such a term on it), so NULL is the only other value, and it is in no
/// range.
fn text_prefix_decides(
    range: &IndexRange,
    prefix: &str,
    term: &Expr,
    column: usize,
    collation: Collation,
) -> bool {
    let Expr::Function { function, args } = term else {
        return false;
    };
    let [Expr::Literal(Value::Text(pattern)), Expr::Column { index, .. }] = args.as_slice() else {
        return false;
    };
    let Some(rest) = pattern.strip_prefix(prefix) else {
        return false;
    };
    let letters = prefix.bytes().filter(u8::is_ascii_alphabetic).count();
    *index == column
        && match (function, collation) {
            (Function::Like, Collation::NoCase) => rest == "%",
            (Function::Like, Collation::Binary) => {
                rest == "%"
                    && range.prefix_either_case == (letters > 0)
                    && letters <= crate::plan::CASED_LETTERS_MAX
            }
            (Function::Glob, Collation::Binary) => rest == "*",
            (Function::LikeCaseSensitive, Collation::Binary) => rest == "%",
            _ => false,
        }
}

/// The best range over an ordered index of `table` the conjuncts allow: most prefix
/// columns, then a bound or NULL test (`null_range::add_null_test`); `None` when no index
/// gets a prefix, a bound or a NULL test. Without `null_tests`, NULL tests are left to
/// the recheck (an OR's branch reaches NULL keys its own way: `or_union.rs`).
pub(super) fn index_range(
    table: &TableDef,
    terms: &[Expr],
    null_tests: bool,
) -> Option<AccessPath> {
    let mut best: Option<(usize, IndexRange)> = None;
    for index in super::partial_index::usable_indexes(table, terms) {
        let Some(collations) = index_collations(index) else {
            continue;
        };
        let prefix = equality_prefix(index, &collations, terms);
        let (mut lower, mut upper, mut text_prefix) = (None, None, None);
        let mut prefix_either_case = false;
        if let Some(&column) = index.columns.get(prefix.len()) {
            let collation = collations[prefix.len()];
            (lower, upper) = bounds_of(terms, column, collation);
            // A prefix beats one bound (it bounds both sides), not two.
            if lower.is_none() || upper.is_none() {
                let found = terms
                    .iter()
                    .find_map(|term| text_prefix_of(table, term, column, collation));
                if let Some((text, either_case)) = found {
                    (lower, upper) = (None, None);
                    text_prefix = Some(text);
                    prefix_either_case = either_case;
                }
            }
        }
        let bounded = 2 * usize::from(text_prefix.is_some())
            + usize::from(lower.is_some())
            + usize::from(upper.is_some());
        let prefix_score = 2 * prefix.len();
        let mut range = IndexRange {
            index: index.clone(),
            prefix,
            lower,
            upper,
            text_prefix,
            prefix_either_case,
            descending: false,
            skip_nulls: false,
            only_nulls: false,
            first_only: false,
            rows_taken: None,
        };
        let tested = if null_tests {
            add_null_test(table, &mut range, terms)
        } else {
            0
        };
        let score = prefix_score + bounded + tested;
        if score == 0 || best.as_ref().is_some_and(|(best, _)| *best >= score) {
            continue;
        }
        best = Some((score, range));
    }
    best.map(|(_, range)| AccessPath::IndexRange(Box::new(range)))
}

/// A range of a clustered table's INTEGER key (`KeyRange`) from the conjuncts' bounds on
/// it; with `closed`, only when both sides are bounded.
pub(super) fn key_range(table: &TableDef, terms: &[Expr], closed: bool) -> Option<AccessPath> {
    let [column] = table.primary_key.as_slice() else {
        return None;
    };
    let storage = &table.storage;
    if !storage.is_clustered() || storage.schema().integer_key_column() != Some(*column) {
        return None;
    }
    let (lower, upper) = bounds_of(terms, *column, Collation::Binary);
    let usable = if closed {
        lower.is_some() && upper.is_some()
    } else {
        lower.is_some() || upper.is_some()
    };
    usable.then(|| AccessPath::KeyRange(Box::new(KeyRange { lower, upper })))
}

/// `filter` without the conjuncts whose bounds `range` holds (see `bounds_of`): what a row
/// of the range's window must still pass when the window's bounds are exact
/// (`exec::scan::key_range`), as every direct row there has its key as row id. A BETWEEN goes
/// only when both its ends are the range's.
pub(super) fn key_range_residual(
    table: &TableDef,
    range: &KeyRange,
    filter: &Expr,
) -> Option<Expr> {
    let [column] = table.primary_key.as_slice() else {
        return Some(filter.clone());
    };
    let decided =
        |term: &Expr| bounds_decide(&range.lower, &range.upper, term, *column, Collation::Binary);
    super::without_terms(filter, decided)
}

/// The rows a key range of `table` reads, estimated for join order. Between integer
/// literal bounds (an open side bounded by the direct keys, which run from 0 to the slot
/// array's end): the direct keys in that window, plus every overflow row (walked whole);
/// else a third of the rows per bound. Never more than the table's rows.
pub fn key_range_rows(range: &KeyRange, table: &TableDef) -> u64 {
    let table_rows = super::table_rows(table);
    let literal = |bound: &Option<RangeBound>| match bound {
        Some(RangeBound {
            value: Expr::Literal(Value::Integer(i)),
            ..
        }) => Some(i128::from(*i)),
        _ => None,
    };
    let [direct, overflow] = table.storage.row_ranges();
    let (low, high) = (literal(&range.lower), literal(&range.upper));
    let (low, high) = match (&range.lower, &range.upper, low, high) {
        (_, _, Some(low), Some(high)) => (low, high),
        (None, _, None, Some(high)) => (0, high),
        (_, None, Some(low), None) => (low, i128::from(direct.end)),
        _ => {
            let bounds = u32::from(range.lower.is_some()) + u32::from(range.upper.is_some());
            return (table_rows / 3u64.pow(bounds)).max(1);
        }
    };
    let direct_end = i128::from(direct.end);
    let width = high.min(direct_end - 1) - low.max(0) + 1;
    let overflow_rows = i128::from(overflow.end - overflow.start);
    u64::try_from(width.max(0) + overflow_rows)
        .unwrap_or(u64::MAX)
        .min(table_rows)
}
