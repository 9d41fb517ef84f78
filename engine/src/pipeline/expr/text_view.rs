//! Text read in place: a range of a text value (borrowed from the row when it can be) with
//! an ASCII case mapping, which is what substr(), upper() and lower() make of a text, in
//! any nesting (`upper(substr(s, 1, 2))`), without building a `String`. A compiled
//! comparison orders two of them byte by byte, `length()` counts their characters, LIKE
//! reads an unmapped one as it is; only a consumer that needs the value makes it, once.
//!
//! The mapping is bytewise (upper() and lower() change ASCII letters only, as SQLite's
//! do), so it keeps character boundaries: substr() of a mapped text is the mapping of the
//! substr(), and the outermost of nested mappings decides every letter.

use std::borrow::Cow;
use std::cmp::Ordering;

use ember_storage::Value;

use super::text::substr_range;

/// The ASCII case mapping of a text view.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Case {
    AsIs,
    Upper,
    Lower,
}

impl Case {
    #[inline(always)]
    fn map(self, byte: u8) -> u8 {
        match self {
            Case::AsIs => byte,
            Case::Upper => byte.to_ascii_uppercase(),
            Case::Lower => byte.to_ascii_lowercase(),
        }
    }
}

/// `text[start..end]` read under `case`.
#[derive(Debug, Clone)]
pub struct TextView<'r> {
    text: Cow<'r, str>,
    start: usize,
    end: usize,
    case: Case,
}

impl<'r> TextView<'r> {
    /// The whole of a TEXT value; the value back for any other.
    pub fn of_value(value: Cow<'r, Value>) -> Result<TextView<'r>, Cow<'r, Value>> {
        let text = match value {
            Cow::Borrowed(Value::Text(text)) => Cow::Borrowed(text.as_str()),
            Cow::Owned(Value::Text(text)) => Cow::Owned(text),
            other => return Err(other),
        };
        Ok(TextView {
            start: 0,
            end: text.len(),
            text,
            case: Case::AsIs,
        })
    }

    /// The whole of a text read in place.
    #[inline]
    pub fn of_str(text: &'r str) -> TextView<'r> {
        TextView {
            start: 0,
            end: text.len(),
            text: Cow::Borrowed(text),
            case: Case::AsIs,
        }
    }

    /// The characters in range, before the case mapping.
    #[inline]
    pub fn unmapped(&self) -> &str {
        &self.text[self.start..self.end]
    }

    /// The text as it reads when no mapping changes it (`None` under a mapping).
    #[inline]
    pub fn as_is(&self) -> Option<&str> {
        (self.case == Case::AsIs).then(|| self.unmapped())
    }

    /// The view under `case` (upper() or lower() of it).
    pub fn with_case(mut self, case: Case) -> TextView<'r> {
        self.case = case;
        self
    }

    /// substr(view, start, length) as `text::substr` computes it on a text (`start` and
    /// `length` already read as SQLite reads them).
    pub fn substr(mut self, start: i64, length: Option<i64>) -> TextView<'r> {
        let (from, to) = substr_bytes(self.unmapped(), start, length);
        self.end = self.start + to;
        self.start += from;
        self
    }

    /// length(view): its characters.
    pub fn char_count(&self) -> usize {
        char_count(self.unmapped())
    }

    /// The view's bytes under its mapping.
    #[inline]
    fn bytes(&self) -> impl Iterator<Item = u8> + '_ {
        let case = self.case;
        self.unmapped().bytes().map(move |byte| case.map(byte))
    }

    /// How the view orders against `other` as BINARY text (bytewise, as `compare_for_sort`
    /// orders two texts).
    pub fn cmp_text(&self, other: &TextView<'_>) -> Ordering {
        match (self.as_is(), other.as_is()) {
            (Some(left), Some(right)) => left.as_bytes().cmp(right.as_bytes()),
            _ => self.bytes().cmp(other.bytes()),
        }
    }

    /// Appends the view's text, under its mapping, to `out` (what `into_value` makes,
    /// written into a buffer the caller keeps).
    pub fn push_to(&self, out: &mut String) {
        let start = out.len();
        out.push_str(self.unmapped());
        match self.case {
            Case::AsIs => {}
            Case::Upper => out[start..].make_ascii_uppercase(),
            Case::Lower => out[start..].make_ascii_lowercase(),
        }
    }

    /// The text value (made only here).
    pub fn into_value(self) -> Value {
        let mapped = match (self.text, self.case) {
            (Cow::Owned(mut text), Case::AsIs) if self.start == 0 => {
                text.truncate(self.end);
                text
            }
            (text, case) => {
                let slice = &text[self.start..self.end];
                match case {
                    Case::AsIs => slice.to_string(),
                    Case::Upper => slice.to_ascii_uppercase(),
                    Case::Lower => slice.to_ascii_lowercase(),
                }
            }
        };
        Value::Text(mapped)
    }
}

/// The byte range of substr(text, start, length) (`start` and `length` already read as
/// SQLite reads them: `text::substr_range` over characters), on character boundaries.
#[inline]
pub(super) fn substr_bytes(text: &str, start: i64, length: Option<i64>) -> (usize, usize) {
    let (from, to) = if text.is_ascii() {
        let (from, count) = substr_range(text.len(), start, length);
        (from, from + count)
    } else {
        let (from, count) = substr_range(text.chars().count(), start, length);
        let mut boundaries = text
            .char_indices()
            .map(|(at, _)| at)
            .chain(std::iter::once(text.len()));
        let from_byte = boundaries.nth(from).unwrap_or(text.len());
        let to_byte = match count {
            0 => from_byte,
            count => boundaries.nth(count - 1).unwrap_or(text.len()),
        };
        (from_byte, to_byte)
    };
    debug_assert!(from <= to && to <= text.len());
    (from, to)
}

/// length() of a text: its characters before the first NUL, as SQLite counts them (its
/// bytes there when it is ASCII).
#[inline]
pub(super) fn char_count(text: &str) -> usize {
    let text = match memchr::memchr(0, text.as_bytes()) {
        // A NUL is one byte of its own in UTF-8: the text before it is whole characters.
        Some(nul) => &text[..nul],
        None => text,
    };
    if text.is_ascii() {
        text.len()
    } else {
        text.chars().count()
    }
}

#[cfg(test)]
#[path = "text_view_tests.rs"]
mod tests;
