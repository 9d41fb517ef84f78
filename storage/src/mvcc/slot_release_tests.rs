//! Tests of the release of emptied slots (`slot_release.rs`): writers making and emptying
//! homes of a clustered table, or inserting and deleting rows of a table keyed by text
//! while readers scan, lose no row while collections release empty slots; an emptied table
//! hands back every page of its slot chunks but the heap's, and takes rows again.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::index::IndexKey;
use crate::mvcc::{Table, TableSchema};
use crate::store::Store;
use crate::value::{DataType, Value};

use super::super::clustered_tests::clustered_table;

/// Keys of the tests: past `RELEASE_SLOTS_MIN` slots.
const KEYS: i64 = 70_000;
/// Keys per write transaction.
const TXN_KEYS: i64 = 2_000;

/// Inserts `keys` (value key * 10), `TXN_KEYS` to a transaction.
fn insert_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            let row = [Value::Integer(key), Value::Integer(key * 10)];
            txn.insert(table, &row).unwrap();
        }
        txn.commit().unwrap();
    }
}

/// Deletes `keys`, `TXN_KEYS` to a transaction.
fn delete_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            let row = txn
                .find_key(table, &IndexKey::Int(key))
                .expect("key present");
            txn.delete(table, row).unwrap();
        }
        txn.commit().unwrap();
    }
}

/// Every (key, value) a fresh reader sees, in scan order.
fn scan(store: &Store, table: &Table) -> Vec<(i64, i64)> {
    super::super::clustered_tests::scan(&store.begin().unwrap(), table)
}

/// A thread that collects `table`'s garbage (and so releases its emptied slot pages) while
/// `writing` holds, counting in `releases` each collection after which the released bytes
/// changed.
fn spawn_releasing_collector(
    store: &Arc<Store>,
    table: &Arc<Table>,
    writing: &Arc<AtomicBool>,
    releases: &Arc<AtomicU64>,
) -> std::thread::JoinHandle<()> {
    let (store, table) = (Arc::clone(store), Arc::clone(table));
    let (writing, releases) = (Arc::clone(writing), Arc::clone(releases));
    std::thread::spawn(move || {
        let mut last = 0;
        while writing.load(Ordering::Acquire) {
            table.collect_garbage(store.watermark());
            let released = table.slot_array_bytes().1;
            if released != last {
                releases.fetch_add(1, Ordering::Relaxed);
                last = released;
            }
            std::thread::yield_now();
        }
    })
}

#[test]
fn writers_racing_releases_of_emptied_slots_lose_no_row() {
    const ROUNDS: usize = 3;
    let store = Arc::new(Store::new());
    let table = clustered_table(&store);
    let writing = Arc::new(AtomicBool::new(true));
    let releases = Arc::new(AtomicU64::new(0));
    // Two writers, each with the keys of one parity: each round inserts them all and,
    // but the last, deletes them all again, so the collector keeps emptying slots next
    // to the ones the other writer fills.
    let writers: Vec<_> = (0..2)
        .map(|parity| {
            let (store, table) = (Arc::clone(&store), Arc::clone(&table));
            std::thread::spawn(move || {
                let keys: Vec<i64> = (0..KEYS).filter(|key| key % 2 == parity).collect();
                for round in 0..ROUNDS {
                    insert_keys(&store, &table, &keys);
                    if round + 1 < ROUNDS {
                        delete_keys(&store, &table, &keys);
                    }
                }
            })
        })
        .collect();
    let collector = spawn_releasing_collector(&store, &table, &writing, &releases);
    for writer in writers {
        writer.join().unwrap();
    }
    writing.store(false, Ordering::Release);
    collector.join().unwrap();
    let expected: Vec<(i64, i64)> = (0..KEYS).map(|key| (key, key * 10)).collect();
    assert_eq!(scan(&store, &table), expected);
    // The walks ran while the writers wrote (the figure changes between walks).
    assert!(releases.load(Ordering::Relaxed) > 0, "no release ran");
}

#[test]
fn an_emptied_table_hands_back_its_slot_pages_and_takes_rows_again() {
    let store = Store::new();
    let table = clustered_table(&store);
    let keys: Vec<i64> = (0..KEYS).collect();
    insert_keys(&store, &table, &keys);
    let (allocated, released) = table.slot_array_bytes();
    assert!(allocated >= KEYS as u64 * 8);
    assert_eq!(released, 0, "nothing emptied yet");
    // One transaction deletes every row; its commit's collection empties every slot.
    let mut txn = store.begin().unwrap();
    for &key in &keys {
        let row = txn
            .find_key(&table, &IndexKey::Int(key))
            .expect("key present");
        txn.delete(&table, row).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    let (after, released) = table.slot_array_bytes();
    assert_eq!(after, allocated, "the chunks stay allocated");
    if cfg!(target_os = "linux") {
        // Every chunk but the first three (7,168 slots, from the heap) goes back whole.
        assert_eq!(released, allocated - 7168 * 8, "{released} of {allocated}");
    }
    assert!(scan(&store, &table).is_empty());
    let again: Vec<i64> = (0..KEYS).step_by(3).collect();
    insert_keys(&store, &table, &again);
    let expected: Vec<(i64, i64)> = again.iter().map(|&key| (key, key * 10)).collect();
    assert_eq!(scan(&store, &table), expected);
}

/// Held by the tests that hold an epoch pin past a release's grace period and by those
/// that count on a release's grace period passing, so neither sees the other's pin.
static LONG_PINS: std::sync::Mutex<()> = std::sync::Mutex::new(());

/// A table keyed by text (not clustered: its slots are pushed and reused without a lock).
fn text_keyed_table(store: &Store) -> Arc<Table> {
    let table = store.create_table(TableSchema {
        types: vec![DataType::Text, DataType::Integer],
        key_columns: vec![0],
        added: Vec::new(),
    });
    assert!(!table.is_clustered());
    table
}

fn text_row(key: i64) -> [Value; 2] {
    [
        Value::Text(format!("key-{key:07}")),
        Value::Integer(key * 10),
    ]
}

fn insert_text_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            txn.insert(table, &text_row(key)).unwrap();
        }
        txn.commit().unwrap();
    }
}

fn delete_text_keys(store: &Store, table: &Arc<Table>, keys: &[i64]) {
    for batch in keys.chunks(TXN_KEYS as usize) {
        let mut txn = store.begin().unwrap();
        for &key in batch {
            let index_key = table.key_of(&text_row(key)).expect("a text key");
            let row = txn.find_key(table, &index_key).expect("key present");
            txn.delete(table, row).unwrap();
        }
        txn.commit().unwrap();
    }
}

/// The keys a fresh reader sees, sorted; panics on a row whose value does not match its
/// key or a key seen twice.
fn scan_text(store: &Store, table: &Table) -> Vec<i64> {
    let txn = store.begin().unwrap();
    let mut keys = Vec::new();
    let mut buffer = Vec::new();
    let mut from = 0;
    while let Some(batch) = table.next_scan_batch(from, 1000) {
        from = txn
            .scan_batch(table, batch, &mut buffer, |_, values| {
                let (Value::Text(text), Value::Integer(value)) = (&values[0], &values[1]) else {
                    panic!("row {values:?}");
                };
                let key: i64 = text["key-".len()..].parse().expect("a key's text");
                assert_eq!(*value, key * 10, "the row of {text} holds another's value");
                keys.push(key);
                true
            })
            .unwrap();
    }
    let seen = keys.len();
    keys.sort_unstable();
    keys.dedup();
    assert_eq!(keys.len(), seen, "a key seen twice in one scan");
    keys
}

/// Writers insert and delete their own keys, a reader scans, and the collector releases
/// the pages of emptied slots meanwhile (a table of 140,000 deleted rows gives it pages to
/// release while the writers take slots from the free list and push new ones): no row is
/// lost or seen twice, and every row holds its own value.
#[test]
fn writers_and_readers_racing_releases_of_a_text_keyed_table_lose_no_row() {
    let _alone = LONG_PINS.lock().unwrap_or_else(|e| e.into_inner());
    const COLD: i64 = 140_000;
    const WRITER_KEYS: i64 = 10_000;
    const ROUNDS: usize = 4;
    let store = Arc::new(Store::new());
    let table = text_keyed_table(&store);
    let cold: Vec<i64> = (0..COLD).collect();
    insert_text_keys(&store, &table, &cold);
    delete_text_keys(&store, &table, &cold);
    let writing = Arc::new(AtomicBool::new(true));
    let releases = Arc::new(AtomicU64::new(0));
    let writers: Vec<_> = (0..2)
        .map(|writer| {
            let (store, table) = (Arc::clone(&store), Arc::clone(&table));
            std::thread::spawn(move || {
                let first = COLD + writer * WRITER_KEYS;
                let keys: Vec<i64> = (first..first + WRITER_KEYS).collect();
                for round in 0..ROUNDS {
                    insert_text_keys(&store, &table, &keys);
                    if round + 1 < ROUNDS {
                        delete_text_keys(&store, &table, &keys);
                    }
                }
            })
        })
        .collect();
    let reader = {
        let (store, table, writing) =
            (Arc::clone(&store), Arc::clone(&table), Arc::clone(&writing));
        std::thread::spawn(move || {
            let mut scans = 0;
            while writing.load(Ordering::Acquire) {
                let keys = scan_text(&store, &table);
                assert!(keys
                    .iter()
                    .all(|key| (COLD..COLD + 2 * WRITER_KEYS).contains(key)));
                scans += 1;
            }
            scans
        })
    };
    let collector = spawn_releasing_collector(&store, &table, &writing, &releases);
    for writer in writers {
        writer.join().unwrap();
    }
    writing.store(false, Ordering::Release);
    collector.join().unwrap();
    assert!(reader.join().unwrap() > 0, "the reader never scanned");
    let expected: Vec<i64> = (COLD..COLD + 2 * WRITER_KEYS).collect();
    assert_eq!(scan_text(&store, &table), expected);
    for key in [COLD, COLD + 2 * WRITER_KEYS - 1] {
        let txn = store.begin().unwrap();
        let index_key = table.key_of(&text_row(key)).unwrap();
        assert!(
            txn.find_key(&table, &index_key).is_some(),
            "key {key} not found"
        );
    }
    assert!(releases.load(Ordering::Relaxed) > 0, "no release ran");
}

/// A text-keyed table emptied hands back the pages of its slots (reused slots included),
/// and takes rows again in them; so does a table without a key (whose emptied slots are
/// never reused).
#[test]
fn emptied_tables_that_are_not_clustered_hand_back_their_slot_pages() {
    let _alone = LONG_PINS.lock().unwrap_or_else(|e| e.into_inner());
    let store = Store::new();
    let table = text_keyed_table(&store);
    let keys: Vec<i64> = (0..KEYS).collect();
    insert_text_keys(&store, &table, &keys);
    let (allocated, _) = table.slot_array_bytes();
    delete_text_keys(&store, &table, &keys);
    // The first pass retires the slots (given back to the free list after the epoch),
    // the release after it takes them.
    collect_until_released(&store, &table);
    let (after, released) = table.slot_array_bytes();
    assert_eq!(after, allocated, "the chunks stay allocated");
    assert_released_below_the_length(&table, released);
    assert!(scan_text(&store, &table).is_empty());
    let again: Vec<i64> = (0..KEYS).step_by(3).collect();
    insert_text_keys(&store, &table, &again);
    assert_eq!(scan_text(&store, &table), again);
    assert_eq!(
        table.slot_array_bytes().0,
        allocated,
        "the rows took released slots"
    );

    let keyless = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: Vec::new(),
        added: Vec::new(),
    });
    let mut txn = store.begin().unwrap();
    for key in 0..KEYS {
        txn.insert(&keyless, &[Value::Integer(key), Value::Integer(key * 10)])
            .unwrap();
    }
    txn.commit().unwrap();
    let reader = store.begin().unwrap();
    let mut rows = Vec::new();
    let mut buffer = Vec::new();
    let mut from = 0;
    while let Some(batch) = keyless.next_scan_batch(from, 1000) {
        from = reader
            .scan_batch(&keyless, batch, &mut buffer, |row, _| {
                rows.push(row);
                true
            })
            .unwrap();
    }
    drop(reader);
    let mut txn = store.begin().unwrap();
    for &row in &rows {
        txn.delete(&keyless, row).unwrap();
    }
    txn.commit().unwrap();
    collect_until_released(&store, &keyless);
    assert_released_below_the_length(&keyless, keyless.slot_array_bytes().1);
}

/// Collects until a release handed memory back: a release gives up (and the next
/// collection tries again) while a pin outlasts its grace period, which another test's
/// thread may hold.
fn collect_until_released(store: &Store, table: &Table) {
    for _ in 0..100 {
        table.collect_garbage(store.watermark());
        if table.slot_array_bytes().1 > 0 {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    panic!("no release in 100 collections");
}

/// Every page of the slots below the array's length went back but the first three chunks'
/// (7,168 slots, from the heap) and the partial page at the length (the slots past the
/// length were never written, so they hold no memory and are not released).
fn assert_released_below_the_length(table: &Table, released: u64) {
    let below = table.row_ranges()[0].end * 8;
    if cfg!(target_os = "linux") {
        assert!(
            released + 7168 * 8 + 4096 >= below && released <= below,
            "{released} bytes released of the {below} below the length"
        );
    }
}

/// A slot pushed, or taken from the free list, but not yet written (its inserter still
/// pinned) keeps the release of a table that is not clustered from running: the release
/// waits for every pin held when it starts, and gives up (releasing nothing) while one
/// stays; once the pin ends it runs.
#[test]
fn a_release_waits_for_the_pins_of_inserts_that_pushed_a_slot() {
    let _alone = LONG_PINS.lock().unwrap_or_else(|e| e.into_inner());
    let store = Store::new();
    let table = text_keyed_table(&store);
    let keys: Vec<i64> = (0..KEYS).collect();
    insert_text_keys(&store, &table, &keys);
    delete_text_keys(&store, &table, &keys[1..]);
    table.collect_garbage(store.watermark());
    // The free list is empty now (the collection's release took it and gave it back
    // emptied): take every slot in it, so the next allocation pushes a new one.
    let reused = table.reusable.take_all();
    let release = || {
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let _collector = table.gc.lock.lock().unwrap();
                    table.release_unclustered()
                })
                .join()
                .unwrap()
        })
    };
    let pinned = crossbeam_epoch::pin();
    let pushed = table.allocate_slot().unwrap();
    assert!(pushed >= KEYS as u64, "a new slot, not a reused one");
    assert_eq!(
        release(),
        None,
        "the release ran while a pushed slot was unwritten"
    );
    drop(pinned);
    assert!(release().is_some(), "the release waited once the pin ended");
    table.reusable.give_back(&reused);
    // A slot taken from the free list (emptied by the release) and not yet written keeps
    // the release from running too.
    let pinned = crossbeam_epoch::pin();
    let taken = table.allocate_slot().unwrap();
    assert!(taken < KEYS as u64, "a reused slot");
    assert_eq!(
        release(),
        None,
        "the release ran while a taken slot was unwritten"
    );
    drop(pinned);
    table.reusable.give_back(&[taken]);
    // So does one taken between the release's first grace period and its taking of the
    // free list (here by the releasing thread itself, whose pin then outlasts the second).
    let late_take = std::thread::scope(|scope| {
        scope
            .spawn(|| {
                let _collector = table.gc.lock.lock().unwrap();
                let mut late = None;
                let released = table.release_unclustered_after(|| {
                    let pinned = crossbeam_epoch::pin();
                    late = Some((table.allocate_slot().unwrap(), pinned));
                });
                let (slot, pinned) = late.expect("the release took its first grace period");
                drop(pinned);
                assert_eq!(
                    released, None,
                    "the release ran while a taken slot was unwritten"
                );
                slot
            })
            .join()
            .unwrap()
    });
    table.reusable.give_back(&[late_take]);
    // The pushed slot stays empty (never written): rows land around it as before.
    insert_text_keys(&store, &table, &keys[1..]);
    assert_eq!(scan_text(&store, &table), keys);
}
