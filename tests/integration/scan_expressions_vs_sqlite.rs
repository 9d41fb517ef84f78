//! Expressions evaluated per row of a full scan that write numbers as text (`printf`,
//! `||`, `date()` and the other date/time functions) or read modifiers in any letter case,
//! against SQLite: integers of every length and sign (the decimal writer), NULLs, reals,
//! text, blobs, and date modifiers lower-, upper- and mixed-case, valid and not; date
//! functions in filters and aggregates over time values that change and repeat.

use ember::Value;

use super::support::{assert_same_rows, both_engines, insert_into_both};

fn table() -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&["CREATE TABLE n(id INTEGER PRIMARY KEY, v, w TEXT)"]);
    let mut values: Vec<Value> = vec![Value::Null, Value::Real(-2.5), Value::Real(1e15)];
    for digits in 0..19 {
        let power = 10i64.pow(digits);
        for v in [
            power,
            power - 1,
            power + 7,
            -power,
            -(power - 1),
            power * 3 + 12345 % power,
        ] {
            values.push(Value::Integer(v));
        }
    }
    values.extend([i64::MAX, i64::MIN, i64::MIN + 1].map(Value::Integer));
    values.extend(["12", "ü9", "", "x"].map(|t| Value::Text(t.to_string())));
    values.push(Value::Blob(vec![0x31, 0x32]));
    let modifiers = [
        "+1 day",
        "+1 DAY",
        "+3 Days",
        "-2 MONTHS",
        "start of MONTH",
        "Start Of Year",
        "weekday 0",
        "WEEKDAY 3",
        "+1 fortnight",
        "unixepoch",
        "UnixEpoch",
        "+10:30",
        "-1 YEAR",
        "+1.5 Hours",
        "bogus",
        "+1 dayz",
    ];
    let rows = values.into_iter().enumerate().map(|(id, v)| {
        let modifier = modifiers[id % modifiers.len()];
        [
            Value::Integer(id as i64),
            v,
            Value::Text(modifier.to_string()),
        ]
    });
    insert_into_both(&db, &sqlite, "INSERT INTO n VALUES (?, ?, ?)", rows);
    (db, sqlite)
}

#[test]
fn numbers_written_as_text_match_sqlite() {
    let (db, sqlite) = table();
    let ember = db.connect();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT id, printf('%d|%08d|%-6d|%+d|%,d|%.3d|%u', v, v, v, v, v, v, v) \
             FROM n ORDER BY id",
            "SELECT id, printf('%5s-%x-%i', v, v, v), v || '-' || id FROM n ORDER BY id",
            "SELECT id, CAST(v AS TEXT), 'k' || v || 'é' FROM n ORDER BY id",
            "SELECT max(printf('%08d-%s', v, w)), min(v || w) FROM n",
        ],
    );
}

#[test]
fn date_functions_per_row_match_sqlite() {
    let (db, sqlite) = table();
    let ember = db.connect();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT id, date('2024-01-31', w), datetime('2024-02-29 12:34:56', w) \
             FROM n ORDER BY id",
            "SELECT id, date(1700000000 + id * 86399, 'unixepoch'), \
             time(1700000000 + id * 37, 'UNIXEPOCH'), date(id, w) FROM n ORDER BY id",
            "SELECT id, date('2024-01-01', '+' || (id % 30) || ' days'), \
             date('2024-01-01', '+' || id || ' MONTHS', 'Start of Month') FROM n ORDER BY id",
            "SELECT count(*) FROM n \
             WHERE date('2024-01-01', '+' || (id % 30) || ' days') > '2024-01-15'",
            "SELECT id, date(v), julianday(v, w), strftime('%Y-%m-%d %H', v, w) \
             FROM n ORDER BY id",
            "SELECT date(-1000000, 'unixepoch'), date('-0044-03-15'), date('0001-01-01', \
             '-1 DAY'), datetime(5373484.4), date(123456789012, 'unixepoch')",
        ],
    );
}

/// Date functions in filters and aggregate arguments (their text written into a buffer
/// kept between rows, `made_text.rs`), time values that change from row to row and repeat
/// (the last one kept parsed, `datetime.rs`), and '+N unit' modifiers of every unit, at
/// and past their limits, with spaces around the number.
#[test]
fn date_functions_in_filters_and_aggregates_match_sqlite() {
    let (db, sqlite) = both_engines(&["CREATE TABLE d(id INTEGER PRIMARY KEY, t, m TEXT)"]);
    let times = [
        Value::Text("2024-01-31".into()),
        Value::Text("2024-01-31".into()),
        Value::Text(" 2024-02-29 23:59:59.5 ".into()),
        Value::Text("12:30".into()),
        Value::Text("2460000.5".into()),
        Value::Text(" 1700000000 ".into()),
        Value::Text("2024-13-01".into()),
        Value::Text("tomorrow".into()),
        Value::Text("ü".into()),
        Value::Text("".into()),
        Value::Null,
        Value::Integer(2460000),
        Value::Real(2460000.25),
        Value::Blob(vec![0x32, 0x30]),
    ];
    let modifiers = [
        "+1 day",
        " +2 days",
        "+3 days ",
        "-1 second",
        "+90 minutes",
        "+25 hours",
        "+13 months",
        "-3 years",
        "+5373484 days",
        "+5373485 days",
        "+14713 years",
        "+1e2 days",
        "+.5 day",
        "+1 DAY",
        "+1 fortnights",
        "+1 d",
        "+x days",
    ];
    let rows = (0..times.len() * modifiers.len()).map(|id| {
        [
            Value::Integer(id as i64),
            times[id % times.len()].clone(),
            Value::Text(modifiers[id % modifiers.len()].to_string()),
        ]
    });
    insert_into_both(&db, &sqlite, "INSERT INTO d VALUES (?, ?, ?)", rows);
    let ember = db.connect();
    assert_same_rows(
        &ember,
        &sqlite,
        &[
            "SELECT id, date(t, m), time(t, m), datetime(t, m), julianday(t, m), \
             unixepoch(t, m), strftime('%Y/%j %H:%M:%f %s', t, m) FROM d ORDER BY id",
            "SELECT id FROM d WHERE date(t, m) > '2024-02-01' ORDER BY id",
            "SELECT id FROM d WHERE '12:00:00' <= time(t, m) ORDER BY id",
            "SELECT id FROM d WHERE datetime(t, m, '+1 hour') = datetime(t, m, '+60 minutes') \
             ORDER BY id",
            "SELECT id FROM d WHERE strftime('%m', t, m) = '03' ORDER BY id",
            "SELECT id FROM d WHERE strftime('%Q', t) IS NULL AND t IS NOT NULL ORDER BY id",
            "SELECT id FROM d WHERE julianday(t, m) > 2460000 ORDER BY id",
            "SELECT count(*) FROM d WHERE date('2024-01-01', m) = date('2024-01-01', m, \
             '+0 days')",
            "SELECT count(*) FROM d WHERE date('2024-01-01', '+' || (id % 30) || ' days') \
             > '2024-01-15'",
            "SELECT max(date(t, m)), min(datetime(t, m)), max(strftime('%H', t, m)), \
             count(time(t, m)), max(date('2024-01-01', '+' || id || ' days')) FROM d",
            "SELECT m, max(date(t, m)), count(date(t)) FROM d GROUP BY m ORDER BY m",
        ],
    );
}
