//! Filtered full scans whose terms are checked on the payload's bytes (`row::RawChecks`:
//! the walk that steps over runs of columns of one type as one stretch), against rusqlite's
//! SQLite: a table wider than 8 columns (a two-byte null bitmap) with runs of INTEGER, REAL
//! and TEXT columns, NULLs in every column, integers of every varint length, REALs of every
//! encoding (short, plain, escaped, -0.0), long texts, an untyped column of mixed types, and
//! a column added by ALTER TABLE (rows written before it are shorter than the schema).
//! Filters of many forms: ranges, BETWEEN, NOT BETWEEN, <>, INTEGER constants against REAL
//! columns and REAL constants against INTEGER ones, several columns at once (TPC-H Q6's
//! shape), with aggregates of expressions and plain row lists.

use ember::Value;

use super::support::{assert_same_rows, both_engines, insert_into_both};

const SCHEMA: &str = "CREATE TABLE rw(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, \
                      c INTEGER, x REAL, y REAL, z REAL, s TEXT, t TEXT, bl BLOB, u, q REAL)";

const BIG_INTEGERS: [i64; 12] = [
    0,
    -1,
    63,
    -64,
    64,
    8191,
    -8192,
    1 << 20,
    -(1 << 40),
    1 << 55,
    i64::MAX,
    i64::MIN,
];

const ODD_REALS: [f64; 10] = [
    -0.0,
    0.0,
    0.125,
    -2.5,
    1.0e300,
    -1.0e300,
    1.0e-300,
    f64::INFINITY,
    f64::NEG_INFINITY,
    9007199254740993.0,
];

/// One random row of `rw` (12 columns), NULLs in every column but the key.
fn row(rng: &mut fastrand::Rng, id: i64) -> Vec<Value> {
    let maybe = |value: Value, rng: &mut fastrand::Rng| {
        if rng.u8(0..7) == 0 {
            Value::Null
        } else {
            value
        }
    };
    let a = Value::Integer(rng.i64(0..50));
    let b = Value::Integer(BIG_INTEGERS[rng.usize(0..BIG_INTEGERS.len())]);
    let c = Value::Integer(rng.i64(-100..1000));
    let x = Value::Real(f64::from(rng.i32(-800..800)) / 8.0);
    let y = if rng.bool() {
        Value::Real(ODD_REALS[rng.usize(0..ODD_REALS.len())])
    } else {
        Value::Real(rng.f64() * 1000.0 - 500.0)
    };
    let z = Value::Real(f64::from(rng.u8(0..11)) / 100.0);
    let s = match rng.u8(0..4) {
        0 => Value::Text("long ".repeat(40)),
        _ => Value::Text(format!("k{}", rng.u16(0..400))),
    };
    let t = Value::Text(format!("é{}", rng.u8(0..9)));
    let bl = Value::Blob(vec![rng.u8(..); rng.usize(0..200)]);
    let u = match rng.u8(0..4) {
        0 => Value::Integer(rng.i64(-5..30)),
        1 => Value::Real(f64::from(rng.u8(0..40)) / 4.0),
        2 => Value::Text(format!("{}", rng.u8(0..30))),
        _ => Value::Text("word".into()),
    };
    let q = match rng.u8(0..3) {
        0 => Value::Real(f64::from(rng.u8(0..60))),
        _ => Value::Real(rng.f64() * 60.0),
    };
    let values = [a, b, c, x, y, z, s, t, bl, u, q];
    let mut out = vec![Value::Integer(id)];
    out.extend(values.into_iter().map(|value| maybe(value, rng)));
    out
}

fn filled(rows: i64) -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&[SCHEMA]);
    let mut rng = fastrand::Rng::with_seed(39);
    let rows: Vec<Vec<Value>> = (1..=rows).map(|id| row(&mut rng, id)).collect();
    let insert = "INSERT INTO rw VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    insert_into_both(&db, &sqlite, insert, rows);
    (db, sqlite)
}

/// Filter forms over the table's columns; every one compared as a count and sum, an
/// aggregate of an expression, and a list of ids.
const FILTERS: [&str; 24] = [
    "q >= 10 AND q < 20",
    "q BETWEEN 24 AND 36.5",
    "q NOT BETWEEN 5 AND 55",
    "q < 24",
    "q <> 12",
    "c >= 100 AND c < 465 AND z BETWEEN 0.03 AND 0.05 AND a < 24",
    "c BETWEEN 200.5 AND 300.5",
    "c > -50.25 AND a <= 10",
    "a = 7 AND q > 30",
    "b >= 8191 AND b < 1099511627776",
    "b < 0 AND c > 500",
    "b = 9223372036854775807 OR b = -9223372036854775808",
    "x BETWEEN -2 AND 2",
    "x > 50.125 AND y < 0",
    "y >= -0.0 AND y <= 0.0",
    "y > 1e299",
    "y < 100 AND y > -100 AND q > 1",
    "z = 0.05",
    "z <> 0.05 AND q < 3",
    "s = 'k5' AND q > 10",
    "t = 'é3' AND a > 20",
    "u > 10 AND c < 300",
    "u = 'word' AND q < 30",
    "a IS NULL AND q > 50",
];

fn queries(filters: &[&str]) -> Vec<String> {
    filters
        .iter()
        .flat_map(|filter| {
            [
                format!("SELECT count(*), sum(a), sum(c), min(q), max(y) FROM rw WHERE {filter}"),
                format!("SELECT sum(q * z), sum(x * a), count(s) FROM rw WHERE {filter}"),
                format!("SELECT id FROM rw WHERE {filter} ORDER BY id"),
            ]
        })
        .collect()
}

#[test]
fn raw_checked_scans_answer_as_sqlite() {
    let (db, sqlite) = filled(3000);
    let queries = queries(&FILTERS);
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&db.connect(), &sqlite, &queries);
}

/// Random ranges on random columns (pairs and triples of terms), as SQLite answers them.
#[test]
fn random_ranges_answer_as_sqlite() {
    let (db, sqlite) = filled(2000);
    let mut rng = fastrand::Rng::with_seed(94);
    let columns = ["a", "b", "c", "x", "y", "z", "q"];
    let constant = |rng: &mut fastrand::Rng| match rng.u8(0..4) {
        0 => format!("{}", rng.i64(-120..1100)),
        1 => format!("{:.3}", rng.f64() * 100.0 - 20.0),
        2 => format!("{}", BIG_INTEGERS[rng.usize(0..BIG_INTEGERS.len())]),
        _ => format!("{}", f64::from(rng.u8(0..12)) / 100.0),
    };
    let mut filters = Vec::new();
    for _ in 0..80 {
        let terms: Vec<String> = (0..rng.usize(1..4))
            .map(|_| {
                let column = columns[rng.usize(0..columns.len())];
                let (low, high) = (constant(&mut rng), constant(&mut rng));
                match rng.u8(0..5) {
                    0 => format!("{column} BETWEEN {low} AND {high}"),
                    1 => format!("{column} NOT BETWEEN {low} AND {high}"),
                    2 => format!("{column} >= {low} AND {column} < {high}"),
                    3 => format!("{column} <> {low}"),
                    _ => format!("{column} > {low}"),
                }
            })
            .collect();
        filters.push(terms.join(" AND "));
    }
    let filters: Vec<&str> = filters.iter().map(String::as_str).collect();
    let queries = queries(&filters);
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&db.connect(), &sqlite, &queries);
}

/// A column added after rows were written: the older rows are shorter than the schema and
/// read the default; filters on it and on the other columns answer as SQLite.
#[test]
fn added_column_rows_answer_as_sqlite() {
    let (db, sqlite) = filled(1000);
    let alter = "ALTER TABLE rw ADD COLUMN w REAL DEFAULT 1.5";
    db.connect().execute(alter, ()).unwrap();
    sqlite.execute(alter, []).unwrap();
    let mut rng = fastrand::Rng::with_seed(7);
    let rows: Vec<Vec<Value>> = (1001..=1600)
        .map(|id| {
            let mut values = row(&mut rng, id);
            values.push(match rng.u8(0..4) {
                0 => Value::Null,
                _ => Value::Real(f64::from(rng.u8(0..40)) / 8.0),
            });
            values
        })
        .collect();
    let insert = "INSERT INTO rw VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)";
    insert_into_both(&db, &sqlite, insert, rows);
    let mut filters: Vec<&str> = FILTERS.to_vec();
    filters.extend([
        "w = 1.5",
        "w > 2 AND q < 30",
        "w BETWEEN 1 AND 2 AND c >= 0",
        "w IS NULL AND a < 25",
    ]);
    let queries = queries(&filters);
    let queries: Vec<&str> = queries.iter().map(String::as_str).collect();
    assert_same_rows(&db.connect(), &sqlite, &queries);
}
