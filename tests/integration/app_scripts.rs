//! Application-style scripts against the bundled SQLite: every `tests/apps/*.sql` is split
//! into statements (`ember::script::split_statements`, SQLite's completeness rules) and run
//! statement by statement on a fresh in-memory EmberDB and a fresh in-memory SQLite. Each
//! statement must fail on both, or succeed on both with the same rows: values compared with
//! their types (integer, real by exact value, text, blob, NULL), in order when the
//! statement ends with a top-level ORDER BY, as sorted lists otherwise. A mismatch fails the
//! test unless `tests/apps/known_differences.txt` lists it (`file.sql:N reason`, `N` the
//! statement's 1-based place in its file); a listed statement that agrees fails it too, so
//! the list only holds differences that still exist.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use ember::{Connection, Database, Value};
use rusqlite::types::ValueRef;

/// One result value, typed as SQLite types it (a comparison's boolean is an integer).
#[derive(Debug, Clone, PartialEq, PartialOrd)]
enum Cell {
    Null,
    Integer(i64),
    Real(f64),
    Text(String),
    Blob(Vec<u8>),
}

impl Cell {
    fn of_ember(value: &Value) -> Cell {
        match value {
            Value::Null => Cell::Null,
            Value::Integer(i) => Cell::Integer(*i),
            Value::Boolean(b) => Cell::Integer(i64::from(*b)),
            Value::Real(r) => Cell::Real(*r),
            Value::Text(t) => Cell::Text(t.clone()),
            Value::Blob(b) => Cell::Blob(b.clone()),
        }
    }

    fn of_sqlite(value: ValueRef<'_>) -> Cell {
        match value {
            ValueRef::Null => Cell::Null,
            ValueRef::Integer(i) => Cell::Integer(i),
            ValueRef::Real(r) => Cell::Real(r),
            ValueRef::Text(t) => Cell::Text(String::from_utf8_lossy(t).into_owned()),
            ValueRef::Blob(b) => Cell::Blob(b.to_vec()),
        }
    }
}

/// A statement's answer: its rows, or the error's message.
type Answer = Result<Vec<Vec<Cell>>, String>;

fn apps_directory() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("apps")
}

fn on_sqlite(conn: &rusqlite::Connection, sql: &str) -> Answer {
    let mut statement = conn.prepare(sql).map_err(|e| e.to_string())?;
    let width = statement.column_count();
    let mut rows = statement.query([]).map_err(|e| e.to_string())?;
    let mut out = Vec::new();
    while let Some(row) = rows.next().map_err(|e| e.to_string())? {
        let cells = (0..width)
            .map(|i| Cell::of_sqlite(row.get_ref(i).expect("a column in range")))
            .collect();
        out.push(cells);
    }
    Ok(out)
}

fn on_ember(conn: &Connection, sql: &str) -> Answer {
    let outcomes = conn.run_script(sql).map_err(|e| e.message().to_string())?;
    let Some(last) = outcomes.last() else {
        return Ok(Vec::new());
    };
    Ok(last
        .rows
        .iter()
        .map(|row| row.iter().map(Cell::of_ember).collect())
        .collect())
}

/// Whether `sql` ends with an ORDER BY outside every parenthesis (so its rows' order is
/// defined): a window's or a subquery's ORDER BY does not order the result.
fn orders_its_rows(sql: &str) -> bool {
    let mut depth = 0usize;
    let mut quote: Option<char> = None;
    let mut words = String::new();
    let mut last_top_level_order = false;
    for ch in sql.chars() {
        if let Some(open) = quote {
            if ch == open {
                quote = None;
            }
            continue;
        }
        match ch {
            '\'' | '"' | '`' => quote = Some(ch),
            '[' => quote = Some(']'),
            '(' => depth += 1,
            ')' => depth = depth.saturating_sub(1),
            _ => {}
        }
        if depth == 0 && quote.is_none() {
            if ch.is_alphanumeric() || ch == '_' {
                words.push(ch.to_ascii_uppercase());
            } else if !words.ends_with(' ') {
                words.push(' ');
            }
        }
        if words.ends_with("ORDER BY ") {
            last_top_level_order = true;
        }
    }
    last_top_level_order
}

fn sorted(answer: Answer) -> Answer {
    answer.map(|mut rows| {
        rows.sort_by(|a, b| a.partial_cmp(b).unwrap_or(std::cmp::Ordering::Equal));
        rows
    })
}

fn same(ours: &Answer, theirs: &Answer) -> bool {
    match (ours, theirs) {
        (Err(_), Err(_)) => true,
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// The mismatches of one script, keyed by `file:N`.
fn run_script(path: &Path, mismatches: &mut BTreeMap<String, String>) -> usize {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let text = std::fs::read_to_string(path).unwrap();
    let ours = Database::in_memory().connect();
    let theirs = rusqlite::Connection::open_in_memory().unwrap();
    // rusqlite's bundled build turns foreign keys on by default; SQLite's default is off.
    theirs.execute_batch("PRAGMA foreign_keys = OFF").unwrap();
    let statements = ember::script::split_statements(&text);
    for (index, sql) in statements.iter().enumerate() {
        let (mut got, mut expected) = (on_ember(&ours, sql), on_sqlite(&theirs, sql));
        if !orders_its_rows(sql) {
            (got, expected) = (sorted(got), sorted(expected));
        }
        if !same(&got, &expected) {
            let key = format!("{name}:{}", index + 1);
            let report = format!("{sql}\n    ember:  {got:?}\n    sqlite: {expected:?}");
            mismatches.insert(key, report);
        }
    }
    statements.len()
}

/// `known_differences.txt`: `file.sql:N reason` lines (blank lines and `#` comments
/// ignored), keyed by `file.sql:N`.
fn known_differences() -> BTreeMap<String, String> {
    let text = std::fs::read_to_string(apps_directory().join("known_differences.txt"))
        .expect("tests/apps/known_differences.txt exists");
    text.lines()
        .map(str::trim)
        .filter(|line| !line.is_empty() && !line.starts_with('#'))
        .map(|line| {
            let (key, reason) = line.split_once(' ').unwrap_or((line, ""));
            assert!(
                !reason.trim().is_empty(),
                "known_differences.txt: {key} gives no reason"
            );
            (key.to_string(), reason.trim().to_string())
        })
        .collect()
}

#[test]
fn app_scripts_answer_as_sqlite() {
    let mut files: Vec<PathBuf> = std::fs::read_dir(apps_directory())
        .expect("tests/apps exists")
        .flatten()
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "sql"))
        .collect();
    files.sort();
    assert!(!files.is_empty(), "no scripts under tests/apps");
    let mut mismatches = BTreeMap::new();
    let mut statements = 0;
    for file in &files {
        statements += run_script(file, &mut mismatches);
    }
    let known = known_differences();
    let mut problems = Vec::new();
    for (key, report) in &mismatches {
        if !known.contains_key(key) {
            problems.push(format!("{key}: {report}"));
        }
    }
    for (key, reason) in &known {
        if !mismatches.contains_key(key) {
            problems.push(format!(
                "{key}: listed as a difference ({reason}) but agrees"
            ));
        }
    }
    println!(
        "{} scripts, {statements} statements, {} known differences",
        files.len(),
        known.len()
    );
    assert!(
        problems.is_empty(),
        "{} of {statements} statements differ from SQLite:\n{}",
        problems.len(),
        problems.join("\n")
    );
}

#[test]
fn only_a_top_level_order_by_orders_the_rows() {
    assert!(orders_its_rows("SELECT a FROM t ORDER BY a"));
    assert!(orders_its_rows(
        "WITH x AS (SELECT 1 AS a) SELECT a FROM x order\n by a LIMIT 2"
    ));
    assert!(!orders_its_rows(
        "SELECT row_number() OVER (ORDER BY a) FROM t"
    ));
    assert!(!orders_its_rows(
        "SELECT a FROM (SELECT a FROM t ORDER BY a)"
    ));
    assert!(!orders_its_rows("SELECT 'order by' FROM t"));
    assert!(!orders_its_rows("SELECT \"ORDER\" FROM t"));
}
