//! JSONB, SQLite's binary JSON (https://sqlite.org/jsonb.html): the encoder from the `Json`
//! tree to the bytes SQLite writes (the smallest header for each element), the check of
//! untrusted bytes SQLite makes (`jsonbValidityCheck`: the 1-based offset of the first
//! fault), the test of whether a BLOB argument is JSONB at all (`jsonArgIsJsonb`), and the
//! decoder into the tree. A malformed blob is `malformed JSON`; nothing here panics or
//! reads outside the blob. Blobs are bounded like JSON text: `limits::JSON_TEXT_BYTES_MAX`
//! bytes and `limits::JSON_DEPTH_MAX` levels of nesting.

use crate::error::Result;
use crate::limits::{JSON_DEPTH_MAX, JSON_TEXT_BYTES_MAX};

use super::parse::malformed;
use super::value::{escape, Json, Key};

/// The element types: the low four bits of a header byte.
const NULL: u8 = 0;
const TRUE: u8 = 1;
const FALSE: u8 = 2;
const INT: u8 = 3;
const INT5: u8 = 4;
const FLOAT: u8 = 5;
const FLOAT5: u8 = 6;
const TEXT: u8 = 7;
const TEXTJ: u8 = 8;
const TEXT5: u8 = 9;
const TEXTRAW: u8 = 10;
const ARRAY: u8 = 11;
const OBJECT: u8 = 12;

/// The error for a blob or result past `JSON_TEXT_BYTES_MAX`.
fn too_long() -> crate::error::Error {
    crate::err!(Limit, "JSONB passes {JSON_TEXT_BYTES_MAX} bytes")
}

/// The JSONB encoding of `json`, as SQLite writes it for the same value.
pub fn encode(json: &Json) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    append(json, &mut out);
    if out.len() > JSON_TEXT_BYTES_MAX {
        return Err(too_long());
    }
    Ok(out)
}

/// Appends the encoding of `json`. Recursion is bounded as `Json::write_to`'s is.
fn append(json: &Json, out: &mut Vec<u8>) {
    match json {
        Json::Null => out.push(NULL),
        Json::True => out.push(TRUE),
        Json::False => out.push(FALSE),
        Json::Number(text) => {
            let kind = if text.contains(['.', 'e', 'E']) {
                FLOAT
            } else {
                INT
            };
            append_node(out, kind, text.as_bytes());
        }
        Json::String(raw) => append_node(out, string_kind(raw), raw.as_bytes()),
        Json::Raw(text) => append_node(out, TEXTRAW, text.as_bytes()),
        Json::Array(items) => {
            let start = out.len();
            out.push(ARRAY);
            for item in items {
                append(item, out);
            }
            fix_header(out, start);
        }
        Json::Object(members) => {
            let start = out.len();
            out.push(OBJECT);
            for (key, value) in members {
                let kind = match (key.raw, key.contains('\\')) {
                    (true, true) => TEXT5,
                    (true, false) => TEXTRAW,
                    (false, _) => string_kind(key),
                };
                append_node(out, kind, key.as_bytes());
                append(value, out);
            }
            fix_header(out, start);
        }
    }
}

/// A string's type as SQLite's parser gives it: TEXT without escapes, TEXTJ with.
fn string_kind(raw: &str) -> u8 {
    if raw.contains('\\') {
        TEXTJ
    } else {
        TEXT
    }
}

fn append_node(out: &mut Vec<u8>, kind: u8, payload: &[u8]) {
    let (bytes, length) = header(kind, payload.len());
    out.extend_from_slice(&bytes[..length]);
    out.extend_from_slice(payload);
}

/// The smallest header for a `kind` element of `size` payload bytes: its bytes (the first
/// `length` of the nine) and `length`.
fn header(kind: u8, size: usize) -> ([u8; 9], usize) {
    let mut bytes = [0u8; 9];
    let length = match size {
        0..=11 => {
            bytes[0] = (size as u8) << 4 | kind;
            1
        }
        12..=0xff => {
            bytes[0] = 0xc0 | kind;
            bytes[1] = size as u8;
            2
        }
        0x100..=0xffff => {
            bytes[0] = 0xd0 | kind;
            bytes[1..3].copy_from_slice(&(size as u16).to_be_bytes());
            3
        }
        _ => match u32::try_from(size) {
            Ok(size) => {
                bytes[0] = 0xe0 | kind;
                bytes[1..5].copy_from_slice(&size.to_be_bytes());
                5
            }
            Err(_) => {
                bytes[0] = 0xf0 | kind;
                bytes[1..9].copy_from_slice(&(size as u64).to_be_bytes());
                9
            }
        },
    };
    (bytes, length)
}

/// Replaces the one-byte placeholder header at `start` (its type in the low bits) by the
/// header for the payload that follows it.
fn fix_header(out: &mut Vec<u8>, start: usize) {
    let kind = out[start] & 0x0f;
    let size = out.len() - start - 1;
    let (bytes, length) = header(kind, size);
    out.splice(start..start + 1, bytes[..length].iter().copied());
}

/// The header of the element at `at`: (header bytes, payload size), or `None` when the
/// header is cut short or its payload runs past the blob (SQLite's `jsonbPayloadSize`).
fn payload_size(blob: &[u8], at: usize) -> Option<(usize, usize)> {
    let first = *blob.get(at)?;
    let (header, size) = match first >> 4 {
        small @ 0..=11 => (1, usize::from(small)),
        12 => (2, usize::from(*blob.get(at + 1)?)),
        13 => (
            3,
            usize::from(u16::from_be_bytes([*blob.get(at + 1)?, *blob.get(at + 2)?])),
        ),
        14 => {
            let bytes = blob.get(at + 1..at + 5)?;
            (5, u32::from_be_bytes(bytes.try_into().ok()?) as usize)
        }
        _ => {
            let bytes = blob.get(at + 1..at + 9)?;
            // SQLite reads only sizes below 2^32.
            if bytes[..4] != [0, 0, 0, 0] {
                return None;
            }
            (9, u32::from_be_bytes(bytes[4..].try_into().ok()?) as usize)
        }
    };
    if at + header + size > blob.len() {
        return None;
    }
    Some((header, size))
}

/// Whether a BLOB argument is JSONB (else SQLite reads its bytes as JSON text): its first
/// header is of a known type and spans the blob exactly, a NULL/TRUE/FALSE has no payload,
/// and a short blob that could be JSON text (`{`, `[` or a digit first) passes the full
/// check.
pub fn is_jsonb(blob: &[u8]) -> bool {
    let Some(&first) = blob.first() else {
        return false;
    };
    if first & 0x0f > OBJECT {
        return false;
    }
    let Some((header, size)) = payload_size(blob, 0) else {
        return false;
    };
    header + size == blob.len()
        && (first & 0x0f > FALSE || size == 0)
        && (size > 7
            || (first != b'{' && first != b'[' && !first.is_ascii_digit())
            || fault_offset(blob) == 0)
}

/// SQLite's full check of a blob: 0 when it is well-formed JSONB, else the 1-based offset
/// of the byte where the first fault is (what `json_error_position` gives for a blob).
pub fn fault_offset(blob: &[u8]) -> usize {
    match payload_size(blob, 0) {
        Some((header, size)) if header + size == blob.len() => check(blob, 0, blob.len(), 1),
        _ => 1,
    }
}

/// Whether `byte` may stand in a JSON string as it is (SQLite's `jsonIsOk`, plus `'`).
fn plain_string_byte(byte: u8) -> bool {
    byte >= 0x20 && byte != b'"' && byte != b'\\'
}

/// Checks the element at `at` that must end at `end` (`jsonbValidityCheck`).
fn check(z: &[u8], at: usize, end: usize, depth: usize) -> usize {
    if depth > JSON_DEPTH_MAX {
        return at + 1;
    }
    let Some((header, size)) = payload_size(z, at) else {
        return at + 1;
    };
    if at + header + size != end {
        return at + 1;
    }
    let byte = |index: usize| z.get(index).copied().unwrap_or(0);
    let kind = z[at] & 0x0f;
    let start = at + header;
    match kind {
        NULL | TRUE | FALSE => {
            if header + size == 1 {
                0
            } else {
                at + 1
            }
        }
        INT => {
            let mut j = start;
            if size < 1 {
                return at + 1;
            }
            if byte(j) == b'-' {
                j += 1;
                if size < 2 {
                    return at + 1;
                }
            }
            (j..end)
                .find(|&index| !byte(index).is_ascii_digit())
                .map_or(0, |index| index + 1)
        }
        INT5 => {
            let mut j = start;
            if size < 3 {
                return at + 1;
            }
            if byte(j) == b'-' {
                if size < 4 {
                    return at + 1;
                }
                j += 1;
            }
            if byte(j) != b'0' {
                return at + 1;
            }
            if byte(j + 1) != b'x' && byte(j + 1) != b'X' {
                return j + 2;
            }
            (j + 2..end)
                .find(|&index| !byte(index).is_ascii_hexdigit())
                .map_or(0, |index| index + 1)
        }
        FLOAT | FLOAT5 => check_float(z, at, start, end, kind == FLOAT),
        TEXT => (start..end)
            .find(|&index| !plain_string_byte(byte(index)) && byte(index) != b'\'')
            .map_or(0, |index| index + 1),
        TEXTJ | TEXT5 => check_escaped(z, start, end, kind == TEXT5),
        TEXTRAW => 0,
        ARRAY | OBJECT => {
            let mut j = start;
            let mut count = 0usize;
            while j < end {
                let Some((child_header, child_size)) = payload_size(z, j) else {
                    return j + 1;
                };
                let child_end = j + child_header + child_size;
                if child_end > end {
                    return j + 1;
                }
                if kind == OBJECT && count.is_multiple_of(2) {
                    let label = z[j] & 0x0f;
                    if !(TEXT..=TEXTRAW).contains(&label) {
                        return j + 1;
                    }
                }
                let sub = check(z, j, child_end, depth + 1);
                if sub != 0 {
                    return sub;
                }
                count += 1;
                j = child_end;
            }
            if kind == OBJECT && !count.is_multiple_of(2) {
                return j + 1;
            }
            0
        }
        _ => at + 1,
    }
}

/// The FLOAT / FLOAT5 payload `start..end` of the element at `at`: digits with one `.`
/// and one exponent; FLOAT5 allows a `.` without digits on one side.
fn check_float(z: &[u8], at: usize, start: usize, end: usize, strict: bool) -> usize {
    let byte = |index: usize| z.get(index).copied().unwrap_or(0);
    let size = end - start;
    if size < 2 {
        return at + 1;
    }
    let mut j = start;
    // 0: nothing seen, 1: '.', 2: an exponent.
    let mut seen = 0;
    if byte(j) == b'-' {
        j += 1;
        if size < 3 {
            return at + 1;
        }
    }
    if byte(j) == b'.' {
        if strict || !byte(j + 1).is_ascii_digit() {
            return j + 1;
        }
        j += 2;
        seen = 1;
    } else if byte(j) == b'0' && strict {
        if j + 3 > end {
            return j + 1;
        }
        if !matches!(byte(j + 1), b'.' | b'e' | b'E') {
            return j + 1;
        }
        j += 1;
    }
    while j < end {
        let c = byte(j);
        if c.is_ascii_digit() {
        } else if c == b'.' {
            if seen > 0 {
                return j + 1;
            }
            if strict && (j == end - 1 || !byte(j + 1).is_ascii_digit()) {
                return j + 1;
            }
            seen = 1;
        } else if c == b'e' || c == b'E' {
            if seen == 2 || j == end - 1 {
                return j + 1;
            }
            if matches!(byte(j + 1), b'+' | b'-') {
                j += 1;
                if j == end - 1 {
                    return j + 1;
                }
            }
            seen = 2;
        } else {
            return j + 1;
        }
        j += 1;
    }
    if seen == 0 {
        return at + 1;
    }
    0
}

/// A TEXTJ (JSON escapes) or TEXT5 (JSON5 escapes and control characters) payload.
fn check_escaped(z: &[u8], start: usize, end: usize, json5: bool) -> usize {
    let byte = |index: usize| z.get(index).copied().unwrap_or(0);
    let mut j = start;
    while j < end {
        let c = byte(j);
        if !plain_string_byte(c) && c != b'\'' {
            if c == b'"' || c <= 0x1f {
                if !json5 {
                    return j + 1;
                }
            } else if j + 1 >= end {
                return j + 1;
            } else if b"\"\\/bfnrt".contains(&byte(j + 1)) {
                j += 1;
            } else if byte(j + 1) == b'u' {
                if j + 5 >= end || !(j + 2..j + 6).all(|at| byte(at).is_ascii_hexdigit()) {
                    return j + 1;
                }
                j += 1;
            } else if !json5 {
                return j + 1;
            } else {
                match json5_escape_length(&z[j..end]) {
                    Some(length) => j += length - 1,
                    None => return j + 1,
                }
            }
        }
        j += 1;
    }
    0
}

/// The length of the JSON5-only escape at the start of `text` (`\'`, `\v`, `\0`, `\xHH`,
/// or a line continuation), `None` when it is not one.
fn json5_escape_length(text: &[u8]) -> Option<usize> {
    match text.get(1)? {
        b'\'' | b'v' | b'\n' => Some(2),
        b'0' if !text.get(2).is_some_and(u8::is_ascii_digit) => Some(2),
        b'x' if text.get(2..4)?.iter().all(u8::is_ascii_hexdigit) => Some(4),
        b'\r' if text.get(2) == Some(&b'\n') => Some(3),
        b'\r' => Some(2),
        0xe2 if text.get(2) == Some(&0x80) && matches!(text.get(3), Some(0xa8 | 0xa9)) => Some(4),
        _ => None,
    }
}

/// The tree of a JSONB blob: `malformed JSON` unless the blob passes the full check.
pub fn decode(blob: &[u8]) -> Result<Json> {
    if blob.len() > JSON_TEXT_BYTES_MAX {
        return Err(too_long());
    }
    if fault_offset(blob) != 0 {
        return Err(malformed());
    }
    Ok(element(blob, 0, 1)?.0)
}

/// The well-formed element at `at` and the offset after it. Every read is still bounds
/// checked: a fault gives `malformed JSON`.
fn element(blob: &[u8], at: usize, depth: usize) -> Result<(Json, usize)> {
    if depth > JSON_DEPTH_MAX {
        return Err(malformed());
    }
    let (header, size) = payload_size(blob, at).ok_or_else(malformed)?;
    let start = at + header;
    let end = start + size;
    let payload = blob.get(start..end).ok_or_else(malformed)?;
    let text = || std::str::from_utf8(payload).map_err(|_| malformed());
    let json = match blob[at] & 0x0f {
        NULL => Json::Null,
        TRUE => Json::True,
        FALSE => Json::False,
        INT | FLOAT => Json::Number(text()?.to_string()),
        INT5 => Json::Number(hex_integer_text(text()?)),
        FLOAT5 => Json::Number(json5_float_text(text()?)),
        TEXT | TEXTJ => Json::String(text()?.to_string()),
        TEXT5 => Json::String(json5_string_text(text()?)),
        TEXTRAW => Json::Raw(text()?.to_string()),
        ARRAY => {
            let mut items = Vec::new();
            let mut next = start;
            while next < end {
                let (item, after) = element(blob, next, depth + 1)?;
                items.push(item);
                next = after;
            }
            Json::Array(items)
        }
        OBJECT => {
            let mut members = Vec::new();
            let mut next = start;
            while next < end {
                let (key, after_key) = element(blob, next, depth + 1)?;
                let raw = matches!(
                    blob.get(next).map(|byte| byte & 0x0f),
                    Some(TEXT5 | TEXTRAW)
                );
                let text = match key {
                    Json::String(text) => text,
                    Json::Raw(text) => escape(&text),
                    _ => return Err(malformed()),
                };
                let key = Key { text, raw };
                let (value, after) = element(blob, after_key, depth + 1)?;
                members.push((key, value));
                next = after;
            }
            Json::Object(members)
        }
        _ => return Err(malformed()),
    };
    Ok((json, end))
}

/// The decimal text of a checked INT5 (`[-]0xHEX`) as SQLite renders it; past 64 bits it
/// is SQLite's `9.0e999`.
fn hex_integer_text(text: &str) -> String {
    let (sign, digits) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    let digits = digits.get(2..).unwrap_or_default();
    let mut value: u64 = 0;
    let mut overflow = false;
    for digit in digits.chars() {
        if value >> 60 != 0 {
            overflow = true;
        } else {
            value = value * 16 + u64::from(digit.to_digit(16).unwrap_or(0));
        }
    }
    if overflow {
        format!("{sign}9.0e999")
    } else {
        format!("{sign}{value}")
    }
}

/// The JSON text of a checked FLOAT5: a `0` before a leading `.` and after a trailing one.
fn json5_float_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    let (sign, body) = match text.strip_prefix('-') {
        Some(rest) => ("-", rest),
        None => ("", text),
    };
    out.push_str(sign);
    if body.starts_with('.') {
        out.push('0');
    }
    let bytes = body.as_bytes();
    for (index, c) in body.char_indices() {
        out.push(c);
        if c == '.' && !bytes.get(index + 1).is_some_and(u8::is_ascii_digit) {
            out.push('0');
        }
    }
    out
}

/// The JSON string inside of a checked TEXT5 payload: its JSON5 escapes and raw control
/// characters rewritten as JSON escapes (as SQLite renders it).
fn json5_string_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut chars = text.char_indices().peekable();
    while let Some((index, c)) = chars.next() {
        match c {
            '"' => out.push_str("\\\""),
            c if (c as u32) < 0x20 => out.push_str(&escape(&c.to_string())),
            '\\' => {
                let Some((_, next)) = chars.next() else {
                    break;
                };
                match next {
                    '\'' => out.push('\''),
                    'v' => out.push_str("\\u000b"),
                    '0' => out.push_str("\\u0000"),
                    'x' => {
                        out.push_str("\\u00");
                        out.push_str(text.get(index + 2..index + 4).unwrap_or("00"));
                        chars.next();
                        chars.next();
                    }
                    '\r' => {
                        if chars.peek().map(|&(_, c)| c) == Some('\n') {
                            chars.next();
                        }
                    }
                    '\n' | '\u{2028}' | '\u{2029}' => {}
                    other => {
                        out.push('\\');
                        out.push(other);
                    }
                }
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
#[path = "jsonb_tests.rs"]
mod tests;
