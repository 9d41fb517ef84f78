//! The ordered entries of a new index, gathered while `Table::create_index_keyed` reads
//! the table (`indexing.rs`): entry keys back to back in one buffer, then sorted and loaded
//! into the index's tree at once (`OrderedEntries::insert_sorted`), the memory budget
//! checked as they grow. The sort compares each key's first 8 bytes as one integer before
//! it compares bytes.

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::{push_entry_key, OrderedEntries, SecondaryIndex, ORDERED_ENTRY_OVERHEAD};
use crate::slab::MemoryAccount;
use crate::value::Value;

use super::table::{RowId, Table};

/// Most bytes of ordered entries a new index gathers before loading them (beyond, the
/// index is refused: its table is larger than one index build may hold in memory).
const GATHERED_ENTRY_BYTES_MAX: usize = 1 << 34;

/// The ordered entries of a new index, gathered while its table is read: entry keys
/// (`push_entry_key`) back to back, with where each ends.
#[derive(Default)]
pub(super) struct GatheredEntries {
    bytes: Vec<u8>,
    ends: Vec<usize>,
    encoded: Vec<u8>,
}

impl GatheredEntries {
    /// Gathers the entry of the row whose values `row_values` holds (slot `row`).
    pub(super) fn push(
        &mut self,
        ordered: &OrderedEntries,
        columns: &[usize],
        row_values: &[Value],
        row: RowId,
        account: &MemoryAccount,
    ) -> StorageResult<()> {
        self.encoded.clear();
        ordered.encode_into(columns, row_values, &mut self.encoded);
        if self.bytes.len() + self.encoded.len() > GATHERED_ENTRY_BYTES_MAX {
            return Err(StorageError::new(
                StorageErrorKind::Limit,
                format!("the keys of a new index take more than {GATHERED_ENTRY_BYTES_MAX} bytes"),
            ));
        }
        push_entry_key(&self.encoded, row, &mut self.bytes);
        self.ends.push(self.bytes.len());
        // Index growth counts against the memory budget, as the entries gathered so far
        // will take it once loaded.
        account.try_charge(0, self.growth())
    }

    /// What the gathered entries will add to the tree: their keys and their share of the
    /// nodes.
    fn growth(&self) -> u64 {
        self.bytes.len() as u64 + self.ends.len() as u64 * ORDERED_ENTRY_OVERHEAD
    }

    /// Sorts the gathered entries and loads them into `ordered` (of `index`, a table's),
    /// after checking that the tree's growth fits the table's memory budget.
    pub(super) fn load_into(
        self,
        table: &Table,
        index: &SecondaryIndex,
        ordered: &OrderedEntries,
    ) -> StorageResult<()> {
        // Sorted by their first 8 bytes as one integer first (most comparisons end there),
        // then by the whole key: the order of the keys, since a shorter key's prefix is
        // padded with zero bytes, which no longer key's bytes sort below.
        let mut prefixed: Vec<(u64, &[u8])> = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            let entry = &self.bytes[start..end];
            prefixed.push((prefix_of(entry), entry));
            start = end;
        }
        prefixed.sort_unstable();
        prefixed.dedup();
        let entries: Vec<&[u8]> = prefixed.into_iter().map(|(_, entry)| entry).collect();
        table.pool().account().try_charge(0, self.growth())?;
        let guard = epoch::pin();
        let _writer = index.map.lock_writer();
        ordered.insert_sorted(&entries, &guard);
        Ok(())
    }
}

/// The first 8 bytes of `entry` as a big-endian integer, zero bytes past its end: integers
/// that order as the keys do, or tie.
fn prefix_of(entry: &[u8]) -> u64 {
    let mut head = [0u8; 8];
    let taken = entry.len().min(8);
    head[..taken].copy_from_slice(&entry[..taken]);
    u64::from_be_bytes(head)
}

#[cfg(test)]
mod tests {
    use super::prefix_of;

    /// Sorting by (prefix, key) gives the keys' own order, for keys shorter and longer
    /// than the prefix, with zero bytes, shared heads and prefixes of each other.
    #[test]
    fn prefixed_order_is_the_keys_order() {
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let keys: Vec<Vec<u8>> = (0..rng.usize(..60))
                .map(|_| {
                    let len = rng.usize(..14);
                    (0..len).map(|_| [0u8, 1, 9, 255][rng.usize(..4)]).collect()
                })
                .collect();
            let mut by_prefix: Vec<(u64, &[u8])> =
                keys.iter().map(|k| (prefix_of(k), k.as_slice())).collect();
            by_prefix.sort_unstable();
            let mut plain: Vec<&[u8]> = keys.iter().map(Vec::as_slice).collect();
            plain.sort_unstable();
            let prefixed: Vec<&[u8]> = by_prefix.into_iter().map(|(_, k)| k).collect();
            assert_eq!(prefixed, plain);
        }
    }
}
