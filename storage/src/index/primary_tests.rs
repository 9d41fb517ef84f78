//! Tests of the primary hash index: lookups, vacant keys and rebuilds, growth and shrink,
//! and readers racing a writer's rebuilds.

use super::*;

fn text(s: &str) -> IndexKey {
    IndexKey::Bytes(s.as_bytes().to_vec().into())
}

#[test]
fn insert_get_and_grow_with_int_and_boxed_keys() {
    let index = PrimaryIndex::with_account(None);
    for i in 0..20_000i64 {
        let (row, inserted) = index.get_or_insert_with(&IndexKey::Int(i), || i as u64 * 3);
        assert!(inserted);
        assert_eq!(row, i as u64 * 3);
        let (row, inserted) = index.get_or_insert_with(&text(&format!("k{i}")), || 7);
        assert!(inserted);
        assert_eq!(row, 7);
    }
    assert_eq!(index.len(), 40_000);
    for i in 0..20_000i64 {
        assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64 * 3));
        assert_eq!(index.get(&text(&format!("k{i}"))), Some(7));
        assert_eq!(
            index.get_or_insert_with(&IndexKey::Int(i), || 1),
            (i as u64 * 3, false)
        );
    }
    assert_eq!(index.get(&IndexKey::Int(-1)), None);
    assert_eq!(index.get(&text("nope")), None);
}

#[test]
fn removed_keys_stay_vacant_until_rebuilds_purge_them() {
    let account = Arc::new(MemoryAccount::new());
    let index = PrimaryIndex::with_account(Some(Arc::clone(&account)));
    // Insert and remove many keys: without purging, vacant entries would fill the array.
    for round in 0..50i64 {
        for i in 0..1000i64 {
            let key = if i % 2 == 0 {
                IndexKey::Int(round * 1000 + i)
            } else {
                text(&format!("{round}/{i}"))
            };
            index.get_or_insert_with(&key, || EntryRow::MAX);
            assert!(!index.remove(&key, 5), "a different row does not match");
            assert!(index.remove(&key, EntryRow::MAX));
            assert!(!index.remove(&key, EntryRow::MAX));
            assert_eq!(index.get(&key), None);
        }
    }
    assert_eq!(index.len(), 0);
    // SAFETY: test only: reads the current array's length under a pin.
    let capacity = unsafe { index.entries.load(Ordering::Acquire, &epoch::pin()).deref() }
        .slots()
        .len();
    assert_eq!(
        capacity, INITIAL_CAPACITY,
        "vacant entries were purged, not grown over"
    );
    drop(index);
    assert_eq!(account.stats().index_bytes, 0);
}

/// A key deleted and reinserted round after round takes its vacant entry back: used
/// entries stay as they were (one dead entry per round would lengthen its probes).
#[test]
fn reinserted_keys_take_their_vacant_entries_back() {
    let index = PrimaryIndex::with_account(None);
    let keys: Vec<IndexKey> = (0..500).map(|i| text(&format!("s{i}"))).collect();
    let keys: Vec<IndexKey> = keys
        .into_iter()
        .chain((0..500).map(IndexKey::Int))
        .collect();
    for (row, key) in keys.iter().enumerate() {
        index.get_or_insert_with(key, || row as u64);
    }
    for round in 1..=300u64 {
        for (row, key) in keys.iter().enumerate().step_by(10) {
            assert!(index.remove(key, row as u64 + (round - 1) * 1_000));
            assert_eq!(index.get(key), None, "a vacant key has no row");
            let row = row as u64 + round * 1_000;
            assert_eq!(index.get_or_insert_with(key, || row), (row, true));
        }
        assert_eq!(index.used.load(Ordering::Relaxed), 1_000, "round {round}");
    }
    assert_eq!(index.len(), 1_000);
    assert_eq!(index.get(&text("s10")), Some(10 + 300 * 1_000));
    assert_eq!(index.get(&text("s11")), Some(11));
}

#[test]
fn an_array_emptied_by_removes_shrinks_and_keeps_its_keys() {
    let account = Arc::new(MemoryAccount::new());
    let index = PrimaryIndex::with_account(Some(Arc::clone(&account)));
    let capacity = || {
        // SAFETY: test only: reads the current array's length under a pin.
        unsafe { index.entries.load(Ordering::Acquire, &epoch::pin()).deref() }.len
    };
    for i in 0..200_000i64 {
        index.get_or_insert_with(&IndexKey::Int(i), || i as u64);
    }
    let full = capacity();
    let full_bytes = account.stats().index_bytes;
    // Remove all but every 1000th key: the array shrinks on the way down, never below
    // what the survivors need, and every survivor stays found.
    let mut last = full;
    for i in 0..200_000i64 {
        if i % 1000 != 0 {
            assert!(index.remove(&IndexKey::Int(i), i as u64));
        }
        let (live, len) = (index.len(), capacity());
        assert!(len <= last || len == INITIAL_CAPACITY, "{last} -> {len}");
        assert!(live * 16 <= len * LOAD_SIXTEENTHS_MAX, "{live} in {len}");
        last = len;
    }
    assert_eq!(index.len(), 200);
    assert!(capacity() <= 200 * 16, "200 keys in {} entries", capacity());
    assert!(
        account.stats().index_bytes * 100 < full_bytes,
        "memory given back"
    );
    for i in 0..200_000i64 {
        let expected = (i % 1000 == 0).then_some(i as u64);
        assert_eq!(index.get(&IndexKey::Int(i)), expected, "key {i}");
    }
    // Growing again from there works as from new.
    for i in 0..200_000i64 {
        if i % 1000 != 0 {
            index.get_or_insert_with(&IndexKey::Int(i), || i as u64);
        }
    }
    assert_eq!((index.len(), capacity()), (200_000, full));
    for i in (0..200_000i64).step_by(997) {
        assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64));
    }
}

#[test]
fn a_full_array_doubles_once() {
    // Every rebuild of a growing index doubles the array (never more), so it is always
    // at least 13/32 full past the first array, and every key stays found.
    let index = PrimaryIndex::with_account(None);
    let capacity = || {
        // SAFETY: test only: reads the current array's length under a pin.
        unsafe { index.entries.load(Ordering::Acquire, &epoch::pin()).deref() }.len
    };
    let mut last = capacity();
    for i in 0..100_000i64 {
        index.get_or_insert_with(&IndexKey::Int(i * 7919), || i as u64);
        let (live, len) = (index.len(), capacity());
        assert!(len == last || len == last * 2, "{last} -> {len}");
        assert!(live * 16 <= len * LOAD_SIXTEENTHS_MAX, "{live} in {len}");
        assert!(
            len == INITIAL_CAPACITY || live * 32 >= len * 13,
            "{live} in {len}"
        );
        last = len;
    }
    for i in 0..100_000i64 {
        assert_eq!(index.get(&IndexKey::Int(i * 7919)), Some(i as u64));
    }
}

#[test]
fn racing_writers_agree_on_one_row_per_key() {
    // Four writers insert overlapping keys (every key by two of them) through many
    // rebuilds: each key is inserted once, and every writer gets the winner's row.
    let index = Arc::new(PrimaryIndex::with_account(None));
    let writers: Vec<_> = (0..4u64)
        .map(|writer| {
            let index = Arc::clone(&index);
            std::thread::spawn(move || {
                let mut inserted = 0u64;
                let mut seen = Vec::new();
                for i in 0..20_000i64 {
                    let key = i + (writer as i64 / 2) * 20_000;
                    let row = (i as u64) * 8 + writer;
                    let (got, created) = index.get_or_insert_with(&IndexKey::Int(key), || row);
                    inserted += u64::from(created);
                    assert!(!created || got == row);
                    seen.push((key, got));
                }
                (inserted, seen)
            })
        })
        .collect();
    let mut inserted = 0;
    let mut rows = std::collections::HashMap::new();
    for writer in writers {
        let (count, seen) = writer.join().unwrap();
        inserted += count;
        for (key, row) in seen {
            assert_eq!(*rows.entry(key).or_insert(row), row, "key {key}");
        }
    }
    assert_eq!(inserted, 40_000);
    assert_eq!(index.len(), 40_000);
    for (key, row) in rows {
        assert_eq!(index.get(&IndexKey::Int(key)), Some(row));
    }
}

#[test]
fn concurrent_readers_see_every_published_key_through_rebuilds() {
    // Readers probe while the writer inserts (rebuilding the array many times) and
    // removes boxed keys (kept vacant, freed after the epoch once a rebuild drops them)
    // and takes one key's vacant entry back each round: a reader must never see a wrong row,
    // and a key it saw inserted must stay found (ids only grow).
    let index = Arc::new(PrimaryIndex::with_account(None));
    let published = Arc::new(AtomicU64::new(0));
    let writer = {
        let index = Arc::clone(&index);
        let published = Arc::clone(&published);
        std::thread::spawn(move || {
            for i in 0..30_000i64 {
                index.get_or_insert_with(&IndexKey::Int(i), || i as u64);
                let scratch = text(&format!("scratch{i}"));
                index.get_or_insert_with(&scratch, || EntryRow::MAX);
                assert!(index.remove(&scratch, EntryRow::MAX));
                // One key emptied and refilled every round: vacant, then live again.
                let again = 1_000_000 + i as u64;
                index.get_or_insert_with(&text("again"), || again);
                assert!(index.remove(&text("again"), again));
                index.get_or_insert_with(&text(&format!("t{i}")), || i as u64 + 1);
                published.store(i as u64 + 1, Ordering::Release);
            }
        })
    };
    let readers: Vec<_> = (0..3)
        .map(|_| {
            let index = Arc::clone(&index);
            let published = Arc::clone(&published);
            std::thread::spawn(move || {
                let mut probes = 0u64;
                loop {
                    let done = published.load(Ordering::Acquire);
                    for i in (0..done).rev().take(64) {
                        let i = i as i64;
                        assert_eq!(index.get(&IndexKey::Int(i)), Some(i as u64));
                        assert_eq!(index.get(&text(&format!("t{i}"))), Some(i as u64 + 1));
                        if let Some(row) = index.get(&text(&format!("scratch{i}"))) {
                            assert_eq!(row, EntryRow::MAX, "only the placeholder row");
                        }
                        if let Some(row) = index.get(&text("again")) {
                            assert!((1_000_000..1_030_000).contains(&row), "{row}");
                        }
                        probes += 1;
                    }
                    if done == 30_000 {
                        return probes;
                    }
                }
            })
        })
        .collect();
    writer.join().unwrap();
    for reader in readers {
        assert!(reader.join().unwrap() > 0);
    }
    assert_eq!(index.len(), 60_000);
}

/// A burst of keys inserted and removed again, round after round (rows inserted past a
/// clustered table's direct keys and deleted, a queue), rebuilds the array only while it
/// first grows: small arrays do not shrink (`SHRINK_FLOOR`), and the keys come back to
/// their vacant entries.
#[test]
fn a_burst_of_keys_removed_again_leaves_the_array_in_place() {
    let index = PrimaryIndex::with_account(None);
    let array = || {
        index
            .entries
            .load(Ordering::Acquire, &epoch::pin())
            .as_raw()
    };
    let mut first = None;
    for round in 0..20u64 {
        for key in 0..200i64 {
            index.get_or_insert_with(&IndexKey::Int(10_000_000 + key), || round);
        }
        for key in 0..200i64 {
            assert!(index.remove(&IndexKey::Int(10_000_000 + key), round));
        }
        assert_eq!(index.len(), 0);
        let now = array();
        assert_eq!(*first.get_or_insert(now), now, "rebuilt in round {round}");
    }
}

#[test]
fn a_boxed_key_word_carries_its_hash_tag_and_only_a_matching_tag_reads_the_block() {
    let key = text("a key long enough to be boxed in its entry");
    let hash = key.hash();
    let (key_word, flag) = key_word_of(key.clone(), hash);
    assert_eq!(flag, BOXED_KEY);
    assert_eq!(key_word & !KEY_ADDRESS_MASK, key_tag(hash));
    // SAFETY: the block is alive until freed at the end of this test.
    unsafe {
        assert_eq!(boxed_key_bytes(key_word), key_bytes_of(&key));
        assert!(entry_holds(key_word, BOXED_KEY | 1, &key, hash));
        // The same bytes under another tag are not looked at: the tags differ.
        let other_tag = hash ^ (1 << 60);
        assert!(!entry_holds(key_word, BOXED_KEY | 1, &key, other_tag));
        // Another key with the same tag is told apart by its bytes.
        let other = text("another key, same tag");
        assert!(!entry_holds(key_word, BOXED_KEY | 1, &other, hash));
        free_boxed_key(key_word);
    }
}

#[test]
fn text_keys_agreeing_in_the_low_hash_bits_are_found_through_the_tags() {
    // Keys whose hashes share the low bits crowd one probe run in a small array; each is
    // found, none is mistaken for another, after growth and removals.
    let index = PrimaryIndex::with_account(None);
    let keys: Vec<String> = (0..200_000)
        .map(|i| format!("user{i}@example.com"))
        .filter(|k| text(k).hash() & 0xff == 0x2a)
        .take(300)
        .collect();
    assert!(keys.len() >= 300);
    for (row, key) in keys.iter().enumerate() {
        assert_eq!(
            index.get_or_insert_with(&text(key), || row as u64),
            (row as u64, true)
        );
    }
    for (row, key) in keys.iter().enumerate() {
        assert_eq!(index.get(&text(key)), Some(row as u64));
    }
    for (row, key) in keys.iter().enumerate().step_by(2) {
        assert!(index.remove(&text(key), row as u64));
    }
    for (row, key) in keys.iter().enumerate() {
        let expected = (row % 2 == 1).then_some(row as u64);
        assert_eq!(index.get(&text(key)), expected, "{key}");
    }
}

fn key_bytes_of(key: &IndexKey) -> &[u8] {
    match key {
        IndexKey::Bytes(bytes) => bytes.as_slice(),
        IndexKey::Int(_) => panic!("a text key"),
    }
}
