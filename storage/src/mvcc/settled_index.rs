//! Settled ordered indexes: when an ordered index's entries are exactly the rows a
//! transaction sees, one entry per row under its visible key, a count of an index range
//! (or any question the entries alone answer) needs no row read. Entries are normally a
//! superset: a key-changing write adds its entry before it commits, a delete leaves the
//! old entry until the collector removes it, so readers check every entry's row.
//!
//! The test is a count. While a snapshot is open, every row it sees has the entry of the
//! key it sees (writers add entries before they commit; the collector and rollbacks remove
//! only entries no version a snapshot may see has; a new index counts only once filled,
//! `OrderedEntries::mark_complete`): the index holds those entries and maybe more. The
//! table's live count, when exact as of a commit the snapshot sees (`LiveCount`: commits at
//! or below the snapshot's timestamp all counted before it was taken, any later one moves
//! the count's timestamp past it), is the number of rows the snapshot sees, one entry each.
//! So if the index has exactly that many entries, it has no other: no stale one, no
//! uncommitted one. The length and the entries read must be one state of the index: its
//! edit count is read before the length and checked after the walk (a reader whose check
//! fails reads again the checked way). Own writes are not in the live count, so a
//! transaction that wrote the table never gets a token.

use crate::index::OrderedEntries;

use super::table::Table;
use super::transaction::Transaction;

/// A token saying the index was settled for a transaction when taken; valid for reads
/// of the entries until `SettledEntries::still_settled` says otherwise.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SettledEntries {
    edits: u64,
}

impl SettledEntries {
    /// Whether the entries read since the token was taken are still the ones it vouched
    /// for: no edit of the index began meanwhile. A reader that gets false discards what
    /// it read from the entries and reads the checked way.
    pub(crate) fn still_settled(&self, ordered: &OrderedEntries) -> bool {
        ordered.unchanged_since(self.edits)
    }
}

impl Transaction {
    /// A token when the entries of `ordered` (an index of `table`) are exactly the rows
    /// this transaction sees (see the file comment); `None` when they may not be.
    pub(crate) fn settled_entries(
        &self,
        table: &Table,
        ordered: &OrderedEntries,
    ) -> Option<SettledEntries> {
        if self
            .tables
            .iter()
            .any(|written| std::ptr::eq(written.as_ref(), table))
        {
            return None;
        }
        let edits = ordered.edits_settled()?;
        let entries = ordered.len() as u64;
        let (rows, as_of) = table.live_count.read();
        if rows == u64::MAX || as_of > self.snapshot().read_ts || rows != entries {
            return None;
        }
        Some(SettledEntries { edits })
    }
}

#[cfg(test)]
#[path = "settled_index_tests.rs"]
pub(super) mod tests;
