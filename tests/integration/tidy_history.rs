//! Tidy: no comment, name or document tells the project's history. Source files (all of
//! them, tests included) and the documents (`README.md`, `docs/*.md`) may not name a work
//! session, an issue, a round or a wave by number (`session 12`, `issue 20`, `round 3`):
//! each says what the code does, and the history lives in git.

use std::path::PathBuf;

use super::tidy::{all_rust_files, repository_root};

/// The words that, followed by a number, name a piece of the project's history.
const HISTORY_WORDS: &[&str] = &["session", "issue", "round", "wave"];

/// The history words `line` names by number: a word from `HISTORY_WORDS` (any case, not
/// the end of a longer word) followed by one space, an optional `#`, and a digit.
fn history_mentions(line: &str) -> Vec<String> {
    let lower = line.to_ascii_lowercase();
    let bytes = lower.as_bytes();
    let mut found = Vec::new();
    for word in HISTORY_WORDS {
        let mut from = 0;
        while let Some(at) = lower[from..].find(word) {
            let start = from + at;
            let end = start + word.len();
            from = end;
            let starts_word = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
            let mut rest = bytes[end..].iter();
            let numbered = rest.next() == Some(&b' ')
                && match rest.next() {
                    Some(b'#') => rest.next().is_some_and(u8::is_ascii_digit),
                    Some(byte) => byte.is_ascii_digit(),
                    None => false,
                };
            if starts_word && numbered {
                found.push(line[start..].chars().take(word.len() + 4).collect());
            }
        }
    }
    found
}

fn checked_files() -> Vec<PathBuf> {
    let root = repository_root();
    let mut files = all_rust_files();
    files.push(root.join("README.md"));
    if let Ok(entries) = std::fs::read_dir(root.join("docs")) {
        files.extend(
            entries
                .flatten()
                .map(|entry| entry.path())
                .filter(|path| path.extension().is_some_and(|e| e == "md")),
        );
    }
    files
}

#[test]
fn nothing_names_the_projects_history() {
    let mut problems = Vec::new();
    for path in checked_files() {
        // This file names the words it looks for.
        if path.ends_with("tidy_history.rs") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap_or_default();
        for (number, line) in text.lines().enumerate() {
            for mention in history_mentions(line) {
                problems.push(format!("{}:{}: {mention}", path.display(), number + 1));
            }
        }
    }
    assert!(
        problems.is_empty(),
        "history named by number (say what the code does instead): {problems:#?}"
    );
}

#[test]
fn history_mentions_are_found_and_nothing_else() {
    assert_eq!(history_mentions("(session 35: a set)").len(), 1);
    assert_eq!(history_mentions("before Issue #17 it").len(), 1);
    assert_eq!(history_mentions("round 2 and wave 3").len(), 2);
    assert!(history_mentions("a range symmetric around 0").is_empty());
    assert!(history_mentions("the session 's state; issue a lookup").is_empty());
    assert!(history_mentions("rounds 3 times; sessions 2").is_empty());
    assert_eq!(history_mentions("wave 1é").len(), 1);
}
