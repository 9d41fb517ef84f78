//! The encoding of one REAL in a row payload (a REAL column, or an `Any` column's value after
//! its tag). A plain double keeps exactly 8 bytes with no header, so reading one costs what
//! it always did: one 8-byte load, a byte swap and one predictable compare. Multiples of 1/8
//! of moderate size (integral values, halves, quarters, eighths: what SQLite keeps as
//! integers) take 2 to 7 bytes. Every bit pattern (`-0.0`, NaN payloads) is kept exactly.
//!
//! The double's IEEE bits are stored big-endian, so the first byte is the sign and the top 7
//! bits of the exponent; `first & 0x7F == 0x7F` only for |x| >= 2^1009, infinities and NaNs.
//! The two first bytes such doubles start with are the markers:
//!
//! ```text
//! any other first byte   plain:   the 8 bytes of the bits, most significant first
//! 0x7F, then n + 1 bytes short:   (m << 3 | n) little-endian in n + 1 bytes (n = 0..=7, the
//!                                 low 3 bits of the byte after the marker), m = x * 8 as a
//!                                 two's-complement integer of 8 * (n + 1) - 3 bits
//! 0xFF, then 8 bytes     escaped: the 8 bytes of the bits (a double starting 0x7F or 0xFF)
//! ```
//! The encoder writes the short form for every value `x` other than `-0.0` with `x * 8` an
//! integer of magnitude below 2^44 (exact in a double, so decoding `m as f64 * 0.125` gives
//! the same bits), in the fewest bytes (n <= 5, so at most 7 bytes: shorter than a plain
//! double): -2 <= x < 2 in 2 bytes, -512 <= x < 512 in 3 (M1's scores `(id % 1000) * 0.5`),
//! up to 2^17 in 4, and so on; any other double whose first byte is no marker is plain (a
//! random fraction: 8 bytes, as before); the rest is escaped (9 bytes).
//!
//! Reading a short form that has 8 payload bytes from its marker on costs one more compare
//! and two shifts (the sign comes with the arithmetic shift: no mask, no zigzag). Every byte
//! sequence decodes to some double (the decoder takes n = 6 and 7 too, which the encoder never
//! writes); the bytes are untrusted, and a REAL cut short is an error, never a panic.
//!
//! Payloads written before this encoding (snapshot formats 1-2, WAL segments `EMBRWAL1`/`2`)
//! hold every REAL as 8 bytes little-endian; `legacy.rs` rewrites them on load.

/// First byte of the short form.
pub(crate) const SHORT: u8 = 0x7F;
/// First byte of the escaped form.
pub(crate) const ESCAPE: u8 = 0xFF;
/// Largest n the encoder writes (the short form then takes 7 bytes).
const SHORT_N_WRITTEN_MAX: u32 = 5;
/// `x * 8` of a short form is below this in magnitude: it fits in `8 * 6 - 3` bits with its
/// sign, and is exact as a double.
const SHORT_EIGHTHS_LIMIT: f64 = (1u64 << 44) as f64;
/// The bits of `-0.0`, which the short form would turn into `+0.0`.
const NEGATIVE_ZERO_BITS: u64 = 1 << 63;

/// Whether the first byte of a REAL is a marker; for a double, whether it must be escaped
/// (|x| >= 2^1009, infinities, NaNs).
#[inline(always)]
const fn is_marker(first: u8) -> bool {
    first | 0x80 == 0xFF
}

/// Appends the encoding of `real`.
#[inline(always)]
pub(crate) fn encode_real(real: f64, out: &mut Vec<u8>) {
    let bits = real.to_bits();
    let eighths = real * 8.0;
    // False for NaNs and infinities; a double below 2^44 converts to i64 exactly when it is
    // integral.
    if eighths.abs() < SHORT_EIGHTHS_LIMIT {
        let m = eighths as i64;
        if m as f64 == eighths && bits != NEGATIVE_ZERO_BITS {
            // Bits of m with its sign (1..=45), plus 3 for n: bytes n + 1.
            let signed_bits = 65 - (m ^ (m >> 63)).leading_zeros();
            let n = (signed_bits + 3).div_ceil(8) - 1;
            debug_assert!(n <= SHORT_N_WRITTEN_MAX);
            let word = (((m << 3) as u64) | u64::from(n)).to_le_bytes();
            out.push(SHORT);
            out.extend_from_slice(&word[..n as usize + 1]);
            return;
        }
    }
    if is_marker((bits >> 56) as u8) {
        out.push(ESCAPE);
    }
    out.extend_from_slice(&bits.to_be_bytes());
}

/// The short form of `total` bytes (marker included, 2..=8) from `word`, its first 8 bytes
/// little-endian (bytes past `total` are ignored).
#[inline(always)]
fn short_in_word(word: u64, total: u32) -> f64 {
    debug_assert!((2..=8).contains(&total));
    // The bytes past the form leave at the top; the marker and n at the bottom, and the
    // arithmetic shift brings the sign.
    let m = ((word << (64 - 8 * total)) as i64) >> (75 - 8 * total);
    m as f64 * 0.125
}

/// Decodes the REAL at `position` of `bytes` (a payload): the value and its length, or `None`
/// when it is cut short.
#[inline(always)]
pub(crate) fn decode_real(bytes: &[u8], position: usize) -> Option<(f64, usize)> {
    let rest = bytes.get(position..)?;
    if let Some(word) = rest.first_chunk::<8>() {
        let word = u64::from_le_bytes(*word);
        if !is_marker(word as u8) {
            return Some((f64::from_bits(word.swap_bytes()), 8));
        }
        let total = 2 + ((word >> 8) & 7) as u32;
        if word as u8 == SHORT && total <= 8 {
            return Some((short_in_word(word, total), total as usize));
        }
    } else if let (false, Some(last)) = (rest.is_empty(), bytes.last_chunk::<8>()) {
        // Fewer than 8 bytes left of a payload of 8 or more (a short REAL ending the row,
        // as a table's last column): its last 8 bytes shifted so the REAL starts at the
        // bottom, zero past the end. 1 to 7 bytes come before the REAL in that word.
        let word = u64::from_le_bytes(*last) >> (8 * (position + 8 - bytes.len()));
        let total = 2 + ((word >> 8) & 7) as usize;
        if word as u8 == SHORT && total <= rest.len() {
            return Some((short_in_word(word, total as u32), total));
        }
    }
    decode_real_near_end(bytes, position)
}

/// `decode_real` for a short form ending a payload of fewer than 8 bytes, one cut short, a
/// 9-byte short form, or an escaped one (out of line: the scan loops that inline
/// `decode_real` stay small; a short form ending a longer payload, as a table's last REAL
/// column, is read inline).
#[inline(never)]
fn decode_real_near_end(bytes: &[u8], position: usize) -> Option<(f64, usize)> {
    let rest = bytes.get(position..)?;
    match *rest.first()? {
        SHORT => {
            // Zero past the payload's end: a form cut after its marker reads n = 0, and the
            // length check fails it.
            let word = word_at(bytes, position);
            let total = 2 + ((word >> 8) & 7) as usize;
            if total > rest.len() {
                return None;
            }
            if total <= 8 {
                return Some((short_in_word(word, total as u32), total));
            }
            let after = rest[1..].first_chunk::<8>()?;
            let m = (u64::from_le_bytes(*after) as i64) >> 3;
            Some((m as f64 * 0.125, total))
        }
        ESCAPE => {
            let word = rest.get(1..)?.first_chunk::<8>()?;
            Some((f64::from_bits(u64::from_be_bytes(*word)), 9))
        }
        // A plain double cut short.
        _ => None,
    }
}

/// The 8 bytes of `bytes` from `position` on as a little-endian word, zero past the end
/// (`position < bytes.len()`). A payload of 8 bytes or more is read with one load of its last
/// 8 bytes, shifted.
#[inline(always)]
fn word_at(bytes: &[u8], position: usize) -> u64 {
    debug_assert!(position < bytes.len());
    if let Some(word) = bytes
        .get(position..)
        .and_then(|rest| rest.first_chunk::<8>())
    {
        return u64::from_le_bytes(*word);
    }
    if let Some(last) = bytes.last_chunk::<8>() {
        // `position` is within the last 8 bytes: drop the ones before it.
        let before = position + 8 - bytes.len();
        return u64::from_le_bytes(*last) >> (8 * before);
    }
    let mut word = [0u8; 8];
    for (slot, &byte) in word.iter_mut().zip(&bytes[position..]) {
        *slot = byte;
    }
    u64::from_le_bytes(word)
}

/// The length of the REAL at `position` of `bytes`, read from its first bytes only (the caller
/// checks that many bytes are left); `None` when its first bytes are missing.
#[inline(always)]
pub(crate) fn real_len(bytes: &[u8], position: usize) -> Option<usize> {
    let &first = bytes.get(position)?;
    if !is_marker(first) {
        return Some(8);
    }
    if first == ESCAPE {
        return Some(9);
    }
    Some(2 + usize::from(*bytes.get(position + 1)? & 7))
}

/// Where the REAL that starts at `position` in `row` ends; `None` when it runs past the end
/// (the bytes are untrusted).
#[inline]
pub(crate) fn real_end(row: &[u8], position: usize) -> Option<usize> {
    let end = position + real_len(row, position)?;
    (end <= row.len()).then_some(end)
}

#[cfg(test)]
#[path = "real_tests.rs"]
mod tests;
