//! SQLite 3.54's conversions between doubles and decimal digits, as its round() uses them
//! (`%!.*f`, then the text read back with `sqlite3AtoF`), so that round() gives the bundled
//! SQLite's bits: a double becomes 18 significant decimal digits (a 64x64-bit product with
//! a table power of ten), those digits are rounded half up to the wanted decimals, and the
//! printed decimal is turned back into the double its digits and power of ten name.
//! Written from the algorithms of sqlite3FpDecode, sqlite3Fp2Convert10, sqlite3Fp10Convert2
//! (the 18-digit decode and the powers of ten are storage's `real_digits`, shared with REAL
//! to TEXT); `round.rs` decides when it is needed.
//! printf's real conversions (`printf_real.rs`) lay out `decode_rounded`'s digits.

use ember_storage::real_digits::{
    leading_digits, log2_of_power_of_ten, power_of_ten, shift_right, POWERS_FIRST, POWERS_LAST,
};

/// The most significant digits a decode keeps (the `%!` flag's limit).
const MAX_DIGITS: i32 = 20;

/// The high and low 64 bits of `a · b`.
fn multiply_128(a: u64, b: u64) -> (u64, u64) {
    let product = u128::from(a) * u128::from(b);
    ((product >> 64) as u64, product as u64)
}

/// The double nearest `d · 10^p` (d > 0), as SQLite computes it (after Russ Cox's
/// fpfmt: a 64x96-bit product with a sticky bit).
pub(super) fn decimal_to_double(d: u64, p: i32) -> f64 {
    if p < POWERS_FIRST || d == 0 {
        return 0.0;
    }
    if p > POWERS_LAST {
        return f64::INFINITY;
    }
    let bits = 64 - d.leading_zeros() as i32;
    let binary = log2_of_power_of_ten(p);
    let mut e = 53 - bits - binary;
    if e > 1074 {
        if e >= 1130 {
            return 0.0;
        }
        e = 1074;
    }
    let shift = -(e - (64 - bits) + binary + 3);
    let (mut power_high, mut power_low) = power_of_ten(p);
    if power_low != 0 {
        power_high = power_high.wrapping_add(1);
        power_low = !power_low;
    }
    let x = d << (64 - bits);
    let (mut high, low) = multiply_128(x, power_high);
    let middle = (low >> 32) as u32;
    let mut sticky = 1;
    let below = 1u64.checked_shl(shift as u32).unwrap_or(0).wrapping_sub(1);
    if high & below == 0 {
        let other = (multiply_128(x, u64::from(power_low) << 32).0 >> 32) as u32;
        sticky = u64::from(middle.wrapping_sub(other) > 1);
        high = high.wrapping_sub(u64::from(middle < other));
    }
    let mut u = shift_right(high, shift) | sticky;
    if u >= (1 << 55) - 2 {
        u = (u >> 1) | (u & 1);
        e -= 1;
    }
    let mut m = (u + 1 + ((u >> 2) & 1)) >> 2;
    if e <= -972 {
        return f64::INFINITY;
    }
    if m & (1 << 52) != 0 {
        m = (m & !(1 << 52)) | (((1075 - e) as u64) << 52);
    }
    f64::from_bits(m)
}

/// A double's decimal digits as SQLite's `%!.Nf` decodes them: `digits[start..start + len]`
/// (no trailing zeros, at least one digit), the decimal point `point` digits after the
/// first (negative: before it), and the sign.
pub(super) struct Decoded {
    pub negative: bool,
    buffer: [u8; 24],
    start: usize,
    len: usize,
    pub point: i32,
}

impl Decoded {
    pub fn digits(&self) -> &[u8] {
        &self.buffer[self.start..self.start + self.len]
    }
}

/// The digits of the u64 `value` (> 0), as ASCII, ending at `buffer[end]` (exclusive);
/// returns where they start.
fn write_digits(mut value: u64, buffer: &mut [u8; 24], end: usize) -> usize {
    let mut at = end;
    while value > 0 && at > 0 {
        at -= 1;
        buffer[at] = b'0' + (value % 10) as u8;
        value /= 10;
    }
    at
}

/// The number the ASCII `digits` spell.
fn digits_value(digits: &[u8]) -> u64 {
    digits.iter().fold(0u64, |value, &digit| {
        value.wrapping_mul(10).wrapping_add(u64::from(digit - b'0'))
    })
}

/// `r` (finite) decoded for `%!.{decimals}f`: 18 significant digits, rounded half up to
/// `decimals` digits after the point (or to the 20 digits the flag keeps), with SQLite's
/// shortening of a 17-digit result that reads back as `r`.
pub(super) fn decode(r: f64, decimals: i32) -> Decoded {
    decode_rounded(r, -decimals, MAX_DIGITS)
}

/// `r` (finite) decoded as sqlite3FpDecode does: `round` > 0 keeps that many significant
/// digits (from `round + 1` generated, or 18 from 17 on); `round` <= 0 keeps `-round`
/// digits after the point (from 18 generated); never more than `max_digits` (16, or 20
/// with printf's `!` flag). Digits are rounded half up; a 17-digit result is shortened
/// when shorter digits read back as `r`.
pub(super) fn decode_rounded(r: f64, round: i32, max_digits: i32) -> Decoded {
    debug_assert!(max_digits > 0 && max_digits <= MAX_DIGITS);
    let mut decoded = Decoded {
        negative: r < 0.0,
        buffer: [b'0'; 24],
        start: 23,
        len: 1,
        point: 1,
    };
    let r = r.abs();
    if r == 0.0 {
        return decoded;
    }
    let generated = if round <= 0 || round >= 18 {
        18
    } else {
        round + 1
    };
    let (value, exp) = leading_digits(r, generated);
    // Two spare places before the digits: a rounding at the first digit and its carry.
    let end = decoded.buffer.len();
    let mut at = write_digits(value, &mut decoded.buffer, end);
    let mut n = (end - at) as i32;
    decoded.point = n + exp;
    let mut keep = if round <= 0 {
        decoded.point.saturating_sub(round)
    } else {
        round
    };
    if round <= 0 && keep == 0 && decoded.buffer[at] >= b'5' {
        keep = 1;
        at = at.saturating_sub(1);
        decoded.buffer[at] = b'0';
        n += 1;
        decoded.point += 1;
    }
    if keep > 0 && (keep < n || n > max_digits) {
        keep = keep.min(max_digits);
        if keep == 17 {
            let integer = decoded.point >= n;
            keep = shortened(&decoded.buffer[at..end], r, exp + n, integer).unwrap_or(keep);
        }
        n = keep;
        let next = decoded.buffer.get(at + keep as usize);
        if next.is_some_and(|&digit| digit >= b'5') {
            let mut j = at + keep as usize - 1;
            loop {
                decoded.buffer[j] += 1;
                if decoded.buffer[j] <= b'9' {
                    break;
                }
                decoded.buffer[j] = b'0';
                if j == at {
                    debug_assert!(at > 0, "a spare place before the digits");
                    at = at.saturating_sub(1);
                    decoded.buffer[at] = b'1';
                    n += 1;
                    decoded.point += 1;
                    break;
                }
                j -= 1;
            }
        }
    }
    while n > 1 && decoded.buffer[at + n as usize - 1] == b'0' {
        n -= 1;
    }
    decoded.start = at;
    decoded.len = n as usize;
    decoded
}

/// For a decode of more than 17 digits `z` rounded to 17 (their value is
/// `z · 10^(power - z.len())`, about `r`; `integer`: the point is past them): the shorter
/// digit count SQLite keeps instead, when digits 14 and 15 are 99 (or 13 to 15 are 000, or
/// the value is an integer) and the shortened digits read back as `r` exactly.
fn shortened(z: &[u8], r: f64, power: i32, integer: bool) -> Option<i32> {
    if z.len() < 18 {
        debug_assert!(false, "a 17-digit rounding of {} digits", z.len());
        return None;
    }
    if z[15] == b'9' && z[14] == b'9' {
        let mut jj = 14;
        while jj > 0 && z[jj - 1] == b'9' {
            jj -= 1;
        }
        let value = if jj == 0 {
            1
        } else {
            digits_value(&z[..jj]) + 1
        };
        (r == decimal_to_double(value, power - jj as i32)).then_some(jj as i32 + 1)
    } else if integer || (z[15] == b'0' && z[14] == b'0' && z[13] == b'0') {
        let mut jj = 13;
        while jj > 1 && z[jj - 1] == b'0' {
            jj -= 1;
        }
        let value = digits_value(&z[..jj]);
        (r == decimal_to_double(value, power - jj as i32)).then_some(jj as i32 + 1)
    } else {
        None
    }
}

/// What SQLite's round() reads back from `%!.{decimals}f` of `decoded`: the printed digits
/// (integer part, then the decimals, trailing zeros dropped but one) gathered as
/// `sqlite3AtoF` gathers them (into a u64 while it has room, counting the power of ten),
/// then converted to the nearest double.
pub(super) fn read_back(decoded: &Decoded, decimals: i32) -> f64 {
    const ROOM: u64 = (u64::MAX - 9) / 10;
    let digits = decoded.digits();
    let mut mantissa: u64 = 0;
    let mut power: i32 = 0;
    // Integer part: the digits before the point, then zeros up to it ("0" when none).
    let whole = decoded.point.clamp(0, digits.len() as i32) as usize;
    let zeros = (decoded.point - whole as i32).max(0);
    let mut full = false;
    let whole_digits = digits[..whole].iter().copied();
    for digit in whole_digits.chain(std::iter::repeat_n(b'0', zeros as usize)) {
        if full {
            power += 1;
            continue;
        }
        mantissa = mantissa * 10 + u64::from(digit - b'0');
        full = mantissa >= ROOM;
    }
    // Decimals: zeros before the first digit (within the precision), the remaining digits;
    // trailing zeros are gone already (and a lone "0" adds nothing to the value).
    let mut left = decimals;
    let leading = (-decoded.point).clamp(0, left);
    left -= leading;
    let rest = &digits[whole..];
    let shown = rest.len().min(left.max(0) as usize);
    let fraction = std::iter::repeat_n(b'0', leading as usize).chain(rest[..shown].iter().copied());
    let last_nonzero = fraction
        .clone()
        .enumerate()
        .filter(|&(_, digit)| digit != b'0')
        .last()
        .map_or(0, |(at, _)| at + 1);
    let printed = last_nonzero.max(1);
    for digit in fraction.chain(std::iter::repeat(b'0')).take(printed) {
        if mantissa < ROOM {
            mantissa = mantissa * 10 + u64::from(digit - b'0');
            power -= 1;
        }
    }
    let magnitude = if mantissa == 0 {
        0.0
    } else {
        decimal_to_double(mantissa, power)
    };
    if decoded.negative {
        -magnitude
    } else {
        magnitude
    }
}
