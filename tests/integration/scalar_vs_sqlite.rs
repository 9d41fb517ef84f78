//! Scalar functions and compiled expressions against rusqlite's SQLite over thousands of
//! random rows: round() at every digit count (halves like 0.125 and 2.675, negatives,
//! huge values, negative and NULL digits), substr/upper/lower nestings compared and
//! counted, abs/sign, arithmetic, as projections (compiled `Computed`) and as filters
//! (compiled predicates), so the fast paths answer what SQLite answers; and round() over
//! many doubles bit for bit (no difference allowed).

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
        "round(i, n)",
        "round(x, 15)",
        "abs(x - 0.5)",
        "abs(i)",
        "sign(x - 0.5)",
        "sign(round(x))",
        "upper(substr(s, 1, 2))",
        "lower(s)",
        "substr(upper(s), n % 5)",
        "substr(s, -3, n % 4)",
        "length(substr(s, 2))",
        "length(lower(s))",
        "octet_length(upper(s))",
        "i % 7 + i * 2",
        // Per-call paths written without format!: date and time digits,
        // negative years, || over every class on either side, printf conversions.
        "date('2024-01-01', '+' || (i % 400) || ' days')",
        "datetime((i % 100000) * 3600, 'unixepoch')",
        "time(abs(x) * 1000, 'unixepoch')",
        "datetime((i % 1000) * 100000000, 'unixepoch')",
        "i || s || n",
        "n || i || 'z' || s",
        "printf('%08d-%s|%5.2f|%-6x|%#o|%,d|%.3d', i, s, x, i, n, i, n)",
        "printf('%q %Q %w %c %!.2s %.1s %5s|%-4s|%%', s, s, s, s, s, i, n, n)",
    ];
    for projection in projections {
        let sql = format!("SELECT id, {projection} FROM v ORDER BY id");
        let ours_rows = ours.query(&sql, ()).unwrap();
        let mut statement = theirs.prepare(&sql).unwrap();
        let mut theirs_rows = statement.query([]).unwrap();
        let mut compared = 0;
        for row in ours_rows.values() {
            let their = theirs_rows.next().unwrap().expect("as many rows");
            let their = their.get_ref(1).unwrap();
            let input = &rows[compared];
            compared += 1;
            assert!(
                same(&row[1], their),
                "{projection} over {input:?}: ours {:?}, SQLite {their:?}",
                row[1]
            );
        }
        assert_eq!(compared, rows.len(), "{projection}");
    }
    let filters = [
        "round(x, 2) > 0.3",
        "round(x) >= x",
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
        let ours_rows = ours.query(&sql, ()).unwrap();
        let ours_row = &ours_rows.values()[0];
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

/// A table of mixed values for the expression shapes below: `m` has no type (integers,
/// reals, texts that look like numbers or not, blobs, NULL), `t` is TEXT, `r` REAL, `g` a
/// short group text; texts run from empty to well over the inline size.
const MIXED_SCHEMA: &str = "CREATE TABLE w(id INTEGER PRIMARY KEY, m, t TEXT, r REAL, g TEXT)";

fn mixed_rows(count: usize) -> Vec<[Value; 5]> {
    let mut rng = fastrand::Rng::with_seed(23);
    let long = "a long text that is well over any inline size, é included";
    (0..count)
        .map(|id| {
            let m = match rng.u8(0..9) {
                0 => Value::Null,
                1 => Value::Integer(rng.i64(-3..=3)),
                2 => Value::Real([0.5, 1.0, -2.25, 3.0][rng.usize(0..4)]),
                3 => Value::Text(["1", "2.0", "x", "", "K1"][rng.usize(0..5)].to_string()),
                4 => Value::Blob([&b"k1"[..], b"", b"xy"][rng.usize(0..3)].to_vec()),
                5 => Value::Text(format!("{long} {}", rng.u32(0..50))),
                6 => Value::Integer(i64::MAX - rng.i64(0..2)),
                _ => Value::Integer(rng.i64(-1000..1000)),
            };
            let t = match rng.u8(0..8) {
                0 => Value::Null,
                1 => Value::Text(String::new()),
                2 => Value::Text(format!("{long}{}", rng.u32(0..1000))),
                3 => Value::Text(["1", "2", "01", "1.0"][rng.usize(0..4)].to_string()),
                _ => Value::Text(format!(
                    "{}{}",
                    ["k", "K", "é", "z"][rng.usize(0..4)],
                    rng.u32(0..500)
                )),
            };
            let r = if rng.u8(0..12) == 0 {
                Value::Null
            } else {
                Value::Real(rng.i64(-2000..2000) as f64 / 8.0)
            };
            let g = Value::Text(format!("g{}", rng.u8(0..7)));
            [Value::Integer(id as i64 + 1), m, t, r, g]
        })
        .collect()
}

/// Runs `sql` on both engines and compares every cell of every row, in order.
fn assert_same_rows(ours: &ember::Connection, theirs: &rusqlite::Connection, sql: &str) {
    let ours_rows = ours.query(sql, ()).unwrap_or_else(|e| panic!("{sql}: {e}"));
    let mut statement = theirs.prepare(sql).unwrap();
    let columns = statement.column_count();
    let mut theirs_rows = statement.query([]).unwrap();
    for (compared, row) in ours_rows.values().iter().enumerate() {
        let their = theirs_rows
            .next()
            .unwrap()
            .unwrap_or_else(|| panic!("{sql}: SQLite has fewer rows"));
        assert_eq!(row.len(), columns, "{sql}");
        for (at, value) in row.iter().enumerate() {
            let want = their.get_ref(at).unwrap();
            let matches = match (value, want) {
                (Value::Blob(a), ValueRef::Blob(b)) => a.as_slice() == b,
                (value, want) => same(value, want),
            };
            assert!(
                matches,
                "{sql}: row {compared} column {at}: ours {value:?}, SQLite {want:?}"
            );
        }
    }
    assert!(
        theirs_rows.next().unwrap().is_none(),
        "{sql}: SQLite has more rows"
    );
}

/// `||` chains, CASE (simple and searched, iif), length() of views and COALESCE, and
/// computed top-k keys, as aggregate arguments, group keys, sort keys and projections over
/// mixed values, against SQLite: the compiled paths (`Scalar::Concat`, the borrowed
/// `Computed::eval_borrowed`, the CASE and length() number paths, compiled sort keys)
/// answer what SQLite answers.
#[test]
fn expression_shapes_answer_as_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    ours.execute(MIXED_SCHEMA, ()).unwrap();
    theirs.execute(MIXED_SCHEMA, []).unwrap();
    for row in mixed_rows(3000) {
        ours.execute("INSERT INTO w VALUES (?, ?, ?, ?, ?)", row.as_slice())
            .unwrap();
        let values: Vec<_> = row.iter().map(to_sqlite).collect();
        theirs
            .execute(
                "INSERT INTO w VALUES (?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(values),
            )
            .unwrap();
    }
    let queries = [
        // || as an aggregate's argument (borrowed from a reused buffer), of every class.
        "SELECT max(t || '-' || g), min(t || '-' || g), count(t || m) FROM w",
        "SELECT max(m || r), min(m || '' || t), max(g || m || r || t) FROM w",
        "SELECT max(upper(t) || lower(g)), min(substr(t, 2, 3) || g) FROM w",
        "SELECT sum(length(coalesce(t, g))), sum(length(coalesce(m, t))) FROM w",
        "SELECT sum(length(t || g)), sum(octet_length(m)), sum(length(m)) FROM w",
        "SELECT max(t || (g || r)), min(('<' || t) || '>') FROM w",
        // replace() into the buffer (texts, a NULL, a number, an empty pattern), instr.
        "SELECT max(replace(t, 'k', 'key-')), min(replace(m, '1', '')), max(replace(t, '', \
         'x')), sum(instr(t, '1')) FROM w",
        "SELECT replace(g, 'g', t) AS k, count(*) FROM w GROUP BY k ORDER BY 2 DESC, 1 \
         LIMIT 5",
        // || and views as projections and group keys.
        "SELECT id, t || '/' || m || '/' || r, upper(t) || g FROM w ORDER BY id",
        "SELECT g || '-' || (id % 3) AS k, count(*), max(r) FROM w GROUP BY k",
        "SELECT upper(substr(t, 1, 1)) AS k, count(*) FROM w GROUP BY k",
        "SELECT m || '' AS k, count(*) FROM w GROUP BY k",
        // Simple CASE over a TEXT column (WHEN numbers compare as text), a typeless column
        // (no conversion), a REAL column, an expression; searched CASE, iif, nullif.
        "SELECT sum(CASE t WHEN 1 THEN 1 WHEN '2' THEN 2 WHEN 'K1' THEN 3 ELSE 0 END) FROM w",
        "SELECT sum(CASE m WHEN 1 THEN 1 WHEN '1' THEN 10 WHEN 1.0 THEN 100 WHEN x'6b31' \
         THEN 1000 WHEN '' THEN 10000 END) FROM w",
        "SELECT sum(CASE r WHEN 3 THEN r WHEN '0.5' THEN 2 ELSE -r END) FROM w",
        "SELECT sum(CASE id % 4 WHEN 0 THEN r WHEN 1 THEN -r END), count(CASE g WHEN 'g1' \
         THEN 1 END) FROM w",
        "SELECT sum(CASE WHEN r > 10 THEN id ELSE 0 END), total(CASE WHEN m THEN r END) FROM w",
        "SELECT sum(iif(r > 0, r, 0)), sum(iif(m, 1, 2)), count(nullif(g, 'g1')) FROM w",
        "SELECT max(CASE g WHEN 'g1' THEN t ELSE g || t END) FROM w",
        "SELECT id, CASE t WHEN 1 THEN 'one' WHEN 'k1' THEN m END FROM w ORDER BY id",
        // Computed top-k keys, text and numeric, with ties and NULLs.
        "SELECT id, r * 2 + id FROM w ORDER BY r * 2 + id DESC, id LIMIT 7",
        "SELECT id, t FROM w ORDER BY lower(t) DESC, id LIMIT 9",
        "SELECT id, t FROM w ORDER BY lower(t), id LIMIT 9",
        "SELECT id FROM w ORDER BY g || t, id DESC LIMIT 5 OFFSET 3",
        "SELECT id FROM w ORDER BY CASE g WHEN 'g2' THEN 0 ELSE 1 END, r DESC, id LIMIT 6",
        "SELECT id FROM w ORDER BY m || '', id LIMIT 8",
        "SELECT count(*), sum(id) FROM w WHERE CAST(substr(t, 2) AS INTEGER) % 7 = 0",
    ];
    for sql in queries {
        assert_same_rows(&ours, &theirs, sql);
    }
}

/// The text-function family read in place (columns, constants, coalesce()
/// and substr() slices read where they lie; instr() and replace() over `find_text`;
/// CAST of text parsed in place; a simple CASE decided on numbers; numeric aggregate
/// arguments read borrowed), in filters, projections, group keys and aggregate arguments
/// over mixed values, against SQLite.
#[test]
fn text_functions_read_in_place_answer_as_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    ours.execute(MIXED_SCHEMA, ()).unwrap();
    theirs.execute(MIXED_SCHEMA, []).unwrap();
    for row in mixed_rows(2000) {
        ours.execute("INSERT INTO w VALUES (?, ?, ?, ?, ?)", row.as_slice())
            .unwrap();
        let values: Vec<_> = row.iter().map(to_sqlite).collect();
        theirs
            .execute(
                "INSERT INTO w VALUES (?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(values),
            )
            .unwrap();
    }
    let queries = [
        // CAST of substr(), of a column of every class, of coalesce(), to each type.
        "SELECT count(*), sum(id) FROM w WHERE CAST(substr(t, 2) AS INTEGER) % 3 = 1",
        "SELECT sum(CAST(substr(t, 2, 2) AS INTEGER)), total(CAST(substr(m, 1, 3) AS REAL)) \
         FROM w",
        "SELECT total(CAST(m AS INTEGER)), total(CAST(m AS REAL)), max(CAST(m AS TEXT)), \
         count(CAST(t AS NUMERIC)) FROM w",
        "SELECT CAST(coalesce(t, m) AS INTEGER) AS k, count(*) FROM w GROUP BY k ORDER BY \
         2 DESC, 1 LIMIT 6",
        "SELECT count(*) FROM w WHERE CAST(substr(t, -3, 2) AS REAL) > 4.5",
        // CAST of numbers converted as numbers: reals truncated and saturated, integers
        // widened, NULLs kept, arithmetic operands.
        "SELECT total(CAST(m * 1e20 AS INTEGER)), sum(CAST(r * 7 AS INTEGER)), \
         total(CAST(id AS REAL)), count(CAST(r AS INTEGER)), max(CAST(-r AS INTEGER)), \
         min(CAST(m AS REAL)), typeof(max(CAST(r AS INTEGER))) FROM w",
        "SELECT CAST(r AS INTEGER) AS k, count(*) FROM w GROUP BY k ORDER BY 2 DESC, 1 LIMIT 5",
        // Aggregate FILTER clauses (compiled as scan filters are) over every class.
        "SELECT count(*) FILTER (WHERE m > 1), sum(r) FILTER (WHERE t = g), \
         count(*) FILTER (WHERE m = '1'), total(id) FILTER (WHERE m IS NULL OR r < 0), \
         max(t) FILTER (WHERE t LIKE '%1%'), count(m) FILTER (WHERE m IN (1, 'x', 2.0)) FROM w",
        "SELECT g, count(*) FILTER (WHERE r BETWEEN 0 AND 5), min(m) FILTER (WHERE NOT m) \
         FROM w GROUP BY g ORDER BY g LIMIT 8",
        // substr() slices compared, counted, matched, concatenated, grouped.
        "SELECT count(*) FROM w WHERE substr(t, 2) = substr(g, 2)",
        "SELECT typeof(substr(m, 1, 1)) AS k, count(*) FROM w GROUP BY k",
        "SELECT count(*) FROM w WHERE substr(t, 1, 1) < substr(m, 1, 1)",
        "SELECT count(*) FROM w WHERE substr(t, 2) LIKE '%1%' OR substr(t, 1, 1) = 'é'",
        "SELECT sum(length(substr(t, 2))), sum(octet_length(substr(t, -2))), \
         sum(length(substr(m, 2, 3))) FROM w",
        "SELECT substr(t, 1, 1) AS k, count(*), max(r) FROM w GROUP BY k",
        "SELECT trim(substr(t, 1, 2)) AS k, count(*) FROM w GROUP BY k ORDER BY 1",
        "SELECT max(substr(t, 2) || '-' || substr(g, 2)), min(substr(substr(t, 2), 1, 2)) \
         FROM w",
        // coalesce() / ifnull() / nullif() in filters, projections, aggregates, keys.
        "SELECT count(*) FROM w WHERE coalesce(t, m, g) = 'g1' OR ifnull(t, 'none') LIKE \
         'k%'",
        "SELECT sum(length(ifnull(t, m))), count(coalesce(m, t)), count(nullif(t, '1')), \
         count(nullif(m, 1)) FROM w",
        "SELECT coalesce(t, g) AS k, count(*) FROM w GROUP BY k ORDER BY 2 DESC, 1 LIMIT 5",
        "SELECT ifnull(t, '?') || g, nullif(m, 'x') FROM w ORDER BY id LIMIT 40",
        // instr() and replace() of texts, numbers, blobs, NULL, multibyte text.
        "SELECT sum(instr(t, 'é')), sum(instr(m, '1')), sum(instr(t, '')), \
         sum(instr(t, g)) FROM w",
        "SELECT count(*) FROM w WHERE instr(t, '1') > 1",
        "SELECT instr(upper(t), 'K') AS k, count(*) FROM w GROUP BY k ORDER BY 1",
        "SELECT max(replace(t, 'é', 'e')), min(replace(t, '1', 'one')), max(replace(m, 'K', \
         '')), max(replace(t, 'long text', 'x')) FROM w",
        "SELECT count(*) FROM w WHERE replace(t, 'k', 'K') = upper(t)",
        // upper()/lower() of text compared and matched.
        "SELECT count(*) FROM w WHERE upper(t) LIKE 'K1%' AND lower(g) = 'g1'",
        // Simple CASE on numbers: integer, real and text WHENs, NULL operand rows.
        "SELECT sum(CASE id % 5 WHEN 0 THEN 1 WHEN 1.0 THEN 2 WHEN '2' THEN 3 END) FROM w",
        "SELECT sum(CASE r WHEN 0.5 THEN 1 WHEN 2 THEN 2 ELSE 0 END), sum(CASE m WHEN 1 \
         THEN 1 WHEN 2.0 THEN 2 ELSE 0 END) FROM w",
        "SELECT CASE CAST(substr(t, 2) AS INTEGER) % 3 WHEN 0 THEN 'a' WHEN 1 THEN 'b' END \
         AS k, count(*) FROM w GROUP BY k",
    ];
    for sql in queries {
        assert_same_rows(&ours, &theirs, sql);
    }
}

/// Date functions and printf() compiled as calls over columns and `||` chains (their chain
/// arguments written into lent spare buffers), in filters, projections, group
/// keys and aggregate arguments over mixed values: modifiers of every shape (numbers with
/// signs, leading zeros, reals, NULL parts, any case, one longer than the stack copy),
/// against SQLite.
#[test]
fn date_and_printf_calls_answer_as_sqlite() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    ours.execute(MIXED_SCHEMA, ()).unwrap();
    theirs.execute(MIXED_SCHEMA, []).unwrap();
    for row in mixed_rows(1500) {
        ours.execute("INSERT INTO w VALUES (?, ?, ?, ?, ?)", row.as_slice())
            .unwrap();
        let values: Vec<_> = row.iter().map(to_sqlite).collect();
        theirs
            .execute(
                "INSERT INTO w VALUES (?, ?, ?, ?, ?)",
                rusqlite::params_from_iter(values),
            )
            .unwrap();
    }
    let queries = [
        // Filters over a date of a bounded chain (compiled), and of columns.
        "SELECT count(*), sum(id) FROM w WHERE date('2024-01-01', '+' || (id % 30) || \
         ' days') > '2024-01-15'",
        "SELECT count(*) FROM w WHERE datetime('2024-01-01', '+' || r || ' hours') < \
         '2024-01-02'",
        "SELECT count(*) FROM w WHERE date(m) IS NULL OR julianday(t) > 2400000",
        "SELECT count(*) FROM w WHERE time('12:00', (id % 90 - 45) || ' minutes') >= '12:00:00'",
        // Modifiers: no sign, leading zeros, any case, weekday, start of, NULL parts, long.
        "SELECT id, date('2024-01-01', (id % 50 - 25) || ' days'), date('2024-01-31', '+0' \
         || (id % 9) || ' MONTHS'), date('2024-03-01', 'weekday ' || (id % 8)) FROM w \
         ORDER BY id LIMIT 120",
        "SELECT id, strftime('%Y-%m-%d %H:%M %j', '2024-02-29', '+' || (id % 400) || ' Days', \
         'Start Of Month'), unixepoch('2000-01-01', '+' || id || ' seconds'), \
         date('2024-01-01', '+' || m || ' days') FROM w ORDER BY id LIMIT 150",
        "SELECT count(date('2024-01-01', '+' || id || ' days' || '                 padded')), \
         count(date('2024-01-01', '+' || id || '.5 days')), count(date('2024-01-01', \
         '+1e1 days', '-' || id || ' years')) FROM w",
        "SELECT date(m), datetime(r), time(t), julianday(m), strftime(t, '2024-05-06') FROM w \
         ORDER BY id LIMIT 300",
        // As group keys and aggregate arguments.
        "SELECT date('2024-01-01', '+' || (id % 5) || ' days') AS k, count(*) FROM w GROUP \
         BY k ORDER BY k",
        "SELECT max(date('2024-01-01', '+' || id || ' days')), min(datetime(id * 1000, \
         'unixepoch')), count(time(g)) FROM w",
        // printf(): integers padded, grouped, signed; reals; texts made by `||`; a format
        // read from a column; quoting.
        "SELECT max(printf('%08d-%s', id, g)), min(printf('%5.2f|%s', r, t)), \
         max(printf('%d %i %u', m, r, -id)) FROM w",
        "SELECT id, printf('%s', t || g), printf('%,d', id * 1000), printf('%.3d|%+d|%-6d|', \
         id, m, id), printf('%q', t || ''''), printf(t, id) FROM w ORDER BY id LIMIT 200",
        "SELECT printf(''), printf('', 5), typeof(printf('')), printf(NULL), printf('%s', '')",
        "SELECT printf('%02d', id % 13) AS k, count(*) FROM w GROUP BY k ORDER BY k",
        "SELECT count(*) FROM w WHERE printf('%d-%s', id % 7, g) = '3-g3'",
    ];
    for sql in queries {
        assert_same_rows(&ours, &theirs, sql);
    }
}

/// round(x, digits) over many doubles of every shape (halves at few decimals, every scale,
/// random bit patterns, long expansions) and every digit count, bit for bit as the bundled
/// SQLite answers (its sign of zero included).
#[test]
fn round_answers_as_sqlite_bit_for_bit() {
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    let mut statement = theirs.prepare("SELECT round(?1, ?2)").unwrap();
    let mut rng = fastrand::Rng::with_seed(354);
    for _ in 0..60_000 {
        let x = match rng.u8(0..7) {
            0 => rng.i64(-1_000_000..1_000_000) as f64 / 10f64.powi(rng.i32(1..=6)),
            1 => (rng.f64() - 0.5) * 10f64.powi(rng.i32(-20..=17)),
            2 => f64::from_bits(rng.u64(..)),
            3 => rng.i64(-100_000..100_000) as f64 / 8.0 + 0.005,
            4 => rng.i64(..) as f64 / 1e3,
            5 => rng.i64(-1_000_000..1_000_000) as f64 / 1000.0 + 0.0005,
            _ => rng.f64(),
        };
        if !x.is_finite() {
            continue;
        }
        let digits = rng.i64(-1..=31);
        let want: f64 = statement
            .query_row(rusqlite::params![x, digits], |row| row.get(0))
            .unwrap();
        let got = ours
            .query("SELECT round(?, ?)", (x, digits))
            .unwrap()
            .values()[0][0]
            .clone();
        assert_eq!(
            got,
            Value::Real(want),
            "round({x:?}, {digits}): SQLite {want:?}"
        );
        let Value::Real(got) = got else {
            unreachable!()
        };
        assert_eq!(got.to_bits(), want.to_bits(), "round({x:?}, {digits}) sign");
    }
}
