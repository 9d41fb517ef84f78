//! Rule: SQLite's index hints on a table in FROM (`plan::IndexHint`). The access path of
//! a hinted reference is chosen from the table as its hint lets the optimizer see it, so
//! every rule that picks an index (lookups, ranges, ORDER BY and GROUP BY walks, join
//! probes, OR unions) keeps to it:
//! - `NOT INDEXED` hides every secondary index; primary-key lookups and ranges stay, as
//!   SQLite's rowid lookups do.
//! - `INDEXED BY i` hides every other index and the primary key: a lookup or range of
//!   `i` serves the filter when one fits, else the scan walks all of `i` (as SQLite's full
//!   index scan). A partial `i` whose WHERE the query's does not imply (its own filter and
//!   the join terms that read it, as SQLite's `whereUsablePartialIndex`) cannot serve, nor
//!   can a `USING HASH` one no lookup fits: SQLite's `no query solution`.

use std::sync::Arc;

use crate::catalog::TableDef;
use crate::error::Result;
use crate::expr::Expr;
use crate::plan::{AccessPath, IndexHint, IndexRange, TableAccess};

/// The access of a table reference carrying `hint` to the rows of `table` that pass
/// `filter` (see the module comment); without a hint, the optimizer's own choice.
/// `joined`: the join's other conjuncts that read the table, over its row (other
/// relations' columns past its width), which may imply a partial index's WHERE too.
pub fn hinted_access(
    table: Arc<TableDef>,
    hint: Option<&IndexHint>,
    filter: Option<Expr>,
    joined: &[Expr],
) -> Result<TableAccess> {
    let Some(hint) = hint else {
        return Ok(super::choose_access(table, filter));
    };
    let mut access = super::choose_access(Arc::new(seen_through(&table, hint)), filter);
    if let IndexHint::IndexedBy(name) = hint {
        if matches!(access.path, AccessPath::FullScan) {
            access.path = whole_index_walk(&access, name, joined)?;
        }
    }
    Ok(access)
}

/// `table` as `hint` lets the optimizer see it: with only the index `INDEXED BY` names
/// and no primary key, or with no secondary index for `NOT INDEXED`.
fn seen_through(table: &TableDef, hint: &IndexHint) -> TableDef {
    let mut seen = table.clone();
    match hint {
        IndexHint::NotIndexed => seen.indexes.clear(),
        IndexHint::IndexedBy(name) => {
            seen.indexes
                .retain(|index| index.name.eq_ignore_ascii_case(name));
            seen.primary_key.clear();
        }
    }
    debug_assert!(seen.indexes.len() <= 1 || matches!(hint, IndexHint::NotIndexed));
    seen
}

/// A walk of every entry of the index `name` (the one the access's table shows), for an
/// access no lookup or range of it serves; `no query solution` when the index cannot (a
/// partial one whose WHERE neither the filter nor `joined` implies).
fn whole_index_walk(access: &TableAccess, name: &str, joined: &[Expr]) -> Result<AccessPath> {
    let no_solution = || crate::err!(InvalidInput, "no query solution");
    let index = access.table.index(name).ok_or_else(no_solution)?;
    let mut terms = access
        .filter
        .clone()
        .map_or_else(Vec::new, Expr::into_conjuncts);
    terms.extend_from_slice(joined);
    if !super::partial_index::predicate_implied(index, &terms) {
        return Err(no_solution());
    }
    if index.storage.ordered().is_none() {
        return Err(crate::err!(
            InvalidInput,
            "no query solution: the USING HASH index {} serves lookups only",
            index.name
        ));
    }
    Ok(AccessPath::IndexRange(Box::new(IndexRange::whole(index))))
}
