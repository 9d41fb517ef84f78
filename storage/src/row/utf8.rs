//! The UTF-8 check of a TEXT value read from a payload: all-ASCII text (the common case)
//! is recognized a word of eight bytes at a time, and only text with a byte above 0x7f
//! takes `from_utf8`'s general walk.

/// The high bit of each of eight bytes in a little-endian word.
const HIGH_BITS: u64 = 0x8080_8080_8080_8080;

/// `bytes` as text when they are UTF-8.
#[inline(always)]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    if is_ascii(bytes) {
        // SAFETY: `is_ascii` found every byte of `bytes` below 0x80, and a sequence of
        // ASCII bytes is valid UTF-8. `ascii_texts_decode_as_from_utf8` checks `is_ascii`
        // against `from_utf8` with a high byte at every position of every length up to 80.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}

/// Whether every byte of `bytes` is below 0x80: texts of 8 bytes or more are tested a
/// word at a time (the last word overlapping the one before it), shorter ones byte by
/// byte.
#[inline(always)]
fn is_ascii(bytes: &[u8]) -> bool {
    let Some(last) = bytes.last_chunk::<8>() else {
        return bytes.iter().fold(0u8, |high, &byte| high | byte) & 0x80 == 0;
    };
    let (words, _) = bytes.as_chunks::<8>();
    let high = words.iter().fold(u64::from_le_bytes(*last), |high, word| {
        high | u64::from_le_bytes(*word)
    });
    high & HIGH_BITS == 0
}
