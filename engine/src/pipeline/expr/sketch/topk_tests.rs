//! Top-k tests: on seeded streams every reported count brackets the true count, errors stay
//! within total / capacity, every value seen more often than that is reported, merges keep
//! those guarantees over the union, and the byte format refuses damage.

use std::collections::HashMap;

use ember_storage::Value;

use super::super::test_data::{shapes, sizes, stream, Shape};
use super::*;

fn sketch_of(values: &[i64], k: usize) -> TopK {
    let mut sketch = TopK::new(k);
    for &value in values {
        sketch.add(&Value::Integer(value)).unwrap();
    }
    sketch
}

fn exact_counts(values: &[i64]) -> HashMap<i64, u64> {
    let mut counts = HashMap::new();
    for &value in values {
        *counts.entry(value).or_insert(0) += 1;
    }
    counts
}

/// Checks the Space-Saving guarantees of `sketch` against the exact counts of its input.
fn check_guarantees(sketch: &TopK, exact: &HashMap<i64, u64>) {
    let total: u64 = exact.values().sum();
    assert_eq!(sketch.total(), total);
    let bound = total / sketch.capacity as u64;
    let reported = sketch.top(sketch.capacity);
    for entry in &reported {
        let Value::Integer(value) = entry.value else {
            panic!("not an integer: {:?}", entry.value)
        };
        let truth = exact.get(&value).copied().unwrap_or(0);
        assert!(
            entry.count - entry.error <= truth && truth <= entry.count,
            "{value}: true {truth}, reported {} - {}",
            entry.count,
            entry.error
        );
        assert!(entry.error <= bound, "error {} past {bound}", entry.error);
    }
    for (value, &count) in exact {
        if count > bound {
            assert!(
                reported
                    .iter()
                    .any(|entry| entry.value == Value::Integer(*value)),
                "{value} seen {count} times (over {bound}) is missing"
            );
        }
    }
}

#[test]
fn counts_bracket_the_truth_on_every_shape() {
    for count in sizes() {
        for shape in shapes(count) {
            for seed in 0..3 {
                let values = stream(shape, count, seed);
                check_guarantees(&sketch_of(&values, 10), &exact_counts(&values));
            }
        }
    }
}

/// The values of `values`, most frequent first (ties: smaller value first).
fn exact_ranking(values: &[i64]) -> Vec<(i64, u64)> {
    let mut ranking: Vec<(i64, u64)> = exact_counts(values).into_iter().collect();
    ranking.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    ranking
}

#[test]
fn values_further_apart_than_the_bound_come_in_order() {
    for k in [5, 50] {
        let values = stream(Shape::Zipfian { range: 100_000 }, 200_000, 3);
        let sketch = sketch_of(&values, k);
        let bound = sketch.total() / sketch.capacity as u64;
        let exact = exact_counts(&values);
        let top = sketch.top(k);
        for (at, earlier) in top.iter().enumerate() {
            for later in &top[at + 1..] {
                let (Value::Integer(a), Value::Integer(b)) = (&earlier.value, &later.value) else {
                    panic!("not integers")
                };
                assert!(exact[b] <= exact[a] + bound, "{b} ranked after {a}");
            }
        }
    }
}

#[test]
fn merges_keep_the_guarantees_over_the_union() {
    for (left, right) in [(1_000, 50_000), (100_000, 100_000), (10, 10)] {
        let a = stream(Shape::Zipfian { range: 5_000 }, left, 11);
        let b = stream(Shape::Uniform { range: 300 }, right, 12);
        let mut merged = sketch_of(&a, 10);
        merged.merge(&sketch_of(&b, 10));
        let union: Vec<i64> = a.iter().chain(&b).copied().collect();
        check_guarantees(&merged, &exact_counts(&union));
    }
}

#[test]
fn a_merge_names_the_heavy_values_a_sketch_of_the_union_names() {
    let a = stream(Shape::Zipfian { range: 50_000 }, 100_000, 21);
    let b = stream(Shape::Zipfian { range: 50_000 }, 100_000, 22);
    let mut merged = sketch_of(&a, 100);
    merged.merge(&sketch_of(&b, 100));
    let union: Vec<i64> = a.iter().chain(&b).copied().collect();
    let whole = sketch_of(&union, 100);
    let heaviest: Vec<Value> = exact_ranking(&union)
        .iter()
        .take(3)
        .map(|entry| Value::Integer(entry.0))
        .collect();
    let values = |sketch: &TopK| -> Vec<Value> {
        sketch.top(3).into_iter().map(|entry| entry.value).collect()
    };
    assert_eq!(values(&merged), heaviest);
    assert_eq!(values(&whole), heaviest);
}

#[test]
fn memory_stays_bounded() {
    let sketch = sketch_of(&(0..200_000).collect::<Vec<_>>(), 10);
    assert_eq!(sketch.counters.len(), sketch.capacity);
    assert!(sketch.heap_bytes() < 64 << 10, "{}", sketch.heap_bytes());
}

#[test]
fn a_value_past_the_item_limit_is_refused() {
    let mut sketch = TopK::new(3);
    let long = Value::Text("x".repeat(ITEM_BYTES_MAX + 1));
    assert!(sketch.add(&long).is_err());
}

#[test]
fn sketches_round_trip_and_refuse_damage() {
    let mut sketch = TopK::new(4);
    for value in [
        Value::Text("a".into()),
        Value::Real(2.5),
        Value::Blob(vec![1, 2]),
        Value::Text("a".into()),
    ] {
        sketch.add(&value).unwrap();
    }
    let bytes = sketch.to_bytes();
    let read = TopK::from_bytes(&bytes).unwrap();
    assert_eq!(read.top(10), sketch.top(10));
    assert_eq!(read.total(), 4);
    let mut rng = fastrand::Rng::with_seed(5);
    for _ in 0..300 {
        let mut damaged = bytes.clone();
        let bit = rng.usize(0..bytes.len() * 8);
        damaged[bit / 8] ^= 1 << (bit % 8);
        assert!(TopK::from_bytes(&damaged).is_err());
    }
    for length in 0..bytes.len() {
        assert!(TopK::from_bytes(&bytes[..length]).is_err());
    }
    let hll = super::super::hll::HyperLogLog::new().to_bytes();
    assert!(TopK::from_bytes(&hll)
        .unwrap_err()
        .to_string()
        .contains("HyperLogLog"));
}

#[test]
fn json_names_each_value_with_its_count_and_error() {
    let mut sketch = TopK::new(2);
    for value in ["b", "a", "b"] {
        sketch.add(&Value::Text(value.into())).unwrap();
    }
    assert_eq!(
        ranked_json(&sketch.top(2)),
        r#"[{"value":"b","count":2,"error":0},{"value":"a","count":1,"error":0}]"#
    );
}
