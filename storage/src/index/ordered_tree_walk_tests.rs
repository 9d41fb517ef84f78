//! Tests of batch walks: against a `BTreeSet` model (random keys and bounds, batches of
//! every size resumed where the last stopped: every key once, in order), and a writer
//! churning keys while readers walk in batches (every key present throughout a walk is
//! visited exactly once, nothing out of bounds, nothing twice).

use std::collections::BTreeSet;
use std::ops::Bound;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;

use crossbeam_epoch as epoch;

use super::super::OrderedTree;
use super::BatchEnd;

/// Every key of the bounds, visited batch after batch of at most `max_keys`, each batch's
/// keys checked to ascend.
fn batch_all(
    list: &OrderedTree,
    lower: Bound<&[u8]>,
    upper: Bound<&[u8]>,
    max_keys: usize,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut lower = lower.map(<[u8]>::to_vec);
    loop {
        let guard = epoch::pin();
        let mut batch: Vec<Vec<u8>> = Vec::new();
        let end = list.visit_range_batch(
            lower.as_ref().map(Vec::as_slice),
            upper,
            max_keys,
            &guard,
            |key| batch.push(key.to_vec()),
        );
        assert!(batch.len() <= max_keys.max(1), "a batch past its size");
        assert!(
            batch.windows(2).all(|pair| pair[0] < pair[1]),
            "keys out of order"
        );
        out.extend(batch);
        match end {
            BatchEnd::Done => return out,
            BatchEnd::Before(key) => {
                assert!(
                    out.iter().all(|seen| seen.as_slice() < key),
                    "past the stop"
                );
                lower = Bound::Included(key.to_vec());
            }
        }
    }
}

fn number_key(i: u64) -> Vec<u8> {
    i.to_be_bytes().to_vec()
}

#[test]
fn batch_walks_visit_each_key_of_the_range_once() {
    let mut rng = fastrand::Rng::with_seed(25);
    for size in [0usize, 1, 3, 17, 400, 5000] {
        let list = OrderedTree::with_fanout(3, 4);
        let guard = epoch::pin();
        let mut model = BTreeSet::new();
        while model.len() < size {
            let key = number_key(rng.u64(..20_000));
            list.insert(&key, &guard);
            model.insert(key);
        }
        drop(guard);
        for _ in 0..40 {
            let bound = |rng: &mut fastrand::Rng| match rng.u8(..3) {
                0 => Bound::Unbounded,
                1 => Bound::Included(number_key(rng.u64(..20_000))),
                _ => Bound::Excluded(number_key(rng.u64(..20_000))),
            };
            let (lower, upper) = (bound(&mut rng), bound(&mut rng));
            let max_keys = [1, 4, 16, 1024][rng.usize(..4)];
            let mut seen = batch_all(
                &list,
                lower.as_ref().map(Vec::as_slice),
                upper.as_ref().map(Vec::as_slice),
                max_keys,
            );
            seen.sort();
            let expected: Vec<Vec<u8>> = model
                .iter()
                .filter(|key| {
                    (match &lower {
                        Bound::Unbounded => true,
                        Bound::Included(low) => *key >= low,
                        Bound::Excluded(low) => *key > low,
                    }) && (match &upper {
                        Bound::Unbounded => true,
                        Bound::Included(high) => *key <= high,
                        Bound::Excluded(high) => *key < high,
                    })
                })
                .cloned()
                .collect();
            assert_eq!(seen, expected, "{size} keys, {max_keys} a batch");
        }
    }
}

#[test]
fn batch_walks_see_every_stable_key_once_while_a_writer_churns() {
    const KEYS: u64 = 4000;
    let list = Arc::new(OrderedTree::with_fanout(3, 3));
    {
        let guard = epoch::pin();
        for i in (0..KEYS).step_by(2) {
            list.insert(&number_key(i), &guard);
        }
    }
    let done = Arc::new(AtomicBool::new(false));
    // Odd keys come and go; even keys stay for the whole test.
    let writer = {
        let list = Arc::clone(&list);
        let done = Arc::clone(&done);
        thread::spawn(move || {
            let mut rng = fastrand::Rng::with_seed(7);
            while !done.load(Ordering::Relaxed) {
                let key = number_key(rng.u64(..KEYS / 2) * 2 + 1);
                let guard = epoch::pin();
                if rng.bool() {
                    list.insert(&key, &guard);
                } else {
                    list.remove(&key, &guard);
                }
            }
        })
    };
    let readers: Vec<_> = (0..2u64)
        .map(|seed| {
            let list = Arc::clone(&list);
            thread::spawn(move || {
                let mut rng = fastrand::Rng::with_seed(seed);
                for _ in 0..300 {
                    let low = rng.u64(..KEYS);
                    let high = low + rng.u64(..KEYS);
                    let (lower, upper) = (number_key(low), number_key(high));
                    let max_keys = [4, 64, 1024][rng.usize(..3)];
                    let seen = batch_all(
                        &list,
                        Bound::Included(&lower),
                        Bound::Excluded(&upper),
                        max_keys,
                    );
                    let numbers: Vec<u64> = seen
                        .iter()
                        .map(|key| u64::from_be_bytes(key.as_slice().try_into().unwrap()))
                        .collect();
                    let distinct: BTreeSet<u64> = numbers.iter().copied().collect();
                    assert_eq!(distinct.len(), numbers.len(), "a key visited twice");
                    assert!(numbers.iter().all(|&n| (low..high).contains(&n)));
                    let stable = (low..high.min(KEYS)).filter(|n| n % 2 == 0);
                    assert!(
                        stable.clone().all(|n| distinct.contains(&n)),
                        "a key missed"
                    );
                }
            })
        })
        .collect();
    for reader in readers {
        reader.join().unwrap();
    }
    done.store(true, Ordering::Relaxed);
    writer.join().unwrap();
}
