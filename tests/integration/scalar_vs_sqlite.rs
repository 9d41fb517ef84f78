//! Scalar functions and compiled expressions against rusqlite's SQLite over thousands of
//! random rows: round() at every digit count (halves like 0.125 and 2.675, negatives,
//! huge values, negative and NULL digits), substr/upper/lower nestings compared and
//! counted, abs/sign, arithmetic, as projections (compiled `Computed`) and as filters
//! (compiled predicates), so the fast paths answer what SQLite answers.

use ember::{Database, Value};
use rusqlite::types::ValueRef;

use super::support::to_sqlite;

const SCHEMA: &str = "CREATE TABLE v(id INTEGER PRIMARY KEY, x REAL, n INTEGER, s TEXT, i INTEGER)";

/// Random rows: `x` near halves and at every scale, `n` from -2 to 31 (NULL at times),
/// `s` ASCII and non-ASCII texts of both cases, `i` integers with their edges.
fn rows(count: usize) -> Vec<[Value; 5]> {
    let mut rng = fastrand::Rng::with_seed(2026);
    let texts = ["k5", "K12x", "", "aé½Z", "MiXeD 9", "k50000", "é", "zz"];
    (0..count)
        .map(|id| {
            let x = match rng.u8(0..7) {
                0 => rng.i64(-100_000..100_000) as f64 / 1000.0 + 0.0005,
                1 => rng.i64(-10_000..10_000) as f64 / 8.0,
                2 => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-12..=17)),
                3 => [0.125, 2.675, -2.675, 1.005, 0.285, -0.5, 2.5, 1e300][rng.usize(0..8)],
                4 => rng.u32(..) as f64 / 1e6,
                5 => rng.f64(),
                _ => rng.i64(-1_000_000..1_000_000) as f64 / 100.0,
            };
            let n = if rng.u8(0..20) == 0 {
                Value::Null
            } else {
                Value::Integer(rng.i64(-2..=31))
            };
            let s = if rng.u8(0..15) == 0 {
                Value::Null
            } else {
                let base = texts[rng.usize(0..texts.len())];
                Value::Text(format!("{base}{}", rng.u32(0..1000)))
            };
            let i = match rng.u8(0..10) {
                0 => i64::MAX,
                1 => i64::MIN + 1,
                _ => rng.i64(-1000..1000),
            };
            [
                Value::Integer(id as i64 + 1),
                Value::Real(x),
                n,
                s,
                Value::Integer(i),
            ]
        })
        .collect()
}

fn same(ours: &Value, theirs: ValueRef<'_>) -> bool {
    match (ours, theirs) {
        (Value::Null, ValueRef::Null) => true,
        (Value::Integer(a), ValueRef::Integer(b)) => *a == b,
        // -0.0 and 0.0 are one value to SQL (SQLite may store either).
        (Value::Real(a), ValueRef::Real(b)) => a == &b,
        (Value::Text(a), ValueRef::Text(b)) => a.as_bytes() == b,
        (Value::Boolean(a), ValueRef::Integer(b)) => i64::from(*a) == b,
        _ => false,
    }
}

#[test]
fn scalar_functions_answer_as_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    ours.execute(SCHEMA, ()).unwrap();
    theirs.execute(SCHEMA, []).unwrap();
    let rows = rows(4000);
    for row in &rows {
        ours.execute("INSERT INTO v VALUES (?, ?, ?, ?, ?)", row.as_slice())
            .unwrap();
        let values: Vec<_> = row.iter().map(to_sqlite).collect();
        theirs
            .execute(
                "INSERT INTO v VALUES (?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(values),
            )
            .unwrap();
    }
    let projections = [
        "round(x, n)",
        "round(x)",
        "round(x, 2)",
        "round(-x, 1)",
        "round(x * 3, n % 16)",
        "round(i, n)",
        "abs(x - 0.5)",
        "abs(i)",
        "sign(x - 0.5)",
        "sign(round(x, 1))",
        "upper(substr(s, 1, 2))",
        "lower(s)",
        "substr(upper(s), n % 5)",
        "substr(s, -3, n % 4)",
        "length(substr(s, 2))",
        "length(lower(s))",
        "octet_length(upper(s))",
        "i % 7 + i * 2",
    ];
    for projection in projections {
        let sql = format!("SELECT id, {projection} FROM v ORDER BY id");
        let ours_rows = ours.query(&sql, ()).unwrap();
        let mut statement = theirs.prepare(&sql).unwrap();
        let mut theirs_rows = statement.query([]).unwrap();
        let mut compared = 0;
        for row in ours_rows.values() {
            let their = theirs_rows.next().unwrap().expect("as many rows");
            let input = &rows[compared];
            assert!(
                same(&row[1], their.get_ref(1).unwrap()),
                "{projection} over {input:?}: ours {:?}, SQLite {:?}",
                row[1],
                their.get_ref(1).unwrap()
            );
            compared += 1;
        }
        assert_eq!(compared, rows.len(), "{projection}");
    }
    let filters = [
        "round(x, 2) > 0.3",
        "round(x, n) >= x",
        "round(x) = 2",
        "upper(substr(s, 1, 2)) = 'K5'",
        "lower(s) < 'k5'",
        "substr(s, 2) LIKE '5%'",
        "lower(substr(s, 1, 1)) = substr(lower(s), 1, 1)",
        "i % 7 = 3 AND x > 0.5",
        "sign(x) < round(x, 1)",
    ];
    for filter in filters {
        let sql = format!("SELECT count(*), sum(id) FROM v WHERE {filter}");
        let ours_row = &ours.query(&sql, ()).unwrap().values()[0];
        let (count, sum): (i64, Option<i64>) = theirs
            .query_row(&sql, [], |row| Ok((row.get(0)?, row.get(1)?)))
            .unwrap();
        assert_eq!(ours_row[0], Value::Integer(count), "{filter}");
        assert_eq!(
            ours_row[1],
            sum.map_or(Value::Null, Value::Integer),
            "{filter}"
        );
    }
}
