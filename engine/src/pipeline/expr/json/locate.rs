//! Where a path leads in a JSON text, found in one pass over the text without building its
//! tree (`json_extract`, `->`, `->>` with one path): the text is checked exactly as `parse`
//! checks it, through the parser's own string, number, word and key readers and the same
//! walk, and the first value the path leads to is noted as a byte range. Only that value
//! is then read (`parse` of the range, or a scalar read directly).
//!
//! The answer is `lookup`'s: a key step takes the first member of that name (a duplicate
//! later in the object is never reached, even when the first one leads nowhere), an index
//! step the item at that position, and a step of the wrong kind leads nowhere. A path with
//! a `[#-N]` step (which needs its array's length first) is not answered here, nor is text
//! that does not parse: the caller parses it, which gives the error.

use std::ops::Range;

use ember_storage::Value;

use crate::error::Result;
use crate::limits::{JSON_DEPTH_MAX, JSON_TEXT_BYTES_MAX};

use super::parse::{malformed, Parser};
use super::path::{key_matches, Step};
use super::value::{number_value, unescape, Json};

/// Words of the container-kind stack (one bit per open container: set for an object).
const KIND_WORDS: usize = JSON_DEPTH_MAX.div_ceil(64);

/// Where `steps` lead in `text`: `Some(Some(range))` the value's bytes, `Some(None)`
/// nowhere, `None` not answered here (the text does not parse or passes the length limit,
/// or a step counts from an array's end).
pub fn locate(text: &str, steps: &[Step]) -> Option<Option<Range<usize>>> {
    if text.len() > JSON_TEXT_BYTES_MAX || steps.iter().any(|s| matches!(s, Step::FromEnd(_))) {
        return None;
    }
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let found = walk(&mut parser, steps).ok()?;
    parser.skip_space();
    if parser.at != parser.bytes.len() {
        return None;
    }
    Some(found)
}

/// Whether member key `raw` (as written, escapes kept) or item `index` is what `step` names.
#[inline]
fn selects(step: Option<&Step>, raw: Option<&str>, index: u64) -> bool {
    match (step, raw) {
        (Some(Step::Key(key, _)), Some(raw)) => key_matches(raw, key),
        (Some(Step::Index(wanted)), None) => *wanted == index,
        _ => false,
    }
}

/// `Parser::value`'s walk, noting the range of the value `steps` lead to.
fn walk(parser: &mut Parser<'_>, steps: &[Step]) -> Result<Option<Range<usize>>> {
    let mut objects = [0u64; KIND_WORDS];
    let is_object = |objects: &[u64; KIND_WORDS], level: usize| {
        objects[level / 64] & (1u64 << (level % 64)) != 0
    };
    // Open containers; the first `on_path` of them are those the path's steps led into.
    let mut depth = 0usize;
    let mut on_path = 0usize;
    // The path's value has been found, or is known to be missing.
    let mut done = false;
    let mut found = None;
    // The path's value when it is a container still open: its level and start.
    let mut capture: Option<(usize, usize)> = None;
    // Items begun so far in the innermost container on the path (when it is an array).
    let mut index = 0u64;
    // Whether the value about to start is the one the innermost path container's step
    // selects (the root always is).
    let mut selected = true;
    loop {
        parser.skip_space();
        let here = !done && selected && on_path == depth;
        let start = parser.at;
        match parser.peek() {
            Some(open @ (b'[' | b'{')) => {
                parser.at += 1;
                if depth >= JSON_DEPTH_MAX {
                    return Err(malformed());
                }
                parser.skip_space();
                let close = if open == b'[' { b']' } else { b'}' };
                if parser.peek() == Some(close) {
                    parser.at += 1;
                } else {
                    let level = depth;
                    objects[level / 64] &= !(1u64 << (level % 64));
                    objects[level / 64] |= u64::from(open == b'{') << (level % 64);
                    depth += 1;
                    if here && level == steps.len() {
                        capture = Some((level, start));
                    } else if here {
                        on_path = depth;
                        index = 0;
                        let fits = matches!(
                            (open, &steps[level]),
                            (b'[', Step::Index(_)) | (b'{', Step::Key(..))
                        );
                        done = !fits;
                    }
                    let step = (on_path == depth && !done).then(|| &steps[level]);
                    selected = if open == b'{' {
                        let (from, to) = parser.key_span()?;
                        selects(step, Some(&parser.text[from..to]), 0)
                    } else {
                        selects(step, None, 0)
                    };
                    index = if on_path == depth { 1 } else { index };
                    continue;
                }
            }
            Some(b'"') => {
                parser.string_span()?;
            }
            Some(b'-' | b'0'..=b'9') => parser.number_span()?,
            Some(b't') => {
                parser.word("true", Json::True)?;
            }
            Some(b'f') => {
                parser.word("false", Json::False)?;
            }
            Some(b'n') => {
                parser.word("null", Json::Null)?;
            }
            _ => return Err(parser.fault(parser.json5_value_start())),
        }
        // A scalar or an empty container is complete.
        if here {
            if depth == steps.len() {
                found = Some(start..parser.at);
            }
            done = true;
        }
        // Close the containers that end here, up to the next item or member.
        loop {
            if depth == 0 {
                return Ok(found);
            }
            parser.skip_space();
            let next = parser.peek();
            let json5 = parser.json5_space();
            parser.at += 1;
            let level = depth - 1;
            let step = (on_path == depth && !done).then(|| &steps[level]);
            match (is_object(&objects, level), next) {
                (false, Some(b',')) => {
                    selected = selects(step, None, index);
                    if on_path == depth {
                        index += 1;
                    }
                    break;
                }
                (true, Some(b',')) => {
                    let (from, to) = parser.key_span()?;
                    selected = selects(step, Some(&parser.text[from..to]), 0);
                    break;
                }
                (false, Some(b']')) | (true, Some(b'}')) => {
                    depth = level;
                    if let Some((open_level, open_start)) = capture {
                        if open_level == depth {
                            found = Some(open_start..parser.at);
                            capture = None;
                            done = true;
                        }
                    }
                    if on_path > depth {
                        // The path's container ended without the path's value in it.
                        on_path = depth;
                        done = true;
                    }
                }
                _ => return Err(parser.fault(json5)),
            }
        }
    }
}

/// The SQL value of the JSON value at `range` of `text` (`Json::to_sql`), which `locate`
/// found there: a scalar read where it lies, a container parsed and minified.
pub fn sql_value(text: &str, range: Range<usize>) -> Result<Value> {
    let Some(found) = text.get(range) else {
        return Err(malformed());
    };
    Ok(match found.as_bytes().first() {
        Some(b'"') => Value::Text(unescape(found.get(1..found.len() - 1).unwrap_or_default())),
        Some(b'-' | b'0'..=b'9') => number_value(found),
        Some(b't') => Value::Integer(1),
        Some(b'f') => Value::Integer(0),
        Some(b'n') => Value::Null,
        _ => return super::parse::parse(found)?.to_sql(),
    })
}

#[cfg(test)]
mod tests {
    use super::super::parse::parse;
    use super::super::path::{lookup, parse_path};
    use super::*;

    /// `locate` agrees with `parse` + `lookup` (the value, or both refusing the text).
    fn agrees(text: &str, path: &str) {
        let steps = parse_path(path).unwrap();
        let tree = parse(text);
        match locate(text, &steps) {
            Some(found) => {
                let tree = tree.unwrap_or_else(|e| panic!("{text:?} located but: {e}"));
                let expected = lookup(&tree, &steps);
                let got = found.map(|range| parse(&text[range]).unwrap());
                assert_eq!(got.as_ref(), expected, "{text:?} {path}");
            }
            None => assert!(
                tree.is_err() || steps.iter().any(|s| matches!(s, Step::FromEnd(_))),
                "{text:?} not located"
            ),
        }
    }

    #[test]
    fn locates_what_lookup_finds() {
        let texts = [
            r#"{"a":1}"#,
            r#" { "a" : [1, 2, {"b": [3, 4]}], "a": 5, "c": {"d": null} } "#,
            r#"{"a":{"x":1},"a":{"b":2}}"#,
            r#"{"a":1,"a":{"b":2}}"#,
            r#"{"b\u0063":true,"bc":false}"#,
            r#"[[1,[2,[3]]],{"a":[]},{},[],"s\"x",-1.5e+3]"#,
            r#"[1,2,3]"#,
            r#"{"a":[{"b":1},{"b":2}],"b":{"a":9}}"#,
            r#""just a string""#,
            r#"42"#,
            r#"{"a":1,}"#,
            r#"{"a":1"#,
            r#"[1,2]x"#,
            r#"{"a":01}"#,
            r#"{"a":[1,2,]}"#,
            "",
        ];
        let paths = [
            "$",
            "$.a",
            "$.b",
            "$.a[0]",
            "$.a[2]",
            "$.a[2].b",
            "$.a[2].b[1]",
            "$.a.b",
            "$.bc",
            "$[0]",
            "$[1]",
            "$[5]",
            "$[0][1][1][0]",
            "$[1].a",
            "$.c.d",
            "$.c.e",
            "$[2]",
            "$.a[#-1]",
            "$[9]",
            "$.x.y.z",
        ];
        for text in texts {
            for path in paths {
                agrees(text, path);
            }
        }
    }

    #[test]
    fn deep_text_is_bounded() {
        let deep = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        let steps = parse_path("$[0]").unwrap();
        assert!(locate(&deep(JSON_DEPTH_MAX), &steps).is_some());
        assert!(locate(&deep(JSON_DEPTH_MAX + 1), &steps).is_none());
        assert!(locate(&"[".repeat(1 << 20), &steps).is_none());
    }

    #[test]
    fn scalars_read_where_they_lie() {
        let text = r#"["a\n\u00e9",12,1.5,true,false,null,[1, 2],9223372036854775808]"#;
        let tree = parse(text).unwrap();
        for i in 0..8 {
            let steps = parse_path(&format!("$[{i}]")).unwrap();
            let range = locate(text, &steps).unwrap().unwrap();
            let expected = lookup(&tree, &steps).unwrap().to_sql().unwrap();
            assert_eq!(sql_value(text, range).unwrap(), expected, "item {i}");
        }
    }
}
