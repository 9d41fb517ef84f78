//! Recycled version headers. Every written row needs a `Version` header, and at commit the
//! collector retires most of them again (a frozen row keeps only its payload, an overwritten
//! version goes entirely) through crossbeam-epoch. Rather than a `malloc` per write and a
//! `free` per retirement, the retired headers' memory goes back to the pool's
//! `SpareHeaders` (one lock per retired batch) and each transaction takes them from there a
//! batch at a time (`HeaderCache`, one lock per `REFILL_HEADERS` writes).
//!
//! A spare header is uninitialised memory of a `Version`'s size and alignment: its previous
//! version was dropped in place (payload released) when it was recycled. Spare headers are
//! free memory and are not charged to the memory account (like the allocator's own caches);
//! `SPARE_HEADERS_MAX` and `REFILL_HEADERS` bound what they hold.

use std::mem::MaybeUninit;
use std::sync::Mutex;

use crossbeam_epoch::Owned;

use super::version::Version;
use crate::slab::ReleaseTally;

/// Memory for one `Version`, not initialised.
pub(crate) type SpareHeader = Box<MaybeUninit<Version>>;

/// Most spare headers one pool keeps (~40 bytes each, so at most ~5 MB); retired headers
/// past it are freed. An UPDATE of a row retires two headers at its commit (the replaced
/// version's, and the new version's when the row is frozen), so this lets an UPDATE of up
/// to ~65,000 rows find every header the previous one retired. Measured with
/// ember-write-shapes: at 4,096 a 20,000-row UPDATE spent a fifth of its time in `malloc`
/// and `free` of headers; at 32,768 it still allocated 7,232 headers per run (the 40,000
/// retired minus the cap) and freed as many.
pub(crate) const SPARE_HEADERS_MAX: usize = 131_072;

/// Headers a transaction takes from the pool at a time (and so holds at most).
pub(crate) const REFILL_HEADERS: usize = 64;

/// How many makes ahead `HeaderCache::make` asks for a spare header's line (two makes per
/// updated frozen row: the thaw and the new version). Timed on a 20,000-row UPDATE
/// (ember-write-shapes' "many rows", 200,000 rows, one process per setting, alternated,
/// load average ~8, so noisy):
/// 1 ahead 9.1-12.4 ms, 3 to 12 ahead 7.8-9.7 ms; 4 keeps the lines asked for (at most
/// four) few beside the commit's own prefetches.
const HEADERS_PREFETCHED_AHEAD: usize = 4;

/// The spare headers of one pool (shared by its tables and transactions).
#[derive(Default)]
pub(crate) struct SpareHeaders {
    list: Mutex<Vec<SpareHeader>>,
}

impl SpareHeaders {
    fn list(&self) -> std::sync::MutexGuard<'_, Vec<SpareHeader>> {
        self.list
            .lock()
            .unwrap_or_else(|poison| poison.into_inner())
    }

    /// Moves up to `count` spare headers into `into`.
    fn take_into(&self, into: &mut Vec<SpareHeader>, count: usize) {
        let mut list = self.list();
        let keep = list.len().saturating_sub(count);
        into.extend(list.drain(keep..));
    }

    /// Drops each retired version in place (releasing its payload, if it still holds one)
    /// and keeps its memory as a spare header, up to `SPARE_HEADERS_MAX`; frees the rest.
    ///
    /// # Safety
    /// Each pointer came from `Owned::into_shared`/`as_raw` of a `Version` allocated as a
    /// `Box<Version>` (every `Owned<Version>` is), nothing reaches it any more (unlinked,
    /// and the epoch has passed), and it appears once.
    pub(crate) unsafe fn recycle(&self, versions: impl IntoIterator<Item = *mut Version>) {
        let versions = versions.into_iter();
        // Sized once (a collection retires up to tens of thousands at a time).
        let mut spare: Vec<SpareHeader> = Vec::with_capacity(versions.size_hint().0);
        // The payloads' releases of the shared counters, applied once for the batch.
        let mut tally = ReleaseTally::new();
        for version in versions {
            // SAFETY: by the caller's contract the version is initialised, owned by nobody
            // else and unreachable; its payload is freed and it is dropped once here.
            unsafe {
                (*version).payload.free_tallied(&mut tally);
                std::ptr::drop_in_place(version);
            }
            // SAFETY: the allocation is a `Box<Version>`'s, whose layout is that of
            // `MaybeUninit<Version>`; its content was just dropped, so it is treated as
            // uninitialised from now on.
            spare.push(unsafe { Box::from_raw(version.cast::<MaybeUninit<Version>>()) });
        }
        tally.apply();
        if spare.is_empty() {
            return;
        }
        let extra = {
            let mut list = self.list();
            let room = SPARE_HEADERS_MAX.saturating_sub(list.len());
            let kept = spare.len().min(room);
            list.extend(spare.drain(..kept));
            spare
        };
        // The headers past the bound are freed here, outside the lock.
        drop(extra);
    }

    /// Frees the spare headers past `keep`, and the list's room past what it then holds;
    /// returns how many it freed. The collector calls it once the store is idle after
    /// memory fell (`SlabPool::release_spare_headers`): a large write retires up to
    /// `SPARE_HEADERS_MAX` headers, ~6 MiB that would otherwise stay resident.
    pub(crate) fn shrink_to(&self, keep: usize) -> usize {
        let freed = {
            let mut list = self.list();
            let keep = keep.min(list.len());
            let freed: Vec<SpareHeader> = list.drain(keep..).collect();
            list.shrink_to(keep);
            freed
        };
        // Freed here, outside the lock.
        freed.len()
    }

    /// Spare headers held now.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.list().len()
    }
}

/// A transaction's own spare headers, refilled from the pool's a batch at a time.
#[derive(Default)]
pub(crate) struct HeaderCache {
    spare: Vec<SpareHeader>,
}

impl HeaderCache {
    /// Puts `version` into a spare header (taking a batch from `shared` when this cache is
    /// empty, a fresh allocation when that is empty too).
    pub(crate) fn make(&mut self, shared: &SpareHeaders, version: Version) -> Owned<Version> {
        let header = match self.spare.pop() {
            Some(header) => header,
            None => {
                shared.take_into(&mut self.spare, REFILL_HEADERS);
                // A new batch: its first headers are asked for together.
                let first = self.spare.iter().rev().take(HEADERS_PREFETCHED_AHEAD + 1);
                first.for_each(|next| crate::prefetch::prefetch_read(next.as_ptr()));
                self.spare.pop().unwrap_or_else(Box::new_uninit)
            }
        };
        // The header of the write `HEADERS_PREFETCHED_AHEAD` makes from now is asked for:
        // recycled headers lie anywhere in memory, and writing into one that is not cached
        // waits for its line (one make ahead, the line was often not there yet).
        let ahead = self.spare.len().checked_sub(HEADERS_PREFETCHED_AHEAD);
        if let Some(next) = ahead.and_then(|at| self.spare.get(at)) {
            crate::prefetch::prefetch_read(next.as_ptr());
        }
        let raw = Box::into_raw(header);
        // SAFETY: `raw` is a live, exclusively owned allocation for a `Version` (from
        // `Box::into_raw`); writing initialises it, after which it is a valid
        // `Box<Version>` (`MaybeUninit<T>` has `T`'s layout).
        let boxed = unsafe {
            (*raw).write(version);
            Box::from_raw(raw.cast::<Version>())
        };
        Owned::from(boxed)
    }

    /// Spare headers this cache holds.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.spare.len()
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::*;
    use crate::slab::{MemoryAccount, Payload, SlabPool};

    fn version(pool: &SlabPool, begin: u64) -> Version {
        Version::new(begin, Payload::new(pool, &[1, 2, 3], 0).unwrap())
    }

    #[test]
    fn shrinking_frees_the_spare_headers_past_the_reserve_and_keeps_the_rest_usable() {
        let account = Arc::new(MemoryAccount::new());
        let pool = SlabPool::new(Arc::clone(&account));
        let shared = SpareHeaders::default();
        let mut cache = HeaderCache::default();
        let addresses: Vec<*mut Version> = (0..1000)
            .map(|begin| Box::into_raw(cache.make(&shared, version(&pool, begin)).into_box()))
            .collect();
        // SAFETY: `Box<Version>`s that nothing else references, each recycled once.
        unsafe { shared.recycle(addresses) };
        assert_eq!(shared.len(), 1000);
        assert_eq!(shared.shrink_to(100), 900);
        assert_eq!(shared.len(), 100);
        assert!(shared.list().capacity() < 1000);
        assert_eq!(shared.shrink_to(100), 0);
        // The kept headers still serve new versions.
        let made: Vec<_> = (0..150)
            .map(|begin| cache.make(&shared, version(&pool, begin)))
            .collect();
        assert!(made
            .iter()
            .zip(0..)
            .all(|(v, begin)| v.begin.load(std::sync::atomic::Ordering::Relaxed) == begin));
        assert_eq!(shared.len(), 0);
        // Shrinking to nothing (an idle store's settled trim) frees the list's buffer too.
        let addresses: Vec<*mut Version> = made
            .into_iter()
            .map(|v| Box::into_raw(v.into_box()))
            .collect();
        // SAFETY: as above.
        unsafe { shared.recycle(addresses) };
        assert_eq!(shared.shrink_to(0), 150);
        assert_eq!((shared.len(), shared.list().capacity()), (0, 0));
    }

    #[test]
    fn recycled_header_is_reused_and_its_payload_released() {
        let account = Arc::new(MemoryAccount::new());
        let pool = SlabPool::new(Arc::clone(&account));
        let shared = SpareHeaders::default();
        let mut cache = HeaderCache::default();
        let first = cache.make(&shared, version(&pool, 7));
        assert_eq!(first.begin.load(std::sync::atomic::Ordering::Relaxed), 7);
        assert_eq!(account.stats().versions, 1);
        let raw = first.into_box();
        let address = Box::into_raw(raw);
        // SAFETY: a `Box<Version>` that nothing else references, recycled once.
        unsafe { shared.recycle([address]) };
        assert_eq!(account.stats().versions, 0, "the payload was released");
        assert_eq!(shared.len(), 1);
        let second = cache.make(&shared, version(&pool, 9));
        assert_eq!(second.as_ref() as *const Version, address.cast_const());
        assert_eq!(second.begin.load(std::sync::atomic::Ordering::Relaxed), 9);
        assert_eq!((shared.len(), cache.len()), (0, 0));
        drop(second);
        assert_eq!(account.stats().versions, 0);
    }

    #[test]
    fn pool_keeps_at_most_the_bound() {
        let pool = SlabPool::new(Arc::new(MemoryAccount::new()));
        let shared = SpareHeaders::default();
        let mut cache = HeaderCache::default();
        let count = SPARE_HEADERS_MAX + 10;
        let raws: Vec<*mut Version> = (0..count)
            .map(|i| Box::into_raw(cache.make(&shared, version(&pool, i as u64)).into_box()))
            .collect();
        // SAFETY: each is a `Box<Version>` that nothing else references, recycled once.
        unsafe { shared.recycle(raws) };
        assert_eq!(shared.len(), SPARE_HEADERS_MAX);
        let made = cache.make(&shared, version(&pool, 1));
        assert_eq!(cache.len(), REFILL_HEADERS - 1);
        assert_eq!(shared.len(), SPARE_HEADERS_MAX - REFILL_HEADERS);
        drop(made);
    }

    /// Writers on several threads insert and update rows whose headers come from and go
    /// back to the shared spare list, while readers hold snapshots (so some versions are
    /// retired whole, some rows frozen); every row ends with its last value and the memory
    /// account counts exactly the live versions.
    #[test]
    fn many_threads_write_through_recycled_headers() {
        use crate::index::IndexKey;
        use crate::store::Store;
        use crate::value::{DataType, Value};
        use crate::TableSchema;

        const WRITERS: i64 = 4;
        const ROUNDS: i64 = 40;
        const ROWS_PER_ROUND: i64 = 25;
        let store = Store::new();
        let table = store.create_table(TableSchema {
            types: vec![DataType::Integer, DataType::Integer],
            key_columns: vec![0],
            added: Vec::new(),
        });
        let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let reader = {
            let (store, table, done) = (store.clone(), Arc::clone(&table), Arc::clone(&done));
            std::thread::spawn(move || {
                let mut out = Vec::new();
                while !done.load(std::sync::atomic::Ordering::Relaxed) {
                    let txn = store.begin().unwrap();
                    for key in (0..WRITERS * ROUNDS * ROWS_PER_ROUND).step_by(7) {
                        if txn
                            .read_key(&table, &IndexKey::Int(key), &mut out)
                            .unwrap()
                            .is_some()
                        {
                            let value = match out[1] {
                                Value::Integer(value) => value,
                                ref other => panic!("row {key} holds {other:?}"),
                            };
                            assert!(value == key * 10 || value == key * 10 + 1, "{key}: {value}");
                        }
                    }
                    std::thread::yield_now();
                    txn.commit().unwrap();
                }
            })
        };
        let writers: Vec<_> = (0..WRITERS)
            .map(|writer| {
                let (store, table) = (store.clone(), Arc::clone(&table));
                std::thread::spawn(move || {
                    for round in 0..ROUNDS {
                        let first = (writer * ROUNDS + round) * ROWS_PER_ROUND;
                        let keys = first..first + ROWS_PER_ROUND;
                        let mut txn = store.begin().unwrap();
                        for key in keys.clone() {
                            let row = [Value::Integer(key), Value::Integer(key * 10)];
                            txn.insert(&table, &row).unwrap();
                        }
                        txn.commit().unwrap();
                        let mut txn = store.begin().unwrap();
                        for key in keys.step_by(2) {
                            let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
                            let new = [Value::Integer(key), Value::Integer(key * 10 + 1)];
                            txn.update(&table, row, &new).unwrap();
                        }
                        txn.commit().unwrap();
                    }
                })
            })
            .collect();
        for writer in writers {
            writer.join().unwrap();
        }
        done.store(true, std::sync::atomic::Ordering::Relaxed);
        reader.join().unwrap();
        table.collect_garbage(store.watermark());
        store.pool().drain_deferred_frees();
        let rows = WRITERS * ROUNDS * ROWS_PER_ROUND;
        let txn = store.begin().unwrap();
        let mut out = Vec::new();
        for key in 0..rows {
            let found = txn.read_key(&table, &IndexKey::Int(key), &mut out).unwrap();
            assert!(found.is_some(), "row {key} is missing");
            let expected = key * 10 + i64::from(key % ROWS_PER_ROUND % 2 == 0);
            assert_eq!(out[1], Value::Integer(expected), "row {key}");
        }
        assert_eq!(store.memory().stats().versions, rows as u64);
        assert!(store.pool().spare_headers().len() <= SPARE_HEADERS_MAX);
    }
}
