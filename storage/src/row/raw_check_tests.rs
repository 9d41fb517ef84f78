//! Tests of `RawChecks`: the raw walk answers as the same interval test on the decoded row,
//! puts a left-out key back, and fails malformed payloads without panicking.

use std::sync::Arc;

use super::*;
use crate::row::{encode, encode_leaving_out, RowDecoder};
use crate::value::{DataType, Value};

const TYPES: [DataType; 6] = [
    DataType::Integer,
    DataType::Text,
    DataType::Real,
    DataType::Any,
    DataType::Integer,
    DataType::Real,
];

fn check(column: usize, class: RawClass, low: i64, high: i64, inside: bool) -> RawCheck {
    RawCheck {
        column,
        class,
        low,
        high,
        inside,
        nan_passes: false,
        null_passes: false,
    }
}

/// What `check` answers for a decoded value (the reference the raw walk must match).
fn passes_value(check: &RawCheck, value: &Value) -> bool {
    match value {
        Value::Integer(i) => check.passes_key(*i),
        Value::Real(r) => check.passes_real(*r),
        Value::Null => check.null_passes,
        _ => false,
    }
}

/// A small deterministic generator (xorshift).
struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn pick<T: Clone>(&mut self, choices: &[T]) -> T {
        choices[(self.next() % choices.len() as u64) as usize].clone()
    }
}

const INTEGERS: [i64; 9] = [0, 1, -1, 63, -64, 1 << 53, i64::MAX, i64::MIN, 300];
const REALS: [f64; 10] = [
    0.0,
    -0.0,
    0.5,
    -2.25,
    1.0e300,
    -1.0e-300,
    f64::INFINITY,
    f64::NEG_INFINITY,
    f64::NAN,
    9007199254740993.0,
];

fn random_row(mix: &mut Mix) -> Vec<Value> {
    let null_or = |mix: &mut Mix, value: Value| {
        if mix.next().is_multiple_of(4) {
            Value::Null
        } else {
            value
        }
    };
    let integer = Value::Integer(mix.pick(&INTEGERS));
    let text = Value::Text("x".repeat((mix.next() % 200) as usize));
    let real = Value::Real(mix.pick(&REALS));
    let any = if mix.next().is_multiple_of(2) {
        Value::Integer(mix.pick(&INTEGERS))
    } else {
        Value::Text("any".into())
    };
    let integer2 = Value::Integer(mix.pick(&INTEGERS));
    let real2 = Value::Real(mix.pick(&REALS));
    vec![
        null_or(mix, integer),
        null_or(mix, text),
        null_or(mix, real),
        null_or(mix, any),
        null_or(mix, integer2),
        null_or(mix, real2),
    ]
}

fn random_check(mix: &mut Mix) -> RawCheck {
    let (column, class) = mix.pick(&[
        (0, RawClass::Integer),
        (2, RawClass::Real),
        (4, RawClass::Integer),
        (5, RawClass::Real),
    ]);
    let key = |mix: &mut Mix| match class {
        RawClass::Integer => mix.pick(&INTEGERS),
        RawClass::Real => real_key(mix.pick(&REALS[..8])),
    };
    let (a, b) = (key(mix), key(mix));
    let (low, high) = if mix.next().is_multiple_of(5) {
        (a.max(b), a.min(b))
    } else {
        (a.min(b), a.max(b))
    };
    RawCheck {
        nan_passes: mix.next().is_multiple_of(2),
        null_passes: mix.next().is_multiple_of(4),
        ..check(column, class, low, high, !mix.next().is_multiple_of(3))
    }
}

/// Keys order as the doubles do, and `key_real` undoes `real_key` bit for bit.
#[test]
fn real_keys_order_as_the_reals() {
    let mut reals: Vec<f64> = REALS.iter().copied().filter(|r| !r.is_nan()).collect();
    reals.extend([
        f64::MIN,
        f64::MAX,
        f64::MIN_POSITIVE,
        -f64::MIN_POSITIVE,
        1e-320,
    ]);
    for &a in &reals {
        assert_eq!(key_real(real_key(a)).to_bits(), a.to_bits());
        for &b in &reals {
            assert_eq!(real_key(a).cmp(&real_key(b)), a.total_cmp(&b), "{a} {b}");
        }
    }
    assert_eq!(real_key(-0.0) + 1, real_key(0.0));
}

/// Over random rows and checks, the raw walk answers as the checks on the decoded row, and
/// a row it passes decodes as `decode_into` decodes it.
#[test]
fn raw_walk_agrees_with_checks_on_decoded_rows() {
    let mut mix = Mix(0x9E37_79B9_7F4A_7C15);
    let wanted = [true, false, true, true, false, true];
    let decoder = RowDecoder::new(&TYPES, Some(&wanted));
    let mut buffer = Vec::new();
    let mut plain = Vec::new();
    let mut passed = 0;
    for _ in 0..4000 {
        let row = random_row(&mut mix);
        let bytes = encode(&TYPES, &row).unwrap();
        let checks: Vec<RawCheck> = (0..1 + mix.next() % 3)
            .map(|_| random_check(&mut mix))
            .collect();
        let expected = checks
            .iter()
            .all(|check| passes_value(check, &row[check.column]));
        let raw = decoder.raw_checks(checks.clone()).unwrap();
        let answer = decoder
            .decode_raw_checked(0, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
            .unwrap();
        assert_eq!(answer, expected, "{row:?} {checks:?}");
        if answer {
            passed += 1;
            decoder.decode_into(0, &bytes, &mut plain).unwrap();
            assert_eq!(format!("{buffer:?}"), format!("{plain:?}"));
        }
    }
    assert!(passed > 100 && passed < 3900, "{passed} passed");
}

/// Checks on one column that are both intervals merge; a check on a column of another type
/// (or past the row) is refused.
#[test]
fn checks_merge_per_column_and_must_match_the_column_type() {
    let decoder = RowDecoder::new(&TYPES, None);
    let raw = decoder
        .raw_checks(vec![
            check(4, RawClass::Integer, 0, 10, true),
            check(0, RawClass::Integer, 5, 7, false),
            check(4, RawClass::Integer, 3, 20, true),
        ])
        .unwrap();
    assert_eq!(
        raw.checks(),
        &[
            check(0, RawClass::Integer, 5, 7, false),
            check(4, RawClass::Integer, 3, 10, true)
        ]
    );
    for refused in [
        check(0, RawClass::Real, 0, 1, true),
        check(1, RawClass::Integer, 0, 1, true),
        check(3, RawClass::Integer, 0, 1, true),
        check(6, RawClass::Integer, 0, 1, true),
    ] {
        assert!(decoder.raw_checks(vec![refused]).is_none(), "{refused:?}");
    }
    assert!(decoder.raw_checks(Vec::new()).is_none());
    // A table that grew columns is decoded before it is checked.
    let grown = RowDecoder::with_added(&TYPES, None, &[Value::Integer(1)]);
    assert_eq!(grown.raw_class(0), None);
}

/// A clustered table's key left out of the payload reads the row id, below the first row
/// id that is not a key; past it the NULL column fails every check.
#[test]
fn left_out_key_reads_the_row_id() {
    let types = [DataType::Integer, DataType::Real];
    let decoder = RowDecoder::new(&types, None).for_clustered_key(Some(0));
    let row = [Value::Integer(42), Value::Real(1.5)];
    let mut bytes = Vec::new();
    encode_leaving_out(&types, &row, 0, &mut bytes).unwrap();
    let mut buffer = Vec::new();
    let mut run = |row_id: u64, low: i64, high: i64| {
        let raw = decoder
            .raw_checks(vec![check(0, RawClass::Integer, low, high, true)])
            .unwrap();
        decoder
            .decode_raw_checked(row_id, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
            .unwrap()
    };
    assert!(run(42, 40, 50));
    assert!(!run(42, 43, 50));
    assert!(!run(FIRST_ROW_ID_NOT_A_KEY, i64::MIN, i64::MAX));
}

/// Every cut and every corrupted byte of payloads gives an answer or an error, never a
/// panic; a payload cut before the checked column is an error.
#[test]
fn malformed_payloads_are_errors_not_panics() {
    let decoder = RowDecoder::new(&TYPES, None);
    let raw = decoder
        .raw_checks(vec![
            check(5, RawClass::Real, i64::MIN, i64::MAX, true),
            check(4, RawClass::Integer, i64::MIN, i64::MAX, true),
        ])
        .unwrap();
    let row = vec![
        Value::Integer(1 << 40),
        Value::Text("some text".into()),
        Value::Real(0.1),
        Value::Text("any".into()),
        Value::Integer(-5),
        Value::Real(2.5),
    ];
    let bytes = encode(&TYPES, &row).unwrap();
    let mut buffer = Vec::new();
    for cut in 0..bytes.len() {
        let result =
            decoder.decode_raw_checked(0, &bytes[..cut], &mut buffer, Some(&raw), &[], |_, _| true);
        assert!(result.is_err(), "cut at {cut}: {result:?}");
    }
    for at in 0..bytes.len() {
        for byte in [0x00, 0x7F, 0x80, 0xFF] {
            let mut damaged = bytes.clone();
            damaged[at] = byte;
            let _ =
                decoder.decode_raw_checked(0, &damaged, &mut buffer, Some(&raw), &[], |_, _| true);
        }
    }
    // Checks prepared for another width are refused, not misread.
    let narrow = RowDecoder::new(&[DataType::Integer], None);
    let raw = narrow
        .raw_checks(vec![check(0, RawClass::Integer, 0, 9, true)])
        .unwrap();
    assert!(decoder.check_raw(&raw).is_err());
    assert!(narrow.check_raw(&raw).is_ok());
}

/// Tests of a text by length, the shapes `random_row` gives (`"x"` repeated 0..200 times).
fn text_tests() -> Vec<(&'static str, TextTest)> {
    vec![
        ("empty", Arc::new(|text: &str| text.is_empty())),
        ("short", Arc::new(|text: &str| text.len() < 50)),
        ("long", Arc::new(|text: &str| text.len() > 150)),
        ("x7", Arc::new(|text: &str| text == "xxxxxxx")),
    ]
}

/// Text checks, alone and beside interval checks, answer as the same tests on the decoded
/// row (a NULL text never passes), and a row they pass decodes as `decode_into` does.
#[test]
fn text_checks_agree_with_tests_on_decoded_rows() {
    let mut mix = Mix(0x2545_F491_4F6C_DD1D);
    let wanted = [true, true, true, true, false, true];
    let decoder = RowDecoder::new(&TYPES, Some(&wanted));
    assert!(decoder.raw_text_column(1));
    let tests = text_tests();
    let (mut buffer, mut plain, mut passed) = (Vec::new(), Vec::new(), 0);
    for round in 0..4000 {
        let row = random_row(&mut mix);
        let bytes = encode(&TYPES, &row).unwrap();
        let checks: Vec<RawCheck> = (0..mix.next() % 2)
            .map(|_| random_check(&mut mix))
            .collect();
        let chosen: Vec<_> = (0..1 + mix.next() % 2).map(|_| mix.pick(&tests)).collect();
        let texts = chosen
            .iter()
            .map(|(_, test)| TextCheck {
                column: 1,
                test: Arc::clone(test),
            })
            .collect();
        let expected = checks
            .iter()
            .all(|check| passes_value(check, &row[check.column]))
            && match &row[1] {
                Value::Text(text) => chosen.iter().all(|(_, test)| test(text)),
                _ => false,
            };
        let raw = decoder
            .raw_checks_with_texts(checks.clone(), texts)
            .unwrap();
        let answer = decoder
            .decode_raw_checked(0, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
            .unwrap();
        let names: Vec<_> = chosen.iter().map(|(name, _)| *name).collect();
        assert_eq!(
            answer, expected,
            "round {round}: {row:?} {checks:?} {names:?}"
        );
        if answer {
            passed += 1;
            decoder.decode_into(0, &bytes, &mut plain).unwrap();
            assert_eq!(format!("{buffer:?}"), format!("{plain:?}"));
        }
    }
    assert!(passed > 100 && passed < 3900, "{passed} passed");
}

/// A text check needs a decoded TEXT column; a text that is not UTF-8, or cut short, is an
/// error, as its decode is.
#[test]
fn text_checks_refuse_other_columns_and_fail_bad_text() {
    let any: TextTest = Arc::new(|_: &str| true);
    let on = |column| TextCheck {
        column,
        test: Arc::clone(&any),
    };
    let decoder = RowDecoder::new(&TYPES, None);
    for refused in [0, 2, 3, 6] {
        assert!(decoder
            .raw_checks_with_texts(Vec::new(), vec![on(refused)])
            .is_none());
    }
    let skipping = RowDecoder::new(&TYPES, Some(&[true, false, true, true, true, true]));
    assert!(skipping
        .raw_checks_with_texts(Vec::new(), vec![on(1)])
        .is_none());
    // A numeric check and a text check on one column cannot both hold.
    let both =
        decoder.raw_checks_with_texts(vec![check(1, RawClass::Integer, 0, 1, true)], vec![on(1)]);
    assert!(both.is_none());
    let raw = decoder
        .raw_checks_with_texts(Vec::new(), vec![on(1)])
        .unwrap();
    let row = vec![
        Value::Integer(7),
        Value::Text("abc".into()),
        Value::Real(0.5),
        Value::Null,
        Value::Null,
        Value::Null,
    ];
    let bytes = encode(&TYPES, &row).unwrap();
    let mut buffer = Vec::new();
    let text_at = bytes.iter().position(|&byte| byte == b'a').unwrap();
    let mut damaged = bytes.clone();
    damaged[text_at] = 0xFF;
    let error = decoder
        .decode_raw_checked(0, &damaged, &mut buffer, Some(&raw), &[], |_, _| true)
        .unwrap_err();
    assert!(error.to_string().contains("UTF-8"), "{error}");
    for cut in 0..text_at + 3 {
        let result =
            decoder.decode_raw_checked(0, &bytes[..cut], &mut buffer, Some(&raw), &[], |_, _| true);
        assert!(result.is_err(), "cut at {cut}: {result:?}");
    }
    assert!(decoder
        .decode_raw_checked(0, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
        .unwrap());
}

/// Rows of 12 columns: runs of INTEGERs, REALs, texts, blobs, booleans and `Any` values
/// stepped over as one stretch each (NULLs inside them), a clustered key (its own run) left
/// out of some payloads; over random checks on the columns after the runs, the raw walk
/// answers as the checks on the decoded row.
#[test]
fn runs_of_columns_agree_with_checks_on_decoded_rows() {
    use DataType::{Any, Blob, Boolean, Integer, Real, Text};
    let types = [
        Integer, Integer, Integer, Real, Real, Text, Blob, Text, Boolean, Boolean, Any, Real,
    ];
    let mut mix = Mix(0x2545_F491_4F6C_DD1D);
    let mut passed = 0;
    for keyed in [false, true] {
        let decoder = RowDecoder::new(&types, None).for_clustered_key(keyed.then_some(0));
        let mut buffer = Vec::new();
        for _ in 0..3000 {
            let mut row = vec![
                Value::Integer(mix.pick(&INTEGERS)),
                Value::Integer(mix.pick(&INTEGERS)),
                Value::Integer(mix.pick(&INTEGERS)),
                Value::Real(mix.pick(&REALS)),
                Value::Real(mix.pick(&REALS)),
                Value::Text("t".repeat((mix.next() % 150) as usize)),
                Value::Blob(vec![7; (mix.next() % 140) as usize]),
                Value::Text("é".into()),
                Value::Boolean(mix.next().is_multiple_of(2)),
                Value::Boolean(true),
                mix.pick(&[
                    Value::Integer(-3),
                    Value::Real(0.5),
                    Value::Text("any".into()),
                ]),
                Value::Real(mix.pick(&REALS)),
            ];
            for value in row.iter_mut().skip(1) {
                if mix.next().is_multiple_of(5) {
                    *value = Value::Null;
                }
            }
            let row_id = mix.pick(&[7, 100, FIRST_ROW_ID_NOT_A_KEY]);
            let left_out = keyed && row_id < FIRST_ROW_ID_NOT_A_KEY;
            if left_out {
                row[0] = Value::Integer(row_id as i64);
            }
            let mut bytes = Vec::new();
            let out = if left_out { 0 } else { super::super::NO_COLUMN };
            encode_leaving_out(&types, &row, out, &mut bytes).unwrap();
            let checks: Vec<RawCheck> = (0..1 + mix.next() % 3)
                .map(|_| {
                    let (column, class) =
                        mix.pick(&[(0, RawClass::Integer), (2, RawClass::Integer)]);
                    let (column, class) = match mix.next() % 3 {
                        0 => (column, class),
                        1 => (4, RawClass::Real),
                        _ => (11, RawClass::Real),
                    };
                    let template = random_check(&mut mix);
                    let key = |mix: &mut Mix| match class {
                        RawClass::Integer => mix.pick(&INTEGERS),
                        RawClass::Real => real_key(mix.pick(&REALS[..8])),
                    };
                    let (a, b) = (key(&mut mix), key(&mut mix));
                    RawCheck {
                        column,
                        class,
                        low: a.min(b),
                        high: a.max(b),
                        ..template
                    }
                })
                .collect();
            let expected = checks
                .iter()
                .all(|check| passes_value(check, &row[check.column]));
            let raw = decoder.raw_checks(checks.clone()).unwrap();
            let answer = decoder
                .decode_raw_checked(row_id, &bytes, &mut buffer, Some(&raw), &[], |_, _| true)
                .unwrap();
            assert_eq!(answer, expected, "{row:?} {checks:?} key {keyed}");
            passed += usize::from(answer);
        }
    }
    assert!(passed > 300 && passed < 5700, "{passed} passed");
}
