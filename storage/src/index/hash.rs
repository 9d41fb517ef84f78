//! A hash index with lock-free reads. Readers pin a crossbeam epoch, load the bucket array and
//! walk one bucket's chain; they never take a lock. Writers serialize on one mutex per index,
//! publish new entries with release stores at a bucket head, and retire unlinked entries and
//! old bucket arrays through the epoch, so a reader still walking them stays safe.

use std::mem::size_of;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use crossbeam_epoch::{self as epoch, Atomic, Guard, Owned, Shared};

use super::key::IndexKey;
use crate::slab::MemoryAccount;

/// The row an entry points at (a slot id in the owning table).
pub type EntryRow = u64;

struct Entry {
    hash: u64,
    key: IndexKey,
    row: EntryRow,
    next: Atomic<Entry>,
}

struct Buckets {
    heads: Box<[Atomic<Entry>]>,
}

impl Buckets {
    fn with_len(len: usize) -> Buckets {
        debug_assert!(len.is_power_of_two());
        Buckets {
            heads: (0..len).map(|_| Atomic::null()).collect(),
        }
    }

    fn head(&self, hash: u64) -> &Atomic<Entry> {
        &self.heads[(hash as usize) & (self.heads.len() - 1)]
    }
}

/// Memory one index entry is charged (its node; a key's heap bytes are not counted).
pub const ENTRY_BYTES: u64 = size_of::<Entry>() as u64;

/// Memory a bucket array of `len` heads is charged.
fn bucket_bytes(len: usize) -> u64 {
    (len * size_of::<Atomic<Entry>>()) as u64
}

/// Key -> rows, many rows per key allowed (uniqueness is the caller's rule).
pub struct HashIndex {
    buckets: Atomic<Buckets>,
    writer: Mutex<()>,
    entries: AtomicUsize,
    /// Where the index charges its entries and bucket arrays (none in bare unit tests).
    account: Option<Arc<MemoryAccount>>,
}

const INITIAL_BUCKETS: usize = 64;

impl Default for HashIndex {
    fn default() -> Self {
        HashIndex::new()
    }
}

impl HashIndex {
    pub fn new() -> HashIndex {
        HashIndex::with_account(None)
    }

    /// An index that charges its memory to `account`. Charges never fail: writers check
    /// the budget (with room for their entries) before they write.
    pub fn with_account(account: Option<Arc<MemoryAccount>>) -> HashIndex {
        if let Some(account) = &account {
            account.charge_index(bucket_bytes(INITIAL_BUCKETS));
        }
        HashIndex {
            buckets: Atomic::new(Buckets::with_len(INITIAL_BUCKETS)),
            writer: Mutex::new(()),
            entries: AtomicUsize::new(0),
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

    /// Number of entries (stale ones included).
    pub fn len(&self) -> usize {
        self.entries.load(Ordering::Relaxed)
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Calls `visit` for every row stored under `key`. Lock-free.
    pub fn for_each(&self, key: &IndexKey, guard: &Guard, mut visit: impl FnMut(EntryRow)) {
        let hash = key.hash();
        // SAFETY: the bucket array is only retired through `defer_destroy` after being
        // replaced, and `guard` pins the epoch, so the array outlives this borrow.
        let buckets = unsafe { self.buckets.load(Ordering::Acquire, guard).deref() };
        let mut current = buckets.head(hash).load(Ordering::Acquire, guard);
        // SAFETY: entries are retired through `defer_destroy` only after being unlinked, and
        // the pinned `guard` keeps every entry reachable at load time alive.
        while let Some(entry) = unsafe { current.as_ref() } {
            if entry.hash == hash && entry.key == *key {
                visit(entry.row);
            }
            current = entry.next.load(Ordering::Acquire, guard);
        }
    }

    /// The first row stored under `key`, if any. Lock-free.
    pub fn get(&self, key: &IndexKey) -> Option<EntryRow> {
        self.get_pinned(key, &epoch::pin())
    }

    /// `get` under a guard the caller already holds (saves a second epoch pin).
    pub fn get_pinned(&self, key: &IndexKey, guard: &Guard) -> Option<EntryRow> {
        let mut found = None;
        self.for_each(key, guard, |row| {
            if found.is_none() {
                found = Some(row);
            }
        });
        found
    }

    /// Returns the row under `key`, or stores `make_row()` under it if there is none. The
    /// check and the insert happen under the writer lock, so two callers racing on one key
    /// agree on one row.
    pub fn get_or_insert_with(
        &self,
        key: &IndexKey,
        make_row: impl FnOnce() -> EntryRow,
    ) -> (EntryRow, bool) {
        let _writer = self.lock_writer();
        if let Some(row) = self.get(key) {
            return (row, false);
        }
        let row = make_row();
        self.insert_locked(key.clone(), row);
        (row, true)
    }

    /// Adds `(key, row)` unless that exact pair is already present.
    pub fn insert(&self, key: IndexKey, row: EntryRow) {
        self.lock_writer().insert(key, row);
    }

    /// Takes the writer lock: every change made through the returned handle is serialized
    /// with other writers, so a caller can check and change an index atomically (unique
    /// indexes do this). Readers are never blocked by it.
    pub fn lock_writer(&self) -> IndexWriter<'_> {
        let guard = self
            .writer
            .lock()
            .unwrap_or_else(|poison| poison.into_inner());
        IndexWriter {
            index: self,
            _guard: guard,
        }
    }

    /// Calls `visit` for every entry of the index. Lock-free; entries added or removed
    /// concurrently may or may not be visited.
    pub fn for_each_entry(&self, guard: &Guard, mut visit: impl FnMut(&IndexKey, EntryRow)) {
        // SAFETY: pinned guard; see `for_each`.
        let buckets = unsafe { self.buckets.load(Ordering::Acquire, guard).deref() };
        for head in buckets.heads.iter() {
            let mut current = head.load(Ordering::Acquire, guard);
            // SAFETY: pinned guard; see `for_each`.
            while let Some(entry) = unsafe { current.as_ref() } {
                visit(&entry.key, entry.row);
                current = entry.next.load(Ordering::Acquire, guard);
            }
        }
    }

    fn insert_locked(&self, key: IndexKey, row: EntryRow) {
        let guard = epoch::pin();
        let count = self.entries.load(Ordering::Relaxed) + 1;
        // SAFETY: pinned guard; see `for_each`.
        let buckets = unsafe { self.buckets.load(Ordering::Acquire, &guard).deref() };
        if count > buckets.heads.len() {
            self.grow_locked(&guard);
        }
        // SAFETY: as above; `grow_locked` may have installed a new array, which we reload.
        let buckets = unsafe { self.buckets.load(Ordering::Acquire, &guard).deref() };
        let hash = key.hash();
        let head = buckets.head(hash);
        let entry = Owned::new(Entry {
            hash,
            key,
            row,
            next: Atomic::null(),
        });
        entry
            .next
            .store(head.load(Ordering::Acquire, &guard), Ordering::Relaxed);
        head.store(entry, Ordering::Release);
        self.entries.store(count, Ordering::Relaxed);
        self.charge(ENTRY_BYTES);
    }

    /// Removes the `(key, row)` pair if present. Returns whether it was there.
    pub fn remove(&self, key: &IndexKey, row: EntryRow) -> bool {
        self.lock_writer().remove(key, row)
    }

    fn remove_locked(&self, key: &IndexKey, row: EntryRow) -> bool {
        let guard = epoch::pin();
        // SAFETY: pinned guard; see `for_each`.
        let buckets = unsafe { self.buckets.load(Ordering::Acquire, &guard).deref() };
        let hash = key.hash();
        let mut link = buckets.head(hash);
        loop {
            let current = link.load(Ordering::Acquire, &guard);
            // SAFETY: pinned guard; entries are alive while reachable.
            let Some(entry) = (unsafe { current.as_ref() }) else {
                return false;
            };
            if entry.hash == hash && entry.row == row && entry.key == *key {
                let next = entry.next.load(Ordering::Acquire, &guard);
                link.store(next, Ordering::Release);
                // SAFETY: the entry is unlinked and writers are serialized, so no new reader
                // can reach it; readers that already did are protected by their epoch pins.
                unsafe { guard.defer_destroy(current) };
                self.entries.fetch_sub(1, Ordering::Relaxed);
                self.release(ENTRY_BYTES);
                return true;
            }
            link = &entry.next;
        }
    }

    /// Doubles the bucket array. Entries are copied (their `next` links differ in the new
    /// array); the old array and entries are retired after the epoch.
    fn grow_locked(&self, guard: &Guard) {
        let old_shared = self.buckets.load(Ordering::Acquire, guard);
        // SAFETY: pinned guard, and only writers (serialized by the lock) replace the array.
        let old = unsafe { old_shared.deref() };
        let new = Buckets::with_len(old.heads.len() * 2);
        for head in old.heads.iter() {
            let mut current = head.load(Ordering::Acquire, guard);
            // SAFETY: pinned guard; entries reachable from the current array are alive.
            while let Some(entry) = unsafe { current.as_ref() } {
                let target = new.head(entry.hash);
                let copy = Owned::new(Entry {
                    hash: entry.hash,
                    key: entry.key.clone(),
                    row: entry.row,
                    next: Atomic::null(),
                });
                copy.next
                    .store(target.load(Ordering::Relaxed, guard), Ordering::Relaxed);
                target.store(copy, Ordering::Relaxed);
                current = entry.next.load(Ordering::Acquire, guard);
            }
        }
        self.charge(bucket_bytes(new.heads.len()));
        self.release(bucket_bytes(old.heads.len()));
        self.buckets.store(Owned::new(new), Ordering::Release);
        // SAFETY: the old array is no longer reachable from `self.buckets`; readers that
        // loaded it hold epoch pins, so destruction waits for them.
        unsafe { guard.defer_unchecked(move || drop_buckets(old_shared.into_owned())) };
    }
}

/// The writer lock of one index, held: changes through it are serialized with every other
/// writer of the index.
pub struct IndexWriter<'a> {
    index: &'a HashIndex,
    _guard: std::sync::MutexGuard<'a, ()>,
}

impl IndexWriter<'_> {
    /// Adds `(key, row)` unless that exact pair is already present; returns whether it added.
    pub fn insert(&self, key: IndexKey, row: EntryRow) -> bool {
        let guard = epoch::pin();
        let mut present = false;
        self.index
            .for_each(&key, &guard, |existing| present |= existing == row);
        if !present {
            self.index.insert_locked(key, row);
        }
        !present
    }

    /// Removes the `(key, row)` pair if present. Returns whether it was there.
    pub fn remove(&self, key: &IndexKey, row: EntryRow) -> bool {
        self.index.remove_locked(key, row)
    }

    /// The rows stored under `key` (a consistent view: no writer runs meanwhile).
    pub fn rows(&self, key: &IndexKey) -> Vec<EntryRow> {
        let mut rows = Vec::new();
        self.index
            .for_each(key, &epoch::pin(), |row| rows.push(row));
        rows
    }
}

/// Frees a bucket array and every entry chained from it.
fn drop_buckets(buckets: Owned<Buckets>) {
    // SAFETY: called only once no thread can reach the array (after the epoch, or in Drop
    // with exclusive access), so the entries are owned here.
    unsafe {
        let guard = epoch::unprotected();
        for head in buckets.heads.iter() {
            let mut current: Shared<Entry> = head.load(Ordering::Relaxed, guard);
            while !current.is_null() {
                let next = current.deref().next.load(Ordering::Relaxed, guard);
                drop(current.into_owned());
                current = next;
            }
        }
    }
}

impl Drop for HashIndex {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no reader or writer can reach the array any more.
        unsafe {
            let guard = epoch::unprotected();
            let buckets = self.buckets.load(Ordering::Relaxed, guard);
            if !buckets.is_null() {
                let len = buckets.deref().heads.len();
                self.release(bucket_bytes(len) + self.len() as u64 * ENTRY_BYTES);
                drop_buckets(buckets.into_owned());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    #[test]
    fn insert_get_remove_and_grow() {
        let index = HashIndex::new();
        for i in 0..10_000 {
            index.insert(IndexKey::Int(i), i as u64 * 2);
        }
        assert_eq!(index.len(), 10_000);
        for i in 0..10_000 {
            assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64 * 2));
        }
        assert!(index.remove(&IndexKey::Int(5), 10));
        assert!(!index.remove(&IndexKey::Int(5), 10));
        assert_eq!(index.get(&IndexKey::Int(5)), None);
        assert_eq!(index.len(), 9_999);
    }

    #[test]
    fn duplicate_keys_keep_all_rows() {
        let index = HashIndex::new();
        let key = IndexKey::Bytes(b"k".to_vec().into());
        index.insert(key.clone(), 1);
        index.insert(key.clone(), 2);
        index.insert(key.clone(), 2);
        let mut rows = Vec::new();
        index.for_each(&key, &epoch::pin(), |row| rows.push(row));
        rows.sort();
        assert_eq!(rows, vec![1, 2]);
    }

    #[test]
    fn concurrent_readers_see_every_published_key() {
        let index = Arc::new(HashIndex::new());
        let writer = {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                for i in 0..20_000i64 {
                    index.get_or_insert_with(&IndexKey::Int(i), || i as u64);
                }
            })
        };
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let index = Arc::clone(&index);
                std::thread::spawn(move || {
                    let mut seen = 0;
                    for round in 0..200 {
                        for i in (round * 100)..(round * 100 + 100) {
                            if let Some(row) = index.get(&IndexKey::Int(i)) {
                                assert_eq!(row, i as u64, "a key maps to its own row");
                                seen += 1;
                            }
                        }
                    }
                    seen
                })
            })
            .collect();
        writer.join().unwrap();
        for reader in readers {
            reader.join().unwrap();
        }
        for i in 0..20_000i64 {
            assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64));
        }
    }
}
