//! Pattern matching for `LIKE` (ASCII case-insensitive, `%` and `_`, optional ESCAPE
//! character) and `GLOB` (case-sensitive, `*`, `?`, `[...]` classes), as SQLite does.
//! LIKE matches the pattern text as it is, allocating nothing: the common shapes
//! (`abc`, `abc%`, `%abc`, `%abc%` with no `_` and no escape) compare bytes (ASCII case
//! folding leaves the bytes of other characters alone, so bytes compare as characters
//! do), the rest walk both texts a character at a time. GLOB patterns compile to tokens.
//! Both backtrack only to the last multi-character wildcard, so matching takes at most
//! O(text x pattern) steps and no recursion.

use crate::error::Result;
use crate::limits::LIKE_PATTERN_BYTES_MAX;

#[derive(Debug, Clone, PartialEq)]
enum Token {
    /// `%` or `*`: any run of characters, possibly empty.
    AnyRun,
    /// `_` or `?`: exactly one character.
    AnyOne,
    /// One character, compared ASCII case-insensitively for LIKE.
    Literal(char),
    /// `[...]` (GLOB only): one character in (or, negated, not in) the ranges.
    Class {
        ranges: Vec<(char, char)>,
        negated: bool,
    },
}

/// Whether `text LIKE pattern [ESCAPE escape]`.
pub(crate) fn like(text: &str, pattern: &str, escape: Option<char>) -> Result<bool> {
    check_pattern_length(pattern)?;
    Ok(match plain_shape(pattern, escape) {
        Some((shape, body)) => shape.matches(body, text.as_bytes()),
        None => like_walk(text, pattern, escape),
    })
}

/// Where the `%` of a LIKE pattern of literal characters sit: at neither, one or both ends.
#[derive(Debug, Clone, Copy)]
enum PlainShape {
    Exact,
    Prefix,
    Suffix,
    Contains,
}

/// The plain shape of `pattern` and its literal body, if it has one: no `_`, no escape
/// character, and `%` only at its ends.
fn plain_shape(pattern: &str, escape: Option<char>) -> Option<(PlainShape, &[u8])> {
    if escape.is_some() {
        return None;
    }
    let bytes = pattern.as_bytes();
    let starts = bytes.first() == Some(&b'%');
    let body = if starts { &bytes[1..] } else { bytes };
    let ends = body.last() == Some(&b'%');
    let body = if ends { &body[..body.len() - 1] } else { body };
    if body.iter().any(|&byte| byte == b'%' || byte == b'_') {
        return None;
    }
    let shape = match (starts, ends) {
        (false, false) => PlainShape::Exact,
        (false, true) => PlainShape::Prefix,
        (true, false) => PlainShape::Suffix,
        (true, true) => PlainShape::Contains,
    };
    Some((shape, body))
}

impl PlainShape {
    #[inline]
    fn matches(self, body: &[u8], text: &[u8]) -> bool {
        match self {
            PlainShape::Exact => text.eq_ignore_ascii_case(body),
            PlainShape::Prefix => text
                .get(..body.len())
                .is_some_and(|head| head.eq_ignore_ascii_case(body)),
            PlainShape::Suffix => text
                .len()
                .checked_sub(body.len())
                .is_some_and(|start| text[start..].eq_ignore_ascii_case(body)),
            // A match starts at a character's first byte: `body` starts with one, which
            // no continuation byte equals (folding changes ASCII bytes only).
            PlainShape::Contains => contains_ignoring_ascii_case(text, body),
        }
    }
}

/// Whether `body` occurs in `text`, ASCII letters matched in either case.
#[inline]
fn contains_ignoring_ascii_case(text: &[u8], body: &[u8]) -> bool {
    let Some((&first, rest)) = body.split_first() else {
        return true;
    };
    let (lower, upper) = (first.to_ascii_lowercase(), first.to_ascii_uppercase());
    let last_start = match text.len().checked_sub(body.len()) {
        Some(last_start) => last_start,
        None => return false,
    };
    // Candidates are found by their first byte; only those compare the rest.
    (0..=last_start).any(|start| {
        let byte = text[start];
        (byte == lower || byte == upper)
            && text[start + 1..start + body.len()].eq_ignore_ascii_case(rest)
    })
}

/// A LIKE or GLOB pattern prepared once for many texts (a compiled filter's constant
/// pattern, `scalar.rs`): matching answers what `like` / `glob` answer, without checking
/// or parsing the pattern per text.
#[derive(Debug, Clone)]
pub struct Pattern(Prepared);

#[derive(Debug, Clone)]
enum Prepared {
    Like {
        pattern: String,
        escape: Option<char>,
        /// The plain shape and the byte range of its body in `pattern`, if it has one.
        plain: Option<(PlainShape, std::ops::Range<usize>)>,
    },
    /// GLOB tokens; `None` for a pattern that matches nothing.
    Glob(Option<Vec<Token>>),
}

impl Pattern {
    /// `pattern [ESCAPE escape]` for LIKE; the error `like` gives for a pattern too long.
    pub(crate) fn like(pattern: &str, escape: Option<char>) -> Result<Pattern> {
        check_pattern_length(pattern)?;
        let plain = plain_shape(pattern, escape).map(|(shape, body)| {
            let start = body.as_ptr() as usize - pattern.as_ptr() as usize;
            (shape, start..start + body.len())
        });
        Ok(Pattern(Prepared::Like {
            pattern: pattern.to_string(),
            escape,
            plain,
        }))
    }

    /// `pattern` for GLOB; the error `glob` gives for a pattern too long.
    pub(crate) fn glob(pattern: &str) -> Result<Pattern> {
        check_pattern_length(pattern)?;
        Ok(Pattern(Prepared::Glob(compile_glob(pattern))))
    }

    /// Whether `text` matches (as `like(text, ..)` / `glob(text, ..)` answer).
    #[inline]
    pub(crate) fn matches(&self, text: &str) -> bool {
        match &self.0 {
            Prepared::Like {
                plain: Some((shape, body)),
                pattern,
                ..
            } => shape.matches(&pattern.as_bytes()[body.clone()], text.as_bytes()),
            Prepared::Like {
                pattern, escape, ..
            } => like_walk(text, pattern, *escape),
            Prepared::Glob(Some(tokens)) => matches(text, tokens, false),
            Prepared::Glob(None) => false,
        }
    }
}

/// LIKE by walking `pattern` and `text` a character at a time, backtracking to the most
/// recent `%`; a pattern that ends in the escape character matches nothing.
fn like_walk(text: &str, pattern: &str, escape: Option<char>) -> bool {
    let (mut text_at, mut pattern_at) = (0, 0);
    // (pattern position after the last `%`, text position that `%` swallows up to)
    let mut resume: Option<(usize, usize)> = None;
    loop {
        let mut mismatch = true;
        if let Some(c) = pattern[pattern_at..].chars().next() {
            let after = pattern_at + c.len_utf8();
            let text_char = text[text_at..].chars().next();
            if Some(c) == escape {
                let Some(literal) = pattern[after..].chars().next() else {
                    return false;
                };
                if let Some(t) = text_char.filter(|&t| t.eq_ignore_ascii_case(&literal)) {
                    text_at += t.len_utf8();
                    pattern_at = after + literal.len_utf8();
                    mismatch = false;
                }
            } else if c == '%' {
                resume = Some((after, text_at));
                pattern_at = after;
                mismatch = false;
            } else if let Some(t) = text_char.filter(|&t| c == '_' || t.eq_ignore_ascii_case(&c)) {
                text_at += t.len_utf8();
                pattern_at = after;
                mismatch = false;
            }
        } else if text_at == text.len() {
            return true;
        }
        if !mismatch {
            continue;
        }
        match resume {
            Some((after_run, swallowed)) if swallowed < text.len() => {
                let next = swallowed + text[swallowed..].chars().next().map_or(1, char::len_utf8);
                resume = Some((after_run, next));
                pattern_at = after_run;
                text_at = next;
            }
            _ => return false,
        }
    }
}

/// Whether `text GLOB pattern`.
pub(crate) fn glob(text: &str, pattern: &str) -> Result<bool> {
    check_pattern_length(pattern)?;
    Ok(match compile_glob(pattern) {
        Some(tokens) => matches(text, &tokens, false),
        None => false,
    })
}

fn check_pattern_length(pattern: &str) -> Result<()> {
    if pattern.len() > LIKE_PATTERN_BYTES_MAX {
        return Err(crate::err!(
            Limit,
            "LIKE or GLOB pattern of {} bytes exceeds the limit of {LIKE_PATTERN_BYTES_MAX}",
            pattern.len()
        ));
    }
    Ok(())
}

/// LIKE tokens; `None` when the pattern can match nothing (it ends in the escape char).
/// The tests' reference for `like`.
#[cfg(test)]
fn compile_like(pattern: &str, escape: Option<char>) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars();
    while let Some(c) = chars.next() {
        // The escape character wins over the wildcards (ESCAPE '%' makes '%' literal).
        tokens.push(if Some(c) == escape {
            Token::Literal(chars.next()?)
        } else if c == '%' {
            Token::AnyRun
        } else if c == '_' {
            Token::AnyOne
        } else {
            Token::Literal(c)
        });
    }
    Some(tokens)
}

/// GLOB tokens; `None` for a pattern with an unterminated `[` (which matches nothing).
fn compile_glob(pattern: &str) -> Option<Vec<Token>> {
    let mut tokens = Vec::new();
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        tokens.push(match c {
            '*' => Token::AnyRun,
            '?' => Token::AnyOne,
            '[' => {
                let negated = chars.next_if_eq(&'^').is_some();
                let mut ranges = Vec::new();
                // A ']' right after '[' or '[^' is a literal member.
                if let Some(bracket) = chars.next_if_eq(&']') {
                    ranges.push((bracket, bracket));
                }
                loop {
                    let member = chars.next()?;
                    if member == ']' {
                        break;
                    }
                    if chars.peek() == Some(&'-') {
                        chars.next();
                        match chars.peek() {
                            Some(&high) if high != ']' => {
                                chars.next();
                                ranges.push((member, high));
                            }
                            // "a-]": the '-' is a literal member.
                            _ => {
                                ranges.push((member, member));
                                ranges.push(('-', '-'));
                            }
                        }
                    } else {
                        ranges.push((member, member));
                    }
                }
                Token::Class { ranges, negated }
            }
            other => Token::Literal(other),
        });
    }
    Some(tokens)
}

fn token_matches(token: &Token, c: char, fold_case: bool) -> bool {
    match token {
        Token::AnyRun | Token::AnyOne => true,
        Token::Literal(literal) => *literal == c || (fold_case && literal.eq_ignore_ascii_case(&c)),
        Token::Class { ranges, negated } => {
            ranges.iter().any(|&(low, high)| low <= c && c <= high) != *negated
        }
    }
}

/// Greedy matching with backtracking to the most recent `AnyRun`, over the text's
/// characters where they lie (byte positions; nothing allocated per text).
fn matches(text: &str, tokens: &[Token], fold_case: bool) -> bool {
    let (mut text_at, mut token_at) = (0, 0);
    // (token after the last AnyRun, text position that AnyRun currently swallows up to)
    let mut resume: Option<(usize, usize)> = None;
    loop {
        if let Some(token) = tokens.get(token_at) {
            if *token == Token::AnyRun {
                resume = Some((token_at + 1, text_at));
                token_at += 1;
                continue;
            }
            if let Some(c) = text[text_at..].chars().next() {
                if token_matches(token, c, fold_case) {
                    text_at += c.len_utf8();
                    token_at += 1;
                    continue;
                }
            }
        } else if text_at == text.len() {
            return true;
        }
        match resume {
            Some((after_run, swallowed)) if swallowed < text.len() => {
                let next = swallowed + text[swallowed..].chars().next().map_or(1, char::len_utf8);
                resume = Some((after_run, next));
                token_at = after_run;
                text_at = next;
            }
            _ => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn l(text: &str, pattern: &str) -> bool {
        like(text, pattern, None).unwrap()
    }

    fn g(text: &str, pattern: &str) -> bool {
        glob(text, pattern).unwrap()
    }

    #[test]
    fn like_wildcards_and_case() {
        assert!(l("abc", "abc"));
        assert!(l("ABC", "abc"));
        assert!(l("abc", "a%"));
        assert!(l("abc", "%c"));
        assert!(l("abc", "%b%"));
        assert!(l("abc", "a_c"));
        assert!(l("", "%"));
        assert!(l("abc", "%%%"));
        assert!(!l("abc", "a_"));
        assert!(!l("abc", "abcd"));
        assert!(!l("", "_"));
        assert!(l("aXbXc", "%b%c"));
        assert!(l("mississippi", "%iss%ppi"));
        assert!(!l("mississippi", "%iss%ppx"));
        // Only ASCII folds case, as in SQLite without ICU.
        assert!(!l("É", "é"));
        assert!(l("é", "_"));
    }

    #[test]
    fn like_escape() {
        assert!(like("a%c", "a\\%c", Some('\\')).unwrap());
        assert!(!like("abc", "a\\%c", Some('\\')).unwrap());
        assert!(like("a_c", "a#_c", Some('#')).unwrap());
        assert!(!like("abc", "a#_c", Some('#')).unwrap());
        // The escape character itself may be a wildcard character.
        assert!(like("a%", "a%%", Some('%')).unwrap());
        assert!(!like("ab", "a%%", Some('%')).unwrap());
        // A trailing escape character matches nothing.
        assert!(!like("a", "a\\", Some('\\')).unwrap());
    }

    #[test]
    fn glob_wildcards_and_classes() {
        assert!(g("abc", "a*"));
        assert!(!g("ABC", "a*"));
        assert!(g("abc", "?b?"));
        assert!(g("abc", "[a-c]bc"));
        assert!(!g("dbc", "[a-c]bc"));
        assert!(g("dbc", "[^a-c]bc"));
        assert!(g("]", "[]]"));
        assert!(g("-", "[a-]"));
        assert!(g("a", "[a-]"));
        assert!(!g("a", "[abc"));
        assert!(g("a*c", "a[*]c"));
        assert!(!g("abc", "a[*]c"));
        assert!(g("x", "*"));
        // Wildcards take whole characters of several bytes.
        assert!(g("éa", "?a"));
        assert!(g("aéb", "a?b"));
        assert!(!g("é", "??"));
        assert!(g("xéé", "*é"));
        assert!(g("k1é9", "k1*9"));
        assert!(g("é", "[à-ê]"));
    }

    /// `like` agrees with the token matcher on every pattern and text of up to 4
    /// characters over an alphabet of letters in both cases, a non-ASCII letter, both
    /// wildcards and an escape character, with and without ESCAPE.
    #[test]
    fn like_agrees_with_the_token_matcher() {
        let alphabet = ['a', 'A', 'b', 'é', '%', '_', '\\'];
        let strings = |max: usize| {
            let mut all = vec![String::new()];
            let mut last = vec![String::new()];
            for _ in 0..max {
                last = last
                    .iter()
                    .flat_map(|prefix| alphabet.iter().map(move |c| format!("{prefix}{c}")))
                    .collect();
                all.extend(last.iter().cloned());
            }
            all
        };
        let (patterns, texts) = (strings(4), strings(3));
        let mut checked = 0;
        for escape in [None, Some('\\'), Some('%')] {
            for pattern in &patterns {
                let reference = compile_like(pattern, escape);
                let prepared = Pattern::like(pattern, escape).unwrap();
                for text in &texts {
                    let expected = reference
                        .as_ref()
                        .is_some_and(|tokens| matches(text, tokens, true));
                    assert_eq!(
                        like(text, pattern, escape).unwrap(),
                        expected,
                        "{text:?} LIKE {pattern:?} ESCAPE {escape:?}"
                    );
                    assert_eq!(
                        prepared.matches(text),
                        expected,
                        "prepared: {text:?} LIKE {pattern:?} ESCAPE {escape:?}"
                    );
                    checked += 1;
                }
            }
        }
        assert!(checked > 1_000_000);
    }

    #[test]
    fn long_patterns_are_refused() {
        let pattern = "%".repeat(LIKE_PATTERN_BYTES_MAX + 1);
        assert!(like("a", &pattern, None).is_err());
        assert!(Pattern::like(&pattern, None).is_err());
        assert!(glob("a", &pattern).is_err());
        assert!(Pattern::glob(&pattern).is_err());
    }

    /// A prepared GLOB pattern answers what `glob` answers, over patterns with every
    /// wildcard and class form (unterminated ones too) and texts of both cases.
    #[test]
    fn prepared_glob_agrees_with_glob() {
        let patterns = [
            "", "*", "?", "a*", "*a", "*b*", "a?c", "[a-c]*", "[^a]?", "[]]", "[a-]", "[abc", "A*",
            "*é", "a[*]c", "??", "*?*",
        ];
        let texts = [
            "", "a", "A", "abc", "ABC", "ba", "é", "aé", "]", "-", "a*c", "xyz",
        ];
        for pattern in patterns {
            let prepared = Pattern::glob(pattern).unwrap();
            for text in texts {
                assert_eq!(
                    prepared.matches(text),
                    glob(text, pattern).unwrap(),
                    "{text:?} GLOB {pattern:?}"
                );
            }
        }
    }
}
