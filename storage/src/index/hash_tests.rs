//! Tests of the secondary hash index (`hash.rs`): rows per key against a model, chains,
//! vacant entries and rebuilds, memory charges, and readers racing writers.

use std::collections::{BTreeMap, BTreeSet};
use std::sync::Arc;

use super::*;

fn text(s: &str) -> IndexKey {
    IndexKey::Bytes(s.as_bytes().to_vec().into())
}

fn rows(index: &HashIndex, key: &IndexKey) -> Vec<EntryRow> {
    let mut rows = Vec::new();
    index.for_each(key, &epoch::pin(), |row| rows.push(row));
    rows
}

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
fn duplicate_keys_chain_newest_first_and_unlink_anywhere() {
    let index = HashIndex::new();
    let key = text("k");
    index.insert(key.clone(), 1);
    index.insert(key.clone(), 2);
    index.insert(key.clone(), 2);
    index.insert(key.clone(), 3);
    index.insert(key.clone(), 4);
    assert_eq!(rows(&index, &key), vec![4, 3, 2, 1]);
    assert_eq!(index.len(), 4);
    // The middle, the head, the tail.
    assert!(index.remove(&key, 3));
    assert!(!index.remove(&key, 3));
    assert_eq!(rows(&index, &key), vec![4, 2, 1]);
    assert!(index.remove(&key, 4));
    assert_eq!(rows(&index, &key), vec![2, 1]);
    assert!(index.remove(&key, 1));
    assert_eq!(rows(&index, &key), vec![2]);
    assert!(!index.remove(&key, 7));
    assert!(index.remove(&key, 2));
    assert!(rows(&index, &key).is_empty());
    assert!(index.is_empty());
    // The key comes back in a fresh entry (its old one is a tombstone).
    index.insert(key.clone(), 9);
    assert_eq!(rows(&index, &key), vec![9]);
    assert!(rows(&index, &text("other")).is_empty());
}

#[test]
fn rows_too_large_for_a_row_word_go_into_a_chain() {
    let index = HashIndex::new();
    let big = u64::MAX - 1;
    index.insert(IndexKey::Int(1), big);
    index.insert(IndexKey::Int(2), INLINE_ROW_MAX);
    index.insert(IndexKey::Int(2), INLINE_ROW_MAX + 1);
    assert_eq!(rows(&index, &IndexKey::Int(1)), vec![big]);
    assert_eq!(
        rows(&index, &IndexKey::Int(2)),
        vec![INLINE_ROW_MAX + 1, INLINE_ROW_MAX]
    );
    assert!(index.remove(&IndexKey::Int(1), big));
    assert!(rows(&index, &IndexKey::Int(1)).is_empty());
}

/// A tiny deterministic generator (xorshift).
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_key(rng: &mut Rng, keys: u64) -> IndexKey {
    let n = rng.next() % keys;
    if n.is_multiple_of(3) {
        text(&format!("key-{n}"))
    } else {
        IndexKey::Int(n as i64 - 40)
    }
}

#[test]
fn random_inserts_and_removes_match_a_model_and_charge_exactly() {
    let account = Arc::new(MemoryAccount::new());
    let index = HashIndex::with_account(Some(Arc::clone(&account)));
    let mut model: BTreeMap<Vec<u8>, (IndexKey, BTreeSet<EntryRow>)> = BTreeMap::new();
    let name = |key: &IndexKey| format!("{key:?}").into_bytes();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // Phases: grow (mostly inserts, few keys so chains form), then shrink (mostly removes).
    for (steps, insert_per_16, keys) in [(20_000, 12, 500), (30_000, 3, 500), (5_000, 10, 5_000)] {
        for _ in 0..steps {
            let key = random_key(&mut rng, keys);
            let row = rng.next() % 8;
            let entry = model
                .entry(name(&key))
                .or_insert_with(|| (key.clone(), BTreeSet::new()));
            if rng.next() % 16 < insert_per_16 {
                assert_eq!(index.lock_writer().insert(key, row), entry.1.insert(row));
            } else {
                assert_eq!(index.remove(&key, row), entry.1.remove(&row));
            }
        }
        let mut pairs = 0;
        for (key, expected) in model.values() {
            let mut found = rows(&index, key);
            found.sort_unstable();
            assert_eq!(
                found,
                expected.iter().copied().collect::<Vec<_>>(),
                "{key:?}"
            );
            pairs += expected.len();
        }
        assert_eq!(index.len(), pairs);
        let mut visited = 0;
        index.for_each_entry(&epoch::pin(), |key, row| {
            assert!(model[&name(key)].1.contains(&row));
            visited += 1;
        });
        assert_eq!(visited, pairs);
        // The account holds exactly the array and the chain nodes.
        let guard = epoch::pin();
        // SAFETY: pinned guard; the array is alive while the index is.
        let array = unsafe { index.entries.load(Ordering::Acquire, &guard).deref() }.bytes();
        assert_eq!(
            account.used_bytes(),
            array + index.node_bytes.load(Ordering::Relaxed)
        );
    }
    drop(index);
    assert_eq!(account.used_bytes(), 0);
}

#[test]
fn an_emptied_index_shrinks_and_keeps_its_keys() {
    let account = Arc::new(MemoryAccount::new());
    let index = HashIndex::with_account(Some(Arc::clone(&account)));
    for i in 0..50_000 {
        index.insert(IndexKey::Int(i), i as u64);
    }
    let full = account.used_bytes();
    for i in 100..50_000 {
        assert!(index.remove(&IndexKey::Int(i), i as u64));
    }
    assert!(account.used_bytes() * 16 < full, "the array shrank");
    for i in 0..100 {
        assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64));
    }
    assert_eq!(index.get(&IndexKey::Int(100)), None);
}

/// Room made ahead holds that many more entries with no rebuild (the array's charge does
/// not move while they go in), and every key is found after.
#[test]
fn reserved_room_takes_its_entries_without_a_rebuild() {
    let account = Arc::new(MemoryAccount::new());
    let index = HashIndex::with_account(Some(Arc::clone(&account)));
    for i in 0..10 {
        index.insert(text(&format!("k{i}")), i);
    }
    index.lock_writer().reserve(20_000);
    let reserved = index.capacity();
    assert!(reserved * LOAD_SIXTEENTHS_MAX >= 20_010 * 16);
    {
        let writer = index.lock_writer();
        for i in 10..20_010 {
            assert!(writer.insert(IndexKey::Int(i), i as u64));
            assert_eq!(index.capacity(), reserved, "no rebuild at entry {i}");
        }
    }
    index.lock_writer().reserve(0);
    assert_eq!(index.capacity(), reserved);
    assert!(account.used_bytes() > 0);
    for i in 0..10 {
        assert_eq!(index.get(&text(&format!("k{i}"))), Some(i));
    }
    for i in 10..20_010 {
        assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64));
    }
    assert_eq!(index.len(), 20_010);
}

#[test]
fn a_pair_costs_at_most_entry_bytes_on_average() {
    // Distinct keys: past the first arrays (larger than their few keys need), every size
    // the array passes through, the emptiest right after each doubling, is within the bound.
    let account = Arc::new(MemoryAccount::new());
    let index = HashIndex::with_account(Some(Arc::clone(&account)));
    for i in 0..40_000u64 {
        index.insert(IndexKey::Int(i as i64), i);
        if i >= 1_000 {
            let per_pair = account.used_bytes() as f64 / index.len() as f64;
            assert!(per_pair <= ENTRY_BYTES as f64, "{per_pair} at {i}");
        }
    }
    // Rows of one key: the first in its entry, then a node each (the second brings the
    // first into the chain), within the bound too.
    let account = Arc::new(MemoryAccount::new());
    let duplicates = HashIndex::with_account(Some(Arc::clone(&account)));
    let array = account.used_bytes();
    for row in 0..1_000 {
        duplicates.insert(IndexKey::Int(7), row);
    }
    assert_eq!(account.used_bytes() - array, 1_000 * NODE_BYTES);
}

#[test]
fn readers_racing_writers_see_only_their_keys_rows() {
    // Keys 0..KEYS each hold row `key` for good, and rows `key + ROUND * KEYS` that writers
    // add and remove in rounds (chains grow and shrink, the array grows through rebuilds).
    // Readers check every row they see belongs to the key they probed and that the
    // permanent row is always there.
    const KEYS: u64 = 2_000;
    let index = Arc::new(HashIndex::new());
    for key in 0..KEYS {
        index.insert(IndexKey::Int(key as i64), key);
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let index = Arc::clone(&index);
        std::thread::spawn(move || {
            for round in 1..=6u64 {
                for key in 0..KEYS {
                    for extra in 0..round {
                        index.insert(IndexKey::Int(key as i64), key + (round + extra) * KEYS);
                    }
                    // Keys past the permanent ones: fresh entries, then tombstones.
                    index.insert(IndexKey::Int((KEYS * round + key) as i64), key);
                }
                for key in 0..KEYS {
                    for extra in 0..round {
                        let row = key + (round + extra) * KEYS;
                        assert!(index.remove(&IndexKey::Int(key as i64), row));
                    }
                    assert!(index.remove(&IndexKey::Int((KEYS * round + key) as i64), key));
                }
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|reader| {
            let index = Arc::clone(&index);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut probes = 0u64;
                let mut key = reader as u64;
                while !done.load(Ordering::Relaxed) || probes < 10_000 {
                    key = (key * 7 + 13) % KEYS;
                    let mut permanent = false;
                    index.for_each(&IndexKey::Int(key as i64), &epoch::pin(), |row| {
                        assert_eq!(row % KEYS, key, "a row of another key");
                        permanent |= row == key;
                    });
                    assert!(permanent, "key {key} lost its permanent row");
                    probes += 1;
                }
                probes
            })
        })
        .collect();
    writer.join().unwrap();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() >= 10_000);
    }
    assert_eq!(index.len(), KEYS as usize);
    for key in 0..KEYS {
        assert_eq!(rows(&index, &IndexKey::Int(key as i64)), vec![key]);
    }
}

/// Deleting and reinserting the same keys, round after round (a queue, DELETE + INSERT,
/// REPLACE), takes each key's vacant entry back: the array's used entries stay as they were,
/// where one dead entry per key and round lengthened every probe until a rebuild. Fails if
/// a removed key's entry is not kept or not reused.
#[test]
fn reinserted_keys_take_their_vacant_entries_back() {
    let index = HashIndex::new();
    let keys: Vec<IndexKey> = (0..1_000)
        .map(|i| text(&format!("key-{i}")))
        .chain((0..1_000).map(IndexKey::Int))
        .collect();
    for (row, key) in keys.iter().enumerate() {
        index.insert(key.clone(), row as u64);
    }
    let used = index.used.load(Ordering::Relaxed);
    assert_eq!(used, 2_000);
    for round in 1..=500u64 {
        for (row, key) in keys.iter().enumerate().step_by(20) {
            let old = row as u64 + (round - 1) * 10_000;
            assert!(index.remove(key, old));
            assert!(rows(&index, key).is_empty(), "a vacant key has no rows");
            index.insert(key.clone(), row as u64 + round * 10_000);
        }
        assert_eq!(index.used.load(Ordering::Relaxed), used, "round {round}");
    }
    assert_eq!(index.len(), 2_000);
    let mut visited = 0;
    index.for_each_entry(&epoch::pin(), |key, row| {
        let at = keys.iter().position(|k| k == key).unwrap() as u64;
        let round = if at.is_multiple_of(20) { 500 } else { 0 };
        assert_eq!(row, at + round * 10_000);
        visited += 1;
    });
    assert_eq!(visited, 2_000);
}

/// Keys whose rows are all removed stay vacant until a rebuild drops them (and frees their
/// boxed keys); afterwards nothing finds them and each can come back.
#[test]
fn a_rebuild_drops_vacant_entries() {
    let index = HashIndex::new();
    for i in 0..40 {
        index.insert(text(&format!("t{i}")), i);
    }
    for i in 0..30 {
        assert!(index.remove(&text(&format!("t{i}")), i));
    }
    assert_eq!(
        index.used.load(Ordering::Relaxed),
        40,
        "vacant entries are kept"
    );
    assert_eq!(index.live.load(Ordering::Relaxed), 10);
    for i in 0..1_000 {
        index.insert(IndexKey::Int(i), i as u64);
    }
    assert_eq!(
        index.used.load(Ordering::Relaxed),
        index.live.load(Ordering::Relaxed),
        "the rebuilds dropped the vacant entries"
    );
    for i in 0..40 {
        let expected = if i < 30 { vec![] } else { vec![i] };
        assert_eq!(rows(&index, &text(&format!("t{i}"))), expected);
    }
    index.insert(text("t3"), 3);
    assert_eq!(rows(&index, &text("t3")), vec![3]);
    assert_eq!(index.len(), 1_011);
}

/// Readers probing text (boxed) keys while a writer empties and refills them (vacant and
/// back) and adds and removes other keys, so the array is rebuilt and vacant keys' boxes
/// are freed under the readers: every row a reader sees is its key's, and the key's
/// permanent row is always there.
#[test]
fn readers_racing_vacant_entries_and_rebuilds_see_only_their_keys_rows() {
    const KEYS: u64 = 500;
    let key_of = |key: u64| text(&format!("key-{key}"));
    let index = Arc::new(HashIndex::new());
    for key in 0..KEYS {
        index.insert(key_of(key), key);
    }
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let index = Arc::clone(&index);
        std::thread::spawn(move || {
            for round in 1..=40u64 {
                for key in 0..KEYS {
                    // A key of its own emptied and refilled: vacant, then live again.
                    let own = text(&format!("own-{key}"));
                    index.insert(own.clone(), key + round * KEYS);
                    assert!(index.remove(&own, key + round * KEYS));
                    index.insert(key_of(key), key + round * KEYS);
                }
                for key in 0..KEYS {
                    assert!(index.remove(&key_of(key), key + round * KEYS));
                }
                // Fresh keys that push the array through rebuilds, then vacate.
                for extra in 0..KEYS * 4 {
                    index.insert(IndexKey::Int((round * KEYS * 4 + extra) as i64), extra);
                }
                for extra in 0..KEYS * 4 {
                    let key = IndexKey::Int((round * KEYS * 4 + extra) as i64);
                    assert!(index.remove(&key, extra));
                }
            }
        })
    };
    let readers: Vec<_> = (0..2)
        .map(|reader| {
            let index = Arc::clone(&index);
            let done = Arc::clone(&done);
            std::thread::spawn(move || {
                let mut probes = 0u64;
                let mut key = reader as u64;
                while !done.load(Ordering::Relaxed) || probes < 10_000 {
                    key = (key * 7 + 13) % KEYS;
                    let mut permanent = false;
                    index.for_each(&key_of(key), &epoch::pin(), |row| {
                        assert_eq!(row % KEYS, key, "a row of another key");
                        permanent |= row == key;
                    });
                    assert!(permanent, "key {key} lost its permanent row");
                    let own = text(&format!("own-{key}"));
                    index.for_each(&own, &epoch::pin(), |row| {
                        assert_eq!(row % KEYS, key, "a row of another key");
                    });
                    probes += 1;
                }
                probes
            })
        })
        .collect();
    writer.join().unwrap();
    done.store(true, Ordering::Relaxed);
    for reader in readers {
        assert!(reader.join().unwrap() >= 10_000);
    }
    assert_eq!(index.len(), KEYS as usize);
}

#[test]
fn hashed_keys_go_in_order_each_checked_first_and_a_failed_check_stops_them() {
    let index = HashIndex::new();
    let key = |i: u64| IndexKey::Bytes(format!("customer-{i}@example.com").into_bytes().into());
    let mut keys: Vec<(IndexKey, u64, EntryRow)> = (0..5_000)
        .map(|i| (key(i % 4_000), key(i % 4_000).hash(), i))
        .collect();
    let writer = index.lock_writer();
    let mut checked = 0;
    let done: Result<(), ()> = writer.insert_hashed_keys(&mut keys, |_, _, _| {
        checked += 1;
        Ok(())
    });
    assert_eq!((done, checked, keys.len()), (Ok(()), 5_000, 0));
    // A check sees the keys inserted before it (a unique check relies on that) and its
    // error ends the inserts.
    let mut keys: Vec<(IndexKey, u64, EntryRow)> = (10_000..10_010)
        .map(|i| (key(i), key(i).hash(), i))
        .collect();
    let stopped = writer.insert_hashed_keys(&mut keys, |writer, key, row| {
        if row == 10_005 {
            return Err(writer.rows(key).len());
        }
        Ok(())
    });
    assert_eq!(stopped, Err(0));
    assert!(keys.is_empty());
    for i in 0..4_000 {
        let mut rows = writer.rows(&key(i));
        rows.sort_unstable();
        let expected: Vec<u64> = if i < 1_000 {
            vec![i, i + 4_000]
        } else {
            vec![i]
        };
        assert_eq!(rows, expected);
    }
    for i in 10_000..10_010 {
        assert_eq!(writer.rows(&key(i)).len(), usize::from(i < 10_005));
    }
}
