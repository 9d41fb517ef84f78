//! Filters comparing a number computed from a TEXT column's text with a constant
//! (`length(s) = 5`, `instr(s, '9') > 0`, `3 < octet_length(s)`), which a scan tests on
//! the stored text before decoding the row (`expr/staged/raw.rs`), against SQLite: every
//! comparison operator, the constant on either side, INTEGER and REAL constants, NULL
//! texts, non-ASCII text and a text holding a NUL, in counts over column batches, in rows
//! returned, and under UPDATE / DELETE.

use ember::Value;

use super::support::{assert_same_rows, both_engines, insert_into_both};

fn engines() -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&["CREATE TABLE w(id INTEGER PRIMARY KEY, s TEXT, n INT)"]);
    let mut random = fastrand::Rng::with_seed(77);
    let mut rows: Vec<[Value; 3]> = Vec::new();
    for id in 1..=600 {
        let s = match random.u8(0..14) {
            0 => Value::Null,
            1 => Value::Text("é9ü".repeat(random.usize(1..4))),
            2 => Value::Text(format!("a\u{0}b{}", random.u8(0..9))),
            3 => Value::Text(String::new()),
            _ => Value::Text(format!("k{}", random.u32(0..30_000))),
        };
        rows.push([Value::Integer(id), s, Value::Integer(random.i64(0..9))]);
    }
    insert_into_both(&db, &sqlite, "INSERT INTO w VALUES (?, ?, ?)", rows);
    (db, sqlite)
}

/// Filters over `w.s` of each kind the raw test takes.
fn filters() -> Vec<String> {
    let mut filters = Vec::new();
    for op in ["=", "<>", "<", "<=", ">", ">="] {
        for number in [
            "length(s)",
            "octet_length(s)",
            "instr(s, '9')",
            "instr(s, 'k1')",
        ] {
            for constant in ["0", "3", "5", "4.5", "-1"] {
                filters.push(format!("{number} {op} {constant}"));
                filters.push(format!("{constant} {op} {number}"));
            }
        }
    }
    filters
}

#[test]
fn counts_and_rows_answer_as_sqlite() {
    let (db, sqlite) = engines();
    let conn = db.connect();
    let mut queries = Vec::new();
    for filter in filters() {
        queries.push(format!("SELECT count(*), sum(n) FROM w WHERE {filter}"));
        queries.push(format!(
            "SELECT id FROM w WHERE {filter} AND n < 4 ORDER BY id"
        ));
    }
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&conn, &sqlite, &queries);
}

#[test]
fn writes_filtered_by_a_text_number_answer_as_sqlite() {
    let (db, sqlite) = engines();
    let conn = db.connect();
    for statement in [
        "UPDATE w SET n = n + 10 WHERE length(s) >= 5",
        "DELETE FROM w WHERE instr(s, '7') = 2",
        "UPDATE w SET s = s || 'x' WHERE 4 > octet_length(s)",
    ] {
        conn.execute(statement, ()).unwrap();
        sqlite.execute(statement, []).unwrap();
    }
    assert_same_rows(
        &conn,
        &sqlite,
        &[
            "SELECT id, s, n FROM w ORDER BY id",
            "SELECT count(*) FROM w WHERE length(s) = 6",
        ],
    );
}
