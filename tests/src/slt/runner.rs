//! Runs parsed sqllogictest records against a fresh in-memory database per file (EmberDB, or
//! SQLite as the oracle: `engine.rs`) and counts passed, failed and skipped records. A panic
//! in the engine is caught and counted as a failed record; the run goes on.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::engine::{Backend, SltEngine};
use super::parser::{parse, Expected, Record, RecordKind};
use super::render::{hash_values, render_rows};

/// The hash threshold before any `hash-threshold` line.
pub const HASH_THRESHOLD_DEFAULT: usize = 8;

/// One failed record, kept for `--verbose` output.
#[derive(Debug, Clone)]
pub struct Failure {
    pub line: usize,
    pub sql: String,
    pub expected: String,
    pub got: String,
}

/// The counts for one file.
#[derive(Debug, Clone, Default)]
pub struct FileReport {
    pub path: PathBuf,
    pub passed: usize,
    pub failed: usize,
    pub skipped: usize,
    pub queries_passed: usize,
    pub queries_failed: usize,
    pub failures: Vec<Failure>,
    /// Set when the file could not be read or parsed (every record then counts as failed).
    pub error: Option<String>,
}

/// Collects the `.test`/`.slt` files under `path` (or `path` itself), sorted.
pub fn collect_files(path: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    if path.is_dir() {
        walk(path, &mut found);
        found.sort();
    } else {
        found.push(path.to_path_buf());
    }
    found
}

fn walk(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            walk(&path, found);
        } else if path.extension().is_some_and(|e| e == "test" || e == "slt") {
            found.push(path);
        }
    }
}

/// Runs one file from disk on EmberDB.
pub fn run_file(path: &Path) -> FileReport {
    run_file_on(path, Backend::Ember)
}

/// Runs one file from disk on `backend`.
pub fn run_file_on(path: &Path, backend: Backend) -> FileReport {
    let mut report = FileReport {
        path: path.to_path_buf(),
        ..FileReport::default()
    };
    let text = match std::fs::read(path) {
        Ok(bytes) => String::from_utf8_lossy(&bytes).into_owned(),
        Err(e) => {
            report.error = Some(format!("cannot read: {e}"));
            report.failed = 1;
            return report;
        }
    };
    run_text_on(&text, backend, &mut report);
    report
}

/// Runs the records of `text` on EmberDB into `report`.
pub fn run_text(text: &str, report: &mut FileReport) {
    run_text_on(text, Backend::Ember, report)
}

/// Runs the records of `text` on `backend` into `report`.
pub fn run_text_on(text: &str, backend: Backend, report: &mut FileReport) {
    let records = match parse(text) {
        Ok(records) => records,
        Err(e) => {
            report.error = Some(format!("parse error: {e}"));
            report.failed = 1;
            return;
        }
    };
    let mut conn = match backend.open() {
        Ok(engine) => engine,
        Err(e) => {
            report.error = Some(e);
            report.failed = 1;
            return;
        }
    };
    let mut threshold = HASH_THRESHOLD_DEFAULT;
    let mut labels: HashMap<String, String> = HashMap::new();
    let mut halted = false;
    for record in &records {
        let counted = matches!(
            record.kind,
            RecordKind::Statement { .. } | RecordKind::Query { .. }
        );
        if halted || !record.applies_to_any(backend.names()) {
            if counted {
                report.skipped += 1;
            }
            if let RecordKind::Query {
                label: Some(label),
                expected,
                ..
            } = &record.kind
            {
                labels
                    .entry(label.clone())
                    .or_insert_with(|| expected_hash(expected));
            }
            continue;
        }
        match &record.kind {
            RecordKind::HashThreshold(n) => threshold = *n,
            RecordKind::Halt => halted = true,
            RecordKind::Statement { expect_error, sql } => {
                let outcome = conn.execute_batch(sql);
                let ok = matches!((&outcome, expect_error), (Ok(()), false) | (Err(_), true));
                if ok {
                    report.passed += 1;
                } else {
                    report.failed += 1;
                    report.failures.push(Failure {
                        line: record.line,
                        sql: sql.clone(),
                        expected: if *expect_error { "an error" } else { "ok" }.to_string(),
                        got: match outcome {
                            Ok(()) => "ok".to_string(),
                            Err(e) => e,
                        },
                    });
                }
            }
            RecordKind::Query { .. } => {
                let verdict = check_query(conn.as_mut(), record, threshold, &mut labels);
                match verdict {
                    Ok(()) => {
                        report.passed += 1;
                        report.queries_passed += 1;
                    }
                    Err(failure) => {
                        report.failed += 1;
                        report.queries_failed += 1;
                        report.failures.push(failure);
                    }
                }
            }
        }
    }
}

/// The hash a query's expected section stands for (for label checks).
fn expected_hash(expected: &Expected) -> String {
    match expected {
        Expected::Hash { md5, .. } => md5.clone(),
        Expected::Values(values) => hash_values(values),
    }
}

fn check_query(
    conn: &mut dyn SltEngine,
    record: &Record,
    threshold: usize,
    labels: &mut HashMap<String, String>,
) -> Result<(), Failure> {
    let RecordKind::Query {
        types,
        sort,
        label,
        sql,
        expected,
    } = &record.kind
    else {
        unreachable!("check_query is only called on queries");
    };
    let fail = |got: String| Failure {
        line: record.line,
        sql: sql.clone(),
        expected: describe_expected(expected),
        got,
    };
    let (width, rows) = conn.query(sql).map_err(fail)?;
    if width != types.len() || rows.iter().any(|r| r.len() != types.len()) {
        return Err(fail(format!(
            "{width} columns, but the record has {} type letters",
            types.len()
        )));
    }
    let values = render_rows(&rows, types, *sort);
    let got_hash = hash_values(&values);
    let hashing = threshold > 0 && values.len() > threshold;
    let matches = match expected {
        Expected::Hash { count, md5 } => *count == values.len() && *md5 == got_hash,
        Expected::Values(want) => *want == values,
    };
    let describe_got = || {
        if hashing || matches!(expected, Expected::Hash { .. }) {
            format!("{} values hashing to {got_hash}", values.len())
        } else {
            values.join("\n")
        }
    };
    if !matches {
        return Err(fail(describe_got()));
    }
    if let Some(label) = label {
        let recorded = labels
            .entry(label.clone())
            .or_insert_with(|| got_hash.clone());
        if *recorded != got_hash {
            return Err(fail(format!(
                "{} (label {label} was recorded as hashing to {recorded})",
                describe_got()
            )));
        }
    }
    Ok(())
}

fn describe_expected(expected: &Expected) -> String {
    match expected {
        Expected::Hash { count, md5 } => format!("{count} values hashing to {md5}"),
        Expected::Values(values) => values.join("\n"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(text: &str) -> FileReport {
        let mut report = FileReport::default();
        run_text(text, &mut report);
        report
    }

    #[test]
    fn counts_passes_failures_and_skips() {
        let report = run("statement ok\nCREATE TABLE t(a INTEGER)\n\n\
            statement ok\nINSERT INTO t VALUES (1), (2)\n\n\
            query I rowsort\nSELECT a FROM t\n----\n1\n2\n\n\
            query I nosort\nSELECT a FROM t\n----\n5\n\n\
            statement error\nSELECT nope FROM t\n\n\
            skipif sqlite\nquery I\nSELECT 1\n----\n2\n\n\
            onlyif sqlite\nhalt\n\nquery I\nSELECT 1\n----\n1\n");
        assert_eq!((report.passed, report.failed, report.skipped), (4, 1, 2));
        assert_eq!(report.queries_failed, 1);
    }

    #[test]
    fn hashes_results_above_the_threshold() {
        // md5 of "1\n2\n"
        let report = run(
            "hash-threshold 1\n\nstatement ok\nCREATE TABLE t(a INTEGER)\n\n\
            statement ok\nINSERT INTO t VALUES (2), (1)\n\n\
            query I rowsort\nSELECT a FROM t\n\
            ----\n2 values hashing to 6ddb4095eb719e2a9f0a3f95677d24e0\n",
        );
        assert_eq!(
            (report.passed, report.failed),
            (3, 0),
            "{:?}",
            report.failures
        );
    }

    #[test]
    fn wrong_column_count_and_label_mismatch_fail() {
        let report = run("query II\nSELECT 1\n----\n1\n\n\
            skipif sqlite\nquery I nosort label-1\nSELECT 3\n----\n3\n\n\
            query I nosort label-1\nSELECT 4\n----\n4\n");
        assert_eq!((report.passed, report.failed, report.skipped), (0, 2, 1));
    }
}
