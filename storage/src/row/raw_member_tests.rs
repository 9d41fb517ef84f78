//! Tests of `MemberCheck`: the raw walk hands the test each value as the decoded row holds
//! it (INTEGER, REAL, TEXT, after columns of every kind), never a NULL, the row id for a
//! left-out key; columns it cannot read raw are refused.

use std::sync::{Arc, Mutex};

use super::*;
use crate::row::{encode, encode_leaving_out, RowDecoder, FIRST_ROW_ID_NOT_A_KEY};
use crate::value::{DataType, Value};

const TYPES: [DataType; 6] = [
    DataType::Integer,
    DataType::Text,
    DataType::Any,
    DataType::Integer,
    DataType::Real,
    DataType::Text,
];

/// The value the test sees, as a decoded `Value` (to compare with the decoded row).
fn as_value(raw: RawValue<'_>) -> Value {
    match raw {
        RawValue::Integer(int) => Value::Integer(int),
        RawValue::Real(real) => Value::Real(real),
        RawValue::Text(text) => Value::Text(text.into()),
    }
}

/// A member test that records what it saw and passes values whose debug text has an even
/// length (any rule the walk cannot guess).
fn recording() -> (MemberTest, Arc<Mutex<Vec<Value>>>) {
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = Arc::clone(&seen);
    let test: MemberTest = Arc::new(move |raw: RawValue<'_>| {
        let value = as_value(raw);
        let passes = format!("{value:?}").len().is_multiple_of(2);
        log.lock().unwrap().push(value);
        passes
    });
    (test, seen)
}

fn row(seed: u64) -> Vec<Value> {
    let pick = |shift: u32| (seed >> shift) % 5;
    let null_or = |shift: u32, value: Value| if pick(shift) == 0 { Value::Null } else { value };
    vec![
        null_or(0, Value::Integer(seed as i64 - 50)),
        null_or(3, Value::Text("t".repeat((seed % 140) as usize))),
        null_or(6, Value::Text("any".into())),
        null_or(9, Value::Integer((seed as i64 * 7919) % 301 - 150)),
        null_or(
            12,
            Value::Real([1.0, -0.0, 2.5, f64::NAN, 1e300][pick(15) as usize]),
        ),
        null_or(18, Value::Text(format!("key-{}", seed % 17))),
    ]
}

/// Over many rows, for each readable column, the walk passes a row exactly when the test
/// passes the decoded value, hands it that value, and skips NULLs.
#[test]
fn member_walk_hands_the_decoded_value() {
    let decoder = RowDecoder::new(&TYPES, None);
    let mut buffer = Vec::new();
    for column in [0, 3, 4, 5] {
        let (test, seen) = recording();
        let raw = decoder
            .raw_member_check(MemberCheck { column, test })
            .unwrap();
        let mut passed = 0;
        for seed in 0..3000u64 {
            let values = row(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 20);
            let bytes = encode(&TYPES, &values).unwrap();
            seen.lock().unwrap().clear();
            let answer = decoder
                .decode_raw_checked(0, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
                .unwrap();
            let handed = seen.lock().unwrap().clone();
            let expected = match &values[column] {
                Value::Null => {
                    assert!(handed.is_empty(), "a NULL is not tested");
                    false
                }
                value => {
                    assert_eq!(format!("{handed:?}"), format!("[{value:?}]"));
                    format!("{value:?}").len().is_multiple_of(2)
                }
            };
            assert_eq!(answer, expected, "column {column}: {values:?}");
            if answer {
                passed += 1;
                assert_eq!(format!("{buffer:?}"), format!("{values:?}"));
            }
        }
        assert!(
            passed > 0 && passed < 3000,
            "column {column}: {passed} passed"
        );
    }
}

/// A clustered table's key left out of the payload is tested as the row id; past the first
/// row id that is not a key the NULL column never passes.
#[test]
fn left_out_key_is_tested_as_the_row_id() {
    let types = [DataType::Integer, DataType::Text];
    let decoder = RowDecoder::new(&types, None).for_clustered_key(Some(0));
    let test: MemberTest = Arc::new(|raw: RawValue<'_>| raw == RawValue::Integer(42));
    let raw = decoder
        .raw_member_check(MemberCheck { column: 0, test })
        .unwrap();
    let mut bytes = Vec::new();
    let values = [Value::Integer(42), Value::Text("x".into())];
    encode_leaving_out(&types, &values, 0, &mut bytes).unwrap();
    let mut buffer = Vec::new();
    let mut run = |row_id: u64| {
        decoder
            .decode_raw_checked(row_id, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
            .unwrap()
    };
    assert!(run(42));
    assert!(!run(43));
    assert!(!run(FIRST_ROW_ID_NOT_A_KEY));
}

/// Columns the walk cannot read raw (ANY, a skipped TEXT, past the row, a table that grew
/// columns) are refused, so the caller tests decoded values; a member column with another
/// check on it is refused too.
#[test]
fn unreadable_columns_are_refused() {
    let any: MemberTest = Arc::new(|_: RawValue<'_>| true);
    let on = |column| MemberCheck {
        column,
        test: Arc::clone(&any),
    };
    let decoder = RowDecoder::new(&TYPES, None);
    for refused in [2, 6] {
        assert!(decoder.raw_member_check(on(refused)).is_none());
    }
    let skipping = RowDecoder::new(&TYPES, Some(&[true, true, true, true, true, false]));
    assert!(skipping.raw_member_check(on(5)).is_none());
    assert!(skipping.raw_member_check(on(3)).is_some());
    let grown = RowDecoder::with_added(&TYPES, None, &[Value::Integer(1)]);
    assert!(grown.raw_member_check(on(0)).is_none());
    let check = crate::row::RawCheck {
        column: 3,
        class: crate::row::RawClass::Integer,
        low: 0,
        high: 1,
        inside: true,
        nan_passes: false,
        null_passes: false,
    };
    let steps: Vec<_> = TYPES
        .iter()
        .map(|&ty| super::super::reader::Step::new(ty, true))
        .collect();
    let both =
        super::super::raw_check::RawChecks::new(&steps, vec![check], Vec::new(), Some(on(3)), None);
    assert!(both.is_none());
}

/// A payload cut short before the member column is an error, never a panic.
#[test]
fn cut_payloads_are_errors() {
    let decoder = RowDecoder::new(&TYPES, None);
    let any: MemberTest = Arc::new(|_: RawValue<'_>| true);
    let raw = decoder
        .raw_member_check(MemberCheck {
            column: 5,
            test: any,
        })
        .unwrap();
    let values = [
        Value::Integer(1),
        Value::Text("t".repeat(130)),
        Value::Text("a".into()),
        Value::Integer(2),
        Value::Real(0.5),
        Value::Text("key".into()),
    ];
    let bytes = encode(&TYPES, &values).unwrap();
    let mut buffer = Vec::new();
    for cut in 0..bytes.len() {
        let answer =
            decoder.decode_raw_checked(0, &bytes[..cut], &mut buffer, Some(&raw), &[], |_, _| true);
        assert!(answer.is_err(), "cut at {cut} of {}", bytes.len());
    }
}
