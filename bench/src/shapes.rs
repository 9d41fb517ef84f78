//! What the shape probes (`ember-shapes` for queries, `ember-write-shapes` for writes)
//! share: the tables both engines get (`SCHEMA`, `load`: the same rows, SQLite keyed by
//! `id INTEGER PRIMARY KEY` and indexed as EmberDB is), an answer folded from a statement's
//! rows or changes so both engines' results can be compared before timing, the timing
//! loop (median of runs within a time budget) and the command line (`ShapeArgs`).

use std::time::{Duration, Instant};

use ember::Value;
use rusqlite::types::ValueRef;

/// A shape probe's command line: `--rows N --rounds N --ms MS --only SUBSTRING --skip
/// SUBSTRING --profile RUNS --shapes FILE`.
pub struct ShapeArgs {
    pub rows: i64,
    pub rounds: usize,
    pub ms: u64,
    /// Only shapes whose name contains this run.
    pub only: Option<String>,
    /// Shapes whose name contains this do not run (the anti join at many rows: SQLite's
    /// plan for it is quadratic).
    pub skip: Option<String>,
    /// Run each selected shape this many times per engine, untimed, for callgrind.
    pub profile: Option<usize>,
    /// Run the shapes of this file instead of the built-in ones (`ShapeArgs::shapes`).
    pub shapes_file: Option<String>,
}

/// Shapes a `--shapes` file may hold: each is timed on both engines.
const SHAPES_FILE_MAX: usize = 1_000;

/// The usage line of a probe named `program`.
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} [--rows N] [--rounds N] [--ms MS] [--only SUBSTRING] \
         [--skip SUBSTRING] [--profile RUNS] [--shapes FILE]"
    )
}

impl ShapeArgs {
    /// Parses `args` (the program's arguments after its name); `--rows` must lie in `rows`.
    pub fn parse(
        args: impl IntoIterator<Item = String>,
        rows: std::ops::RangeInclusive<i64>,
    ) -> Result<ShapeArgs, String> {
        let mut parsed = ShapeArgs {
            rows: 200_000,
            rounds: 3,
            ms: 300,
            only: None,
            skip: None,
            profile: None,
            shapes_file: None,
        };
        let mut iter = args.into_iter();
        while let Some(arg) = iter.next() {
            let mut value = || iter.next().ok_or(format!("{arg} needs a value"));
            match arg.as_str() {
                "--rows" => parsed.rows = value()?.parse().map_err(|e| format!("--rows: {e}"))?,
                "--rounds" => {
                    parsed.rounds = value()?.parse().map_err(|e| format!("--rounds: {e}"))?
                }
                "--ms" => parsed.ms = value()?.parse().map_err(|e| format!("--ms: {e}"))?,
                "--only" => parsed.only = Some(value()?),
                "--skip" => parsed.skip = Some(value()?),
                "--profile" => {
                    parsed.profile = Some(value()?.parse().map_err(|e| format!("--profile: {e}"))?)
                }
                "--shapes" => parsed.shapes_file = Some(value()?),
                other => return Err(format!("unknown argument {other}")),
            }
        }
        if !rows.contains(&parsed.rows) {
            return Err(format!("--rows must be {}..={}", rows.start(), rows.end()));
        }
        if parsed.rounds == 0 {
            return Err("--rounds must be at least 1".into());
        }
        Ok(parsed)
    }

    /// The shapes to run: `built_in`, or with `--shapes FILE` the file's, one per line as
    /// `name | SQL` or just `SQL` (named by itself); blank lines and lines starting with
    /// `#` are skipped. SQL written by someone else, timed on the probe's tables (`SCHEMA`).
    pub fn shapes(&self, built_in: &[(&str, &str)]) -> Result<Vec<(String, String)>, String> {
        let Some(path) = &self.shapes_file else {
            return Ok(built_in
                .iter()
                .map(|(name, sql)| (name.to_string(), sql.to_string()))
                .collect());
        };
        let text = std::fs::read_to_string(path).map_err(|e| format!("--shapes {path}: {e}"))?;
        let shapes: Vec<(String, String)> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty() && !line.starts_with('#'))
            .map(|line| match line.split_once(" | ") {
                Some((name, sql)) => (name.trim().to_string(), sql.trim().to_string()),
                None => (line.to_string(), line.to_string()),
            })
            .collect();
        if shapes.len() > SHAPES_FILE_MAX {
            return Err(format!(
                "--shapes {path}: more than {SHAPES_FILE_MAX} shapes"
            ));
        }
        Ok(shapes)
    }

    /// Whether the shape `name` runs (`--only`, `--skip`).
    pub fn selects(&self, name: &str) -> bool {
        self.only
            .as_ref()
            .is_none_or(|only| name.contains(only.as_str()))
            && self
                .skip
                .as_ref()
                .is_none_or(|skip| !name.contains(skip.as_str()))
    }
}

/// The tables of every shape: `t` (indexed on `a` and `s`) and `u` (a quarter as many rows,
/// `t_id` pointing into `t`).
pub const SCHEMA: &[&str] = &[
    "CREATE TABLE t(id INTEGER PRIMARY KEY, a INTEGER, b INTEGER, c REAL, s TEXT, g TEXT)",
    "CREATE INDEX t_a ON t(a)",
    "CREATE INDEX t_s ON t(s)",
    "CREATE TABLE u(id INTEGER PRIMARY KEY, t_id INTEGER, x REAL)",
];

/// A statement's result folded into numbers both engines must agree on: the row count, a
/// checksum of the rows in order, and one of the rows as a set (for statements whose order
/// SQL leaves open: rows with equal keys may come back in any order).
#[derive(Default, Clone, Copy, PartialEq, Debug)]
pub struct Answer {
    pub rows: u64,
    pub checksum: u64,
    pub row_set: u64,
    /// The cells of the row being folded.
    row: u64,
}

impl Answer {
    pub fn add_integer(&mut self, i: i64) {
        self.row = self.row.wrapping_mul(31).wrapping_add(i as u64);
    }

    pub fn add_real(&mut self, r: f64) {
        // Rounded: sums in different orders differ in the last bits.
        self.add_integer((r * 1000.0).round() as i64);
    }

    pub fn add_text(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.add_integer(i64::from(byte));
        }
    }

    /// Ends the row being folded: into the ordered checksum and, mixed, into the row set.
    pub fn end_row(&mut self) {
        let row = std::mem::take(&mut self.row);
        self.rows += 1;
        self.checksum = self.checksum.wrapping_mul(1_000_003).wrapping_add(row);
        let mixed = (row ^ (row >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        self.row_set = self.row_set.wrapping_add(mixed ^ (mixed >> 32));
    }

    /// Whether `self` and `other` are the same answer to `sql`: the same rows in the same
    /// order when `sql` ends in an ORDER BY (`is_ordered`), the same rows in any order else.
    pub fn agrees_with(&self, other: &Answer, sql: &str) -> bool {
        self.rows == other.rows
            && self.row_set == other.row_set
            && (!is_ordered(sql) || self.checksum == other.checksum)
    }

    fn add_ember_value(&mut self, value: &Value) {
        match value {
            Value::Null => self.add_integer(-1),
            Value::Integer(i) => self.add_integer(*i),
            Value::Real(r) => self.add_real(*r),
            Value::Text(t) => self.add_text(t.as_bytes()),
            Value::Blob(b) => self.add_text(b),
            Value::Boolean(b) => self.add_integer(i64::from(*b)),
        }
    }

    fn add_sqlite_value(&mut self, value: ValueRef<'_>) {
        match value {
            ValueRef::Null => self.add_integer(-1),
            ValueRef::Integer(i) => self.add_integer(i),
            ValueRef::Real(r) => self.add_real(r),
            ValueRef::Text(t) | ValueRef::Blob(t) => self.add_text(t),
        }
    }
}

/// EmberDB's answer to a query: its rows, every cell folded in.
pub fn ember_answer(conn: &ember::Connection, sql: &str) -> Answer {
    try_ember_answer(conn, sql).unwrap_or_else(|e| panic!("{sql}: {e}"))
}

/// `ember_answer`, with EmberDB's error instead of a panic (SQL from a `--shapes` file).
pub fn try_ember_answer(conn: &ember::Connection, sql: &str) -> ember::Result<Answer> {
    let rows = conn.query(sql, ())?;
    let mut answer = Answer::default();
    for row in rows.values() {
        for value in row {
            answer.add_ember_value(value);
        }
        answer.end_row();
    }
    Ok(answer)
}

/// SQLite's answer to a held statement, as `ember_answer` folds it.
pub fn sqlite_answer(statement: &mut rusqlite::Statement<'_>) -> Answer {
    let columns = statement.column_count();
    let mut rows = statement.raw_query();
    let mut answer = Answer::default();
    while let Some(row) = rows.next().expect("sqlite row") {
        for index in 0..columns {
            answer.add_sqlite_value(row.get_ref(index).expect("sqlite cell"));
        }
        answer.end_row();
    }
    answer
}

/// Whether `sql` ends in an ORDER BY of its own (outside parentheses and quotes), so the
/// order of its rows is part of its answer.
pub fn is_ordered(sql: &str) -> bool {
    let upper = sql.to_ascii_uppercase();
    let (mut depth, mut quoted, mut ordered) = (0i32, false, false);
    for (at, byte) in upper.bytes().enumerate() {
        match byte {
            b'\'' => quoted = !quoted,
            b'(' if !quoted => depth += 1,
            b')' if !quoted => depth -= 1,
            b'O' if !quoted && depth == 0 && upper[at..].starts_with("ORDER BY") => ordered = true,
            _ => {}
        }
    }
    ordered
}

/// Whether a write statement returns rows (a RETURNING clause).
pub fn returns_rows(sql: &str) -> bool {
    sql.to_ascii_uppercase().contains("RETURNING")
}

/// EmberDB's answer to a write (`returns`: it has a RETURNING clause, `returns_rows`):
/// the rows it returned, or the rows it changed.
pub fn ember_write_answer(conn: &ember::Connection, sql: &str, returns: bool) -> Answer {
    if returns {
        return ember_answer(conn, sql);
    }
    let changed = conn
        .execute(sql, ())
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
    Answer {
        checksum: changed as u64,
        ..Answer::default()
    }
}

/// SQLite's answer to a held write statement, as `ember_write_answer` folds it.
pub fn sqlite_write_answer(statement: &mut rusqlite::Statement<'_>, returns: bool) -> Answer {
    if returns {
        return sqlite_answer(statement);
    }
    let changed = statement.raw_execute().expect("sqlite write");
    Answer {
        checksum: changed as u64,
        ..Answer::default()
    }
}

/// Runs `run` until `budget` passed (at least 3 times); the median seconds per run.
pub fn time_median(budget: Duration, mut run: impl FnMut()) -> f64 {
    let mut times = Vec::new();
    let started = Instant::now();
    while times.len() < 3 || (started.elapsed() < budget && times.len() < 10_000) {
        let one = Instant::now();
        run();
        times.push(one.elapsed().as_secs_f64());
    }
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The median of `times` (not empty).
pub fn median(mut times: Vec<f64>) -> f64 {
    debug_assert!(!times.is_empty());
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

/// The geometric mean of `ratios` (not empty).
pub fn geometric_mean(ratios: &[f64]) -> f64 {
    debug_assert!(!ratios.is_empty());
    (ratios.iter().map(|r| r.ln()).sum::<f64>() / ratios.len() as f64).exp()
}

/// Creates `SCHEMA` in both engines and loads the same `rows` rows of `t` (and a quarter
/// as many of `u`) into each, from a fixed pseudo-random stream; SQLite is then analyzed.
pub fn load(rows: i64, ember: &ember::Connection, sqlite: &rusqlite::Connection) {
    for sql in SCHEMA {
        ember.execute(sql, ()).expect("ember schema");
        sqlite.execute(sql, []).expect("sqlite schema");
    }
    ember.execute("BEGIN", ()).expect("begin");
    sqlite.execute("BEGIN", []).expect("begin");
    {
        let mut insert_t = sqlite
            .prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)")
            .expect("prepare");
        let mut insert_u = sqlite
            .prepare("INSERT INTO u VALUES (?, ?, ?)")
            .expect("prepare");
        // A fixed linear congruential stream: the same rows every run.
        let mut state = 0x2545_f491_4f6c_dd1du64;
        let mut next = move || {
            state = state
                .wrapping_mul(6_364_136_223_846_793_005)
                .wrapping_add(1_442_695_040_888_963_407);
            state >> 33
        };
        for id in 1..=rows {
            let a = (next() % (rows as u64 / 4).max(1)) as i64;
            let b = (next() % 1000) as i64;
            let c = (next() % 1_000_000) as f64 / 1_000_000.0;
            let s = format!("k{}", next() % (rows as u64));
            let g = format!("g{}", next() % 50);
            ember
                .execute(
                    "INSERT INTO t VALUES (?, ?, ?, ?, ?, ?)",
                    (id, a, b, c, s.as_str(), g.as_str()),
                )
                .expect("ember insert");
            insert_t
                .execute(rusqlite::params![id, a, b, c, s, g])
                .expect("sqlite insert");
            if id % 4 == 0 {
                let t_id = (next() % (rows as u64)) as i64 + 1;
                let x = (next() % 1000) as f64 / 1000.0;
                ember
                    .execute("INSERT INTO u VALUES (?, ?, ?)", (id / 4, t_id, x))
                    .expect("ember insert");
                insert_u
                    .execute(rusqlite::params![id / 4, t_id, x])
                    .expect("sqlite insert");
            }
        }
    }
    ember.execute("COMMIT", ()).expect("commit");
    sqlite.execute("COMMIT", []).expect("commit");
    sqlite.execute("ANALYZE", []).expect("analyze");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn both_engines_load_the_same_rows_and_fold_them_alike() {
        let db = ember::Database::in_memory();
        let ember = db.connect();
        let sqlite = rusqlite::Connection::open_in_memory().unwrap();
        load(400, &ember, &sqlite);
        let sql = "SELECT id, a, b, c, s, g FROM t ORDER BY id";
        let mut statement = sqlite.prepare(sql).unwrap();
        let expected = sqlite_answer(&mut statement);
        assert_eq!(expected.rows, 400);
        assert_eq!(ember_answer(&ember, sql), expected);
        // A changed cell changes the answer.
        ember
            .execute("UPDATE t SET b = b + 1 WHERE id = 7", ())
            .unwrap();
        assert_ne!(ember_answer(&ember, sql), expected);
    }

    #[test]
    fn row_order_counts_only_under_a_final_order_by() {
        let db = ember::Database::in_memory();
        let ember = db.connect();
        let sqlite = rusqlite::Connection::open_in_memory().unwrap();
        load(400, &ember, &sqlite);
        let (up, down) = (
            "SELECT id FROM t ORDER BY id",
            "SELECT id FROM t ORDER BY id DESC",
        );
        let ascending = ember_answer(&ember, up);
        let descending = ember_answer(&ember, down);
        assert!(
            !ascending.agrees_with(&descending, up),
            "order matters under ORDER BY"
        );
        let unordered = "SELECT id FROM (SELECT id FROM t ORDER BY id)";
        assert!(
            ascending.agrees_with(&descending, unordered),
            "same rows, order left open"
        );
        let fewer = ember_answer(&ember, "SELECT id FROM t WHERE id > 1 ORDER BY id");
        assert!(
            !ascending.agrees_with(&fewer, unordered),
            "a missing row is a difference"
        );
        assert!(is_ordered(
            "SELECT lower(s) FROM t ORDER BY lower(s) LIMIT 3"
        ));
        assert!(!is_ordered("SELECT ')ORDER BY' FROM t"));
        assert!(!is_ordered("SELECT row_number() OVER (ORDER BY a) FROM t"));
    }

    #[test]
    fn write_answers_count_changes_or_fold_returned_rows() {
        let db = ember::Database::in_memory();
        let ember = db.connect();
        let sqlite = rusqlite::Connection::open_in_memory().unwrap();
        load(200, &ember, &sqlite);
        for sql in [
            "UPDATE t SET b = 1 WHERE id <= 10",
            "UPDATE t SET b = 2 WHERE id <= 5 RETURNING id, b",
        ] {
            let mut statement = sqlite.prepare(sql).unwrap();
            let expected = sqlite_write_answer(&mut statement, returns_rows(sql));
            assert_eq!(
                ember_write_answer(&ember, sql, returns_rows(sql)),
                expected,
                "{sql}"
            );
        }
        let mut statement = sqlite.prepare("DELETE FROM t WHERE id <= 3").unwrap();
        assert_eq!(sqlite_write_answer(&mut statement, false).checksum, 3);
    }

    #[test]
    fn arguments_parse_select_and_refuse_what_they_cannot_use() {
        let args = |list: &[&str]| list.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        let parsed = ShapeArgs::parse(
            args(&["--rows", "5000", "--only", "UPDATE", "--skip", "twice"]),
            100..=10_000,
        )
        .unwrap();
        assert_eq!(
            (parsed.rows, parsed.rounds, parsed.profile),
            (5000, 3, None)
        );
        assert!(parsed.selects("UPDATE key range"));
        assert!(!parsed.selects("UPDATE indexed column, twice"));
        assert!(!parsed.selects("point INSERT"));
        for bad in [
            &["--rows", "50"][..],
            &["--rows"],
            &["--rounds", "0"],
            &["--ms", "x"],
            &["--what"],
        ] {
            assert!(
                ShapeArgs::parse(args(bad), 100..=10_000).is_err(),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn median_and_geometric_mean() {
        assert_eq!(median(vec![3.0, 1.0, 2.0]), 2.0);
        assert!((geometric_mean(&[2.0, 8.0]) - 4.0).abs() < 1e-12);
    }
}
