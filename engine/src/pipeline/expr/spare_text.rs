//! Spare text buffers of this thread, lent to compiled calls: an argument that is text
//! made per row (a `||` chain) is written into a spare buffer, lent to the call as its
//! value, and given back after it, with any other text argument the call was given to
//! own, so `date('2024-01-01', '+' || n || ' days')` or `printf('%s-%d', a || b, c)`
//! allocates no text for its arguments once the thread has a few buffers. printf()
//! takes its scratch text from them too.
//!
//! The buffers are values like any other while lent: a call reads them as `Value::Text`.
//! Nesting is safe: a buffer is taken out of the list while it is lent, and a list busy
//! elsewhere on the stack (which it never is: nothing calls out while holding it) would
//! only mean a new buffer.

use std::borrow::Cow;
use std::cell::RefCell;

use ember_storage::Value;

use super::concat::write_chain;
use super::datetime::DateFunction;
use super::function::{call_borrowed, Function};
use super::scalar::Scalar;
use crate::error::Result;

/// The most buffers a thread keeps.
const SPARE_TEXTS_MAX: usize = 4;

/// The largest buffer kept (a larger one is freed when given back).
const SPARE_TEXT_BYTES_MAX: usize = 4096;

thread_local! {
    static SPARE_TEXTS: RefCell<Vec<String>> = const { RefCell::new(Vec::new()) };
}

/// A spare buffer (empty), or a new one.
pub(super) fn take_spare() -> String {
    SPARE_TEXTS
        .with(|spare| {
            spare
                .try_borrow_mut()
                .ok()
                .and_then(|mut spare| spare.pop())
        })
        .unwrap_or_default()
}

/// Keeps `text`'s buffer for a later `take_spare`, unless it is too large or enough are
/// kept.
pub(super) fn give_back(mut text: String) {
    if text.capacity() == 0 || text.capacity() > SPARE_TEXT_BYTES_MAX {
        return;
    }
    text.clear();
    SPARE_TEXTS.with(|spare| {
        if let Ok(mut spare) = spare.try_borrow_mut() {
            if spare.len() < SPARE_TEXTS_MAX {
                spare.push(text);
            }
        }
    });
}

impl Scalar {
    /// The value over `row` as a call's argument: `value`'s, except that a `||` chain is
    /// written into a spare buffer (`call_lent` gives it back).
    #[inline]
    pub(super) fn argument<'r>(&'r self, row: &'r [Value]) -> Result<Cow<'r, Value>> {
        match self {
            Scalar::Concat(parts) => {
                let mut out = take_spare();
                if write_chain(parts, row, &mut out)? {
                    Ok(Cow::Owned(Value::Text(out)))
                } else {
                    give_back(out);
                    Ok(Cow::Owned(Value::Null))
                }
            }
            other => other.value(row),
        }
    }
}

/// `function` applied to `args` (from `Scalar::argument`), whose owned texts are given
/// back after.
#[inline]
pub(super) fn call_lent<const N: usize>(
    function: Function,
    args: [Cow<'_, Value>; N],
) -> Result<Value> {
    let result = call_borrowed(function, &args);
    for arg in args {
        if let Cow::Owned(Value::Text(text)) = arg {
            give_back(text);
        }
    }
    result
}

/// printf() of `args` (from `Scalar::argument`) written into `out` (`printf_into`), whose
/// owned texts are given back after.
#[inline]
pub(super) fn printf_lent<const N: usize>(
    args: [Cow<'_, Value>; N],
    out: &mut String,
) -> Result<bool> {
    let written = super::printf::printf_into(&args[..], out);
    for arg in args {
        if let Cow::Owned(Value::Text(text)) = arg {
            give_back(text);
        }
    }
    written
}

/// A date/time function of `args` (from `Scalar::argument`) written into `out`
/// (`datetime::call_into`: `None` with text in `out`, else its value), whose owned texts
/// are given back after.
#[inline]
pub(super) fn date_lent<const N: usize>(
    function: DateFunction,
    args: [Cow<'_, Value>; N],
    out: &mut String,
) -> Option<Value> {
    let value = super::datetime::call_into(function, &args[..], out);
    for arg in args {
        if let Cow::Owned(Value::Text(text)) = arg {
            give_back(text);
        }
    }
    value
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buffers_are_kept_up_to_the_limits() {
        while take_spare().capacity() > 0 {}
        give_back(String::with_capacity(SPARE_TEXT_BYTES_MAX + 1));
        assert_eq!(take_spare().capacity(), 0, "a large buffer is not kept");
        for _ in 0..SPARE_TEXTS_MAX + 2 {
            give_back(String::from("kept"));
        }
        let mut kept = 0;
        loop {
            let text = take_spare();
            if text.capacity() == 0 {
                break;
            }
            assert!(text.is_empty(), "a buffer is given back cleared");
            kept += 1;
        }
        assert_eq!(kept, SPARE_TEXTS_MAX);
    }
}
