//! Expressions evaluated per row of a full scan that write numbers as text (`printf`,
//! `||`, `date()` and the other date/time functions) or read modifiers in any letter case,
//! against SQLite: integers of every length and sign (the decimal writer), NULLs, reals,
//! text, blobs, and date modifiers lower-, upper- and mixed-case, valid and not.

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
