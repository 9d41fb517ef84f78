//! Pattern matching for `LIKE` (ASCII case-insensitive, `%` and `_`, optional ESCAPE
//! character) and `GLOB` (case-sensitive, `*`, `?`, `[...]` classes), as SQLite does.
//! LIKE matches the pattern text as it is, allocating nothing: the common shapes
//! (`abc`, `abc%`, `%abc`, `%abc%` with no `_` and no escape) compare bytes (ASCII case
//! folding leaves the bytes of other characters alone, so bytes compare as characters
//! do; a `%abc%` body, and the first literal of each run between `%`s, is searched for
//! eight start positions at a time, `fold_search.rs`), the rest walk both texts a
//! character at a time. GLOB patterns compile to tokens.
//! Both backtrack only to the last multi-character wildcard, so matching takes at most
//! O(text x pattern) steps and no recursion.

use super::fold_search;
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

/// Whether `text LIKE pattern [ESCAPE escape]` with ASCII case significant (`PRAGMA
/// case_sensitive_like`): the pattern's tokens matched as GLOB's are.
pub(crate) fn like_case_sensitive(text: &str, pattern: &str, escape: Option<char>) -> Result<bool> {
    check_pattern_length(pattern)?;
    Ok(compile_like(pattern, escape).is_some_and(|tokens| matches(text, &tokens, false)))
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
    // Always inlined, as the helpers below: a pattern's match per row is a handful of
    // instructions around the search, and a call per layer costs more than it does.
    #[inline(always)]
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
#[inline(always)]
fn contains_ignoring_ascii_case(text: &[u8], body: &[u8]) -> bool {
    find_ignoring_ascii_case(text, body, 0).is_some()
}

/// Where the leftmost occurrence of `body` in `text` at or after byte `from` starts,
/// ASCII letters matched in either case (`fold_search`: a match starts at a character's
/// first byte when `body` does).
#[inline(always)]
fn find_ignoring_ascii_case(text: &[u8], body: &[u8], from: usize) -> Option<usize> {
    fold_search::find(text.get(from..)?, body, true).map(|start| from + start)
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
        matcher: LikeMatcher,
    },
    /// Tokens matched with case significant (GLOB's, or case-sensitive LIKE's); `None` for
    /// a pattern that matches nothing.
    Glob(Option<Vec<Token>>),
}

/// How a prepared LIKE pattern is matched.
#[derive(Debug, Clone)]
enum LikeMatcher {
    /// A plain shape, and the byte range of its body in the pattern.
    Plain(PlainShape, std::ops::Range<usize>),
    /// `%body%` whose body has no ASCII letter (so case folding cannot change a match):
    /// the body's substring searcher, built once (boxed: it is large, and a pattern sits
    /// inline in compiled expressions).
    Substring(Box<memchr::memmem::Finder<'static>>),
    /// `%body%` whose body has an ASCII letter: its folding searcher, built once.
    FoldedSubstring(fold_search::Finder),
    /// The pattern cut at its `%`.
    Runs(Runs),
    /// A character-at-a-time walk (a pattern that ends in the escape character, which
    /// matches nothing).
    Walk,
}

impl Pattern {
    /// `pattern [ESCAPE escape]` for LIKE; the error `like` gives for a pattern too long.
    pub(crate) fn like(pattern: &str, escape: Option<char>) -> Result<Pattern> {
        check_pattern_length(pattern)?;
        let matcher = match plain_shape(pattern, escape) {
            Some((PlainShape::Contains, body)) if !body.iter().any(u8::is_ascii_alphabetic) => {
                LikeMatcher::Substring(Box::new(memchr::memmem::Finder::new(body).into_owned()))
            }
            Some((PlainShape::Contains, body)) => {
                LikeMatcher::FoldedSubstring(fold_search::Finder::new(body, true))
            }
            Some((shape, body)) => {
                let start = body.as_ptr() as usize - pattern.as_ptr() as usize;
                LikeMatcher::Plain(shape, start..start + body.len())
            }
            None => Runs::of(pattern, escape).map_or(LikeMatcher::Walk, LikeMatcher::Runs),
        };
        Ok(Pattern(Prepared::Like {
            pattern: pattern.to_string(),
            escape,
            matcher,
        }))
    }

    /// `pattern [ESCAPE escape]` for case-sensitive LIKE (`like_case_sensitive`).
    pub(crate) fn like_case_sensitive(pattern: &str, escape: Option<char>) -> Result<Pattern> {
        check_pattern_length(pattern)?;
        Ok(Pattern(Prepared::Glob(compile_like(pattern, escape))))
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
                pattern,
                escape,
                matcher,
            } => match matcher {
                LikeMatcher::Plain(shape, body) => {
                    shape.matches(&pattern.as_bytes()[body.clone()], text.as_bytes())
                }
                LikeMatcher::Substring(finder) => finder.find(text.as_bytes()).is_some(),
                LikeMatcher::FoldedSubstring(finder) => finder.find(text.as_bytes()).is_some(),
                LikeMatcher::Runs(runs) => runs.matches(text.as_bytes()),
                LikeMatcher::Walk => like_walk(text, pattern, *escape),
            },
            Prepared::Glob(Some(tokens)) => matches(text, tokens, false),
            Prepared::Glob(None) => false,
        }
    }
}

/// A LIKE pattern cut at its `%` into runs of literal characters and `_`, each run of a
/// fixed number of characters: the first run is matched at the text's start (unless the
/// pattern starts with `%`), the last at its end (unless it ends with `%`), and each run
/// between at its leftmost place after the one before (leftmost is never worse: what a
/// later place leaves, an earlier one leaves too). Literals compare as bytes, ASCII
/// letters folded (as `PlainShape`); `_` takes one character of however many bytes.
#[derive(Debug, Clone)]
struct Runs {
    /// The literal bytes of every run, one after another.
    literals: Vec<u8>,
    runs: Vec<Run>,
    /// Whether the pattern has a `%` at all (without one, its sole run is the whole text).
    has_any_run: bool,
    starts_anchored: bool,
    ends_anchored: bool,
}

#[derive(Debug, Clone, Default)]
struct Run {
    items: Vec<RunItem>,
    /// Characters the run matches.
    chars: usize,
}

#[derive(Debug, Clone)]
enum RunItem {
    /// These bytes of `Runs::literals`.
    Literal(std::ops::Range<usize>),
    /// `_`: one character.
    AnyOne,
}

impl Runs {
    /// `pattern [ESCAPE escape]` cut into runs; `None` when it ends in the escape
    /// character (it then matches nothing: `like_walk` answers that).
    fn of(pattern: &str, escape: Option<char>) -> Option<Runs> {
        let mut runs = Runs {
            literals: Vec::new(),
            runs: vec![Run::default()],
            has_any_run: false,
            starts_anchored: !pattern.starts_with('%') || escape == Some('%'),
            ends_anchored: true,
        };
        let mut chars = pattern.chars();
        let mut ends_with_any_run = false;
        while let Some(c) = chars.next() {
            ends_with_any_run = false;
            let literal = if Some(c) == escape {
                chars.next()?
            } else if c == '%' {
                runs.has_any_run = true;
                ends_with_any_run = true;
                if !runs.runs.last().is_some_and(|run| run.items.is_empty()) {
                    runs.runs.push(Run::default());
                }
                continue;
            } else if c == '_' {
                runs.push(RunItem::AnyOne);
                continue;
            } else {
                c
            };
            let start = runs.literals.len();
            let mut buffer = [0; 4];
            runs.literals
                .extend_from_slice(literal.encode_utf8(&mut buffer).as_bytes());
            match runs.runs.last_mut().and_then(|run| run.items.last_mut()) {
                // Literals in a row join into one range.
                Some(RunItem::Literal(range)) if range.end == start => {
                    range.end = runs.literals.len();
                    if let Some(run) = runs.runs.last_mut() {
                        run.chars += 1;
                    }
                }
                _ => runs.push(RunItem::Literal(start..runs.literals.len())),
            }
        }
        if runs.runs.len() > 1 && runs.runs.last().is_some_and(|run| run.items.is_empty()) {
            runs.runs.pop();
        }
        runs.ends_anchored = !ends_with_any_run;
        Some(runs)
    }

    fn push(&mut self, item: RunItem) {
        if let Some(run) = self.runs.last_mut() {
            run.items.push(item);
            run.chars += 1;
        }
    }

    /// Whether `text` matches.
    fn matches(&self, text: &[u8]) -> bool {
        let Some((last, before)) = self.runs.split_last() else {
            return true;
        };
        if !self.has_any_run {
            return self.run_at(last, text, 0) == Some(text.len());
        }
        let mut at = 0;
        let mut middle = before;
        if self.starts_anchored {
            let Some((first, rest)) = before.split_first() else {
                // One run, at the start ("ab%").
                return self
                    .run_at(last, text, 0)
                    .is_some_and(|end| !self.ends_anchored || end == text.len());
            };
            match self.run_at(first, text, 0) {
                Some(end) => at = end,
                None => return false,
            }
            middle = rest;
        }
        for run in middle {
            match self.leftmost(run, text, at) {
                Some(end) => at = end,
                None => return false,
            }
        }
        if !self.ends_anchored {
            return self.leftmost(last, text, at).is_some();
        }
        // The last run ends at the text's end: it starts `chars` characters before.
        let mut start = text.len();
        for _ in 0..last.chars {
            if start == 0 {
                return false;
            }
            start -= 1;
            while start > 0 && is_continuation(text[start]) {
                start -= 1;
            }
        }
        start >= at && self.run_at(last, text, start) == Some(text.len())
    }

    /// Where `run` ends when it matches `text` from byte `at` on (a character's start).
    #[inline]
    fn run_at(&self, run: &Run, text: &[u8], mut at: usize) -> Option<usize> {
        for item in &run.items {
            match item {
                RunItem::Literal(range) => {
                    let literal = &self.literals[range.clone()];
                    let end = at + literal.len();
                    if !text.get(at..end)?.eq_ignore_ascii_case(literal) {
                        return None;
                    }
                    at = end;
                }
                RunItem::AnyOne => at += char_width(*text.get(at)?),
            }
        }
        Some(at)
    }

    /// Where `run` ends at its leftmost match in `text` from byte `from` on.
    fn leftmost(&self, run: &Run, text: &[u8], mut from: usize) -> Option<usize> {
        if let Some(RunItem::Literal(range)) = run.items.first() {
            // Tried only where its first literal is (which starts at a character's start).
            let literal = self.literals.get(range.clone())?;
            loop {
                let at = find_ignoring_ascii_case(text, literal, from)?;
                if let Some(end) = self.run_at(run, text, at) {
                    return Some(end);
                }
                from = at + 1;
            }
        }
        // A run that starts with `_`: tried at each character's start, and at the end.
        while from <= text.len() {
            if text.get(from).is_none_or(|&byte| !is_continuation(byte)) {
                if let Some(end) = self.run_at(run, text, from) {
                    return Some(end);
                }
            }
            from += 1;
        }
        None
    }
}

/// Whether `byte` continues a UTF-8 character (is not its first byte).
#[inline(always)]
fn is_continuation(byte: u8) -> bool {
    byte & 0xC0 == 0x80
}

/// The bytes of the UTF-8 character whose first byte is `first`.
#[inline(always)]
fn char_width(first: u8) -> usize {
    match first {
        0..0x80 => 1,
        0x80..0xE0 => 2,
        0xE0..0xF0 => 3,
        _ => 4,
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
/// What case-sensitive LIKE matches, and the tests' reference for `like`.
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
#[path = "like_tests.rs"]
mod tests;
