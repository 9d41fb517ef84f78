//! A strict RFC 8259 JSON parser into `Json`, keeping numbers' and strings' text as
//! written. Nesting deeper than `limits::JSON_DEPTH_MAX` and text longer than
//! `limits::JSON_TEXT_BYTES_MAX` are refused; any other fault is SQLite's `malformed JSON`,
//! except where SQLite would read JSON5 (comments, unquoted keys, trailing commas, ...):
//! that is `not supported: JSON5`, decided only once parsing has failed (no cost otherwise).

use crate::error::{unsupported, Error, Result};
use crate::limits::{JSON_DEPTH_MAX, JSON_TEXT_BYTES_MAX};

use super::value::{Json, Key};

/// SQLite's error for text that is not JSON.
pub fn malformed() -> Error {
    crate::err!(InvalidInput, "malformed JSON")
}

/// Parses a whole JSON text (whitespace around it allowed).
pub fn parse(text: &str) -> Result<Json> {
    if text.len() > JSON_TEXT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "JSON text passes {JSON_TEXT_BYTES_MAX} bytes"
        ));
    }
    let mut parser = Parser {
        bytes: text.as_bytes(),
        text,
        at: 0,
    };
    let value = parser.value()?;
    parser.skip_space();
    if parser.at != parser.bytes.len() {
        return Err(parser.fault(parser.json5_space()));
    }
    Ok(value)
}

/// An array or object being parsed (an object with the key of the value being parsed).
enum Open {
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>, String),
}

pub(super) struct Parser<'a> {
    pub(super) bytes: &'a [u8],
    pub(super) text: &'a str,
    pub(super) at: usize,
}

impl Parser<'_> {
    pub(super) fn skip_space(&mut self) {
        while let Some(b' ' | b'\t' | b'\n' | b'\r') = self.bytes.get(self.at) {
            self.at += 1;
        }
    }

    pub(super) fn peek(&self) -> Option<u8> {
        self.bytes.get(self.at).copied()
    }

    /// Parses one value without recursion: open arrays and objects wait on `stack`.
    fn value(&mut self) -> Result<Json> {
        let mut stack: Vec<Open> = Vec::new();
        loop {
            self.skip_space();
            let mut value = match self.peek() {
                Some(open @ (b'[' | b'{')) => {
                    self.at += 1;
                    if stack.len() >= JSON_DEPTH_MAX {
                        return Err(malformed());
                    }
                    self.skip_space();
                    let close = if open == b'[' { b']' } else { b'}' };
                    if self.peek() == Some(close) {
                        self.at += 1;
                        if open == b'[' {
                            Json::Array(Vec::new())
                        } else {
                            Json::Object(Vec::new())
                        }
                    } else {
                        stack.push(if open == b'[' {
                            Open::Array(Vec::new())
                        } else {
                            Open::Object(Vec::new(), self.key()?)
                        });
                        continue;
                    }
                }
                Some(b'"') => Json::String(self.string()?),
                Some(b'-' | b'0'..=b'9') => self.number()?,
                Some(b't') => self.word("true", Json::True)?,
                Some(b'f') => self.word("false", Json::False)?,
                Some(b'n') => self.word("null", Json::Null)?,
                _ => return Err(self.fault(self.json5_value_start())),
            };
            // A value is complete: add it to the innermost open container, closing those
            // that end here.
            loop {
                let Some(open) = stack.last_mut() else {
                    return Ok(value);
                };
                self.skip_space();
                let next = self.peek();
                let json5 = self.json5_space();
                self.at += 1;
                match (open, next) {
                    (Open::Array(items), Some(b',')) => {
                        items.push(value);
                        break;
                    }
                    (Open::Object(members, key), Some(b',')) => {
                        members.push((std::mem::take(key).into(), value));
                        *key = self.key()?;
                        break;
                    }
                    (Open::Array(items), Some(b']')) => {
                        items.push(value);
                        value = Json::Array(std::mem::take(items));
                    }
                    (Open::Object(members, key), Some(b'}')) => {
                        members.push((std::mem::take(key).into(), value));
                        value = Json::Object(std::mem::take(members));
                    }
                    _ => return Err(self.fault(json5)),
                }
                stack.pop();
            }
        }
    }

    /// The error for a fault: SQLite would read JSON5 here (`json5`), which is not
    /// supported, else the text is not JSON.
    pub(super) fn fault(&self, json5: bool) -> Error {
        if json5 {
            unsupported(concat!(
                "JSON5 (SQLite's extended JSON syntax: comments, unquoted keys, ",
                "trailing commas, ...)"
            ))
        } else {
            malformed()
        }
    }

    /// Whether a value starting here would be JSON5: a single-quoted string, `+`, `.5`,
    /// Infinity, NaN, a trailing comma before `]`, or JSON5 white space or comments.
    pub(super) fn json5_value_start(&self) -> bool {
        let rest = &self.bytes[self.at..];
        let trailing_comma = rest.first() == Some(&b']')
            && self.bytes[..self.at]
                .iter()
                .rev()
                .find(|b| !matches!(b, b' ' | b'\t' | b'\n' | b'\r'))
                == Some(&b',');
        matches!(rest.first(), Some(b'\'' | b'+' | b'.'))
            || rest.starts_with(b"Infinity")
            || rest.starts_with(b"NaN")
            || trailing_comma
            || self.json5_space()
    }

    /// Whether JSON5 white space (vertical tab, form feed, Unicode spaces) or a comment
    /// starts here.
    pub(super) fn json5_space(&self) -> bool {
        let rest = &self.bytes[self.at..];
        if matches!(rest, [0x0b | 0x0c, ..] | [b'/', b'/' | b'*', ..]) {
            return true;
        }
        self.text
            .get(self.at..)
            .and_then(|rest| rest.chars().next())
            .is_some_and(|c| !c.is_ascii() && (c.is_whitespace() || c == '\u{feff}'))
    }

    pub(super) fn word(&mut self, word: &str, value: Json) -> Result<Json> {
        if self.bytes[self.at..].starts_with(word.as_bytes()) {
            self.at += word.len();
            Ok(value)
        } else {
            Err(malformed())
        }
    }

    /// An object member's key and its colon.
    fn key(&mut self) -> Result<String> {
        let (start, end) = self.key_span()?;
        Ok(self.text[start..end].to_string())
    }

    /// `key`, giving where the key's raw inside lies in the text instead of a copy.
    pub(super) fn key_span(&mut self) -> Result<(usize, usize)> {
        self.skip_space();
        if self.peek() != Some(b'"') {
            // JSON5: a single-quoted or unquoted key, or a trailing comma.
            let json5 = matches!(self.peek(),
                Some(b'\'' | b'_' | b'$' | b'}' | 0x80..=0xff) | Some(b'a'..=b'z' | b'A'..=b'Z'));
            return Err(self.fault(json5 || self.json5_space()));
        }
        let key = self.string_span()?;
        self.skip_space();
        if self.peek() != Some(b':') {
            return Err(self.fault(self.json5_space()));
        }
        self.at += 1;
        Ok(key)
    }

    /// A string at the opening quote; returns its raw inside (escapes checked, kept).
    fn string(&mut self) -> Result<String> {
        let (start, end) = self.string_span()?;
        Ok(self.text[start..end].to_string())
    }

    /// `string`, giving where its raw inside lies in the text instead of a copy.
    pub(super) fn string_span(&mut self) -> Result<(usize, usize)> {
        self.at += 1;
        let start = self.at;
        loop {
            match self.peek() {
                None => return Err(malformed()),
                Some(b'"') => break,
                // SQLite reads raw control characters in strings as JSON5.
                Some(0..=0x1f) => return Err(self.fault(true)),
                Some(b'\\') => {
                    self.at += 1;
                    match self.peek() {
                        Some(b'"' | b'\\' | b'/' | b'b' | b'f' | b'n' | b'r' | b't') => {
                            self.at += 1
                        }
                        Some(b'u') => {
                            let hex = self.bytes.get(self.at + 1..self.at + 5);
                            if !hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit)) {
                                return Err(malformed());
                            }
                            self.at += 5;
                        }
                        // JSON5 escapes: \' \xHH \v \0 and line continuations (also
                        // U+2028 and U+2029); SQLite refuses a `\x` without two hex digits.
                        Some(b'\'' | b'v' | b'0' | b'\n' | b'\r') => return Err(self.fault(true)),
                        Some(b'x') => {
                            let hex = self.bytes.get(self.at + 1..self.at + 3);
                            let json5 =
                                hex.is_some_and(|hex| hex.iter().all(u8::is_ascii_hexdigit));
                            return Err(self.fault(json5));
                        }
                        Some(0xe2) => {
                            let rest = self.bytes.get(self.at + 1..self.at + 3);
                            let json5 = matches!(rest, Some([0x80, 0xa8 | 0xa9]));
                            return Err(self.fault(json5));
                        }
                        _ => return Err(malformed()),
                    }
                }
                Some(_) => self.at += 1,
            }
        }
        let end = self.at;
        self.at += 1;
        Ok((start, end))
    }

    fn digits(&mut self) -> usize {
        let start = self.at;
        while self.peek().is_some_and(|b| b.is_ascii_digit()) {
            self.at += 1;
        }
        self.at - start
    }

    fn number(&mut self) -> Result<Json> {
        let start = self.at;
        self.number_span()?;
        Ok(Json::Number(self.text[start..self.at].to_string()))
    }

    /// `number`, only stepping over it (checked as `number` checks it).
    pub(super) fn number_span(&mut self) -> Result<()> {
        if self.peek() == Some(b'-') {
            self.at += 1;
        }
        let first = self.peek();
        let whole = self.digits();
        if whole == 0 {
            // JSON5: -Infinity, -.5
            return Err(self.fault(matches!(self.peek(), Some(b'I' | b'.'))));
        }
        if first == Some(b'0') && whole == 1 && matches!(self.peek(), Some(b'x' | b'X')) {
            return Err(self.fault(true)); // JSON5 hexadecimal
        }
        if first == Some(b'0') && whole > 1 {
            return Err(malformed());
        }
        if self.peek() == Some(b'.') {
            self.at += 1;
            if self.digits() == 0 {
                return Err(self.fault(true)); // JSON5: 5.
            }
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.at += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.at += 1;
            }
            if self.digits() == 0 {
                return Err(malformed());
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(input: &str) -> Result<String> {
        parse(input)?.to_text()
    }

    #[test]
    fn parses_and_minifies_keeping_what_was_written() {
        assert_eq!(
            text(" { \"a\" : [1.50, -0, 1E+2, true, false, null] , \"a\" : \"\\u00e9\" } ")
                .unwrap(),
            "{\"a\":[1.50,-0,1E+2,true,false,null],\"a\":\"\\u00e9\"}"
        );
        assert_eq!(text("\"x\"").unwrap(), "\"x\"");
        assert_eq!(text("[]").unwrap(), "[]");
        assert_eq!(text("{}").unwrap(), "{}");
        assert_eq!(
            text("123456789012345678901234567890").unwrap(),
            "123456789012345678901234567890"
        );
    }

    #[test]
    fn hostile_input_is_an_error_never_a_panic() {
        let bad = [
            "",
            " ",
            "[",
            "]",
            "{",
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "'x'",
            "01",
            "1.",
            ".5",
            "+1",
            "-",
            "1e",
            "1e+",
            "--1",
            "tru",
            "nul",
            "\"abc",
            "\"\\x\"",
            "\"\\u12\"",
            "\"\\u12g4\"",
            "\"\\",
            "\"\u{1}\"",
            "[1 2]",
            "{\"a\" 1}",
            "{\"a\":}",
            "1 2",
            "[\"a\":1]",
            "{1:2}",
            "NaN",
            "Infinity",
            "\"\\u\"",
            "[1,,2]",
            "\u{feff}1",
        ];
        for input in bad {
            assert!(parse(input).is_err(), "{input:?} parsed");
        }
        // What SQLite reads as JSON5 is refused as not supported, the rest is malformed.
        for json5 in [
            "[1,]",
            "{\"a\":1,}",
            "{a:1}",
            "{'a':1}",
            "['x']",
            "[+1]",
            "[.5]",
            "[5.]",
            "[-.5]",
            "0x1F",
            "-Infinity",
            "NaN",
            "[1 /* c */]",
            "// c\n1",
            "\u{a0}1",
            "\"\u{1}\"",
            "\"\\x41\"",
            "\"\\'\"",
            "{_a:1}",
            "{$a:1}",
        ] {
            let error = parse(json5).unwrap_err();
            assert_eq!(
                error.kind(),
                crate::error::ErrorKind::Unsupported,
                "{json5:?}"
            );
        }
        for garbage in ["x", "[1 2]", "{\"a\" 1}", "01", "[", "tru", "1 x", "{1:2}"] {
            assert_eq!(
                parse(garbage).unwrap_err().message(),
                "malformed JSON",
                "{garbage:?}"
            );
        }
        // Lone surrogates are well-formed escapes.
        assert!(parse("\"\\ud800\"").is_ok());
        assert!(parse("\"\\udfff\\ud800\"").is_ok());
    }

    #[test]
    fn nesting_is_bounded() {
        let deep = |depth: usize| "[".repeat(depth) + &"]".repeat(depth);
        assert!(parse(&deep(JSON_DEPTH_MAX)).is_ok());
        assert!(parse(&deep(JSON_DEPTH_MAX + 1)).is_err());
        assert!(parse(&deep(100_000)).is_err());
        let objects = "{\"a\":".repeat(JSON_DEPTH_MAX + 1) + "1" + &"}".repeat(JSON_DEPTH_MAX + 1);
        assert!(parse(&objects).is_err());
        // Unclosed deep input fails at the limit, not by exhausting the stack.
        assert!(parse(&"[".repeat(1 << 20)).is_err());
    }

    #[test]
    fn huge_numbers_keep_their_text() {
        let huge = "9".repeat(10_000);
        assert_eq!(text(&huge).unwrap(), huge);
        assert_eq!(text("1e99999").unwrap(), "1e99999");
    }
}
