//! Text functions compiled over values read in place, against rusqlite's SQLite: length()
//! / octet_length() and instr() of columns holding every storage class (ASCII and
//! non-ASCII text, NULL, integers, reals, blobs) as projections, aggregate arguments and
//! filters; and the JSON functions that read no JSON flag (json_extract(), `->`, `->>`,
//! json_type(), json_array_length(), json_valid(), json(), json_remove(), json_patch())
//! compiled over borrowed arguments and a path parsed once, with per-row paths, `||`
//! documents, nested calls and calls whose flags matter (kept on the tree) beside them.

use ember::Value;

use super::support::{assert_same_rows, both_engines, ember_rows, insert_into_both, sqlite_rows};

const SCHEMA: &str = "CREATE TABLE v(id INTEGER PRIMARY KEY, x, y, j TEXT, p TEXT, n INTEGER)";

/// Rows whose `x` and `y` hold every storage class, `j` JSON documents (objects, arrays,
/// scalars, non-ASCII keys and strings, NULL), `p` paths (NULL at times), `n` integers.
fn fill(count: usize) -> Vec<[Value; 6]> {
    let mut rng = fastrand::Rng::with_seed(3434);
    let texts = ["k5", "", "aé½Z", "é", "MiXeD 99", "99", "x9é9", "½½"];
    let any = |rng: &mut fastrand::Rng| match rng.u8(0..8) {
        0 => Value::Null,
        1 => Value::Integer(rng.i64(-1000..1000)),
        2 => Value::Real(rng.i64(-10_000..10_000) as f64 / 8.0),
        3 => Value::Blob((0..rng.usize(0..4)).map(|_| rng.u8(..)).collect()),
        _ => Value::Text(format!(
            "{}{}",
            texts[rng.usize(0..texts.len())],
            rng.u32(0..200)
        )),
    };
    let documents = [
        "{\"a\":1,\"b\":[1,2,{\"c\":\"é\"}],\"o\":{\"x\":2.5}}",
        "{\"a\":\"text\",\"é\":true,\"o\":{\"x\":null}}",
        "[10,[20,30],{\"a\":-1}]",
        "{\"a\":{\"a\":{\"a\":[]}}}",
        "\"just a string\"",
        "12.5e3",
        "{}",
    ];
    let paths = [
        "$.a", "$.b[2].c", "$.o.x", "$[1][0]", "$", "$.\"é\"", "$.b[#-1]",
    ];
    (0..count)
        .map(|id| {
            let j = if rng.u8(0..12) == 0 {
                Value::Null
            } else {
                Value::Text(documents[rng.usize(0..documents.len())].to_string())
            };
            let p = if rng.u8(0..12) == 0 {
                Value::Null
            } else {
                Value::Text(paths[rng.usize(0..paths.len())].to_string())
            };
            [
                Value::Integer(id as i64 + 1),
                any(&mut rng),
                any(&mut rng),
                j,
                p,
                Value::Integer(rng.i64(-50..50)),
            ]
        })
        .collect()
}

fn engines() -> (ember::Database, rusqlite::Connection) {
    let (db, sqlite) = both_engines(&[SCHEMA]);
    let insert = "INSERT INTO v VALUES (?, ?, ?, ?, ?, ?)";
    insert_into_both(&db, &sqlite, insert, fill(1500));
    (db, sqlite)
}

fn assert_same(db: &ember::Database, sqlite: &rusqlite::Connection, queries: &[&str]) {
    assert_same_rows(&db.connect(), sqlite, queries);
}

#[test]
fn length_and_instr_of_columns_match_sqlite() {
    let (db, sqlite) = engines();
    assert_same(
        &db,
        &sqlite,
        &[
            "SELECT id, length(x), octet_length(x), length(y) * 2 FROM v ORDER BY id",
            "SELECT avg(length(x)), sum(octet_length(y)), count(length(x)) FROM v",
            "SELECT count(*) FROM v WHERE length(x) = 3",
            "SELECT count(*) FROM v WHERE length(y) > 2 AND octet_length(x) < 5",
            "SELECT id FROM v WHERE length(x) IS NULL ORDER BY id",
            "SELECT length(x), count(*) FROM v GROUP BY length(x) ORDER BY 1",
            "SELECT id, instr(x, y), instr(x, 'é'), instr(y, '9'), instr(x, '') FROM v \
             ORDER BY id",
            "SELECT id, instr(x, NULL), instr(NULL, x), instr(x, 9) FROM v ORDER BY id",
            "SELECT count(*) FROM v WHERE instr(x, '99') > 0",
            "SELECT count(*) FROM v WHERE instr(x, y) = 1",
            "SELECT sum(instr(y, x)) FROM v",
        ],
    );
}

#[test]
fn json_functions_without_flags_match_sqlite() {
    let (db, sqlite) = engines();
    assert_same(
        &db,
        &sqlite,
        &[
            "SELECT id, json_extract(j, '$.a'), json_extract(j, p) FROM v ORDER BY id",
            "SELECT id, json_extract(j, '$.a', '$.o'), json_extract(j, '$.b', p) FROM v \
             ORDER BY id",
            "SELECT id, j -> '$.a', j ->> 'a', j -> p, j ->> 1, j -> 'o' ->> 'x' FROM v \
             ORDER BY id",
            "SELECT id, json_type(j), json_type(j, p), json_array_length(j, '$.b'), \
             json_valid(j), json(j) FROM v ORDER BY id",
            "SELECT id, json_remove(j, '$.a'), json_patch(j, '{\"a\":null,\"z\":[1]}') \
             FROM v WHERE json_type(j) = 'object' ORDER BY id",
            "SELECT sum(json_extract('{\"a\":' || n || '}', '$.a')) FROM v",
            "SELECT id, json_extract('{\"a\":' || n || ',\"b\":\"' || id || '\"}', '$.b') \
             FROM v ORDER BY id",
            "SELECT id, json_extract(json_extract(j, '$.o'), '$.x'), \
             json_extract(j, '$.o') || '' FROM v ORDER BY id",
            // Flags matter: the JSON text of an inner call is embedded, not quoted.
            "SELECT id, json_array(json_extract(j, '$.o'), j -> '$.b'), \
             json_object('k', json_extract(j, '$.b')) FROM v ORDER BY id",
            "SELECT id, json_set('{}', '$.v', json_extract(j, '$.o')), \
             json_quote(j -> '$.o') FROM v ORDER BY id",
            "SELECT json_extract(j, '$.a'), count(*) FROM v GROUP BY 1 ORDER BY 1",
            "SELECT id, json_extract(n, '$'), json_extract(x, '$') FROM v \
             WHERE typeof(x) IN ('integer', 'real') ORDER BY id",
            "SELECT id, CASE WHEN n > 0 THEN json_extract(j, '$.a') ELSE j ->> '$.o.x' END \
             FROM v ORDER BY id",
        ],
    );
}

/// Malformed JSON and bad paths fail in a compiled call as in the tree: both engines
/// refuse (the messages differ).
#[test]
fn json_errors_of_compiled_calls_are_errors() {
    let (db, sqlite) = engines();
    let ours = db.connect();
    for sql in [
        "SELECT json_extract(x, '$.a') FROM v WHERE typeof(x) = 'text'",
        "SELECT sum(json_extract('{\"a\":' || x || '}', '$.a')) FROM v \
         WHERE typeof(x) = 'text'",
        "SELECT json_extract(j, 'a') FROM v",
        "SELECT j -> '$.' FROM v",
    ] {
        assert!(sqlite_rows(&sqlite, sql).is_err(), "SQLite accepts {sql}");
        assert!(ember_rows(&ours, sql).is_err(), "EmberDB accepts {sql}");
    }
}
