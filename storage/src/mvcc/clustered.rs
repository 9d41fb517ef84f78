//! Tables clustered on an integer key. A table whose primary key is one INTEGER column (as
//! SQLite's rowid tables) keeps a row in the slot its key addresses: the row id of key `k`
//! is `k`, so a lookup by key is one load of that slot's head, and the table keeps no hash
//! entry for it (20-40 B per row otherwise, `index/primary.rs`).
//!
//! DIRECT AND OVERFLOW. A key addresses its slot when it is not negative and below
//! `DIRECT_SLACK + DIRECT_SPREAD * (homes + overflow keys)`, `homes` being the keys that
//! ever got a slot that way (or below the slots already reachable): the slot array stays
//! within a few slots per row however the keys spread (at most 32 B of slots per row, as
//! much as a hash entry costs), and a load in random key order puts about one row in eight
//! in the overflow (those that come before the rows below them). A key outside that
//! (negative, far past the others, or a non-integer value in the column) goes to the
//! overflow: a slot of a second array (row id `OVERFLOW_BASE` + its index) and an entry in
//! the primary hash index, exactly as in a table that is not clustered (`slot_reuse.rs`
//! gives such slots back).
//!
//! ONE HOME PER KEY. A key's rows live in one slot, its home, for as long as any version
//! there may be seen: a direct home (the key's own slot, head not empty) or an overflow one
//! (its hash entry). Homes are made only under `home_lock`, after checking there is neither:
//! a direct head goes from empty to a version only there, and hash entries are added only
//! there. A home goes away only when the collector empties it (the direct head back to
//! empty, or the overflow slot retired and its entry removed), which it does only when no
//! snapshot at or above the watermark sees any version in it. So a reader finds the version
//! its snapshot sees by looking at the direct slot first and then, when its head is empty,
//! at the hash index; an insert that finds a direct head links onto it without the lock
//! (as onto any key's slot, `claim.rs`), and looks again under the lock when the collector
//! emptied the head first.
//!
//! ORDER. A scan walks the slot array first, so the direct rows come in key order, then the
//! overflow rows.

use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::Mutex;

use crossbeam_epoch::{Guard, Shared};

use crate::error::StorageResult;
use crate::index::IndexKey;
use crate::limits::TABLE_SLOTS_MAX;

use super::table::{RowId, Table, TableSchema};
use super::transaction::Transaction;
use super::version::Version;

/// Row ids from here on name slots of a clustered table's overflow array.
/// (The row codec's `FIRST_ROW_ID_NOT_A_KEY`: their payloads always hold their key.)
pub(crate) const OVERFLOW_BASE: RowId = crate::row::FIRST_ROW_ID_NOT_A_KEY;

const _: () = assert!(TABLE_SLOTS_MAX < OVERFLOW_BASE);

/// Keys below this address their slots even in an empty table.
const DIRECT_SLACK: u64 = 4096;
/// Keys address their slots up to this many slots per direct home made so far.
const DIRECT_SPREAD: u64 = 4;

/// A clustered table's bookkeeping of direct homes.
pub(crate) struct Clustered {
    /// Serializes making a key's home (see the module comment).
    home_lock: Mutex<()>,
    /// Direct homes made so far (changed under `home_lock`).
    homes: AtomicU64,
    /// The largest key that ever got a direct home (`i64::MIN`: none yet).
    max_key: AtomicI64,
}

impl Clustered {
    /// Whether a table of `schema` may be clustered: its primary key is one INTEGER column.
    pub(crate) fn fits(schema: &TableSchema) -> bool {
        schema.integer_key_column().is_some()
    }

    pub(crate) fn new() -> Clustered {
        Clustered {
            home_lock: Mutex::new(()),
            homes: AtomicU64::new(0),
            max_key: AtomicI64::new(i64::MIN),
        }
    }

    /// Holds off the making of homes (`slot_release.rs` releases empty slots under it).
    pub(super) fn lock_homes(&self) -> std::sync::MutexGuard<'_, ()> {
        self.home_lock
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// The largest key that ever had a direct home, `None` before the first.
    pub(crate) fn max_direct_key(&self) -> Option<i64> {
        let max = self.max_key.load(Ordering::Relaxed);
        (self.homes.load(Ordering::Relaxed) > 0).then_some(max)
    }
}

/// What an insert found for its key under the home lock.
enum Home {
    /// It made the key's home with the new version in it.
    Made(RowId),
    /// The key has a home already: link onto it.
    Found(RowId),
    /// The key's home would be a new overflow slot, and the new version's payload left the
    /// key out: nothing was made.
    KeyNeeded,
}

impl Table {
    /// Whether the table is clustered on its integer key.
    #[inline]
    pub fn is_clustered(&self) -> bool {
        self.clustered.is_some()
    }

    /// The direct home of `key` (its own slot, head not empty), if it has one.
    #[inline]
    pub(crate) fn direct_home(&self, key: i64, guard: &Guard) -> Option<RowId> {
        let row = u64::try_from(key).ok()?;
        let slot = self.direct_slot(row)?;
        (!slot.head.load(Ordering::Acquire, guard).is_null()).then_some(row)
    }

    /// Starts loading the slot `key` addresses, if it is reachable (a hint, as
    /// `PrimaryIndex::prefetch`). Returns whether a row of `key` foreseeably goes to its
    /// direct home: its slot is reachable or near the reachable ones (`DIRECT_SLACK`), where
    /// `may_address` lets keys have their slots (a guess: a key may also have an overflow
    /// home already, or the reach may end sooner; `insert_clustered` decides).
    #[inline]
    pub(crate) fn prefetch_direct_slot(&self, key: i64) -> bool {
        let Ok(row) = u64::try_from(key) else {
            return false;
        };
        match self.direct_slot(row) {
            Some(slot) => {
                crate::prefetch::prefetch_read(slot);
                true
            }
            None => row < self.row_ranges()[0].end.saturating_add(DIRECT_SLACK),
        }
    }

    /// Whether a row id of a clustered table names a direct home (its key's own slot).
    #[inline]
    pub fn is_direct_row(&self, row: RowId) -> bool {
        self.clustered.is_some() && row < OVERFLOW_BASE
    }

    /// Whether `key` may get a direct home now (see the module comment).
    fn may_address(&self, clustered: &Clustered, key: i64) -> bool {
        let Ok(row) = u64::try_from(key) else {
            return false;
        };
        let overflow = self.primary().map_or(0, |primary| primary.len() as u64);
        let rows = clustered.homes.load(Ordering::Relaxed) + overflow;
        let reach = DIRECT_SLACK.saturating_add(DIRECT_SPREAD.saturating_mul(rows));
        row < TABLE_SLOTS_MAX && (row < reach || row < self.row_ranges()[0].end)
    }
}

impl Transaction {
    /// Inserts `version` (not linked anywhere) as the newest row of integer key `key` of the
    /// clustered `table`: onto the key's home, or into a new one. On error the version is
    /// freed. `key_left_out`: the version's payload left the key out, so it may go only to
    /// the key's direct home; when the home is an overflow slot, the version is freed and
    /// the answer is `None` (insert a version whose payload holds the key).
    pub(super) fn insert_clustered<'g>(
        &self,
        table: &Table,
        key: i64,
        version: Shared<'g, Version>,
        key_left_out: bool,
        guard: &'g Guard,
    ) -> StorageResult<Option<RowId>> {
        let clustered = table.clustered.as_ref().expect("a clustered table");
        let index_key = IndexKey::Int(key);
        let free_version = || {
            // SAFETY: the version was never linked anywhere (a failed push unlinks it), so
            // it is exclusively ours.
            drop(unsafe { version.into_owned() });
        };
        loop {
            let home = match table.direct_home(key, guard) {
                Some(row) => Home::Found(row),
                None => {
                    let _home = clustered
                        .home_lock
                        .lock()
                        .unwrap_or_else(|poison| poison.into_inner());
                    let made = self.make_home(
                        table,
                        clustered,
                        key,
                        &index_key,
                        version,
                        key_left_out,
                        guard,
                    );
                    match made {
                        Ok(home) => home,
                        Err(error) => {
                            drop(_home);
                            free_version();
                            return Err(error);
                        }
                    }
                }
            };
            let row = match home {
                Home::Made(row) => return Ok(Some(row)),
                Home::Found(row) if key_left_out && row >= OVERFLOW_BASE => {
                    free_version();
                    return Ok(None);
                }
                Home::Found(row) => row,
                Home::KeyNeeded => {
                    free_version();
                    return Ok(None);
                }
            };
            let slot = table.slot(row).expect("a key's home exists");
            let gone_when_empty = row < OVERFLOW_BASE;
            match self.push_onto_key_slot(table, slot, version, gone_when_empty, guard) {
                Ok(true) => return Ok(Some(row)),
                // The collector emptied the home first: look again.
                Ok(false) => std::thread::yield_now(),
                Err(error) => {
                    free_version();
                    return Err(error);
                }
            }
        }
    }

    /// Under the home lock: the key's home if it has one, else a new one holding `version`
    /// (an overflow one only when `version` holds its key).
    #[allow(clippy::too_many_arguments)]
    fn make_home<'g>(
        &self,
        table: &Table,
        clustered: &Clustered,
        key: i64,
        index_key: &IndexKey,
        version: Shared<'g, Version>,
        key_left_out: bool,
        guard: &'g Guard,
    ) -> StorageResult<Home> {
        if let Some(row) = table.direct_home(key, guard) {
            return Ok(Home::Found(row));
        }
        let primary = table.primary().expect("a clustered table has a key");
        if let Some(row) = primary.get_pinned(index_key, guard) {
            return Ok(Home::Found(row));
        }
        if table.may_address(clustered, key) || self.restoring_direct_key == Some(key) {
            let row = key as u64;
            let slot = table.reach_direct_slot(row)?;
            super::claim::link_new_row(slot, version, guard);
            let homes = clustered.homes.load(Ordering::Relaxed);
            clustered.homes.store(homes + 1, Ordering::Relaxed);
            if homes == 0 || key > clustered.max_key.load(Ordering::Relaxed) {
                clustered.max_key.store(key, Ordering::Relaxed);
            }
            return Ok(Home::Made(row));
        }
        if key_left_out {
            return Ok(Home::KeyNeeded);
        }
        let row = table.allocate_slot()?;
        let slot = table.slot(row).expect("slot just allocated");
        super::claim::link_new_row(slot, version, guard);
        let (entered, created) = primary.get_or_insert_with_pinned(index_key, || row, guard);
        // Entries are added only under the home lock, and the probe above found none.
        debug_assert!(created && entered == row);
        Ok(Home::Made(row))
    }
}
