//! `ember-slt`: runs sqllogictest files (or directories of them) against EmberDB and prints
//! per-file passed/failed/skipped counts and a total line `N passed, N failed`.
//! Usage: `ember-slt [--verbose] [--sqlite] <file|directory>...`; `--sqlite` runs the files
//! on rusqlite's bundled SQLite instead, the oracle for our own `tests/slt/*.slt`.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use ember_tests::slt::{collect_files, run_file_on, Backend};

fn main() -> ExitCode {
    let mut verbose = false;
    let mut backend = Backend::Ember;
    let mut paths = Vec::new();
    for arg in std::env::args().skip(1) {
        match arg.as_str() {
            "--verbose" | "-v" => verbose = true,
            "--sqlite" => backend = Backend::Sqlite,
            "--help" | "-h" => {
                println!("usage: ember-slt [--verbose] [--sqlite] <file|directory>...");
                return ExitCode::SUCCESS;
            }
            _ => paths.push(PathBuf::from(arg)),
        }
    }
    if paths.is_empty() {
        eprintln!("usage: ember-slt [--verbose] [--sqlite] <file|directory>...");
        return ExitCode::from(2);
    }
    if !verbose {
        // Engine panics are caught and counted as failed records; keep the output readable.
        std::panic::set_hook(Box::new(|_| {}));
    }
    let started = Instant::now();
    let (mut passed, mut failed, mut skipped) = (0, 0, 0);
    let (mut queries_passed, mut queries_failed) = (0, 0);
    for path in &paths {
        if !path.exists() {
            eprintln!("{}: no such file or directory", path.display());
            return ExitCode::from(2);
        }
        for file in collect_files(path) {
            let file_started = Instant::now();
            let report = run_file_on(&file, backend);
            if verbose {
                for failure in &report.failures {
                    println!("FAIL {}:{}", file.display(), failure.line);
                    println!(
                        "  sql:      {}",
                        failure.sql.replace('\n', "\n            ")
                    );
                    println!("  expected: {}", failure.expected.replace('\n', " | "));
                    println!("  got:      {}", failure.got.replace('\n', " | "));
                }
            }
            if let Some(error) = &report.error {
                println!("{}: {error}", file.display());
            }
            println!(
                "{}: {} passed, {} failed, {} skipped ({:.1}s)",
                file.display(),
                report.passed,
                report.failed,
                report.skipped,
                file_started.elapsed().as_secs_f64()
            );
            passed += report.passed;
            failed += report.failed;
            skipped += report.skipped;
            queries_passed += report.queries_passed;
            queries_failed += report.queries_failed;
        }
    }
    let queries = queries_passed + queries_failed;
    let percent = if queries == 0 {
        100.0
    } else {
        100.0 * queries_passed as f64 / queries as f64
    };
    println!(
        "queries: {queries_passed} of {queries} executed passed ({percent:.2}%); \
         {skipped} records skipped; {:.1}s",
        started.elapsed().as_secs_f64()
    );
    println!("{passed} passed, {failed} failed");
    if failed == 0 {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}
