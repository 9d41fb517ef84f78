//! The runtime bloom filter rule: a hash join whose build side is small against its
//! streamed (probe) side is marked `Join::bloom`, so that the join builds a bloom filter of
//! its build side's key hashes and tests each streamed row's key hash against it before
//! looking it up (`exec/join/bloom.rs`), the test pushed into the streamed side's scan when
//! that is a plain full scan (a rejected row is not decoded past its key).
//!
//! Only joins that may drop a streamed row with no match are marked: an INNER join (either
//! side built) and a semi join (`EXISTS`, its left side streamed). Never a LEFT, RIGHT or
//! FULL join's preserved side, an anti join, a nested loop or an index join.
//!
//! The estimates are the planner's (`table_rows`, key-range widths, the binder's guess for
//! derived relations); a filter on a scan is not assumed to narrow it.

use crate::plan::{AccessPath, Existence, Join, JoinBloom, JoinKind, Node};

use super::{key_range_rows, table_rows};

/// The streamed side must be estimated at least this many times the build side. A bloom
/// test costs a few nanoseconds (one cache line) against a hash-table lookup's tens
/// (hashing, a likely cache miss, then comparing keys), and a streamed row with no partner
/// only exists when the streamed side has keys the build side lacks: with eight times
/// the rows, a streamed side whose keys are distinct has at least 7 in 8 rows without one,
/// and a streamed side that repeats the build side's keys pays one test per row (the
/// executor stops testing after a sample that drops too few, `exec/join/bloom.rs`).
pub const BLOOM_PROBE_RATIO: u64 = 8;

/// Fewest streamed rows (by estimate) for a filter to be worth building: below this a
/// join's lookups take microseconds in all.
pub const BLOOM_PROBE_ROWS_MIN: u64 = 4_096;

/// Rows the binder guesses for a relation that is not a base table (`bind/join.rs`).
const DERIVED_ROWS_ESTIMATE: u64 = 1_000;

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
    let build_rows = estimated_rows(built);
    let probe_rows = estimated_rows(streamed);
    let pays = probe_rows >= BLOOM_PROBE_ROWS_MIN
        && build_rows.saturating_mul(BLOOM_PROBE_RATIO) <= probe_rows
        && build_rows <= crate::limits::JOIN_BLOOM_KEYS_MAX;
    pays.then_some(JoinBloom {
        build_rows,
        probe_rows,
    })
}

/// About how many rows `node` gives, as the join planner estimates a relation.
pub fn estimated_rows(node: &Node) -> u64 {
    match node {
        Node::Scan(access) => match &access.path {
            AccessPath::FullScan => table_rows(&access.table),
            AccessPath::KeyRange(range) => key_range_rows(range, &access.table),
            AccessPath::IndexRange(_) | AccessPath::KeyOrder(_) => table_rows(&access.table),
            _ => 1,
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
