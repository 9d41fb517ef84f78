//! Tidy: how a statement runs is chosen in the optimizer (`engine/src/pipeline/optimize/`).
//! The binder (`bind/`) and the executor (`exec/`) reach the optimizer only through its
//! entry points, never through one of its rules: the binder hands each FROM clause to the
//! join rule (`plan_joins`) and each query level to the level rules (`query_level`,
//! `limited_level`, `finish_query`), each subquery's plan to the rule of how it runs
//! (`subquery_run`), and a trigger's body to `optimize_trigger_statement`;
//! both may ask whether a range decides a term (`range_decides`), and the executor reads a
//! table's row estimate (`table_rows`) to give up an OR union that reached half the table.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use super::tidy::rust_files;

/// The optimizer's names the binder and the executor may use.
const ENTRY_POINTS: &[&str] = &[
    "plan_joins",
    "query_level",
    "limited_level",
    "finish_query",
    "subquery_run",
    "optimize_trigger_statement",
    "range_decides",
    "table_rows",
];

fn pipeline() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("engine/src/pipeline")
}

fn non_test_part(text: &str) -> &str {
    text.find("#[cfg(test)]")
        .map_or(text, |position| &text[..position])
}

/// The names a text's code (not its comments) takes from the optimizer: `optimize::a`,
/// `optimize::{a, b}`.
fn optimizer_names(text: &str) -> Vec<(usize, String)> {
    let mut names = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let code = line.split("//").next().unwrap_or_default();
        let mut rest = code;
        while let Some(position) = rest.find("optimize::") {
            rest = &rest[position + "optimize::".len()..];
            let items: Vec<&str> = match rest.strip_prefix('{') {
                Some(group) => group[..group.find('}').unwrap_or(group.len())]
                    .split(',')
                    .collect(),
                None => vec![rest],
            };
            for item in items {
                let item = item.trim();
                let end = item
                    .find(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .unwrap_or(item.len());
                if end > 0 {
                    names.push((number + 1, item[..end].to_string()));
                }
            }
        }
    }
    names
}

#[test]
fn binder_and_executor_reach_the_optimizer_only_through_its_entry_points() {
    let allowed: BTreeSet<&str> = ENTRY_POINTS.iter().copied().collect();
    let mut files = Vec::new();
    rust_files(&pipeline().join("bind"), &mut files);
    rust_files(&pipeline().join("exec"), &mut files);
    assert!(files.len() > 60, "only {} files found", files.len());
    let mut found = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap_or_default();
        for (line, name) in optimizer_names(non_test_part(&text)) {
            if !allowed.contains(name.as_str()) {
                found.push(format!("{}:{line}: optimize::{name}", file.display()));
            }
        }
    }
    assert!(
        found.is_empty(),
        "a choice made outside the optimizer (move it into a rule): {found:#?}"
    );
}

#[test]
fn the_name_scan_sees_paths_and_groups_but_not_comments() {
    let text = "use crate::optimize::{choose_access, join_access};\n\
                crate::optimize::finish_query(&mut n); // optimize::order_by_index\n";
    let names: Vec<String> = optimizer_names(text).into_iter().map(|(_, n)| n).collect();
    assert_eq!(names, ["choose_access", "join_access", "finish_query"]);
}
