//! Counts of an index lookup as a counted range. `SELECT count(*) FROM t WHERE col = ?`
//! reaches its rows by an equality lookup of an index on `col`; when that index is ordered
//! its entries for the key are one range of the ordered entries, so the lookup becomes an
//! `IndexRange` whose prefix is the looked-up key, and the aggregate's strategy
//! (`RangeCount`, chosen later by `choose_strategies`) counts the range's entries instead of
//! reading each row into the executor. The prefix is the one the range rule takes from the
//! same conjuncts (`equality_prefix`, under the collations the ordered entries are keyed
//! by), so the range reaches what a range chosen for them would; every aggregate must be a
//! count of rows (`counts_range_rows`), and the counting walk rechecks whatever conjunct the
//! range does not decide. The same holds for a correlated key (`o.tid = u.id` in a
//! subquery): the range's prefix is evaluated per outer row as the lookup's values were.
//! The index's statistics must say a key holds enough rows for the walk's setup to pay
//! (`COUNTED_ROWS_PER_KEY_MIN`); an empty index keeps the lookup.

use crate::expr::Expr;
use crate::plan::{counts_range_rows, AccessPath, IndexRange, Node};

use super::index_range::{equality_prefix, index_collations};
use super::null_range::aggregated_scan;

/// Rows a key must hold on average (the index's statistics when the plan is made) for its
/// counted range to pay: opening a range walk costs about what reading a dozen rows
/// through the lookup does (callgrind, a correlated `count(*)` of ~5 rows per key: ~4,200
/// instructions a count by range against ~3,300 by lookup), and each row the range counts
/// costs a fraction of one the lookup reads.
const COUNTED_ROWS_PER_KEY_MIN: f64 = 16.0;

/// Rewrites the index lookup under an aggregate of `node`'s level (`Project` over
/// `Aggregate` over a `Scan`) into the range of its key when the index is ordered, the
/// range rule pins the same whole key, and the aggregate only counts rows (see the module
/// comment).
pub fn count_lookup_by_range(node: &mut Node) {
    let Some((access, group_by, aggregates)) = aggregated_scan(node) else {
        return;
    };
    let AccessPath::IndexLookup { index, .. } = &access.path else {
        return;
    };
    // The range rule matches columns: an index on expressions has none.
    if index.on_expressions() {
        return;
    }
    let Some(collations) = index_collations(index) else {
        return;
    };
    if !index
        .storage
        .rows_per_key()
        .is_some_and(|rows| rows >= COUNTED_ROWS_PER_KEY_MIN)
    {
        return;
    }
    // The prefix the range rule takes from the same conjuncts: a whole key, pinned under
    // the collations the ordered entries are keyed by.
    let terms: Vec<Expr> = access
        .filter
        .clone()
        .map(Expr::into_conjuncts)
        .unwrap_or_default();
    let prefix = equality_prefix(index, &collations, &terms);
    if prefix.len() != index.columns.len() {
        return;
    }
    let mut range = IndexRange::whole(index);
    range.prefix = prefix;
    if !counts_range_rows(&range, group_by, aggregates) {
        return;
    }
    debug_assert_eq!(range.ranged_position(), index.columns.len());
    access.path = AccessPath::IndexRange(Box::new(range));
    // The residual was the lookup's; a range's filter is rechecked where the range does
    // not decide it (`exec::aggregate::counted`).
    access.key_residual = None;
}
