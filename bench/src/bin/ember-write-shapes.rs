//! Write shapes against SQLite in the same run: UPDATE by key, by index range and by scan, updates
//! of indexed columns, INSERT .. SELECT, DELETE by range, upsert, INSERT OR REPLACE, RETURNING,
//! copying and emptying a whole table, CREATE INDEX; the probe for the writes an outside harness
//! may time beside the main bench's W1 (bulk insert) and W3 (point updates). Both engines get the
//! same rows (`ember_bench::shapes::load`); SQLite's statements are prepared once and held. Each
//! shape is one or more statements in autocommit whose effect does not depend on how many times
//! they ran (an UPDATE to a fixed value, an INSERT undone by the DELETE after it), so both engines
//! end in the same state however many runs the time budget allows: the first run's answers (rows
//! changed, rows returned) and the tables' state after the timed runs are compared, and a shape
//! whose answers differ is flagged, not timed. Run: `cargo run --release -p ember-bench --bin
//! ember-write-shapes -- --rows 200000`. `--profile RUNS` runs each selected shape RUNS times per
//! engine untimed, in functions callgrind can toggle on (`profiled_ember_writes`,
//! `profiled_sqlite_writes`).

use std::time::Duration;

use ember::Database;
use ember_bench::shapes::{
    ember_answer, ember_write_answer, geometric_mean, load, median, returns_rows, sqlite_answer,
    sqlite_write_answer, time_median, usage, Answer, ShapeArgs,
};

/// A write shape: statements run once untimed before it, and the statements one timed
/// run executes, in order.
struct WriteShape {
    name: &'static str,
    setup: &'static [&'static str],
    statements: &'static [&'static str],
}

const fn shape(name: &'static str, statements: &'static [&'static str]) -> WriteShape {
    WriteShape {
        name,
        setup: &[],
        statements,
    }
}

/// Every shape timed; new shapes go at the end, so earlier tables stay comparable.
const SHAPES: &[WriteShape] = &[
    shape(
        "UPDATE point by key",
        &["UPDATE t SET c = 0.25, g = 'g9' WHERE id = 4242"],
    ),
    shape(
        "UPDATE key range",
        &["UPDATE t SET b = a % 1000 WHERE id BETWEEN 5000 AND 5999"],
    ),
    shape(
        "UPDATE by index range",
        &["UPDATE t SET c = 0.5 WHERE a BETWEEN 2000 AND 2049"],
    ),
    shape(
        "UPDATE by scan filter",
        &["UPDATE t SET b = 7, c = c * 0 + 0.75 WHERE g = 'g3' AND b < 100"],
    ),
    shape(
        "UPDATE indexed text by scan",
        &["UPDATE t SET s = upper(s) WHERE b = 7"],
    ),
    shape(
        "UPDATE indexed column, twice",
        &[
            "UPDATE t SET a = -a WHERE id BETWEEN 7000 AND 7249",
            "UPDATE t SET a = -a WHERE id BETWEEN 7000 AND 7249",
        ],
    ),
    shape(
        "UPDATE many rows, one column",
        &["UPDATE t SET c = 0.125 WHERE id <= 20000"],
    ),
    shape(
        "INSERT .. SELECT + DELETE range",
        &[
            "INSERT INTO t SELECT id + 10000000, a, b, c, s, g FROM t WHERE id BETWEEN 1000 \
             AND 1199",
            "DELETE FROM t WHERE id > 10000000",
        ],
    ),
    shape(
        "point INSERT + DELETE",
        &[
            "INSERT INTO t VALUES (20000001, 5, 5, 0.5, 'kx', 'g5')",
            "DELETE FROM t WHERE id = 20000001",
        ],
    ),
    WriteShape {
        name: "DELETE by index range + reinsert",
        setup: &[
            "CREATE TABLE keep(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, \
             g TEXT)",
            "INSERT INTO keep SELECT * FROM t WHERE a BETWEEN 3000 AND 3049",
        ],
        statements: &[
            "DELETE FROM t WHERE a BETWEEN 3000 AND 3049",
            "INSERT INTO t SELECT * FROM keep",
        ],
    },
    shape(
        "upsert DO UPDATE",
        &[
            "INSERT INTO t VALUES (77, 1, 2, 0.5, 'k77', 'g1') ON CONFLICT(id) DO UPDATE SET \
           b = excluded.b, c = excluded.c",
        ],
    ),
    shape(
        "INSERT OR REPLACE from SELECT",
        &["INSERT OR REPLACE INTO t SELECT * FROM t WHERE id BETWEEN 3000 AND 3499"],
    ),
    shape(
        "UPDATE .. RETURNING",
        &["UPDATE t SET b = 7 WHERE id BETWEEN 300 AND 319 RETURNING id, a, b"],
    ),
    shape(
        "DELETE .. RETURNING + reinsert",
        &[
            "DELETE FROM u WHERE id BETWEEN 100 AND 139 RETURNING id, t_id",
            "INSERT INTO u SELECT id, id * 3, 0.5 FROM t WHERE id BETWEEN 100 AND 139",
        ],
    ),
    WriteShape {
        name: "INSERT .. SELECT every row",
        setup: &[
            "CREATE TABLE copy_all(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, \
             s TEXT, g TEXT)",
        ],
        statements: &[
            "INSERT INTO copy_all SELECT * FROM t",
            "DELETE FROM copy_all WHERE id > 0",
        ],
    },
    WriteShape {
        name: "DELETE every row",
        setup: &[
            "CREATE TABLE emptied(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, \
             s TEXT, g TEXT)",
            "CREATE INDEX emptied_a ON emptied(a)",
        ],
        statements: &["INSERT INTO emptied SELECT * FROM t", "DELETE FROM emptied"],
    },
    // IF [NOT] EXISTS: SQLite prepares both statements before the first runs.
    shape(
        "CREATE INDEX on TEXT + DROP",
        &[
            "CREATE INDEX IF NOT EXISTS t_s_again ON t(s)",
            "DROP INDEX IF EXISTS t_s_again",
        ],
    ),
];

/// Queries whose answers describe the tables' state (through both indexes of `t` too):
/// compared after a shape's timed runs.
const STATE: &[&str] = &[
    "SELECT count(*), sum(a), sum(b), sum(c), min(s), max(s), max(g), sum(length(s)) FROM t",
    "SELECT count(*), sum(id) FROM t WHERE a BETWEEN -1000000000 AND 1000000000",
    "SELECT count(*), sum(id) FROM t WHERE s >= ''",
    "SELECT count(*), sum(t_id), sum(x) FROM u",
];

/// One run of a shape on EmberDB: its statements' answers, in order. `returns` says which
/// statements return rows (found once, as for SQLite's held statements).
fn ember_run(conn: &ember::Connection, shape: &WriteShape, returns: &[bool]) -> Vec<Answer> {
    shape
        .statements
        .iter()
        .zip(returns)
        .map(|(sql, &returns)| ember_write_answer(conn, sql, returns))
        .collect()
}

/// One run of a shape on SQLite, through its held statements.
fn sqlite_run(statements: &mut [(rusqlite::Statement<'_>, bool)]) -> Vec<Answer> {
    statements
        .iter_mut()
        .map(|(statement, returns)| sqlite_write_answer(statement, *returns))
        .collect()
}

/// `runs` runs of a shape on EmberDB, alone in one function for callgrind:
/// `valgrind --tool=callgrind --toggle-collect='*profiled_ember_writes*'
/// target/release/ember-write-shapes --rows 50000 --only NAME --profile 5`.
#[inline(never)]
fn profiled_ember_writes(
    conn: &ember::Connection,
    shape: &WriteShape,
    returns: &[bool],
    runs: usize,
) {
    for _ in 0..runs {
        std::hint::black_box(ember_run(conn, shape, returns));
    }
}

/// As `profiled_ember_writes`, for SQLite (`--toggle-collect='*profiled_sqlite_writes*'`).
#[inline(never)]
fn profiled_sqlite_writes(statements: &mut [(rusqlite::Statement<'_>, bool)], runs: usize) {
    for _ in 0..runs {
        std::hint::black_box(sqlite_run(statements));
    }
}

/// The state queries' answers on both engines; a description of the first difference.
fn state_difference(ember: &ember::Connection, sqlite: &rusqlite::Connection) -> Option<String> {
    STATE.iter().find_map(|sql| {
        let mut statement = sqlite.prepare(sql).expect("sqlite prepare");
        let (got, expected) = (ember_answer(ember, sql), sqlite_answer(&mut statement));
        let agree = got.agrees_with(&expected, sql);
        (!agree).then(|| format!("state {sql}: {got:?} vs {expected:?}"))
    })
}

fn main() {
    // The shapes read ids up to 20,000 and write keys from 10,000,000 up.
    let args = match ShapeArgs::parse(std::env::args().skip(1), 20_000..=5_000_000) {
        Ok(args) => args,
        Err(message) => {
            eprintln!("ember-write-shapes: {message}");
            eprintln!("{}", usage("ember-write-shapes"));
            std::process::exit(2);
        }
    };
    if args.shapes_file.is_some() {
        eprintln!("ember-write-shapes: --shapes: only ember-shapes reads a shapes file");
        std::process::exit(2);
    }
    let db = Database::in_memory();
    let ember = db.connect();
    let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite");
    let loading = std::time::Instant::now();
    load(args.rows, &ember, &sqlite);
    eprintln!(
        "loaded {} rows into each engine in {:.1} s",
        args.rows,
        loading.elapsed().as_secs_f64()
    );
    let budget = Duration::from_millis(args.ms);
    println!("| write shape | EmberDB ms | SQLite ms | SQLite / EmberDB |");
    println!("|---|--:|--:|--:|");
    let mut ratios = Vec::new();
    for shape in SHAPES {
        if !args.selects(shape.name) {
            continue;
        }
        for sql in shape.setup {
            ember.execute(sql, ()).expect("ember setup");
            sqlite.execute(sql, []).expect("sqlite setup");
        }
        let mut statements: Vec<(rusqlite::Statement<'_>, bool)> = shape
            .statements
            .iter()
            .map(|sql| {
                let statement = sqlite.prepare(sql).expect("sqlite prepare");
                (statement, returns_rows(sql))
            })
            .collect();
        let returns: Vec<bool> = statements.iter().map(|(_, returns)| *returns).collect();
        let expected = sqlite_run(&mut statements);
        let got = ember_run(&ember, shape, &returns);
        let agree = got.len() == expected.len()
            && (got.iter().zip(&expected).zip(shape.statements.iter()))
                .all(|((got, expected), sql)| got.agrees_with(expected, sql));
        if !agree {
            println!(
                "| {} | wrong answer: {got:?} | {expected:?} | - |",
                shape.name
            );
            continue;
        }
        if let Some(runs) = args.profile {
            profiled_ember_writes(&ember, shape, &returns, runs);
            profiled_sqlite_writes(&mut statements, runs);
            println!("| {} | profiled {runs} runs | - | - |", shape.name);
            continue;
        }
        let (mut ember_times, mut sqlite_times) = (Vec::new(), Vec::new());
        for _ in 0..args.rounds {
            ember_times.push(time_median(budget, || {
                std::hint::black_box(ember_run(&ember, shape, &returns));
            }));
            sqlite_times.push(time_median(budget, || {
                std::hint::black_box(sqlite_run(&mut statements));
            }));
        }
        drop(statements);
        if let Some(difference) = state_difference(&ember, &sqlite) {
            println!(
                "| {} | wrong state after the runs: {difference} | - | - |",
                shape.name
            );
            continue;
        }
        let (ember_s, sqlite_s) = (median(ember_times), median(sqlite_times));
        let ratio = sqlite_s / ember_s;
        ratios.push(ratio);
        println!(
            "| {} | {:.3} | {:.3} | {:.2}x |",
            shape.name,
            ember_s * 1000.0,
            sqlite_s * 1000.0,
            ratio
        );
    }
    if !ratios.is_empty() {
        println!(
            "\ngeometric mean SQLite / EmberDB over {} write shapes: {:.2}x",
            ratios.len(),
            geometric_mean(&ratios)
        );
    }
}
