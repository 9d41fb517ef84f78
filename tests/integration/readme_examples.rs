//! The examples README.md names: each one's `main` runs here (the example file is compiled in
//! as a module), and every example, file path and `cargo run -p` package the README names must
//! exist, so a deleted or renamed example fails the tests instead of a newcomer's first command.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

#[path = "../../engine/examples/quickstart.rs"]
mod quickstart;

#[path = "../../engine/examples/multithreaded.rs"]
mod multithreaded;

/// The examples whose `main` a test below runs, as (package directory, example name).
const EXAMPLES_RUN_HERE: [(&str, &str); 2] =
    [("engine", "quickstart"), ("engine", "multithreaded")];

/// The workspace packages `cargo run -p NAME` may name, with their directories.
const PACKAGES: [(&str, &str); 5] = [
    ("ember", "engine"),
    ("ember-repl", "repl"),
    ("ember-tests", "tests"),
    ("ember-bench", "bench"),
    ("ember-storage", "storage"),
];

#[test]
fn quickstart_example_runs() {
    quickstart::main().expect("the quickstart example failed");
}

#[test]
fn multithreaded_example_runs() {
    multithreaded::main().expect("the multithreaded example failed");
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("the tests crate sits in the workspace")
        .to_path_buf()
}

fn readme() -> String {
    std::fs::read_to_string(workspace_root().join("README.md")).expect("README.md is readable")
}

/// The words of `text`, split on whitespace and stripped of the punctuation around them.
fn words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().map(|word| {
        word.trim_matches(|c: char| {
            matches!(c, '`' | '(' | ')' | ',' | ';' | ':' | '.' | '\'' | '"')
        })
    })
}

/// Every `(package directory, example name)` the README names: `cargo run --example NAME -p
/// PKG` commands and `DIR/examples/NAME.rs` paths.
fn examples_named(text: &str) -> BTreeSet<(String, String)> {
    let mut named = BTreeSet::new();
    for line in text.lines() {
        let tokens: Vec<&str> = words(line).collect();
        for (i, token) in tokens.iter().enumerate() {
            if *token == "--example" {
                let name = tokens
                    .get(i + 1)
                    .expect("`--example` is followed by a name");
                let package = tokens[i..]
                    .windows(2)
                    .find(|pair| pair[0] == "-p")
                    .map(|pair| pair[1])
                    .unwrap_or("ember");
                let dir = PACKAGES
                    .iter()
                    .find(|(pkg, _)| *pkg == package)
                    .unwrap_or_else(|| panic!("README names an unknown package `{package}`"))
                    .1;
                named.insert((dir.to_string(), name.to_string()));
            }
            if let Some((dir, rest)) = token.split_once("/examples/") {
                if let Some(name) = rest.strip_suffix(".rs") {
                    named.insert((dir.to_string(), name.to_string()));
                }
            }
        }
    }
    named
}

#[test]
fn every_example_the_readme_names_exists_and_runs_in_the_tests() {
    let named = examples_named(&readme());
    assert!(
        !named.is_empty(),
        "README names no example: the scan is broken"
    );
    let root = workspace_root();
    for (dir, name) in &named {
        let file = root.join(dir).join("examples").join(format!("{name}.rs"));
        assert!(
            file.is_file(),
            "README names example {}, which does not exist",
            file.display()
        );
        assert!(
            EXAMPLES_RUN_HERE.contains(&(dir.as_str(), name.as_str())),
            "README names example {dir}/examples/{name}.rs, which no test in this file runs"
        );
    }
}

#[test]
fn every_file_path_the_readme_names_exists() {
    let root = workspace_root();
    let text = readme();
    let mut checked = 0;
    for word in words(&text) {
        let is_repo_path = word.contains('/')
            && !word.contains("://")
            && [".rs", ".md", ".txt", ".slt", ".toml"]
                .iter()
                .any(|ext| word.ends_with(ext));
        if is_repo_path {
            assert!(
                root.join(word).exists(),
                "README names {word}, which does not exist"
            );
            checked += 1;
        }
    }
    assert!(checked > 0, "README names no file path: the scan is broken");
}

#[test]
fn every_package_the_readme_runs_exists() {
    let root = workspace_root();
    let text = readme();
    for tokens in text.lines().map(|line| words(line).collect::<Vec<_>>()) {
        for pair in tokens.windows(2) {
            if pair[0] == "-p" {
                let dir = PACKAGES
                    .iter()
                    .find(|(pkg, _)| *pkg == pair[1])
                    .unwrap_or_else(|| panic!("README runs an unknown package `{}`", pair[1]))
                    .1;
                let manifest = std::fs::read_to_string(root.join(dir).join("Cargo.toml"))
                    .expect("the package's manifest is readable");
                assert!(
                    manifest.contains(&format!("name = \"{}\"", pair[1])),
                    "{dir}/Cargo.toml does not define package {}",
                    pair[1]
                );
            }
        }
    }
}

#[test]
fn the_example_scan_reads_commands_and_paths() {
    let named = examples_named(
        "run `cargo run --example quickstart -p ember`; see `engine/examples/threads.rs`.",
    );
    let expected: BTreeSet<(String, String)> = [("engine", "quickstart"), ("engine", "threads")]
        .iter()
        .map(|(dir, name)| (dir.to_string(), name.to_string()))
        .collect();
    assert_eq!(named, expected);
}
