//! What the chrono and time conversions share: reading a value's text for a date or time
//! type, the error naming the form a text should have, and SQLite's `T` separator.

use std::borrow::Cow;

use ember_storage::Value;

use super::wrong_type;
use crate::error::Result;

/// The text of `value`, or the error naming `wanted`.
pub(super) fn text<'v>(value: &'v Value, wanted: &str) -> Result<&'v str> {
    match value {
        Value::Text(text) => Ok(text),
        other => Err(wrong_type(other, wanted)),
    }
}

/// The error for a text that is not a `wanted` in the `expected` form.
pub(super) fn unreadable(text: &str, wanted: &str, expected: &str) -> crate::Error {
    crate::err!(
        Type,
        "cannot read text '{text}' into {wanted}: expected {expected}"
    )
}

/// `text` with a `T` between date and time (`YYYY-MM-DDTHH:MM`) read as a space.
pub(super) fn spaced(text: &str) -> Cow<'_, str> {
    match text.as_bytes().get(10) {
        Some(b'T' | b't') => {
            let mut spaced = text.to_string();
            spaced.replace_range(10..11, " ");
            spaced.into()
        }
        _ => text.into(),
    }
}
