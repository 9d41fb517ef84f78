//! Removing the index entries of a version unlinked from its slot (garbage collection,
//! rollback): an entry goes only when no version left in the slot's chain has its key (see
//! the INVARIANT in `indexing.rs`). Most unlinked versions were replaced by an UPDATE of
//! columns no index covers, so each remaining version is first compared with the unlinked
//! one in place, column by column (`row::identical_columns`): an index whose columns some
//! remaining version holds byte for byte keeps its entry without a decode, a key, or a lock
//! (keeping an entry is always safe: at worst it is stale, and readers skip stale entries).
//! Only the other indexes decode and compute the key; the entry is then pending.
//!
//! PENDING ENTRIES. The caller unindexes all the versions it unlinked, then removes the
//! pending entries (`remove_pending`) index by index, under one hold of the index's writer
//! lock (a concurrent writer of the key takes it too): each entry whose key no version of
//! its slot has, looked again under the lock, goes; an ordered index's entries go in one
//! sorted removal (`OrderedEntries::remove_sorted`), which builds each leaf it changes
//! once, or the whole tree once when most of it goes, instead of a leaf per entry.

use std::ops::Range;
use std::sync::Arc;

use crossbeam_epoch::Guard;

use crate::index::{push_entry_key, sort_entry_keys, IndexKey, SecondaryIndex};
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
    /// The entries left for `remove_pending`, by index.
    pending: Vec<PendingEntries>,
    /// The entry keys `remove_pending` removes from one ordered index, back to back.
    gone: Vec<u8>,
    /// Where each of them lies in `gone`.
    gone_at: Vec<Range<usize>>,
}

/// The entries of one index left to remove.
struct PendingEntries {
    index: Arc<SecondaryIndex>,
    /// The ordered keys of the entries, back to back.
    ordered_keys: Vec<u8>,
    entries: Vec<PendingEntry>,
}

/// An entry of an unlinked version whose key no remaining version had, in place.
struct PendingEntry {
    row: RowId,
    /// Where its ordered key lies in `ordered_keys` (an ordered index).
    ordered: Option<Range<usize>>,
    /// Its hash key (none for a key with a NULL part).
    key: Option<IndexKey>,
}

/// Leaves pending the entries of `version` (just unlinked from slot `row`, still alive
/// under `guard`) whose key no remaining version of the slot has identically in place;
/// `remove_pending` then removes those whose key no version has.
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
        pending,
        ..
    } = buffers;
    wanted.clear();
    wanted.resize(schema.types.len(), false);
    mark_index_columns(wanted, indexes.iter());
    let payload = version.payload(guard);
    undecided.clear();
    undecided.extend(0..indexes.len());
    let columns_of = |at: &usize| indexes[*at].source_columns();
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
        let key = index.key_of(collected);
        if (index.ordered().is_none() || !index.holds(collected)) && key.is_none() {
            continue;
        }
        let group = match pending.iter().position(|p| Arc::ptr_eq(&p.index, index)) {
            Some(at) => &mut pending[at],
            None => {
                pending.push(PendingEntries {
                    index: Arc::clone(index),
                    ordered_keys: Vec::new(),
                    entries: Vec::new(),
                });
                pending.last_mut().expect("just pushed")
            }
        };
        // The unlinked version's ordered key (an ordered index).
        let ordered = index.ordered_key_into(collected, encoded).then(|| {
            let start = group.ordered_keys.len();
            group.ordered_keys.extend_from_slice(encoded);
            start..group.ordered_keys.len()
        });
        group.entries.push(PendingEntry { row, ordered, key });
    }
}

/// Removes the entries `unindex_version` left pending whose key no version of their slot
/// has now (see the module comment). `guard` pins the caller.
pub(super) fn remove_pending(table: &Table, guard: &Guard, buffers: &mut UnindexBuffers) {
    let UnindexBuffers {
        chain,
        wanted,
        pending,
        gone,
        gone_at,
        ..
    } = buffers;
    let columns = table.schema().types.len();
    for group in pending.drain(..) {
        let index = &group.index;
        wanted.clear();
        wanted.resize(columns, false);
        mark_index_columns(wanted, std::iter::once(index));
        let wanted = Some(wanted.as_slice());
        gone.clear();
        gone_at.clear();
        let writer = index.map.lock_writer();
        for entry in &group.entries {
            let encoded = entry.ordered.clone().map(|at| &group.ordered_keys[at]);
            let ordered = index.ordered().filter(|_| encoded.is_some());
            // One walk of the chain decides both entries: a key some version has (compared
            // in place, no key built for the ordered one) stays.
            let mut ordered_kept = ordered.is_none();
            let mut key_kept = entry.key.is_none();
            let walked = chain_any(table, entry.row, guard, chain, wanted, |values| {
                if !ordered_kept {
                    ordered_kept = ordered
                        .zip(encoded)
                        .is_some_and(|(_, encoded)| index.ordered_key_matches(values, encoded));
                }
                if !key_kept {
                    key_kept = index.key_of(values) == entry.key;
                }
                ordered_kept && key_kept
            });
            // A chain that fails to decode keeps both entries: stale entries are harmless.
            if walked.is_err() {
                continue;
            }
            if let (Some(encoded), false) = (encoded, ordered_kept) {
                let start = gone.len();
                push_entry_key(encoded, entry.row, gone);
                gone_at.push(start..gone.len());
            }
            if let (Some(key), false) = (&entry.key, key_kept) {
                writer.remove(key, entry.row);
            }
        }
        if let Some(ordered) = index.ordered() {
            let keys = gone_at.iter().map(|at| &gone[at.clone()]).collect();
            ordered.remove_sorted(&sort_entry_keys(keys), guard);
        }
        drop(writer);
    }
}

/// Marks in `wanted` every column one of `indexes` reads.
pub(super) fn mark_index_columns<'i>(
    wanted: &mut [bool],
    indexes: impl Iterator<Item = &'i Arc<SecondaryIndex>>,
) {
    for index in indexes {
        for &column in index.source_columns() {
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

#[cfg(test)]
#[path = "unindex_tests.rs"]
pub(super) mod tests;
