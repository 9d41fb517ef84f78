//! The UTF-8 check of a TEXT value read from a payload, with a shortcut for the common
//! short all-ASCII text.

/// `bytes` as text when they are UTF-8. A short all-ASCII text (the common short key or
/// name) is recognized by two word tests instead of `from_utf8`'s general walk.
#[inline(always)]
pub(crate) fn utf8(bytes: &[u8]) -> Option<&str> {
    const HIGH_BITS: u64 = 0x8080_8080_8080_8080;
    let ascii = match (bytes.first_chunk::<8>(), bytes.last_chunk::<8>()) {
        (Some(first), Some(last)) if bytes.len() <= 16 => {
            (u64::from_le_bytes(*first) | u64::from_le_bytes(*last)) & HIGH_BITS == 0
        }
        _ if bytes.len() < 8 => bytes.iter().fold(0u8, |high, &byte| high | byte) & 0x80 == 0,
        _ => false,
    };
    if ascii {
        // SAFETY: every byte of `bytes` is below 0x80 (the two words cover all of a text
        // of 8 to 16 bytes; a shorter one is tested byte by byte), and a sequence of
        // ASCII bytes is valid UTF-8. `short_ascii_texts_decode_as_from_utf8` checks it.
        return Some(unsafe { std::str::from_utf8_unchecked(bytes) });
    }
    std::str::from_utf8(bytes).ok()
}
