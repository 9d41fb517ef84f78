//! The ordered index key encoding (`ember_storage::index::encode_ordered_part`) checked
//! against SQLite itself: for random pairs of values, bytewise order of the encodings must
//! equal the order SQLite's comparison operators give under each built-in collation.

use std::cmp::Ordering;

use ember_storage::index::{encode_ordered_part, KeyCollation};
use ember_storage::value::Value;
use rusqlite::types::ToSqlOutput;

use crate::support::to_sqlite;

/// SQLite's order of `a` and `b` under `collation` (NULLs first, as ORDER BY sorts them).
fn sqlite_order(db: &rusqlite::Connection, a: &Value, b: &Value, collation: &str) -> Ordering {
    let sql = format!(
        "SELECT CASE WHEN ?1 IS NULL AND ?2 IS NULL THEN 0 WHEN ?1 IS NULL THEN -1 \
         WHEN ?2 IS NULL THEN 1 WHEN ?1 < ?2 COLLATE {collation} THEN -1 \
         WHEN ?1 = ?2 COLLATE {collation} THEN 0 ELSE 1 END"
    );
    let (sa, sb) = (
        ToSqlOutput::Owned(to_sqlite(a)),
        ToSqlOutput::Owned(to_sqlite(b)),
    );
    let order: i64 = db
        .prepare_cached(&sql)
        .unwrap()
        .query_row([&sa, &sb], |row| row.get(0))
        .unwrap();
    order.cmp(&0)
}

struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}

fn random_value(rng: &mut Rng) -> Value {
    const INTS: [i64; 8] = [
        0,
        1,
        -5,
        42,
        i64::MAX,
        i64::MIN,
        1 << 53,
        9_000_000_000_000_000_007,
    ];
    const REALS: [f64; 8] = [
        0.0,
        -0.0,
        1.0,
        0.5,
        -42.75,
        9.007199254740993e15,
        9.0e18,
        -1e300,
    ];
    const TEXTS: [&str; 12] = [
        "", "a", "A", "ab", "AB", "a ", "a  ", "b", "_", "[", "a\u{e9}", "Ab ",
    ];
    let pick = |rng: &mut Rng, n: usize| (rng.next() % n as u64) as usize;
    match rng.next() % 5 {
        0 => Value::Null,
        1 => Value::Integer(INTS[pick(rng, 8)].wrapping_add((rng.next() % 5) as i64 - 2)),
        2 => Value::Real(REALS[pick(rng, 8)]),
        3 => Value::Text(TEXTS[pick(rng, 12)].into()),
        _ => Value::Blob(TEXTS[pick(rng, 12)].as_bytes().to_vec()),
    }
}

#[test]
fn ordered_key_encoding_matches_sqlite_order() {
    let db = rusqlite::Connection::open_in_memory().unwrap();
    let mut rng = Rng(0xDEAD_BEEF_CAFE_F00D);
    for (name, collation) in [
        ("BINARY", KeyCollation::Binary),
        ("NOCASE", KeyCollation::NoCase),
        ("RTRIM", KeyCollation::Rtrim),
    ] {
        for _ in 0..3_000 {
            let (a, b) = (random_value(&mut rng), random_value(&mut rng));
            let (mut ea, mut eb) = (Vec::new(), Vec::new());
            encode_ordered_part(&a, collation, &mut ea);
            encode_ordered_part(&b, collation, &mut eb);
            assert_eq!(
                ea.cmp(&eb),
                sqlite_order(&db, &a, &b, name),
                "{a:?} vs {b:?} under {name}"
            );
        }
    }
}
