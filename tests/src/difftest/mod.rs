//! The differential tester: random schemas, rows and queries (`gen.rs`, `query.rs`) run on
//! EmberDB and on SQLite (rusqlite, bundled); results are compared as multisets, along with
//! error / no error. Plus two oracles that need no second engine, run on EmberDB: TLP (a
//! query's rows are the union of its `WHERE p`, `WHERE NOT p` and `WHERE p IS NULL` parts)
//! and NoREC (`count(*) ... WHERE p` equals the number of rows where `CASE WHEN p` holds).
//! Seeded and replayable: a case is `(seed, case index)`. Accepted dialect differences are
//! listed, with reasons, in `known.rs`. `run_modern` runs the statements of `modern.rs`
//! (CTEs, window functions, every join form, upserts and RETURNING) on both engines the
//! same way, and after each write compares the written table. `run_features` runs the
//! steps of `features.rs` (triggers, generated columns, row values, transactional DDL, the
//! catalog) the same way, comparing the tables and catalog each step may change.

pub mod features;
pub mod gen;
pub mod known;
pub mod modern;
pub mod query;

use std::fmt;

use ember::{Connection, Database, Value};

use gen::{Rng, Schema};
use query::QueryGen;

/// A value normalized for comparison across engines.
#[derive(Clone, Debug, PartialEq, PartialOrd)]
pub enum Cell {
    Null,
    Integer(i64),
    /// Reals compare after rounding to 12 significant digits (see known.rs).
    Real(String),
    Text(String),
    Blob(Vec<u8>),
}

fn real_cell(real: f64) -> Cell {
    // -0.0 and 0.0 are the same number; both engines print them alike.
    let real = if real == 0.0 { 0.0 } else { real };
    Cell::Real(format!("{real:.11e}"))
}

impl Cell {
    fn from_ember(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(i) => Cell::Integer(*i),
            // known.rs: EmberDB has a BOOLEAN type; SQLite answers comparisons with 1 / 0.
            Value::Boolean(b) => Cell::Integer(i64::from(*b)),
            Value::Real(r) => real_cell(*r),
            Value::Text(t) => Cell::Text(t.clone()),
            Value::Blob(b) => Cell::Blob(b.clone()),
        }
    }

    fn from_sqlite(value: rusqlite::types::ValueRef<'_>) -> Cell {
        use rusqlite::types::ValueRef;
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(r) => real_cell(r),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }
}

/// A query's outcome: its rows sorted (a multiset), or an error message.
pub type Outcome = Result<Vec<Vec<Cell>>, String>;

fn sorted(mut rows: Vec<Vec<Cell>>) -> Vec<Vec<Cell>> {
    rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
    rows
}

/// Runs `sql` on EmberDB through a prepared statement's lazy `Rows` (the SLT suite reads
/// through `Connection::query`, so the two ways of reading rows are both checked).
fn run_ember(conn: &Connection, sql: &str) -> Outcome {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let rows = statement.query(()).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    for row in rows {
        let row = row.map_err(|e| e.to_string())?;
        out.push(row.values().iter().map(Cell::from_ember).collect());
    }
    Ok(sorted(out))
}

fn run_sqlite(conn: &rusqlite::Connection, sql: &str) -> Outcome {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let width = statement.column_count();
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let mut cells = Vec::with_capacity(width);
        for index in 0..width {
            cells.push(Cell::from_sqlite(
                row.get_ref(index).map_err(|e| e.to_string())?,
            ));
        }
        out.push(cells);
    }
    Ok(sorted(out))
}

/// A disagreement found by one of the oracles, with everything needed to replay it.
#[derive(Debug)]
pub struct Mismatch {
    pub seed: u64,
    pub case: u64,
    pub oracle: &'static str,
    pub setup: Vec<String>,
    pub sql: String,
    pub detail: String,
}

impl fmt::Display for Mismatch {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "{} mismatch (seed {}, case {}):",
            self.oracle, self.seed, self.case
        )?;
        for statement in &self.setup {
            writeln!(f, "  {statement};")?;
        }
        writeln!(f, "  {};", self.sql)?;
        write!(f, "  {}", self.detail)
    }
}

/// Counts from a run.
#[derive(Debug, Default, Clone)]
pub struct Stats {
    pub queries: u64,
    /// Queries both engines answered (with the same rows, unless a mismatch was reported).
    pub both_answered: u64,
    pub both_errored: u64,
    /// Disagreements explained by known.rs, by the name of the difference.
    pub known_differences: std::collections::BTreeMap<&'static str, u64>,
    pub tlp_checks: u64,
    pub norec_checks: u64,
}

impl CaseRun {
    /// Both engines with the case's setup run.
    fn open(seed: u64, case: u64, setup: Vec<String>) -> CaseRun {
        let ember = Database::in_memory().connect();
        let sqlite = rusqlite::Connection::open_in_memory().expect("sqlite opens");
        for statement in &setup {
            ember.execute(statement, ()).expect("setup runs on EmberDB");
            sqlite.execute(statement, []).expect("setup runs on SQLite");
        }
        CaseRun {
            seed,
            case,
            setup,
            ember,
            sqlite,
            mismatches: Vec::new(),
        }
    }
}

fn case_rng(seed: u64, case: u64) -> Rng {
    Rng::new(seed ^ case.wrapping_mul(0x2545_F491_4F6C_DD1D))
}

/// One database pair with a random schema and rows, reused for `queries` queries.
pub fn run_case(seed: u64, case: u64, queries: u64, stats: &mut Stats) -> Vec<Mismatch> {
    let mut rng = case_rng(seed, case);
    let schema = Schema::random(&mut rng);
    let setup = schema.setup_sql(&mut rng);
    let mut case_run = CaseRun::open(seed, case, setup);
    let mut gen = QueryGen::new(&schema);
    for _ in 0..queries {
        let select = gen.select(&mut rng);
        stats.queries += 1;
        case_run.differential(&select.sql(), stats);
        if let Some(predicate) = &select.predicate {
            if select.partitionable() {
                case_run.tlp(&select, predicate, stats);
            }
            case_run.norec(&select.from, predicate, stats);
        }
    }
    case_run.mismatches
}

/// A case's generator, random tables and setup: the tables' statements, then `extra`'s.
fn case_setup(
    seed: u64,
    case: u64,
    extra: fn(&mut Rng) -> Vec<String>,
) -> (Rng, Schema, Vec<String>) {
    let mut rng = case_rng(seed, case);
    let schema = Schema::random(&mut rng);
    let mut setup = schema.setup_sql(&mut rng);
    setup.extend(extra(&mut rng));
    (rng, schema, setup)
}

/// Like `run_case`, with the statements of `modern.rs` (and the keyed table they write).
pub fn run_modern_case(seed: u64, case: u64, queries: u64, stats: &mut Stats) -> Vec<Mismatch> {
    let extra = modern::keyed_table_setup;
    run_generated_case(seed, case, queries, stats, extra, modern_steps)
}

/// Like `run_case`, with the steps of `features.rs` (and the tables and triggers they use).
pub fn run_features_case(seed: u64, case: u64, queries: u64, stats: &mut Stats) -> Vec<Mismatch> {
    let extra = features::feature_setup;
    run_generated_case(seed, case, queries, stats, extra, feature_steps)
}

/// One step of a generated case: the next statement made and run on both engines.
type CaseStep<'s> = Box<dyn FnMut(&mut Rng, &mut CaseRun, &mut Stats) + 's>;

/// The steps of `modern.rs` over `schema`.
fn modern_steps(schema: &Schema) -> CaseStep<'_> {
    let mut gen = modern::ModernGen::new(schema);
    Box::new(move |rng, case_run, stats| match gen.statement(rng) {
        modern::Statement::Query(sql) => case_run.differential(&sql, stats),
        modern::Statement::Write(sql) => case_run.write(&sql, stats),
    })
}

/// The steps of `features.rs` over `schema`.
fn feature_steps(schema: &Schema) -> CaseStep<'_> {
    let mut gen = features::FeatureGen::new(schema);
    Box::new(move |rng, case_run, stats| match gen.step(rng) {
        features::Step::Query(sql) => case_run.differential(&sql, stats),
        features::Step::Write { statements, checks } => case_run.steps(&statements, &checks, stats),
    })
}

/// One case of `queries` steps: the random tables and `extra`'s setup, then the steps
/// `steps` makes over the schema; the mismatches found.
fn run_generated_case(
    seed: u64,
    case: u64,
    queries: u64,
    stats: &mut Stats,
    extra: fn(&mut Rng) -> Vec<String>,
    steps: for<'s> fn(&'s Schema) -> CaseStep<'s>,
) -> Vec<Mismatch> {
    let (mut rng, schema, setup) = case_setup(seed, case, extra);
    let mut case_run = CaseRun::open(seed, case, setup);
    let mut step = steps(&schema);
    for _ in 0..queries {
        stats.queries += 1;
        step(&mut rng, &mut case_run, stats);
    }
    case_run.mismatches
}

/// The state of one case: both connections and the mismatches found so far.
struct CaseRun {
    seed: u64,
    case: u64,
    setup: Vec<String>,
    ember: Connection,
    sqlite: rusqlite::Connection,
    mismatches: Vec<Mismatch>,
}

impl CaseRun {
    fn report(&mut self, oracle: &'static str, sql: String, detail: String) {
        self.mismatches.push(Mismatch {
            seed: self.seed,
            case: self.case,
            oracle,
            setup: self.setup.clone(),
            sql,
            detail,
        });
    }

    /// The same query on both engines: same rows, or both an error.
    fn differential(&mut self, sql: &str, stats: &mut Stats) {
        let ours = run_ember(&self.ember, sql);
        let theirs = run_sqlite(&self.sqlite, sql);
        match (&ours, &theirs) {
            (Ok(a), Ok(b)) if a == b => stats.both_answered += 1,
            (Err(_), Err(_)) => stats.both_errored += 1,
            _ => match known::explains(sql, &ours, &theirs) {
                Some(known) => *stats.known_differences.entry(known.name).or_default() += 1,
                None => self.report(
                    "differential",
                    sql.to_string(),
                    format!("EmberDB: {ours:?}\n  SQLite:  {theirs:?}"),
                ),
            },
        }
    }

    /// A write on both engines: the same RETURNING rows (or both an error, or both none),
    /// then the same contents of the written table. A mismatch is reported once and the
    /// case stops comparing writes (its tables have diverged).
    fn write(&mut self, sql: &str, stats: &mut Stats) {
        if self.mismatches.iter().any(|m| m.oracle == "write") {
            return;
        }
        let ours = run_ember(&self.ember, sql);
        let theirs = run_sqlite(&self.sqlite, sql);
        let same = match (&ours, &theirs) {
            (Ok(a), Ok(b)) => a == b,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        let contents = format!("SELECT * FROM {}", modern::KEYED_TABLE);
        let (ours_after, theirs_after) = (
            run_ember(&self.ember, &contents),
            run_sqlite(&self.sqlite, &contents),
        );
        let explained = !same
            && ours_after == theirs_after
            && match known::explains(sql, &ours, &theirs) {
                Some(known) => {
                    *stats.known_differences.entry(known.name).or_default() += 1;
                    true
                }
                None => false,
            };
        if (same || explained) && ours_after == theirs_after {
            // The reproducer of a later mismatch replays this write too.
            self.setup.push(sql.to_string());
            match ours {
                Ok(_) => stats.both_answered += 1,
                Err(_) => stats.both_errored += 1,
            }
            return;
        }
        self.report(
            "write",
            sql.to_string(),
            format!(
                "EmberDB: {ours:?}\n  SQLite:  {theirs:?}\n  \
                 table after, EmberDB: {ours_after:?}\n  table after, SQLite:  {theirs_after:?}"
            ),
        );
    }

    /// Statements run in order on both engines, each with the same outcome (the same
    /// rows, or both an error), then the same answers to `checks`. A mismatch is reported
    /// once and the case stops comparing steps (its databases have diverged).
    fn steps(&mut self, statements: &[String], checks: &[String], stats: &mut Stats) {
        if self.mismatches.iter().any(|m| m.oracle == "steps") {
            return;
        }
        let mut differences = Vec::new();
        for sql in statements {
            let ours = run_ember(&self.ember, sql);
            let theirs = run_sqlite(&self.sqlite, sql);
            let same = match (&ours, &theirs) {
                (Ok(a), Ok(b)) => a == b,
                (Err(_), Err(_)) => true,
                _ => false,
            };
            if !same {
                match known::explains(sql, &ours, &theirs) {
                    Some(known) => *stats.known_differences.entry(known.name).or_default() += 1,
                    None => differences.push(format!(
                        "{sql}\n    EmberDB: {ours:?}\n    SQLite:  {theirs:?}"
                    )),
                }
            }
        }
        for sql in checks {
            let (ours, theirs) = (run_ember(&self.ember, sql), run_sqlite(&self.sqlite, sql));
            if ours != theirs {
                differences.push(format!(
                    "check {sql}\n    EmberDB: {ours:?}\n    SQLite:  {theirs:?}"
                ));
            }
        }
        if differences.is_empty() {
            // The reproducer of a later mismatch replays these statements too.
            self.setup.extend(statements.iter().cloned());
            stats.both_answered += 1;
            return;
        }
        self.report("steps", statements.join("; "), differences.join("\n  "));
    }

    /// TLP: the rows of `WHERE p`, `WHERE NOT p` and `WHERE p IS NULL` add up to the rows
    /// of the query without the WHERE.
    fn tlp(&mut self, select: &query::Select, predicate: &str, stats: &mut Stats) {
        let Ok(whole) = run_ember(&self.ember, &select.sql_with(None)) else {
            return;
        };
        let parts = [
            select.sql_with(Some(&format!("({predicate})"))),
            select.sql_with(Some(&format!("NOT ({predicate})"))),
            select.sql_with(Some(&format!("({predicate}) IS NULL"))),
        ];
        let mut union = Vec::new();
        for part in &parts {
            match run_ember(&self.ember, part) {
                Ok(rows) => union.extend(rows),
                // An error in a part (e.g. a runtime type error in NOT p) is not a TLP
                // violation: the differential check covers errors.
                Err(_) => return,
            }
        }
        stats.tlp_checks += 1;
        let union = sorted(union);
        if union != whole {
            self.report(
                "TLP",
                parts.join(" UNION ALL "),
                format!("whole: {whole:?}\n  union: {union:?}"),
            );
        }
    }

    /// NoREC: the optimized `count(*) WHERE p` equals counting `CASE WHEN p` row by row.
    fn norec(&mut self, from: &str, predicate: &str, stats: &mut Stats) {
        let filtered = run_ember(
            &self.ember,
            &format!("SELECT count(*) FROM {from} WHERE {predicate}"),
        );
        let unoptimized = format!("SELECT CASE WHEN {predicate} THEN 1 ELSE 0 END FROM {from}");
        let projected = run_ember(&self.ember, &unoptimized);
        let (Ok(filtered), Ok(projected)) = (filtered, projected) else {
            return;
        };
        stats.norec_checks += 1;
        let expected = projected
            .iter()
            .filter(|row| row[0] == Cell::Integer(1))
            .count();
        if filtered != vec![vec![Cell::Integer(expected as i64)]] {
            self.report(
                "NoREC",
                unoptimized,
                format!("count(*) WHERE p: {filtered:?}; CASE WHEN p true in {expected} rows"),
            );
        }
    }
}

/// Runs `total` queries from `seed`, in cases of `per_case` queries each.
pub fn run(seed: u64, total: u64, per_case: u64) -> (Stats, Vec<Mismatch>) {
    run_cases(seed, total, per_case, run_case)
}

/// Runs `total` statements of `modern.rs` from `seed`, in cases of `per_case` each.
pub fn run_modern(seed: u64, total: u64, per_case: u64) -> (Stats, Vec<Mismatch>) {
    run_cases(seed, total, per_case, run_modern_case)
}

/// Runs `total` steps of `features.rs` from `seed`, in cases of `per_case` each.
pub fn run_features(seed: u64, total: u64, per_case: u64) -> (Stats, Vec<Mismatch>) {
    run_cases(seed, total, per_case, run_features_case)
}

type CaseFn = fn(u64, u64, u64, &mut Stats) -> Vec<Mismatch>;

fn run_cases(seed: u64, total: u64, per_case: u64, run_one: CaseFn) -> (Stats, Vec<Mismatch>) {
    let mut stats = Stats::default();
    let mut mismatches = Vec::new();
    let mut case = 0;
    while stats.queries < total {
        let queries = per_case.max(1).min(total - stats.queries);
        mismatches.extend(run_one(seed, case, queries, &mut stats));
        case += 1;
    }
    (stats, mismatches)
}
