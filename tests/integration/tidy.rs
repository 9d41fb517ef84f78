//! Tidy: keeps the project's habits honest. Every `.rs` file opens with a `//!` comment,
//! no file passes 800 lines, no line passes 100 columns, no `todo!`, `unimplemented!` or
//! `dbg!` appears outside tests, and the library walks sqlparser's syntax tree only through
//! `engine/src/pipeline/ast_visit.rs` (each other visitor type would compile another copy of
//! sqlparser's whole walk into every program that uses the library).

use std::path::{Path, PathBuf};

const FILE_LINES_MAX: usize = 800;
const LINE_COLUMNS_MAX: usize = 100;
const SOURCE_DIRECTORIES: &[&str] = &["storage", "engine", "repl", "tests", "bench", "fuzz"];

pub(super) fn repository_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .to_path_buf()
}

/// Every `.rs` file under `directory` (build output and fuzz data left out), into `found`.
pub(super) fn rust_files(directory: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(directory) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name();
        if path.is_dir() {
            if name != "target" && name != "corpus" && name != "artifacts" {
                rust_files(&path, found);
            }
        } else if path.extension().is_some_and(|e| e == "rs") {
            found.push(path);
        }
    }
}

pub(super) fn all_rust_files() -> Vec<PathBuf> {
    let root = repository_root();
    let mut files = Vec::new();
    for directory in SOURCE_DIRECTORIES {
        rust_files(&root.join(directory), &mut files);
    }
    assert!(
        files.len() > 20,
        "tidy found only {} files; is the root right?",
        files.len()
    );
    files
}

/// The part of a file before its first `#[cfg(test)]` line (test code may use anything).
fn non_test_part(text: &str) -> &str {
    match text.find("#[cfg(test)]") {
        Some(position) => &text[..position],
        None => text,
    }
}

#[test]
fn every_file_opens_with_a_module_comment() {
    let missing: Vec<String> = all_rust_files()
        .into_iter()
        .filter(|path| {
            let text = std::fs::read_to_string(path).unwrap_or_default();
            !text.trim_start().starts_with("//!")
        })
        .map(|path| path.display().to_string())
        .collect();
    assert!(
        missing.is_empty(),
        "files without a `//!` comment: {missing:#?}"
    );
}

#[test]
fn files_and_lines_stay_small() {
    let mut problems = Vec::new();
    for path in all_rust_files() {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        let lines = text.lines().count();
        if lines > FILE_LINES_MAX {
            problems.push(format!(
                "{}: {lines} lines (max {FILE_LINES_MAX})",
                path.display()
            ));
        }
        for (number, line) in text.lines().enumerate() {
            if line.chars().count() > LINE_COLUMNS_MAX {
                problems.push(format!(
                    "{}:{}: line over {LINE_COLUMNS_MAX}",
                    path.display(),
                    number + 1
                ));
            }
        }
    }
    assert!(problems.is_empty(), "{problems:#?}");
}

/// Each line outside comments and test modules, in the Rust files `checked` selects, that
/// holds one of `banned`, as `path:line: word`.
fn banned_in_code(banned: &[&str], checked: impl Fn(&std::path::Path) -> bool) -> Vec<String> {
    let mut problems = Vec::new();
    for path in all_rust_files().into_iter().filter(|path| checked(path)) {
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in non_test_part(&text).lines().enumerate() {
            for word in banned {
                if line.contains(word) && !line.trim_start().starts_with("//") {
                    problems.push(format!("{}:{}: {word}", path.display(), number + 1));
                }
            }
        }
    }
    problems
}

#[test]
fn no_placeholders_outside_tests() {
    let problems = banned_in_code(&["todo!(", "unimplemented!(", "dbg!("], |path| {
        !path.components().any(|c| c.as_os_str() == "integration")
    });
    assert!(
        problems.is_empty(),
        "placeholders in non-test code: {problems:#?}"
    );
}

#[test]
fn syntax_tree_walks_go_through_ast_visit() {
    let banned = [
        "ast::visit_",
        "Visitor for ",
        "VisitorMut for ",
        ".visit(&mut",
    ];
    let problems = banned_in_code(&banned, |path| {
        let in_library = ["storage", "engine"]
            .iter()
            .any(|crate_dir| path.starts_with(repository_root().join(crate_dir).join("src")));
        in_library && !path.ends_with("ast_visit.rs")
    });
    assert!(
        problems.is_empty(),
        "walks over sqlparser's tree outside pipeline/ast_visit.rs: {problems:#?}"
    );
}

#[test]
fn tidy_catches_what_it_claims() {
    assert_eq!(non_test_part("a\n#[cfg(test)]\nb"), "a\n");
    let long_line = "x".repeat(LINE_COLUMNS_MAX + 1);
    assert!(long_line.chars().count() > LINE_COLUMNS_MAX);
}
