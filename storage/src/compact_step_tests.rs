//! Tests of compaction in bounded steps: every step keeps to its limits, a cycle of steps
//! merges a fragmented pool as far as VACUUM's compaction does with every row intact, and
//! readers and writers running during the steps see every row whole.

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use crate::compact_step::{StepCursor, StepLimits, StepReport};
use crate::index::IndexKey;
use crate::slab::VACUUM_PAGE_USED_PERCENT;
use crate::store::Store;
use crate::value::{DataType, Value};
use crate::{Table, TableSchema};

const ROWS: i64 = 30_000;

fn table(store: &Store) -> Arc<Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    })
}

/// A row whose text repeats its key and value, so a reader can tell a payload that is not
/// this row's (a slot reused or moved under it) from the real one.
fn row(key: i64, value: i64) -> Vec<Value> {
    let unit = format!("{key}:{value};");
    let len = 60 + (key as usize * 7 + value as usize) % 16;
    let text: String = unit.chars().cycle().take(len).collect();
    vec![
        Value::Integer(key),
        Value::Integer(value),
        Value::Text(text),
    ]
}

fn read(store: &Store, table: &Table, key: i64) -> Option<Vec<Value>> {
    let txn = store.begin().unwrap();
    let found = txn.find_key(table, &IndexKey::Int(key))?;
    let mut out = Vec::new();
    txn.read_row(table, found, &mut out).unwrap().then_some(out)
}

/// `ROWS` rows, then every third deleted and collected (pages two-thirds full, which the
/// background's 50% bound leaves as they are), their frees run.
fn fragmented(store: &Store) -> Arc<Table> {
    let table = table(store);
    let mut txn = store.begin().unwrap();
    for key in 0..ROWS {
        txn.insert(&table, &row(key, 0)).unwrap();
    }
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    for key in (0..ROWS).filter(|key| key % 3 == 0) {
        let found = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
        txn.delete(&table, found).unwrap();
    }
    txn.commit().unwrap();
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    store.pool().release_empty_pages();
    table
}

fn limits(pages_max: u64, slots_max: u64) -> StepLimits {
    StepLimits {
        pages_max,
        slots_max,
        used_percent_max: VACUUM_PAGE_USED_PERCENT,
    }
}

/// Steps until a cycle releases no page (at most `steps_max`); every step's report.
fn steps_until_compact(
    store: &Store,
    table: &Table,
    limits: StepLimits,
    steps_max: usize,
) -> Vec<StepReport> {
    let mut cursor = StepCursor::default();
    let mut reports = Vec::new();
    while reports.len() < steps_max {
        let report = store.compact_step(&[table], &mut cursor, limits);
        reports.push(report);
        if report.cycle_ended && report.cycle_released == 0 {
            break;
        }
    }
    reports
}

#[test]
fn every_step_keeps_to_its_limits_and_a_cycle_walks_every_row() {
    let store = Store::new();
    let table = fragmented(&store);
    let reports = steps_until_compact(&store, &table, limits(2, 1000), 2000);
    assert!(reports.len() < 2000, "the steps never ended");
    for report in &reports {
        assert!(report.pages_evacuated <= 2, "{report:?}");
        assert!(report.slots_walked <= 1000, "{report:?}");
        assert!(
            report.pages_released <= report.pages_evacuated,
            "{report:?}"
        );
    }
    // The first cycle walks the table's 30,000 slots 1,000 at a time.
    let first_cycle = reports.iter().position(|r| r.cycle_ended).unwrap() + 1;
    let walked: u64 = reports[..first_cycle].iter().map(|r| r.slots_walked).sum();
    assert_eq!(walked, ROWS as u64, "{:?}", &reports[..first_cycle]);
    assert_eq!(first_cycle, (ROWS / 1000) as usize);
    for key in 0..ROWS {
        let expected = (key % 3 != 0).then(|| row(key, 0));
        assert_eq!(read(&store, &table, key), expected, "key {key}");
    }
}

/// Bounded steps end where VACUUM's compaction of the same rows ends, within a page per
/// size class the rows use.
#[test]
fn steps_merge_a_fragmented_pool_as_far_as_vacuum_does() {
    let store = Store::new();
    let table = fragmented(&store);
    let before = store.memory().stats();
    let reports = steps_until_compact(&store, &table, limits(4, 5000), 1000);
    assert!(reports.len() < 1000, "the steps never ended");
    let after = store.memory().stats();
    let moved: u64 = reports.iter().map(|r| r.payloads_moved).sum();
    assert!(moved > 0, "nothing moved");
    assert_eq!(after.slab_bytes_used, before.slab_bytes_used);
    let vacuumed_store = Store::new();
    let vacuumed_table = fragmented(&vacuumed_store);
    vacuumed_store.compact(&[&vacuumed_table], VACUUM_PAGE_USED_PERCENT);
    let vacuumed = vacuumed_store.memory().stats();
    assert!(
        after.slab_pages * 4 <= before.slab_pages * 3,
        "pages {} -> {}",
        before.slab_pages,
        after.slab_pages
    );
    // The rows (about 80-100 bytes encoded) fall in 3 size classes.
    assert!(
        after.slab_pages <= vacuumed.slab_pages + 3,
        "steps left {} pages, VACUUM {}",
        after.slab_pages,
        vacuumed.slab_pages
    );
    for key in 0..ROWS {
        let expected = (key % 3 != 0).then(|| row(key, 0));
        assert_eq!(read(&store, &table, key), expected, "key {key}");
    }
}

/// Writers update rows (allocating slots, some rolled back), the collector frees old
/// versions and steps of compaction move payloads, while readers check every row they read
/// against its key and value. At the end every committed update is there once, and the
/// pool's count of used bytes matches the table's rows.
#[test]
fn readers_and_writers_see_whole_rows_while_steps_move_payloads() {
    const KEYS: i64 = 3000;
    let store = Store::new();
    let table = table(&store);
    let mut txn = store.begin().unwrap();
    for key in 0..KEYS {
        txn.insert(&table, &row(key, 0)).unwrap();
    }
    txn.commit().unwrap();
    let stop = Arc::new(AtomicBool::new(false));
    let committed = Arc::new(AtomicU64::new(0));
    // Payloads the compacting thread moved; the writers go on past their 6,000 updates
    // until it moved some (a loaded machine may not schedule it before then), so the test
    // always sees steps move payloads under concurrent writes.
    let steps_moved = Arc::new(AtomicU64::new(0));
    let mut writers = Vec::new();
    for seed in 0..2i64 {
        let (store, table, committed) = (store.clone(), Arc::clone(&table), Arc::clone(&committed));
        let steps_moved = Arc::clone(&steps_moved);
        writers.push(std::thread::spawn(move || {
            let more =
                |i: i64| i < 6000 || (steps_moved.load(Ordering::Relaxed) == 0 && i < 600_000);
            for i in (0..).take_while(|&i| more(i)) {
                let key = (i * 31 + seed * 17) % KEYS;
                let mut txn = store.begin().unwrap();
                let found = txn
                    .find_key(&table, &IndexKey::Int(key))
                    .expect("key present");
                let mut out = Vec::new();
                assert!(txn.read_row(&table, found, &mut out).unwrap());
                let Value::Integer(value) = out[1] else {
                    panic!("bad value")
                };
                if txn.update(&table, found, &row(key, value + 1)).is_ok() {
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
    for reader in 0..2i64 {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        helpers.push(std::thread::spawn(move || {
            let mut key = reader;
            let mut checked = 0u64;
            while !stop.load(Ordering::Relaxed) || checked < 1000 {
                key = (key + 13) % KEYS;
                let found = read(&store, &table, key).expect("row readable");
                let Value::Integer(value) = found[1] else {
                    panic!("bad value")
                };
                assert_eq!(found, row(key, value), "payload of key {key} damaged");
                checked += 1;
            }
        }));
    }
    {
        let (store, table, stop) = (store.clone(), Arc::clone(&table), Arc::clone(&stop));
        let steps_moved = Arc::clone(&steps_moved);
        helpers.push(std::thread::spawn(move || {
            let mut cursor = StepCursor::default();
            while !stop.load(Ordering::Relaxed) {
                table.collect_garbage(store.watermark());
                let report = store.compact_step(&[&*table], &mut cursor, limits(3, 700));
                assert!(report.pages_evacuated <= 3 && report.slots_walked <= 700);
                steps_moved.fetch_add(report.payloads_moved, Ordering::Relaxed);
            }
        }));
    }
    for writer in writers {
        writer.join().unwrap();
    }
    stop.store(true, Ordering::Relaxed);
    for helper in helpers {
        helper.join().unwrap();
    }
    table.collect_garbage(store.watermark());
    store.pool().drain_deferred_frees();
    let snapshot = store.begin().unwrap().snapshot();
    let stats = table.stats(&snapshot);
    assert_eq!(
        (stats.live_rows, stats.versions),
        (KEYS as u64, KEYS as u64)
    );
    let mut total = 0;
    for key in 0..KEYS {
        let found = read(&store, &table, key).unwrap();
        let Value::Integer(value) = found[1] else {
            panic!("bad value")
        };
        assert_eq!(found, row(key, value), "key {key}");
        total += value;
    }
    assert_eq!(total as u64, committed.load(Ordering::Relaxed));
    let memory = store.memory().stats();
    assert_eq!(memory.slab_bytes_used, stats.slab_bytes);
    assert!(
        steps_moved.load(Ordering::Relaxed) > 0,
        "no step moved a payload"
    );
}
