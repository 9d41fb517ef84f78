//! Conformance: every tests/slt/*.slt of ours must pass fully, and a ratchet over the shared
//! sqllogictest corpus: each file in tests/slt/passlist.txt must pass at least as many records
//! as listed there (skipped with a notice when ../shared is absent).

use std::path::{Path, PathBuf};

use ember_tests::slt::{collect_files, run_file, run_file_on, Backend};

fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Runs every tests/slt/*.slt on `backend` and fails with each failed record.
fn our_slt_files_pass_on(backend: Backend) {
    let files = collect_files(&repository_root().join("tests/slt"));
    assert!(!files.is_empty(), "no .slt files found under tests/slt");
    let mut problems = Vec::new();
    for file in files {
        let report = run_file_on(&file, backend);
        if report.failed > 0 || report.error.is_some() {
            let details: Vec<String> = report
                .failures
                .iter()
                .map(|f| {
                    format!(
                        "  line {}: {}\n    expected: {}\n    got: {}",
                        f.line, f.sql, f.expected, f.got
                    )
                })
                .collect();
            problems.push(format!(
                "{} on {backend:?}: {} failed {:?}\n{}",
                file.display(),
                report.failed,
                report.error,
                details.join("\n")
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn our_slt_files_pass_fully() {
    our_slt_files_pass_on(Backend::Ember);
}

/// The oracle: every case of our own files gives SQLite's answer on rusqlite's bundled
/// SQLite too (records where EmberDB knowingly differs are `onlyif ember`).
#[test]
fn our_slt_files_agree_with_sqlite() {
    our_slt_files_pass_on(Backend::Sqlite);
}

/// Reads `path count` lines (blank lines and `#` comments ignored).
fn passlist(text: &str) -> Vec<(String, usize)> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .map(|l| {
            let (path, count) = l.rsplit_once(' ').expect("passlist line: <path> <count>");
            let count = count.parse().expect("passlist count is a number");
            (path.trim().to_string(), count)
        })
        .collect()
}

#[test]
fn shared_corpus_ratchet() {
    let root = repository_root();
    let corpus = root.join("../shared/slt/sqlite");
    if !corpus.is_dir() {
        println!(
            "NOTICE: {} is absent; skipping the corpus ratchet",
            corpus.display()
        );
        return;
    }
    let text = std::fs::read_to_string(root.join("tests/slt/passlist.txt"))
        .expect("tests/slt/passlist.txt exists");
    let mut regressions = Vec::new();
    for (path, want) in passlist(&text) {
        let report = run_file(&corpus.join(&path));
        if report.passed < want {
            regressions.push(format!(
                "{path}: {} passed, the passlist says {want}",
                report.passed
            ));
        }
    }
    assert!(regressions.is_empty(), "{}", regressions.join("\n"));
}
