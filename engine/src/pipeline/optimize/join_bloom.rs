//! The runtime bloom filter rule: a hash join whose build side is small against its
//! streamed (probe) side, and whose streamed side is a plain full scan that decodes at
//! least `STAGED_COLUMNS_SAVED_MIN` columns after the join's key, is marked `Join::bloom`,
//! so that the join builds a bloom filter of its build side's key hashes and the scan tests
//! each row's key hash against it as soon as the key is decoded (`exec/join/bloom.rs`): a
//! rejected row is decoded no further and never looked up. A key that is one INTEGER, REAL
//! or TEXT column is marked to be tested raw (`JoinBloom::raw`), on the row's payload bytes
//! before anything is decoded.
//!
//! Only joins that may drop a streamed row with no match are marked: an INNER join (either
//! side built) and a semi join (`EXISTS`, its left side streamed). Never a LEFT, RIGHT or
//! FULL join's preserved side, an anti join, a nested loop or an index join.
//!
//! The estimates are the planner's (`table_rows`, key-range widths, the binder's guess for
//! derived relations); a filter on a scan is not assumed to narrow it.

use ember_storage::DataType;

use crate::expr::Expr;
use crate::plan::{AccessPath, Existence, Join, JoinBloom, JoinKind, Node};

use super::join_access::{scanned_rows, table_rows, DERIVED_ROWS_ESTIMATE};

/// The streamed side must be estimated at least this many times the build side. A
/// streamed row with no partner only exists when the streamed side has keys the build side
/// lacks: with eight times the rows, a streamed side whose keys are distinct has at least 7
/// in 8 rows without one, each spared the decode of its columns after the key; a streamed
/// side that repeats the build side's keys pays one test per row until the executor stops
/// testing after a sample that drops too few (`exec/join/bloom.rs`).
pub const BLOOM_PROBE_RATIO: u64 = 8;

/// Fewest streamed rows (by estimate) for a filter to be worth building: below this a
/// join's lookups take microseconds in all.
pub const BLOOM_PROBE_ROWS_MIN: u64 = 4_096;

/// Decoded columns after the last key for the test to run inside the scan's decode (as
/// `scan_filter.rs` stages a filter): measured, a staged decode that skips one INTEGER
/// column costs more than it saves.
const STAGED_COLUMNS_SAVED_MIN: usize = 2;

/// Marks every hash join in `node`'s tree whose filter pays (see the module comment).
pub fn bloom_filter_joins(node: &mut Node) {
    node.for_each_input_mut(&mut bloom_filter_joins);
    if let Node::Join(join) = node {
        join.bloom = choose(join);
    }
}

/// The filter's estimates when `join` should have one.
fn choose(join: &Join) -> Option<JoinBloom> {
    if join.probe.is_some() || join.left_keys.is_empty() || join.unmatched_only {
        return None;
    }
    let streams_droppable = matches!(
        (join.kind, join.existence),
        (JoinKind::Inner, None) | (JoinKind::Left, Some(Existence::Semi))
    );
    if !streams_droppable {
        return None;
    }
    let (built, streamed) = if join.build_left {
        (&join.left, &join.right)
    } else {
        (&join.right, &join.left)
    };
    let stream_keys = if join.build_left {
        &join.right_keys
    } else {
        &join.left_keys
    };
    // Tested before the hash lookup instead, a filter costs about what the lookup of a row
    // without a partner costs (a small build side's table is in cache): it pays only
    // where it spares decoding the rest of a dropped row.
    let key_stop = scan_key_stop(streamed, stream_keys)?;
    let build_rows = estimated_rows(built);
    let probe_rows = estimated_rows(streamed);
    let pays = probe_rows >= BLOOM_PROBE_ROWS_MIN
        && build_rows.saturating_mul(BLOOM_PROBE_RATIO) <= probe_rows
        && build_rows <= crate::limits::JOIN_BLOOM_KEYS_MAX;
    let raw = raw_testable(streamed, stream_keys);
    pays.then_some(JoinBloom { key_stop, raw })
}

/// Whether `keys` are one column of the scan `node` whose type storage reads raw (INTEGER,
/// REAL or TEXT: `ember_storage::row::MemberCheck`).
fn raw_testable(node: &Node, keys: &[Expr]) -> bool {
    let (Node::Scan(access), [Expr::Column { index, .. }]) = (node, keys) else {
        return false;
    };
    access.table.columns.get(*index).is_some_and(|column| {
        matches!(
            column.data_type,
            DataType::Integer | DataType::Real | DataType::Text
        )
    })
}

/// About how many rows `node` gives, as the join planner estimates a relation.
pub fn estimated_rows(node: &Node) -> u64 {
    match node {
        // A range of an index or the key order may reach the whole table.
        Node::Scan(access) => match &access.path {
            AccessPath::IndexRange(_) | AccessPath::KeyOrder(_) => table_rows(&access.table),
            _ => scanned_rows(access),
        },
        Node::Filter { input, .. }
        | Node::Project { input, .. }
        | Node::Sort { input, .. }
        | Node::Distinct { input, .. } => estimated_rows(input),
        Node::Limit { input, .. } => estimated_rows(input),
        Node::Aggregate {
            input, group_by, ..
        } => {
            if group_by.is_empty() {
                1
            } else {
                estimated_rows(input)
            }
        }
        // An index join gives about a row per left row (a key probe); a hash join about
        // as many as its larger side (`join_access`).
        Node::Join(join) if join.probe.is_some() => estimated_rows(&join.left),
        Node::Join(join) => estimated_rows(&join.left).max(estimated_rows(&join.right)),
        Node::Values { rows } => rows.len() as u64,
        Node::WorkTable { .. } => 1,
        _ => DERIVED_ROWS_ESTIMATE,
    }
}

/// The last key column when `node` is a full scan without a filter (its rows decoded in
/// column order), every key is a column it decodes, and it decodes at least
/// `STAGED_COLUMNS_SAVED_MIN` columns after it.
fn scan_key_stop(node: &Node, keys: &[Expr]) -> Option<usize> {
    let Node::Scan(access) = node else {
        return None;
    };
    if access.filter.is_some() || !matches!(access.path, AccessPath::FullScan) {
        return None;
    }
    let decoded = |column: usize| {
        access
            .read
            .columns()
            .is_none_or(|columns| columns.get(column).copied().unwrap_or(false))
    };
    let mut stop = 0;
    for key in keys {
        let Expr::Column { index, .. } = key else {
            return None;
        };
        if !decoded(*index) {
            return None;
        }
        stop = stop.max(*index);
    }
    let saved = (stop + 1..access.table.columns.len())
        .filter(|&column| decoded(column))
        .count();
    (saved >= STAGED_COLUMNS_SAVED_MIN).then_some(stop)
}
