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

use super::indexing::{chain_any, chain_payloads_any};
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
    /// The unlinked version's ordered key in the index being decided.
    encoded: Vec<u8>,
    /// The positions of the indexes whose entries are still undecided.
    undecided: Vec<usize>,
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
        encoded,
        undecided,
    } = buffers;
    wanted.clear();
    wanted.resize(schema.types.len(), false);
    mark_index_columns(wanted, indexes.iter());
    let payload = version.payload(guard);
    undecided.clear();
    undecided.extend(0..indexes.len());
    let columns_of = |at: &usize| indexes[*at].columns();
    // A table that grew columns has payloads of several layouts: compared decoded below.
    let raw = schema.added.is_empty();
    if raw {
        // An error (a malformed payload) leaves the indexes to the keyed checks.
        let _ = chain_payloads_any(table, row, guard, |other| {
            if identical_columns(&schema.types, payload, other, wanted, identical).is_some() {
                undecided.retain(|at| !columns_of(at).iter().all(|&c| identical[c]));
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
            mark_index_columns(wanted, undecided.iter().map(|&at| &indexes[at]));
        }
    }
    // A payload that fails to decode keeps its entries: stale entries are harmless.
    if schema
        .decode_wanted_prefix_into(row, payload, wanted, collected)
        .is_err()
    {
        return;
    }
    let wanted = Some(wanted.as_slice());
    let collected = &*collected;
    if !raw {
        // An error leaves the undecided indexes to the keyed checks, which keep the
        // entries of a chain that fails to decode.
        let _ = chain_any(table, row, guard, chain, wanted, |values| {
            undecided.retain(|at| !same_column_values(columns_of(at), collected, values));
            undecided.is_empty()
        });
    }
    for index in undecided.iter().map(|&at| &indexes[at]) {
        // The unlinked version's ordered key and hash key (a NULL part: no hash entry).
        let ordered = index.ordered().inspect(|ordered| {
            encoded.clear();
            ordered.encode_into(index.columns(), collected, encoded);
        });
        let key = index.key_of(collected);
        if ordered.is_none() && key.is_none() {
            continue;
        }
        // One walk of the chain under the writer lock decides both entries: a key some
        // remaining version has (compared in place, no key built for the ordered one) stays.
        let writer = index.map.lock_writer();
        let mut ordered_kept = ordered.is_none();
        let mut key_kept = key.is_none();
        let walked = chain_any(table, row, guard, chain, wanted, |values| {
            if !ordered_kept {
                ordered_kept =
                    ordered.is_some_and(|o| o.key_matches(index.columns(), values, encoded));
            }
            if !key_kept {
                key_kept = index.key_of(values) == key;
            }
            ordered_kept && key_kept
        });
        // A chain that fails to decode keeps both entries: stale entries are harmless.
        if walked.is_err() {
            continue;
        }
        if let (Some(ordered), false) = (ordered, ordered_kept) {
            ordered.remove(encoded, row, guard);
        }
        if let (Some(key), false) = (key, key_kept) {
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
