//! Tests of `datetime.rs`: the date and time functions against SQLite's answers.

use super::*;

/// `super::call` over owned arguments.
fn call(function: DateFunction, args: &[Value]) -> Value {
    super::call(function, args)
}

fn run(function: DateFunction, args: &[&str]) -> Value {
    let args: Vec<Value> = args.iter().map(|a| Value::Text(a.to_string())).collect();
    call(function, &args)
}

fn text(s: &str) -> Value {
    Value::Text(s.to_string())
}

#[test]
fn dates_and_modifiers_match_sqlite() {
    use DateFunction::*;
    assert_eq!(run(Date, &["2024-02-29", "+1 year"]), text("2025-03-01"));
    assert_eq!(
        run(DateTime, &["2023-01-31 10:00", "+1 month"]),
        text("2023-03-03 10:00:00")
    );
    assert_eq!(
        run(Date, &["2024-03-15", "start of month", "-1 day"]),
        text("2024-02-29")
    );
    assert_eq!(
        call(
            DateTime,
            &[
                Value::Integer(1_700_000_000),
                Value::Text("unixepoch".into())
            ]
        ),
        text("2023-11-14 22:13:20")
    );
    assert_eq!(
        run(JulianDay, &["2000-01-01 12:00:00"]),
        Value::Real(2451545.0)
    );
    assert_eq!(run(UnixEpoch, &["1970-01-02"]), Value::Integer(86400));
    assert_eq!(
        run(
            Strftime,
            &[
                "%Y-%m-%d %H:%M:%f %j %w %W %s %J",
                "2024-03-10 13:45:30.123"
            ]
        ),
        text("2024-03-10 13:45:30.123 070 0 10 1710078330 2460380.073265313")
    );
    assert_eq!(run(Date, &["2024-03-10", "weekday 0"]), text("2024-03-10"));
    assert_eq!(run(Date, &["2024-03-11", "weekday 0"]), text("2024-03-17"));
    assert_eq!(run(Time, &["13:45"]), text("13:45:00"));
    assert_eq!(
        run(DateTime, &["2024-03-10T13:45:30Z"]),
        text("2024-03-10 13:45:30")
    );
    assert_eq!(
        run(DateTime, &["2024-03-10 13:45:30+02:00"]),
        text("2024-03-10 11:45:30")
    );
    assert_eq!(call(Date, &[Value::Real(2460000.5)]), text("2023-02-25"));
    assert_eq!(
        run(DateTime, &["2024-03-10", "+1.5 days"]),
        text("2024-03-11 12:00:00")
    );
    assert_eq!(
        run(DateTime, &["2024-03-10", "-90 minutes"]),
        text("2024-03-09 22:30:00")
    );
    // A date alone past its month's end normalizes (SQLite 3.54); with a modifier the
    // modifier decides, as SQLite's do.
    assert_eq!(run(Date, &["2024-02-30"]), text("2024-03-01"));
    assert_eq!(run(Date, &["2023-02-29"]), text("2023-03-01"));
    assert_eq!(run(Date, &["2024-04-31"]), text("2024-05-01"));
    assert_eq!(run(Date, &["2024-02-29"]), text("2024-02-29"));
    assert_eq!(
        run(DateTime, &["2024-02-30 12:34:56"]),
        text("2024-03-01 12:34:56")
    );
    assert_eq!(
        run(DateTime, &["2024-02-30", "start of day"]),
        text("2024-02-30 00:00:00")
    );
    assert_eq!(run(Date, &["2024-02-30", "+1 day"]), text("2024-03-02"));
    assert_eq!(run(Date, &["2024-02-30", "-1 month"]), text("2024-01-30"));
    // 24:00 is the midnight ending the day (only exactly: 24:00:01 is invalid).
    assert_eq!(
        run(DateTime, &["2024-12-31 24:00:00"]),
        text("2025-01-01 00:00:00")
    );
    assert_eq!(
        run(DateTime, &["2024-02-29 24:00"]),
        text("2024-03-01 00:00:00")
    );
    assert_eq!(run(Time, &["24:00"]), text("00:00:00"));
    assert_eq!(run(DateTime, &["2024-01-01 24:00:01"]), Value::Null);
    assert_eq!(
        run(Strftime, &["%H:%M:%f", "2024-01-01 10:00:59.9999"]),
        text("10:00:59.999")
    );
    assert_eq!(
        run(Date, &["2024-01-31", "+1 months", "-1 years"]),
        text("2023-03-02")
    );
    assert_eq!(
        run(DateTime, &["2024-03-10 10:00", "+02:30"]),
        text("2024-03-10 12:30:00")
    );
    assert_eq!(run(Date, &["-0001-01-01"]), text("-0001-01-01"));
    assert_eq!(run(Strftime, &["%f", "13:45:59.9999"]), text("59.999"));
    assert_eq!(
        run(DateTime, &["2024-03-10 24:00"]),
        text("2024-03-11 00:00:00")
    );
}

#[test]
fn invalid_input_is_null() {
    use DateFunction::*;
    for args in [
        &["bad"][..],
        &["2024-13-01"],
        &["2024-01-01", "foo"],
        &[" 2024-03-10 "],
        &["20240310"],
        &["2024-1-5"],
        &["2024-03-10", "unixepoch"],
    ] {
        assert_eq!(run(Date, args), Value::Null, "{args:?}");
    }
    assert_eq!(run(Strftime, &["%q", "2024-01-01"]), Value::Null);
    assert_eq!(call(Date, &[Value::Null]), Value::Null);
    assert_eq!(call(Date, &[text("2024-01-01"), Value::Null]), Value::Null);
    assert_eq!(call(Date, &[Value::Integer(1_700_000_000)]), Value::Null);
}

#[test]
fn huge_modifier_chains_do_not_overflow() {
    let mut args = vec![Value::Text("2024-01-01".into())];
    args.extend((0..40).map(|_| Value::Text("+400000000000000 seconds".into())));
    assert_eq!(call(DateFunction::Date, &args), Value::Null);
    args.truncate(1);
    args.extend((0..40).map(|_| Value::Text("-5373000 days".into())));
    assert_eq!(call(DateFunction::Date, &args), Value::Null);
}

#[test]
fn now_is_a_valid_date() {
    match call(DateFunction::Date, &[]) {
        Value::Text(date) => assert_eq!(date.len(), 10, "{date}"),
        other => panic!("{other:?}"),
    }
    assert!(matches!(
        call(DateFunction::UnixEpoch, &[]),
        Value::Integer(seconds) if seconds > 1_600_000_000
    ));
}

#[test]
fn a_kept_time_value_is_the_parse_of_its_own_text() {
    let fresh = |text: &str| {
        let mut p = DateTime::default();
        parse_date_or_time(text, &mut p).map(|()| p.jd_ms)
    };
    for text in [
        "2024-01-01",
        "2024-01-01",
        "12:00",
        "x",
        "2024-01-01",
        "2460000.5",
        "x",
    ] {
        assert_eq!(
            parse_time_value(text).map(|p| p.jd_ms),
            fresh(text),
            "{text}"
        );
    }
    // 'now' is read from the clock each time, never kept.
    for text in ["now", "NOW", " now"] {
        parse_time_value(text);
        LAST_TIME_VALUE.with(|last| {
            let last = last.borrow();
            let kept = last.as_ref().map(|(text, _)| &**text);
            assert!(kept.is_none_or(|kept| !kept.trim().eq_ignore_ascii_case("now")));
        });
    }
    let long = format!("2024-01-01{}", " ".repeat(KEPT_TIME_VALUE_BYTES_MAX));
    assert_eq!(parse_time_value(&long).map(|p| p.jd_ms), fresh(&long));
}

#[test]
fn unit_modifiers_stop_at_their_limits() {
    assert_eq!(
        run(DateFunction::Date, &["2000-01-01", "+1e2 days"]),
        text("2000-04-10")
    );
    assert_eq!(
        run(DateFunction::Date, &["2000-01-01", "+5373485 days"]),
        Value::Null
    );
    assert_eq!(
        run(DateFunction::Date, &["2000-01-01", "+14713 years"]),
        Value::Null
    );
    assert_eq!(
        run(DateFunction::Date, &["2000-01-01", "+1 fortnight"]),
        Value::Null
    );
    assert_eq!(
        run(DateFunction::Time, &["12:00", "+90  minutes"]),
        text("13:30:00")
    );
    assert_eq!(
        run(DateFunction::Time, &["12:00", " +90 minutes"]),
        Value::Null
    );
}

#[test]
fn subsec_floor_ceiling_auto_and_date_shifts_match_sqlite() {
    use DateFunction::*;
    let real = |r: f64| Value::Real(r);
    assert_eq!(
        run(UnixEpoch, &["2024-01-01 00:00:00.5", "subsec"]),
        real(1_704_067_200.5)
    );
    assert_eq!(
        run(UnixEpoch, &["2024-01-01 00:00:00", "subsecond"]),
        real(1_704_067_200.0)
    );
    assert_eq!(
        run(DateTime, &["2024-01-01 10:11:12.345", "subsec"]),
        text("2024-01-01 10:11:12.345")
    );
    assert_eq!(
        run(Time, &["10:11:12.3456", "subsec"]),
        text("10:11:12.346")
    );
    assert_eq!(
        run(DateTime, &["2024-01-01 10:11:12", "subsec", "+1.5 seconds"]),
        text("2024-01-01 10:11:13.500")
    );
    assert_eq!(
        run(Date, &["2024-01-01 10:11:12.345", "subsec"]),
        text("2024-01-01")
    );
    assert_eq!(
        run(Strftime, &["%s", "2024-01-01 00:00:00.5", "subsec"]),
        text("1704067200.500")
    );
    let cases = [
        (["2024-01-31", "+1 month", "floor"], "2024-02-29"),
        (["2024-01-31", "+1 month", "ceiling"], "2024-03-02"),
        (["2024-03-31", "-1 month", "floor"], "2024-02-29"),
        (["2024-02-29", "+1 year", "floor"], "2025-02-28"),
        (["2024-05-31", "+1 month", "floor"], "2024-06-30"),
        (["2024-01-31", "+1 day", "floor"], "2024-02-01"),
        (["2024-01-31", "+13 months", "floor"], "2025-02-28"),
        (["2024-12-31", "-10 months", "floor"], "2024-02-29"),
        (["2024-01-15", "+0001-02-03", "ceiling"], "2025-03-18"),
        (["2024-01-31", "+0000-01-00", "ceiling"], "2024-03-02"),
        (["2024-01-31", "+0000-01-00", "floor"], "2024-02-29"),
    ];
    for (args, expected) in cases {
        assert_eq!(run(Date, &args), text(expected), "{args:?}");
    }
    assert_eq!(
        run(Date, &["2024-01-31", "+1 month", "+1 day", "floor"]),
        text("2024-03-03")
    );
    assert_eq!(
        run(DateTime, &["2024-01-15 10:00", "-0000-00-01 01:00:00"]),
        text("2024-01-14 09:00:00")
    );
    for bad in ["+0001-12-01", "+0001-01-31", "+001-01-01", "+0001-01-01x"] {
        assert_eq!(run(Date, &["2024-01-15", bad]), Value::Null, "{bad}");
    }
    let number = |n: Value, modifiers: &[&str]| {
        let mut args = vec![n];
        args.extend(modifiers.iter().map(|m| Value::Text(m.to_string())));
        call(DateTime, &args)
    };
    let unix = Value::Integer(1_704_067_200);
    assert_eq!(number(unix.clone(), &["auto"]), text("2024-01-01 00:00:00"));
    assert_eq!(
        number(Value::Real(2_460_310.5), &["auto"]),
        text("2024-01-01 00:00:00")
    );
    assert_eq!(number(unix.clone(), &["unixepoch", "auto"]), Value::Null);
    assert_eq!(
        number(Value::Real(1_704_067_200.5), &["auto", "subsec"]),
        text("2024-01-01 00:00:00.500")
    );
    assert_eq!(
        run(DateTime, &["2024-01-01", "auto"]),
        text("2024-01-01 00:00:00")
    );
}
