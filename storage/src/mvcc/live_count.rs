//! A table's count of committed live rows, so `SELECT count(*) FROM t` need not walk the
//! table. Every commit adds what it did to each table it wrote (a created version is a row
//! more, a claimed one a row less: a claim ends a live version) together with its
//! timestamp, under the commit lock; a reader whose snapshot is at or past that timestamp
//! sees exactly those commits, so the count is its count plus its own pending writes. An
//! older snapshot (a reader that began before the last commit to the table, AS OF) gets
//! `None` and walks the table. Rows only become visible through a commit
//! (`stamp_and_publish`) or a rebuild's pre-existing copy (`commit_preexisting`), and both
//! add here; rollbacks undo writes never counted; the collector frees only versions no
//! snapshot sees.
//!
//! The pair (rows, as of) is read consistently through a sequence lock: writers are
//! serialized (the commit lock; a rebuild's copy is a table nobody else writes yet), readers
//! retry while a write is under way and never block a commit.

use std::sync::atomic::{fence, AtomicU64, Ordering};

use super::table::Table;
use super::transaction::{Transaction, WriteKind};

/// The committed live rows of a table and the commit they are exact at.
#[derive(Debug, Default)]
pub(crate) struct LiveCount {
    /// Odd while a writer changes `rows` and `as_of`.
    sequence: AtomicU64,
    rows: AtomicU64,
    /// The timestamp of the last commit that changed the table's rows (0: none since it
    /// was created, or only pre-existing rows).
    as_of: AtomicU64,
}

impl LiveCount {
    /// Adds `delta` rows, committed at `ts` (`None`: rows every snapshot sees, the as-of
    /// commit kept). Writers must be serialized (see the file comment).
    fn apply(&self, delta: i64, ts: Option<u64>) {
        let sequence = self.sequence.load(Ordering::Relaxed);
        debug_assert!(
            sequence.is_multiple_of(2),
            "live-count writers are serialized"
        );
        self.sequence
            .store(sequence.wrapping_add(1), Ordering::Relaxed);
        fence(Ordering::Release);
        let rows = self.rows.load(Ordering::Relaxed);
        let updated = rows.checked_add_signed(delta);
        debug_assert!(updated.is_some(), "{rows} live rows {delta:+}");
        // An impossible negative count makes the count unknown forever (`u64::MAX`): every
        // reader walks the table rather than trust it.
        self.rows
            .store(updated.unwrap_or(u64::MAX), Ordering::Relaxed);
        if let Some(ts) = ts {
            debug_assert!(
                ts >= self.as_of.load(Ordering::Relaxed),
                "commits are ordered"
            );
            self.as_of.store(ts, Ordering::Relaxed);
        }
        self.sequence
            .store(sequence.wrapping_add(2), Ordering::Release);
    }

    /// The committed live rows and the commit they are exact at, read consistently.
    pub(super) fn read(&self) -> (u64, u64) {
        loop {
            let before = self.sequence.load(Ordering::Acquire);
            if before.is_multiple_of(2) {
                let rows = self.rows.load(Ordering::Relaxed);
                let as_of = self.as_of.load(Ordering::Relaxed);
                fence(Ordering::Acquire);
                if self.sequence.load(Ordering::Relaxed) == before {
                    return (rows, as_of);
                }
            }
            std::hint::spin_loop();
        }
    }
}

impl Transaction {
    /// The rows of `table` this transaction sees, without walking it: `None` when a commit
    /// newer than its snapshot changed the table (then only a walk knows).
    pub fn count_rows(&self, table: &Table) -> Option<u64> {
        self.note_table_read(table);
        let (rows, as_of) = table.live_count.read();
        if rows == u64::MAX || as_of > self.snapshot().read_ts {
            return None;
        }
        let pending = self.pending_rows(table)?;
        rows.checked_add_signed(pending)
    }

    /// The rows this transaction's own writes add to `table` (negative when it deleted
    /// more than it inserted); `None` if the sum overflows.
    fn pending_rows(&self, table: &Table) -> Option<i64> {
        let Some(position) = self
            .tables
            .iter()
            .position(|written| std::ptr::eq(written.as_ref(), table))
        else {
            return Some(0);
        };
        let mut delta = 0i64;
        for write in self.writes.iter().filter(|w| w.table as usize == position) {
            delta = delta.checked_add(row_delta(write.kind))?;
        }
        Some(delta)
    }

    /// At commit (`ts`) or for a rebuild's pre-existing copy (`None`): adds each written
    /// table's net rows to its count. Call with the commit lock held (commits), or with
    /// the written tables private to this transaction (the copy).
    pub(super) fn count_committed_rows(&self, ts: Option<u64>) {
        // By runs of writes to one table (no allocation on the commit path); a table
        // written in several runs is applied once per run, all at the same `ts`.
        let mut run: Option<(u32, i64)> = None;
        for write in &self.writes {
            match &mut run {
                Some((table, delta)) if *table == write.table => {
                    *delta = delta.saturating_add(row_delta(write.kind));
                }
                _ => {
                    if let Some((table, delta)) = run.take() {
                        self.tables[table as usize].live_count.apply(delta, ts);
                    }
                    run = Some((write.table, row_delta(write.kind)));
                }
            }
        }
        if let Some((table, delta)) = run {
            self.tables[table as usize].live_count.apply(delta, ts);
        }
    }
}

/// A created version is one live row more, a claimed (ended) one a row less.
fn row_delta(kind: WriteKind) -> i64 {
    match kind {
        WriteKind::Created => 1,
        WriteKind::Claimed => -1,
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::index::IndexKey;
    use crate::mvcc::Table;
    use crate::store::Store;
    use crate::value::{DataType, Value};
    use crate::TableSchema;

    fn store_with_table() -> (Store, Arc<Table>) {
        let store = Store::new();
        let schema = TableSchema {
            types: vec![DataType::Integer, DataType::Text],
            key_columns: vec![0],
            added: Vec::new(),
        };
        let table = store.create_table(schema);
        (store, table)
    }

    fn insert(store: &Store, table: &Arc<Table>, keys: std::ops::Range<i64>) {
        let mut txn = store.begin().unwrap();
        for key in keys {
            txn.insert(table, &[Value::Integer(key), Value::Text("x".into())])
                .unwrap();
        }
        txn.commit().unwrap();
    }

    /// Counts by walking (the answer `count_rows` must give).
    fn walked(txn: &crate::mvcc::Transaction, table: &Table) -> u64 {
        table.stats(&txn.snapshot()).live_rows
    }

    #[test]
    fn commits_inserts_deletes_and_updates_count() {
        let (store, table) = store_with_table();
        let txn = store.begin().unwrap();
        assert_eq!(txn.count_rows(&table), Some(0));
        drop(txn);
        insert(&store, &table, 0..100);
        let mut txn = store.begin().unwrap();
        assert_eq!(txn.count_rows(&table), Some(100));
        // Own writes count: delete 10, update 5 (claim + create), insert 3.
        for key in 0..10 {
            let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
            txn.delete(&table, row).unwrap();
        }
        for key in 10..15 {
            let row = txn.find_key(&table, &IndexKey::Int(key)).unwrap();
            txn.update(&table, row, &[Value::Integer(key), Value::Text("y".into())])
                .unwrap();
        }
        for key in 100..103 {
            txn.insert(&table, &[Value::Integer(key), Value::Text("z".into())])
                .unwrap();
        }
        assert_eq!(txn.count_rows(&table), Some(93));
        assert_eq!(walked(&txn, &table), 93);
        txn.commit().unwrap();
        let txn = store.begin().unwrap();
        assert_eq!(txn.count_rows(&table), Some(93));
        assert_eq!(walked(&txn, &table), 93);
    }

    #[test]
    fn a_snapshot_older_than_the_last_commit_gets_none() {
        let (store, table) = store_with_table();
        insert(&store, &table, 0..10);
        let old = store.begin().unwrap();
        insert(&store, &table, 10..20);
        assert_eq!(
            old.count_rows(&table),
            None,
            "a newer commit changed the table"
        );
        assert_eq!(walked(&old, &table), 10);
        let new = store.begin().unwrap();
        assert_eq!(new.count_rows(&table), Some(20));
    }

    #[test]
    fn rollbacks_count_nothing() {
        let (store, table) = store_with_table();
        insert(&store, &table, 0..10);
        let mut txn = store.begin().unwrap();
        txn.insert(&table, &[Value::Integer(50), Value::Text("x".into())])
            .unwrap();
        txn.rollback();
        let mut txn = store.begin().unwrap();
        let savepoint = txn.savepoint();
        txn.insert(&table, &[Value::Integer(51), Value::Text("x".into())])
            .unwrap();
        txn.rollback_to(savepoint);
        assert_eq!(txn.count_rows(&table), Some(10));
        txn.commit().unwrap();
        let txn = store.begin().unwrap();
        assert_eq!(txn.count_rows(&table), Some(10));
        assert_eq!(walked(&txn, &table), 10);
    }

    /// Writers insert and delete on several threads while readers check, at every step,
    /// that the count a snapshot gets equals the rows it walks.
    #[test]
    fn concurrent_commits_keep_the_count_exact() {
        let (store, table) = store_with_table();
        let store = Arc::new(store);
        insert(&store, &table, 0..200);
        let writers: Vec<_> = (0..3)
            .map(|thread| {
                let (store, table) = (Arc::clone(&store), Arc::clone(&table));
                std::thread::spawn(move || {
                    for round in 0..150i64 {
                        let key = 1000 + thread * 1000 + round;
                        let mut txn = store.begin().unwrap();
                        txn.insert(&table, &[Value::Integer(key), Value::Text("n".into())])
                            .unwrap();
                        if round % 3 == 0 {
                            if let Some(row) = txn.find_key(&table, &IndexKey::Int(key - 1)) {
                                let _ = txn.delete(&table, row);
                            }
                        }
                        let _ = txn.commit();
                    }
                })
            })
            .collect();
        let mut counted = 0;
        while writers.iter().any(|writer| !writer.is_finished()) {
            let txn = store.begin().unwrap();
            if let Some(rows) = txn.count_rows(&table) {
                assert_eq!(rows, walked(&txn, &table));
                counted += 1;
            }
        }
        for writer in writers {
            writer.join().unwrap();
        }
        let txn = store.begin().unwrap();
        assert_eq!(txn.count_rows(&table), Some(walked(&txn, &table)));
        assert!(counted > 0 || txn.count_rows(&table).is_some());
    }
}
