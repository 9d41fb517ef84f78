//! The ordered entries of a new index, gathered while `Table::create_index_keyed` reads
//! the table (`indexing.rs`): entry keys back to back in one buffer, then sorted and loaded
//! into the index's tree at once (`OrderedEntries::insert_sorted`), the memory budget
//! checked as they grow.

use crossbeam_epoch as epoch;

use crate::error::{StorageError, StorageErrorKind, StorageResult};
use crate::index::ORDERED_ENTRY_OVERHEAD;
use crate::index::{push_entry_key, sort_entry_keys, OrderedEntries, SecondaryIndex};
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
    /// Gathers the entry in ordered `index` of the row whose values `row_values` holds
    /// (slot `row`), if the index holds the row.
    pub(super) fn push(
        &mut self,
        index: &SecondaryIndex,
        row_values: &[Value],
        row: RowId,
        account: &MemoryAccount,
    ) -> StorageResult<()> {
        if !index.ordered_key_into(row_values, &mut self.encoded) {
            return Ok(());
        }
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
        let mut entries: Vec<&[u8]> = Vec::with_capacity(self.ends.len());
        let mut start = 0;
        for &end in &self.ends {
            entries.push(&self.bytes[start..end]);
            start = end;
        }
        let entries = sort_entry_keys(entries);
        table.pool().account().try_charge(0, self.growth())?;
        let guard = epoch::pin();
        let _writer = index.map.lock_writer();
        ordered.insert_sorted(&entries, &guard);
        Ok(())
    }
}
