//! Tidy: the folders of the executor (`engine/src/pipeline/exec/`) import each other without
//! a circle. Each folder directly under exec/ (scan/, aggregate/, write/, ...) is one node;
//! a file of a folder, or of a folder inside it, gives its folder an edge to every other
//! folder its code names: `crate::pipeline::exec::f`, `crate::exec::f` and relative
//! `super::` paths, resolved from the file's module (a `#[path]` file is the submodule its
//! host declares, and an inline `mod x { .. }` is one level deeper), groups
//! `super::{a, b::c}` included, test code included, comments and string literals not.
//!
//! Root files (exec/mod.rs, bounds.rs, profile.rs, push.rs, parallel_note.rs) are not
//! folders: they are the core every folder uses (`Operator`, `ExecContext`, `build`,
//! `run_query`, the push form of `build`, statement bounds, EXPLAIN's counters), and they
//! reach into every folder to dispatch, so a name of theirs is no edge, and their own
//! references are not counted. A name the root only re-exports from a folder
//! (`pub use write::dml::delete` in exec/mod.rs) counts as that folder.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use super::tidy::rust_files;

/// Folder -> the folders it refers to, each with one file that does.
type Graph = BTreeMap<String, BTreeMap<String, String>>;

fn exec_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("tests/ has a parent")
        .join("engine/src/pipeline/exec")
}

/// The text with comments removed and string and char literals emptied, lines kept.
fn code_only(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '/' if chars.peek() == Some(&'/') => {
                for rest in chars.by_ref() {
                    if rest == '\n' {
                        out.push('\n');
                        break;
                    }
                }
            }
            '"' => {
                out.push('"');
                let mut escaped = false;
                for rest in chars.by_ref() {
                    if rest == '\n' {
                        out.push('\n');
                    }
                    if !escaped && rest == '"' {
                        break;
                    }
                    escaped = !escaped && rest == '\\';
                }
                out.push('"');
            }
            // A char literal of a brace or a quote ('{', '}', '"'); lifetimes pass through.
            '\'' => {
                let mut ahead = chars.clone();
                match (ahead.next(), ahead.next()) {
                    (Some('{' | '}' | '"'), Some('\'')) => {
                        chars.next();
                        chars.next();
                        out.push_str("' '");
                    }
                    _ => out.push('\''),
                }
            }
            _ => out.push(c),
        }
    }
    out
}

fn is_ident_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_'
}

/// The identifier at the start of `text` (empty when none).
fn ident(text: &str) -> &str {
    let end = text.find(|c: char| !is_ident_char(c)).unwrap_or(text.len());
    &text[..end]
}

/// The top-level items of a `{..}` group that starts `text`: their first identifiers.
fn group_heads(text: &str) -> Vec<String> {
    let mut heads = Vec::new();
    let mut depth = 0;
    let mut item_start = true;
    for (position, c) in text.char_indices() {
        match c {
            '{' => {
                depth += 1;
                if depth == 1 {
                    item_start = true;
                    continue;
                }
            }
            '}' => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            ',' if depth == 1 => {
                item_start = true;
                continue;
            }
            _ => {}
        }
        if depth == 1 && item_start && is_ident_char(c) {
            heads.push(ident(&text[position..]).to_string());
            item_start = false;
        }
    }
    heads
}

/// The first name after each path into exec/ in `code`, as a path from exec/'s root: the
/// module `module` (its path below exec/, inline modules included) resolves `super::`.
fn exec_paths(code: &str, module: &[String]) -> Vec<Vec<String>> {
    let mut found = Vec::new();
    // Inline modules: (name, brace depth where it opened).
    let mut inline: Vec<(String, usize)> = Vec::new();
    let mut depth = 0usize;
    let mut position = 0;
    let bytes = code.as_bytes();
    while position < code.len() {
        let rest = &code[position..];
        let c = bytes[position] as char;
        let starts_word = position == 0 || {
            let before = bytes[position - 1] as char;
            !is_ident_char(before) && before != ':'
        };
        if c == '{' {
            depth += 1;
        } else if c == '}' {
            depth = depth.saturating_sub(1);
            while inline.last().is_some_and(|(_, opened)| *opened > depth) {
                inline.pop();
            }
        } else if starts_word && rest.starts_with("mod ") {
            let name = ident(rest["mod ".len()..].trim_start());
            let after = rest["mod ".len()..].trim_start()[name.len()..].trim_start();
            if after.starts_with('{') {
                inline.push((name.to_string(), depth + 1));
            }
        } else if starts_word && (rest.starts_with("super::") || rest.starts_with("crate::")) {
            let (base, tail) = if let Some(tail) = rest.strip_prefix("crate::pipeline::exec::") {
                (Vec::new(), tail)
            } else if let Some(tail) = rest.strip_prefix("crate::exec::") {
                (Vec::new(), tail)
            } else if rest.starts_with("super::") {
                let mut tail = rest;
                let mut ups = 0;
                while let Some(next) = tail.strip_prefix("super::") {
                    tail = next;
                    ups += 1;
                }
                let mut current: Vec<String> = module.to_vec();
                current.extend(inline.iter().map(|(name, _)| name.clone()));
                let kept = current.len().saturating_sub(ups);
                (current[..kept].to_vec(), tail)
            } else {
                position += "crate::".len();
                continue;
            };
            let heads = if tail.starts_with('{') {
                group_heads(tail)
            } else {
                vec![ident(tail).to_string()]
            };
            for head in heads.into_iter().filter(|head| !head.is_empty()) {
                let mut path = base.clone();
                path.push(head);
                found.push(path);
            }
            position += rest.find("::").unwrap_or(1) + 2;
            continue;
        }
        position += c.len_utf8();
    }
    found
}

/// The names exec/mod.rs imports or re-exports from a folder (`use write::dml::delete`,
/// `pub use query::cte::{CteRows, WorkRow}`), each with its folder.
fn root_names(root: &str, folders: &BTreeSet<String>) -> BTreeMap<String, String> {
    let mut names = BTreeMap::new();
    for statement in root.split(';') {
        let statement = statement.trim();
        let Some(position) = statement.find("use ") else {
            continue;
        };
        let after_space = statement[..position].ends_with([' ', '\n']);
        if !(position == 0 || statement.starts_with("pub") && after_space) {
            continue;
        }
        let path = statement[position + "use ".len()..].trim();
        let folder = ident(path);
        if !folders.contains(folder) {
            continue;
        }
        let leaves = path.replace(['{', '}'], ",");
        for leaf in leaves.split(',') {
            let leaf = leaf.trim();
            let name = match leaf.split_once(" as ") {
                Some((_, alias)) => alias.trim(),
                None => leaf.rsplit("::").next().unwrap_or_default().trim(),
            };
            if !name.is_empty() && name != folder {
                names.insert(name.to_string(), folder.to_string());
            }
        }
    }
    names
}

/// The module path below exec/ of each file: `scan/mod.rs` is `scan`, `scan/key_range.rs`
/// is `scan::key_range`, a `#[path = "f.rs"] mod m;` file is its host's module plus `m`.
fn modules(exec: &Path, files: &[PathBuf]) -> BTreeMap<PathBuf, Vec<String>> {
    let mut modules: BTreeMap<PathBuf, Vec<String>> = BTreeMap::new();
    for file in files {
        let relative = file.strip_prefix(exec).expect("a file under exec/");
        let mut parts: Vec<String> = relative
            .iter()
            .map(|part| part.to_string_lossy().into_owned())
            .collect();
        let last = parts.pop().unwrap_or_default();
        if last != "mod.rs" {
            parts.push(last.trim_end_matches(".rs").to_string());
        }
        modules.insert(file.clone(), parts);
    }
    for file in files {
        let text = code_only(&std::fs::read_to_string(file).unwrap_or_default());
        let host = modules[file].clone();
        for piece in text.split("#[path = \"").skip(1) {
            let Some((target, after)) = piece.split_once('"') else {
                continue;
            };
            let after = after.trim_start_matches(']').trim_start();
            let after = after.strip_prefix("pub(super) ").unwrap_or(after);
            let Some(declared) = after.strip_prefix("mod ") else {
                continue;
            };
            let hosted = file.parent().expect("a file has a folder").join(target);
            let mut module = host.clone();
            module.push(ident(declared).to_string());
            modules.insert(hosted, module);
        }
    }
    modules
}

/// The folder graph of exec/ as its sources stand.
fn folder_graph() -> (BTreeSet<String>, Graph) {
    let exec = exec_dir();
    let folders: BTreeSet<String> = std::fs::read_dir(&exec)
        .expect("engine/src/pipeline/exec exists")
        .flatten()
        .filter(|entry| entry.path().is_dir())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect();
    let root = code_only(&std::fs::read_to_string(exec.join("mod.rs")).expect("exec/mod.rs"));
    let reexported = root_names(&root, &folders);
    let mut files = Vec::new();
    rust_files(&exec, &mut files);
    let modules = modules(&exec, &files);
    let mut graph = Graph::new();
    for file in &files {
        let relative = file.strip_prefix(&exec).unwrap_or(file);
        // Root files (one path component) are the core: not a folder, no edges.
        if relative.components().count() < 2 {
            continue;
        }
        let module = &modules[file];
        let folder = &module[0];
        graph.entry(folder.clone()).or_default();
        let code = code_only(&std::fs::read_to_string(file).unwrap_or_default());
        for path in exec_paths(&code, module) {
            let Some(head) = path.first() else { continue };
            let target = if folders.contains(head) {
                head
            } else if let Some(folder) = reexported.get(head) {
                folder
            } else {
                continue;
            };
            if target != folder {
                let shown = relative.display().to_string();
                graph
                    .entry(folder.clone())
                    .or_default()
                    .entry(target.clone())
                    .or_insert(shown);
            }
        }
    }
    (folders, graph)
}

/// A circle in `graph` as the folders along it, first and last the same; `None` if none.
fn find_cycle(graph: &Graph) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        graph: &Graph,
        done: &mut BTreeSet<String>,
        path: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        if let Some(start) = path.iter().position(|on| on == node) {
            let mut cycle = path[start..].to_vec();
            cycle.push(node.to_string());
            return Some(cycle);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in graph.get(node).into_iter().flat_map(|edges| edges.keys()) {
            if let Some(cycle) = visit(next, graph, done, path) {
                return Some(cycle);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    graph
        .keys()
        .find_map(|node| visit(node, graph, &mut done, &mut Vec::new()))
}

/// The circle's edges with the file that makes each.
fn describe(cycle: &[String], graph: &Graph) -> String {
    cycle
        .windows(2)
        .map(|pair| {
            let file = graph
                .get(&pair[0])
                .and_then(|edges| edges.get(&pair[1]))
                .map_or("?", String::as_str);
            format!("{} -> {} ({file})", pair[0], pair[1])
        })
        .collect::<Vec<_>>()
        .join(", ")
}

#[test]
fn the_folders_of_exec_import_each_other_without_a_circle() {
    let (folders, graph) = folder_graph();
    assert!(folders.len() >= 5, "exec/ has only the folders {folders:?}");
    let edges: usize = graph.values().map(BTreeMap::len).sum();
    assert!(
        edges > 0,
        "no reference between exec/'s folders found: {graph:?}"
    );
    if let Some(cycle) = find_cycle(&graph) {
        panic!(
            "import circle between the folders of exec/: {}",
            describe(&cycle, &graph)
        );
    }
}

#[test]
fn tidy_exec_catches_what_it_claims() {
    let graph = |edges: &[(&str, &str)]| {
        let mut graph = Graph::new();
        for (from, to) in edges {
            graph
                .entry(from.to_string())
                .or_default()
                .insert(to.to_string(), format!("{from}/x.rs"));
        }
        graph
    };
    let circle = graph(&[("a", "b"), ("b", "c"), ("c", "a"), ("d", "a")]);
    let cycle = find_cycle(&circle).expect("a -> b -> c -> a is a circle");
    assert_eq!(cycle.first(), cycle.last());
    assert_eq!(cycle.len(), 4, "{cycle:?}");
    assert!(describe(&cycle, &circle).contains("c -> a (c/x.rs)"));
    assert_eq!(
        find_cycle(&graph(&[("a", "b"), ("b", "c"), ("a", "c")])),
        None
    );
    assert!(find_cycle(&graph(&[("a", "a")])).is_some());

    // Paths: relative ones resolved from the module, groups, absolute ones, inline modules;
    // comments and strings skipped.
    let module = vec!["write".to_string(), "dml".to_string()];
    let code = code_only(
        "use super::super::scan::targets::x;\n\
         use super::{constraint::RowGuard, check};\n\
         use super::super::{join::y, ExecContext};\n\
         let a = crate::pipeline::exec::sort::top_k::f();\n\
         // super::super::window::w\n\
         let s = \"super::super::schema\";\n\
         mod tests {\n    use super::super::aggregate::z;\n}\n",
    );
    let heads: Vec<String> = exec_paths(&code, &module)
        .into_iter()
        .map(|path| path.join("::"))
        .collect();
    assert_eq!(
        heads,
        [
            "scan",
            "write::constraint",
            "write::check",
            "join",
            "ExecContext",
            "sort",
            "write::aggregate"
        ]
    );
    let folders: BTreeSet<String> = ["write", "query"].map(String::from).into();
    let names = root_names(
        "pub use write::dml::{delete, update as change};\nuse query::cte::CteRows;\n\
         pub use bounds::MemoryCharge;",
        &folders,
    );
    assert_eq!(names.get("delete").map(String::as_str), Some("write"));
    assert_eq!(names.get("change").map(String::as_str), Some("write"));
    assert_eq!(names.get("CteRows").map(String::as_str), Some("query"));
    assert!(!names.contains_key("MemoryCharge"));
}
