//! Settled probes: whether some row a transaction sees has a key in a secondary index,
//! answered from the hash entry alone (no chain node, slot or payload read) when the index
//! is settled. Unsettled, an entry may be stale (a deleted row, an old key, an uncommitted
//! writer's row), so the checked lookup reads each row found (`indexing.rs`).
//!
//! The proof extends the ordered one (`settled_index.rs`) to the hash half of an ordered
//! index. Writers change both halves under the hash map's writer lock, and every hold of
//! it is inside the map's odd write count (`HashIndex::writes_settled`). Between holds:
//! - every hash entry `(key, row)` has an ordered entry of `row` under a key equal to
//!   `key`: writers add the ordered entry first (or the version they replace has it) and
//!   remove a pair's two entries in one hold, deciding both by the same question (does a
//!   remaining version of the row have that key?). `sweep_index_entries` removes stale hash
//!   entries before stale ordered ones. This needs the two halves to call the same keys
//!   equal: all BINARY (a NOCASE half calls `'a'` and `'A'` equal where the other does not;
//!   then a settled ordered half could sit beside a stale hash entry), so only all-BINARY
//!   indexes get a token. (Numbers: the ordered half compares them by exact value, the
//!   hash half folds integral reals below 9e18 into integers; where the two differ, past
//!   9e18, the values are equal in SQL anyway.)
//! - the ordered entries are settled when their count equals the table's committed live
//!   rows, for a snapshot that sees the last commit and a transaction that has not written
//!   the table (`Transaction::settled_entries`): one entry per visible row, under its key.
//!
//! So a settled index's hash entries are exactly the visible rows' keys, and a key whose
//! entry holds a row belongs to a visible row. The write count is read before the token
//! and checked after each probe; a probe whose check fails is answered the checked way.

use crossbeam_epoch as epoch;

use crate::index::{IndexKey, KeyCollation, SecondaryIndex};

use super::table::Table;
use super::transaction::Transaction;

/// A reader's state for settled probes of one index, kept across the probes of a query:
/// not tried yet, a token (the write count it saw when the index was settled), or refused
/// (the index was not settled, or stopped being: the query's other probes read rows).
#[derive(Debug, Default)]
pub struct SettledProbes {
    state: ProbeState,
}

#[derive(Debug, Default, Clone, Copy)]
enum ProbeState {
    #[default]
    Untried,
    /// `written`: how many tables the transaction had written (a statement that writes
    /// the probed table while probing it, say a delete, which changes no entry, makes its
    /// rows unseen: a first write to a table grows the count and voids the token).
    Settled {
        writes: u64,
        written: usize,
    },
    Refused,
}

impl SettledProbes {
    /// Whether settled answers were refused for this query (tests and profiles).
    pub fn refused(&self) -> bool {
        matches!(self.state, ProbeState::Refused)
    }
}

/// Whether the index's two halves call the same keys equal (the file comment's first
/// point): an ordered index, all BINARY.
fn halves_agree(index: &SecondaryIndex) -> bool {
    let Some(ordered) = index.ordered() else {
        return false;
    };
    index.key_collations().is_empty()
        && ordered
            .collations()
            .iter()
            .all(|&collation| collation == KeyCollation::Binary)
}

impl Transaction {
    /// Whether some row this transaction sees has `key` in `index` (of `table`), when the
    /// index is settled (see the file comment): `Some(answer)` from the hash entry alone;
    /// `None` when the caller must look the key up the checked way (`index_lookup`).
    /// `probes` carries the token between the probes of one query.
    pub fn settled_index_holds(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        key: &IndexKey,
        probes: &mut SettledProbes,
    ) -> Option<bool> {
        self.note_table_read(table);
        let writes = self.settled_token(table, index, probes)?;
        let holds = index.map.holds_key(key, &epoch::pin());
        self.still_settled(index, writes, probes).then_some(holds)
    }

    /// How many rows this transaction sees under `key` in `index` (of `table`), when the
    /// index is settled (see the file comment): `Some(count)` from the hash entry and its
    /// chain alone, each pair a visible row with that key; `None` when the caller must look
    /// the key up the checked way. `probes` carries the token as for `settled_index_holds`.
    pub fn settled_index_rows(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        key: &IndexKey,
        probes: &mut SettledProbes,
    ) -> Option<usize> {
        self.note_table_read(table);
        let writes = self.settled_token(table, index, probes)?;
        let rows = index.map.rows_under(key, &epoch::pin());
        self.still_settled(index, writes, probes).then_some(rows)
    }

    /// The token's write count when settled answers may be given for `index` in this
    /// query (taken on the first probe); `None` once refused.
    #[inline]
    fn settled_token(
        &self,
        table: &Table,
        index: &SecondaryIndex,
        probes: &mut SettledProbes,
    ) -> Option<u64> {
        match probes.state {
            ProbeState::Settled { writes, written } if written == self.tables.len() => Some(writes),
            ProbeState::Settled { .. } | ProbeState::Refused => {
                probes.state = ProbeState::Refused;
                None
            }
            ProbeState::Untried => match self.settled_probe_token(table, index) {
                Some(writes) => {
                    let written = self.tables.len();
                    probes.state = ProbeState::Settled { writes, written };
                    Some(writes)
                }
                None => {
                    probes.state = ProbeState::Refused;
                    None
                }
            },
        }
    }

    /// Whether what a probe just read of `index` is one settled state (no writer took the
    /// lock since the token); refuses the token when not.
    #[inline]
    fn still_settled(
        &self,
        index: &SecondaryIndex,
        writes: u64,
        probes: &mut SettledProbes,
    ) -> bool {
        let unchanged = index.map.unchanged_since(writes);
        if !unchanged {
            probes.state = ProbeState::Refused;
        }
        unchanged
    }

    /// The write count, when `index` is settled for this transaction. The count is read
    /// before the ordered half is found settled, so a writer that took the lock after it
    /// moves it before any answer is checked. From then on the count alone vouches for
    /// both halves (every edit of either is under the lock).
    fn settled_probe_token(&self, table: &Table, index: &SecondaryIndex) -> Option<u64> {
        if !halves_agree(index) {
            return None;
        }
        let writes = index.map.writes_settled()?;
        self.settled_entries(table, index.ordered()?)?;
        Some(writes)
    }
}

#[cfg(test)]
#[path = "settled_probe_tests.rs"]
mod tests;
