//! Tests of `accumulator.rs`: each aggregate's result over rows as SQLite computes it.

use super::*;

fn run(function: AggregateFunction, distinct: bool, values: &[Value]) -> Value {
    let mut accumulator = Accumulator::new(function, distinct);
    for value in values {
        accumulator.add(std::slice::from_ref(value)).unwrap();
    }
    accumulator.finish().unwrap()
}

#[test]
fn a_restarted_accumulator_is_a_fresh_one() {
    use AggregateFunction::*;
    let first = [
        Value::Integer(i64::MAX),
        Value::Integer(1),
        Value::Text("x".into()),
        Value::Real(0.5),
        Value::Null,
    ];
    let second = [Value::Integer(2), Value::Real(2.0), Value::Integer(1)];
    for function in [Count, Sum, Total, Avg, Min, Max, GroupConcat] {
        for distinct in [false, true] {
            let mut accumulator = Accumulator::new(function, distinct);
            for value in &first {
                let _ = accumulator.add(std::slice::from_ref(value));
            }
            accumulator.restart(None);
            for value in &second {
                accumulator.add(std::slice::from_ref(value)).unwrap();
            }
            let expected = run(function, distinct, &second);
            assert_eq!(
                accumulator.finish().unwrap(),
                expected,
                "{function:?} {distinct}"
            );
        }
    }
}

#[test]
fn distinct_values_past_the_cap_are_a_limit_error() {
    let mut accumulator = Accumulator::new(AggregateFunction::Count, true).with_seen_max(2);
    for value in [1, 2, 2, 1] {
        accumulator.add(&[Value::Integer(value)]).unwrap();
    }
    let error = accumulator.add(&[Value::Integer(3)]).unwrap_err();
    assert_eq!(error.kind(), crate::ErrorKind::Limit);
}

#[test]
fn sums_follow_sqlite() {
    let ints = [Value::Integer(1), Value::Null, Value::Integer(2)];
    assert_eq!(run(AggregateFunction::Sum, false, &ints), Value::Integer(3));
    assert_eq!(
        run(AggregateFunction::Total, false, &ints),
        Value::Real(3.0)
    );
    assert_eq!(run(AggregateFunction::Avg, false, &ints), Value::Real(1.5));
    assert_eq!(
        run(AggregateFunction::Count, false, &ints),
        Value::Integer(2)
    );
    assert_eq!(
        run(AggregateFunction::Sum, false, &[Value::Null]),
        Value::Null
    );
    assert_eq!(run(AggregateFunction::Total, false, &[]), Value::Real(0.0));
    assert_eq!(run(AggregateFunction::Avg, false, &[]), Value::Null);
    let mixed = [Value::Integer(1), Value::Real(0.5)];
    assert_eq!(run(AggregateFunction::Sum, false, &mixed), Value::Real(1.5));
    let overflow = [Value::Integer(i64::MAX), Value::Integer(1)];
    let mut accumulator = Accumulator::new(AggregateFunction::Sum, false);
    for value in &overflow {
        accumulator.add(std::slice::from_ref(value)).unwrap();
    }
    let error = accumulator.finish().unwrap_err();
    assert!(error.to_string().contains("integer overflow"), "{error}");
    assert_eq!(
        run(AggregateFunction::Total, false, &overflow),
        Value::Real(i64::MAX as f64 + 1.0)
    );
    // A real input after the overflow makes SUM a real, as in SQLite.
    let rescued = [
        Value::Integer(i64::MAX),
        Value::Integer(1),
        Value::Real(0.5),
    ];
    assert_eq!(
        run(AggregateFunction::Sum, false, &rescued),
        Value::Real(i64::MAX as f64 + 1.5)
    );
}

#[test]
fn real_sums_are_compensated_as_sqlite_does() {
    // Naive left-to-right addition gives 0.0 here; SQLite 3.43+ gives 1.0.
    let values = [Value::Real(1e100), Value::Real(1.0), Value::Real(-1e100)];
    assert_eq!(
        run(AggregateFunction::Total, false, &values),
        Value::Real(1.0)
    );
    assert_eq!(
        run(AggregateFunction::Sum, false, &values),
        Value::Real(1.0)
    );
    // 0.1 ten times is 0.9999999999999999 added naively.
    let tenths = vec![Value::Real(0.1); 10];
    assert_eq!(
        run(AggregateFunction::Total, false, &tenths),
        Value::Real(1.0)
    );
}

#[test]
fn distinct_min_max_and_concat() {
    let values = [
        Value::Integer(2),
        Value::Real(2.0),
        Value::Null,
        Value::Integer(1),
    ];
    assert_eq!(
        run(AggregateFunction::Count, true, &values),
        Value::Integer(2)
    );
    assert_eq!(
        run(AggregateFunction::Sum, true, &values),
        Value::Integer(3)
    );
    assert_eq!(
        run(AggregateFunction::Min, false, &values),
        Value::Integer(1)
    );
    assert_eq!(
        run(AggregateFunction::Max, false, &values),
        Value::Integer(2)
    );
    assert_eq!(
        run(AggregateFunction::GroupConcat, false, &values),
        Value::Text("2,2.0,1".into())
    );
    assert_eq!(
        run(AggregateFunction::Min, false, &[Value::Null]),
        Value::Null
    );
}

#[test]
fn value_at_max_takes_the_row_of_the_first_strict_maximum() {
    let run_pairs = |function, pairs: &[(Value, &str)]| {
        let mut accumulator = Accumulator::new(function, false);
        for (key, name) in pairs {
            accumulator
                .add(&[key.clone(), Value::Text(name.to_string())])
                .unwrap();
        }
        accumulator.finish().unwrap()
    };
    let text = |name: &str| Value::Text(name.into());
    let rows = [
        (Value::Null, "leading null"),
        (Value::Integer(5), "five"),
        (Value::Integer(9), "first nine"),
        (Value::Null, "later null"),
        (Value::Integer(9), "second nine"),
        (Value::Integer(1), "one"),
    ];
    assert_eq!(
        run_pairs(AggregateFunction::ValueAtMax, &rows),
        text("first nine")
    );
    assert_eq!(run_pairs(AggregateFunction::ValueAtMin, &rows), text("one"));
    // With no key at all, the last row's value (every row was taken).
    let nulls = [(Value::Null, "a"), (Value::Null, "b")];
    assert_eq!(run_pairs(AggregateFunction::ValueAtMax, &nulls), text("b"));
    assert_eq!(run_pairs(AggregateFunction::ValueAtMin, &[]), Value::Null);
}
