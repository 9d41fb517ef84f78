//! The JSON tree the JSON functions work on, and its minified text. Like SQLite, a parsed
//! value keeps what the text said: object members in order, duplicate keys, a number's and
//! a string's text as written (escapes included), so `json()` gives the input back minified.

use std::fmt::Write;

use ember_storage::Value;

use crate::error::Result;

/// One JSON value. `Number` and `String` hold their text as written (a string without its
/// quotes, escapes kept); object keys likewise.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    Null,
    True,
    False,
    Number(String),
    String(String),
    /// A string held as its text, unescaped: SQLite's TEXTRAW, what `json_set` and its kin
    /// store for an SQL text value (its JSON text is the same as `String`'s).
    Raw(String),
    Array(Vec<Json>),
    Object(Vec<(Key, Json)>),
}

/// An object member's key: its text as written (escapes kept), read as that `str`, and
/// whether SQLite stores it as TEXTRAW (TEXT5 when it holds a backslash) rather than as
/// TEXT (TEXTJ): a key an edit created from its path, or one read so from JSONB. The JSON
/// text is the same either way.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Key {
    pub text: String,
    pub raw: bool,
}

impl Key {
    /// A key as SQLite stores a key an edit created from its path.
    pub fn raw(text: String) -> Key {
        Key { text, raw: true }
    }
}

impl From<String> for Key {
    fn from(text: String) -> Key {
        Key { text, raw: false }
    }
}

impl From<&str> for Key {
    fn from(text: &str) -> Key {
        Key::from(text.to_string())
    }
}

impl std::ops::Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

impl Json {
    /// A JSON string holding `text` (escaped as SQLite escapes it).
    pub fn string(text: &str) -> Json {
        Json::String(escape(text))
    }

    /// The type name `json_type()` and `json_each.type` give.
    pub fn type_name(&self) -> &'static str {
        match self {
            Json::Null => "null",
            Json::True => "true",
            Json::False => "false",
            Json::Number(text) if is_integer_text(text) => "integer",
            Json::Number(_) => "real",
            Json::String(_) | Json::Raw(_) => "text",
            Json::Array(_) => "array",
            Json::Object(_) => "object",
        }
    }

    /// This value as SQLite holds it once rendered as text and parsed again (what
    /// `json_array`, `json_object`, `json_quote` and a many-path `json_extract` build on):
    /// raw strings and keys become plain ones. Recursion is bounded as `write_to`'s is.
    pub fn into_parsed_form(self) -> Json {
        match self {
            Json::Raw(text) => Json::string(&text),
            Json::Array(items) => {
                Json::Array(items.into_iter().map(Json::into_parsed_form).collect())
            }
            Json::Object(members) => Json::Object(
                members
                    .into_iter()
                    .map(|(key, value)| (Key::from(key.text), value.into_parsed_form()))
                    .collect(),
            ),
            other => other,
        }
    }

    /// Whether this is an array or an object.
    pub fn is_container(&self) -> bool {
        matches!(self, Json::Array(_) | Json::Object(_))
    }

    /// The minified JSON text.
    pub fn to_text(&self) -> Result<String> {
        let mut out = String::new();
        self.write_to(&mut out);
        if out.len() > crate::limits::JSON_TEXT_BYTES_MAX {
            return Err(crate::err!(
                Limit,
                "JSON result passes {} bytes",
                crate::limits::JSON_TEXT_BYTES_MAX
            ));
        }
        Ok(out)
    }

    /// The text `json_pretty` gives: each array element and object member on a line of its
    /// own, indented by `indent` once per level, a member's key followed by `": "`; an empty
    /// array or object stays `[]` / `{}`.
    pub fn to_pretty_text(&self, indent: &str) -> Result<String> {
        let mut out = String::new();
        self.write_pretty(&mut out, indent, 0)?;
        Ok(out)
    }

    /// Appends the `to_pretty_text` of this value at nesting `level`. Fails as soon as the
    /// text passes `JSON_TEXT_BYTES_MAX` (a long indent repeats per line and level).
    fn write_pretty(&self, out: &mut String, indent: &str, level: usize) -> Result<()> {
        let limit = crate::limits::JSON_TEXT_BYTES_MAX;
        let too_long = || crate::err!(Limit, "JSON result passes {limit} bytes");
        let new_line = |out: &mut String, level: usize| -> Result<()> {
            if out.len().saturating_add(indent.len().saturating_mul(level)) > limit {
                return Err(too_long());
            }
            out.push('\n');
            for _ in 0..level {
                out.push_str(indent);
            }
            Ok(())
        };
        match self {
            Json::Array(items) if !items.is_empty() => {
                out.push('[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    new_line(out, level + 1)?;
                    item.write_pretty(out, indent, level + 1)?;
                }
                new_line(out, level)?;
                out.push(']');
            }
            Json::Object(members) if !members.is_empty() => {
                out.push('{');
                for (position, (key, item)) in members.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    new_line(out, level + 1)?;
                    out.push('"');
                    out.push_str(key);
                    out.push_str("\": ");
                    item.write_pretty(out, indent, level + 1)?;
                }
                new_line(out, level)?;
                out.push('}');
            }
            scalar => scalar.write_to(out),
        }
        if out.len() > limit {
            return Err(too_long());
        }
        Ok(())
    }

    /// Appends the minified text to `out`. Recursion is bounded by the parser's depth limit
    /// (and by the SQL expression depth for values built by functions).
    pub fn write_to(&self, out: &mut String) {
        match self {
            Json::Null => out.push_str("null"),
            Json::True => out.push_str("true"),
            Json::False => out.push_str("false"),
            Json::Number(text) => out.push_str(text),
            Json::String(raw) => {
                out.push('"');
                out.push_str(raw);
                out.push('"');
            }
            Json::Raw(text) => {
                out.push('"');
                out.push_str(&escape(text));
                out.push('"');
            }
            Json::Array(items) => {
                out.push('[');
                for (position, item) in items.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    item.write_to(out);
                }
                out.push(']');
            }
            Json::Object(members) => {
                out.push('{');
                for (position, (key, item)) in members.iter().enumerate() {
                    if position > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(key);
                    out.push_str("\":");
                    item.write_to(out);
                }
                out.push('}');
            }
        }
    }

    /// The SQL value of a JSON value, as `json_extract` and `->>` give it: NULL, 1/0 for
    /// true/false, an INTEGER or REAL for a number, TEXT (unescaped) for a string, and the
    /// JSON text for an array or object.
    pub fn to_sql(&self) -> Result<Value> {
        Ok(match self {
            Json::Null => Value::Null,
            Json::True => Value::Integer(1),
            Json::False => Value::Integer(0),
            Json::Number(text) => number_value(text),
            Json::String(raw) => Value::Text(unescape(raw)),
            Json::Raw(text) => Value::Text(text.clone()),
            Json::Array(_) | Json::Object(_) => Value::Text(self.to_text()?),
        })
    }
}

/// Whether a JSON number's text is an integer (no fraction, no exponent).
fn is_integer_text(text: &str) -> bool {
    !text.contains(['.', 'e', 'E'])
}

/// A JSON number's SQL value: an INTEGER when it is one and fits, else a REAL (SQLite reads
/// an integer too large for 64 bits as a REAL; 1e400 is infinity).
pub fn number_value(text: &str) -> Value {
    if is_integer_text(text) {
        if let Ok(integer) = text.parse::<i64>() {
            return Value::Integer(integer);
        }
    }
    Value::Real(text.parse::<f64>().unwrap_or(0.0))
}

/// `text` as the inside of a JSON string: `"` and `\` escaped, control characters as `\b`
/// `\f` `\n` `\r` `\t` or `\u00XX` (what SQLite writes).
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\u{8}' => out.push_str("\\b"),
            '\u{c}' => out.push_str("\\f"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The text a JSON string's raw inside stands for. The parser has checked the escapes; a
/// lone UTF-16 surrogate (`\ud800`) becomes U+FFFD, since SQL text here is valid UTF-8.
pub fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('u') => {
                let first = hex4(&mut chars);
                let code = match first {
                    Some(high @ 0xd800..=0xdbff) => {
                        let rest = chars.as_str();
                        let low = rest
                            .strip_prefix("\\u")
                            .and_then(|after| u32::from_str_radix(after.get(..4)?, 16).ok())
                            .filter(|low| (0xdc00..=0xdfff).contains(low));
                        match low {
                            Some(low) => {
                                chars = rest[6..].chars();
                                0x10000 + ((high - 0xd800) << 10) + (low - 0xdc00)
                            }
                            None => 0xfffd,
                        }
                    }
                    Some(code) => code,
                    None => 0xfffd,
                };
                out.push(char::from_u32(code).unwrap_or('\u{fffd}'));
            }
            Some(other) => out.push(other),
            None => {}
        }
    }
    out
}

fn hex4(chars: &mut std::str::Chars<'_>) -> Option<u32> {
    let text = chars.as_str().get(..4)?;
    let code = u32::from_str_radix(text, 16).ok()?;
    *chars = chars.as_str()[4..].chars();
    Some(code)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_round_trip() {
        let text = "a\"b\\c\n\u{1}é😀";
        assert_eq!(escape(text), "a\\\"b\\\\c\\n\\u0001é😀");
        assert_eq!(unescape(&escape(text)), text);
        assert_eq!(unescape("\\u00e9\\ud83d\\ude00\\/"), "é😀/");
        assert_eq!(unescape("\\ud800x"), "\u{fffd}x");
        assert_eq!(unescape("\\udc00"), "\u{fffd}");
        assert_eq!(unescape("\\ud800\\u0041"), "\u{fffd}A");
    }

    #[test]
    fn pretty_text_puts_each_value_on_its_line() {
        let json = Json::Object(vec![
            (
                "a".into(),
                Json::Array(vec![Json::Number("1".into()), Json::True]),
            ),
            ("b".into(), Json::Object(Vec::new())),
            ("c".into(), Json::Array(Vec::new())),
        ]);
        assert_eq!(
            json.to_pretty_text("  ").unwrap(),
            "{\n  \"a\": [\n    1,\n    true\n  ],\n  \"b\": {},\n  \"c\": []\n}"
        );
        assert_eq!(Json::Null.to_pretty_text("    ").unwrap(), "null");
    }

    #[test]
    fn parsed_form_makes_raw_strings_and_keys_plain() {
        let raw = Json::Object(vec![(
            Key::raw("a".into()),
            Json::Array(vec![Json::Raw("x\"\n".into())]),
        )]);
        let plain = Json::Object(vec![(
            Key::from("a"),
            Json::Array(vec![Json::String("x\\\"\\n".into())]),
        )]);
        assert_eq!(raw.to_text().unwrap(), plain.to_text().unwrap());
        assert_eq!(raw.into_parsed_form(), plain);
    }

    #[test]
    fn numbers_become_sql_values() {
        assert_eq!(number_value("12"), Value::Integer(12));
        assert_eq!(number_value("-0"), Value::Integer(0));
        assert_eq!(number_value("1.50"), Value::Real(1.5));
        assert_eq!(
            number_value("-9223372036854775808"),
            Value::Integer(i64::MIN)
        );
        assert_eq!(
            number_value("9223372036854775808"),
            Value::Real(9223372036854775808.0)
        );
        assert_eq!(number_value("1e400"), Value::Real(f64::INFINITY));
    }
}
