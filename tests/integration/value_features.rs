//! The cargo features `chrono`, `time`, `uuid` and `serde_json`: their types bound as
//! parameters, stored, read by SQL's own functions, and read back from rows.

use chrono::{NaiveDate, TimeZone, Utc};
use ember::Database;

#[test]
fn chrono_values_are_the_text_sqlite_date_functions_read() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE events(id INT PRIMARY KEY, day TEXT, at TEXT)")
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2026, 2, 28).unwrap();
    let at = Utc.with_ymd_and_hms(2026, 2, 28, 23, 30, 0).unwrap();
    conn.execute("INSERT INTO events VALUES (1, ?, ?)", (day, at))
        .unwrap();
    // SQL's date arithmetic reads the stored text.
    let next: NaiveDate = conn
        .query_value("SELECT date(day, '+1 day') FROM events", ())
        .unwrap();
    assert_eq!(next, NaiveDate::from_ymd_opt(2026, 3, 1).unwrap());
    let back: chrono::DateTime<Utc> = conn.query_value("SELECT at FROM events", ()).unwrap();
    assert_eq!(back, at);
    // SQLite's own forms read back: datetime() text and unixepoch() integers.
    let from_sql: chrono::NaiveDateTime = conn
        .query_value("SELECT datetime('2026-02-28 23:30:00', '+30 minutes')", ())
        .unwrap();
    assert_eq!(from_sql, at.naive_utc() + chrono::Duration::minutes(30));
    let from_epoch: chrono::DateTime<Utc> = conn
        .query_value("SELECT unixepoch(at) FROM events", ())
        .unwrap();
    assert_eq!(from_epoch, at);
    let error = conn
        .query_value::<NaiveDate>("SELECT 'tomorrow'", ())
        .unwrap_err();
    assert_eq!(error.kind(), ember::ErrorKind::Type);
    assert!(error.to_string().contains("'tomorrow'"), "{error}");
}

#[test]
fn time_values_round_trip_through_a_table() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE t(at TEXT)").unwrap();
    let at = time::macros::datetime!(2026-11-23 08:30:15.5 +01:00);
    conn.execute("INSERT INTO t VALUES (?)", [at]).unwrap();
    let back: time::OffsetDateTime = conn.query_value("SELECT at FROM t", ()).unwrap();
    assert_eq!(back, at);
    // julianday() reads the text with its offset.
    let seconds: f64 = conn
        .query_value(
            "SELECT (julianday(at) - julianday('2026-11-23 07:30:15.5')) * 86400 FROM t",
            (),
        )
        .unwrap();
    assert!(seconds.abs() < 1e-3, "{seconds}");
}

#[test]
fn uuids_are_blob_keys_and_read_from_text() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE items(id BLOB PRIMARY KEY, name TEXT)")
        .unwrap();
    let ids: Vec<uuid::Uuid> = (1..=3u128).map(uuid::Uuid::from_u128).collect();
    for (n, id) in ids.iter().enumerate() {
        conn.execute("INSERT INTO items VALUES (?, ?)", (id, format!("item {n}")))
            .unwrap();
    }
    let name: String = conn
        .query_value("SELECT name FROM items WHERE id = ?", [ids[1]])
        .unwrap();
    assert_eq!(name, "item 1");
    let length: i64 = conn
        .query_value("SELECT length(id) FROM items LIMIT 1", ())
        .unwrap();
    assert_eq!(length, 16);
    let parsed: uuid::Uuid = conn
        .query_value("SELECT '00000000-0000-0000-0000-000000000002'", ())
        .unwrap();
    assert_eq!(parsed, ids[1]);
}

#[test]
fn json_documents_are_text_the_json_functions_read() {
    let conn = Database::in_memory().connect();
    conn.execute_batch("CREATE TABLE docs(id INT PRIMARY KEY, body TEXT)")
        .unwrap();
    let body = serde_json::json!({"name": "ada", "langs": ["en", "fr"], "age": 36});
    conn.execute("INSERT INTO docs VALUES (1, ?)", [&body])
        .unwrap();
    let name: String = conn
        .query_value("SELECT body ->> '$.name' FROM docs", ())
        .unwrap();
    assert_eq!(name, "ada");
    let langs: serde_json::Value = conn
        .query_value("SELECT body -> '$.langs' FROM docs", ())
        .unwrap();
    assert_eq!(langs, serde_json::json!(["en", "fr"]));
    let age: serde_json::Value = conn
        .query_value("SELECT body ->> '$.age' FROM docs", ())
        .unwrap();
    assert_eq!(age, serde_json::json!(36));
    let back: serde_json::Value = conn.query_value("SELECT body FROM docs", ()).unwrap();
    assert_eq!(back, body);
    let missing: serde_json::Value = conn
        .query_value("SELECT body ->> '$.none' FROM docs", ())
        .unwrap();
    assert_eq!(missing, serde_json::Value::Null);
}
