//! Query shapes the main bench does not time, against SQLite in the same run: a probe for
//! the shapes an outside harness may try (prefix LIKE, IN lists, DISTINCT, semi and anti
//! joins, OFFSET, window functions, CTEs, UNION, correlated subqueries, text sorts, ...);
//! new shapes go at the end of `SHAPES`, so earlier tables stay comparable.
//! Both engines get the same rows; SQLite's statements are prepared once and held, its
//! table keyed by `id INTEGER PRIMARY KEY` and indexed as EmberDB's is. Each query runs
//! until `--ms` milliseconds passed (at least 3 times) per engine, the engines alternating
//! `--rounds` times; the median time per query is printed with the ratio SQLite / EmberDB
//! (above 1: EmberDB faster). Both engines' answers are compared (row count, the rows as a
//! set, and their order when the query ends in an ORDER BY), so a shape that answers wrongly
//! is flagged, not timed as fast.
//! Run: `cargo run --release -p ember-bench --bin ember-shapes -- --rows 200000`.
//! `--profile RUNS` runs each selected shape RUNS times per engine untimed, in functions
//! callgrind can toggle on (`profiled_ember_runs`, `profiled_sqlite_runs`).

use std::time::{Duration, Instant};

use ember::Database;
use ember_bench::shapes::{
    ember_answer, geometric_mean, load, median, sqlite_answer, time_median, try_ember_answer,
    usage, ShapeArgs,
};

/// The schema, the same text for both engines.
/// (name, SQL): every shape timed.
const SHAPES: &[(&str, &str)] = &[
    (
        "prefix LIKE, indexed",
        "SELECT count(*) FROM t WHERE s LIKE 'k1%'",
    ),
    (
        "text range, indexed",
        "SELECT count(*), max(a) FROM t WHERE s >= 'k2' AND s < 'k21'",
    ),
    (
        "text equality, indexed",
        "SELECT id, a FROM t WHERE s = 'k777'",
    ),
    (
        "IN list on key",
        "SELECT sum(c) FROM t WHERE id IN (5, 17, 99, 1234, 5000, 77777, 150000)",
    ),
    (
        "IN list on index",
        "SELECT count(*) FROM t WHERE a IN (3, 30, 300, 3000)",
    ),
    (
        "key range",
        "SELECT sum(b) FROM t WHERE id BETWEEN 1000 AND 1999",
    ),
    // The index-driven family, each after its relative.
    (
        "count(*) of an index range",
        "SELECT count(*) FROM t WHERE a BETWEEN 2000 AND 2999",
    ),
    ("min/max via index", "SELECT min(a), max(a) FROM t"),
    ("count(*) whole table", "SELECT count(*) FROM t"),
    ("count DISTINCT", "SELECT count(DISTINCT b) FROM t"),
    ("SELECT DISTINCT text", "SELECT DISTINCT g FROM t"),
    (
        "GROUP BY int, HAVING, top",
        "SELECT b, count(*) FROM t GROUP BY b HAVING count(*) > 2 ORDER BY 2 DESC, 1 \
         LIMIT 5",
    ),
    (
        "GROUP BY text min/max",
        "SELECT g, min(c), max(c), avg(b) FROM t GROUP BY g",
    ),
    (
        "ORDER BY LIMIT OFFSET",
        "SELECT id, c FROM t ORDER BY c, id LIMIT 10 OFFSET 1000",
    ),
    (
        "ORDER BY text LIMIT",
        "SELECT id, s FROM t ORDER BY s DESC LIMIT 20",
    ),
    (
        "index range + ORDER BY LIMIT",
        "SELECT id, a FROM t WHERE a >= 30000 ORDER BY a LIMIT 15",
    ),
    (
        "filter arith",
        "SELECT count(*) FROM t WHERE b % 7 = 3 AND c > 0.5",
    ),
    (
        "filter OR",
        "SELECT count(*) FROM t WHERE b = 5 OR c < 0.001 OR g = 'g3'",
    ),
    (
        "filter LIKE infix",
        "SELECT count(*) FROM t WHERE s LIKE '%99%'",
    ),
    (
        "expression projection",
        "SELECT sum(a * 2 + b), sum(length(s)), sum(abs(c - 0.5)) FROM t",
    ),
    (
        "semi join IN subquery",
        "SELECT count(*) FROM t WHERE id IN (SELECT t_id FROM u)",
    ),
    (
        "anti join NOT EXISTS",
        "SELECT count(*) FROM t WHERE NOT EXISTS (SELECT 1 FROM u WHERE u.t_id = t.id)",
    ),
    (
        "LEFT JOIN IS NULL",
        "SELECT count(*) FROM t LEFT JOIN u ON u.t_id = t.id WHERE u.id IS NULL",
    ),
    (
        "join + GROUP BY",
        "SELECT t.g, count(*), sum(u.x) FROM u JOIN t ON t.id = u.t_id GROUP BY t.g",
    ),
    (
        "correlated scalar subquery",
        "SELECT count(*) FROM u WHERE x > (SELECT c FROM t WHERE t.id = u.t_id)",
    ),
    (
        "CTE + aggregate",
        "WITH per AS (SELECT g, sum(c) AS total FROM t GROUP BY g) SELECT max(total), \
         min(total) FROM per",
    ),
    (
        "UNION",
        "SELECT a FROM t WHERE a < 200 UNION SELECT b FROM t WHERE b < 50",
    ),
    (
        "window row_number",
        "SELECT count(*) FROM (SELECT id, row_number() OVER (PARTITION BY g ORDER BY c) \
         AS r FROM t) WHERE r <= 3",
    ),
    (
        "window running sum",
        "SELECT max(run) FROM (SELECT sum(c) OVER (ORDER BY id ROWS BETWEEN 10 \
         PRECEDING AND CURRENT ROW) AS run FROM t WHERE id < 20000)",
    ),
    (
        "CASE + GROUP BY",
        "SELECT CASE WHEN c < 0.25 THEN 'low' WHEN c < 0.75 THEN 'mid' ELSE 'high' END \
         AS band, count(*) FROM t GROUP BY band",
    ),
    (
        "scalar functions",
        "SELECT count(*) FROM t WHERE upper(substr(s, 1, 2)) = 'K5' AND round(c, 2) > \
         0.3",
    ),
    (
        "GROUP BY expression",
        "SELECT b % 10, count(*), sum(c) FROM t GROUP BY b % 10",
    ),
    (
        "concat, length, coalesce projection",
        "SELECT max(s || '-' || g), sum(length(coalesce(s, g))) FROM t",
    ),
    // More expression shapes, after the related ones.
    (
        "GROUP BY concat",
        "SELECT g || '-' || (b % 5) AS k, count(*), sum(c) FROM t GROUP BY k",
    ),
    (
        "replace, instr projection",
        "SELECT max(replace(s, 'k', 'key-')), sum(instr(s, '7')), min(upper(g) || s) FROM t",
    ),
    (
        "CASE in a filter",
        "SELECT count(*) FROM t WHERE CASE WHEN b < 500 THEN c ELSE 1 - c END > 0.7",
    ),
    (
        "abs and lower in a filter",
        "SELECT count(*) FROM t WHERE abs(c - 0.5) < 0.1 AND lower(g) = 'g7'",
    ),
    (
        "IS NOT NULL of an expression",
        "SELECT count(*), sum(a) FROM t WHERE nullif(b % 3, 0) IS NOT NULL",
    ),
    (
        "sum of CASE",
        "SELECT sum(CASE WHEN c > 0.5 THEN b ELSE 0 END), sum(CASE g WHEN 'g1' THEN 1 \
         ELSE 0 END) FROM t",
    ),
    (
        "iif, nullif sums",
        "SELECT sum(iif(b > 500, c, 0)), count(nullif(g, 'g1')), sum(CASE b % 4 WHEN 0 THEN a \
         WHEN 1 THEN -a END) FROM t",
    ),
    (
        "CAST in a filter",
        "SELECT count(*), sum(b) FROM t WHERE CAST(substr(s, 2) AS INTEGER) % 7 = 0",
    ),
    (
        "GROUP BY + ORDER BY count LIMIT",
        "SELECT g, count(*) AS n FROM t GROUP BY g ORDER BY n DESC, g LIMIT 5",
    ),
    (
        "index range SELECT *",
        "SELECT * FROM t WHERE a BETWEEN 100 AND 140",
    ),
    (
        "join + filter, no index",
        "SELECT count(*), sum(u.x) FROM t JOIN u ON u.t_id = t.id WHERE t.b < 10",
    ),
    (
        "text equality, no index",
        "SELECT max(c), count(*) FROM t WHERE g = 'g7'",
    ),
    (
        "filter + ORDER BY LIMIT",
        "SELECT id, c FROM t WHERE b = 7 ORDER BY c DESC LIMIT 5",
    ),
    (
        "IN subquery on index",
        "SELECT count(*) FROM t WHERE a IN (SELECT t_id FROM u WHERE x < 0.01)",
    ),
    (
        "scalar subquery per group",
        "SELECT g, (SELECT count(*) FROM u WHERE u.x > 0.5) FROM t GROUP BY g",
    ),
    (
        "aggregate of a join, both filtered",
        "SELECT avg(t.c) FROM t JOIN u ON u.t_id = t.id WHERE u.x < 0.1 AND t.g < 'g2'",
    ),
    // More of the same families.
    (
        "LEFT JOIN on index, IS NULL",
        "SELECT count(*), sum(u.x) FROM u LEFT JOIN t ON t.a = u.t_id WHERE t.id IS NULL",
    ),
    (
        "NOT EXISTS on index",
        "SELECT count(*) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    ),
    (
        "EXISTS on index",
        "SELECT count(*), sum(x) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id)",
    ),
    (
        "NOT IN subquery",
        "SELECT count(*) FROM t WHERE id NOT IN (SELECT t_id FROM u WHERE x < 0.5)",
    ),
    (
        "3-table join + GROUP BY",
        "SELECT t2.g, count(*) FROM u JOIN t ON t.id = u.t_id JOIN t AS t2 ON t2.id = \
         t.b + 1 GROUP BY t2.g",
    ),
    (
        "ORDER BY expression LIMIT",
        "SELECT id, a + b FROM t ORDER BY a + b DESC, id LIMIT 10",
    ),
    (
        "ORDER BY lower(s) LIMIT",
        "SELECT id, s FROM t ORDER BY lower(s) DESC, id LIMIT 10",
    ),
    (
        "GROUP BY two columns",
        "SELECT g, b % 10, count(*), sum(c) FROM t GROUP BY g, b % 10",
    ),
    (
        "window rank over text",
        "SELECT count(*) FROM (SELECT rank() OVER (PARTITION BY b ORDER BY s) AS r FROM t) \
         WHERE r = 1",
    ),
    // Counts over indexes, EXISTS / NOT EXISTS of other shapes.
    (
        "count(a) of an open index range",
        "SELECT count(a) FROM t WHERE a >= 1000 AND a < 1500",
    ),
    (
        "EXISTS with an extra condition",
        "SELECT count(*) FROM u WHERE EXISTS (SELECT 1 FROM t WHERE t.a = u.t_id AND t.b < 500)",
    ),
    (
        "NOT EXISTS on the primary key",
        "SELECT count(*), sum(x) FROM u WHERE NOT EXISTS (SELECT 1 FROM t WHERE t.id = u.t_id \
         AND t.c < 0.5)",
    ),
    (
        "EXISTS on an unindexed column",
        "SELECT count(*) FROM t WHERE EXISTS (SELECT 1 FROM u WHERE u.t_id = t.b)",
    ),
    // More of the text-function family.
    (
        "substr GROUP BY key",
        "SELECT substr(s, 1, 3) AS k, count(*), max(c) FROM t GROUP BY k",
    ),
    (
        "upper LIKE filter",
        "SELECT count(*), sum(b) FROM t WHERE upper(s) LIKE 'K1%'",
    ),
    (
        "coalesce, nullif filter",
        "SELECT count(*), sum(a) FROM t WHERE coalesce(nullif(g, 'g1'), s) > 'g3'",
    ),
    (
        "trim, hex projection",
        "SELECT sum(length(trim(s, 'k'))), max(hex(b)), count(ltrim(g, 'g')) FROM t",
    ),
    // Expression shapes written without looking at the engine's paths.
    (
        "nested CASE sum",
        "SELECT sum(CASE WHEN b < 300 THEN CASE WHEN c < 0.5 THEN a ELSE b END WHEN b < 700 \
         THEN a - b END), count(CASE WHEN g > 'g4' THEN s END) FROM t",
    ),
    (
        "REAL and INTEGER arithmetic mix",
        "SELECT sum(a * c + b / 3), avg((b - 500) * 1.5), max(a % 13 * c - b) FROM t",
    ),
    (
        "ifnull of nullif arithmetic",
        "SELECT sum(ifnull(nullif(b % 5, 0), -1) * 2), count(nullif(a % 3, 1) + c), \
         total(b / nullif(a % 4, 0)) FROM t",
    ),
    (
        "simple CASE on REAL in a filter",
        "SELECT count(*), sum(b) FROM t WHERE CASE b % 3 WHEN 0 THEN c * 2 WHEN 1 THEN c + \
         0.25 ELSE -c END BETWEEN 0.3 AND 0.9",
    ),
    (
        "string functions projection",
        "SELECT max(upper(g) || ':' || substr(s, 3)), sum(instr(s, '5') + length(g)), \
         min(lower(s) || b) FROM t",
    ),
    (
        "CAST and division filter",
        "SELECT count(*), sum(c) FROM t WHERE CAST(c * 100 AS INTEGER) / (b % 10) > 5",
    ),
    (
        "correlated subquery, repeating outer value",
        "SELECT count(*) FROM t WHERE c > (SELECT avg(c) FROM t t2 WHERE t2.a = t.b)",
    ),
    (
        "correlated subquery, unique outer value",
        "SELECT count(*) FROM u WHERE x < (SELECT count(*) FROM t WHERE t.a = u.t_id) * 0.3",
    ),
];

/// `runs` runs of `sql` on EmberDB, alone in one function so that callgrind can count
/// exactly them: `valgrind --tool=callgrind --toggle-collect='*profiled_ember_runs*'
/// target/release/ember-shapes --rows 50000 --only NAME --profile 5`.
#[inline(never)]
fn profiled_ember_runs(conn: &ember::Connection, sql: &str, runs: usize) {
    for _ in 0..runs {
        std::hint::black_box(ember_answer(conn, sql));
    }
}

/// As `profiled_ember_runs`, for SQLite (`--toggle-collect='*profiled_sqlite_runs*'`).
#[inline(never)]
fn profiled_sqlite_runs(statement: &mut rusqlite::Statement<'_>, runs: usize) {
    for _ in 0..runs {
        std::hint::black_box(sqlite_answer(statement));
    }
}

fn main() {
    let args = match ShapeArgs::parse(std::env::args().skip(1), 100..=20_000_000) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("ember-shapes: {message}");
            eprintln!("{}", usage("ember-shapes"));
            std::process::exit(2);
        }
    };
    let shapes = match args.shapes(SHAPES) {
        Ok(shapes) => shapes,
        Err(message) => {
            eprintln!("ember-shapes: {message}");
            std::process::exit(2);
        }
    };
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite");
    let loading = Instant::now();
    load(args.rows, &ember, &sqlite);
    eprintln!(
        "loaded {} rows into each engine in {:.1} s",
        args.rows,
        loading.elapsed().as_secs_f64()
    );
    let budget = Duration::from_millis(args.ms);
    println!("| shape | EmberDB ms | SQLite ms | SQLite / EmberDB |");
    println!("|---|--:|--:|--:|");
    let mut ratios = Vec::new();
    for (name, sql) in &shapes {
        let (name, sql) = (name.as_str(), sql.as_str());
        if !args.selects(name) {
            continue;
        }
        let mut statement = match sqlite.prepare(sql) {
            Ok(statement) => statement,
            Err(e) => {
                println!("| {name} | - | SQLite error: {e} | - |");
                continue;
            }
        };
        let expected = sqlite_answer(&mut statement);
        let got = match try_ember_answer(&ember, sql) {
            Ok(got) => got,
            Err(e) => {
                println!("| {name} | EmberDB error: {e} | - | - |");
                continue;
            }
        };
        if !got.agrees_with(&expected, sql) {
            println!("| {name} | wrong answer: {got:?} | {expected:?} | - |");
            continue;
        }
        if let Some(runs) = args.profile {
            profiled_ember_runs(&ember, sql, runs);
            profiled_sqlite_runs(&mut statement, runs);
            println!("| {name} | profiled {runs} runs | - | - |");
            continue;
        }
        let (mut ember_times, mut sqlite_times) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            ember_times.push(time_median(budget, || {
                std::hint::black_box(ember_answer(&ember, sql));
            }));
            sqlite_times.push(time_median(budget, || {
                std::hint::black_box(sqlite_answer(&mut statement));
            }));
        }
        let (ember_s, sqlite_s) = (median(ember_times), median(sqlite_times));
        let ratio = sqlite_s / ember_s;
        ratios.push(ratio);
        println!(
            "| {name} | {:.3} | {:.3} | {:.2}x |",
            ember_s * 1000.0,
            sqlite_s * 1000.0,
            ratio
        );
    }
    if !ratios.is_empty() {
        println!(
            "\ngeometric mean SQLite / EmberDB over {} shapes: {:.2}x",
            ratios.len(),
            geometric_mean(&ratios)
        );
    }
}
