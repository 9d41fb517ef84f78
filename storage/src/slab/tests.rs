//! Tests of the slab pool: size classes, slot reuse, page release, the budget, compaction,
//! and many threads reading while garbage collection frees slots that writers reuse and
//! compaction moves payloads.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::error::StorageErrorKind;
use crate::index::IndexKey;
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

use super::*;

fn pool() -> SlabPool {
    SlabPool::new(Arc::new(MemoryAccount::new()))
}

#[test]
fn size_classes_fit_and_ascend() {
    assert!(CLASS_SLOT_BYTES.windows(2).all(|pair| pair[0] < pair[1]));
    for len in 0..=SLOT_BYTES_MAX {
        let class = class_of(len).unwrap();
        assert!(CLASS_SLOT_BYTES[class] >= len.max(1), "len {len}");
        assert!(
            class == 0 || CLASS_SLOT_BYTES[class - 1] < len,
            "len {len} too loose"
        );
    }
    assert_eq!(class_of(SLOT_BYTES_MAX + 1), None);
}

#[test]
fn freed_slots_are_reused_and_empty_pages_released() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let guard = crossbeam_epoch::pin();
    let payloads: Vec<Payload> = (0..10_000u32)
        .map(|i| Payload::new(&pool, &i.to_le_bytes(), 0).unwrap())
        .collect();
    let pages = account.stats().slab_pages;
    assert!(pages >= 2, "10,000 16-byte slots need more than one page");
    for (i, payload) in payloads.iter().enumerate() {
        assert_eq!(payload.bytes(&guard), &(i as u32).to_le_bytes());
    }
    assert_eq!(account.stats().slab_bytes_used, 10_000 * 16);
    drop(payloads);
    assert_eq!(account.stats().slab_bytes_used, 0);
    assert_eq!(account.stats().versions, 0);
    let again: Vec<Payload> = (0..10_000u32)
        .map(|i| Payload::new(&pool, &i.to_le_bytes(), 0).unwrap())
        .collect();
    assert_eq!(account.stats().slab_pages, pages, "freed slots were reused");
    drop(again);
    assert_eq!(pool.release_empty_pages(), pages);
    let stats = account.stats();
    assert_eq!((stats.slab_pages, stats.used_bytes), (0, 0));
}

/// A drain that gives up (a reader pinned past its wait) leaves the release owed: once the
/// frees ran, on whatever thread collected the epoch, the next call gives the page back,
/// though no free is pending any more (before, the page stayed until some later free).
#[test]
fn pages_emptied_after_a_drain_gave_up_are_released_later() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let class = class_of(16).unwrap();
    let slot = pool.alloc_slot(class, None).unwrap();
    assert_eq!(account.stats().slab_pages, 1);
    let (pinned_tx, pinned_rx) = std::sync::mpsc::channel();
    let (release_tx, release_rx) = std::sync::mpsc::channel::<()>();
    let reader = std::thread::spawn(move || {
        let _pin = crossbeam_epoch::pin();
        pinned_tx.send(()).unwrap();
        release_rx.recv().unwrap();
    });
    pinned_rx.recv().unwrap();
    {
        let guard = crossbeam_epoch::pin();
        retire_moved_slots(&guard, &account, vec![slot]);
        guard.flush();
    }
    assert_eq!(account.pending_frees(), 1);
    let released = pool.release_freed_pages_within(std::time::Duration::from_millis(20));
    assert_eq!(released, 0, "the pinned reader holds the free back");
    release_tx.send(()).unwrap();
    reader.join().unwrap();
    // The free runs on a later collection of the epoch, not in a release call.
    let started = std::time::Instant::now();
    while account.pending_frees() > 0 {
        assert!(started.elapsed().as_secs() < 30, "the free never ran");
        crossbeam_epoch::pin().flush();
        std::thread::yield_now();
    }
    assert_eq!(
        account.stats().slab_pages,
        1,
        "nothing released the page yet"
    );
    assert_eq!(pool.release_freed_pages(), 1);
    assert_eq!(account.stats().slab_pages, 0);
    assert_eq!(pool.release_freed_pages(), 0, "the release was owed once");
}

/// A free that another thread's collection of the epoch runs, with no release call
/// watching it pending, still leaves the release owed: the next call gives the page back.
/// (Before, a release happened only when a call saw frees pending or its own drain gave up,
/// so a page emptied while nobody looked stayed held for good.)
#[test]
fn a_page_emptied_by_a_free_run_elsewhere_is_released_by_the_next_call() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let class = class_of(16).unwrap();
    let slots: Vec<_> = (0..3)
        .map(|_| pool.alloc_slot(class, None).unwrap())
        .collect();
    assert_eq!(pool.release_freed_pages(), 0, "nothing was emptied");
    {
        let guard = crossbeam_epoch::pin();
        retire_moved_slots(&guard, &account, slots);
        guard.flush();
    }
    // Another thread collects the epoch until the free ran.
    let collector_account = Arc::clone(&account);
    std::thread::spawn(move || {
        let started = std::time::Instant::now();
        while collector_account.pending_frees() > 0 {
            assert!(started.elapsed().as_secs() < 30, "the free never ran");
            crossbeam_epoch::pin().flush();
            std::thread::yield_now();
        }
    })
    .join()
    .unwrap();
    assert_eq!(account.stats().slab_pages, 1, "nothing released it yet");
    assert_eq!(pool.release_freed_pages(), 1);
    assert_eq!(account.stats().slab_pages, 0);
    assert_eq!(pool.release_freed_pages(), 0, "the release was owed once");
}

/// A direct free, or a reserved run given back, empties its page: the next release call
/// gives the page back.
#[test]
fn a_page_emptied_by_a_direct_free_or_a_reserve_is_released_by_the_next_call() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let class = class_of(16).unwrap();
    let slot = pool.alloc_slot(class, None).unwrap();
    // SAFETY: the slot was just taken and nothing else holds it.
    unsafe { super::page::PagePtr::free_slot(slot) };
    assert_eq!(account.stats().slab_pages, 1);
    assert_eq!(pool.release_freed_pages(), 1, "a direct free empties it");
    assert_eq!(pool.release_freed_pages(), 0);

    let mut reserve = SlotReserve::default();
    let first = reserve.take(&pool, class, None).unwrap();
    let second = reserve.take(&pool, class, None).unwrap();
    assert!(
        reserve.reserved_slots() > 0,
        "the second take reserved a run"
    );
    // SAFETY: both slots were just taken and nothing else holds them.
    unsafe {
        super::page::PagePtr::free_slot(first);
        super::page::PagePtr::free_slot(second);
    }
    assert_eq!(
        pool.release_freed_pages(),
        0,
        "the reserve still holds the page"
    );
    reserve.give_back();
    assert_eq!(
        pool.release_freed_pages(),
        1,
        "giving the run back emptied it"
    );
    assert_eq!(account.stats().slab_pages, 0);
}

#[test]
fn a_slot_freed_before_the_search_word_is_found_again() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let guard = crossbeam_epoch::pin();
    // Fill one page of 16-byte slots (its search word ends at the last bitmap word).
    let mut payloads: Vec<Payload> = Vec::new();
    while account.stats().slab_pages < 2 {
        payloads.push(Payload::new(&pool, &[7; 16], 0).unwrap());
    }
    let last = payloads.pop().expect("the first slot of the second page");
    drop(last);
    let first_page = payloads.len();
    // Free the first slot of the first page: the only free slot in it, behind the search
    // word. The next allocations fill the second page's slots and then must find it.
    let freed = payloads.swap_remove(0);
    drop(freed);
    let used = account.stats().slab_bytes_used;
    assert_eq!(used, (first_page as u64 - 1) * 16);
    let second_page_slots = (first_page as u64) + 1;
    for _ in 0..second_page_slots {
        payloads.push(Payload::new(&pool, &[9; 16], 0).unwrap());
    }
    assert_eq!(account.stats().slab_pages, 2, "the freed slot was reused");
    for payload in &payloads {
        assert_eq!(payload.bytes(&guard).len(), 16);
    }
}

#[test]
fn large_payloads_live_outside_pages_and_are_accounted() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let bytes: Vec<u8> = (0..100_000u32).map(|i| (i % 251) as u8).collect();
    let payload = Payload::new(&pool, &bytes, 0).unwrap();
    assert_eq!(payload.bytes(&crossbeam_epoch::pin()), &bytes[..]);
    let stats = account.stats();
    assert_eq!(stats.slab_pages, 0);
    assert!(stats.large_bytes >= 100_000);
    assert_eq!(
        stats.used_bytes,
        stats.large_bytes + VERSION_HEADER_BYTES_FOR_TESTS
    );
    drop(payload);
    assert_eq!(account.stats().used_bytes, 0);
}

const VERSION_HEADER_BYTES_FOR_TESTS: u64 = crate::mvcc::VERSION_HEADER_BYTES;

#[test]
fn a_payload_past_the_budget_fails_and_charges_nothing() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    account.set_budget(Some(PAGE_BYTES as u64 + 4096));
    let mut kept = Vec::new();
    let error = loop {
        match Payload::new(&pool, &[7u8; 100], 0) {
            Ok(payload) => kept.push(payload),
            Err(error) => break error,
        }
    };
    assert_eq!(error.kind, StorageErrorKind::MemoryBudget);
    assert!(error.message.contains("budget"), "{}", error.message);
    let stats = account.stats();
    assert_eq!(stats.slab_pages, 1, "the second page would pass the budget");
    assert_eq!(stats.versions, kept.len() as u64);
    assert!(stats.used_bytes <= PAGE_BYTES as u64 + 4096);
    drop(kept);
    account.set_budget(None);
    Payload::new(&pool, &[7u8; 100], 0).unwrap();
}

#[test]
fn payloads_outlive_a_dropped_pool() {
    let pool = pool();
    let account = Arc::clone(pool.account());
    let payload = Payload::new(&pool, b"still here", 0).unwrap();
    drop(pool);
    assert_eq!(payload.bytes(&crossbeam_epoch::pin()), b"still here");
    drop(payload);
    assert_eq!(
        account.stats().slab_pages,
        0,
        "the last free released the page"
    );
}

/// Readers hold payload bytes under a pin and check them again and again while a compactor
/// moves every payload each round and frees the old slots (then writers of new payloads
/// reuse them). Freeing a moved-out slot before the readers' pins are gone, or reading a
/// half-copied slot, shows up as changed bytes.
#[test]
fn readers_keep_valid_bytes_while_every_payload_moves() {
    const PAYLOADS: usize = 64;
    let pool = Arc::new(pool());
    let expected = |i: usize| -> Vec<u8> { (0..100).map(|j| (i * 7 + j) as u8).collect() };
    let payloads: Arc<Vec<Payload>> = Arc::new(
        (0..PAYLOADS)
            .map(|i| Payload::new(&pool, &expected(i), 0).unwrap())
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let checks = Arc::new(AtomicU64::new(0));
    let readers: Vec<_> = (0..3)
        .map(|seed| {
            let (payloads, stop, checks) = (
                Arc::clone(&payloads),
                Arc::clone(&stop),
                Arc::clone(&checks),
            );
            std::thread::spawn(move || {
                let mut i = seed;
                while !stop.load(Ordering::Relaxed) {
                    i = (i + 5) % PAYLOADS;
                    let guard = crossbeam_epoch::pin();
                    let bytes = payloads[i].bytes(&guard);
                    for _ in 0..4 {
                        assert_eq!(bytes, &expected(i)[..], "payload {i} changed under a pin");
                        for _ in 0..200 {
                            std::hint::spin_loop();
                        }
                    }
                    checks.fetch_add(1, Ordering::Relaxed);
                }
            })
        })
        .collect();
    let scribbler = {
        let (pool, stop) = (Arc::clone(&pool), Arc::clone(&stop));
        std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                // New payloads take the freed slots; fill them with other bytes.
                let fresh: Vec<Payload> = (0..PAYLOADS)
                    .map(|_| Payload::new(&pool, &[0x55; 100], 0).unwrap())
                    .collect();
                drop(fresh);
            }
        })
    };
    let mut moved = 0;
    let mut rounds = 0;
    // Run until the readers did a fair amount of work alongside the moves (bounded).
    while rounds < 40 || (checks.load(Ordering::Relaxed) < 20_000 && rounds < 20_000) {
        let compaction = pool.begin_compaction_of_every_page();
        let guard = crossbeam_epoch::pin();
        let old: Vec<_> = payloads
            .iter()
            .filter_map(|payload| payload.relocate_if_evacuating(&pool, &guard))
            .collect();
        moved += old.len() as u64;
        retire_moved_slots(&guard, pool.account(), old);
        drop(guard);
        drop(compaction);
        pool.release_empty_pages();
        rounds += 1;
    }
    stop.store(true, Ordering::Relaxed);
    for reader in readers {
        reader.join().unwrap();
    }
    scribbler.join().unwrap();
    assert!(
        moved >= rounds * PAYLOADS as u64 / 2,
        "moved {moved} in {rounds} rounds"
    );
    let guard = crossbeam_epoch::pin();
    for (i, payload) in payloads.iter().enumerate() {
        assert_eq!(payload.bytes(&guard), &expected(i)[..]);
    }
}

fn table_with_pad(store: &Store) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    })
}

/// A row whose text repeats its key and value, so a reader can tell a payload that is not
/// this row's (a slot reused or moved under it) from the real one.
fn padded_row(key: i64, value: i64) -> Vec<Value> {
    let unit = format!("{key}:{value};");
    let len = 600 + (key as usize * 7 + value as usize) % 300;
    let text: String = unit.chars().cycle().take(len).collect();
    vec![
        Value::Integer(key),
        Value::Integer(value),
        Value::Text(text),
    ]
}

fn read(store: &Store, table: &Table, key: i64) -> Option<Vec<Value>> {
    let txn = store.begin().unwrap();
    let row = txn.find_key(table, &IndexKey::Int(key))?;
    let mut out = Vec::new();
    txn.read_row(table, row, &mut out).unwrap().then_some(out)
}

/// A table of 20,000 padded rows, then the rows `keep` refuses deleted and collected, their
/// frees run.
fn rows_then_deletes(store: &Store, keep: impl Fn(i64) -> bool) -> Arc<Table> {
    let table = table_with_pad(store);
    let mut txn = store.begin().unwrap();
    for key in 0..20_000 {
        txn.insert(&table, &padded_row(key, 0)).unwrap();
    }
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    for key in (0..20_000).filter(|key| !keep(*key)) {
        let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
        txn.delete(&table, row).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    table
}

#[test]
fn compaction_empties_sparse_pages_and_keeps_every_row() {
    let store = Store::new();
    let table = rows_then_deletes(&store, |key| key % 10 == 0);
    let before = store.memory().stats();
    let report = store.compact(&[&table], super::SPARSE_PAGE_USED_PERCENT);
    let after = store.memory().stats();
    assert!(report.payloads_moved > 0, "{report:?}");
    assert!(
        after.slab_pages * 2 < before.slab_pages,
        "pages {} -> {} ({report:?})",
        before.slab_pages,
        after.slab_pages
    );
    assert!(after.fragmentation < before.fragmentation);
    assert_eq!(
        after.slab_bytes_used,
        table.stats(&store.begin().unwrap().snapshot()).slab_bytes
    );
    for key in (0..20_000).step_by(10) {
        assert_eq!(
            read(&store, &table, key),
            Some(padded_row(key, 0)),
            "key {key}"
        );
    }
    assert_eq!(after.compaction_runs, 1);
}

/// Readers check every payload they read against its key while writers update (allocating
/// slots), the collector frees old versions (whose slots writers then reuse) and compaction
/// moves payloads. A slot freed or reused while a reader could still see it shows up as a
/// row whose text does not match its key and value.
/// Deleting every third row leaves pages two-thirds full: the background's bound leaves
/// them, VACUUM's merges them into about two-thirds as many pages, every row intact.
#[test]
fn vacuum_compaction_merges_pages_the_background_leaves() {
    let store = Store::new();
    let table = rows_then_deletes(&store, |key| key % 3 != 0);
    let before = store.memory().stats().slab_pages;
    // Only the few sparse pages at the classes' ends go in the background.
    let background = store.compact(&[&table], super::SPARSE_PAGE_USED_PERCENT);
    let left = store.memory().stats().slab_pages;
    assert!(
        left * 10 >= before * 9,
        "pages {before} -> {left} ({background:?})"
    );
    let vacuum = store.compact(&[&table], super::VACUUM_PAGE_USED_PERCENT);
    let after = store.memory().stats().slab_pages;
    assert!(vacuum.payloads_moved > 0, "{vacuum:?}");
    assert!(
        after * 4 <= before * 3,
        "pages {before} -> {after} ({vacuum:?})"
    );
    for key in 0..20_000 {
        let expected = (key % 3 != 0).then(|| padded_row(key, 0));
        assert_eq!(read(&store, &table, key), expected, "key {key}");
    }
}

#[test]
fn readers_never_see_a_reused_or_moved_slot() {
    const KEYS: i64 = 200;
    let store = Store::new();
    let table = table_with_pad(&store);
    let mut txn = store.begin().unwrap();
    for key in 0..KEYS {
        txn.insert(&table, &padded_row(key, 0)).unwrap();
    }
    txn.commit().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicU64::new(0));
    let mut threads = Vec::new();
    for seed in 0..3i64 {
        let (store, table, committed) = (store.clone(), Arc::clone(&table), Arc::clone(&committed));
        threads.push(std::thread::spawn(move || {
            for i in 0..4000i64 {
                let key = (i * 31 + seed * 17) % KEYS;
                let mut txn = store.begin().unwrap();
                let Some(row) = txn.find_key(&table, &IndexKey::Int(key)) else {
                    panic!("key {key} vanished")
                };
                let mut out = Vec::new();
                assert!(txn.read_row(&table, row, &mut out).unwrap());
                let Value::Integer(value) = out[1] else {
                    panic!("bad value")
                };
                if txn.update(&table, row, &padded_row(key, value + 1)).is_ok() {
                    if i % 7 == 0 {
                        txn.rollback();
                    } else {
                        txn.commit().unwrap();
                        committed.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }
        }));
    }
    let mut helpers = Vec::new();
    for reader in 0..3i64 {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        helpers.push(std::thread::spawn(move || {
            let mut checked = 0u64;
            let mut key = reader;
            while !stop.load(Ordering::Relaxed) || checked < 1000 {
                key = (key + 13) % KEYS;
                let row = read(&store, &table, key).expect("row readable");
                let Value::Integer(value) = row[1] else {
                    panic!("bad value")
                };
                assert_eq!(row, padded_row(key, value), "payload of key {key} damaged");
                checked += 1;
            }
        }));
    }
    {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        helpers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
            }
        }));
    }
    {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        helpers.push(std::thread::spawn(move || {
            while !stop.load(Ordering::Relaxed) {
                store.compact(&[&table], super::SPARSE_PAGE_USED_PERCENT);
            }
        }));
    }
    for thread in threads {
        thread.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for helper in helpers {
        helper.join().unwrap();
    }
    table.collect_garbage(store.watermark());
    store.compact(&[&table], super::SPARSE_PAGE_USED_PERCENT);
    let snapshot = store.begin().unwrap().snapshot();
    let stats = table.stats(&snapshot);
    assert_eq!(
        (stats.live_rows, stats.versions),
        (KEYS as u64, KEYS as u64)
    );
    let total: i64 = (0..KEYS)
        .map(|key| {
            let row = read(&store, &table, key).unwrap();
            assert_eq!(
                row,
                padded_row(
                    key,
                    match row[1] {
                        Value::Integer(v) => v,
                        _ => panic!("bad value"),
                    }
                )
            );
            match row[1] {
                Value::Integer(v) => v,
                _ => 0,
            }
        })
        .sum();
    assert_eq!(total as u64, committed.load(Ordering::Relaxed));
    let memory = store.memory().stats();
    assert_eq!(
        memory.versions, KEYS as u64,
        "every freed version gave its slot back"
    );
    assert_eq!(memory.slab_bytes_used, stats.slab_bytes);
    assert!(memory.compaction_runs > 1);
    assert!(
        memory.payloads_moved > 0,
        "compaction moved nothing: {memory:?}"
    );
}
