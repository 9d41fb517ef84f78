//! The hash half of a secondary index: key -> rows, any number of rows per key, lock-free
//! reads. Open addressing with linear probing over the primary index's array of 16-byte
//! entries (`primary.rs`: key word, row word), one entry per distinct key. A key with one
//! row keeps the row in its entry, so a lookup touches one cache line of the array and then
//! the row itself (the chained table this replaced loaded a bucket head, then a separately
//! allocated entry: two dependent cache misses before the row). A key with more rows points
//! at a chain of row nodes, newest first, so keys with many duplicates never lengthen the
//! probe of other keys.
//!
//! ROW WORDS. `EMPTY` and `BOXED_KEY` as in `primary.rs`; otherwise, with `CHAIN` clear,
//! the low bits are `row + 1`; with `CHAIN` set they are the address of the newest
//! `RowNode` of the key, or zero: `VACANT`, a key whose last row was removed. A vacant
//! entry keeps its key (and its boxed key), so the key's next insert takes the entry again:
//! a table that deletes and reinserts the same keys (queues, DELETE + INSERT, REPLACE) reuses
//! its entries instead of leaving one dead entry per round in the key's probe sequence,
//! which would lengthen every probe through it until the next rebuild.
//!
//! CONCURRENCY. Readers pin an epoch, load the array, probe it and walk a chain without
//! locks. Writers serialize on one mutex. A live entry's key word never changes; its row
//! word changes (a second row turns it into a chain, a chain gains or loses its head) with
//! release stores after the new nodes are written, and readers load it (acquire) before
//! the key word. An entry never changes keys: a key's last row removed makes it vacant,
//! holding the same key, which only a rebuild (a fresh array, the old one retired through
//! the epoch) drops, moving the live entries' key and row words (chains are shared, not
//! copied) and retiring the vacant entries' boxed keys. Unlinked nodes and
//! boxed keys are retired through the epoch, so a reader still walking them stays safe.
//!
//! WRITE COUNT. Each hold of the writer lock is bracketed by a count (odd while held), so
//! a reader can tell that no writer changed the index, or the ordered entries written
//! under the same lock, while it read them (`writes_settled`, `unchanged_since`: what lets
//! a settled index answer a probe from its entries, `mvcc/settled_probe.rs`).
//!
//! MEMORY. The account is charged the array (16 bytes an entry of capacity) and 16 bytes
//! per chain node; `ENTRY_BYTES` bounds what one more (key, row) pair costs on average.

use std::mem::{size_of, ManuallyDrop};
use std::sync::atomic::{fence, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};

use super::key::IndexKey;
use super::primary::{
    boxed_key_view, entry_holds, free_boxed_key, key_word_of, live_entries_of, rebuilt_capacity,
    retire_vacant_boxed_keys, Entries, Entry, BOXED_KEY, EMPTY, INITIAL_CAPACITY,
    LOAD_SIXTEENTHS_MAX, SHRINK_BELOW_SIXTEENTHS_INVERSE, SHRINK_FLOOR, TOMBSTONE,
};
use crate::slab::MemoryAccount;

/// The row an entry points at (a slot id in the owning table).
pub type EntryRow = u64;

/// Row-word flag: the low bits address the key's newest `RowNode`.
const CHAIN: u64 = 1 << 62;
/// The bits of a row word below the flags.
const LOW_BITS: u64 = CHAIN - 1;
/// Row word (with `BOXED_KEY` or not) of an entry whose key has no rows left: a chain of
/// none.
const VACANT: u64 = CHAIN;
/// Rows above this do not fit a row word (`row + 1` must stay below `CHAIN`) and go into a
/// chain of one node instead.
const INLINE_ROW_MAX: u64 = LOW_BITS - 1;

const _: () = assert!(crate::limits::TABLE_SLOTS_MAX <= INLINE_ROW_MAX);

/// One row of a key with several, in a chain from its entry, newest first.
struct RowNode {
    row: EntryRow,
    next: Atomic<RowNode>,
}

/// Bytes one chain node is charged.
const NODE_BYTES: u64 = size_of::<RowNode>() as u64;

/// How many keys ahead of its insert `IndexWriter::insert_hashed_keys` asks for the cache
/// line where the key's probe starts: far enough for the line to arrive (a few hundred
/// cycles) while an insert or two run, near enough that the lines asked for stay cached.
const KEYS_PREFETCHED_AHEAD: usize = 8;

/// What one more (key, row) pair may add to the index on average, the figure writes leave
/// room for under the memory budget: a distinct key's share of the array right after it
/// doubled (16 bytes at 13/32 full: 39.4), or a duplicate's chain node (16 bytes; the
/// second row of a key adds two nodes, 32).
pub const ENTRY_BYTES: u64 = 40;

const _: () = assert!(2 * NODE_BYTES <= ENTRY_BYTES);

/// What a row word holds once it is neither empty nor a tombstone.
enum Rows<'g> {
    /// Vacant: the entry keeps its key for the key's next row.
    None,
    One(EntryRow),
    Chain(&'g RowNode),
}

/// Decodes a live row word.
///
/// # Safety
/// `row_word` was loaded (acquire) from a live entry under `guard`, pinned before any
/// retirement of the chain it may point at.
#[inline(always)]
unsafe fn rows_of<'g>(row_word: u64, _guard: &'g Guard) -> Rows<'g> {
    debug_assert!(row_word != EMPTY && row_word != TOMBSTONE);
    let low = row_word & LOW_BITS;
    if row_word & CHAIN == 0 {
        Rows::One(low - 1)
    } else if low == 0 {
        Rows::None
    } else {
        // SAFETY: by the caller's contract the node is alive for 'g (see module comment).
        Rows::Chain(unsafe { &*(low as *const RowNode) })
    }
}

/// Key -> rows, many rows per key allowed (uniqueness is the caller's rule).
pub struct HashIndex {
    entries: Atomic<Entries>,
    writer: Mutex<()>,
    /// (key, row) pairs (changed by writers only, under the lock).
    pairs: AtomicUsize,
    /// Entries holding a key (writers only, under the lock).
    live: AtomicUsize,
    /// Live entries plus vacant ones in the current array (writers only, under the lock).
    used: AtomicUsize,
    /// Bytes of chain nodes now charged (writers only, under the lock).
    node_bytes: AtomicU64,
    /// Twice the writer-lock holds ended, plus one while one lasts (see WRITE COUNT).
    writes: AtomicU64,
    /// Where the index charges its array and nodes (none in bare unit tests).
    account: Option<Arc<MemoryAccount>>,
}

impl Default for HashIndex {
    fn default() -> Self {
        HashIndex::new()
    }
}

/// The result of probing for a key: its live entry and row word, or the empty entry that
/// ended the probe (where the key would go).
enum Probe<'e> {
    Found(&'e Entry, u64),
    Missing(usize),
}

#[inline]
fn probe<'e>(entries: &'e Entries, key: &IndexKey, hash: u64) -> Probe<'e> {
    let mask = entries.mask();
    let mut index = hash as usize & mask;
    loop {
        let entry = &entries.slots()[index];
        let row_word = entry.row.load(Ordering::Acquire);
        if row_word == EMPTY {
            return Probe::Missing(index);
        }
        if row_word != TOMBSTONE {
            let key_word = entry.key.load(Ordering::Relaxed);
            // SAFETY: the row word was loaded (acquire) first, and the caller's pin keeps a
            // boxed key alive until every probe that saw it live has ended.
            if unsafe { entry_holds(key_word, row_word, key, hash) } {
                return Probe::Found(entry, row_word);
            }
        }
        // The load limit keeps empty entries in every array, so the probe ends.
        index = (index + 1) & mask;
    }
}

impl HashIndex {
    pub fn new() -> HashIndex {
        HashIndex::with_account(None)
    }

    /// An index that charges its memory to `account`. Charges never fail: writers check
    /// the budget (with room for their entries) before they write.
    pub fn with_account(account: Option<Arc<MemoryAccount>>) -> HashIndex {
        let entries = Entries::with_capacity(INITIAL_CAPACITY);
        if let Some(account) = &account {
            account.charge_index(entries.bytes());
        }
        HashIndex {
            entries: Atomic::new(entries),
            writer: Mutex::new(()),
            pairs: AtomicUsize::new(0),
            live: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            node_bytes: AtomicU64::new(0),
            writes: AtomicU64::new(0),
            account,
        }
    }

    fn charge(&self, bytes: u64) {
        if let Some(account) = &self.account {
            account.charge_index(bytes);
        }
    }

    fn release(&self, bytes: u64) {
        if let Some(account) = &self.account {
            account.release_index(bytes);
        }
    }

    /// Number of (key, row) pairs (stale ones included).
    pub fn len(&self) -> usize {
        self.pairs.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The slots of the current array.
    #[cfg(test)]
    pub(crate) fn capacity(&self) -> usize {
        // SAFETY: pinned guard.
        unsafe { self.entries.load(Ordering::Acquire, &epoch::pin()).deref() }
            .slots()
            .len()
    }

    /// Number of distinct keys holding rows (stale pairs included): with `len`, the
    /// average rows per key a planner may expect from a probe.
    pub fn keys(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    /// How many rows are stored under `key` (0 when its entry is missing or vacant), from
    /// the entry and its chain alone: no row is read. Lock-free.
    #[inline]
    pub fn rows_under(&self, key: &IndexKey, guard: &Guard) -> usize {
        let mut rows = 0;
        self.for_each(key, guard, |_| rows += 1);
        rows
    }

    /// Calls `visit` for every row stored under `key`, newest first. Lock-free.
    #[inline]
    pub fn for_each(&self, key: &IndexKey, guard: &Guard, mut visit: impl FnMut(EntryRow)) {
        // SAFETY: arrays are retired through the epoch only after being replaced, and
        // `guard` is pinned, so the array outlives this borrow.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        let Probe::Found(_, row_word) = probe(entries, key, key.hash()) else {
            return;
        };
        // SAFETY: loaded (acquire) from a live entry under the pinned `guard`.
        match unsafe { rows_of(row_word, guard) } {
            Rows::None => {}
            Rows::One(row) => visit(row),
            Rows::Chain(mut node) => loop {
                visit(node.row);
                let next = node.next.load(Ordering::Acquire, guard);
                // SAFETY: nodes are retired through the epoch only after being unlinked,
                // and the pinned `guard` keeps every node reachable at load time alive.
                match unsafe { next.as_ref() } {
                    Some(next) => node = next,
                    None => break,
                }
            },
        }
    }

    /// Whether some row is stored under `key` (its entry is neither missing nor vacant),
    /// read from the entry alone: no chain node is loaded. Lock-free.
    #[inline]
    pub fn holds_key(&self, key: &IndexKey, guard: &Guard) -> bool {
        // SAFETY: pinned guard; see `for_each`.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        match probe(entries, key, key.hash()) {
            // A vacant entry's row word is `VACANT`, with `BOXED_KEY` or not.
            Probe::Found(_, row_word) => row_word & !BOXED_KEY != VACANT,
            Probe::Missing(_) => false,
        }
    }

    /// The write count when no writer holds the lock: the token `unchanged_since` checks.
    #[inline]
    pub fn writes_settled(&self) -> Option<u64> {
        let writes = self.writes.load(Ordering::Acquire);
        writes.is_multiple_of(2).then_some(writes)
    }

    /// Whether no writer took the lock since `writes_settled` returned `writes` (what was
    /// read from the index, or from the ordered entries written under its lock, since is
    /// then one state that no writer was in the middle of changing).
    #[inline]
    pub fn unchanged_since(&self, writes: u64) -> bool {
        // Pairs with the Release fence in `lock_writer`: a read that saw any part of a
        // write sees the odd count here.
        fence(Ordering::Acquire);
        self.writes.load(Ordering::Relaxed) == writes
    }

    /// The newest row stored under `key`, if any. Lock-free.
    pub fn get(&self, key: &IndexKey) -> Option<EntryRow> {
        let mut found = None;
        self.for_each(key, &epoch::pin(), |row| {
            found.get_or_insert(row);
        });
        found
    }

    /// Adds `(key, row)` unless that exact pair is already present.
    pub fn insert(&self, key: IndexKey, row: EntryRow) {
        self.lock_writer().insert(key, row);
    }

    /// Removes the `(key, row)` pair if present. Returns whether it was there.
    pub fn remove(&self, key: &IndexKey, row: EntryRow) -> bool {
        self.lock_writer().remove(key, row)
    }

    /// Takes the writer lock: every change made through the returned handle is serialized
    /// with other writers, so a caller can check and change an index atomically (unique
    /// indexes do this). Readers are never blocked by it.
    pub fn lock_writer(&self) -> IndexWriter<'_> {
        let guard = self
            .writer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        let writes = self.writes.load(Ordering::Relaxed);
        debug_assert!(writes.is_multiple_of(2), "the writer lock is exclusive");
        self.writes.store(writes.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        IndexWriter {
            index: self,
            _guard: guard,
        }
    }

    /// Calls `visit` for every (key, row) pair of the index. Lock-free; pairs added or
    /// removed concurrently may or may not be visited.
    pub fn for_each_entry(&self, guard: &Guard, mut visit: impl FnMut(&IndexKey, EntryRow)) {
        // SAFETY: pinned guard; see `for_each`.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        for entry in entries.slots() {
            let row_word = entry.row.load(Ordering::Acquire);
            if row_word == EMPTY || row_word == TOMBSTONE {
                continue;
            }
            let key_word = entry.key.load(Ordering::Relaxed);
            let key = if row_word & BOXED_KEY != 0 {
                // SAFETY: the row word was loaded (acquire) first; the pin keeps the boxed
                // key of an entry seen live alive (see `primary::entry_holds`), and the view
                // lives only for this visit.
                unsafe { boxed_key_view(key_word) }
            } else {
                ManuallyDrop::new(IndexKey::Int(key_word as i64))
            };
            let key = &*key;
            // SAFETY: loaded (acquire) from a live entry under the pinned `guard`.
            match unsafe { rows_of(row_word, guard) } {
                Rows::None => {}
                Rows::One(row) => visit(key, row),
                Rows::Chain(mut node) => loop {
                    visit(key, node.row);
                    // SAFETY: pinned guard; see `for_each`.
                    match unsafe { node.next.load(Ordering::Acquire, guard).as_ref() } {
                        Some(next) => node = next,
                        None => break,
                    }
                },
            }
        }
    }

    /// Rebuilds the array first if one more entry would pass the load limit.
    fn make_room_locked(&self, guard: &Guard) {
        let used = self.used.load(Ordering::Relaxed);
        // SAFETY: pinned guard; only writers (serialized by the lock) replace the array.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        if (used + 1) * 16 > entries.slots().len() * LOAD_SIXTEENTHS_MAX {
            self.rebuild_locked(guard);
        }
    }

    /// Replaces the array with one holding only the entries with rows (vacant ones
    /// dropped, their boxed keys freed after the epoch), at the capacity
    /// `primary::rebuilt_capacity` gives.
    #[cold]
    #[inline(never)]
    fn rebuild_locked(&self, guard: &Guard) {
        // SAFETY: pinned guard; only writers replace the array.
        let old = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        let live = self.live.load(Ordering::Relaxed);
        self.rebuild_to_locked(rebuilt_capacity(live, old.slots().len()), guard);
    }

    /// Grows the array at once to hold `additional` more entries than it has without a
    /// rebuild (a new index's load knows how many rows it adds: one rebuild instead of one
    /// per doubling). The caller holds the writer lock.
    fn reserve_locked(&self, additional: usize) {
        let guard = epoch::pin();
        // SAFETY: pinned guard; only writers replace the array.
        let entries = unsafe { self.entries.load(Ordering::Acquire, &guard).deref() };
        let wanted = self
            .used
            .load(Ordering::Relaxed)
            .saturating_add(additional.min(crate::limits::TABLE_SLOTS_MAX as usize));
        let mut capacity = entries.slots().len();
        while wanted.saturating_mul(16) > capacity.saturating_mul(LOAD_SIXTEENTHS_MAX) {
            capacity *= 2;
        }
        if capacity > entries.slots().len() {
            self.rebuild_to_locked(capacity, &guard);
        }
    }

    /// Replaces the array with one of `capacity` slots (a power of two that holds the live
    /// entries within the load limit) holding only the entries with rows.
    fn rebuild_to_locked(&self, capacity: usize, guard: &Guard) {
        let old_shared = self.entries.load(Ordering::Acquire, guard);
        // SAFETY: pinned guard; only writers replace the array.
        let old = unsafe { old_shared.deref() };
        let live = self.live.load(Ordering::Relaxed);
        debug_assert!(capacity.is_power_of_two());
        debug_assert!(live * 16 <= capacity * LOAD_SIXTEENTHS_MAX);
        let holds_rows = |row_word: u64| row_word & !BOXED_KEY != VACANT;
        let new = live_entries_of(old, capacity, holds_rows);
        retire_vacant_boxed_keys(old, VACANT | BOXED_KEY, guard);
        self.charge(new.bytes());
        self.release(old.bytes());
        self.used.store(live, Ordering::Relaxed);
        self.entries.store(Owned::new(new), Ordering::Release);
        // SAFETY: the old array is unreachable from `self.entries`; readers that loaded it
        // hold epoch pins, which destruction waits for. Dropping `Entries` frees only the
        // array: boxed keys and chains moved to the new one.
        unsafe { guard.defer_destroy(old_shared) };
    }

    /// Adds `(key, row)` unless present, `hash` being the key's hash; the caller holds the
    /// writer lock.
    fn insert_locked(&self, key: IndexKey, hash: u64, row: EntryRow) -> bool {
        debug_assert_eq!(hash, key.hash());
        let guard = epoch::pin();
        self.make_room_locked(&guard);
        // SAFETY: pinned guard; only writers replace the array, and `make_room_locked`
        // already did, so this array takes the entry.
        let entries = unsafe { self.entries.load(Ordering::Acquire, &guard).deref() };
        match probe(entries, &key, hash) {
            Probe::Found(entry, row_word) => {
                let boxed = row_word & BOXED_KEY;
                // SAFETY: loaded from a live entry under `guard`; writers are serialized,
                // so nothing else changes the chain meanwhile.
                let head = match unsafe { rows_of(row_word, &guard) } {
                    Rows::None => {
                        let row_word = self.new_row_word(row, &guard);
                        entry.row.store(row_word | boxed, Ordering::Release);
                        self.live
                            .store(self.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                        self.pairs
                            .store(self.pairs.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                        return true;
                    }
                    Rows::One(existing) if existing == row => return false,
                    Rows::One(existing) => {
                        self.node_bytes_add(NODE_BYTES);
                        Owned::new(RowNode {
                            row: existing,
                            next: Atomic::null(),
                        })
                        .into_shared(&guard)
                    }
                    Rows::Chain(node) => {
                        if chain_holds(node, row, &guard) {
                            return false;
                        }
                        Shared::from(node as *const RowNode)
                    }
                };
                let node = Owned::new(RowNode {
                    row,
                    next: Atomic::from(head),
                });
                self.node_bytes_add(NODE_BYTES);
                let address = node.into_shared(&guard).as_raw() as u64;
                debug_assert!(address & !LOW_BITS == 0);
                entry.row.store(address | CHAIN | boxed, Ordering::Release);
            }
            Probe::Missing(empty) => {
                let row_word = self.new_row_word(row, &guard);
                let (key_word, boxed) = key_word_of(key, hash);
                let entry = &entries.slots()[empty];
                debug_assert_eq!(entry.row.load(Ordering::Relaxed), EMPTY);
                entry.key.store(key_word, Ordering::Relaxed);
                entry.row.store(row_word | boxed, Ordering::Release);
                self.used
                    .store(self.used.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                self.live
                    .store(self.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
            }
        }
        self.pairs
            .store(self.pairs.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        true
    }

    /// Removes every pair: a fresh array replaces the old one, which is retired through the
    /// epoch with the boxed keys and chain nodes its live entries own (readers that loaded
    /// it finish in it). The caller holds the writer lock.
    fn clear_locked(&self) {
        let guard = epoch::pin();
        let old_shared = self.entries.load(Ordering::Acquire, &guard);
        // SAFETY: pinned guard; only writers (serialized by the lock) replace the array.
        let old = unsafe { old_shared.deref() };
        let mut boxed_keys: Vec<usize> = Vec::new();
        let mut chains: Vec<usize> = Vec::new();
        for entry in old.slots() {
            let row_word = entry.row.load(Ordering::Relaxed);
            if row_word == EMPTY || row_word == TOMBSTONE {
                continue;
            }
            if row_word & BOXED_KEY != 0 {
                boxed_keys.push(entry.key.load(Ordering::Relaxed) as usize);
            }
            if row_word & CHAIN != 0 && row_word & LOW_BITS != 0 {
                chains.push((row_word & LOW_BITS) as usize);
            }
        }
        let new = Entries::with_capacity(INITIAL_CAPACITY);
        self.charge(new.bytes());
        self.release(old.bytes() + self.node_bytes.load(Ordering::Relaxed));
        self.entries.store(Owned::new(new), Ordering::Release);
        self.pairs.store(0, Ordering::Relaxed);
        self.live.store(0, Ordering::Relaxed);
        self.used.store(0, Ordering::Relaxed);
        self.node_bytes.store(0, Ordering::Relaxed);
        // SAFETY: the old array is unreachable from `self.entries` now, and so are the boxed
        // keys and chains only its live entries referenced (nodes unlinked earlier were
        // retired apart and are in no chain); readers that loaded the array hold epoch pins,
        // which both deferred frees wait for. Each key and node is freed once: `defer_destroy`
        // of the array frees no key and no node.
        unsafe {
            guard.defer_unchecked(move || {
                for key in boxed_keys {
                    free_boxed_key(key as u64);
                }
                let unprotected = epoch::unprotected();
                for chain in chains {
                    let mut node = Shared::from(chain as *const RowNode);
                    while !node.is_null() {
                        let next = node.deref().next.load(Ordering::Relaxed, unprotected);
                        drop(node.into_owned());
                        node = next;
                    }
                }
            });
            guard.defer_destroy(old_shared);
        }
    }

    /// Removes `(key, row)` if present; the caller holds the writer lock.
    fn remove_locked(&self, key: &IndexKey, row: EntryRow) -> bool {
        let guard = epoch::pin();
        // SAFETY: pinned guard; see `for_each`.
        let entries = unsafe { self.entries.load(Ordering::Acquire, &guard).deref() };
        let Probe::Found(entry, row_word) = probe(entries, key, key.hash()) else {
            return false;
        };
        let boxed = row_word & BOXED_KEY;
        // SAFETY: loaded from a live entry under `guard`; writers are serialized.
        let emptied = match unsafe { rows_of(row_word, &guard) } {
            Rows::None => return false,
            Rows::One(existing) => {
                if existing != row {
                    return false;
                }
                true
            }
            Rows::Chain(head) if head.row == row => {
                let next = head.next.load(Ordering::Acquire, &guard);
                if !next.is_null() {
                    entry
                        .row
                        .store(next.as_raw() as u64 | CHAIN | boxed, Ordering::Release);
                }
                self.retire_node(Shared::from(head as *const RowNode), &guard);
                next.is_null()
            }
            Rows::Chain(head) => {
                let mut previous = head;
                loop {
                    let current = previous.next.load(Ordering::Acquire, &guard);
                    // SAFETY: pinned guard; nodes reachable now are alive.
                    let Some(node) = (unsafe { current.as_ref() }) else {
                        return false;
                    };
                    if node.row == row {
                        let next = node.next.load(Ordering::Acquire, &guard);
                        previous.next.store(next, Ordering::Release);
                        self.retire_node(current, &guard);
                        break;
                    }
                    previous = node;
                }
                false
            }
        };
        if emptied {
            // The key stays (boxed or not) for its next row; a rebuild drops it.
            entry.row.store(VACANT | boxed, Ordering::Release);
            let live = self.live.load(Ordering::Relaxed) - 1;
            self.live.store(live, Ordering::Relaxed);
            // Mostly deleted: give the array's memory back.
            let capacity = entries.slots().len();
            if live * SHRINK_BELOW_SIXTEENTHS_INVERSE < capacity && capacity > SHRINK_FLOOR {
                self.rebuild_locked(&guard);
            }
        }
        self.pairs
            .store(self.pairs.load(Ordering::Relaxed) - 1, Ordering::Relaxed);
        true
    }

    /// The row word (without `BOXED_KEY`) of a key whose only row is `row`.
    #[inline]
    fn new_row_word(&self, row: EntryRow, guard: &Guard) -> u64 {
        if row <= INLINE_ROW_MAX {
            return row + 1;
        }
        self.node_bytes_add(NODE_BYTES);
        let node = Owned::new(RowNode {
            row,
            next: Atomic::null(),
        });
        node.into_shared(guard).as_raw() as u64 | CHAIN
    }

    fn node_bytes_add(&self, bytes: u64) {
        self.node_bytes.store(
            self.node_bytes.load(Ordering::Relaxed) + bytes,
            Ordering::Relaxed,
        );
        self.charge(bytes);
    }

    /// Frees an unlinked node after the epoch and releases its charge.
    fn retire_node(&self, node: Shared<'_, RowNode>, guard: &Guard) {
        // SAFETY: the node is unlinked and writers are serialized, so no new reader can
        // reach it; readers that already did are protected by their epoch pins.
        unsafe { guard.defer_destroy(node) };
        self.node_bytes.store(
            self.node_bytes.load(Ordering::Relaxed) - NODE_BYTES,
            Ordering::Relaxed,
        );
        self.release(NODE_BYTES);
    }
}

/// Whether the chain starting at `node` holds `row`.
fn chain_holds<'g>(mut node: &'g RowNode, row: EntryRow, guard: &'g Guard) -> bool {
    loop {
        if node.row == row {
            return true;
        }
        // SAFETY: pinned guard; nodes reachable now are alive.
        match unsafe { node.next.load(Ordering::Acquire, guard).as_ref() } {
            Some(next) => node = next,
            None => return false,
        }
    }
}

/// The writer lock of one index, held: changes through it are serialized with every other
/// writer of the index. Its hold is inside the index's odd write count (WRITE COUNT).
pub struct IndexWriter<'a> {
    index: &'a HashIndex,
    _guard: std::sync::MutexGuard<'a, ()>,
}

impl Drop for IndexWriter<'_> {
    fn drop(&mut self) {
        // Runs before the mutex guard (a field) is dropped: still under the lock.
        let writes = self.index.writes.load(Ordering::Relaxed);
        self.index
            .writes
            .store(writes.wrapping_add(1), Ordering::Release);
    }
}

impl IndexWriter<'_> {
    /// Adds `(key, row)` unless that exact pair is already present; returns whether it added.
    pub fn insert(&self, key: IndexKey, row: EntryRow) -> bool {
        let hash = key.hash();
        self.index.insert_locked(key, hash, row)
    }

    /// Inserts `keys` (each with its hash, `IndexKey::hash`, and row) in order, emptying
    /// it; `check` runs before each insert, and its error ends them (the keys left are
    /// dropped). The entry where each key's probe starts is asked for
    /// `KEYS_PREFETCHED_AHEAD` keys ahead: in a large index every insert is otherwise a
    /// random cache miss, waited for one after another (a batch of rows, CREATE INDEX).
    pub fn insert_hashed_keys<E>(
        &self,
        keys: &mut Vec<(IndexKey, u64, EntryRow)>,
        mut check: impl FnMut(&Self, &IndexKey, EntryRow) -> Result<(), E>,
    ) -> Result<(), E> {
        for &(_, hash, _) in keys.iter().take(KEYS_PREFETCHED_AHEAD) {
            self.prefetch(hash);
        }
        let mut checked = Ok(());
        for at in 0..keys.len() {
            if let Some(&(_, ahead, _)) = keys.get(at + KEYS_PREFETCHED_AHEAD) {
                self.prefetch(ahead);
            }
            let (key, hash, row) = &mut keys[at];
            if let Err(error) = check(self, key, *row) {
                checked = Err(error);
                break;
            }
            // The key moves into the index; an integer (owning nothing) is left behind.
            let key = std::mem::replace(key, IndexKey::Int(0));
            self.index.insert_locked(key, *hash, *row);
        }
        keys.clear();
        checked
    }

    /// Asks for the cache line of the entry where the probe for a key of hash `hash` starts
    /// (only a hint: an insert between may rebuild the array).
    fn prefetch(&self, hash: u64) {
        // SAFETY: the writer lock is held, and only writers replace (and retire) the array,
        // so the array loaded here is not freed while this reads its length and address.
        let entries = unsafe {
            self.index
                .entries
                .load(Ordering::Relaxed, epoch::unprotected())
                .deref()
        };
        let at = hash as usize & entries.mask();
        crate::prefetch::prefetch_read(entries.slots()[at..].as_ptr());
    }

    /// Removes the `(key, row)` pair if present. Returns whether it was there.
    pub fn remove(&self, key: &IndexKey, row: EntryRow) -> bool {
        self.index.remove_locked(key, row)
    }

    /// Makes room for `additional` more entries at once (`HashIndex::reserve_locked`).
    pub fn reserve(&self, additional: usize) {
        self.index.reserve_locked(additional);
    }

    /// Removes every pair (`HashIndex::clear_locked`).
    pub fn clear(&self) {
        self.index.clear_locked();
    }

    /// The rows stored under `key` (a consistent view: no writer runs meanwhile).
    pub fn rows(&self, key: &IndexKey) -> Vec<EntryRow> {
        let mut rows = Vec::new();
        self.index
            .for_each(key, &epoch::pin(), |row| rows.push(row));
        rows
    }
}

impl Drop for HashIndex {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader or writer can reach the array, its boxed keys or
        // its chains any more, so they are ours to free (each once: only live entries own
        // them, and each live entry is in this one array).
        unsafe {
            let guard = epoch::unprotected();
            let shared = self.entries.load(Ordering::Relaxed, guard);
            if shared.is_null() {
                return;
            }
            let entries = shared.into_owned();
            for entry in entries.slots() {
                let row_word = entry.row.load(Ordering::Relaxed);
                if row_word == EMPTY || row_word == TOMBSTONE {
                    continue;
                }
                if row_word & BOXED_KEY != 0 {
                    free_boxed_key(entry.key.load(Ordering::Relaxed));
                }
                if row_word & CHAIN != 0 {
                    let mut node = Shared::from((row_word & LOW_BITS) as *const RowNode);
                    while !node.is_null() {
                        let next = node.deref().next.load(Ordering::Relaxed, guard);
                        drop(node.into_owned());
                        node = next;
                    }
                }
            }
            self.release(entries.bytes() + self.node_bytes.load(Ordering::Relaxed));
        }
    }
}

#[cfg(test)]
#[path = "hash_tests.rs"]
mod tests;
