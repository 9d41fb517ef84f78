//! Tests of `KeySet`: a row is new exactly when no row held has equal keys (`same_key` on
//! every value), whatever the values' types, widths and spellings, across growths.

use ember_storage::Value;

use super::super::key_groups::same_key;
use super::KeySet;

fn values() -> Vec<Value> {
    vec![
        Value::Null,
        Value::Integer(1),
        Value::Real(1.0),
        Value::Boolean(true),
        Value::Integer(0),
        Value::Real(0.0),
        Value::Real(-0.0),
        Value::Real(1.5),
        Value::Integer(i64::MIN),
        Value::Real(-9_223_372_036_854_775_808.0),
        Value::Real(9_223_372_036_854_775_808.0),
        Value::Integer(i64::MAX),
        Value::Text("1".into()),
        Value::Text("a".into()),
        Value::Text("A".into()),
        Value::Text("ab".into()),
        Value::Text("a\0b".into()),
        Value::Text(String::new()),
        Value::Blob(b"1".to_vec()),
        Value::Blob(b"a".to_vec()),
        Value::Blob(Vec::new()),
    ]
}

/// Whether `a` and `b` are one row for DISTINCT.
fn same_row(a: &[Value], b: &[Value]) -> bool {
    a.len() == b.len() && a.iter().zip(b).all(|(x, y)| same_key(x, y))
}

/// Every row of one and of two values goes in once per key, in any order of insertion.
#[test]
fn rows_are_new_exactly_when_no_held_row_is_the_same() {
    let values = values();
    let mut rows: Vec<Vec<Value>> = values.iter().map(|v| vec![v.clone()]).collect();
    for a in &values {
        for b in &values {
            rows.push(vec![a.clone(), b.clone()]);
        }
    }
    for reversed in [false, true] {
        let mut ordered = rows.clone();
        if reversed {
            ordered.reverse();
        }
        // Singles and pairs are separate sets (a set holds rows of one width).
        for width in [1, 2] {
            let mut set = KeySet::default();
            let mut held: Vec<&Vec<Value>> = Vec::new();
            for row in ordered.iter().filter(|row| row.len() == width) {
                let expected_new = !held.iter().any(|kept| same_row(kept, row));
                let was_new = set.insert(row).expect("insert").is_some();
                assert_eq!(was_new, expected_new, "{row:?}");
                if expected_new {
                    held.push(row);
                }
                assert!(set.contains(row));
            }
            assert_eq!(set.len(), held.len());
            for row in &rows {
                let expected = held.iter().any(|kept| same_row(kept, row));
                assert_eq!(set.contains(row), expected, "{row:?}");
            }
        }
    }
}

/// Thousands of keys survive the table's growths; texts that are prefixes of one another,
/// or that differ in their last byte, stay apart.
#[test]
fn many_keys_are_held_apart() {
    let mut set = KeySet::default();
    for i in 0..20_000i64 {
        let row = [
            Value::Text(format!("k{}", i % 5000)),
            Value::Integer(i / 5000),
        ];
        assert!(set.insert(&row).expect("insert").is_some(), "{row:?}");
    }
    for i in 0..20_000i64 {
        let row = [
            Value::Text(format!("k{}", i % 5000)),
            Value::Real((i / 5000) as f64),
        ];
        assert!(set.insert(&row).expect("insert").is_none(), "{row:?}");
        let other = [
            Value::Text(format!("k{}", i % 5000)),
            Value::Integer(4 + i / 5000),
        ];
        assert!(!set.contains(&other), "{other:?}");
        let blob = [
            Value::Blob(format!("k{}", i % 5000).into_bytes()),
            Value::Integer(0),
        ];
        assert!(!set.contains(&blob), "{blob:?}");
    }
    assert_eq!(set.len(), 20_000);
}

/// The encoding tells every class apart by itself, not only through the hash that picks
/// which keys are compared: a text and a blob of the same bytes, an integer and a real of
/// the same bits, NULL and an empty text, a text whose bytes spell another's length.
#[test]
fn the_encoding_tells_classes_apart_without_the_hash() {
    let pairs = [
        (Value::Text("ab".into()), Value::Blob(b"ab".to_vec())),
        (Value::Integer(4607182418800017408), Value::Real(1.0)),
        (Value::Null, Value::Text(String::new())),
        (Value::Text(String::new()), Value::Blob(Vec::new())),
    ];
    for (a, b) in pairs {
        let (mut key_a, mut key_b) = (Vec::new(), Vec::new());
        super::encode_into(std::slice::from_ref(&a), &mut key_a);
        super::encode_into(std::slice::from_ref(&b), &mut key_b);
        assert_ne!(key_a, key_b, "{a:?} / {b:?}");
        assert!(super::encodes(&key_a, std::slice::from_ref(&a)), "{a:?}");
        assert!(
            !super::encodes(&key_a, std::slice::from_ref(&b)),
            "{a:?} / {b:?}"
        );
        assert!(
            !super::encodes(&key_b, std::slice::from_ref(&a)),
            "{b:?} / {a:?}"
        );
    }
    // Two columns are not one: ("a", "b") is not ("ab", "").
    let mut key = Vec::new();
    super::encode_into(
        &[Value::Text("a".into()), Value::Text("b".into())],
        &mut key,
    );
    assert!(!super::encodes(
        &key,
        &[Value::Text("ab".into()), Value::Text(String::new())]
    ));
}
