//! The raw checks agree with `Compiled::truth`: every comparison and BETWEEN of a column
//! (INTEGER, REAL, ANY; NULL values too) with constants of every class (INTEGER, REAL, TEXT,
//! NULL), values near 2^53 and the i64 limits, checked on encoded rows through the storage
//! walk (`RowDecoder::decode_raw_checked`) against the decoded row.

use ember_storage::row::{encode, RawClass, RowDecoder};
use ember_storage::{DataType, Value};

use super::super::Staged;
use super::raw_check;
use crate::expr::compile::Compiled;
use crate::expr::ops::BinaryOp;

const TWO_53: i64 = 1 << 53;

fn integers() -> Vec<i64> {
    vec![
        0,
        1,
        -1,
        2,
        TWO_53 - 1,
        TWO_53,
        TWO_53 + 1,
        -TWO_53 - 1,
        -TWO_53,
        i64::MAX,
        i64::MAX - 1,
        i64::MIN,
        i64::MIN + 1,
        9_200_000_000_000_000_000,
        9_200_000_000_000_000_001,
    ]
}

fn reals() -> Vec<f64> {
    vec![
        0.0,
        -0.0,
        0.5,
        -0.5,
        1.0,
        2.5,
        TWO_53 as f64,
        (TWO_53 + 2) as f64,
        -(TWO_53 as f64),
        9.2e18,
        9_223_372_036_854_775_808.0, // 2^63
        -9_223_372_036_854_775_808.0,
        1e300,
        f64::INFINITY,
        f64::NEG_INFINITY,
    ]
}

fn constants() -> Vec<Value> {
    let mut constants: Vec<Value> = integers().into_iter().map(Value::Integer).collect();
    constants.extend(reals().into_iter().map(Value::Real));
    constants.extend([
        Value::Text("3".into()),
        Value::Text("abc".into()),
        Value::Null,
    ]);
    constants
}

/// Values of a column of `column_type` (NULL, NaN and text in ANY included).
fn column_values(column_type: DataType) -> Vec<Value> {
    let mut values = vec![Value::Null];
    if column_type != DataType::Real {
        values.extend(integers().into_iter().map(Value::Integer));
    }
    if column_type != DataType::Integer {
        values.extend(reals().into_iter().map(Value::Real));
        values.push(Value::Real(f64::NAN));
    }
    if column_type == DataType::Any {
        values.extend([Value::Text("3".into()), Value::Text("zzz".into())]);
    }
    values
}

const OPS: [BinaryOp; 6] = [
    BinaryOp::Equal,
    BinaryOp::NotEqual,
    BinaryOp::Less,
    BinaryOp::LessOrEqual,
    BinaryOp::Greater,
    BinaryOp::GreaterOrEqual,
];

/// Every term on `column`: each comparison either way round with each constant, and
/// [NOT] BETWEEN each pair of a spread of constants.
fn terms(column: usize) -> Vec<Compiled> {
    let constants = constants();
    let mut terms = Vec::new();
    for constant in &constants {
        for op in OPS {
            for constant_first in [false, true] {
                terms.push(Compiled::Compare {
                    column,
                    op,
                    constant: constant.clone(),
                    constant_first,
                });
            }
        }
    }
    let bounds: Vec<&Value> = constants.iter().step_by(2).collect();
    for low in &bounds {
        for high in &bounds {
            for negated in [false, true] {
                terms.push(Compiled::Between {
                    column,
                    low: (*low).clone(),
                    high: (*high).clone(),
                    negated,
                });
            }
        }
    }
    terms
}

const TYPES: [DataType; 4] = [
    DataType::Text,
    DataType::Integer,
    DataType::Real,
    DataType::Any,
];

fn row_with(column: usize, value: &Value) -> Vec<Value> {
    let mut row = vec![
        Value::Text("before".into()),
        Value::Integer(7),
        Value::Real(0.25),
        Value::Integer(9),
    ];
    row[column] = value.clone();
    row
}

/// Each term alone, and after a term on another column, run as a scan would run it:
/// staged, its raw checks on the encoded row, then its stages on the decoded one.
#[test]
fn raw_checks_agree_with_truth_on_every_type_pairing() {
    let decoder = RowDecoder::new(&TYPES, None);
    let mut buffer = Vec::new();
    let mut raw_terms = 0;
    for (column, &column_type) in TYPES.iter().enumerate().skip(1) {
        let values = column_values(column_type);
        let rows: Vec<(Vec<Value>, Vec<u8>)> = values
            .iter()
            .map(|value| {
                let row = row_with(column, value);
                let bytes = encode(&TYPES, &row).unwrap();
                (row, bytes)
            })
            .collect();
        for term in terms(column) {
            let filters = alone_and_after_another(&term);
            for filter in &filters {
                let staged = Staged::of(filter, |_| true)
                    .unwrap()
                    .with_raw_checks(&decoder);
                let expected_raw = column_type != DataType::Any && !has_null_constant(&term);
                assert_eq!(
                    staged.raw().is_some(),
                    expected_raw || filter_has_other(filter),
                    "{term:?} on {column_type}"
                );
                raw_terms += usize::from(staged.raw().is_some());
                for (row, bytes) in &rows {
                    let expected = filter.truth(row) == Some(true);
                    let answer = decoder
                        .decode_raw_checked(
                            0,
                            bytes,
                            &mut buffer,
                            staged.raw(),
                            staged.stops(),
                            |stage, values| staged.check(stage, values),
                        )
                        .unwrap();
                    assert_eq!(answer, expected, "{term:?} over {row:?}");
                    assert_eq!(staged.matches(row), expected, "{term:?} over {row:?}");
                }
            }
        }
    }
    assert!(raw_terms > 1000, "{raw_terms} filters checked raw");
}

/// `term` alone, and as the second term of an AND after a term on column 1.
fn alone_and_after_another(term: &Compiled) -> [Compiled; 2] {
    let other = Compiled::Compare {
        column: 1,
        op: BinaryOp::GreaterOrEqual,
        constant: Value::Integer(0),
        constant_first: false,
    };
    [
        term.clone(),
        Compiled::Junction {
            decisive: false,
            terms: vec![other, term.clone()],
        },
    ]
}

fn has_null_constant(term: &Compiled) -> bool {
    match term {
        Compiled::Compare { constant, .. } => constant.is_null(),
        Compiled::Between { low, high, .. } => low.is_null() || high.is_null(),
        _ => false,
    }
}

fn filter_has_other(filter: &Compiled) -> bool {
    matches!(filter, Compiled::Junction { .. })
}

/// The found checks over many more keys than the probes: every integer near the edges and
/// a sweep of doubles, each against `truth` on the single value.
#[test]
fn raw_checks_agree_with_truth_between_the_probes() {
    let mut keys: Vec<i64> = Vec::new();
    for edge in [0, TWO_53, i64::MAX, i64::MIN, 9_200_000_000_000_000_000] {
        for delta in -40..=40i64 {
            keys.push(edge.saturating_add(delta));
        }
    }
    let mut doubles: Vec<f64> = reals();
    for edge in reals() {
        let mut up = edge;
        let mut down = edge;
        for _ in 0..8 {
            up = f64::from_bits(up.to_bits().wrapping_add(1));
            down = f64::from_bits(down.to_bits().wrapping_sub(1));
            doubles.extend([up, down]);
        }
    }
    doubles.extend(keys.iter().map(|&key| key as f64));
    doubles.retain(|double| !double.is_nan());
    for (class, values) in [
        (
            RawClass::Integer,
            keys.iter()
                .map(|&key| Value::Integer(key))
                .collect::<Vec<_>>(),
        ),
        (
            RawClass::Real,
            doubles.iter().map(|&real| Value::Real(real)).collect(),
        ),
    ] {
        for term in terms(0) {
            let Some(check) = raw_check(&term, class) else {
                assert!(has_null_constant(&term), "{term:?} refused");
                continue;
            };
            for value in &values {
                let raw = match value {
                    Value::Integer(i) => check.passes_key(*i),
                    Value::Real(r) => check.passes_real(*r),
                    _ => unreachable!("numbers only"),
                };
                let truth = term.truth(std::slice::from_ref(value)) == Some(true);
                assert_eq!(raw, truth, "{term:?} over {value:?}: {check:?}");
            }
        }
    }
}

fn compare(column: usize, op: BinaryOp, constant: i64, constant_first: bool) -> Compiled {
    Compiled::Compare {
        column,
        op,
        constant: Value::Integer(constant),
        constant_first,
    }
}

fn and(terms: Vec<Compiled>) -> Compiled {
    Compiled::Junction {
        decisive: false,
        terms,
    }
}

/// Raw checks are kept for equalities, BETWEEN and columns bounded on both sides; a lone
/// one-sided range or `<>` goes back to the stages, which then pass the same rows.
#[test]
fn raw_checks_are_kept_for_selective_filters() {
    let decoder = RowDecoder::new(&TYPES, None);
    let between = Compiled::Between {
        column: 1,
        low: Value::Integer(1),
        high: Value::Integer(5),
        negated: false,
    };
    let selective = [
        between.clone(),
        compare(1, BinaryOp::Equal, 3, true),
        and(vec![
            compare(1, BinaryOp::GreaterOrEqual, 1, false),
            compare(1, BinaryOp::Greater, 5, true),
        ]),
        and(vec![compare(2, BinaryOp::Less, 9, false), between]),
    ];
    let broad = [
        compare(1, BinaryOp::Less, 3, false),
        compare(1, BinaryOp::NotEqual, 3, false),
        and(vec![
            compare(1, BinaryOp::Less, 3, false),
            compare(2, BinaryOp::Greater, 1, false),
        ]),
        and(vec![
            compare(1, BinaryOp::Less, 3, false),
            compare(1, BinaryOp::Greater, 1, true),
        ]),
    ];
    for (filters, expected) in [(&selective, true), (&broad, false)] {
        for filter in filters.iter() {
            let staged = Staged::of(filter, |_| true)
                .unwrap()
                .with_raw_checks(&decoder);
            assert!(staged.raw().is_some(), "{filter:?}");
            assert_eq!(staged.raw_is_selective(), expected, "{filter:?}");
            let plain = staged.without_raw_checks();
            assert!(plain.raw().is_none());
            for value in column_values(DataType::Integer) {
                let row = row_with(1, &value);
                let expected = filter.truth(&row) == Some(true);
                assert_eq!(plain.matches(&row), expected, "{filter:?} over {row:?}");
            }
        }
    }
}

/// Text terms on the TEXT column (equality and inequality with a text either way round,
/// LIKE, NOT LIKE, GLOB, a length or instr() compared with a number) become text checks,
/// and a scan with them answers as `Compiled::truth` on every text (NULL, empty, case and
/// accent variants, pattern characters), alone and beside an interval check.
#[test]
fn text_checks_agree_with_truth() {
    use crate::expr::function::Function;
    use crate::expr::like::Pattern;
    use crate::expr::scalar::Scalar;

    let decoder = RowDecoder::new(&TYPES, None);
    let compare = |op, constant: &str, constant_first| Compiled::Compare {
        column: 0,
        op,
        constant: Value::Text(constant.into()),
        constant_first,
    };
    let matching = |pattern: Pattern| {
        Compiled::Truth(Scalar::Match {
            text: Box::new(Scalar::Column(0)),
            pattern,
        })
    };
    let like = |text: &str| Pattern::like(text, None).unwrap();
    // `length(s)`, `octet_length(s)` or `instr(s, 'bc')` compared with a number.
    let text_number = |function, op, constant, constant_first: bool| {
        let args = match function {
            Function::Instr => vec![
                Scalar::Column(0),
                Scalar::Constant(Value::Text("bc".into())),
            ],
            _ => vec![Scalar::Column(0)],
        };
        let call = Scalar::Call {
            function,
            args: args.into(),
        };
        let constant = Scalar::Constant(constant);
        let (left, right) = if constant_first {
            (constant, call)
        } else {
            (call, constant)
        };
        Compiled::CompareScalars {
            op,
            left,
            right,
            numbers: None,
        }
    };
    let terms = vec![
        compare(BinaryOp::Equal, "abc", false),
        compare(BinaryOp::Equal, "abc", true),
        compare(BinaryOp::NotEqual, "abc", false),
        compare(BinaryOp::Equal, "", false),
        compare(BinaryOp::Equal, "é", true),
        matching(like("ab%")),
        matching(like("%B%")),
        matching(like("a_c")),
        matching(Pattern::like("a!%%", Some('!')).unwrap()),
        matching(Pattern::glob("a*").unwrap()),
        Compiled::Not(Box::new(matching(like("%b%")))),
        text_number(Function::Length, BinaryOp::Equal, Value::Integer(3), false),
        text_number(Function::Length, BinaryOp::Less, Value::Integer(3), true),
        text_number(
            Function::OctetLength,
            BinaryOp::GreaterOrEqual,
            Value::Real(2.5),
            false,
        ),
        text_number(Function::Instr, BinaryOp::Greater, Value::Integer(0), false),
        text_number(Function::Instr, BinaryOp::NotEqual, Value::Integer(2), true),
    ];
    let texts = [
        "", "a", "abc", "ABC", "abcd", "ab", "xbx", "é", "É", "a%c", "a%", "aXc", "abc ",
    ];
    let mut values: Vec<Value> = texts.iter().map(|t| Value::Text(t.to_string())).collect();
    values.push(Value::Null);
    let mut buffer = Vec::new();
    for term in &terms {
        let filters = alone_and_after_another(term);
        for filter in &filters {
            let staged = Staged::of(filter, |_| true)
                .unwrap()
                .with_raw_checks(&decoder);
            assert!(staged.raw().is_some(), "{term:?} is checked raw");
            for value in &values {
                for integer in [Value::Integer(-1), Value::Integer(5)] {
                    let mut row = row_with(0, value);
                    row[1] = integer;
                    let bytes = encode(&TYPES, &row).unwrap();
                    let expected = filter.truth(&row) == Some(true);
                    let answer = decoder
                        .decode_raw_checked(
                            0,
                            &bytes,
                            &mut buffer,
                            staged.raw(),
                            staged.stops(),
                            |stage, values| staged.check(stage, values),
                        )
                        .unwrap();
                    assert_eq!(answer, expected, "{term:?} over {row:?}");
                    assert_eq!(staged.matches(&row), expected, "{term:?} over {row:?}");
                }
            }
        }
    }
}
