//! How a join reaches its right side, and the simple table statistics the join planner
//! uses. An equi-join whose right side is a base table with a primary key or a secondary
//! index covering the join columns can probe that key once per left row (an index
//! nested-loop join) instead of reading the whole table into a hash table; the choice is by
//! estimated cost:
//! - probing costs `PROBE_COST` per left row, plus the rows each probe returns (one for a
//!   primary key or unique index; for another index its average rows per key, which its
//!   hash half counts as it is written, at most `ROWS_PER_KEY_GUESS`, the guess while it
//!   is empty);
//! - hashing costs reading the right side, `BUILD_COST` per row of the smaller side and one
//!   step per row of the larger (`optimize/join_order.rs` builds on the smaller side).
//!
//! A key column qualifies only when its side of the equality is the bare column: then the
//! comparison converts only the left value (affinity) and compares under BINARY, exactly
//! what converting the probe to the column's type (`coerce_to_column`) and looking it up
//! finds. The equalities and the join condition are still rechecked on each joined row.

use ember_storage::index::SecondaryIndex;

use crate::catalog::TableDef;
use crate::expr::Expr;
use crate::plan::{AccessPath, JoinProbe, Node, TableAccess};

/// Cost of one key probe beyond reading the rows it finds (hash lookup, visibility check).
const PROBE_COST: u64 = 2;
/// Cost of reading one row into a hash join's table.
const BUILD_COST: u64 = 3;
/// Rows a non-unique index returns per key, without statistics.
pub const ROWS_PER_KEY_GUESS: u64 = 10;

/// A table's row count: the slots it has used (deleted rows included until reused), which
/// storage keeps and which costs nothing to read.
pub fn table_rows(table: &TableDef) -> u64 {
    table.storage.slots_in_use()
}

/// Rows the planner guesses for a relation that is not a base table (a derived table, a
/// view, a CTE).
pub const DERIVED_ROWS_ESTIMATE: u64 = 1_000;

/// About how many rows a scan of `access` reaches: the table's for a full scan, the key
/// range's width for a key range, 1 for a lookup (or any other path).
pub fn scanned_rows(access: &TableAccess) -> u64 {
    match &access.path {
        AccessPath::FullScan => table_rows(&access.table),
        AccessPath::KeyRange(range) => super::key_range_rows(range, &access.table),
        _ => 1,
    }
}

/// What joining one more relation costs, as `join_access` estimates it.
pub struct JoinChoice {
    /// The key probe to use; `None`: a hash join (or a nested loop without keys).
    pub probe: Option<JoinProbe>,
    /// About how many rows the join gives.
    pub rows: u64,
    /// About how much work the join does (rows read, hashed or probed).
    pub cost: u64,
}

/// How an INNER or LEFT join with these equality keys (`left_keys[i] = right_keys[i]`)
/// should reach `right` (about `inner_rows` rows) when about `outer_rows` left rows drive
/// it: the probe to use (`None`: hash), about how many rows the join gives and its cost.
/// `build_either_side`: a hash join may build on the left side when it is the smaller (an
/// INNER join); a LEFT join always builds on its right side.
pub fn join_access(
    right: &Node,
    left_keys: &[Expr],
    right_keys: &[Expr],
    outer_rows: u64,
    inner_rows: u64,
    build_either_side: bool,
) -> JoinChoice {
    if right_keys.is_empty() {
        // A nested loop over the product.
        let rows = outer_rows.saturating_mul(inner_rows);
        return JoinChoice {
            probe: None,
            rows,
            cost: rows.saturating_add(inner_rows),
        };
    }
    let hashed_rows = outer_rows.max(inner_rows);
    // Read the right side, hash the smaller side (or the right one), probe with the other.
    let (built, probing) = if build_either_side {
        (outer_rows.min(inner_rows), hashed_rows)
    } else {
        (inner_rows, outer_rows)
    };
    let hash_cost = inner_rows
        .saturating_add(built.saturating_mul(BUILD_COST))
        .saturating_add(probing);
    let hashed = |rows: u64| JoinChoice {
        probe: None,
        rows,
        cost: hash_cost,
    };
    let Node::Scan(access) = right else {
        return hashed(hashed_rows);
    };
    let Some((per_key, probe)) = best_probe(access, left_keys, right_keys) else {
        return hashed(hashed_rows);
    };
    let rows = outer_rows
        .saturating_mul(per_key)
        .min(hashed_rows.max(outer_rows));
    if !matches!(access.path, AccessPath::FullScan) {
        // A lookup already narrows the right side to a few rows: hash those.
        return hashed(rows);
    }
    let probe_cost = outer_rows.saturating_mul(PROBE_COST + per_key);
    if probe_cost < hash_cost {
        JoinChoice {
            probe: Some(probe),
            rows,
            cost: probe_cost,
        }
    } else {
        hashed(rows)
    }
}

/// The key of `access`'s table every column of which a join equality binds (its right side
/// the bare column) or the access filter equates with a constant: the primary key, else
/// the secondary index returning the fewest rows per key. With the rows per key.
fn best_probe(
    access: &TableAccess,
    left_keys: &[Expr],
    right_keys: &[Expr],
) -> Option<(u64, JoinProbe)> {
    let table = &access.table;
    let filter_terms = access
        .filter
        .clone()
        .map(Expr::into_conjuncts)
        .unwrap_or_default();
    let value_of = |column: usize| {
        right_keys
            .iter()
            .position(|key| matches!(key, Expr::Column { index, .. } if *index == column))
            .map(|pair| left_keys[pair].clone())
            .or_else(|| {
                filter_terms
                    .iter()
                    .find_map(|term| super::equated_constant(term, column))
            })
    };
    let values_for = |columns: &[usize]| -> Option<Vec<Expr>> {
        let values: Vec<Expr> = columns
            .iter()
            .map(|&c| value_of(c))
            .collect::<Option<_>>()?;
        // At least one column bound by the join (else the access path would have served).
        values.iter().any(|v| !v.is_constant()).then_some(values)
    };
    if !table.primary_key.is_empty() {
        if let Some(values) = values_for(&table.primary_key) {
            return Some((
                1,
                JoinProbe {
                    index: None,
                    values,
                    right_unread: false,
                },
            ));
        }
    }
    let mut indexes: Vec<_> = super::partial_index::full_indexes(table).collect();
    indexes.sort_by_key(|index| (!index.unique, std::cmp::Reverse(index.columns.len())));
    indexes.into_iter().find_map(|index| {
        let values = values_for(&index.columns)?;
        let per_key = if index.unique {
            1
        } else {
            rows_per_key(&index.storage)
        };
        Some((
            per_key,
            JoinProbe {
                index: Some(index.clone()),
                values,
                right_unread: false,
            },
        ))
    })
}

/// About how many rows a probe of `index` finds: its (key, row) pairs over its distinct
/// keys, rounded up (the index keeps both counts), at most `ROWS_PER_KEY_GUESS` (the
/// guess while it is empty). Capped: the hash cost leaves out the rows a join gives, which
/// the probe cost counts, so a selective index only makes probing cheaper than guessed.
fn rows_per_key(index: &SecondaryIndex) -> u64 {
    match index.rows_per_key() {
        Some(rows) => (rows.ceil() as u64).clamp(1, ROWS_PER_KEY_GUESS),
        None => ROWS_PER_KEY_GUESS,
    }
}
