//! Tidy: the engine's two layers stay apart. No file of the query pipeline
//! (`engine/src/pipeline/`) may import the session layer (`engine/src/session/`): not its
//! modules (`crate::database`, `crate::session::...`), not the session types the crate root
//! re-exports (`crate::Database`), in paths or in `use crate::{...}` groups. Test modules
//! inside pipeline files may use the whole engine.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::tidy::rust_files;

fn engine_src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("engine/src")
}

/// The session's module names (files and folders of `session/`) and `session` itself.
fn session_modules(src: &Path) -> BTreeSet<String> {
    let mut names: BTreeSet<String> = std::fs::read_dir(src.join("session"))
        .expect("engine/src/session exists")
        .flatten()
        .filter_map(|entry| {
            let name = entry.file_name().to_string_lossy().into_owned();
            let stem = name.strip_suffix(".rs").unwrap_or(&name).to_string();
            (stem != "mod").then_some(stem)
        })
        .collect();
    names.insert("session".to_string());
    names
}

/// The names the crate root re-exports from session modules (`pub use database::Database`).
fn session_types(src: &Path, modules: &BTreeSet<String>) -> BTreeSet<String> {
    let lib = std::fs::read_to_string(src.join("lib.rs")).expect("lib.rs");
    let mut types = BTreeSet::new();
    for statement in lib.split(';') {
        let statement = statement.trim();
        let Some(path) = statement.strip_prefix("pub use ") else {
            continue;
        };
        let module = path.split("::").next().unwrap_or_default();
        if !modules.contains(module) {
            continue;
        }
        let names = path[module.len()..].trim_start_matches("::");
        let names = names.trim_start_matches('{').trim_end_matches('}');
        types.extend(
            names
                .split(',')
                .map(|n| n.trim().to_string())
                .filter(|n| !n.is_empty()),
        );
    }
    types
}

/// The part of a file before its first `#[cfg(test)]` line.
fn non_test_part(text: &str) -> &str {
    text.find("#[cfg(test)]")
        .map_or(text, |position| &text[..position])
}

/// Every top-level name a text's code (not its comments) reaches through `crate::`:
/// `crate::a::b` gives `a`, `crate::{a, b::c}` gives `a` and `b`.
fn crate_names(text: &str) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim_start().starts_with("//") {
            continue;
        }
        let mut rest = line;
        while let Some(position) = rest.find("crate::") {
            rest = &rest[position + "crate::".len()..];
            if let Some(group) = rest.strip_prefix('{') {
                let end = group.find('}').unwrap_or(group.len());
                for item in group[..end].split(',') {
                    let name = item.trim().split("::").next().unwrap_or_default();
                    names.push((number + 1, name.to_string()));
                }
            } else {
                let end = rest
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(rest.len());
                names.push((number + 1, rest[..end].to_string()));
            }
        }
    }
    names
}

/// The upward imports of the pipeline: (file, line, name).
fn upward_imports() -> Vec<String> {
    let src = engine_src();
    let modules = session_modules(&src);
    let types = session_types(&src, &modules);
    assert!(
        modules.contains("database") && types.contains("Database"),
        "{types:?}"
    );
    let mut files = Vec::new();
    rust_files(&src.join("pipeline"), &mut files);
    assert!(
        files.len() > 30,
        "only {} pipeline files found",
        files.len()
    );
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (line, name) in crate_names(non_test_part(&text)) {
            if modules.contains(&name) || types.contains(&name) {
                found.push(format!("{}:{line}: crate::{name}", file.display()));
            }
        }
    }
    found
}

#[test]
fn the_query_pipeline_never_imports_the_session() {
    let found = upward_imports();
    assert!(
        found.is_empty(),
        "the pipeline imports the session layer: {found:#?}"
    );
}

#[test]
fn the_import_scan_sees_paths_groups_and_reexported_types() {
    let text = "use crate::database::Shared;\nuse crate::{exec, Database};\n\
                let x = crate::durability::checkpoint(s);\n";
    let names: Vec<String> = crate_names(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["database", "exec", "Database", "durability"]);
    assert!(crate_names("//! see crate::database").is_empty());
    assert_eq!(
        non_test_part("a\n#[cfg(test)]\nuse crate::database;"),
        "a\n"
    );
}
