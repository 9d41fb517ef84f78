//! The text scalar functions (length, lower/upper, substr, trim family, replace, instr, hex,
//! quote, char, unicode, and the like()/glob() function forms) with SQLite's rules: NULL in
//! gives NULL out, numbers are read as their text, blobs are bytes where SQLite says so.

use std::borrow::Cow;

use ember_storage::value::format_real_15;
use ember_storage::Value;

use crate::error::Result;
use crate::limits::FUNCTION_RESULT_BYTES_MAX;

use super::cast::{integer_prefix, real_to_integer};
use super::function::{Arguments, Function};
use super::like;

/// The text of a value as SQLite reads it for a text function; `None` for NULL.
pub(crate) fn text_of(value: &Value) -> Option<Cow<'_, str>> {
    match value {
        Value::Null => None,
        Value::Text(text) => Some(Cow::Borrowed(text)),
        Value::Blob(bytes) => Some(String::from_utf8_lossy(bytes)),
        other => Some(Cow::Owned(other.to_string())),
    }
}

/// The two-digit decimal texts of 00..=99, back to back.
const DIGIT_PAIRS: &[u8; 200] = b"\
0001020304050607080910111213141516171819\
2021222324252627282930313233343536373839\
4041424344454647484950515253545556575859\
6061626364656667686970717273747576777879\
8081828384858687888990919293949596979899";

/// Appends `value` in decimal, zero-padded to `width` digits (at most 20 of them).
pub(crate) fn push_decimal(out: &mut String, mut value: u64, width: usize) {
    if value < 100 && width <= 2 {
        // One or two digits (a date's parts, small numbers), written directly.
        if value >= 10 || width == 2 {
            out.push(char::from(b'0' + (value / 10) as u8));
        }
        out.push(char::from(b'0' + (value % 10) as u8));
        return;
    }
    // Written from the end, two digits per step.
    let mut digits = [b'0'; 20];
    let mut start = digits.len();
    while value >= 100 {
        let pair = (value % 100) as usize * 2;
        value /= 100;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    }
    if value >= 10 {
        let pair = value as usize * 2;
        start -= 2;
        digits[start..start + 2].copy_from_slice(&DIGIT_PAIRS[pair..pair + 2]);
    } else {
        start -= 1;
        digits[start] = b'0' + value as u8;
    }
    let start = start.min(digits.len().saturating_sub(width));
    debug_assert!(digits[start..].iter().all(u8::is_ascii_digit));
    // SAFETY: `digits` holds only ASCII digits (its initial b'0's and bytes copied from
    // `DIGIT_PAIRS` or made as b'0' + a digit), and appending ASCII bytes keeps a String
    // UTF-8. `push_decimal_matches_format` checks the text against `format!`.
    unsafe { out.as_mut_vec() }.extend_from_slice(&digits[start..]);
}

/// Appends `value` in decimal, with its sign.
pub(crate) fn push_integer(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    push_decimal(out, value.unsigned_abs(), 0);
}

/// An integer argument (substr's start and length, char's code points).
pub(crate) fn integer_of(value: &Value) -> i64 {
    match value {
        Value::Integer(i) => *i,
        Value::Boolean(b) => i64::from(*b),
        Value::Real(r) => real_to_integer(*r),
        Value::Text(text) => integer_prefix(text),
        Value::Blob(bytes) => integer_prefix(&String::from_utf8_lossy(bytes)),
        Value::Null => 0,
    }
}

/// The longest pattern `find_text` searches for with `fold_search` (exact bytes, eight
/// start positions at a time); longer ones go to the standard library's searcher (linear
/// whatever the input).
const SHORT_PATTERN_MAX: usize = 8;

/// The byte offset of the first occurrence of `pattern` in `text` (`str::find`'s answer),
/// a short pattern found in place without the setup of a general searcher per call. The
/// offset is a character boundary: a pattern, being text, starts with a byte that starts
/// a character.
#[inline]
pub(crate) fn find_text(text: &str, pattern: &str) -> Option<usize> {
    if pattern.len() <= SHORT_PATTERN_MAX {
        super::fold_search::find(text.as_bytes(), pattern.as_bytes(), false)
    } else {
        text.find(pattern)
    }
}

/// instr(haystack, needle) of two texts: the 1-based character position of the first
/// occurrence, 0 when there is none (1 for an empty needle). A NUL before it counts as a
/// character, as in SQLite (length() stops at one).
#[inline]
pub(crate) fn instr_of_texts(haystack: &str, needle: &str) -> i64 {
    find_text(haystack, needle).map_or(0, |at| {
        let before = &haystack[..at];
        let chars = if before.is_ascii() {
            before.len()
        } else {
            before.chars().count()
        };
        chars as i64 + 1
    })
}

/// replace(source, pattern, replacement) for a non-empty pattern, written into `out`
/// (cleared first): every non-overlapping occurrence, leftmost first, as `str::replace`.
/// The size is checked before anything is written (occurrences are counted first only
/// when the replacement is longer than the pattern: otherwise the result is no longer
/// than `source`).
pub(super) fn replace_into(
    source: &str,
    pattern: &str,
    replacement: &str,
    out: &mut String,
) -> Result<()> {
    debug_assert!(!pattern.is_empty());
    let grown = replacement.len().saturating_sub(pattern.len());
    let count = if grown == 0 {
        0
    } else {
        occurrences(source, pattern)
    };
    check_size(source.len().saturating_add(count.saturating_mul(grown)))?;
    out.clear();
    let mut from = 0;
    while let Some(found) = find_text(&source[from..], pattern) {
        let at = from + found;
        out.push_str(&source[from..at]);
        out.push_str(replacement);
        from = at + pattern.len();
    }
    out.push_str(&source[from..]);
    Ok(())
}

/// How many non-overlapping occurrences of the non-empty `pattern` `text` holds.
fn occurrences(text: &str, pattern: &str) -> usize {
    debug_assert!(!pattern.is_empty());
    let (mut from, mut count) = (0, 0);
    while let Some(found) = find_text(&text[from..], pattern) {
        count += 1;
        from += found + pattern.len();
    }
    count
}

fn check_size(bytes: usize) -> Result<()> {
    if bytes > FUNCTION_RESULT_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "string or blob of {bytes} bytes exceeds the limit of {FUNCTION_RESULT_BYTES_MAX}"
        ));
    }
    Ok(())
}

/// Applies a text function to evaluated arguments (count already checked).
#[cfg(test)]
pub(crate) fn call(function: Function, args: &[Value]) -> Result<Value> {
    call_with(function, args)
}

/// `call` over owned or borrowed arguments (`function::Arguments`).
pub(crate) fn call_with<A: Arguments + ?Sized>(function: Function, args: &A) -> Result<Value> {
    // Functions that accept NULLs: char() reads NULL as 0, hex(NULL) and quote(NULL) have
    // text results.
    match function {
        Function::Char => return char_of(&args.values()),
        Function::Concat => return concat(None, &args.values()),
        Function::ConcatWs => {
            return match args.values().split_first() {
                Some((separator, rest)) => match text_of(separator) {
                    Some(separator) => concat(Some(&separator), rest),
                    None => Ok(Value::Null),
                },
                None => Ok(Value::Null),
            }
        }
        Function::Hex => return hex(args.at(0).unwrap_or(&Value::Null)),
        Function::Quote => return quote(args.at(0).unwrap_or(&Value::Null)),
        Function::Soundex => return Ok(soundex(args.at(0).and_then(text_of).as_deref())),
        _ => {}
    }
    if function == Function::Replace {
        // An empty pattern gives the source back, as text (a function's result is what it
        // returns, not its argument: `replace(5, '', 'x')` is '5'), whatever the
        // replacement is: SQLite reads the pattern before the replacement.
        if let (Some(source), Some(pattern)) = (args.at(0).and_then(text_of), args.at(1)) {
            if text_of(pattern).is_some_and(|pattern| pattern.is_empty()) {
                return Ok(Value::Text(source.into_owned()));
            }
        }
    }
    if (0..args.count()).any(|index| args.at(index).is_some_and(Value::is_null)) {
        return Ok(Value::Null);
    }
    let arg = |index: usize| args.at(index).unwrap_or(&Value::Null);
    let text = |index: usize| text_of(arg(index)).unwrap_or_default();
    Ok(match function {
        Function::Length => Value::Integer(match arg(0) {
            Value::Blob(bytes) => bytes.len(),
            other => super::text_view::char_count(&text_of(other).unwrap_or_default()),
        } as i64),
        Function::OctetLength => Value::Integer(match arg(0) {
            Value::Blob(bytes) => bytes.len(),
            other => text_of(other).unwrap_or_default().len(),
        } as i64),
        Function::Unhex => match unhex(&text(0), args.at(1).map(|_| text(1)).as_deref()) {
            Some(bytes) => Value::Blob(bytes),
            None => Value::Null,
        },
        Function::Unistr => Value::Text(super::unistr::unistr(&text(0))?),
        Function::Lower => Value::Text(text(0).to_ascii_lowercase()),
        Function::Upper => Value::Text(text(0).to_ascii_uppercase()),
        // SQLite reads substr's numbers as C ints: the low 32 bits of the integer.
        Function::Substr => substr(
            arg(0),
            i64::from(integer_of(arg(1)) as i32),
            args.at(2)
                .map(|length| i64::from(integer_of(length) as i32)),
        ),
        Function::Trim | Function::LTrim | Function::RTrim => {
            let set: Vec<char> = match args.at(1) {
                Some(set) => text_of(set).unwrap_or_default().chars().collect(),
                None => vec![' '],
            };
            let source = text(0);
            let trimmed = match function {
                Function::LTrim => source.trim_start_matches(set.as_slice()),
                Function::RTrim => source.trim_end_matches(set.as_slice()),
                _ => source.trim_matches(set.as_slice()),
            };
            Value::Text(trimmed.to_string())
        }
        Function::Replace => {
            let pattern = text(1);
            debug_assert!(!pattern.is_empty(), "an empty pattern is answered above");
            let mut out = String::new();
            replace_into(&text(0), &pattern, &text(2), &mut out)?;
            Value::Text(out)
        }
        Function::Instr => Value::Integer(match (arg(0), arg(1)) {
            (Value::Blob(haystack), Value::Blob(needle)) => find_bytes(haystack, needle),
            _ => instr_of_texts(&text(0), &text(1)),
        }),
        Function::Unicode => match text(0).chars().next() {
            Some(c) => Value::Integer(i64::from(u32::from(c))),
            None => Value::Null,
        },
        Function::Like => {
            let escape = match args.at(2) {
                Some(escape) => Some(single_char(&text_of(escape).unwrap_or_default())?),
                None => None,
            };
            Value::Boolean(like::like(&text(1), &text(0), escape)?)
        }
        Function::LikeCaseSensitive => {
            let escape = match args.at(2) {
                Some(escape) => Some(single_char(&text_of(escape).unwrap_or_default())?),
                None => None,
            };
            Value::Boolean(like::like_case_sensitive(&text(1), &text(0), escape)?)
        }
        Function::Glob => Value::Boolean(like::glob(&text(1), &text(0))?),
        other => {
            return Err(crate::err!(
                InvalidInput,
                "{other}() is not a text function"
            ))
        }
    })
}

/// concat(...) (no separator) and concat_ws(separator, ...): NULL arguments are skipped,
/// and the result is never NULL.
fn concat(separator: Option<&str>, args: &[Value]) -> Result<Value> {
    let parts: Vec<Cow<'_, str>> = args.iter().filter_map(text_of).collect();
    let separator = separator.unwrap_or("");
    let total = parts.iter().map(|part| part.len()).sum::<usize>()
        + separator
            .len()
            .saturating_mul(parts.len().saturating_sub(1));
    check_size(total)?;
    Ok(Value::Text(parts.join(separator)))
}

/// unhex(X[, ignored]): the bytes of hex text X; characters of `ignored` may sit between
/// pairs of digits; anything else (or an odd digit count) gives `None`.
fn unhex(text: &str, ignored: Option<&str>) -> Option<Vec<u8>> {
    let mut bytes = Vec::with_capacity(text.len() / 2);
    let mut chars = text.chars();
    while let Some(c) = chars.next() {
        if let Some(high) = c.to_digit(16) {
            let low = chars.next()?.to_digit(16)?;
            bytes.push((high * 16 + low) as u8);
        } else if !ignored.is_some_and(|ignored| ignored.contains(c)) {
            return None;
        }
    }
    Some(bytes)
}

/// The ESCAPE character of LIKE: exactly one character.
pub(crate) fn single_char(text: &str) -> Result<char> {
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (Some(c), None) => Ok(c),
        _ => Err(crate::err!(
            InvalidInput,
            "ESCAPE expression must be a single character"
        )),
    }
}

fn find_bytes(haystack: &[u8], needle: &[u8]) -> i64 {
    if needle.is_empty() {
        return 1;
    }
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
        .map_or(0, |at| at as i64 + 1)
}

/// substr(X, start[, length]) with SQLite's rules: 1-based; a negative start counts from
/// the end; start 0 shortens the length by one; a negative length takes the characters
/// before start. Characters for text, bytes for blobs.
fn substr(value: &Value, start: i64, length: Option<i64>) -> Value {
    match value {
        // SQLite reads an empty blob as no bytes at all (a NULL pointer): NULL.
        Value::Blob(bytes) if bytes.is_empty() => Value::Null,
        Value::Blob(bytes) => {
            let (from, count) = substr_range(bytes.len(), start, length);
            Value::Blob(bytes[from..from + count].to_vec())
        }
        other => {
            let text = text_of(other).unwrap_or_default();
            let total = text.chars().count();
            let (from, count) = substr_range(total, start, length);
            Value::Text(text.chars().skip(from).take(count).collect())
        }
    }
}

/// The 0-based (start, count) of a substr() call over `total` units, clipped to them.
pub(crate) fn substr_range(total: usize, start: i64, length: Option<i64>) -> (usize, usize) {
    let total_i = total as i64;
    let mut start = start;
    let (mut count, negative_length) = match length {
        Some(length) if length < 0 => (length.saturating_neg(), true),
        Some(length) => (length, false),
        // SQLite's default length is its string size limit, not the string's length: it
        // matters when a negative start eats into it (substr('0', -6) is '0').
        None => (i64::from(i32::MAX), false),
    };
    if start < 0 {
        start = start.saturating_add(total_i);
        if start < 0 {
            count = count.saturating_add(start).max(0);
            start = 0;
        }
    } else if start > 0 {
        start -= 1;
    } else if count > 0 {
        count -= 1;
    }
    if negative_length {
        start -= count;
        if start < 0 {
            count = count.saturating_add(start).max(0);
            start = 0;
        }
    }
    let from = start.min(total_i);
    let count = count.min(total_i - from);
    (from as usize, count as usize)
}

fn hex(value: &Value) -> Result<Value> {
    let mut out = String::new();
    hex_into(value, &mut out)?;
    Ok(Value::Text(out))
}

/// hex(value) written into `out` (cleared first): the bytes of a blob, of a text, or of
/// a number's text, two upper-case digits each (NULL has none); its size checked first.
pub(crate) fn hex_into(value: &Value, out: &mut String) -> Result<()> {
    let bytes: Cow<'_, [u8]> = match value {
        Value::Null => Cow::Borrowed(&[]),
        Value::Blob(bytes) => Cow::Borrowed(bytes),
        other => match text_of(other).unwrap_or_default() {
            Cow::Borrowed(text) => Cow::Borrowed(text.as_bytes()),
            Cow::Owned(text) => Cow::Owned(text.into_bytes()),
        },
    };
    check_size(bytes.len().saturating_mul(2))?;
    out.clear();
    push_upper_hex(&bytes, out);
    Ok(())
}

fn push_upper_hex(bytes: &[u8], out: &mut String) {
    const DIGITS: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(bytes.len() * 2);
    for byte in bytes {
        out.push(char::from(DIGITS[usize::from(byte >> 4)]));
        out.push(char::from(DIGITS[usize::from(byte & 0xf)]));
    }
}

/// quote(X): an SQL literal for the value.
fn quote(value: &Value) -> Result<Value> {
    Ok(Value::Text(match value {
        Value::Null => "NULL".to_string(),
        Value::Integer(_) | Value::Boolean(_) => value.to_string(),
        Value::Real(r) => {
            let short = format_real_15(*r);
            if short.parse::<f64>().ok() == Some(*r) {
                short
            } else {
                // C's %.20e: a signed exponent of at least two digits.
                let long = format!("{r:.20e}");
                match long.split_once('e') {
                    Some((mantissa, exponent)) => {
                        let exponent: i32 = exponent.parse().unwrap_or(0);
                        let sign = if exponent < 0 { '-' } else { '+' };
                        format!("{mantissa}e{sign}{:02}", exponent.abs())
                    }
                    None => long,
                }
            }
        }
        Value::Text(text) => {
            check_size(text.len().saturating_mul(2))?;
            format!("'{}'", text.replace('\'', "''"))
        }
        Value::Blob(bytes) => {
            check_size(bytes.len().saturating_mul(2))?;
            let mut out = String::with_capacity(bytes.len() * 2 + 3);
            out.push_str("X'");
            push_upper_hex(bytes, &mut out);
            out.push('\'');
            out
        }
    }))
}

/// char(X, ...): the characters with these code points (NULL reads as 0, invalid code
/// points become U+FFFD).
fn char_of(args: &[Value]) -> Result<Value> {
    check_size(args.len().saturating_mul(4))?;
    Ok(Value::Text(
        args.iter()
            .map(|arg| {
                u32::try_from(integer_of(arg))
                    .ok()
                    .and_then(char::from_u32)
                    .unwrap_or(char::REPLACEMENT_CHARACTER)
            })
            .collect(),
    ))
}

/// SQLite's `soundex(X)`: the first ASCII letter of `text` upper-cased, then the codes of
/// the letters after it (a run of one code written once, a vowel, H, W or Y ending the
/// run; every byte read by its low 7 bits, as SQLite reads it), padded with '0' to four
/// characters; "?000" when `text` has no ASCII letter (or is NULL).
fn soundex(text: Option<&str>) -> Value {
    /// The code of each ASCII letter A..Z (0: none).
    const CODES: &[u8; 26] = b"01230120022455012623010202";
    let code = |byte: u8| {
        let letter = (byte & 0x7f).to_ascii_uppercase();
        match letter {
            b'A'..=b'Z' => CODES[usize::from(letter - b'A')] - b'0',
            _ => 0,
        }
    };
    let bytes = text.unwrap_or_default().as_bytes();
    let Some(start) = bytes.iter().position(u8::is_ascii_alphabetic) else {
        return Value::Text("?000".to_owned());
    };
    let mut result = String::with_capacity(4);
    result.push(char::from(bytes[start].to_ascii_uppercase()));
    let mut previous = code(bytes[start]);
    for &byte in &bytes[start..] {
        if result.len() == 4 {
            break;
        }
        match code(byte) {
            0 => previous = 0,
            next if next != previous => {
                previous = next;
                result.push(char::from(b'0' + next));
            }
            _ => {}
        }
    }
    while result.len() < 4 {
        result.push('0');
    }
    Value::Text(result)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn push_decimal_matches_format() {
        let mut values = vec![0, 1, 9, 10, 99, 100, 101, 999, 1000, 12345, 99999, 100000];
        values.extend([u64::MAX, u64::MAX - 1, 10u64.pow(19), 10u64.pow(19) - 1]);
        values.extend((0..64).map(|shift| 1u64 << shift));
        values.extend((0..2000).map(|i| i * 7919));
        for value in values {
            for width in [0, 1, 2, 3, 4, 8, 20] {
                let mut out = String::from("x");
                push_decimal(&mut out, value, width);
                assert_eq!(out, format!("x{value:0width$}"), "{value} width {width}");
            }
        }
    }

    fn int(i: i64) -> Value {
        Value::Integer(i)
    }

    #[test]
    fn decimals_are_written_as_format_writes_them() {
        let values = (0..=120).chain([999, 12_345, u64::MAX]);
        for value in values {
            for width in [0, 1, 2, 3, 4, 20] {
                let mut out = String::from("x");
                push_decimal(&mut out, value, width);
                assert_eq!(out, format!("x{value:0width$}"), "{value} width {width}");
            }
        }
        for value in [0, 7, -7, 10, -10, 99, -100, i64::MAX, i64::MIN] {
            let mut out = String::new();
            push_integer(&mut out, value);
            assert_eq!(out, value.to_string());
        }
    }

    fn text(s: &str) -> Value {
        Value::Text(s.to_string())
    }

    fn run(function: Function, args: &[Value]) -> Value {
        call(function, args).unwrap()
    }

    #[test]
    fn substr_follows_sqlite() {
        let sub = |start, length: Option<i64>| {
            let mut args = vec![text("hello"), int(start)];
            args.extend(length.map(int));
            run(Function::Substr, &args)
        };
        assert_eq!(sub(2, Some(3)), text("ell"));
        assert_eq!(sub(2, None), text("ello"));
        assert_eq!(sub(-3, None), text("llo"));
        assert_eq!(sub(-6, None), text("hello"));
        // 2^63 - 1 as a C int is -1.
        assert_eq!(sub(i64::MAX, None), text("o"));
        assert_eq!(run(Function::Substr, &[text("0"), int(-6)]), text("0"));
        assert_eq!(sub(0, Some(2)), text("h"));
        assert_eq!(sub(2, Some(-1)), text("h"));
        assert_eq!(sub(-2, Some(-2)), text("el"));
        assert_eq!(sub(10, Some(2)), text(""));
        assert_eq!(sub(-10, Some(7)), text("he"));
        assert_eq!(sub(1, Some(i64::MAX)), text(""));
        assert_eq!(sub(1, Some(4294967298)), text("he"));
        assert_eq!(sub(1, Some(i64::from(i32::MAX))), text("hello"));
        assert_eq!(sub(i64::MIN, Some(i64::MIN)), text(""));
        assert_eq!(
            run(Function::Substr, &[text("héllo"), int(2), int(2)]),
            text("él")
        );
        assert_eq!(
            run(Function::Substr, &[Value::Blob(vec![1, 2, 3]), int(2)]),
            Value::Blob(vec![2, 3])
        );
        assert_eq!(run(Function::Substr, &[Value::Null, int(1)]), Value::Null);
        assert_eq!(
            run(Function::Substr, &[Value::Blob(Vec::new()), int(1), int(1)]),
            Value::Null
        );
        assert_eq!(
            run(Function::Substr, &[int(12345), int(2), int(2)]),
            text("23")
        );
    }

    #[test]
    fn find_text_answers_as_str_find() {
        let texts = [
            "",
            "a",
            "aaa",
            "abcabc",
            "héllo wörld",
            "ééé",
            "k12345",
            "xxxxxxxxxy",
            "日本語の日本",
            "ab\0ab",
            "aaaaaaaaaaaaaaaaaab",
        ];
        let patterns = [
            "",
            "a",
            "b",
            "aa",
            "abc",
            "cab",
            "é",
            "ö",
            "l",
            "llo",
            "lo w",
            "日本",
            "本の日",
            "\0a",
            "aaaaaaaab",
            "aaaaaaaaab",
            "xy",
            "xxxxxxxxxy",
            "zz",
            "k1",
            "45",
            "5",
        ];
        for text in texts {
            for pattern in patterns {
                assert_eq!(
                    find_text(text, pattern),
                    text.find(pattern),
                    "{text:?} {pattern:?}"
                );
            }
        }
    }

    #[test]
    fn replace_into_answers_as_str_replace_and_reuses_the_buffer() {
        let mut out = String::from("left over");
        for (source, pattern, by) in [
            ("k12345", "k", "key-"),
            ("aaaa", "aa", "b"),
            ("aaa", "aa", ""),
            ("héllo héllo", "é", "e"),
            ("日本語の日本", "日本", "にほん"),
            ("abc", "abcd", "x"),
            ("xxxxxxxxxyxxxxxxxxxy", "xxxxxxxxxy", "-"),
            ("", "a", "b"),
        ] {
            replace_into(source, pattern, by, &mut out).unwrap();
            assert_eq!(out, source.replace(pattern, by), "{source:?} {pattern:?}");
        }
    }

    #[test]
    fn replace_past_the_size_limit_fails_before_writing() {
        // 2^10 occurrences each growing by 2^18 bytes: past the limit of 2^28 bytes.
        let source = "a".repeat(1 << 10);
        let by = "b".repeat((1 << 18) + 1);
        let mut out = String::from("kept");
        let error = replace_into(&source, "a", &by, &mut out).unwrap_err();
        let expected = (1usize << 10) + (1 << 10) * (1 << 18);
        assert!(error.to_string().contains(&expected.to_string()), "{error}");
        assert_eq!(out, "kept");
        // A replacement no longer than the pattern needs no count and cannot fail.
        replace_into(&source, "aa", "b", &mut out).unwrap();
        assert_eq!(out, "b".repeat(1 << 9));
    }

    #[test]
    fn text_functions() {
        assert_eq!(run(Function::Length, &[text("héllo")]), int(5));
        assert_eq!(run(Function::Length, &[Value::Real(12.5)]), int(4));
        assert_eq!(run(Function::Length, &[Value::Blob(vec![1, 2])]), int(2));
        assert_eq!(run(Function::Length, &[Value::Null]), Value::Null);
        assert_eq!(run(Function::Lower, &[text("ÀB")]), text("Àb"));
        assert_eq!(run(Function::Upper, &[text("abc")]), text("ABC"));
        assert_eq!(run(Function::Trim, &[text("  a  ")]), text("a"));
        assert_eq!(run(Function::LTrim, &[text("  a  ")]), text("a  "));
        assert_eq!(run(Function::RTrim, &[text("  a  ")]), text("  a"));
        assert_eq!(run(Function::Trim, &[text("xyaxy"), text("yx")]), text("a"));
        assert_eq!(
            run(Function::Replace, &[text("abcb"), text("b"), text("XY")]),
            text("aXYcXY")
        );
        assert_eq!(
            run(Function::Replace, &[text("abc"), text(""), text("x")]),
            text("abc")
        );
        // An empty pattern gives the source as text, even with a NULL replacement.
        assert_eq!(
            run(Function::Replace, &[int(5), text(""), Value::Null]),
            text("5")
        );
        assert_eq!(
            run(Function::Replace, &[Value::Null, text(""), text("x")]),
            Value::Null
        );
        assert_eq!(run(Function::Instr, &[text("héllo"), text("l")]), int(3));
        assert_eq!(run(Function::Instr, &[text("abc"), text("")]), int(1));
        assert_eq!(run(Function::Instr, &[text("abc"), text("z")]), int(0));
        assert_eq!(run(Function::Unicode, &[text("é")]), int(233));
        assert_eq!(run(Function::Unicode, &[text("")]), Value::Null);
        assert_eq!(run(Function::Soundex, &[text("Robert")]), text("R163"));
        assert_eq!(run(Function::Soundex, &[text("Tymczak")]), text("T522"));
        assert_eq!(run(Function::Soundex, &[text(" ashcraft")]), text("A226"));
        assert_eq!(run(Function::Soundex, &[Value::Null]), text("?000"));
        assert_eq!(run(Function::Soundex, &[Value::Integer(12)]), text("?000"));
        assert_eq!(
            run(Function::Char, &[int(65), Value::Null, int(66)]),
            text("A\0B")
        );
        assert_eq!(run(Function::Hex, &[int(12)]), text("3132"));
        assert_eq!(run(Function::Hex, &[Value::Null]), text(""));
        assert_eq!(run(Function::Quote, &[text("a'b")]), text("'a''b'"));
        assert_eq!(
            run(Function::Quote, &[Value::Blob(vec![0x0a, 0xff])]),
            text("X'0AFF'")
        );
        assert_eq!(run(Function::Quote, &[Value::Null]), text("NULL"));
        assert_eq!(run(Function::Quote, &[Value::Real(1.5)]), text("1.5"));
        assert_eq!(
            run(Function::Like, &[text("A%"), text("abc")]),
            Value::Boolean(true)
        );
        assert_eq!(
            run(Function::Glob, &[text("A*"), text("abc")]),
            Value::Boolean(false)
        );
        assert!(call(Function::Like, &[text("a"), text("a"), text("xy")]).is_err());
        assert_eq!(
            run(Function::Concat, &[text("a"), Value::Null, int(1)]),
            text("a1")
        );
        assert_eq!(run(Function::Concat, &[Value::Null]), text(""));
        assert_eq!(
            run(
                Function::ConcatWs,
                &[text(","), text("a"), Value::Null, int(1)]
            ),
            text("a,1")
        );
        assert_eq!(
            run(Function::ConcatWs, &[Value::Null, text("a")]),
            Value::Null
        );
        assert_eq!(run(Function::OctetLength, &[text("é")]), int(2));
        assert_eq!(
            run(Function::Unhex, &[text("0aFF")]),
            Value::Blob(vec![0x0a, 0xff])
        );
        assert_eq!(run(Function::Unhex, &[text("0a F")]), Value::Null);
        assert_eq!(
            run(Function::Unhex, &[text("0a-ff"), text("-")]),
            Value::Blob(vec![0x0a, 0xff])
        );
        assert_eq!(run(Function::Unhex, &[text("0-a"), text("-")]), Value::Null);
    }
}
