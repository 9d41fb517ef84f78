//! `json_error_position(X)`: for JSONB, 0 or the 1-based byte offset of the first fault
//! (`jsonb::fault_offset`); for JSON text (a BLOB that is not JSONB is read as text), 0 when
//! it is well-formed, else the 1-based character
//! position where SQLite's parser stops (its `iErr`). The text is parsed first by
//! `parse.rs` (so JSON5 is refused as everywhere else); a malformed text is then walked
//! again by `Walk`, which follows the order and the error sites of SQLite's own parser
//! (`jsonTranslateTextToBlob` in json.c) over RFC 8259 JSON: the position is where a value,
//! a terminator or the end was met, before or after white space as SQLite records it. One
//! of SQLite's rules shows through: text after a complete value reports the last place a
//! `]` or `}` was read as a value's start (an empty array or object), else position 1.

use ember_storage::Value;

use crate::error::{ErrorKind, Result};
use crate::limits::JSON_DEPTH_MAX;

use super::parse::parse;

/// `json_error_position(value)`: NULL for NULL.
pub fn error_position(value: &Value) -> Result<Value> {
    let text = match value {
        Value::Null => return Ok(Value::Null),
        Value::Blob(bytes) if super::jsonb::is_jsonb(bytes) => {
            return Ok(Value::Integer(super::jsonb::fault_offset(bytes) as i64))
        }
        Value::Blob(bytes) => String::from_utf8_lossy(bytes).into_owned(),
        other => other.to_string(),
    };
    match parse(&text) {
        Ok(_) => Ok(Value::Integer(0)),
        Err(error) if error.kind() == ErrorKind::InvalidInput => {
            let offset = fault_offset(text.as_bytes());
            Ok(Value::Integer(character_position(&text, offset)))
        }
        Err(error) => Err(error),
    }
}

/// The 1-based position of the character at byte `offset` (the end counts as one past the
/// last character), as SQLite converts its byte offset.
fn character_position(text: &str, offset: usize) -> i64 {
    let before = text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|&&byte| byte & 0xc0 != 0x80)
        .count();
    i64::try_from(before).map_or(i64::MAX, |before| before + 1)
}

/// The byte offset SQLite reports for a text that is not JSON.
fn fault_offset(bytes: &[u8]) -> usize {
    let mut walk = Walk {
        bytes,
        fault: 0,
        depth: 0,
    };
    if let Step::Value { end, .. } = walk.value(0) {
        debug_assert!(
            walk.skip_space(end) < bytes.len(),
            "a text parse.rs refused is not one whole value"
        );
    }
    walk.fault
}

/// What reading a value at a position found (SQLite's return codes).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Step {
    /// A value ending before `end`; `string` when it is a string (an object key must be).
    Value { end: usize, string: bool },
    /// A syntax error: `Walk::fault` holds its offset.
    Fault,
    /// The end of the text.
    End,
    /// A `]`, `}`, `,` or `:` where a value was wanted (`Walk::fault` holds its offset).
    Terminator(u8),
}

/// SQLite's parser, walking RFC 8259 JSON for the offset of its first fault.
struct Walk<'a> {
    bytes: &'a [u8],
    /// SQLite's `iErr`: set at a fault, and where a terminator was read as a value.
    fault: usize,
    depth: usize,
}

impl Walk<'_> {
    /// The byte at `at`; the end reads as NUL, and a NUL ends the text (as SQLite reads it).
    fn at(&self, at: usize) -> u8 {
        self.bytes.get(at).copied().unwrap_or(0)
    }

    fn skip_space(&self, mut at: usize) -> usize {
        while matches!(self.at(at), b' ' | b'\t' | b'\n' | b'\r') {
            at += 1;
        }
        at
    }

    fn fail(&mut self, at: usize) -> Step {
        self.fault = at;
        Step::Fault
    }

    /// Reads one value starting at `at` (after white space).
    fn value(&mut self, at: usize) -> Step {
        let at = self.skip_space(at);
        match self.at(at) {
            b'{' | b'[' => {
                self.depth += 1;
                if self.depth > JSON_DEPTH_MAX {
                    return self.fail(at);
                }
                let step = if self.at(at) == b'{' {
                    self.object(at)
                } else {
                    self.array(at)
                };
                self.depth -= 1;
                step
            }
            b'"' => self.string(at),
            b't' => self.word(at, b"true"),
            b'f' => self.word(at, b"false"),
            b'n' => self.word(at, b"null"),
            b'-' | b'0'..=b'9' => self.number(at),
            terminator @ (b']' | b'}' | b',' | b':') => {
                self.fault = at;
                Step::Terminator(terminator)
            }
            0 => Step::End,
            _ => self.fail(at),
        }
    }

    /// A value wanted at `at` was not one: SQLite records `at` (unless the fault's own
    /// offset is known).
    fn not_a_value(&mut self, step: Step, at: usize) -> Step {
        if step != Step::Fault {
            self.fault = at;
        }
        Step::Fault
    }

    fn array(&mut self, open: usize) -> Step {
        let mut at = open + 1;
        loop {
            let end = match self.value(at) {
                Step::Value { end, .. } => end,
                // `[]` (a `]` after a comma is JSON5, which parse.rs refused).
                Step::Terminator(b']') => {
                    at = self.fault;
                    break;
                }
                step => return self.not_a_value(step, at),
            };
            at = self.skip_space(end);
            match self.at(at) {
                b',' => at += 1,
                b']' => break,
                _ => return self.fail(at),
            }
        }
        Step::Value {
            end: at + 1,
            string: false,
        }
    }

    fn object(&mut self, open: usize) -> Step {
        let mut at = open + 1;
        loop {
            let key_end = match self.value(at) {
                Step::Value { end, string: true } => end,
                Step::Value { .. } => return self.fail(at),
                Step::Terminator(b'}') => {
                    at = self.fault;
                    break;
                }
                // SQLite looks past the white space for an unquoted (JSON5) key there.
                step => return self.not_a_value(step, self.skip_space(at)),
            };
            at = self.skip_space(key_end);
            if self.at(at) != b':' {
                return self.fail(at);
            }
            at += 1;
            let end = match self.value(at) {
                Step::Value { end, .. } => end,
                step => return self.not_a_value(step, at),
            };
            at = self.skip_space(end);
            match self.at(at) {
                b',' => at += 1,
                b'}' => break,
                _ => return self.fail(at),
            }
        }
        Step::Value {
            end: at + 1,
            string: false,
        }
    }

    fn string(&mut self, open: usize) -> Step {
        let mut at = open + 1;
        loop {
            match self.at(at) {
                b'"' => {
                    return Step::Value {
                        end: at + 1,
                        string: true,
                    }
                }
                b'\\' => {
                    at += 1;
                    match self.at(at) {
                        b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't' => at += 1,
                        b'u' if (1..=4).all(|k| self.at(at + k).is_ascii_hexdigit()) => at += 5,
                        _ => return self.fail(at),
                    }
                }
                0 => return self.fail(at),
                _ => at += 1,
            }
        }
    }

    /// `true`, `false` or `null`, not followed by a letter or digit.
    fn word(&mut self, at: usize, word: &[u8]) -> Step {
        let end = at + word.len();
        if self.bytes[at..].starts_with(word) && !self.at(end).is_ascii_alphanumeric() {
            Step::Value { end, string: false }
        } else {
            self.fail(at)
        }
    }

    fn number(&mut self, start: usize) -> Step {
        let digit = |at: usize| self.at(at).is_ascii_digit();
        if self.at(start) == b'-' {
            if !digit(start + 1) {
                return self.fail(start);
            }
            if self.at(start + 1) == b'0' && digit(start + 2) {
                return self.fail(start + 1);
            }
        } else if self.at(start) == b'0' && digit(start + 1) {
            return self.fail(start + 1);
        }
        let (mut point, mut exponent) = (false, false);
        let mut at = start + 1;
        loop {
            match self.at(at) {
                b'0'..=b'9' => {}
                b'.' if point || exponent => return self.fail(at),
                b'.' => point = true,
                b'e' | b'E' => {
                    if exponent || !digit(at - 1) {
                        return self.fail(at);
                    }
                    exponent = true;
                    if matches!(self.at(at + 1), b'+' | b'-') {
                        at += 1;
                    }
                    if !digit(at + 1) {
                        return self.fail(at);
                    }
                }
                _ => break,
            }
            at += 1;
        }
        if !digit(at - 1) {
            return self.fail(at);
        }
        Step::Value {
            end: at,
            string: false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn position(text: &str) -> i64 {
        match error_position(&Value::Text(text.to_string())) {
            Ok(Value::Integer(position)) => position,
            other => panic!("{text:?}: {other:?}"),
        }
    }

    /// The positions the bundled SQLite 3.54 reports.
    #[test]
    fn positions_are_sqlites() {
        let cases: &[(&str, i64)] = &[
            ("{\"a\":[1,{\"b\":2}]}", 0),
            (" [1, 2] ", 0),
            ("[ ]", 0),
            ("{ }", 0),
            ("", 1),
            ("   ", 1),
            ("nul", 1),
            ("é", 1),
            ("[é]", 2),
            ("{\"a\":1} x", 1),
            ("[1,2 ]x", 1),
            ("[1] ]", 1),
            ("\"a\"b", 1),
            ("   ]", 4),
            ("[1,2", 5),
            ("[1, ", 4),
            ("[1 ,", 5),
            ("[1,,2]", 4),
            ("[ , ]", 2),
            ("[,1]", 2),
            ("{,}", 2),
            ("[1 2]", 4),
            ("[ 1 x]", 5),
            ("[true x]", 7),
            ("[tru ]", 2),
            ("  [1, 2, tru]", 10),
            ("[\"a\":1]", 5),
            ("[[1]", 5),
            ("[{]", 3),
            ("[{\"a\":1]", 8),
            ("{\"a\" 1}", 6),
            ("{\"a\"}", 5),
            ("{\"a\":}", 6),
            ("{\"a\": }", 6),
            ("{\"a\" : ", 7),
            ("{ \"a\"", 6),
            ("{ 1:2}", 2),
            ("{\"a\":1, 2:3}", 8),
            ("{\"a\":1 \"b\":2}", 8),
            ("{\"a\":1:2}", 7),
            ("{\"a\":1,,}", 8),
            ("{\"a\":[1,{\"b\":2}]]", 17),
            ("{\"a\":{\"b\":1}", 13),
            ("{\"a\":[}", 7),
            ("\"abc", 5),
            ("\"\\\"", 4),
            ("[\"a\\", 5),
            ("\"a\\qb\"", 4),
            ("\"é\\q\"", 4),
            ("{\"a\\x\":1}", 5),
            ("\"\\u12g4\"", 3),
            ("\"\\u12\"", 3),
            ("[\"é\", x]", 7),
            ("[01]", 3),
            ("[00]", 3),
            ("[-01]", 3),
            ("[-]", 2),
            ("[-x]", 2),
            ("[--1]", 2),
            ("[1e]", 3),
            ("[1e+]", 4),
            ("[1.5e]", 5),
        ];
        for (text, expected) in cases {
            assert_eq!(position(text), *expected, "{text:?}");
        }
    }

    #[test]
    fn null_json5_jsonb_and_blob_text() {
        assert_eq!(error_position(&Value::Null).unwrap(), Value::Null);
        assert_eq!(
            error_position(&Value::Integer(12)).unwrap(),
            Value::Integer(0)
        );
        for json5 in ["[1,2,]", "{a:1}", "[1] // c", "[1.]"] {
            let error = error_position(&Value::Text(json5.into())).unwrap_err();
            assert_eq!(error.kind(), ErrorKind::Unsupported, "{json5:?}");
        }
        // JSONB: 0, or the 1-based offset of the fault (an INT with a letter in it).
        assert_eq!(
            error_position(&Value::Blob(vec![0])).unwrap(),
            Value::Integer(0)
        );
        assert_eq!(
            error_position(&Value::Blob(vec![0x3b, 0x23, b'1', b'x'])).unwrap(),
            Value::Integer(4)
        );
        // A BLOB that is not JSONB is read as JSON text.
        assert_eq!(
            error_position(&Value::Blob(b"[1,x]".to_vec())).unwrap(),
            Value::Integer(4)
        );
    }

    #[test]
    fn deep_text_fails_at_the_bracket_past_the_limit() {
        let deep = "[".repeat(JSON_DEPTH_MAX + 5);
        assert_eq!(position(&deep), JSON_DEPTH_MAX as i64 + 1);
    }
}
