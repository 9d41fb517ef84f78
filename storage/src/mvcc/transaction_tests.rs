//! Tests of snapshot isolation at the storage level: visibility of own and others' writes,
//! first-updater-wins conflicts, rollback, and key reuse after delete.

use crate::error::StorageErrorKind;
use crate::mvcc::TableSchema;
use crate::store::Store;
use crate::value::{DataType, Value};

fn keyed_table(store: &Store) -> std::sync::Arc<crate::mvcc::Table> {
    store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Text],
        key_columns: vec![0],
        added: Vec::new(),
    })
}

fn row(id: i64, name: &str) -> Vec<Value> {
    vec![Value::Integer(id), Value::Text(name.into())]
}

fn read(store: &Store, table: &crate::mvcc::Table, id: i64) -> Option<Vec<Value>> {
    let txn = store.begin().unwrap();
    let slot = txn.find_key(table, &crate::index::IndexKey::Int(id))?;
    let mut out = Vec::new();
    txn.read_row(table, slot, &mut out).unwrap().then_some(out)
}

#[test]
fn snapshot_does_not_see_later_commits() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(1, "a")).unwrap();
    let old_reader = store.begin().unwrap();
    writer.commit().unwrap();
    assert!(old_reader
        .find_key(&table, &crate::index::IndexKey::Int(1))
        .is_none());
    assert_eq!(read(&store, &table, 1), Some(row(1, "a")));
}

#[test]
fn first_updater_wins() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut setup = store.begin().unwrap();
    let slot = setup.insert(&table, &row(1, "a")).unwrap();
    setup.commit().unwrap();

    let mut first = store.begin().unwrap();
    let mut second = store.begin().unwrap();
    first.update(&table, slot, &row(1, "first")).unwrap();
    let error = second.update(&table, slot, &row(1, "second")).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    first.commit().unwrap();
    // A transaction whose snapshot predates the commit also conflicts.
    let error = second.delete(&table, slot).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    second.rollback();
    assert_eq!(read(&store, &table, 1), Some(row(1, "first")));
}

#[test]
fn rollback_restores_previous_state() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut setup = store.begin().unwrap();
    let slot = setup.insert(&table, &row(1, "a")).unwrap();
    setup.commit().unwrap();

    let mut txn = store.begin().unwrap();
    txn.update(&table, slot, &row(1, "b")).unwrap();
    txn.update(&table, slot, &row(1, "c")).unwrap();
    txn.insert(&table, &row(2, "x")).unwrap();
    txn.rollback();
    assert_eq!(read(&store, &table, 1), Some(row(1, "a")));
    assert_eq!(read(&store, &table, 2), None);
    // The key freed by the rollback can be inserted again.
    let mut again = store.begin().unwrap();
    again.insert(&table, &row(2, "y")).unwrap();
    again.commit().unwrap();
    assert_eq!(read(&store, &table, 2), Some(row(2, "y")));
}

#[test]
fn duplicate_key_and_reinsert_after_delete() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut txn = store.begin().unwrap();
    let slot = txn.insert(&table, &row(1, "a")).unwrap();
    let error = txn.insert(&table, &row(1, "b")).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::UniqueViolation);
    txn.delete(&table, slot).unwrap();
    txn.insert(&table, &row(1, "c")).unwrap();
    txn.commit().unwrap();
    assert_eq!(read(&store, &table, 1), Some(row(1, "c")));
}

#[test]
fn concurrent_insert_of_same_key_conflicts() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut first = store.begin().unwrap();
    let mut second = store.begin().unwrap();
    first.insert(&table, &row(7, "a")).unwrap();
    let error = second.insert(&table, &row(7, "b")).unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::Conflict);
    first.commit().unwrap();
}

#[test]
fn primary_key_change_moves_the_row() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut txn = store.begin().unwrap();
    let slot = txn.insert(&table, &row(1, "a")).unwrap();
    txn.commit().unwrap();
    let mut txn = store.begin().unwrap();
    txn.update(&table, slot, &row(5, "a")).unwrap();
    txn.commit().unwrap();
    assert_eq!(read(&store, &table, 1), None);
    assert_eq!(read(&store, &table, 5), Some(row(5, "a")));
}

#[test]
fn rollback_to_savepoint_undoes_only_later_writes() {
    let store = Store::new();
    let table = keyed_table(&store);
    let mut txn = store.begin().unwrap();
    let slot = txn.insert(&table, &row(1, "a")).unwrap();
    let savepoint = txn.savepoint();
    txn.update(&table, slot, &row(1, "b")).unwrap();
    txn.insert(&table, &row(2, "x")).unwrap();
    txn.rollback_to(savepoint);
    txn.commit().unwrap();
    assert_eq!(read(&store, &table, 1), Some(row(1, "a")));
    assert_eq!(read(&store, &table, 2), None);
}

#[test]
fn an_idle_reader_releases_its_snapshot_and_restarts_at_the_newest_commit() {
    let store = Store::new();
    let table = keyed_table(&store);
    let reader = store.begin().unwrap();
    let first_ts = reader.snapshot().read_ts;
    assert_eq!(reader.store_active_snapshots(), 1);
    let idle = reader
        .into_idle()
        .ok()
        .expect("a reader that never wrote goes idle");
    let mut writer = store.begin().unwrap();
    assert_eq!(
        writer.store_active_snapshots(),
        1,
        "the idle reader holds no snapshot"
    );
    assert_eq!(store.watermark(), first_ts);
    writer.insert(&table, &row(1, "a")).unwrap();
    let commit_ts = writer.commit().unwrap();
    let reader = idle.begin().unwrap();
    assert_eq!(reader.snapshot().read_ts, commit_ts);
    assert_eq!(reader.snapshot().txn_id, 0);
    assert!(reader
        .find_key(&table, &crate::index::IndexKey::Int(1))
        .is_some());
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(2, "b")).unwrap();
    let writer = writer.into_idle().err().expect("a writer does not go idle");
    assert!(writer.has_writes());
    drop(writer);
    drop(reader);
    assert_eq!(
        read(&store, &table, 2),
        None,
        "the refused writer rolled back on drop"
    );
}

#[test]
fn a_key_lookup_wanting_only_an_integer_key_reads_it_from_the_key() {
    use crate::index::IndexKey;
    let store = Store::new();
    let table = keyed_table(&store);
    // A REAL key column: the probe key of 5.0 is the integer 5, but the column holds 5.0.
    let real_keyed = store.create_table(TableSchema {
        types: vec![DataType::Text, DataType::Real],
        key_columns: vec![1],
        added: Vec::new(),
    });
    let mut writer = store.begin().unwrap();
    writer.insert(&table, &row(7, "g")).unwrap();
    let real_row = [Value::Text("five".into()), Value::Real(5.0)];
    writer.insert(&real_keyed, &real_row).unwrap();
    writer.commit().unwrap();
    let reader = store.begin().unwrap();
    let mut out = vec![Value::Text("stale".into()); 4];
    let cases: [(&[bool], Vec<Value>); 4] = [
        (&[true, false], vec![Value::Integer(7), Value::Null]),
        (&[false, false], vec![Value::Null, Value::Null]),
        (&[true], vec![Value::Integer(7), Value::Null]),
        (&[true, true], row(7, "g")),
    ];
    for (wanted, expected) in cases {
        let found = reader.read_key_columns(&table, &IndexKey::Int(7), Some(wanted), &mut out);
        assert!(found.unwrap().is_some());
        assert_eq!(out, expected, "wanted {wanted:?}");
    }
    let found = reader.read_key_columns(
        &real_keyed,
        &IndexKey::Int(5),
        Some(&[false, true]),
        &mut out,
    );
    assert!(found.unwrap().is_some());
    assert_eq!(
        out,
        [Value::Null, Value::Real(5.0)],
        "decoded, not taken from the key"
    );
    let missing = reader.read_key_columns(&table, &IndexKey::Int(8), Some(&[true]), &mut out);
    assert_eq!(missing.unwrap(), None);
}

/// A transaction's reserved slab slots count as used while it runs and go back when it ends
/// (commit, rollback, or a reused transaction object's commit), so the stats then count
/// exactly the slots of live rows.
#[test]
fn reserved_slots_go_back_when_a_transaction_ends() {
    let store = Store::new();
    let table = keyed_table(&store);
    // Every row encodes to 1 + 1 + 1 + 8 = 11 bytes: a 16-byte slot.
    let slot_bytes = 16;
    let used = || store.memory().stats().slab_bytes_used;
    let mut txn = store.begin().unwrap();
    for id in 0..300 {
        txn.insert(&table, &row(id, "abcdefgh")).unwrap();
    }
    assert!(used() >= 300 * slot_bytes);
    txn.commit().unwrap();
    assert_eq!(used(), 300 * slot_bytes);
    let mut txn = store.begin().unwrap();
    for id in 300..600 {
        txn.insert(&table, &row(id, "abcdefgh")).unwrap();
    }
    txn.rollback();
    // The undone versions are destroyed through the epoch.
    store.pool().drain_deferred_frees();
    assert_eq!(used(), 300 * slot_bytes);
    let mut txn = store.begin().unwrap();
    for id in 300..400 {
        txn.insert(&table, &row(id, "abcdefgh")).unwrap();
    }
    let (committed, idle) = txn.commit_reusable();
    committed.unwrap();
    assert_eq!(used(), 400 * slot_bytes);
    let mut txn = idle.begin().unwrap();
    txn.insert(&table, &row(400, "abcdefgh")).unwrap();
    txn.insert(&table, &row(401, "abcdefgh")).unwrap();
    drop(txn);
    store.pool().drain_deferred_frees();
    assert_eq!(used(), 400 * slot_bytes);
    assert_eq!(store.memory().stats().versions, 400);
}

/// A NULL primary key fails the insert with a clear error and leaves nothing behind: no
/// slot, no index entry, no payload left (the key is read before the row is encoded, so its
/// index entry can be prefetched; the failure must still release the encoded payload).
#[test]
fn null_primary_key_fails_and_changes_nothing() {
    let store = Store::new();
    let table = keyed_table(&store);
    let account = store.pool().account();
    let versions_before = account.stats().versions;
    let mut txn = store.begin().unwrap();
    let error = txn
        .insert(&table, &[Value::Null, Value::Text("x".into())])
        .unwrap_err();
    assert_eq!(error.kind, StorageErrorKind::InvalidData);
    assert!(error.message.contains("primary key"), "{}", error.message);
    assert_eq!(table.slots_in_use(), 0, "the failed insert took no slot");
    assert_eq!(account.stats().versions, versions_before);
    assert!(table.lookup_key(&crate::index::IndexKey::Int(0)).is_none());
    // The transaction goes on: a valid row after the failure is written and committed.
    txn.insert(&table, &row(1, "a")).unwrap();
    txn.commit().unwrap();
    assert_eq!(read(&store, &table, 1), Some(row(1, "a")));
}

/// A rollback's frees leave the rolling-back thread: a thread that rolls back and then
/// idles (unpinned, as an idle connection's thread is) holds none of them pending, so a
/// drain on another thread (VACUUM's) sees them run. Without the rollback's flush they sit
/// in the idle thread's local bag, and `pending_frees` stays above zero.
#[test]
fn a_rollback_on_a_thread_that_then_idles_leaves_no_free_pending() {
    let store = Store::new();
    let table = keyed_table(&store);
    let rolled_back = std::sync::Barrier::new(2);
    let checked = std::sync::Barrier::new(2);
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut txn = store.begin().unwrap();
            for id in 0..3 {
                txn.insert(&table, &row(id, "gone")).unwrap();
            }
            txn.rollback();
            rolled_back.wait();
            // Idle and alive until the other thread has looked.
            checked.wait();
        });
        rolled_back.wait();
        let account = store.memory();
        // Liveness, not speed: a pending free in the idle thread's bag never runs, however
        // long this waits; the bound only keeps a failure from hanging.
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while account.pending_frees() > 0 && std::time::Instant::now() < deadline {
            crossbeam_epoch::pin().flush();
            std::thread::sleep(std::time::Duration::from_millis(1));
        }
        let pending = account.pending_frees();
        checked.wait();
        assert_eq!(
            pending, 0,
            "frees of the rollback left pending in an idle thread"
        );
    });
}
