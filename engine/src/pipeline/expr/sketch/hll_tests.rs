//! HyperLogLog tests: accuracy against the exact count on seeded streams, the sparse and
//! dense forms agreeing, merges equal to the sketch of the union, the byte format.

use std::collections::HashSet;

use ember_storage::Value;

use super::super::item::hash_value;
use super::super::test_data::{shapes, sizes, stream};
use super::*;

fn sketch_of(values: &[i64]) -> HyperLogLog {
    let mut sketch = HyperLogLog::new();
    for &value in values {
        sketch.add_hash(hash_value(&Value::Integer(value)));
    }
    sketch
}

#[test]
fn an_empty_sketch_counts_zero() {
    assert_eq!(HyperLogLog::new().count(), 0);
}

#[test]
fn estimates_stay_within_three_standard_errors_in_99_percent_of_trials() {
    let bound = 3.0 * STANDARD_ERROR;
    let (mut trials, mut misses) = (0, 0);
    for count in sizes() {
        let seeds = if count >= 1_000_000 { 4 } else { 12 };
        for shape in shapes(count) {
            for seed in 0..seeds {
                let values = stream(shape, count, seed);
                let exact = values.iter().collect::<HashSet<_>>().len() as f64;
                let estimate = sketch_of(&values).estimate();
                let error = (estimate - exact).abs() / exact;
                trials += 1;
                if error > bound {
                    misses += 1;
                    eprintln!("{shape:?} n={count} seed={seed}: {estimate} vs {exact}");
                }
            }
        }
    }
    assert!(
        misses * 100 <= trials,
        "{misses} of {trials} trials passed the bound"
    );
}

#[test]
fn the_sparse_and_dense_forms_estimate_alike() {
    for distinct in [1, 10, 500, 2_000] {
        let values: Vec<i64> = (0..distinct).collect();
        let sparse = sketch_of(&values);
        assert!(!sparse.is_dense());
        let mut dense = sparse.clone();
        dense.make_dense();
        assert!(dense.is_dense());
        assert_eq!(sparse.estimate(), dense.estimate());
        assert_eq!(sparse.registers(), dense.registers());
    }
}

#[test]
fn a_sketch_turns_dense_and_stays_bounded() {
    let sketch = sketch_of(&(0..1_000_000).collect::<Vec<_>>());
    assert!(sketch.is_dense());
    assert_eq!(sketch.heap_bytes(), REGISTERS);
}

#[test]
fn merged_sketches_equal_the_sketch_of_the_union() {
    for (left, right) in [(100, 50), (5_000, 100), (200_000, 300_000), (10, 100_000)] {
        let a = stream(
            super::super::test_data::Shape::Uniform { range: 1 << 40 },
            left,
            1,
        );
        let b = stream(
            super::super::test_data::Shape::Uniform { range: 1 << 40 },
            right,
            2,
        );
        let mut merged = sketch_of(&a);
        merged.merge(&sketch_of(&b));
        let union: Vec<i64> = a.iter().chain(&b).copied().collect();
        let whole = sketch_of(&union);
        assert_eq!(merged.registers(), whole.registers());
        assert_eq!(merged.estimate(), whole.estimate());
        let mut other_way = sketch_of(&b);
        other_way.merge(&sketch_of(&a));
        assert_eq!(other_way.registers(), whole.registers());
    }
}

#[test]
fn both_forms_round_trip_through_bytes() {
    for distinct in [0, 3, 1_000, 100_000] {
        let sketch = sketch_of(&(0..distinct).collect::<Vec<_>>());
        let read = HyperLogLog::from_bytes(&sketch.to_bytes()).unwrap();
        assert_eq!(read.registers(), sketch.registers());
        assert_eq!(read.is_dense(), sketch.is_dense());
    }
}

#[test]
fn damaged_bytes_are_refused() {
    for distinct in [5, 100_000] {
        let bytes = sketch_of(&(0..distinct).collect::<Vec<_>>()).to_bytes();
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200 {
            let mut damaged = bytes.clone();
            let bit = rng.usize(0..bytes.len() * 8);
            damaged[bit / 8] ^= 1 << (bit % 8);
            assert!(HyperLogLog::from_bytes(&damaged).is_err());
        }
        for length in [0, 3, 10, bytes.len() / 2, bytes.len() - 1] {
            assert!(HyperLogLog::from_bytes(&bytes[..length]).is_err());
        }
    }
    let topk = super::super::format::encode(SketchKind::TopK, b"");
    let error = HyperLogLog::from_bytes(&topk).unwrap_err();
    assert!(error.to_string().contains("not a HyperLogLog"), "{error}");
}
