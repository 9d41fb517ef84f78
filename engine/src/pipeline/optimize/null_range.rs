//! NULL tests as index ranges. An ordered index holds NULL keys (first in key order), so
//! `col IS NULL` on its ranged column (the one after the equality prefix) is the range of
//! keys holding NULL there (`IndexRange::only_nulls`), and `col IS NOT NULL` the range past
//! them (`IndexRange::skip_nulls`); either decides its term exactly, as a bound does
//! (`range_decides`), and a bound on the column decides `col IS NOT NULL` too (NULL is in
//! no range).
//!
//! Alone (no prefix, no bound), a NULL test is taken as the range only when the index's
//! statistics say it pays (`test_pays`): its NULL entries (the ordered entries the hash map
//! leaves out, `null_split`) few enough for `IS NULL`, its non-NULL ones for `IS NOT NULL`,
//! against the table's rows: a walk that reaches most rows reads them out of table order,
//! where a scan reads them in order. A counting aggregate over a whole-table scan whose
//! filter such a range decides (`count_by_index`) is the exception: the range is counted
//! from the index entries (`exec::aggregate::counted`), cheaper than a scan however many rows it
//! holds.

use crate::catalog::{IndexDef, TableDef};
use crate::expr::Expr;
use crate::plan::{
    counts_range_rows, AccessPath, AggregateCall, AggregateFunction, IndexRange, Node, TableAccess,
};

use super::index_range::range_decides;

/// A walk reaching a row costs about this many rows of a scan (a random read).
const WALK_ROW_COST: u64 = 3;

/// If `term` tests table column `column` (the bare column, under any COLLATE) for NULL:
/// `Some(true)` for `IS NULL`, `Some(false)` for `IS NOT NULL`.
pub(super) fn null_tested(term: &Expr, column: usize) -> Option<bool> {
    let Expr::IsNull { expr, negated } = term else {
        return None;
    };
    let mut inner = expr.as_ref();
    while let Expr::Collate { expr, .. } = inner {
        inner = expr;
    }
    matches!(inner, Expr::Column { index, .. } if *index == column).then_some(!negated)
}

/// The NULL test the conjuncts `terms` put on `column`: `IS NULL` before `IS NOT NULL`
/// (together they admit no row, which the recheck finds).
pub(super) fn null_test(terms: &[Expr], column: usize) -> Option<bool> {
    let mut found = None;
    for term in terms {
        match null_tested(term, column) {
            Some(true) => return Some(true),
            Some(false) => found = Some(false),
            None => {}
        }
    }
    found
}

/// About how many entries of `index` hold NULL in some key part and how many hold none:
/// its ordered entries against its hash map's (which leaves NULL keys out), stale entries
/// included. `None` for a hash index.
fn null_split(index: &IndexDef) -> Option<(u64, u64)> {
    let ordered = index.storage.ordered()?.len();
    let hashed = index.storage.entries();
    let count = |n: usize| u64::try_from(n).unwrap_or(u64::MAX);
    Some((count(ordered.saturating_sub(hashed)), count(hashed)))
}

/// Whether a walk of the rows `index`'s first column tests NULL (`is_null`) or not NULL in
/// is estimated cheaper than a scan of `table`. The NULL entries counted are those with a
/// NULL in any part, at least those with one in the first, so `IS NOT NULL` is judged only
/// on one-column indexes.
pub(super) fn test_pays(table: &TableDef, index: &IndexDef, is_null: bool) -> bool {
    let Some((nulls, values)) = null_split(index) else {
        return false;
    };
    let scan = super::table_rows(table);
    if is_null {
        nulls.saturating_mul(WALK_ROW_COST) <= scan
    } else {
        index.columns.len() == 1 && values.saturating_mul(WALK_ROW_COST) < scan
    }
}

/// Whether `term`, a NULL test, holds for exactly the rows `range` reaches: `IS NOT NULL`
/// of a prefix column (a NULL prefix value reaches no row) or of the ranged column when
/// bounded or past its NULLs, `IS NULL` of the ranged column when only its NULLs are.
pub(super) fn null_test_decides(range: &IndexRange, term: &Expr) -> bool {
    let ranged = range.ranged_position();
    range
        .index
        .columns
        .iter()
        .enumerate()
        .take(ranged + 1)
        .any(|(position, &column)| match null_tested(term, column) {
            Some(false) if position < ranged => true,
            Some(false) => {
                range.skip_nulls
                    || range.lower.is_some()
                    || range.upper.is_some()
                    || range.text_prefix.is_some()
            }
            Some(true) => position == ranged && range.only_nulls,
            None => false,
        })
}

/// Makes a NULL test among `terms` on `range`'s ranged column part of the range (see the
/// module comment; `test_pays` unless a prefix already narrows it); returns the score it
/// adds (2 for `IS NULL`, which pins the column as an equality does, 1 for `IS NOT NULL`).
pub(super) fn add_null_test(table: &TableDef, range: &mut IndexRange, terms: &[Expr]) -> usize {
    let position = range.ranged_position();
    let Some(&column) = range.index.columns.get(position) else {
        return 0;
    };
    let bounded = range.lower.is_some() || range.upper.is_some() || range.text_prefix.is_some();
    let Some(is_null) = null_test(terms, column) else {
        return 0;
    };
    if bounded || !(position > 0 || test_pays(table, &range.index, is_null)) {
        return 0;
    }
    if is_null {
        range.only_nulls = true;
        2
    } else {
        range.skip_nulls = true;
        1
    }
}

/// Makes a NULL test among `terms` on `range`'s ranged column part of the range, for a
/// walk chosen for its order (which it only narrows). Past the NULLs a walk starts by a
/// seek (or ends at an encoded bound), which costs more than rechecking a few rows:
/// `IS NOT NULL` is taken only when the index holds NULL keys (`null_split`).
pub(super) fn narrow_by_null_test(range: &mut IndexRange, terms: &[Expr]) {
    let Some(&column) = range.index.columns.get(range.ranged_position()) else {
        return;
    };
    match null_test(terms, column) {
        Some(true) => range.only_nulls = true,
        Some(false) => {
            let holds_nulls = null_split(&range.index).is_some_and(|(nulls, _)| nulls > 0);
            range.skip_nulls = holds_nulls;
        }
        None => {}
    }
}

/// A query level `Project` over an `Aggregate` of counts (`counts_range_rows`) over a
/// whole-table scan: when a NULL-test range of one of the table's ordered indexes decides
/// every conjunct of the filter, the scan becomes that range, counted from the index
/// entries (see the module comment). Without a NULL test in the filter, aggregates that
/// are all `count(col)` of an index's first column count the range past its NULLs: the
/// rows it leaves out add nothing to them.
pub fn count_by_index(node: &mut Node) {
    let Some((access, group_by, aggregates)) = aggregated_scan(node) else {
        return;
    };
    if !matches!(access.path, AccessPath::FullScan) || aggregates.is_empty() {
        return;
    }
    let terms = access
        .filter
        .clone()
        .map(Expr::into_conjuncts)
        .unwrap_or_default();
    let found = super::partial_index::usable_indexes(&access.table, &terms).find_map(|index| {
        index.storage.ordered()?;
        let &column = index.columns.first()?;
        let mut range = IndexRange::whole(index);
        match null_test(&terms, column) {
            Some(true) => range.only_nulls = true,
            Some(false) => range.skip_nulls = true,
            None if aggregates.iter().all(|call| counts_column(call, column)) => {
                range.skip_nulls = true
            }
            None => return None,
        }
        let decided = terms.iter().all(|term| range_decides(&range, term));
        (decided && counts_range_rows(&range, group_by, aggregates)).then_some(range)
    });
    if let Some(range) = found {
        access.path = AccessPath::IndexRange(Box::new(range));
    }
}

/// The scan under a level's aggregate (`Project` over `Aggregate` over `Scan`), with the
/// aggregate's GROUP BY and calls; `None` for a level of any other shape.
pub(super) fn aggregated_scan(
    node: &mut Node,
) -> Option<(&mut TableAccess, &[Expr], &[AggregateCall])> {
    let Node::Project { input, .. } = node else {
        return None;
    };
    let Node::Aggregate {
        input: scan,
        group_by,
        aggregates,
        ..
    } = input.as_mut()
    else {
        return None;
    };
    let Node::Scan(access) = scan.as_mut() else {
        return None;
    };
    Some((access, group_by, aggregates))
}

/// Whether `call` is a plain `count(col)` of table column `column` (no DISTINCT, FILTER).
fn counts_column(call: &AggregateCall, column: usize) -> bool {
    call.function == AggregateFunction::Count
        && !call.distinct
        && call.filter.is_none()
        && matches!(call.args.as_slice(), [Expr::Column { index, .. }] if *index == column)
}
