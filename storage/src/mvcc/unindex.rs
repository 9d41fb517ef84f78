//! Removing the index entries of a version unlinked from its slot (garbage collection,
//! rollback): an entry goes only when no version left in the slot's chain has its key (see
//! the INVARIANT in `indexing.rs`). Most unlinked versions were replaced by an UPDATE of
//! columns no index covers, so each remaining version is first compared with the unlinked
//! one in place, column by column (`row::identical_columns`): an index whose columns some
//! remaining version holds byte for byte keeps its entry without a decode, a key, or a lock
//! (keeping an entry is always safe: at worst it is stale, and readers skip stale entries).
//! Only the other indexes decode, compute the key and look again under the index's writer
//! lock, as a concurrent writer of the key takes it too.

use std::sync::Arc;

use crossbeam_epoch::Guard;

use crate::index::SecondaryIndex;
use crate::row::identical_columns;
use crate::value::Value;

use super::indexing::{chain_any, chain_has_key, chain_has_ordered_key, chain_payloads_any};
use super::table::{RowId, Table};
use super::version::Version;

/// Buffers `unindex_version` reuses from one unlinked version to the next (a collection or
/// rollback of many rows allocates once, and decodes texts into the same buffers).
#[derive(Default)]
pub(super) struct UnindexBuffers {
    /// The unlinked version's indexed columns, decoded.
    collected: Vec<Value>,
    /// A remaining version's indexed columns, decoded.
    chain: Vec<Value>,
    /// The columns some index reads.
    wanted: Vec<bool>,
    /// Which of them a remaining version holds identically.
    identical: Vec<bool>,
}

/// Removes the entries of `version` (just unlinked from slot `row`, still alive under
/// `guard`) whose key no remaining version of the slot has.
pub(super) fn unindex_version(
    table: &Table,
    row: RowId,
    version: &Version,
    guard: &Guard,
    buffers: &mut UnindexBuffers,
) {
    let indexes = table.secondary.load();
    let schema = table.schema();
    let UnindexBuffers {
        collected,
        chain,
        wanted,
        identical,
    } = buffers;
    wanted.clear();
    wanted.resize(schema.types.len(), false);
    mark_index_columns(wanted, indexes.iter());
    let payload = version.payload(guard);
    let mut undecided: Vec<&Arc<SecondaryIndex>> = indexes.iter().collect();
    // A table that grew columns has payloads of several layouts: compared decoded below.
    let raw = schema.added.is_empty();
    if raw {
        // An error (a malformed payload) leaves the indexes to the keyed checks.
        let _ = chain_payloads_any(table, row, guard, |other| {
            if identical_columns(&schema.types, payload, other, wanted, identical).is_some() {
                undecided.retain(|index| !index.columns().iter().all(|&c| identical[c]));
            }
            Ok(undecided.is_empty())
        });
        if undecided.is_empty() {
            return;
        }
        if undecided.len() < indexes.len() {
            // Only the undecided indexes' columns are decoded (a text column of an index
            // kept above is not copied out, here or from the chain below).
            wanted.fill(false);
            mark_index_columns(wanted, undecided.iter().copied());
        }
    }
    let wanted = Some(wanted.as_slice());
    // A payload that fails to decode keeps its entries: stale entries are harmless.
    if schema
        .decode_columns_into(row, payload, wanted, collected)
        .is_err()
    {
        return;
    }
    let collected = &*collected;
    if !raw {
        // An error leaves the undecided indexes to the keyed checks, which keep the
        // entries of a chain that fails to decode.
        let _ = chain_any(table, row, guard, chain, wanted, |values| {
            undecided.retain(|index| !same_column_values(index.columns(), collected, values));
            undecided.is_empty()
        });
    }
    for index in undecided {
        if let Some(ordered) = index.ordered() {
            let encoded = ordered.encode(index.columns(), collected);
            let _writer = index.map.lock_writer();
            let kept = chain_has_ordered_key(table, row, index, &encoded, guard, chain, wanted);
            if let Ok(false) = kept {
                ordered.remove(&encoded, row, guard);
            }
        }
        let Some(key) = index.key_of(collected) else {
            continue;
        };
        let writer = index.map.lock_writer();
        if let Ok(false) = chain_has_key(table, row, index, &key, guard, chain, wanted) {
            writer.remove(&key, row);
        }
    }
}

/// Marks in `wanted` every column one of `indexes` reads.
pub(super) fn mark_index_columns<'i>(
    wanted: &mut [bool],
    indexes: impl Iterator<Item = &'i Arc<SecondaryIndex>>,
) {
    for index in indexes {
        for &column in index.columns() {
            if let Some(flag) = wanted.get_mut(column) {
                *flag = true;
            }
        }
    }
}

/// Whether two decoded rows hold identical values (same type, same bits or bytes) in every
/// one of `columns`: then every index over those columns gives both the same key, under
/// any collation. Values that are only equal (1 and 1.0, 'a' and 'A' under NOCASE) are
/// not identical.
fn same_column_values(columns: &[usize], left: &[Value], right: &[Value]) -> bool {
    columns
        .iter()
        .all(|&column| match (left.get(column), right.get(column)) {
            (Some(Value::Null), Some(Value::Null)) => true,
            (Some(Value::Integer(a)), Some(Value::Integer(b))) => a == b,
            (Some(Value::Real(a)), Some(Value::Real(b))) => a.to_bits() == b.to_bits(),
            (Some(Value::Text(a)), Some(Value::Text(b))) => a == b,
            (Some(Value::Blob(a)), Some(Value::Blob(b))) => a == b,
            (Some(Value::Boolean(a)), Some(Value::Boolean(b))) => a == b,
            _ => false,
        })
}
