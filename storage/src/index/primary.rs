//! The primary-key index: key -> the one slot holding every version of that key. Open
//! addressing with linear probing over an array of 16-byte entries (no allocation per entry
//! for integer keys; other keys keep one boxed block of their bytes), so a probe touches one
//! or two cache lines and a row costs about 20 bytes of index at the usual load.
//!
//! CONCURRENCY. Readers pin a crossbeam epoch, load the entry array and probe it without
//! locks. Writers serialize on one mutex. An entry is written once: key word first, then the
//! row word with a release store; readers load the row word (acquire) before the key word,
//! so a published row always comes with its key. An entry never changes keys: a removed
//! key's entry becomes vacant (row word `VACANT`), keeping its key, and the key's next insert
//! takes it back (a key deleted and reinserted round after round, as a queue or a session
//! table does, leaves no dead entry per round in its probe sequence); only a rebuild (a
//! fresh array, published with a release store; the old one retired through the epoch)
//! drops vacant entries. So a reader never pairs one key's row with another key.
//!
//! ENTRY WORDS. Row word: 0 = empty; `VACANT`; otherwise `row + 1`; with `BOXED_KEY` set
//! when the key word is a pointer to a boxed key (non-integer keys: a `ThinBytes` block of
//! the key's bytes, the key's own block when it was built on the heap) instead of the
//! integer key itself. A boxed key word holds the block's address in its low 48 bits and
//! the top 16 bits of the key's hash above them (`KEY_TAG_SHIFT`): a probe passing entries
//! of other keys compares tags and reads no other key's block (one cache miss each) unless
//! the tags agree (1 in 65,536 for another key). A boxed key belongs to the entry that
//! points at it, live or vacant: rebuilds move a live entry's pointer and free a vacant
//! one's after the epoch, dropping the index frees the rest. (`TOMBSTONE`, all ones, is an
//! entry with no key: this index never makes one; the checks for it stay as a guard.)

use std::alloc::Layout;
use std::mem::size_of;
use std::mem::ManuallyDrop;
use std::ptr::NonNull;
use std::sync::atomic::{AtomicI64, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned};

use super::hash::EntryRow;
use super::key::{fx_hash_bytes, IndexKey};
use super::key_bytes::KeyBytes;
use super::thin_bytes::ThinBytes;
use crate::prefetch::prefetch_read;
use crate::slab::{arena, MemoryAccount};

pub(super) const EMPTY: u64 = 0;
pub(super) const TOMBSTONE: u64 = u64::MAX;
pub(super) const BOXED_KEY: u64 = 1 << 63;
/// Rows must fit under the flag without making the word `VACANT` or `TOMBSTONE`. `ROW_MAX`
/// itself stands for `EntryRow::MAX` (the placeholder of a failed insert).
const ROW_MAX: u64 = BOXED_KEY - 4;
/// The row word (with `BOXED_KEY` or not) of an entry whose key has no row now.
const VACANT: u64 = BOXED_KEY - 2;

/// Whether a row word (neither empty nor a tombstone) holds a row.
#[inline]
fn holds_row(row_word: u64) -> bool {
    row_word & !BOXED_KEY != VACANT
}

#[inline]
fn encode_row(row: EntryRow) -> u64 {
    row.min(ROW_MAX) + 1
}

fn decode_row(row_word: u64) -> EntryRow {
    match (row_word & !BOXED_KEY) - 1 {
        ROW_MAX => EntryRow::MAX,
        row => row,
    }
}

pub(super) const INITIAL_CAPACITY: usize = 64;

/// Used entries (live + vacant) per 16 of capacity past which the array is rebuilt.
pub(super) const LOAD_SIXTEENTHS_MAX: usize = 13;

/// An array whose live entries fall below 1/16 of its capacity is rebuilt smaller
/// (`PrimaryIndex::remove`).
pub(super) const SHRINK_BELOW_SIXTEENTHS_INVERSE: usize = 16;

/// Arrays of at most this many entries (16 KB) never shrink: a burst of keys inserted and
/// removed again (a batch of rows deleted after use, a queue) would otherwise rebuild the
/// array twice per round, growing and shrinking, each time a fresh zeroed allocation (which
/// also makes the allocator consolidate its free lists).
pub(super) const SHRINK_FLOOR: usize = 1024;

/// Bytes of one entry (key word + row word).
pub const PRIMARY_ENTRY_BYTES: u64 = size_of::<Entry>() as u64;

const _: () = assert!(crate::limits::TABLE_SLOTS_MAX <= ROW_MAX);

pub(super) struct Entry {
    pub(super) key: AtomicU64,
    pub(super) row: AtomicU64,
}

/// The entry array: arena memory (huge pages once it is large: a probe is a random access
/// over the whole array), zeroed, since an all-zero entry is an empty one (row word `EMPTY`).
pub(super) struct Entries {
    first: NonNull<Entry>,
    len: usize,
}

const _: () = assert!(EMPTY == 0);

// SAFETY: `Entries` owns its array (freed once, by `Drop`), and entries are atomics.
unsafe impl Send for Entries {}
// SAFETY: as above: shared access only goes through the entries' atomics.
unsafe impl Sync for Entries {}

impl Entries {
    fn layout(capacity: usize) -> Layout {
        Layout::array::<Entry>(capacity).expect("capacities stay far below isize::MAX bytes")
    }

    pub(super) fn with_capacity(capacity: usize) -> Entries {
        debug_assert!(capacity.is_power_of_two());
        let first = arena::allocate_zeroed(Entries::layout(capacity)).cast::<Entry>();
        Entries {
            first,
            len: capacity,
        }
    }

    pub(super) fn slots(&self) -> &[Entry] {
        // SAFETY: `first` points at `len` entries allocated (zeroed: valid empty entries) in
        // `with_capacity` and freed only by `Drop`.
        unsafe { std::slice::from_raw_parts(self.first.as_ptr(), self.len) }
    }

    pub(super) fn mask(&self) -> usize {
        self.len - 1
    }

    pub(super) fn bytes(&self) -> u64 {
        self.len as u64 * PRIMARY_ENTRY_BYTES
    }
}

impl Drop for Entries {
    fn drop(&mut self) {
        // SAFETY: allocated in `with_capacity` with this layout; `&mut self`: no borrow of the
        // entries remains, and `Drop` runs once.
        unsafe { arena::deallocate(self.first.cast(), Entries::layout(self.len)) };
    }
}

/// Where a boxed key word's tag starts: the bits below hold the block's address.
const KEY_TAG_SHIFT: u32 = 48;

/// The bits of a boxed key word that hold the block's address.
const KEY_ADDRESS_MASK: u64 = (1 << KEY_TAG_SHIFT) - 1;

/// The tag bits of a boxed key word for a key whose hash is `hash` (its top 16 bits; the
/// probe position comes from the low bits).
#[inline(always)]
fn key_tag(hash: u64) -> u64 {
    hash & !KEY_ADDRESS_MASK
}

/// The key word and flag (`BOXED_KEY` or 0) of an entry for `key`, whose hash is `hash`:
/// an integer in place, any other key boxed (its address tagged with `hash`'s top bits),
/// the entry then owning its block of bytes (`ThinBytes`: the key's own when it was built
/// on the heap, so storing it allocates nothing).
pub(super) fn key_word_of(key: IndexKey, hash: u64) -> (u64, u64) {
    debug_assert_eq!(hash, key.hash());
    match key {
        IndexKey::Int(int) => (int as u64, 0),
        IndexKey::Bytes(bytes) => {
            let address = bytes.into_thin().into_raw() as u64;
            // User-space addresses of the 64-bit systems Rust's allocator runs on stay below
            // 2^48 (x86-64 and AArch64 hand out higher ones only to a mapping that asks for
            // them); a block above would lose its tag bits, so it is refused outright.
            assert!(
                address & !KEY_ADDRESS_MASK == 0,
                "an index key block at {address:#x}, above the 48-bit address space"
            );
            (address | key_tag(hash), BOXED_KEY)
        }
    }
}

/// The address of the block a boxed key word points at.
#[inline(always)]
fn boxed_key_address(key_word: u64) -> *mut u8 {
    (key_word & KEY_ADDRESS_MASK) as *mut u8
}

/// The bytes of the boxed key `key_word` addresses.
///
/// # Safety
/// `key_word` is a boxed key word (`key_word_of`) whose block stays unfreed for `'a`.
#[inline(always)]
pub(super) unsafe fn boxed_key_bytes<'a>(key_word: u64) -> &'a [u8] {
    // SAFETY: by the caller's contract the block is alive for 'a.
    unsafe { ThinBytes::slice_at(boxed_key_address(key_word)) }
}

/// The boxed key `key_word` addresses as an `IndexKey` that is never dropped (the entry
/// keeps owning the block).
///
/// # Safety
/// As for `boxed_key_bytes`; the view must not outlive the block.
pub(super) unsafe fn boxed_key_view(key_word: u64) -> ManuallyDrop<IndexKey> {
    // SAFETY: by the caller's contract the block is alive; `ManuallyDrop` keeps this second
    // owner from freeing it.
    let block = unsafe { ThinBytes::from_raw(boxed_key_address(key_word)) };
    ManuallyDrop::new(IndexKey::Bytes(KeyBytes::from_heap(block)))
}

/// Frees the boxed key `key_word` addresses.
///
/// # Safety
/// `key_word` is a boxed key word (`key_word_of`) that no entry or reader reaches any more,
/// freed once.
pub(super) unsafe fn free_boxed_key(key_word: u64) {
    // SAFETY: by the caller's contract the block is owned by nothing else now.
    drop(unsafe { ThinBytes::from_raw(boxed_key_address(key_word)) });
}

/// Whether the entry with words (`key_word`, `row_word`) holds `key`, whose hash is
/// `hash`.
///
/// # Safety
/// `row_word` was loaded (acquire) from the entry before `key_word`, under a pinned guard
/// that predates any retirement of the boxed key it may point at.
#[inline(always)]
pub(super) unsafe fn entry_holds(key_word: u64, row_word: u64, key: &IndexKey, hash: u64) -> bool {
    match (key, row_word & BOXED_KEY != 0) {
        (IndexKey::Int(int), false) => key_word == *int as u64,
        (IndexKey::Bytes(bytes), true) => {
            key_word & !KEY_ADDRESS_MASK == key_tag(hash)
                // SAFETY: by the caller's contract the boxed key is alive (see module comment).
                && unsafe { boxed_key_bytes(key_word) == bytes.as_slice() }
        }
        _ => false,
    }
}

/// Key -> row, one row per key.
pub struct PrimaryIndex {
    entries: Atomic<Entries>,
    writer: Mutex<()>,
    /// Live entries (changed by writers only, under the lock).
    live: AtomicUsize,
    /// Live entries plus vacant ones in the current array (writers only, under the lock).
    used: AtomicUsize,
    /// The largest integer key ever stored (`i64::MIN` before the first): an upper bound of
    /// every integer key any snapshot sees, kept under the writer lock (plain stores).
    /// The engine assigns INTEGER PRIMARY KEY values from it.
    max_int_key: AtomicI64,
    account: Option<Arc<MemoryAccount>>,
}

impl PrimaryIndex {
    /// An index that charges its entry arrays to `account` (charges never fail: writers
    /// check the budget before they write).
    pub fn with_account(account: Option<Arc<MemoryAccount>>) -> PrimaryIndex {
        let entries = Entries::with_capacity(INITIAL_CAPACITY);
        if let Some(account) = &account {
            account.charge_index(entries.bytes());
        }
        PrimaryIndex {
            entries: Atomic::new(entries),
            writer: Mutex::new(()),
            live: AtomicUsize::new(0),
            used: AtomicUsize::new(0),
            max_int_key: AtomicI64::new(i64::MIN),
            account,
        }
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.live.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The largest integer key ever stored in this index (its row may since be deleted,
    /// rolled back or not yet committed); `None` before the first integer key.
    pub fn max_int_key(&self) -> Option<i64> {
        let max = self.max_int_key.load(Ordering::Relaxed);
        (max != i64::MIN || self.is_int_min_stored()).then_some(max)
    }

    /// Whether `i64::MIN` itself is a key (it doubles as "no key yet" in `max_int_key`).
    fn is_int_min_stored(&self) -> bool {
        self.get(&IndexKey::Int(i64::MIN)).is_some()
    }

    /// The row stored under `key`, if any. Lock-free.
    pub fn get(&self, key: &IndexKey) -> Option<EntryRow> {
        self.get_pinned(key, &epoch::pin())
    }

    /// `get` under a guard the caller already holds.
    pub fn get_pinned(&self, key: &IndexKey, guard: &Guard) -> Option<EntryRow> {
        // SAFETY: arrays are retired through the epoch only after being replaced, and
        // `guard` is pinned, so the array outlives this borrow.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        find(entries, key).map(|(_, row_word, _)| decode_row(row_word))
    }

    /// Starts loading the cache line where a probe for `key` begins (a hint: it reads
    /// nothing). An insert calls it before encoding its row, so the probe that follows
    /// finds the entry in cache instead of waiting on a miss into a large array.
    #[inline]
    pub fn prefetch(&self, key: &IndexKey, guard: &Guard) {
        // SAFETY: pinned guard; see `get_pinned`.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        let home = key.hash() as usize & entries.mask();
        prefetch_read(&entries.slots()[home]);
    }

    /// Returns the row under `key`, or stores `make_row()` under it if there is none (the
    /// check and the insert happen under the writer lock, so racing callers agree on one
    /// row). The bool says whether it inserted.
    pub fn get_or_insert_with(
        &self,
        key: &IndexKey,
        make_row: impl FnOnce() -> EntryRow,
    ) -> (EntryRow, bool) {
        self.get_or_insert_with_pinned(key, make_row, &epoch::pin())
    }

    /// `get_or_insert_with` under a guard the caller already holds.
    pub fn get_or_insert_with_pinned(
        &self,
        key: &IndexKey,
        make_row: impl FnOnce() -> EntryRow,
        guard: &Guard,
    ) -> (EntryRow, bool) {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        self.make_room_locked(guard);
        // SAFETY: pinned guard; only writers (serialized by the lock) replace the array, and
        // `make_room_locked` already did, so this array takes the entry.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        // One probe: it finds the key's entry (live: its row; vacant: taken back), or ends at
        // the empty entry the key goes into (an entry never changes keys, so that is where
        // `place` would put it).
        let hash = key.hash();
        match probe(entries, key, hash) {
            Ok((_, row_word, _)) if holds_row(row_word) => (decode_row(row_word), false),
            Ok((entry, row_word, _)) => {
                // The key's vacant entry: its key word stays, the row word comes back.
                let row = make_row();
                debug_assert!(row < ROW_MAX || row == EntryRow::MAX);
                entry
                    .row
                    .store(encode_row(row) | (row_word & BOXED_KEY), Ordering::Release);
                self.live
                    .store(self.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
                (row, true)
            }
            Err(empty) => self.place_new(entries, empty, (key, hash), make_row),
        }
    }

    /// Writes `key` (whose hash is `hash`) with the row `make_row` gives into the empty
    /// entry `empty` of `entries`
    /// (the writer lock held, `make_room_locked` done).
    #[inline]
    fn place_new(
        &self,
        entries: &Entries,
        empty: usize,
        (key, hash): (&IndexKey, u64),
        make_row: impl FnOnce() -> EntryRow,
    ) -> (EntryRow, bool) {
        let row = make_row();
        debug_assert!(row < ROW_MAX || row == EntryRow::MAX);
        let (key_word, boxed) = key_word_of(key.clone(), hash);
        let entry = &entries.slots()[empty];
        debug_assert_eq!(entry.row.load(Ordering::Relaxed), EMPTY);
        entry.key.store(key_word, Ordering::Relaxed);
        entry.row.store(encode_row(row) | boxed, Ordering::Release);
        self.used
            .store(self.used.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        // Writers change `live` only under the lock: a plain store, no read-modify-write.
        self.live
            .store(self.live.load(Ordering::Relaxed) + 1, Ordering::Relaxed);
        if let IndexKey::Int(int) = key {
            if *int > self.max_int_key.load(Ordering::Relaxed) {
                self.max_int_key.store(*int, Ordering::Relaxed);
            }
        }
        (row, true)
    }

    /// Rebuilds the array first if one more entry would pass the load limit.
    #[inline]
    fn make_room_locked(&self, guard: &Guard) {
        let used = self.used.load(Ordering::Relaxed);
        // SAFETY: pinned guard; only writers (serialized by the lock) replace the array.
        let entries = unsafe { self.entries.load(Ordering::Acquire, guard).deref() };
        if (used + 1) * 16 > entries.len * LOAD_SIXTEENTHS_MAX {
            self.rebuild_locked(guard);
        }
    }

    /// Removes `key` if it maps to `row` (`RowId::MAX` matches the placeholder of a failed
    /// insert). Returns whether it was there.
    pub fn remove(&self, key: &IndexKey, row: EntryRow) -> bool {
        let _writer = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let guard = epoch::pin();
        // SAFETY: pinned guard; see `get_pinned`.
        let entries = unsafe { self.entries.load(Ordering::Acquire, &guard).deref() };
        let Some((entry, row_word, _)) = find(entries, key) else {
            return false;
        };
        if decode_row(row_word) != row {
            return false;
        }
        // The key (boxed or not) stays for its next insert; a rebuild drops it.
        entry
            .row
            .store(VACANT | (row_word & BOXED_KEY), Ordering::Release);
        let live = self.live.load(Ordering::Relaxed) - 1;
        self.live.store(live, Ordering::Relaxed);
        // Mostly deleted (expired, evicted, a table emptied): give the array's memory back.
        if live * SHRINK_BELOW_SIXTEENTHS_INVERSE < entries.len && entries.len > SHRINK_FLOOR {
            self.rebuild_locked(&guard);
        }
        true
    }

    /// Replaces the array with one holding only the live entries: twice as large when more
    /// than half the load limit is live, else the same size (vacant entries purged). A full
    /// array (13/16 live) doubles once, so the rebuilt one is 13/32 full: 20 to 40 B of
    /// entries per key. (Counting the next insert as live would make a full array quadruple,
    /// to 13/64: up to 79 B per key.)
    #[cold]
    #[inline(never)]
    fn rebuild_locked(&self, guard: &Guard) {
        let old_shared = self.entries.load(Ordering::Acquire, guard);
        // SAFETY: pinned guard; only writers replace the array.
        let old = unsafe { old_shared.deref() };
        let live = self.live.load(Ordering::Relaxed);
        let new = live_entries_of(old, rebuilt_capacity(live, old.slots().len()), holds_row);
        retire_vacant_boxed_keys(old, VACANT | BOXED_KEY, guard);
        if let Some(account) = &self.account {
            account.charge_index(new.bytes());
            account.release_index(old.bytes());
        }
        self.used.store(live, Ordering::Relaxed);
        self.entries.store(Owned::new(new), Ordering::Release);
        // SAFETY: the old array is unreachable from `self.entries`; readers that loaded it
        // hold epoch pins, which destruction waits for. Dropping `Entries` frees only the
        // array: the boxed keys moved to the new one.
        unsafe { guard.defer_destroy(old_shared) };
    }
}

/// A fresh array of `capacity` entries holding the live entries of `old` (key and row words
/// as they are), for a rebuild under the writer lock (this index's and the secondary hash
/// index's, `hash.rs`: a row word's flags other than `BOXED_KEY` are copied untouched).
/// Entries whose row word `holds_rows` refuses are left out too (the hash index's vacant
/// ones: the caller retires their boxed keys).
pub(super) fn live_entries_of(
    old: &Entries,
    capacity: usize,
    holds_rows: impl Fn(u64) -> bool,
) -> Entries {
    let new = Entries::with_capacity(capacity);
    for entry in old.slots() {
        let row_word = entry.row.load(Ordering::Relaxed);
        if row_word == EMPTY || row_word == TOMBSTONE || !holds_rows(row_word) {
            continue;
        }
        let key_word = entry.key.load(Ordering::Relaxed);
        let hash = if row_word & BOXED_KEY != 0 {
            // SAFETY: a live entry's boxed key is alive (only its removal frees it, and the
            // caller holds the writer lock that removal takes).
            fx_hash_bytes(unsafe { boxed_key_bytes(key_word) })
        } else {
            IndexKey::Int(key_word as i64).hash()
        };
        place(&new, hash, key_word, row_word);
    }
    new
}

/// The capacity an array of `capacity` entries holding `live` keys is rebuilt with: twice
/// as large when more than half the load limit is live, halved while mostly empty, else the
/// same (see `PrimaryIndex::rebuild_locked`).
pub(super) fn rebuilt_capacity(live: usize, mut capacity: usize) -> usize {
    while live * 32 > capacity * LOAD_SIXTEENTHS_MAX {
        capacity *= 2;
    }
    // A mostly empty array halves while its live entries fill at most 13/32 of the
    // half: after a shrink the array is 13/64 to 13/32 full, far from both the growth
    // limit (13/16) and the next shrink (1/16), so deletes and inserts cannot make it
    // rebuild back and forth.
    while capacity > SHRINK_FLOOR
        && live * SHRINK_BELOW_SIXTEENTHS_INVERSE < capacity
        && live * 64 <= capacity * LOAD_SIXTEENTHS_MAX
    {
        capacity /= 2;
    }
    debug_assert!(capacity.is_power_of_two() && capacity >= INITIAL_CAPACITY);
    debug_assert!(live * 16 <= capacity * LOAD_SIXTEENTHS_MAX);
    capacity
}

/// The live entry holding `key` in `entries`, with its row and key words, if any. The
/// caller holds an epoch pin under which `entries` was loaded.
fn find<'e>(entries: &'e Entries, key: &IndexKey) -> Option<(&'e Entry, u64, u64)> {
    probe(entries, key, key.hash())
        .ok()
        .filter(|(_, row_word, _)| holds_row(*row_word))
}

/// Frees, after the epoch, the boxed keys of `old`'s vacant entries (row word
/// `vacant_boxed`), which a rebuild under the writer lock just left out of the new array.
pub(super) fn retire_vacant_boxed_keys(old: &Entries, vacant_boxed: u64, guard: &Guard) {
    let keys: Vec<usize> = old
        .slots()
        .iter()
        .filter(|entry| entry.row.load(Ordering::Relaxed) == vacant_boxed)
        .map(|entry| entry.key.load(Ordering::Relaxed) as usize)
        .collect();
    if keys.is_empty() {
        return;
    }
    // SAFETY: a vacant entry's boxed key is referenced by the old array only (the rebuild
    // left the entry out of the new one), which the caller replaces under its writer lock;
    // probes that loaded the old array hold epoch pins, which the deferred free waits for.
    // Each key is freed once: `Drop` frees only the keys of the array in place, and the old
    // array is retired with `defer_destroy`, which frees no key.
    unsafe {
        guard.defer_unchecked(move || {
            for key in keys {
                free_boxed_key(key as u64);
            }
        })
    };
}

/// The entry of `key` (whose hash is `hash`), live or vacant, or else the index of the
/// empty entry that ended the probe.
#[inline]
fn probe<'e>(
    entries: &'e Entries,
    key: &IndexKey,
    hash: u64,
) -> Result<(&'e Entry, u64, u64), usize> {
    debug_assert_eq!(hash, key.hash());
    let mask = entries.mask();
    let mut index = hash as usize & mask;
    loop {
        let entry = &entries.slots()[index];
        let row_word = entry.row.load(Ordering::Acquire);
        if row_word == EMPTY {
            return Err(index);
        }
        if row_word != TOMBSTONE {
            let key_word = entry.key.load(Ordering::Relaxed);
            // SAFETY: the row word was loaded (acquire) first, and the caller's pin keeps a
            // boxed key alive until every probe that saw it live has ended.
            if unsafe { entry_holds(key_word, row_word, key, hash) } {
                return Ok((entry, row_word, key_word));
            }
        }
        // The load limit keeps empty entries in every array, so the probe ends.
        index = (index + 1) & mask;
    }
}

/// Writes an entry into the first empty slot of `hash`'s probe sequence: key word, then the
/// row word with a release store (readers load the row word first).
fn place(entries: &Entries, hash: u64, key_word: u64, row_word: u64) {
    let mask = entries.mask();
    let mut index = hash as usize & mask;
    loop {
        let entry = &entries.slots()[index];
        if entry.row.load(Ordering::Relaxed) == EMPTY {
            entry.key.store(key_word, Ordering::Relaxed);
            entry.row.store(row_word, Ordering::Release);
            return;
        }
        index = (index + 1) & mask;
    }
}

impl Drop for PrimaryIndex {
    fn drop(&mut self) {
        // SAFETY: `&mut self`: no reader or writer can reach the array any more.
        unsafe {
            let guard = epoch::unprotected();
            let shared = self.entries.load(Ordering::Relaxed, guard);
            if shared.is_null() {
                return;
            }
            let entries = shared.into_owned();
            for entry in entries.slots().iter() {
                let row_word = entry.row.load(Ordering::Relaxed);
                if row_word != EMPTY && row_word != TOMBSTONE && row_word & BOXED_KEY != 0 {
                    free_boxed_key(entry.key.load(Ordering::Relaxed));
                }
            }
            if let Some(account) = &self.account {
                account.release_index(entries.bytes());
            }
        }
    }
}

#[cfg(test)]
#[path = "primary_tests.rs"]
mod tests;
