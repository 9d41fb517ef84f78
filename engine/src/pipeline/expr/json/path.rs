//! JSON paths as SQLite reads them (`$`, `.key`, `."quoted key"`, `[N]`, `[#]`, `[#-N]`),
//! looking a path up, and the edits of `json_set` / `json_insert` / `json_replace` /
//! `json_remove`, which create missing objects and arrays along the way as SQLite does.

use std::cell::RefCell;
use std::rc::Rc;

use crate::error::{Error, Result};

use super::value::{escape, unescape, Json, Key};

/// One step of a path.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// `.key` or `."key"`: the key it names (escapes of a quoted key decoded), and, for a
    /// quoted key written with escapes, the key's text as written: what an edit that creates
    /// the member writes as its key, as SQLite copies it (`None`: the key, escaped).
    Key(String, Option<Box<str>>),
    /// `[N]`.
    Index(u64),
    /// `[#-N]` (`[#]` is N = 0: one past the last element).
    FromEnd(u64),
}

/// SQLite's error for a path it cannot read.
pub fn bad_path(path: &str) -> Error {
    crate::err!(InvalidInput, "bad JSON path: '{path}'")
}

/// The longest path text `parse_path_shared` keeps parsed.
const SHARED_PATH_BYTES_MAX: usize = 256;

/// A path's text and its steps.
type SharedPath = (Box<str>, Rc<[Step]>);

thread_local! {
    /// The last path `parse_path_shared` parsed on this thread, with its text.
    static LAST_PATH: RefCell<Option<SharedPath>> = const { RefCell::new(None) };
}

/// `parse_path`, shared: the last path parsed on this thread (when at most
/// `SHARED_PATH_BYTES_MAX` bytes) is kept with its text, so a path given row after row (a
/// constant) is parsed once. A path that does not parse is not kept (it fails each time).
pub fn parse_path_shared(path: &str) -> Result<Rc<[Step]>> {
    let kept = LAST_PATH.with(|last| {
        let last = last.try_borrow().ok()?;
        match &*last {
            Some((text, steps)) if **text == *path => Some(Rc::clone(steps)),
            _ => None,
        }
    });
    if let Some(steps) = kept {
        return Ok(steps);
    }
    let steps: Rc<[Step]> = parse_path(path)?.into();
    if path.len() <= SHARED_PATH_BYTES_MAX {
        LAST_PATH.with(|last| {
            if let Ok(mut last) = last.try_borrow_mut() {
                *last = Some((path.into(), Rc::clone(&steps)));
            }
        });
    }
    Ok(steps)
}

/// Parses a path that starts with `$`.
pub fn parse_path(path: &str) -> Result<Vec<Step>> {
    Ok(parse_path_spans(path)?
        .into_iter()
        .map(|(step, _)| step)
        .collect())
}

/// Parses a path, giving each step with the byte offset where its text starts.
pub fn parse_path_spans(path: &str) -> Result<Vec<(Step, usize)>> {
    let Some(mut rest) = path.strip_prefix('$') else {
        return Err(bad_path(path));
    };
    let mut steps = Vec::new();
    while !rest.is_empty() {
        if steps.len() >= crate::limits::JSON_DEPTH_MAX {
            return Err(crate::err!(
                Limit,
                "JSON path has more than {} steps",
                crate::limits::JSON_DEPTH_MAX
            ));
        }
        let start = path.len() - rest.len();
        if let Some(after) = rest.strip_prefix('.') {
            if let Some(quoted) = after.strip_prefix('"') {
                let end = quoted_key_end(quoted).ok_or_else(|| bad_path(path))?;
                let raw = &quoted[..end];
                let step = if raw.contains('\\') {
                    Step::Key(unescape(raw), Some(raw.into()))
                } else {
                    Step::Key(raw.to_string(), None)
                };
                steps.push((step, start));
                rest = &quoted[end + 1..];
            } else {
                let end = after.find(['.', '[']).unwrap_or(after.len());
                if end == 0 {
                    return Err(bad_path(path));
                }
                steps.push((Step::Key(after[..end].to_string(), None), start));
                rest = &after[end..];
            }
        } else if let Some(after) = rest.strip_prefix('[') {
            let end = after.find(']').ok_or_else(|| bad_path(path))?;
            let inside = &after[..end];
            let step = if let Some(back) = inside.strip_prefix('#') {
                match back.strip_prefix('-') {
                    None if back.is_empty() => Step::FromEnd(0),
                    Some(count) => Step::FromEnd(digits(count).ok_or_else(|| bad_path(path))?),
                    None => return Err(bad_path(path)),
                }
            } else {
                Step::Index(digits(inside).ok_or_else(|| bad_path(path))?)
            };
            steps.push((step, start));
            rest = &after[end + 1..];
        } else {
            return Err(bad_path(path));
        }
    }
    Ok(steps)
}

/// Where the closing quote of a quoted key (the text after its opening quote) is: a
/// backslash escapes the character after it, as SQLite reads the path. Only JSON's own
/// escapes are taken (`\"`, `\\`, `\/`, `\b`, `\f`, `\n`, `\r`, `\t`, `\uXXXX`): `None` for
/// any other, or for no closing quote.
fn quoted_key_end(quoted: &str) -> Option<usize> {
    let bytes = quoted.as_bytes();
    let mut at = 0;
    while at < bytes.len() {
        match bytes[at] {
            b'"' => return Some(at),
            b'\\' => {
                at += match *bytes.get(at + 1)? {
                    b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => 2,
                    b'u' => {
                        let hex = bytes.get(at + 2..at + 6)?;
                        if !hex.iter().all(u8::is_ascii_hexdigit) {
                            return None;
                        }
                        6
                    }
                    _ => return None,
                };
            }
            _ => at += 1,
        }
    }
    None
}

/// A run of decimal digits (too many saturate: such an index finds nothing).
fn digits(text: &str) -> Option<u64> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.parse::<u64>().unwrap_or(u64::MAX))
}

/// Whether an object's raw key (escapes as written) is the path's `key`.
pub fn key_matches(raw: &str, key: &str) -> bool {
    if raw.contains('\\') {
        unescape(raw) == key
    } else {
        raw == key
    }
}

/// The array position a step names in an array of `len` elements, if it names one there
/// (`Some(len)` is one past the end: where an append goes).
pub fn position(step: &Step, len: usize) -> Option<usize> {
    match step {
        Step::Index(index) => usize::try_from(*index).ok(),
        Step::FromEnd(back) => usize::try_from(*back).ok().and_then(|b| len.checked_sub(b)),
        Step::Key(..) => None,
    }
}

/// The value `steps` lead to from `root`, if any (the first of duplicate keys).
pub fn lookup<'a>(root: &'a Json, steps: &[Step]) -> Option<&'a Json> {
    let mut node = root;
    for step in steps {
        node = child(node, step)?;
    }
    Some(node)
}

fn child<'a>(node: &'a Json, step: &Step) -> Option<&'a Json> {
    match (node, step) {
        (Json::Object(members), Step::Key(key, _)) => members
            .iter()
            .find(|(raw, _)| key_matches(raw, key))
            .map(|(_, value)| value),
        (Json::Array(items), step) => items.get(position(step, items.len())?),
        _ => None,
    }
}

/// What an edit does at the path: json_set sets (replacing or creating), json_insert only
/// creates, json_replace only replaces.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EditMode {
    Set,
    Insert,
    Replace,
}

/// Applies one edit; a path that leads nowhere it may go leaves `root` unchanged. Walks
/// down without recursion.
pub fn edit(root: &mut Json, steps: &[Step], mode: EditMode, value: Json) {
    let mut node = root;
    let mut rest = steps;
    loop {
        let Some((step, tail)) = rest.split_first() else {
            if mode != EditMode::Insert {
                *node = value;
            }
            return;
        };
        rest = tail;
        match (node, step) {
            (Json::Object(members), Step::Key(key, raw)) => {
                match members.iter().position(|(raw, _)| key_matches(raw, key)) {
                    Some(at) => node = &mut members[at].1,
                    None => {
                        if mode != EditMode::Replace {
                            if let Some(created) = build(tail, value) {
                                members.push((member_key(key, raw), created));
                            }
                        }
                        return;
                    }
                }
            }
            (Json::Array(items), step) => {
                let len = items.len();
                match position(step, len) {
                    Some(at) if at < len => node = &mut items[at],
                    Some(at) if at == len && mode != EditMode::Replace => {
                        if let Some(created) = build(tail, value) {
                            items.push(created);
                        }
                        return;
                    }
                    _ => return,
                }
            }
            _ => return,
        }
    }
}

/// The raw key (escapes as written) of a member an edit creates for a key step.
fn member_key(key: &str, raw: &Option<Box<str>>) -> Key {
    Key::raw(match raw {
        Some(raw) => raw.to_string(),
        None => escape(key),
    })
}

/// The value to create for the missing `steps`: nested objects (for keys) and one-element
/// arrays (for `[0]` or `[#]`) around `value`; `None` when a step cannot be created.
fn build(steps: &[Step], value: Json) -> Option<Json> {
    let mut built = value;
    for step in steps.iter().rev() {
        built = match step {
            Step::Key(key, raw) => Json::Object(vec![(member_key(key, raw), built)]),
            Step::Index(0) | Step::FromEnd(0) => Json::Array(vec![built]),
            _ => return None,
        };
    }
    Some(built)
}

/// Removes what `steps` lead to. Removing the root itself returns `false` (json_remove
/// then gives NULL).
pub fn remove(root: &mut Json, steps: &[Step]) -> bool {
    let Some((last, parents)) = steps.split_last() else {
        return false;
    };
    let mut node = root;
    for step in parents {
        let next = match (node, step) {
            (Json::Object(members), Step::Key(key, _)) => members
                .iter_mut()
                .find(|(raw, _)| key_matches(raw, key))
                .map(|(_, value)| value),
            (Json::Array(items), step) => {
                let len = items.len();
                position(step, len).and_then(|at| items.get_mut(at))
            }
            _ => None,
        };
        match next {
            Some(next) => node = next,
            None => return true,
        }
    }
    match (node, last) {
        (Json::Object(members), Step::Key(key, _)) => {
            if let Some(at) = members.iter().position(|(raw, _)| key_matches(raw, key)) {
                members.remove(at);
            }
        }
        (Json::Array(items), step) => {
            if let Some(at) = position(step, items.len()).filter(|&at| at < items.len()) {
                items.remove(at);
            }
        }
        _ => {}
    }
    true
}

/// `fullkey` text of an object member: `.key` when the key is a letter followed by letters
/// and digits, else `."key"` (the key as written, escapes kept).
pub fn append_key(path: &mut String, raw_key: &str) {
    let mut bytes = raw_key.bytes();
    let plain = bytes.next().is_some_and(|b| b.is_ascii_alphabetic())
        && bytes.all(|b| b.is_ascii_alphanumeric());
    if plain {
        path.push('.');
        path.push_str(raw_key);
    } else {
        path.push_str(".\"");
        path.push_str(raw_key);
        path.push('"');
    }
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::*;

    #[test]
    fn a_shared_path_is_the_parsed_path_of_its_own_text() {
        for path in ["$.a", "$.b[2]", "$.a", "$", "$.a", "$[#-1].x"] {
            assert_eq!(
                &*parse_path_shared(path).unwrap(),
                &steps(path)[..],
                "{path}"
            );
        }
        let long = format!("$.{}", "k".repeat(SHARED_PATH_BYTES_MAX));
        assert_eq!(&*parse_path_shared(&long).unwrap(), &steps(&long)[..]);
        assert_eq!(&*parse_path_shared("$.a").unwrap(), &steps("$.a")[..]);
        // A bad path fails each time, and does not replace the kept one.
        assert!(parse_path_shared("$.").is_err());
        assert!(parse_path_shared("$.").is_err());
        assert_eq!(&*parse_path_shared("$.a").unwrap(), &steps("$.a")[..]);
    }

    fn steps(path: &str) -> Vec<Step> {
        parse_path(path).unwrap()
    }

    #[test]
    fn paths_parse_as_sqlite_reads_them() {
        assert_eq!(steps("$"), vec![]);
        assert_eq!(
            steps("$.a[2].\"b c\"[#-1][#]"),
            vec![
                Step::Key("a".into(), None),
                Step::Index(2),
                Step::Key("b c".into(), None),
                Step::FromEnd(1),
                Step::FromEnd(0),
            ]
        );
        assert_eq!(
            steps("$[99999999999999999999999]"),
            vec![Step::Index(u64::MAX)]
        );
        for bad in [
            "", "a", "$.", "$a", "$[", "$[x]", "$[-1]", "$[#-]", "$.\"a", "$[1", "$[#1]",
        ] {
            let error = parse_path(bad).unwrap_err();
            assert_eq!(error.message(), format!("bad JSON path: '{bad}'"));
        }
    }

    #[test]
    fn lookups_and_edits() {
        let doc = parse("{\"a\":[1,2,3],\"a\":0,\"b\\u0063\":true}").unwrap();
        assert_eq!(
            lookup(&doc, &steps("$.a[#-1]")),
            Some(&Json::Number("3".into()))
        );
        assert_eq!(lookup(&doc, &steps("$.bc")), Some(&Json::True));
        assert_eq!(lookup(&doc, &steps("$.a[#]")), None);
        assert_eq!(lookup(&doc, &steps("$.a[#-4]")), None);
        let mut doc = parse("{\"a\":1}").unwrap();
        edit(&mut doc, &steps("$.b.c[0]"), EditMode::Set, Json::Null);
        edit(&mut doc, &steps("$.a"), EditMode::Insert, Json::True);
        edit(&mut doc, &steps("$.z"), EditMode::Replace, Json::True);
        edit(&mut doc, &steps("$.b.c[5]"), EditMode::Set, Json::True);
        assert_eq!(doc.to_text().unwrap(), "{\"a\":1,\"b\":{\"c\":[null]}}");
        assert!(remove(&mut doc, &steps("$.b.c[#-1]")));
        assert!(remove(&mut doc, &steps("$.x.y")));
        assert_eq!(doc.to_text().unwrap(), "{\"a\":1,\"b\":{\"c\":[]}}");
        assert!(!remove(&mut doc, &steps("$")));
    }

    #[test]
    fn long_paths_are_bounded() {
        let limit = crate::limits::JSON_DEPTH_MAX;
        let at_limit = format!("${}", ".a".repeat(limit));
        let mut doc = Json::Object(Vec::new());
        edit(&mut doc, &steps(&at_limit), EditMode::Set, Json::Null);
        assert!(lookup(&doc, &steps(&at_limit)).is_some());
        let past = format!("${}", "[0]".repeat(limit + 1));
        let error = parse_path(&past).unwrap_err();
        assert_eq!(error.kind(), crate::error::ErrorKind::Limit);
    }
}
