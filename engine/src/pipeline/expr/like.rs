//! Pattern matching for `LIKE` (ASCII case-insensitive, `%` and `_`, optional ESCAPE
//! character) and `GLOB` (case-sensitive, `*`, `?`, `[...]` classes), as SQLite does.
//! Patterns compile to tokens; matching backtracks only to the last multi-character
//! wildcard, so it takes at most O(text x pattern) steps and no recursion.

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
    Ok(match compile_like(pattern, escape) {
        Some(tokens) => matches(text, &tokens, true),
        None => false,
    })
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

/// Greedy matching with backtracking to the most recent `AnyRun`.
fn matches(text: &str, tokens: &[Token], fold_case: bool) -> bool {
    let text: Vec<char> = text.chars().collect();
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
            if let Some(&c) = text.get(text_at) {
                if token_matches(token, c, fold_case) {
                    text_at += 1;
                    token_at += 1;
                    continue;
                }
            }
        } else if text_at == text.len() {
            return true;
        }
        match resume {
            Some((after_run, swallowed)) if swallowed < text.len() => {
                resume = Some((after_run, swallowed + 1));
                token_at = after_run;
                text_at = swallowed + 1;
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
    }

    #[test]
    fn long_patterns_are_refused() {
        let pattern = "%".repeat(LIKE_PATTERN_BYTES_MAX + 1);
        assert!(like("a", &pattern, None).is_err());
    }
}
