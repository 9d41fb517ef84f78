//! Measures what an ordered index's ordered entries cost in memory, per entry: the heap bytes
//! (glibc `mallinfo2`, chunk headers and rounding included) an ordered index adds over a
//! hash-only index on the same column, and what the table's memory account was charged.
//!
//! `cargo run --release -p ember-storage --example ordered_index_memory [ROWS]`

use ember_storage::index::KeyCollation;
use ember_storage::store::Store;
use ember_storage::value::{DataType, Value};
use ember_storage::TableSchema;

/// Heap bytes in use (allocated chunks, their headers included, and mmapped blocks), once
/// the epoch has freed what was retired (the hash maps' outgrown tables).
fn heap_bytes() -> u64 {
    for _ in 0..64 {
        crossbeam_epoch::pin().flush();
    }
    glibc_heap_bytes()
}

#[cfg(all(target_os = "linux", target_env = "gnu"))]
fn glibc_heap_bytes() -> u64 {
    // SAFETY: mallinfo2 only reads the allocator's statistics.
    let info = unsafe { libc::mallinfo2() };
    (info.uordblks + info.hblkhd) as u64
}

/// Without glibc's statistics the heap columns read 0 (the charged ones still hold).
#[cfg(not(all(target_os = "linux", target_env = "gnu")))]
fn glibc_heap_bytes() -> u64 {
    0
}

fn main() {
    let rows: u64 = std::env::args()
        .nth(1)
        .and_then(|arg| arg.parse().ok())
        .unwrap_or(200_000);
    let store = Store::new();
    let table = store.create_table(TableSchema {
        types: vec![DataType::Integer, DataType::Integer],
        key_columns: vec![],
        added: Vec::new(),
    });
    let mut txn = store.begin().expect("begin");
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    for id in 0..rows {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let key = (seed % (rows * 4)) as i64;
        txn.insert(&table, &[Value::Integer(id as i64), Value::Integer(key)])
            .expect("insert");
    }
    txn.commit().expect("commit");
    let account = store.pool().account();
    let measure = |name: &str, ordering: Option<Vec<KeyCollation>>| {
        let (heap, charged) = (heap_bytes(), account.stats().index_bytes);
        let index = table
            .create_index_with(name, vec![1], false, ordering)
            .expect("index");
        let added = (heap_bytes() - heap) as f64 / rows as f64;
        let added_charge = (account.stats().index_bytes - charged) as f64 / rows as f64;
        (index, added, added_charge)
    };
    let (_hash, hash_heap, hash_charged) = measure("by_hash", None);
    let (_ordered, ordered_heap, ordered_charged) =
        measure("by_order", Some(vec![KeyCollation::Binary]));

    println!("rows {rows}, integer key (17-byte entry keys)");
    println!("hash-only index: heap {hash_heap:.1} B/entry, charged {hash_charged:.1} B/entry");
    println!(
        "ordered index:   heap {ordered_heap:.1} B/entry, charged {ordered_charged:.1} B/entry"
    );
    println!(
        "ordered entries: heap {:.1} B/entry, charged {:.1} B/entry",
        ordered_heap - hash_heap,
        ordered_charged - hash_charged
    );
}
