//! How a join reaches its right side, and the simple table statistics the join planner
//! uses. An equi-join whose right side is a base table with a primary key or a secondary
//! index covering the join columns can probe that key once per left row (an index
//! nested-loop join) instead of reading the whole table into a hash table; the choice is by
//! estimated cost:
//! - probing costs `PROBE_COST` per left row, plus the rows each probe returns (one for a
//!   primary key or unique index, `ROWS_PER_KEY_GUESS` for another index: no distinct
//!   counts are kept, as SQLite guesses without ANALYZE);
//! - hashing costs `BUILD_COST` per right row plus one step per left row.
//!
//! A key column qualifies only when its side of the equality is the bare column: then the
//! comparison converts only the left value (affinity) and compares under BINARY, exactly
//! what converting the probe to the column's type (`coerce_to_column`) and looking it up
//! finds. The equalities and the join condition are still rechecked on each joined row.

use crate::catalog::TableDef;
use crate::expr::Expr;
use crate::plan::{AccessPath, JoinProbe, Node};

/// Cost of one key probe (hash lookup, visibility check, decode), in row-steps.
const PROBE_COST: u64 = 4;
/// Cost of reading one row into a hash join's table.
const BUILD_COST: u64 = 3;
/// Rows a non-unique index returns per key, without statistics.
pub const ROWS_PER_KEY_GUESS: u64 = 10;

/// A table's row count: the slots it has used (deleted rows included until reused), which
/// storage keeps and which costs nothing to read.
pub fn table_rows(table: &TableDef) -> u64 {
    table.storage.slot_count()
}

/// The probe an INNER or LEFT join with these equality keys should use on `right` when
/// about `outer_rows` left rows drive it; `None` to hash (or when nothing qualifies).
pub fn choose_probe(right: &Node, right_keys: &[Expr], outer_rows: u64) -> Option<JoinProbe> {
    let Node::Scan(access) = right else {
        return None;
    };
    if !matches!(access.path, AccessPath::FullScan) || right_keys.is_empty() {
        return None;
    }
    let table = &access.table;
    // The pair binding each column, when its right side is the bare column.
    let pair_of = |column: usize| {
        right_keys
            .iter()
            .position(|key| matches!(key, Expr::Column { index, .. } if *index == column))
    };
    let pairs_for =
        |columns: &[usize]| -> Option<Vec<usize>> { columns.iter().map(|&c| pair_of(c)).collect() };
    let mut best: Option<(u64, JoinProbe)> = None;
    if !table.primary_key.is_empty() {
        if let Some(pairs) = pairs_for(&table.primary_key) {
            best = Some((1, JoinProbe { index: None, pairs }));
        }
    }
    if best.is_none() {
        let mut indexes: Vec<_> = table.indexes.iter().collect();
        indexes.sort_by_key(|index| (!index.unique, std::cmp::Reverse(index.columns.len())));
        best = indexes.into_iter().find_map(|index| {
            let pairs = pairs_for(&index.columns)?;
            let per_key = if index.unique { 1 } else { ROWS_PER_KEY_GUESS };
            Some((
                per_key,
                JoinProbe {
                    index: Some(index.clone()),
                    pairs,
                },
            ))
        });
    }
    let (per_key, probe) = best?;
    let inner_rows = table_rows(table);
    let probe_cost = outer_rows.saturating_mul(PROBE_COST + per_key);
    let hash_cost = inner_rows
        .saturating_mul(BUILD_COST)
        .saturating_add(outer_rows);
    (probe_cost < hash_cost).then_some(probe)
}

/// Rows an equi-join of `outer_rows` with a relation of `inner_rows` is guessed to give:
/// each left row meets about one right row (a key / foreign-key join), so the larger side.
pub fn equi_join_rows(outer_rows: u64, inner_rows: u64) -> u64 {
    outer_rows.max(inner_rows)
}
